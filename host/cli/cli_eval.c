/* cli_eval.c - `signbench eval`: a problem's value and gradient at points read from a CSV
 * file (device or host reference), and the time / GB/s of full gradients (--repeat). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "dataset.h"
#include "ops.h"
#include "problem.h"
#include "json.h"

static const char help[] =
    "usage: signbench eval --problem P [problem options] --points FILE [--out FILE] [--host]\n"
    "       signbench eval --problem P [problem options] --repeat N [--json]\n\n"
    "Evaluates a problem's full (noise-free) value and gradient at each point of FILE (CSV,\n"
    "one point per row, d numbers separated by commas; '#' lines are comments, a first\n"
    "line that is not numeric is a header) and writes\n"
    "CSV rows 'f,g1,...,gd' (header first) to FILE or stdout, computed on the device in\n"
    "fp32 by default, or by the double-precision C reference with --host. With --repeat N\n"
    "it times N full gradients after one warm-up, the paths taking turns (one call each\n"
    "per round, so load drifting on a shared machine hits them alike), and prints the time\n"
    "per gradient and, for logreg, the GB/s of X read (n d 4 bytes per gradient): the\n"
    "fused kernel, CLBlast GEMV (twice), the host loop (1 thread, at most 3 runs) and the\n"
    "`read` roofline reference (a sum over X) side by side, each path's\n"
    "roofline_fraction being the reference's time over its own; for quad, the GB/s of its\n"
    "fp32 traffic (x and g: 8 d bytes; linear/log spectra also read lambda: 12 d) beside\n"
    "the `copy` (equal spectrum) or `rmw` reference with the same traffic. Times are wall\n"
    "clock around each call + clFinish.\n\n"
    "Options:\n"
    "  --points FILE       points to evaluate at\n"
    "  --out FILE          write the CSV here (atomically) instead of stdout\n"
    "  --host              use the C reference in double (no device needed)\n"
    "  --seed S            seed of rotations, synthetic data, split (default 1)\n"
    "  --repeat N          time N full gradients (default 0: no timing)\n"
    "  --json              print the timing as JSON\n"
    "  --sigma S           stochastic oracle instead of the full gradient: additive noise\n"
    "                      N(0, S^2/n_k) per coordinate (default 0)\n"
    "  --batch N|theory    minibatch of N rows (logreg) / N averaged draws, or n_k = k + 1\n"
    "                      (default: full batch)\n"
    "  --step K            the oracle's step k (default 0); draws are keyed by seed and\n"
    "                      step, so two devices give the same values (DESIGN.md 5.4)\n"
    "(eval applies the tube formulas everywhere: --tube-domain matters to trajectories)\n\n"
    SB_PROBLEM_HELP "\n" SB_COMMON_HELP;

enum { OPT_POINTS = SB_OPT_FIRST_FREE, OPT_OUT, OPT_HOST, OPT_SEED, OPT_REPEAT, OPT_JSON,
       OPT_SIGMA, OPT_BATCH, OPT_STEP };

/* Points: rows of d comma-separated numbers, after an optional header line. */
static int read_points(const char *path, size_t d, double **out, size_t *np, sb_err *err)
{
    const sb_csv_opts opts = {.header = 1, .cols = d, .dim = "d", .expect = "the problem has",
                              .what = "--points"};
    size_t cols;
    int st = sb_csv_read_numbers(path, &opts, out, np, &cols, err);
    if (st == SB_OK && *np == 0) {
        free(*out);
        st = sb_fail(err, SB_EUSAGE, "%s: no points", path);
    }
    return st;
}

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

