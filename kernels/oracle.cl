/* oracle.cl - the stochastic oracle's additive Gaussian noise (DESIGN.md 5.4): Philox4x32-10
 * + Box-Muller with exactly the recipe of host/problems/oracle.h, so every device draws the same. */
#include <Random123/philox.h>

/* ln(u) for u = (r + 0.5) 2^-32, accurate near u = 1 too (log1p of the exact complement),
 * so the float result stays within a few ulp of the host's double recipe. */
inline float sb_oracle_logu(uint r)
{
    const float s = 2.3283064365386963e-10f; /* 2^-32 */
    if (r >= 0x80000000u)
        return log1p(-(((float)(~r)) + 0.5f) * s);
    return log(((float)r + 0.5f) * s);
}

/* g[j] += sd * z_j; one work-item per pair (2p, 2p + 1) of coordinates. */
__kernel void oracle_noise(__global float *g, const uint d, const float sd, const uint seed_lo,
                           const uint seed_hi, const uint step_lo, const uint step_hi)
{
    uint p = get_global_id(0);
    if (2 * p >= d)
        return;
    philox4x32_ctr_t c = {{p, step_lo, step_hi, 0u}};
    philox4x32_key_t k = {{seed_lo, seed_hi}};
    philox4x32_ctr_t r = philox4x32_R(10, c, k);
    float rho = sqrt(-2.0f * sb_oracle_logu(r.v[0]));
    float u1 = ((float)r.v[1] + 0.5f) * 2.3283064365386963e-10f;
    float cs, sn = sincos(6.283185307179586f * u1, &cs);
    g[2 * p] += sd * rho * cs;
    if (2 * p + 1 < d)
        g[2 * p + 1] += sd * rho * sn;
}
