/* test_tube.c - the tube kernels against the host reference (tube_grad, batched trajectories,
 * orbit detection, the axis-aligned claim) and the pens of the tube and figure1 plots. */
#include <math.h>
#include <string.h>

#include "oracle.h"
#include "orbit.h"
#include "plot.h"
#include "rotation.h"
#include "testutil.h"
#include "tube_batch.h"

/* ---- Brent on a constructed sequence: 7 steps of tail, then a cycle of 13 ---------- */

static void toy_step(int *z, void *ctx)
{
    (void)ctx;
    if (z[0] < 7)
        z[0]++;
    else
        z[1] = (z[1] + 1) % 13;
}

START_TEST(brent_known_cycle)
{
    int z[2] = {0, 0};
    sb_brent b;
    ck_assert_int_eq(sb_brent_init(&b, 2, z), 0);
    long k = 0;
    while (k < 1000) {
        toy_step(z, NULL);
        k++;
        if (sb_brent_push(&b, z))
            break;
    }
    ck_assert_int_eq(b.period, 13);
    int z0[2] = {0, 0};
    ck_assert_int_eq(sb_cycle_entry(2, z0, b.period, toy_step, NULL, k), 7);
    /* A wrong period never meets within the bound. */
    ck_assert_int_eq(sb_cycle_entry(2, z0, 5, toy_step, NULL, 200), -1);
    sb_brent_free(&b);
    double lo, hi;
    sb_wilson(50, 100, 1.96, &lo, &hi);
    ck_assert(fabs(lo - 0.4038) < 1e-3 && fabs(hi - 0.5962) < 1e-3);
    sb_wilson(0, 100, 1.96, &lo, &hi);
    ck_assert(lo == 0 && hi > 0.03 && hi < 0.04);
}
END_TEST

/* The device of the device tests: opened before each by a checked fixture (inside the test
 * run, never before it), closed after it. */
static sb_ctx ctx;

static void device_open(void)
{
    sb_test_open(&ctx, &(sb_opts){0});
}

static void device_close(void)
{
    sb_ctx_close(&ctx);
}

/* ---- tube_grad (one point, float) against sb_tube_eval (double) ------------------- */

START_TEST(tube_grad_matches_host)
{
    sb_err e = {0, ""};
    cl_kernel k;
    ck_assert_msg(sb_ctx_kernel(&ctx, "tube_grad", &k, &e) == SB_OK, "%s", e.msg);
    enum { D = 10, NPTS = 200 };
    sb_tube_params p = sb_tube_defaults();
    cl_mem bx, bg, bf;
    ck_assert_int_eq(sb_buffer(&ctx, CL_MEM_READ_WRITE, sizeof(float) * D, NULL, &bx, &e),
                     0);
    ck_assert_int_eq(sb_buffer(&ctx, CL_MEM_READ_WRITE, sizeof(float) * D, NULL, &bg, &e),
                     0);
    ck_assert_int_eq(sb_buffer(&ctx, CL_MEM_READ_WRITE, sizeof(float), NULL, &bf, &e), 0);
    cl_uint d = D;
    float L = (float)p.L, ga = (float)p.gamma, ta = (float)p.tau;
    clSetKernelArg(k, 0, sizeof bx, &bx);
    clSetKernelArg(k, 1, sizeof bg, &bg);
    clSetKernelArg(k, 2, sizeof bf, &bf);
    clSetKernelArg(k, 3, sizeof d, &d);
    clSetKernelArg(k, 4, sizeof L, &L);
    clSetKernelArg(k, 5, sizeof ga, &ga);
    clSetKernelArg(k, 6, sizeof ta, &ta);
    int regions_seen[D + 2] = {0};
    for (int n = 0; n < NPTS; n++) {
        /* Points spread over every region: n % 11 leading coordinates near +-4 tau,
         * then one in the spline piece or the quadratic one, then small ones. */
        double u[D], xd[D], gd[D], f;
        float xf[D], gf[D], ff;
        sb_uniforms(1234, SB_STREAM_START, (uint64_t)n, D, -1, 1, u);
        int lead = n % (D + 1);
        for (int j = 0; j < D; j++) {
            double v = j < lead ? 4 * p.tau + 1.5 * u[j]
                                : (j == lead ? 1.5 * p.tau * u[j] : 0.9 * p.tau * u[j]);
            xf[j] = (float)(j % 3 == 1 ? -v : v);
            xd[j] = xf[j];
        }
        int region, in_tube;
        ck_assert_int_eq(sb_tube_eval(D, xd, &p, &f, gd, &region, &in_tube), SB_OK);
        regions_seen[region]++;
        clEnqueueWriteBuffer(ctx.queue, bx, CL_TRUE, 0, sizeof xf, xf, 0, NULL, NULL);
        size_t one = 1;
        ck_assert_int_eq(
            clEnqueueNDRangeKernel(ctx.queue, k, 1, NULL, &one, NULL, 0, NULL, NULL),
            CL_SUCCESS);
        clEnqueueReadBuffer(ctx.queue, bg, CL_TRUE, 0, sizeof gf, gf, 0, NULL, NULL);
        clEnqueueReadBuffer(ctx.queue, bf, CL_TRUE, 0, sizeof ff, &ff, 0, NULL, NULL);
        /* float evaluation of terms up to ~1e3: a few ulp of the largest term. */
        ck_assert_msg(fabs(ff - f) <= 2e-4 * (1 + fabs(f)), "point %d: f %g vs %g", n, ff,
                      f);
        for (int j = 0; j < D; j++)
            ck_assert_msg(fabs(gf[j] - gd[j]) <= 1e-4 * (1 + fabs(gd[j])),
                          "point %d coord %d: g %g vs %g", n, j, gf[j], gd[j]);
    }
    for (int r = 1; r <= D + 1; r++)
        ck_assert_msg(regions_seen[r] > 0, "region %d not covered", r);
    clReleaseMemObject(bx);
    clReleaseMemObject(bg);
    clReleaseMemObject(bf);
    clReleaseKernel(k);
}
END_TEST

