/* tube_batch.h - batched tube trajectories on the device (kernels/tube_batch.cl) and the
 * host reference of one trajectory in double, with saddle passing and orbit detection. */
#ifndef SB_TUBE_BATCH_H
#define SB_TUBE_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "ocl.h"
#include "tube.h"

struct sb_progress; /* progress.h */

/* Optimisers of the tube study (numbers shared with kernels/tube_batch.cl). */
enum { SB_TB_GD = 0, SB_TB_PGD, SB_TB_SIGNGD, SB_TB_NGD, SB_TB_SIGNUM, SB_TB_NOPT };
enum { SB_TB_CONST = 0, SB_TB_INVSQRT = 1 };

/* Per-trajectory result flags (kernels/tube_batch.cl). */
enum { SB_TB_DIVERGED = 1, SB_TB_LEFT = 2, SB_TB_ORBIT = 4, SB_TB_DONE = 8 };

/* Name <-> number of an optimiser; -1 / NULL when unknown. */
int sb_tb_optim_parse(const char *name);
const char *sb_tb_optim_name(int opt);

/* One trajectory's settings. */
typedef struct sb_tb_traj {
    int opt, sched; /* SB_TB_GD.., SB_TB_CONST / SB_TB_INVSQRT */
    int rot;        /* index of its rotation in sb_tb_setup.Q, -1: axis aligned */
    int trace;      /* row of the f trace it fills, -1: none */
    double lr;      /* base step */
    double beta;    /* signum's momentum */
} sb_tb_traj;

/* A batch: B trajectories of K steps in dimension d, each from its own x0. */
typedef struct sb_tb_setup {
    size_t d, B;
    long K; /* updates; f is evaluated at steps 0..K */
    sb_tube_params tube;
    int strict; /* --tube-domain strict: stop when x leaves the tube set */
    int f64;    /* compute in double (device must have fp64) */
    double pgd_r, pgd_gthres;
    int pgd_tthres;
    uint64_t seed;   /* PGD's perturbations (Philox) */
    const double *Q; /* nrot row-major d x d rotations (may be NULL if nrot 0) */
    size_t nrot;
    const double *x0;       /* B x d starting points */
    const sb_tb_traj *traj; /* B settings */
    size_t trace_len;       /* f recorded at steps < trace_len for traced trajectories */
    int ntrace;             /* rows of the trace */
    int stop_at_orbit;      /* a trajectory ends when its orbit is detected */
    int stop_at_basin;      /* a trajectory ends on reaching the basin of the minimum */
    int sync_each;          /* wait for each launch (the one-at-a-time baseline) */
} sb_tb_setup;

/* Defaults of DESIGN.md 5.1 for the tube and PGD (r 0.1, g_thres 0.1, t_thres 40). */
void sb_tb_setup_defaults(sb_tb_setup *s);

/* What one trajectory did. pass[r - 1] (r = 1..d+1) is the first step whose point lies in
 * region >= r, -1 if never: saddle s (s leading coordinates at 4 tau) is passed at
 * pass[s + 1], the basin of the minimum is reached at pass[d] (region d + 1 with f below
 * every saddle, f < -(d - 1) nu: a diverging run also has every |x_j| > 2 tau). maxreg
 * follows the same rule; region is the plain region index. */
typedef struct sb_tb_result {
    int flags;          /* SB_TB_DIVERGED | SB_TB_LEFT | SB_TB_ORBIT */
    int region, maxreg; /* region at the last step and the largest reached */
    long outside;       /* steps whose point lay outside the tube set */
    long npert;         /* PGD perturbations */
    long stop;          /* step where a diverged / left trajectory stopped, else -1 */
    long orb_det, orb_period, orb_entry; /* orbit: detected at, period, entered at */
    int orb_region;                      /* region of the orbit's points at detection */
    double orb_dist; /* largest distance (Euclidean, unrotated coordinates) of the
                            * orbit's points from saddle orb_region - 1; NaN if no orbit */
    double f, gnorm; /* at the last evaluated step */
    int *pass;       /* d + 1 entries (points into sb_tb_out.pass) */
} sb_tb_result;

typedef struct sb_tb_out {
    size_t B, d;
    sb_tb_result *res;
    int *pass;      /* B x (d + 1) */
    float *trace;   /* ntrace x trace_len f values (NaN after a stop) */
    double seconds; /* wall time of the device run (launches + finish) */
    long launches;
} sb_tb_out;

