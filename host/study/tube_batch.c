/* tube_batch.c - runs many tube trajectories at once on the device (kernels/tube_batch.cl)
 * and the host reference of one trajectory in double, step for step the same algorithm. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <Random123/philox.h>

#include "progress.h"
#include "oracle.h"
#include "orbit.h"
#include "rotation.h"
#include "tube_batch.h"

/* Layout of the kernel's per-trajectory integers (kernels/tube_batch.cl). */
enum {
    ST_FLAGS = 0,
    ST_STEP,
    ST_REGION,
    ST_MAXREG,
    ST_OUTSIDE,
    ST_PGD_LAST,
    ST_NPERT,
    ST_POWER,
    ST_LAM,
    ST_ORB_DET,
    ST_ORB_PERIOD,
    ST_ORB_REGION,
    ST_STOP,
    ST_ORB_ENTRY,
    ST_N = 16
};
#define STREAM_PGD 16u

static const char *const optim_names[SB_TB_NOPT] = {"gd", "pgd", "signgd", "ngd", "signum"};

int sb_tb_optim_parse(const char *name)
{
    for (int i = 0; i < SB_TB_NOPT; i++)
        if (!strcmp(name, optim_names[i]))
            return i;
    return -1;
}

const char *sb_tb_optim_name(int opt)
{
    return opt >= 0 && opt < SB_TB_NOPT ? optim_names[opt] : NULL;
}

void sb_tb_setup_defaults(sb_tb_setup *s)
{
    memset(s, 0, sizeof *s);
    s->tube = sb_tube_defaults();
    s->pgd_r = 0.1;
    s->pgd_gthres = 0.1;
    s->pgd_tthres = 40;
}

void sb_tb_out_free(sb_tb_out *o)
{
    free(o->res);
    free(o->pass);
    free(o->trace);
    memset(o, 0, sizeof *o);
}

int sb_tb_check(const sb_tb_setup *s, sb_err *err)
{
    if (s->d < 2 || s->d > 4096)
        return sb_fail(err, SB_EUSAGE, "tube: d must be in 2..4096 (got %zu)", s->d);
    if (s->B < 1)
        return sb_fail(err, SB_EUSAGE, "tube: no trajectory to run");
    if (s->K < 1 || s->K > 1000000000L)
        return sb_fail(err, SB_EUSAGE, "tube: --steps must be in 1..1e9 (got %ld)", s->K);
    if (!s->x0 || !s->traj)
        return sb_fail(err, SB_EUSAGE, "tube: missing starting points or settings");
    for (size_t t = 0; t < s->B; t++) {
        const sb_tb_traj *c = &s->traj[t];
        if (c->opt < 0 || c->opt >= SB_TB_NOPT)
            return sb_fail(err, SB_EUSAGE, "tube: trajectory %zu: unknown optimiser", t);
        if (c->rot >= (int)s->nrot || (c->rot >= 0 && !s->Q))
            return sb_fail(err, SB_EUSAGE, "tube: trajectory %zu: no rotation %d", t,
                           c->rot);
        if (c->trace >= s->ntrace)
            return sb_fail(err, SB_EUSAGE, "tube: trajectory %zu: no trace row %d", t,
                           c->trace);
        if (!(c->lr > 0) || !isfinite(c->lr))
            return sb_fail(err, SB_EUSAGE, "tube: the step size must be positive");
        if (c->beta < 0 || c->beta >= 1)
            return sb_fail(err, SB_EUSAGE, "tube: momentum must be in [0, 1)");
    }
    /* About 40 bytes per trajectory and coordinate on the host and as much on the
     * device: refuse what cannot fit rather than fail halfway. */
    if ((double)s->B * (double)(s->d + 1) * 40.0 > 8e9)
        return sb_fail(err, SB_EUSAGE,
                       "tube: %zu trajectories of dimension %zu need more "
                       "than 8 GB; use fewer --trials or settings",
                       s->B, s->d);
    /* z of constant-step signGD moves by at most 1 per step: K fits an int. */
    if (s->K > 2000000000L)
        return sb_fail(err, SB_EUSAGE, "tube: too many steps");
    return SB_OK;
}

int sb_tb_make_trials(size_t d, size_t trials, int rot_mode, const char *file,
                      uint64_t seed, double **Q, size_t *nrot, double **x0, sb_err *err)
{
    *Q = NULL;
    *nrot = 0;
    *x0 = NULL;
    size_t nq =
        rot_mode == SB_TB_ROT_RANDOM ? trials : (rot_mode == SB_TB_ROT_FILE ? 1 : 0);
    if ((double)trials * (double)d * 8.0 > 2e9)
        return sb_fail(err, SB_EUSAGE,
                       "tube: %zu starts of dimension %zu need more than 2 GB; "
                       "use fewer --trials",
                       trials, d);
    if ((double)nq * (double)d * (double)d * 8.0 > 2e9)
        return sb_fail(err, SB_EUSAGE,
                       "tube: %zu rotations of %zu x %zu need more than 2 GB; "
                       "use fewer --trials",
                       nq, d, d);
    double *q = nq ? malloc(sizeof(double) * nq * d * d) : NULL;
    double *x = malloc(sizeof(double) * trials * d), *u = malloc(sizeof(double) * d);
    if ((nq && !q) || !x || !u) {
        free(q);
        free(x);
        free(u);
        return sb_fail(err, SB_ERUNTIME, "tube: out of memory for %zu trials", trials);
    }
    int st = SB_OK;
    if (rot_mode == SB_TB_ROT_FILE)
        st = sb_rotation_read(file, d, q, err);
    for (size_t t = 0; t < trials && st == SB_OK; t++) {
        if (rot_mode == SB_TB_ROT_RANDOM)
            st = sb_rotation_haar(d, seed + t, q + t * d * d, err);
        if (st != SB_OK)
            break;
        sb_uniforms(seed + t, SB_STREAM_START, 0, d, -1, 1, u);
        if (q)
            sb_matvec_t(d, q + (rot_mode == SB_TB_ROT_RANDOM ? t * d * d : 0), u,
                        x + t * d);
        else
            memcpy(x + t * d, u, sizeof(double) * d);
    }
    free(u);
    if (st != SB_OK) {
        free(q);
        free(x);
        return st;
    }
    *Q = q;
    *nrot = nq;
    *x0 = x;
    return SB_OK;
}