/* ---- batched trajectories ----------------------------------------------------------- */

/* Starts x0 = Q^T u with u uniform in [-1, 1]^d (DESIGN.md 5.1), one per trial. */
static void starts(size_t d, size_t trials, const double *Q, uint64_t seed, double *x0)
{
    double u[512];
    for (size_t t = 0; t < trials; t++) {
        sb_uniforms(seed + t, SB_STREAM_START, 0, d, -1, 1, u);
        if (Q)
            sb_matvec_t(d, Q + t * d * d, u, x0 + t * d);
        else
            memcpy(x0 + t * d, u, sizeof(double) * d);
    }
}

/* One constant-step signGD trajectory in the axis-aligned d = 2 tube from x0 for K
 * steps, run on the device (orbit detection every 7 steps); the caller frees out and
 * closes eng. */
static void signgd_d2(sb_tb_setup *s, sb_tb_traj *tr, double *x0, double lr, int K, int f64,
                      sb_tb_engine *eng, sb_tb_out *out)
{
    sb_tb_setup_defaults(s);
    *tr = (sb_tb_traj){SB_TB_SIGNGD, SB_TB_CONST, -1, -1, lr, 0};
    s->d = 2;
    s->B = 1;
    s->K = K;
    s->f64 = f64;
    s->x0 = x0;
    s->traj = tr;
    sb_err e = {0, ""};
    ck_assert_msg(sb_tb_engine_open(eng, &ctx, 2, f64, &e) == SB_OK, "%s", e.msg);
    ck_assert_msg(sb_tb_run(eng, s, 7, NULL, out, &e) == SB_OK, "%s", e.msg);
}

