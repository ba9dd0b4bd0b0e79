/* micro.c - the engine behind `signbench micro` (micro.h): registry, random buffers, one
 * call of each implementation (ours, CLBlast, C loops), ABBA timing and the sweep. */
#define _POSIX_C_SOURCE 200809L
#include <clblast_c.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <Random123/philox.h>

#include "micro.h"
#include "devinfo.h"
#include "ref.h"
#include "topo.h"

/* ---- the kernels ------------------------------------------------------------ */

static const char *const blas_names[] = {"",     "saxpy",  "sasum", "snrm2",
                                         "sdot", "isamax", "scopy"};
/* Minimal bytes per element of each CLBlast routine (reads + writes). */
static const double blas_bytes[] = {0, 12, 4, 4, 8, 4, 8};

static sb_micro_kernel all_kernels[SB_MICRO_MAX_KERNELS];
static int n_all;

static void add_kernel(const char *name, sb_micro_kind k, const sb_update_info *u,
                       sb_pattern p, sb_micro_blas b)
{
    if (n_all < SB_MICRO_MAX_KERNELS)
        all_kernels[n_all++] = (sb_micro_kernel){name, k, u, 1, {p, p}, {0, 0}, b};
}

/* A kernel of two passes: pattern p1 over b1 bytes per element, then p2 over b2. */
static void add_two_pass(const char *name, sb_micro_kind k, const sb_update_info *u,
                         sb_pattern p1, double b1, sb_pattern p2, double b2,
                         sb_micro_blas b)
{
    if (n_all < SB_MICRO_MAX_KERNELS)
        all_kernels[n_all++] = (sb_micro_kernel){name, k, u, 2, {p1, p2}, {b1, b2}, b};
}

/* The pattern of an update's single pass: x and each state vector read and written in
 * place, g read. */
static sb_pattern update_pattern(const sb_update_info *u)
{
    return u->nstate == 0 ? SB_PAT_RMW : u->nstate == 1 ? SB_PAT_RMW2 : SB_PAT_RMW3;
}

/* The registry: references first, then by family. Each kernel's ceiling pattern has its
 * read/write mix: sign copies (read 4, write 4), unpack writes (4 bytes out per 1/8 in),
 * pack, vote and the norms read, vote_update steps x in place; scaled_sign reduces norm1
 * (read) before its copy-like pass, ef-signsgd accumulates e += lr g (rmw) before
 * stepping x and e in place (inplace2). */
static void build_registry(void)
{
    if (n_all)
        return;
    add_kernel("copy", SB_MK_COPY, NULL, SB_PAT_COPY, SB_BL_SCOPY);
    add_kernel("read", SB_MK_READ, NULL, SB_PAT_READ, SB_BL_SASUM);
    add_kernel("rmw", SB_MK_RMW, NULL, SB_PAT_RMW, SB_BL_SAXPY);
    add_kernel("sign", SB_MK_SIGN, NULL, SB_PAT_COPY, SB_BL_SCOPY);
    add_kernel("pack", SB_MK_PACK, NULL, SB_PAT_READ, SB_BL_SASUM);
    add_kernel("unpack", SB_MK_UNPACK, NULL, SB_PAT_WRITE, SB_BL_SCOPY);
    add_kernel("vote", SB_MK_VOTE, NULL, SB_PAT_READ, SB_BL_SASUM);
    add_kernel("vote_update", SB_MK_VOTE_UPDATE, NULL, SB_PAT_SCALE, SB_BL_SAXPY);
    add_two_pass("scaled_sign", SB_MK_SCALED_SIGN, NULL, SB_PAT_READ, 4, SB_PAT_COPY, 8,
                 SB_BL_SCOPY);
    for (const sb_update_info *u = sb_updates; u->name; u++) {
        if (!strcmp(u->name, "ef-signsgd"))
            add_two_pass(u->name, SB_MK_UPDATE, u, SB_PAT_RMW, 12, SB_PAT_INPLACE2, 16,
                         SB_BL_SAXPY);
        else
            add_kernel(u->name, SB_MK_UPDATE, u, update_pattern(u), SB_BL_SAXPY);
    }
    add_kernel("norm1", SB_MK_NORM1, NULL, SB_PAT_READ, SB_BL_SASUM);
    add_kernel("norm2", SB_MK_NORM2, NULL, SB_PAT_READ, SB_BL_SNRM2);
    add_kernel("norminf", SB_MK_NORMINF, NULL, SB_PAT_READ, SB_BL_ISAMAX);
    add_kernel("dot", SB_MK_DOT, NULL, SB_PAT_READ2, SB_BL_SDOT);
}

const sb_micro_kernel *sb_micro_kernels(int *n)
{
    build_registry();
    *n = n_all;
    return all_kernels;
}

const char *sb_micro_ceiling_name(const sb_micro_kernel *k, char *buf, size_t cap)
{
    if (k->npass == 1)
        snprintf(buf, cap, "%s", sb_patterns[k->pass[0]].name);
    else
        snprintf(buf, cap, "%s+%s", sb_patterns[k->pass[0]].name,
                 sb_patterns[k->pass[1]].name);
    return buf;
}

const char *sb_micro_blas_name(sb_micro_blas b)
{
    return blas_names[b];
}

const sb_micro_kernel *sb_micro_find_kernel(const char *name)
{
    build_registry();
    for (int i = 0; i < n_all; i++)
        if (!strcmp(all_kernels[i].name, name))
            return &all_kernels[i];
    return NULL;
}

/* Minimal traffic of one call in bytes (DESIGN.md section 3). */
double sb_micro_kernel_bytes(const sb_micro_kernel *k, size_t n, int m)
{
    double dn = (double)n, words = (double)((n + 31) / 32) * 4;
    switch (k->kind) {
    case SB_MK_COPY: return 8 * dn;
    case SB_MK_READ: return 4 * dn;
    case SB_MK_RMW: return 12 * dn;
    case SB_MK_SIGN: return 8 * dn;
    case SB_MK_PACK: return 4 * dn + words;
    case SB_MK_UNPACK: return words + 4 * dn;
    case SB_MK_VOTE: return (double)m * words + words;
    case SB_MK_VOTE_UPDATE: return (double)m * words + 8 * dn;
    case SB_MK_SCALED_SIGN: return 12 * dn; /* norm1 reads g; then g read, out written */
    case SB_MK_UPDATE: return k->upd->bytes_per_elem * dn;
    case SB_MK_NORM1:
    case SB_MK_NORM2:
    case SB_MK_NORMINF: return 4 * dn;
    case SB_MK_DOT: return 8 * dn;
    }
    return 0;
}

/* ---- buffers ------------------------------------------------------------------ */

/* Philox4x32 stream -> floats uniform in [-1, 1) (or [0, 1) when nonneg): random data
 * defeats value-dependent shortcuts and compression in the memory system. */
static void fill_random(float *v, size_t n, uint32_t stream, int nonneg)
{
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < (n + 3) / 4; i++) {
        philox4x32_ctr_t c = {{(uint32_t)i, (uint32_t)((uint64_t)i >> 32), stream, 0}};
        philox4x32_key_t k = {{0x5eed5167u, 0x0badcafeu}};
        philox4x32_ctr_t r = philox4x32(c, k);
        for (int j = 0; j < 4 && 4 * i + (size_t)j < n; j++) {
            float f = (float)(int32_t)r.v[j] * 0x1p-31f;
            v[4 * i + (size_t)j] = nonneg ? fabsf(f) : f;
        }
    }
}

/* Random packed vectors; the padding bits of each vector's last word stay 0. */
static void fill_bits(uint32_t *w, size_t words, int m, size_t n, uint32_t stream)
{
    size_t total = words * (size_t)m;
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < (total + 3) / 4; i++) {
        philox4x32_ctr_t c = {{(uint32_t)i, (uint32_t)((uint64_t)i >> 32), stream, 1}};
        philox4x32_key_t k = {{0x5eed5167u, 0x0badcafeu}};
        philox4x32_ctr_t r = philox4x32(c, k);
        for (int j = 0; j < 4 && 4 * i + (size_t)j < total; j++)
            w[4 * i + (size_t)j] = r.v[j];
    }
    unsigned tail = (unsigned)(n % 32);
    if (tail)
        for (int v = 0; v < m; v++)
            w[(size_t)v * words + words - 1] &= (1u << tail) - 1;
}

