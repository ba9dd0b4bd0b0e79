/* problem_tube.c - the tube function (DESIGN.md 5.1): the double-precision host
 * reference (tube.h) and the tube / tube-rotated problems behind problem.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oracle.h"
#include "problem_impl.h"
#include "rotation.h"
#include "sb.h"
#include "tube.h"

sb_tube_params sb_tube_defaults(void)
{
    sb_tube_params p = {M_E, 1.0, M_E};
    return p;
}

double sb_tube_nu(const sb_tube_params *p)
{
    return (13.0 / 6.0) * p->gamma * p->tau * p->tau +
           (37.0 / 6.0) * p->L * p->tau * p->tau;
}

/* The spline pieces and their derivatives (u is an |x| value). */
static double g1(const sb_tube_params *p, double u, double *d1, double *d2)
{
    double t = p->tau, A = (-14.0 * p->L + 10.0 * p->gamma) / (3.0 * t),
           B = (5.0 * p->L - 3.0 * p->gamma) / (2.0 * t * t), v = u - t;
    if (d1)
        *d1 = -2.0 * p->gamma * u + 3.0 * A * v * v + 4.0 * B * v * v * v;
    if (d2)
        *d2 = -2.0 * p->gamma + 6.0 * A * v + 12.0 * B * v * v;
    return -p->gamma * u * u + A * v * v * v + B * v * v * v * v;
}

static double g2(const sb_tube_params *p, double u, double *d1, double *d2)
{
    double t = p->tau, s = p->L + p->gamma, C = 10.0 * s / (t * t * t),
           D = 15.0 * s / (t * t * t * t), E = 6.0 * s / (t * t * t * t * t),
           v = u - 2.0 * t;
    double v2 = v * v, v3 = v2 * v;
    if (d1)
        *d1 = -3.0 * C * v2 - 4.0 * D * v3 - 5.0 * E * v2 * v2;
    if (d2)
        *d2 = -6.0 * C * v - 12.0 * D * v2 - 20.0 * E * v3;
    return -p->gamma - C * v3 - D * v2 * v2 - E * v3 * v2;
}

static double sgn(double v)
{
    return v > 0.0 ? 1.0 : (v < 0.0 ? -1.0 : 0.0);
}

int sb_tube_eval(size_t d, const double *x, const sb_tube_params *p, double *f, double *g,
                 int *region, int *in_tube)
{
    if (d == 0 || !(p->L > 0.0) || !(p->gamma > 0.0) || !(p->tau > 0.0) ||
        !isfinite(p->L) || !isfinite(p->gamma) || !isfinite(p->tau))
        return SB_EUSAGE;
    const double L = p->L, gam = p->gamma, tau = p->tau, nu = sb_tube_nu(p);
    size_t i = 0; /* 0-based index of the first a_i <= 2 tau; d in the basin */
    while (i < d && fabs(x[i]) > 2.0 * tau)
        i++;
    double val = 0.0;
    /* Leading coordinates sit in the (a - 4 tau)^2 wells, in every region. */
    for (size_t j = 0; j < i; j++) {
        double a = fabs(x[j]);
        val += L * (a - 4.0 * tau) * (a - 4.0 * tau);
        if (g)
            g[j] = 2.0 * L * (a - 4.0 * tau) * sgn(x[j]);
    }
    int inside = 1;
    if (i == d) {
        val -= (double)d * nu;
    } else {
        double a = fabs(x[i]);
        size_t rest = i + 1; /* first coordinate of the L a_j^2 tail */
        if (a <= tau) {
            val += -gam * a * a;
            if (g)
                g[i] = -2.0 * gam * x[i];
        } else if (i + 1 < d) {
            double b = fabs(x[i + 1]), d1a, d1b;
            double v1 = g1(p, a, &d1a, NULL), v2 = g2(p, a, &d1b, NULL);
            val += v1 + v2 * b * b;
            if (g) {
                g[i] = (d1a + d1b * b * b) * sgn(x[i]);
                g[i + 1] = 2.0 * v2 * x[i + 1];
            }
            if (b > tau)
                inside = 0;
            rest = i + 2;
        } else {
            double d1a;
            val += g1(p, a, &d1a, NULL);
            if (g)
                g[i] = d1a * sgn(x[i]);
        }
        for (size_t j = rest; j < d; j++) {
            val += L * x[j] * x[j];
            if (g)
                g[j] = 2.0 * L * x[j];
            if (fabs(x[j]) > tau)
                inside = 0;
        }
        val -= (double)i * nu;
    }
    if (f)
        *f = val;
    if (region)
        *region = (int)i + 1;
    if (in_tube)
        *in_tube = inside;
    return SB_OK;
}

