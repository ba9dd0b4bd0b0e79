/* problem.h - the objectives (tube, tube-rotated, logreg, quad, quad-rotated) behind one
 * interface: stochastic and full gradient on the device, plus a C reference in double. */
#ifndef SB_PROBLEM_H
#define SB_PROBLEM_H

#include "ocl.h"

/* Everything a user can set about a problem (CLI flags of train/eval/sweep). Zero
 * values mean "the documented default". */
typedef struct sb_problem_opts {
    const char *name;      /* tube | tube-rotated | logreg | quad | quad-rotated */
    size_t d;              /* dimension (logreg: taken from the data unless synthetic) */
    uint64_t seed;         /* rotations, synthetic data, starting point */
    /* tube (DESIGN.md 5.1) */
    double tube_L, tube_gamma, tube_tau; /* 0: e, 1, e */
    int tube_strict;                     /* --tube-domain strict */
    const char *rotation_file;           /* d x d matrix, CSV rows; NULL: Haar-random */
    /* logreg (DESIGN.md 5.2) */
    const char *data;                    /* LIBSVM or CSV file; NULL: synthetic */
    const char *format;                  /* "libsvm" | "csv" | NULL (by extension) */
    int label_col;                       /* CSV label column, 0-based */
    int bias, standardize;
    double lambda;                       /* < 0: default 1e-4 */
    double test_split;                   /* fraction held out, 0: none */
    size_t n_synth;                      /* synthetic rows */
    double label_noise;                  /* synthetic: fraction of flipped labels */
    const char *gemv;                    /* "native" | "clblast" */
    /* quad (DESIGN.md 5.3) */
    const char *spectrum;                /* equal | linear | log */
    double cond;                         /* condition number for linear/log */
} sb_problem_opts;

/* The stochastic gradient oracle (DESIGN.md 5.4). */
typedef struct sb_oracle {
    size_t batch;      /* minibatch size; 0: full batch */
    int theory_batch;  /* 1: n_k = k + 1 (Theorem 1's schedule) */
    double sigma;      /* additive Gaussian noise per coordinate, per single call */
    uint64_t seed;
} sb_oracle;

typedef struct sb_problem sb_problem;

typedef struct sb_problem_vt {
    /* Stochastic gradient at x for step k into g; *calls += gradient calls it cost
     * (n_k). f may be NULL; when not, the value of the same (minibatch) objective. */
    int (*grad)(sb_problem *p, cl_mem x, cl_mem g, const sb_oracle *o, uint64_t step,
                double *f, uint64_t *calls, sb_err *err);
    /* Full, noise-free value and gradient at x (metrics). g may be NULL. */
    int (*full)(sb_problem *p, cl_mem x, cl_mem g, double *f, sb_err *err);
    /* Host reference in double: full value and gradient at x (g may be NULL). */
    int (*host)(const sb_problem *p, const double *x, double *f, double *g);
    /* Held-out accuracy in [0,1] (logreg with --test-split); NULL otherwise. */
    int (*test_accuracy)(sb_problem *p, cl_mem x, double *acc, sb_err *err);
    void (*destroy)(sb_problem *p);
} sb_problem_vt;

struct sb_problem {
    char name[32];
    size_t d;
    sb_ctx *ctx;        /* NULL for a host-only problem (tests, eval --host) */
    int has_fstar, has_L;
    double fstar, L;    /* known optimum value and smoothness constant */
    double *x0;         /* default start (DESIGN.md), length d */
    size_t n_train;     /* data rows used for the gradient (logreg), else 0 */
    const sb_problem_vt *vt;
    void *impl;
};

/* Create a problem; ctx may be NULL (host reference only). */
int sb_problem_create(const sb_problem_opts *o, sb_ctx *ctx, sb_problem **out, sb_err *err);
void sb_problem_free(sb_problem *p);

#endif
