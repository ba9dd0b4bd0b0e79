/* test_stats.c - summary statistics and the Mann-Whitney U test against values from
 * scipy's documentation and brute-force enumeration; the Hodges-Lehmann shift interval
 * on synthetic pairs with a known shift; the Google Benchmark rows built
 * from a known sample (report_json.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report_json.h"
#include "shift.h"
#include "stats.h"
#include "testutil.h"
#include "json.h"

START_TEST(summary_known)
{
    const double x[] = {5.0, 1.0, 4.0, 2.0, 3.0, 10.0};
    sb_stats s;
    sb_err e = {0, ""};
    ck_assert_int_eq(sb_stats_compute(x, 6, &s, &e), SB_OK);
    ck_assert_uint_eq(s.n, 6);
    ck_assert_double_eq(s.min, 1.0);
    ck_assert_double_eq(s.max, 10.0);
    ck_assert_double_eq_tol(s.median, 3.5, 1e-15);
    ck_assert_double_eq_tol(s.p90, 7.5, 1e-12); /* numpy.percentile(x, 90) */
    ck_assert_double_eq_tol(s.mean, 25.0 / 6, 1e-14);
    ck_assert_double_eq_tol(s.stddev, 3.1885210782848317, 1e-12);
    ck_assert_double_eq_tol(s.cv, 3.1885210782848317 / (25.0 / 6), 1e-12);
    /* The input is left as it was (the summary sorts a copy). */
    ck_assert_double_eq(x[0], 5.0);
}
END_TEST

START_TEST(summary_edges)
{
    sb_stats s;
    sb_err e = {0, ""};
    const double one[] = {2.5};
    ck_assert_int_eq(sb_stats_compute(one, 1, &s, &e), SB_OK);
    ck_assert_double_eq(s.median, 2.5);
    ck_assert_double_eq(s.p90, 2.5);
    ck_assert_double_eq(s.stddev, 0);
    ck_assert_double_eq(s.cv, 0);
    /* Tiny spread on a large mean: a one-pass variance would lose it. */
    const double close[] = {1e9 + 1, 1e9 + 2, 1e9 + 3};
    ck_assert_int_eq(sb_stats_compute(close, 3, &s, &e), SB_OK);
    ck_assert_double_eq_tol(s.stddev, 1.0, 1e-9);
    ck_assert_int_eq(sb_stats_compute(one, 0, &s, &e), SB_EUSAGE);
    const double bad[] = {1.0, NAN};
    ck_assert_int_eq(sb_stats_compute(bad, 2, &s, &e), SB_EUSAGE);
    const double inf[] = {INFINITY};
    ck_assert_int_eq(sb_stats_compute(inf, 1, &s, &e), SB_EUSAGE);
}
END_TEST