void sb_tb_out_free(sb_tb_out *o);

/* The device program for one precision and one dimension (built once, reused). */
typedef struct sb_tb_engine {
    sb_ctx *ctx;
    int f64;
    size_t maxd; /* the dimension it was built for */
    cl_program prog;
    cl_kernel steps, entry;
    size_t local; /* work-group size of the launches */
} sb_tb_engine;

int sb_tb_engine_open(sb_tb_engine *e, sb_ctx *ctx, size_t d, int f64, sb_err *err);
void sb_tb_engine_close(sb_tb_engine *e);

/* Run the whole batch on the device. steps_per_launch 0: chosen so that a launch is a
 * fraction of a second. progress may be NULL. */
int sb_tb_run(sb_tb_engine *e, const sb_tb_setup *s, long steps_per_launch,
              struct sb_progress *progress, sb_tb_out *out, sb_err *err);

/* Host reference in double of trajectory t of the setup (same steps, same order of
 * operations, h4's sb_tube_eval): fills r (r->pass must hold d + 1 ints) and, when
 * trace is not NULL, trace[k] = f at step k < trace_len. */
int sb_tb_host(const sb_tb_setup *s, size_t t, sb_tb_result *r, double *trace,
               size_t trace_len, sb_err *err);

/* The trials of a study: trial t starts at x0 = Q_t^T u_t, u_t uniform in [-1, 1]^d
 * (Philox stream SB_STREAM_START, seed + t), and Q_t is the identity (rot_mode
 * SB_TB_ROT_NONE; *Q NULL, *nrot 0), a Haar rotation seeded seed + t (SB_TB_ROT_RANDOM;
 * *nrot = trials) or the matrix in `file` for every trial (SB_TB_ROT_FILE; *nrot 1).
 * *Q and *x0 are malloc'ed. */
enum { SB_TB_ROT_NONE = 0, SB_TB_ROT_RANDOM, SB_TB_ROT_FILE };
int sb_tb_make_trials(size_t d, size_t trials, int rot_mode, const char *file,
                      uint64_t seed, double **Q, size_t *nrot, double **x0, sb_err *err);

/* An orbit is *around saddle k* (k = orb_region - 1 < d) only when every point of the
 * cycle lies within SB_TB_SADDLE_RADIUS tau of that saddle (k leading coordinates at
 * +-4 tau, the rest 0) in the unrotated coordinates: inside the first spline knot, where
 * the saddle's own quadratic pieces hold. A cycle of a step too large for the tube
 * (bouncing across regions) is an orbit not at a saddle. */
#define SB_TB_SADDLE_RADIUS 1.0
int sb_tb_saddle_orbit(const sb_tb_result *r, size_t d, const sb_tube_params *p);
/* An exact orbit that is neither around a saddle nor the flip around the minimum. */
int sb_tb_other_orbit(const sb_tb_result *r, size_t d, const sb_tube_params *p);
/* orb_dist of trajectory t of s whose lattice vector z lies on a cycle of `period`:
 * replays the cycle on the host in double (at most 1e5 steps). NaN on out of memory. */
double sb_tb_orbit_dist(const sb_tb_setup *s, size_t t, const int *z, long period, int k);

/* The limit of the tube's smoothness constant, for the outputs that mention it: L =
 * sb_tube_curvature (34.66 by default) bounds the curvature inside the tube set only;
 * under the continuation rule the spline pieces grow like b^2 outside it, so there is no
 * global L and the Theorem 1/2 bounds (train) are not guaranteed for the tube. Writes a
 * one-line statement into out and returns that L. */
double sb_tb_smoothness_note(const sb_tube_params *p, char *out, size_t n);

/* Validate a setup before running (SB_EUSAGE with a clear message). */
int sb_tb_check(const sb_tb_setup *s, sb_err *err);

/* A growing text buffer for the CSV files of tube and figure1: appends never truncate;
 * on out of memory `oom` is set and later appends do nothing. Free p when done. */
typedef struct sb_tb_text {
    char *p;
    size_t len, cap;
    int oom;
} sb_tb_text;
void sb_tb_textf(sb_tb_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Sorts a per-trial sample of tube or figure1 ascending in place, for its quantiles
 * (insertion sort: n is at most the trial count). */
void sb_tb_sort(double *v, size_t n);

#endif