void sb_micro_bufs_free(sb_micro_bufs *b)
{
    cl_mem *mems[] = {&b->da,   &b->db,    &b->dx,    &b->ds1,    &b->ds2,
                      &b->dout, &b->dbits, &b->dvout, &b->dscalar};
    for (size_t i = 0; i < sizeof mems / sizeof mems[0]; i++)
        if (*mems[i]) {
            clReleaseMemObject(*mems[i]);
            *mems[i] = NULL;
        }
    free(b->a), free(b->b), free(b->x), free(b->s1), free(b->s2), free(b->out);
    free(b->bits), free(b->vout);
    memset(b, 0, sizeof *b);
}

/* Bytes of device memory one size needs (host needs as much again). */
static double bufs_bytes(size_t n, int m)
{
    size_t words = (n + 31) / 32;
    return 6.0 * 4 * (double)n + 4.0 * (double)words * (m + 1) + 64;
}

int sb_micro_bufs_alloc(sb_micro_bufs *b, sb_ctx *c, size_t n, int m, sb_err *err)
{
    memset(b, 0, sizeof *b);
    b->n = n;
    b->m = m;
    b->words = (n + 31) / 32;
    size_t fb = n * sizeof(float), wb = b->words * sizeof(uint32_t);
    b->a = malloc(fb), b->b = malloc(fb), b->x = malloc(fb), b->s1 = malloc(fb);
    b->s2 = malloc(fb), b->out = malloc(fb);
    b->bits = malloc(wb * (size_t)m), b->vout = malloc(wb);
    if (!b->a || !b->b || !b->x || !b->s1 || !b->s2 || !b->out || !b->bits || !b->vout) {
        sb_micro_bufs_free(b);
        return sb_fail(err, SB_ERUNTIME, "out of host memory for n = %zu", n);
    }
    fill_random(b->a, n, 1, 0);
    fill_random(b->b, n, 2, 0);
    fill_random(b->x, n, 3, 0);
    fill_random(b->s1, n, 4, 0);
    fill_random(b->s2, n, 5, 1); /* second moments are >= 0 */
    fill_random(b->out, n, 6, 0);
    fill_bits(b->bits, b->words, m, n, 7);
    memset(b->vout, 0, wb);
    cl_mem_flags f = CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR;
    static const float zero[4] = {0};
    int st = SB_OK;
    if ((st = sb_buffer(c, f, fb, b->a, &b->da, err)) != SB_OK ||
        (st = sb_buffer(c, f, fb, b->b, &b->db, err)) != SB_OK ||
        (st = sb_buffer(c, f, fb, b->x, &b->dx, err)) != SB_OK ||
        (st = sb_buffer(c, f, fb, b->s1, &b->ds1, err)) != SB_OK ||
        (st = sb_buffer(c, f, fb, b->s2, &b->ds2, err)) != SB_OK ||
        (st = sb_buffer(c, f, fb, b->out, &b->dout, err)) != SB_OK ||
        (st = sb_buffer(c, f, wb * (size_t)m, b->bits, &b->dbits, err)) != SB_OK ||
        (st = sb_buffer(c, f, wb, b->vout, &b->dvout, err)) != SB_OK ||
        (st = sb_buffer(c, f, sizeof zero, (void *)zero, &b->dscalar, err)) != SB_OK) {
        sb_micro_bufs_free(b);
        return st;
    }
    return SB_OK;
}

/* ---- one call of each implementation ----------------------------------------- */

static sb_hyper default_hyper(void)
{
    sb_hyper h;
    memset(&h, 0, sizeof h);
    h.lr = 1e-4f, h.b1 = 0.9f, h.b2 = 0.999f, h.eps = 1e-8f, h.wd = 0;
    h.bc1 = 1 - 0.9f, h.bc2 = 1 - 0.999f;
    return h;
}

static int nan_check(int nan, const char *what, sb_err *err)
{
    return nan ? sb_fail(err, SB_ERUNTIME,
                         "%s flagged NaN in random input: the kernel or its flag is broken",
                         what)
               : SB_OK;
}

/* One call of our kernel; *dev_s gets its profiled device time. */
static int run_ocl(sb_ops *o, const sb_micro_kernel *k, sb_micro_bufs *b, double *dev_s,
                   sb_err *err)
{
    size_t n = b->n;
    int nan = 0, st;
    double r;
    *dev_s = 0;
    switch (k->kind) {
    case SB_MK_COPY: return sb_op_copy(o, b->da, b->dout, n, dev_s, err);
    case SB_MK_READ: return sb_op_read(o, b->da, n, &r, dev_s, err);
    case SB_MK_RMW: return sb_op_rmw(o, b->dx, b->da, n, 1e-4f, dev_s, err);
    case SB_MK_SIGN:
        st = sb_op_sign(o, b->da, b->dout, n, &nan, dev_s, err);
        return st != SB_OK ? st : nan_check(nan, "sign", err);
    case SB_MK_PACK:
        st = sb_op_pack(o, b->da, b->dbits, n, &nan, dev_s, err);
        return st != SB_OK ? st : nan_check(nan, "pack", err);
    case SB_MK_UNPACK: return sb_op_unpack(o, b->dbits, b->dout, n, dev_s, err);
    case SB_MK_VOTE: return sb_op_vote(o, b->dbits, b->m, n, b->dvout, dev_s, err);
    case SB_MK_VOTE_UPDATE:
        return sb_op_vote_update(o, b->dx, b->dbits, b->m, n, 1e-4f, dev_s, err);
    case SB_MK_SCALED_SIGN: return sb_op_scaled_sign(o, b->da, b->dout, n, dev_s, err);
    case SB_MK_UPDATE:
        return sb_op_update(o, k->upd, b->dx, b->da, b->ds1, b->ds2, n, default_hyper(),
                            dev_s, err);
    case SB_MK_NORM1: return sb_op_reduce(o, SB_NORM1, b->da, NULL, n, &r, dev_s, err);
    case SB_MK_NORM2: return sb_op_reduce(o, SB_NORM2, b->da, NULL, n, &r, dev_s, err);
    case SB_MK_NORMINF: return sb_op_reduce(o, SB_NORMINF, b->da, NULL, n, &r, dev_s, err);
    case SB_MK_DOT: return sb_op_reduce(o, SB_DOT, b->da, b->db, n, &r, dev_s, err);
    }
    return sb_fail(err, SB_ERUNTIME, "micro: no OpenCL op for %s", k->name);
}

static double marker_end(cl_event ev)
{
    cl_ulong t = 0;
    clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_END, sizeof t, &t, NULL);
    return (double)t * 1e-9;
}

/* One CLBlast call. Reductions run two kernels and CLBlast returns the event of the
 * last one only, so the device time is the span between two markers around the call. */
static int run_blas(sb_ctx *c, sb_micro_blas bl, sb_micro_bufs *b, double *dev_s,
                    sb_err *err)
{
    cl_command_queue q = c->queue;
    cl_event before = NULL, after = NULL;
    cl_int rc = clEnqueueMarkerWithWaitList(q, 0, NULL, &before);
    if (SB_CLFAIL(rc, err, "clEnqueueMarkerWithWaitList"))
        return SB_ERUNTIME;
    CLBlastStatusCode s = CLBlastSuccess;
    size_t n = b->n;
    switch (bl) {
    case SB_BL_SAXPY: s = CLBlastSaxpy(n, 1e-4f, b->da, 0, 1, b->dx, 0, 1, &q, NULL); break;
    case SB_BL_SASUM: s = CLBlastSasum(n, b->dscalar, 0, b->da, 0, 1, &q, NULL); break;
    case SB_BL_SNRM2: s = CLBlastSnrm2(n, b->dscalar, 0, b->da, 0, 1, &q, NULL); break;
    case SB_BL_SDOT:
        s = CLBlastSdot(n, b->dscalar, 0, b->da, 0, 1, b->db, 0, 1, &q, NULL);
        break;
    case SB_BL_ISAMAX: s = CLBlastiSamax(n, b->dscalar, 0, b->da, 0, 1, &q, NULL); break;
    case SB_BL_SCOPY: s = CLBlastScopy(n, b->da, 0, 1, b->dout, 0, 1, &q, NULL); break;
    default: break;
    }
    if (s != CLBlastSuccess) {
        clReleaseEvent(before);
        clFinish(q);
        return sb_fail(err, SB_ERUNTIME, "CLBlast %s failed with status %d (n = %zu)",
                       blas_names[bl], (int)s, n);
    }
    rc = clEnqueueMarkerWithWaitList(q, 0, NULL, &after);
    if (rc == CL_SUCCESS)
        rc = clFinish(q);
    if (SB_CLFAIL(rc, err, "clFinish after CLBlast")) {
        clReleaseEvent(before);
        if (after)
            clReleaseEvent(after);
        return SB_ERUNTIME;
    }
    *dev_s = marker_end(after) - marker_end(before);
    clReleaseEvent(before);
    clReleaseEvent(after);
    return SB_OK;
}

