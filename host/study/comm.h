/* comm.h - when does one bit pay: step time and time to a target of each MPI aggregate
 * against link bandwidth and ranks, on Open MPI over TCP in a shaped network namespace,
 * beside a latency-bandwidth model fitted to the unshaped runs. */
#ifndef SB_COMM_H
#define SB_COMM_H

#include <cJSON.h>

#include "dist.h"
#include "ocl.h"

#define SB_COMM_MAX 8

typedef struct sb_comm_cfg {
    size_t d;                       /* parameters of the timed runs (10^6) */
    int ranks[SB_COMM_MAX], nranks; /* 2, 4, 8 */
    double bw[SB_COMM_MAX];         /* link rates in bit/s; 0: unshaped */
    int nbw;
    sb_agg_alg algs[4];
    int nalgs;
    int steps;                        /* timed steps per run */
    double sigma;                     /* oracle noise of the timed runs */
    size_t target_d;                  /* convergence runs (--workers P, in this process) */
    double target_sigma, target_frac; /* noise; target f <= frac f0 */
    int target_steps;                 /* their budget */
    double lr_sgd, lr_sign;           /* allreduce runs sgd, the votes signsgd */
    const char *self;                 /* the signbench binary mpirun starts */
    const char *out;                  /* folder for comm.json, plots, the runs' logs */
    sb_opts dev;
    int progress; /* one line per run on stderr */
} sb_comm_cfg;

void sb_comm_cfg_default(sb_comm_cfg *c, int quick);

typedef struct sb_comm_point {
    sb_agg_alg alg;
    int ranks;
    double bw; /* bit/s, 0 unshaped */
    int ok;
    char note[160];            /* why a run failed */
    double step_s, comm_s;     /* rank 0, per step (metrics excluded) */
    double compute_s;          /* step_s - comm_s */
    double bytes_rank;         /* bytes one rank handed to MPI per step (counted) */
    double theory_rank;        /* the closed form (dist.h) */
    double wire, counted;      /* lo's tx over the steps; counted bytes of all ranks */
    double retrans;            /* TCP segments retransmitted during the run */
    double model_s, model_err; /* latency-bandwidth model of the step, |model/meas - 1| */
    double ttt_s, ttt_model_s; /* time to target: steps_to_target x step time */
} sb_comm_point;

typedef struct sb_comm_result {
    sb_comm_point *pt;
    int n;
    double alpha[SB_COMM_MAX], beta0[SB_COMM_MAX]; /* fitted per rank count (unshaped) */
    int steps_target[SB_COMM_MAX][4];              /* per rank count and algorithm; -1 */
    /* bandwidth (bit/s) below which each vote beats the fp32 allreduce, per step and
     * to the target: INFINITY always, 0 never, NaN unknown */
    double even_step[SB_COMM_MAX][4], even_ttt[SB_COMM_MAX][4];
    double burst[SB_COMM_MAX]; /* tbf bucket per bandwidth */
    double wall_s;
} sb_comm_result;

/* Runs everything; SB_EUSAGE when not root or the tools are missing. */
int sb_comm_run(const sb_comm_cfg *cfg, sb_comm_result *r, sb_err *err);
cJSON *sb_comm_json(const sb_comm_cfg *cfg, const sb_comm_result *r);
/* Time to target against bandwidth, one figure per rank count: OUT/comm-ttt-P<n>.png */
int sb_comm_plot(const sb_comm_cfg *cfg, const sb_comm_result *r, sb_err *err);
void sb_comm_result_free(sb_comm_result *r);

#endif
