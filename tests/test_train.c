/* test_train.c - optimisers and training runs: each optimiser's device step equals its host
 * reference, seeded runs repeat exactly, divergence is caught, targets are exact, domain rule. */
#include <math.h>
#include <string.h>

#include "oracle.h"
#include "pipeline.h"
#include "ref.h"
#include "testutil.h"
#include "train.h"
#include "json.h"

/* Distance in units in the last place between two finite floats. */
static uint32_t ulps(float a, float b)
{
    if (a == b)
        return 0;
    int32_t ia, ib;
    memcpy(&ia, &a, 4);
    memcpy(&ib, &b, 4);
    if (ia < 0)
        ia = (int32_t)(0x80000000u - (uint32_t)ia);
    if (ib < 0)
        ib = (int32_t)(0x80000000u - (uint32_t)ib);
    int64_t d = (int64_t)ia - (int64_t)ib;
    return (uint32_t)(d < 0 ? -d : d);
}

static void fill(float *v, size_t n, uint64_t seed, uint64_t step, double scale)
{
    double *t = malloc(sizeof(double) * n);
    sb_normals(seed, 7, step, n, t);
    for (size_t i = 0; i < n; i++)
        v[i] = (float)(scale * t[i]);
    free(t);
}

static cl_mem upload(sb_ctx *ctx, const float *v, size_t n)
{
    cl_mem m;
    sb_err e;
    ck_assert_int_eq(sb_buffer(ctx, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR,
                               sizeof(float) * n, (void *)v, &m, &e),
                     SB_OK);
    return m;
}

static void download(sb_ctx *ctx, cl_mem m, float *v, size_t n)
{
    ck_assert_int_eq(
        clEnqueueReadBuffer(ctx->queue, m, CL_TRUE, 0, sizeof(float) * n, v, 0, NULL, NULL),
        CL_SUCCESS);
}

/* The device and kernels of the device tests: opened before each by a checked fixture
 * (inside the test run, never before it), released after it. */
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

/* Every registered optimiser, three weight-decay modes, the invsqrt schedule: five device
 * steps from the same state as the host reference, compared element by element. */
START_TEST(steps_match_reference)
{
    sb_err e = {0, ""};
    const size_t n = 1037; /* not a multiple of any work-group size */
    float *x = malloc(4 * n), *g = malloc(4 * n), *s1 = calloc(n, 4), *s2 = calloc(n, 4);
    float *dx = malloc(4 * n), *ds1 = malloc(4 * n), *ds2 = malloc(4 * n);
    for (const sb_optim_info *o = sb_optims; o->name; o++) {
        for (int wdm = 0; wdm < 3; wdm++) {
            sb_optim_params in, p;
            sb_optim_params_init(&in);
            in.lr = 0.05;
            in.sched = SB_SCHED_INVSQRT;
            in.wd = wdm ? 0.01 : 0;
            in.decoupled = wdm == 2;
            in.pgd_gthres = 1e9;
            in.pgd_tthres = 2; /* pgd: perturb at steps 0, 2, 4; GD at 1, 3 */
            ck_assert_int_eq(sb_optim_resolve(o, &in, &p, &e), SB_OK);
            fill(x, n, 11, 0, 1.0);
            memset(s1, 0, 4 * n);
            memset(s2, 0, 4 * n);
            cl_mem bx = upload(&ctx, x, n), bs1 = upload(&ctx, s1, n),
                   bs2 = upload(&ctx, s2, n);
            cl_mem bg = upload(&ctx, x, n), btmp = upload(&ctx, x, n);
            sb_pgd_state hp = {-1, 0}, dp = {-1, 0};
            for (uint64_t k = 0; k < 5; k++) {
                fill(g, n, 12, k, 2.0);
                if (k == 3)
                    memset(g, 0, 4 * 16); /* exact zeros: sign(0) = 0 paths */
                ck_assert_int_eq(clEnqueueWriteBuffer(ctx.queue, bg, CL_TRUE, 0, 4 * n, g,
                                                      0, NULL, NULL),
                                 CL_SUCCESS);
                ck_assert_msg(sb_optim_step(&ops, o, &p, &dp, 5, k, bx, bg, bs1, bs2, btmp,
                                            n, NULL, &e) == SB_OK,
                              "%s: %s", o->name, e.msg);
                sb_optim_host_step(o, &p, &hp, 5, k, x, g, s1, s2, n);
            }
            download(&ctx, bx, dx, n);
            download(&ctx, bs1, ds1, n);
            download(&ctx, bs2, ds2, n);
            uint32_t worst = 0;
            for (size_t i = 0; i < n; i++) {
                uint32_t u = ulps(x[i], dx[i]);
                if (sb_optim_kernel(o)->nstate >= 1 && ulps(s1[i], ds1[i]) > u)
                    u = ulps(s1[i], ds1[i]);
                if (sb_optim_kernel(o)->nstate >= 2 && ulps(s2[i], ds2[i]) > u)
                    u = ulps(s2[i], ds2[i]);
                /* ef-signsgd's error e = p - delta can cancel to near 0: absolute check */
                if (u > 8 && fabsf(s1[i] - ds1[i]) < 1e-7f && fabsf(x[i] - dx[i]) < 1e-6f)
                    u = 0;
                ck_assert_msg(u <= 8,
                              "%s wd mode %d: element %zu differs by %u ulp: host %.9g "
                              "device %.9g",
                              o->name, wdm, i, u, x[i], dx[i]);
                if (u > worst)
                    worst = u;
            }
            if (o->kind == SB_OPT_PGD) {
                ck_assert_uint_eq(dp.count, 3);
                ck_assert_uint_eq(hp.count, 3);
            }
            clReleaseMemObject(bx);
            clReleaseMemObject(bg);
            clReleaseMemObject(bs1);
            clReleaseMemObject(bs2);
            clReleaseMemObject(btmp);
        }
    }
    free(x), free(g), free(s1), free(s2), free(dx), free(ds1), free(ds2);
}
END_TEST

