/* ab.c - A/B timing of the vector kernels in one context: the base's kernels (built from
 * a source folder) and the candidate's, alternated launch by launch (ABBA). */
#include "ab.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocl.h"
#include "shift.h"
#include "stats.h"

const char *const sb_ab_kernel_names[] = {
    "copy",   "read",        "rmw",         "sign", "pack",     "unpack",
    "vote",   "vote_update", "scaled_sign", "sgd",  "momentum", "signsgd",
    "signum", "ef-signsgd",  "lion",        "adam", "rmsprop",  "norm1",
    "norm2",  "norminf",     "dot",         NULL};

int sb_ab_kernel_known(const char *name)
{
    for (int i = 0; sb_ab_kernel_names[i]; i++)
        if (!strcmp(sb_ab_kernel_names[i], name))
            return 1;
    return 0;
}

const char *sb_ab_verdict(double lo, double hi, double threshold)
{
    if (hi < 1 - threshold)
        return "REGRESSED";
    if (lo > 1 + threshold)
        return "IMPROVED";
    if (hi < 1)
        return "slower";
    if (lo > 1)
        return "faster";
    return "same";
}

/* ---- buffers: one set, shared by A and B (same placement, same data) ------------ */

#define VOTE_M 8

typedef struct abbufs {
    size_t n;
    cl_mem a, b, x, s1, s2, out, bits, vout;
} abbufs;

static void bufs_free(abbufs *b)
{
    cl_mem *m[] = {&b->a, &b->b, &b->x, &b->s1, &b->s2, &b->out, &b->bits, &b->vout};
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
        if (*m[i])
            clReleaseMemObject(*m[i]);
    memset(b, 0, sizeof *b);
}

/* Uniform in [-1, 1) (or [0, 1)) from a 64-bit LCG; bit patterns for the packed words. */
static void fill(float *v, size_t n, unsigned long long seed, int nonneg)
{
    unsigned long long s = seed * 0x9E3779B97F4A7C15ULL + 1;
    for (size_t i = 0; i < n; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        float f = (float)((double)(s >> 40) * 0x1p-23 - 1.0);
        v[i] = nonneg ? fabsf(f) : f;
    }
}

static int bufs_alloc(abbufs *b, sb_ctx *c, size_t n, sb_err *err)
{
    memset(b, 0, sizeof *b);
    b->n = n;
    size_t words = (n + 31) / 32, fb = n * sizeof(float);
    size_t wb = words * VOTE_M * sizeof(uint32_t);
    float *h = malloc(fb > wb ? fb : wb);
    if (!h)
        return sb_fail(err, SB_ERUNTIME, "A/B: out of host memory for n = %zu", n);
    cl_mem *dst[] = {&b->a, &b->b, &b->x, &b->s1, &b->s2, &b->out};
    cl_mem_flags f = CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR;
    int st = SB_OK;
    for (int i = 0; i < 6 && st == SB_OK; i++) {
        fill(h, n, (unsigned long long)i + 1, i == 4); /* s2: second moments >= 0 */
        st = sb_buffer(c, f, fb, h, dst[i], err);
    }
    if (st == SB_OK) {
        uint32_t *w = (uint32_t *)h;
        unsigned long long s = 77;
        for (size_t i = 0; i < words * VOTE_M; i++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            w[i] = (uint32_t)(s >> 32);
        }
        if (n % 32) /* padding bits of each vector's last word are 0, as pack writes */
            for (int v = 0; v < VOTE_M; v++)
                w[(size_t)v * words + words - 1] &= (1u << (n % 32)) - 1;
        st = sb_buffer(c, f, wb, h, &b->bits, err);
    }
    if (st == SB_OK) {
        memset(h, 0, words * sizeof(uint32_t));
        st = sb_buffer(c, f, words * sizeof(uint32_t), h, &b->vout, err);
    }
    free(h);
    if (st != SB_OK)
        bufs_free(b);
    return st;
}

/* ---- one call ------------------------------------------------------------------- */

static sb_hyper hyper(void)
{
    sb_hyper h;
    memset(&h, 0, sizeof h);
    h.lr = 1e-4f, h.b1 = 0.9f, h.b2 = 0.999f, h.eps = 1e-8f;
    h.bc1 = 1 - 0.9f, h.bc2 = 1 - 0.999f;
    return h;
}

