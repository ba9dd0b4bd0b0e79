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

/* The value of bit k of a packed word, as a table so the packing loop below is an AND
 * and an OR per element (no variable shift, no branch): it vectorises with plain SSE2. */
static const uint32_t bit_k[32] = {
    1u << 0,  1u << 1,  1u << 2,  1u << 3,  1u << 4,  1u << 5,  1u << 6,  1u << 7,
    1u << 8,  1u << 9,  1u << 10, 1u << 11, 1u << 12, 1u << 13, 1u << 14, 1u << 15,
    1u << 16, 1u << 17, 1u << 18, 1u << 19, 1u << 20, 1u << 21, 1u << 22, 1u << 23,
    1u << 24, 1u << 25, 1u << 26, 1u << 27, 1u << 28, 1u << 29, 1u << 30, 1u << 31};

/* One word of 32 signs built at once: every element ANDs its bit with an all-ones or
 * all-zeros mask, the word is the OR of the 32 (an OR reduction the compiler
 * vectorises). *nan gets 1 when one of them is NaN. */
static inline uint32_t pack_word(const float *p, int *nan)
{
    uint32_t word = 0, wnan = 0;
#pragma omp simd reduction(| : word, wnan)
    for (int k = 0; k < 32; k++) {
        wnan |= (uint32_t)is_nan(p[k]);
        word |= bit_k[k] & (0u - neg_bit(p[k]));
    }
    *nan |= (int)wnan;
    return word;
}

/* Full words by pack_word; the last, partial word element by element. */
int sb_ref_pack(const float *g, uint32_t *bits, size_t n, int par)
{
    int nan = 0;
    size_t nfull = n / 32;
#pragma omp parallel for if (par) schedule(static) reduction(| : nan)
    for (size_t w = 0; w < nfull; w++)
        bits[w] = pack_word(g + 32 * w, &nan);
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
        s[k] = word & bit_k[k] ? -1.0f : 1.0f;
}

void sb_ref_unpack(const uint32_t *bits, float *s, size_t n, int par)
{
    size_t nw = words_of(n);
#pragma omp parallel for if (par) schedule(static)
    for (size_t w = 0; w < nw; w++)
        unpack_word(bits[w], s + 32 * w, 32 * w + 32 <= n ? 32 : n - 32 * w);
}

/* Majority of m voters for up to VOTE_LANES consecutive words (from word w, count of
 * them), with bit-sliced counters as the kernel: c[j] holds bit j of every position's
 * count; the result bit is count > m/2. The lanes are independent words, so the inner
 * loops have a fixed length and no branch, and the compiler vectorises them. The tests
 * check the result against a plain per-bit count. */
#define VOTE_LANES 8

static void vote_words(const uint32_t *bits, int m, size_t nw, size_t w, size_t count,
                       uint32_t *out)
{
    uint32_t c[17][VOTE_LANES] = {{0}};
    int nb = 0;
    while (nb < 17 && (1 << nb) <= m)
        nb++;
    for (int v = 0; v < m; v++) {
        const uint32_t *row = bits + (size_t)v * nw + w;
        uint32_t carry[VOTE_LANES];
        for (size_t l = 0; l < VOTE_LANES; l++)
            carry[l] = l < count ? row[l] : 0u;
        for (int j = 0; j < nb; j++)
            for (int l = 0; l < VOTE_LANES; l++) {
                uint32_t t = c[j][l] & carry[l];
                c[j][l] ^= carry[l];
                carry[l] = t;
            }
    }
    uint32_t th = (uint32_t)m / 2, gt[VOTE_LANES] = {0}, eq[VOTE_LANES];
    for (int l = 0; l < VOTE_LANES; l++)
        eq[l] = 0xffffffffu;
    for (int j = nb - 1; j >= 0; j--) {
        int one = (th >> j) & 1u;
        for (int l = 0; l < VOTE_LANES; l++) {
            gt[l] |= one ? 0u : eq[l] & c[j][l];
            eq[l] &= one ? c[j][l] : ~c[j][l];
        }
    }
    for (size_t l = 0; l < count; l++)
        out[l] = gt[l];
}

