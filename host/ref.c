/* ref.c - plain C references of the vector kernels, one thread or OpenMP: the same
 * operations in the same order as kernels/sign.cl, update.cl, reduce.cl, roofline.cl. */
#include <math.h>
#include <string.h>

#include "ref.h"

static inline uint32_t bits_of(float v)
{
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    return u;
}

/* From the bits, as the kernels do: exact whatever the denormal mode. */
static inline int is_nan(float v)
{
    return (bits_of(v) & 0x7fffffffu) > 0x7f800000u;
}

/* Written with selects only, so loops that call it still vectorise. */
static inline float sign_of(float v)
{
    uint32_t u = bits_of(v), mag = u & 0x7fffffffu;
    float s = (u >> 31) ? -1.0f : 1.0f;
    return (mag - 1u) < 0x7f800000u ? s : 0.0f;
}

/* 1 when v packs to bit 1: negative, not -0.0, not NaN. */
static inline uint32_t neg_bit(float v)
{
    uint32_t u = bits_of(v), mag = u & 0x7fffffffu;
    return (u >> 31) && mag - 1u < 0x7f800000u;
}

static inline size_t words_of(size_t n)
{
    return (n + 31) / 32;
}

int sb_ref_sign(const float *g, float *s, size_t n, int par)
{
    int nan = 0;
#pragma omp parallel for if (par) schedule(static) reduction(| : nan)
    for (size_t i = 0; i < n; i++) {
        nan |= is_nan(g[i]);
        s[i] = sign_of(g[i]);
    }
    return nan;
}

/* Full words run a fixed 32-element loop (the compiler vectorises it as an OR
 * reduction); the last, partial word goes element by element. */
int sb_ref_pack(const float *g, uint32_t *bits, size_t n, int par)
{
    int nan = 0;
    size_t nfull = n / 32;
#pragma omp parallel for if (par) schedule(static) reduction(| : nan)
    for (size_t w = 0; w < nfull; w++) {
        uint32_t word = 0;
        int wnan = 0;
        const float *p = g + 32 * w;
        for (uint32_t k = 0; k < 32; k++) {
            wnan |= is_nan(p[k]);
            word |= neg_bit(p[k]) << k;
        }
        bits[w] = word;
        nan |= wnan;
    }
    if (n % 32) {
        uint32_t word = 0;
        for (size_t i = 32 * nfull; i < n; i++) {
            nan |= is_nan(g[i]);
            word |= neg_bit(g[i]) << (i % 32);
        }
        bits[nfull] = word;
    }
    return nan;
}

static inline void unpack_word(uint32_t word, float *s, size_t count)
{
    for (size_t k = 0; k < count; k++)
        s[k] = (word >> k) & 1u ? -1.0f : 1.0f;
}

void sb_ref_unpack(const uint32_t *bits, float *s, size_t n, int par)
{
    size_t nw = words_of(n);
#pragma omp parallel for if (par) schedule(static)
    for (size_t w = 0; w < nw; w++)
        unpack_word(bits[w], s + 32 * w, 32 * w + 32 <= n ? 32 : n - 32 * w);
}

/* Majority of m voters at word w, with bit-sliced counters (as the kernel): c[j] holds
 * bit j of every position's count; the result bit is count > m/2. The tests check it
 * against a plain per-bit count. */
static inline uint32_t vote_word(const uint32_t *bits, int m, size_t nw, size_t w)
{
    uint32_t c[17] = {0};
    int nb = 0;
    while (nb < 17 && (1 << nb) <= m)
        nb++;
    for (int v = 0; v < m; v++) {
        uint32_t carry = bits[(size_t)v * nw + w];
        for (int j = 0; j < nb && carry; j++) {
            uint32_t t = c[j] & carry;
            c[j] ^= carry;
            carry = t;
        }
    }
    uint32_t th = (uint32_t)m / 2, gt = 0, eq = 0xffffffffu;
    for (int j = nb - 1; j >= 0; j--) {
        if ((th >> j) & 1u) {
            eq &= c[j];
        } else {
            gt |= eq & c[j];
            eq &= ~c[j];
        }
    }
    return gt;
}

void sb_ref_vote(const uint32_t *bits, int m, size_t n, uint32_t *out, int par)
{
    size_t nw = words_of(n);
#pragma omp parallel for if (par) schedule(static)
    for (size_t w = 0; w < nw; w++)
        out[w] = vote_word(bits, m, nw, w);
}

