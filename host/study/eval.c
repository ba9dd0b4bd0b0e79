/* eval.c - the engine of `signbench eval`: values and gradients at points as CSV text, and
 * the full-gradient paths (device, other GEMV, host, roofline reference) timed in turns. */
#include "eval.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataset.h"
#include "ops.h"
#include "progress.h"

int sb_eval_read_points(const char *path, size_t d, double **out, size_t *np, sb_err *err)
{
    const sb_csv_opts opts = {.header = 1,
                              .cols = d,
                              .dim = "d",
                              .expect = "the problem has",
                              .what = "--points"};
    size_t cols;
    int st = sb_csv_read_numbers(path, &opts, out, np, &cols, err);
    if (st == SB_OK && *np == 0) {
        free(*out);
        st = sb_fail(err, SB_EUSAGE, "%s: no points", path);
    }
    return st;
}

/* ---- values and gradients at points ---- */

/* Append to a growing text buffer. */
typedef struct text {
    char *p;
    size_t n, cap;
} text;

static int reserve(text *t)
{
    if (t->cap - t->n < 64) {
        size_t cap = t->cap ? 2 * t->cap : 4096;
        char *q = realloc(t->p, cap);
        if (!q)
            return -1;
        t->p = q;
        t->cap = cap;
    }
    return 0;
}

static int putstr(text *t, const char *s)
{
    size_t n = strlen(s);
    if (n >= 64 || reserve(t) < 0)
        return -1;
    memcpy(t->p + t->n, s, n + 1);
    t->n += n;
    return 0;
}

static int put(text *t, const char *fmt, double v, int first)
{
    if (reserve(t) < 0)
        return -1;
    if (!first)
        t->p[t->n++] = ',';
    /* + 0.0 turns -0 into 0: the CSV says 0 for a zero gradient on either side. */
    t->n += (size_t)snprintf(t->p + t->n, t->cap - t->n, fmt, v + 0.0);
    return 0;
}

/* The header line f,g1,...,gd. */
static int put_header(text *t, size_t d, sb_err *err)
{
    int st = putstr(t, "f") < 0 ? sb_fail(err, SB_ERUNTIME, "out of memory") : SB_OK;
    for (size_t j = 0; j < d && st == SB_OK; j++) {
        char h[32];
        snprintf(h, sizeof h, ",g%zu", j + 1);
        if (putstr(t, h) < 0)
            st = sb_fail(err, SB_ERUNTIME, "out of memory");
    }
    if (st == SB_OK && putstr(t, "\n") < 0)
        st = sb_fail(err, SB_ERUNTIME, "out of memory");
    return st;
}

/* One row f,g1,...,gd. */
static int put_row(text *t, const char *fmt, double f, const double *g, size_t d,
                   sb_err *err)
{
    int st = put(t, fmt, f, 1) < 0 ? sb_fail(err, SB_ERUNTIME, "out of memory") : SB_OK;
    for (size_t j = 0; j < d && st == SB_OK; j++)
        if (put(t, fmt, g[j], 0) < 0)
            st = sb_fail(err, SB_ERUNTIME, "out of memory");
    if (st == SB_OK && putstr(t, "\n") < 0)
        st = sb_fail(err, SB_ERUNTIME, "out of memory");
    return st;
}

int sb_eval_points(sb_problem *p, int host, const sb_oracle *orc, uint64_t step,
                   const double *pts, size_t np, char **csv, size_t *len, sb_err *err)
{
    size_t d = p->d;
    text t = {0};
    double *g = malloc(d * sizeof *g);
    cl_mem xb = NULL, gb = NULL;
    int st = g ? SB_OK : sb_fail(err, SB_ERUNTIME, "out of memory");
    if (st == SB_OK && !host &&
        ((st = sb_problem_buffer(p->ctx, d, NULL, &xb, err)) ||
         (st = sb_problem_buffer(p->ctx, d, NULL, &gb, err))))
        goto done;
    if (st == SB_OK)
        st = put_header(&t, d, err);
    const char *fmt = host ? "%.17g" : "%.9g";
    for (size_t k = 0; k < np && st == SB_OK; k++) {
        double f;
        const double *x = pts + k * d;
        if (host)
            st = p->vt->host(p, x, &f, g) == SB_OK
                     ? SB_OK
                     : sb_fail(err, SB_EUSAGE, "%s: point %zu is outside the domain",
                               p->name, k + 1);
        else if ((st = sb_problem_put(p->ctx, xb, x, d, err)) == SB_OK &&
                 (st = orc ? p->vt->grad(p, xb, gb, orc, step, &f, NULL, err)
                           : p->vt->full(p, xb, gb, &f, err)) == SB_OK)
            st = sb_problem_get(p->ctx, gb, g, d, err);
        if (st == SB_OK)
            st = put_row(&t, fmt, f, g, d, err);
    }
done:
    if (st == SB_OK) {
        *csv = t.p;
        *len = t.n;
    } else {
        free(t.p);
    }
    free(g);
    if (xb)
        clReleaseMemObject(xb);
    if (gb)
        clReleaseMemObject(gb);
    return st;
}

