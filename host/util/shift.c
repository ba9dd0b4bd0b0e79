/* shift.c - Hodges-Lehmann shift of paired differences and its 95% confidence interval
 * from the Wilcoxon signed-rank distribution (exact for small n, normal beyond). */
#include "shift.h"

#include <math.h>
#include <stdlib.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* z with P(Z > z) = 0.025 for a standard normal Z. */
#define Z_975 1.959963984540054

/* The rank c (1-based) of the lower bound among the m = n (n + 1) / 2 sorted Walsh
 * averages: the largest c with P(T <= c - 1) <= 0.025 under the null, where T is the
 * signed-rank statistic (Hollander & Wolfe). 0 when no interval exists. */
static size_t lower_rank(size_t n, int *exact)
{
    size_t m = n * (n + 1) / 2;
    if (n <= SB_SHIFT_EXACT_MAX) {
        /* counts[t] = number of subsets of {1..n} summing to t; every count < 2^50 */
        double *cnt = calloc(m + 1, sizeof *cnt);
        if (!cnt)
            return 0;
        cnt[0] = 1;
        for (size_t r = 1; r <= n; r++)
            for (size_t t = m; t >= r; t--)
                cnt[t] += cnt[t - r];
        double total = ldexp(1.0, (int)n), cdf = 0;
        size_t c = 0;
        for (size_t t = 0; t <= m; t++) {
            cdf += cnt[t];
            if (cdf / total > 0.025)
                break;
            c = t + 1;
        }
        free(cnt);
        *exact = 1;
        return c;
    }
    *exact = 0;
    double dn = (double)n;
    double c = floor((double)m / 2 - Z_975 * sqrt(dn * (dn + 1) * (2 * dn + 1) / 24));
    return c < 1 ? 0 : (size_t)c;
}

int sb_shift_hl(const double *d, size_t n, sb_shift *out, sb_err *err)
{
    if (n < SB_SHIFT_MIN_PAIRS)
        return sb_fail(err, SB_EUSAGE,
                       "shift interval: %zu pairs, a 95%% interval needs at "
                       "least %d",
                       n, SB_SHIFT_MIN_PAIRS);
    if (n > SB_SHIFT_MAX_PAIRS)
        return sb_fail(err, SB_EUSAGE, "shift interval: %zu pairs, at most %d", n,
                       SB_SHIFT_MAX_PAIRS);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(d[i]))
            return sb_fail(err, SB_EUSAGE,
                           "shift interval: difference %zu is not finite "
                           "(%g)",
                           i, d[i]);
    size_t m = n * (n + 1) / 2, k = 0;
    double *w = malloc(m * sizeof *w);
    if (!w)
        return sb_fail(err, SB_ERUNTIME, "shift interval: out of memory for %zu averages",
                       m);
    for (size_t i = 0; i < n; i++)
        for (size_t j = i; j < n; j++)
            w[k++] = 0.5 * (d[i] + d[j]);
    qsort(w, m, sizeof *w, cmp_double);
    int exact = 0;
    size_t c = lower_rank(n, &exact);
    if (c == 0) {
        free(w);
        return sb_fail(err, SB_ERUNTIME,
                       "shift interval: no rank for n = %zu (out of "
                       "memory?)",
                       n);
    }
    out->n = n;
    out->estimate = m % 2 ? w[m / 2] : 0.5 * (w[m / 2 - 1] + w[m / 2]);
    out->lo = w[c - 1];
    out->hi = w[m - c];
    out->exact = exact;
    free(w);
    return SB_OK;
}
