/* reduce.cl - device reductions norm1, norm2 (sum of squares; the host takes the root),
 * norminf and dot: per-work-group partials (SB_REDUCE_KERNEL in common.cl). */

/* No fused multiply-add contraction here: the host references (ref.c) round every
 * operation, and the tests and training runs compare against them. Reset at the end. */
#pragma OPENCL FP_CONTRACT OFF

#define SB_T_ABS(p, q) fabs(p)
#define SB_T_SQ(p, q) ((p) * (p))
#define SB_T_DOT(p, q) ((p) * (q))

/* b is unused by the norms: pass a again. */
SB_REDUCE_KERNEL(reduce_norm1, SB_T_ABS, SB_ADD, 4)
SB_REDUCE_KERNEL(reduce_norm2, SB_T_SQ, SB_ADD, 4)
SB_REDUCE_KERNEL(reduce_norminf, SB_T_ABS, fmax, 4)
SB_REDUCE_KERNEL(reduce_dot, SB_T_DOT, SB_ADD, 1)

/* Error feedback, first pass: e = p = lr * g + e (g += wd x when weight decay is
 * coupled) and partial[group] = norm1 of p over the group. The second pass is
 * update_ef_signsgd (update.cl) with h.scale = norm1(p)/n. */
__kernel __attribute__((reqd_work_group_size(SB_LOCAL_SIZE, 1, 1))) void
ef_accumulate(__global const float *x, __global const float *g, __global float *e, uint n,
              sb_hyper h, __global float *partial)
{
    __local float sh[SB_LOCAL_SIZE];
    size_t nv = n / 8; /* float8, as the second pass (update.cl) */
    float8 outer = 0.0f, inner = 0.0f;
    int cnt = 0;
    int coupled = h.wd != 0.0f && !h.decoupled;
    SB_FOR_UNITS(i, nv)
    {
        float8 gv = vload8(i, g);
        if (coupled)
            gv = gv + h.wd * vload8(i, x);
        float8 p = h.lr * gv + vload8(i, e);
        vstore8(p, i, e);
        inner += fabs(p);
        if (++cnt == 32) {
            outer += inner;
            inner = 0.0f;
            cnt = 0;
        }
    }
    outer += inner;
    float4 o4 = outer.lo + outer.hi;
    float r = (o4.x + o4.y) + (o4.z + o4.w);
    size_t t = 8 * nv + get_global_id(0);
    if (t < n) {
        float gv = g[t];
        if (coupled)
            gv = gv + h.wd * x[t];
        float p = h.lr * gv + e[t];
        e[t] = p;
        r += fabs(p);
    }
    size_t lid = get_local_id(0);
    sh[lid] = r;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (size_t w = SB_LOCAL_SIZE / 2; w > 0; w >>= 1) {
        if (lid < w)
            sh[lid] += sh[lid + w];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lid == 0)
        partial[get_group_id(0)] = sh[0];
}

#pragma OPENCL FP_CONTRACT ON
