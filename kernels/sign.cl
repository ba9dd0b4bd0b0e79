/* sign.cl - sign quantisation: sign, 1-bit pack/unpack (DESIGN.md section 3 layout),
 * majority vote of packed vectors, fused vote+update, and scaled sign (error feedback). */

/* No fused multiply-add contraction here: the host references (ref.c) round every
 * operation, and the tests and training runs compare against them. Reset at the end. */
#pragma OPENCL FP_CONTRACT OFF

/* s = sign(g); *flag = 1 when g holds a NaN. */
__kernel void vec_sign(__global const float *g, __global float *s, uint n,
                   __global int *flag)
{
    size_t nv = n / 4;
    int nan = 0;
    SB_FOR_UNITS(i, nv)
    {
        float4 v = vload4(i, g);
        nan |= sb_nan4(v);
        vstore4(sb_sign4(v), i, s);
    }
    size_t t = 4 * nv + get_global_id(0);
    if (t < n) {
        float4 v = (float4)(g[t], 0.0f, 0.0f, 0.0f);
        nan |= sb_nan4(v);
        s[t] = sb_sign4(v).x;
    }
    if (nan)
        *flag = 1;
}

/* Bits of 32 consecutive floats: bit k of the word is 1 when p[k] is negative. */
inline uint sb_pack32(__global const float *p, int *nan)
{
    uint w = 0;
#pragma unroll
    for (int k = 0; k < 8; k++) {
        float4 v = vload4(k, p);
        *nan |= sb_nan4(v);
        int4 ng = sb_neg4(v) & 1;
        w |= ((uint)ng.x << (4 * k)) | ((uint)ng.y << (4 * k + 1)) |
             ((uint)ng.z << (4 * k + 2)) | ((uint)ng.w << (4 * k + 3));
    }
    return w;
}

/* bits[w] = packed signs of g[32w .. 32w+31]; padding bits of the last word are 0. */
__kernel void vec_pack(__global const float *g, __global uint *bits, uint n,
                   __global int *flag)
{
    size_t nw = n / 32; /* full words */
    int nan = 0;
    SB_FOR_UNITS(w, nw)
    {
        bits[w] = sb_pack32(g + 32 * w, &nan);
    }
    if (get_global_id(0) == 0 && n % 32) {
        uint word = 0;
        for (size_t i = 32 * nw; i < n; i++) {
            float4 v = (float4)(g[i], 0.0f, 0.0f, 0.0f);
            nan |= sb_nan4(v);
            word |= (uint)(sb_neg4(v).x & 1) << (i % 32);
        }
        bits[nw] = word;
    }
    if (nan)
        *flag = 1;
}

/* Expand one word to 32 floats: bit 1 -> -1, bit 0 -> +1. */
inline void sb_unpack32(uint w, __global float *p)
{
#pragma unroll
    for (int k = 0; k < 8; k++) {
        uint4 b = ((uint4)(w) >> (uint4)(4 * k, 4 * k + 1, 4 * k + 2, 4 * k + 3)) & 1u;
        vstore4(select((float4)(1.0f), (float4)(-1.0f), as_int4(b) << 31), k, p);
    }
}

/* s = +-1 from bits (n elements). */
__kernel void vec_unpack(__global const uint *bits, __global float *s, uint n)
{
    size_t nw = n / 32;
    SB_FOR_UNITS(w, nw)
    {
        sb_unpack32(bits[w], s + 32 * w);
    }
    if (get_global_id(0) == 0 && n % 32) {
        uint word = bits[nw];
        for (size_t i = 32 * nw; i < n; i++)
            s[i] = (word >> (i % 32)) & 1u ? -1.0f : 1.0f;
    }
}

/* Majority of m voters, bit-sliced: c[j] holds bit j of each position's count of ones.
 * The result bit is 1 iff count > m/2 (a tie gives 0, i.e. +1). Works for uint and
 * uint4 (T), loading voter v with LOAD(v). m < 65536. */