/* One call of the plain C loop (ref.h), 1 thread or OpenMP. */
static int run_host(const sb_micro_kernel *k, sb_micro_bufs *b, int omp, sb_err *err)
{
    size_t n = b->n;
    sb_hyper h = default_hyper();
    volatile double sink;
    int nan = 0;
    switch (k->kind) {
    case SB_MK_COPY: sb_ref_copy(b->a, b->out, n, omp); break;
    case SB_MK_READ: sink = sb_ref_read(b->a, n, omp); break;
    case SB_MK_RMW: sb_ref_rmw(b->x, b->a, n, 1e-4f, omp); break;
    case SB_MK_SIGN: nan = sb_ref_sign(b->a, b->out, n, omp); break;
    case SB_MK_PACK: nan = sb_ref_pack(b->a, b->bits, n, omp); break;
    case SB_MK_UNPACK: sb_ref_unpack(b->bits, b->out, n, omp); break;
    case SB_MK_VOTE: sb_ref_vote(b->bits, b->m, n, b->vout, omp); break;
    case SB_MK_VOTE_UPDATE: sb_ref_vote_update(b->x, b->bits, b->m, n, 1e-4f, omp); break;
    case SB_MK_SCALED_SIGN: sb_ref_scaled_sign(b->a, b->out, n, omp); break;
    case SB_MK_UPDATE: sb_ref_update(k->upd, b->x, b->a, b->s1, b->s2, n, h, omp); break;
    case SB_MK_NORM1: sink = sb_ref_reduce(SB_NORM1, b->a, NULL, n, omp); break;
    case SB_MK_NORM2: sink = sb_ref_reduce(SB_NORM2, b->a, NULL, n, omp); break;
    case SB_MK_NORMINF: sink = sb_ref_reduce(SB_NORMINF, b->a, NULL, n, omp); break;
    case SB_MK_DOT: sink = sb_ref_reduce(SB_DOT, b->a, b->b, n, omp); break;
    }
    (void)sink;
    return nan_check(nan, "C reference sign/pack", err);
}

/* ---- ceiling variants ------------------------------------------------------------ */

typedef enum { V_OCL, V_BUILTIN, V_CLBLAST, V_OMP } vkind;

/* One implementation of a traffic pattern. */
typedef struct variant {
    sb_pattern pat;
    vkind kind;
    int width, shape; /* V_OCL: SB_STREAM_* flags */
    size_t local;     /* V_OCL */
    sb_micro_blas bl; /* V_CLBLAST */
    char name[32];
} variant;

static const int widths[] = {1, 4, 8, 16};
static const size_t wg_sizes[] = {64, 256};

/* Every variant of pattern p on this device: our stream kernels at each width, split
 * and work-group size, with streaming stores too where the pattern has a write-only
 * output and the device's compiler has them, and for the read in four streams; OpenCL's own copy and fill; CLBlast's
 * routine with the pattern; on a CPU device the OpenMP C loop. */
static int variants_of(sb_pattern p, const sb_ctx *c, sb_ops *ops, int clblast,
                       variant *out, int cap)
{
    int n = 0;
    /* plain, streaming stores (patterns with a write-only output), four read streams */
    const int extra[] = {0, SB_STREAM_NT, SB_STREAM_S4};
    for (size_t w = 0; w < sizeof widths / sizeof widths[0]; w++)
        for (size_t e = 0; e < sizeof extra / sizeof extra[0]; e++)
            for (int ch = SB_STREAM_CHUNKED; ch >= 0; ch -= SB_STREAM_CHUNKED) {
                int shape = ch | extra[e];
                if ((extra[e] == SB_STREAM_NT && !sb_patterns[p].nout) ||
                    (extra[e] == SB_STREAM_S4 && (!sb_patterns[p].red || !ch)) ||
                    (extra[e] && !sb_op_stream_has(ops, p, widths[w], shape)))
                    continue;
                for (size_t l = 0; l < sizeof wg_sizes / sizeof wg_sizes[0]; l++) {
                    if ((c->max_wg && wg_sizes[l] > c->max_wg) || n == cap)
                        continue;
                    variant *v = &out[n++];
                    *v = (variant){.pat = p,
                                   .kind = V_OCL,
                                   .width = widths[w],
                                   .shape = shape,
                                   .local = wg_sizes[l]};
                    snprintf(v->name, sizeof v->name, "w%d_%s%s_wg%zu", widths[w],
                             ch ? "chunked" : "grid",
                             extra[e] == SB_STREAM_NT   ? "_nt"
                             : extra[e] == SB_STREAM_S4 ? "_s4"
                                                        : "",
                             wg_sizes[l]);
                }
            }
    if ((p == SB_PAT_COPY || p == SB_PAT_WRITE) && n < cap) {
        out[n] = (variant){.pat = p, .kind = V_BUILTIN};
        snprintf(out[n++].name, sizeof out[0].name, "%s",
                 p == SB_PAT_COPY ? "copybuffer" : "fillbuffer");
    }
    sb_micro_blas bl = p == SB_PAT_COPY    ? SB_BL_SCOPY
                       : p == SB_PAT_RMW   ? SB_BL_SAXPY
                       : p == SB_PAT_READ  ? SB_BL_SASUM
                       : p == SB_PAT_READ2 ? SB_BL_SDOT
                                           : SB_BL_NONE;
    if (clblast && bl != SB_BL_NONE && n < cap) {
        out[n] = (variant){.pat = p, .kind = V_CLBLAST, .bl = bl};
        snprintf(out[n++].name, sizeof out[0].name, "%s", blas_names[bl]);
    }
    if ((c->dev.type & CL_DEVICE_TYPE_CPU) && n < cap) {
        out[n] = (variant){.pat = p, .kind = V_OMP};
        snprintf(out[n++].name, sizeof out[0].name, "loop");
    }
    return n;
}

static const char *variant_impl(const variant *v)
{
    return v->kind == V_CLBLAST ? "clblast" : v->kind == V_OMP ? "omp" : "ocl";
}

static const char *const ceiling_kernel[SB_PAT_N] = {
    "ceiling_read", "ceiling_write", "ceiling_copy",     "ceiling_scale", "ceiling_rmw",
    "ceiling_rmw2", "ceiling_rmw3",  "ceiling_inplace2", "ceiling_read2"};

static int run_builtin(sb_ctx *c, sb_pattern p, sb_micro_bufs *b, double *dev_s,
                       sb_err *err)
{
    cl_event ev = NULL;
    size_t bytes = b->n * sizeof(float);
    static const float fill = 1.0f;
    cl_int rc = p == SB_PAT_COPY ? clEnqueueCopyBuffer(c->queue, b->da, b->dout, 0, 0,
                                                       bytes, 0, NULL, &ev)
                                 : clEnqueueFillBuffer(c->queue, b->dout, &fill,
                                                       sizeof fill, 0, bytes, 0, NULL, &ev);
    if (rc == CL_SUCCESS)
        rc = clWaitForEvents(1, &ev);
    if (rc == CL_SUCCESS)
        *dev_s = sb_event_seconds(ev);
    if (ev)
        clReleaseEvent(ev);
    return SB_CLFAIL(rc, err,
                     p == SB_PAT_COPY ? "clEnqueueCopyBuffer" : "clEnqueueFillBuffer")
               ? SB_ERUNTIME
               : SB_OK;
}

