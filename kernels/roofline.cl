/* roofline.cl - reference kernels with the traffic patterns of the measured ones, in
 * the same style (SB_FOR_UNITS, float4): vec_copy, vec_read (sum), vec_rmw (x += a*g). */

/* No fused multiply-add contraction here: the host references (ref.c) round every
 * operation, and the tests and training runs compare against them. Reset at the end. */
#pragma OPENCL FP_CONTRACT OFF

/* b = a: read 4, write 4 bytes per element. */
__kernel void vec_copy(__global const float *a, __global float *b, uint n)
{
    size_t nv = n / 4;
    SB_FOR_UNITS(i, nv)
    {
        vstore4(vload4(i, a), i, b);
    }
    size_t t = 4 * nv + get_global_id(0);
    if (t < n)
        b[t] = a[t];
}

/* Sum of a (read 4 bytes per element), partials per work-group, written exactly like
 * the norms (SB_REDUCE_KERNEL); b is unused (pass a). */
#define SB_T_SUM(p, q) (p)
SB_REDUCE_KERNEL(vec_read, SB_T_SUM, SB_ADD)

/* x += a*g in place: read 8, write 4 bytes per element, the pattern of every update,
 * and like them (update.cl) on float8. */
__kernel void vec_rmw(__global float *x, __global const float *g, uint n, float a)
{
    size_t nv = n / 8;
    SB_FOR_UNITS(i, nv)
    {
        vstore8(vload8(i, x) + a * vload8(i, g), i, x);
    }
    size_t t = 8 * nv + get_global_id(0);
    if (t < n)
        x[t] += a * g[t];
}

#pragma OPENCL FP_CONTRACT ON
