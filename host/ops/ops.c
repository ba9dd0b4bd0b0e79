/* ops.c - host side of the vector kernels (ops.h): creates them once per context and
 * launches them with a work split that suits the device; reductions finish in double. */
#include <limits.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"

/* Minimal traffic per element (DESIGN.md section 3): x, g read and x written is 12 B;
 * each state vector adds a read and a write. ef-signsgd makes two passes: g, e read and
 * e written (12 B), then x, e read and written (16 B). */
const sb_update_info sb_updates[] = {
    {"sgd", "update_sgd", 0, 0, 12.0},
    {"momentum", "update_momentum", 1, 0, 20.0},
    {"signsgd", "update_signsgd", 0, 1, 12.0},
    {"signum", "update_signum", 1, 1, 20.0},
    {"ef-signsgd", "update_ef_signsgd", 1, 1, 28.0},
    {"lion", "update_lion", 1, 1, 20.0},
    {"adam", "update_adam", 2, 0, 28.0},
    {"rmsprop", "update_rmsprop", 1, 0, 20.0},
    {NULL, NULL, 0, 0, 0.0},
};

const sb_update_info *sb_update_find(const char *name)
{
    if (!name)
        return NULL;
    for (const sb_update_info *u = sb_updates; u->name; u++) {
        if (strcmp(u->name, name) == 0 || strcmp(u->kernel, name) == 0 ||
            strcmp(u->kernel + strlen("update_"), name) == 0)
            return u;
    }
    return NULL;
}

/* Indices into sb_ops.k. */
enum {
    K_SIGN,
    K_PACK,
    K_UNPACK,
    K_VOTE,
    K_VOTE_UPDATE,
    K_SCALED_SIGN,
    K_NORM1,
    K_NORM2,
    K_NORMINF,
    K_DOT,
    K_COPY,
    K_READ,
    K_RMW,
    K_EF_ACC,
    K_UPDATE0, /* then one per sb_updates row */
    K_COUNT = K_UPDATE0 + 8
};

static const char *kernel_names[K_UPDATE0] = {
    "vec_sign",        "vec_pack",     "vec_unpack",   "vec_vote",       "vec_vote_update",
    "vec_scaled_sign", "reduce_norm1", "reduce_norm2", "reduce_norminf", "reduce_dot",
    "vec_copy",        "vec_read",     "vec_rmw",      "ef_accumulate",
};

/* Work-groups per compute unit at most: enough for load balance; each work-item then
 * streams a contiguous chunk (CPU) or strides over the grid (GPU). */
#ifndef GROUPS_PER_CU
#define GROUPS_PER_CU 64
#endif

static size_t max_groups(const sb_ops *o)
{
    size_t cu = o->ctx->compute_units ? o->ctx->compute_units : 1;
    const sb_devparams *p = o->ctx->params;
    return cu * (p && p->groups_per_cu ? p->groups_per_cu : GROUPS_PER_CU);
}

/* Global size for `units` units of work (float4 vectors, packed words...). */
static size_t global_for(const sb_ops *o, size_t units)
{
    size_t groups = (units + o->local - 1) / o->local;
    if (groups < 1)
        groups = 1;
    if (groups > max_groups(o))
        groups = max_groups(o);
    return groups * o->local;
}

int sb_ops_init(sb_ops *o, sb_ctx *ctx, sb_err *err)
{
    memset(o, 0, sizeof *o);
    o->ctx = ctx;
    o->local = ctx->params ? ctx->params->local_size : 64;
    if (ctx->max_wg && o->local > ctx->max_wg)
        return sb_fail(err, SB_ERUNTIME,
                       "work-group size %zu from the device table exceeds the maximum "
                       "%zu of %s (fix sb_params_table in host/ocl/ocl.c)",
                       o->local, ctx->max_wg, ctx->dev.name);
    int st;
    for (int i = 0; i < K_UPDATE0; i++)
        if ((st = sb_ctx_kernel(ctx, kernel_names[i], &o->k[i], err)) != SB_OK)
            goto fail;
    for (int i = 0; sb_updates[i].name; i++)
        if ((st = sb_ctx_kernel(ctx, sb_updates[i].kernel, &o->k[K_UPDATE0 + i], err)) !=
            SB_OK)
            goto fail;
    o->partial_n = max_groups(o) + 1;
    if ((st = sb_buffer(ctx, CL_MEM_READ_WRITE, o->partial_n * sizeof(float), NULL,
                        &o->partial, err)) != SB_OK)
        goto fail;
    if ((st = sb_buffer(ctx, CL_MEM_READ_WRITE, sizeof(cl_int), NULL, &o->flag, err)) !=
        SB_OK)
        goto fail;
    o->partial_host = malloc(o->partial_n * sizeof(float));
    if (!o->partial_host) {
        st = sb_fail(err, SB_ERUNTIME, "out of host memory for %zu partial sums",
                     o->partial_n);
        goto fail;
    }
    return SB_OK;
fail:
    sb_ops_free(o);
    return st;
}

