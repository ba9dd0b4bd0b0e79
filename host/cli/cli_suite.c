/* cli_suite.c - `signbench suite`: its options, then the engine (host/study/suite.c) runs
 * the other commands in-process into one run folder; the report, the closing lines. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fs.h"
#include "report.h"
#include "suite.h"

static const char help[] =
    "usage: signbench suite [--quick | --full] [--out DIR] [--only LIST] [device options]\n"
    "       signbench suite --report-only DIR\n\n"
    "Runs every study signbench has and writes one run folder:\n"
    "  devices  devices.json\n"
    "  micro    micro.json (Google Benchmark schema), micro.csv\n"
    "  train    train/train-<optimizer>.{json,csv}: logistic regression on breast cancer\n"
    "           with sgd, signsgd, signum, adam (seeded)\n"
    "  tube     tube/ (trajectories on the tube function: escapes, orbits), when the\n"
    "           command exists\n"
    "  figure1  figure1/ (the paper's Figure 1), when the command exists\n"
    "  grid     grid.json, grid.csv, grid_<optimizer> heatmaps (the paper's Figure 2)\n"
    "  sweep    sweep.json, sweep.csv, sweep_norms / sweep_evals plots (quad); with\n"
    "           --full also sweep-quad-rotated/, sweep-logreg/ and sweep-tube/\n"
    "  byzantine  byzantine.json, byzantine_* plots: the majority vote against K of P\n"
    "           adversarial workers (a build with MPI only)\n"
    "then summary.json (schema signbench-summary: steps, convergence metrics for\n"
    "`signbench compare`) and report.md + report.html (self-contained, plots embedded):\n"
    "the device, the throughput table with roofline fractions, convergence figures and\n"
    "verdicts on the paper's claims. Each step's console output goes to <step>.log. A\n"
    "failing step is recorded and the others still run; the exit status is then 1.\n\n"
    "Several devices (--device A,B or all): every step runs on the first; each other\n"
    "device also runs micro, train and tube into devices/P-D/. cross_device.json then\n"
    "compares the train traces and tube trajectories of every device with the first\n"
    "(exact, else the largest absolute, relative and float32 ulp difference), and the\n"
    "report shows each kernel's GB/s, roofline_fraction and ceiling (the paired\n"
    "reference kernel's GB/s) of every device side by side, with a grouped bar chart.\n\n"
    "Options:\n"
    "  --quick       small sizes, few seeds: under a minute on PoCL with 2 cores\n"
    "                (default; not with --full)\n"
    "  --full        the paper-sized studies (64M-element kernels, d up to 10^5, the\n"
    "                full grid): tens of minutes\n"
    "  --out DIR     run folder, new or empty: a folder holding anything is refused, so\n"
    "                runs never mix (default results/runs/<UTC time>-<device slug>)\n"
    "  --only LIST   run only these steps (comma list of the names above)\n"
    "  --report-only DIR  rewrite report.md and report.html of an existing run folder\n"
    "                (one holding a suite's summary.json) from the files in it (runs\n"
    "                nothing)\n" SB_COMMON_HELP;

/* The engine's way to the command table. */
static sb_suite_cmd_fn lookup(const char *name)
{
    for (const sb_cmd *k = sb_commands; k->name; k++)
        if (!strcmp(k->name, name))
            return k->fn;
    return NULL;
}

typedef struct suite_args {
    sb_opts dev;
    const char *out, *only, *report_only;
    int full, quick, help;
} suite_args;

static int suite_option(int c, const char *arg, void *ctx, sb_err *err)
{
    suite_args *a = ctx;
    switch (c) {
    case 'q': a->quick = 1; break;
    case 'f': a->full = 1; break;
    case 'o': a->out = arg; break;
    case 'O': a->only = arg; break;
    case 'R': a->report_only = arg; break;
    default: return -1;
    }
    return SB_OK;
}

static int parse_args(int argc, char **argv, suite_args *a, sb_err *err)
{
    static const struct option longopts[] = {{"quick", no_argument, 0, 'q'},
                                             {"full", no_argument, 0, 'f'},
                                             {"out", required_argument, 0, 'o'},
                                             {"only", required_argument, 0, 'O'},
                                             {"report-only", required_argument, 0, 'R'},
                                             SB_COMMON_LONGOPTS,
                                             {0, 0, 0, 0}};
    static const sb_cli_parser p = {"suite", "o:", longopts, suite_option, 0};
    int rc = sb_cli_parse(&p, argc, argv, a, &a->dev, &a->help, err);
    if (rc || a->help)
        return rc;
    if (a->quick && a->full)
        return sb_fail(err, SB_EUSAGE,
                       "suite: --quick and --full conflict; give one of them");
    if (a->report_only)
        return SB_OK;
    if (a->only && sb_suite_check_only(a->only, err))
        return err->code;
    if (a->dev.kernel_dir || a->dev.kernel_binary || a->dev.bind)
        return sb_fail(err, SB_EUSAGE, "suite: only --device is passed on to the steps");
    int busy = a->out ? sb_suite_dir_busy(a->out) : 0;
    if (busy < 0)
        return sb_fail(err, SB_EUSAGE,
                       "suite: --out %s exists and is not a readable folder", a->out);
    if (busy)
        return sb_fail(err, SB_EUSAGE,
                       "suite: --out %s is not empty (a run folder holds one "
                       "run); give a new or empty folder, or rebuild its report with "
                       "--report-only",
                       a->out);
    return SB_OK;
}

/* The steps, the train figure, summary.json and the report. */
static int run(sb_suite *s, const suite_args *a, sb_err *err)
{
    if (sb_suite_prepare(s, a->dev.device, a->out, err) || sb_suite_run(s, err))
        return err->code;
    if (sb_suite_wanted(a->only, "train")) {
        sb_err pe = {0, ""};
        if (sb_report_train_plot(s->dir, sb_suite_train_optimizers, &pe))
            fprintf(stderr, "suite: no convergence figure: %s\n", pe.msg);
    }
    if (sb_suite_finish(s, err) || sb_report_write(s->dir, err))
        return sb_wrap(err, "suite"); /* the folder keeps its INCOMPLETE mark */
    sb_run_end(s->dir);
    char others[64] = "";
    if (s->set.n > 1)
        snprintf(others, sizeof others, " and %d other device(s)", s->set.n - 1);
    printf(
        "suite (%s) on %s%s: %d step(s), %d failed\nreport: %s/report.md, %s/report.html\n",
        a->full ? "full" : "quick", s->devlabel, others, s->ns, s->failed, s->dir, s->dir);
    if (s->failed)
        return sb_fail(err, SB_ERUNTIME, "suite: %d step(s) failed, first %s (see %s)",
                       s->failed, s->firstfail, s->dir);
    return SB_OK;
}

int sb_cmd_suite(int argc, char **argv, sb_err *err)
{
    suite_args a = {0};
    if (parse_args(argc, argv, &a, err))
        return err->code;
    if (a.help)
        return sb_cli_help(help);
    if (a.report_only) {
        if (sb_suite_check_run_folder(a.report_only, err))
            return err->code;
        if (sb_report_write(a.report_only, err))
            return sb_wrap(err, "suite");
        printf("report: %s/report.md, %s/report.html\n", a.report_only, a.report_only);
        return SB_OK;
    }
    sb_suite *s = sb_suite_new(a.full, a.only, lookup);
    if (!s)
        return sb_fail(err, SB_ERUNTIME, "suite: out of memory");
    int st = run(s, &a, err);
    sb_suite_free(s);
    return st;
}
