/* tube_batch.cl - many independent tube trajectories at once (one per work-item), many
 * steps per launch: gd, pgd, signgd, ngd, signum; saddle passing; exact orbit detection. */
#include <Random123/philox.h>

#ifndef SB_TUBE_MAXD
#define SB_TUBE_MAXD 256 /* the host builds a copy with SB_TUBE_MAXD = d, rounded up */
#endif
#pragma OPENCL FP_CONTRACT OFF

/* The host builds a program per dimension with SB_TUBE_D = d: every loop bound is then a
 * constant the compiler can unroll and vectorise. Without it, d comes at run time. */
#ifdef SB_TUBE_D
#define SB_TB_DIM(e) ((uint)SB_TUBE_D)
#else
#define SB_TB_DIM(e) ((e)->d)
#endif

/* These numbers are shared with host/study/tube_batch.h: keep them in step. */
#define SB_TB_GD 0
#define SB_TB_PGD 1
#define SB_TB_SIGNGD 2
#define SB_TB_NGD 3
#define SB_TB_SIGNUM 4
/* cfg: 4 ints per trajectory */
#define SB_TB_C_OPT 0
#define SB_TB_C_SCHED 1 /* 0 const, 1 invsqrt */
#define SB_TB_C_ROT 2   /* rotation index, -1: axis aligned */
#define SB_TB_C_TRACE 3 /* trace row, -1: none */
/* st: 16 ints per trajectory */
#define SB_TB_FLAGS 0 /* bits below */
#define SB_TB_STEP 1  /* next step to evaluate */
#define SB_TB_REGION 2
#define SB_TB_MAXREG 3
#define SB_TB_OUTSIDE 4
#define SB_TB_PGD_LAST 5
#define SB_TB_NPERT 6
#define SB_TB_POWER 7
#define SB_TB_LAM 8
#define SB_TB_ORB_DET 9
#define SB_TB_ORB_PERIOD 10
#define SB_TB_ORB_REGION 11
#define SB_TB_STOP 12
#define SB_TB_ORB_ENTRY 13
#define SB_TB_NST 16
#define SB_TB_F_DIVERGED 1
#define SB_TB_F_LEFT 2
#define SB_TB_F_ORBIT 4
#define SB_TB_F_DONE 8
/* out: 2 reals per trajectory: last f, last norm2(g) */
#define SB_TB_STREAM_PGD 16u /* Philox stream of PGD's perturbations */

/* Tube parameters and PGD settings, identical for the whole batch. */
typedef struct sb_tb_env {
    uint d, K, strict;
    uint stop; /* bit 0: stop at a detected orbit, bit 1: stop on reaching the basin */
    SB_REAL L, gamma, tau;
    SB_REAL pgd_r, pgd_gthres;
    int pgd_tthres;
    uint seed_lo, seed_hi;
} sb_tb_env;

/* f and gradient of f(Qx); rot < 0 is the axis-aligned tube. Rotation r occupies 2 d^2
 * reals of Q: Q row-major, then Q^T row-major, so that both products run along
 * contiguous rows in their inner loop (which the compiler can vectorise). Each y_i and
 * g_j still sums its terms in the host's order (j, resp. i, ascending from 0), so the
 * results are bit for bit those of sb_matvec / sb_matvec_t. */
inline SB_REAL sb_tb_eval(const SB_REAL *x, SB_REAL *g, SB_REAL *y, SB_REAL *gy,
                          __global const SB_REAL *Q, int rot, const sb_tb_env *e,
                          uint *region, int *in_tube)
{
    uint d = SB_TB_DIM(e);
    if (rot < 0)
        return sb_tube_eval_p(x, g, d, e->L, e->gamma, e->tau, region, in_tube);
    __global const SB_REAL *q = Q + (size_t)rot * 2 * d * d, *qt = q + (size_t)d * d;
    for (uint i = 0; i < d; i++)
        y[i] = 0;
    for (uint j = 0; j < d; j++) /* y = Q x: column j of Q is row j of Q^T */
        for (uint i = 0; i < d; i++)
            y[i] += qt[j * d + i] * x[j];
    SB_REAL f = sb_tube_eval_p(y, gy, d, e->L, e->gamma, e->tau, region, in_tube);
    for (uint j = 0; j < d; j++)
        g[j] = 0;
    for (uint i = 0; i < d; i++) /* g = Q^T gy: row i of Q scaled by gy_i */
        for (uint j = 0; j < d; j++)
            g[j] += q[i * d + j] * gy[i];
    return f;
}

