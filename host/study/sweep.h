/* sweep.h - the dimension sweep (`signbench sweep`, the paper's Section 5): signSGD and SGD
 * over d and seeds through sb_train_run, the minimum norms, N-to-target and slope fits. */
#ifndef SB_SWEEP_H
#define SB_SWEEP_H

#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "ocl.h"
#include "sb.h"

enum { SB_SWEEP_NVAR = 3, SB_SWEEP_MAXD = 64, SB_SWEEP_MAXSEED = 64, SB_SWEEP_MAXLR = 8 };

/* What the sweep keeps of one training run. */
typedef struct sb_sweep_run {
    double minq, n_target, rho_end, rho_start, bound, lr;
    double dl; /* delta * L of sgd-theory (NaN when L is unknown or not that variant) */
    int reached, diverged;
} sb_sweep_run;

/* The sweep: its settings (sb_sweep_defaults, then the options) and, after
 * sb_sweep_run, the runs r[variant][d index][seed] and the device's name. */
typedef struct sb_sweep {
    const char *problem; /* quad, quad-rotated, logreg or tube */
    size_t dims[SB_SWEEP_MAXD];
    int nd, seeds;
    uint64_t evals;
    double sigma, lr_theory, lr_sgd, tune[SB_SWEEP_MAXLR];
    int ntune;
    double target[SB_SWEEP_NVAR]; /* per variant; target_given 0: set by the run */
    int target_given[SB_SWEEP_NVAR];
    char device[256];
    sb_sweep_run r[SB_SWEEP_NVAR][SB_SWEEP_MAXD][SB_SWEEP_MAXSEED];
} sb_sweep;

/* The defaults `signbench sweep --help` documents (dims 10:1000:5 included). */
void sb_sweep_defaults(sb_sweep *w);

/* The dimensions: a comma list of increasing sizes or a log range LO:HI:K (K points,
 * duplicates after rounding dropped). SB_EUSAGE with the reason. */
int sb_sweep_parse_dims(const char *s, sb_sweep *w, sb_err *err);

/* Every variant at every d and seed on the device dev selects (with a progress bar). */
int sb_sweep_run_all(sb_sweep *w, const sb_opts *dev, sb_err *err);

/* The result as JSON (schema signbench-sweep); NULL when out of memory. */
cJSON *sb_sweep_json(const sb_sweep *w);

/* One CSV row per run (variant, d, seed, ...) into PATH; W is the sb_sweep. */
int sb_sweep_write_csv(const char *path, const void *w, sb_err *err);

#endif