/* ---- timing --------------------------------------------------------------------- */

typedef struct call {
    int what; /* 0: our kernel, 1: CLBlast, 2: C loop, 3: a ceiling variant */
    sb_ops *ops;
    sb_ctx *ctx;
    const sb_micro_kernel *k;
    sb_micro_blas bl;
    sb_micro_bufs *b;
    int omp;
    const variant *v;
    cl_mem partial; /* a read variant's per-work-item sums */
} call;

static int run_variant(const call *c, double *dev_s, sb_err *err)
{
    const variant *v = c->v;
    sb_micro_bufs *b = c->b;
    *dev_s = 0;
    if (v->kind == V_BUILTIN)
        return run_builtin(c->ops->ctx, v->pat, b, dev_s, err);
    if (v->kind == V_CLBLAST)
        return run_blas(c->ops->ctx, v->bl, b, dev_s, err);
    const sb_pattern_info *pi = &sb_patterns[v->pat];
    if (v->kind == V_OMP) {
        float *y[3] = {b->x, b->s1, b->s2};
        volatile double sink = sb_ref_stream(pi, b->a, y, b->out, b->n, 1e-4f, 1);
        (void)sink;
        return SB_OK;
    }
    const cl_mem y[3] = {b->dx, b->ds1, b->ds2};
    return sb_op_stream(c->ops, v->pat, v->width, v->shape, v->local, b->da, y,
                        pi->red ? c->partial : b->dout, b->n, 1e-4f, dev_s, err);
}

static int call_once(const call *c, double *dev_s, sb_err *err)
{
    switch (c->what) {
    case 0: return run_ocl(c->ops, c->k, c->b, dev_s, err);
    case 1: return run_blas(c->ctx, c->bl, c->b, dev_s, err);
    case 3: return run_variant(c, dev_s, err);
    default: *dev_s = 0; return run_host(c->k, c->b, c->omp, err);
    }
}

/* Host-timed calls: the C loops and the OpenMP variant. */
static int host_timed(const call *c)
{
    return c->what == 2 || (c->what == 3 && c->v->kind == V_OMP);
}

static cl_command_queue queue_of(const call *c)
{
    return host_timed(c) ? NULL : c->what == 1 ? c->ctx->queue : c->ops->ctx->queue;
}

/* One timed call: real is the device time (the host wall time for the C loops), cpu the
 * host wall time around enqueue + finish. */
static int timed_once(const call *c, double *real, double *cpu, sb_err *err)
{
    cl_command_queue q = queue_of(c);
    double d, t0 = sb_now();
    if (call_once(c, &d, err) != SB_OK)
        return err->code;
    if (q)
        clFinish(q);
    double t1 = sb_now();
    *cpu = t1 - t0;
    *real = host_timed(c) ? t1 - t0 : d;
    return SB_OK;
}

/* Warm-up calls, then reps timed calls of one implementation alone. */
static int time_call(const call *c, int warmup, int reps, double *real, double *cpu,
                     sb_err *err)
{
    double d;
    for (int i = 0; i < warmup; i++)
        if (call_once(c, &d, err) != SB_OK)
            return err->code;
    for (int i = 0; i < reps; i++)
        if (timed_once(c, &real[i], &cpu[i], err) != SB_OK)
            return err->code;
    return SB_OK;
}

/* ---- results -------------------------------------------------------------------- */

static sb_micro_result *add_result(sb_micro_results *rs, const char *kernel,
                                   const char *impl, size_t n, size_t local, double bytes,
                                   int reps, int manual, sb_err *err)
{
    if (rs->n == rs->cap) {
        int cap = rs->cap ? rs->cap * 2 : 64;
        sb_micro_result *p = realloc(rs->r, (size_t)cap * sizeof *p);
        if (!p) {
            sb_fail(err, SB_ERUNTIME, "out of memory for results");
            return NULL;
        }
        rs->r = p;
        rs->cap = cap;
    }
    sb_micro_result *r = &rs->r[rs->n];
    memset(r, 0, sizeof *r);
    r->real = calloc((size_t)reps, sizeof(double));
    r->cpu = calloc((size_t)reps, sizeof(double));
    if (!r->real || !r->cpu) {
        free(r->real), free(r->cpu);
        sb_fail(err, SB_ERUNTIME, "out of memory for results");
        return NULL;
    }
    rs->n++;
    r->kernel = kernel, r->impl = impl, r->n = n, r->local = local, r->bytes = bytes;
    r->reps = reps, r->manual = manual, r->roof = NAN, r->pat = -1;
    /* One unit per kind, whatever the run measures: the launch-latency probe in ns,
     * every kernel, baseline and transfer in us. */
    r->unit = !strcmp(kernel, "empty") ? "ns" : "us";
    return r;
}

void sb_micro_name(const sb_micro_result *r, char *out, size_t cap)
{
    char local[32] = "", variant[48] = "";
    if (r->local)
        snprintf(local, sizeof local, "/local:%zu", r->local);
    if (r->variant[0])
        snprintf(variant, sizeof variant, "/variant:%s", r->variant);
    snprintf(out, cap, "%s/%s/%zu%s%s%s", r->kernel, r->impl, r->n, local, variant,
             r->manual ? "/manual_time" : "");
}

/* Whether the user's filter keeps r (always, without a filter). */
static int matches(const sb_micro_run *s, const sb_micro_result *r)
{
    if (!s->mo->filter)
        return 1;
    char name[256];
    sb_micro_name(r, name, sizeof name);
    return regexec(s->mo->filter, name, 0, NULL, 0) == 0;
}

/* Forget the last result (one the filter does not keep). */
static void drop_last(sb_micro_run *s)
{
    sb_micro_result *r = &s->rs.r[--s->rs.n];
    free(r->real), free(r->cpu);
}

static int finish_result(sb_micro_result *r, sb_err *err)
{
    if (sb_stats_compute(r->real, (size_t)r->reps, &r->rs, err) != SB_OK ||
        sb_stats_compute(r->cpu, (size_t)r->reps, &r->cs, err) != SB_OK)
        return sb_wrap(err, "%s/%s n=%zu", r->kernel, r->impl, r->n);
    r->gbps = r->rs.median > 0 ? r->bytes / r->rs.median / 1e9 : 0;
    return SB_OK;
}

static void results_free(sb_micro_results *rs)
{
    for (int i = 0; i < rs->n; i++)
        free(rs->r[i].real), free(rs->r[i].cpu);
    free(rs->r);
    memset(rs, 0, sizeof *rs);
}

const sb_micro_result *sb_micro_find(const sb_micro_results *rs, const char *kernel,
                                     const char *impl, size_t n, size_t local)
{
    for (int i = 0; i < rs->n; i++) {
        const sb_micro_result *r = &rs->r[i];
        if (!strcmp(r->kernel, kernel) && !strcmp(r->impl, impl) && r->n == n &&
            (r->local == local || strcmp(impl, "ocl")))
            return r;
    }
    return NULL;
}

/* ---- latency and transfers ---------------------------------------------------- */