/* orc: the stochastic oracle at step `step` instead of the full gradient (NULL: full). */
static int eval_points(sb_problem *p, int host, const sb_oracle *orc, uint64_t step,
                       const double *pts, size_t np, const char *out, sb_err *err)
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
    /* header: f,g1,...,gd */
    if (st == SB_OK && putstr(&t, "f") < 0)
        st = sb_fail(err, SB_ERUNTIME, "out of memory");
    for (size_t j = 0; j < d && st == SB_OK; j++) {
        char h[32];
        snprintf(h, sizeof h, ",g%zu", j + 1);
        if (putstr(&t, h) < 0)
            st = sb_fail(err, SB_ERUNTIME, "out of memory");
    }
    if (st == SB_OK && putstr(&t, "\n") < 0)
        st = sb_fail(err, SB_ERUNTIME, "out of memory");
    const char *fmt = host ? "%.17g" : "%.9g";
    for (size_t k = 0; k < np && st == SB_OK; k++) {
        double f;
        const double *x = pts + k * d;
        if (host)
            st = p->vt->host(p, x, &f, g) == SB_OK
                     ? SB_OK
                     : sb_fail(err, SB_EUSAGE, "%s: point %zu is outside the domain", p->name,
                               k + 1);
        else if ((st = sb_problem_put(p->ctx, xb, x, d, err)) == SB_OK &&
                 (st = orc ? p->vt->grad(p, xb, gb, orc, step, &f, NULL, err)
                           : p->vt->full(p, xb, gb, &f, err)) == SB_OK)
            st = sb_problem_get(p->ctx, gb, g, d, err);
        if (st != SB_OK)
            break;
        if (put(&t, fmt, f, 1) < 0)
            st = sb_fail(err, SB_ERUNTIME, "out of memory");
        for (size_t j = 0; j < d && st == SB_OK; j++)
            if (put(&t, fmt, g[j], 0) < 0)
                st = sb_fail(err, SB_ERUNTIME, "out of memory");
        if (st == SB_OK && putstr(&t, "\n") < 0)
            st = sb_fail(err, SB_ERUNTIME, "out of memory");
    }
    if (st == SB_OK) {
        if (out)
            st = sb_write_file(out, t.p, t.n, err);
        else if (fwrite(t.p, 1, t.n, stdout) != t.n || fflush(stdout))
            st = sb_fail(err, SB_ERUNTIME, "eval: cannot write to stdout");
    }
done:
    free(t.p);
    free(g);
    if (xb)
        clReleaseMemObject(xb);
    if (gb)
        clReleaseMemObject(gb);
    return st;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct timing {
    const char *path;
    long reps;
    double min, median;
} timing;

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
static int time_paths(tpath *tp, int n, long rounds, timing *tm, sb_err *err)
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

/* bytes: fp32 traffic of one gradient (logreg: X; quad: x, g and lambda unless the
 * spectrum is equal), 0 when not known; ref: the roofline path's label or NULL. */
static int report(const sb_problem *p, const sb_ctx *ctx, const timing *tm, int nt,
                  double bytes, const char *ref, int json, sb_err *err)
{
    int logreg = !strcmp(p->name, "logreg"), gb = bytes > 0.0;
    const timing *rd = NULL; /* the roofline reference, when measured */
    for (int i = 0; i < nt; i++)
        if (ref && !strcmp(tm[i].path, ref))
            rd = &tm[i];
    if (!json) {
        printf("%s: d = %zu%s", p->name, p->d, logreg ? "" : "\n");
        if (logreg)
            printf(", n = %zu (X is %.1f MB)\n", p->n_train, bytes / 1e6);
        if (!logreg && gb)
            printf("(%.3g MB of fp32 traffic per gradient)\n", bytes / 1e6);
        printf("%-10s %6s %14s %14s%s", "path", "reps", "min s/grad", "median s/grad",
               !gb ? "" : logreg ? "   GB/s of X (median)" : "        GB/s (median)");
        if (rd)
            printf("  x %s roofline", rd->path);
        printf("\n");
        for (int i = 0; i < nt; i++) {
            printf("%-10s %6ld %14.6g %14.6g", tm[i].path, tm[i].reps, tm[i].min, tm[i].median);
            if (gb)
                printf(" %20.2f", bytes / tm[i].median / 1e9);
            if (gb && rd)
                printf(" %16.2f", rd->median / tm[i].median);
            printf("\n");
        }
        if (rd && !strcmp(rd->path, "read"))
            printf("read: the roofline reference kernel summing X once (same bytes)\n");
        else if (rd)
            printf("%s: the roofline reference kernel with the gradient's traffic (%s)\n",
                   rd->path, strcmp(rd->path, "copy") ? "read 2, write 1 floats per element"
                                                      : "read 1, write 1 float per element");
        if (ctx)
            printf("device: %s (%s)\n", ctx->dev.name, ctx->dev.platform_name);
        return SB_OK;
    }
    cJSON *root = cJSON_CreateObject(), *arr = cJSON_CreateArray();
    cJSON_AddStringToObject(root, "problem", p->name);
    cJSON_AddNumberToObject(root, "d", (double)p->d);
    if (logreg)
        cJSON_AddNumberToObject(root, "n", (double)p->n_train);
    if (gb)
        cJSON_AddNumberToObject(root, "bytes_per_gradient", bytes);
    if (ctx)
        cJSON_AddStringToObject(root, "device", ctx->dev.name);
    for (int i = 0; i < nt; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "path", tm[i].path);
        cJSON_AddNumberToObject(o, "repetitions", (double)tm[i].reps);
        cJSON_AddNumberToObject(o, "time_min_s", tm[i].min);
        cJSON_AddNumberToObject(o, "time_median_s", tm[i].median);
        if (gb)
            cJSON_AddNumberToObject(o, "gbps", bytes / tm[i].median / 1e9);
        if (gb && rd)
            cJSON_AddNumberToObject(o, "roofline_fraction", rd->median / tm[i].median);
        cJSON_AddItemToArray(arr, o);
    }
    cJSON_AddItemToObject(root, "results", arr);
    char *s = cJSON_Print(root);
    cJSON_Delete(root);
    if (!s)
        return sb_fail(err, SB_ERUNTIME, "out of memory");
    printf("%s\n", s);
    free(s);
    return SB_OK;
}

