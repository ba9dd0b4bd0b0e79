/* optim.c - the optimiser registry of DESIGN.md section 6 (fused kernels through ops.h,
 * plus pgd and ngd), step-size schedules, hyperparameter defaults and host references. */
#include "optim.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <Random123/philox.h>

#include "ref.h"

const sb_optim_info sb_optims[] = {
    {"sgd", "gd", "sgd", SB_OPT_FUSED, 0.9, 0.99, "x -= lr g (gd when noiseless)"},
    {"momentum", NULL, "momentum", SB_OPT_FUSED, 0.9, 0.99,
     "m = b1 m + (1-b1) g; x -= lr m"},
    {"signsgd", "signgd", "signsgd", SB_OPT_FUSED, 0.9, 0.99,
     "x -= lr sign(g) (signgd when noiseless)"},
    {"signum", NULL, "signum", SB_OPT_FUSED, 0.9, 0.99,
     "m = b1 m + (1-b1) g; x -= lr sign(m)"},
    {"ef-signsgd", NULL, "ef-signsgd", SB_OPT_FUSED, 0.9, 0.99,
     "p = lr g + e; delta = (norm1(p)/d) sign(p); e = p - delta; x -= delta"},
    {"lion", NULL, "lion", SB_OPT_FUSED, 0.9, 0.99,
     "x -= lr sign(b1 m + (1-b1) g); m = b2 m + (1-b2) g"},
    {"adam", NULL, "adam", SB_OPT_FUSED, 0.9, 0.999,
     "bias-corrected; x -= lr mhat/(sqrt(vhat)+eps)"},
    {"rmsprop", NULL, "rmsprop", SB_OPT_FUSED, 0.9, 0.99,
     "v = b2 v + (1-b2) g^2; x -= lr g/(sqrt(v)+eps)"},
    {"pgd", NULL, "sgd", SB_OPT_PGD, 0.9, 0.99,
     "GD; a perturbation in the ball of radius r near saddles (Jin et al. 2017)"},
    {"ngd", NULL, "sgd", SB_OPT_NGD, 0.9, 0.99, "x -= lr g / norm2(g); no step when g = 0"},
    {NULL, NULL, NULL, 0, 0, 0, NULL},
};

const sb_optim_info *sb_optim_find(const char *name)
{
    if (!name)
        return NULL;
    for (const sb_optim_info *o = sb_optims; o->name; o++)
        if (!strcmp(o->name, name) || (o->alias && !strcmp(o->alias, name)))
            return o;
    return NULL;
}

const sb_update_info *sb_optim_kernel(const sb_optim_info *o)
{
    return o ? sb_update_find(o->update) : NULL;
}

const char *sb_optim_names(void)
{
    static char buf[512];
    if (!buf[0]) {
        size_t n = 0;
        for (const sb_optim_info *o = sb_optims; o->name && n < sizeof buf; o++)
            n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s%s%s%s", n ? ", " : "",
                                  o->name, o->alias ? " (" : "", o->alias ? o->alias : "",
                                  o->alias ? ")" : "");
    }
    return buf;
}

static const char *sched_names[] = {"const", "invsqrt", "theory", "step"};

int sb_sched_parse(const char *s, sb_sched *out, sb_err *err)
{
    for (int i = 0; i < 4; i++)
        if (s && !strcmp(s, sched_names[i])) {
            *out = (sb_sched)i;
            return SB_OK;
        }
    return sb_fail(err, SB_EUSAGE,
                   "unknown schedule '%s' (valid: const, invsqrt, theory, "
                   "step)",
                   s ? s : "");
}

const char *sb_sched_name(sb_sched s)
{
    return (unsigned)s < 4 ? sched_names[s] : "?";
}

void sb_optim_params_init(sb_optim_params *p)
{
    memset(p, 0, sizeof *p);
    p->lr = p->gamma = p->b1 = p->b2 = p->eps = p->wd = p->pgd_r = p->pgd_gthres = NAN;
    p->sched = SB_SCHED_CONST;
}

/* v survives the kernels' float: 0, or a normal float that is neither 0 nor inf. */
static int float_ok(double v)
{
    return v == 0 || (fabs(v) >= FLT_MIN && fabs(v) <= FLT_MAX);
}

static double def(double v, double d)
{
    return isnan(v) ? d : v;
}

