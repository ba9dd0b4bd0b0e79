/* problem.c - sb_problem_create dispatch, problem CLI options and defaults, and the
 * device helpers the problem implementations share (kernel launch, GEMV, sums). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <clblast_c.h>

#include "cli.h"
#include "problem.h"

void sb_problem_opts_init(sb_problem_opts *o)
{
    memset(o, 0, sizeof *o);
    o->lambda = -1.0;
}

int sb_problem_create(const sb_problem_opts *o, sb_ctx *ctx, sb_problem **out, sb_err *err)
{
    *out = NULL;
    if (!o->name)
        return sb_fail(err, SB_EUSAGE, "--problem is required (tube, tube-rotated, logreg, "
                       "quad, quad-rotated)");
    if (strcmp(o->name, "logreg")) {
        const char *opt = o->data ? "data" : o->format ? "format" : o->bias ? "bias"
                          : o->standardize ? "standardize" : o->lambda >= 0 ? "lambda"
                          : o->test_split > 0 ? "test-split" : o->n_synth ? "n"
                          : o->label_noise > 0 ? "label-noise" : o->gemv ? "gemv"
                          : o->label_col ? "label-col" : NULL;
        if (opt)
            return sb_fail(err, SB_EUSAGE, "%s: --%s belongs to --problem logreg", o->name,
                           opt);
    }
    if (!strcmp(o->name, "tube"))
        return sb_problem_tube_create(o, ctx, 0, out, err);
    if (!strcmp(o->name, "tube-rotated"))
        return sb_problem_tube_create(o, ctx, 1, out, err);
    if (!strcmp(o->name, "quad"))
        return sb_problem_quad_create(o, ctx, 0, out, err);
    if (!strcmp(o->name, "quad-rotated"))
        return sb_problem_quad_create(o, ctx, 1, out, err);
    if (!strcmp(o->name, "logreg"))
        return sb_problem_logreg_create(o, ctx, out, err);
    return sb_fail(err, SB_EUSAGE, "unknown problem '%s' (choose tube, tube-rotated, logreg, "
                   "quad, quad-rotated)", o->name);
}

void sb_problem_free(sb_problem *p)
{
    if (!p)
        return;
    if (p->vt && p->vt->destroy)
        p->vt->destroy(p);
    sb_problem_common *c = p->impl;
    if (c) {
        free(c->Q);
        if (c->noise)
            clReleaseKernel(c->noise);
    }
    free(p->impl);
    free(p->x0);
    free(p);
}

const double *sb_problem_tube_params(const sb_problem *p)
{
    if (!p || strncmp(p->name, "tube", 4))
        return NULL;
    return ((const sb_problem_common *)p->impl)->tube;
}

const double *sb_problem_rotation(const sb_problem *p)
{
    return p && p->impl ? ((const sb_problem_common *)p->impl)->Q : NULL;
}

int sb_problem_alloc(const char *name, size_t d, size_t impl_size, sb_problem **out,
                     sb_err *err)
{
    sb_problem *p = calloc(1, sizeof *p);
    if (p) {
        p->x0 = calloc(d ? d : 1, sizeof *p->x0);
        p->impl = calloc(1, impl_size);
    }
    if (!p || !p->x0 || !p->impl) {
        if (p) {
            free(p->x0);
            free(p->impl);
        }
        free(p);
        return sb_fail(err, SB_ERUNTIME, "%s: out of memory (d = %zu)", name, d);
    }
    snprintf(p->name, sizeof p->name, "%s", name);
    p->d = d;
    *out = p;
    return SB_OK;
}

/* ---- CLI ----------------------------------------------------------------------- */

static int pick(const char *opt, const char *arg, const char *const *choices, sb_err *err)
{
    for (int i = 0; choices[i]; i++)
        if (!strcmp(arg, choices[i]))
            return i;
    char list[256] = "";
    for (int i = 0; choices[i]; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                 choices[i]);
    sb_fail(err, SB_EUSAGE, "%s: unknown value '%s' (choose %s)", opt, arg, list);
    return -1;
}

