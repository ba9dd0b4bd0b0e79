/* problem_quad.c - the quadratics of DESIGN.md 5.3: f = 0.5 sum lambda_i y_i^2 with y = x
 * (quad) or y = Qx (quad-rotated), spectra equal / linear / log; f* = 0, L = max lambda. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oracle.h"
#include "problem_impl.h"
#include "rotation.h"

typedef struct quad_impl {
    sb_problem_common c;
    int rotated;
    double *lam, *hy, *hg; /* eigenvalues; host scratch */
    int use_lam;           /* 0: all eigenvalues equal lam[0], the kernels skip the array */
    size_t groups;         /* work-groups of quad_grad / quad_grad_f (value partials) */
    cl_kernel k, kf;       /* gradient only; gradient and/or value partials */
    cl_mem lamd, Qd, y, gy, fpart;
} quad_impl;

static int quad_host(const sb_problem *p, const double *x, double *f, double *g)
{
    quad_impl *q = p->impl;
    const double *y = x;
    if (q->rotated) {
        sb_matvec(p->d, q->c.Q, x, q->hy);
        y = q->hy;
    }
    double s = 0.0;
    for (size_t i = 0; i < p->d; i++) {
        double gi = q->lam[i] * y[i];
        s += 0.5 * gi * y[i];
        if (g)
            (q->rotated ? q->hg : g)[i] = gi;
    }
    if (g && q->rotated)
        sb_matvec_t(p->d, q->c.Q, q->hg, g);
    if (f)
        *f = s;
    return SB_OK;
}

static int quad_full(sb_problem *p, cl_mem x, cl_mem g, double *f, sb_err *err)
{
    quad_impl *q = p->impl;
    sb_ctx *ctx = p->ctx;
    cl_mem src = x, dst = (q->rotated || !g) ? q->gy : g;
    if (q->rotated) {
        if (sb_problem_gemv(ctx, 0, p->d, p->d, 1.0f, q->Qd, x, 0.0f, q->y, err) != SB_OK)
            return sb_wrap(err, "quad-rotated: Qx");
        src = q->y;
    }
    /* Value wanted: one pass that also writes the gradient (unless only f is asked
     * for, rotated problems excepted: they need gy for Q^T). Else the lean stream. */
    cl_uint d = (cl_uint)p->d, ul = (cl_uint)q->use_lam, wg = (g || q->rotated) ? 1 : 0;
    cl_float lam0 = (cl_float)q->lam[0];
    cl_kernel k = f ? q->kf : q->k;
    cl_int rc = clSetKernelArg(k, 0, sizeof src, &src);
    rc |= clSetKernelArg(k, 1, sizeof q->lamd, &q->lamd);
    rc |= clSetKernelArg(k, 2, sizeof ul, &ul);
    rc |= clSetKernelArg(k, 3, sizeof lam0, &lam0);
    rc |= clSetKernelArg(k, 4, sizeof dst, &dst);
    if (f) {
        rc |= clSetKernelArg(k, 5, sizeof wg, &wg);
        rc |= clSetKernelArg(k, 6, sizeof d, &d);
        rc |= clSetKernelArg(k, 7, sizeof q->fpart, &q->fpart);
    } else {
        rc |= clSetKernelArg(k, 5, sizeof d, &d);
    }
    if (SB_CLFAIL(rc, err, f ? "clSetKernelArg(quad_grad_f)" : "clSetKernelArg(quad_grad)"))
        return err->code;
    size_t local = ctx->params->local_size, global = q->groups * local;
    rc = clEnqueueNDRangeKernel(ctx->queue, k, 1, NULL, &global, &local, 0, NULL, NULL);
    if (SB_CLFAIL(rc, err, "clEnqueueNDRangeKernel(quad)"))
        return err->code;
    if (q->rotated && g &&
        sb_problem_gemv(ctx, 1, p->d, p->d, 1.0f, q->Qd, q->gy, 0.0f, g, err) != SB_OK)
        return sb_wrap(err, "quad-rotated: Q^T grad");
    if (f)
        return sb_problem_sum(ctx, q->fpart, q->groups, f, err);
    return SB_OK;
}

static int quad_grad(sb_problem *p, cl_mem x, cl_mem g, const sb_oracle *o, uint64_t step,
                     double *f, uint64_t *calls, sb_err *err)
{
    quad_impl *q = p->impl;
    if (quad_full(p, x, g, f, err) != SB_OK)
        return err->code;
    size_t n = sb_oracle_batch(o, step);
    if (calls)
        *calls += n ? n : 1;
    return sb_oracle_add_noise(p->ctx, q->c.noise, o, step, sb_oracle_noise_sd(o, step), g,
                               p->d, err);
}

static void quad_destroy(sb_problem *p)
{
    quad_impl *q = p->impl;
    if (q->k)
        clReleaseKernel(q->k);
    if (q->kf)
        clReleaseKernel(q->kf);
    cl_mem *m[] = {&q->lamd, &q->Qd, &q->y, &q->gy, &q->fpart};
    for (size_t i = 0; i < sizeof m / sizeof *m; i++)
        if (*m[i])
            clReleaseMemObject(*m[i]);
    free(q->lam);
    free(q->hy);
    free(q->hg);
}

static const sb_problem_vt quad_vt = {quad_grad, quad_full, quad_host, NULL, quad_destroy};

