/* quad.cl - the separable quadratic f = 0.5 sum lambda_i x_i^2 (DESIGN.md 5.3): gradient
 * and per-work-group partial sums of the value (the host adds them in double). */

/* g[i] = lambda[i] x[i]; fpart[group] = sum over the group of 0.5 lambda[i] x[i]^2.
 * Work-group size must be SB_LOCAL_SIZE (a power of two). */
__kernel __attribute__((reqd_work_group_size(SB_LOCAL_SIZE, 1, 1)))
void quad_grad(__global const float *x, __global const float *lambda, __global float *g,
               __global float *fpart, const uint d)
{
    __local float red[SB_LOCAL_SIZE];
    uint i = get_global_id(0), l = get_local_id(0);
    float v = 0.0f;
    if (i < d) {
        float gi = lambda[i] * x[i];
        g[i] = gi;
        v = 0.5f * gi * x[i];
    }
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
