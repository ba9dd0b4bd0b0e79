/* common.cl - definitions every kernel file shares; embedded first in the program.
 * Build options set SB_LOCAL_SIZE, SB_CHUNKED and SB_NT_STORES (per-device table). */
#ifndef SB_LOCAL_SIZE
#define SB_LOCAL_SIZE 64
#endif

/* The paper's sign: +1, -1, or 0 at 0 (DESIGN.md section 3). */
inline float sb_sign(float v)
{
    return v > 0.0f ? 1.0f : (v < 0.0f ? -1.0f : 0.0f);
}

/* Launch-latency probe: does nothing, so its time is the runtime's overhead. */
__kernel void empty(void)
{
}

/* Self-test for program binaries (signbench compile --kernel-binary, tests/test_ocl.c):
 * y[i] = fma(a, x[i], y[i]), exact against the host's fmaf. */
__kernel void sb_selftest_axpy(const float a, __global const float *x, __global float *y,
                               const uint n)
{
    uint i = get_global_id(0);
    if (i < n)
        y[i] = fma(a, x[i], y[i]);
}

/* ---- vector kernels (h2: sign.cl, update.cl, reduce.cl, roofline.cl) ------------- */

/* Hyperparameters of one update step; must match sb_hyper in host/ops/ops.h. */
typedef struct sb_hyper {
    float lr, b1, b2, eps, wd;
    int decoupled;
    float bc1, bc2, scale;
    int pad[3];
} sb_hyper;

/* Work split of streaming kernels. CPU devices (PoCL runs one work-group's items one
 * after another on a thread) take one contiguous chunk per work-item, so each thread
 * streams memory in order; GPUs use a grid stride so neighbouring work-items touch
 * neighbouring addresses. Any global size covers all units, so callers may launch any
 * size. host/ocl/ocl.c passes SB_CHUNKED from its per-device table; the guess below only
 * serves builds made without those options. */
#ifndef SB_CHUNKED
#if defined(__x86_64__) || defined(__i386__) || defined(__aarch64__) ||                    \
    defined(__arm__) || defined(__powerpc64__) || defined(__riscv)
#define SB_CHUNKED 1
#else
#define SB_CHUNKED 0
#endif
#endif
/* Streaming (non-temporal) stores for write-only outputs. On a CPU a plain store first
 * reads the line it writes (read for ownership): a write-only output costs twice its
 * bytes. A streaming store writes around the cache, as memcpy does for large copies;
 * kernels/roofline.cl times both forms, and the kernels with a write-only output (sign,
 * unpack, scaled_sign, vote) use it where host/ocl/ocl.c's table sets SB_NT_STORES. Only for
 * vectors at their own alignment (index i of float8 or float16 from a buffer's base:
 * buffers are aligned to CL_DEVICE_MEM_BASE_ADDR_ALIGN, at least 128 bytes) and for
 * scalars. In-place vectors gain nothing (their line is read anyway), measured: see
 * roofline.cl. */
#ifndef SB_NT_STORES
#define SB_NT_STORES SB_CHUNKED
#endif
/* Vector type, load and store of W floats at vector index i (W = 1, 4, 8, 16). 16
 * lanes go as two float8: 16-wide builtin calls change the ABI without AVX-512, and
 * PoCL's compiler warns about each. Never add (or multiply) two loads' results
 * directly: PoCL's LLVM 15 then splits both loads into 8-byte ones (vmovsd) with 2-wide
 * arithmetic. Sum each load on its own, or pass one through an exact "+ 0.0f" (it only
 * turns -0 into +0): vec_read measured 1.15x [1.09, 1.23] faster so, dot 1.09x. */
