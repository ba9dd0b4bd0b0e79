/* problem.h - the objectives (tube, tube-rotated, logreg, quad, quad-rotated) behind one
 * interface: stochastic and full gradient on the device, plus a C reference in double. */
#ifndef SB_PROBLEM_H
#define SB_PROBLEM_H

#include "ocl.h"
#include "oracle.h"

/* Everything a user can set about a problem (CLI flags of train/eval/sweep). Zero
 * values mean "the documented default". */
typedef struct sb_problem_opts {
    const char *name; /* tube | tube-rotated | logreg | quad | quad-rotated */
    size_t d;         /* dimension (logreg: taken from the data unless synthetic) */
    uint64_t seed;    /* rotations, synthetic data, starting point */
    /* tube (DESIGN.md 5.1) */
    double tube_L, tube_gamma, tube_tau; /* 0: e, 1, e */
    int tube_strict;                     /* --tube-domain strict */
    const char *rotation_file;           /* d x d matrix, CSV rows; NULL: Haar-random */
    /* logreg (DESIGN.md 5.2) */
    const char *data;   /* LIBSVM or CSV file; NULL: synthetic */
    const char *format; /* "libsvm" | "csv" | NULL (by extension) */
    int label_col;      /* CSV label column, 0-based */
    int bias, standardize;
    double lambda;      /* < 0: default 1e-4 */
    double test_split;  /* fraction held out, 0: none */
    size_t n_synth;     /* synthetic rows */
    double label_noise; /* synthetic: fraction of flipped labels */
    const char *gemv;   /* "native" | "clblast" */
    /* quad (DESIGN.md 5.3) */
    const char *spectrum; /* equal | linear | log */
    double cond;          /* condition number for linear/log */
} sb_problem_opts;

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
    sb_ctx *ctx; /* NULL for a host-only problem (tests, eval --host) */
    int has_fstar, has_L;
    double fstar, L; /* known optimum value and smoothness constant */
    double *x0;      /* default start (DESIGN.md 5.1 for the tube), length d */
    size_t n_train;  /* data rows used for the gradient (logreg), else 0 */
    const sb_problem_vt *vt;
    void *impl;
};

/* Create a problem; ctx may be NULL (host reference only). Gradient calls (grad's
 * *calls): n_k per step for a minibatch or the theory schedule (tube and quad: n_k
 * oracle draws averaged, i.e. noise sd sigma / sqrt(n_k)); full batch costs n_train for
 * logreg and 1 for the others. */
int sb_problem_create(const sb_problem_opts *o, sb_ctx *ctx, sb_problem **out, sb_err *err);
void sb_problem_free(sb_problem *p);

/* ---- additions (h4): defaults, shared CLI options, introspection ------------- */

/* Zero everything and set the "default" markers (lambda = -1). */
void sb_problem_opts_init(sb_problem_opts *o);

/* Problem options any command can accept (train, eval, sweep). --seed is not among
 * them: the command owns it and copies it into o->seed. Codes are 0x200 and up. */
enum {
    SB_OPT_PROBLEM = 0x200,
    SB_OPT_D,
    SB_OPT_TUBE_L,
    SB_OPT_TUBE_GAMMA,
    SB_OPT_TUBE_TAU,
    SB_OPT_TUBE_DOMAIN,
    SB_OPT_ROTATION,
    SB_OPT_DATA,
    SB_OPT_FORMAT,
    SB_OPT_LABEL_COL,
    SB_OPT_BIAS,
    SB_OPT_STANDARDIZE,
    SB_OPT_LAMBDA,
    SB_OPT_TEST_SPLIT,
    SB_OPT_NSYNTH,
    SB_OPT_LABEL_NOISE,
    SB_OPT_GEMV,
    SB_OPT_SPECTRUM,
    SB_OPT_COND,
    SB_OPT_PROBLEM_END
};

