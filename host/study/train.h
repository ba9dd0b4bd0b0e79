/* train.h - the training-run library: one optimiser on one problem for a budget of steps,
 * gradient calls or a target, with a trace, a summary and its JSON/CSV forms. */
#ifndef SB_TRAIN_H
#define SB_TRAIN_H

#include <cJSON.h>

#include "ops.h"
#include "optim.h"
#include "problem.h"
#include "byzantine.h"
#include "dist.h"
#include "workers.h"

/* Everything one run needs. Fill it with sb_train_cfg_default() and then set fields;
 * the defaults are the ones `signbench train --help` documents. */
typedef struct sb_train_cfg {
    sb_problem_opts problem; /* problem.h; problem.seed is overwritten with seed */
    const char *optimizer;   /* a name of sb_optims (optim.h): "signsgd", "adam", ... */
    sb_optim_params hyper;   /* lr, schedule, betas, eps, weight decay, pgd (optim.h) */
    const char *compress;    /* "none" (default), "sign", "pack", "scaled-sign" */
    /* Budget: the run stops at the first of these that is set (0 = unset). When none
     * of steps/evals is set, steps = 1000 (100000 with a target). */
    uint64_t steps;      /* optimiser steps */
    uint64_t evals;      /* stochastic gradient calls (oracle draws, n_k per step) */
    double target_grad1; /* stop when norm1 of the full gradient <= this (> 0);
                                 with a target the full-gradient metric runs every step */
    double target_loss;  /* stop when f <= this (set has_target_loss) */
    int has_target_loss;
    int workers;                /* simulated data-parallel workers (0 or 1: one); each
                                 draws its own oracle stream; pack: majority vote,
                                 other compressions: mean (pipeline.h) */
    const char *worker_devices; /* "0:0,0:1": one worker per entry, each on its device
                                 with its own context, all at once (workers.h); the
                                 run's device (ctx / dev) must be the first entry */
    int mpi;                    /* 1: one worker per MPI rank (sb_pipeline_use_mpi); the
                                 caller initialises MPI; every rank calls sb_train_run */
    int byzantine;     /* the last K workers (or ranks) are adversaries (pack only) */
    sb_attack attack;  /* what they send (byzantine.h) */
    sb_dist_opts dist; /* MPI: the aggregation algorithm, collective time limit,
                                 fault injection (dist.h) */
    /* Stochastic oracle (problem.h / DESIGN.md 5.4). */
    size_t batch;       /* 0: full batch (or n_k = k+1 with schedule theory) */
    double sigma;       /* additive Gaussian noise per coordinate */
    uint64_t seed;      /* problem, oracle and pgd perturbations */
    uint64_t log_every; /* metrics (full f, norms) every this many steps; 0: auto
                                 (1, or steps/1000 for longer runs; with only an
                                 evals budget, from the estimated steps) */
    int keep_trace;     /* 1 (default): fill result->trace */
    int no_split;       /* 1: do not time the phases separately (one clFinish per
                                 step instead of one per phase; time_split is null) */
    int progress;       /* draw the stderr progress bar (CLI only) */
    /* Device: ctx (and ops) may be given to share one context across many runs (sweeps);
     * when ctx is NULL the run opens (and closes) one with dev. */
    sb_ctx *ctx;
    sb_ops *ops; /* kernels of ctx; NULL: created for this run */
    sb_opts dev;
} sb_train_cfg;

/* One row of the trace (and of the CSV): metrics at a logged step. */
typedef struct sb_train_point {
    uint64_t step, evals;
    double f, grad1, grad2, grad1_min;
    double test_accuracy; /* NaN when the problem has none */
    double elapsed;       /* seconds since the start of the run (wall) */
} sb_train_point;

