/* cli_micro.c - `signbench micro`: throughput of every vector kernel against roofline
 * references, CLBlast and plain C loops timed in the same run (DESIGN.md section 4). */
#define _POSIX_C_SOURCE 200809L
#include <clblast_c.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <Random123/philox.h>

#include "cli.h"
#include "cli_ab.h"
#include "ops.h"
#include "ref.h"
#include "report_json.h"
#include "stats.h"
#include "json.h"

static const char help[] =
    "usage: signbench micro [options]\n\n"
    "Measures the throughput of the signbench kernels in GB/s (10^9 bytes/s of minimal\n"
    "traffic) and, in the same run at the same size, of the roofline references copy,\n"
    "read and rmw; each kernel's roofline_fraction is its GB/s over its reference's\n"
    "(rmw for updates, read for pack/vote/norms, copy for sign/unpack/scaled_sign),\n"
    "the reference being timed call by call alternately with the kernel (ABBA), so\n"
    "drift on a busy machine moves both alike. That paired run's GB/s is shown beside\n"
    "each fraction (table \"ref GB/s\", JSON/CSV roofline_ref_bytes_per_second):\n"
    "roofline_fraction = (bytes / median real_time) / roofline_ref_bytes_per_second.\n"
    "Side by side: CLBlast (Saxpy, Sasum, Snrm2, Sdot, iSamax, Scopy: the routine with\n"
    "the kernel's traffic pattern) and the plain C loops on the host, 1 thread and\n"
    "OpenMP. Also: enqueue-to-finish latency of an empty kernel and host-device\n"
    "transfer bandwidth (write, read, map).\n\n"
    "Method: random inputs (Philox), warm-up calls, then REPS timed calls each timed\n"
    "by OpenCL events (END - START, the reported time) and by the host clock around\n"
    "enqueue + finish; median, p90, min and CV are reported.\n\n"
    "Options:\n"
    "  --kernels LIST      comma-separated kernels (default: all): sign, pack, unpack,\n"
    "                      vote, vote_update, scaled_sign, sgd, momentum, signsgd,\n"
    "                      signum, ef-signsgd, lion, adam, rmsprop, norm1, norm2,\n"
    "                      norminf, dot, copy, read, rmw\n"
    "  --sizes LIST        element counts: a list (4K,1M,64M) or a range LO..HI in\n"
    "                      steps of x4 (1K..256M); default 64K x4 up to 64M, and\n"
    "                      on while one buffer is under 8x the last-level cache\n"
    "  --reps N            timed repetitions per benchmark (default 10, at least 3)\n"
    "  --warmup N          untimed calls first (default 2)\n"
    "  --local-size L      work-group size (a power of two), or a list to sweep\n"
    "                      (64,128,256); default the device table's value\n"
    "  --vote-m M          voters for vote and vote_update (default 8, 1..1024)\n"
    "  --json FILE         write results in the Google Benchmark JSON schema\n"
    "  --csv FILE          write the same rows as CSV\n"
    "  --no-clblast        skip the CLBlast baselines\n"
    "  --no-host           skip the C baselines (1 thread and OpenMP)\n"
    "  --quick             small CI set: sizes 4K,1000003, 10 reps, 1 warm-up\n"
    "  --targets           print the issue's targets summary even without 64M\n"
    "                      (it is printed whenever the sizes include 64M = 67108864)\n"
    "  --baseline-kernels DIR  A/B mode against the kernels of DIR (below)\n" SB_COMMON_HELP
    "\nOn PoCL, POCL_AFFINITY=1 is set unless already set, and OpenMP never busy-waits\n"
    "(OMP_WAIT_POLICY=passive): signbench sets both at start-up for every command.\n";

/* ---- the kernels ------------------------------------------------------------ */

typedef enum {
    K_COPY, K_READ, K_RMW, K_SIGN, K_PACK, K_UNPACK, K_VOTE, K_VOTE_UPDATE, K_SCALED_SIGN,
    K_UPDATE, K_NORM1, K_NORM2, K_NORMINF, K_DOT
} kkind;

typedef enum { REF_NONE = -1, REF_COPY = 0, REF_READ = 1, REF_RMW = 2 } refkind;
static const char *const ref_names[] = {"copy", "read", "rmw"};

typedef enum { BL_NONE, BL_SAXPY, BL_SASUM, BL_SNRM2, BL_SDOT, BL_ISAMAX, BL_SCOPY, BL_N } blas;
static const char *const blas_names[] = {"", "saxpy", "sasum", "snrm2", "sdot", "isamax",
                                         "scopy"};
/* Minimal bytes per element of each CLBlast routine (reads + writes). */
static const double blas_bytes[] = {0, 12, 4, 4, 8, 4, 8};

typedef struct kdef {
    const char *name;
    kkind kind;
    const sb_update_info *upd; /* K_UPDATE */
    refkind ref;
    blas bl; /* the CLBlast routine with the same traffic pattern */
} kdef;

#define MAX_KERNELS 40
static kdef all_kernels[MAX_KERNELS];
static int n_all;

static void add_kernel(const char *name, kkind k, const sb_update_info *u, refkind r, blas b)
{
    if (n_all < MAX_KERNELS)
        all_kernels[n_all++] = (kdef){name, k, u, r, b};
}

/* The registry: references first (every other kernel needs them), then by family. */
static void build_registry(void)
{
    if (n_all)
        return;
    add_kernel("copy", K_COPY, NULL, REF_COPY, BL_SCOPY);
    add_kernel("read", K_READ, NULL, REF_READ, BL_SASUM);
    add_kernel("rmw", K_RMW, NULL, REF_RMW, BL_SAXPY);
    add_kernel("sign", K_SIGN, NULL, REF_COPY, BL_SCOPY);
    add_kernel("pack", K_PACK, NULL, REF_READ, BL_SASUM);
    add_kernel("unpack", K_UNPACK, NULL, REF_COPY, BL_SCOPY);
    add_kernel("vote", K_VOTE, NULL, REF_READ, BL_SASUM);
    add_kernel("vote_update", K_VOTE_UPDATE, NULL, REF_RMW, BL_SAXPY);
    add_kernel("scaled_sign", K_SCALED_SIGN, NULL, REF_COPY, BL_SCOPY);
    for (const sb_update_info *u = sb_updates; u->name; u++)
        add_kernel(u->name, K_UPDATE, u, REF_RMW, BL_SAXPY);
    add_kernel("norm1", K_NORM1, NULL, REF_READ, BL_SASUM);
    add_kernel("norm2", K_NORM2, NULL, REF_READ, BL_SNRM2);
    add_kernel("norminf", K_NORMINF, NULL, REF_READ, BL_ISAMAX);
    add_kernel("dot", K_DOT, NULL, REF_READ, BL_SDOT);
}

