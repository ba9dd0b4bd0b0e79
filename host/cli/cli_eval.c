/* cli_eval.c - `signbench eval`: parses the options, evaluates a problem at points read
 * from a CSV file or times its full gradients (--repeat) through eval.h, prints. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "eval.h"
#include "json.h"
#include "problem.h"

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
    "  --json              print the timing as JSON (schema signbench-eval)\n"
    "  --sigma S           stochastic oracle instead of the full gradient: additive noise\n"
    "                      N(0, S^2/n_k) per coordinate (default 0)\n"
    "  --batch N|theory    minibatch of N rows (logreg) / N averaged draws, or n_k = k + 1\n"
    "                      (default: full batch)\n"
    "  --step K            the oracle's step k (default 0); draws are keyed by seed and\n"
    "                      step, so two devices give the same values (DESIGN.md 5.4)\n"
    "(eval applies the tube formulas everywhere: --tube-domain matters to trajectories)\n\n" SB_PROBLEM_HELP
    "\n" SB_COMMON_HELP;

enum {
    OPT_POINTS = SB_OPT_FIRST_FREE,
    OPT_OUT,
    OPT_HOST,
    OPT_SEED,
    OPT_REPEAT,
    OPT_JSON,
    OPT_SIGMA,
    OPT_BATCH,
    OPT_STEP
};

/* The timing table (--repeat without --json). */
static void print_timing(const sb_eval_bench *b)
{
    int logreg = !strcmp(b->problem, "logreg"), gb = b->bytes > 0.0;
    const sb_eval_timing *rd = NULL; /* the roofline reference, when measured */
    for (int i = 0; i < b->nt; i++)
        if (b->ref && !strcmp(b->tm[i].path, b->ref))
            rd = &b->tm[i];
    printf("%s: d = %zu%s", b->problem, b->d, logreg ? "" : "\n");
    if (logreg)
        printf(", n = %zu (X is %.1f MB)\n", b->n, b->bytes / 1e6);
    if (!logreg && gb)
        printf("(%.3g MB of fp32 traffic per gradient)\n", b->bytes / 1e6);
    printf("%-10s %6s %14s %14s%s", "path", "reps", "min s/grad", "median s/grad",
           !gb      ? ""
           : logreg ? "   GB/s of X (median)"
                    : "        GB/s (median)");
    if (rd)
        printf("  x %s roofline", rd->path);
    printf("\n");
    for (int i = 0; i < b->nt; i++) {
        const sb_eval_timing *t = &b->tm[i];
        printf("%-10s %6ld %14.6g %14.6g", t->path, t->reps, t->min, t->median);
        if (gb)
            printf(" %20.2f", b->bytes / t->median / 1e9);
        if (gb && rd)
            printf(" %16.2f", rd->median / t->median);
        printf("\n");
    }
    if (rd && !strcmp(rd->path, "read"))
        printf("read: the roofline reference kernel summing X once (same bytes)\n");
    else if (rd)
        printf("%s: the roofline reference kernel with the gradient's traffic (%s)\n",
               rd->path,
               strcmp(rd->path, "copy") ? "read 2, write 1 floats per element"
                                        : "read 1, write 1 float per element");
    if (b->device[0])
        printf("device: %s (%s)\n", b->device, b->platform);
}

/* Everything the command line sets. */
typedef struct eval_args {
    sb_opts dev;
    sb_problem_opts po;
    const char *points, *out;
    int host, json, use_orc, help;
    long repeat;
    sb_oracle orc;
    uint64_t step;
} eval_args;

/* One option c (not a common or problem one) into a; -1 when c is none. */
static int eval_option(int c, const char *arg, eval_args *a, sb_err *err)
{
    long v;
    switch (c) {
    case OPT_POINTS: a->points = arg; return SB_OK;
    case OPT_OUT: a->out = arg; return SB_OK;
    case OPT_HOST: a->host = 1; return SB_OK;
    case OPT_JSON: a->json = 1; return SB_OK;
    case OPT_SIGMA:
        a->use_orc = 1;
        return sb_parse_double("--sigma", arg, 0.0, 1e30, &a->orc.sigma, err);
    case OPT_BATCH:
        a->use_orc = 1;
        if (!strcmp(arg, "theory")) {
            a->orc.theory_batch = 1;
            return SB_OK;
        }
        if (sb_parse_size("--batch", arg, &a->orc.batch, err) != SB_OK)
            return err->code;
        if (a->orc.batch < 1)
            return sb_fail(err, SB_EUSAGE, "--batch: at least 1 (or 'theory')");
        return SB_OK;
    case OPT_STEP:
        if (sb_parse_long("--step", arg, 0, 0x7fffffffffffffffL, &v, err) != SB_OK)
            return err->code;
        a->step = (uint64_t)v;
        return SB_OK;
    case OPT_SEED:
        if (sb_parse_long("--seed", arg, 0, 0x7fffffffffffffffL, &v, err) != SB_OK)
            return err->code;
        a->po.seed = (uint64_t)v;
        return SB_OK;
    case OPT_REPEAT: return sb_parse_long("--repeat", arg, 1, 1000000000L, &a->repeat, err);
    }
    return -1;
}