/* ---- device ------------------------------------------------------------------ */

/* Mirrors of `sb_tb_env` in kernels/tube_batch.cl for each precision (same field order;
 * the C layout rules of these types match OpenCL's). */
typedef struct {
    cl_uint d, K, strict, stop;
    cl_float L, gamma, tau, pgd_r, pgd_gthres;
    cl_int pgd_tthres;
    cl_uint seed_lo, seed_hi;
} env_f32;
typedef struct {
    cl_uint d, K, strict, stop;
    cl_double L, gamma, tau, pgd_r, pgd_gthres;
    cl_int pgd_tthres;
    cl_uint seed_lo, seed_hi;
} env_f64;
/* clSetKernelArg copies these bytes as the kernel's sb_tb_env: offsets checked here. */
_Static_assert(sizeof(env_f32) == 48 && offsetof(env_f32, L) == 16 &&
                   offsetof(env_f32, pgd_tthres) == 36 && offsetof(env_f32, seed_hi) == 44,
               "env_f32 must match sb_tb_env in kernels/tube_batch.cl (SB_REAL float)");
_Static_assert(sizeof(env_f64) == 72 && offsetof(env_f64, L) == 16 &&
                   offsetof(env_f64, pgd_tthres) == 56 && offsetof(env_f64, seed_hi) == 64,
               "env_f64 must match sb_tb_env in kernels/tube_batch.cl (SB_REAL double)");

int sb_tb_engine_open(sb_tb_engine *e, sb_ctx *ctx, size_t d, int f64, sb_err *err)
{
    memset(e, 0, sizeof *e);
    if (f64 && !ctx->fp64)
        return sb_fail(err, SB_EUSAGE,
                       "tube: --precision f64 needs a device with fp64; %s "
                       "has none (use --precision f32)",
                       ctx->dev.name);
    /* d as a compile-time constant: the loops over coordinates unroll and vectorise. */
    size_t maxd = d;
    char opts[128];
    snprintf(opts, sizeof opts, "-DSB_TUBE_MAXD=%zu -DSB_TUBE_D=%zu%s", maxd, d,
             f64 ? " -DSB_REAL=double" : "");
    e->ctx = ctx;
    e->f64 = f64;
    e->maxd = maxd;
    if (sb_ctx_build(ctx, opts, &e->prog, err) != SB_OK)
        return sb_wrap(err, "building the tube kernels (%s)", opts);
    cl_int rc;
    e->steps = clCreateKernel(e->prog, "tube_batch_steps", &rc);
    if (SB_CLFAIL(rc, err, "clCreateKernel(tube_batch_steps)")) {
        sb_tb_engine_close(e);
        return err->code;
    }
    e->entry = clCreateKernel(e->prog, "tube_batch_orbit_entry", &rc);
    if (SB_CLFAIL(rc, err, "clCreateKernel(tube_batch_orbit_entry)")) {
        sb_tb_engine_close(e);
        return err->code;
    }
    /* On CPUs, work-groups of one trajectory: PoCL otherwise runs the work-items of a
     * group in lock step, and with per-trajectory branches (regions, optimisers) that
     * measured several times slower. Elsewhere (GPUs), the preferred multiple. */
    e->local = 1;
    if (!(ctx->dev.type & CL_DEVICE_TYPE_CPU)) {
        size_t m = 0;
        if (clGetKernelWorkGroupInfo(e->steps, ctx->dev.did,
                                     CL_KERNEL_PREFERRED_WORK_GROUP_SIZE_MULTIPLE, sizeof m,
                                     &m, NULL) == CL_SUCCESS &&
            m > 0 && m <= 256)
            e->local = m;
    }
    return SB_OK;
}

void sb_tb_engine_close(sb_tb_engine *e)
{
    if (e->steps)
        clReleaseKernel(e->steps);
    if (e->entry)
        clReleaseKernel(e->entry);
    if (e->prog)
        clReleaseProgram(e->prog);
    e->steps = e->entry = NULL;
    e->prog = NULL;
}

/* Host doubles to a device-precision array (malloc'ed). */
static void *to_real(const double *a, size_t n, int f64)
{
    void *p = malloc((f64 ? 8 : 4) * (n ? n : 1));
    if (!p)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (f64)
            ((double *)p)[i] = a[i];
        else
            ((float *)p)[i] = (float)a[i];
    }
    return p;
}