static const kdef *find_kernel(const char *name)
{
    for (int i = 0; i < n_all; i++)
        if (!strcmp(all_kernels[i].name, name))
            return &all_kernels[i];
    return NULL;
}

/* Minimal traffic of one call in bytes (DESIGN.md section 3). */
static double kernel_bytes(const kdef *k, size_t n, int m)
{
    double dn = (double)n, words = (double)((n + 31) / 32) * 4;
    switch (k->kind) {
    case K_COPY: return 8 * dn;
    case K_READ: return 4 * dn;
    case K_RMW: return 12 * dn;
    case K_SIGN: return 8 * dn;
    case K_PACK: return 4 * dn + words;
    case K_UNPACK: return words + 4 * dn;
    case K_VOTE: return (double)m * words + words;
    case K_VOTE_UPDATE: return (double)m * words + 8 * dn;
    case K_SCALED_SIGN: return 12 * dn; /* norm1 pass reads g; second pass reads g, writes out */
    case K_UPDATE: return k->upd->bytes_per_elem * dn;
    case K_NORM1: case K_NORM2: case K_NORMINF: return 4 * dn;
    case K_DOT: return 8 * dn;
    }
    return 0;
}

/* ---- buffers ------------------------------------------------------------------ */

typedef struct bufs {
    size_t n, words;
    int m;
    /* host copies: inputs of the C loops and the source of the device buffers */
    float *a, *b, *x, *s1, *s2, *out;
    uint32_t *bits, *vout;
    /* device */
    cl_mem da, db, dx, ds1, ds2, dout, dbits, dvout, dscalar;
} bufs;

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