/* ngd takes no step at g = 0; pgd's perturbation has norm <= r. */
START_TEST(ngd_zero_and_pgd_ball)
{
    const sb_optim_info *ngd = sb_optim_find("ngd");
    sb_optim_params in, p;
    sb_err e;
    sb_optim_params_init(&in);
    ck_assert_int_eq(sb_optim_resolve(ngd, &in, &p, &e), SB_OK);
    float x[4] = {1, 2, 3, 4}, g[4] = {0, 0, 0, 0};
    sb_pgd_state st = {-1, 0};
    sb_optim_host_step(ngd, &p, &st, 1, 0, x, g, NULL, NULL, 4);
    ck_assert(x[0] == 1 && x[3] == 4);
    float xi[100];
    for (uint64_t k = 0; k < 50; k++) {
        sb_pgd_xi(3, k, 0.1, 100, xi);
        double n2 = 0;
        for (int i = 0; i < 100; i++)
            n2 += (double)xi[i] * xi[i];
        ck_assert(sqrt(n2) <= 0.1 * (1 + 1e-6));
        ck_assert(sqrt(n2) > 0);
    }
    /* Every optimiser steps with a kernel of ops.h; a fused one with its own, whose
     * name it bears; the names list comes from the registry. */
    for (const sb_optim_info *o = sb_optims; o->name; o++) {
        const sb_update_info *u = sb_optim_kernel(o);
        ck_assert_msg(u != NULL, "%s: no kernel %s", o->name, o->update);
        if (o->kind == SB_OPT_FUSED)
            ck_assert_str_eq(u->name, o->name);
        ck_assert_ptr_nonnull(strstr(sb_optim_names(), o->name));
    }
    /* Aliases and defaults. */
    ck_assert_ptr_eq(sb_optim_find("signgd"), sb_optim_find("signsgd"));
    ck_assert_ptr_eq(sb_optim_find("gd"), sb_optim_find("sgd"));
    ck_assert_ptr_null(sb_optim_find("nope"));
    ck_assert_int_eq(sb_optim_resolve(sb_optim_find("adam"), &in, &p, &e), SB_OK);
    ck_assert_double_eq(p.b2, 0.999);
    ck_assert_int_eq(sb_optim_resolve(sb_optim_find("lion"), &in, &p, &e), SB_OK);
    ck_assert_double_eq(p.b2, 0.99);
    ck_assert_double_eq(p.lr, 1e-3);
    in.lr = -1;
    ck_assert_int_eq(sb_optim_resolve(ngd, &in, &p, &e), SB_EUSAGE);
    /* Schedules. */
    sb_optim_params_init(&in);
    in.lr = 1;
    in.sched = SB_SCHED_INVSQRT;
    ck_assert_int_eq(sb_optim_resolve(ngd, &in, &p, &e), SB_OK);
    ck_assert_double_eq_tol(sb_sched_lr(&p, 3), 0.5, 1e-15);
    p.sched = SB_SCHED_STEP;
    p.gamma = 0.5;
    p.step_every = 10;
    ck_assert_double_eq(sb_sched_lr(&p, 9), 1);
    ck_assert_double_eq(sb_sched_lr(&p, 25), 0.25);
}
END_TEST

