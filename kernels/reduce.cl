/* reduce.cl - device reductions norm1, norm2 (sum of squares; the host takes the root),
 * norminf and dot: per-work-group partials (SB_REDUCE_KERNEL in common.cl). */

/* No fused multiply-add contraction here: the host references (ref.c) round every
 * operation, and the tests and training runs compare against them. Reset at the end. */
#pragma OPENCL FP_CONTRACT OFF

#define SB_T_ABS(p, q) fabs(p)
#define SB_T_SQ(p, q) ((p) * (p))
/* "+ 0.0f" keeps the two loads whole (common.cl, above SB_LD_1). */
#define SB_T_DOT(p, q) (((p) + 0.0f) * (q))

/* b is unused by the norms: pass a again. */
SB_REDUCE_KERNEL(reduce_norm1, SB_T_ABS, SB_ADD, 4)
SB_REDUCE_KERNEL(reduce_norm2, SB_T_SQ, SB_ADD, 4)
SB_REDUCE_KERNEL(reduce_norminf, SB_T_ABS, fmax, 4)
SB_REDUCE_KERNEL(reduce_dot, SB_T_DOT, SB_ADD, 1)

/* Error feedback, first pass: e = p = lr * g + e (g += wd x when weight decay is
 * coupled) and partial[group] = norm1 of p over the group. The second pass is
 * update_ef_signsgd (update.cl) with h.scale = norm1(p)/n. Units of 16 floats as two
 * float8 (8 measured 1.07x slower for the pair of passes). */
__kernel __attribute__((reqd_work_group_size(SB_LOCAL_SIZE, 1, 1))) void
ef_accumulate(__global const float *x, __global const float *g, __global float *e, uint n,
              sb_hyper h, __global float *partial)
{
    __local float sh[SB_LOCAL_SIZE];
    size_t nv = n / 16;
    float8 olo = 0.0f, ohi = 0.0f, ilo = 0.0f, ihi = 0.0f;
    int cnt = 0;
    int coupled = h.wd != 0.0f && !h.decoupled;
    SB_FOR_UNITS(i, nv)
    {
        float8 ga = vload8(2 * i, g), gb = vload8(2 * i + 1, g);
        if (coupled) {
            ga = ga + h.wd * vload8(2 * i, x);
            gb = gb + h.wd * vload8(2 * i + 1, x);
        }
        float8 pa = h.lr * ga + vload8(2 * i, e), pb = h.lr * gb + vload8(2 * i + 1, e);
        vstore8(pa, 2 * i, e);
        vstore8(pb, 2 * i + 1, e);
        ilo += fabs(pa);
        ihi += fabs(pb);
        if (++cnt == 16) {
            olo += ilo;
            ohi += ihi;
            ilo = ihi = 0.0f;
            cnt = 0;
        }
    }
    olo += ilo;
    ohi += ihi;
    float8 outer = olo + ohi;
    float4 o4 = outer.lo + outer.hi;
    float r = (o4.x + o4.y) + (o4.z + o4.w);
    for (size_t t = 16 * nv + get_global_id(0); t < n; t += get_global_size(0)) {
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