START_TEST(quantiles)
{
    const double s[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    ck_assert_double_eq(sb_quantile_sorted(s, 11, 0), 1);
    ck_assert_double_eq(sb_quantile_sorted(s, 11, 1), 11);
    ck_assert_double_eq_tol(sb_quantile_sorted(s, 11, 0.5), 6, 1e-15);
    ck_assert_double_eq_tol(sb_quantile_sorted(s, 11, 0.9), 10, 1e-12);
    ck_assert_double_eq_tol(sb_quantile_sorted(s, 10, 0.9), 9.1, 1e-12);
}
END_TEST

/* scipy.stats.mannwhitneyu docs: males vs females, U1 = 17, p = 0.1111 (exact) and
 * 0.11134688653314041 (asymptotic, with continuity correction). */
static const double males[] = {19, 22, 16, 29, 24}, females[] = {20, 11, 17, 12};

START_TEST(mwu_exact_small)
{
    sb_mwu r;
    sb_err e = {0, ""};
    ck_assert_int_eq(sb_mann_whitney(males, 5, females, 4, &r, &e), SB_OK);
    ck_assert(r.exact);
    ck_assert_double_eq(r.u_a, 17);
    ck_assert_double_eq(r.u_b, 3);
    ck_assert_double_eq_tol(r.p, 1.0 / 9, 1e-12);
    /* Symmetric in the order of the samples. */
    ck_assert_int_eq(sb_mann_whitney(females, 4, males, 5, &r, &e), SB_OK);
    ck_assert_double_eq(r.u_a, 3);
    ck_assert_double_eq_tol(r.p, 1.0 / 9, 1e-12);
    /* Complete separation of 5 and 5: p = 2 / C(10, 5). */
    const double lo[] = {1, 2, 3, 4, 5}, hi[] = {6, 7, 8, 9, 10};
    ck_assert_int_eq(sb_mann_whitney(lo, 5, hi, 5, &r, &e), SB_OK);
    ck_assert_double_eq(r.u_a, 0);
    ck_assert_double_eq_tol(r.p, 2.0 / 252, 1e-14);
    /* 8 vs 7, p by enumerating all C(15, 8) = 6435 splits. */
    const double a[] = {1.2, 3.4, 2.2, 5.9, 4.4, 6.1, 0.3, 7.7};
    const double b[] = {2.5, 0.9, 1.1, 3.0, 0.5, 2.9, 1.7};
    ck_assert_int_eq(sb_mann_whitney(a, 8, b, 7, &r, &e), SB_OK);
    ck_assert(r.exact);
    ck_assert_double_eq(r.u_a, 42);
    ck_assert_double_eq_tol(r.p, 0.1205905205905206, 1e-12);
}
END_TEST

START_TEST(mwu_exact_counts_sum)
{
    /* At the exact limit (20 vs 20) the null counts must still total C(40, 20): with
     * identical samples shifted apart by less than any gap the p-value is the smallest
     * possible, 2 / C(40, 20). */
    double a[20], b[20];
    for (int i = 0; i < 20; i++) {
        a[i] = i;
        b[i] = 100 + i;
    }
    sb_mwu r;
    sb_err e = {0, ""};
    ck_assert_int_eq(sb_mann_whitney(a, 20, b, 20, &r, &e), SB_OK);
    ck_assert(r.exact);
    ck_assert_double_eq_tol(r.p, 2.0 / 137846528820.0, 1e-22);
    /* Interleaved samples, U = 190 of 400: p by the recursion f(u, m, n) =
     * f(u - n, m - 1, n) + f(u, m, n - 1) in exact integers (Mann and Whitney 1947). */
    for (int i = 0; i < 20; i++) {
        a[i] = 2 * i;
        b[i] = 2 * i + 1;
    }
    ck_assert_int_eq(sb_mann_whitney(a, 20, b, 20, &r, &e), SB_OK);
    ck_assert_double_eq(r.u_a, 190);
    ck_assert_double_eq_tol(r.p, 0.799407187161697, 1e-12);
}
END_TEST

START_TEST(mwu_normal_ties)
{
    sb_mwu r;
    sb_err e = {0, ""};
    /* With ties the normal approximation with tie correction is used. */
    const double a[] = {3.1, 2.7, 3.1, 4.0, 5.2, 3.3, 2.7, 6.1};
    const double b[] = {2.0, 2.7, 1.5, 3.1, 1.9, 2.2, 2.4};
    ck_assert_int_eq(sb_mann_whitney(a, 8, b, 7, &r, &e), SB_OK);
    ck_assert(!r.exact);
    ck_assert_double_eq(r.u_a, 52);
    ck_assert_double_eq_tol(r.p, 0.006158273612116086, 1e-12);
    /* Large untied samples: normal approximation too. */
    double big_a[25], big_b[20];
    for (int i = 0; i < 25; i++)
        big_a[i] = i + 1;
    for (int i = 0; i < 20; i++)
        big_b[i] = i + 11.5;
    ck_assert_int_eq(sb_mann_whitney(big_a, 25, big_b, 20, &r, &e), SB_OK);
    ck_assert(!r.exact);
    ck_assert_double_eq(r.u_a, 105);
    ck_assert_double_eq_tol(r.p, 0.000964739954959279, 1e-12);
    /* Every value tied: the variance is 0 and there is no evidence either way. */
    const double all_same[] = {1, 1, 1};
    ck_assert_int_eq(sb_mann_whitney(all_same, 3, all_same, 3, &r, &e), SB_OK);
    ck_assert_double_eq(r.p, 1.0);
}
END_TEST

START_TEST(mwu_bad_input)
{
    sb_mwu r;
    sb_err e = {0, ""};
    const double a[] = {1, NAN};
    ck_assert_int_eq(sb_mann_whitney(a, 0, a, 1, &r, &e), SB_EUSAGE);
    ck_assert_int_eq(sb_mann_whitney(a, 2, a, 1, &r, &e), SB_EUSAGE);
}
END_TEST

static const cJSON *row_named(const cJSON *list, const char *name)
{
    const cJSON *r;
    cJSON_ArrayForEach(r, list)
    {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(r, "name");
        if (cJSON_IsString(n) && !strcmp(n->valuestring, name))
            return r;
    }
    return NULL;
}

static double num(const cJSON *r, const char *field)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(r, field);
    ck_assert_msg(cJSON_IsNumber(v), "field %s missing", field);
    return v->valuedouble;
}