double sb_tube_curvature(const sb_tube_params *p)
{
    /* Hessian of g(a, b) = g1(a) + g2(a) b^2 over the spline piece tau <= a <= 2 tau,
     * 0 <= b <= tau, on a 400 x 400 grid; the quadratic pieces contribute 2L and 2 gamma. */
    double best = fmax(2.0 * p->L, 2.0 * p->gamma);
    const int n = 400;
    for (int ia = 0; ia <= n; ia++) {
        double a = p->tau * (1.0 + (double)ia / n), d1a, d2a, d1b, d2b;
        g1(p, a, &d1a, &d2a);
        double v2 = g2(p, a, &d1b, &d2b);
        for (int ib = 0; ib <= n; ib++) {
            double b = p->tau * (double)ib / n;
            double haa = d2a + d2b * b * b, hab = 2.0 * d1b * b, hbb = 2.0 * v2;
            double mean = 0.5 * (haa + hbb), dif = 0.5 * (haa - hbb);
            double rad = sqrt(dif * dif + hab * hab);
            best = fmax(best, fmax(fabs(mean + rad), fabs(mean - rad)));
        }
    }
    return best;
}

/* ---- the tube and tube-rotated problems -------------------------------------------- */

typedef struct tube_impl {
    sb_problem_common c;
    sb_tube_params tp;
    int rotated;
    cl_kernel k;         /* tube_grad (kernels/tube.cl) */
    cl_mem Qd, y, gy, f; /* float Q, Qx, grad f(Qx) (or scratch), value */
    double *hy, *hg;     /* host scratch for the rotated reference */
} tube_impl;

static int tube_host(const sb_problem *p, const double *x, double *f, double *g)
{
    tube_impl *t = p->impl;
    if (!t->rotated)
        return sb_tube_eval(p->d, x, &t->tp, f, g, NULL, NULL);
    sb_matvec(p->d, t->c.Q, x, t->hy);
    int st = sb_tube_eval(p->d, t->hy, &t->tp, f, g ? t->hg : NULL, NULL, NULL);
    if (st == SB_OK && g)
        sb_matvec_t(p->d, t->c.Q, t->hg, g);
    return st;
}

static int tube_full(sb_problem *p, cl_mem x, cl_mem g, double *f, sb_err *err)
{
    tube_impl *t = p->impl;
    sb_ctx *ctx = p->ctx;
    cl_mem src = x, dst = (t->rotated || !g) ? t->gy : g;
    if (t->rotated) {
        if (sb_problem_gemv(ctx, 0, p->d, p->d, 1.0f, t->Qd, x, 0.0f, t->y, err) != SB_OK)
            return sb_wrap(err, "tube-rotated: Qx");
        src = t->y;
    }
    cl_uint d = (cl_uint)p->d;
    cl_float L = (cl_float)t->tp.L, ga = (cl_float)t->tp.gamma, ta = (cl_float)t->tp.tau;
    cl_int rc = clSetKernelArg(t->k, 0, sizeof src, &src);
    rc |= clSetKernelArg(t->k, 1, sizeof dst, &dst);
    rc |= clSetKernelArg(t->k, 2, sizeof t->f, &t->f);
    rc |= clSetKernelArg(t->k, 3, sizeof d, &d);
    rc |= clSetKernelArg(t->k, 4, sizeof L, &L);
    rc |= clSetKernelArg(t->k, 5, sizeof ga, &ga);
    rc |= clSetKernelArg(t->k, 6, sizeof ta, &ta);
    if (SB_CLFAIL(rc, err, "clSetKernelArg(tube_grad)"))
        return err->code;
    size_t one = 1;
    rc = clEnqueueNDRangeKernel(ctx->queue, t->k, 1, NULL, &one, &one, 0, NULL, NULL);
    if (SB_CLFAIL(rc, err, "clEnqueueNDRangeKernel(tube_grad)"))
        return err->code;
    if (t->rotated && g &&
        sb_problem_gemv(ctx, 1, p->d, p->d, 1.0f, t->Qd, t->gy, 0.0f, g, err) != SB_OK)
        return sb_wrap(err, "tube-rotated: Q^T grad");
    if (f) {
        cl_float v;
        rc = clEnqueueReadBuffer(ctx->queue, t->f, CL_TRUE, 0, sizeof v, &v, 0, NULL, NULL);
        if (SB_CLFAIL(rc, err, "clEnqueueReadBuffer(tube value)"))
            return err->code;
        *f = v;
    }
    return SB_OK;
}

/* The tube has no data: a minibatch of n_k calls averages n_k noisy draws. */
static int tube_grad(sb_problem *p, cl_mem x, cl_mem g, const sb_oracle *o, uint64_t step,
                     double *f, uint64_t *calls, sb_err *err)
{
    tube_impl *t = p->impl;
    if (tube_full(p, x, g, f, err) != SB_OK)
        return err->code;
    size_t n = sb_oracle_batch(o, step);
    if (calls)
        *calls += n ? n : 1;
    return sb_oracle_add_noise(p->ctx, t->c.noise, o, step, sb_oracle_noise_sd(o, step), g,
                               p->d, err);
}