START_TEST(orbit_constructed_case)
{
    /* Axis-aligned d = 2, both coordinates in the basin: coordinate 1 at 4tau + 3.3 lr
     * walks down 3 steps, coordinate 2 at -(4tau + 5.3 lr) walks 5, then each flips
     * around 4tau forever: entry 5, period 2, region d + 1 = 3. */
    for (int f64 = 0; f64 <= ctx.fp64; f64++) {
        sb_tb_setup s;
        sb_tb_setup_defaults(&s);
        double lr = 0.05, tau = s.tube.tau;
        double x0[2] = {4 * tau + 3.3 * lr, -(4 * tau + 5.3 * lr)};
        sb_tb_traj tr;
        sb_tb_engine eng;
        sb_tb_out out;
        sb_err e = {0, ""};
        signgd_d2(&s, &tr, x0, lr, 100, f64, &eng, &out);
        sb_tb_result *r = &out.res[0];
        ck_assert(r->flags & SB_TB_ORBIT);
        ck_assert_int_eq(r->orb_period, 2);
        ck_assert_int_eq(r->orb_entry, 5);
        ck_assert_int_eq(r->orb_region, 3);
        ck_assert_int_eq(r->pass[2], 0);
        int pass[3];
        sb_tb_result h = {.pass = pass};
        ck_assert_int_eq(sb_tb_host(&s, 0, &h, NULL, 0, &e), SB_OK);
        ck_assert_int_eq(h.orb_period, 2);
        ck_assert_int_eq(h.orb_entry, 5);
        ck_assert_int_eq(h.orb_det, r->orb_det);
        /* Not a lattice method: no orbit claimed. */
        tr.sched = SB_TB_INVSQRT;
        sb_tb_out out2;
        ck_assert_msg(sb_tb_run(&eng, &s, 0, NULL, &out2, &e) == SB_OK, "%s", e.msg);
        ck_assert(!(out2.res[0].flags & SB_TB_ORBIT));
        sb_tb_out_free(&out2);
        sb_tb_out_free(&out);
        sb_tb_engine_close(&eng);
    }
}
END_TEST

START_TEST(orbit_near_saddle_only)
{
    /* Axis-aligned d = 2 from (0, lr/2): coordinate 1 sits on saddle 0's escape direction
     * with gradient exactly 0, coordinate 2 flips between +-lr/2 forever: a period-2 orbit
     * in region 1, every point lr/2 from saddle 0 (the origin). With lr 0.05 that is an
     * orbit around the saddle; with lr 6 the points (0, +-3) are farther than tau from it:
     * a cycle of a too-large step, an orbit not at a saddle. Device and host agree. */
    for (int f64 = 0; f64 <= ctx.fp64; f64++) {
        static const double lrs[2] = {0.05, 6};
        for (int i = 0; i < 2; i++) {
            sb_tb_setup s;
            double lr = lrs[i];
            double x0[2] = {0, 0.5 * lr};
            sb_tb_traj tr;
            sb_tb_engine eng;
            sb_tb_out out;
            sb_err e = {0, ""};
            signgd_d2(&s, &tr, x0, lr, 50, f64, &eng, &out);
            const sb_tb_result *r = &out.res[0];
            ck_assert(r->flags & SB_TB_ORBIT);
            ck_assert_int_eq(r->orb_period, 2);
            ck_assert_int_eq(r->orb_region, 1);
            ck_assert_msg(fabs(r->orb_dist - 0.5 * lr) < 1e-6, "lr %g: distance %g", lr,
                          r->orb_dist);
            ck_assert_int_eq(sb_tb_saddle_orbit(r, 2, &s.tube), i == 0);
            ck_assert_int_eq(sb_tb_other_orbit(r, 2, &s.tube), i == 1);
            int pass[3];
            sb_tb_result h = {.pass = pass};
            ck_assert_int_eq(sb_tb_host(&s, 0, &h, NULL, 0, &e), SB_OK);
            ck_assert_msg(fabs(h.orb_dist - r->orb_dist) < 1e-9, "host %g, device %g",
                          h.orb_dist, r->orb_dist);
            ck_assert_int_eq(sb_tb_saddle_orbit(&h, 2, &s.tube), i == 0);
            sb_tb_out_free(&out);
            sb_tb_engine_close(&eng);
        }
    }
}
END_TEST

/* Every optimiser on random rotations (and the axis-aligned tube) in d = 10, against the
 * host reference: same saddle passing steps, same orbits. */