START_TEST(gbench_rows)
{
    /* 4 repetitions of 1, 2, 4, 3 ms moving 8e6 bytes; fraction 0.5 at the median. */
    const double real[] = {1e-3, 2e-3, 4e-3, 3e-3}, cpu[] = {2e-3, 3e-3, 5e-3, 4e-3};
    sb_gb_bench b = {.kernel = "signsgd",
                     .impl = "ocl",
                     .device = "dev",
                     .n = 1000000,
                     .bytes = 8e6,
                     .manual_time = 1,
                     .roofline_fraction = 0.5,
                     .roofline_ref = "rmw",
                     .real_s = real,
                     .cpu_s = cpu,
                     .reps = 4,
                     .time_unit = "ms"};
    cJSON *ctx = NULL, *doc = sb_gb_new("test", &ctx);
    ck_assert_ptr_nonnull(doc);
    ck_assert_ptr_nonnull(cJSON_GetObjectItemCaseSensitive(ctx, "num_cpus"));
    ck_assert_ptr_nonnull(cJSON_GetObjectItemCaseSensitive(ctx, "caches"));
    sb_err e = {0, ""};
    ck_assert_int_eq(sb_gb_add(doc, &b, &e), SB_OK);
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(doc, "benchmarks");
    ck_assert_int_eq(cJSON_GetArraySize(list), 4 + 6);
    const char *name = "signsgd/ocl/1000000/manual_time";
    const cJSON *it = cJSON_GetArrayItem(list, 2);
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(it, "name")->valuestring, name);
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(it, "run_type")->valuestring,
                     "iteration");
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(it, "time_unit")->valuestring, "ms");
    ck_assert_double_eq_tol(num(it, "real_time"), 4, 1e-12);
    ck_assert_double_eq_tol(num(it, "cpu_time"), 5, 1e-12);
    ck_assert_double_eq_tol(num(it, "bytes_per_second"), 2e9, 1e-3);
    ck_assert_double_eq(num(it, "repetition_index"), 2);
    /* This repetition took 4 ms against a 2.5 ms median: fraction 0.5 * 2.5 / 4. */
    ck_assert_double_eq_tol(num(it, "roofline_fraction"), 0.3125, 1e-12);
    const cJSON *med = row_named(list, "signsgd/ocl/1000000/manual_time_median");
    ck_assert_ptr_nonnull(med);
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(med, "run_name")->valuestring, name);
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(med, "aggregate_name")->valuestring,
                     "median");
    ck_assert_double_eq_tol(num(med, "real_time"), 2.5, 1e-12);
    ck_assert_double_eq_tol(num(med, "roofline_fraction"), 0.5, 1e-12);
    const cJSON *cv = row_named(list, "signsgd/ocl/1000000/manual_time_cv");
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(cv, "aggregate_unit")->valuestring,
                     "percentage");
    /* stddev of 1, 2, 4, 3 is sqrt(5/3); cv is a fraction of the mean 2.5. */
    ck_assert_double_eq_tol(num(cv, "real_time"), sqrt(5.0 / 3) / 2.5, 1e-12);
    const cJSON *mn = row_named(list, "signsgd/ocl/1000000/manual_time_min");
    ck_assert_double_eq_tol(num(mn, "real_time"), 1, 1e-12);
    ck_assert_double_eq_tol(num(mn, "bytes_per_second"), 8e9, 1e-3);
    /* No reference: no roofline field at all. */
    b.roofline_fraction = NAN;
    b.kernel = "sign";
    b.manual_time = 0;
    ck_assert_int_eq(sb_gb_add(doc, &b, &e), SB_OK);
    const cJSON *plain = row_named(list, "sign/ocl/1000000");
    ck_assert_ptr_nonnull(plain);
    ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(plain, "roofline_fraction"));
    /* Families are kernel + impl in order of appearance, instances the runs in one. */
    ck_assert_double_eq(num(it, "family_index"), 0);
    ck_assert_double_eq(num(it, "per_family_instance_index"), 0);
    ck_assert_double_eq(num(plain, "family_index"), 1);
    b.kernel = "signsgd";
    b.n = 2000000;
    ck_assert_int_eq(sb_gb_add(doc, &b, &e), SB_OK);
    const cJSON *second = row_named(list, "signsgd/ocl/2000000_median");
    ck_assert_ptr_nonnull(second);
    ck_assert_double_eq(num(second, "family_index"), 0);
    ck_assert_double_eq(num(second, "per_family_instance_index"), 1);
    /* The unit is the caller's, never chosen from the time: microseconds stay us for a
     * run of milliseconds; a variant goes in the name; aggregates only: 6 rows. */
    int before = cJSON_GetArraySize(list);
    b.time_unit = "us", b.variant = "w8_chunked_wg64", b.aggregates_only = 1;
    ck_assert_int_eq(sb_gb_add(doc, &b, &e), SB_OK);
    ck_assert_int_eq(cJSON_GetArraySize(list), before + 6);
    const cJSON *us = row_named(list, "signsgd/ocl/2000000/variant:w8_chunked_wg64_median");
    ck_assert_ptr_nonnull(us);
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(us, "time_unit")->valuestring, "us");
    ck_assert_double_eq_tol(num(us, "real_time"), 2500, 1e-9);
    b.time_unit = NULL; /* no unit: refused */
    ck_assert_int_eq(sb_gb_add(doc, &b, &e), SB_ERUNTIME);
    cJSON_Delete(doc);
}
END_TEST

