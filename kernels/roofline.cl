/* roofline.cl - reference kernels with the traffic patterns of the measured ones, in
 * their style: vec_copy, vec_read (sum), vec_rmw (x += a*g); then the ceiling variants. */

/* No fused multiply-add contraction here: the host references (ref.c) round every
 * operation, and the tests and training runs compare against them. Reset at the end. */
#pragma OPENCL FP_CONTRACT OFF

/* b = a: read 4, write 4 bytes per element; like vec_sign (sign.cl), 16 floats per unit
 * as two float8, stored as it stores (SB_NTST_8); launch at least 15 work-items. */
__kernel void vec_copy(__global const float *a, __global float *b, uint n)
{
    size_t nv = n / 16;
    SB_FOR_UNITS(i, nv)
    {
        SB_NTST_8(vload8(2 * i, a), 2 * i, b);
        SB_NTST_8(vload8(2 * i + 1, a), 2 * i + 1, b);
    }
    size_t t = 16 * nv + get_global_id(0);
    if (t < n)
        b[t] = a[t];
    SB_NTST_FENCE();
}

/* Sum of a (read 4 bytes per element), partials per work-group, written exactly like
 * the norms (SB_REDUCE_KERNEL); b is unused (pass a). "+ 0.0f" keeps the loads whole
 * (common.cl, above SB_LD_1), as norm1's fabs does. */
#define SB_T_SUM(p, q) ((p) + 0.0f)
SB_REDUCE_KERNEL(vec_read, SB_T_SUM, SB_ADD, 4)

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

/* ---- ceiling variants ------------------------------------------------------------
 * The same traffic patterns written several ways, so that the ceiling a kernel is
 * measured against is the best of them rather than one implementation's speed: vector
 * width W (1, 4, 8, 16 floats), and the work split CH (1: one contiguous chunk per
 * work-item, 0: grid stride), launched by the host at several work-group sizes. One
 * shape for every pattern: NIN read-only inputs (0 to 2; the second is y0, in a
 * pattern with no in-place vector), NIO vectors read and written in place (0 to 3),
 * NOUT write-only outputs (0 or 1), RED 1 for a reduction (the sum of t, one partial
 * per work-item in out). Per element, with t = in[i] (c without an input, in[i] +
 * y0[i] with two): y += c * (NIN ? t : y) for each in-place y, out = t. ref_stream in
 * host/ops/ref.c does the same. */
#define SB_HSUM_1(v) (v)
#define SB_HSUM_4(v) (((v).s0 + (v).s1) + ((v).s2 + (v).s3))
#define SB_HSUM_8(v) (SB_HSUM_4((v).lo) + SB_HSUM_4((v).hi))
#define SB_HSUM_16(v) (SB_HSUM_8((v).lo) + SB_HSUM_8((v).hi))

/* One element (W = 1) or vector (W > 1) at index i. */
#define SB_STREAM_STEP(W, i, NT, NIN, NIO, NOUT, RED, acc)                                 \
    {                                                                                      \
        SB_CAT(SB_VT_, W) t_ = (SB_CAT(SB_VT_, W))(c);                                     \
        if (NIN)                                                                           \
            t_ = SB_CAT(SB_LD_, W)(i, in);                                                 \
        if (NIN > 1 && RED) /* summed on its own (common.cl, above SB_LD_1) */             \
            acc += SB_CAT(SB_LD_, W)(i, y0);                                               \
        if (NIO > 0) {                                                                     \
            SB_CAT(SB_VT_, W) y_ = SB_CAT(SB_LD_, W)(i, y0);                               \
            SB_CAT(SB_ST_, W)(y_ + c * (NIN ? t_ : y_), i, y0);                            \
        }                                                                                  \
        if (NIO > 1) {                                                                     \
            SB_CAT(SB_VT_, W) y_ = SB_CAT(SB_LD_, W)(i, y1);                               \
            SB_CAT(SB_ST_, W)(y_ + c * (NIN ? t_ : y_), i, y1);                            \
        }                                                                                  \
        if (NIO > 2) {                                                                     \
            SB_CAT(SB_VT_, W) y_ = SB_CAT(SB_LD_, W)(i, y2);                               \
            SB_CAT(SB_ST_, W)(y_ + c * (NIN ? t_ : y_), i, y2);                            \
        }                                                                                  \
        if (NOUT && NT)                                                                    \
            SB_CAT(SB_NTX_, W)(t_, i, out);                                                \
        else if (NOUT)                                                                     \
            SB_CAT(SB_ST_, W)(t_, i, out);                                                 \
        if (RED)                                                                           \
            acc += t_;                                                                     \
    }

#define SB_STREAM_KERNEL(NAME, W, CH, NT, NIN, NIO, NOUT, RED)                             \
    __kernel void NAME(__global const float *in, __global float *y0, __global float *y1,   \
                       __global float *y2, __global float *out, uint n, float c)           \
    {                                                                                      \
        size_t nv = n / (W);                                                               \
        SB_CAT(SB_VT_, W) acc = 0.0f;                                                      \
        SB_SPLIT_LOOP(i, nv, CH)                                                           \
        SB_STREAM_STEP(W, i, NT, NIN, NIO, NOUT, RED, acc)                                 \
        float tail = 0.0f;                                                                 \
        size_t t = (W)*nv + get_global_id(0);                                              \
        if (t < n)                                                                         \
            SB_STREAM_STEP(1, t, NT, NIN, NIO, NOUT, RED, tail)                            \
        if (NT)                                                                            \
            mem_fence(CLK_GLOBAL_MEM_FENCE); /* as SB_NTST_FENCE */                        \
        if (RED)                                                                           \
            out[get_global_id(0)] = SB_CAT(SB_HSUM_, W)(acc) + tail;                       \
    }

