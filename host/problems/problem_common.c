/* problem_common.c - what every problem shares: allocation and release of an
 * sb_problem, its accessors, and device helpers (kernel launch, GEMV, sums, buffers). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <clblast_c.h>

#include "problem_impl.h"

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

int sb_problem_check_size(const char *name, double host_bytes, double dev_largest,
                          double dev_total, const sb_ctx *ctx, sb_err *err)
{
    char a[32], b[32];
    double host = sb_host_memory();
    if (host_bytes > 0.5 * host)
        return sb_fail(err, SB_EUSAGE,
                       "%s: needs %s of host memory, more than half of this "
                       "machine's %s",
                       name, sb_human_bytes(host_bytes, a, sizeof a),
                       sb_human_bytes(host, b, sizeof b));
    if (!ctx)
        return SB_OK;
    if (ctx->max_alloc && dev_largest > (double)ctx->max_alloc)
        return sb_fail(err, SB_EUSAGE,
                       "%s: needs a device buffer of %s, %s allocates at most "
                       "%s (CL_DEVICE_MAX_MEM_ALLOC_SIZE)",
                       name, sb_human_bytes(dev_largest, a, sizeof a), ctx->dev.name,
                       sb_human_bytes((double)ctx->max_alloc, b, sizeof b));
    if (ctx->global_mem && dev_total > (double)ctx->global_mem)
        return sb_fail(err, SB_EUSAGE, "%s: needs %s of device memory, %s has %s", name,
                       sb_human_bytes(dev_total, a, sizeof a), ctx->dev.name,
                       sb_human_bytes((double)ctx->global_mem, b, sizeof b));
    return SB_OK;
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

int sb_problem_run(sb_ctx *ctx, cl_kernel k, size_t n, sb_err *err)
{
    size_t local = ctx->params->local_size, global = sb_round_up(n ? n : 1, local);
    cl_int rc =
        clEnqueueNDRangeKernel(ctx->queue, k, 1, NULL, &global, &local, 0, NULL, NULL);
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
        cl_int rc =
            clEnqueueFillBuffer(ctx->queue, y, &zero, sizeof zero, 0,
                                (trans ? cols : rows) * sizeof(float), 0, NULL, NULL);
        if (SB_CLFAIL(rc, err, "clEnqueueFillBuffer"))
            return err->code;
    }
    CLBlastStatusCode s = CLBlastSgemv(
        CLBlastLayoutRowMajor, trans ? CLBlastTransposeYes : CLBlastTransposeNo, rows, cols,
        alpha, A, 0, cols, x, 0, 1, beta, y, 0, 1, &ctx->queue, &ev);
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
    cl_int rc =
        clEnqueueReadBuffer(ctx->queue, buf, CL_TRUE, 0, n * sizeof *h, h, 0, NULL, NULL);
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
    cl_int rc =
        clEnqueueWriteBuffer(ctx->queue, buf, CL_TRUE, 0, n * sizeof *h, h, 0, NULL, NULL);
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
    cl_int rc =
        clEnqueueReadBuffer(ctx->queue, buf, CL_TRUE, 0, n * sizeof *h, h, 0, NULL, NULL);
    if (!SB_CLFAIL(rc, err, "clEnqueueReadBuffer"))
        for (size_t i = 0; i < n; i++)
            v[i] = h[i];
    free(h);
    return rc == CL_SUCCESS ? SB_OK : err->code;
}

int sb_problem_buffer(sb_ctx *ctx, size_t n, const double *init, cl_mem *out, sb_err *err)
{
    *out = NULL;
    if (sb_buffer(ctx, CL_MEM_READ_WRITE, (n ? n : 1) * sizeof(float), NULL, out, err) !=
        SB_OK)
        return err->code;
    if (init && sb_problem_put(ctx, *out, init, n, err) != SB_OK) {
        clReleaseMemObject(*out);
        *out = NULL;
        return err->code;
    }
    return SB_OK;
}
