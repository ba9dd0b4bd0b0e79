/* sign.cl - sign quantisation: sign, 1-bit pack/unpack (DESIGN.md section 3 layout),
 * majority vote of packed vectors, fused vote+update, and scaled sign (error feedback). */

/* No fused multiply-add contraction here: the host references (ref.c) round every
 * operation, and the tests and training runs compare against them. Reset at the end. */
#pragma OPENCL FP_CONTRACT OFF

/* s = sign(g); *flag = 1 when g holds a NaN. Units of 16 floats as two float8 (no
 * 16-wide builtin calls: their ABI warns on AVX2), stored with streaming stores where the
 * device table asks (common.cl); launch at least 15 work-items for the tail. */
__kernel void vec_sign(__global const float *g, __global float *s, uint n,
                       __global int *flag)
{
    size_t nv = n / 16;
    uint8 big = 0; /* largest magnitude bits per lane */
    SB_FOR_UNITS(i, nv)
    {
        float8 a = vload8(2 * i, g), b = vload8(2 * i + 1, g);
        big = max(big, max(sb_mag8(a), sb_mag8(b)));
        SB_NTST_8(sb_sign8(a), 2 * i, s);
        SB_NTST_8(sb_sign8(b), 2 * i + 1, s);
    }
    int nan = any(big > 0x7f800000u);
    size_t t = 16 * nv + get_global_id(0);
    if (t < n) {
        float4 v = (float4)(g[t], 0.0f, 0.0f, 0.0f);
        nan |= sb_nan4(v);
        s[t] = sb_sign4(v).x;
    }
    SB_NTST_FENCE();
    if (nan)
        *flag = 1;
}

/* Bits of 32 consecutive floats: bit k of the word is 1 when p[k] is negative (not -0.0,
 * not NaN). Four 8-wide vectors, each lane masked to its own bit, then OR-reduced: a
 * few vector operations per word instead of 32 scalar shifts. Negative is two signed
 * compares on the bits (INT_MIN < u <= the bits of -inf), NaN a running max of the
 * magnitude bits in *big (above 0x7f800000: a NaN): half the operations of unsigned
 * compares, which AVX2 lacks, and pack was bound by its operations. */
inline uint sb_pack32(__global const float *p, uint8 *big)
{
    const int8 bit = (int8)(0x1, 0x2, 0x4, 0x8, 0x10, 0x20, 0x40, 0x80);
    int8 w = 0;
#pragma unroll
    for (int k = 0; k < 4; k++) {
        int8 u = as_int8(vload8(k, p));
        *big = max(*big, as_uint8(u & 0x7fffffff));
        w |= ((u > (int)0x80000000) & (u < (int)0xff800001)) & (bit << (8 * k));
    }
    int4 w4 = w.lo | w.hi;
    int2 w2 = w4.lo | w4.hi;
    return (uint)(w2.x | w2.y);
}

/* bits[w] = packed signs of g[32w .. 32w+31]; padding bits of the last word are 0. The
 * full words are read in four streams side by side, as the norms read (common.cl,
 * SB_REDUCE_KERNEL), the last few (under four) strided over the work-items. */