/* One call of kernel `name` through ops o; *dev_s gets its profiled device time. */
static int call(sb_ops *o, const char *name, abbufs *b, double *dev_s, sb_err *err)
{
    size_t n = b->n;
    int nan = 0;
    double r;
    *dev_s = 0;
    const sb_update_info *u = sb_update_find(name);
    if (u)
        return sb_op_update(o, u, b->x, b->a, b->s1, b->s2, n, hyper(), dev_s, err);
    if (!strcmp(name, "copy"))
        return sb_op_copy(o, b->a, b->out, n, dev_s, err);
    if (!strcmp(name, "read"))
        return sb_op_read(o, b->a, n, &r, dev_s, err);
    if (!strcmp(name, "rmw"))
        return sb_op_rmw(o, b->x, b->a, n, 1e-4f, dev_s, err);
    if (!strcmp(name, "sign"))
        return sb_op_sign(o, b->a, b->out, n, &nan, dev_s, err);
    if (!strcmp(name, "pack"))
        return sb_op_pack(o, b->a, b->vout, n, &nan, dev_s, err);
    if (!strcmp(name, "unpack"))
        return sb_op_unpack(o, b->bits, b->out, n, dev_s, err);
    if (!strcmp(name, "vote"))
        return sb_op_vote(o, b->bits, VOTE_M, n, b->vout, dev_s, err);
    if (!strcmp(name, "vote_update"))
        return sb_op_vote_update(o, b->x, b->bits, VOTE_M, n, 1e-4f, dev_s, err);
    if (!strcmp(name, "scaled_sign"))
        return sb_op_scaled_sign(o, b->a, b->out, n, dev_s, err);
    if (!strcmp(name, "norm1"))
        return sb_op_reduce(o, SB_NORM1, b->a, NULL, n, &r, dev_s, err);
    if (!strcmp(name, "norm2"))
        return sb_op_reduce(o, SB_NORM2, b->a, NULL, n, &r, dev_s, err);
    if (!strcmp(name, "norminf"))
        return sb_op_reduce(o, SB_NORMINF, b->a, NULL, n, &r, dev_s, err);
    if (!strcmp(name, "dot"))
        return sb_op_reduce(o, SB_DOT, b->a, b->b, n, &r, dev_s, err);
    return sb_fail(err, SB_EUSAGE, "A/B: unknown kernel '%s'", name);
}

/* ---- the run ------------------------------------------------------------------- */

typedef struct abrun {
    sb_ctx base;   /* c's context and queue, with the base's kernel folder */
    sb_ops ops[2]; /* [0] A = base, [1] B = candidate */
    int have[2];
} abrun;

static void abrun_close(abrun *r)
{
    for (int i = 0; i < 2; i++)
        if (r->have[i])
            sb_ops_free(&r->ops[i]);
    if (r->base.prog)
        clReleaseProgram(r->base.prog); /* the context and queue are c's: not released */
}

/* Both kernel sets in c's context: A's program built from baseline_dir by sb_ctx_program
 * on a copy of c whose only own object is that program. */
static int abrun_open(abrun *r, sb_ctx *c, const char *baseline_dir, sb_err *err)
{
    memset(r, 0, sizeof *r);
    r->base = *c;
    r->base.prog = NULL;
    r->base.opts.kernel_dir = baseline_dir;
    r->base.opts.kernel_binary = NULL;
    int st = sb_ops_init(&r->ops[0], &r->base, err);
    if (st != SB_OK) {
        abrun_close(r);
        return sb_wrap(err, "baseline kernels from %s", baseline_dir);
    }
    r->have[0] = 1;
    if ((st = sb_ops_init(&r->ops[1], c, err)) != SB_OK) {
        abrun_close(r);
        return st;
    }
    r->have[1] = 1;
    return SB_OK;
}