static double real_at(const void *p, size_t i, int f64)
{
    return f64 ? ((const double *)p)[i] : (double)((const float *)p)[i];
}

enum { B_X, B_X0, B_M, B_Z, B_ZS, B_Q, B_CFG, B_CFGR, B_ST, B_PASS, B_OUT, B_TRACE, B_N };

/* The host side of one run: what is uploaded (in the device's precision) and read back. */
typedef struct run_host {
    size_t es, nq, ntr; /* bytes per real; rotations (at least 1); trace floats */
    void *x0, *q, *cfgr, *outr;
    int *cfg, *sti, *pass, *zall;
    float *trace;
} run_host;

static void host_free(run_host *h)
{
    free(h->x0);
    free(h->q);
    free(h->cfg);
    free(h->cfgr);
    free(h->sti);
    free(h->zall);
    free(h->pass);
    free(h->trace);
    free(h->outr);
}

/* Each rotation as Q then Q^T (kernels/tube_batch.cl, sb_tb_eval), in device precision. */
static void *rotations_real(const sb_tb_setup *s, size_t nq, int f64)
{
    size_t d = s->d;
    double *qd = calloc(nq * 2 * d * d, sizeof(double));
    if (!qd)
        return NULL;
    for (size_t r = 0; r < s->nrot; r++) {
        const double *src = s->Q + r * d * d;
        double *dst = qd + r * 2 * d * d;
        for (size_t i = 0; i < d; i++)
            for (size_t j = 0; j < d; j++) {
                dst[i * d + j] = src[i * d + j];
                dst[d * d + j * d + i] = src[i * d + j];
            }
    }
    void *q = to_real(qd, nq * 2 * d * d, f64);
    free(qd);
    return q;
}

/* The per-trajectory settings (lr and beta in device precision), the initial state
 * integers, pass = -1 and the trace = NaN. */
static int host_make(const sb_tb_engine *e, const sb_tb_setup *s, run_host *h, sb_err *err)
{
    size_t d = s->d, B = s->B;
    memset(h, 0, sizeof *h);
    h->es = e->f64 ? 8 : 4;
    h->nq = s->nrot ? s->nrot : 1;
    h->ntr = s->ntrace > 0 && s->trace_len > 0 ? (size_t)s->ntrace * s->trace_len : 1;
    h->x0 = to_real(s->x0, B * d, e->f64);
    h->cfg = calloc(B * 4, sizeof(int));
    h->sti = calloc(B * ST_N, sizeof(int));
    h->pass = malloc(sizeof(int) * B * (d + 1));
    h->trace = malloc(sizeof(float) * h->ntr);
    h->q = rotations_real(s, h->nq, e->f64);
    double *cr = malloc(sizeof(double) * B * 2);
    if (cr) {
        for (size_t t = 0; t < B; t++) {
            cr[2 * t] = s->traj[t].lr;
            cr[2 * t + 1] = s->traj[t].beta;
        }
        h->cfgr = to_real(cr, B * 2, e->f64);
        free(cr);
    }
    h->outr = malloc(h->es * B * 2);
    if (!h->x0 || !h->q || !h->cfg || !h->sti || !h->pass || !h->trace || !h->cfgr ||
        !h->outr)
        return sb_fail(err, SB_ERUNTIME, "tube: out of memory for %zu trajectories", B);
    for (size_t t = 0; t < B; t++) {
        const sb_tb_traj *c = &s->traj[t];
        h->cfg[4 * t + 0] = c->opt;
        h->cfg[4 * t + 1] = c->sched;
        h->cfg[4 * t + 2] = c->rot;
        h->cfg[4 * t + 3] = c->trace;
        int *si = h->sti + ST_N * t;
        si[ST_POWER] = 1;
        si[ST_LAM] = 1;
        si[ST_PGD_LAST] = -s->pgd_tthres;
        si[ST_STOP] = -1;
    }
    for (size_t i = 0; i < B * (d + 1); i++)
        h->pass[i] = -1;
    for (size_t i = 0; i < h->ntr; i++)
        h->trace[i] = NAN;
    return SB_OK;
}

