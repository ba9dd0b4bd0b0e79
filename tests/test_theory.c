/* test_theory.c - theory.c against hand-computed values of Theorem 1 (loose and tight)
 * and Theorem 2, the partial sums H_K and S_K, and the invalid-input cases. */
#include <math.h>

#include "testutil.h"
#include "theory.h"

/* gap 10, L 1, sigma 0.5, d 2, delta 0.1 throughout. */
static const sb_theory_in IN = {.gap = 10, .L = 1, .sigma = 0.5, .d = 2, .delta = 0.1};

START_TEST(sign_one_step)
{
    /* K = 1: loose = gap/delta + 2d(sigma + delta L) = 100 + 4 * 0.6; tight: H = S = 1,
     * 100 + (2*2*0.5 + 0.1*2*1/2) = 102.1. */
    ck_assert_double_eq_tol(sb_theory_sign_loose(&IN, 1), 102.4, 1e-12);
    ck_assert_double_eq_tol(sb_theory_sign_tight(&IN, 1), 102.1, 1e-12);
}
END_TEST

START_TEST(sign_four_steps)
{
    /* K = 4: loose = (1/2)(100 + 4 (1 + ln 4) 0.6); tight = (100 + H_4 * 2.1) / S_4 with
     * H_4 = 25/12, S_4 = 1 + 1/sqrt2 + 1/sqrt3 + 1/2 (worked out by hand). */
    double loose = 0.5 * (100 + 4 * (1 + log(4.0)) * 0.6);
    ck_assert_double_eq_tol(sb_theory_sign_loose(&IN, 4), loose, 1e-12);
    ck_assert_double_eq_tol(loose, 52.8635532333, 1e-9);
    double tight = (100 + 25.0 / 12 * 2.1) / (1.5 + 1 / sqrt(2.0) + 1 / sqrt(3.0));
    ck_assert_double_eq_tol(sb_theory_sign_tight(&IN, 4), tight, 1e-12);
    ck_assert_double_eq_tol(tight, 37.4848662097, 1e-9);
    /* The tight form never exceeds the loose one. */
    for (uint64_t k = 1; k < 5000; k = k * 3 + 1)
        ck_assert(sb_theory_sign_tight(&IN, k) <= sb_theory_sign_loose(&IN, k));
    ck_assert_uint_eq(sb_theory_sign_calls(4), 10);
    ck_assert_uint_eq(sb_theory_sign_calls(5), 15);
    ck_assert_uint_eq(sb_theory_sign_calls(0), 0);
}
END_TEST

START_TEST(sgd_bound)
{
    /* N = 4: (1/2)[10/(0.1 * 0.95) + 2 (1 + ln 4) 0.1 * 0.25 / 1.9] = 52.66297755738. */
    ck_assert_double_eq_tol(sb_theory_sgd(&IN, 4), 52.66297755738315, 1e-10);
    /* N = 1, sigma = 0: gap/(delta(1 - delta L/2)) only. */
    sb_theory_in z = IN;
    z.sigma = 0;
    ck_assert_double_eq_tol(sb_theory_sgd(&z, 1), 10 / (0.1 * 0.95), 1e-12);
    /* delta L >= 2 is outside the theorem. */
    z.delta = 2;
    ck_assert(isnan(sb_theory_sgd(&z, 10)));
}
END_TEST

START_TEST(sums)
{
    ck_assert_double_eq(sb_harmonic(1), 1);
    ck_assert_double_eq_tol(sb_harmonic(4), 25.0 / 12, 1e-15);
    ck_assert_double_eq_tol(sb_harmonic_sqrt(4), 1.5 + 1 / sqrt(2.0) + 1 / sqrt(3.0),
                            1e-15);
    /* Across the switch from the exact sum to Euler-Maclaurin: one more term. */
    double h0 = sb_harmonic(1000000), h1 = sb_harmonic(1000001);
    ck_assert_double_eq_tol((h1 - h0), 1.0 / 1000001, 1e-12);
    double s0 = sb_harmonic_sqrt(1000000), s1 = sb_harmonic_sqrt(1000001);
    ck_assert_double_eq_tol((s1 - s0), 1.0 / sqrt(1000001.0), 1e-12);
    ck_assert_double_eq(sb_harmonic(0), 0);
}
END_TEST

START_TEST(invalid)
{
    ck_assert(isnan(sb_theory_sign_loose(&IN, 0)));
    ck_assert(isnan(sb_theory_sign_tight(&IN, 0)));
    ck_assert(isnan(sb_theory_sgd(&IN, 0)));
    sb_theory_in b = IN;
    b.delta = 0;
    ck_assert(isnan(sb_theory_sign_tight(&b, 10)));
    b = IN;
    b.L = NAN;
    ck_assert(isnan(sb_theory_sign_loose(&b, 10)));
    ck_assert(isnan(sb_theory_sign_loose(NULL, 10)));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("theory");
    TCase *tc = sb_test_tcase(s, "bounds", 0);
    tcase_add_test(tc, sign_one_step);
    tcase_add_test(tc, sign_four_steps);
    tcase_add_test(tc, sgd_bound);
    tcase_add_test(tc, sums);
    tcase_add_test(tc, invalid);
    return sb_test_run(s);
}
