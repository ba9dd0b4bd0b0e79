/* update.cl - fused optimiser updates update_<name> (DESIGN.md section 6), one pass over
 * memory each, with coupled or decoupled weight decay; host references in host/ref.c. */

/* No fused multiply-add contraction here: the host references (ref.c) round every
 * operation, and the tests and training runs compare against them. Reset at the end. */
#pragma OPENCL FP_CONTRACT OFF

/* Each step takes x (already decayed when decoupled), the gradient g (wd x already
 * added when coupled) and the state s1, s2; the host reference (ref.c) does the same
 * operations in the same order. */
inline void sb_step_sgd(float4 *x, float4 g, float4 *s1, float4 *s2, sb_hyper h)
{
    *x = *x - h.lr * g;
}
inline void sb_step_momentum(float4 *x, float4 g, float4 *s1, float4 *s2, sb_hyper h)
{
    *s1 = h.b1 * *s1 + (1.0f - h.b1) * g;
    *x = *x - h.lr * *s1;
}
inline void sb_step_signsgd(float4 *x, float4 g, float4 *s1, float4 *s2, sb_hyper h)
{
    *x = *x - h.lr * sb_sign4(g);
}
inline void sb_step_signum(float4 *x, float4 g, float4 *s1, float4 *s2, sb_hyper h)
{
    *s1 = h.b1 * *s1 + (1.0f - h.b1) * g;
    *x = *x - h.lr * sb_sign4(*s1);
}
/* Second pass of error feedback: s1 holds p = lr g + e (ef_accumulate), g is unused. */
inline void sb_step_ef_signsgd(float4 *x, float4 g, float4 *s1, float4 *s2, sb_hyper h)
{
    float4 d = h.scale * sb_sign4(*s1);
    *s1 = *s1 - d;
    *x = *x - d;
}
inline void sb_step_lion(float4 *x, float4 g, float4 *s1, float4 *s2, sb_hyper h)
{
    float4 c = h.b1 * *s1 + (1.0f - h.b1) * g;
    *x = *x - h.lr * sb_sign4(c);
    *s1 = h.b2 * *s1 + (1.0f - h.b2) * g;
}
inline void sb_step_adam(float4 *x, float4 g, float4 *s1, float4 *s2, sb_hyper h)
{
    *s1 = h.b1 * *s1 + (1.0f - h.b1) * g;
    *s2 = h.b2 * *s2 + (1.0f - h.b2) * (g * g);
    float4 mhat = *s1 / h.bc1, vhat = *s2 / h.bc2;
    *x = *x - h.lr * (mhat / (sqrt(vhat) + h.eps));
}
inline void sb_step_rmsprop(float4 *x, float4 g, float4 *s1, float4 *s2, sb_hyper h)
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
        int coupled = USE_G && h.wd != 0.0f && !h.decoupled;                              \
        int decoupled = h.wd != 0.0f && h.decoupled;                                       \
        float keep = 1.0f - h.lr * h.wd;                                                   \
        size_t nv = n / 4;                                                                 \
        SB_FOR_UNITS(i, nv)                                                                \
        {                                                                                  \
            float4 xv = vload4(i, x), gv = 0.0f, a = 0.0f, b = 0.0f;                       \
            if (USE_G)                                                                     \
                gv = vload4(i, g);                                                         \
            if (NS > 0)                                                                    \
                a = vload4(i, s1);                                                         \
            if (NS > 1)                                                                    \
                b = vload4(i, s2);                                                         \
            if (coupled)                                                                   \
                gv = gv + h.wd * xv;                                                       \
            if (decoupled)                                                                 \
                xv = keep * xv;                                                            \
            sb_step_##NAME(&xv, gv, &a, &b, h);                                            \
            vstore4(xv, i, x);                                                             \
            if (NS > 0)                                                                    \
                vstore4(a, i, s1);                                                         \
            if (NS > 1)                                                                    \
                vstore4(b, i, s2);                                                         \
        }                                                                                  \
        size_t t = 4 * nv + get_global_id(0);                                              \
        if (t < n) {                                                                       \
            float4 xv = (float4)(x[t]), gv = 0.0f, a = 0.0f, b = 0.0f;                     \
            if (USE_G)                                                                     \
                gv = (float4)(g[t]);                                                       \
            if (NS > 0)                                                                    \
                a = (float4)(s1[t]);                                                       \
            if (NS > 1)                                                                    \
                b = (float4)(s2[t]);                                                       \
            if (coupled)                                                                   \
                gv = gv + h.wd * xv;                                                       \
            if (decoupled)                                                                 \
                xv = keep * xv;                                                            \
            sb_step_##NAME(&xv, gv, &a, &b, h);                                            \
            x[t] = xv.x;                                                                   \
            if (NS > 0)                                                                    \
                s1[t] = a.x;                                                               \
            if (NS > 1)                                                                    \
                s2[t] = b.x;                                                               \
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