/* The device buffers of one run, filled from the host side (x, m, z start at 0). */
static int buffers_make(sb_ctx *ctx, const sb_tb_setup *s, const run_host *h, cl_mem *buf,
                        sb_err *err)
{
    size_t d = s->d, B = s->B, es = h->es;
    cl_mem_flags rw = CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR;
    cl_mem_flags ro = CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR;
    int *zeros = calloc(B * d, sizeof(double));
    if (!zeros)
        return sb_fail(err, SB_ERUNTIME, "tube: out of memory");
    int st;
    if ((st = sb_buffer(ctx, rw, es * B * d, h->x0, &buf[B_X], err)) ||
        (st = sb_buffer(ctx, ro, es * B * d, h->x0, &buf[B_X0], err)) ||
        (st = sb_buffer(ctx, rw, es * B * d, zeros, &buf[B_M], err)) ||
        (st = sb_buffer(ctx, rw, sizeof(int) * B * d, zeros, &buf[B_Z], err)) ||
        (st = sb_buffer(ctx, rw, sizeof(int) * B * d, zeros, &buf[B_ZS], err)) ||
        (st = sb_buffer(ctx, ro, es * h->nq * 2 * d * d, h->q, &buf[B_Q], err)) ||
        (st = sb_buffer(ctx, ro, sizeof(int) * B * 4, h->cfg, &buf[B_CFG], err)) ||
        (st = sb_buffer(ctx, ro, es * B * 2, h->cfgr, &buf[B_CFGR], err)) ||
        (st = sb_buffer(ctx, rw, sizeof(int) * B * ST_N, h->sti, &buf[B_ST], err)) ||
        (st = sb_buffer(ctx, rw, sizeof(int) * B * (d + 1), h->pass, &buf[B_PASS], err)) ||
        (st = sb_buffer(ctx, CL_MEM_WRITE_ONLY, es * B * 2, NULL, &buf[B_OUT], err)) ||
        (st = sb_buffer(ctx, rw, sizeof(float) * h->ntr, h->trace, &buf[B_TRACE], err))) {
        free(zeros);
        return st;
    }
    free(zeros);
    return SB_OK;
}

/* The kernels' sb_tb_env argument in the engine's precision. */
typedef struct run_env {
    env_f32 f;
    env_f64 d;
    const void *p;
    size_t size;
} run_env;

static void env_make(const sb_tb_engine *e, const sb_tb_setup *s, run_env *v)
{
    cl_uint stop = (s->stop_at_orbit ? 1u : 0u) | (s->stop_at_basin ? 2u : 0u);
    v->f = (env_f32){(cl_uint)s->d,
                     (cl_uint)s->K,
                     (cl_uint)s->strict,
                     stop,
                     (float)s->tube.L,
                     (float)s->tube.gamma,
                     (float)s->tube.tau,
                     (float)s->pgd_r,
                     (float)s->pgd_gthres,
                     s->pgd_tthres,
                     (cl_uint)(s->seed & 0xffffffffu),
                     (cl_uint)(s->seed >> 32)};
    v->d = (env_f64){(cl_uint)s->d,
                     (cl_uint)s->K,
                     (cl_uint)s->strict,
                     stop,
                     s->tube.L,
                     s->tube.gamma,
                     s->tube.tau,
                     s->pgd_r,
                     s->pgd_gthres,
                     s->pgd_tthres,
                     (cl_uint)(s->seed & 0xffffffffu),
                     (cl_uint)(s->seed >> 32)};
    v->p = e->f64 ? (const void *)&v->d : (const void *)&v->f;
    v->size = e->f64 ? sizeof v->d : sizeof v->f;
}

/* tube_batch_steps over all K + 1 steps, steps_per_launch at a time (0: about 2e8 flops a
 * launch), waiting after each launch for the progress bar or sync_each. */
static int launch_steps(sb_tb_engine *e, const sb_tb_setup *s, cl_mem *buf,
                        const run_env *v, long steps_per_launch, sb_progress *progress,
                        sb_tb_out *out, sb_err *err)
{
    size_t d = s->d, B = s->B;
    cl_uint trace_len = (cl_uint)s->trace_len, bu = (cl_uint)B;
    cl_int rc = CL_SUCCESS;
    for (int i = 0; i < B_TRACE + 1 && rc == CL_SUCCESS; i++)
        rc = clSetKernelArg(e->steps, (cl_uint)i, sizeof(cl_mem), &buf[i]);
    if (rc == CL_SUCCESS)
        rc = clSetKernelArg(e->steps, 12, sizeof trace_len, &trace_len);
    if (rc == CL_SUCCESS)
        rc = clSetKernelArg(e->steps, 13, sizeof bu, &bu);
    if (rc == CL_SUCCESS)
        rc = clSetKernelArg(e->steps, 15, v->size, v->p);
    if (SB_CLFAIL(rc, err, "clSetKernelArg(tube_batch_steps)"))
        return err->code;
    if (steps_per_launch <= 0) {
        /* About 2e8 flops a launch: long enough to hide launch latency, short enough for
         * a live progress bar. */
        double cost = (double)B * (s->nrot ? 2.0 * d * d + 12.0 * d : 12.0 * d);
        double n = 2e8 / cost;
        steps_per_launch = n < 16 ? 16 : (n > 1e6 ? 1000000 : (long)n);
    }
    size_t local = e->local, global = sb_round_up(B, local);
    for (long k = 0; k <= s->K; k += steps_per_launch) {
        long kend = k + steps_per_launch;
        cl_uint ke = (cl_uint)(kend > s->K + 1 ? s->K + 1 : kend);
        rc = clSetKernelArg(e->steps, 14, sizeof ke, &ke);
        if (rc == CL_SUCCESS)
            rc = clEnqueueNDRangeKernel(e->ctx->queue, e->steps, 1, NULL, &global, &local,
                                        0, NULL, NULL);
        if (SB_CLFAIL(rc, err, "clEnqueueNDRangeKernel(tube_batch_steps)"))
            return err->code;
        out->launches++;
        if (progress || s->sync_each) {
            clFinish(e->ctx->queue);
            if (progress)
                sb_progress_step(progress, (long)ke);
        }
    }
    return SB_OK;
}