int sb_problem_cli(int c, const char *arg, sb_problem_opts *o, sb_err *err)
{
    static const char *const problems[] = {"tube", "tube-rotated", "logreg", "quad",
                                           "quad-rotated", NULL};
    /* "continuation" is DESIGN.md's name (and the tube command's); "continue" is kept as
     * an alias because train/eval accepted it first. */
    static const char *const domains[] = {"continuation", "strict", "continue", NULL};
    static const char *const formats[] = {"libsvm", "csv", NULL};
    static const char *const gemvs[] = {"native", "clblast", NULL};
    static const char *const spectra[] = {"equal", "linear", "log", NULL};
    long l;
    int k;
    switch (c) {
    case SB_OPT_PROBLEM:
        if ((k = pick("--problem", arg, problems, err)) < 0)
            return -1;
        o->name = problems[k];
        return 1;
    case SB_OPT_D:
        if (sb_parse_size("--d", arg, &o->d, err) != SB_OK)
            return -1;
        if (o->d < 1)
            return sb_fail(err, SB_EUSAGE, "--d: must be at least 1"), -1;
        return 1;
    case SB_OPT_TUBE_L:
        return sb_parse_double("--tube-L", arg, 1e-12, 1e12, &o->tube_L, err) ? -1 : 1;
    case SB_OPT_TUBE_GAMMA:
        return sb_parse_double("--tube-gamma", arg, 1e-12, 1e12, &o->tube_gamma, err) ? -1 : 1;
    case SB_OPT_TUBE_TAU:
        return sb_parse_double("--tube-tau", arg, 1e-12, 1e12, &o->tube_tau, err) ? -1 : 1;
    case SB_OPT_TUBE_DOMAIN:
        if ((k = pick("--tube-domain", arg, domains, err)) < 0)
            return -1;
        o->tube_strict = k == 1;
        return 1;
    case SB_OPT_ROTATION:
        o->rotation_file = arg;
        return 1;
    case SB_OPT_DATA:
        o->data = arg;
        return 1;
    case SB_OPT_FORMAT:
        if ((k = pick("--format", arg, formats, err)) < 0)
            return -1;
        o->format = formats[k];
        return 1;
    case SB_OPT_LABEL_COL:
        if (sb_parse_long("--label-col", arg, 0, 1000000, &l, err) != SB_OK)
            return -1;
        o->label_col = (int)l;
        return 1;
    case SB_OPT_BIAS:
        o->bias = 1;
        return 1;
    case SB_OPT_STANDARDIZE:
        o->standardize = 1;
        return 1;
    case SB_OPT_LAMBDA:
        return sb_parse_double("--lambda", arg, 0.0, 1e12, &o->lambda, err) ? -1 : 1;
    case SB_OPT_TEST_SPLIT:
        if (sb_parse_double("--test-split", arg, 0.0, 1.0, &o->test_split, err) != SB_OK)
            return -1;
        if (o->test_split >= 1.0)
            return sb_fail(err, SB_EUSAGE, "--test-split: must be below 1 (a fraction of the "
                           "rows held out)"), -1;
        return 1;
    case SB_OPT_NSYNTH:
        if (sb_parse_size("--n", arg, &o->n_synth, err) != SB_OK)
            return -1;
        if (o->n_synth < 1)
            return sb_fail(err, SB_EUSAGE, "--n: must be at least 1"), -1;
        return 1;
    case SB_OPT_LABEL_NOISE:
        return sb_parse_double("--label-noise", arg, 0.0, 1.0, &o->label_noise, err) ? -1 : 1;
    case SB_OPT_GEMV:
        if ((k = pick("--gemv", arg, gemvs, err)) < 0)
            return -1;
        o->gemv = gemvs[k];
        return 1;
    case SB_OPT_SPECTRUM:
        if ((k = pick("--spectrum", arg, spectra, err)) < 0)
            return -1;
        o->spectrum = spectra[k];
        return 1;
    case SB_OPT_COND:
        return sb_parse_double("--cond", arg, 1.0, 1e12, &o->cond, err) ? -1 : 1;
    default:
        return 0;
    }
}

/* ---- device helpers --------------------------------------------------------------- */