int sb_optim_resolve(const sb_optim_info *o, const sb_optim_params *in,
                     sb_optim_params *out, sb_err *err)
{
    sb_optim_params p = *in;
    p.lr = def(p.lr, 1e-3);
    p.gamma = def(p.gamma, 0.1);
    if (p.step_every == 0)
        p.step_every = 100;
    p.b1 = def(p.b1, o->b1);
    p.b2 = def(p.b2, o->b2);
    p.eps = def(p.eps, 1e-8);
    p.wd = def(p.wd, 0);
    p.pgd_r = def(p.pgd_r, 0.1);
    p.pgd_gthres = def(p.pgd_gthres, 0.1);
    if (p.pgd_tthres == 0)
        p.pgd_tthres = 40;
    /* The kernels compute in float: a value that rounds to 0, 1 or inf there would run
     * a different optimiser than the one asked for. */
    if (!(p.lr > 0) || !isfinite(p.lr))
        return sb_fail(err, SB_EUSAGE, "learning rate %g: must be positive and finite",
                       p.lr);
    const struct {
        const char *what;
        double v;
    } as_float[] = {{"learning rate", p.lr}, {"eps", p.eps}, {"weight decay", p.wd}};
    for (int i = 0; i < 3; i++)
        if (!float_ok(as_float[i].v))
            return sb_fail(err, SB_EUSAGE,
                           "%s %g: becomes %s in float, the kernels' "
                           "precision (nonzero values need a magnitude in [%g, %g])",
                           as_float[i].what, as_float[i].v,
                           fabs(as_float[i].v) < 1 ? "0" : "inf", (double)FLT_MIN,
                           (double)FLT_MAX);
    if ((float)p.b1 >= 1.0f || (float)p.b2 >= 1.0f)
        return sb_fail(err, SB_EUSAGE,
                       "betas %.10g, %.10g: one becomes 1 in float, the "
                       "kernels' precision (a beta must stay below 1 - 6e-8)",
                       p.b1, p.b2);
    if (!(p.gamma > 0 && p.gamma <= 1))
        return sb_fail(err, SB_EUSAGE, "gamma %g: must be in (0, 1]", p.gamma);
    if (!(p.b1 >= 0 && p.b1 < 1) || !(p.b2 >= 0 && p.b2 < 1))
        return sb_fail(err, SB_EUSAGE, "betas %g, %g: must be in [0, 1)", p.b1, p.b2);
    if (!(p.eps >= 0) || !isfinite(p.eps))
        return sb_fail(err, SB_EUSAGE, "eps %g: must be >= 0", p.eps);
    if (!(p.wd >= 0) || !isfinite(p.wd))
        return sb_fail(err, SB_EUSAGE, "weight decay %g: must be >= 0", p.wd);
    if (!(p.pgd_r >= 0) || !isfinite(p.pgd_r) || !(p.pgd_gthres >= 0))
        return sb_fail(err, SB_EUSAGE, "pgd radius and threshold must be >= 0");
    *out = p;
    return SB_OK;
}

double sb_sched_lr(const sb_optim_params *p, uint64_t k)
{
    switch (p->sched) {
    case SB_SCHED_INVSQRT:
    case SB_SCHED_THEORY: return p->lr / sqrt((double)k + 1);
    case SB_SCHED_STEP:
        return p->lr * pow(p->gamma, (double)(k / (p->step_every ? p->step_every : 1)));
    case SB_SCHED_CONST:
    default: return p->lr;
    }
}

sb_hyper sb_optim_hyper(const sb_optim_params *p, uint64_t k)
{
    sb_hyper h;
    memset(&h, 0, sizeof h);
    double t = (double)k + 1;
    h.lr = (float)sb_sched_lr(p, k);
    h.b1 = (float)p->b1;
    h.b2 = (float)p->b2;
    h.eps = (float)p->eps;
    h.wd = (float)p->wd;
    h.decoupled = p->decoupled;
    /* From the float betas the kernel sees, so host and device agree. */
    h.bc1 = (float)(1 - pow((double)h.b1, t));
    h.bc2 = (float)(1 - pow((double)h.b2, t));
    return h;
}

int sb_pgd_should_perturb(const sb_optim_params *p, const sb_pgd_state *st, uint64_t k,
                          double gnorm2)
{
    if (!(gnorm2 <= p->pgd_gthres))
        return 0;
    return st->last < 0 || k - (uint64_t)st->last >= p->pgd_tthres;
}

/* Uniform in (0, 1) from a 32-bit word: never 0, so log() is finite. */
static double u01(uint32_t w)
{
    return ((double)w + 0.5) / 4294967296.0;
}