/* Every width and split of one pattern; NT 1 with suffix n: streaming stores. */
#define SB_STREAM_SET(PAT, NT, SFX, NIN, NIO, NOUT, RED)                                  \
    SB_STREAM_KERNEL(ceil_##PAT##_w1_c##SFX, 1, 1, NT, NIN, NIO, NOUT, RED)                \
    SB_STREAM_KERNEL(ceil_##PAT##_w1_g##SFX, 1, 0, NT, NIN, NIO, NOUT, RED)                \
    SB_STREAM_KERNEL(ceil_##PAT##_w4_c##SFX, 4, 1, NT, NIN, NIO, NOUT, RED)                \
    SB_STREAM_KERNEL(ceil_##PAT##_w4_g##SFX, 4, 0, NT, NIN, NIO, NOUT, RED)                \
    SB_STREAM_KERNEL(ceil_##PAT##_w8_c##SFX, 8, 1, NT, NIN, NIO, NOUT, RED)                \
    SB_STREAM_KERNEL(ceil_##PAT##_w8_g##SFX, 8, 0, NT, NIN, NIO, NOUT, RED)                \
    SB_STREAM_KERNEL(ceil_##PAT##_w16_c##SFX, 16, 1, NT, NIN, NIO, NOUT, RED)              \
    SB_STREAM_KERNEL(ceil_##PAT##_w16_g##SFX, 16, 0, NT, NIN, NIO, NOUT, RED)
#define SB_STREAM_VARIANTS(PAT, NIN, NIO, NOUT, RED) SB_STREAM_SET(PAT, 0, , NIN, NIO, NOUT, RED)

/* Streaming-store variants (common.cl) of the patterns with a write-only output; only
 * where the compiler has the builtin, and the host lists only the kernels it finds.
 * Measured on PoCL/AVX2: +60% for write, +27% for copy; an in-place vector stored so
 * was slower (its line is in the cache already), so scale/rmw/inplace have none. */
#ifdef SB_HAVE_NT
#define SB_STREAM_NT_VARIANTS(PAT, NIN, NIO, NOUT, RED) SB_STREAM_SET(PAT, 1, n, NIN, NIO, NOUT, RED)
SB_STREAM_NT_VARIANTS(write, 0, 0, 1, 0)
SB_STREAM_NT_VARIANTS(copy, 1, 0, 1, 0)
#endif

/* Reads in four streams: a work-item's chunk of each quarter of the vector, read side by
 * side, each into its own sum (common.cl, above SB_LD_1). A CPU core keeps more lines in
 * flight over several sequential streams than over one (PoCL/AVX2, 2 cores: 19-20 GB/s
 * against 15); in-place and streaming-store patterns were slower so (their lines are
 * written back, and write-combining buffers are few). The tail (under 4W elements) goes
 * one element per work-item: launch at least 4W. */
#define SB_READ4_KERNEL(NAME, W)                                                           \
    __kernel void NAME(__global const float *in, __global float *y0, __global float *y1,   \
                       __global float *y2, __global float *out, uint n, float c)           \
    {                                                                                      \
        size_t q = n / (4 * (W)); /* vectors per stream */                                 \
        SB_CAT(SB_VT_, W) acc = 0.0f, acc1 = 0.0f, acc2 = 0.0f, acc3 = 0.0f;               \
        SB_SPLIT_LOOP(i, q, 1)                                                             \
        {                                                                                  \
            acc += SB_CAT(SB_LD_, W)(i, in);                                               \
            acc1 += SB_CAT(SB_LD_, W)(i + q, in);                                          \
            acc2 += SB_CAT(SB_LD_, W)(i + 2 * q, in);                                      \
            acc3 += SB_CAT(SB_LD_, W)(i + 3 * q, in);                                      \
        }                                                                                  \
        acc = (acc + acc1) + (acc2 + acc3);                                                \
        float tail = 0.0f;                                                                 \
        for (size_t t = 4 * (W) * q + get_global_id(0); t < n; t += get_global_size(0))    \
            tail += in[t];                                                                 \
        out[get_global_id(0)] = SB_CAT(SB_HSUM_, W)(acc) + tail;                           \
    }
SB_READ4_KERNEL(ceil_read_w4_cs, 4)
SB_READ4_KERNEL(ceil_read_w8_cs, 8)
SB_READ4_KERNEL(ceil_read_w16_cs, 16)

/* The patterns of host/ops/ops.c's sb_patterns table, in its order. */
SB_STREAM_VARIANTS(read, 1, 0, 0, 1)
SB_STREAM_VARIANTS(write, 0, 0, 1, 0)
SB_STREAM_VARIANTS(copy, 1, 0, 1, 0)
SB_STREAM_VARIANTS(scale, 0, 1, 0, 0)
SB_STREAM_VARIANTS(rmw, 1, 1, 0, 0)
SB_STREAM_VARIANTS(rmw2, 1, 2, 0, 0)
SB_STREAM_VARIANTS(rmw3, 1, 3, 0, 0)
SB_STREAM_VARIANTS(inplace2, 0, 2, 0, 0)
SB_STREAM_VARIANTS(read2, 2, 0, 0, 1)

#pragma OPENCL FP_CONTRACT ON