typedef struct sb_train_result {
    char optimizer[32], problem[32], device[256];
    size_t d;
    int workers; /* data-parallel workers (simulated or MPI ranks) */
    /* Values of the full, noise-free objective, at logged steps. */
    double f0, f_final, f_best;
    double grad1_final, grad1_min, grad2_final, grad2_min;
    uint64_t steps, evals;
    /* Wall seconds of the run and its split (each phase ends with clFinish); the split
     * is NaN with cfg->no_split, except t_metrics. */
    double time_s, t_grad, t_compress, t_aggregate, t_update, t_metrics;
    /* Target (if one was set): the first step that met it. With a target the metrics
     * are taken every step (log_every only thins the trace), so these are exact. */
    int has_target, reached;
    uint64_t steps_to_target, evals_to_target;
    double time_to_target;
    /* Divergence: NaN/inf in f or x stops the run; recorded here, not hidden. */
    int diverged;
    uint64_t diverged_step;
    char diverged_reason[128];
    /* Tube domain rule (tube, tube-rotated; DESIGN.md 5.1): every iterate is tested for
     * the tube set (on the host, in Qx for tube-rotated). strict: the run stops at the
     * first iterate outside; continuation: it goes on and counts them. */
    int tube_checked;            /* 1: a tube problem, the fields below are set */
    int tube_strict;             /* the rule used: 1 strict, 0 continuation */
    int left_domain;             /* some iterate (the start included) left the tube set */
    uint64_t left_domain_step;   /* the first such step */
    uint64_t steps_outside_tube; /* iterates x_0..x_K outside the set (strict: 0 or 1) */
    /* logreg with a held-out split */
    int has_test_accuracy;
    double test_accuracy;
    /* Problem constants and the matching theorem (theory.h), when it applies. */
    int has_fstar, has_L;
    double fstar, L;
    int has_theory;      /* 1: theorem, bound and measured are set */
    char theorem[64];    /* "Theorem 1 (signSGD)" or "Theorem 2 (SGD)" */
    double theory_bound; /* tight form for Theorem 1 */
    double theory_bound_loose;
    double theory_measured; /* grad1_min (Thm 1) or grad2_min^2 (Thm 2) */
    /* Settings the run resolved from cfg's zeros (the summary's config records them so a
     * run can be reproduced): the step budget (0: only an evals budget), the metrics
     * interval, the problem's training rows (logreg; 0 otherwise). */
    uint64_t max_steps, log_every;
    size_t n_train;
    int has_hyper;         /* 1: hyper holds the resolved hyperparameters */
    sb_optim_params hyper; /* cfg->hyper with the optimiser's defaults filled in */
    /* MPI runs: bytes handed to MPI and every rank's time split (rank 0; dist.h) */
    sb_dist_summary comm;
    /* --worker-devices: per worker, its device's compute, idle (straggler) and alone
     * figures; the group's mean step time; the largest |x_w - x_lead| at the end. */
    int nworker_devices;
    sb_worker_figures worker_dev[SB_MAX_WORKER_DEVICES];
    double worker_step_s, worker_x_diff;
    sb_train_point *trace;
    size_t ntrace;
} sb_train_result;

void sb_train_cfg_default(sb_train_cfg *cfg);

/* Run one training. Returns SB_OK also when the run diverged (see result->diverged);
 * SB_EUSAGE for a bad configuration, SB_ERUNTIME for a device failure. The result must
 * be released with sb_train_result_free (also after a failure). */
int sb_train_run(const sb_train_cfg *cfg, sb_train_result *res, sb_err *err);
void sb_train_result_free(sb_train_result *res);

/* The summary as JSON (field names documented in README.md, stable): the caller
 * deletes it. cfg may be NULL (then no "config" object); "config" holds every setting
 * with its default resolved (from cfg and what res recorded). */
cJSON *sb_train_summary_json(const sb_train_cfg *cfg, const sb_train_result *res);
/* Trace CSV: step,evals,f,grad1,grad2,grad1_min,test_accuracy,elapsed; atomic. */
int sb_train_write_trace(const char *path, const sb_train_result *res, sb_err *err);
/* Summary JSON file, atomic. */
int sb_train_write_summary(const char *path, const sb_train_cfg *cfg,
                           const sb_train_result *res, sb_err *err);

#endif
