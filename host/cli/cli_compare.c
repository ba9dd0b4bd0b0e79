/* cli_compare.c - `signbench compare BASE NEW`: the regression gate's command line,
 * a table (or JSON) of per-metric changes and verdicts; exit 1 on a regression. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fs.h"
#include "compare.h"
#include "json.h"

static const char help[] =
    "usage: signbench compare BASE NEW [--threshold 5%] [--metric NAME[:higher|:lower]]...\n"
    "                         [--alpha 0.05] [--filter S] [--json]\n\n"
    "Compares two result files benchmark by benchmark (matched by name) and gives each\n"
    "metric a verdict. Files: micro's JSON (Google Benchmark schema), a signbench summary\n"
    "(summary.json of `signbench suite`, schema signbench-summary) or a `train --json`\n"
    "summary; both files must be of the same kind.\n\n"
    "Tracked metrics (default): roofline_fraction (throughput as a ratio to the roofline\n"
    "reference: lower is worse; stable on noisy machines), and for seeded convergence runs\n"
    "steps_to_target, evals_to_target, f_final, final_loss (higher is worse). Values are\n"
    "the medians of the repetitions. When both sides have enough repetitions for the\n"
    "exact two-sided Mann-Whitney U test to reach --alpha (4 each is enough), a change\n"
    "past the threshold that the test does not find significant is called 'noise'.\n\n"
    "Options:\n"
    "  --threshold T   relative change that counts, as 5% or 0.05 (default 5%)\n"
    "  --metric M      compare M instead of the tracked set (repeatable); known metrics\n"
    "                  have a direction, others need :higher or :lower (higher is better)\n"
    "  --alpha A       significance level of the rank test (default 0.05)\n"
    "  --filter S      only benchmarks whose name contains S (e.g. /1000003/: the\n"
    "                  bandwidth-sized runs, not the launch-bound small ones)\n"
    "  --json          print the comparison as JSON (schema signbench-compare)\n\n"
    "Exit status: 0 no tracked metric regressed, 1 at least one regressed past the\n"
    "threshold, 2 unreadable, malformed, empty or mismatched input.\n";

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
    printf("base: %s (%s%s%s)\nnew:  %s (%s%s%s)\n", a->path, a->kind, a->device[0] ? ", " : "",
           a->device, b->path, b->kind, b->device[0] ? ", " : "", b->device);
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
    printf("\n%d matched, %d only in base, %d only in new; %d regression%s\n", r->matched,
           r->only_base, r->only_new, r->regressions, r->regressions == 1 ? "" : "s");
}

int sb_cmd_compare(int argc, char **argv, sb_err *err)
{
    static const struct option longopts[] = {
        {"threshold", required_argument, 0, 't'}, {"metric", required_argument, 0, 'm'},
        {"alpha", required_argument, 0, 'a'},     {"json", no_argument, 0, 'j'},
        {"filter", required_argument, 0, 'F'},
        {"help", no_argument, 0, SB_OPT_HELP},    {0, 0, 0, 0}};
    sb_cmp_opts o = {.threshold = 0.05, .alpha = 0.05};
    const char *metrics[32];
    int json = 0, c;
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
        else
            return sb_cli_bad_option("compare", argc, argv, err);
    }
    o.metrics = metrics;
    if (argc - optind != 2)
        return sb_fail(err, SB_EUSAGE, "compare: expected two files, BASE and NEW (see "
                       "'signbench compare --help')");
    for (int i = optind; i < argc; i++)
        if (sb_run_incomplete(argv[i]))
            return sb_fail(err, SB_EUSAGE, "compare: %s is in a run folder marked %s (the run "
                           "did not finish): its results are partial", argv[i], SB_RUN_MARKER);
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
        if (rc == SB_OK && r.regressions)
            rc = sb_fail(err, SB_ERUNTIME, "compare: %d tracked metric%s regressed past "
                         "%.3g%% (%s vs %s)", r.regressions, r.regressions == 1 ? "" : "s",
                         100 * o.threshold, a.path, b.path);
        sb_cmp_result_free(&r);
    }
    sb_cmp_set_free(&a);
    sb_cmp_set_free(&b);
    return rc;
}