/* Entry steps of the orbits found (a no-op for the other trajectories), then finish. */
static int launch_entry(sb_tb_engine *e, size_t B, cl_mem *buf, const run_env *v,
                        sb_err *err)
{
    cl_uint bu = (cl_uint)B;
    size_t global = sb_round_up(B, e->local);
    cl_int rc = clSetKernelArg(e->entry, 0, sizeof(cl_mem), &buf[B_X0]);
    if (rc == CL_SUCCESS)
        rc = clSetKernelArg(e->entry, 1, sizeof(cl_mem), &buf[B_Q]);
    if (rc == CL_SUCCESS)
        rc = clSetKernelArg(e->entry, 2, sizeof(cl_mem), &buf[B_CFG]);
    if (rc == CL_SUCCESS)
        rc = clSetKernelArg(e->entry, 3, sizeof(cl_mem), &buf[B_CFGR]);
    if (rc == CL_SUCCESS)
        rc = clSetKernelArg(e->entry, 4, sizeof(cl_mem), &buf[B_ST]);
    if (rc == CL_SUCCESS)
        rc = clSetKernelArg(e->entry, 5, sizeof bu, &bu);
    if (rc == CL_SUCCESS)
        rc = clSetKernelArg(e->entry, 6, v->size, v->p);
    if (rc == CL_SUCCESS)
        rc = clEnqueueNDRangeKernel(e->ctx->queue, e->entry, 1, NULL, &global, NULL, 0,
                                    NULL, NULL);
    if (rc == CL_SUCCESS)
        rc = clFinish(e->ctx->queue);
    if (SB_CLFAIL(rc, err, "tube_batch kernels"))
        return err->code;
    return SB_OK;
}

/* The state integers, passes, final f and gradient norms, trace and, when some
 * trajectory found an orbit, the lattice vectors (for where the orbits lie). */
static int read_back(sb_ctx *ctx, const sb_tb_setup *s, cl_mem *buf, run_host *h,
                     sb_err *err)
{
    size_t d = s->d, B = s->B;
    cl_command_queue q = ctx->queue;
    cl_int rc = clEnqueueReadBuffer(q, buf[B_ST], CL_TRUE, 0, sizeof(int) * B * ST_N,
                                    h->sti, 0, NULL, NULL);
    if (rc == CL_SUCCESS)
        rc = clEnqueueReadBuffer(q, buf[B_PASS], CL_TRUE, 0, sizeof(int) * B * (d + 1),
                                 h->pass, 0, NULL, NULL);
    if (rc == CL_SUCCESS)
        rc = clEnqueueReadBuffer(q, buf[B_OUT], CL_TRUE, 0, h->es * B * 2, h->outr, 0, NULL,
                                 NULL);
    if (rc == CL_SUCCESS)
        rc = clEnqueueReadBuffer(q, buf[B_TRACE], CL_TRUE, 0, sizeof(float) * h->ntr,
                                 h->trace, 0, NULL, NULL);
    int any_orbit = 0;
    for (size_t t = 0; rc == CL_SUCCESS && t < B; t++)
        any_orbit |= (h->sti[ST_N * t + ST_FLAGS] & SB_TB_ORBIT) != 0;
    if (rc == CL_SUCCESS && any_orbit) {
        h->zall = malloc(sizeof(int) * B * d);
        rc = h->zall ? clEnqueueReadBuffer(q, buf[B_Z], CL_TRUE, 0, sizeof(int) * B * d,
                                           h->zall, 0, NULL, NULL)
                     : CL_OUT_OF_HOST_MEMORY;
    }
    if (SB_CLFAIL(rc, err, "clEnqueueReadBuffer(tube results)"))
        return err->code;
    return SB_OK;
}

/* One sb_tb_result per trajectory from what was read back; out takes pass and trace. */
static void fill_results(const sb_tb_engine *e, const sb_tb_setup *s, run_host *h,
                         sb_tb_out *out)
{
    size_t d = s->d, B = s->B;
    for (size_t t = 0; t < B; t++) {
        const int *si = h->sti + ST_N * t;
        sb_tb_result *r = &out->res[t];
        r->flags = si[ST_FLAGS] & ~SB_TB_DONE;
        r->region = si[ST_REGION];
        r->maxreg = si[ST_MAXREG];
        r->outside = si[ST_OUTSIDE];
        r->npert = si[ST_NPERT];
        r->stop = si[ST_STOP];
        int orb = (r->flags & SB_TB_ORBIT) != 0;
        r->orb_det = orb ? si[ST_ORB_DET] : -1;
        r->orb_period = orb ? si[ST_ORB_PERIOD] : 0;
        r->orb_entry = orb ? si[ST_ORB_ENTRY] : -1;
        r->orb_region = orb ? si[ST_ORB_REGION] : 0;
        /* z at the end lies on the cycle (an orbit, once entered, is never left). */
        r->orb_dist =
            orb ? sb_tb_orbit_dist(s, t, h->zall + t * d, r->orb_period, r->orb_region - 1)
                : NAN;
        r->f = real_at(h->outr, 2 * t, e->f64);
        r->gnorm = real_at(h->outr, 2 * t + 1, e->f64);
        r->pass = h->pass + t * (d + 1);
    }
    out->B = B;
    out->d = d;
    out->pass = h->pass;
    out->trace = h->trace;
    h->pass = NULL;
    h->trace = NULL;
}

