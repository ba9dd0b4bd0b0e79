/* fit.c - least-squares line fits (gsl_fit_linear) and the Student t quantiles their
 * confidence intervals need (GSL's t distribution). */
#define _POSIX_C_SOURCE 200809L
#include "fit.h"

#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_fit.h>
#include <gsl/gsl_statistics_double.h>

/* GSL's default error handler aborts the program; every call here checks its inputs
 * and results itself, so GSL only reports (never aborts). */
static void gsl_quiet(void)
{
    gsl_set_error_handler_off();
}

double sb_t_cdf(double t, double df)
{
    if (isnan(t) || !(df > 0))
        return NAN;
    if (isinf(t))
        return t > 0 ? 1 : 0;
    gsl_quiet();
    return gsl_cdf_tdist_P(t, df);
}

double sb_t_quantile(double p, double df)
{
    if (!(p > 0 && p < 1) || !(df > 0))
        return NAN;
    if (p == 0.5)
        return 0;
    gsl_quiet();
    return gsl_cdf_tdist_Pinv(p, df);
}

/* Point (x, y) as the fit sees it, (log10 x, log10 y) with logs; 0 when it is left out
 * (not finite, or not positive for a log-log fit). */
static int usable(double x, double y, int logs, double *a, double *b)
{
    if (logs) {
        if (!(x > 0) || !(y > 0))
            return 0;
        x = log10(x), y = log10(y);
    }
    *a = x, *b = y;
    return isfinite(x) && isfinite(y);
}

static int fit(const double *x, const double *y, size_t n, int logs, double level,
               sb_fit *out, sb_err *err)
{
    if (!(level > 0 && level < 1))
        return sb_fail(err, SB_EUSAGE, "fit: confidence level %g is not in (0, 1)", level);
    gsl_quiet();
    double *a = malloc((n ? n : 1) * sizeof *a), *b = malloc((n ? n : 1) * sizeof *b);
    if (!a || !b) {
        free(a);
        free(b);
        return sb_fail(err, SB_ERUNTIME, "fit: out of memory for %zu points", n);
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        m += usable(x[i], y[i], logs, &a[m], &b[m]);
    int rc = SB_OK;
    double c0, c1, cov00, cov01, cov11, sse;
    if (m < 2)
        rc = sb_fail(err, SB_EUSAGE, "fit: need at least 2 usable points, have %zu", m);
    else if (!(gsl_stats_variance(a, 1, m) > 0))
        rc = sb_fail(err, SB_EUSAGE, "fit: every x is the same, the slope is undefined");
    else if (gsl_fit_linear(a, 1, b, 1, m, &c0, &c1, &cov00, &cov01, &cov11, &sse) !=
             GSL_SUCCESS)
        rc = sb_fail(err, SB_ERUNTIME, "fit: the least-squares fit failed");
    if (rc == SB_OK) {
        double syy = gsl_stats_tss(b, 1, m);
        out->n = m;
        out->level = level;
        out->slope = c1;
        out->intercept = c0;
        if (sse < 0)
            sse = 0;
        out->r2 = syy > 0 ? 1 - sse / syy : 1;
        if (m > 2) { /* cov11 = s^2 / Sxx with s^2 = SSE / (m - 2) */
            out->se_slope = sqrt(cov11);
            double t = sb_t_quantile(0.5 + level / 2, (double)(m - 2));
            out->ci_lo = out->slope - t * out->se_slope;
            out->ci_hi = out->slope + t * out->se_slope;
        } else {
            out->se_slope = INFINITY;
            out->ci_lo = -INFINITY;
            out->ci_hi = INFINITY;
        }
    }
    free(a);
    free(b);
    return rc;
}

int sb_fit_linear(const double *x, const double *y, size_t n, double level, sb_fit *out,
                  sb_err *err)
{
    return fit(x, y, n, 0, level, out, err);
}

int sb_fit_loglog(const double *x, const double *y, size_t n, double level, sb_fit *out,
                  sb_err *err)
{
    return fit(x, y, n, 1, level, out, err);
}