/* Enqueue-to-finish of the `empty` kernel: real = event time, cpu = host clock. */
static int measure_latency(sb_micro_run *s, sb_ctx *c, int reps, sb_err *err)
{
    sb_micro_results *rs = &s->rs;
    cl_kernel k;
    if (sb_ctx_kernel(c, "empty", &k, err) != SB_OK)
        return err->code;
    size_t one = 1;
    int st = SB_OK;
    sb_micro_result *r = add_result(rs, "empty", "ocl", 1, 0, 0, reps, 1, err);
    if (!r) {
        clReleaseKernel(k);
        return err->code;
    }
    r->hidden = !matches(s, r); /* always measured: launch-bound marks need it */
    if (s->mo->dry) {
        clReleaseKernel(k);
        return SB_OK;
    }
    for (int i = -10; i < reps && st == SB_OK; i++) { /* 10 warm-up launches */
        cl_event ev = NULL;
        double t0 = sb_now();
        cl_int rc = clEnqueueNDRangeKernel(c->queue, k, 1, NULL, &one, NULL, 0, NULL, &ev);
        if (rc == CL_SUCCESS)
            rc = clFinish(c->queue);
        double t1 = sb_now();
        if (SB_CLFAIL(rc, err, "launching the empty kernel"))
            st = SB_ERUNTIME;
        else if (i >= 0) {
            r->real[i] = sb_event_seconds(ev);
            r->cpu[i] = t1 - t0;
        }
        if (ev)
            clReleaseEvent(ev);
    }
    clReleaseKernel(k);
    return st == SB_OK ? finish_result(r, err) : st;
}

static double event_span(cl_event ev)
{
    return ev ? sb_event_seconds(ev) : 0;
}

/* Host-device bandwidth on the largest buffer: write (host to device), read (device to
 * host) and map + unmap for reading (zero-copy on devices that share host memory). */
static int measure_transfers(sb_micro_run *s, sb_ctx *c, sb_micro_bufs *b, int warmup,
                             int reps, sb_err *err)
{
    sb_micro_results *rs = &s->rs;
    static const char *const names[] = {"h2d_write", "d2h_read", "map_read"};
    size_t bytes = b->n * sizeof(float);
    /* On a device that shares host memory a map moves nothing: its time is a latency,
     * and bytes over it would be a meaningless rate (tens of TB/s). */
    cl_bool unified = CL_FALSE;
    if (clGetDeviceInfo(c->dev.did, CL_DEVICE_HOST_UNIFIED_MEMORY, sizeof unified, &unified,
                        NULL) != CL_SUCCESS)
        unified = CL_FALSE;
    for (int t = 0; t < 3; t++) {
        sb_micro_result *r =
            add_result(rs, names[t], "ocl", b->n, 0, (double)bytes, reps, 1, err);
        if (!r)
            return err->code;
        if (!matches(s, r) || s->mo->dry) {
            if (!matches(s, r))
                drop_last(s);
            continue;
        }
        r->no_copy = t == 2 && unified;
        for (int i = -warmup; i < reps; i++) {
            cl_event e1 = NULL, e2 = NULL;
            cl_int rc;
            double t0 = sb_now();
            if (t == 0)
                rc = clEnqueueWriteBuffer(c->queue, b->dout, CL_TRUE, 0, bytes, b->out, 0,
                                          NULL, &e1);
            else if (t == 1)
                rc = clEnqueueReadBuffer(c->queue, b->da, CL_TRUE, 0, bytes, b->out, 0,
                                         NULL, &e1);
            else {
                void *p = clEnqueueMapBuffer(c->queue, b->da, CL_TRUE, CL_MAP_READ, 0,
                                             bytes, 0, NULL, &e1, &rc);
                if (rc == CL_SUCCESS)
                    rc = clEnqueueUnmapMemObject(c->queue, b->da, p, 0, NULL, &e2);
                if (rc == CL_SUCCESS)
                    rc = clFinish(c->queue);
            }
            double t1 = sb_now();
            if (rc == CL_SUCCESS && i >= 0) {
                r->real[i] = event_span(e1) + event_span(e2);
                r->cpu[i] = t1 - t0;
            }
            if (e1)
                clReleaseEvent(e1);
            if (e2)
                clReleaseEvent(e2);
            if (SB_CLFAIL(rc, err, names[t]))
                return SB_ERUNTIME;
        }
        if (finish_result(r, err) != SB_OK)
            return err->code;
    }
    return SB_OK;
}

/* Default sweep: 64K x4 up to 64M, or further until one buffer is 8x the LLC. */
/* The host's last-level cache in bytes (all instances: a streaming kernel on the CPU
 * uses every one), from hwloc; 0 when unknown. */
static unsigned long long llc_bytes(void)
{
    sb_topo *t;
    if (sb_topo_open(&t, NULL) != SB_OK)
        return 0;
    sb_host_info h;
    sb_topo_host(t, &h);
    sb_topo_close(t);
    unsigned long long llc = 0;
    int level = 0;
    for (int i = 0; i < h.ncaches; i++)
        if (strcmp(h.caches[i].kind, "instruction") && h.caches[i].level >= level) {
            level = h.caches[i].level;
            llc = h.caches[i].size * h.caches[i].count;
        }
    return llc;
}

size_t sb_micro_bandwidth_n(void)
{
    unsigned long long llc = llc_bytes();
    size_t n = (size_t)1 << 20;
    while ((unsigned long long)n * 4 < 2 * llc && n < ((size_t)1 << 30))
        n *= 2;
    return n;
}

void sb_micro_default_sizes(sb_micro_opts *mo)
{
    unsigned long long llc = llc_bytes();
    size_t top = SB_MICRO_64M;
    while ((unsigned long long)top * 4 < 8 * llc)
        top *= 4;
    mo->nsizes = 0;
    for (size_t n = 64 << 10; n <= top && mo->nsizes < SB_MICRO_MAX_SIZES; n *= 4)
        mo->sizes[mo->nsizes++] = n;
}

/* ---- the sweep -------------------------------------------------------------------- */

static void note(sb_micro_run *s, const char *fmt, size_t n, const char *why)
{
    if (s->nnotes < 16)
        snprintf(s->notes[s->nnotes++], sizeof s->notes[0], fmt, n, why);
}

/* Skip a size (with a note) whose buffers do not fit; 1 when it fits. */
static int size_fits(sb_micro_run *s, const sb_ctx *c, size_t n, int m)
{
    size_t words = (n + 31) / 32;
    double need = bufs_bytes(n, m);
    if ((double)n * 4 > (double)c->max_alloc ||
        (double)words * 4 * m > (double)c->max_alloc) {
        note(s, "n = %zu skipped: a buffer exceeds the device's max allocation (%s)", n,
             "CL_DEVICE_MAX_MEM_ALLOC_SIZE");
        return 0;
    }
    if (need > 0.8 * (double)c->global_mem) {
        note(s, "n = %zu skipped: needs more than 80%% of the device's global memory (%s)",
             n, "CL_DEVICE_GLOBAL_MEM_SIZE");
        return 0;
    }
    double avail = (double)sysconf(_SC_AVPHYS_PAGES) * (double)sysconf(_SC_PAGESIZE);
    double host_need = need * (c->dev.type & CL_DEVICE_TYPE_CPU ? 2 : 1);
    if (avail > 0 && host_need > 0.8 * avail) {
        note(s, "n = %zu skipped: needs more than 80%% of the free host memory (%s)", n,
             "host copies of the inputs, plus the device buffers on a CPU device");
        return 0;
    }
    return 1;
}

#define MAX_UNITS 384
#define MAX_VARIANTS 40

/* What one size times in its interleaved rounds: every kernel, every variant of every
 * pattern those kernels' ceilings need, and the CLBlast baselines. */
typedef struct plan {
    call calls[MAX_UNITS];
    int result[MAX_UNITS]; /* index into the run's results */
    int n;
    variant vars[SB_PAT_N][MAX_VARIANTS];
    int nvars[SB_PAT_N];
    int need[SB_PAT_N];
    /* The vote's read ceiling at its own footprint (ceiling_n): the same buffers over
     * fewer elements, and that pattern's variants. */
    sb_micro_bufs fp_b;
    variant fp_vars[MAX_VARIANTS];
    /* Cold caches (flush_bytes): a read of `flush` before every call, on `fops`, its
     * sums in the read variants' `partial` (large enough: flush_n <= 2n). */
    cl_mem flush, partial;
    size_t flush_n;
    sb_ops *fops;
} plan;

/* The element count a kernel's pass is measured against: the kernel's own size, except
 * for the vote, whose m packed voters (and its result) take (m + 1) ceil(n/32) words:
 * 1/4 of n floats at m = 8. A read of n floats would stream 4x the bytes, from memory,
 * while the vote's few fit partly in the last-level cache: its ceiling is a read of as
 * many bytes (when fewer than n floats). */