START_TEST(batch_matches_host)
{
    enum { D = 10, TRIALS = 3, K = 3000 };
    double Q[TRIALS * D * D], x0s[TRIALS * D];
    sb_err e = {0, ""};
    for (int t = 0; t < TRIALS; t++)
        ck_assert_int_eq(sb_rotation_haar(D, 100 + t, Q + t * D * D, &e), SB_OK);
    starts(D, TRIALS, Q, 7, x0s);
    /* trials x {rotated, axis aligned} x 5 optimisers; signgd also with invsqrt */
    enum { NV = 6, B = TRIALS * 2 * NV };
    sb_tb_traj tr[B];
    double x0[B * D];
    size_t b = 0;
    for (int t = 0; t < TRIALS; t++)
        for (int rot = 0; rot < 2; rot++)
            for (int v = 0; v < NV; v++, b++) {
                int opt = v < SB_TB_NOPT ? v : SB_TB_SIGNGD;
                tr[b] = (sb_tb_traj){
                    opt,          v == SB_TB_NOPT ? SB_TB_INVSQRT : SB_TB_CONST,
                    rot ? t : -1, -1,
                    0.05,         0.9};
                memcpy(x0 + b * D, x0s + t * D, sizeof(double) * D);
            }
    int f64 = getenv("SB_TEST_F32") ? 0 : ctx.fp64;
    sb_tb_setup s;
    sb_tb_setup_defaults(&s);
    s.d = D;
    s.B = B;
    s.K = K;
    s.f64 = f64;
    s.seed = 42;
    s.Q = Q;
    s.nrot = TRIALS;
    s.x0 = x0;
    s.traj = tr;
    sb_tb_engine eng;
    ck_assert_msg(sb_tb_engine_open(&eng, &ctx, D, f64, &e) == SB_OK, "%s", e.msg);
    sb_tb_out out;
    ck_assert_msg(sb_tb_run(&eng, &s, 500, NULL, &out, &e) == SB_OK, "%s", e.msg);
    int pass[D + 1], compared = 0;
    for (size_t t = 0; t < B; t++) {
        sb_tb_result h = {.pass = pass};
        ck_assert_int_eq(sb_tb_host(&s, t, &h, NULL, 0, &e), SB_OK);
        const sb_tb_result *r = &out.res[t];
        const char *name = sb_tb_optim_name(tr[t].opt);
        if (f64) {
            /* Same operations, same grouping, no FMA on either side: the escape steps
             * agree exactly. This matters: rotated GD escapes its saddles on rounding
             * noise, so any difference in rounding moves its escape steps by tens. */
            for (int q = 0; q <= D; q++)
                ck_assert_msg(r->pass[q] == pass[q],
                              "traj %zu (%s, rot %d): region %d reached at %d, host %d", t,
                              name, tr[t].rot, q + 1, r->pass[q], pass[q]);
            ck_assert_int_eq(r->flags, h.flags);
            ck_assert_int_eq(r->orb_period, h.orb_period);
            ck_assert_int_eq(r->orb_entry, h.orb_entry);
            /* The final f too, to rounding (PGD's log/cos/pow are the only functions
             * that may differ by an ulp between the device and libm). */
            ck_assert_msg(fabs(r->f - h.f) <= 1e-12 * (1 + fabs(h.f)),
                          "traj %zu (%s): f %.12g vs %.12g", t, name, r->f, h.f);
            compared++;
        } else {
            /* f32 (devices without fp64; SB_TEST_F32=1 forces it). The sign methods and
             * pgd (whose escapes come from the signs, or from its perturbations) follow
             * the double host step for step: measured equal on every trajectory here,
             * one step of slack allowed for a gradient component within an ulp of 0.
             * GD and ngd escape each later saddle on rounding noise (float noise is
             * 1e-7, not 1e-16: rotated f32 GD passed a saddle every ~170 steps against
             * ~380 on the host), so only their first two escapes, set by the start, are
             * compared. */
            int nq = tr[t].opt == SB_TB_GD || tr[t].opt == SB_TB_NGD ? 3 : D + 1;
            for (int q = 0; q < nq; q++)
                ck_assert_msg(abs(r->pass[q] - pass[q]) <= 1 &&
                                  (r->pass[q] < 0) == (pass[q] < 0),
                              "f32 traj %zu (%s, rot %d): region %d reached at %d, host %d",
                              t, name, tr[t].rot, q + 1, r->pass[q], pass[q]);
            compared++;
        }
    }
    ck_assert_int_gt(compared, 0);
    sb_tb_out_free(&out);
    sb_tb_engine_close(&eng);
}
END_TEST

/* The paper's left panel: on the axis-aligned tube, with the same step 0.05, signGD
 * passes all 10 saddles (reaches the basin) in fewer iterations than GD. */