/* A 50-dimensional quadratic on the fixture's device, defaults otherwise. */
static void quad_cfg(sb_train_cfg *c, const char *opt)
{
    sb_train_cfg_default(c);
    c->problem.name = "quad";
    c->problem.d = 50;
    c->optimizer = opt;
    c->ctx = &ctx;
    c->ops = &ops;
}

/* One training run that must succeed; a failure names the optimiser and the error. */
static void run_ok(const sb_train_cfg *c, sb_train_result *r)
{
    sb_err e = {0, ""};
    ck_assert_msg(sb_train_run(c, r, &e) == SB_OK, "%s: %s", c->optimizer, e.msg);
}

/* Same seed: the same trace, bit for bit (with or without the per-phase timing);
 * another seed: another trace. */
START_TEST(seeded_runs_repeat)
{
    const char *opts[] = {"adam", "signum", "pgd"};
    for (int k = 0; k < 3; k++) {
        sb_train_cfg c;
        quad_cfg(&c, opts[k]);
        c.problem.name = k == 2 ? "tube-rotated" : "quad-rotated";
        c.problem.d = 10;
        c.sigma = 0.3;
        c.steps = 60;
        c.hyper.lr = 0.01;
        c.hyper.pgd_gthres = 1e9;
        c.hyper.pgd_tthres = 7;
        sb_train_result r[3];
        for (int i = 0; i < 3; i++) {
            c.seed = i == 2 ? 99 : 42;
            c.no_split = i == 1; /* fewer synchronisations, same numbers */
            run_ok(&c, &r[i]);
            ck_assert_uint_eq(r[i].steps, 60);
            ck_assert_uint_eq(r[i].ntrace, 61);
        }
        /* Compare values, not structs: elapsed times differ. */
        for (size_t i = 0; i < 61; i++) {
            ck_assert(r[0].trace[i].f == r[1].trace[i].f);
            ck_assert(r[0].trace[i].grad1 == r[1].trace[i].grad1);
            ck_assert(r[0].trace[i].evals == r[1].trace[i].evals);
        }
        int differs = 0;
        for (size_t i = 1; i < 61; i++)
            differs |= r[0].trace[i].f != r[2].trace[i].f;
        ck_assert_msg(differs, "%s: seeds 42 and 99 gave the same trace", opts[k]);
        for (int i = 0; i < 3; i++)
            sb_train_result_free(&r[i]);
    }
}
END_TEST

/* The whole pipeline against a host loop: the problem's double reference gradient, the
 * optimiser's host step. Noise-free, so only rounding separates them. */
