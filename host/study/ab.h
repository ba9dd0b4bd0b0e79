/* ab.h - interleaved A/B timing of the vector kernels in one context: the baseline's
 * kernels (A, from a source folder) against the candidate's (B), launch by launch. */
#ifndef SB_AB_H
#define SB_AB_H

#include <cJSON.h>

#include "ops.h"

#define SB_AB_MAX_KERNELS 32
#define SB_AB_MAX_SIZES 8

typedef struct sb_ab_opts {
    const char *baseline_dir; /* A: kernel sources of the base (same file names) */
    const char *kernels[SB_AB_MAX_KERNELS]; /* names, as sb_ab_kernel_names lists */
    int nkernels;
    size_t sizes[SB_AB_MAX_SIZES];
    int nsizes;
    int pairs;        /* ABBA pairs per kernel and size, in total over the rounds */
    int rounds;       /* the pairs are taken in this many passes over all kernels */
    int warmup;       /* untimed calls of each side first */
    double threshold; /* regression: ratio interval wholly below 1 - threshold */
} sb_ab_opts;

typedef struct sb_ab_row {
    const char *kernel;
    size_t n;
    int pairs;
    double a_median_s, b_median_s; /* device time per call */
    double ratio, lo, hi;          /* throughput B / A (t_A / t_B) and its 95% interval */
    const char *verdict;           /* "REGRESSED", "slower", "same", "faster", "IMPROVED" */
} sb_ab_row;

/* The kernels A/B mode can time, NULL-terminated. */
extern const char *const sb_ab_kernel_names[];
/* Default set: every name above. */
int sb_ab_kernel_known(const char *name);

/* Verdict of a ratio interval (pure; the gate's rule): REGRESSED when hi < 1 - threshold,
 * IMPROVED when lo > 1 + threshold, else slower / faster when the interval excludes 1,
 * else same. */
const char *sb_ab_verdict(double lo, double hi, double threshold);

/* Time every kernel of o at every size, A and B alternately (A B, then B A, ...) on
 * c's queue; A's kernels are built from o->baseline_dir in c's context. *rows gets
 * nkernels * nsizes rows (malloc'ed; free them). *regressed counts REGRESSED rows. */
int sb_ab_run(sb_ctx *c, const sb_ab_opts *o, sb_ab_row **rows, int *nrows, int *regressed,
              sb_err *err);

/* The one-glance table (stdout). */
void sb_ab_print(const sb_ab_row *rows, int nrows, double threshold);
/* The rows as JSON: {"context": {...}, "ab": [{kernel, n, pairs, a_median_s, ...}]}. */
cJSON *sb_ab_json(const sb_ctx *c, const sb_ab_opts *o, const sb_ab_row *rows, int nrows);

#endif