/* d = 1..10: Walsh averages (i + j) / 2; the signed-rank table gives P(T <= 8) = 0.0244
 * and P(T <= 9) = 0.0322 for n = 10, so the bounds are the 9th smallest and the 9th
 * largest average: 3 and 8; the estimate is the symmetric centre 5.5. */
START_TEST(shift_exact_table)
{
    double d[10];
    for (int i = 0; i < 10; i++)
        d[i] = i + 1;
    sb_shift s;
    sb_err e = {0, ""};
    ck_assert_int_eq(sb_shift_hl(d, 10, &s, &e), SB_OK);
    ck_assert_int_eq(s.exact, 1);
    ck_assert_double_eq_tol(s.estimate, 5.5, 1e-15);
    ck_assert_double_eq_tol(s.lo, 3, 1e-15);
    ck_assert_double_eq_tol(s.hi, 8, 1e-15);
    /* n = 6: only T = 0 has probability (1/64) under 2.5%: the interval is [min, max]. */
    ck_assert_int_eq(sb_shift_hl(d, 6, &s, &e), SB_OK);
    ck_assert_double_eq(s.lo, 1);
    ck_assert_double_eq(s.hi, 6);
}
END_TEST

/* Deterministic uniform noise in [-1, 1) (a 64-bit LCG, Knuth's MMIX constants). */
static double noise(unsigned long long *st)
{
    *st = *st * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*st >> 11) * 0x1p-52 - 1.0;
}

