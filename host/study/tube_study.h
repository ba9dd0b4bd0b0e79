/* tube_study.h - the engine of `signbench tube`: a batch of settings x trials on the tube
 * with its aggregate JSON, CSV and traces, the orbit study and the batching bench. */
#ifndef SB_TUBE_STUDY_H
#define SB_TUBE_STUDY_H

#include <cJSON.h>
#include <stdint.h>

#include "ocl.h"
#include "tube_batch.h"

/* What a tube run is asked for (the options of `signbench tube --help`); fill it with
 * sb_tube_cfg_defaults, then set fields. */
typedef struct sb_tube_cfg {
    long d, trials, steps, traces;
    int rot_mode;         /* SB_TB_ROT_NONE / RANDOM / FILE */
    const char *rot_file; /* SB_TB_ROT_FILE: CSV of a d x d matrix */
    int opts[SB_TB_NOPT], nopt;
    double lr[16];
    int nlr;
    int sched[2], nsched;
    double mom[8];
    int nmom;
    int f64, strict;
    uint64_t seed;
    const char *out; /* run folder; NULL: results/runs/<UTC>-<device slug> */
    long study_d[16];
    int nstudy_d;
    double pgd_r, pgd_g;
    long pgd_t;
    int trials_set, lr_set; /* given explicitly: the study and bench keep them */
} sb_tube_cfg;

void sb_tube_cfg_defaults(sb_tube_cfg *c);
/* What can be checked before the device is opened: a --rotations file must hold a d x d
 * rotation (SB_EUSAGE naming it otherwise). */
int sb_tube_cfg_check(const sb_tube_cfg *c, sb_err *err);

/* What a run hands back to print: its JSON (summary.json, orbits.json or the bench's),
 * the folder it wrote ("" when none) and, for the batch, how many trajectories it
 * traced. Free with sb_tube_report_free. */
typedef struct sb_tube_report {
    cJSON *json;
    char dir[1024];
    int ntrace;
} sb_tube_report;

void sb_tube_report_free(sb_tube_report *r);

/* The batch: every setting (optimiser x schedule x lr x momentum) on every trial; writes
 * trajectories.csv, summary.json and the traces into the run folder. */
int sb_tube_main(const sb_tube_cfg *c, sb_ctx *ctx, sb_tube_report *r, sb_err *err);

/* --study orbits: probabilities of a saddle orbit, of being trapped and of never reaching
 * the minimum against d and step size; writes orbits.csv, orbits.json and the plot. */
int sb_tube_orbits(const sb_tube_cfg *c, sb_ctx *ctx, sb_tube_report *r, sb_err *err);

/* --bench: trajectory-steps per second batched against one trajectory at a time; writes
 * bench.json only when c->out is set. */
int sb_tube_bench(const sb_tube_cfg *c, sb_ctx *ctx, sb_tube_report *r, sb_err *err);

/* "signgd const lr 0.05" (and " beta B" for signum) of one aggregate row of summary.json. */
void sb_tube_row_label(const cJSON *row, char *buf, size_t n);

#endif