static void bufs_free(bufs *b)
{
    cl_mem *mems[] = {&b->da, &b->db, &b->dx, &b->ds1, &b->ds2, &b->dout, &b->dbits,
                      &b->dvout, &b->dscalar};
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

static int bufs_alloc(bufs *b, sb_ctx *c, size_t n, int m, sb_err *err)
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
        bufs_free(b);
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
        bufs_free(b);
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
static int run_ocl(sb_ops *o, const kdef *k, bufs *b, double *dev_s, sb_err *err)
{
    size_t n = b->n;
    int nan = 0, st;
    double r;
    *dev_s = 0;
    switch (k->kind) {
    case K_COPY: return sb_op_copy(o, b->da, b->dout, n, dev_s, err);
    case K_READ: return sb_op_read(o, b->da, n, &r, dev_s, err);
    case K_RMW: return sb_op_rmw(o, b->dx, b->da, n, 1e-4f, dev_s, err);
    case K_SIGN:
        st = sb_op_sign(o, b->da, b->dout, n, &nan, dev_s, err);
        return st != SB_OK ? st : nan_check(nan, "sign", err);
    case K_PACK:
        st = sb_op_pack(o, b->da, b->dbits, n, &nan, dev_s, err);
        return st != SB_OK ? st : nan_check(nan, "pack", err);
    case K_UNPACK: return sb_op_unpack(o, b->dbits, b->dout, n, dev_s, err);
    case K_VOTE: return sb_op_vote(o, b->dbits, b->m, n, b->dvout, dev_s, err);
    case K_VOTE_UPDATE:
        return sb_op_vote_update(o, b->dx, b->dbits, b->m, n, 1e-4f, dev_s, err);
    case K_SCALED_SIGN: return sb_op_scaled_sign(o, b->da, b->dout, n, dev_s, err);
    case K_UPDATE:
        return sb_op_update(o, k->upd, b->dx, b->da, b->ds1, b->ds2, n, default_hyper(),
                            dev_s, err);
    case K_NORM1: return sb_op_reduce(o, SB_NORM1, b->da, NULL, n, &r, dev_s, err);
    case K_NORM2: return sb_op_reduce(o, SB_NORM2, b->da, NULL, n, &r, dev_s, err);
    case K_NORMINF: return sb_op_reduce(o, SB_NORMINF, b->da, NULL, n, &r, dev_s, err);
    case K_DOT: return sb_op_reduce(o, SB_DOT, b->da, b->db, n, &r, dev_s, err);
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
static int run_blas(sb_ctx *c, blas bl, bufs *b, double *dev_s, sb_err *err)
{
    cl_command_queue q = c->queue;
    cl_event before = NULL, after = NULL;
    cl_int rc = clEnqueueMarkerWithWaitList(q, 0, NULL, &before);
    if (SB_CLFAIL(rc, err, "clEnqueueMarkerWithWaitList"))
        return SB_ERUNTIME;
    CLBlastStatusCode s = CLBlastSuccess;
    size_t n = b->n;
    switch (bl) {
    case BL_SAXPY: s = CLBlastSaxpy(n, 1e-4f, b->da, 0, 1, b->dx, 0, 1, &q, NULL); break;
    case BL_SASUM: s = CLBlastSasum(n, b->dscalar, 0, b->da, 0, 1, &q, NULL); break;
    case BL_SNRM2: s = CLBlastSnrm2(n, b->dscalar, 0, b->da, 0, 1, &q, NULL); break;
    case BL_SDOT: s = CLBlastSdot(n, b->dscalar, 0, b->da, 0, 1, b->db, 0, 1, &q, NULL); break;
    case BL_ISAMAX: s = CLBlastiSamax(n, b->dscalar, 0, b->da, 0, 1, &q, NULL); break;
    case BL_SCOPY: s = CLBlastScopy(n, b->da, 0, 1, b->dout, 0, 1, &q, NULL); break;
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
static int run_host(const kdef *k, bufs *b, int omp, sb_err *err)
{
    size_t n = b->n;
    sb_hyper h = default_hyper();
    volatile double sink;
    int nan = 0;
    switch (k->kind) {
    case K_COPY: sb_ref_copy(b->a, b->out, n, omp); break;
    case K_READ: sink = sb_ref_read(b->a, n, omp); break;
    case K_RMW: sb_ref_rmw(b->x, b->a, n, 1e-4f, omp); break;
    case K_SIGN: nan = sb_ref_sign(b->a, b->out, n, omp); break;
    case K_PACK: nan = sb_ref_pack(b->a, b->bits, n, omp); break;
    case K_UNPACK: sb_ref_unpack(b->bits, b->out, n, omp); break;
    case K_VOTE: sb_ref_vote(b->bits, b->m, n, b->vout, omp); break;
    case K_VOTE_UPDATE: sb_ref_vote_update(b->x, b->bits, b->m, n, 1e-4f, omp); break;
    case K_SCALED_SIGN: sb_ref_scaled_sign(b->a, b->out, n, omp); break;
    case K_UPDATE: sb_ref_update(k->upd, b->x, b->a, b->s1, b->s2, n, h, omp); break;
    case K_NORM1: sink = sb_ref_reduce(SB_NORM1, b->a, NULL, n, omp); break;
    case K_NORM2: sink = sb_ref_reduce(SB_NORM2, b->a, NULL, n, omp); break;
    case K_NORMINF: sink = sb_ref_reduce(SB_NORMINF, b->a, NULL, n, omp); break;
    case K_DOT: sink = sb_ref_reduce(SB_DOT, b->a, b->b, n, omp); break;
    }
    (void)sink;
    return nan_check(nan, "C reference sign/pack", err);
}

/* ---- timing --------------------------------------------------------------------- */

typedef struct call {
    int what; /* 0: our kernel, 1: CLBlast, 2: C loop */
    sb_ops *ops;
    sb_ctx *ctx;
    const kdef *k;
    blas bl;
    bufs *b;
    int omp;
} call;

static int call_once(const call *c, double *dev_s, sb_err *err)
{
    switch (c->what) {
    case 0: return run_ocl(c->ops, c->k, c->b, dev_s, err);
    case 1: return run_blas(c->ctx, c->bl, c->b, dev_s, err);
    default: *dev_s = 0; return run_host(c->k, c->b, c->omp, err);
    }
}

static cl_command_queue queue_of(const call *c)
{
    return c->what == 2 ? NULL : (c->what == 0 ? c->ops->ctx->queue : c->ctx->queue);
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
    *real = c->what == 2 ? t1 - t0 : d;
    return SB_OK;
}

/* Warm-up calls, then reps timed calls. With a pair (the roofline reference), the two
 * alternate call by call (ABBA order), so a machine that drifts over minutes moves both
 * samples alike and their ratio stays put; pair_real gets the reference's times. */
static int time_call(const call *c, const call *pair, int warmup, int reps, double *real,
                     double *cpu, double *pair_real, sb_err *err)
{
    double d, dummy;
    for (int i = 0; i < warmup; i++)
        if (call_once(c, &d, err) != SB_OK || (pair && call_once(pair, &d, err) != SB_OK))
            return err->code;
    for (int i = 0; i < reps; i++) {
        int pair_first = pair && (i & 1);
        if (pair_first && timed_once(pair, &pair_real[i], &dummy, err) != SB_OK)
            return err->code;
        if (timed_once(c, &real[i], &cpu[i], err) != SB_OK)
            return err->code;
        if (pair && !pair_first && timed_once(pair, &pair_real[i], &dummy, err) != SB_OK)
            return err->code;
    }
    return SB_OK;
}

/* ---- results -------------------------------------------------------------------- */

typedef struct result {
    const char *kernel;
    const char *impl;   /* "ocl", "clblast", "c1", "omp" */
    const kdef *k;      /* NULL for CLBlast, latency and transfer rows */
    blas bl;            /* CLBlast rows */
    size_t n, local;
    double bytes;
    double *real, *cpu;
    int reps;
    sb_stats rs, cs;
    double gbps;        /* bytes / median real time / 1e9 */
    double roof;        /* NAN: none */
    double pair_gbps;   /* the reference's GB/s timed alternately with this; 0: none */
    double ref_gbps;    /* the GB/s roof is over (pair_gbps, else the reference's row) */
    refkind ref;
    int manual;         /* real is device time */
    int no_copy;        /* map_read on a device sharing host memory: a latency, no rate */
} result;

typedef struct results {
    result *r;
    int n, cap;
} results;

static result *add_result(results *rs, const char *kernel, const char *impl, size_t n,
                          size_t local, double bytes, int reps, int manual, sb_err *err)
{
    if (rs->n == rs->cap) {
        int cap = rs->cap ? rs->cap * 2 : 64;
        result *p = realloc(rs->r, (size_t)cap * sizeof *p);
        if (!p) {
            sb_fail(err, SB_ERUNTIME, "out of memory for results");
            return NULL;
        }
        rs->r = p;
        rs->cap = cap;
    }
    result *r = &rs->r[rs->n];
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
    r->reps = reps, r->manual = manual, r->roof = NAN, r->ref = REF_NONE;
    return r;
}

static int finish_result(result *r, sb_err *err)
{
    if (sb_stats_compute(r->real, (size_t)r->reps, &r->rs, err) != SB_OK ||
        sb_stats_compute(r->cpu, (size_t)r->reps, &r->cs, err) != SB_OK)
        return sb_wrap(err, "%s/%s n=%zu", r->kernel, r->impl, r->n);
    r->gbps = r->rs.median > 0 ? r->bytes / r->rs.median / 1e9 : 0;
    return SB_OK;
}

static void results_free(results *rs)
{
    for (int i = 0; i < rs->n; i++)
        free(rs->r[i].real), free(rs->r[i].cpu);
    free(rs->r);
    memset(rs, 0, sizeof *rs);
}

static const result *find_result(const results *rs, const char *kernel, const char *impl,
                                 size_t n, size_t local)
{
    for (int i = 0; i < rs->n; i++) {
        const result *r = &rs->r[i];
        if (!strcmp(r->kernel, kernel) && !strcmp(r->impl, impl) && r->n == n &&
            (r->local == local || strcmp(impl, "ocl")))
            return r;
    }
    return NULL;
}

/* ---- latency and transfers ---------------------------------------------------- */

/* Enqueue-to-finish of the `empty` kernel: real = event time, cpu = host clock. */
static int measure_latency(sb_ctx *c, results *rs, int reps, sb_err *err)
{
    cl_kernel k;
    if (sb_ctx_kernel(c, "empty", &k, err) != SB_OK)
        return err->code;
    size_t one = 1;
    int st = SB_OK;
    result *r = add_result(rs, "empty", "ocl", 1, 0, 0, reps, 1, err);
    if (!r) {
        clReleaseKernel(k);
        return err->code;
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
static int measure_transfers(sb_ctx *c, bufs *b, results *rs, int warmup, int reps,
                             sb_err *err)
{
    static const char *const names[] = {"h2d_write", "d2h_read", "map_read"};
    size_t bytes = b->n * sizeof(float);
    /* On a device that shares host memory a map moves nothing: its time is a latency,
     * and bytes over it would be a meaningless rate (tens of TB/s). */
    cl_bool unified = CL_FALSE;
    if (clGetDeviceInfo(c->dev.did, CL_DEVICE_HOST_UNIFIED_MEMORY, sizeof unified, &unified,
                        NULL) != CL_SUCCESS)
        unified = CL_FALSE;
    for (int t = 0; t < 3; t++) {
        result *r = add_result(rs, names[t], "ocl", b->n, 0, (double)bytes, reps, 1, err);
        if (!r)
            return err->code;
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
                void *p = clEnqueueMapBuffer(c->queue, b->da, CL_TRUE, CL_MAP_READ, 0, bytes,
                                             0, NULL, &e1, &rc);
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

/* ---- options -------------------------------------------------------------------- */

#define MAX_SIZES 64
#define MAX_LOCALS 16
#define SIZE_64M ((size_t)64 << 20)

typedef struct micro_opts {
    sb_opts dev;
    int selected[MAX_KERNELS]; /* asked for by the user */
    size_t sizes[MAX_SIZES];
    int nsizes;
    size_t locals[MAX_LOCALS];
    int nlocals;
    long reps, warmup, vote_m;
    const char *json, *csv;
    int no_clblast, no_host, quick, targets;
} micro_opts;

/* Calls item on each item of the comma list LIST (on a copy, which item may cut up),
 * stopping at the first failure. */
static int each_item(const char *list, int (*item)(char *t, micro_opts *mo, sb_err *err),
                     micro_opts *mo, sb_err *err)
{
    char *copy = strdup(list);
    if (!copy)
        return sb_fail(err, SB_ERUNTIME, "out of memory");
    int st = SB_OK;
    for (char *save = NULL, *t = strtok_r(copy, ",", &save); t && st == SB_OK;
         t = strtok_r(NULL, ",", &save))
        st = item(t, mo, err);
    free(copy);
    return st;
}

static int kernel_item(char *t, micro_opts *mo, sb_err *err)
{
    if (!strcmp(t, "all")) {
        for (int i = 0; i < n_all; i++)
            mo->selected[i] = 1;
        return SB_OK;
    }
    const kdef *k = find_kernel(t);
    if (!k) {
        char names[1024] = "";
        for (int i = 0; i < n_all; i++) {
            strncat(names, i ? ", " : "", sizeof names - strlen(names) - 1);
            strncat(names, all_kernels[i].name, sizeof names - strlen(names) - 1);
        }
        return sb_fail(err, SB_EUSAGE, "micro: --kernels: unknown kernel '%s' (valid: %s)", t,
                       names);
    }
    mo->selected[k - all_kernels] = 1;
    return SB_OK;
}

static int parse_kernels(const char *list, micro_opts *mo, sb_err *err)
{
    memset(mo->selected, 0, sizeof mo->selected);
    int st = each_item(list, kernel_item, mo, err), any = 0;
    for (int i = 0; i < n_all; i++)
        any |= mo->selected[i];
    if (st == SB_OK && !any)
        st = sb_fail(err, SB_EUSAGE, "micro: --kernels: empty list");
    return st;
}

static int add_size(micro_opts *mo, size_t n, sb_err *err)
{
    for (int i = 0; i < mo->nsizes; i++)
        if (mo->sizes[i] == n)
            return SB_OK;
    if (mo->nsizes == MAX_SIZES)
        return sb_fail(err, SB_EUSAGE, "micro: --sizes: more than %d sizes", MAX_SIZES);
    mo->sizes[mo->nsizes++] = n;
    return SB_OK;
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

/* "4K,1M,64M" or "1K..256M" (x4 steps, HI included) or a mix of both. */
static int size_item(char *t, micro_opts *mo, sb_err *err)
{
    char *dots = strstr(t, "..");
    int st;
    if (!dots) {
        size_t n;
        st = sb_parse_size("micro: --sizes", t, &n, err);
        if (st == SB_OK)
            st = add_size(mo, n, err);
        return st;
    }
    *dots = '\0';
    size_t lo, hi;
    if ((st = sb_parse_size("micro: --sizes (range start)", t, &lo, err)) != SB_OK ||
        (st = sb_parse_size("micro: --sizes (range end)", dots + 2, &hi, err)) != SB_OK)
        return st;
    if (lo > hi)
        return sb_fail(err, SB_EUSAGE, "micro: --sizes: range %s..%s runs backwards", t,
                       dots + 2);
    for (size_t n = lo; n < hi && st == SB_OK; n *= 4)
        st = add_size(mo, n, err);
    if (st == SB_OK)
        st = add_size(mo, hi, err);
    return st;
}

static int parse_sizes(const char *list, micro_opts *mo, sb_err *err)
{
    mo->nsizes = 0;
    int st = each_item(list, size_item, mo, err);
    if (st == SB_OK && mo->nsizes == 0)
        st = sb_fail(err, SB_EUSAGE, "micro: --sizes: empty list");
    if (st == SB_OK)
        qsort(mo->sizes, (size_t)mo->nsizes, sizeof mo->sizes[0], cmp_size);
    return st;
}

static int local_item(char *t, micro_opts *mo, sb_err *err)
{
    long v;
    int st = sb_parse_long("micro: --local-size", t, 1, 65536, &v, err);
    if (st)
        return st;
    /* The reductions halve their work-group in a tree: powers of two only. */
    if (v & (v - 1))
        return sb_fail(err, SB_EUSAGE, "micro: --local-size %ld: must be a power of two", v);
    if (mo->nlocals == MAX_LOCALS)
        return sb_fail(err, SB_EUSAGE, "micro: --local-size: more than %d values", MAX_LOCALS);
    mo->locals[mo->nlocals++] = (size_t)v;
    return SB_OK;
}

static int parse_locals(const char *list, micro_opts *mo, sb_err *err)
{
    mo->nlocals = 0;
    int st = each_item(list, local_item, mo, err);
    if (st == SB_OK && mo->nlocals == 0)
        st = sb_fail(err, SB_EUSAGE, "micro: --local-size: empty list");
    return st;
}

/* Fail now, not after a long sweep, when an output file cannot be written. */
static int check_writable(const char *opt, const char *path, sb_err *err)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return sb_fail(err, SB_EUSAGE, "micro: %s %s: cannot write there", opt, path);
    fclose(f);
    remove(tmp);
    return SB_OK;
}

/* Default sweep: 64K x4 up to 64M, or further until one buffer is 8x the LLC. */
static void default_sizes(micro_opts *mo)
{
    unsigned long long llc = sb_llc_bytes();
    size_t top = SIZE_64M;
    while ((unsigned long long)top * 4 < 8 * llc)
        top *= 4;
    mo->nsizes = 0;
    for (size_t n = 64 << 10; n <= top && mo->nsizes < MAX_SIZES; n *= 4)
        mo->sizes[mo->nsizes++] = n;
}

/* ---- the sweep -------------------------------------------------------------------- */

typedef struct run_state {
    micro_opts *mo;
    results rs;
    char notes[16][256];
    int nnotes;
    sb_progress prog;
    long done;
    double latency_s;
} run_state;

static void note(run_state *s, const char *fmt, size_t n, const char *why)
{
    if (s->nnotes < 16)
        snprintf(s->notes[s->nnotes++], sizeof s->notes[0], fmt, n, why);
}

static const char *blas_ref_name(blas bl)
{
    return bl == BL_SAXPY ? "rmw" : bl == BL_SCOPY ? "copy" : "read";
}

static const kdef *ref_kernel(refkind r)
{
    return find_kernel(ref_names[r]);
}

/* GB/s of a reference from its alternated sample's median. */
static double pair_gbps(const call *pair, const bufs *b, const double *real, int reps)
{
    sb_stats st;
    if (sb_stats_compute(real, (size_t)reps, &st, NULL) != SB_OK || !(st.median > 0))
        return 0;
    return kernel_bytes(pair->k, b->n, b->m) / st.median / 1e9;
}

/* Time everything selected at size n on one context (local size `local`; baselines
 * only when `baselines`). */
static int run_size(run_state *s, sb_ctx *c, sb_ops *ops, size_t n, size_t local,
                    int baselines, int largest, sb_err *err)
{
    micro_opts *mo = s->mo;
    int m = (int)mo->vote_m, reps = (int)mo->reps, warm = (int)mo->warmup;
    /* Memory: skip with a note rather than fail. */
    size_t words = (n + 31) / 32;
    double need = bufs_bytes(n, m);
    if ((double)n * 4 > (double)c->max_alloc || (double)words * 4 * m > (double)c->max_alloc) {
        note(s, "n = %zu skipped: a buffer exceeds the device's max allocation (%s)", n,
             "CL_DEVICE_MAX_MEM_ALLOC_SIZE");
        return SB_OK;
    }
    if (need > 0.8 * (double)c->global_mem) {
        note(s, "n = %zu skipped: needs more than 80%% of the device's global memory (%s)",
             n, "CL_DEVICE_GLOBAL_MEM_SIZE");
        return SB_OK;
    }
    double avail = (double)sysconf(_SC_AVPHYS_PAGES) * (double)sysconf(_SC_PAGESIZE);
    double host_need = need * (c->dev.type & CL_DEVICE_TYPE_CPU ? 2 : 1);
    if (avail > 0 && host_need > 0.8 * avail) {
        note(s, "n = %zu skipped: needs more than 80%% of the free host memory (%s)", n,
             "host copies of the inputs, plus the device buffers on a CPU device");
        return SB_OK;
    }
    bufs b;
    if (bufs_alloc(&b, c, n, m, err) != SB_OK)
        return sb_wrap(err, "micro n = %zu", n);
    double *pair_real = calloc((size_t)reps, sizeof *pair_real);
    if (!pair_real) {
        bufs_free(&b);
        return sb_fail(err, SB_ERUNTIME, "out of memory");
    }
    int st = SB_OK;
    int used_blas[BL_N] = {0};
    for (int i = 0; i < n_all && st == SB_OK; i++) {
        const kdef *k = &all_kernels[i];
        int is_ref = k->kind == K_COPY || k->kind == K_READ || k->kind == K_RMW;
        if (!mo->selected[i] && !is_ref)
            continue;
        used_blas[k->bl] = 1;
        result *r = add_result(&s->rs, k->name, "ocl", n, mo->nlocals ? local : 0,
                               kernel_bytes(k, n, m), reps, 1, err);
        call cl = {.what = 0, .ops = ops, .k = k, .b = &b};
        call pair = {.what = 0, .ops = ops, .k = ref_kernel(k->ref), .b = &b};
        if (!r || (st = time_call(&cl, is_ref ? NULL : &pair, warm, reps, r->real, r->cpu,
                                  pair_real, err)) != SB_OK ||
            (st = finish_result(r, err)) != SB_OK) {
            st = st != SB_OK ? st : err->code;
            sb_wrap(err, "micro: %s at n = %zu", k->name, n);
            break;
        }
        r->k = k;
        r->ref = k->ref;
        if (!is_ref)
            r->pair_gbps = pair_gbps(&pair, &b, pair_real, reps);
        sb_progress_step(&s->prog, ++s->done);
        if (!baselines || mo->no_host)
            continue;
        for (int omp = 0; omp < 2 && st == SB_OK; omp++) {
            result *h = add_result(&s->rs, k->name, omp ? "omp" : "c1", n, 0,
                                   kernel_bytes(k, n, m), reps, 0, err);
            call hc = {.what = 2, .k = k, .b = &b, .omp = omp};
            if (!h || (st = time_call(&hc, NULL, warm, reps, h->real, h->cpu, NULL, err)) != SB_OK ||
                (st = finish_result(h, err)) != SB_OK) {
                st = st != SB_OK ? st : err->code;
                sb_wrap(err, "micro: C loop %s at n = %zu", k->name, n);
            }
            if (h)
                h->k = k;
        }
    }
    if (st == SB_OK && baselines && !mo->no_clblast)
        for (int bl = 1; bl < BL_N && st == SB_OK; bl++) {
            if (!used_blas[bl])
                continue;
            result *r = add_result(&s->rs, blas_names[bl], "clblast", n, 0,
                                   blas_bytes[bl] * (double)n, reps, 1, err);
            refkind rk = !strcmp(blas_ref_name((blas)bl), "rmw")    ? REF_RMW
                         : !strcmp(blas_ref_name((blas)bl), "copy") ? REF_COPY
                                                                    : REF_READ;
            call cl = {.what = 1, .ctx = c, .bl = (blas)bl, .b = &b};
            call pair = {.what = 0, .ops = ops, .k = ref_kernel(rk), .b = &b};
            if (!r || (st = time_call(&cl, &pair, warm, reps, r->real, r->cpu, pair_real,
                                      err)) != SB_OK ||
                (st = finish_result(r, err)) != SB_OK) {
                st = st != SB_OK ? st : err->code;
                sb_wrap(err, "micro: CLBlast %s at n = %zu", blas_names[bl], n);
                break;
            }
            r->bl = (blas)bl;
            r->ref = rk;
            r->pair_gbps = pair_gbps(&pair, &b, pair_real, reps);
        }
    if (st == SB_OK && baselines && largest)
        st = measure_transfers(c, &b, &s->rs, warm, reps, err);
    bufs_free(&b);
    free(pair_real);
    if (st != SB_OK)
        return st;
    /* Roofline fractions: against the reference timed alternately with the kernel when
     * there is one, else against the reference's own run at this size and local. */
    for (int i = 0; i < s->rs.n; i++) {
        result *r = &s->rs.r[i];
        if (r->n != n || r->ref == REF_NONE || !isnan(r->roof))
            continue;
        if (!strcmp(r->impl, "ocl") && r->local != (mo->nlocals ? local : 0))
            continue;
        const result *ref = find_result(&s->rs, ref_names[r->ref], "ocl", n,
                                        mo->nlocals ? local : 0);
        if (r->pair_gbps > 0)
            r->ref_gbps = r->pair_gbps;
        else if (ref && ref->gbps > 0)
            r->ref_gbps = ref->gbps;
        if (r->ref_gbps > 0)
            r->roof = r->gbps / r->ref_gbps;
    }
    return SB_OK;
}

/* ---- output -------------------------------------------------------------------------- */

static double gbps_of(const run_state *s, const char *kernel, const char *impl, size_t n,
                      size_t local)
{
    const result *r = find_result(&s->rs, kernel, impl, n, local);
    return r ? r->gbps : NAN;
}

static void fmt_gbps(char *out, size_t cap, double v)
{
    if (isnan(v))
        snprintf(out, cap, "-");
    else
        snprintf(out, cap, "%.2f", v);
}

static void print_table(const run_state *s, const sb_ctx *c)
{
    const micro_opts *mo = s->mo;
    printf("signbench micro on %s (%s, driver %s)\n", c->dev.name, c->dev.platform_name,
           c->driver);
    printf("%ld reps after %ld warm-up; times are medians of OpenCL event time (END-START);"
           " GB = 1e9 bytes of minimal traffic; vote M = %ld\n\n", mo->reps, mo->warmup,
           mo->vote_m);
    printf("%-12s %10s %6s %12s %10s %10s %10s %6s %8s %-10s %8s %-16s %8s %8s\n", "kernel",
           "n", "local", "bytes/call", "median_us", "min_us", "p90_us", "cv%", "GB/s",
           "roofline", "ref GB/s", "CLBlast GB/s", "C1 GB/s", "OMP GB/s");
    size_t last_n = 0, last_local = 0;
    for (int i = 0; i < s->rs.n; i++) {
        const result *r = &s->rs.r[i];
        if (strcmp(r->impl, "ocl") || !r->k)
            continue;
        if (last_n && (r->n != last_n || r->local != last_local))
            printf("\n");
        last_n = r->n;
        last_local = r->local;
        char roof[32] = "-", blas_s[40] = "-", c1[16], omp[16], g[16], rg[16] = "-";
        if (!isnan(r->roof)) {
            snprintf(roof, sizeof roof, "%.2f %s", r->roof, ref_names[r->ref]);
            fmt_gbps(rg, sizeof rg, r->ref_gbps);
        }
        double bg = gbps_of(s, blas_names[r->k->bl], "clblast", r->n, 0);
        if (!isnan(bg))
            snprintf(blas_s, sizeof blas_s, "%.2f %s", bg, blas_names[r->k->bl]);
        fmt_gbps(c1, sizeof c1, gbps_of(s, r->kernel, "c1", r->n, 0));
        fmt_gbps(omp, sizeof omp, gbps_of(s, r->kernel, "omp", r->n, 0));
        fmt_gbps(g, sizeof g, r->gbps);
        char local[24] = "def";
        if (r->local)
            snprintf(local, sizeof local, "%zu", r->local);
        printf("%-12s %10zu %6s %12.0f %10.2f %10.2f %10.2f %6.1f %8s %-10s %8s %-16s %8s "
               "%8s\n", r->kernel, r->n, local, r->bytes, r->rs.median * 1e6, r->rs.min * 1e6,
               r->rs.p90 * 1e6, 100 * r->rs.cv, g, roof, rg, blas_s, c1, omp);
    }
    printf("\n");
    for (int i = 0; i < s->rs.n; i++) {
        const result *r = &s->rs.r[i];
        if (!strcmp(r->kernel, "empty"))
            printf("empty kernel: enqueue-to-finish median %.1f us (p90 %.1f us, min %.1f "
                   "us); event-profiled %.2f us\n", r->cs.median * 1e6, r->cs.p90 * 1e6,
                   r->cs.min * 1e6, r->rs.median * 1e6);
        else if (r->no_copy)
            printf("transfer %-9s n = %zu (%.0f MB): no copy (the device shares host memory): "
                   "map + unmap latency median %.1f us by events, %.1f us by host clock\n",
                   r->kernel, r->n, r->bytes / 1e6, r->rs.median * 1e6, r->cs.median * 1e6);
        else if (!r->k && !strcmp(r->impl, "ocl"))
            printf("transfer %-9s n = %zu (%.0f MB): %.2f GB/s by events, %.2f GB/s by host "
                   "clock (median %.1f us)%s\n", r->kernel, r->n, r->bytes / 1e6, r->gbps,
                   r->cs.median > 0 ? r->bytes / r->cs.median / 1e9 : 0, r->cs.median * 1e6,
                   "");
    }
    for (int i = 0; i < s->nnotes; i++)
        printf("note: %s\n", s->notes[i]);
}

/* The roofline reference's rate (bytes/s) on every row sb_gb_add appended from index
 * `first` on, so roofline_fraction can be recomputed from the file: on the median row it
 * is bytes / median real_time over roofline_ref_bytes_per_second. */
static void add_ref_rate(cJSON *doc, int first, double ref_bps)
{
    cJSON *list = cJSON_GetObjectItem(doc, "benchmarks"), *row;
    int i = 0;
    cJSON_ArrayForEach(row, list)
    {
        if (i++ >= first && cJSON_GetObjectItem(row, "roofline_fraction"))
            cJSON_AddNumberToObject(row, "roofline_ref_bytes_per_second", ref_bps);
    }
}

/* A zero-copy map's rows: no bytes_per_second (sb_gb_add got bytes 0), and why. */
static void mark_no_copy(cJSON *doc, int first, double mapped)
{
    cJSON *list = cJSON_GetObjectItem(doc, "benchmarks"), *row;
    int i = 0;
    cJSON_ArrayForEach(row, list)
    {
        if (i++ < first)
            continue;
        cJSON_AddBoolToObject(row, "zero_copy", 1);
        cJSON_AddNumberToObject(row, "mapped_bytes", mapped);
    }
}

static const char *verdict(int ok)
{
    return ok ? "met" : "NOT met";
}

/* The targets at 64M floats (or the largest size measured, with --targets). */
static void print_targets(const run_state *s)
{
    size_t n = 0;
    for (int i = 0; i < s->rs.n; i++)
        if (!strcmp(s->rs.r[i].impl, "ocl") && s->rs.r[i].k &&
            (s->rs.r[i].n == SIZE_64M || (s->rs.r[i].n > n && n != SIZE_64M)))
            n = s->rs.r[i].n;
    if (!n)
        return;
    size_t local = s->mo->nlocals ? s->mo->locals[0] : 0;
    printf("\ntargets (issue 3) at n = %zu%s, local %s:\n", n,
           n == SIZE_64M ? " (64M floats)" : " (NOT 64M: indicative only)",
           local ? "first of the sweep" : "default");
    static const char *const updates[] = {"signsgd", "signum", "lion", "adam"};
    for (int i = 0; i < 4; i++) {
        const result *r = find_result(&s->rs, updates[i], "ocl", n, local);
        if (!r)
            continue;
        double omp = gbps_of(s, updates[i], "omp", n, 0);
        printf("  %-8s roofline %.3f of rmw (>= 0.90): %s; %.2f GB/s vs OpenMP C ",
               updates[i], r->roof, verdict(r->roof >= 0.90), r->gbps);
        if (isnan(omp))
            printf("not measured\n");
        else
            printf("%.2f GB/s: %s\n", omp, verdict(r->gbps >= omp));
    }
    const result *p = find_result(&s->rs, "pack", "ocl", n, local);
    if (p)
        printf("  %-8s roofline %.3f of read (>= 0.90): %s\n", "pack", p->roof,
               verdict(p->roof >= 0.90));
    const result *v = find_result(&s->rs, "vote", "ocl", n, local);
    if (v && v->rs.median > 0) {
        double in = (double)s->mo->vote_m * (double)((n + 31) / 32) * 4;
        printf("  %-8s M = %ld: %.2f GB/s of packed input read (%.0f bytes/call)\n", "vote",
               s->mo->vote_m, in / v->rs.median / 1e9, in);
    }
    static const char *const norms[] = {"norm1", "norm2", "norminf"};
    static const blas nb[] = {BL_SASUM, BL_SNRM2, BL_ISAMAX};
    for (int i = 0; i < 3; i++) {
        const result *r = find_result(&s->rs, norms[i], "ocl", n, local);
        if (!r)
            continue;
        const result *b = find_result(&s->rs, blas_names[nb[i]], "clblast", n, 0);
        printf("  %-8s roofline %.3f of read (>= 0.90): %s; ", norms[i], r->roof,
               verdict(r->roof >= 0.90));
        if (!b)
            printf("CLBlast %s not measured\n", blas_names[nb[i]]);
        else
            printf("%.1f us vs CLBlast %s %.1f us: %s\n", r->rs.median * 1e6,
                   blas_names[nb[i]], b->rs.median * 1e6,
                   verdict(r->rs.median < b->rs.median));
    }
}

static int write_outputs(const run_state *s, const sb_ctx *c, sb_err *err)
{
    const micro_opts *mo = s->mo;
    if (!mo->json && !mo->csv)
        return SB_OK;
    cJSON *ctxj = NULL;
    cJSON *doc = sb_gb_new("signbench micro", &ctxj);
    if (!doc)
        return sb_fail(err, SB_ERUNTIME, "micro: out of memory for the JSON report");
    cJSON_AddStringToObject(ctxj, "device", c->dev.name);
    cJSON_AddStringToObject(ctxj, "platform", c->dev.platform_name);
    cJSON_AddStringToObject(ctxj, "device_vendor", c->vendor);
    cJSON_AddStringToObject(ctxj, "driver", c->driver);
    cJSON_AddStringToObject(ctxj, "opencl_version", c->version);
    cJSON_AddNumberToObject(ctxj, "compute_units", c->compute_units);
    cJSON_AddNumberToObject(ctxj, "global_mem", (double)c->global_mem);
    cJSON_AddNumberToObject(ctxj, "max_alloc", (double)c->max_alloc);
    cJSON_AddNumberToObject(ctxj, "default_local_size", (double)c->params->local_size);
    cJSON_AddNumberToObject(ctxj, "vote_m", (double)mo->vote_m);
    cJSON_AddNumberToObject(ctxj, "omp_threads", omp_get_max_threads());
    const char *aff = getenv("POCL_AFFINITY"), *wait = getenv("OMP_WAIT_POLICY");
    cJSON_AddStringToObject(ctxj, "pocl_affinity", aff ? aff : "");
    cJSON_AddStringToObject(ctxj, "omp_wait_policy", wait ? wait : "");
    cJSON *notes = cJSON_AddArrayToObject(ctxj, "notes");
    for (int i = 0; i < s->nnotes; i++)
        cJSON_AddItemToArray(notes, cJSON_CreateString(s->notes[i]));
    int st = SB_OK;
    for (int i = 0; i < s->rs.n && st == SB_OK; i++) {
        const result *r = &s->rs.r[i];
        int host = !strcmp(r->impl, "c1") || !strcmp(r->impl, "omp");
        sb_gb_bench b = {
            .kernel = r->kernel, .impl = r->impl, .device = host ? "host" : c->dev.name,
            .n = r->n, .local = r->local, .bytes = r->no_copy ? 0 : r->bytes,
            .manual_time = r->manual,
            .roofline_fraction = r->roof,
            .roofline_ref = r->ref == REF_NONE ? NULL : ref_names[r->ref],
            .real_s = r->real, .cpu_s = r->cpu, .reps = r->reps,
            .threads = !strcmp(r->impl, "omp") ? omp_get_max_threads() : 1};
        int before = cJSON_GetArraySize(cJSON_GetObjectItem(doc, "benchmarks"));
        st = sb_gb_add(doc, &b, err);
        if (st == SB_OK && !isnan(r->roof))
            add_ref_rate(doc, before, r->ref_gbps * 1e9);
        if (st == SB_OK && r->no_copy)
            mark_no_copy(doc, before, r->bytes);
    }
    if (st == SB_OK && mo->json)
        st = sb_gb_write_json(doc, mo->json, err);
    if (st == SB_OK && mo->csv)
        st = sb_gb_write_csv(doc, mo->csv, err);
    cJSON_Delete(doc);
    return st;
}

/* ---- the command ------------------------------------------------------------------ */

enum { O_KERNELS = SB_OPT_FIRST_FREE, O_SIZES, O_REPS, O_WARMUP, O_LOCAL, O_VOTE_M, O_JSON,
       O_CSV, O_NO_CLBLAST, O_NO_HOST, O_QUICK, O_TARGETS };

static int parse_args(int argc, char **argv, micro_opts *mo, int *help, sb_err *err)
{
    static const struct option longopts[] = {
        {"kernels", required_argument, 0, O_KERNELS}, {"sizes", required_argument, 0, O_SIZES},
        {"reps", required_argument, 0, O_REPS}, {"warmup", required_argument, 0, O_WARMUP},
        {"local-size", required_argument, 0, O_LOCAL},
        {"vote-m", required_argument, 0, O_VOTE_M}, {"json", required_argument, 0, O_JSON},
        {"csv", required_argument, 0, O_CSV}, {"no-clblast", no_argument, 0, O_NO_CLBLAST},
        {"no-host", no_argument, 0, O_NO_HOST}, {"quick", no_argument, 0, O_QUICK},
        {"targets", no_argument, 0, O_TARGETS}, SB_COMMON_LONGOPTS, {0, 0, 0, 0}};
    const char *kernels = "all", *sizes = NULL;
    int warm_set = 0, c, st = SB_OK;
    mo->reps = 10, mo->warmup = 2, mo->vote_m = 8;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1 && st == SB_OK) {
        if (sb_cli_common(c, optarg, &mo->dev))
            continue;
        switch (c) {
        case SB_OPT_HELP: *help = 1; return SB_OK;
        case O_KERNELS: kernels = optarg; break;
        case O_SIZES: sizes = optarg; break;
        case O_REPS: st = sb_parse_long("micro: --reps", optarg, 3, 100000, &mo->reps, err);
            break;
        case O_WARMUP: st = sb_parse_long("micro: --warmup", optarg, 0, 10000, &mo->warmup, err);
            warm_set = 1; break;
        case O_LOCAL: st = parse_locals(optarg, mo, err); break;
        case O_VOTE_M: st = sb_parse_long("micro: --vote-m", optarg, 1, 1024, &mo->vote_m, err);
            break;
        case O_JSON: mo->json = optarg; break;
        case O_CSV: mo->csv = optarg; break;
        case O_NO_CLBLAST: mo->no_clblast = 1; break;
        case O_NO_HOST: mo->no_host = 1; break;
        case O_QUICK: mo->quick = 1; break;
        case O_TARGETS: mo->targets = 1; break;
        default: return sb_cli_bad_option("micro", argc, argv, err);
        }
    }
    if (st != SB_OK)
        return st;
    if (optind < argc)
        return sb_fail(err, SB_EUSAGE, "micro: unexpected argument '%s'", argv[optind]);
    if ((st = parse_kernels(kernels, mo, err)) != SB_OK)
        return st;
    if (sizes)
        st = parse_sizes(sizes, mo, err);
    else if (mo->quick)
        st = parse_sizes("4K,1000003", mo, err);
    else
        default_sizes(mo);
    if (st == SB_OK && mo->quick && !warm_set)
        mo->warmup = 1;
    if (st == SB_OK && mo->nlocals && mo->dev.kernel_binary)
        st = sb_fail(err, SB_EUSAGE, "micro: --local-size needs kernels built from source; a "
                     "--kernel-binary file has its work-group size built in");
    if (st == SB_OK && mo->json)
        st = check_writable("--json", mo->json, err);
    if (st == SB_OK && mo->csv)
        st = check_writable("--csv", mo->csv, err);
    return st;
}

int sb_cmd_micro(int argc, char **argv, sb_err *err)
{
    if (sb_micro_ab_wanted(argc, argv))
        return sb_cmd_micro_ab(argc, argv, err);
    build_registry();
    micro_opts mo;
    memset(&mo, 0, sizeof mo);
    int want_help = 0;
    int st = parse_args(argc, argv, &mo, &want_help, err);
    if (st != SB_OK)
        return st;
    if (want_help) {
        sb_cli_help(help);
        return sb_cli_help(sb_micro_ab_help);
    }

    run_state s;
    memset(&s, 0, sizeof s);
    s.mo = &mo;
    int nsel = 0;
    for (int i = 0; i < n_all; i++)
        nsel += mo.selected[i] || all_kernels[i].kind <= K_RMW;
    int passes = mo.nlocals ? mo.nlocals : 1;
    sb_ctx first; /* the first pass's context stays open for the report's device fields */
    int have_first = 0;
    static sb_devparams params[MAX_LOCALS];
    sb_progress_start(&s.prog, "micro", (long)passes * mo.nsizes * nsel);
    for (int p = 0; p < passes && st == SB_OK; p++) {
        sb_ctx c;
        if ((st = sb_ctx_open(&c, &mo.dev, err)) != SB_OK)
            break;
        /* A local size other than the table's: rebuild the program with it, since the
         * reductions size their local arrays by SB_LOCAL_SIZE. */
        if (mo.nlocals) {
            if (mo.locals[p] > c.max_wg) {
                st = sb_fail(err, SB_EUSAGE, "micro: --local-size %zu exceeds the device's "
                             "maximum work-group size %zu", mo.locals[p], c.max_wg);
                sb_ctx_close(&c);
                break;
            }
            params[p] = *c.params;
            params[p].local_size = mo.locals[p];
            c.params = &params[p];
        }
        sb_ops ops;
        if ((st = sb_ops_init(&ops, &c, err)) != SB_OK) {
            sb_ctx_close(&c);
            break;
        }
        if (mo.nlocals)
            ops.local = mo.locals[p];
        if (p == 0)
            st = measure_latency(&c, &s.rs, (int)(mo.reps * 10 > 100 ? mo.reps * 10 : 100), err);
        for (int i = 0; i < mo.nsizes && st == SB_OK; i++)
            st = run_size(&s, &c, &ops, mo.sizes[i], mo.nlocals ? mo.locals[p] : 0, p == 0,
                          i == mo.nsizes - 1, err);
        sb_ops_free(&ops);
        if (p == 0 && st == SB_OK) {
            first = c;
            have_first = 1;
        } else
            sb_ctx_close(&c);
    }
    sb_progress_end(&s.prog);
    if (!mo.no_clblast)
        CLBlastClearCache(); /* CLBlast's programs and kernels for our contexts */
    if (st == SB_OK && have_first) {
        print_table(&s, &first);
        int has64 = 0;
        for (int i = 0; i < mo.nsizes; i++)
            has64 |= mo.sizes[i] == SIZE_64M;
        if (has64 || mo.targets)
            print_targets(&s);
        st = write_outputs(&s, &first, err);
        if (st == SB_OK && mo.json)
            printf("\nwrote %s\n", mo.json);
        if (st == SB_OK && mo.csv)
            printf("wrote %s\n", mo.csv);
    }
    if (have_first)
        sb_ctx_close(&first);
    results_free(&s.rs);
    return st;
}