/* ---- timing ---- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One timed path: full gradients of p (device unless host), or with ops the roofline
 * reference named by label (same bytes, same clock): `read` over logreg's X, or for
 * quad `copy` (x to g: the equal spectrum's traffic) or `rmw` (g += a x: lambda, x and
 * g, the other spectra's traffic). */
typedef struct tpath {
    const char *label;
    sb_problem *p;
    int host;
    sb_ops *ops;
    long reps;
    double *t, *g;
    cl_mem xb, gb;
} tpath;

static int tpath_init(tpath *tp, sb_problem *p, int host, long reps, const char *label,
                      sb_ops *ops, sb_err *err)
{
    *tp = (tpath){label, p, host, ops, reps, NULL, NULL, NULL, NULL};
    tp->t = malloc((size_t)reps * sizeof *tp->t);
    tp->g = malloc(p->d * sizeof *tp->g);
    if (!tp->t || !tp->g)
        return sb_fail(err, SB_ERUNTIME, "out of memory");
    if (!host && (sb_problem_buffer(p->ctx, p->d, p->x0, &tp->xb, err) != SB_OK ||
                  sb_problem_buffer(p->ctx, p->d, NULL, &tp->gb, err) != SB_OK))
        return err->code;
    return SB_OK;
}

static void tpath_free(tpath *tp)
{
    free(tp->t);
    free(tp->g);
    if (tp->xb)
        clReleaseMemObject(tp->xb);
    if (tp->gb)
        clReleaseMemObject(tp->gb);
}

/* One call of the path, finished (clFinish), its wall time in *sec. */
static int tpath_call(tpath *tp, double *sec, sb_err *err)
{
    sb_problem *p = tp->p;
    int st = SB_OK;
    double t0 = sb_now(), sum;
    if (tp->host)
        p->vt->host(p, p->x0, NULL, tp->g);
    else if (tp->ops && !strcmp(tp->label, "read"))
        st = sb_op_read(tp->ops, sb_problem_data(p), p->n_train * p->d, &sum, NULL, err);
    else {
        if (!tp->ops)
            st = p->vt->full(p, tp->xb, tp->gb, NULL, err);
        else if (!strcmp(tp->label, "copy"))
            st = sb_op_copy(tp->ops, tp->xb, tp->gb, p->d, NULL, err);
        else
            st = sb_op_rmw(tp->ops, tp->gb, tp->xb, p->d, 1e-3f, NULL, err);
        cl_int rc = st == SB_OK ? clFinish(p->ctx->queue) : CL_SUCCESS;
        if (SB_CLFAIL(rc, err, "clFinish"))
            st = err->code;
    }
    *sec = sb_now() - t0;
    return st;
}

/* Time the paths interleaved: one warm-up call each, then rounds of one call per path
 * (a path with fewer reps drops out after them), so that load drifting on a shared
 * machine hits every path alike and the ratios within a run stay meaningful. */
static int time_paths(tpath *tp, int n, long rounds, sb_eval_timing *tm, sb_err *err)
{
    int st = SB_OK;
    double sec;
    for (int i = 0; i < n && st == SB_OK; i++)
        st = tpath_call(&tp[i], &sec, err);
    sb_progress pr;
    sb_progress_start(&pr, "timing", rounds);
    for (long r = 0; r < rounds && st == SB_OK; r++) {
        for (int i = 0; i < n && st == SB_OK; i++)
            if (r < tp[i].reps)
                st = tpath_call(&tp[i], &tp[i].t[r], err);
        sb_progress_step(&pr, r + 1);
    }
    sb_progress_end(&pr);
    for (int i = 0; i < n && st == SB_OK; i++) {
        long reps = tp[i].reps;
        double *t = tp[i].t;
        qsort(t, (size_t)reps, sizeof *t, cmp_double);
        tm[i].path = tp[i].label;
        tm[i].reps = reps;
        tm[i].min = t[0];
        tm[i].median = reps % 2 ? t[reps / 2] : 0.5 * (t[reps / 2 - 1] + t[reps / 2]);
    }
    return st;
}

