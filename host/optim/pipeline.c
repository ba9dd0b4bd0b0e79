/* pipeline.c - one training step (DESIGN.md section 8): gradient -> compress ->
 * aggregate -> update, and the metrics (full f, gradient norms) reduced on the device. */
#include "pipeline.h"

#include "byzantine.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *comp_names[] = {"none", "sign", "pack", "scaled-sign"};

int sb_compress_parse(const char *s, sb_compress *out, sb_err *err)
{
    for (int i = 0; i < 4; i++)
        if (s && !strcmp(s, comp_names[i])) {
            *out = (sb_compress)i;
            return SB_OK;
        }
    return sb_fail(err, SB_EUSAGE,
                   "unknown compression '%s' (valid: none, sign, pack, "
                   "scaled-sign)",
                   s ? s : "");
}

const char *sb_compress_name(sb_compress c)
{
    return (unsigned)c < 4 ? comp_names[c] : "?";
}

/* Wait for the queue so that the phase's wall time is its own (only with pl->split). */
static int finish(sb_pipeline *pl, double t0, double *acc, sb_err *err)
{
    if (!pl->split)
        return SB_OK;
    cl_int rc = clFinish(pl->ops->ctx->queue);
    if (SB_CLFAIL(rc, err, "clFinish"))
        return err->code;
    *acc += sb_now() - t0;
    return SB_OK;
}

static int aggregate_identity(sb_pipeline *pl, void *user, sb_err *err)
{
    (void)user;
    if (pl->workers > 1) {
        if (pl->compress != SB_COMP_PACK) {
            pl->u = pl->agg; /* the mean, accumulated as the workers finished */
            return SB_OK;
        }
        pl->u = pl->c;
        int st = sb_op_vote(pl->ops, pl->bits_all, pl->workers, pl->d, pl->bits, NULL, err);
        return st == SB_OK ? sb_op_unpack(pl->ops, pl->bits, pl->c, pl->d, NULL, err) : st;
    }
    if (pl->compress == SB_COMP_PACK) {
        pl->u = pl->c;
        return sb_op_unpack(pl->ops, pl->bits, pl->c, pl->d, NULL, err);
    }
    pl->u = pl->compress == SB_COMP_NONE ? pl->g : pl->c;
    return SB_OK;
}

int sb_pipeline_init(sb_pipeline *pl, sb_ops *ops, sb_problem *prob,
                     const sb_optim_info *opt, const sb_optim_params *params,
                     const sb_oracle *oracle, sb_compress compress, uint64_t seed,
                     const float *x0, sb_err *err)
{
    memset(pl, 0, sizeof *pl);
    pl->ops = ops;
    pl->prob = prob;
    pl->opt = opt;
    pl->params = *params;
    pl->oracle = *oracle;
    pl->compress = compress;
    pl->d = prob->d;
    pl->seed = seed;
    pl->pgd.last = -1;
    pl->split = 1;
    pl->workers = pl->total_workers = 1;
    pl->aggregate = aggregate_identity;
    sb_ctx *ctx = ops->ctx;
    size_t d = pl->d, fb = sizeof(float) * d;
    size_t words = (d + 31) / 32;
    float *zero = calloc(d ? d : 1, sizeof(float));
    if (!zero)
        return sb_fail(err, SB_ERUNTIME, "out of memory for %zu floats", d);
    int st = sb_buffer(ctx, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, fb, (void *)x0,
                       &pl->x, err);
    if (st == SB_OK)
        st = sb_buffer(ctx, CL_MEM_READ_WRITE, fb, NULL, &pl->g, err);
    if (st == SB_OK)
        st = sb_buffer(ctx, CL_MEM_READ_WRITE, fb, NULL, &pl->gfull, err);
    if (st == SB_OK && compress != SB_COMP_NONE)
        st = sb_buffer(ctx, CL_MEM_READ_WRITE, fb, NULL, &pl->c, err);
    if (st == SB_OK && compress == SB_COMP_PACK)
        st = sb_buffer(ctx, CL_MEM_READ_WRITE, words * 4, NULL, &pl->bits, err);
    /* Optimiser state starts at zero; unused slots get a 1-element placeholder. The
     * kernel's own count decides, should the two registries ever disagree. */
    const sb_update_info *u = sb_optim_kernel(opt);
    int ns = u ? u->nstate : 0;
    if (st == SB_OK)
        st = sb_buffer(ctx, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR,
                       ns >= 1 ? fb : sizeof(float), zero, &pl->s1, err);
    if (st == SB_OK)
        st = sb_buffer(ctx, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR,
                       ns >= 2 ? fb : sizeof(float), zero, &pl->s2, err);
    if (st == SB_OK)
        st = sb_buffer(ctx, CL_MEM_READ_WRITE, opt->kind == SB_OPT_PGD ? fb : sizeof(float),
                       NULL, &pl->tmp, err);
    free(zero);
    if (st != SB_OK)
        sb_pipeline_free(pl);
    return st;
}