#define SB_VOTE(T, LOAD, m, out)                                                           \
    do {                                                                                   \
        T c_[16];                                                                          \
        int nb_ = 32 - clz((uint)(m));                                                     \
        for (int j_ = 0; j_ < nb_; j_++)                                                   \
            c_[j_] = (T)(0u);                                                              \
        for (int v_ = 0; v_ < (m); v_++) {                                                 \
            T carry_ = LOAD(v_);                                                           \
            for (int j_ = 0; j_ < nb_; j_++) {                                             \
                T t_ = c_[j_] & carry_;                                                    \
                c_[j_] ^= carry_;                                                          \
                carry_ = t_;                                                               \
            }                                                                              \
        }                                                                                  \
        uint th_ = (uint)(m) / 2u;                                                         \
        T gt_ = (T)(0u), eq_ = (T)(0xffffffffu);                                           \
        for (int j_ = nb_ - 1; j_ >= 0; j_--) {                                            \
            if ((th_ >> j_) & 1u) {                                                        \
                eq_ &= c_[j_];                                                             \
            } else {                                                                       \
                gt_ |= eq_ & c_[j_];                                                       \
                eq_ &= ~c_[j_];                                                            \
            }                                                                              \
        }                                                                                  \
        (out) = gt_;                                                                       \
    } while (0)

/* out = majority of m packed vectors of nw = ceil(n/32) words each, back to back. */
__kernel void vec_vote(__global const uint *bits, int m, uint nw, __global uint *out)
{
    size_t nq = nw / 4;
    SB_FOR_UNITS(q, nq)
    {
        uint4 r;
#define SB_LOAD4(v) vload4(0, bits + (size_t)(v) * nw + 4 * q)
        SB_VOTE(uint4, SB_LOAD4, m, r);
#undef SB_LOAD4
        vstore4(r, q, out);
    }
    size_t t = 4 * nq + get_global_id(0);
    if (t < nw) {
        uint r;
#define SB_LOAD1(v) bits[(size_t)(v) * nw + t]
        SB_VOTE(uint, SB_LOAD1, m, r);
#undef SB_LOAD1
        out[t] = r;
    }
}

/* x -= lr * sign(vote(bits)): the aggregate is never written. */
__kernel void vec_vote_update(__global float *x, __global const uint *bits, int m,
                              uint n, float lr)
{
    size_t nw = (n + 31) / 32, nfull = n / 32;
#define SB_LOADW(v) bits[(size_t)(v) * nw + w]
    SB_FOR_UNITS(w, nfull)
    {
        uint r;
        SB_VOTE(uint, SB_LOADW, m, r);
        __global float *p = x + 32 * w;
#pragma unroll
        for (int k = 0; k < 8; k++) {
            uint4 b = ((uint4)(r) >> (uint4)(4 * k, 4 * k + 1, 4 * k + 2, 4 * k + 3)) & 1u;
            float4 s = select((float4)(1.0f), (float4)(-1.0f), as_int4(b) << 31);
            vstore4(vload4(k, p) - lr * s, k, p);
        }
    }
    if (get_global_id(0) == 0 && nfull < nw) {
        size_t w = nfull;
        uint r;
        SB_VOTE(uint, SB_LOADW, m, r);
        for (size_t i = 32 * w; i < n; i++)
            x[i] -= lr * ((r >> (i % 32)) & 1u ? -1.0f : 1.0f);
    }
#undef SB_LOADW
}

/* out = scale * sign(g), scale = norm1(g)/n reduced beforehand (reduce.cl). */
__kernel void vec_scaled_sign(__global const float *g, __global float *out, uint n,
                          float scale)
{
    size_t nv = n / 4;
    SB_FOR_UNITS(i, nv)
    {
        vstore4(scale * sb_sign4(vload4(i, g)), i, out);
    }
    size_t t = 4 * nv + get_global_id(0);
    if (t < n)
        out[t] = scale * sb_sign4((float4)(g[t], 0.0f, 0.0f, 0.0f)).x;
}

#pragma OPENCL FP_CONTRACT ON