/* PGD's perturbation: r U^(1/d) z / norm2(z), z standard normal (the recipe of
 * host/problems/oracle.h on stream SB_TB_STREAM_PGD, block = coordinate pair, step word 1 carries
 * the step, word 2 the trajectory). */
inline void sb_tb_ball(SB_REAL *xi, uint t, uint k, const sb_tb_env *e)
{
    philox4x32_key_t key = {{e->seed_lo, e->seed_hi}};
    SB_REAL n2 = 0;
    for (uint b = 0; 2 * b < SB_TB_DIM(e); b++) {
        philox4x32_ctr_t c = {{b, k, t, SB_TB_STREAM_PGD}};
        philox4x32_ctr_t r = philox4x32(c, key);
        SB_REAL u0 = ((SB_REAL)r.v[0] + (SB_REAL)0.5) * (SB_REAL)2.3283064365386963e-10;
        SB_REAL u1 = ((SB_REAL)r.v[1] + (SB_REAL)0.5) * (SB_REAL)2.3283064365386963e-10;
        SB_REAL rho = sqrt((SB_REAL)-2 * log(u0));
        SB_REAL ang = (SB_REAL)6.283185307179586 * u1;
        xi[2 * b] = rho * cos(ang);
        if (2 * b + 1 < SB_TB_DIM(e))
            xi[2 * b + 1] = rho * sin(ang);
    }
    for (uint j = 0; j < SB_TB_DIM(e); j++)
        n2 += xi[j] * xi[j];
    philox4x32_ctr_t c = {{0xffffffffu, k, t, SB_TB_STREAM_PGD}};
    philox4x32_ctr_t r = philox4x32(c, key);
    SB_REAL u = ((SB_REAL)r.v[0] + (SB_REAL)0.5) * (SB_REAL)2.3283064365386963e-10;
    SB_REAL scale = e->pgd_r * pow(u, (SB_REAL)1 / (SB_REAL)SB_TB_DIM(e)) / sqrt(n2);
    for (uint j = 0; j < SB_TB_DIM(e); j++)
        xi[j] *= scale;
}

/* The lattice state of constant-step signGD: x = x0 + lr z, recomputed from z every step
 * so that x is a function of z alone and a repeated z is an exact periodic orbit. */
inline void sb_tb_lattice_x(SB_REAL *x, const int *z, __global const SB_REAL *x0, SB_REAL lr,
                            uint d)
{
    for (uint j = 0; j < d; j++)
        x[j] = x0[j] + lr * (SB_REAL)z[j];
}

/* One update of trajectory t at step k with step lk from the gradient g (norm gn): x for
 * gd, pgd (a perturbation y from the ball when the gradient is small and the last one is
 * old enough), ngd, signum (momentum m), non-lattice signgd; z for lattice signgd. */
inline void sb_tb_update(int opt, int lattice, SB_REAL lk, SB_REAL beta, SB_REAL gn,
                         const SB_REAL *g, SB_REAL *x, SB_REAL *m, int *z, SB_REAL *y, uint t,
                         uint k, int *pgd_last, int *npert, const sb_tb_env *e)
{
    uint d = SB_TB_DIM(e);
    if (opt == SB_TB_GD) {
        for (uint j = 0; j < d; j++)
            x[j] -= lk * g[j];
    } else if (opt == SB_TB_PGD) {
        if (gn <= e->pgd_gthres && (int)k - *pgd_last >= e->pgd_tthres) {
            sb_tb_ball(y, t, k, e);
            for (uint j = 0; j < d; j++)
                x[j] += y[j];
            *pgd_last = (int)k;
            (*npert)++;
        } else {
            for (uint j = 0; j < d; j++)
                x[j] -= lk * g[j];
        }
    } else if (opt == SB_TB_SIGNGD) {
        if (lattice) {
            for (uint j = 0; j < d; j++)
                z[j] -= (int)sb_tube_sgn(g[j]);
        } else {
            for (uint j = 0; j < d; j++)
                x[j] -= lk * sb_tube_sgn(g[j]);
        }
    } else if (opt == SB_TB_NGD) {
        if (gn > 0)
            for (uint j = 0; j < d; j++)
                x[j] -= lk * g[j] / gn;
    } else { /* signum */
        for (uint j = 0; j < d; j++) {
            m[j] = beta * m[j] + ((SB_REAL)1 - beta) * g[j];
            x[j] -= lk * sb_tube_sgn(m[j]);
        }
    }
}

/* Brent on the lattice vector after step k: z_{k+1} against the saved zs; equal means an
 * exact cycle of length lam (recorded in the state s). Returns 1 when the trajectory
 * stops there (stop bit 1). */