int sb_tb_run(sb_tb_engine *e, const sb_tb_setup *s, long steps_per_launch,
              sb_progress *progress, sb_tb_out *out, sb_err *err)
{
    memset(out, 0, sizeof *out);
    if (sb_tb_check(s, err) != SB_OK)
        return err->code;
    if (s->d != e->maxd || s->f64 != e->f64)
        return sb_fail(err, SB_EUSAGE,
                       "tube: engine built for d = %zu, %s; run asks d = %zu", e->maxd,
                       e->f64 ? "f64" : "f32", s->d);
    cl_mem buf[B_N] = {0};
    run_host h;
    run_env v;
    out->res = calloc(s->B, sizeof(sb_tb_result));
    int st = host_make(e, s, &h, err);
    if (st == SB_OK && !out->res)
        st = sb_fail(err, SB_ERUNTIME, "tube: out of memory for %zu trajectories", s->B);
    if (st == SB_OK)
        st = buffers_make(e->ctx, s, &h, buf, err);
    env_make(e, s, &v);
    double t0 = sb_now();
    if (st == SB_OK)
        st = launch_steps(e, s, buf, &v, steps_per_launch, progress, out, err);
    if (st == SB_OK)
        st = launch_entry(e, s->B, buf, &v, err);
    out->seconds = sb_now() - t0;
    if (st == SB_OK)
        st = read_back(e->ctx, s, buf, &h, err);
    if (st == SB_OK)
        fill_results(e, s, &h, out);
    for (int i = 0; i < B_N; i++)
        if (buf[i])
            clReleaseMemObject(buf[i]);
    host_free(&h);
    if (st != SB_OK) {
        free(out->res);
        out->res = NULL;
    }
    return st;
}

/* ---- host reference ------------------------------------------------------------ */

typedef struct href {
    const sb_tb_setup *s;
    const sb_tb_traj *c;
    const double *x0, *Q;
    double *x, *y, *g, *gy;
} href;

static int href_eval(href *h, const double *x, double *f, int *region, int *in_tube)
{
    size_t d = h->s->d;
    if (!h->Q)
        return sb_tube_eval(d, x, &h->s->tube, f, h->g, region, in_tube);
    sb_matvec(d, h->Q, x, h->y);
    int st = sb_tube_eval(d, h->y, &h->s->tube, f, h->gy, region, in_tube);
    sb_matvec_t(d, h->Q, h->gy, h->g);
    return st;
}

static double sgn(double v)
{
    return v > 0 ? 1.0 : (v < 0 ? -1.0 : 0.0);
}

static void lattice_x(const href *h, const int *z, double *x)
{
    for (size_t j = 0; j < h->s->d; j++)
        x[j] = h->x0[j] + h->c->lr * (double)z[j];
}

/* One step of constant-step signGD on the lattice, for the entry search. */
static void lattice_step(int *z, void *ctx)
{
    href *h = ctx;
    double f;
    int region, in_tube;
    lattice_x(h, z, h->x);
    href_eval(h, h->x, &f, &region, &in_tube);
    for (size_t j = 0; j < h->s->d; j++)
        z[j] -= (int)sgn(h->g[j]);
}

/* PGD's perturbation, the recipe of kernels/tube_batch.cl (sb_tb_ball). */
static void ball(const sb_tb_setup *s, size_t t, long k, double *xi)
{
    philox4x32_key_t key = {{(uint32_t)(s->seed & 0xffffffffu), (uint32_t)(s->seed >> 32)}};
    const double inv32 = 2.3283064365386963e-10;
    size_t d = s->d;
    for (uint32_t b = 0; 2 * (size_t)b < d; b++) {
        philox4x32_ctr_t c = {{b, (uint32_t)k, (uint32_t)t, STREAM_PGD}};
        philox4x32_ctr_t r = philox4x32(c, key);
        double u0 = ((double)r.v[0] + 0.5) * inv32, u1 = ((double)r.v[1] + 0.5) * inv32;
        double rho = sqrt(-2 * log(u0)), ang = 6.283185307179586 * u1;
        xi[2 * b] = rho * cos(ang);
        if (2 * (size_t)b + 1 < d)
            xi[2 * b + 1] = rho * sin(ang);
    }
    double n2 = 0;
    for (size_t j = 0; j < d; j++)
        n2 += xi[j] * xi[j];
    philox4x32_ctr_t c = {{0xffffffffu, (uint32_t)k, (uint32_t)t, STREAM_PGD}};
    philox4x32_ctr_t r = philox4x32(c, key);
    double u = ((double)r.v[0] + 0.5) * inv32;
    double scale = s->pgd_r * pow(u, 1.0 / (double)d) / sqrt(n2);
    for (size_t j = 0; j < d; j++)
        xi[j] *= scale;
}

/* Distance of u (unrotated coordinates) from saddle k: k leading |u_j| at 4 tau, the
 * rest 0 (the function is mirrored, so the nearest of the 2^k sign copies). */
static double saddle_dist(size_t d, const double *u, int k, double tau)
{
    double s2 = 0;
    for (size_t j = 0; j < d; j++) {
        double e = (int)j < k ? fabs(u[j]) - 4 * tau : u[j];
        s2 += e * e;
    }
    return sqrt(s2);
}

