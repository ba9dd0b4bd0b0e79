/* theory.h - the seed paper's convergence bounds (DESIGN.md section 7): Theorem 1 for
 * signSGD (loose and tight forms) and Theorem 2 for SGD, as plain functions. */
#ifndef SB_THEORY_H
#define SB_THEORY_H

#include <stdint.h>

/* Constants of a problem and a run. gap = f(x0) - f*, L smoothness, sigma the
 * per-coordinate noise standard deviation of one gradient call, d the dimension, delta
 * the base step size (lr_k = delta / sqrt(k+1)). */
typedef struct sb_theory_in {
    double gap, L, sigma, d, delta;
} sb_theory_in;

/* H_K = sum_{j=1..K} 1/j and S_K = sum_{j=1..K} 1/sqrt(j) (exact sum up to 10^6 terms,
 * Euler-Maclaurin beyond). */
double sb_harmonic(uint64_t K);
double sb_harmonic_sqrt(uint64_t K);

/* Theorem 1 (signSGD, n_k = k+1, K steps, N = K(K+1)/2 calls): bound on
 * E[min_k ||g_k||_1]. Loose: (1/sqrt K)[gap/delta + 2d(1 + ln K)(sigma + delta L)].
 * Tight: [gap/delta + H_K (2 d sigma + delta d L / 2)] / S_K. NaN if K = 0 or an input
 * is invalid. */
double sb_theory_sign_loose(const sb_theory_in *in, uint64_t K);
double sb_theory_sign_tight(const sb_theory_in *in, uint64_t K);
/* Gradient calls Theorem 1's schedule spends in K steps: K(K+1)/2. */
uint64_t sb_theory_sign_calls(uint64_t K);

/* Theorem 2 (SGD, n_k = 1, N steps = calls, delta L < 2): bound on
 * E[min_k ||g_k||_2^2] = (1/sqrt N)[gap/(delta(1 - delta L/2))
 *                                   + d(1 + ln N) delta L sigma^2/(2 - delta L)].
 * NaN if N = 0, delta L >= 2 or an input is invalid. */
double sb_theory_sgd(const sb_theory_in *in, uint64_t N);

#endif
