/* test_compare.c - the regression gate: a planted 20% regression is caught, identical
 * inputs pass, repetitions go through the rank test, and bad inputs are usage errors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "testutil.h"
#include "json.h"

/* A micro-style (Google Benchmark) document: kernels x reps, roofline_fraction scaled by
 * `factor` for the kernel named `slow` (NULL: none), with a little deterministic jitter. */
static cJSON *micro_doc(int reps, const char *slow, double factor, double jitter)
{
    static const char *kernels[] = {"update_signsgd/16M", "pack/16M", "vote/16M"};
    static const double rf[] = {0.95, 0.60, 0.80};
    cJSON *root = cJSON_CreateObject();
    cJSON *ctx = cJSON_AddObjectToObject(root, "context");
    cJSON_AddStringToObject(ctx, "device", "test device");
    cJSON *list = cJSON_AddArrayToObject(root, "benchmarks");
    for (int k = 0; k < 3; k++)
        for (int r = 0; r < reps; r++) {
            cJSON *b = cJSON_CreateObject();
            char name[64];
            snprintf(name, sizeof name, "%s/manual_time", kernels[k]);
            cJSON_AddStringToObject(b, "name", name);
            cJSON_AddStringToObject(b, "run_name", name);
            cJSON_AddStringToObject(b, "run_type", "iteration");
            cJSON_AddNumberToObject(b, "repetitions", reps);
            cJSON_AddNumberToObject(b, "iterations", 10);
            double f = (slow && !strcmp(slow, kernels[k])) ? factor : 1.0;
            double j = 1 + jitter * ((r % 3) - 1) + 0.001 * r;
            cJSON_AddNumberToObject(b, "roofline_fraction", rf[k] * f * j);
            cJSON_AddNumberToObject(b, "real_time", 1e-3 / (rf[k] * f * j));
            cJSON_AddItemToArray(list, b);
        }
    return root;
}

static int run(cJSON *a, cJSON *b, double thr, sb_cmp_result *r, sb_err *e)
{
    sb_cmp_set sa, sb;
    ck_assert_int_eq(sb_cmp_from_json(a, "base.json", &sa, e), SB_OK);
    ck_assert_int_eq(sb_cmp_from_json(b, "new.json", &sb, e), SB_OK);
    sb_cmp_opts o = {.threshold = thr, .alpha = 0.05};
    int rc = sb_cmp_run(&sa, &sb, &o, r, e);
    sb_cmp_set_free(&sa);
    sb_cmp_set_free(&sb);
    cJSON_Delete(a);
    cJSON_Delete(b);
    return rc;
}

START_TEST(identical_passes)
{
    sb_cmp_result r;
    sb_err e = {0, ""};
    ck_assert_int_eq(run(micro_doc(1, NULL, 1, 0), micro_doc(1, NULL, 1, 0), 0.05, &r, &e),
                     SB_OK);
    ck_assert_int_eq(r.matched, 3);
    ck_assert_int_eq(r.regressions, 0);
    ck_assert_uint_eq(r.n, 3); /* one tracked metric each: roofline_fraction */
    for (size_t i = 0; i < r.n; i++) {
        ck_assert_str_eq(r.rows[i].metric, "roofline_fraction");
        ck_assert_int_eq(r.rows[i].verdict, SB_CMP_SAME);
    }
    sb_cmp_result_free(&r);
}
END_TEST