static size_t ceiling_n(const sb_micro_kernel *k, size_t n, int m)
{
    size_t fp = (size_t)(m + 1) * ((n + 31) / 32);
    return k->kind == SB_MK_VOTE && fp < n ? fp : n;
}

static int plan_add(sb_micro_run *s, plan *pl, const call *c, const char *kernel,
                    const char *impl, size_t local, double bytes, sb_err *err)
{
    if (pl->n == MAX_UNITS)
        return sb_fail(err, SB_ERUNTIME, "micro: more than %d benchmarks at one size",
                       MAX_UNITS);
    int manual = !host_timed(c);
    if (!add_result(&s->rs, kernel, impl, c->b->n, local, bytes, (int)s->mo->reps, manual,
                    err))
        return err->code;
    pl->calls[pl->n] = *c;
    pl->result[pl->n++] = s->rs.n - 1;
    return SB_OK;
}

/* Keep the unit just planned when the filter matches it or `needed`; hidden when only
 * needed. Returns 1 when kept. */
static int keep_planned(sb_micro_run *s, plan *pl, int needed)
{
    sb_micro_result *r = &s->rs.r[s->rs.n - 1];
    int match = matches(s, r);
    if (!match && !needed) {
        drop_last(s);
        pl->n--;
        return 0;
    }
    r->hidden = !match;
    return 1;
}

/* One ceiling variant of pattern p over the buffers b, kept when `needed` or matched:
 * 1 when kept, 0 when dropped, -1 on error (in *err). */
static int plan_variant(sb_micro_run *s, plan *pl, sb_ctx *c, sb_ops *ops, sb_micro_bufs *b,
                        cl_mem partial, const variant *va, size_t local, int needed,
                        sb_err *err)
{
    int p = va->pat;
    call cv = {.what = 3, .ops = ops, .ctx = c, .b = b, .v = va, .partial = partial};
    int st = plan_add(s, pl, &cv, ceiling_kernel[p], variant_impl(va),
                      s->mo->nlocals ? local : 0,
                      sb_patterns[p].bytes_per_elem * (double)b->n, err);
    if (st != SB_OK)
        return -1;
    sb_micro_result *r = &s->rs.r[s->rs.n - 1];
    r->pat = p;
    r->bl = va->kind == V_CLBLAST ? va->bl : SB_BL_NONE;
    snprintf(r->variant, sizeof r->variant, "%s", va->name);
    return keep_planned(s, pl, needed) ? 1 : 0;
}

/* The vote's read ceiling at its footprint (ceiling_n), when smaller than n. */
static int plan_footprint(sb_micro_run *s, plan *pl, sb_ctx *c, sb_ops *ops,
                          sb_micro_bufs *b, cl_mem partial, const sb_micro_kernel *k,
                          size_t local, sb_err *err)
{
    size_t fp = ceiling_n(k, b->n, b->m);
    if (fp == b->n ||
        !sb_micro_find(&s->rs, k->name, "ocl", b->n, s->mo->nlocals ? local : 0))
        return SB_OK; /* same size, or the vote itself was not kept */
    pl->fp_b = *b;
    pl->fp_b.n = fp;
    int nv =
        variants_of(SB_PAT_READ, c, ops, !s->mo->no_clblast, pl->fp_vars, MAX_VARIANTS);
    for (int v = 0; v < nv; v++)
        if (plan_variant(s, pl, c, ops, &pl->fp_b, partial, &pl->fp_vars[v], local, 1,
                         err) < 0)
            return err->code;
    return SB_OK;
}

static int plan_size(sb_micro_run *s, plan *pl, sb_ctx *c, sb_ops *ops, sb_micro_bufs *b,
                     cl_mem partial, size_t local, int baselines, sb_err *err)
{
    const sb_micro_opts *mo = s->mo;
    int used_blas[SB_BL_N] = {0}, st = SB_OK;
    for (int i = 0; i < n_all && st == SB_OK; i++) {
        const sb_micro_kernel *k = &all_kernels[i];
        if (!mo->selected[i] && k->kind > SB_MK_RMW)
            continue;
        call cl = {.what = 0, .ops = ops, .k = k, .b = b};
        st = plan_add(s, pl, &cl, k->name, "ocl", mo->nlocals ? local : 0,
                      sb_micro_kernel_bytes(k, b->n, b->m), err);
        if (st != SB_OK || !keep_planned(s, pl, 0))
            continue;
        s->rs.r[s->rs.n - 1].k = k;
        for (int p = 0; p < k->npass; p++)
            pl->need[k->pass[p]] = 1;
        used_blas[k->bl] = 1;
    }
    /* Every variant of the patterns the kept kernels need (hidden unless the filter
     * matches them too), and the variants the filter names by themselves. */
    for (int p = 0; p < SB_PAT_N && st == SB_OK; p++) {
        pl->nvars[p] =
            variants_of((sb_pattern)p, c, ops, !mo->no_clblast, pl->vars[p], MAX_VARIANTS);
        for (int v = 0; v < pl->nvars[p] && st == SB_OK; v++) {
            int kept = plan_variant(s, pl, c, ops, b, partial, &pl->vars[p][v], local,
                                    pl->need[p], err);
            if (kept < 0)
                st = err->code;
            else if (kept)
                pl->need[p] = 1; /* a variant kept by name makes its pattern's ceiling */
        }
    }
    for (int i = 0; i < n_all && st == SB_OK; i++)
        if (mo->selected[i] && all_kernels[i].kind == SB_MK_VOTE)
            st = plan_footprint(s, pl, c, ops, b, partial, &all_kernels[i], local, err);
    /* CLBlast routines shown beside the kernels that are not ceiling variants already. */
    for (int bl = 1; bl < SB_BL_N && st == SB_OK && baselines && !mo->no_clblast; bl++) {
        if (!used_blas[bl] || bl == SB_BL_SAXPY || bl == SB_BL_SCOPY || bl == SB_BL_SASUM)
            continue;
        call cb = {.what = 1, .ctx = c, .bl = (sb_micro_blas)bl, .b = b};
        st = plan_add(s, pl, &cb, blas_names[bl], "clblast", 0,
                      blas_bytes[bl] * (double)b->n, err);
        if (st == SB_OK && keep_planned(s, pl, 0))
            s->rs.r[s->rs.n - 1].bl = (sb_micro_blas)bl;
    }
    return st;
}

/* A ceiling variant under this fraction of its pattern's best rate in the second and
 * third rounds (the first compiles work-group functions and touches pages; the better of
 * two calls, as load comes in bursts) is timed no further: it cannot set the ceiling,
 * and on a CPU the grid-stride variants run 3-50x slower than the chunked ones, so
 * timing them every round would take most of the run. Its row stays (the same names in
 * every run), marked pruned, with the samples it has: its timed rounds, or the two
 * warm-up calls that decided. */
#define PRUNE_BELOW (1.0 / 3)
#define PRUNE_AFTER 2 /* the round after which the cut is made */

/* The best rate in rounds 2-3 of the variants of pattern p over n elements. */
static double best_early(const sb_micro_run *s, const plan *pl, double (*w)[2], int p,
                         size_t n)
{
    double best = 0;
    for (int u = 0; u < pl->n; u++) {
        const sb_micro_result *r = &s->rs.r[pl->result[u]];
        double t = fmin(w[u][0], w[u][1]);
        if (pl->calls[u].what == 3 && r->pat == p && r->n == n && t > 0 &&
            r->bytes / t > best)
            best = r->bytes / t;
    }
    return best;
}

static void prune_variants(sb_micro_run *s, plan *pl, double (*w)[2], int timed)
{
    for (int u = 0; u < pl->n; u++) {
        sb_micro_result *r = &s->rs.r[pl->result[u]];
        double t = fmin(w[u][0], w[u][1]);
        if (pl->calls[u].what != 3 || !(t > 0) ||
            r->bytes / t >= PRUNE_BELOW * best_early(s, pl, w, r->pat, r->n))
            continue;
        r->pruned = 1;
        r->reps = timed;
        if (timed < 2) { /* reps >= 3, so real[] holds both */
            r->real[0] = r->cpu[0] = w[u][0];
            r->real[1] = r->cpu[1] = w[u][1];
            r->reps = 2;
        }
    }
}