#define SB_CAT_(a, b) a##b
#define SB_CAT(a, b) SB_CAT_(a, b)
#define SB_VT_1 float
#define SB_VT_4 float4
#define SB_VT_8 float8
#define SB_VT_16 float16
#define SB_LD_1(i, p) ((p)[i])
#define SB_LD_4(i, p) vload4(i, p)
#define SB_LD_8(i, p) vload8(i, p)
#define SB_LD_16(i, p) ((float16)(vload8(2 * (i), p), vload8(2 * (i) + 1, p)))
#define SB_ST_1(v, i, p) ((p)[i] = (v))
#define SB_ST_4(v, i, p) vstore4(v, i, p)
#define SB_ST_8(v, i, p) vstore8(v, i, p)
#define SB_ST_16(v, i, p) (vstore8((v).lo, 2 * (i), p), vstore8((v).hi, 2 * (i) + 1, p))
#if defined(__has_builtin)
#if __has_builtin(__builtin_nontemporal_store)
#define SB_HAVE_NT 1
#define SB_NTX_1(v, i, p) __builtin_nontemporal_store((v), (p) + (i))
#define SB_NTX_4(v, i, p) __builtin_nontemporal_store((v), (__global float4 *)(p) + (i))
#define SB_NTX_8(v, i, p) __builtin_nontemporal_store((v), (__global float8 *)(p) + (i))
#define SB_NTX_16(v, i, p) __builtin_nontemporal_store((v), (__global float16 *)(p) + (i))
#endif
#endif
/* SB_NTX_W: a streaming store where the compiler has one; SB_NTST_W: the kernels'
 * store for write-only outputs, streaming where the device table asks for it. */
#if !defined(SB_HAVE_NT) || !SB_NT_STORES
#define SB_NTST_1 SB_ST_1
#define SB_NTST_4 SB_ST_4
#define SB_NTST_8 SB_ST_8
#define SB_NTST_16 SB_ST_16
#else
#define SB_NTST_1 SB_NTX_1
#define SB_NTST_4 SB_NTX_4
#define SB_NTST_8 SB_NTX_8
#define SB_NTST_16 SB_NTX_16
#endif
/* Streaming stores are weakly ordered: a kernel that made them fences before it ends. */
#if defined(SB_HAVE_NT) && SB_NT_STORES
#define SB_NTST_FENCE() mem_fence(CLK_GLOBAL_MEM_FENCE)
#else
#define SB_NTST_FENCE()
#endif
#ifndef SB_HAVE_NT /* roofline.cl then has no streaming variants */
#define SB_NTX_1 SB_ST_1
#define SB_NTX_4 SB_ST_4
#define SB_NTX_8 SB_ST_8
#define SB_NTX_16 SB_ST_16
#endif

/* for (i over this work-item's units) { ... }: a chunk of units in order (CH 1) or a
 * grid stride (CH 0). Written with two exit tests, the compiler vectorises a scalar
 * body with masked loads and stores; a counted loop (one test) measured 3% slower on
 * PoCL/AVX2 for the updates (update.cl), whose scalar bodies are vectorised so. */
#define SB_FOR_UNITS(i, nv) SB_SPLIT_LOOP(i, nv, SB_CHUNKED)
#define SB_SPLIT_LOOP(i, nv, CH)                                                           \
    for (size_t sbW_ = get_global_size(0), sbP_ = ((nv) + sbW_ - 1) / sbW_, sbK_ = 0,      \
                i = (CH) ? get_global_id(0) * sbP_ : get_global_id(0);                     \
         sbK_ < sbP_ && i < (nv); sbK_++, i += (CH) ? 1 : sbW_)

/* Sign from the bits, exact whatever the device's denormal mode: +1, -1, 0 at +-0 and
 * at NaN (NaN is flagged separately, never trusted). */
inline float4 sb_sign4(float4 v)
{
    int4 u = as_int4(v);
    uint4 mag = as_uint4(u & 0x7fffffff);
    float4 r = select((float4)(1.0f), (float4)(-1.0f), u);
    return select(r, (float4)(0.0f), (mag == 0u) | (mag > 0x7f800000u));
}

/* -1 (all bits) where v packs to bit 1 (negative, not -0.0, not NaN), else 0. */
inline int4 sb_neg4(float4 v)
{
    int4 u = as_int4(v);
    uint4 mag = as_uint4(u & 0x7fffffff);
    return (u < 0) & ((mag - 1u) < 0x7f800000u);
}

/* sb_sign4 on 8 lanes in integer operations only (same results, bit for bit). */
inline float8 sb_sign8(float8 v)
{
    int8 u = as_int8(v), mag = u & 0x7fffffff;
    int8 one = (u & (int)0x80000000) | 0x3f800000; /* +-1.0f with v's sign */
    return as_float8(one & ((mag != 0) & (mag <= 0x7f800000)));
}

