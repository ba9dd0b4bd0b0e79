/* stats.c - summary statistics of timing samples (GSL) and the Mann-Whitney U test (exact
 * null distribution for small untied samples, GSL's normal tail otherwise). */
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_statistics_double.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double sb_quantile_sorted(const double *sorted, size_t n, double q)
{
    if (n == 1 || q <= 0)
        return sorted[0];
    if (q >= 1)
        return sorted[n - 1];
    return gsl_stats_quantile_from_sorted_data(sorted, 1, n, q);
}

static int check_sample(const char *what, const double *x, size_t n, sb_err *err)
{
    if (n == 0)
        return sb_fail(err, SB_EUSAGE, "%s: empty sample", what);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return sb_fail(err, SB_EUSAGE, "%s: value %zu is not finite (%g)", what, i,
                           x[i]);
    return SB_OK;
}

int sb_stats_compute(const double *x, size_t n, sb_stats *out, sb_err *err)
{
    if (check_sample("statistics", x, n, err) != SB_OK)
        return err ? err->code : SB_EUSAGE;
    double *s = malloc(n * sizeof *s);
    if (!s)
        return sb_fail(err, SB_ERUNTIME, "statistics: out of memory for %zu values", n);
    memcpy(s, x, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp_double);
    /* GSL takes the deviations from the mean (two passes): one-pass formulas lose every
     * digit when the spread is tiny next to the mean, the normal case for timings. */
    double mean = gsl_stats_mean(s, 1, n);
    out->n = n;
    out->min = s[0];
    out->max = s[n - 1];
    out->median = sb_quantile_sorted(s, n, 0.5);
    out->p90 = sb_quantile_sorted(s, n, 0.9);
    out->mean = mean;
    out->stddev = n > 1 ? gsl_stats_sd_m(s, 1, n, mean) : 0;
    out->cv = mean != 0 ? out->stddev / fabs(mean) : 0;
    free(s);
    return SB_OK;
}

typedef struct tagged {
    double v;
    int from_a;
} tagged;

static int cmp_tagged(const void *a, const void *b)
{
    return cmp_double(&((const tagged *)a)->v, &((const tagged *)b)->v);
}

/* Number of arrangements giving each U = 0..na*nb: the coefficients of the Gaussian
 * binomial [na+nb choose na](q) = prod_{i=1..na} (1 - q^(nb+i)) / (1 - q^i). Below
 * SB_MWU_EXACT_MAX every count is < 2^53, so doubles hold them exactly. */
static double *u_counts(size_t na, size_t nb)
{
    size_t top = na * nb;
    double *c = calloc(top + 1, sizeof *c);
    if (!c)
        return NULL;
    c[0] = 1;
    for (size_t i = 1; i <= na; i++) {
        size_t up = nb + i;
        for (size_t k = top; k >= up; k--) /* times (1 - q^up), high degrees first */
            c[k] -= c[k - up];
        for (size_t k = i; k <= top; k++) /* divided by (1 - q^i): a running sum */
            c[k] += c[k - i];
    }
    return c;
}

int sb_mann_whitney(const double *a, size_t na, const double *b, size_t nb, sb_mwu *out,
                    sb_err *err)
{
    if (check_sample("Mann-Whitney sample a", a, na, err) != SB_OK ||
        check_sample("Mann-Whitney sample b", b, nb, err) != SB_OK)
        return err ? err->code : SB_EUSAGE;
    size_t n = na + nb;
    tagged *t = malloc(n * sizeof *t);
    if (!t)
        return sb_fail(err, SB_ERUNTIME, "Mann-Whitney: out of memory for %zu values", n);
    for (size_t i = 0; i < na; i++)
        t[i] = (tagged){a[i], 1};
    for (size_t i = 0; i < nb; i++)
        t[na + i] = (tagged){b[i], 0};
    qsort(t, n, sizeof *t, cmp_tagged);
    /* Average ranks over tie groups; tie_term collects sum(t^3 - t). */
    double rank_a = 0, tie_term = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && t[j + 1].v == t[i].v)
            j++;
        double avg = 0.5 * (double)(i + j) + 1.0, len = (double)(j - i + 1);
        for (size_t k = i; k <= j; k++)
            if (t[k].from_a)
                rank_a += avg;
        tie_term += len * len * len - len;
        i = j + 1;
    }
    free(t);
    double dna = (double)na, dnb = (double)nb, dn = (double)n;
    out->u_a = rank_a - dna * (dna + 1) / 2;
    out->u_b = dna * dnb - out->u_a;
    out->z = 0;
    out->exact = 0;
    if (n <= SB_MWU_EXACT_MAX && tie_term == 0) {
        double *c = u_counts(na, nb);
        if (!c)
            return sb_fail(err, SB_ERUNTIME, "Mann-Whitney: out of memory");
        /* U is an integer without ties; P(U <= u_small) doubled is the two-sided p. */
        size_t small = (size_t)llround(fmin(out->u_a, out->u_b));
        double total = 0, tail = 0;
        for (size_t k = 0; k <= na * nb; k++) {
            total += c[k];
            if (k <= small)
                tail += c[k];
        }
        free(c);
        out->p = fmin(1.0, 2 * tail / total);
        out->exact = 1;
        return SB_OK;
    }
    double mu = dna * dnb / 2;
    double var = dna * dnb / 12 * ((dn + 1) - tie_term / (dn * (dn - 1)));
    if (!(var > 0)) { /* every value tied: no evidence of a difference */
        out->p = 1;
        return SB_OK;
    }
    double dev = fabs(out->u_a - mu) - 0.5;
    if (dev < 0)
        dev = 0;
    out->z = dev / sqrt(var);
    out->p = fmin(1.0, 2 * gsl_cdf_ugaussian_Q(out->z));
    return SB_OK;
}