int sb_cmd_eval(int argc, char **argv, sb_err *err)
{
    static const struct option longopts[] = {
        {"points", required_argument, 0, OPT_POINTS}, {"out", required_argument, 0, OPT_OUT},
        {"host", no_argument, 0, OPT_HOST},           {"seed", required_argument, 0, OPT_SEED},
        {"repeat", required_argument, 0, OPT_REPEAT}, {"json", no_argument, 0, OPT_JSON},
        {"sigma", required_argument, 0, OPT_SIGMA},   {"batch", required_argument, 0, OPT_BATCH},
        {"step", required_argument, 0, OPT_STEP},
        SB_PROBLEM_LONGOPTS,                          SB_COMMON_LONGOPTS,
        {0, 0, 0, 0}};
    sb_opts o = {0};
    sb_problem_opts po;
    sb_problem_opts_init(&po);
    po.seed = 1;
    const char *points = NULL, *out = NULL;
    int host = 0, json = 0, c;
    long repeat = 0, seed, stepl;
    sb_oracle orc = {0};
    uint64_t step = 0;
    int use_orc = 0;
    optind = 1;
    opterr = 0;
    if (sb_cli_check_args("eval", argc, argv, "", longopts, err))
        return err->code;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (sb_cli_common(c, optarg, &o))
            continue;
        int r = sb_problem_cli(c, optarg, &po, err);
        if (r < 0)
            return err->code;
        if (r > 0)
            continue;
        switch (c) {
        case SB_OPT_HELP:
            return sb_cli_help(help);
        case OPT_POINTS:
            points = optarg;
            break;
        case OPT_OUT:
            out = optarg;
            break;
        case OPT_HOST:
            host = 1;
            break;
        case OPT_JSON:
            json = 1;
            break;
        case OPT_SIGMA:
            if (sb_parse_double("--sigma", optarg, 0.0, 1e30, &orc.sigma, err) != SB_OK)
                return err->code;
            use_orc = 1;
            break;
        case OPT_BATCH:
            use_orc = 1;
            if (!strcmp(optarg, "theory")) {
                orc.theory_batch = 1;
                break;
            }
            if (sb_parse_size("--batch", optarg, &orc.batch, err) != SB_OK)
                return err->code;
            if (orc.batch < 1)
                return sb_fail(err, SB_EUSAGE, "--batch: at least 1 (or 'theory')");
            break;
        case OPT_STEP:
            if (sb_parse_long("--step", optarg, 0, 0x7fffffffffffffffL, &stepl, err) != SB_OK)
                return err->code;
            step = (uint64_t)stepl;
            break;
        case OPT_SEED:
            if (sb_parse_long("--seed", optarg, 0, 0x7fffffffffffffffL, &seed, err) != SB_OK)
                return err->code;
            po.seed = (uint64_t)seed;
            break;
        case OPT_REPEAT:
            if (sb_parse_long("--repeat", optarg, 1, 1000000000L, &repeat, err) != SB_OK)
                return err->code;
            break;
        default:
            return sb_cli_bad_option("eval", argc, argv, err);
        }
    }
    if (optind < argc)
        return sb_fail(err, SB_EUSAGE, "eval: unexpected argument '%s'", argv[optind]);
    if (!po.name)
        return sb_fail(err, SB_EUSAGE, "eval: --problem is required (see signbench eval --help)");
    if (!points && !repeat)
        return sb_fail(err, SB_EUSAGE, "eval: give --points FILE or --repeat N");
    if (out && !points)
        return sb_fail(err, SB_EUSAGE, "eval: --out needs --points");
    if (json && !repeat)
        return sb_fail(err, SB_EUSAGE, "eval: --json goes with --repeat");
    if (use_orc && host)
        return sb_fail(err, SB_EUSAGE, "eval: --sigma and --batch draw the stochastic oracle "
                       "on the device; drop --host");
    if (use_orc && !points)
        return sb_fail(err, SB_EUSAGE, "eval: --sigma and --batch go with --points");
    orc.seed = po.seed;
    if (host && po.gemv)
        return sb_fail(err, SB_EUSAGE, "eval: --gemv selects a device path; drop --host");
    sb_ctx ctx;
    int have_ctx = 0, st;
    if (!host) {
        if ((st = sb_ctx_open(&ctx, &o, err)) != SB_OK)
            return st;
        have_ctx = 1;
    }
    sb_problem *p = NULL, *p2 = NULL;
    double *pts = NULL;
    size_t np = 0;
    if ((st = sb_problem_create(&po, have_ctx ? &ctx : NULL, &p, err)) != SB_OK)
        goto done;
    if (points && (st = read_points(points, p->d, &pts, &np, err)) == SB_OK)
        st = eval_points(p, host, use_orc ? &orc : NULL, step, pts, np, out, err);
    if (st == SB_OK && repeat) {
        int logreg = !strcmp(p->name, "logreg"), quad = !strcmp(p->name, "quad");
        const char *main_label = host ? "host" : logreg && po.gemv && !strcmp(po.gemv, "clblast")
                                                     ? "clblast"
                                                     : logreg ? "native" : "device";
        /* Bytes per gradient and the roofline reference with the same traffic. */
        int equal = !po.spectrum || !strcmp(po.spectrum, "equal");
        double bytes = logreg ? 4.0 * (double)p->n_train * (double)p->d
                       : quad ? (equal ? 8.0 : 12.0) * (double)p->d
                              : 0.0;
        const char *ref = host ? NULL : logreg ? "read" : quad ? (equal ? "copy" : "rmw") : NULL;
        sb_problem_opts po2 = po;
        sb_ops ops;
        int have_ops = 0, n = 0;
        tpath tp[4];
        timing tm[4];
        st = tpath_init(&tp[n++], p, host, repeat, main_label, NULL, err);
        if (st == SB_OK && logreg && !host) {
            /* The other GEMV path on the same data, then the host loop. */
            po2.gemv = strcmp(main_label, "clblast") ? "clblast" : "native";
            if ((st = sb_problem_create(&po2, &ctx, &p2, err)) == SB_OK)
                st = tpath_init(&tp[n++], p2, 0, repeat, po2.gemv, NULL, err);
        }
        if (st == SB_OK && !host)
            st = tpath_init(&tp[n++], p, 1, repeat < 3 ? repeat : 3, "host", NULL, err);
        if (st == SB_OK && ref && (st = sb_ops_init(&ops, &ctx, err)) == SB_OK) {
            have_ops = 1;
            st = tpath_init(&tp[n++], p, 0, repeat, ref, &ops, err);
        }
        if (st == SB_OK)
            st = time_paths(tp, n, repeat, tm, err);
        if (st == SB_OK)
            st = report(p, have_ctx ? &ctx : NULL, tm, n, bytes, ref, json, err);
        for (int i = 0; i < n; i++)
            tpath_free(&tp[i]);
        if (have_ops)
            sb_ops_free(&ops);
        sb_problem_free(p2);
    }
done:
    free(pts);
    sb_problem_free(p);
    if (have_ctx)
        sb_ctx_close(&ctx);
    return st;
}