/* What is measured: the bytes of one gradient and the paths' labels. */
static void bench_setup(const sb_problem *p, const sb_problem_opts *po, const sb_ctx *ctx,
                        sb_eval_bench *b, const char **main_label)
{
    int logreg = !strcmp(p->name, "logreg"), quad = !strcmp(p->name, "quad"), host = !ctx;
    memset(b, 0, sizeof *b);
    snprintf(b->problem, sizeof b->problem, "%s", p->name);
    b->d = p->d;
    b->n = logreg ? p->n_train : 0;
    if (ctx) {
        snprintf(b->device, sizeof b->device, "%s", ctx->dev.name);
        snprintf(b->platform, sizeof b->platform, "%s", ctx->dev.platform_name);
    }
    *main_label = host                                                 ? "host"
                  : logreg && po->gemv && !strcmp(po->gemv, "clblast") ? "clblast"
                  : logreg                                             ? "native"
                                                                       : "device";
    /* Bytes per gradient and the roofline reference with the same traffic. */
    int equal = !po->spectrum || !strcmp(po->spectrum, "equal");
    b->bytes = logreg ? 4.0 * (double)p->n_train * (double)p->d
               : quad ? (equal ? 8.0 : 12.0) * (double)p->d
                      : 0.0;
    b->ref = host ? NULL : logreg ? "read" : quad ? (equal ? "copy" : "rmw") : NULL;
}

int sb_eval_time(sb_problem *p, const sb_problem_opts *po, sb_ctx *ctx, long repeat,
                 sb_eval_bench *b, sb_err *err)
{
    const char *main_label;
    bench_setup(p, po, ctx, b, &main_label);
    int host = !ctx, logreg = !strcmp(p->name, "logreg");
    sb_problem_opts po2 = *po;
    sb_problem *p2 = NULL;
    sb_ops ops;
    int have_ops = 0, n = 0;
    tpath tp[SB_EVAL_MAXPATH];
    int st = tpath_init(&tp[n++], p, host, repeat, main_label, NULL, err);
    if (st == SB_OK && logreg && !host) {
        /* The other GEMV path on the same data, then the host loop. */
        po2.gemv = strcmp(main_label, "clblast") ? "clblast" : "native";
        if ((st = sb_problem_create(&po2, ctx, &p2, err)) == SB_OK)
            st = tpath_init(&tp[n++], p2, 0, repeat, po2.gemv, NULL, err);
    }
    if (st == SB_OK && !host)
        st = tpath_init(&tp[n++], p, 1, repeat < 3 ? repeat : 3, "host", NULL, err);
    if (st == SB_OK && b->ref && (st = sb_ops_init(&ops, ctx, err)) == SB_OK) {
        have_ops = 1;
        st = tpath_init(&tp[n++], p, 0, repeat, b->ref, &ops, err);
    }
    if (st == SB_OK)
        st = time_paths(tp, n, repeat, b->tm, err);
    b->nt = st == SB_OK ? n : 0;
    for (int i = 0; i < n; i++)
        tpath_free(&tp[i]);
    if (have_ops)
        sb_ops_free(&ops);
    sb_problem_free(p2);
    return st;
}

/* The roofline reference's timing, when it was measured. */
static const sb_eval_timing *ref_timing(const sb_eval_bench *b)
{
    for (int i = 0; i < b->nt; i++)
        if (b->ref && !strcmp(b->tm[i].path, b->ref))
            return &b->tm[i];
    return NULL;
}

cJSON *sb_eval_json(const sb_eval_bench *b)
{
    const sb_eval_timing *rd = ref_timing(b);
    int gb = b->bytes > 0.0;
    cJSON *root = cJSON_CreateObject(), *arr = cJSON_CreateArray();
    if (!root || !arr) {
        cJSON_Delete(root);
        cJSON_Delete(arr);
        return NULL;
    }
    cJSON_AddStringToObject(root, "schema", "signbench-eval");
    cJSON_AddNumberToObject(root, "version", 1);
    cJSON_AddStringToObject(root, "problem", b->problem);
    cJSON_AddNumberToObject(root, "d", (double)b->d);
    if (!strcmp(b->problem, "logreg"))
        cJSON_AddNumberToObject(root, "n", (double)b->n);
    if (gb)
        cJSON_AddNumberToObject(root, "bytes_per_gradient", b->bytes);
    if (b->device[0])
        cJSON_AddStringToObject(root, "device", b->device);
    for (int i = 0; i < b->nt; i++) {
        const sb_eval_timing *t = &b->tm[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "path", t->path);
        cJSON_AddNumberToObject(o, "repetitions", (double)t->reps);
        cJSON_AddNumberToObject(o, "time_min_s", t->min);
        cJSON_AddNumberToObject(o, "time_median_s", t->median);
        if (gb)
            cJSON_AddNumberToObject(o, "gbps", b->bytes / t->median / 1e9);
        if (gb && rd)
            cJSON_AddNumberToObject(o, "roofline_fraction", rd->median / t->median);
        cJSON_AddItemToArray(arr, o);
    }
    cJSON_AddItemToObject(root, "results", arr);
    return root;
}
