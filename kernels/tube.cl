/* tube.cl - the tube function of Du et al. 2017 (DESIGN.md 5.1) in OpenCL C, written once
 * for both precisions (SB_REAL: float, or double in the fp64 build), and kernel tube_grad. */
#ifndef SB_REAL
#define SB_REAL float
#endif
#ifdef SB_HAVE_FP64
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#endif
/* No fused multiply-add in the tube code: the host reference (plain C, no FMA) must see
 * the same roundings, so trajectories can be compared step for step. Restored below. */
#pragma OPENCL FP_CONTRACT OFF

/* The paper's sign in SB_REAL: 0 at 0. */
inline SB_REAL sb_tube_sgn(SB_REAL v)
{
    return v > (SB_REAL)0 ? (SB_REAL)1 : (v < (SB_REAL)0 ? (SB_REAL)-1 : (SB_REAL)0);
}

/* nu = (13/6) gamma tau^2 + (37/6) L tau^2: the drop in f from one saddle to the next. */
inline SB_REAL sb_tube_nu(SB_REAL L, SB_REAL gamma, SB_REAL tau)
{
    return ((SB_REAL)13 / (SB_REAL)6) * gamma * tau * tau +
           ((SB_REAL)37 / (SB_REAL)6) * L * tau * tau;
}

/* g1 and its derivative. The products are grouped exactly as in the host reference
 * (host/problems/problem_tube.c), so the fp64 build rounds as the host does. */
inline SB_REAL sb_tube_g1(SB_REAL u, SB_REAL L, SB_REAL gamma, SB_REAL tau, SB_REAL *du)
{
    SB_REAL A = ((SB_REAL)-14 * L + (SB_REAL)10 * gamma) / ((SB_REAL)3 * tau);
    SB_REAL B = ((SB_REAL)5 * L - (SB_REAL)3 * gamma) / ((SB_REAL)2 * tau * tau);
    SB_REAL v = u - tau;
    *du = (SB_REAL)-2 * gamma * u + (SB_REAL)3 * A * v * v + (SB_REAL)4 * B * v * v * v;
    return -gamma * u * u + A * v * v * v + B * v * v * v * v;
}

/* g2 and its derivative (same grouping as the host reference). */
inline SB_REAL sb_tube_g2(SB_REAL u, SB_REAL L, SB_REAL gamma, SB_REAL tau, SB_REAL *du)
{
    SB_REAL s = L + gamma;
    SB_REAL C = (SB_REAL)10 * s / (tau * tau * tau);
    SB_REAL D = (SB_REAL)15 * s / (tau * tau * tau * tau);
    SB_REAL E = (SB_REAL)6 * s / (tau * tau * tau * tau * tau);
    SB_REAL v = u - (SB_REAL)2 * tau, v2 = v * v, v3 = v2 * v;
    *du = -(SB_REAL)3 * C * v2 - (SB_REAL)4 * D * v3 - (SB_REAL)5 * E * v2 * v2;
    return -gamma - C * v3 - D * v2 * v2 - E * v3 * v2;
}

/* The tube is evaluated in two passes so that one code serves private and global arrays:
 * the caller finds i (0-based: first coordinate with |x_i| <= 2 tau, d if none) and hands
 * x_i, x_{i+1}; then each coordinate's share of f and its gradient depend only on
 * (j, x_j, i, x_i, x_{i+1}). sb_tube_coord returns coordinate j's share of f (without the
 * -(i) nu constant, see sb_tube_const) and writes df/dx_j to *gj. */
