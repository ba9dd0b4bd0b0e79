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

static inline float sign_of(float v)
{
    uint32_t u = bits_of(v), mag = u & 0x7fffffffu;
    if (mag == 0 || mag > 0x7f800000u)
        return 0.0f;
    return (u >> 31) ? -1.0f : 1.0f;
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

int sb_ref_pack(const float *g, uint32_t *bits, size_t n, int par)
{
    int nan = 0;
    size_t nw = words_of(n);
#pragma omp parallel for if (par) schedule(static) reduction(| : nan)
    for (size_t w = 0; w < nw; w++) {
        uint32_t word = 0;
        size_t end = 32 * w + 32 < n ? 32 * w + 32 : n;
        for (size_t i = 32 * w; i < end; i++) {
            nan |= is_nan(g[i]);
            word |= neg_bit(g[i]) << (i % 32);
        }
        bits[w] = word;
    }
    return nan;
}

void sb_ref_unpack(const uint32_t *bits, float *s, size_t n, int par)
{
#pragma omp parallel for if (par) schedule(static)
    for (size_t i = 0; i < n; i++)
        s[i] = (bits[i / 32] >> (i % 32)) & 1u ? -1.0f : 1.0f;
}

/* Majority of m voters at word w: per bit, count the ones and compare with m/2. */
static inline uint32_t vote_word(const uint32_t *bits, int m, size_t nw, size_t w)
{
    int count[32] = {0};
    for (int v = 0; v < m; v++) {
        uint32_t word = bits[(size_t)v * nw + w];
        for (int b = 0; b < 32; b++)
            count[b] += (word >> b) & 1u;
    }
    uint32_t out = 0;
    for (int b = 0; b < 32; b++)
        if (count[b] > m / 2)
            out |= 1u << b;
    return out;
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
        size_t end = 32 * w + 32 < n ? 32 * w + 32 : n;
        for (size_t i = 32 * w; i < end; i++)
            x[i] = x[i] - lr * ((r >> (i % 32)) & 1u ? -1.0f : 1.0f);
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

typedef void (*step_fn)(float *x, float g, float *s1, float *s2, const sb_hyper *h);

static void step_sgd(float *x, float g, float *s1, float *s2, const sb_hyper *h)
{
    *x = *x - h->lr * g;
}
static void step_momentum(float *x, float g, float *s1, float *s2, const sb_hyper *h)
{
    *s1 = h->b1 * *s1 + (1.0f - h->b1) * g;
    *x = *x - h->lr * *s1;
}
static void step_signsgd(float *x, float g, float *s1, float *s2, const sb_hyper *h)
{
    *x = *x - h->lr * sign_of(g);
}
static void step_signum(float *x, float g, float *s1, float *s2, const sb_hyper *h)
{
    *s1 = h->b1 * *s1 + (1.0f - h->b1) * g;
    *x = *x - h->lr * sign_of(*s1);
}
static void step_ef_signsgd(float *x, float g, float *s1, float *s2, const sb_hyper *h)
{
    float d = h->scale * sign_of(*s1);
    *s1 = *s1 - d;
    *x = *x - d;
}
static void step_lion(float *x, float g, float *s1, float *s2, const sb_hyper *h)
{
    float c = h->b1 * *s1 + (1.0f - h->b1) * g;
    *x = *x - h->lr * sign_of(c);
    *s1 = h->b2 * *s1 + (1.0f - h->b2) * g;
}
/* lr mhat / (sqrt(vhat) + eps), mhat = m/bc1, vhat = v/bc2, as (lr/bc1) m /
 * (sqrt(v) / sqrt(bc2) + eps): one division per element, as in the kernel. */
static void step_adam(float *x, float g, float *s1, float *s2, const sb_hyper *h)
{
    float lrt = h->lr / h->bc1, rs2 = 1.0f / sqrtf(h->bc2);
    *s1 = h->b1 * *s1 + (1.0f - h->b1) * g;
    *s2 = h->b2 * *s2 + (1.0f - h->b2) * (g * g);
    *x = *x - lrt * (*s1 / (sqrtf(*s2) * rs2 + h->eps));
}
static void step_rmsprop(float *x, float g, float *s1, float *s2, const sb_hyper *h)
{
    *s1 = h->b2 * *s1 + (1.0f - h->b2) * (g * g);
    *x = *x - h->lr * (g / (sqrtf(*s1) + h->eps));
}

static const struct {
    const char *kernel;
    step_fn fn;
} steps[] = {
    {"update_sgd", step_sgd},         {"update_momentum", step_momentum},
    {"update_signsgd", step_signsgd}, {"update_signum", step_signum},
    {"update_ef_signsgd", step_ef_signsgd}, {"update_lion", step_lion},
    {"update_adam", step_adam},       {"update_rmsprop", step_rmsprop},
};

static step_fn step_for(const sb_update_info *u)
{
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        if (strcmp(steps[i].kernel, u->kernel) == 0)
            return steps[i].fn;
    return NULL;
}

void sb_ref_update(const sb_update_info *u, float *x, const float *g, float *s1, float *s2,
                   size_t n, sb_hyper h, int par)
{
    step_fn fn = step_for(u);
    if (!fn || n == 0)
        return;
    int ef = strcmp(u->kernel, "update_ef_signsgd") == 0;
    int coupled = h.wd != 0.0f && !h.decoupled;
    int decoupled = h.wd != 0.0f && h.decoupled;
    float keep = 1.0f - h.lr * h.wd;
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
#pragma omp parallel for if (par) schedule(static)
    for (size_t i = 0; i < n; i++) {
        float xv = x[i], gv = ef ? 0.0f : g[i];
        float a = s1 ? s1[i] : 0.0f, b = s2 ? s2[i] : 0.0f;
        if (coupled)
            gv = gv + h.wd * xv;
        if (decoupled)
            xv = keep * xv;
        fn(&xv, gv, &a, &b, &h);
        x[i] = xv;
        if (u->nstate > 0)
            s1[i] = a;
        if (u->nstate > 1)
            s2[i] = b;
    }
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