/* Pairs [from, to) of one kernel: pair j is A then B for even j, B then A for odd j. */
static int take_pairs(abrun *r, const char *k, abbufs *b, int from, int to, double *ta,
                      double *tb, sb_err *err)
{
    for (int j = from; j < to; j++) {
        for (int s = 0; s < 2; s++) {
            int side = (j % 2) ? 1 - s : s;
            double t;
            int st = call(&r->ops[side], k, b, &t, err);
            if (st != SB_OK)
                return sb_wrap(err, "A/B %s (%s)", k, side ? "candidate" : "baseline");
            if (!(t > 0))
                return sb_fail(err, SB_ERUNTIME,
                               "A/B %s: the device reported %g s for a "
                               "call (profiling broken?)",
                               k, t);
            (side ? tb : ta)[j] = t;
        }
    }
    return SB_OK;
}

static int summarise(sb_ab_row *row, const double *ta, const double *tb, int pairs,
                     double threshold, sb_err *err)
{
    double *d = malloc((size_t)pairs * sizeof *d);
    if (!d)
        return sb_fail(err, SB_ERUNTIME, "A/B: out of memory");
    for (int j = 0; j < pairs; j++)
        d[j] = log(tb[j] / ta[j]);
    sb_shift sh;
    sb_stats sa, sbs;
    int st = sb_shift_hl(d, (size_t)pairs, &sh, err);
    free(d);
    if (st == SB_OK)
        st = sb_stats_compute(ta, (size_t)pairs, &sa, err);
    if (st == SB_OK)
        st = sb_stats_compute(tb, (size_t)pairs, &sbs, err);
    if (st != SB_OK)
        return st;
    row->pairs = pairs;
    row->a_median_s = sa.median;
    row->b_median_s = sbs.median;
    /* time shift s = log(t_B / t_A); throughput ratio B / A = exp(-s) */
    row->ratio = exp(-sh.estimate);
    row->lo = exp(-sh.hi);
    row->hi = exp(-sh.lo);
    row->verdict = sb_ab_verdict(row->lo, row->hi, threshold);
    return SB_OK;
}

/* One size: warm-up, then the rounds (each a slice of every kernel's pairs), so that a
 * burst of load on the machine lands on a part of each kernel's pairs, not on one
 * kernel's all. */
static int run_size(abrun *r, sb_ctx *c, const sb_ab_opts *o, size_t n, sb_ab_row *rows,
                    sb_err *err)
{
    abbufs b;
    int st = bufs_alloc(&b, c, n, err), nk = o->nkernels, P = o->pairs;
    if (st != SB_OK)
        return st;
    double *ta = calloc((size_t)nk * (size_t)P, sizeof *ta);
    double *tb = calloc((size_t)nk * (size_t)P, sizeof *tb);
    if (!ta || !tb)
        st = sb_fail(err, SB_ERUNTIME, "A/B: out of memory");
    for (int k = 0; k < nk && st == SB_OK; k++)
        for (int w = 0; w < o->warmup && st == SB_OK; w++)
            for (int s = 0; s < 2 && st == SB_OK; s++) {
                double t;
                st = call(&r->ops[s], o->kernels[k], &b, &t, err);
            }
    for (int round = 0; round < o->rounds && st == SB_OK; round++) {
        int from = P * round / o->rounds, to = P * (round + 1) / o->rounds;
        for (int k = 0; k < nk && st == SB_OK; k++)
            st = take_pairs(r, o->kernels[k], &b, from, to, ta + (size_t)k * P,
                            tb + (size_t)k * P, err);
    }
    for (int k = 0; k < nk && st == SB_OK; k++) {
        rows[k].kernel = o->kernels[k];
        rows[k].n = n;
        st = summarise(&rows[k], ta + (size_t)k * P, tb + (size_t)k * P, P, o->threshold,
                       err);
    }
    free(ta);
    free(tb);
    bufs_free(&b);
    return st;
}

