/* eval.h - the engine of `signbench eval`: a problem's value and gradient at given points
 * (device or host reference) and the interleaved timing of its full-gradient paths. */
#ifndef SB_EVAL_H
#define SB_EVAL_H

#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "problem.h"

/* Points: rows of d comma-separated numbers, after an optional header line; SB_EUSAGE
 * (with file and line) for a bad row or a file without points. */
int sb_eval_read_points(const char *path, size_t d, double **out, size_t *np, sb_err *err);

/* CSV rows 'f,g1,...,gd' (header first) at the np points pts (np x d): the host reference
 * in double with host, else the device in fp32; with orc the stochastic oracle at
 * `step` instead of the full gradient. *csv (malloc'ed, *len bytes) on success. */
int sb_eval_points(sb_problem *p, int host, const sb_oracle *orc, uint64_t step,
                   const double *pts, size_t np, char **csv, size_t *len, sb_err *err);

enum { SB_EVAL_MAXPATH = 4 };

/* One timed path: calls, fastest and median wall seconds per gradient. */
typedef struct sb_eval_timing {
    const char *path;
    long reps;
    double min, median;
} sb_eval_timing;

/* What `eval --repeat` measures. bytes: fp32 traffic of one gradient (logreg: X; quad:
 * x, g and lambda unless the spectrum is equal), 0 when not known; ref: the roofline
 * reference path's label (read, copy or rmw) or NULL; device empty for --host. */
typedef struct sb_eval_bench {
    char problem[32], device[256], platform[256];
    size_t d, n; /* n: logreg's training rows, else 0 */
    double bytes;
    const char *ref;
    int nt;
    sb_eval_timing tm[SB_EVAL_MAXPATH];
} sb_eval_bench;

/* Times `repeat` full gradients of p (opened with po on ctx; ctx NULL: host only) after
 * one warm-up call per path, the paths taking turns: the main path, for logreg on the
 * device the other GEMV path, the host loop (at most 3 calls) and the roofline
 * reference with the same traffic. */
int sb_eval_time(sb_problem *p, const sb_problem_opts *po, sb_ctx *ctx, long repeat,
                 sb_eval_bench *b, sb_err *err);

/* The timing as JSON (schema signbench-eval, version 1: problem, d, n, bytes_per_gradient,
 * device, results[] per path); NULL when out of memory. */
cJSON *sb_eval_json(const sb_eval_bench *b);

#endif
