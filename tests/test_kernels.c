/* test_kernels.c - every vector kernel (sign.cl, update.cl, reduce.cl, roofline.cl)
 * against its C reference in ref.c, on awkward sizes and special values. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "ops.h"
#include "ref.h"
#include "testutil.h"

/* Assert without Check's per-call bookkeeping (a mark point per call is far too slow
 * in loops over a million elements): only a failure reaches Check. */
#define CHECK(cond, ...)                                                                   \
    do {                                                                                   \
        if (!(cond))                                                                       \
            ck_abort_msg(__VA_ARGS__);                                                     \
    } while (0)

/* Sizes that are not multiples of 4, 32 or the work-group size, plus a large one. */
static const size_t sizes[] = {1, 2, 3, 31, 32, 33, 100, 1000, 4097, 1000003};
#define NSIZES (sizeof sizes / sizeof sizes[0])
#define NMAX 1000003

static sb_ctx ctx;
static sb_ops ops;

static void setup(void)
{
    sb_test_open(&ctx, NULL);
    sb_err e = {0, ""};
    int st = sb_ops_init(&ops, &ctx, &e);
    CHECK(st == SB_OK, "sb_ops_init: %s", e.msg);
}

static void teardown(void)
{
    sb_ops_free(&ops);
    sb_ctx_close(&ctx);
}

/* ---- data ---------------------------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t next_u64(void)
{
    /* xorshift64*: plenty for test data, reproducible. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ULL;
}

/* Uniform in (-1, 1). */
static float uniform(void)
{
    return (float)((double)(next_u64() >> 11) / 9007199254740992.0 * 2.0 - 1.0);
}

static float *random_vec(size_t n, float lo_abs)
{
    float *v = malloc((n ? n : 1) * sizeof *v);
    for (size_t i = 0; i < n; i++) {
        float u = uniform();
        v[i] = lo_abs > 0.0f ? lo_abs + fabsf(u) : u;
    }
    return v;
}

/* Every special value except NaN: zeros, denormals, extremes, infinities. */
static const float specials[] = {0.0f,     -0.0f,     1e-45f,   -1e-45f, 1e-39f,
                                 -1e-39f,  FLT_MIN,   -FLT_MIN, FLT_MAX, -FLT_MAX,
                                 INFINITY, -INFINITY, 1.0f,     -1.0f,   0.5f};
#define NSPEC (sizeof specials / sizeof specials[0])

/* Random values with special values sprinkled in (every one at least once when n
 * allows, including in the tail past the last full vector or word). */
static float *special_vec(size_t n)
{
    float *v = random_vec(n, 0.0f);
    for (size_t i = 0; i < n; i += 7)
        v[i] = specials[(i / 7) % NSPEC];
    if (n > 0)
        v[n - 1] = -0.0f;
    return v;
}

static cl_mem upload(const void *host, size_t bytes)
{
    cl_mem m;
    sb_err e = {0, ""};
    int copy = host && bytes;
    int st = sb_buffer(&ctx, CL_MEM_READ_WRITE | (copy ? CL_MEM_COPY_HOST_PTR : 0), bytes,
                       copy ? (void *)host : NULL, &m, &e);
    CHECK(st == SB_OK, "%s", e.msg);
    return m;
}

static void download(cl_mem m, void *host, size_t bytes)
{
    if (!bytes)
        return;
    cl_int rc = clEnqueueReadBuffer(ctx.queue, m, CL_TRUE, 0, bytes, host, 0, NULL, NULL);
    ck_assert_int_eq(rc, CL_SUCCESS);
}

static size_t words(size_t n)
{
    return (n + 31) / 32;
}

