/* cli_compare.c - `signbench compare BASE NEW` and `compare --paired A1 B1 ...`: a table
 * (or JSON) of per-metric changes or paired ratios and verdicts; exit 1 on a failure. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fs.h"
#include "ab.h"
#include "compare.h"
#include "shift.h"
#include "json.h"

static const char help[] =
    "usage: signbench compare BASE NEW [--threshold 15%] [--metric NAME[:higher|:lower]]...\n"
    "                         [--alpha 0.05] [--filter S] [--per-row] [--json]\n"
    "       signbench compare --paired A1 B1 A2 B2 ... [--threshold 10%] [--metric M]...\n\n"
    "Compares two result files benchmark by benchmark (matched by name) and gives each\n"
    "metric a verdict. Files: micro's JSON (Google Benchmark schema), a signbench summary\n"
    "(summary.json of `signbench suite`, schema signbench-summary) or a `train --json`\n"
    "summary; both files must be of the same kind.\n\n"
    "Tracked metrics (default): roofline_fraction (throughput as a ratio to the roofline\n"
    "reference), and for seeded convergence runs steps_to_target, evals_to_target,\n"
    "f_final, final_loss, and the suite's grid test_error and sweep min_norm (higher is\n"
    "worse). Values are the medians of the repetitions. When both sides have enough\n"
    "repetitions for the exact two-sided Mann-Whitney U test to reach --alpha (4 each),\n"
    "a change past the threshold that the test does not find significant is 'noise'.\n\n"
    "What fails (exit 1): a convergence or quality metric worse past the threshold (seeded\n"
    "runs repeat exactly); a tracked metric or a benchmark with one missing in NEW; and\n"
    "for timing metrics (roofline_fraction, real_time, ...) the LEVEL: the median over\n"
    "the timing rows of new/base (oriented, < 1 worse) below 1 - threshold. Two micro\n"
    "runs taken a minute apart on a shared machine move single rows by 30-80% while\n"
    "their level stays within about 5%: a single timing row fails only with --per-row.\n"
    "Decide a single kernel with the interleaved A/B mode (micro --baseline-kernels,\n"
    "bench/ci-bench) or with --paired runs.\n\n"
    "--paired: files from runs of two builds on the same command, taken alternately\n"
    "(A B, B A, ...; at least 6 pairs): per benchmark and metric the ratio B/A (oriented,\n"
    "< 1 worse) with a 95% Hodges-Lehmann interval over the pairs; a row REGRESSED when\n"
    "the interval lies wholly below 1 - threshold (default 10%) fails.\n\n"
    "Options:\n"
    "  --threshold T   relative change that counts, as 15% or 0.15 (default 15%; 10%\n"
    "                  with --paired)\n"
    "  --metric M      compare M instead of the tracked set (repeatable); known metrics\n"
    "                  have a direction, others need :higher or :lower (higher is better)\n"
    "  --alpha A       significance level of the rank test (default 0.05)\n"
    "  --filter S      only benchmarks whose name contains S (e.g. /1000003/: the\n"
    "                  bandwidth-sized runs, not the launch-bound small ones)\n"
    "  --per-row       every timing row past the threshold fails on its own\n"
    "  --json          print the comparison as JSON (schema signbench-compare)\n\n"
    "Exit status: 0 pass, 1 a failure as above, 2 unreadable, malformed (a tracked\n"
    "metric given as a string, a number that is not finite such as 1e999), empty or\n"
    "mismatched input, or no tracked metric on both sides.\n";

static void fmt(char *out, size_t cap, double v)
{
    if (isnan(v))
        snprintf(out, cap, "-");
    else if (isinf(v))
        snprintf(out, cap, v > 0 ? "never" : "-inf");
    else
        snprintf(out, cap, "%.4g", v);
}

static void print_table(const sb_cmp_set *a, const sb_cmp_set *b, const sb_cmp_opts *o,
                        const sb_cmp_result *r)
{
    printf("base: %s (%s%s%s)\nnew:  %s (%s%s%s)\n", a->path, a->kind,
           a->device[0] ? ", " : "", a->device, b->path, b->kind, b->device[0] ? ", " : "",
           b->device);
    if (a->device[0] && b->device[0] && strcmp(a->device, b->device))
        printf("note: different devices; only ratios such as roofline_fraction compare\n");
    printf("threshold %.3g%%\n\n", 100 * o->threshold);
    size_t w = 9;
    for (size_t i = 0; i < r->n; i++)
        if (strlen(r->rows[i].bench) > w)
            w = strlen(r->rows[i].bench);
    if (w > 60)
        w = 60;
    printf("%-*s  %-18s %11s %11s %9s %4s %8s  %s\n", (int)w, "benchmark", "metric", "base",
           "new", "change", "reps", "p", "verdict");
    for (size_t i = 0; i < r->n; i++) {
        const sb_cmp_row *x = &r->rows[i];
        char bs[32], ns[32], ch[32], p[32], reps[32];
        fmt(bs, sizeof bs, x->base);
        fmt(ns, sizeof ns, x->new_);
        if (isinf(x->change))
            snprintf(ch, sizeof ch, "%s", x->change > 0 ? "+inf" : "-inf");
        else if (isnan(x->change))
            snprintf(ch, sizeof ch, "-");
        else
            snprintf(ch, sizeof ch, "%+.1f%%", 100 * x->change);
        if (x->tested)
            snprintf(p, sizeof p, "%.3f", x->p);
        else
            snprintf(p, sizeof p, "-");
        snprintf(reps, sizeof reps, "%zu", x->n_base > x->n_new ? x->n_new : x->n_base);
        printf("%-*.*s  %-18.18s %11s %11s %9s %4s %8s  %s\n", (int)w, (int)w, x->bench,
               x->metric, bs, ns, ch, reps, p, sb_cmp_verdict_name(x->verdict));
    }
    printf(
        "\n%d matched, %d only in base, %d only in new; %d row%s worse past the threshold, "
        "%d tracked missing in new\n",
        r->matched, r->only_base, r->only_new, r->regressions,
        r->regressions == 1 ? "" : "s", r->missing);
    if (r->level_rows)
        printf("timing level (median new/base over %d rows, < 1 worse): %.3f -> %s\n",
               r->level_rows, r->level, r->level_regressed ? "REGRESSED" : "ok");
    printf("verdict: %s\n", r->failures ? "FAIL" : "pass");
}

static void print_paired(const sb_cmp_paired_row *r, int n, int skipped, double thr)
{
    printf("%-48s %-18s %5s %7s  %-17s %s\n", "benchmark", "metric", "pairs", "B/A",
           "95% interval", "verdict");
    for (int i = 0; i < n; i++) {
        char ci[40];
        snprintf(ci, sizeof ci, "[%.3f, %.3f]", r[i].lo, r[i].hi);
        printf("%-48.48s %-18.18s %5d %7.3f  %-17s %s\n", r[i].bench, r[i].metric,
               r[i].pairs, r[i].ratio, ci, sb_ab_verdict(r[i].lo, r[i].hi, thr));
    }
    printf(
        "B/A oriented (< 1 worse); REGRESSED: interval wholly below %.3f; %d row%s not in "
        "every file\n",
        1 - thr, skipped, skipped == 1 ? "" : "s");
}

static int paired_cmd(int nfiles, char **files, const sb_cmp_opts *o, int json, sb_err *err)
{
    if (nfiles < 2 * SB_SHIFT_MIN_PAIRS || nfiles % 2)
        return sb_fail(err, SB_EUSAGE,
                       "compare --paired: expected an even number of files, "
                       "at least %d (A1 B1 A2 B2 ...), got %d",
                       2 * SB_SHIFT_MIN_PAIRS, nfiles);
    int n = nfiles / 2, st = SB_OK, loaded = 0;
    sb_cmp_set *a = calloc((size_t)n, sizeof *a), *b = calloc((size_t)n, sizeof *b);
    if (!a || !b)
        st = sb_fail(err, SB_ERUNTIME, "compare: out of memory");
    for (; loaded < n && st == SB_OK; loaded++) {
        if ((st = sb_cmp_load(files[2 * loaded], &a[loaded], err)) != SB_OK)
            break;
        if ((st = sb_cmp_load(files[2 * loaded + 1], &b[loaded], err)) != SB_OK) {
            sb_cmp_set_free(&a[loaded]);
            break;
        }
    }
    sb_cmp_paired_row *rows = NULL;
    int nrows = 0, skipped = 0, bad = 0;
    if (st == SB_OK)
        st = sb_cmp_paired(a, b, n, o, &rows, &nrows, &skipped, err);
    if (st == SB_OK) {
        for (int i = 0; i < nrows; i++)
            bad += rows[i].regressed;
        if (json) {
            cJSON *j = cJSON_CreateObject(), *list = cJSON_AddArrayToObject(j, "paired");
            cJSON_AddStringToObject(j, "schema", "signbench-compare-paired");
            cJSON_AddNumberToObject(j, "threshold", o->threshold);
            for (int i = 0; i < nrows; i++) {
                cJSON *r = cJSON_CreateObject();
                cJSON_AddStringToObject(r, "benchmark", rows[i].bench);
                cJSON_AddStringToObject(r, "metric", rows[i].metric);
                cJSON_AddNumberToObject(r, "pairs", rows[i].pairs);
                cJSON_AddNumberToObject(r, "ratio", rows[i].ratio);
                cJSON_AddNumberToObject(r, "ratio_lo", rows[i].lo);
                cJSON_AddNumberToObject(r, "ratio_hi", rows[i].hi);
                cJSON_AddStringToObject(
                    r, "verdict", sb_ab_verdict(rows[i].lo, rows[i].hi, o->threshold));
                cJSON_AddItemToArray(list, r);
            }
            sb_json_print(j);
            cJSON_Delete(j);
        } else {
            print_paired(rows, nrows, skipped, o->threshold);
        }
        fflush(stdout);
        if (bad)
            st = sb_fail(err, SB_ERUNTIME,
                         "compare --paired: %d of %d rows REGRESSED past "
                         "%.3g%%",
                         bad, nrows, 100 * o->threshold);
    }
    free(rows);
    for (int i = 0; i < loaded; i++)
        sb_cmp_set_free(&a[i]), sb_cmp_set_free(&b[i]);
    free(a);
    free(b);
    return st;
}

int sb_cmd_compare(int argc, char **argv, sb_err *err)
{
    static const struct option longopts[] = {{"threshold", required_argument, 0, 't'},
                                             {"metric", required_argument, 0, 'm'},
                                             {"alpha", required_argument, 0, 'a'},
                                             {"json", no_argument, 0, 'j'},
                                             {"filter", required_argument, 0, 'F'},
                                             {"per-row", no_argument, 0, 'r'},
                                             {"paired", no_argument, 0, 'P'},
                                             {"help", no_argument, 0, SB_OPT_HELP},
                                             {0, 0, 0, 0}};
    sb_cmp_opts o = {.threshold = -1, .alpha = 0.05};
    const char *metrics[32];
    int json = 0, paired = 0, c;
    optind = 1;
    opterr = 0;
    if (sb_cli_check_args("compare", argc, argv, "", longopts, err))
        return err->code;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c == SB_OPT_HELP)
            return sb_cli_help(help);
        if (c == 't') {
            if (sb_cmp_parse_threshold(optarg, &o.threshold, err))
                return sb_wrap(err, "compare");
        } else if (c == 'm') {
            if (o.nmetrics >= 32)
                return sb_fail(err, SB_EUSAGE, "compare: at most 32 --metric options");
            metrics[o.nmetrics++] = optarg;
        } else if (c == 'a') {
            if (sb_parse_double("--alpha", optarg, 1e-6, 0.5, &o.alpha, err))
                return sb_wrap(err, "compare");
        } else if (c == 'j')
            json = 1;
        else if (c == 'F')
            o.filter = optarg;
        else if (c == 'r')
            o.per_row = 1;
        else if (c == 'P')
            paired = 1;
        else
            return sb_cli_bad_option("compare", argc, argv, err);
    }
    o.metrics = metrics;
    if (o.threshold < 0)
        o.threshold = paired ? 0.10 : 0.15;
    if (!paired && argc - optind != 2)
        return sb_fail(err, SB_EUSAGE,
                       "compare: expected two files, BASE and NEW (see "
                       "'signbench compare --help')");
    for (int i = optind; i < argc; i++)
        if (sb_run_incomplete(argv[i]))
            return sb_fail(err, SB_EUSAGE,
                           "compare: %s is in a run folder marked %s (the run "
                           "did not finish): its results are partial",
                           argv[i], SB_RUN_MARKER);
    if (paired)
        return paired_cmd(argc - optind, argv + optind, &o, json, err);
    sb_cmp_set a, b;
    if (sb_cmp_load(argv[optind], &a, err))
        return err->code;
    if (sb_cmp_load(argv[optind + 1], &b, err)) {
        sb_cmp_set_free(&a);
        return err->code;
    }
    sb_cmp_result r;
    int rc = sb_cmp_run(&a, &b, &o, &r, err);
    if (rc == SB_OK) {
        if (json) {
            cJSON *j = sb_cmp_result_json(&a, &b, &o, &r);
            char *s = j ? cJSON_Print(j) : NULL;
            if (s)
                printf("%s\n", s);
            else
                rc = sb_fail(err, SB_ERUNTIME, "compare: out of memory");
            free(s);
            cJSON_Delete(j);
        } else {
            print_table(&a, &b, &o, &r);
        }
        fflush(stdout);
        if (rc == SB_OK && r.failures)
            rc = sb_fail(err, SB_ERUNTIME,
                         "compare: %s vs %s fails at %.3g%%: %d convergence "
                         "or per-row regression%s, %d tracked missing in new, timing level "
                         "%s",
                         a.path, b.path, 100 * o.threshold,
                         r.failures - r.missing - r.level_regressed,
                         r.failures - r.missing - r.level_regressed == 1 ? "" : "s",
                         r.missing, r.level_regressed ? "REGRESSED" : "ok");
        sb_cmp_result_free(&r);
    }
    sb_cmp_set_free(&a);
    sb_cmp_set_free(&b);
    return rc;
}