void sb_ref_vote_update(float *x, const uint32_t *bits, int m, size_t n, float lr, int par)
{
    size_t nw = words_of(n);
#pragma omp parallel for if (par) schedule(static)
    for (size_t w = 0; w < nw; w++) {
        uint32_t r = vote_word(bits, m, nw, w);
        size_t count = 32 * w + 32 <= n ? 32 : n - 32 * w;
        float *p = x + 32 * w;
        for (size_t k = 0; k < count; k++)
            p[k] = p[k] - lr * ((r >> k) & 1u ? -1.0f : 1.0f);
    }
}

void sb_ref_scaled_sign(const float *g, float *out, size_t n, int par)
{
    if (n == 0)
        return;
    float scale = (float)(sb_ref_reduce(SB_NORM1, g, g, n, par) / (double)n);
#pragma omp parallel for if (par) schedule(static)
    for (size_t i = 0; i < n; i++)
        out[i] = scale * sign_of(g[i]);
}

/* ---- updates: one element, the kernel's operations in the kernel's order ---------- */

static inline void step_sgd(float *x, float g, float *s1, float *s2, const sb_hyper *h)
{
    *x = *x - h->lr * g;
}
static inline void step_momentum(float *x, float g, float *s1, float *s2, const sb_hyper *h)
{
    *s1 = h->b1 * *s1 + (1.0f - h->b1) * g;
    *x = *x - h->lr * *s1;
}
static inline void step_signsgd(float *x, float g, float *s1, float *s2, const sb_hyper *h)
{
    *x = *x - h->lr * sign_of(g);
}
static inline void step_signum(float *x, float g, float *s1, float *s2, const sb_hyper *h)
{
    *s1 = h->b1 * *s1 + (1.0f - h->b1) * g;
    *x = *x - h->lr * sign_of(*s1);
}
static inline void step_ef_signsgd(float *x, float g, float *s1, float *s2, const sb_hyper *h)
{
    float d = h->scale * sign_of(*s1);
    *s1 = *s1 - d;
    *x = *x - d;
}
static inline void step_lion(float *x, float g, float *s1, float *s2, const sb_hyper *h)
{
    float c = h->b1 * *s1 + (1.0f - h->b1) * g;
    *x = *x - h->lr * sign_of(c);
    *s1 = h->b2 * *s1 + (1.0f - h->b2) * g;
}
/* lr mhat / (sqrt(vhat) + eps), mhat = m/bc1, vhat = v/bc2, as (lr/bc1) m /
 * (sqrt(v) / sqrt(bc2) + eps): one division per element, as in the kernel. */
static inline void step_adam(float *x, float g, float *s1, float *s2, const sb_hyper *h)
{
    float lrt = h->lr / h->bc1, rs2 = 1.0f / sqrtf(h->bc2);
    *s1 = h->b1 * *s1 + (1.0f - h->b1) * g;
    *s2 = h->b2 * *s2 + (1.0f - h->b2) * (g * g);
    *x = *x - lrt * (*s1 / (sqrtf(*s2) * rs2 + h->eps));
}
static inline void step_rmsprop(float *x, float g, float *s1, float *s2, const sb_hyper *h)
{
    *s1 = h->b2 * *s1 + (1.0f - h->b2) * (g * g);
    *x = *x - h->lr * (g / (sqrtf(*s1) + h->eps));
}

/* One loop per optimiser, so the compiler inlines the step and vectorises: this loop is
 * also micro's C baseline. NS state vectors are read and written; USE_G is 0 for
 * ef-signsgd's second pass, which ignores g. */
#define REF_LOOP(NAME, NS, USE_G)                                                          \
    static void loop_##NAME(float *restrict x, const float *restrict g,                   \
                            float *restrict s1, float *restrict s2, size_t n, sb_hyper h, \
                            int coupled, int decoupled, int par)                           \
    {                                                                                      \
        float keep = 1.0f - h.lr * h.wd;                                                   \
        _Pragma("omp parallel for if (par) schedule(static)")                              \
        for (size_t i = 0; i < n; i++) {                                                   \
            float xv = x[i], gv = USE_G ? g[i] : 0.0f;                                     \
            float a = NS > 0 ? s1[i] : 0.0f, b = NS > 1 ? s2[i] : 0.0f;                    \
            if (coupled)                                                                   \
                gv = gv + h.wd * xv;                                                       \
            if (decoupled)                                                                 \
                xv = keep * xv;                                                            \
            step_##NAME(&xv, gv, &a, &b, &h);                                              \
            x[i] = xv;                                                                     \
            if (NS > 0)                                                                    \
                s1[i] = a;                                                                 \
            if (NS > 1)                                                                    \
                s2[i] = b;                                                                 \
        }                                                                                  \
    }