/* Paired log ratios of a kernel 25% slower (log 1.25) under noise of +-30%: the interval
 * holds the true shift and excludes 0, in the exact (n = 30) and normal (n = 400) ranges;
 * over 500 seeded samples the 95% interval covers the true shift at least 93% of the
 * time, and an unshifted sample's interval holds 0 as often. */
START_TEST(shift_known)
{
    const double shift = log(1.25);
    unsigned long long st = 12345;
    double d[400];
    sb_shift s;
    sb_err e = {0, ""};
    for (int i = 0; i < 400; i++)
        d[i] = shift + 0.3 * noise(&st);
    ck_assert_int_eq(sb_shift_hl(d, 400, &s, &e), SB_OK);
    ck_assert_int_eq(s.exact, 0);
    ck_assert(s.lo < shift && shift < s.hi && s.lo > 0);
    ck_assert_double_eq_tol(s.estimate, shift, 0.03);
    ck_assert_int_eq(sb_shift_hl(d, 30, &s, &e), SB_OK);
    ck_assert_int_eq(s.exact, 1);
    ck_assert(s.lo < shift && shift < s.hi && s.lo > 0);
    int cover = 0, cover0 = 0, trials = 500;
    for (int t = 0; t < trials; t++) {
        double a[30], b[30];
        for (int i = 0; i < 30; i++) {
            a[i] = shift + 0.3 * noise(&st);
            b[i] = 0.3 * noise(&st);
        }
        ck_assert_int_eq(sb_shift_hl(a, 30, &s, &e), SB_OK);
        cover += s.lo <= shift && shift <= s.hi;
        ck_assert_int_eq(sb_shift_hl(b, 30, &s, &e), SB_OK);
        cover0 += s.lo <= 0 && 0 <= s.hi;
    }
    ck_assert_int_ge(cover, trials * 93 / 100);
    ck_assert_int_ge(cover0, trials * 93 / 100);
    ck_assert_int_lt(cover, trials); /* an interval that never misses is too wide */
}
END_TEST

START_TEST(shift_bad_input)
{
    double d[8] = {1, 2, 3, 4, 5, 6, 7, NAN};
    sb_shift s;
    sb_err e = {0, ""};
    ck_assert_int_eq(sb_shift_hl(d, 5, &s, &e), SB_EUSAGE);
    ck_assert_int_eq(sb_shift_hl(d, 8, &s, &e), SB_EUSAGE);
    d[7] = INFINITY;
    ck_assert_int_eq(sb_shift_hl(d, 8, &s, &e), SB_EUSAGE);
    ck_assert_int_eq(sb_shift_hl(d, 7, &s, &e), SB_OK);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("stats");
    TCase *tc = sb_test_tcase(s, "stats", 0);
    tcase_add_test(tc, summary_known);
    tcase_add_test(tc, summary_edges);
    tcase_add_test(tc, quantiles);
    tcase_add_test(tc, mwu_exact_small);
    tcase_add_test(tc, mwu_exact_counts_sum);
    tcase_add_test(tc, mwu_normal_ties);
    tcase_add_test(tc, mwu_bad_input);
    tcase_add_test(tc, gbench_rows);
    tcase_add_test(tc, shift_exact_table);
    tcase_add_test(tc, shift_known);
    tcase_add_test(tc, shift_bad_input);
    return sb_test_run(s);
}