double sb_tb_orbit_dist(const sb_tb_setup *s, size_t t, const int *zin, long period, int k)
{
    size_t d = s->d;
    const sb_tb_traj *c = &s->traj[t];
    href h = {s,    c,    s->x0 + t * d, c->rot >= 0 ? s->Q + (size_t)c->rot * d * d : NULL,
              NULL, NULL, NULL,          NULL};
    double *mem = calloc(6 * d, sizeof(double));
    int *z = malloc(sizeof(int) * d);
    if (!mem || !z) {
        free(mem);
        free(z);
        return NAN;
    }
    h.x = mem;
    h.y = mem + d;
    h.g = mem + 2 * d;
    h.gy = mem + 3 * d;
    double *x = mem + 4 * d, *u = mem + 5 * d;
    memcpy(z, zin, sizeof(int) * d);
    double worst = 0;
    for (long p = 0; p < (period < 100000 ? period : 100000); p++) {
        lattice_x(&h, z, x);
        if (h.Q)
            sb_matvec(d, h.Q, x, u);
        else
            memcpy(u, x, sizeof(double) * d);
        double dist = saddle_dist(d, u, k, s->tube.tau);
        if (!(dist <= worst))
            worst = dist; /* a NaN distance stays NaN: never near a saddle */
        lattice_step(z, &h);
    }
    free(mem);
    free(z);
    return worst;
}

double sb_tb_smoothness_note(const sb_tube_params *p, char *out, size_t n)
{
    double L = sb_tube_curvature(p);
    snprintf(
        out, n,
        "L = %.2f (largest curvature of the spline pieces) holds inside the tube "
        "set only: under the continuation rule the curvature grows like b^2 outside it, "
        "so there is no global smoothness constant and Theorem 1/2 bounds using L "
        "(train on tube) are not guaranteed once a run leaves the tube set",
        L);
    return L;
}

int sb_tb_saddle_orbit(const sb_tb_result *r, size_t d, const sb_tube_params *p)
{
    return (r->flags & SB_TB_ORBIT) && r->orb_region >= 1 && r->orb_region <= (int)d &&
           r->orb_dist <= SB_TB_SADDLE_RADIUS * p->tau;
}

int sb_tb_other_orbit(const sb_tb_result *r, size_t d, const sb_tube_params *p)
{
    return (r->flags & SB_TB_ORBIT) && r->orb_region <= (int)d &&
           !sb_tb_saddle_orbit(r, d, p);
}

/* The host reference's state of one trajectory beyond href: the point, signum's momentum,
 * PGD's perturbation and last perturbed step, the lattice vector and its cycle search. */
typedef struct hstate {
    double *mem, *x, *m, *tmp;
    int *z;
    sb_brent br;
    long pgd_last;
    int lattice; /* constant-step signgd: x = x0 + lr z */
} hstate;

static void hstate_free(hstate *w)
{
    free(w->mem);
    free(w->z);
    sb_brent_free(&w->br);
}

static int hstate_init(const sb_tb_setup *s, href *h, hstate *w, sb_err *err)
{
    size_t d = s->d;
    memset(w, 0, sizeof *w);
    w->mem = calloc(7 * d, sizeof(double));
    w->z = calloc(d, sizeof(int));
    if (!w->mem || !w->z || sb_brent_init(&w->br, d, w->z)) {
        hstate_free(w);
        return sb_fail(err, SB_ERUNTIME, "tube: out of memory");
    }
    h->x = w->mem;
    h->y = w->mem + d;
    h->g = w->mem + 2 * d;
    h->gy = w->mem + 3 * d;
    w->m = w->mem + 4 * d;
    w->x = w->mem + 5 * d;
    w->tmp = w->mem + 6 * d;
    memcpy(w->x, h->x0, sizeof(double) * d);
    w->lattice = h->c->opt == SB_TB_SIGNGD && h->c->sched == SB_TB_CONST;
    w->pgd_last = -s->pgd_tthres;
    return SB_OK;
}

/* The update of step k from the gradient in h->g (norm gn). */
static void host_update(const sb_tb_setup *s, size_t t, const href *h, hstate *w, long k,
                        double gn, sb_tb_result *r)
{
    size_t d = s->d;
    const sb_tb_traj *c = h->c;
    double *x = w->x, *g = h->g;
    double lk = c->sched == SB_TB_INVSQRT ? c->lr / sqrt((double)(k + 1)) : c->lr;
    switch (c->opt) {
    case SB_TB_GD:
        for (size_t j = 0; j < d; j++)
            x[j] -= lk * g[j];
        break;
    case SB_TB_PGD:
        if (gn <= s->pgd_gthres && k - w->pgd_last >= s->pgd_tthres) {
            ball(s, t, k, w->tmp);
            for (size_t j = 0; j < d; j++)
                x[j] += w->tmp[j];
            w->pgd_last = k;
            r->npert++;
        } else {
            for (size_t j = 0; j < d; j++)
                x[j] -= lk * g[j];
        }
        break;
    case SB_TB_SIGNGD:
        for (size_t j = 0; j < d; j++) {
            if (w->lattice)
                w->z[j] -= (int)sgn(g[j]);
            else
                x[j] -= lk * sgn(g[j]);
        }
        break;
    case SB_TB_NGD:
        if (gn > 0)
            for (size_t j = 0; j < d; j++)
                x[j] -= lk * g[j] / gn;
        break;
    default: /* signum */
        for (size_t j = 0; j < d; j++) {
            w->m[j] = c->beta * w->m[j] + (1 - c->beta) * g[j];
            x[j] -= lk * sgn(w->m[j]);
        }
    }
}

