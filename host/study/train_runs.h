/* train_runs.h - several optimisers on one problem, seed and device (`signbench train`):
 * each run's trace and summary in one folder, and the list of the runs as one JSON. */
#ifndef SB_TRAIN_RUNS_H
#define SB_TRAIN_RUNS_H

#include <cJSON.h>

#include "train.h"

typedef struct sb_train_runs {
    int n, done;         /* optimisers asked for, runs made (results to free) */
    int has_acc;         /* some run has a test accuracy */
    sb_train_result *rs; /* n results, in the order of the list */
    cJSON *all;          /* schema signbench-train-runs/1: out, runs[] (the summaries) */
    char dir[4096];      /* the folder of the files */
    char device[256];    /* the device's name */
} sb_train_runs;

/* Open cfg->dev, then run every optimiser of list (n names) in turn. With write (rank 0
 * under MPI) make the folder out (NULL: results/runs/<UTC time>-<device slug>) and write
 * OUT/train-O.csv and OUT/train-O.json of each run; a run that diverged or left the tube
 * set is said on stderr. The first failure stops (err names the optimiser and problem).
 * Free r with sb_train_runs_free, also after a failure. */
int sb_train_runs_run(sb_train_cfg *cfg, const char *const *list, int n, const char *out,
                      int write, sb_train_runs *r, sb_err *err);
void sb_train_runs_free(sb_train_runs *r);

#endif