START_TEST(pipeline_matches_host_loop)
{
    sb_err e = {0, ""};
    const char *opts[] = {"adam", "momentum", "rmsprop", "sgd"};
    for (int k = 0; k < 4; k++) {
        sb_train_cfg c;
        quad_cfg(&c, opts[k]);
        c.problem.spectrum = "log";
        c.problem.cond = 10;
        c.hyper.lr = 0.05;
        c.hyper.sched = SB_SCHED_INVSQRT;
        c.steps = 40;
        sb_train_result r;
        run_ok(&c, &r);

        sb_problem_opts po = c.problem;
        po.seed = c.seed;
        sb_problem *p = NULL;
        ck_assert_msg(sb_problem_create(&po, NULL, &p, &e) == SB_OK, "%s", e.msg);
        const sb_optim_info *o = sb_optim_find(opts[k]);
        sb_optim_params hp;
        ck_assert_int_eq(sb_optim_resolve(o, &c.hyper, &hp, &e), SB_OK);
        size_t d = p->d;
        float *x = malloc(4 * d), *g = malloc(4 * d), *s1 = calloc(d, 4),
              *s2 = calloc(d, 4);
        double *xd = malloc(8 * d), *gd = malloc(8 * d), f = 0;
        for (size_t i = 0; i < d; i++)
            x[i] = (float)p->x0[i];
        sb_pgd_state st = {-1, 0};
        for (uint64_t step = 0; step < 40; step++) {
            for (size_t i = 0; i < d; i++)
                xd[i] = x[i];
            p->vt->host(p, xd, &f, gd);
            for (size_t i = 0; i < d; i++)
                g[i] = (float)gd[i];
            sb_optim_host_step(o, &hp, &st, c.seed, step, x, g, s1, s2, d);
        }
        for (size_t i = 0; i < d; i++)
            xd[i] = x[i];
        p->vt->host(p, xd, &f, NULL);
        ck_assert_msg(fabs(f - r.f_final) <= 1e-4 * fabs(f) + 1e-7,
                      "%s: device f %.9g, host loop f %.9g", opts[k], r.f_final, f);
        ck_assert(r.f_final < r.f0);
        free(x), free(g), free(s1), free(s2), free(xd), free(gd);
        sb_problem_free(p);
        sb_train_result_free(&r);
    }
}
END_TEST

/* Simulated workers: the pipeline's majority vote (pack) and mean (none) equal the host
 * references applied to the same per-worker device gradients. */
START_TEST(workers_aggregate)
{
    sb_err e = {0, ""};
    sb_problem_opts po;
    sb_problem_opts_init(&po);
    po.name = "quad";
    po.d = 100;
    po.seed = 3;
    sb_problem *p = NULL;
    ck_assert_msg(sb_problem_create(&po, &ctx, &p, &e) == SB_OK, "%s", e.msg);
    const size_t d = p->d, words = (d + 31) / 32;
    const sb_optim_info *o = sb_optim_find("sgd");
    sb_optim_params in, hp;
    sb_optim_params_init(&in);
    in.lr = 0.01;
    ck_assert_int_eq(sb_optim_resolve(o, &in, &hp, &e), SB_OK);
    sb_oracle orc = {.sigma = 1.0, .seed = 7};
    float *x0 = malloc(4 * d), *x = malloc(4 * d), *dx = malloc(4 * d), *gw = malloc(4 * d);
    float *v = malloc(4 * d), *mean = malloc(4 * d);
    uint32_t *bits = malloc(4 * words * 3), *vote = malloc(4 * words);
    for (size_t i = 0; i < d; i++)
        x0[i] = (float)p->x0[i];
    for (int mode = 0; mode < 2; mode++) {
        const int m = mode == 0 ? 3 : 2;
        sb_pipeline pl;
        ck_assert_msg(sb_pipeline_init(&pl, &ops, p, o, &hp, &orc,
                                       mode == 0 ? SB_COMP_PACK : SB_COMP_NONE, 7, x0,
                                       &e) == SB_OK,
                      "%s", e.msg);
        ck_assert_int_eq(sb_pipeline_set_workers(&pl, m, &e), SB_OK);
        memset(mean, 0, 4 * d);
        for (int w = 0; w < m; w++) {
            sb_oracle ow = orc;
            ow.seed = sb_worker_seed(orc.seed, w);
            uint64_t calls = 0;
            ck_assert_msg(p->vt->grad(p, pl.x, pl.g, &ow, 0, NULL, &calls, &e) == SB_OK,
                          "%s", e.msg);
            download(&ctx, pl.g, gw, d);
            if (mode == 0)
                sb_ref_pack(gw, bits + words * (size_t)w, d, 0);
            else
                sb_ref_rmw(mean, gw, d, 1.0f / (float)m, 0);
        }
        if (mode == 0) {
            sb_ref_vote(bits, m, d, vote, 0);
            sb_ref_unpack(vote, v, d, 0);
        } else {
            memcpy(v, mean, 4 * d);
        }
        memcpy(x, x0, 4 * d);
        sb_pgd_state st = {-1, 0};
        sb_optim_host_step(o, &hp, &st, 7, 0, x, v, NULL, NULL, d);
        ck_assert_msg(sb_pipeline_step(&pl, &e) == SB_OK, "%s", e.msg);
        ck_assert_uint_eq(pl.calls, (uint64_t)m);
        ck_assert_msg(sb_pipeline_read_x(&pl, dx, &e) == SB_OK, "%s", e.msg);
        int moved = 0;
        for (size_t i = 0; i < d; i++) {
            ck_assert_msg(ulps(x[i], dx[i]) <= (mode == 0 ? 0u : 4u),
                          "%s of %d workers, element %zu: host %.9g device %.9g",
                          mode == 0 ? "vote" : "mean", m, i, x[i], dx[i]);
            moved |= x[i] != x0[i];
        }
        ck_assert(moved);
        sb_pipeline_free(&pl);
    }
    free(x0), free(x), free(dx), free(gw), free(v), free(mean), free(bits), free(vote);
    sb_problem_free(p);
}
END_TEST

