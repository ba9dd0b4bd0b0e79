/* test_ref.c - the C reference loops (host/ops/ref.c), which are also micro's C baselines:
 * vectorised and OpenMP versions agree exactly with plain scalar loops. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ref.h"
#include "testutil.h"

/* ---- C references: the vectorised loops of ref.c against plain scalar ones ---------- */

/* Sizes around the block edges (32-element words, 8-word vote blocks, 16-lane and
 * 4096-element sum blocks). */
static const size_t sizes[] = {1, 31, 32, 33, 255, 256, 257, 4095, 4096, 4097, 20011};

static uint64_t rng = 88172645463325252ull;
static uint64_t rnd_u64(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static float rnd(void)
{
    return (float)((double)(rnd_u64() >> 11) / 9007199254740992.0 * 2.0 - 1.0);
}

static float *rand_vec(size_t n)
{
    float *v = malloc(n * sizeof *v);
    ck_assert_ptr_nonnull(v);
    for (size_t i = 0; i < n; i++)
        v[i] = rnd() * 4.0f;
    return v;
}

static int plain_neg(float v)
{
    return !isnan(v) && v < 0.0f; /* -0.0 < 0 is false */
}

START_TEST(ref_pack_vote_exact)
{
    for (size_t t = 0; t < sizeof sizes / sizeof sizes[0]; t++) {
        size_t n = sizes[t], nw = (n + 31) / 32;
        float *g = rand_vec(n);
        g[0] = -0.0f;
        if (n > 2) {
            g[1] = NAN;
            g[2] = -NAN;
        }
        for (int par = 0; par < 2; par++) {
            uint32_t *bits = calloc(nw, sizeof *bits);
            int nan = sb_ref_pack(g, bits, n, par);
            ck_assert_int_eq(nan, n > 2);
            for (size_t i = 0; i < n; i++)
                ck_assert_msg(((bits[i / 32] >> (i % 32)) & 1u) ==
                                  (uint32_t)plain_neg(g[i]),
                              "pack n=%zu i=%zu par=%d", n, i, par);
            float *u = malloc(n * sizeof *u);
            sb_ref_unpack(bits, u, n, par);
            for (size_t i = 0; i < n; i++)
                ck_assert(u[i] == (plain_neg(g[i]) ? -1.0f : 1.0f));
            free(u);
            free(bits);
        }
        for (int m = 1; m <= 12; m += (m < 4 ? 1 : 5)) {
            uint32_t *bits = malloc((size_t)m * nw * sizeof *bits), *out = malloc(nw * 4);
            for (size_t k = 0; k < (size_t)m * nw; k++)
                bits[k] = (uint32_t)(rnd_u64() >> 32);
            float *x = rand_vec(n), *x2 = malloc(n * sizeof *x2);
            for (int par = 0; par < 2; par++) {
                memcpy(x2, x, n * sizeof *x);
                sb_ref_vote(bits, m, n, out, par);
                sb_ref_vote_update(x2, bits, m, n, 0.25f, par);
                for (size_t i = 0; i < n; i++) {
                    int count = 0;
                    for (int v = 0; v < m; v++)
                        count += (bits[(size_t)v * nw + i / 32] >> (i % 32)) & 1u;
                    uint32_t want = 2 * count > m;
                    ck_assert_msg(((out[i / 32] >> (i % 32)) & 1u) == want,
                                  "vote m=%d n=%zu i=%zu", m, n, i);
                    ck_assert(x2[i] == x[i] - 0.25f * (want ? -1.0f : 1.0f));
                }
            }
            free(bits);
            free(out);
            free(x);
            free(x2);
        }
        free(g);
    }
}
END_TEST

START_TEST(ref_reductions)
{
    for (size_t t = 0; t < sizeof sizes / sizeof sizes[0]; t++) {
        size_t n = sizes[t];
        float *a = rand_vec(n), *b = rand_vec(n);
        long double s = 0, s1 = 0, s2 = 0, d = 0;
        float mx = 0.0f;
        for (size_t i = 0; i < n; i++) {
            s += a[i];
            s1 += fabsf(a[i]);
            s2 += (long double)a[i] * a[i];
            d += (long double)a[i] * b[i];
            mx = fabsf(a[i]) > mx ? fabsf(a[i]) : mx;
        }
        for (int par = 0; par < 2; par++) {
            double tol = 1e-13 * (double)s1 + 1e-300;
            ck_assert_double_eq_tol(sb_ref_read(a, n, par), (double)s, tol);
            ck_assert_double_eq_tol(sb_ref_reduce(SB_NORM1, a, NULL, n, par), (double)s1,
                                    tol);
            ck_assert_double_eq_tol(sb_ref_reduce(SB_NORM2, a, NULL, n, par),
                                    sqrt((double)s2), 1e-13 * sqrt((double)s2));
            ck_assert_double_eq_tol(sb_ref_reduce(SB_DOT, a, b, n, par), (double)d,
                                    1e-13 * 16 * (double)s1);
            ck_assert(sb_ref_reduce(SB_NORMINF, a, NULL, n, par) == (double)mx);
        }
        if (n > 3) { /* norminf ignores NaN, wherever it is */
            a[0] = NAN;
            a[n - 1] = -NAN;
            mx = 0.0f;
            for (size_t i = 1; i + 1 < n; i++)
                mx = fabsf(a[i]) > mx ? fabsf(a[i]) : mx;
            for (int par = 0; par < 2; par++)
                ck_assert(sb_ref_reduce(SB_NORMINF, a, NULL, n, par) == (double)mx);
        }
        free(a);
        free(b);
    }
}
END_TEST

/* The update steps as scalar code, written out from DESIGN.md section 6's formulas in the kernels'
 * order: ref.c must give exactly these bits (the kernels match ref.c exactly). */
static float plain_sign(float v)
{
    return isnan(v) || v == 0.0f ? 0.0f : v < 0.0f ? -1.0f : 1.0f;
}

static void plain_update(const char *name, float *x, const float *g, float *s1, float *s2,
                         size_t n, sb_hyper h)
{
    float keep = 1.0f - h.lr * h.wd;
    for (size_t i = 0; i < n; i++) {
        float xv = x[i], gv = g[i];
        if (h.wd != 0.0f && !h.decoupled)
            gv = gv + h.wd * xv;
        if (h.wd != 0.0f && h.decoupled)
            xv = keep * xv;
        if (!strcmp(name, "adam")) {
            float lrt = h.lr / h.bc1, rs2 = 1.0f / sqrtf(h.bc2);
            s1[i] = h.b1 * s1[i] + (1.0f - h.b1) * gv;
            s2[i] = h.b2 * s2[i] + (1.0f - h.b2) * (gv * gv);
            xv = xv - lrt * (s1[i] / (sqrtf(s2[i]) * rs2 + h.eps));
        } else if (!strcmp(name, "rmsprop")) {
            s1[i] = h.b2 * s1[i] + (1.0f - h.b2) * (gv * gv);
            xv = xv - h.lr * (gv / (sqrtf(s1[i]) + h.eps));
        } else if (!strcmp(name, "lion")) {
            float c = h.b1 * s1[i] + (1.0f - h.b1) * gv;
            xv = xv - h.lr * plain_sign(c);
            s1[i] = h.b2 * s1[i] + (1.0f - h.b2) * gv;
        } else { /* signum */
            s1[i] = h.b1 * s1[i] + (1.0f - h.b1) * gv;
            xv = xv - h.lr * plain_sign(s1[i]);
        }
        x[i] = xv;
    }
}

START_TEST(ref_updates_bit_exact)
{
    static const char *const names[] = {"adam", "rmsprop", "lion", "signum"};
    size_t n = 10007;
    for (int k = 0; k < 4; k++)
        for (int mode = 0; mode < 3; mode++)
            for (int par = 0; par < 2; par++) {
                const sb_update_info *u = sb_update_find(names[k]);
                ck_assert_ptr_nonnull(u);
                sb_hyper h = {.lr = 0.01f,
                              .b1 = 0.9f,
                              .b2 = 0.999f,
                              .eps = 1e-8f,
                              .wd = mode ? 0.1f : 0.0f,
                              .decoupled = mode == 2,
                              .bc1 = 0.1f,
                              .bc2 = 0.001f};
                float *x = rand_vec(n), *g = rand_vec(n), *s1 = rand_vec(n),
                      *s2 = rand_vec(n);
                for (size_t i = 0; i < n; i++)
                    s2[i] = fabsf(s2[i]);
                float *x2 = malloc(n * 4), *a2 = malloc(n * 4), *b2 = malloc(n * 4);
                memcpy(x2, x, n * 4);
                memcpy(a2, s1, n * 4);
                memcpy(b2, s2, n * 4);
                sb_ref_update(u, x, g, s1, s2, n, h, par);
                plain_update(names[k], x2, g, a2, b2, n, h);
                ck_assert_msg(memcmp(x, x2, n * 4) == 0, "%s mode %d par %d: x differs",
                              names[k], mode, par);
                ck_assert_msg(memcmp(s1, a2, n * 4) == 0, "%s: s1 differs", names[k]);
                if (u->nstate > 1)
                    ck_assert_msg(memcmp(s2, b2, n * 4) == 0, "%s: s2 differs", names[k]);
                free(x), free(g), free(s1), free(s2), free(x2), free(a2), free(b2);
            }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ref");
    TCase *tc = sb_test_tcase(s, "ref", 120);
    tcase_add_test(tc, ref_pack_vote_exact);
    tcase_add_test(tc, ref_reductions);
    tcase_add_test(tc, ref_updates_bit_exact);
    return sb_test_run(s);
}
