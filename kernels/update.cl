/* update.cl - fused optimiser updates update_<name> (DESIGN.md section 6), one pass over
 * memory each, with coupled or decoupled weight decay; host references in host/ops/ref.c. */

/* No fused multiply-add contraction here: the host references (ref.c) round every
 * operation, and the tests and training runs compare against them. Reset at the end. */
#pragma OPENCL FP_CONTRACT OFF

/* The sign of each lane from its bits, as sb_sign8 (common.cl): +1, -1, 0 at +-0 and
 * NaN; one overload per width the updates use. */
inline float __attribute__((overloadable)) sb_usign(float v)
{
    int u = as_int(v), mag = u & 0x7fffffff;
    int one = (u & (int)0x80000000) | 0x3f800000; /* +-1.0f with v's sign */
    return as_float(one & -(int)((mag != 0) & (mag <= 0x7f800000)));
}
inline float8 __attribute__((overloadable)) sb_usign(float8 v)
{
    return sb_sign8(v);
}

/* Each step takes x (already decayed when decoupled), the gradient g (wd x already
 * added when coupled) and the state s1, s2, all lvalues of one vector type; the host
 * reference (ref.c) does the same operations in the same order. */
#define SB_STEP_sgd(x, g, s1, s2, h) (x = x - h.lr * g)
#define SB_STEP_momentum(x, g, s1, s2, h)                                                  \
    (s1 = h.b1 * s1 + (1.0f - h.b1) * g, x = x - h.lr * s1)
#define SB_STEP_signsgd(x, g, s1, s2, h) (x = x - h.lr * sb_usign(g))
#define SB_STEP_signum(x, g, s1, s2, h)                                                    \
    (s1 = h.b1 * s1 + (1.0f - h.b1) * g, x = x - h.lr * sb_usign(s1))
/* Second pass of error feedback: s1 holds p = lr g + e (ef_accumulate), g is unused;
 * d = scale sign(p) goes through s2, which this update does not otherwise use. */
#define SB_STEP_ef_signsgd(x, g, s1, s2, h)                                                \
    (s2 = h.scale * sb_usign(s1), s1 = s1 - s2, x = x - s2)
/* The sign uses c = b1 m + (1 - b1) g; the momentum then moves with b2. g goes
 * through s2 first, which this update does not otherwise use. */
#define SB_STEP_lion(x, g, s1, s2, h)                                                      \
    (s2 = h.b1 * s1 + (1.0f - h.b1) * g, x = x - h.lr * sb_usign(s2),                      \
     s1 = h.b2 * s1 + (1.0f - h.b2) * g)
/* lr mhat / (sqrt(vhat) + eps) with mhat = m/bc1, vhat = v/bc2, written as
 * (lr/bc1) m / (sqrt(v) / sqrt(bc2) + eps): the same value with one division per
 * element instead of three (the scalars are per step, lrt and rs2 in the kernel). */
#define SB_STEP_adam(x, g, s1, s2, h)                                                      \
    (s1 = h.b1 * s1 + (1.0f - h.b1) * g, s2 = h.b2 * s2 + (1.0f - h.b2) * (g * g),         \
     x = x - lrt * (s1 / (sqrt(s2) * rs2 + h.eps)))
#define SB_STEP_rmsprop(x, g, s1, s2, h)                                                   \
    (s1 = h.b2 * s1 + (1.0f - h.b2) * (g * g), x = x - h.lr * (g / (sqrt(s1) + h.eps)))