inline int sb_tb_brent(const int *z, __global int *zs, __global int *s, int *flags,
                       int *power, int *lam, uint k, uint region, const sb_tb_env *e)
{
    uint d = SB_TB_DIM(e);
    int same = 1;
    for (uint j = 0; j < d; j++)
        same &= z[j] == zs[j];
    if (same) {
        *flags |= SB_TB_F_ORBIT;
        s[SB_TB_ORB_DET] = (int)k + 1;
        s[SB_TB_ORB_PERIOD] = *lam;
        s[SB_TB_ORB_REGION] = (int)region;
        if (e->stop & 1u) {
            *flags |= SB_TB_F_DONE;
            return 1;
        }
        return 0;
    }
    if (*power == *lam) {
        for (uint j = 0; j < d; j++)
            zs[j] = z[j];
        *power *= 2;
        *lam = 0;
    }
    (*lam)++;
    return 0;
}

/* Advance trajectories t = 0..B-1 from their stored step to step k_end (exclusive) or to
 * the final evaluation at step K. X, M: current x and momentum (B x d); Z, ZS: lattice
 * vector and Brent's saved vector; pass: B x (d + 1) first step with region >= r. */
__kernel void tube_batch_steps(__global SB_REAL *X, __global const SB_REAL *X0,
                               __global SB_REAL *M, __global int *Z, __global int *ZS,
                               __global const SB_REAL *Q, __global const int *cfg,
                               __global const SB_REAL *cfgr, __global int *st,
                               __global int *pass, __global SB_REAL *out,
                               __global float *trace, uint trace_len, uint B, uint k_end,
                               sb_tb_env e)
{
    uint t = get_global_id(0);
    if (t >= B)
        return;
    __global int *s = st + (size_t)t * SB_TB_NST;
    int flags = s[SB_TB_FLAGS];
    if (flags & SB_TB_F_DONE)
        return;
    uint d = SB_TB_DIM(&e);
    int opt = cfg[t * 4 + SB_TB_C_OPT], sched = cfg[t * 4 + SB_TB_C_SCHED];
    int rot = cfg[t * 4 + SB_TB_C_ROT], trow = cfg[t * 4 + SB_TB_C_TRACE];
    SB_REAL lr = cfgr[t * 2], beta = cfgr[t * 2 + 1];
    int lattice = opt == SB_TB_SIGNGD && sched == 0;
    __global SB_REAL *xg = X + (size_t)t * d, *mg = M + (size_t)t * d;
    __global const SB_REAL *x0 = X0 + (size_t)t * d;
    __global int *zg = Z + (size_t)t * d, *zs = ZS + (size_t)t * d;
    __global int *ps = pass + (size_t)t * (d + 1);
    SB_REAL x[SB_TUBE_MAXD], g[SB_TUBE_MAXD], y[SB_TUBE_MAXD], gy[SB_TUBE_MAXD];
    SB_REAL m[SB_TUBE_MAXD];
    int z[SB_TUBE_MAXD];
    for (uint j = 0; j < d; j++) {
        x[j] = xg[j];
        m[j] = mg[j];
        z[j] = zg[j];
    }
    int maxreg = s[SB_TB_MAXREG], outside = s[SB_TB_OUTSIDE];
    int power = s[SB_TB_POWER], lam = s[SB_TB_LAM];
    int pgd_last = s[SB_TB_PGD_LAST], npert = s[SB_TB_NPERT];
    uint region = 0;
    int in_tube = 1;
    SB_REAL f = 0, gn = 0;
    uint k = (uint)s[SB_TB_STEP];
    SB_REAL basin_f = -(SB_REAL)(d - 1) * sb_tube_nu(e.L, e.gamma, e.tau);
    for (; k < k_end && k <= e.K; k++) {
        if (lattice)
            sb_tb_lattice_x(x, z, x0, lr, d);
        f = sb_tb_eval(x, g, y, gy, Q, rot, &e, &region, &in_tube);
        SB_REAL g2 = 0;
        for (uint j = 0; j < d; j++)
            g2 += g[j] * g[j];
        gn = sqrt(g2);
        if (trow >= 0 && k < trace_len)
            trace[(size_t)trow * trace_len + k] = (float)f;
        /* The basin counts as reached once f is also below every saddle (-(d-1) nu):
         * a diverging run also ends with every |x_j| > 2 tau. */
        int rk = (int)region;
        if (rk == (int)d + 1 && !(f < basin_f))
            rk = (int)d;
        for (int r = maxreg + 1; r <= rk; r++)
            ps[r - 1] = (int)k;
        if (rk > maxreg)
            maxreg = rk;
        if (!isfinite(f) || !isfinite(g2)) {
            flags |= SB_TB_F_DIVERGED | SB_TB_F_DONE;
            s[SB_TB_STOP] = (int)k;
            break;
        }
        if (!in_tube) {
            outside++;
            if (e.strict) {
                flags |= SB_TB_F_LEFT | SB_TB_F_DONE;
                s[SB_TB_STOP] = (int)k;
                break;
            }
        }
        if (k == e.K || ((e.stop & 2u) && rk == (int)d + 1)) {
            flags |= SB_TB_F_DONE;
            break;
        }
        SB_REAL lk = sched == 1 ? lr / sqrt((SB_REAL)(k + 1)) : lr;
        sb_tb_update(opt, lattice, lk, beta, gn, g, x, m, z, y, t, k, &pgd_last, &npert, &e);
        if (lattice && !(flags & SB_TB_F_ORBIT) &&
            sb_tb_brent(z, zs, s, &flags, &power, &lam, k, region, &e)) {
            k++; /* the rest of the run repeats this cycle */
            break;
        }
    }
    if (lattice)
        sb_tb_lattice_x(x, z, x0, lr, d);
    for (uint j = 0; j < d; j++) {
        xg[j] = x[j];
        mg[j] = m[j];
        zg[j] = z[j];
    }
    s[SB_TB_FLAGS] = flags;
    s[SB_TB_STEP] = (int)(k > e.K ? e.K + 1 : k);
    s[SB_TB_REGION] = (int)region;
    s[SB_TB_MAXREG] = maxreg;
    s[SB_TB_OUTSIDE] = outside;
    s[SB_TB_POWER] = power;
    s[SB_TB_LAM] = lam;
    s[SB_TB_PGD_LAST] = pgd_last;
    s[SB_TB_NPERT] = npert;
    out[(size_t)t * 2] = f;
    out[(size_t)t * 2 + 1] = gn;
}

