/* fit.c - least-squares fits and the Student t quantiles their confidence intervals
 * need (regularised incomplete beta by continued fraction, inverted by bisection). */
#define _POSIX_C_SOURCE 200809L
#include "fit.h"

#include <math.h>
#include <stdlib.h>

static const double tiny = 1e-300; /* keeps Lentz's c and d away from zero */

/* One term aa of the continued fraction (modified Lentz): updates c and d, returns the
 * factor the fraction's value is multiplied by. */
static double lentz_step(double aa, double *c, double *d)
{
    *d = 1 + aa * *d;
    if (fabs(*d) < tiny)
        *d = tiny;
    *c = 1 + aa / *c;
    if (fabs(*c) < tiny)
        *c = tiny;
    *d = 1 / *d;
    return *d * *c;
}

/* Continued fraction of the regularised incomplete beta function (modified Lentz). */
static double beta_cf(double a, double b, double x)
{
    double qab = a + b, qap = a + 1, qam = a - 1;
    double c = 1, d = 1 - qab * x / qap;
    if (fabs(d) < tiny)
        d = tiny;
    d = 1 / d;
    double h = d;
    for (int m = 1; m <= 500; m++) {
        double m2 = 2.0 * m;
        h *= lentz_step(m * (b - m) * x / ((qam + m2) * (a + m2)), &c, &d);
        double del = lentz_step(-(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)), &c, &d);
        h *= del;
        if (fabs(del - 1) < 1e-15)
            break;
    }
    return h;
}

/* I_x(a, b). */
static double beta_inc(double a, double b, double x)
{
    if (x <= 0)
        return 0;
    if (x >= 1)
        return 1;
    double lbt = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x);
    double bt = exp(lbt);
    if (x < (a + 1) / (a + b + 2))
        return bt * beta_cf(a, b, x) / a;
    return 1 - bt * beta_cf(b, a, 1 - x) / b;
}

double sb_t_cdf(double t, double df)
{
    if (isnan(t) || !(df > 0))
        return NAN;
    if (isinf(t))
        return t > 0 ? 1 : 0;
    double x = df / (df + t * t);
    double tail = 0.5 * beta_inc(df / 2, 0.5, x); /* P(T > |t|) */
    return t > 0 ? 1 - tail : tail;
}

double sb_t_quantile(double p, double df)
{
    if (!(p > 0 && p < 1) || !(df > 0))
        return NAN;
    if (p == 0.5)
        return 0;
    /* Bracket, then bisect: the CDF is monotone, 200 halvings reach double precision. */
    double lo = -1, hi = 1;
    while (sb_t_cdf(lo, df) > p && lo > -1e300)
        lo *= 2;
    while (sb_t_cdf(hi, df) < p && hi < 1e300)
        hi *= 2;
    for (int i = 0; i < 200; i++) {
        double mid = 0.5 * (lo + hi);
        if (mid == lo || mid == hi)
            break;
        if (sb_t_cdf(mid, df) < p)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

/* Point (x, y) as the fit sees it, (log10 x, log10 y) with logs; 0 when it is left out
 * (not finite, or not positive for a log-log fit). Both passes of fit() must agree. */
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
    double sx = 0, sy = 0;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        double a, b;
        if (usable(x[i], y[i], logs, &a, &b))
            sx += a, sy += b, m++;
    }
    if (m < 2)
        return sb_fail(err, SB_EUSAGE, "fit: need at least 2 usable points, have %zu", m);
    double mx = sx / (double)m, my = sy / (double)m, sxx = 0, sxy = 0, syy = 0;
    for (size_t i = 0; i < n; i++) {
        double a, b;
        if (!usable(x[i], y[i], logs, &a, &b))
            continue;
        sxx += (a - mx) * (a - mx);
        sxy += (a - mx) * (b - my);
        syy += (b - my) * (b - my);
    }
    if (!(sxx > 0))
        return sb_fail(err, SB_EUSAGE, "fit: every x is the same, the slope is undefined");
    out->n = m;
    out->level = level;
    out->slope = sxy / sxx;
    out->intercept = my - out->slope * mx;
    double sse = syy - out->slope * sxy;
    if (sse < 0)
        sse = 0;
    out->r2 = syy > 0 ? 1 - sse / syy : 1;
    if (m > 2) {
        out->se_slope = sqrt(sse / (double)(m - 2) / sxx);
        double t = sb_t_quantile(0.5 + level / 2, (double)(m - 2));
        out->ci_lo = out->slope - t * out->se_slope;
        out->ci_hi = out->slope + t * out->se_slope;
    } else {
        out->se_slope = INFINITY;
        out->ci_lo = -INFINITY;
        out->ci_hi = INFINITY;
    }
    return SB_OK;
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
