/* test_workers.c - workers on two devices at once (PoCL's pthread and basic devices):
 * the same x as --workers 2 on one device, and a device that fails mid-run stops every
 * worker with one line naming it (no thread left waiting). */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"
#include "testutil.h"
#include "workers.h"

static sb_devref devs[2];
static char both[64];

/* One quad run set up on dev: context, kernels, problem, pipeline (pack, sgd). */
typedef struct run {
    sb_ctx ctx;
    sb_ops ops;
    sb_problem *prob;
    sb_pipeline pl;
    sb_problem_opts po;
} run;

static void run_open(run *r, const sb_devref *dev)
{
    sb_err e = {0, ""};
    memset(r, 0, sizeof *r);
    ck_assert_msg(sb_ctx_open_dev(&r->ctx, dev, NULL, &e) == SB_OK, "%s", e.msg);
    ck_assert_msg(sb_ops_init(&r->ops, &r->ctx, &e) == SB_OK, "%s", e.msg);
    sb_problem_opts_init(&r->po);
    r->po.name = "quad";
    r->po.d = 300;
    r->po.seed = 5;
    ck_assert_msg(sb_problem_create(&r->po, &r->ctx, &r->prob, &e) == SB_OK, "%s", e.msg);
    const sb_optim_info *o = sb_optim_find("sgd");
    sb_optim_params in, hp;
    sb_optim_params_init(&in);
    in.lr = 0.01;
    ck_assert_int_eq(sb_optim_resolve(o, &in, &hp, &e), SB_OK);
    sb_oracle orc = {.sigma = 1.0, .seed = 9};
    float *x0 = malloc(4 * r->prob->d);
    for (size_t i = 0; i < r->prob->d; i++)
        x0[i] = (float)r->prob->x0[i];
    ck_assert_msg(sb_pipeline_init(&r->pl, &r->ops, r->prob, o, &hp, &orc, SB_COMP_PACK, 9,
                                   x0, &e) == SB_OK,
                  "%s", e.msg);
    free(x0);
}

static void run_close(run *r)
{
    sb_pipeline_free(&r->pl);
    sb_problem_free(r->prob);
    sb_ops_free(&r->ops);
    sb_ctx_close(&r->ctx);
}

START_TEST(same_x_as_one_device)
{
    sb_err e = {0, ""};
    run a, b;
    run_open(&a, &devs[0]);
    run_open(&b, &devs[0]);
    sb_workers *ws = NULL;
    ck_assert_msg(sb_workers_open(&ws, both, &a.pl, &a.po, NULL, &e) == SB_OK, "%s", e.msg);
    ck_assert_int_eq(sb_pipeline_set_workers(&b.pl, 2, &e), SB_OK);
    for (int k = 0; k < 10; k++) {
        ck_assert_msg(sb_workers_step(ws, &e) == SB_OK, "%s", e.msg);
        ck_assert_msg(sb_pipeline_step(&b.pl, &e) == SB_OK, "%s", e.msg);
    }
    ck_assert_uint_eq(a.pl.calls, b.pl.calls);
    size_t d = a.pl.d;
    float *xa = malloc(4 * d), *xb = malloc(4 * d);
    ck_assert_int_eq(sb_pipeline_read_x(&a.pl, xa, &e), SB_OK);
    ck_assert_int_eq(sb_pipeline_read_x(&b.pl, xb, &e), SB_OK);
    ck_assert_msg(memcmp(xa, xb, 4 * d) == 0, "x differs from --workers 2");
    ck_assert_int_eq(sb_workers_finish(ws, 3, &e), SB_OK);
    ck_assert(sb_workers_x_diff(ws) == 0);
    ck_assert_int_eq(sb_workers_count(ws), 2);
    for (int w = 0; w < 2; w++)
        ck_assert(sb_workers_figures(ws, w)->compute_s > 0);
    free(xa);
    free(xb);
    sb_workers_free(ws);
    run_close(&b);
    run_close(&a);
}
END_TEST

START_TEST(failing_device_stops_all)
{
    sb_err e = {0, ""};
    run a;
    run_open(&a, &devs[0]);
    sb_workers *ws = NULL;
    ck_assert_msg(sb_workers_open(&ws, both, &a.pl, &a.po, NULL, &e) == SB_OK, "%s", e.msg);
    ck_assert_msg(sb_workers_step(ws, &e) == SB_OK, "%s", e.msg);
    /* The first device fails mid-run: its compression kernel is refused a launch (a
     * work-group larger than any device takes), while the second worker is on its way
     * to the aggregate. */
    size_t keep = a.ops.local;
    a.ops.local = (size_t)1 << 20;
    int st = sb_workers_step(ws, &e);
    a.ops.local = keep;
    ck_assert_int_eq(st, SB_ERUNTIME);
    char want[64];
    snprintf(want, sizeof want, "worker 0 on device %d:%d", devs[0].platform,
             devs[0].device);
    ck_assert_msg(strstr(e.msg, want) && !strchr(e.msg, '\n'), "%s", e.msg);
    sb_workers_free(ws);
    run_close(&a);
}
END_TEST

int main(void)
{
    setenv("POCL_DEVICES", "pthread basic", 1);
    sb_test_require_device();
    const sb_devref *all;
    int n = 0, k = 0;
    sb_err e;
    if (sb_devices_all(&all, &n, &e) != SB_OK)
        return 77;
    for (int i = 0; i < n && k < 2; i++)
        if (strstr(all[i].platform_name, "Portable"))
            devs[k++] = all[i];
    if (k < 2) {
        fprintf(stderr, "PoCL gives no second device here: skipping\n");
        return 77;
    }
    snprintf(both, sizeof both, "%d:%d,%d:%d", devs[0].platform, devs[0].device,
             devs[1].platform, devs[1].device);
    Suite *s = suite_create("workers");
    TCase *tc = sb_test_tcase(s, "workers", 120);
    tcase_add_test(tc, same_x_as_one_device);
    tcase_add_test(tc, failing_device_stops_all);
    return sb_test_run(s);
}
