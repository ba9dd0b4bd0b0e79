/* quad.cl - the separable quadratic f = 0.5 sum lambda_i x_i^2 (DESIGN.md 5.3): gradient
 * and per-work-group partial sums of the value (the host adds them in double). */

/* Both kernels stream float8 vectors with SB_FOR_UNITS (common.cl), launched on at
 * most a few work-groups per compute unit: one element per work-item with a barrier
 * reduction in every group cost PoCL ~1 us per group (16 ms at d = 10^6, 14x the host
 * loop). lambda[i] is read only when use_lam; the equal spectrum passes lam0, so the
 * gradient is a copy-like stream (read x once, write g once). g[i] = lambda[i] x[i] is
 * one rounded multiply, exactly as before. */

inline float8 sb_quad_lam8(__global const float *lambda, const uint use_lam, const float lam0,
                           size_t i)
{
    return use_lam ? vload8(i, lambda) : (float8)(lam0);
}

/* g = lambda .* x over d elements; no value. */
__kernel __attribute__((reqd_work_group_size(SB_LOCAL_SIZE, 1, 1)))
void quad_grad(__global const float *x, __global const float *lambda, const uint use_lam,
               const float lam0, __global float *g, const uint d)
{
    size_t nv = d / 8;
    if (use_lam) {
        SB_FOR_UNITS(i, nv)
        {
            vstore8(vload8(i, lambda) * vload8(i, x), i, g);
        }
    } else {
        SB_FOR_UNITS(i, nv)
        {
            vstore8(lam0 * vload8(i, x), i, g);
        }
    }
    size_t t = 8 * nv + get_global_id(0);
    if (t < d)
        g[t] = (use_lam ? lambda[t] : lam0) * x[t];
}

/* The value's partial sums, fpart[group] = sum over the group's elements of
 * 0.5 lambda[i] x[i]^2 (each work-item folds its elements in two levels, blocks of 16
 * vectors then across blocks, to keep float rounding small; one local reduction per
 * group), and g = lambda .* x too when want_g. Work-group size SB_LOCAL_SIZE. */
__kernel __attribute__((reqd_work_group_size(SB_LOCAL_SIZE, 1, 1)))
void quad_grad_f(__global const float *x, __global const float *lambda, const uint use_lam,
                 const float lam0, __global float *g, const uint want_g, const uint d,
                 __global float *fpart)
{
    __local float red[SB_LOCAL_SIZE];
    size_t nv = d / 8;
    float8 outer = 0.0f, inner = 0.0f;
    int cnt = 0;
    SB_FOR_UNITS(i, nv)
    {
        float8 x8 = vload8(i, x), g8 = sb_quad_lam8(lambda, use_lam, lam0, i) * x8;
        if (want_g)
            vstore8(g8, i, g);
        inner += 0.5f * g8 * x8;
        if (++cnt == 16) {
            outer += inner;
            inner = 0.0f;
            cnt = 0;
        }
    }
    outer += inner;
    float4 o4 = outer.lo + outer.hi;
    float v = (o4.x + o4.y) + (o4.z + o4.w);
    size_t t = 8 * nv + get_global_id(0);
    if (t < d) {
        float gt = (use_lam ? lambda[t] : lam0) * x[t];
        if (want_g)
            g[t] = gt;
        v += 0.5f * gt * x[t];
    }
    uint l = get_local_id(0);
    red[l] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (uint s = SB_LOCAL_SIZE / 2; s > 0; s >>= 1) {
        if (l < s)
            red[l] += red[l + s];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (l == 0)
        fpart[get_group_id(0)] = red[0];
}