REF_LOOP(sgd, 0, 1)
REF_LOOP(momentum, 1, 1)
REF_LOOP(signsgd, 0, 1)
REF_LOOP(signum, 1, 1)
REF_LOOP(ef_signsgd, 1, 0)
REF_LOOP(lion, 1, 1)
REF_LOOP(adam, 2, 1)
REF_LOOP(rmsprop, 1, 1)

typedef void (*loop_fn)(float *restrict x, const float *restrict g, float *restrict s1,
                        float *restrict s2, size_t n, sb_hyper h, int coupled, int decoupled,
                        int par);

static const struct {
    const char *kernel;
    loop_fn fn;
} loops[] = {
    {"update_sgd", loop_sgd},         {"update_momentum", loop_momentum},
    {"update_signsgd", loop_signsgd}, {"update_signum", loop_signum},
    {"update_ef_signsgd", loop_ef_signsgd}, {"update_lion", loop_lion},
    {"update_adam", loop_adam},       {"update_rmsprop", loop_rmsprop},
};

static loop_fn loop_for(const sb_update_info *u)
{
    for (size_t i = 0; i < sizeof loops / sizeof loops[0]; i++)
        if (u && u->kernel && strcmp(loops[i].kernel, u->kernel) == 0)
            return loops[i].fn;
    return NULL;
}

void sb_ref_update(const sb_update_info *u, float *x, const float *g, float *s1, float *s2,
                   size_t n, sb_hyper h, int par)
{
    loop_fn fn = loop_for(u);
    if (!fn || n == 0)
        return;
    int ef = strcmp(u->kernel, "update_ef_signsgd") == 0;
    int coupled = h.wd != 0.0f && !h.decoupled;
    int decoupled = h.wd != 0.0f && h.decoupled;
    if (ef) {
        /* First pass (ef_accumulate): e = p = lr g + e, scale = norm1(p)/n. */
        double sum = 0.0;
#pragma omp parallel for if (par) schedule(static) reduction(+ : sum)
        for (size_t i = 0; i < n; i++) {
            float gv = g[i];
            if (coupled)
                gv = gv + h.wd * x[i];
            s1[i] = h.lr * gv + s1[i];
            sum += fabsf(s1[i]);
        }
        h.scale = (float)(sum / (double)n);
        coupled = 0;
    }
    fn(x, ef ? NULL : g, u->nstate > 0 ? s1 : NULL, u->nstate > 1 ? s2 : NULL, n, h, coupled,
       decoupled, par);
}

/* ---- reductions and roofline ---------------------------------------------------- */

double sb_ref_reduce(sb_reduce_kind kind, const float *a, const float *b, size_t n, int par)
{
    double s = 0.0;
    switch (kind) {
    case SB_NORM1:
#pragma omp parallel for if (par) schedule(static) reduction(+ : s)
        for (size_t i = 0; i < n; i++)
            s += fabsf(a[i]);
        return s;
    case SB_NORM2:
#pragma omp parallel for if (par) schedule(static) reduction(+ : s)
        for (size_t i = 0; i < n; i++)
            s += (double)a[i] * a[i];
        return sqrt(s);
    case SB_NORMINF:
#pragma omp parallel for if (par) schedule(static) reduction(max : s)
        for (size_t i = 0; i < n; i++)
            s = fmax(s, fabsf(a[i]));
        return s;
    case SB_DOT:
#pragma omp parallel for if (par) schedule(static) reduction(+ : s)
        for (size_t i = 0; i < n; i++)
            s += (double)a[i] * b[i];
        return s;
    }
    return 0.0;
}

void sb_ref_copy(const float *a, float *b, size_t n, int par)
{
#pragma omp parallel for if (par) schedule(static)
    for (size_t i = 0; i < n; i++)
        b[i] = a[i];
}

double sb_ref_read(const float *a, size_t n, int par)
{
    double s = 0.0;
#pragma omp parallel for if (par) schedule(static) reduction(+ : s)
    for (size_t i = 0; i < n; i++)
        s += a[i];
    return s;
}

void sb_ref_rmw(float *x, const float *g, size_t n, float a, int par)
{
#pragma omp parallel for if (par) schedule(static)
    for (size_t i = 0; i < n; i++)
        x[i] += a * g[i];
}