int sb_problem_quad_create(const sb_problem_opts *o, sb_ctx *ctx, int rotated,
                           sb_problem **out, sb_err *err)
{
    const char *name = rotated ? "quad-rotated" : "quad";
    size_t d = o->d ? o->d : 10;
    if (o->data)
        return sb_fail(err, SB_EUSAGE, "%s: --data belongs to --problem logreg", name);
    if (o->rotation_file && !rotated)
        return sb_fail(err, SB_EUSAGE, "quad: --rotation needs --problem quad-rotated");
    if (o->tube_L > 0 || o->tube_gamma > 0 || o->tube_tau > 0)
        return sb_fail(err, SB_EUSAGE, "%s: --tube-* options belong to the tube problems",
                       name);
    const char *spec = o->spectrum ? o->spectrum : "equal";
    double cond = o->cond > 0 ? o->cond : 100.0;
    if (o->cond > 0 && !strcmp(spec, "equal"))
        return sb_fail(err, SB_EUSAGE, "%s: --cond needs --spectrum linear or log", name);
    if (rotated && d > 46340)
        return sb_fail(err, SB_EUSAGE,
                       "quad-rotated: d = %zu is too large for a dense "
                       "rotation (at most 46340)",
                       d);
    /* Host: x0, lam, hy, hg in double and the training copies (about 6 d doubles), Q;
     * device: about 12 float vectors of d (problem and optimiser), Q. */
    double dd = (double)d, mat = rotated ? dd * dd : 0;
    char label[96];
    snprintf(label, sizeof label, "%s with d = %zu", name, d);
    if (sb_problem_check_size(label, 8 * (6 * dd + mat), 4 * (mat > dd ? mat : dd),
                              4 * (12 * dd + mat), ctx, err) != SB_OK)
        return err->code;
    sb_problem *p;
    if (sb_problem_alloc(name, d, sizeof(quad_impl), &p, err) != SB_OK)
        return err->code;
    quad_impl *q = p->impl;
    p->vt = &quad_vt;
    q->rotated = rotated;
    int st = SB_OK;
    q->lam = malloc(d * sizeof *q->lam);
    q->hy = malloc(d * sizeof *q->hy);
    q->hg = malloc(d * sizeof *q->hg);
    if (!q->lam || !q->hy || !q->hg) {
        st = sb_fail(err, SB_ERUNTIME, "%s: out of memory for d = %zu", name, d);
        goto fail;
    }
    /* Eigenvalues from 1/cond (i = 0) up to 1 (i = d - 1). */
    double Lmax = 0.0;
    for (size_t i = 0; i < d; i++) {
        double t = d > 1 ? (double)i / (double)(d - 1) : 1.0;
        if (!strcmp(spec, "linear"))
            q->lam[i] = 1.0 / cond + (1.0 - 1.0 / cond) * t;
        else if (!strcmp(spec, "log"))
            q->lam[i] = pow(cond, t - 1.0);
        else
            q->lam[i] = 1.0;
        Lmax = fmax(Lmax, q->lam[i]);
        q->use_lam |= (float)q->lam[i] != (float)q->lam[0];
    }
    p->has_fstar = p->has_L = 1;
    p->fstar = 0.0;
    p->L = Lmax;
    if (rotated) {
        q->c.Q = malloc(d * d * sizeof *q->c.Q);
        if (!q->c.Q) {
            st = sb_fail(err, SB_ERUNTIME, "quad-rotated: out of memory for d = %zu", d);
            goto fail;
        }
        st = o->rotation_file ? sb_rotation_read(o->rotation_file, d, q->c.Q, err)
                              : sb_rotation_haar(d, o->seed, q->c.Q, err);
        if (st != SB_OK)
            goto fail;
    }
    /* Start as the tube does: x0 = Q^T u (or u), u uniform in [-1, 1]^d, seeded. */
    sb_uniforms(o->seed, SB_STREAM_START, 0, d, -1.0, 1.0, rotated ? q->hy : p->x0);
    if (rotated)
        sb_matvec_t(d, q->c.Q, q->hy, p->x0);
    if (ctx) {
        p->ctx = ctx;
        /* Enough groups for every float8 of x, at most 64 per compute unit (as ops.c):
         * the kernels loop over their share (SB_FOR_UNITS). */
        size_t local = ctx->params->local_size,
               cu = ctx->compute_units ? ctx->compute_units : 1;
        q->groups = sb_round_up(d / 8 + 1, local) / local;
        if (q->groups > 64 * cu)
            q->groups = 64 * cu;
        if ((st = sb_ctx_kernel(ctx, "quad_grad", &q->k, err)) != SB_OK ||
            (st = sb_ctx_kernel(ctx, "quad_grad_f", &q->kf, err)) != SB_OK ||
            (st = sb_ctx_kernel(ctx, "oracle_noise", &q->c.noise, err)) != SB_OK ||
            (st = sb_problem_buffer(ctx, q->use_lam ? d : 1, q->lam, &q->lamd, err)) !=
                SB_OK ||
            (st = sb_problem_buffer(ctx, d, NULL, &q->y, err)) != SB_OK ||
            (st = sb_problem_buffer(ctx, d, NULL, &q->gy, err)) != SB_OK ||
            (st = sb_problem_buffer(ctx, q->groups, NULL, &q->fpart, err)) != SB_OK)
            goto fail;
        if (rotated && (st = sb_problem_buffer(ctx, d * d, q->c.Q, &q->Qd, err)) != SB_OK)
            goto fail;
    }
    *out = p;
    return SB_OK;
fail:
    sb_problem_free(p);
    return st;
}
