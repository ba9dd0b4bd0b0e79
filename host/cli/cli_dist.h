/* cli_dist.h - the data-parallel options of `signbench train` (--byzantine, --attack and,
 * with MPI, --aggregate, --comm-timeout, --inject-fault), MPI start-up and shut-down. */
#ifndef SB_CLI_DIST_H
#define SB_CLI_DIST_H

#include "cli.h"
#include "train.h"

enum {
    SB_OPT_BYZANTINE = 0x180,
    SB_OPT_ATTACK,
    SB_OPT_AGGREGATE,
    SB_OPT_COMM_TIMEOUT,
    SB_OPT_INJECT_FAULT,
    SB_OPT_WIRE,
    SB_OPT_EF
};

#define SB_BYZ_LONGOPTS                                                                    \
    {"byzantine", required_argument, 0, SB_OPT_BYZANTINE},                                 \
    {                                                                                      \
        "attack", required_argument, 0, SB_OPT_ATTACK                                      \
    }
#define SB_MPI_LONGOPTS                                                                    \
    {"aggregate", required_argument, 0, SB_OPT_AGGREGATE},                                 \
        {"comm-timeout", required_argument, 0, SB_OPT_COMM_TIMEOUT},                       \
        {"inject-fault", required_argument, 0, SB_OPT_INJECT_FAULT},                       \
        {"wire-counter", required_argument, 0, SB_OPT_WIRE},                               \
    {                                                                                      \
        "error-feedback", no_argument, 0, SB_OPT_EF                                        \
    }

#define SB_BYZ_HELP                                                                         \
    "  --byzantine K       the last K workers (--workers M or MPI ranks; worker 0 stays\n"  \
    "                      honest) are adversaries of the vote (--compress pack)\n"         \
    "  --attack A          what they send: flip (negated true-gradient signs; default) |\n" \
    "                      random (random bits) | blind (their own stochastic signs,\n"     \
    "                      negated) | collude (all send the same negated signs of one\n"    \
    "                      stochastic gradient from a stream they share)\n"

#define SB_MPI_HELP                                                                           \
    "  --mpi               one worker per MPI rank (run under mpirun): each rank draws its\n" \
    "                      own oracle stream; rank 0 prints and writes the files. Ranks\n"    \
    "                      started with different settings are refused (exit 2)\n"            \
    "  --aggregate A       with --mpi: allgather-vote (default: MPI_Allgather of packed\n"    \
    "                      signs and a vote on every rank; other compressions: the mean\n"    \
    "                      in rank order) | allreduce (MPI_Allreduce of the fp32 mean) |\n"   \
    "                      allreduce-fp16 | scatter-vote (pack: MPI_Alltoall of d/P\n"        \
    "                      slices, a vote on the owned slice, MPI_Allgather of the\n"         \
    "                      voted bits: about 2 d/8 bytes per rank for any P)\n"               \
    "  --error-feedback    with --compress scaled-sign and a mean: every rank sends\n"        \
    "                      scaled_sign(g + e) and keeps the rest e (its own error)\n"         \
    "  --comm-timeout S    a collective unfinished after S seconds stops the rank with\n"     \
    "                      one line naming it (default 120; 0: no limit)\n"                   \
    "  --inject-fault R:S[:hang]  fault test: rank R exits (or stops answering) before\n"     \
    "                      step S; the others must stop with an error, not hang\n"            \
    "  --wire-counter IF   rank 0 reads interface IF's byte counters around the steps\n"      \
    "                      (comm.wire in the summary: all ranks on IF, e.g. lo of a\n"        \
    "                      network namespace, beside the counted bytes)\n"

/* Handle one of the options above: 1 handled, 0 not one of them, -1 bad value (err). */
int sb_cli_dist_option(int c, const char *arg, sb_train_cfg *cfg, sb_err *err);

/* With cfg->mpi: MPI_Init (unless done) and the settings agreement (the problem, d, seed,
 * optimisers, compression, aggregate, budget, oracle, adversaries). A rank other than 0
 * that finds its settings differ finalises and exits 2 quietly (rank 0 says why). */
int sb_cli_dist_start(const sb_train_cfg *cfg, const char *optlist, int *rank,
                      int *mpi_here, sb_err *err);
/* After the run: a failed rank aborts the job (the others may wait in a collective);
 * otherwise MPI_Finalize when start initialised it. Returns st. */
int sb_cli_dist_end(const sb_train_cfg *cfg, int st, int rank, int mpi_here, sb_err *err);

#endif