/* A huge step on a quadratic overflows: the run stops, says so, and returns SB_OK. */
START_TEST(divergence_detected)
{
    const char *opts[] = {"sgd", "momentum"};
    for (int k = 0; k < 2; k++) {
        sb_train_cfg c;
        quad_cfg(&c, opts[k]);
        c.hyper.lr = 1e6;
        c.steps = 500;
        sb_train_result r;
        run_ok(&c, &r);
        ck_assert_msg(r.diverged, "%s with lr 1e6 did not diverge (f_final %g)", opts[k],
                      r.f_final);
        ck_assert(r.diverged_step > 0 && r.diverged_step < 500);
        ck_assert_uint_eq(r.steps, r.diverged_step);
        ck_assert(strstr(r.diverged_reason, "NaN or inf") != NULL);
        cJSON *j = sb_train_summary_json(&c, &r);
        ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(j, "diverged")));
        ck_assert(cJSON_IsNumber(cJSON_GetObjectItem(j, "diverged_step")));
        cJSON_Delete(j);
        sb_train_result_free(&r);
        /* A sane step does not diverge. */
        c.hyper.lr = 0.1;
        run_ok(&c, &r);
        ck_assert(!r.diverged);
        sb_train_result_free(&r);
    }
}
END_TEST

/* signsgd reaches a gradient target on a small quadratic, and the summary says when;
 * sgd reaches a loss target. */
START_TEST(target_reached)
{
    sb_train_cfg c;
    quad_cfg(&c, "signsgd");
    c.problem.d = 10;
    c.hyper.lr = 0.01;
    c.target_grad1 = 0.5;
    sb_train_result r;
    run_ok(&c, &r);
    ck_assert_msg(r.reached, "signsgd: target not reached in %llu steps (grad1_min %g)",
                  (unsigned long long)r.steps, r.grad1_min);
    ck_assert_uint_eq(r.steps, r.steps_to_target);
    ck_assert(r.steps > 0 && r.grad1_final <= 0.5);
    ck_assert(r.grad1_min <= r.trace[0].grad1);
    ck_assert(r.t_grad + r.t_compress + r.t_aggregate + r.t_update + r.t_metrics <=
              r.time_s * 1.01 + 1e-3);
    ck_assert_uint_ge(r.evals, r.steps);
    sb_train_result_free(&r);

    quad_cfg(&c, "sgd");
    c.hyper.lr = 0.5;
    c.has_target_loss = 1;
    c.target_loss = 1e-3;
    run_ok(&c, &r);
    ck_assert(r.reached && r.f_final <= 1e-3);
    sb_train_result_free(&r);

    /* An evals budget with the theory schedule: n_k = k+1 calls at step k. */
    quad_cfg(&c, "signsgd");
    c.hyper.sched = SB_SCHED_THEORY;
    c.hyper.lr = 0.1;
    c.sigma = 0.1;
    c.evals = 55; /* 1 + 2 + ... + 10 */
    run_ok(&c, &r);
    ck_assert_uint_eq(r.steps, 10);
    ck_assert_uint_eq(r.evals, 55);
    ck_assert_msg(r.has_theory, "theory schedule on quad: no Theorem 1 bound");
    ck_assert(r.theory_bound > 0 && r.theory_bound <= r.theory_bound_loose);
    sb_train_result_free(&r);
}
END_TEST