/* One update of W lanes at vector index i (W = 1 for the tail). */
#define SB_UPDATE_AT(NAME, NS, USE_G, W, i, coupled, decoupled)                            \
    {                                                                                      \
        SB_CAT(SB_VT_, W) xv = SB_CAT(SB_LD_, W)(i, x), gv = 0.0f, a = 0.0f, b = 0.0f;     \
        if (USE_G)                                                                         \
            gv = SB_CAT(SB_LD_, W)(i, g);                                                  \
        if (NS > 0)                                                                        \
            a = SB_CAT(SB_LD_, W)(i, s1);                                                  \
        if (NS > 1)                                                                        \
            b = SB_CAT(SB_LD_, W)(i, s2);                                                  \
        if (coupled)                                                                       \
            gv = gv + h.wd * xv;                                                           \
        if (decoupled)                                                                     \
            xv = keep * xv;                                                                \
        SB_STEP_##NAME(xv, gv, a, b, h);                                                   \
        SB_CAT(SB_ST_, W)(xv, i, x);                                                       \
        if (NS > 0)                                                                        \
            SB_CAT(SB_ST_, W)(a, i, s1);                                                   \
        if (NS > 1)                                                                        \
            SB_CAT(SB_ST_, W)(b, i, s2);                                                   \
    }

/* The loop over the units and the tail, with the weight-decay mode CP (coupled) and DC
 * (decoupled) as constants: with the test of the run-time flags inside the loop, PoCL's
 * compiler kept a branch per vector there. Hoisted (PoCL/AVX2, interleaved A/B): at 1M
 * floats, in cache, 1.12-1.45x (ef-signsgd 1.02x); at 64M, where memory bounds them,
 * sgd 1.06-1.12x, signsgd 0.94-0.96x, the others the same. */
#define SB_UPDATE_LOOP(NAME, NS, USE_G, W, CP, DC)                                         \
    {                                                                                      \
        size_t nv = n / (W);                                                               \
        SB_FOR_UNITS(i, nv)                                                                \
        SB_UPDATE_AT(NAME, NS, USE_G, W, i, CP, DC)                                        \
        size_t t = (W)*nv + get_global_id(0); /* the tail, under W elements */              \
        if (t < n)                                                                         \
            SB_UPDATE_AT(NAME, NS, USE_G, 1, t, CP, DC)                                    \
    }

/* update_NAME(x, g, s1, s2, n, h) on W-wide vectors: NS state vectors are read and
 * written; USE_G is 0 when the step ignores g (ef-signsgd's second pass). The width is
 * per update, as measured on PoCL/AVX2 (interleaved, 64M floats): W = 1, a loop the
 * compiler vectorises and unrolls itself, keeps more loads in flight and was faster
 * for most (adam 1.18x, signum 1.05x over float8); signsgd was faster on float8. */
#define SB_UPDATE_KERNEL(NAME, NS, USE_G, W)                                               \
    __kernel void update_##NAME(__global float *x, __global const float *g,                \
                                __global float *s1, __global float *s2, uint n,            \
                                sb_hyper h)                                                \
    {                                                                                      \
        float keep = 1.0f - h.lr * h.wd;                                                   \
        float lrt = h.lr / h.bc1, rs2 = 1.0f / sqrt(h.bc2);                                \
        (void)keep, (void)lrt, (void)rs2;                                                  \
        if (USE_G && h.wd != 0.0f && !h.decoupled)                                         \
            SB_UPDATE_LOOP(NAME, NS, USE_G, W, 1, 0)                                       \
        else if (h.wd != 0.0f && h.decoupled)                                              \
            SB_UPDATE_LOOP(NAME, NS, USE_G, W, 0, 1)                                       \
        else                                                                               \
            SB_UPDATE_LOOP(NAME, NS, USE_G, W, 0, 0)                                       \
    }

SB_UPDATE_KERNEL(sgd, 0, 1, 1)
SB_UPDATE_KERNEL(momentum, 1, 1, 1)
SB_UPDATE_KERNEL(signsgd, 0, 1, 8)
SB_UPDATE_KERNEL(signum, 1, 1, 1)
SB_UPDATE_KERNEL(ef_signsgd, 1, 0, 1)
SB_UPDATE_KERNEL(lion, 1, 1, 1)
SB_UPDATE_KERNEL(adam, 2, 1, 1)
SB_UPDATE_KERNEL(rmsprop, 1, 1, 1)

#pragma OPENCL FP_CONTRACT ON