/* One step of constant-step signGD on the lattice: z -= sign(grad f(x0 + lr z)). */
inline void sb_tb_lattice_step(int *z, SB_REAL *x, SB_REAL *g, SB_REAL *y, SB_REAL *gy,
                               __global const SB_REAL *x0, SB_REAL lr,
                               __global const SB_REAL *Q, int rot, const sb_tb_env *e)
{
    uint region;
    int in_tube;
    sb_tb_lattice_x(x, z, x0, lr, SB_TB_DIM(e));
    sb_tb_eval(x, g, y, gy, Q, rot, e, &region, &in_tube);
    for (uint j = 0; j < SB_TB_DIM(e); j++)
        z[j] -= (int)sb_tube_sgn(g[j]);
}

/* The step at which a detected orbit was entered (Brent's second phase): a tortoise from
 * z = 0 and a hare one period ahead move together until they meet. */
__kernel void tube_batch_orbit_entry(__global const SB_REAL *X0, __global const SB_REAL *Q,
                                     __global const int *cfg, __global const SB_REAL *cfgr,
                                     __global int *st, uint B, sb_tb_env e)
{
    uint t = get_global_id(0);
    if (t >= B)
        return;
    __global int *s = st + (size_t)t * SB_TB_NST;
    if (!(s[SB_TB_FLAGS] & SB_TB_F_ORBIT))
        return;
    uint d = SB_TB_DIM(&e);
    int rot = cfg[t * 4 + SB_TB_C_ROT];
    SB_REAL lr = cfgr[t * 2];
    __global const SB_REAL *x0 = X0 + (size_t)t * d;
    SB_REAL x[SB_TUBE_MAXD], g[SB_TUBE_MAXD], y[SB_TUBE_MAXD], gy[SB_TUBE_MAXD];
    int zt[SB_TUBE_MAXD], zh[SB_TUBE_MAXD];
    for (uint j = 0; j < d; j++)
        zt[j] = zh[j] = 0;
    int lam = s[SB_TB_ORB_PERIOD], det = s[SB_TB_ORB_DET];
    for (int i = 0; i < lam; i++)
        sb_tb_lattice_step(zh, x, g, y, gy, x0, lr, Q, rot, &e);
    int mu = 0;
    for (; mu <= det; mu++) {
        int same = 1;
        for (uint j = 0; j < d; j++)
            same &= zt[j] == zh[j];
        if (same)
            break;
        sb_tb_lattice_step(zt, x, g, y, gy, x0, lr, Q, rot, &e);
        sb_tb_lattice_step(zh, x, g, y, gy, x0, lr, Q, rot, &e);
    }
    s[SB_TB_ORB_ENTRY] = mu;
}

#pragma OPENCL FP_CONTRACT ON