START_TEST(planted_regression_single)
{
    sb_cmp_result r;
    sb_err e = {0, ""};
    ck_assert_int_eq(
        run(micro_doc(1, NULL, 1, 0), micro_doc(1, "pack/16M", 0.8, 0), 0.05, &r, &e),
        SB_OK);
    ck_assert_int_eq(r.regressions, 1);
    int found = 0;
    for (size_t i = 0; i < r.n; i++)
        if (strstr(r.rows[i].bench, "pack/16M")) {
            found = 1;
            ck_assert_int_eq(r.rows[i].verdict, SB_CMP_WORSE);
            ck_assert_double_eq_tol(r.rows[i].change, -0.2, 1e-9);
            ck_assert_int_eq(r.rows[i].tested, 0); /* one sample a side: no rank test */
        } else {
            ck_assert_int_eq(r.rows[i].verdict, SB_CMP_SAME);
        }
    ck_assert(found);
    sb_cmp_result_free(&r);
    /* The same drop as an improvement is not a regression; a threshold above it hides it. */
    ck_assert_int_eq(
        run(micro_doc(1, NULL, 1, 0), micro_doc(1, "pack/16M", 1.2, 0), 0.05, &r, &e),
        SB_OK);
    ck_assert_int_eq(r.regressions, 0);
    sb_cmp_result_free(&r);
    ck_assert_int_eq(
        run(micro_doc(1, NULL, 1, 0), micro_doc(1, "pack/16M", 0.8, 0), 0.25, &r, &e),
        SB_OK);
    ck_assert_int_eq(r.regressions, 0);
    sb_cmp_result_free(&r);
}
END_TEST

/* With 5 repetitions a side the rank test runs: a clean 20% shift is significant; a
 * difference that is only noise (jitter larger than the change) is not. */
START_TEST(planted_regression_reps)
{
    sb_cmp_result r;
    sb_err e = {0, ""};
    ck_assert_int_eq(
        run(micro_doc(5, NULL, 1, 0.02), micro_doc(5, "vote/16M", 0.8, 0.02), 0.05, &r, &e),
        SB_OK);
    ck_assert_int_eq(r.regressions, 1);
    for (size_t i = 0; i < r.n; i++)
        if (strstr(r.rows[i].bench, "vote/16M")) {
            ck_assert_int_eq(r.rows[i].tested, 1);
            ck_assert_uint_eq(r.rows[i].n_base, 5);
            ck_assert(r.rows[i].p < 0.05);
        }
    sb_cmp_result_free(&r);
    /* Jitter of +-30% around a 10% shift: past the threshold, but not significant. */
    ck_assert_int_eq(
        run(micro_doc(5, NULL, 1, 0.3), micro_doc(5, "vote/16M", 0.9, 0.3), 0.05, &r, &e),
        SB_OK);
    ck_assert_int_eq(r.regressions, 0);
    int noise = 0;
    for (size_t i = 0; i < r.n; i++)
        noise += r.rows[i].verdict == SB_CMP_NOISE;
    ck_assert_int_eq(noise, 1);
    sb_cmp_result_free(&r);
}
END_TEST

static cJSON *summary_doc(double steps, int reached, double loss)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "schema", "signbench-summary");
    cJSON_AddNumberToObject(root, "version", 1);
    cJSON *list = cJSON_AddArrayToObject(root, "benchmarks");
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "name", "train/logreg/signum/seed1");
    cJSON *m = cJSON_AddObjectToObject(b, "metrics");
    if (reached)
        cJSON_AddNumberToObject(m, "steps_to_target", steps);
    else
        cJSON_AddNullToObject(m, "steps_to_target");
    cJSON_AddNumberToObject(m, "f_final", loss);
    cJSON_AddItemToArray(list, b);
    return root;
}