START_TEST(axis_signgd_faster_than_gd)
{
    enum { D = 10, TRIALS = 8, K = 3000 };
    double x0s[TRIALS * D], x0[2 * TRIALS * D];
    starts(D, TRIALS, NULL, 11, x0s);
    sb_tb_traj tr[2 * TRIALS];
    for (int t = 0; t < TRIALS; t++)
        for (int o = 0; o < 2; o++) {
            tr[2 * t + o] =
                (sb_tb_traj){o ? SB_TB_SIGNGD : SB_TB_GD, SB_TB_CONST, -1, -1, 0.05, 0};
            memcpy(x0 + (2 * t + o) * D, x0s + t * D, sizeof(double) * D);
        }
    sb_tb_setup s;
    sb_tb_setup_defaults(&s);
    s.d = D;
    s.B = 2 * TRIALS;
    s.K = K;
    s.x0 = x0;
    s.traj = tr;
    sb_tb_engine eng;
    sb_err e = {0, ""};
    ck_assert_msg(sb_tb_engine_open(&eng, &ctx, D, 0, &e) == SB_OK, "%s", e.msg);
    sb_tb_out out;
    ck_assert_msg(sb_tb_run(&eng, &s, 0, NULL, &out, &e) == SB_OK, "%s", e.msg);
    for (int t = 0; t < TRIALS; t++) {
        int gd = out.res[2 * t].pass[D], sg = out.res[2 * t + 1].pass[D];
        ck_assert_msg(sg >= 0, "trial %d: signGD did not reach the basin", t);
        ck_assert_msg(gd < 0 || sg < gd, "trial %d: signGD %d, GD %d", t, sg, gd);
    }
    sb_tb_out_free(&out);
    sb_tb_engine_close(&eng);
}
END_TEST

/* The tube and figure1 plots draw series i with pen i + 1 (figure1: optimiser + 1, f* the
 * next): every pen has a colour and a dash pattern no other pen has, and a plot that
 * would repeat a pen is refused before anything is written. */
START_TEST(plot_pens_distinct)
{
    unsigned rgb[SB_PLOT_NPENS];
    char dash[SB_PLOT_NPENS][32];
    for (int p = 1; p <= SB_PLOT_NPENS; p++) {
        rgb[p - 1] = sb_plot_pen(p, dash[p - 1], sizeof dash[0]);
        ck_assert_uint_le(rgb[p - 1], 0xffffffu);
        ck_assert_msg(rgb[p - 1] != 0xffffffu, "pen %d is white (the background)", p);
        for (int q = 1; q < p; q++) {
            ck_assert_msg(rgb[q - 1] != rgb[p - 1], "pens %d and %d share colour %06x", q,
                          p, rgb[p - 1]);
            ck_assert_msg(strcmp(dash[q - 1], dash[p - 1]), "pens %d and %d share dash %s",
                          q, p, dash[p - 1]);
        }
    }
    ck_assert_str_eq(dash[0], "solid");
    double x[2] = {0, 1}, y[2] = {1, 2};
    sb_plot_series ser[2] = {{"a", 2, x, y, NULL, NULL, SB_PLOT_LINES},
                             {"b", 2, x, y, NULL, NULL, SB_PLOT_LINES}};
    sb_plot p = {"t", "x", "y", 0, 0, 0, 0};
    int same[2] = {3, 3}, out_of_range[2] = {1, SB_PLOT_NPENS + 1};
    sb_err e = {0, ""};
    ck_assert_int_eq(sb_plot_lines_pens("/nonexistent/dir/p", &p, ser, same, 2, &e),
                     SB_EUSAGE);
    ck_assert_ptr_nonnull(strstr(e.msg, "share pen 3"));
    ck_assert_int_eq(sb_plot_lines_pens("/nonexistent/dir/p", &p, ser, out_of_range, 2, &e),
                     SB_EUSAGE);
}
END_TEST

int main(void)
{
    sb_test_require_device();
    Suite *s = suite_create("tube");
    TCase *host = sb_test_tcase(s, "host", 0);
    tcase_add_test(host, brent_known_cycle);
    tcase_add_test(host, plot_pens_distinct);
    TCase *tc = sb_test_tcase(s, "tube", 120);
    tcase_add_checked_fixture(tc, device_open, device_close);
    tcase_add_test(tc, tube_grad_matches_host);
    tcase_add_test(tc, orbit_constructed_case);
    tcase_add_test(tc, orbit_near_saddle_only);
    tcase_add_test(tc, batch_matches_host);
    tcase_add_test(tc, axis_signgd_faster_than_gd);
    return sb_test_run(s);
}