static void tube_destroy(sb_problem *p)
{
    tube_impl *t = p->impl;
    if (!t)
        return;
    if (t->k)
        clReleaseKernel(t->k);
    cl_mem *m[] = {&t->Qd, &t->y, &t->gy, &t->f};
    for (size_t i = 0; i < sizeof m / sizeof *m; i++)
        if (*m[i])
            clReleaseMemObject(*m[i]);
    free(t->hy);
    free(t->hg);
}

static const sb_problem_vt tube_vt = {tube_grad, tube_full, tube_host, NULL, tube_destroy};

int sb_problem_tube_create(const sb_problem_opts *o, sb_ctx *ctx, int rotated,
                           sb_problem **out, sb_err *err)
{
    const char *name = rotated ? "tube-rotated" : "tube";
    size_t d = o->d ? o->d : 10;
    if (d < 2)
        return sb_fail(err, SB_EUSAGE, "%s: --d must be at least 2", name);
    if (o->data || o->spectrum)
        return sb_fail(err, SB_EUSAGE, "%s: --%s belongs to another problem", name,
                       o->data ? "data" : "spectrum");
    if (o->rotation_file && !rotated)
        return sb_fail(err, SB_EUSAGE, "tube: --rotation needs --problem tube-rotated");
    if (rotated && d > 46340)
        return sb_fail(err, SB_EUSAGE,
                       "tube-rotated: d = %zu is too large for a dense "
                       "rotation (at most 46340)",
                       d);
    /* As quad (problem_quad.c): about 6 d doubles on the host, 12 float vectors of d on
     * the device, and the rotation. */
    double dd = (double)d, mat = rotated ? dd * dd : 0;
    char label[96];
    snprintf(label, sizeof label, "%s with d = %zu", name, d);
    if (sb_problem_check_size(label, 8 * (6 * dd + mat), 4 * (mat > dd ? mat : dd),
                              4 * (12 * dd + mat), ctx, err) != SB_OK)
        return err->code;
    sb_problem *p;
    if (sb_problem_alloc(name, d, sizeof(tube_impl), &p, err) != SB_OK)
        return err->code;
    tube_impl *t = p->impl;
    p->vt = &tube_vt;
    t->rotated = rotated;
    t->tp = sb_tube_defaults();
    if (o->tube_L > 0)
        t->tp.L = o->tube_L;
    if (o->tube_gamma > 0)
        t->tp.gamma = o->tube_gamma;
    if (o->tube_tau > 0)
        t->tp.tau = o->tube_tau;
    t->c.tube[0] = t->tp.L;
    t->c.tube[1] = t->tp.gamma;
    t->c.tube[2] = t->tp.tau;
    p->has_fstar = p->has_L = 1;
    p->fstar = -(double)d * sb_tube_nu(&t->tp);
    p->L = sb_tube_curvature(&t->tp);
    int st = SB_OK;
    if (rotated) {
        t->c.Q = malloc(d * d * sizeof *t->c.Q);
        t->hy = malloc(d * sizeof *t->hy);
        t->hg = malloc(d * sizeof *t->hg);
        if (!t->c.Q || !t->hy || !t->hg) {
            st = sb_fail(err, SB_ERUNTIME, "tube-rotated: out of memory for d = %zu", d);
            goto fail;
        }
        st = o->rotation_file ? sb_rotation_read(o->rotation_file, d, t->c.Q, err)
                              : sb_rotation_haar(d, o->seed, t->c.Q, err);
        if (st != SB_OK)
            goto fail;
    }
    /* Default start (DESIGN.md 5.1): x0 = Q^T u, u uniform in [-1, 1]^d, seeded. */
    sb_uniforms(o->seed, SB_STREAM_START, 0, d, -1.0, 1.0, rotated ? t->hy : p->x0);
    if (rotated)
        sb_matvec_t(d, t->c.Q, t->hy, p->x0);
    if (ctx) {
        p->ctx = ctx;
        if ((st = sb_ctx_kernel(ctx, "tube_grad", &t->k, err)) != SB_OK ||
            (st = sb_ctx_kernel(ctx, "oracle_noise", &t->c.noise, err)) != SB_OK ||
            (st = sb_problem_buffer(ctx, d, NULL, &t->y, err)) != SB_OK ||
            (st = sb_problem_buffer(ctx, d, NULL, &t->gy, err)) != SB_OK ||
            (st = sb_problem_buffer(ctx, 1, NULL, &t->f, err)) != SB_OK)
            goto fail;
        if (rotated && (st = sb_problem_buffer(ctx, d * d, t->c.Q, &t->Qd, err)) != SB_OK)
            goto fail;
    }
    *out = p;
    return SB_OK;
fail:
    sb_problem_free(p);
    return st;
}