void sb_pgd_xi(uint64_t seed, uint64_t k, double r, size_t d, float *xi)
{
    enum { TAG = 0x70676421u }; /* a stream of its own: never the oracle's draws */
    philox4x32_key_t key = {{(uint32_t)seed, (uint32_t)(seed >> 32)}};
    double *z = malloc(sizeof(double) * (d ? d : 1));
    double n2 = 0;
    for (size_t i = 0; i < d; i += 2) {
        philox4x32_ctr_t c = {{(uint32_t)(i / 2), (uint32_t)k, (uint32_t)(k >> 32), TAG}};
        philox4x32_ctr_t w = philox4x32(c, key);
        double rad = sqrt(-2 * log(u01(w.v[0]))), th = 2 * M_PI * u01(w.v[1]);
        double z0 = rad * cos(th), z1 = rad * sin(th);
        if (z) {
            z[i] = z0;
            if (i + 1 < d)
                z[i + 1] = z1;
        }
        n2 += z0 * z0 + (i + 1 < d ? z1 * z1 : 0);
    }
    philox4x32_ctr_t c = {{0xffffffffu, (uint32_t)k, (uint32_t)(k >> 32), TAG + 1}};
    philox4x32_ctr_t w = philox4x32(c, key);
    double scale = r * pow(u01(w.v[0]), 1.0 / (double)(d ? d : 1)) / sqrt(n2 > 0 ? n2 : 1);
    for (size_t i = 0; i < d; i++)
        xi[i] = z ? (float)(scale * z[i]) : 0.0f;
    free(z);
}

int sb_optim_step(sb_ops *ops, const sb_optim_info *o, const sb_optim_params *p,
                  sb_pgd_state *pgd, uint64_t seed, uint64_t k, cl_mem x, cl_mem g,
                  cl_mem s1, cl_mem s2, cl_mem tmp, size_t d, double *dev_s, sb_err *err)
{
    const sb_update_info *u = sb_optim_kernel(o);
    if (!u)
        return sb_fail(err, SB_ERUNTIME, "optimiser %s: no update kernel '%s' in ops",
                       o->name, o->update);
    sb_hyper h = sb_optim_hyper(p, k);
    if (o->kind == SB_OPT_FUSED)
        return sb_op_update(ops, u, x, g, s1, s2, d, h, dev_s, err);

    double n2 = 0;
    int st = sb_op_reduce(ops, SB_NORM2, g, NULL, d, &n2, dev_s, err);
    if (st != SB_OK)
        return st;
    if (o->kind == SB_OPT_NGD) {
        if (n2 == 0)
            return SB_OK; /* g = 0: a stationary point, no direction to normalise */
        h.lr = (float)((double)h.lr / n2);
        return sb_op_update(ops, u, x, g, s1, s2, d, h, dev_s, err);
    }
    /* pgd */
    if (!sb_pgd_should_perturb(p, pgd, k, n2))
        return sb_op_update(ops, u, x, g, s1, s2, d, h, dev_s, err);
    float *xi = malloc(sizeof(float) * d);
    if (!xi)
        return sb_fail(err, SB_ERUNTIME, "pgd: out of memory for %zu floats", d);
    sb_pgd_xi(seed, k, p->pgd_r, d, xi);
    cl_int rc = clEnqueueWriteBuffer(ops->ctx->queue, tmp, CL_TRUE, 0, sizeof(float) * d,
                                     xi, 0, NULL, NULL);
    free(xi);
    if (SB_CLFAIL(rc, err, "pgd: clEnqueueWriteBuffer"))
        return err->code;
    /* x -= (-1) xi: the sgd kernel adds xi exactly; no weight decay on this step. */
    h.lr = -1.0f;
    h.wd = 0.0f;
    st = sb_op_update(ops, u, x, tmp, s1, s2, d, h, dev_s, err);
    if (st == SB_OK) {
        pgd->last = (int64_t)k;
        pgd->count++;
    }
    return st;
}

void sb_optim_host_step(const sb_optim_info *o, const sb_optim_params *p, sb_pgd_state *pgd,
                        uint64_t seed, uint64_t k, float *x, const float *g, float *s1,
                        float *s2, size_t d)
{
    sb_hyper h = sb_optim_hyper(p, k);
    const sb_update_info *u = sb_optim_kernel(o);
    if (!u)
        return;
    if (o->kind == SB_OPT_FUSED) {
        sb_ref_update(u, x, g, s1, s2, d, h, 0);
        return;
    }
    double n2 = 0;
    for (size_t i = 0; i < d; i++)
        n2 += (double)g[i] * (double)g[i];
    n2 = sqrt(n2);
    if (o->kind == SB_OPT_NGD) {
        if (n2 == 0)
            return;
        h.lr = (float)((double)h.lr / n2);
        sb_ref_update(u, x, g, s1, s2, d, h, 0);
        return;
    }
    if (!sb_pgd_should_perturb(p, pgd, k, n2)) {
        sb_ref_update(u, x, g, s1, s2, d, h, 0);
        return;
    }
    float *xi = malloc(sizeof(float) * d);
    if (!xi)
        return;
    sb_pgd_xi(seed, k, p->pgd_r, d, xi);
    for (size_t i = 0; i < d; i++)
        x[i] += xi[i];
    free(xi);
    pgd->last = (int64_t)k;
    pgd->count++;
}