int sb_problem_run(sb_ctx *ctx, cl_kernel k, size_t n, sb_err *err)
{
    size_t local = ctx->params->local_size, global = sb_round_up(n ? n : 1, local);
    cl_int rc = clEnqueueNDRangeKernel(ctx->queue, k, 1, NULL, &global, &local, 0, NULL, NULL);
    if (SB_CLFAIL(rc, err, "clEnqueueNDRangeKernel"))
        return err->code;
    return SB_OK;
}

int sb_problem_gemv(sb_ctx *ctx, int trans, size_t rows, size_t cols, float alpha, cl_mem A,
                    cl_mem x, float beta, cl_mem y, sb_err *err)
{
    cl_event ev = NULL;
    if (beta == 0.0f) {
        /* CLBlast computes beta * y even for beta = 0: a NaN left in y would survive. */
        cl_float zero = 0.0f;
        cl_int rc = clEnqueueFillBuffer(ctx->queue, y, &zero, sizeof zero, 0,
                                        (trans ? cols : rows) * sizeof(float), 0, NULL, NULL);
        if (SB_CLFAIL(rc, err, "clEnqueueFillBuffer"))
            return err->code;
    }
    CLBlastStatusCode s = CLBlastSgemv(CLBlastLayoutRowMajor,
                                       trans ? CLBlastTransposeYes : CLBlastTransposeNo, rows,
                                       cols, alpha, A, 0, cols, x, 0, 1, beta, y, 0, 1,
                                       &ctx->queue, &ev);
    if (ev)
        clReleaseEvent(ev);
    if (s != CLBlastSuccess)
        return sb_fail(err, SB_ERUNTIME, "CLBlastSgemv (%zu x %zu) failed with status %d",
                       rows, cols, (int)s);
    return SB_OK;
}

int sb_problem_sum(sb_ctx *ctx, cl_mem buf, size_t n, double *sum, sb_err *err)
{
    float *h = malloc((n ? n : 1) * sizeof *h);
    if (!h)
        return sb_fail(err, SB_ERUNTIME, "out of memory");
    cl_int rc = clEnqueueReadBuffer(ctx->queue, buf, CL_TRUE, 0, n * sizeof *h, h, 0, NULL, NULL);
    if (SB_CLFAIL(rc, err, "clEnqueueReadBuffer")) {
        free(h);
        return err->code;
    }
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += h[i];
    free(h);
    *sum = s;
    return SB_OK;
}

int sb_problem_put(sb_ctx *ctx, cl_mem buf, const double *v, size_t n, sb_err *err)
{
    float *h = malloc((n ? n : 1) * sizeof *h);
    if (!h)
        return sb_fail(err, SB_ERUNTIME, "out of memory");
    for (size_t i = 0; i < n; i++)
        h[i] = (float)v[i];
    cl_int rc = clEnqueueWriteBuffer(ctx->queue, buf, CL_TRUE, 0, n * sizeof *h, h, 0, NULL,
                                     NULL);
    free(h);
    if (SB_CLFAIL(rc, err, "clEnqueueWriteBuffer"))
        return err->code;
    return SB_OK;
}

int sb_problem_get(sb_ctx *ctx, cl_mem buf, double *v, size_t n, sb_err *err)
{
    float *h = malloc((n ? n : 1) * sizeof *h);
    if (!h)
        return sb_fail(err, SB_ERUNTIME, "out of memory");
    cl_int rc = clEnqueueReadBuffer(ctx->queue, buf, CL_TRUE, 0, n * sizeof *h, h, 0, NULL, NULL);
    if (!SB_CLFAIL(rc, err, "clEnqueueReadBuffer"))
        for (size_t i = 0; i < n; i++)
            v[i] = h[i];
    free(h);
    return rc == CL_SUCCESS ? SB_OK : err->code;
}

int sb_problem_buffer(sb_ctx *ctx, size_t n, const double *init, cl_mem *out, sb_err *err)
{
    *out = NULL;
    if (sb_buffer(ctx, CL_MEM_READ_WRITE, (n ? n : 1) * sizeof(float), NULL, out, err) != SB_OK)
        return err->code;
    if (init && sb_problem_put(ctx, *out, init, n, err) != SB_OK) {
        clReleaseMemObject(*out);
        *out = NULL;
        return err->code;
    }
    return SB_OK;
}
