/* optim.h - the optimiser registry of DESIGN.md section 6 (fused kernels through ops.h,
 * plus pgd and ngd), step-size schedules, hyperparameter defaults and host references. */
#ifndef SB_OPTIM_H
#define SB_OPTIM_H

#include <stdint.h>

#include "ops.h"

typedef enum {
    SB_OPT_FUSED, /* one sb_op_update call (update_<kernel>) */
    SB_OPT_PGD,   /* Jin et al. 2017: GD, or a perturbation in a ball near saddles */
    SB_OPT_NGD    /* normalised GD: x -= lr g / norm2(g) */
} sb_optim_kind;

/* One row per optimiser: the only registry of them. The coordinate-wise work of a step
 * is a fused update kernel of ops.h (its row in sb_updates gives the state vectors, the
 * bytes moved and the C reference); pgd and ngd step with sgd's kernel. */
typedef struct sb_optim_info {
    const char *name;   /* registry name */
    const char *alias;  /* a second accepted name (gd, signgd) or NULL */
    const char *update; /* name of its fused kernel in sb_updates */
    sb_optim_kind kind;
    double b1, b2; /* defaults of the betas (rmsprop's alpha is b2) */
    const char *summary;
} sb_optim_info;

extern const sb_optim_info sb_optims[]; /* terminated by a NULL name */
/* The fused update kernel of o (never NULL for a registry row). */
const sb_update_info *sb_optim_kernel(const sb_optim_info *o);
/* By name or alias (signgd = signsgd, gd = sgd); NULL if unknown. */
const sb_optim_info *sb_optim_find(const char *name);
/* "sgd (gd), momentum, ..." for error messages, from the registry; static storage. */
const char *sb_optim_names(void);

typedef enum { SB_SCHED_CONST, SB_SCHED_INVSQRT, SB_SCHED_THEORY, SB_SCHED_STEP } sb_sched;

int sb_sched_parse(const char *s, sb_sched *out, sb_err *err);
const char *sb_sched_name(sb_sched s);

/* Hyperparameters. NaN means "the optimiser's default" (sb_optim_resolve fills them). */
typedef struct sb_optim_params {
    double lr;           /* base step size; default 1e-3 */
    sb_sched sched;      /* default const */
    double gamma;        /* step schedule: lr *= gamma every step_every steps; 0.1 */
    uint64_t step_every; /* 0: default 100 */
    double b1;           /* momentum, signum, lion, adam: 0.9 */
    double b2;           /* lion 0.99, adam 0.999, rmsprop's alpha 0.99 */
    double eps;          /* adam, rmsprop: 1e-8 */
    double wd;           /* weight decay: 0 */
    int decoupled;       /* 0: coupled (g += wd x), 1: decoupled (x *= 1 - lr wd) */
    double pgd_r;        /* pgd ball radius: 0.1 */
    double pgd_gthres;   /* pgd: perturb when norm2(g) <= this: 0.1 */
    uint64_t pgd_tthres; /* pgd: at least this many steps apart; 0: default 40 */
} sb_optim_params;

/* All fields at "default" (NaN / 0). */
void sb_optim_params_init(sb_optim_params *p);
/* Replace defaults by the optimiser's values; SB_EUSAGE for out-of-range values. */
int sb_optim_resolve(const sb_optim_info *o, const sb_optim_params *in,
                     sb_optim_params *out, sb_err *err);

/* Step size of step k (0-based) under the schedule. */
double sb_sched_lr(const sb_optim_params *p, uint64_t k);

/* The kernel hyperparameters of step k (0-based; Adam's t = k + 1). */
sb_hyper sb_optim_hyper(const sb_optim_params *p, uint64_t k);

/* pgd state carried between steps. */
typedef struct sb_pgd_state {
    int64_t last;   /* step of the last perturbation; -1: none yet */
    uint64_t count; /* perturbations so far */
} sb_pgd_state;

/* pgd: should step k perturb, given norm2 of the gradient? */
int sb_pgd_should_perturb(const sb_optim_params *p, const sb_pgd_state *st, uint64_t k,
                          double gnorm2);
/* The perturbation of step k: uniform in the ball of radius r in dimension d,
 * r U^(1/d) z / norm2(z) with z Gaussian and U uniform, from Philox keyed by
 * (seed, k): identical on every device and in the host reference. */
void sb_pgd_xi(uint64_t seed, uint64_t k, double r, size_t d, float *xi);

/* One device step of optimiser o at step k on x with the (compressed, aggregated)
 * gradient g; tmp is a d-float scratch buffer (pgd). dev_s as in ops.h. */
int sb_optim_step(sb_ops *ops, const sb_optim_info *o, const sb_optim_params *p,
                  sb_pgd_state *pgd, uint64_t seed, uint64_t k, cl_mem x, cl_mem g,
                  cl_mem s1, cl_mem s2, cl_mem tmp, size_t d, double *dev_s, sb_err *err);

/* Host reference of the same step, in float with the same operation order as the
 * kernels (coordinate-wise optimisers through ref.h). s1/s2 may be NULL if unused. */
void sb_optim_host_step(const sb_optim_info *o, const sb_optim_params *p, sb_pgd_state *pgd,
                        uint64_t seed, uint64_t k, float *x, const float *g, float *s1,
                        float *s2, size_t d);

#endif
