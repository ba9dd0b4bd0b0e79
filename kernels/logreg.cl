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

/* Fused pass: work-group grp takes rows [grp * rows, (grp + 1) * rows) of the m used
 * rows (row r is idx[r] for a minibatch, else r), computes each margin, and accumulates
 * -y sigma(-m) x_row into its own partial gradient acc (local, length d) while the row
 * is still in cache: X is read from memory once. part[grp * d + j] = that partial sum,
 * lpart[grp] = the group's summed loss. Work-group size must be SB_LOCAL_SIZE. */
__kernel __attribute__((reqd_work_group_size(SB_LOCAL_SIZE, 1, 1)))
void logreg_part(__global const float *X, __global const float *y, __global const float *w,
                 __global const uint *idx, const uint use_idx, const uint m, const uint d,
                 const uint rows, __global float *part, __global float *lpart,
                 __local float *acc)
{
    __local float red[SB_LOCAL_SIZE];
    uint l = get_local_id(0), grp = get_group_id(0);
    for (uint j = l; j < d; j += SB_LOCAL_SIZE)
        acc[j] = 0.0f;
    float loss = 0.0f;
    uint r0 = grp * rows, r1 = min(r0 + rows, m);
    for (uint r = r0; r < r1; r++) {
        uint row = use_idx ? idx[r] : r;
        __global const float *xr = X + (size_t)row * d;
        float s = 0.0f;
        for (uint j = l; j < d; j += SB_LOCAL_SIZE)
            s += xr[j] * w[j];
        red[l] = s;
        sb_logreg_reduce(red, l);
        float yi = y[row], sig;
        float li = sb_logreg_loss(yi * red[0], &sig);
        float c = -yi * sig;
        loss += li;
        /* Each work-item owns columns j = l (mod SB_LOCAL_SIZE) of acc: no race. */
        for (uint j = l; j < d; j += SB_LOCAL_SIZE)
            acc[j] += c * xr[j];
        barrier(CLK_LOCAL_MEM_FENCE); /* red[0] is read before the next row rewrites it */
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
