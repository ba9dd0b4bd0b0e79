/* fit.h - least-squares line fits with confidence intervals (Student t), used to measure
 * scaling exponents: the log-log slope of gradient calls or norms against d (GSL). */
#ifndef SB_FIT_H
#define SB_FIT_H

#include <stddef.h>

#include "sb.h"

typedef struct sb_fit {
    size_t n; /* points used */
    double slope, intercept;
    double se_slope;     /* standard error of the slope */
    double level;        /* confidence level of the interval, e.g. 0.95 */
    double ci_lo, ci_hi; /* slope +- t_{(1+level)/2, n-2} se_slope (infinite if n = 2) */
    double r2;           /* coefficient of determination */
} sb_fit;

/* Ordinary least squares y = intercept + slope x. Pairs with a non-finite x or y are
 * skipped. SB_EUSAGE when fewer than 2 points remain or all x are equal. */
int sb_fit_linear(const double *x, const double *y, size_t n, double level, sb_fit *out,
                  sb_err *err);

/* log10 y = intercept + slope log10 x: the exponent of a power law y = C x^slope.
 * Pairs with x <= 0 or y <= 0 (or non-finite) are skipped. */
int sb_fit_loglog(const double *x, const double *y, size_t n, double level, sb_fit *out,
                  sb_err *err);

/* Student t distribution with df > 0 degrees of freedom: CDF and quantile (p in (0,1)). */
double sb_t_cdf(double t, double df);
double sb_t_quantile(double p, double df);

#endif