void sb_ref_vote(const uint32_t *bits, int m, size_t n, uint32_t *out, int par)
{
    size_t nw = words_of(n), nblocks = (nw + VOTE_LANES - 1) / VOTE_LANES;
#pragma omp parallel for if (par) schedule(static)
    for (size_t k = 0; k < nblocks; k++) {
        size_t w = k * VOTE_LANES;
        vote_words(bits, m, nw, w, nw - w < VOTE_LANES ? nw - w : VOTE_LANES, out + w);
    }
}

void sb_ref_vote_update(float *x, const uint32_t *bits, int m, size_t n, float lr, int par)
{
    size_t nw = words_of(n), nblocks = (nw + VOTE_LANES - 1) / VOTE_LANES;
#pragma omp parallel for if (par) schedule(static)
    for (size_t k = 0; k < nblocks; k++) {
        size_t w0 = k * VOTE_LANES, nwords = nw - w0 < VOTE_LANES ? nw - w0 : VOTE_LANES;
        uint32_t r[VOTE_LANES];
        vote_words(bits, m, nw, w0, nwords, r);
        for (size_t l = 0; l < nwords; l++) {
            size_t w = w0 + l, count = 32 * w + 32 <= n ? 32 : n - 32 * w;
            float *p = x + 32 * w;
            for (size_t i = 0; i < count; i++)
                p[i] = p[i] - lr * (r[l] & bit_k[i] ? -1.0f : 1.0f);
        }
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
static inline void step_ef_signsgd(float *x, float g, float *s1, float *s2,
                                   const sb_hyper *h)
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
    static void loop_##NAME(float *restrict x, const float *restrict g,                    \
                            float *restrict s1, float *restrict s2, size_t n, sb_hyper h,  \
                            int coupled, int decoupled, int par)                           \
    {                                                                                      \
        float keep = 1.0f - h.lr * h.wd;                                                   \
        _Pragma(                                                                           \
            "omp parallel for if (par) schedule(static) firstprivate(h)") for (size_t i =  \
                                                                                   0;      \
                                                                               i < n; i++) \
        {                                                                                  \
            float xv = x[i], gv = USE_G ? g[i] : 0.0f;                                     \
            float a = NS > 0 ? s1[i] : 0.0f, b = NS > 1 ? s2[i] : 0.0f;                    \
            gv = coupled ? gv + h.wd * xv : gv;                                            \
            xv = decoupled ? keep * xv : xv;                                               \
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
                        float *restrict s2, size_t n, sb_hyper h, int coupled,
                        int decoupled, int par);

static const struct {
    const char *kernel;
    loop_fn fn;
} loops[] = {
    {"update_sgd", loop_sgd},
    {"update_momentum", loop_momentum},
    {"update_signsgd", loop_signsgd},
    {"update_signum", loop_signum},
    {"update_ef_signsgd", loop_ef_signsgd},
    {"update_lion", loop_lion},
    {"update_adam", loop_adam},
    {"update_rmsprop", loop_rmsprop},
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
    fn(x, ef ? NULL : g, u->nstate > 0 ? s1 : NULL, u->nstate > 1 ? s2 : NULL, n, h,
       coupled, decoupled, par);
}

/* ---- reductions and roofline ---------------------------------------------------- */

/* Sums in double of one block of floats, with SUM_LANES independent accumulators: the
 * compiler turns them into vector registers, so the adds neither wait on each other nor
 * stay scalar. Fixed blocks (not per-thread ranges) make the result independent of the
 * thread count up to the order the block sums are added in. */
#define SUM_LANES 16
#define SUM_BLOCK 4096

#define BLOCK_SUM(NAME, TERM)                                                              \
    static double NAME(const float *restrict a, const float *restrict b, size_t n)         \
    {                                                                                      \
        double acc[SUM_LANES] = {0};                                                       \
        size_t i = 0;                                                                      \
        for (; i + SUM_LANES <= n; i += SUM_LANES)                                         \
            for (int k = 0; k < SUM_LANES; k++)                                            \
                acc[k] += TERM(i + k);                                                     \
        double s = 0.0;                                                                    \
        for (; i < n; i++)                                                                 \
            s += TERM(i);                                                                  \
        for (int k = 0; k < SUM_LANES; k++)                                                \
            s += acc[k];                                                                   \
        return s;                                                                          \
    }

#define TERM_SUM(i) ((double)a[i])
#define TERM_ABS(i) ((double)fabsf(a[i]))
#define TERM_SQ(i) ((double)a[i] * a[i])
#define TERM_DOT(i) ((double)a[i] * b[i])
BLOCK_SUM(block_sum, TERM_SUM)
BLOCK_SUM(block_abs, TERM_ABS)
BLOCK_SUM(block_sq, TERM_SQ)
BLOCK_SUM(block_dot, TERM_DOT)

typedef double (*block_fn)(const float *restrict a, const float *restrict b, size_t n);

/* The blocks, one thread or shared out by OpenMP. */
static double sum_blocks(block_fn f, const float *a, const float *b, size_t n, int par)
{
    size_t nb = (n + SUM_BLOCK - 1) / SUM_BLOCK;
    double s = 0.0;
#pragma omp parallel for if (par) schedule(static) reduction(+ : s)
    for (size_t k = 0; k < nb; k++) {
        size_t off = k * SUM_BLOCK, len = n - off < SUM_BLOCK ? n - off : SUM_BLOCK;
        s += f(a + off, b ? b + off : NULL, len);
    }
    return s;
}

/* max |a[i]|, NaN ignored: `v > m ? v : m` keeps m for a NaN v (as fmax does) and is
 * exact in float, so per-thread lanes and any order give the same result. */
static float max_abs(const float *a, size_t n, int par)
{
    float m = 0.0f;
#pragma omp parallel for simd if (par) schedule(static) reduction(max : m)
    for (size_t i = 0; i < n; i++) {
        float v = fabsf(a[i]);
        m = v > m ? v : m;
    }
    return m;
}

double sb_ref_reduce(sb_reduce_kind kind, const float *a, const float *b, size_t n, int par)
{
    switch (kind) {
    case SB_NORM1: return sum_blocks(block_abs, a, NULL, n, par);
    case SB_NORM2: return sqrt(sum_blocks(block_sq, a, NULL, n, par));
    case SB_NORMINF: return max_abs(a, n, par);
    case SB_DOT: return sum_blocks(block_dot, a, b, n, par);
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
    return sum_blocks(block_sum, a, NULL, n, par);
}

void sb_ref_rmw(float *x, const float *g, size_t n, float a, int par)
{
#pragma omp parallel for if (par) schedule(static)
    for (size_t i = 0; i < n; i++)
        x[i] += a * g[i];
}

double sb_ref_stream(const sb_pattern_info *p, const float *in, float *const y[3],
                     float *out, size_t n, float c, int par)
{
    double sum = 0;
    int nin = p->nin, nio = p->nio, nout = p->nout;
    float *y0 = y[0], *y1 = y[1], *y2 = y[2];
    /* One loop per shape so that each vectorises like the kernel's. */
    if (p->red && nin > 1) { /* the second input in y0 */
#pragma omp parallel for if (par) schedule(static) reduction(+ : sum)
        for (size_t i = 0; i < n; i++)
            sum += in[i] + y0[i];
    } else if (p->red) {
#pragma omp parallel for if (par) schedule(static) reduction(+ : sum)
        for (size_t i = 0; i < n; i++)
            sum += in[i];
    } else if (nout && nin) {
#pragma omp parallel for if (par) schedule(static)
        for (size_t i = 0; i < n; i++)
            out[i] = in[i];
    } else if (nout) {
#pragma omp parallel for if (par) schedule(static)
        for (size_t i = 0; i < n; i++)
            out[i] = c;
    } else if (nin) {
#pragma omp parallel for if (par) schedule(static)
        for (size_t i = 0; i < n; i++) {
            float t = in[i];
            y0[i] += c * t;
            if (nio > 1)
                y1[i] += c * t;
            if (nio > 2)
                y2[i] += c * t;
        }
    } else {
#pragma omp parallel for if (par) schedule(static)
        for (size_t i = 0; i < n; i++) {
            y0[i] += c * y0[i];
            if (nio > 1)
                y1[i] += c * y1[i];
        }
    }
    return sum;
}
