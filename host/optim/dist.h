/* dist.h - data parallelism over MPI ranks: the aggregation algorithms (allreduce, allgather
 * vote, scatter vote), the bytes each rank hands to MPI, the time split, faults, agreement. */
#ifndef SB_DIST_H
#define SB_DIST_H

#include "pipeline.h"

typedef enum {
    SB_AGG_ALLGATHER_VOTE, /* MPI_Allgather of every rank's packed signs (pack: vote on
                              each rank) or of the vectors (other forms: rank-order mean) */
    SB_AGG_ALLREDUCE, /* MPI_Allreduce (sum) of the pre-scaled fp32 vectors: the mean */
    SB_AGG_ALLREDUCE_FP16, /* the same in fp16 (rounded to half on every addition) */
    SB_AGG_SCATTER_VOTE    /* pack only: MPI_Alltoall of packed slices, a vote on the owned
                              slice, MPI_Allgather of the voted bits */
} sb_agg_alg;

int sb_agg_parse(const char *s, sb_agg_alg *out, sb_err *err);
const char *sb_agg_name(sb_agg_alg a);

/* Per-rank bytes of one step by the algorithm's closed form (no padding): a ring
 * allreduce moves 2 (P-1)/P of the vector, an allgather (P-1) blocks, scatter-vote
 * 2 (P-1)/P d/8. Sent equals received for all of them. */
double sb_dist_theory_bytes(sb_agg_alg a, sb_compress c, size_t d, int ranks);
/* Collective calls per step (the alpha term of a latency-bandwidth model), the NaN flag
 * allreduce included. */
int sb_dist_messages(sb_agg_alg a, sb_compress c);

/* What one rank measured, gathered to rank 0 at the end of a run. Seconds are totals. */
typedef struct sb_dist_rank {
    double t_grad, t_compress, t_comm, t_vote, t_update, t_metrics, wall;
    double sent, recv; /* bytes handed to MPI, whole run */
} sb_dist_rank;

typedef struct sb_dist_summary {
    int active; /* 1: an MPI run; the rest is set */
    sb_agg_alg alg;
    int ranks, messages;             /* ranks, collective calls per step */
    uint64_t steps;                  /* steps that communicated */
    double sent_step, recv_step;     /* bytes one step handed to MPI (rank 0's last) */
    double sent_total, recv_total;   /* rank 0, whole run */
    double theory_step;              /* sb_dist_theory_bytes */
    double median_comm, median_step; /* rank 0: medians over the steps after the first
                                        of communication and of the whole step (from
                                        one aggregate to the next; NaN if too few) */
    double median_compute;           /* and of the whole step less its communication */
    double wire_tx, wire_rx;         /* wire_iface's counters over the steps (all ranks
                                        sharing it), NaN when not read */
    sb_dist_rank *per_rank;          /* ranks entries on rank 0 (malloc), NULL elsewhere */
} sb_dist_summary;

/* Run settings of the MPI attachment. */
typedef struct sb_dist_opts {
    sb_agg_alg alg;
    double timeout_s; /* a collective that does not finish within this stops the rank
                            with a clear error (never a hang); 0: no limit */
    int fault_rank;   /* fault injection (tests): rank fault_rank exits (fault_hang 0)
                            or stops answering (1) before step fault_step; -1: none */
    uint64_t fault_step;
    int fault_hang;
    int error_feedback;     /* --compress scaled-sign with a mean (allreduce, allgather):
                            each rank sends c = scaled_sign(g + e) and keeps e += g - c */
    const char *wire_iface; /* rank 0 reads this interface's byte counters
                               (/sys/class/net/IF/statistics) around the steps; NULL: no */
} sb_dist_opts;

void sb_dist_opts_init(sb_dist_opts *o);

/* This process becomes worker `rank` of MPI_COMM_WORLD (oracle seed sb_worker_seed(seed,
 * rank)); the pipeline's aggregate becomes o->alg. MPI must be initialised. The vote
 * paths give the same bits as sb_pipeline_set_workers with M = ranks. SB_EUSAGE without
 * MPI, for scatter-vote without pack, or after the first step. */
int sb_dist_attach(sb_pipeline *pl, const sb_dist_opts *o, sb_err *err);
/* 1 when pl is attached to MPI. */
int sb_dist_attached(const sb_pipeline *pl);

/* Collective marks around the steps (every rank, after a barrier): at the start (end 0)
 * and the end (1) rank 0 reads wire_iface's counters. No-op without MPI or interface. */
int sb_dist_mark(sb_pipeline *pl, int end, sb_err *err);

/* After a run (every rank calls it, it is collective): the byte counts and the time split
 * (from pl, plus this rank's wall seconds) gathered into *s on rank 0. */
int sb_dist_finish(sb_pipeline *pl, double wall, sb_dist_summary *s, sb_err *err);
void sb_dist_summary_free(sb_dist_summary *s);

/* Start-up agreement (collective): every rank passes its settings as "key=value ..."
 * text; when they differ, every rank gets SB_EUSAGE naming the first rank and setting
 * that differ from rank 0's (every rank fails alike: no abort needed). */
int sb_dist_agree(const char *settings, sb_err *err);

#endif