/* The combinations eval refuses. */
static int check_args(const eval_args *a, sb_err *err)
{
    if (!a->po.name)
        return sb_fail(err, SB_EUSAGE,
                       "eval: --problem is required (see signbench eval --help)");
    if (!a->points && !a->repeat)
        return sb_fail(err, SB_EUSAGE, "eval: give --points FILE or --repeat N");
    if (a->out && !a->points)
        return sb_fail(err, SB_EUSAGE, "eval: --out needs --points");
    if (a->json && !a->repeat)
        return sb_fail(err, SB_EUSAGE, "eval: --json goes with --repeat");
    if (a->use_orc && a->host)
        return sb_fail(err, SB_EUSAGE,
                       "eval: --sigma and --batch draw the stochastic oracle "
                       "on the device; drop --host");
    if (a->use_orc && !a->points)
        return sb_fail(err, SB_EUSAGE, "eval: --sigma and --batch go with --points");
    if (a->host && a->po.gemv)
        return sb_fail(err, SB_EUSAGE, "eval: --gemv selects a device path; drop --host");
    return SB_OK;
}

static int parse_args(int argc, char **argv, eval_args *a, sb_err *err)
{
    static const struct option longopts[] = {{"points", required_argument, 0, OPT_POINTS},
                                             {"out", required_argument, 0, OPT_OUT},
                                             {"host", no_argument, 0, OPT_HOST},
                                             {"seed", required_argument, 0, OPT_SEED},
                                             {"repeat", required_argument, 0, OPT_REPEAT},
                                             {"json", no_argument, 0, OPT_JSON},
                                             {"sigma", required_argument, 0, OPT_SIGMA},
                                             {"batch", required_argument, 0, OPT_BATCH},
                                             {"step", required_argument, 0, OPT_STEP},
                                             SB_PROBLEM_LONGOPTS,
                                             SB_COMMON_LONGOPTS,
                                             {0, 0, 0, 0}};
    int c;
    optind = 1;
    opterr = 0;
    if (sb_cli_check_args("eval", argc, argv, "", longopts, err))
        return err->code;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (sb_cli_common(c, optarg, &a->dev))
            continue;
        int r = sb_problem_cli(c, optarg, &a->po, err);
        if (r < 0)
            return err->code;
        if (r > 0)
            continue;
        if (c == SB_OPT_HELP) {
            a->help = 1;
            return SB_OK;
        }
        if ((r = eval_option(c, optarg, a, err)) < 0)
            return sb_cli_bad_option("eval", argc, argv, err);
        if (r)
            return r;
    }
    if (optind < argc)
        return sb_fail(err, SB_EUSAGE, "eval: unexpected argument '%s'", argv[optind]);
    a->orc.seed = a->po.seed;
    return check_args(a, err);
}

/* --points: the CSV of values and gradients to --out or stdout. */
static int run_points(sb_problem *p, const eval_args *a, sb_err *err)
{
    double *pts = NULL;
    char *csv = NULL;
    size_t np = 0, len = 0;
    int st = sb_eval_read_points(a->points, p->d, &pts, &np, err);
    if (st == SB_OK)
        st = sb_eval_points(p, a->host, a->use_orc ? &a->orc : NULL, a->step, pts, np, &csv,
                            &len, err);
    if (st == SB_OK) {
        if (a->out)
            st = sb_write_file(a->out, csv, len, err);
        else if (fwrite(csv, 1, len, stdout) != len || fflush(stdout))
            st = sb_fail(err, SB_ERUNTIME, "eval: cannot write to stdout");
    }
    free(csv);
    free(pts);
    return st;
}

/* --repeat: the timing as a table or JSON. */
static int run_timing(sb_problem *p, const eval_args *a, sb_ctx *ctx, sb_err *err)
{
    sb_eval_bench b;
    int st = sb_eval_time(p, &a->po, ctx, a->repeat, &b, err);
    if (st != SB_OK)
        return st;
    if (!a->json) {
        print_timing(&b);
        return SB_OK;
    }
    cJSON *j = sb_eval_json(&b);
    char *s = j ? cJSON_Print(j) : NULL;
    cJSON_Delete(j);
    if (!s)
        return sb_fail(err, SB_ERUNTIME, "out of memory");
    printf("%s\n", s);
    free(s);
    return SB_OK;
}

int sb_cmd_eval(int argc, char **argv, sb_err *err)
{
    eval_args a = {0};
    sb_problem_opts_init(&a.po);
    a.po.seed = 1;
    int st = parse_args(argc, argv, &a, err);
    if (st != SB_OK)
        return st;
    if (a.help)
        return sb_cli_help(help);
    sb_ctx ctx;
    if (!a.host && (st = sb_ctx_open(&ctx, &a.dev, err)) != SB_OK)
        return st;
    sb_problem *p = NULL;
    st = sb_problem_create(&a.po, a.host ? NULL : &ctx, &p, err);
    if (st == SB_OK && a.points)
        st = run_points(p, &a, err);
    if (st == SB_OK && a.repeat)
        st = run_timing(p, &a, a.host ? NULL : &ctx, err);
    sb_problem_free(p);
    if (!a.host)
        sb_ctx_close(&ctx);
    return st;
}
