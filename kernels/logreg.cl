/* logreg.cl - L2-regularised logistic regression (DESIGN.md 5.2): the fused gradient
 * (X read once), the per-row coefficients for the CLBlast GEMV path, and the final sum. */

/* Stable pieces of one row with margin m = y x.w: the loss log(1 + exp(-m)) and
 * sigma(-m), never exp of a positive number. */
inline float sb_logreg_loss(float m, float *sig)
{
    float e = exp(-fabs(m));
    *sig = m >= 0.0f ? e / (1.0f + e) : 1.0f / (1.0f + e);
    return log1p(e) + fmax(-m, 0.0f);
}

/* Sum of red[0..SB_LOCAL_SIZE) into red[0]; every work-item must call it. */
inline void sb_logreg_reduce(__local float *red, uint l)
{
    for (uint s = SB_LOCAL_SIZE / 2; s > 0; s >>= 1) {
        barrier(CLK_LOCAL_MEM_FENCE);
        if (l < s)
            red[l] += red[l + s];
    }
    barrier(CLK_LOCAL_MEM_FENCE);
}

/* Rows per block of the fused kernel: one block costs three barriers. */
#define SB_LR_B 32

/* Fused pass: work-group grp takes rows [grp * rows, (grp + 1) * rows) of the m used
 * rows (row r is idx[r] for a minibatch, else r), SB_LR_B rows at a time: each
 * work-item dots its columns j = l (mod SB_LOCAL_SIZE) with w for every row of the block
 * (neighbouring work-items read neighbouring floats: coalesced on GPUs),
 * the block's margins are summed in local memory, and each work-item then adds
 * -y sigma(-m) x_row over its columns into the partial gradient acc (local, length d)
 * while the block is still in cache: X is read from memory once. Writes
 * part[grp * d + j] and the group's summed loss lpart[grp]. Work-group size must be
 * SB_LOCAL_SIZE. */