START_TEST(convergence_metrics)
{
    sb_cmp_result r;
    sb_err e = {0, ""};
    /* 20% more steps to target: regression (higher is worse). */
    ck_assert_int_eq(
        run(summary_doc(1000, 1, 0.1), summary_doc(1200, 1, 0.1), 0.05, &r, &e), SB_OK);
    ck_assert_int_eq(r.regressions, 1);
    sb_cmp_result_free(&r);
    /* Fewer steps and lower loss: better, no regression. */
    ck_assert_int_eq(
        run(summary_doc(1000, 1, 0.1), summary_doc(800, 1, 0.05), 0.05, &r, &e), SB_OK);
    ck_assert_int_eq(r.regressions, 0);
    for (size_t i = 0; i < r.n; i++)
        ck_assert_int_eq(r.rows[i].verdict, SB_CMP_BETTER);
    sb_cmp_result_free(&r);
    /* Target no longer reached: regression; reached by neither: the same. */
    ck_assert_int_eq(run(summary_doc(1000, 1, 0.1), summary_doc(0, 0, 0.1), 0.05, &r, &e),
                     SB_OK);
    ck_assert_int_eq(r.regressions, 1);
    sb_cmp_result_free(&r);
    ck_assert_int_eq(run(summary_doc(0, 0, 0.1), summary_doc(0, 0, 0.1), 0.05, &r, &e),
                     SB_OK);
    ck_assert_int_eq(r.regressions, 0);
    sb_cmp_result_free(&r);
}
END_TEST

