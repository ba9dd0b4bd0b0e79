/* test_f1.c - review fixes at the library level: sb_train_result's exact steps/evals to
 * target whatever log_every, the tube domain rule, compare's /repeats:N name matching. */
#include <math.h>
#include <string.h>

#include "compare.h"
#include "testutil.h"
#include "train.h"

/* The device and kernels: opened before each device test by a checked fixture. */
static sb_ctx ctx;
static sb_ops ops;

static void device_open(void)
{
    sb_err e = {0, ""};
    sb_test_open(&ctx, NULL);
    ck_assert_msg(sb_ops_init(&ops, &ctx, &e) == SB_OK, "%s", e.msg);
}

static void device_close(void)
{
    sb_ops_free(&ops);
    sb_ctx_close(&ctx);
}

static void quad_target(sb_train_cfg *c, uint64_t log_every)
{
    sb_train_cfg_default(c);
    c->problem.name = "quad";
    c->problem.d = 10;
    c->optimizer = "sgd";
    c->hyper.lr = 0.1;
    c->target_grad1 = 0.5;
    c->log_every = log_every;
    c->ctx = &ctx;
    c->ops = &ops;
}

/* The first step whose full-gradient norm1 is <= 0.5, from a --log-every 1 trace, is
 * what the result reports with the auto interval (100) and with 7 too. */
START_TEST(target_exact_whatever_log_every)
{
    sb_err e = {0, ""};
    sb_train_cfg c;
    sb_train_result every, r;
    quad_target(&c, 1);
    ck_assert_msg(sb_train_run(&c, &every, &e) == SB_OK, "%s", e.msg);
    ck_assert(every.reached);
    uint64_t first = 0;
    for (size_t i = 0; i < every.ntrace; i++)
        if (every.trace[i].grad1 <= 0.5) {
            first = every.trace[i].step;
            break;
        }
    ck_assert_uint_gt(first, 1);
    ck_assert_uint_eq(every.steps_to_target, first);
    const uint64_t logs[] = {0, 7};
    for (int k = 0; k < 2; k++) {
        quad_target(&c, logs[k]);
        ck_assert_msg(sb_train_run(&c, &r, &e) == SB_OK, "%s", e.msg);
        ck_assert(r.reached);
        ck_assert_uint_eq(r.steps_to_target, first);
        ck_assert_uint_eq(r.evals_to_target, every.evals_to_target);
        ck_assert_uint_eq(r.steps, first);
        /* the trace is thinned, but ends at the target step */
        ck_assert_uint_lt(r.ntrace, every.ntrace);
        ck_assert_uint_eq(r.trace[r.ntrace - 1].step, first);
        sb_train_result_free(&r);
    }
    sb_train_result_free(&every);
}
END_TEST

/* strict stops at the first iterate outside the tube set; continuation counts it and
 * goes on; both agree on the step it left, and on a problem other than the tube nothing
 * is checked. */
START_TEST(tube_domain_rule)
{
    sb_err e = {0, ""};
    sb_train_cfg c;
    sb_train_result s, k;
    sb_train_cfg_default(&c);
    c.problem.name = "tube";
    c.problem.d = 3;
    c.optimizer = "sgd";
    c.hyper.lr = 0.5;
    c.steps = 50;
    c.ctx = &ctx;
    c.ops = &ops;
    c.problem.tube_strict = 1;
    ck_assert_msg(sb_train_run(&c, &s, &e) == SB_OK, "%s", e.msg);
    c.problem.tube_strict = 0;
    ck_assert_msg(sb_train_run(&c, &k, &e) == SB_OK, "%s", e.msg);
    ck_assert(s.tube_checked && s.tube_strict && s.left_domain);
    ck_assert(k.tube_checked && !k.tube_strict && k.left_domain);
    ck_assert_uint_eq(s.left_domain_step, k.left_domain_step);
    ck_assert_uint_eq(s.steps, s.left_domain_step);
    ck_assert_uint_eq(s.steps_outside_tube, 1);
    ck_assert_uint_eq(k.steps, 50);
    ck_assert_uint_ge(k.steps_outside_tube, 1);
    ck_assert_uint_lt(s.left_domain_step, 50);
    sb_train_result_free(&s);
    sb_train_result_free(&k);

    c.problem.name = "quad";
    c.hyper.lr = 0.1;
    c.steps = 5;
    ck_assert_msg(sb_train_run(&c, &s, &e) == SB_OK, "%s", e.msg);
    ck_assert(!s.tube_checked && !s.left_domain);
    sb_train_result_free(&s);
}
END_TEST

static cJSON *gbench(const char *name, double frac)
{
    char text[512];
    snprintf(text, sizeof text,
             "{\"context\": {\"device\": \"t\"}, \"benchmarks\": [{\"name\": \"%s\", "
             "\"run_type\": \"iteration\", \"roofline_fraction\": %g}]}", name, frac);
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
                             "copy/ocl/1000003/repeats:12/manual_time"), 1);
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
    sb_test_require_device();
    Suite *s = suite_create("f1");
    TCase *tc = sb_test_tcase(s, "train", 0);
    tcase_add_checked_fixture(tc, device_open, device_close);
    tcase_add_test(tc, target_exact_whatever_log_every);
    tcase_add_test(tc, tube_domain_rule);
    tcase_add_test(sb_test_tcase(s, "compare", 0), compare_ignores_repeats);
    return sb_test_run(s);
}