/* Bytes to read before each call at size n so that no call finds its data in the cache:
 * twice the larger of the device's global memory cache and, on a CPU device, the host's
 * last-level cache (hwloc); 0 (no flush) while one vector of n floats is smaller than
 * that cache, where the rows measure in-cache rates. Without it a call could find lines
 * its predecessor left: the vote's voters (75 MB at 64M floats, m = 8) after vote_update
 * and unpack read the same buffer, and each footprint variant after another. */
static size_t flush_bytes(const sb_ctx *c, size_t n)
{
    sb_devinfo di;
    sb_devinfo_query(&c->dev, &di);
    unsigned long long cache = (c->dev.type & CL_DEVICE_TYPE_CPU) ? llc_bytes() : 0;
    if (di.global_cache > cache)
        cache = di.global_cache;
    return cache && (unsigned long long)n * sizeof(float) >= cache ? (size_t)(2 * cache)
                                                                   : 0;
}

/* The untimed read that evicts the previous call's lines (a four-stream read variant,
 * waited for, so nothing of it overlaps the timed call). */
static int flush_caches(const plan *pl, sb_err *err)
{
    static const cl_mem none[3] = {NULL, NULL, NULL};
    int st = sb_op_stream(pl->fops, SB_PAT_READ, 16, SB_STREAM_CHUNKED | SB_STREAM_S4, 64,
                          pl->flush, none, pl->partial, pl->flush_n, 0.0f, NULL, err);
    if (st == SB_OK && SB_CLFAIL(clFinish(pl->fops->ctx->queue), err, "clFinish"))
        st = SB_ERUNTIME;
    return st;
}

/* Warm-up rounds, then reps rounds, each calling every unit once, in reverse order on
 * odd rounds (A B C, C B A, ...): drift over the run moves every unit alike, and the
 * ceilings come from the same rounds as the kernels. After round PRUNE_AFTER, hopeless
 * ceiling variants are pruned (PRUNE_BELOW). */
static int run_rounds(sb_micro_run *s, plan *pl, sb_err *err)
{
    int reps = (int)s->mo->reps, warm = (int)s->mo->warmup;
    double(*w)[2] = calloc((size_t)pl->n, sizeof *w); /* rounds 1 and 2, per unit */
    if (!w)
        return sb_fail(err, SB_ERUNTIME, "micro: out of memory");
    int st = SB_OK;
    for (int g = 0; g < warm + reps && st == SB_OK; g++) {
        int i = g - warm; /* timed round, or < 0 in the warm-up */
        for (int j = 0; j < pl->n && st == SB_OK; j++) {
            int u = i >= 0 && (i & 1) ? pl->n - 1 - j : j;
            sb_micro_result *r = &s->rs.r[pl->result[u]];
            if (r->pruned)
                continue;
            double real, cpu;
            if (pl->flush)
                st = flush_caches(pl, err);
            if (st == SB_OK)
                st = timed_once(&pl->calls[u], i >= 0 ? &r->real[i] : &real,
                                i >= 0 ? &r->cpu[i] : &cpu, err);
            if (st != SB_OK)
                st = sb_wrap(err, "micro: %s at n = %zu", r->kernel, r->n);
            else if (g == PRUNE_AFTER - 1 || g == PRUNE_AFTER)
                w[u][g - PRUNE_AFTER + 1] = i >= 0 ? r->real[i] : real;
        }
        if (g == PRUNE_AFTER && st == SB_OK)
            prune_variants(s, pl, w, i + 1);
        if (i >= 0)
            sb_progress_step(&s->prog, ++s->done);
    }
    free(w);
    for (int u = 0; u < pl->n && st == SB_OK; u++)
        st = finish_result(&s->rs.r[pl->result[u]], err);
    return st;
}

/* A row that can set pattern p's ceiling: one of its variants, or the reference kernel
 * with that traffic (copy, read, rmw: kernels/roofline.cl), one more way to move the
 * same bytes. */
static int sets_ceiling(const sb_micro_result *r, int p)
{
    if (r->pat == p)
        return 1;
    return r->k && r->k->kind <= SB_MK_RMW && (int)r->k->pass[0] == p &&
           !strcmp(r->impl, "ocl");
}

/* The ceiling of pattern p over n elements: the fastest variant's rate; *by gets its
 * index. */
static double best_variant(const sb_micro_run *s, const plan *pl, int p, size_t n, int *by)
{
    double best = 0;
    *by = -1;
    for (int u = 0; u < pl->n; u++) {
        const sb_micro_result *r = &s->rs.r[pl->result[u]];
        if (sets_ceiling(r, p) && r->n == n && r->gbps > best)
            best = r->gbps, *by = pl->result[u];
    }
    return best;
}

/* A kernel's ceiling: one pass at its pattern's best rate, or two passes back to back
 * (total bytes over the sum of each pass's time at its own ceiling). */
static void set_ceiling(const sb_micro_run *s, const plan *pl, sb_micro_result *r)
{
    const sb_micro_kernel *k = r->k;
    double t = 0, total = 0;
    r->ceil_by[0] = '\0';
    for (int p = 0; p < k->npass; p++) {
        int by;
        size_t cn = ceiling_n(k, r->n, (int)s->mo->vote_m);
        double c = best_variant(s, pl, k->pass[p], cn, &by);
        if (!(c > 0))
            return;
        double bytes = k->npass == 1 ? r->bytes : k->pass_bpe[p] * (double)r->n;
        t += bytes / c, total += bytes;
        const sb_micro_result *v = &s->rs.r[by];
        size_t len = strlen(r->ceil_by);
        char at[32] = "";
        if (cn != r->n)
            snprintf(at, sizeof at, "@%zu", cn);
        snprintf(r->ceil_by + len, sizeof r->ceil_by - len, "%s%s%s:%s/%s", p ? "+" : "",
                 sb_patterns[k->pass[p]].name, at, v->impl,
                 v->variant[0] ? v->variant : v->kernel);
    }
    sb_micro_ceiling_name(k, r->ceil_ref, sizeof r->ceil_ref);
    r->ceil_gbps = total / t;
    r->roof = r->gbps / r->ceil_gbps;
    r->exceeded = r->roof > SB_MICRO_EXCEEDED;
}

/* The plain C loops of each kernel, 1 thread and OpenMP, timed alone (side by side). */
static int run_host_loops(sb_micro_run *s, const plan *pl, sb_micro_bufs *b, sb_err *err)
{
    int reps = (int)s->mo->reps, warm = (int)s->mo->warmup, st = SB_OK;
    for (int u = 0; u < pl->n && st == SB_OK; u++) {
        if (pl->calls[u].what != 0)
            continue;
        const sb_micro_kernel *k = pl->calls[u].k;
        for (int omp = 0; omp < 2 && st == SB_OK; omp++) {
            sb_micro_result *h =
                add_result(&s->rs, k->name, omp ? "omp" : "c1", b->n, 0,
                           sb_micro_kernel_bytes(k, b->n, b->m), reps, 0, err);
            call hc = {.what = 2, .k = k, .b = b, .omp = omp};
            if (h && !matches(s, h)) {
                drop_last(s);
                continue;
            }
            if (h && s->mo->dry)
                continue;
            if (!h || (st = time_call(&hc, warm, reps, h->real, h->cpu, err)) != SB_OK ||
                (st = finish_result(h, err)) != SB_OK)
                return sb_wrap(err, "micro: C loop %s at n = %zu", k->name, b->n);
            h->k = k;
            set_ceiling(s, pl, h);
        }
    }
    return st;
}

/* Noisy: CV above the limit. Launch-bound: a device-timed row whose median host time
 * is within SB_MICRO_LAUNCH_BOUND times the empty kernel's. */
static void mark_noise(const sb_micro_run *s, sb_micro_result *r)
{
    double limit = s->mo->cv_limit > 0 ? s->mo->cv_limit : 0.10;
    r->noisy = r->rs.cv > limit;
    r->launch_bound = r->manual && s->latency_s > 0 &&
                      r->cs.median < SB_MICRO_LAUNCH_BOUND * s->latency_s;
}

