/* tube.h - the tube function of Du et al. 2017 (DESIGN.md 5.1): parameters, the constant
 * nu and the double-precision host reference (value, gradient, region, tube-set test). */
#ifndef SB_TUBE_H
#define SB_TUBE_H

#include <stddef.h>

typedef struct sb_tube_params {
    double L, gamma, tau;
} sb_tube_params;

/* Defaults of DESIGN.md 5.1: L = e, gamma = 1, tau = e. */
sb_tube_params sb_tube_defaults(void);

/* nu = (13/6) gamma tau^2 + (37/6) L tau^2 (about 139.8704 with the defaults). */
double sb_tube_nu(const sb_tube_params *p);

/* The largest curvature (|eigenvalue| of the Hessian) of the tube function, estimated
 * on a fine grid of the spline pieces g(a, b) and the quadratic pieces (2L, 2 gamma).
 * About 35 with the defaults (DESIGN.md 5.1), not 2L. Used as the problem's L. */
double sb_tube_curvature(const sb_tube_params *p);

/* Value f and gradient g (may be NULL) at x, exactly as DESIGN.md 5.1 (the formulas are
 * evaluated on a = |x| everywhere: the "continuation" outside the tube set). region:
 * the first 1-based i with a_i <= 2 tau, d + 1 in the basin (may be NULL). in_tube: 1 if
 * every coordinate after i has a_j <= tau (always 1 in the basin; may be NULL).
 * Returns SB_OK, or SB_EUSAGE for d = 0 or a non-positive or non-finite parameter. */
int sb_tube_eval(size_t d, const double *x, const sb_tube_params *p, double *f,
                 double *g /*may be NULL*/, int *region, int *in_tube);

#endif
