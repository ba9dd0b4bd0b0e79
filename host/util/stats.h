/* stats.h - summary statistics of a sample of timings (min, median, p90, mean, stddev,
 * CV) and the two-sample Mann-Whitney U test used by micro and the regression gate. */
#ifndef SB_STATS_H
#define SB_STATS_H

#include <stddef.h>

#include "sb.h"

typedef struct sb_stats {
    size_t n;
    double min, max, median, p90, mean;
    double stddev; /* sample standard deviation (n - 1); 0 when n == 1 */
    double cv;     /* stddev / mean; 0 when the mean is 0 */
} sb_stats;

/* Summary of x[0..n-1] (x is not modified). SB_EUSAGE when n is 0 or a value is not
 * finite: a timing sample with NaN or inf means the measurement is broken. */
int sb_stats_compute(const double *x, size_t n, sb_stats *out, sb_err *err);

/* Quantile q in [0, 1] of an ascending array by linear interpolation between closest
 * ranks (the default of numpy and R type 7). n must be > 0. */
double sb_quantile_sorted(const double *sorted, size_t n, double q);

typedef struct sb_mwu {
    double u_a; /* U statistic of sample a: pairs (a_i, b_j) with a_i > b_j, ties 1/2 */
    double u_b; /* na * nb - u_a */
    double z;   /* normal score with tie and continuity corrections (0 when exact) */
    double p;   /* two-sided p-value */
    int exact;  /* 1: p from the exact null distribution (small samples, no ties) */
} sb_mwu;

/* Samples up to this combined size without ties get the exact p-value. */
#define SB_MWU_EXACT_MAX 40

/* Two-sided Mann-Whitney U test of a against b. Exact when na + nb <= SB_MWU_EXACT_MAX
 * and no value is tied; otherwise the normal approximation with tie correction and
 * continuity correction (as scipy.stats.mannwhitneyu, method "asymptotic"). SB_EUSAGE
 * when a sample is empty or holds a non-finite value. */
int sb_mann_whitney(const double *a, size_t na, const double *b, size_t nb, sb_mwu *out,
                    sb_err *err);

#endif