/* Run an op that must succeed; err_ is the caller's sb_err. */
#define OK(call)                                                                           \
    do {                                                                                   \
        int st_ = (call);                                                                  \
        CHECK(st_ == SB_OK, "%s: %s", #call, err_.msg);                                    \
    } while (0)

/* ---- sign, pack, unpack: exact --------------------------------------------------- */

START_TEST(sign_pack_unpack_exact)
{
    for (size_t si = 0; si < NSIZES; si++) {
        size_t n = sizes[si], nw = words(n);
        float *g = special_vec(n);
        float *s_ref = malloc(n * 4), *s_dev = malloc(n * 4), *u_ref = malloc(n * 4),
              *u_dev = malloc(n * 4);
        uint32_t *b_ref = malloc(nw * 4), *b_dev = malloc(nw * 4);
        ck_assert_int_eq(sb_ref_sign(g, s_ref, n, 0), 0);
        ck_assert_int_eq(sb_ref_pack(g, b_ref, n, 1), 0);
        sb_ref_unpack(b_ref, u_ref, n, 0);
        cl_mem dg = upload(g, n * 4), ds = upload(NULL, n * 4), db = upload(NULL, nw * 4),
               du = upload(NULL, n * 4);
        sb_err err_ = {0, ""};
        int nan = -1;
        double t = 0.0;
        OK(sb_op_sign(&ops, dg, ds, n, &nan, &t, &err_));
        ck_assert_int_eq(nan, 0);
        nan = -1;
        OK(sb_op_pack(&ops, dg, db, n, &nan, &t, &err_));
        ck_assert_int_eq(nan, 0);
        OK(sb_op_unpack(&ops, db, du, n, &t, &err_));
        ck_assert(t > 0.0);
        download(ds, s_dev, n * 4);
        download(db, b_dev, nw * 4);
        download(du, u_dev, n * 4);
        for (size_t i = 0; i < n; i++) {
            CHECK(memcmp(&s_ref[i], &s_dev[i], 4) == 0, "sign n=%zu i=%zu: %g vs %g", n, i,
                  s_ref[i], s_dev[i]);
            /* The packed format encodes 0 and -0.0 as +1. */
            float want = s_ref[i] < 0.0f ? -1.0f : 1.0f;
            CHECK(u_dev[i] == want && u_ref[i] == want, "unpack n=%zu i=%zu", n, i);
        }
        for (size_t w = 0; w < nw; w++)
            CHECK(b_ref[w] == b_dev[w], "pack n=%zu word %zu: %08x vs %08x", n, w, b_ref[w],
                  b_dev[w]);
        if (n % 32)
            CHECK((b_dev[nw - 1] >> (n % 32)) == 0, "padding bits not 0");
        clReleaseMemObject(dg);
        clReleaseMemObject(ds);
        clReleaseMemObject(db);
        clReleaseMemObject(du);
        free(g);
        free(s_ref);
        free(s_dev);
        free(u_ref);
        free(u_dev);
        free(b_ref);
        free(b_dev);
    }
}
END_TEST

/* Independent of ref.c: the bit layout of DESIGN.md section 3, by hand. */
START_TEST(pack_layout)
{
    float g[40];
    for (int i = 0; i < 40; i++)
        g[i] = 1.0f;
    g[0] = -2.0f;      /* word 0 bit 0 */
    g[5] = -0.0f;      /* +1: bit stays 0 */
    g[31] = -1e-45f;   /* denormal, negative: bit 31 */
    g[33] = -INFINITY; /* word 1 bit 1 */
    cl_mem dg = upload(g, sizeof g), db = upload(NULL, 8);
    sb_err err_ = {0, ""};
    int nan = -1;
    OK(sb_op_pack(&ops, dg, db, 40, &nan, NULL, &err_));
    uint32_t b[2];
    download(db, b, 8);
    ck_assert_int_eq(nan, 0);
    ck_assert_uint_eq(b[0], 0x80000001u);
    ck_assert_uint_eq(b[1], 0x00000002u);
    clReleaseMemObject(dg);
    clReleaseMemObject(db);
}
END_TEST

START_TEST(nan_is_flagged)
{
    const size_t ns[] = {1, 33, 1000003};
    for (size_t k = 0; k < 3; k++) {
        size_t n = ns[k];
        size_t where[] = {0, n / 2, n - 1};
        for (int w = 0; w < 3; w++) {
            float *g = random_vec(n, 0.0f);
            g[where[w]] = w == 1 ? -NAN : NAN; /* either sign bit */
            float *tmp = malloc(n * 4);
            uint32_t *bits = malloc(words(n) * 4);
            ck_assert_int_eq(sb_ref_sign(g, tmp, n, 1), 1);
            ck_assert_int_eq(sb_ref_pack(g, bits, n, 0), 1);
            cl_mem dg = upload(g, n * 4), ds = upload(NULL, n * 4),
                   db = upload(NULL, words(n) * 4);
            sb_err err_ = {0, ""};
            int nan = 0;
            OK(sb_op_sign(&ops, dg, ds, n, &nan, NULL, &err_));
            CHECK(nan == 1, "sign: NaN at %zu of %zu not flagged", where[w], n);
            nan = 0;
            OK(sb_op_pack(&ops, dg, db, n, &nan, NULL, &err_));
            CHECK(nan == 1, "pack: NaN at %zu of %zu not flagged", where[w], n);
            /* The flag is cleared on the next clean input. */
            g[where[w]] = 1.0f;
            clReleaseMemObject(dg);
            dg = upload(g, n * 4);
            OK(sb_op_pack(&ops, dg, db, n, &nan, NULL, &err_));
            ck_assert_int_eq(nan, 0);
            clReleaseMemObject(dg);
            clReleaseMemObject(ds);
            clReleaseMemObject(db);
            free(g);
            free(tmp);
            free(bits);
        }
    }
}
END_TEST

/* ---- vote and vote_update: exact --------------------------------------------------- */

static uint32_t *random_bits(int m, size_t n)
{
    size_t nw = words(n);
    uint32_t *b = malloc((size_t)m * nw * 4);
    float *g = malloc(n * 4);
    for (int v = 0; v < m; v++) {
        for (size_t i = 0; i < n; i++)
            g[i] = uniform();
        sb_ref_pack(g, b + (size_t)v * nw, n, 0);
    }
    free(g);
    return b;
}

/* The kernels' vote and fused vote + update against ref.c, exactly, for m voters of n
 * bits; ref.c itself against a plain count per bit. */
static void check_vote(int m, size_t n, int omp)
{
    size_t nw = words(n);
    uint32_t *b = random_bits(m, n), *r = malloc(nw * 4), *d = malloc(nw * 4);
    sb_ref_vote(b, m, n, r, omp);
    /* ref.c counts bit-sliced like the kernel: check it against a plain count
     * per bit (ties give +1, bit 0). */
    for (size_t w = 0; w < nw; w++)
        for (int bit = 0; bit < 32; bit++) {
            int ones = 0;
            for (int v = 0; v < m; v++)
                ones += (b[(size_t)v * nw + w] >> bit) & 1u;
            CHECK(((r[w] >> bit) & 1u) == (uint32_t)(2 * ones > m), "vote rule m=%d", m);
        }
    cl_mem db = upload(b, (size_t)m * nw * 4), dout = upload(NULL, nw * 4);
    sb_err err_ = {0, ""};
    OK(sb_op_vote(&ops, db, m, n, dout, NULL, &err_));
    download(dout, d, nw * 4);
    for (size_t w = 0; w < nw; w++)
        CHECK(r[w] == d[w], "vote m=%d n=%zu word %zu: %08x vs %08x", m, n, w, r[w], d[w]);
    /* Fused vote + update, exact: x -= lr * (+-1) rounds once either way. */
    float *x = random_vec(n, 0.0f), *xr = malloc(n * 4), *xd = malloc(n * 4);
    memcpy(xr, x, n * 4);
    sb_ref_vote_update(xr, b, m, n, 0.01f, 0);
    cl_mem dx = upload(x, n * 4);
    OK(sb_op_vote_update(&ops, dx, db, m, n, 0.01f, NULL, &err_));
    download(dx, xd, n * 4);
    for (size_t i = 0; i < n; i++)
        CHECK(xr[i] == xd[i], "vote_update m=%d n=%zu i=%zu: %.9g vs %.9g", m, n, i, xr[i],
              xd[i]);
    clReleaseMemObject(db);
    clReleaseMemObject(dout);
    clReleaseMemObject(dx);
    free(b);
    free(r);
    free(d);
    free(x);
    free(xr);
    free(xd);
}

START_TEST(vote_exact)
{
    const int ms[] = {1, 2, 3, 7, 8, 64, 65};
    const size_t ns[] = {1, 31, 33, 100, 4097, 100003};
    for (size_t mi = 0; mi < sizeof ms / sizeof ms[0]; mi++)
        for (size_t ni = 0; ni < sizeof ns / sizeof ns[0]; ni++)
            check_vote(ms[mi], ns[ni], mi % 2);
}
END_TEST

/* The kernels specialise the vote by the bits of m's counters (1 to 16): every width,
 * at its smallest and largest m, on a size with full units and a tail. */
START_TEST(vote_every_counter_width)
{
    for (int nb = 1; nb <= 16; nb++) {
        size_t n = nb <= 10 ? 4097 : 300;
        check_vote(1 << (nb - 1), n, 0);
        check_vote((1 << nb) - 1, n, 1);
    }
}
END_TEST

START_TEST(vote_ties)
{
    /* Two voters disagree everywhere: every position ties and gives +1 (bit 0); three
     * voters with two negatives give -1. */
    uint32_t b[3] = {0xffffffffu, 0x00000000u, 0xffff0000u};
    cl_mem db = upload(b, sizeof b), dout = upload(NULL, 4);
    sb_err err_ = {0, ""};
    uint32_t out;
    OK(sb_op_vote(&ops, db, 2, 32, dout, NULL, &err_));
    download(dout, &out, 4);
    ck_assert_uint_eq(out, 0u);
    OK(sb_op_vote(&ops, db, 3, 32, dout, NULL, &err_));
    download(dout, &out, 4);
    ck_assert_uint_eq(out, 0xffff0000u);
    sb_err e = {0, ""};
    ck_assert_int_eq(sb_op_vote(&ops, db, 0, 32, dout, NULL, &e), SB_EUSAGE);
    clReleaseMemObject(db);
    clReleaseMemObject(dout);
}
END_TEST

/* ---- reductions, scaled sign, roofline ------------------------------------------- */

/* Device partials: each vector lane sums blocks of 16 (32 for ef-signsgd) elements in
 * float, then the blocks, then the work-group's lanes; the host adds the groups in
 * double. The relative error stays near 1e-6 at these sizes; 1e-5 still catches any
 * wrong or missing term. */
#define RED_TOL 1e-5

START_TEST(reductions)
{
    for (size_t si = 0; si < NSIZES; si++) {
        size_t n = sizes[si];
        float *a = random_vec(n, 0.0f), *b = random_vec(n, 0.0f);
        cl_mem da = upload(a, n * 4), db = upload(b, n * 4);
        sb_err err_ = {0, ""};
        const sb_reduce_kind kinds[] = {SB_NORM1, SB_NORM2, SB_NORMINF, SB_DOT};
        for (int k = 0; k < 4; k++) {
            double want = sb_ref_reduce(kinds[k], a, b, n, k % 2), got = -1.0;
            double scale =
                sb_ref_reduce(kinds[k] == SB_DOT ? SB_NORM2 : kinds[k], a, a, n, 0);
            if (kinds[k] == SB_DOT)
                scale *= sb_ref_reduce(SB_NORM2, b, b, n, 0);
            OK(sb_op_reduce(&ops, kinds[k], da, db, n, &got, NULL, &err_));
            CHECK(fabs(got - want) <= RED_TOL * scale + 1e-30,
                  "reduce %d n=%zu: %.12g vs %.12g", k, n, got, want);
            if (kinds[k] == SB_NORMINF)
                ck_assert(got == want); /* a max is exact */
        }
        double sum = 0.0, want = sb_ref_read(a, n, 1);
        OK(sb_op_read(&ops, da, n, &sum, NULL, &err_));
        CHECK(fabs(sum - want) <= RED_TOL * sb_ref_reduce(SB_NORM1, a, a, n, 0),
              "read n=%zu: %.12g vs %.12g", n, sum, want);
        /* copy: exact; rmw: one multiply and one add, no contraction: exact too. */
        float *c = malloc(n * 4), *x = malloc(n * 4);
        cl_mem dc = upload(NULL, n * 4);
        OK(sb_op_copy(&ops, da, dc, n, NULL, &err_));
        download(dc, c, n * 4);
        ck_assert(memcmp(a, c, n * 4) == 0);
        OK(sb_op_rmw(&ops, dc, db, n, 0.25f, NULL, &err_));
        download(dc, c, n * 4);
        memcpy(x, a, n * 4);
        sb_ref_rmw(x, b, n, 0.25f, 1);
        for (size_t i = 0; i < n; i++)
            CHECK(fabsf(x[i] - c[i]) <= 2 * FLT_EPSILON * (fabsf(a[i]) + fabsf(b[i])),
                  "rmw n=%zu i=%zu", n, i);
        /* scaled sign: out = (norm1/n) sign(g); only the scale's rounding may differ. */
        a[0] = 0.0f; /* sign 0 */
        clReleaseMemObject(da);
        da = upload(a, n * 4);
        OK(sb_op_scaled_sign(&ops, da, dc, n, NULL, &err_));
        download(dc, c, n * 4);
        sb_ref_scaled_sign(a, x, n, 0);
        float sc = (float)(sb_ref_reduce(SB_NORM1, a, a, n, 0) / (double)n);
        for (size_t i = 0; i < n; i++) {
            CHECK(fabsf(x[i] - c[i]) <= RED_TOL * sc, "scaled_sign n=%zu i=%zu", n, i);
            CHECK((c[i] > 0) == (a[i] > 0) && (c[i] < 0) == (a[i] < 0),
                  "scaled_sign sign n=%zu i=%zu", n, i);
        }
        clReleaseMemObject(da);
        clReleaseMemObject(db);
        clReleaseMemObject(dc);
        free(a);
        free(b);
        free(c);
        free(x);
    }
}
END_TEST

START_TEST(reduce_known_values)
{
    /* 1..n: norm1 = n(n+1)/2, norminf = n, sum of squares n(n+1)(2n+1)/6. */
    size_t n = 4097;
    float *a = malloc(n * 4);
    for (size_t i = 0; i < n; i++)
        a[i] = (float)(i + 1) * (i % 2 ? -1.0f : 1.0f);
    cl_mem da = upload(a, n * 4);
    sb_err err_ = {0, ""};
    double v;
    OK(sb_op_reduce(&ops, SB_NORM1, da, NULL, n, &v, NULL, &err_));
    ck_assert_double_eq_tol(v, n * (n + 1) / 2.0, 1e-9 * n * n);
    OK(sb_op_reduce(&ops, SB_NORMINF, da, NULL, n, &v, NULL, &err_));
    ck_assert_double_eq(v, (double)n);
    OK(sb_op_reduce(&ops, SB_NORM2, da, NULL, n, &v, NULL, &err_));
    ck_assert_double_eq_tol(v, sqrt(n * (n + 1.0) * (2 * n + 1.0) / 6.0), 1e-5 * v);
    OK(sb_op_reduce(&ops, SB_NORM1, da, NULL, 0, &v, NULL, &err_));
    ck_assert_double_eq(v, 0.0);
    sb_err e = {0, ""};
    ck_assert_int_eq(sb_op_reduce(&ops, SB_DOT, da, NULL, n, &v, NULL, &e), SB_EUSAGE);
    clReleaseMemObject(da);
    free(a);
}
END_TEST

/* ---- updates ------------------------------------------------------------------------ */

/* Bound for float updates: each output is a chain of at most 7 float operations (mul,
 * add, sqrt, div...) whose intermediates are bounded by |old| + |new| + |g_eff| +
 * g_eff^2 (+ |x| for x). A device rounding each correctly, as ref.c does (the kernels
 * turn off FMA contraction), matches exactly; OpenCL allows 3 ulp for sqrt and 2.5 for
 * division, so 8 epsilon of that magnitude covers any conforming device, while a wrong
 * formula (a swapped beta, a missing bias correction, the wrong decay) errs by O(1). */
#define UPD_ULPS 8.0f

/* Hyper-parameters of the update tests: eps 1e-8, no weight decay, the rest as given
 * (bc1, bc2: the bias corrections 1 - b1^t, 1 - b2^t of some step t). */
static sb_hyper hyper(float lr, float b1, float b2, float bc1, float bc2)
{
    sb_hyper h;
    memset(&h, 0, sizeof h);
    h.lr = lr;
    h.b1 = b1;
    h.b2 = b2;
    h.eps = 1e-8f;
    h.bc1 = bc1;
    h.bc2 = bc2;
    return h;
}

static void check_close(const char *what, const char *name, int mode, size_t n,
                        const float *ref, const float *dev, const float *old,
                        const float *gmag, float extra)
{
    for (size_t i = 0; i < n; i++) {
        float gm = gmag[i];
        float mag = fabsf(old[i]) + fabsf(ref[i]) + gm + gm * gm;
        float tol = UPD_ULPS * FLT_EPSILON * mag + extra + FLT_MIN;
        CHECK(fabsf(ref[i] - dev[i]) <= tol,
              "%s of %s (wd mode %d) n=%zu i=%zu: ref %.9g dev %.9g (tol %.3g)", what, name,
              mode, n, i, ref[i], dev[i], tol);
    }
}

START_TEST(updates_vs_reference)
{
    const size_t ns[] = {1, 31, 33, 1000, 1000003};
    for (const sb_update_info *u = sb_updates; u->name; u++) {
        for (int mode = 0; mode < 3; mode++) { /* no decay, coupled, decoupled */
            for (size_t ni = 0; ni < sizeof ns / sizeof ns[0]; ni++) {
                size_t n = ns[ni];
                float b2 = strcmp(u->name, "rmsprop") == 0 ? 0.99f : 0.999f;
                sb_hyper h =
                    hyper(0.01f, 0.9f, b2, 1.0f - powf(0.9f, 3.0f), 1.0f - powf(b2, 3.0f));
                h.wd = mode ? 0.1f : 0.0f;
                h.decoupled = mode == 2;
                float *x = random_vec(n, 0.0f), *g = random_vec(n, 0.0f);
                /* State: m signed, v (adam s2, rmsprop s1) positive. */
                int v_in_s1 = strcmp(u->name, "rmsprop") == 0;
                float *s1 = random_vec(n, v_in_s1 ? 1e-3f : 0.0f),
                      *s2 = random_vec(n, 1e-3f);
                if (n > 5) {
                    g[1] = 0.0f; /* sign 0 */
                    g[2] = -0.0f;
                }
                float *xr = malloc(n * 4), *s1r = malloc(n * 4), *s2r = malloc(n * 4);
                memcpy(xr, x, n * 4);
                memcpy(s1r, s1, n * 4);
                memcpy(s2r, s2, n * 4);
                sb_ref_update(u, xr, g, s1r, s2r, n, h, ni % 2);
                cl_mem dx = upload(x, n * 4), dg = upload(g, n * 4), d1 = upload(s1, n * 4),
                       d2 = upload(s2, n * 4);
                sb_err err_ = {0, ""};
                double t = 0.0;
                OK(sb_op_update(&ops, u, dx, dg, u->nstate > 0 ? d1 : NULL,
                                u->nstate > 1 ? d2 : NULL, n, h, &t, &err_));
                ck_assert(t > 0.0);
                float *xd = malloc(n * 4), *s1d = malloc(n * 4), *s2d = malloc(n * 4),
                      *gm = malloc(n * 4);
                download(dx, xd, n * 4);
                download(d1, s1d, n * 4);
                download(d2, s2d, n * 4);
                for (size_t i = 0; i < n; i++)
                    gm[i] = fabsf(g[i]) + h.wd * fabsf(x[i]) + fabsf(x[i]);
                /* ef-signsgd: the step is the scale norm1(p)/n, a reduction whose
                 * rounding depends on the summation order (see RED_TOL). */
                float extra = 0.0f;
                if (strcmp(u->name, "ef-signsgd") == 0) {
                    double bound = 0.0; /* >= norm1(p)/n, p = lr g_eff + e */
                    for (size_t i = 0; i < n; i++)
                        bound += h.lr * (fabsf(g[i]) + h.wd * fabsf(x[i])) + fabsf(s1[i]);
                    extra = (float)(RED_TOL * bound / (double)n);
                }
                check_close("x", u->name, mode, n, xr, xd, x, gm, extra);
                if (u->nstate > 0)
                    check_close("s1", u->name, mode, n, s1r, s1d, s1, gm, extra);
                else
                    ck_assert(memcmp(s1, s1d, n * 4) == 0); /* untouched */
                if (u->nstate > 1)
                    check_close("s2", u->name, mode, n, s2r, s2d, s2, gm, 0.0f);
                else
                    ck_assert(memcmp(s2, s2d, n * 4) == 0);
                clReleaseMemObject(dx);
                clReleaseMemObject(dg);
                clReleaseMemObject(d1);
                clReleaseMemObject(d2);
                free(x);
                free(g);
                free(s1);
                free(s2);
                free(xr);
                free(s1r);
                free(s2r);
                free(xd);
                free(s1d);
                free(s2d);
                free(gm);
            }
        }
    }
}
END_TEST

/* The reference itself, against formulas written out in double for one element. */
START_TEST(update_reference_formulas)
{
    sb_hyper h = hyper(0.1f, 0.9f, 0.99f, 0.1f, 0.01f);
    float x, g = -0.5f, m, v;
    /* adam, first step from zero state: mhat = g, vhat = g^2: x -= lr sign(g). */
    x = 1.0f, m = 0.0f, v = 0.0f;
    sb_ref_update(sb_update_find("adam"), &x, &g, &m, &v, 1, h, 0);
    ck_assert_float_eq_tol(x, 1.1f, 1e-6f);
    ck_assert_float_eq_tol(m, -0.05f, 1e-7f);
    ck_assert_float_eq_tol(v, 0.0025f, 1e-8f);
    /* lion: c = 0.9*1 + 0.1*(-0.5) > 0: x -= lr; m = 0.99 + 0.01*(-0.5). */
    x = 1.0f, m = 1.0f;
    sb_ref_update(sb_update_find("lion"), &x, &g, &m, NULL, 1, h, 0);
    ck_assert_float_eq_tol(x, 0.9f, 1e-7f);
    ck_assert_float_eq_tol(m, 0.985f, 1e-7f);
    /* signsgd with coupled decay: g + wd x = -0.5 + 1 > 0: x -= lr. */
    h.wd = 1.0f;
    x = 1.0f;
    sb_ref_update(sb_update_find("signsgd"), &x, &g, NULL, NULL, 1, h, 0);
    ck_assert_float_eq_tol(x, 0.9f, 1e-7f);
    /* decoupled: x = x (1 - lr wd) - lr sign(g) = 0.9 + 0.1. */
    h.decoupled = 1;
    x = 1.0f;
    sb_ref_update(sb_update_find("signsgd"), &x, &g, NULL, NULL, 1, h, 0);
    ck_assert_float_eq_tol(x, 1.0f, 1e-7f);
    /* ef-signsgd, d = 2: p = lr g + e, delta = mean|p| sign(p), e = p - delta. */
    h.wd = 0.0f;
    float xs[2] = {0.0f, 0.0f}, gs[2] = {1.0f, -3.0f}, es[2] = {0.0f, 0.1f};
    sb_ref_update(sb_update_find("ef-signsgd"), xs, gs, es, NULL, 2, h, 0);
    /* p = (0.1, -0.2), scale 0.15: x = (-0.15, 0.15), e = (-0.05, -0.05). */
    ck_assert_float_eq_tol(xs[0], -0.15f, 1e-7f);
    ck_assert_float_eq_tol(xs[1], 0.15f, 1e-7f);
    ck_assert_float_eq_tol(es[0], -0.05f, 1e-7f);
    ck_assert_float_eq_tol(es[1], -0.05f, 1e-7f);
    ck_assert_ptr_eq(sb_update_find("ef_signsgd"), sb_update_find("ef-signsgd"));
    ck_assert_ptr_null(sb_update_find("nope"));
}
END_TEST

/* The 1-thread and OpenMP references give the same element-wise results. */
START_TEST(ref_threads_agree)
{
    size_t n = 100003, nw = words(n);
    float *g = special_vec(n), *x0 = random_vec(n, 0.0f), *s0 = random_vec(n, 1e-3f);
    float *xa = malloc(n * 4), *xb = malloc(n * 4), *aa = malloc(n * 4),
          *ab = malloc(n * 4), *ba = malloc(n * 4), *bb = malloc(n * 4);
    uint32_t *pa = malloc(nw * 4), *pb = malloc(nw * 4);
    ck_assert_int_eq(sb_ref_sign(g, xa, n, 0), sb_ref_sign(g, xb, n, 1));
    CHECK(memcmp(xa, xb, n * 4) == 0, "sign differs between 1 thread and OpenMP");
    ck_assert_int_eq(sb_ref_pack(g, pa, n, 0), sb_ref_pack(g, pb, n, 1));
    CHECK(memcmp(pa, pb, nw * 4) == 0, "pack differs between 1 thread and OpenMP");
    sb_hyper h = hyper(0.01f, 0.9f, 0.999f, 0.1f, 0.001f);
    h.wd = 0.01f;
    float *gr = random_vec(n, 0.0f); /* finite, so ef-signsgd's scale is too */
    for (const sb_update_info *u = sb_updates; u->name; u++) {
        memcpy(xa, x0, n * 4);
        memcpy(xb, x0, n * 4);
        memcpy(aa, s0, n * 4);
        memcpy(ab, s0, n * 4);
        memcpy(ba, s0, n * 4);
        memcpy(bb, s0, n * 4);
        sb_ref_update(u, xa, gr, aa, ba, n, h, 0);
        sb_ref_update(u, xb, gr, ab, bb, n, h, 1);
        /* ef-signsgd's scale is a sum whose order depends on the threads: compare
         * within RED_TOL there, exactly elsewhere. */
        int ef = strcmp(u->name, "ef-signsgd") == 0;
        for (size_t i = 0; i < n; i++)
            CHECK(ef ? fabsf(xa[i] - xb[i]) <= 1e-5f && fabsf(aa[i] - ab[i]) <= 1e-5f
                     : xa[i] == xb[i] && aa[i] == ab[i] && ba[i] == bb[i],
                  "%s differs between 1 thread and OpenMP at %zu", u->name, i);
    }
    free(gr);
    free(g);
    free(x0);
    free(s0);
    free(xa);
    free(xb);
    free(aa);
    free(ab);
    free(ba);
    free(bb);
    free(pa);
    free(pb);
}
END_TEST

/* The ceiling variants (roofline.cl) against ref_stream: every pattern, width, shape
 * (split, streaming stores) and work-group size; element-wise results exactly, sums within the reduction tolerance. */
START_TEST(ceiling_variants_vs_reference)
{
    static const size_t ns[] = {1, 33, 1000, 4097};
    static const int widths[] = {1, 4, 8, 16};
    for (size_t t = 0; t < sizeof ns / sizeof ns[0]; t++) {
        size_t n = ns[t], items = sb_op_stream_items(&ops, 1, 256, n);
        float *in = random_vec(n, 0), *h[5], *got = malloc(n * 4);
        sb_err err_ = {0, ""};
        cl_mem din = upload(in, n * 4), part = upload(NULL, items * 4 + 4);
        for (int p = 0; p < SB_PAT_N; p++)
            for (int w = 0; w < 4; w++)
                for (int ch = 0; ch < 8; ch++) /* SB_STREAM_* shapes */
                    for (size_t local = 64; local <= 256; local *= 4) {
                        const sb_pattern_info *pi = &sb_patterns[p];
                        int has = sb_op_stream_has(&ops, (sb_pattern)p, widths[w], ch);
                        CHECK(has || ch > 1, "%s w%d shape %d missing", pi->name, widths[w],
                              ch);
                        CHECK(!has || !(ch & SB_STREAM_NT) || pi->nout,
                              "%s has streaming-store variants (w%d shape %d)", pi->name,
                              widths[w], ch);
                        CHECK(!has || !(ch & SB_STREAM_S4) ||
                                  (pi->red && ch == (SB_STREAM_S4 | SB_STREAM_CHUNKED)),
                              "%s has four-stream variants of shape %d", pi->name, ch);
                        if (!has)
                            continue;
                        cl_mem d[4];
                        for (int j = 0; j < 4; j++) {
                            h[j] = random_vec(n, 0);
                            d[j] = upload(h[j], n * 4);
                        }
                        OK(sb_op_stream(&ops, (sb_pattern)p, widths[w], ch, local, din, d,
                                        pi->red ? part : d[3], n, 0.5f, NULL, &err_));
                        float *y[3] = {h[0], h[1], h[2]};
                        double want = sb_ref_stream(pi, in, y, h[3], n, 0.5f, 0);
                        for (int j = 0; j < 4; j++) {
                            int used = j < 3 ? j < pi->nio : pi->nout;
                            download(d[j], got, n * 4);
                            CHECK(!used || memcmp(got, h[j], n * 4) == 0,
                                  "%s w%d ch%d local %zu n=%zu: stream %d differs",
                                  pi->name, widths[w], ch, local, n, j);
                        }
                        if (pi->red) {
                            size_t m = sb_op_stream_items(&ops, widths[w], local, n);
                            float *ps = malloc(m * 4);
                            download(part, ps, m * 4);
                            double sum = 0;
                            for (size_t i = 0; i < m; i++)
                                sum += ps[i];
                            double tol = RED_TOL * sb_ref_reduce(SB_NORM1, in, in, n, 0);
                            if (pi->nin > 1) /* read2 adds y0 (d[0]) */
                                tol += RED_TOL * sb_ref_reduce(SB_NORM1, h[0], h[0], n, 0);
                            CHECK(fabs(sum - want) <= tol,
                                  "read w%d ch%d local %zu n=%zu: %.9g vs %.9g", widths[w],
                                  ch, local, n, sum, want);
                            free(ps);
                        }
                        for (int j = 0; j < 4; j++) {
                            clReleaseMemObject(d[j]);
                            free(h[j]);
                        }
                    }
        clReleaseMemObject(din);
        clReleaseMemObject(part);
        free(in);
        free(got);
    }
}
END_TEST

START_TEST(bad_input)
{
    sb_err e = {0, ""};
    cl_mem d = upload(NULL, 64);
    sb_hyper h;
    memset(&h, 0, sizeof h);
    ck_assert_int_eq(
        sb_op_update(&ops, sb_update_find("adam"), d, d, d, NULL, 4, h, NULL, &e),
        SB_EUSAGE);
    ck_assert_int_eq(sb_op_update(&ops, NULL, d, d, d, d, 4, h, NULL, &e), SB_EUSAGE);
    /* A copy of a table row works; a made-up row does not. */
    sb_update_info copy = *sb_update_find("sgd");
    ck_assert_int_eq(sb_op_update(&ops, &copy, d, d, NULL, NULL, 4, h, NULL, &e), SB_OK);
    copy.kernel = "update_nope";
    ck_assert_int_eq(sb_op_update(&ops, &copy, d, d, NULL, NULL, 4, h, NULL, &e),
                     SB_EUSAGE);
    ck_assert_int_eq(sb_op_vote_update(&ops, d, d, 70000, 4, 0.1f, NULL, &e), SB_EUSAGE);
    /* Zero elements is a no-op, not an error. */
    int nan = 1;
    ck_assert_int_eq(sb_op_sign(&ops, d, d, 0, &nan, NULL, &e), SB_OK);
    ck_assert_int_eq(nan, 0);
    clReleaseMemObject(d);
}
END_TEST

int main(void)
{
    sb_test_require_device();
    Suite *s = suite_create("kernels");
    TCase *tc = sb_test_tcase(s, "vector", 300);
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, pack_layout);
    tcase_add_test(tc, sign_pack_unpack_exact);
    tcase_add_test(tc, nan_is_flagged);
    tcase_add_test(tc, vote_ties);
    tcase_add_test(tc, vote_exact);
    tcase_add_test(tc, vote_every_counter_width);
    tcase_add_test(tc, reduce_known_values);
    tcase_add_test(tc, reductions);
    tcase_add_test(tc, update_reference_formulas);
    tcase_add_test(tc, updates_vs_reference);
    tcase_add_test(tc, ref_threads_agree);
    tcase_add_test(tc, ceiling_variants_vs_reference);
    tcase_add_test(tc, bad_input);
    return sb_test_run(s);
}