#define SB_PROBLEM_LONGOPTS                                                                \
    {"problem", required_argument, 0, SB_OPT_PROBLEM},                                     \
        {"d", required_argument, 0, SB_OPT_D},                                             \
        {"tube-L", required_argument, 0, SB_OPT_TUBE_L},                                   \
        {"tube-gamma", required_argument, 0, SB_OPT_TUBE_GAMMA},                           \
        {"tube-tau", required_argument, 0, SB_OPT_TUBE_TAU},                               \
        {"tube-domain", required_argument, 0, SB_OPT_TUBE_DOMAIN},                         \
        {"rotation", required_argument, 0, SB_OPT_ROTATION},                               \
        {"data", required_argument, 0, SB_OPT_DATA},                                       \
        {"format", required_argument, 0, SB_OPT_FORMAT},                                   \
        {"label-col", required_argument, 0, SB_OPT_LABEL_COL},                             \
        {"bias", no_argument, 0, SB_OPT_BIAS},                                             \
        {"standardize", no_argument, 0, SB_OPT_STANDARDIZE},                               \
        {"lambda", required_argument, 0, SB_OPT_LAMBDA},                                   \
        {"test-split", required_argument, 0, SB_OPT_TEST_SPLIT},                           \
        {"n", required_argument, 0, SB_OPT_NSYNTH},                                        \
        {"label-noise", required_argument, 0, SB_OPT_LABEL_NOISE},                         \
        {"gemv", required_argument, 0, SB_OPT_GEMV},                                       \
        {"spectrum", required_argument, 0, SB_OPT_SPECTRUM},                               \
    {                                                                                      \
        "cond", required_argument, 0, SB_OPT_COND                                          \
    }

#define SB_PROBLEM_HELP                                                                      \
    "Problem options:\n"                                                                     \
    "  --problem P         tube | tube-rotated | logreg | quad | quad-rotated (required)\n"  \
    "  --d N               dimension (default 10; logreg: from the data, 20 if synthetic)\n" \
    "  --tube-L X, --tube-gamma X, --tube-tau X   tube parameters (default e, 1, e)\n"       \
    "  --tube-domain R     continuation (default; alias continue: evaluate the formulas\n"   \
    "                      outside the tube set too, train counts the steps spent there)\n"  \
    "                      | strict (train stops when the trajectory leaves the set)\n"      \
    "  --rotation FILE     d x d orthogonal matrix (CSV rows) for the *-rotated problems;\n" \
    "                      default: Haar-random from the seed\n"                             \
    "  --data FILE         logreg data: LIBSVM, or CSV if it ends in .csv (default:\n"       \
    "                      synthetic, Gaussian rows, planted w*)\n"                          \
    "  --format F          libsvm | csv (overrides the extension)\n"                         \
    "  --label-col N       CSV label column, 0-based (default 0)\n"                          \
    "  --bias              append a constant 1 feature\n"                                    \
    "  --standardize       scale features to mean 0, variance 1 (training rows' stats)\n"    \
    "  --lambda X          L2 weight (default 1e-4)\n"                                       \
    "  --test-split F      hold out this fraction of rows (seeded shuffle; default 0)\n"     \
    "  --n N               synthetic rows (default 1000)\n"                                  \
    "  --label-noise F     synthetic: fraction of flipped labels (default 0)\n"              \
    "  --gemv G            logreg gradient: native (fused kernel, default) | clblast\n"      \
    "                      (CLBlast GEMV twice; minibatches always use native)\n"            \
    "  --spectrum S        quad eigenvalues: equal (all 1, default) | linear | log, from\n"  \
    "                      1/cond to 1\n"                                                    \
    "  --cond C            condition number for linear/log (default 100)\n"

/* Handle a problem option inside a getopt_long loop: 1 if c was one and its value is
 * good, 0 if c is not a problem option, -1 on a bad value (err filled, SB_EUSAGE). */
int sb_problem_cli(int c, const char *arg, sb_problem_opts *o, sb_err *err);

/* The tube parameters (tube, tube-rotated) or NULL; the rotation Q (row-major d x d,
 * double) of a rotated problem or NULL. For batched trajectory kernels. */
/* (tube params as L, gamma, tau in that order; sb_tube_params has the same layout) */
const double *sb_problem_tube_params(const sb_problem *p);
const double *sb_problem_rotation(const sb_problem *p);
/* The device buffer of logreg's training rows X (n_train x d floats) or NULL: for
 * roofline comparisons (eval --repeat reads it with the `read` reference kernel). */
cl_mem sb_problem_data(const sb_problem *p);

/* Device buffers for callers that evaluate gradients themselves (eval, tests). */
/* Upload / download d doubles as floats. */
int sb_problem_put(sb_ctx *ctx, cl_mem buf, const double *v, size_t n, sb_err *err);
int sb_problem_get(sb_ctx *ctx, cl_mem buf, double *v, size_t n, sb_err *err);
/* A float device buffer of n elements (optionally filled from doubles). */
int sb_problem_buffer(sb_ctx *ctx, size_t n, const double *init, cl_mem *out, sb_err *err);

#endif