__kernel __attribute__((reqd_work_group_size(SB_LOCAL_SIZE, 1, 1)))
void logreg_part(__global const float *X, __global const float *y, __global const float *w,
                 __global const uint *idx, const uint use_idx, const uint m, const uint d,
                 const uint rows, __global float *part, __global float *lpart,
                 __local float *acc)
{
    __local float red[SB_LR_B * SB_LOCAL_SIZE];
    __local float coef[SB_LR_B], lsum[SB_LR_B];
    uint l = get_local_id(0), grp = get_group_id(0);
    for (uint j = l; j < d; j += SB_LOCAL_SIZE)
        acc[j] = 0.0f;
    float loss = 0.0f;
    uint r0 = grp * rows, r1 = min(r0 + rows, m);
    for (uint b = r0; b < r1; b += SB_LR_B) {
        uint nb = min((uint)SB_LR_B, r1 - b);
        for (uint r = 0; r < nb; r++) {
            uint row = use_idx ? idx[b + r] : b + r;
            __global const float *xr = X + (size_t)row * d;
            float s = 0.0f;
            for (uint j = l; j < d; j += SB_LOCAL_SIZE)
                s += xr[j] * w[j];
            red[l * SB_LR_B + r] = s;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        if (l < nb) {
            float z = 0.0f;
            for (uint k = 0; k < SB_LOCAL_SIZE; k++)
                z += red[k * SB_LR_B + l];
            uint row = use_idx ? idx[b + l] : b + l;
            float yi = y[row], sig;
            lsum[l] = sb_logreg_loss(yi * z, &sig);
            coef[l] = -yi * sig;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (uint r = 0; r < nb; r++) {
            uint row = use_idx ? idx[b + r] : b + r;
            __global const float *xr = X + (size_t)row * d;
            float c = coef[r];
            for (uint j = l; j < d; j += SB_LOCAL_SIZE)
                acc[j] += c * xr[j];
        }
        if (l == 0)
            for (uint r = 0; r < nb; r++)
                loss += lsum[r];
        barrier(CLK_LOCAL_MEM_FENCE); /* red, coef and lsum are reused by the next block */
    }
    for (uint j = l; j < d; j += SB_LOCAL_SIZE)
        part[(size_t)grp * d + j] = acc[j];
    if (l == 0)
        lpart[grp] = loss;
}

/* g[j] = scale * sum_k part[k * d + j] + lambda w[j] over nparts partial gradients;
 * wpart[group] = the group's share of ||w||^2. Work-group size SB_LOCAL_SIZE. */
__kernel __attribute__((reqd_work_group_size(SB_LOCAL_SIZE, 1, 1)))
void logreg_reduce(__global const float *part, const uint nparts, const uint d,
                   __global const float *w, const float lambda, const float scale,
                   __global float *g, __global float *wpart)
{
    __local float red[SB_LOCAL_SIZE];
    uint j = get_global_id(0), l = get_local_id(0);
    float wsq = 0.0f;
    if (j < d) {
        float s = 0.0f;
        for (uint k = 0; k < nparts; k++)
            s += part[(size_t)k * d + j];
        float wj = w[j];
        g[j] = scale * s + lambda * wj;
        wsq = wj * wj;
    }
    red[l] = wsq;
    sb_logreg_reduce(red, l);
    if (l == 0)
        wpart[get_group_id(0)] = red[0];
}

/* CLBlast path, between the two GEMVs: from the margins' dot products z = X w,
 * c[i] = -y_i sigma(-y_i z_i) * scale and lpart[group] = the group's summed loss. */
__kernel __attribute__((reqd_work_group_size(SB_LOCAL_SIZE, 1, 1)))
void logreg_coef(__global const float *z, __global const float *y, const uint n,
                 const float scale, __global float *c, __global float *lpart)
{
    __local float red[SB_LOCAL_SIZE];
    uint i = get_global_id(0), l = get_local_id(0);
    float li = 0.0f;
    if (i < n) {
        float yi = y[i], sig;
        li = sb_logreg_loss(yi * z[i], &sig);
        c[i] = -yi * sig * scale;
    }
    red[l] = li;
    sb_logreg_reduce(red, l);
    if (l == 0)
        lpart[get_group_id(0)] = red[0];
}

/* x.w over the first d8 float8 vectors of a row in two independent chains (one chain
 * waits on the add latency and caps a core near 25 GB/s), folded to one float. */
inline float sb_logreg_dot8(__global const float *xr, __global const float *w, uint d8)
{
    float8 a = (float8)(0.0f), e = a;
    uint k = 0;
    for (; k + 2 <= d8; k += 2) {
        a += vload8(k, xr) * vload8(k, w);
        e += vload8(k + 1, xr) * vload8(k + 1, w);
    }
    if (k < d8)
        a += vload8(k, xr) * vload8(k, w);
    float8 s8 = a + e;
    return ((s8.s0 + s8.s1) + (s8.s2 + s8.s3)) + ((s8.s4 + s8.s5) + (s8.s6 + s8.s7));
}

/* The fused pass for CPU devices (work-group size 1): work-item gid takes rows
 * [gid * rows, (gid + 1) * rows) in blocks of 4: the 4 dot products with w row after
 * row (one sequential memory stream, as the hardware prefetcher likes; interleaving the
 * 4 rows column-wise measured slower), then part_row += sum_r -y_r sigma(-m_r) x_r in
 * one sweep while the rows are still in L1 (16 KB at d = 1024), loading and storing the
 * partial gradient once per 4 rows instead of once per row. In cache this runs ~1.6x
 * faster than the row-at-a-time version (36-48 vs ~30 GB/s on 2 loaded cores), which
 * is what keeps it near the read roofline when other processes take CPU time. Explicit
 * float8 vectors, because a CPU runtime vectorises neither a float reduction nor a
 * strided work-item loop well. Same outputs as logreg_part (part[gid * d + j],
 * lpart[gid]). */
__kernel void logreg_part_cpu(__global const float *X, __global const float *y,
                              __global const float *w, __global const uint *idx,
                              const uint use_idx, const uint m, const uint d, const uint rows,
                              __global float *part, __global float *lpart)
{
    uint gid = get_global_id(0), d8 = d / 8;
    __global float *acc = part + (size_t)gid * d;
    for (uint j = 0; j < d; j++)
        acc[j] = 0.0f;
    float loss = 0.0f;
    uint r0 = gid * rows, r1 = min(r0 + rows, m), r = r0;
    for (; r1 >= 4 && r <= r1 - 4; r += 4) {
        __global const float *xr[4];
        float c[4];
        for (uint q = 0; q < 4; q++) {
            uint row = use_idx ? idx[r + q] : r + q;
            xr[q] = X + (size_t)row * d;
            float s = sb_logreg_dot8(xr[q], w, d8);
            for (uint j = d8 * 8; j < d; j++)
                s += xr[q][j] * w[j];
            float yi = y[row], sig;
            loss += sb_logreg_loss(yi * s, &sig);
            c[q] = -yi * sig;
        }
        for (uint k = 0; k < d8; k++)
            vstore8(vload8(k, acc) + ((c[0] * vload8(k, xr[0]) + c[1] * vload8(k, xr[1])) +
                                      (c[2] * vload8(k, xr[2]) + c[3] * vload8(k, xr[3]))),
                    k, acc);
        for (uint j = d8 * 8; j < d; j++)
            acc[j] += (c[0] * xr[0][j] + c[1] * xr[1][j]) + (c[2] * xr[2][j] + c[3] * xr[3][j]);
    }
    for (; r < r1; r++) { /* the last rows of the range (fewer than 4), one at a time */
        uint row = use_idx ? idx[r] : r;
        __global const float *xr = X + (size_t)row * d;
        float s = sb_logreg_dot8(xr, w, d8);
        for (uint j = d8 * 8; j < d; j++)
            s += xr[j] * w[j];
        float yi = y[row], sig;
        loss += sb_logreg_loss(yi * s, &sig);
        float c = -yi * sig;
        for (uint k = 0; k < d8; k++)
            vstore8(vload8(k, acc) + c * vload8(k, xr), k, acc);
        for (uint j = d8 * 8; j < d; j++)
            acc[j] += c * xr[j];
    }
    lpart[gid] = loss;
}