void sb_ops_free(sb_ops *o)
{
    for (int i = 0; i < K_COUNT; i++)
        if (o->k[i])
            clReleaseKernel(o->k[i]);
    for (size_t i = 0; i < sizeof o->stream_k / sizeof o->stream_k[0]; i++)
        if (o->stream_k[i])
            clReleaseKernel(o->stream_k[i]);
    if (o->partial)
        clReleaseMemObject(o->partial);
    if (o->flag)
        clReleaseMemObject(o->flag);
    free(o->partial_host);
    memset(o, 0, sizeof *o);
}

/* ---- launching -------------------------------------------------------------- */

static int check_n(size_t n, const char *what, sb_err *err)
{
    if (n > UINT_MAX)
        return sb_fail(err, SB_EUSAGE,
                       "%s: %zu elements is more than the kernels' limit %u", what, n,
                       UINT_MAX);
    return SB_OK;
}

#define SETARG(k, i, v)                                                                    \
    do {                                                                                   \
        cl_int rc_ = clSetKernelArg((k), (i), sizeof(v), &(v));                            \
        if (SB_CLFAIL(rc_, err, "clSetKernelArg"))                                         \
            return sb_wrap(err, "argument %d of %s", (i), #k);                             \
    } while (0)

/* Enqueue k over `global` work-items; with dev_s, wait and add its device time. */
static int launch(sb_ops *o, cl_kernel k, size_t global, const char *what, double *dev_s,
                  sb_err *err)
{
    cl_event ev = NULL;
    cl_int rc = clEnqueueNDRangeKernel(o->ctx->queue, k, 1, NULL, &global, &o->local, 0,
                                       NULL, dev_s ? &ev : NULL);
    if (SB_CLFAIL(rc, err, "clEnqueueNDRangeKernel"))
        return sb_wrap(err, "kernel %s on %s", what, o->ctx->dev.name);
    if (dev_s) {
        rc = clWaitForEvents(1, &ev);
        if (rc == CL_SUCCESS)
            *dev_s += sb_event_seconds(ev);
        clReleaseEvent(ev);
        if (SB_CLFAIL(rc, err, "clWaitForEvents"))
            return sb_wrap(err, "kernel %s on %s", what, o->ctx->dev.name);
    }
    return SB_OK;
}

static int clear_flag(sb_ops *o, sb_err *err)
{
    cl_int zero = 0;
    cl_int rc = clEnqueueWriteBuffer(o->ctx->queue, o->flag, CL_TRUE, 0, sizeof zero, &zero,
                                     0, NULL, NULL);
    if (SB_CLFAIL(rc, err, "clEnqueueWriteBuffer"))
        return sb_wrap(err, "clearing the NaN flag");
    return SB_OK;
}

static int read_flag(sb_ops *o, int *nan, sb_err *err)
{
    cl_int v = 0;
    cl_int rc = clEnqueueReadBuffer(o->ctx->queue, o->flag, CL_TRUE, 0, sizeof v, &v, 0,
                                    NULL, NULL);
    if (SB_CLFAIL(rc, err, "clEnqueueReadBuffer"))
        return sb_wrap(err, "reading the NaN flag");
    *nan = v != 0;
    return SB_OK;
}

/* Sum (or max) the first `groups` partials in double. */
static int combine_partials(sb_ops *o, size_t groups, int max, double *out, sb_err *err)
{
    cl_int rc = clEnqueueReadBuffer(o->ctx->queue, o->partial, CL_TRUE, 0,
                                    groups * sizeof(float), o->partial_host, 0, NULL, NULL);
    if (SB_CLFAIL(rc, err, "clEnqueueReadBuffer"))
        return sb_wrap(err, "reading %zu partial sums", groups);
    double s = 0.0;
    for (size_t i = 0; i < groups; i++) {
        double v = o->partial_host[i];
        s = max ? (v > s ? v : s) : s + v;
    }
    *out = s;
    return SB_OK;
}

/* ---- the ops ------------------------------------------------------------------ */

static int sign_or_pack(sb_ops *o, int kind, cl_mem g, cl_mem out, size_t n, int *nan,
                        double *dev_s, sb_err *err)
{
    const char *what = kind == K_SIGN ? "sign" : "pack";
    if (check_n(n, what, err))
        return err->code;
    if (nan)
        *nan = 0;
    if (n == 0)
        return SB_OK;
    if (nan && clear_flag(o, err))
        return err->code;
    cl_kernel k = o->k[kind];
    cl_uint un = (cl_uint)n;
    SETARG(k, 0, g);
    SETARG(k, 1, out);
    SETARG(k, 2, un);
    SETARG(k, 3, o->flag);
    /* sign: units of 16 floats and at least 15 work-items for the tail */
    size_t units = kind == K_SIGN ? n / 16 + 15 : n / 32;
    if (launch(o, k, global_for(o, units), what, dev_s, err))
        return err->code;
    return nan ? read_flag(o, nan, err) : SB_OK;
}

int sb_op_sign(sb_ops *o, cl_mem g, cl_mem s, size_t n, int *nan, double *dev_s,
               sb_err *err)
{
    return sign_or_pack(o, K_SIGN, g, s, n, nan, dev_s, err);
}

int sb_op_pack(sb_ops *o, cl_mem g, cl_mem bits, size_t n, int *nan, double *dev_s,
               sb_err *err)
{
    return sign_or_pack(o, K_PACK, g, bits, n, nan, dev_s, err);
}

int sb_op_unpack(sb_ops *o, cl_mem bits, cl_mem s, size_t n, double *dev_s, sb_err *err)
{
    if (check_n(n, "unpack", err))
        return err->code;
    if (n == 0)
        return SB_OK;
    cl_kernel k = o->k[K_UNPACK];
    cl_uint un = (cl_uint)n;
    SETARG(k, 0, bits);
    SETARG(k, 1, s);
    SETARG(k, 2, un);
    /* units of 4 words, and at least 3 work-items for the last full words */
    return launch(o, k, global_for(o, n / 128 + 3), "unpack", dev_s, err);
}

static int check_m(int m, sb_err *err)
{
    if (m < 1 || m > 65535)
        return sb_fail(err, SB_EUSAGE, "vote: %d voters; need 1 to 65535", m);
    return SB_OK;
}

int sb_op_vote(sb_ops *o, cl_mem bits, int m, size_t n, cl_mem out, double *dev_s,
               sb_err *err)
{
    if (check_n(n, "vote", err) || check_m(m, err))
        return err->code;
    if (n == 0)
        return SB_OK;
    cl_kernel k = o->k[K_VOTE];
    cl_uint nw = (cl_uint)((n + 31) / 32);
    SETARG(k, 0, bits);
    SETARG(k, 1, m);
    SETARG(k, 2, nw);
    SETARG(k, 3, out);
    /* at least 16 work-items: each covers one of the up to 15 words after the units */
    return launch(o, k, global_for(o, nw / 16 + 15), "vote", dev_s, err);
}

int sb_op_vote_update(sb_ops *o, cl_mem x, cl_mem bits, int m, size_t n, float lr,
                      double *dev_s, sb_err *err)
{
    if (check_n(n, "vote_update", err) || check_m(m, err))
        return err->code;
    if (n == 0)
        return SB_OK;
    cl_kernel k = o->k[K_VOTE_UPDATE];
    cl_uint un = (cl_uint)n;
    SETARG(k, 0, x);
    SETARG(k, 1, bits);
    SETARG(k, 2, m);
    SETARG(k, 3, un);
    SETARG(k, 4, lr);
    return launch(o, k, global_for(o, n / 256), "vote_update", dev_s, err);
}

/* Launch a partial-sum kernel (norms, dot, read) and combine in double. */
static int reduce_raw(sb_ops *o, int kind, cl_mem a, cl_mem b, size_t n, int max,
                      double *out, double *dev_s, sb_err *err)
{
    *out = 0.0;
    if (n == 0)
        return SB_OK;
    cl_kernel k = o->k[kind];
    cl_uint un = (cl_uint)n;
    SETARG(k, 0, a);
    SETARG(k, 1, b);
    SETARG(k, 2, un);
    SETARG(k, 3, o->partial);
    size_t global = global_for(o, n / 16); /* SB_REDUCE_KERNEL reads float16 */
    if (launch(o, k, global, kernel_names[kind], dev_s, err))
        return err->code;
    return combine_partials(o, global / o->local, max, out, err);
}

int sb_op_reduce(sb_ops *o, sb_reduce_kind kind, cl_mem a, cl_mem b, size_t n, double *out,
                 double *dev_s, sb_err *err)
{
    if (check_n(n, "reduce", err))
        return err->code;
    int st;
    switch (kind) {
    case SB_NORM1: return reduce_raw(o, K_NORM1, a, a, n, 0, out, dev_s, err);
    case SB_NORM2:
        st = reduce_raw(o, K_NORM2, a, a, n, 0, out, dev_s, err);
        if (st == SB_OK)
            *out = sqrt(*out);
        return st;
    case SB_NORMINF: return reduce_raw(o, K_NORMINF, a, a, n, 1, out, dev_s, err);
    case SB_DOT:
        if (!b)
            return sb_fail(err, SB_EUSAGE, "dot needs a second vector");
        return reduce_raw(o, K_DOT, a, b, n, 0, out, dev_s, err);
    }
    return sb_fail(err, SB_EUSAGE, "unknown reduction %d", (int)kind);
}

int sb_op_scaled_sign(sb_ops *o, cl_mem g, cl_mem out, size_t n, double *dev_s, sb_err *err)
{
    if (check_n(n, "scaled_sign", err))
        return err->code;
    if (n == 0)
        return SB_OK;
    double norm1;
    if (reduce_raw(o, K_NORM1, g, g, n, 0, &norm1, dev_s, err))
        return sb_wrap(err, "scaled_sign");
    cl_kernel k = o->k[K_SCALED_SIGN];
    cl_uint un = (cl_uint)n;
    float scale = (float)(norm1 / (double)n);
    SETARG(k, 0, g);
    SETARG(k, 1, out);
    SETARG(k, 2, un);
    SETARG(k, 3, scale);
    return launch(o, k, global_for(o, n / 16 + 15), "scaled_sign", dev_s, err);
}

int sb_op_update(sb_ops *o, const sb_update_info *u, cl_mem x, cl_mem g, cl_mem s1,
                 cl_mem s2, size_t n, sb_hyper h, double *dev_s, sb_err *err)
{
    /* Callers may pass a copy of a table row: find the row by its kernel name. */
    const sb_update_info *row = u && u->kernel ? sb_update_find(u->kernel) : NULL;
    if (!row)
        return sb_fail(err, SB_EUSAGE, "unknown optimiser update %s",
                       u && u->name ? u->name : "(null)");
    u = row;
    if (check_n(n, u->name, err))
        return err->code;
    if (u->nstate > 0 && !s1)
        return sb_fail(err, SB_EUSAGE, "%s needs a state vector s1", u->name);
    if (u->nstate > 1 && !s2)
        return sb_fail(err, SB_EUSAGE, "%s needs a second state vector s2", u->name);
    if (n == 0)
        return SB_OK;
    /* Unused state arguments must still be valid buffers. */
    cl_mem a = s1 ? s1 : x, b = s2 ? s2 : (s1 ? s1 : x);
    cl_uint un = (cl_uint)n;
    /* One work-item per 8 elements (fewer at large n): the kernels' loops cover any
     * global size (update.cl on 1 or 8 floats, ef_accumulate on 16). */
    size_t global = global_for(o, n / 8);
    if (strcmp(u->kernel, "update_ef_signsgd") == 0) {
        cl_kernel k = o->k[K_EF_ACC];
        SETARG(k, 0, x);
        SETARG(k, 1, g);
        SETARG(k, 2, a);
        SETARG(k, 3, un);
        SETARG(k, 4, h);
        SETARG(k, 5, o->partial);
        if (launch(o, k, global, "ef_accumulate", dev_s, err))
            return err->code;
        double norm1;
        if (combine_partials(o, global / o->local, 0, &norm1, err))
            return err->code;
        h.scale = (float)(norm1 / (double)n);
    }
    cl_kernel k = o->k[K_UPDATE0 + (u - sb_updates)];
    SETARG(k, 0, x);
    SETARG(k, 1, g);
    SETARG(k, 2, a);
    SETARG(k, 3, b);
    SETARG(k, 4, un);
    SETARG(k, 5, h);
    return launch(o, k, global, u->kernel, dev_s, err);
}

/* ---- roofline references -------------------------------------------------------- */

int sb_op_copy(sb_ops *o, cl_mem a, cl_mem b, size_t n, double *dev_s, sb_err *err)
{
    if (check_n(n, "copy", err))
        return err->code;
    if (n == 0)
        return SB_OK;
    cl_kernel k = o->k[K_COPY];
    cl_uint un = (cl_uint)n;
    SETARG(k, 0, a);
    SETARG(k, 1, b);
    SETARG(k, 2, un);
    return launch(o, k, global_for(o, n / 16 + 15), "copy", dev_s, err);
}

int sb_op_read(sb_ops *o, cl_mem a, size_t n, double *sum, double *dev_s, sb_err *err)
{
    if (check_n(n, "read", err))
        return err->code;
    return reduce_raw(o, K_READ, a, a, n, 0, sum, dev_s, err);
}

int sb_op_rmw(sb_ops *o, cl_mem x, cl_mem g, size_t n, float a, double *dev_s, sb_err *err)
{
    if (check_n(n, "rmw", err))
        return err->code;
    if (n == 0)
        return SB_OK;
    cl_kernel k = o->k[K_RMW];
    cl_uint un = (cl_uint)n;
    SETARG(k, 0, x);
    SETARG(k, 1, g);
    SETARG(k, 2, un);
    SETARG(k, 3, a);
    return launch(o, k, global_for(o, n / 8), "rmw", dev_s, err);
}

/* ---- ceiling variants ------------------------------------------------------------ */

const sb_pattern_info sb_patterns[SB_PAT_N] = {
    {"read", 1, 0, 0, 1, 4.0},  {"write", 0, 0, 1, 0, 4.0},     {"copy", 1, 0, 1, 0, 8.0},
    {"scale", 0, 1, 0, 0, 8.0}, {"rmw", 1, 1, 0, 0, 12.0},      {"rmw2", 1, 2, 0, 0, 20.0},
    {"rmw3", 1, 3, 0, 0, 28.0}, {"inplace2", 0, 2, 0, 0, 16.0}, {"read2", 2, 0, 0, 1, 8.0},
};

static int width_index(int width)
{
    return width == 1 ? 0 : width == 4 ? 1 : width == 8 ? 2 : width == 16 ? 3 : -1;
}

size_t sb_op_stream_items(const sb_ops *o, int width, size_t local, size_t n)
{
    size_t units = width > 0 ? n / (size_t)width : n;
    size_t groups = (units + local - 1) / local;
    if (groups < 1)
        groups = 1;
    if (groups > max_groups(o))
        groups = max_groups(o);
    return groups * local;
}

_Static_assert(SB_PAT_N * 32 == sizeof((sb_ops *)0)->stream_k / sizeof(cl_kernel),
               "stream_k holds one kernel per pattern, width and shape");

/* The kernel of one variant (roofline.cl: ceil_PAT_wW_{c,g}[n|s]), created on first use;
 * NULL with *err set when the program has none. */
static cl_kernel stream_kernel(sb_ops *o, sb_pattern p, int width, int shape, sb_err *err)
{
    int w = width_index(width);
    if (p < 0 || p >= SB_PAT_N || w < 0 || shape < 0 || shape > 7) {
        sb_fail(err, SB_EUSAGE, "stream: no variant of pattern %d at width %d", p, width);
        return NULL;
    }
    int idx = (int)p * 32 + 8 * w + shape;
    if (!o->stream_k[idx]) {
        char name[64];
        snprintf(name, sizeof name, "ceil_%s_w%d_%s%s%s", sb_patterns[p].name, width,
                 shape & SB_STREAM_CHUNKED ? "c" : "g", shape & SB_STREAM_NT ? "n" : "",
                 shape & SB_STREAM_S4 ? "s" : "");
        if (sb_ctx_kernel(o->ctx, name, &o->stream_k[idx], err) != SB_OK)
            return NULL;
    }
    return o->stream_k[idx];
}

int sb_op_stream_has(sb_ops *o, sb_pattern p, int width, int shape)
{
    sb_err e = {0, ""};
    return stream_kernel(o, p, width, shape, &e) != NULL;
}

int sb_op_stream(sb_ops *o, sb_pattern p, int width, int shape, size_t local, cl_mem in,
                 const cl_mem y[3], cl_mem out, size_t n, float c, double *dev_s,
                 sb_err *err)
{
    if (local == 0)
        return sb_fail(err, SB_EUSAGE, "stream: work-group size 0");
    if (check_n(n, "stream", err))
        return err->code;
    if (n == 0)
        return SB_OK;
    cl_kernel k = stream_kernel(o, p, width, shape, err);
    if (!k)
        return err->code;
    cl_uint nn = (cl_uint)n;
    SETARG(k, 0, in);
    SETARG(k, 1, y[0]);
    SETARG(k, 2, y[1]);
    SETARG(k, 3, y[2]);
    SETARG(k, 4, out);
    SETARG(k, 5, nn);
    SETARG(k, 6, c);
    size_t global = sb_op_stream_items(o, width, local, n);
    size_t saved = o->local;
    o->local = local;
    int st = launch(o, k, global, sb_patterns[p].name, dev_s, err);
    o->local = saved;
    return st;
}