int sb_ab_run(sb_ctx *c, const sb_ab_opts *o, sb_ab_row **rows, int *nrows, int *regressed,
              sb_err *err)
{
    *rows = NULL, *nrows = 0, *regressed = 0;
    if (o->pairs < SB_SHIFT_MIN_PAIRS || o->pairs > SB_SHIFT_MAX_PAIRS)
        return sb_fail(err, SB_EUSAGE, "A/B: %d pairs per kernel; from %d to %d", o->pairs,
                       SB_SHIFT_MIN_PAIRS, SB_SHIFT_MAX_PAIRS);
    if (o->rounds < 1 || o->rounds > o->pairs)
        return sb_fail(err, SB_EUSAGE, "A/B: %d rounds; from 1 to the pairs (%d)",
                       o->rounds, o->pairs);
    for (int k = 0; k < o->nkernels; k++)
        if (!sb_ab_kernel_known(o->kernels[k]))
            return sb_fail(err, SB_EUSAGE, "A/B: unknown kernel '%s'", o->kernels[k]);
    abrun r;
    int st = abrun_open(&r, c, o->baseline_dir, err);
    if (st != SB_OK)
        return st;
    sb_ab_row *out = calloc((size_t)o->nkernels * (size_t)o->nsizes + 1, sizeof *out);
    if (!out)
        st = sb_fail(err, SB_ERUNTIME, "A/B: out of memory");
    for (int i = 0; i < o->nsizes && st == SB_OK; i++)
        st = run_size(&r, c, o, o->sizes[i], out + (size_t)i * o->nkernels, err);
    abrun_close(&r);
    if (st != SB_OK) {
        free(out);
        return st;
    }
    *rows = out;
    *nrows = o->nkernels * o->nsizes;
    for (int i = 0; i < *nrows; i++)
        *regressed += !strcmp(out[i].verdict, "REGRESSED");
    return SB_OK;
}

void sb_ab_print(const sb_ab_row *rows, int nrows, double threshold)
{
    printf("%-12s %10s %6s %11s %11s %7s  %-17s %s\n", "kernel", "n", "pairs", "A med us",
           "B med us", "B/A", "95% interval", "verdict");
    for (int i = 0; i < nrows; i++) {
        const sb_ab_row *r = &rows[i];
        char ci[40];
        snprintf(ci, sizeof ci, "[%.3f, %.3f]", r->lo, r->hi);
        printf("%-12s %10zu %6d %11.1f %11.1f %7.3f  %-17s %s\n", r->kernel, r->n, r->pairs,
               r->a_median_s * 1e6, r->b_median_s * 1e6, r->ratio, ci, r->verdict);
    }
    printf("B/A: candidate's throughput over the baseline's (Hodges-Lehmann on paired log "
           "times, 95%% interval); REGRESSED: interval wholly below %.3f\n",
           1 - threshold);
}

cJSON *sb_ab_json(const sb_ctx *c, const sb_ab_opts *o, const sb_ab_row *rows, int nrows)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON *ctx = cJSON_AddObjectToObject(doc, "context");
    cJSON_AddStringToObject(ctx, "kind", "ab");
    cJSON_AddStringToObject(ctx, "device", c->dev.name);
    cJSON_AddStringToObject(ctx, "driver", c->driver);
    cJSON_AddStringToObject(ctx, "baseline_kernels", o->baseline_dir);
    cJSON_AddStringToObject(ctx, "candidate_kernels",
                            c->opts.kernel_dir ? c->opts.kernel_dir : "embedded");
    cJSON_AddNumberToObject(ctx, "threshold", o->threshold);
    cJSON_AddStringToObject(ctx, "method",
                            "ABBA launches; Hodges-Lehmann shift of "
                            "log(t_B/t_A), 95% signed-rank interval");
    cJSON *list = cJSON_AddArrayToObject(doc, "ab");
    for (int i = 0; i < nrows; i++) {
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "kernel", rows[i].kernel);
        cJSON_AddNumberToObject(r, "n", (double)rows[i].n);
        cJSON_AddNumberToObject(r, "pairs", rows[i].pairs);
        cJSON_AddNumberToObject(r, "a_median_s", rows[i].a_median_s);
        cJSON_AddNumberToObject(r, "b_median_s", rows[i].b_median_s);
        cJSON_AddNumberToObject(r, "ratio", rows[i].ratio);
        cJSON_AddNumberToObject(r, "ratio_lo", rows[i].lo);
        cJSON_AddNumberToObject(r, "ratio_hi", rows[i].hi);
        cJSON_AddStringToObject(r, "verdict", rows[i].verdict);
        cJSON_AddItemToArray(list, r);
    }
    return doc;
}