uint64_t sb_worker_seed(uint64_t seed, int w)
{
    /* Worker 0 keeps the run's seed, so one worker is exactly the plain run. */
    return seed + (uint64_t)w * 0x9E3779B97F4A7C15ULL;
}

int sb_pipeline_set_workers(sb_pipeline *pl, int m, sb_err *err)
{
    if (m < 1 || m > 4096)
        return sb_fail(err, SB_EUSAGE, "workers %d: expected 1 to 4096", m);
    if (m == pl->workers)
        return SB_OK;
    if (pl->bits_all || pl->agg || pl->step)
        return sb_fail(err, SB_EUSAGE, "workers can be set once, before the first step");
    size_t words = (pl->d + 31) / 32;
    int st = SB_OK;
    if (m > 1 && pl->compress == SB_COMP_PACK)
        st = sb_buffer(pl->ops->ctx, CL_MEM_READ_WRITE, words * 4 * (size_t)m, NULL,
                       &pl->bits_all, err);
    else if (m > 1)
        st = sb_buffer(pl->ops->ctx, CL_MEM_READ_WRITE, sizeof(float) * pl->d, NULL,
                       &pl->agg, err);
    if (st == SB_OK)
        pl->workers = pl->total_workers = m;
    return st;
}

/* One worker's gradient and compression; with several workers, its result goes into
 * bits_all (packed) or is added to the mean in agg. */
static int worker(sb_pipeline *pl, int w, int *nan, sb_err *err)
{
    sb_problem *p = pl->prob;
    sb_oracle orc = pl->oracle;
    orc.seed = sb_byz_seed(pl, pl->worker_base + w,
                           sb_worker_seed(pl->oracle.seed, pl->worker_base + w));
    double t0 = sb_now();
    int st = p->vt->grad(p, pl->x, pl->g, &orc, pl->step, NULL, &pl->calls, err);
    if (st == SB_OK)
        st = finish(pl, t0, &pl->t_grad, err);
    if (st != SB_OK)
        return sb_wrap(err, "step %llu: gradient (worker %d)", (unsigned long long)pl->step,
                       w);

    t0 = sb_now();
    switch (pl->compress) {
    case SB_COMP_SIGN: st = sb_op_sign(pl->ops, pl->g, pl->c, pl->d, nan, NULL, err); break;
    case SB_COMP_PACK:
        st = sb_op_pack(pl->ops, pl->g, pl->bits, pl->d, nan, NULL, err);
        break;
    case SB_COMP_SCALED:
        st = sb_op_scaled_sign(pl->ops, pl->g, pl->c, pl->d, NULL, err);
        break;
    case SB_COMP_NONE: break;
    }
    if (st == SB_OK && !*nan)
        st = sb_byz_apply(pl, pl->worker_base + w, err); /* an adversary's signs instead */
    if (st == SB_OK)
        st = finish(pl, t0, &pl->t_compress, err);
    if (st != SB_OK)
        return sb_wrap(err, "step %llu: compress (worker %d)", (unsigned long long)pl->step,
                       w);
    if (pl->workers == 1 || *nan)
        return SB_OK;

    /* Several workers: this one's share of the aggregate. */
    t0 = sb_now();
    cl_command_queue q = pl->ops->ctx->queue;
    cl_int rc = CL_SUCCESS;
    if (pl->compress == SB_COMP_PACK) {
        size_t wb = (pl->d + 31) / 32 * 4;
        rc = clEnqueueCopyBuffer(q, pl->bits, pl->bits_all, 0, wb * (size_t)w, wb, 0, NULL,
                                 NULL);
        if (SB_CLFAIL(rc, err, "clEnqueueCopyBuffer(worker bits)"))
            return err->code;
    } else {
        if (w == 0) {
            float zero = 0.0f;
            rc = clEnqueueFillBuffer(q, pl->agg, &zero, sizeof zero, 0,
                                     sizeof(float) * pl->d, 0, NULL, NULL);
            if (SB_CLFAIL(rc, err, "clEnqueueFillBuffer(mean)"))
                return err->code;
        }
        st = sb_op_rmw(pl->ops, pl->agg, pl->compress == SB_COMP_NONE ? pl->g : pl->c,
                       pl->d, 1.0f / (float)pl->workers, NULL, err);
        if (st != SB_OK)
            return sb_wrap(err, "step %llu: mean (worker %d)", (unsigned long long)pl->step,
                           w);
    }
    return finish(pl, t0, &pl->t_aggregate, err);
}