__kernel void vec_pack(__global const float *g, __global uint *bits, uint n,
                       __global int *flag)
{
    size_t nw = n / 32, q = nw / 4; /* full words; words per stream */
    uint8 big = 0; /* largest magnitude bits per lane */
    SB_FOR_UNITS(w, q)
    {
        bits[w] = sb_pack32(g + 32 * w, &big);
        bits[w + q] = sb_pack32(g + 32 * (w + q), &big);
        bits[w + 2 * q] = sb_pack32(g + 32 * (w + 2 * q), &big);
        bits[w + 3 * q] = sb_pack32(g + 32 * (w + 3 * q), &big);
    }
    for (size_t w = 4 * q + get_global_id(0); w < nw; w += get_global_size(0))
        bits[w] = sb_pack32(g + 32 * w, &big);
    int nan = any(big > 0x7f800000u);
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

/* Expand word w to the 32 floats at float8 index j8 of p: bit 1 -> -1, bit 0 -> +1
 * (1.0f with the bit as its sign bit). */
inline void sb_unpack32(uint w, __global float *p, size_t j8)
{
    const uint8 sh = (uint8)(0, 1, 2, 3, 4, 5, 6, 7);
    const uint8 one = as_uint8((float8)(1.0f));
#pragma unroll
    for (int k = 0; k < 4; k++)
        SB_NTST_8(as_float8(one | ((((uint8)(w >> (8 * k))) >> sh) << 31)), j8 + k, p);
}

/* s = +-1 from bits (n elements): units of four words (128 floats), then the last full
 * words one per work-item, then a partial word. */
__kernel void vec_unpack(__global const uint *bits, __global float *s, uint n)
{
    size_t nw = n / 32, nq = nw / 4;
    SB_FOR_UNITS(q, nq)
    {
        uint4 w = vload4(q, bits);
        sb_unpack32(w.x, s, 16 * q);
        sb_unpack32(w.y, s, 16 * q + 4);
        sb_unpack32(w.z, s, 16 * q + 8);
        sb_unpack32(w.w, s, 16 * q + 12);
    }
    size_t w = 4 * nq + get_global_id(0);
    if (w < nw)
        sb_unpack32(bits[w], s, 4 * w);
    if (get_global_id(0) == 0 && n % 32) {
        uint word = bits[nw];
        for (size_t i = 32 * nw; i < n; i++)
            s[i] = (word >> (i % 32)) & 1u ? -1.0f : 1.0f;
    }
    SB_NTST_FENCE();
}

/* Full and half adders on bit-sliced lanes: s = a + b (+ c) at weight 1, co at 2. */
#define SB_FA(T, a, b, c, s, co)                                                           \
    {                                                                                      \
        T x_ = (a) ^ (b);                                                                  \
        s = x_ ^ (c);                                                                      \
        co = ((a) & (b)) | (x_ & (c));                                                     \
    }
#define SB_HA(a, b, s, co)                                                                 \
    {                                                                                      \
        s = (a) ^ (b);                                                                     \
        co = (a) & (b);                                                                    \
    }

/* Eight voters from v_ on, counted by a carry-save tree into the 4-bit count k0..k3
 * (weights 1, 2, 4, 8): 7 adders, 26 operations instead of 8 ripples through NB bits. */
#define SB_COUNT8(T, LOAD, k0, k1, k2, k3)                                                 \
    {                                                                                      \
        T s0, c0, s1, c1, s2, c2, c3, s4, c4, c5;                                          \
        T x0 = LOAD(v_), x1 = LOAD(v_ + 1), x2 = LOAD(v_ + 2), x3 = LOAD(v_ + 3);          \
        T x4 = LOAD(v_ + 4), x5 = LOAD(v_ + 5), x6 = LOAD(v_ + 6), x7 = LOAD(v_ + 7);      \
        SB_FA(T, x0, x1, x2, s0, c0);                                                      \
        SB_FA(T, x3, x4, x5, s1, c1);                                                      \
        SB_FA(T, s0, s1, x6, s2, c2);                                                      \
        SB_HA(s2, x7, k0, c3);                                                             \
        SB_FA(T, c0, c1, c2, s4, c4);                                                      \
        SB_HA(s4, c3, k1, c5);                                                             \
        SB_HA(c4, c5, k2, k3);                                                             \
    }

/* Majority of m voters, bit-sliced: c[j] holds bit j of each position's count of ones,
 * NB = bits of m counters. Voters come in blocks of eight (SB_COUNT8, then the block's
 * 4-bit count added into c), the rest one by one. The result bit is 1 iff count > m/2 (a
 * tie gives 0, i.e. +1). Works for uint and uintN (T), loading voter v with LOAD(v). m
 * < 65536. With NB a compile-time constant (SB_VOTE_SWITCH) the counters stay in
 * registers and the ripples unroll: 1.4x the throughput of a run-time NB, whose array
 * goes to the stack; the carry-save blocks gain another 1.6x at m = 32. */
#define SB_VOTE(T, LOAD, m, NB, out)                                                       \
    do {                                                                                   \
        T c_[NB];                                                                          \
        _Pragma("unroll") for (int j_ = 0; j_ < (NB); j_++) c_[j_] = (T)(0u);              \
        int v_ = 0;                                                                        \
        for (; v_ + 8 <= (m); v_ += 8) {                                                   \
            T k_[4], carry_ = (T)(0u);                                                     \
            SB_COUNT8(T, LOAD, k_[0], k_[1], k_[2], k_[3]);                                \
            _Pragma("unroll") for (int j_ = 0; j_ < (NB); j_++)                            \
            {                                                                              \
                T s_, co_;                                                                 \
                if (j_ < 4) { /* the index stays in k_ in unrolled copies with j_ >= 4 */  \
                    SB_FA(T, c_[j_], k_[j_ < 4 ? j_ : 0], carry_, s_, co_);                \
                } else {                                                                   \
                    SB_HA(c_[j_], carry_, s_, co_);                                        \
                }                                                                          \
                c_[j_] = s_;                                                               \
                carry_ = co_;                                                              \
            }                                                                              \
        }                                                                                  \
        for (; v_ < (m); v_++) {                                                           \
            T carry_ = LOAD(v_);                                                           \
            _Pragma("unroll") for (int j_ = 0; j_ < (NB); j_++)                            \
            {                                                                              \
                T t_ = c_[j_] & carry_;                                                    \
                c_[j_] ^= carry_;                                                          \
                carry_ = t_;                                                               \
            }                                                                              \
        }                                                                                  \
        uint th_ = (uint)(m) / 2u;                                                         \
        T gt_ = (T)(0u), eq_ = (T)(0xffffffffu);                                           \
        _Pragma("unroll") for (int j_ = (NB)-1; j_ >= 0; j_--)                             \
        {                                                                                  \
            if ((th_ >> j_) & 1u) {                                                        \
                eq_ &= c_[j_];                                                             \
            } else {                                                                       \
                gt_ |= eq_ & c_[j_];                                                       \
                eq_ &= ~c_[j_];                                                            \
            }                                                                              \
        }                                                                                  \
        (out) = gt_;                                                                       \
    } while (0)

/* BODY(NB) once per counter width 1..16, chosen by m at run time (outside the loops). */
#define SB_VOTE_SWITCH(m, BODY)                                                            \
    switch (32 - clz((uint)(m))) {                                                         \
    case 1: BODY(1); break;                                                                \
    case 2: BODY(2); break;                                                                \
    case 3: BODY(3); break;                                                                \
    case 4: BODY(4); break;                                                                \
    case 5: BODY(5); break;                                                                \
    case 6: BODY(6); break;                                                                \
    case 7: BODY(7); break;                                                                \
    case 8: BODY(8); break;                                                                \
    case 9: BODY(9); break;                                                                \
    case 10: BODY(10); break;                                                              \
    case 11: BODY(11); break;                                                              \
    case 12: BODY(12); break;                                                              \
    case 13: BODY(13); break;                                                              \
    case 14: BODY(14); break;                                                              \
    case 15: BODY(15); break;                                                              \
    default: BODY(16); break;                                                              \
    }

/* out = majority of m packed vectors of nw = ceil(n/32) words each, back to back; 16
 * words per unit so the bit-sliced counters are 16-wide vectors (64-byte loads, as the
 * fastest read variants in kernels/roofline.cl). out is write-only: streaming stores
 * where the device table asks (common.cl), as sign and unpack store. */
__kernel void vec_vote(__global const uint *bits, int m, uint nw, __global uint *out)
{
    size_t nq = nw / 16;
/* 16 words as two uint8 loads, and stores: 16-wide builtin calls warn on AVX2 (ABI). */
#define SB_LOAD16(v)                                                                       \
    (uint16)(vload8(0, bits + (size_t)(v) * nw + 16 * q),                                  \
             vload8(1, bits + (size_t)(v) * nw + 16 * q))
#define SB_VOTE16(NB)                                                                      \
    SB_FOR_UNITS(q, nq)                                                                    \
    {                                                                                      \
        uint16 r;                                                                          \
        SB_VOTE(uint16, SB_LOAD16, m, NB, r);                                              \
        SB_NTST_8(as_float8(r.lo), 2 * q, (__global float *)out);                          \
        SB_NTST_8(as_float8(r.hi), 2 * q + 1, (__global float *)out);                      \
    }
    SB_VOTE_SWITCH(m, SB_VOTE16)
#undef SB_VOTE16
#undef SB_LOAD16
    size_t t = 16 * nq + get_global_id(0);
    if (t < nw) {
        uint r;
#define SB_LOAD1(v) bits[(size_t)(v) * nw + t]
        SB_VOTE(uint, SB_LOAD1, m, 16, r);
#undef SB_LOAD1
        out[t] = r;
    }
    SB_NTST_FENCE();
}

/* x[0..31] -= lr * (+-1) from the bits of one word (bit 1: -1). */
inline void sb_step32(uint r, __global float *p, float lr)
{
    const uint16 sh = (uint16)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    int16 a = as_int16(((uint16)(r) >> sh) << 31);
    int16 b = as_int16(((uint16)(r >> 16) >> sh) << 31);
    /* +-1 as 1.0f with the sign bit of the mask; float8 loads and stores (a float16
     * builtin call warns about its ABI on AVX2). */
    float16 sa = as_float16(as_int16((float16)(1.0f)) | a);
    float16 sb = as_float16(as_int16((float16)(1.0f)) | b);
    float16 xa = (float16)(vload8(0, p), vload8(1, p)) - lr * sa;
    float16 xb = (float16)(vload8(2, p), vload8(3, p)) - lr * sb;
    vstore8(xa.lo, 0, p);
    vstore8(xa.hi, 1, p);
    vstore8(xb.lo, 2, p);
    vstore8(xb.hi, 3, p);
}

/* x -= lr * sign(vote(bits)): the aggregate is never written. Units of eight words
 * (256 elements) vote 8-wide; the rest (fewer than 256 elements) goes word by word. */
__kernel void vec_vote_update(__global float *x, __global const uint *bits, int m,
                              uint n, float lr)
{
    size_t nw = (n + 31) / 32, nu = n / 256;
#define SB_LOAD8(v) vload8(0, bits + (size_t)(v) * nw + 8 * q)
#define SB_VOTE8(NB)                                                                       \
    SB_FOR_UNITS(q, nu)                                                                    \
    {                                                                                      \
        uint8 r;                                                                           \
        SB_VOTE(uint8, SB_LOAD8, m, NB, r);                                                \
        __global float *p = x + 256 * q;                                                   \
        sb_step32(r.s0, p, lr);                                                            \
        sb_step32(r.s1, p + 32, lr);                                                       \
        sb_step32(r.s2, p + 64, lr);                                                       \
        sb_step32(r.s3, p + 96, lr);                                                       \
        sb_step32(r.s4, p + 128, lr);                                                      \
        sb_step32(r.s5, p + 160, lr);                                                      \
        sb_step32(r.s6, p + 192, lr);                                                      \
        sb_step32(r.s7, p + 224, lr);                                                      \
    }
    SB_VOTE_SWITCH(m, SB_VOTE8)
#undef SB_VOTE8
#undef SB_LOAD8
    /* The remaining words, one per work-item; a partial last word element-wise. */
    size_t w = 8 * nu + get_global_id(0);
    if (w < nw) {
        uint r;
#define SB_LOADW(v) bits[(size_t)(v) * nw + w]
        SB_VOTE(uint, SB_LOADW, m, 16, r);
#undef SB_LOADW
        if (32 * w + 32 <= n) {
            sb_step32(r, x + 32 * w, lr);
        } else {
            for (size_t i = 32 * w; i < n; i++)
                x[i] -= lr * ((r >> (i % 32)) & 1u ? -1.0f : 1.0f);
        }
    }
}

/* out = scale * sign(g), scale = norm1(g)/n reduced beforehand (reduce.cl); as vec_sign,
 * units of 16 floats with streaming stores where the device table asks. */
__kernel void vec_scaled_sign(__global const float *g, __global float *out, uint n,
                              float scale)
{
    size_t nv = n / 16;
    SB_FOR_UNITS(i, nv)
    {
        SB_NTST_8(scale * sb_sign8(vload8(2 * i, g)), 2 * i, out);
        SB_NTST_8(scale * sb_sign8(vload8(2 * i + 1, g)), 2 * i + 1, out);
    }
    size_t t = 16 * nv + get_global_id(0);
    if (t < n)
        out[t] = scale * sb_sign4((float4)(g[t], 0.0f, 0.0f, 0.0f)).x;
    SB_NTST_FENCE();
}

#pragma OPENCL FP_CONTRACT ON
