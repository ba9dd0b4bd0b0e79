/* problem_tube.c - the tube function (DESIGN.md 5.1): the double-precision host
 * reference (tube.h) and the tube / tube-rotated problems behind problem.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sb.h"
#include "tube.h"

sb_tube_params sb_tube_defaults(void)
{
    sb_tube_params p = {M_E, 1.0, M_E};
    return p;
}

double sb_tube_nu(const sb_tube_params *p)
{
    return (13.0 / 6.0) * p->gamma * p->tau * p->tau + (37.0 / 6.0) * p->L * p->tau * p->tau;
}

/* The spline pieces and their derivatives (u is an |x| value). */
static double g1(const sb_tube_params *p, double u, double *d1, double *d2)
{
    double t = p->tau, A = (-14.0 * p->L + 10.0 * p->gamma) / (3.0 * t),
           B = (5.0 * p->L - 3.0 * p->gamma) / (2.0 * t * t), v = u - t;
    if (d1)
        *d1 = -2.0 * p->gamma * u + 3.0 * A * v * v + 4.0 * B * v * v * v;
    if (d2)
        *d2 = -2.0 * p->gamma + 6.0 * A * v + 12.0 * B * v * v;
    return -p->gamma * u * u + A * v * v * v + B * v * v * v * v;
}

static double g2(const sb_tube_params *p, double u, double *d1, double *d2)
{
    double t = p->tau, s = p->L + p->gamma, C = 10.0 * s / (t * t * t),
           D = 15.0 * s / (t * t * t * t), E = 6.0 * s / (t * t * t * t * t), v = u - 2.0 * t;
    double v2 = v * v, v3 = v2 * v;
    if (d1)
        *d1 = -3.0 * C * v2 - 4.0 * D * v3 - 5.0 * E * v2 * v2;
    if (d2)
        *d2 = -6.0 * C * v - 12.0 * D * v2 - 20.0 * E * v3;
    return -p->gamma - C * v3 - D * v2 * v2 - E * v3 * v2;
}

static double sgn(double v)
{
    return v > 0.0 ? 1.0 : (v < 0.0 ? -1.0 : 0.0);
}

int sb_tube_eval(size_t d, const double *x, const sb_tube_params *p, double *f, double *g,
                 int *region, int *in_tube)
{
    if (d == 0 || !(p->L > 0.0) || !(p->gamma > 0.0) || !(p->tau > 0.0) || !isfinite(p->L) ||
        !isfinite(p->gamma) || !isfinite(p->tau))
        return SB_EUSAGE;
    const double L = p->L, gam = p->gamma, tau = p->tau, nu = sb_tube_nu(p);
    size_t i = 0; /* 0-based index of the first a_i <= 2 tau; d in the basin */
    while (i < d && fabs(x[i]) > 2.0 * tau)
        i++;
    double val = 0.0;
    /* Leading coordinates sit in the (a - 4 tau)^2 wells, in every region. */
    for (size_t j = 0; j < i; j++) {
        double a = fabs(x[j]);
        val += L * (a - 4.0 * tau) * (a - 4.0 * tau);
        if (g)
            g[j] = 2.0 * L * (a - 4.0 * tau) * sgn(x[j]);
    }
    int inside = 1;
    if (i == d) {
        val -= (double)d * nu;
    } else {
        double a = fabs(x[i]);
        size_t rest = i + 1; /* first coordinate of the L a_j^2 tail */
        if (a <= tau) {
            val += -gam * a * a;
            if (g)
                g[i] = -2.0 * gam * x[i];
        } else if (i + 1 < d) {
            double b = fabs(x[i + 1]), d1a, d1b;
            double v1 = g1(p, a, &d1a, NULL), v2 = g2(p, a, &d1b, NULL);
            val += v1 + v2 * b * b;
            if (g) {
                g[i] = (d1a + d1b * b * b) * sgn(x[i]);
                g[i + 1] = 2.0 * v2 * x[i + 1];
            }
            if (b > tau)
                inside = 0;
            rest = i + 2;
        } else {
            double d1a;
            val += g1(p, a, &d1a, NULL);
            if (g)
                g[i] = d1a * sgn(x[i]);
        }
        for (size_t j = rest; j < d; j++) {
            val += L * x[j] * x[j];
            if (g)
                g[j] = 2.0 * L * x[j];
            if (fabs(x[j]) > tau)
                inside = 0;
        }
        val -= (double)i * nu;
    }
    if (f)
        *f = val;
    if (region)
        *region = (int)i + 1;
    if (in_tube)
        *in_tube = inside;
    return SB_OK;
}

double sb_tube_curvature(const sb_tube_params *p)
{
    /* Hessian of g(a, b) = g1(a) + g2(a) b^2 over the spline piece tau <= a <= 2 tau,
     * 0 <= b <= tau, on a 400 x 400 grid; the quadratic pieces contribute 2L and 2 gamma. */
    double best = fmax(2.0 * p->L, 2.0 * p->gamma);
    const int n = 400;
    for (int ia = 0; ia <= n; ia++) {
        double a = p->tau * (1.0 + (double)ia / n), d1a, d2a, d1b, d2b;
        g1(p, a, &d1a, &d2a);
        double v2 = g2(p, a, &d1b, &d2b);
        for (int ib = 0; ib <= n; ib++) {
            double b = p->tau * (double)ib / n;
            double haa = d2a + d2b * b * b, hab = 2.0 * d1b * b, hbb = 2.0 * v2;
            double mean = 0.5 * (haa + hbb), dif = 0.5 * (haa - hbb);
            double rad = sqrt(dif * dif + hab * hab);
            best = fmax(best, fmax(fabs(mean + rad), fabs(mean - rad)));
        }
    }
    return best;
}
