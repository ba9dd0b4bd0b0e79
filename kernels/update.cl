/* update.cl - fused optimiser updates update_<name> (DESIGN.md section 6), one pass over
 * memory each, with coupled or decoupled weight decay; host references in host/ops/ref.c. */

/* No fused multiply-add contraction here: the host references (ref.c) round every
 * operation, and the tests and training runs compare against them. Reset at the end. */
#pragma OPENCL FP_CONTRACT OFF

/* Updates work on 8-wide vectors: adam and rmsprop divide and take square roots, and
 * eight lanes halve that cost on AVX CPUs (the other updates are memory-bound either
 * way). */
#define SB_UW 8
typedef float8 sb_uvec;

inline sb_uvec sb_sign_u(sb_uvec v)
{
    int8 u = as_int8(v);
    uint8 mag = as_uint8(u & 0x7fffffff);
    sb_uvec r = select((sb_uvec)(1.0f), (sb_uvec)(-1.0f), u);
    return select(r, (sb_uvec)(0.0f), (mag == 0u) | (mag > 0x7f800000u));
}

/* Each step takes x (already decayed when decoupled), the gradient g (wd x already
 * added when coupled) and the state s1, s2; the host reference (ref.c) does the same
 * operations in the same order. */
inline void sb_step_sgd(sb_uvec *x, sb_uvec g, sb_uvec *s1, sb_uvec *s2, sb_hyper h)
{
    *x = *x - h.lr * g;
}
inline void sb_step_momentum(sb_uvec *x, sb_uvec g, sb_uvec *s1, sb_uvec *s2, sb_hyper h)
{
    *s1 = h.b1 * *s1 + (1.0f - h.b1) * g;
    *x = *x - h.lr * *s1;
}
inline void sb_step_signsgd(sb_uvec *x, sb_uvec g, sb_uvec *s1, sb_uvec *s2, sb_hyper h)
{
    *x = *x - h.lr * sb_sign_u(g);
}
inline void sb_step_signum(sb_uvec *x, sb_uvec g, sb_uvec *s1, sb_uvec *s2, sb_hyper h)
{
    *s1 = h.b1 * *s1 + (1.0f - h.b1) * g;
    *x = *x - h.lr * sb_sign_u(*s1);
}
/* Second pass of error feedback: s1 holds p = lr g + e (ef_accumulate), g is unused. */
inline void sb_step_ef_signsgd(sb_uvec *x, sb_uvec g, sb_uvec *s1, sb_uvec *s2, sb_hyper h)
{
    sb_uvec d = h.scale * sb_sign_u(*s1);
    *s1 = *s1 - d;
    *x = *x - d;
}
inline void sb_step_lion(sb_uvec *x, sb_uvec g, sb_uvec *s1, sb_uvec *s2, sb_hyper h)
{
    sb_uvec c = h.b1 * *s1 + (1.0f - h.b1) * g;
    *x = *x - h.lr * sb_sign_u(c);
    *s1 = h.b2 * *s1 + (1.0f - h.b2) * g;
}
/* lr mhat / (sqrt(vhat) + eps) with mhat = m/bc1, vhat = v/bc2, written as
 * (lr/bc1) m / (sqrt(v) / sqrt(bc2) + eps): the same value with one division per
 * element instead of three (the scalars are per step). */
inline void sb_step_adam(sb_uvec *x, sb_uvec g, sb_uvec *s1, sb_uvec *s2, sb_hyper h)
{
    float lrt = h.lr / h.bc1, rs2 = 1.0f / sqrt(h.bc2);
    *s1 = h.b1 * *s1 + (1.0f - h.b1) * g;
    *s2 = h.b2 * *s2 + (1.0f - h.b2) * (g * g);
    *x = *x - lrt * (*s1 / (sqrt(*s2) * rs2 + h.eps));
}
inline void sb_step_rmsprop(sb_uvec *x, sb_uvec g, sb_uvec *s1, sb_uvec *s2, sb_hyper h)
{
    *s1 = h.b2 * *s1 + (1.0f - h.b2) * (g * g);
    *x = *x - h.lr * (g / (sqrt(*s1) + h.eps));
}

/* update_NAME(x, g, s1, s2, n, h): NS state vectors are read and written; USE_G is 0
 * when the step ignores g (ef-signsgd's second pass). */
#define SB_UPDATE_KERNEL(NAME, NS, USE_G)                                                  \
    __kernel void update_##NAME(__global float *x, __global const float *g,                \
                                __global float *s1, __global float *s2, uint n,            \
                                sb_hyper h)                                                \
    {                                                                                      \
        int coupled = USE_G && h.wd != 0.0f && !h.decoupled;                               \
        int decoupled = h.wd != 0.0f && h.decoupled;                                       \
        float keep = 1.0f - h.lr * h.wd;                                                   \
        size_t nv = n / SB_UW;                                                             \
        SB_FOR_UNITS(i, nv)                                                                \
        {                                                                                  \
            sb_uvec xv = vload8(i, x), gv = 0.0f, a = 0.0f, b = 0.0f;                      \
            if (USE_G)                                                                     \
                gv = vload8(i, g);                                                         \
            if (NS > 0)                                                                    \
                a = vload8(i, s1);                                                         \
            if (NS > 1)                                                                    \
                b = vload8(i, s2);                                                         \
            if (coupled)                                                                   \
                gv = gv + h.wd * xv;                                                       \
            if (decoupled)                                                                 \
                xv = keep * xv;                                                            \
            sb_step_##NAME(&xv, gv, &a, &b, h);                                            \
            vstore8(xv, i, x);                                                             \
            if (NS > 0)                                                                    \
                vstore8(a, i, s1);                                                         \
            if (NS > 1)                                                                    \
                vstore8(b, i, s2);                                                         \
        }                                                                                  \
        size_t t = SB_UW * nv + get_global_id(0);                                          \
        if (t < n) {                                                                       \
            sb_uvec xv = (sb_uvec)(x[t]), gv = 0.0f, a = 0.0f, b = 0.0f;                   \
            if (USE_G)                                                                     \
                gv = (sb_uvec)(g[t]);                                                      \
            if (NS > 0)                                                                    \
                a = (sb_uvec)(s1[t]);                                                      \
            if (NS > 1)                                                                    \
                b = (sb_uvec)(s2[t]);                                                      \
            if (coupled)                                                                   \
                gv = gv + h.wd * xv;                                                       \
            if (decoupled)                                                                 \
                xv = keep * xv;                                                            \
            sb_step_##NAME(&xv, gv, &a, &b, h);                                            \
            x[t] = xv.s0;                                                                  \
            if (NS > 0)                                                                    \
                s1[t] = a.s0;                                                              \
            if (NS > 1)                                                                    \
                s2[t] = b.s0;                                                              \
        }                                                                                  \
    }

SB_UPDATE_KERNEL(sgd, 0, 1)
SB_UPDATE_KERNEL(momentum, 1, 1)
SB_UPDATE_KERNEL(signsgd, 0, 1)
SB_UPDATE_KERNEL(signum, 1, 1)
SB_UPDATE_KERNEL(ef_signsgd, 1, 0)
SB_UPDATE_KERNEL(lion, 1, 1)
SB_UPDATE_KERNEL(adam, 2, 1)
SB_UPDATE_KERNEL(rmsprop, 1, 1)

#pragma OPENCL FP_CONTRACT ON
