/* suite.h - the engine of `signbench suite`: the steps of a run (which command, its
 * arguments, its weight), running them in-process into one run folder, summary.json. */
#ifndef SB_SUITE_H
#define SB_SUITE_H

#include <cJSON.h>

#include "crossdev.h"
#include "devices.h"
#include "sb.h"

/* A command the steps run, as the command table holds it (argv[0] is its name). The
 * engine finds them through lookup (NULL when this build lacks the command), so the
 * library needs no command table of its own. */
typedef int (*sb_suite_cmd_fn)(int argc, char **argv, sb_err *err);
typedef sb_suite_cmd_fn (*sb_suite_lookup_fn)(const char *name);

/* The step names --only takes, NULL-terminated, and the optimisers of the train step. */
extern const char *const sb_suite_step_names[];
extern const char *const sb_suite_train_optimizers[];

/* 1 when step is to run: only is NULL, or a comma list naming it. */
int sb_suite_wanted(const char *only, const char *step);
/* --only LIST: SB_EUSAGE naming the first unknown step. */
int sb_suite_check_only(const char *only, sb_err *err);
/* 1 when DIR exists and holds anything (a run folder holds one run), -1 when DIR exists
 * but is not a readable folder, 0 when it does not exist or is empty. */
int sb_suite_dir_busy(const char *dir);
/* --report-only DIR: SB_OK when DIR is a finished suite run folder (it exists, has no
 * INCOMPLETE mark, holds summary.json with the summary schema), whose report can then be
 * rewritten from its files; else SB_EUSAGE saying which. */
int sb_suite_check_run_folder(const char *dir, sb_err *err);

/* One step: the command, its arguments, and its weight: the seconds it is expected to
 * take (estimates, see suite.c), by which the progress bar advances. */
#define SB_SUITE_MAX_ARGS 40
typedef struct sb_suite_step {
    const char *name, *cmd;
    char *argv[SB_SUITE_MAX_ARGS];
    int argc;
    long weight;
} sb_suite_step;

#define SB_SUITE_MAX_STEPS (13 + 3 * SB_MAX_DEVICES)
#define SB_SUITE_PATH 1300

typedef struct sb_suite {
    /* settings */
    int full;
    const char *only;
    sb_suite_lookup_fn lookup;
    /* the devices (the first runs every step) and the run folder */
    sb_devset set;
    sb_crossdev_dev xd[SB_MAX_DEVICES];
    char devlabel[256], stamp[32], dir[1024], pidx[24], data[1024];
    /* the plan */
    sb_suite_step steps[SB_SUITE_MAX_STEPS];
    int ns;
    long total; /* the sum of the weights */
    /* what the arguments point into */
    char paths[SB_SUITE_MAX_STEPS][4][SB_SUITE_PATH];
    char names[SB_SUITE_MAX_STEPS][48];
    /* the outcome */
    cJSON *summary;
    int failed;
    char firstfail[512];
} sb_suite;

/* A suite of the --full (full) or --quick studies, the steps only names (NULL: all),
 * its commands found by lookup; NULL when out of memory. */
sb_suite *sb_suite_new(int full, const char *only, sb_suite_lookup_fn lookup);

/* The steps of a suite into s->steps (s->full, s->only, s->lookup, s->dir, s->pidx and
 * s->data set): no device work and no file, so tests can inspect the plan. */
void sb_suite_plan(sb_suite *s);

/* Resolve the devices (device: --device, else $SIGNBENCH_DEVICE, else the default), make
 * the run folder (out, else results/runs/<UTC time>-<device slug>) and mark it
 * INCOMPLETE, plan the steps (with several devices, each other device's copies of
 * micro, train and tube writing into devices/P-D/). */
int sb_suite_prepare(sb_suite *s, const char *device, const char *out, sb_err *err);

/* Run every step in turn, its console output into DIR/<step>.log, with the progress bar
 * advancing by the steps' weights; each step's outcome and the convergence metrics of
 * the result files go into s->summary. A failing step is counted, the others still run. */
int sb_suite_run(sb_suite *s, sb_err *err);

/* cross_device.json (several devices), then DIR/summary.json. The INCOMPLETE mark stays:
 * the caller removes it (sb_run_end) once the report is written too, so that a signal
 * or a failed write before then leaves the folder marked. */
int sb_suite_finish(sb_suite *s, sb_err *err);

void sb_suite_free(sb_suite *s);

#endif