/* Google Benchmark's warnings about the machine: load average above the CPU count, and
 * CPU frequency scaling (a governor other than "performance"). */
static void machine_warnings(sb_micro_run *s)
{
    double load[1];
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (getloadavg(load, 1) == 1 && cpus > 0 && load[0] > (double)cpus)
        snprintf(s->warnings[s->nwarnings++], sizeof s->warnings[0],
                 "load average %.2f exceeds the %ld CPUs: timings will be noisy", load[0],
                 cpus);
    FILE *f = fopen("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", "r");
    char gov[64] = "";
    if (f) {
        if (fscanf(f, "%63s", gov) != 1)
            gov[0] = '\0';
        fclose(f);
    }
    if (gov[0] && strcmp(gov, "performance"))
        snprintf(s->warnings[s->nwarnings++], sizeof s->warnings[0],
                 "CPU frequency scaling is enabled (governor %s): real time measurements "
                 "may be noisy",
                 gov);
}

/* The flush buffer of size n (flush_bytes), written once so that its pages exist; the
 * run's notes say so. */
static int plan_flush(sb_micro_run *s, plan *pl, sb_ctx *c, sb_ops *ops, size_t n,
                      cl_mem partial, sb_err *err)
{
    size_t bytes = flush_bytes(c, n);
    if (!bytes)
        return SB_OK;
    char why[96];
    snprintf(why, sizeof why, "a read of %.0f MB, twice the cache, untimed",
             (double)bytes / 1e6);
    note(s, "n = %zu: caches flushed before every call (%s)", n, why);
    pl->fops = ops;
    pl->partial = partial;
    pl->flush_n = bytes / sizeof(float);
    static const float zero = 0.0f;
    int st = sb_buffer(c, CL_MEM_READ_WRITE, bytes, NULL, &pl->flush, err);
    if (st == SB_OK && SB_CLFAIL(clEnqueueFillBuffer(c->queue, pl->flush, &zero,
                                                     sizeof zero, 0, bytes, 0, NULL, NULL),
                                 err, "clEnqueueFillBuffer"))
        st = SB_ERUNTIME;
    return st;
}

/* Time everything selected at size n on one context (local size `local`; baselines
 * only when `baselines`). */
static int run_size(sb_micro_run *s, sb_ctx *c, sb_ops *ops, size_t n, size_t local,
                    int baselines, int largest, sb_err *err)
{
    const sb_micro_opts *mo = s->mo;
    int m = (int)mo->vote_m, dry = mo->dry;
    if (!size_fits(s, c, n, m))
        return SB_OK;
    s->sizes_run++;
    sb_micro_bufs b = {.n = n, .words = (n + 31) / 32, .m = m};
    if (!dry && sb_micro_bufs_alloc(&b, c, n, m, err) != SB_OK)
        return sb_wrap(err, "micro n = %zu", n);
    plan *pl = calloc(1, sizeof *pl);
    cl_mem partial = NULL;
    size_t items = sb_op_stream_items(ops, 1, wg_sizes[1], n);
    int st =
        !pl   ? sb_fail(err, SB_ERUNTIME, "out of memory")
        : dry ? SB_OK
              : sb_buffer(c, CL_MEM_READ_WRITE, items * sizeof(float), NULL, &partial, err);
    if (st == SB_OK)
        st = plan_size(s, pl, c, ops, &b, partial, local, baselines, err);
    if (st == SB_OK && !dry)
        st = plan_flush(s, pl, c, ops, n, partial, err);
    if (st == SB_OK && !dry)
        st = run_rounds(s, pl, err);
    for (int u = 0; st == SB_OK && !dry && u < pl->n; u++)
        if (pl->calls[u].what == 0)
            set_ceiling(s, pl, &s->rs.r[pl->result[u]]);
    if (st == SB_OK && baselines && !mo->no_host)
        st = run_host_loops(s, pl, &b, err);
    if (st == SB_OK && baselines && largest)
        st = measure_transfers(s, c, &b, (int)mo->warmup, (int)mo->reps, err);
    for (int i = 0; st == SB_OK && !dry && i < s->rs.n; i++)
        if (s->rs.r[i].n == n)
            mark_noise(s, &s->rs.r[i]);
    for (int u = 0; st == SB_OK && !dry && u < pl->n; u++) /* the vote's footprint too */
        mark_noise(s, &s->rs.r[pl->result[u]]);
    if (partial)
        clReleaseMemObject(partial);
    if (pl && pl->flush)
        clReleaseMemObject(pl->flush);
    free(pl);
    if (!dry)
        sb_micro_bufs_free(&b);
    return st;
}

int sb_micro_time_kernel(sb_ops *ops, const sb_micro_kernel *k, sb_micro_bufs *b,
                         int warmup, int reps, double *real, double *cpu, sb_err *err)
{
    call cl = {.what = 0, .ops = ops, .k = k, .b = b};
    return time_call(&cl, warmup, reps, real, cpu, err);
}

/* One pass of the sweep on a fresh context with local size index p (or the table's). */
static int sweep_pass(sb_micro_run *s, int p, sb_err *err)
{
    static sb_devparams params[SB_MICRO_MAX_LOCALS];
    const sb_micro_opts *mo = s->mo;
    sb_ctx c;
    int st;
    if ((st = sb_ctx_open(&c, &mo->dev, err)) != SB_OK)
        return st;
    /* A local size other than the table's: rebuild the program with it, since the
     * reductions size their local arrays by SB_LOCAL_SIZE. */
    if (mo->nlocals) {
        if (mo->locals[p] > c.max_wg) {
            st = sb_fail(err, SB_EUSAGE,
                         "micro: --local-size %zu exceeds the device's "
                         "maximum work-group size %zu",
                         mo->locals[p], c.max_wg);
            sb_ctx_close(&c);
            return st;
        }
        params[p] = *c.params;
        params[p].local_size = mo->locals[p];
        c.params = &params[p];
    }
    sb_ops ops;
    if ((st = sb_ops_init(&ops, &c, err)) != SB_OK) {
        sb_ctx_close(&c);
        return st;
    }
    if (mo->nlocals)
        ops.local = mo->locals[p];
    if (p == 0)
        st = measure_latency(s, &c, (int)(mo->reps * 10 > 100 ? mo->reps * 10 : 100), err);
    if (p == 0 && st == SB_OK)
        s->latency_s = s->rs.r[s->rs.n - 1].cs.median;
    for (int i = 0; i < mo->nsizes && st == SB_OK; i++)
        st = run_size(s, &c, &ops, mo->sizes[i], mo->nlocals ? mo->locals[p] : 0, p == 0,
                      i == mo->nsizes - 1, err);
    sb_ops_free(&ops);
    if (p == 0 && st == SB_OK) {
        s->ctx = c;
        s->have_ctx = 1;
    } else
        sb_ctx_close(&c);
    return st;
}

int sb_micro_sweep(sb_micro_run *s, const sb_micro_opts *mo, sb_err *err)
{
    build_registry();
    memset(s, 0, sizeof *s);
    s->mo = mo;
    int st = SB_OK;
    int passes = mo->nlocals ? mo->nlocals : 1;
    machine_warnings(s);
    sb_progress_start(&s->prog, "micro", (long)passes * mo->nsizes * mo->reps);
    for (int p = 0; p < passes && st == SB_OK; p++)
        st = sweep_pass(s, p, err);
    sb_progress_end(&s->prog);
    /* Exit 0 with nothing measured would pass a script that only checks the status. */
    if (st == SB_OK && s->sizes_run == 0)
        st = sb_fail(err, SB_EUSAGE, "micro: every size was skipped, nothing measured (%s)",
                     s->nnotes ? s->notes[0] : "no size given");
    if (!mo->no_clblast)
        CLBlastClearCache(); /* CLBlast's programs and kernels for our contexts */
    return st;
}

void sb_micro_run_free(sb_micro_run *s)
{
    if (s->have_ctx)
        sb_ctx_close(&s->ctx);
    results_free(&s->rs);
    memset(s, 0, sizeof *s);
}
