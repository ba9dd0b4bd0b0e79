/* shift.h - interval statistics of a paired comparison: the Hodges-Lehmann estimate of
 * the shift of paired differences with its distribution-free 95% confidence interval. */
#ifndef SB_SHIFT_H
#define SB_SHIFT_H

#include <stddef.h>

#include "sb.h"

/* Pairs below this give no 95% interval: with n pairs the signed-rank statistic has
 * 2^n equally likely arrangements, and 2 / 2^n must be at most 5%. */
#define SB_SHIFT_MIN_PAIRS 6
/* Pairs above this are refused (the Walsh averages take n (n + 1) / 2 doubles). */
#define SB_SHIFT_MAX_PAIRS 4000
/* Up to this many pairs the interval's ranks come from the exact signed-rank null
 * distribution, beyond it from its normal approximation. */
#define SB_SHIFT_EXACT_MAX 50

typedef struct sb_shift {
    size_t n;        /* pairs */
    double estimate; /* Hodges-Lehmann: median of the Walsh averages (d_i + d_j) / 2 */
    double lo, hi;   /* 95% confidence interval of the shift (at least 95% coverage) */
    int exact;       /* 1: the interval's ranks from the exact null distribution */
} sb_shift;

/* Shift of the paired differences d[0..n-1] (e.g. log(t_B / t_A) of launches timed
 * side by side): the one-sample Hodges-Lehmann estimator and the confidence interval
 * that inverts the Wilcoxon signed-rank test (Hollander & Wolfe, Nonparametric
 * Statistical Methods, section 3.2). Assumes the differences are independent and
 * symmetric about the shift. SB_EUSAGE when n is below SB_SHIFT_MIN_PAIRS or above
 * SB_SHIFT_MAX_PAIRS, or a difference is not finite. */
int sb_shift_hl(const double *d, size_t n, sb_shift *out, sb_err *err);

#endif
