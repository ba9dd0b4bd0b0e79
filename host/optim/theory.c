/* theory.c - the seed paper's convergence bounds (DESIGN.md section 7): Theorem 1 for
 * signSGD (loose and tight forms) and Theorem 2 for SGD, as plain functions. */
#include "theory.h"

#include <math.h>

/* Below this many terms the sums are exact; beyond, Euler-Maclaurin to O(K^-4), which is
 * below double rounding of the sum already at 10^6. */
#define SB_SUM_EXACT 1000000u

/* sum_{j=1..K} j^-p (p = 1 or 1/2), smallest terms first with Kahan compensation, so
 * the exact and the asymptotic branches agree to a few ulp at the switch. */
static double power_sum(uint64_t K, int half)
{
    double s = 0, c = 0;
    for (uint64_t j = K; j >= 1; j--) {
        double t = half ? 1.0 / sqrt((double)j) : 1.0 / (double)j;
        double y = t - c, u = s + y;
        c = (u - s) - y;
        s = u;
    }
    return s;
}

double sb_harmonic(uint64_t K)
{
    if (K <= SB_SUM_EXACT)
        return power_sum(K, 0);
    double k = (double)K;
    return log(k) + 0.57721566490153286 + 1 / (2 * k) - 1 / (12 * k * k);
}

double sb_harmonic_sqrt(uint64_t K)
{
    if (K <= SB_SUM_EXACT)
        return power_sum(K, 1);
    /* sum_{j<=K} j^(-1/2) = 2 sqrt(K) + zeta(1/2) + K^(-1/2)/2 - K^(-3/2)/24 + ... */
    double k = (double)K;
    return 2 * sqrt(k) - 1.4603545088095868 + 0.5 / sqrt(k) - 1 / (24 * k * sqrt(k));
}

static int valid(const sb_theory_in *in)
{
    return in && isfinite(in->gap) && in->gap >= 0 && isfinite(in->L) && in->L >= 0 &&
           isfinite(in->sigma) && in->sigma >= 0 && in->d >= 1 && isfinite(in->d) &&
           in->delta > 0 && isfinite(in->delta);
}

double sb_theory_sign_loose(const sb_theory_in *in, uint64_t K)
{
    if (!valid(in) || K == 0)
        return NAN;
    double k = (double)K;
    return (in->gap / in->delta +
            2 * in->d * (1 + log(k)) * (in->sigma + in->delta * in->L)) /
           sqrt(k);
}

double sb_theory_sign_tight(const sb_theory_in *in, uint64_t K)
{
    if (!valid(in) || K == 0)
        return NAN;
    return (in->gap / in->delta +
            sb_harmonic(K) * (2 * in->d * in->sigma + in->delta * in->d * in->L / 2)) /
           sb_harmonic_sqrt(K);
}

uint64_t sb_theory_sign_calls(uint64_t K)
{
    return K % 2 == 0 ? (K / 2) * (K + 1) : K * ((K + 1) / 2);
}

double sb_theory_sgd(const sb_theory_in *in, uint64_t N)
{
    if (!valid(in) || N == 0)
        return NAN;
    double dl = in->delta * in->L;
    if (dl >= 2)
        return NAN;
    double n = (double)N;
    return (in->gap / (in->delta * (1 - dl / 2)) +
            in->d * (1 + log(n)) * dl * in->sigma * in->sigma / (2 - dl)) /
           sqrt(n);
}