inline SB_REAL sb_tube_coord(uint j, SB_REAL xj, uint i, SB_REAL xi, SB_REAL xi1, uint d,
                             SB_REAL L, SB_REAL gamma, SB_REAL tau, SB_REAL *gj)
{
    SB_REAL a = fabs(xj);
    if (j < i) { /* escaped coordinates: L (a - 4 tau)^2 */
        SB_REAL r = a - (SB_REAL)4 * tau;
        *gj = (SB_REAL)2 * L * r * sb_tube_sgn(xj);
        return L * r * r;
    }
    SB_REAL ai = fabs(xi);
    int spline = ai > tau; /* tau < a_i <= 2 tau: the g pieces */
    if (j == i) {
        SB_REAL v, dv;
        if (!spline) {
            *gj = (SB_REAL)-2 * gamma * xj;
            return -gamma * a * a;
        }
        v = sb_tube_g1(a, L, gamma, tau, &dv);
        if (i + 1 < d) {
            SB_REAL d2, v2 = sb_tube_g2(a, L, gamma, tau, &d2);
            v += v2 * xi1 * xi1;
            dv += d2 * xi1 * xi1;
        }
        *gj = dv * sb_tube_sgn(xj);
        return v;
    }
    if (j == i + 1 && spline) { /* b = a_{i+1} in g(a_i, b) = g1(a_i) + g2(a_i) b^2 */
        SB_REAL d2, v2 = sb_tube_g2(ai, L, gamma, tau, &d2);
        *gj = (SB_REAL)2 * v2 * xj;
        return 0;
    }
    *gj = (SB_REAL)2 * L * xj; /* coordinates after the tube's current one: L a^2 */
    return L * a * a;
}

/* The constant of region i (0-based; i = d is the basin): -(i) nu, -d nu in the basin. */
inline SB_REAL sb_tube_const(uint i, SB_REAL L, SB_REAL gamma, SB_REAL tau)
{
    return -(SB_REAL)i * sb_tube_nu(L, gamma, tau);
}

/* Value and gradient of the tube on a private array. Also the region index (1..d, d + 1
 * for the basin of the minimum) and whether x is in the tube set (every coordinate after
 * the current one has |x_j| <= tau). */
inline SB_REAL sb_tube_eval_p(const SB_REAL *x, SB_REAL *g, uint d, SB_REAL L, SB_REAL gamma,
                              SB_REAL tau, uint *region, int *in_tube)
{
    uint i = 0;
    while (i < d && fabs(x[i]) > (SB_REAL)2 * tau)
        i++;
    SB_REAL xi = i < d ? x[i] : (SB_REAL)0, xi1 = i + 1 < d ? x[i + 1] : (SB_REAL)0;
    SB_REAL f = 0;
    int inside = 1;
    for (uint j = 0; j < d; j++) {
        f += sb_tube_coord(j, x[j], i, xi, xi1, d, L, gamma, tau, &g[j]);
        if (j > i && fabs(x[j]) > tau)
            inside = 0;
    }
    *region = i + 1;
    *in_tube = inside;
    return f + sb_tube_const(i, L, gamma, tau);
}

/* One point: f(x) into f[0], the gradient into g. A single work-item does the whole
 * vector (d is small; the value needs every coordinate). Computes in SB_REAL. */
__kernel void tube_grad(__global const float *x, __global float *g, __global float *f, uint d,
                        float L, float gamma, float tau)
{
    if (get_global_id(0) != 0)
        return;
    SB_REAL l = L, ga = gamma, ta = tau;
    uint i = 0;
    while (i < d && fabs((SB_REAL)x[i]) > (SB_REAL)2 * ta)
        i++;
    SB_REAL xi = i < d ? (SB_REAL)x[i] : (SB_REAL)0;
    SB_REAL xi1 = i + 1 < d ? (SB_REAL)x[i + 1] : (SB_REAL)0;
    SB_REAL sum = 0;
    for (uint j = 0; j < d; j++) {
        SB_REAL gj;
        sum += sb_tube_coord(j, (SB_REAL)x[j], i, xi, xi1, d, l, ga, ta, &gj);
        g[j] = (float)gj;
    }
    f[0] = (float)(sum + sb_tube_const(i, l, ga, ta));
}

#pragma OPENCL FP_CONTRACT ON