/* Compression paths: sign, pack and scaled-sign in front of sgd match signsgd (sign,
 * pack away from zeros) and ef-style scaling. */
START_TEST(compression_paths)
{
    sb_err e = {0, ""};
    sb_train_cfg c;
    sb_train_result ref, r;
    quad_cfg(&c, "signsgd");
    c.problem.name = "quad-rotated";
    c.sigma = 0.5;
    c.steps = 30;
    c.hyper.lr = 0.01;
    run_ok(&c, &ref);
    const char *comp[] = {"sign", "pack"};
    for (int k = 0; k < 2; k++) {
        c.optimizer = "sgd";
        c.compress = comp[k];
        run_ok(&c, &r);
        for (size_t i = 0; i < r.ntrace; i++)
            ck_assert_msg(fabs(r.trace[i].f - ref.trace[i].f) <=
                              1e-6 * fabs(ref.trace[i].f),
                          "sgd + %s differs from signsgd at %zu: %g vs %g", comp[k], i,
                          r.trace[i].f, ref.trace[i].f);
        sb_train_result_free(&r);
    }
    c.compress = "scaled-sign";
    run_ok(&c, &r);
    ck_assert(!r.diverged && r.f_final < r.f0);
    sb_train_result_free(&r);
    c.compress = "bogus";
    ck_assert_int_eq(sb_train_run(&c, &r, &e), SB_EUSAGE);
    sb_train_result_free(&r);
    c.compress = "none";
    c.optimizer = "nope";
    ck_assert_int_eq(sb_train_run(&c, &r, &e), SB_EUSAGE);
    ck_assert(strstr(e.msg, "unknown optimizer") != NULL);
    sb_train_result_free(&r);
    sb_train_result_free(&ref);
}
END_TEST

/* The summary JSON carries the documented field names. */
START_TEST(summary_fields)
{
    sb_train_cfg c;
    quad_cfg(&c, "sgd");
    c.hyper.sched = SB_SCHED_INVSQRT;
    c.hyper.lr = 0.5;
    c.sigma = 0.1;
    c.steps = 20;
    sb_train_result r;
    run_ok(&c, &r);
    cJSON *j = sb_train_summary_json(&c, &r);
    const char *keys[] = {"schema",          "optimizer",       "problem",    "d",
                          "device",          "config",          "f0",         "f_final",
                          "f_best",          "grad1_min",       "grad2_min",  "steps",
                          "evals",           "time_s",          "time_split", "reached",
                          "steps_to_target", "evals_to_target", "diverged",   "theory"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        ck_assert_msg(cJSON_GetObjectItem(j, keys[i]) != NULL, "missing %s", keys[i]);
    cJSON *t = cJSON_GetObjectItem(j, "theory");
    ck_assert_str_eq(cJSON_GetObjectItem(t, "theorem")->valuestring, "Theorem 2 (SGD)");
    ck_assert_double_eq(cJSON_GetObjectItem(j, "steps")->valuedouble, 20);
    ck_assert(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "time_split"), "gradient"));
    cJSON_Delete(j);
    sb_train_result_free(&r);
}
END_TEST

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

int main(void)
{
    sb_test_require_device();
    Suite *s = suite_create("train");
    TCase *host = sb_test_tcase(s, "host", 0);
    tcase_add_test(host, ngd_zero_and_pgd_ball);
    TCase *tc = sb_test_tcase(s, "train", 120);
    tcase_add_checked_fixture(tc, device_open, device_close);
    tcase_add_test(tc, steps_match_reference);
    tcase_add_test(tc, seeded_runs_repeat);
    tcase_add_test(tc, pipeline_matches_host_loop);
    tcase_add_test(tc, workers_aggregate);
    tcase_add_test(tc, divergence_detected);
    tcase_add_test(tc, target_reached);
    tcase_add_test(tc, compression_paths);
    tcase_add_test(tc, summary_fields);
    tcase_add_test(tc, target_exact_whatever_log_every);
    tcase_add_test(tc, tube_domain_rule);
    return sb_test_run(s);
}