/* Lane-wise magnitude bits; a running max of them above 0x7f800000 means a NaN. */
inline uint8 sb_mag8(float8 v)
{
    return as_uint8(v) & 0x7fffffffu;
}

inline int sb_nan4(float4 v)
{
    return any(as_uint4(as_int4(v) & 0x7fffffff) > 0x7f800000u);
}

/* A reduction kernel NAME(a, b, n, partial): each work-item folds TERM(a16, b16) over
 * 16-wide vectors with COMB in two levels (blocks of 16 steps, then across blocks) to
 * keep float rounding small; the work-group reduces in local memory and writes
 * partial[group]. The host combines the partials in double. The vectors are read in S
 * streams side by side (a work-item's chunk of each S-th; the tail, under 16 S
 * elements, strided over the work-items): a CPU core keeps more lines in flight over
 * several streams than over one (kernels/roofline.cl, SB_READ4_KERNEL): 4 for one
 * input; dot, with two inputs, was slower at 2 (0.95x) and keeps 1. Launch with local
 * size SB_LOCAL_SIZE. */
#define SB_RED_T(TERM, v) TERM(vload8(2 * (v), a), vload8(2 * (v), b))
#define SB_RED_T2(TERM, v) TERM(vload8(2 * (v) + 1, a), vload8(2 * (v) + 1, b))
#define SB_REDUCE_KERNEL(NAME, TERM, COMB, S)                                              \
    __kernel __attribute__((reqd_work_group_size(SB_LOCAL_SIZE, 1, 1))) void NAME(         \
        __global const float *a, __global const float *b, uint n, __global float *partial) \
    {                                                                                      \
        __local float sh[SB_LOCAL_SIZE];                                                   \
        size_t q = n / (16 * (S)); /* 16-float vectors per stream */                       \
        /* 16 lanes as two float8 (no 16-wide builtin calls: on AVX2 their ABI warns). */  \
        float8 olo = 0.0f, ohi = 0.0f, ilo = 0.0f, ihi = 0.0f;                             \
        int cnt = 0;                                                                       \
        SB_FOR_UNITS(i, q)                                                                 \
        {                                                                                  \
            float8 tlo = SB_RED_T(TERM, i), thi = SB_RED_T2(TERM, i);                      \
            _Pragma("unroll") for (int s_ = 1; s_ < (S); s_++)                             \
            {                                                                              \
                tlo = COMB(tlo, SB_RED_T(TERM, i + s_ * q));                               \
                thi = COMB(thi, SB_RED_T2(TERM, i + s_ * q));                              \
            }                                                                              \
            ilo = COMB(ilo, tlo);                                                          \
            ihi = COMB(ihi, thi);                                                          \
            if (++cnt == 16) {                                                             \
                olo = COMB(olo, ilo);                                                      \
                ohi = COMB(ohi, ihi);                                                      \
                ilo = ihi = 0.0f;                                                          \
                cnt = 0;                                                                   \
            }                                                                              \
        }                                                                                  \
        olo = COMB(olo, ilo);                                                              \
        ohi = COMB(ohi, ihi);                                                              \
        float8 o8 = COMB(olo, ohi);                                                        \
        float4 o4 = COMB(o8.lo, o8.hi);                                                    \
        float r = COMB(COMB(o4.x, o4.y), COMB(o4.z, o4.w));                                \
        for (size_t t = 16 * (S) * q + get_global_id(0); t < n; t += get_global_size(0))   \
            r = COMB(r, TERM((float8)(a[t]), (float8)(b[t])).s0);                          \
        size_t lid = get_local_id(0);                                                      \
        sh[lid] = r;                                                                       \
        barrier(CLK_LOCAL_MEM_FENCE);                                                      \
        for (size_t w = SB_LOCAL_SIZE / 2; w > 0; w >>= 1) {                               \
            if (lid < w)                                                                   \
                sh[lid] = COMB(sh[lid], sh[lid + w]);                                      \
            barrier(CLK_LOCAL_MEM_FENCE);                                                  \
        }                                                                                  \
        if (lid == 0)                                                                      \
            partial[get_group_id(0)] = sh[0];                                              \
    }
#define SB_ADD(p, q) ((p) + (q))
