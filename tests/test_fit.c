/* test_fit.c - the least-squares slope fit and its Student t interval: known quantiles,
 * an exponent recovered from noisy synthetic power-law data, and bad inputs. */
#include <math.h>
#include <stdlib.h>

#include "fit.h"
#include "testutil.h"

START_TEST(t_quantiles)
{
    /* Tables (scipy.stats.t.ppf). */
    ck_assert_double_eq_tol(sb_t_quantile(0.975, 1), 12.706204736174707, 1e-9);
    ck_assert_double_eq_tol(sb_t_quantile(0.975, 10), 2.2281388519649385, 1e-9);
    ck_assert_double_eq_tol(sb_t_quantile(0.95, 5), 2.0150483733330233, 1e-9);
    ck_assert_double_eq_tol(sb_t_quantile(0.025, 10), -2.2281388519649385, 1e-9);
    ck_assert_double_eq_tol(sb_t_quantile(0.975, 1e6), 1.959966, 1e-5);
    ck_assert_double_eq_tol(sb_t_cdf(2.2281388519649385, 10), 0.975, 1e-12);
    ck_assert_double_eq_tol(sb_t_cdf(0, 3), 0.5, 1e-15);
    ck_assert(isnan(sb_t_quantile(0, 3)));
    ck_assert(isnan(sb_t_quantile(0.5, 0)));
}
END_TEST

START_TEST(exact_power_law)
{
    double x[8], y[8];
    for (int i = 0; i < 8; i++) {
        x[i] = pow(10, 1 + 0.5 * i);
        y[i] = 7 * pow(x[i], 2.0);
    }
    sb_fit f;
    sb_err e = {0, ""};
    ck_assert_int_eq(sb_fit_loglog(x, y, 8, 0.95, &f, &e), SB_OK);
    ck_assert_uint_eq(f.n, 8);
    ck_assert_double_eq_tol(f.slope, 2.0, 1e-12);
    ck_assert_double_eq_tol(f.intercept, log10(7.0), 1e-12);
    ck_assert_double_eq_tol(f.r2, 1.0, 1e-12);
    ck_assert(f.ci_hi - f.ci_lo < 1e-9);
}
END_TEST

/* Noisy data with a known exponent: the estimate is close and the 95% interval covers
 * it; an exponent outside is excluded (the interval is not arbitrarily wide). */
START_TEST(noisy_power_law)
{
    enum { N = 40 };
    double x[N], y[N];
    srand(12345);
    for (int i = 0; i < N; i++) {
        x[i] = pow(10, 1 + 5.0 * i / (N - 1)); /* 10 .. 10^6, like a dimension sweep */
        double u = (rand() + 1.0) / (RAND_MAX + 2.0), v = (rand() + 1.0) / (RAND_MAX + 2.0);
        double z = sqrt(-2 * log(u)) * cos(2 * M_PI * v);
        y[i] = 3 * pow(x[i], 1.5) * exp(0.3 * z);
    }
    sb_fit f;
    sb_err e = {0, ""};
    ck_assert_int_eq(sb_fit_loglog(x, y, N, 0.95, &f, &e), SB_OK);
    ck_assert_msg(fabs(f.slope - 1.5) < 0.05, "slope %g", f.slope);
    ck_assert_msg(f.ci_lo < 1.5 && 1.5 < f.ci_hi, "CI [%g, %g]", f.ci_lo, f.ci_hi);
    ck_assert_msg(f.ci_lo > 1.4 && f.ci_hi < 1.6, "CI too wide [%g, %g]", f.ci_lo, f.ci_hi);
    ck_assert(f.se_slope > 0);
    /* The interval is slope +- t se with t = t_{0.975, N-2}. */
    ck_assert_double_eq_tol(f.ci_hi - f.slope, sb_t_quantile(0.975, N - 2) * f.se_slope,
                            1e-12);
}
END_TEST

START_TEST(linear_and_skips)
{
    const double x[] = {0, 1, 2, 3, NAN, 4};
    const double y[] = {1, 3, 5, 7, 100, 9};
    sb_fit f;
    sb_err e = {0, ""};
    ck_assert_int_eq(sb_fit_linear(x, y, 6, 0.9, &f, &e), SB_OK);
    ck_assert_uint_eq(f.n, 5);
    ck_assert_double_eq_tol(f.slope, 2, 1e-12);
    ck_assert_double_eq_tol(f.intercept, 1, 1e-12);
    /* log-log drops x = 0 and the NaN pair. */
    ck_assert_int_eq(sb_fit_loglog(x, y, 6, 0.9, &f, &e), SB_OK);
    ck_assert_uint_eq(f.n, 4);
}
END_TEST

START_TEST(bad_inputs)
{
    sb_fit f;
    sb_err e = {0, ""};
    const double x1[] = {5}, y1[] = {1};
    ck_assert_int_eq(sb_fit_loglog(x1, y1, 1, 0.95, &f, &e), SB_EUSAGE);
    const double x2[] = {2, 2, 2}, y2[] = {1, 2, 3};
    ck_assert_int_eq(sb_fit_linear(x2, y2, 3, 0.95, &f, &e), SB_EUSAGE);
    const double x3[] = {1, 2}, y3[] = {1, 4};
    ck_assert_int_eq(sb_fit_loglog(x3, y3, 2, 0.95, &f, &e), SB_OK);
    ck_assert(isinf(f.ci_hi)); /* two points: no interval */
    ck_assert_int_eq(sb_fit_linear(x3, y3, 2, 1.5, &f, &e), SB_EUSAGE);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fit");
    TCase *tc = sb_test_tcase(s, "fit", 0);
    tcase_add_test(tc, t_quantiles);
    tcase_add_test(tc, exact_power_law);
    tcase_add_test(tc, noisy_power_law);
    tcase_add_test(tc, linear_and_skips);
    tcase_add_test(tc, bad_inputs);
    return sb_test_run(s);
}