int sb_pipeline_step(sb_pipeline *pl, sb_err *err)
{
    int nan = 0, st = SB_OK;
    for (int w = 0; w < pl->workers && st == SB_OK && !nan; w++)
        st = worker(pl, w, &nan, err);
    if (st != SB_OK)
        return st;
    if (nan) {
        pl->grad_nan = 1; /* the caller records the divergence; x is left as it was */
        if (!pl->collective)
            return SB_OK;
    }
    double t0 = sb_now();
    pl->updated = 0;
    st = pl->aggregate(pl, pl->aggregate_user, err);
    if (st == SB_OK)
        st = finish(pl, t0, &pl->t_aggregate, err);
    if (st != SB_OK)
        return sb_wrap(err, "step %llu: aggregate", (unsigned long long)pl->step);
    if (pl->grad_nan)
        return SB_OK; /* a collective aggregate learnt of a NaN on some worker */

    t0 = sb_now();
    if (!pl->updated)
        st = sb_optim_step(pl->ops, pl->opt, &pl->params, &pl->pgd, pl->seed, pl->step,
                           pl->x, pl->u, pl->s1, pl->s2, pl->tmp, pl->d, NULL, err);
    if (st == SB_OK)
        st = finish(pl, t0, &pl->t_update, err);
    if (st != SB_OK)
        return sb_wrap(err, "step %llu: update (%s)", (unsigned long long)pl->step,
                       pl->opt->name);
    if (!pl->split) {
        /* One synchronisation per step, so the queue never runs far ahead. */
        cl_int rc = clFinish(pl->ops->ctx->queue);
        if (SB_CLFAIL(rc, err, "clFinish"))
            return err->code;
    }
    pl->step++;
    return SB_OK;
}

int sb_pipeline_metrics(sb_pipeline *pl, sb_metrics *m, sb_err *err)
{
    sb_problem *p = pl->prob;
    double t0 = sb_now(), xn = 0;
    m->f = m->grad1 = m->grad2 = NAN;
    m->test_accuracy = NAN;
    m->x_finite = 1;
    int st = sb_op_reduce(pl->ops, SB_NORM1, pl->x, NULL, pl->d, &xn, NULL, err);
    if (st != SB_OK)
        return sb_wrap(err, "metrics: norm1(x)");
    if (!isfinite(xn)) {
        /* Confirm on the host before declaring divergence (one read, only here). */
        float *hx = malloc(sizeof(float) * pl->d);
        if (!hx)
            return sb_fail(err, SB_ERUNTIME, "out of memory for %zu floats", pl->d);
        st = sb_pipeline_read_x(pl, hx, err);
        size_t bad = 0;
        for (size_t i = 0; st == SB_OK && i < pl->d; i++)
            bad += !isfinite(hx[i]);
        free(hx);
        if (st != SB_OK)
            return st;
        if (bad) {
            /* No objective at a non-finite x: the run has diverged. */
            m->x_finite = 0;
            pl->t_metrics += sb_now() - t0;
            return SB_OK;
        }
        return sb_fail(err, SB_ERUNTIME,
                       "metrics: device norm1(x) = %g but x is finite on the "
                       "host (reduction kernel fault)",
                       xn);
    }
    st = p->vt->full(p, pl->x, pl->gfull, &m->f, err);
    if (st != SB_OK)
        return sb_wrap(err, "metrics: full gradient");
    st = sb_op_reduce(pl->ops, SB_NORM1, pl->gfull, NULL, pl->d, &m->grad1, NULL, err);
    if (st == SB_OK)
        st = sb_op_reduce(pl->ops, SB_NORM2, pl->gfull, NULL, pl->d, &m->grad2, NULL, err);
    if (st != SB_OK)
        return sb_wrap(err, "metrics: gradient norms");
    if (p->vt->test_accuracy) {
        st = p->vt->test_accuracy(p, pl->x, &m->test_accuracy, err);
        if (st != SB_OK)
            return sb_wrap(err, "metrics: test accuracy");
    }
    cl_int rc = clFinish(pl->ops->ctx->queue);
    if (SB_CLFAIL(rc, err, "clFinish"))
        return err->code;
    pl->t_metrics += sb_now() - t0;
    return SB_OK;
}

int sb_pipeline_read_x(sb_pipeline *pl, float *x, sb_err *err)
{
    cl_int rc = clEnqueueReadBuffer(pl->ops->ctx->queue, pl->x, CL_TRUE, 0,
                                    sizeof(float) * pl->d, x, 0, NULL, NULL);
    if (SB_CLFAIL(rc, err, "clEnqueueReadBuffer(x)"))
        return err->code;
    return SB_OK;
}

void sb_pipeline_free(sb_pipeline *pl)
{
    if (pl->aggregate_free) {
        pl->aggregate_free(pl->aggregate_user);
        pl->aggregate_free = NULL;
        pl->aggregate_user = NULL;
    }
    cl_mem *all[] = {&pl->x,  &pl->g,   &pl->c,     &pl->bits,     &pl->s1,
                     &pl->s2, &pl->tmp, &pl->gfull, &pl->bits_all, &pl->agg};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (*all[i]) {
            clReleaseMemObject(*all[i]);
            *all[i] = NULL;
        }
}