static int load_text(const char *text, sb_cmp_set *s, sb_err *e)
{
    char path[] = "/tmp/sb-test-compare-XXXXXX";
    int fd = mkstemp(path);
    ck_assert(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
    int rc = sb_cmp_load(path, s, e);
    remove(path);
    return rc;
}

START_TEST(malformed_inputs)
{
    sb_cmp_set s;
    sb_err e = {0, ""};
    ck_assert_int_eq(load_text("", &s, &e), SB_EUSAGE);
    ck_assert_ptr_nonnull(strstr(e.msg, "empty"));
    ck_assert_int_eq(load_text("{\"benchmarks\": [", &s, &e), SB_EUSAGE);
    ck_assert_ptr_nonnull(strstr(e.msg, "not valid JSON"));
    ck_assert_int_eq(load_text("[1, 2]", &s, &e), SB_EUSAGE);
    ck_assert_int_eq(load_text("{\"foo\": 1}", &s, &e), SB_EUSAGE);
    ck_assert_ptr_nonnull(strstr(e.msg, "not a result file"));
    ck_assert_int_eq(load_text("{\"benchmarks\": []}", &s, &e), SB_EUSAGE);
    ck_assert_ptr_nonnull(strstr(e.msg, "no benchmarks"));
    ck_assert_int_eq(load_text("{\"benchmarks\": [{\"real_time\": 1}]}", &s, &e),
                     SB_EUSAGE);
    ck_assert_ptr_nonnull(strstr(e.msg, "no 'name'"));
    ck_assert_int_eq(sb_cmp_load("/nonexistent/x.json", &s, &e), SB_EUSAGE);
    ck_assert(strchr(e.msg, '\n') == NULL);
}
END_TEST

START_TEST(mismatched_inputs)
{
    sb_cmp_result r;
    sb_err e = {0, ""};
    /* Different kinds. */
    ck_assert_int_eq(run(micro_doc(1, NULL, 1, 0), summary_doc(1, 1, 1), 0.05, &r, &e),
                     SB_EUSAGE);
    /* No common names. */
    cJSON *a = micro_doc(1, NULL, 1, 0), *b = micro_doc(1, NULL, 1, 0);
    cJSON *item;
    cJSON_ArrayForEach(item, cJSON_GetObjectItem(b, "benchmarks"))
    {
        cJSON_ReplaceItemInObject(item, "run_name", cJSON_CreateString("other"));
    }
    ck_assert_int_eq(run(a, b, 0.05, &r, &e), SB_EUSAGE);
    ck_assert_ptr_nonnull(strstr(e.msg, "no benchmark name"));
    /* A metric nobody has, and one with no known direction. */
    sb_cmp_set sa, sb;
    cJSON *d = micro_doc(1, NULL, 1, 0);
    ck_assert_int_eq(sb_cmp_from_json(d, "a", &sa, &e), SB_OK);
    ck_assert_int_eq(sb_cmp_from_json(d, "b", &sb, &e), SB_OK);
    cJSON_Delete(d);
    const char *m1[] = {"no_such_metric:higher"}, *m2[] = {"no_such_metric"},
               *m3[] = {"real_time"};
    sb_cmp_opts o = {.threshold = 0.05, .metrics = m1, .nmetrics = 1};
    ck_assert_int_eq(sb_cmp_run(&sa, &sb, &o, &r, &e), SB_EUSAGE);
    o.metrics = m2;
    ck_assert_int_eq(sb_cmp_run(&sa, &sb, &o, &r, &e), SB_EUSAGE);
    ck_assert_ptr_nonnull(strstr(e.msg, "direction"));
    o.metrics = m3;
    ck_assert_int_eq(sb_cmp_run(&sa, &sb, &o, &r, &e), SB_OK);
    ck_assert_int_eq(r.regressions, 0);
    sb_cmp_result_free(&r);
    sb_cmp_set_free(&sa);
    sb_cmp_set_free(&sb);
}
END_TEST

START_TEST(thresholds)
{
    double t;
    sb_err e = {0, ""};
    ck_assert_int_eq(sb_cmp_parse_threshold("5%", &t, &e), SB_OK);
    ck_assert_double_eq_tol(t, 0.05, 1e-15);
    ck_assert_int_eq(sb_cmp_parse_threshold("0.2", &t, &e), SB_OK);
    ck_assert_double_eq_tol(t, 0.2, 1e-15);
    ck_assert_int_eq(sb_cmp_parse_threshold("abc", &t, &e), SB_EUSAGE);
    ck_assert_int_eq(sb_cmp_parse_threshold("-5%", &t, &e), SB_EUSAGE);
    ck_assert_int_eq(sb_cmp_parse_threshold("5%x", &t, &e), SB_EUSAGE);
}
END_TEST

/* Google Benchmark files written with aggregates only: the median rows are the values. */
START_TEST(aggregates_only)
{
    const char *text =
        "{\"context\": {}, \"benchmarks\": ["
        "{\"name\": \"k/manual_time_mean\", \"run_name\": \"k/manual_time\", "
        "\"run_type\": \"aggregate\", \"aggregate_name\": \"mean\", "
        "\"roofline_fraction\": 0.1},"
        "{\"name\": \"k/manual_time_median\", \"run_name\": \"k/manual_time\", "
        "\"run_type\": \"aggregate\", \"aggregate_name\": \"median\", "
        "\"roofline_fraction\": 0.9}]}";
    cJSON *j = cJSON_Parse(text);
    sb_cmp_set s;
    sb_err e = {0, ""};
    ck_assert_int_eq(sb_cmp_from_json(j, "agg.json", &s, &e), SB_OK);
    ck_assert_uint_eq(s.n, 1);
    ck_assert_str_eq(s.b[0].name, "k/manual_time");
    int found = 0;
    for (int i = 0; i < s.b[0].nm; i++)
        if (!strcmp(s.b[0].m[i].name, "roofline_fraction")) {
            found = 1;
            ck_assert_uint_eq(s.b[0].m[i].n, 1);
            ck_assert_double_eq(s.b[0].m[i].v[0], 0.9);
        }
    ck_assert(found);
    sb_cmp_set_free(&s);
    cJSON_Delete(j);
}
END_TEST

/* A filter keeps only the matching benchmarks: the planted regression elsewhere is out. */
START_TEST(filtered)
{
    sb_cmp_set sa, sb;
    sb_err e = {0, ""};
    cJSON *a = micro_doc(1, NULL, 1, 0), *b = micro_doc(1, "pack/16M", 0.5, 0);
    ck_assert_int_eq(sb_cmp_from_json(a, "a", &sa, &e), SB_OK);
    ck_assert_int_eq(sb_cmp_from_json(b, "b", &sb, &e), SB_OK);
    sb_cmp_opts o = {.threshold = 0.05, .filter = "update_"};
    sb_cmp_result r;
    ck_assert_int_eq(sb_cmp_run(&sa, &sb, &o, &r, &e), SB_OK);
    ck_assert_int_eq(r.matched, 1);
    ck_assert_int_eq(r.regressions, 0);
    sb_cmp_result_free(&r);
    o.filter = "pack/";
    ck_assert_int_eq(sb_cmp_run(&sa, &sb, &o, &r, &e), SB_OK);
    ck_assert_int_eq(r.regressions, 1);
    sb_cmp_result_free(&r);
    o.filter = "nothing-matches";
    ck_assert_int_eq(sb_cmp_run(&sa, &sb, &o, &r, &e), SB_EUSAGE);
    sb_cmp_set_free(&sa);
    sb_cmp_set_free(&sb);
    cJSON_Delete(a);
    cJSON_Delete(b);
}
END_TEST

static cJSON *gbench(const char *name, double frac)
{
    char text[512];
    snprintf(text, sizeof text,
             "{\"context\": {\"device\": \"t\"}, \"benchmarks\": [{\"name\": \"%s\", "
             "\"run_type\": \"iteration\", \"roofline_fraction\": %g}]}",
             name, frac);
    cJSON *j = cJSON_Parse(text);
    ck_assert_ptr_nonnull(j);
    return j;
}

static int matched(const char *a, const char *b)
{
    sb_err e = {0, ""};
    cJSON *ja = gbench(a, 0.5), *jb = gbench(b, 0.5);
    sb_cmp_set sa, sb;
    ck_assert_int_eq(sb_cmp_from_json(ja, "a", &sa, &e), SB_OK);
    ck_assert_int_eq(sb_cmp_from_json(jb, "b", &sb, &e), SB_OK);
    sb_cmp_opts o = {.threshold = 0.05, .alpha = 0.05};
    sb_cmp_result r;
    memset(&r, 0, sizeof r);
    int st = sb_cmp_run(&sa, &sb, &o, &r, &e);
    int m = st == SB_OK ? r.matched : 0;
    if (st == SB_OK) /* the row keeps BASE's full name */
        ck_assert_str_eq(r.rows[0].bench, a);
    sb_cmp_result_free(&r);
    sb_cmp_set_free(&sa);
    sb_cmp_set_free(&sb);
    cJSON_Delete(ja);
    cJSON_Delete(jb);
    return m;
}

START_TEST(compare_ignores_repeats)
{
    ck_assert_int_eq(matched("copy/ocl/1000003/repeats:10/manual_time",
                             "copy/ocl/1000003/repeats:12/manual_time"),
                     1);
    ck_assert_int_eq(matched("copy/ocl/4096/repeats:3", "copy/ocl/4096/repeats:12"), 1);
    ck_assert_int_eq(matched("copy/ocl/4096/repeats:3", "copy/ocl/4096"), 1);
    /* only the /repeats:N part: other differences still count */
    ck_assert_int_eq(matched("copy/ocl/4096/repeats:3", "copy/ocl/4097/repeats:3"), 0);
    ck_assert_int_eq(matched("copy/ocl/4096/repeats:x", "copy/ocl/4096/repeats:1"), 0);
    ck_assert_int_eq(matched("copy/ocl/4096/repeats:10x", "copy/ocl/4096/repeats:10y"), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("compare");
    TCase *tc = sb_test_tcase(s, "compare", 0);
    tcase_add_test(tc, identical_passes);
    tcase_add_test(tc, planted_regression_single);
    tcase_add_test(tc, planted_regression_reps);
    tcase_add_test(tc, convergence_metrics);
    tcase_add_test(tc, malformed_inputs);
    tcase_add_test(tc, mismatched_inputs);
    tcase_add_test(tc, thresholds);
    tcase_add_test(tc, aggregates_only);
    tcase_add_test(tc, filtered);
    tcase_add_test(tc, compare_ignores_repeats);
    return sb_test_run(s);
}