/* Step k's bookkeeping after its evaluation: regions passed, divergence, the tube set.
 * Returns 1 when the trajectory ends at this step. */
static int host_observe(const sb_tb_setup *s, long k, double f, double g2, int region,
                        int in_tube, sb_tb_result *r)
{
    size_t d = s->d;
    double basin_f = -(double)(d - 1) * sb_tube_nu(&s->tube);
    int rk = region; /* the basin counts once f is below every saddle (the kernel's rule) */
    if (rk == (int)d + 1 && !(f < basin_f))
        rk = (int)d;
    for (int q = r->maxreg + 1; q <= rk; q++)
        r->pass[q - 1] = (int)k;
    if (rk > r->maxreg)
        r->maxreg = rk;
    if (!isfinite(f) || !isfinite(g2)) {
        r->flags |= SB_TB_DIVERGED;
        r->stop = k;
        return 1;
    }
    if (!in_tube) {
        r->outside++;
        if (s->strict) {
            r->flags |= SB_TB_LEFT;
            r->stop = k;
            return 1;
        }
    }
    return k == s->K || (s->stop_at_basin && rk == (int)d + 1);
}

static void result_reset(size_t d, sb_tb_result *r)
{
    int *pass = r->pass;
    memset(r, 0, sizeof *r);
    r->pass = pass;
    for (size_t i = 0; i <= d; i++)
        pass[i] = -1;
    r->stop = -1;
    r->orb_det = r->orb_entry = -1;
    r->orb_dist = NAN;
}

int sb_tb_host(const sb_tb_setup *s, size_t t, sb_tb_result *r, double *trace,
               size_t trace_len, sb_err *err)
{
    if (sb_tb_check(s, err) != SB_OK)
        return err->code;
    if (t >= s->B)
        return sb_fail(err, SB_EUSAGE, "tube: no trajectory %zu", t);
    size_t d = s->d;
    const sb_tb_traj *c = &s->traj[t];
    href h = {s,    c,    s->x0 + t * d, c->rot >= 0 ? s->Q + (size_t)c->rot * d * d : NULL,
              NULL, NULL, NULL,          NULL};
    hstate w;
    if (hstate_init(s, &h, &w, err) != SB_OK)
        return err->code;
    result_reset(d, r);
    int region = 0, in_tube = 1;
    double f = 0, gn = 0;
    int st = SB_OK;
    for (long k = 0; k <= s->K; k++) {
        if (w.lattice)
            lattice_x(&h, w.z, w.x);
        if ((st = href_eval(&h, w.x, &f, &region, &in_tube)) != SB_OK) {
            st = sb_fail(err, SB_EUSAGE, "tube: bad tube parameters");
            break;
        }
        double g2 = 0;
        for (size_t j = 0; j < d; j++)
            g2 += h.g[j] * h.g[j];
        gn = sqrt(g2);
        if (trace && (size_t)k < trace_len)
            trace[k] = f;
        if (host_observe(s, k, f, g2, region, in_tube, r))
            break;
        host_update(s, t, &h, &w, k, gn, r);
        if (w.lattice && !(r->flags & SB_TB_ORBIT) && sb_brent_push(&w.br, w.z)) {
            r->flags |= SB_TB_ORBIT;
            r->orb_det = k + 1;
            r->orb_period = w.br.period;
            r->orb_region = region;
            r->orb_dist = sb_tb_orbit_dist(s, t, w.z, w.br.period, region - 1);
            if (s->stop_at_orbit)
                break;
        }
    }
    r->region = region;
    r->f = f;
    r->gnorm = gn;
    if (st == SB_OK && (r->flags & SB_TB_ORBIT)) {
        int *z0 = calloc(d, sizeof(int));
        r->orb_entry =
            z0 ? sb_cycle_entry(d, z0, r->orb_period, lattice_step, &h, r->orb_det) : -1;
        free(z0);
    }
    hstate_free(&w);
    return st;
}

void sb_tb_sort(double *v, size_t n)
{
    for (size_t i = 1; i < n; i++)
        for (size_t k = i; k > 0 && v[k - 1] > v[k]; k--) {
            double t = v[k];
            v[k] = v[k - 1];
            v[k - 1] = t;
        }
}

void sb_tb_textf(sb_tb_text *t, const char *fmt, ...)
{
    if (t->oom)
        return;
    for (;;) {
        size_t room = t->cap - t->len;
        va_list ap;
        va_start(ap, fmt);
        int n = t->p ? vsnprintf(t->p + t->len, room, fmt, ap) : -1;
        va_end(ap);
        if (t->p && n >= 0 && (size_t)n < room) {
            t->len += (size_t)n;
            return;
        }
        if (t->p && n < 0) {
            t->oom = 1;
            return;
        }
        size_t want = t->cap ? 2 * t->cap : 65536;
        while (t->p && want < t->len + (size_t)n + 1)
            want *= 2;
        char *q = realloc(t->p, want);
        if (!q) {
            t->oom = 1;
            return;
        }
        t->p = q;
        t->cap = want;
    }
}
