/* pipeline.h - one training step (DESIGN.md section 8): gradient -> compress ->
 * aggregate -> update, and the metrics (full f, gradient norms) reduced on the device. */
#ifndef SB_PIPELINE_H
#define SB_PIPELINE_H

#include "ops.h"
#include "optim.h"
#include "problem.h"

typedef enum {
    SB_COMP_NONE,  /* the update sees the stochastic gradient itself */
    SB_COMP_SIGN,  /* sign(g) in float (0 stays 0) */
    SB_COMP_PACK,  /* 1 bit per coordinate (0 -> +1), unpacked after aggregation */
    SB_COMP_SCALED /* (norm1(g)/d) sign(g) */
} sb_compress;

int sb_compress_parse(const char *s, sb_compress *out, sb_err *err);
const char *sb_compress_name(sb_compress c);

typedef struct sb_pipeline sb_pipeline;

/* The aggregation seam: combines the workers' compressed gradients and sets pl->u to the
 * buffer the update reads. The default: one worker, the identity (for pack: unpack its
 * own bits); M simulated workers on this device (sb_pipeline_set_workers), majority
 * vote of their packed signs (pack) or the mean of their vectors (other forms). MPI
 * ranks plug in their allreduce or vote here (dist.h). */
typedef int (*sb_aggregate_fn)(sb_pipeline *pl, void *user, sb_err *err);

struct sb_pipeline {
    sb_ops *ops;
    sb_problem *prob;
    const sb_optim_info *opt;
    sb_optim_params params; /* resolved (sb_optim_resolve) */
    sb_oracle oracle;
    sb_compress compress;
    size_t d;
    uint64_t seed;
    cl_mem x, g, c, bits, s1, s2, tmp, gfull;
    cl_mem u;              /* what the update reads (g, or c after compression) */
    int workers;           /* simulated workers, each with its own oracle stream */
    int worker_base;       /* seed index of this process's first worker (MPI rank) */
    int total_workers;     /* workers in all processes (simulated, or MPI size) */
    int collective;        /* the aggregate runs every step, even after a NaN (MPI) */
    int updated;           /* set by an aggregate that applied the update itself (a fused
                               vote-update kernel): this step's update is skipped */
    int byz_k, byz_attack; /* the last byz_k workers send attack byz_attack's signs
                               (byzantine.h); 0: all honest */
    cl_mem bits_all, agg;  /* workers > 1: M packed vectors back to back; float mean */
    uint64_t step, calls;  /* steps done, stochastic gradient calls spent */
    sb_pgd_state pgd;
    int grad_nan; /* sign/pack found a NaN in the gradient: diverged */
    /* Wall seconds per phase (each phase ends with clFinish). */
    double t_grad, t_compress, t_aggregate, t_update, t_metrics;
    int split; /* 1 (default): finish each phase to time it; 0: only the
                               step is synchronised (lower overhead, no split) */
    sb_aggregate_fn aggregate;
    void *aggregate_user;
    void (*aggregate_free)(void *user);
};

typedef struct sb_metrics {
    double f, grad1, grad2; /* full, noise-free objective and gradient norms */
    double test_accuracy;   /* NaN when the problem has none */
    int x_finite;           /* 0: x holds a NaN or inf */
} sb_metrics;

/* x0 has d = prob->d entries. params must be resolved. */
int sb_pipeline_init(sb_pipeline *pl, sb_ops *ops, sb_problem *prob,
                     const sb_optim_info *opt, const sb_optim_params *params,
                     const sb_oracle *oracle, sb_compress compress, uint64_t seed,
                     const float *x0, sb_err *err);
/* M >= 1 simulated data-parallel workers on this device: worker w draws its stochastic
 * gradient with oracle seed sb_worker_seed(seed, w) (worker 0: the seed itself), and
 * the aggregate combines them. Gradient calls count all workers. */
int sb_pipeline_set_workers(sb_pipeline *pl, int m, sb_err *err);
uint64_t sb_worker_seed(uint64_t seed, int w);
/* One step (step pl->step, then pl->step++). */
int sb_pipeline_step(sb_pipeline *pl, sb_err *err);
int sb_pipeline_metrics(sb_pipeline *pl, sb_metrics *m, sb_err *err);
int sb_pipeline_read_x(sb_pipeline *pl, float *x, sb_err *err);
void sb_pipeline_free(sb_pipeline *pl);

#endif
