/* test_problems.c - the problems and the oracle: tube facts and regions, finite-difference
 * gradients, rotations, device vs host reference, Philox noise, data readers, LIBLINEAR. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dataset.h"
#include "oracle.h"
#include "problem.h"
#include "rotation.h"
#include "testutil.h"
#include "tube.h"

static sb_ctx ctx;
static int have_ctx;

static void setup(void)
{
    sb_test_open(&ctx, NULL);
    have_ctx = 1;
}

static void teardown(void)
{
    if (have_ctx)
        sb_ctx_close(&ctx);
    have_ctx = 0;
}

static double u01(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) * (1.0 / 9007199254740992.0);
}

static const char *src_root(void)
{
    const char *r = getenv("SB_SOURCE_ROOT");
    return r ? r : ".";
}

/* Central differences of a host function; max |g - fd| / (1 + |g|). */
typedef int (*hostfn)(const void *ctxp, const double *x, double *f, double *g);

static double fd_error(size_t d, const double *x, double h,
                       int (*fn)(const void *, const double *, double *, double *),
                       const void *arg)
{
    double *g = malloc(d * sizeof *g), *xp = malloc(d * sizeof *xp), worst = 0.0, f0;
    fn(arg, x, &f0, g);
    for (size_t j = 0; j < d; j++) {
        double fp, fm;
        memcpy(xp, x, d * sizeof *xp);
        xp[j] = x[j] + h;
        fn(arg, xp, &fp, NULL);
        xp[j] = x[j] - h;
        fn(arg, xp, &fm, NULL);
        double e = fabs((fp - fm) / (2 * h) - g[j]) / (1.0 + fabs(g[j]));
        if (e > worst)
            worst = e;
    }
    free(g);
    free(xp);
    return worst;
}

static int tube_fn(const void *arg, const double *x, double *f, double *g)
{
    const size_t *d = arg;
    sb_tube_params p = sb_tube_defaults();
    return sb_tube_eval(*d, x, &p, f, g, NULL, NULL);
}

static int prob_fn(const void *arg, const double *x, double *f, double *g)
{
    const sb_problem *p = arg;
    return p->vt->host(p, x, f, g);
}

/* ---- tube facts ----------------------------------------------------------------------- */

START_TEST(tube_constants)
{
    sb_tube_params p = sb_tube_defaults();
    ck_assert(fabs(sb_tube_nu(&p) - 139.8704) < 1e-4);
    double c = sb_tube_curvature(&p);
    ck_assert_msg(c > 30 && c < 40, "curvature %g, DESIGN.md 5.1 says about 35", c);
    const size_t d = 10;
    double x[10], g[10], f;
    int region, in;
    for (int k = 0; k <= 10; k++) {
        for (int m = 0; m < 4; m++) { /* mirror signs */
            for (size_t j = 0; j < d; j++)
                x[j] = (int)j < k ? ((m >> (j & 1)) & 1 ? -4 : 4) * p.tau : 0.0;
            ck_assert_int_eq(sb_tube_eval(d, x, &p, &f, g, &region, &in), SB_OK);
            ck_assert_msg(fabs(f + k * sb_tube_nu(&p)) < 1e-9 * (1 + k * 140), "k %d f %g",
                          k, f);
            for (size_t j = 0; j < d; j++)
                ck_assert_msg(fabs(g[j]) < 1e-9, "gradient %g at a critical point", g[j]);
            ck_assert_int_eq(region, k + 1);
            ck_assert_int_eq(in, 1);
        }
    }
    ck_assert(fabs(-10 * sb_tube_nu(&p) + 1398.70) < 0.01);
    ck_assert_int_eq(sb_tube_eval(0, x, &p, &f, NULL, NULL, NULL), SB_EUSAGE);
    sb_tube_params bad = {0, 1, 1};
    ck_assert_int_eq(sb_tube_eval(2, x, &bad, &f, NULL, NULL, NULL), SB_EUSAGE);
}
END_TEST

/* Value and derivative join at tau and 2 tau (coordinate i and the next one). */
START_TEST(tube_continuity)
{
    sb_tube_params p = sb_tube_defaults();
    const size_t d = 5;
    double eps = 1e-7;
    double joins[] = {p.tau, 2 * p.tau};
    for (int which = 0; which < 2; which++)
        for (int i = 0; i < (int)d; i++)
            for (int s = -1; s <= 1; s += 2) {
                double xa[5], xb[5], fa, fb, ga[5], gb[5];
                for (size_t j = 0; j < d; j++)
                    xa[j] = (int)j < i    ? 4.3 * p.tau * (j % 2 ? -1 : 1)
                            : (int)j == i ? 0
                                          : 0.37 * p.tau * ((int)(j % 3) - 1);
                memcpy(xb, xa, sizeof xa);
                xa[i] = s * (joins[which] - eps);
                xb[i] = s * (joins[which] + eps);
                sb_tube_eval(d, xa, &p, &fa, ga, NULL, NULL);
                sb_tube_eval(d, xb, &p, &fb, gb, NULL, NULL);
                ck_assert_msg(fabs(fa - fb) < 1e-4, "value jump %g at %s, i %d", fa - fb,
                              which ? "2tau" : "tau", i);
                for (size_t j = 0; j < d; j++)
                    ck_assert_msg(fabs(ga[j] - gb[j]) < 1e-4, "gradient %zu jumps %g vs %g",
                                  j, ga[j], gb[j]);
            }
}
END_TEST

/* Finite differences in every region: wells, quadratic piece, spline pieces (with
 * the next coordinate in and out of the tube), the last coordinate, the basin, near
 * saddles, both mirror signs. */
START_TEST(tube_fd_regions)
{
    sb_tube_params p = sb_tube_defaults();
    const size_t d = 6;
    uint64_t s = 7;
    double x[6], worst = 0.0;
    int seen[8][2] = {{0}};
    for (int trial = 0; trial < 600; trial++) {
        int i = (int)(u01(&s) * (d + 1)), kind = (int)(u01(&s) * 3);
        for (size_t j = 0; j < d; j++) {
            double sg = u01(&s) < 0.5 ? -1 : 1, a;
            if ((int)j < i)
                a = p.tau * (2.05 + 3.9 * u01(&s));
            else if ((int)j == i)
                a = kind == 0 ? p.tau * 0.98 * u01(&s)
                              : p.tau * (1.02 + 0.96 * u01(&s)); /* spline piece */
            else
                a = p.tau * (kind == 2 ? 1.9 * u01(&s) : 0.98 * u01(&s));
            if (trial % 10 == 0 && (int)j < i)
                a = 4 * p.tau + 1e-3 * (u01(&s) - 0.5); /* near a saddle */
            if (trial % 10 == 0 && (int)j >= i)
                a = 1e-3 * u01(&s);
            x[j] = sg * a;
        }
        int region, in;
        double f;
        sb_tube_eval(d, x, &p, &f, NULL, &region, &in);
        seen[region][in]++;
        double e = fd_error(d, x, 1e-6, tube_fn, &d);
        if (e > worst)
            worst = e;
        ck_assert_msg(e < 1e-5, "finite differences off by %g in region %d", e, region);
    }
    for (int r = 1; r <= 7; r++)
        ck_assert_msg(seen[r][0] + seen[r][1] > 0, "region %d never tested", r);
    ck_assert(seen[2][0] > 0 && seen[2][1] > 0);
}
END_TEST

/* ---- rotations --------------------------------------------------------------------------- */

START_TEST(rotation_orthogonal)
{
    sb_err e;
    for (size_t d = 1; d <= 64; d *= 4) {
        double *Q = malloc(d * d * sizeof *Q), *Q2 = malloc(d * d * sizeof *Q2);
        ck_assert_int_eq(sb_rotation_haar(d, 42, Q, &e), SB_OK);
        ck_assert(sb_rotation_orth_error(d, Q) < 1e-5);
        sb_rotation_haar(d, 42, Q2, &e);
        ck_assert(!memcmp(Q, Q2, d * d * sizeof *Q)); /* seeded */
        sb_rotation_haar(d, 43, Q2, &e);
        ck_assert(d == 1 || memcmp(Q, Q2, d * d * sizeof *Q));
        free(Q);
        free(Q2);
    }
    /* Reading: a good file, a non-orthogonal one, a malformed one. */
    size_t d = 3;
    double Q[9];
    char path[] = "/tmp/sb_rot_XXXXXX";
    int fd = mkstemp(path);
    ck_assert(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "0,1,0\n-1, 0, 0\n0 0 1\n");
    fclose(f);
    ck_assert_int_eq(sb_rotation_read(path, d, Q, &e), SB_OK);
    ck_assert(Q[1] == 1 && Q[3] == -1);
    f = fopen(path, "w");
    fprintf(f, "1,1,0\n0,1,0\n0,0,1\n");
    fclose(f);
    ck_assert_int_eq(sb_rotation_read(path, d, Q, &e), SB_EUSAGE);
    ck_assert(strstr(e.msg, "not orthogonal"));
    f = fopen(path, "w");
    fprintf(f, "1,0,0\n0,x,0\n0,0,1\n");
    fclose(f);
    ck_assert_int_eq(sb_rotation_read(path, d, Q, &e), SB_EUSAGE);
    ck_assert_msg(strstr(e.msg, ":2:"), "no line number in '%s'", e.msg);
    ck_assert_int_eq(sb_rotation_read(path, 4, Q, &e), SB_EUSAGE);
    unlink(path);
}
END_TEST

/* Options for logreg on N synthetic rows in D dimensions, defaults otherwise. */
static sb_problem_opts logreg_synth(size_t d, size_t n, uint64_t seed)
{
    sb_problem_opts o;
    sb_problem_opts_init(&o);
    o.name = "logreg";
    o.d = d;
    o.n_synth = n;
    o.seed = seed;
    return o;
}

static sb_problem *make(const char *name, size_t d, sb_ctx *c)
{
    sb_problem_opts o;
    if (!strcmp(name, "logreg")) {
        o = logreg_synth(d, 300, 5);
        o.label_noise = 0.1;
        o.lambda = 1e-2;
    } else {
        sb_problem_opts_init(&o);
        o.name = name;
        o.d = d;
        o.seed = 5;
    }
    sb_problem *p = NULL;
    sb_err e = {0, ""};
    int st = sb_problem_create(&o, c, &p, &e);
    ck_assert_msg(st == SB_OK, "create %s: %s", name, e.msg);
    return p;
}

START_TEST(rotated_gradients)
{
    const char *names[] = {"tube-rotated", "quad-rotated"};
    for (int k = 0; k < 2; k++) {
        size_t d = 8;
        sb_problem *p = make(names[k], d, NULL);
        const double *Q = sb_problem_rotation(p);
        ck_assert_ptr_nonnull(Q);
        ck_assert(sb_rotation_orth_error(d, Q) < 1e-5);
        sb_problem *base = make(k ? "quad" : "tube", d, NULL);
        uint64_t s = 3;
        for (int t = 0; t < 20; t++) {
            double x[8], y[8], gy[8], g[8], want[8], f, fy;
            for (size_t j = 0; j < d; j++)
                x[j] = (u01(&s) - 0.5) * (k ? 4 : 2.5 * M_E);
            p->vt->host(p, x, &f, g);
            sb_matvec(d, Q, x, y);
            base->vt->host(base, y, &fy, gy);
            sb_matvec_t(d, Q, gy, want);
            ck_assert(fabs(f - fy) <= 1e-12 * (1 + fabs(f)));
            for (size_t j = 0; j < d; j++)
                ck_assert(fabs(g[j] - want[j]) <= 1e-12 * (1 + fabs(want[j])));
            ck_assert(fd_error(d, x, 1e-6, prob_fn, p) < 1e-5);
        }
        /* x0 = Q^T u with u in [-1, 1]^d. */
        double u[8];
        sb_matvec(d, Q, p->x0, u);
        for (size_t j = 0; j < d; j++)
            ck_assert(fabs(u[j]) <= 1.0 + 1e-12);
        sb_problem_free(base);
        sb_problem_free(p);
    }
}
END_TEST

START_TEST(fd_every_problem)
{
    const char *names[] = {"quad", "logreg", "tube"};
    for (int k = 0; k < 3; k++) {
        size_t d = 7;
        sb_problem *p = make(names[k], d, NULL);
        uint64_t s = 11;
        for (int t = 0; t < 10; t++) {
            double x[7];
            for (size_t j = 0; j < d; j++)
                x[j] = (u01(&s) - 0.5) * 3;
            double e = fd_error(d, x, 1e-6, prob_fn, p);
            ck_assert_msg(e < 1e-6, "%s: finite differences off by %g", names[k], e);
        }
        sb_problem_free(p);
    }
    /* quad spectra and constants */
    sb_problem_opts o;
    sb_problem_opts_init(&o);
    o.name = "quad";
    o.d = 5;
    o.spectrum = "log";
    o.cond = 1000;
    sb_problem *p;
    sb_err e;
    ck_assert_int_eq(sb_problem_create(&o, NULL, &p, &e), SB_OK);
    double x[5] = {1, 0, 0, 0, 1}, f;
    p->vt->host(p, x, &f, NULL);
    ck_assert(fabs(f - 0.5 * (1e-3 + 1)) < 1e-12);
    ck_assert(p->has_fstar && p->fstar == 0 && p->has_L && p->L == 1.0);
    sb_problem_free(p);
}
END_TEST

/* ---- oracle --------------------------------------------------------------------------- */

START_TEST(oracle_schedule_host)
{
    sb_oracle o = {.theory_batch = 1, .sigma = 2.0, .seed = 9};
    ck_assert_uint_eq(sb_oracle_batch(&o, 0), 1);
    ck_assert_uint_eq(sb_oracle_batch(&o, 99), 100);
    ck_assert(fabs(sb_oracle_noise_sd(&o, 3) - 1.0) < 1e-15);
    /* Noise: mean 0, variance 1 per unit sd over many coordinates; reproducible. */
    size_t d = 200000;
    double *z = malloc(d * sizeof *z), *z2 = malloc(d * sizeof *z2), m = 0, v = 0;
    sb_oracle_noise_host(&o, 5, d, 1.0, z);
    sb_oracle_noise_host(&o, 5, d, 1.0, z2);
    ck_assert(!memcmp(z, z2, d * sizeof *z));
    for (size_t j = 0; j < d; j++)
        m += z[j];
    m /= d;
    for (size_t j = 0; j < d; j++)
        v += (z[j] - m) * (z[j] - m);
    v /= d;
    ck_assert_msg(fabs(m) < 0.01 && fabs(v - 1) < 0.02, "mean %g var %g", m, v);
    sb_oracle_noise_host(&o, 6, d, 1.0, z2);
    ck_assert(memcmp(z, z2, d * sizeof *z));
    /* Indices: in range, reproducible, roughly uniform. */
    uint32_t idx[4000], idx2[4000];
    int count[10] = {0};
    sb_oracle_indices_host(&o, 3, 4000, 10, idx);
    sb_oracle_indices_host(&o, 3, 4000, 10, idx2);
    ck_assert(!memcmp(idx, idx2, sizeof idx));
    for (int i = 0; i < 4000; i++) {
        ck_assert_uint_lt(idx[i], 10);
        count[idx[i]]++;
    }
    for (int i = 0; i < 10; i++)
        ck_assert(count[i] > 300 && count[i] < 500);
    free(z);
    free(z2);
}
END_TEST

/* ---- data sets ------------------------------------------------------------------------- */

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

START_TEST(data_readers)
{
    char path[4096];
    sb_dataset ds;
    sb_err e;
    snprintf(path, sizeof path, "%s/tests/data/breast_cancer.libsvm", src_root());
    ck_assert_msg(sb_dataset_read(path, NULL, 0, &ds, &e) == SB_OK, "%s", e.msg);
    ck_assert_uint_eq(ds.n, 569);
    ck_assert_uint_eq(ds.d, 30);
    int pos = 0;
    for (size_t i = 0; i < ds.n; i++)
        pos += ds.y[i] > 0;
    ck_assert_int_eq(pos, 212);
    ck_assert(ds.X[0] == 17.99f && ds.X[29] == 0.1189f);
    sb_dataset te;
    ck_assert_int_eq(sb_dataset_split(&ds, 0.25, 1, &te, &e), SB_OK);
    ck_assert_uint_eq(ds.n + te.n, 569);
    ck_assert_uint_eq(te.n, 142);
    sb_dataset_standardize(&ds, &te);
    double m = 0, v = 0;
    for (size_t i = 0; i < ds.n; i++)
        m += ds.X[i * 30 + 3];
    m /= ds.n;
    for (size_t i = 0; i < ds.n; i++)
        v += (ds.X[i * 30 + 3] - m) * (ds.X[i * 30 + 3] - m);
    ck_assert(fabs(m) < 1e-5 && fabs(v / ds.n - 1) < 1e-4);
    ck_assert_int_eq(sb_dataset_add_bias(&ds, &e), SB_OK);
    ck_assert(ds.d == 31 && ds.X[30] == 1.0f);
    sb_dataset_free(&ds);
    sb_dataset_free(&te);

    const char *tmp = "/tmp/sb_test_data.csv";
    write_text(tmp, "a,label,b\n1.5,0,2\n-1,1,0.25\n3,1,1\n");
    ck_assert_msg(sb_dataset_read(tmp, NULL, 1, &ds, &e) == SB_OK, "%s", e.msg);
    ck_assert(ds.n == 3 && ds.d == 2 && ds.y[0] == -1 && ds.y[1] == 1 && ds.X[3] == 0.25f);
    sb_dataset_free(&ds);
    write_text(tmp, "1,0,2\n\n1,1\n");
    ck_assert_int_eq(sb_dataset_read(tmp, NULL, 1, &ds, &e), SB_EUSAGE);
    ck_assert_msg(strstr(e.msg, "sb_test_data.csv:3:"), "%s", e.msg);
    write_text(tmp, "1,0,2\n1,1,nan\n");
    ck_assert_int_eq(sb_dataset_read(tmp, NULL, 1, &ds, &e), SB_EUSAGE);
    write_text(tmp, "1,0,2\n1,2,3\n1,3,3\n");
    ck_assert_int_eq(sb_dataset_read(tmp, NULL, 1, &ds, &e), SB_EUSAGE);
    ck_assert(strstr(e.msg, "more than two"));
    const char *lib = "/tmp/sb_test_data.libsvm";
    write_text(lib, "1 1:2 3:4\n0 2:1\n");
    ck_assert_int_eq(sb_dataset_read(lib, NULL, 0, &ds, &e), SB_OK);
    ck_assert(ds.n == 2 && ds.d == 3 && ds.X[2] == 4 && ds.X[4] == 1 && ds.y[1] == -1);
    sb_dataset_free(&ds);
    const char *bad[] = {"1 1:2 1:3\n", "1 2:x\n", "+1 0:1\n", "1 1:2\nfoo 1:1\n",
                         "1 1;2\n"};
    for (int k = 0; k < 5; k++) {
        write_text(lib, bad[k]);
        ck_assert_int_eq(sb_dataset_read(lib, NULL, 0, &ds, &e), SB_EUSAGE);
        ck_assert_msg(strstr(e.msg, ".libsvm:"), "no file:line in '%s'", e.msg);
    }
    ck_assert_int_eq(sb_dataset_read("/nonexistent.libsvm", NULL, 0, &ds, &e) != SB_OK, 1);
    unlink(tmp);
    unlink(lib);

    /* Synthetic: seeded, labels follow the planted w* up to the noise. */
    sb_dataset a, b;
    ck_assert_int_eq(sb_dataset_synthetic(50, 4, 3, 0.0, &a, &e), SB_OK);
    ck_assert_int_eq(sb_dataset_synthetic(50, 4, 3, 0.0, &b, &e), SB_OK);
    ck_assert(!memcmp(a.X, b.X, 200 * sizeof(float)) &&
              !memcmp(a.y, b.y, 50 * sizeof(float)));
    sb_dataset_free(&b);
    ck_assert_int_eq(sb_dataset_synthetic(50, 4, 3, 1.0, &b, &e), SB_OK);
    for (int i = 0; i < 50; i++)
        ck_assert(a.y[i] == -b.y[i]);
    sb_dataset_free(&a);
    sb_dataset_free(&b);
}
END_TEST

/* ---- LIBLINEAR -------------------------------------------------------------------------- */

/* Our optimum on the standardised breast cancer data (Nesterov with restarts on the host
 * gradient, run to convergence) against liblinear-train -s 0 with C = 1/(lambda n). */
START_TEST(logreg_vs_liblinear)
{
    if (system("command -v liblinear-train >/dev/null 2>&1") != 0) {
        fprintf(stderr, "liblinear-train not installed: LIBLINEAR comparison skipped\n");
        return;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/data/breast_cancer.libsvm", src_root());
    sb_problem_opts o;
    sb_problem_opts_init(&o);
    o.name = "logreg";
    o.data = path;
    o.standardize = 1;
    double lambda = 1e-4; /* the default */
    o.lambda = lambda;
    sb_problem *p;
    sb_err e;
    ck_assert_msg(sb_problem_create(&o, NULL, &p, &e) == SB_OK, "%s", e.msg);
    size_t d = p->d, n = p->n_train;
    /* Write exactly the data our problem uses (standardised, float) for LIBLINEAR. */
    sb_dataset ds;
    ck_assert_int_eq(sb_dataset_read(path, NULL, 0, &ds, &e), SB_OK);
    sb_dataset_standardize(&ds, NULL);
    const char *data = "/tmp/sb_test_bc.libsvm", *model = "/tmp/sb_test_bc.model";
    ck_assert_int_eq(sb_dataset_write_libsvm(&ds, data, &e), SB_OK);
    sb_dataset_free(&ds);
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "liblinear-train -s 0 -c %.17g -e 1e-6 -q %s %s",
             1.0 / (lambda * n), data, model);
    ck_assert_int_eq(system(cmd), 0);
    FILE *f = fopen(model, "r");
    ck_assert_ptr_nonnull(f);
    char line[256];
    int first_label = 0, in_w = 0;
    size_t k = 0;
    double *wl = calloc(d, sizeof *wl);
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "label ", 6))
            first_label = atoi(line + 6);
        else if (!strncmp(line, "w", 1) && (line[1] == '\n' || line[1] == '\r'))
            in_w = 1;
        else if (in_w && k < d)
            wl[k++] = atof(line);
    }
    fclose(f);
    ck_assert_uint_eq(k, d);
    if (first_label == -1) /* w scores the first label as positive */
        for (size_t j = 0; j < d; j++)
            wl[j] = -wl[j];
    /* Nesterov with gradient restarts, step 1/L. */
    double *x = calloc(d, sizeof *x), *y = calloc(d, sizeof *y),
           *xp = calloc(d, sizeof *xp), *g = calloc(d, sizeof *g), t = 1.0, fx = 0.0,
           gn = 0.0;
    double step = 1.0 / p->L;
    for (int it = 0; it < 20000; it++) {
        p->vt->host(p, y, NULL, g);
        memcpy(xp, x, d * sizeof *x);
        gn = 0.0;
        for (size_t j = 0; j < d; j++) {
            x[j] = y[j] - step * g[j];
            gn += g[j] * g[j];
        }
        if (sqrt(gn) < 1e-12)
            break;
        double tn = 0.5 * (1 + sqrt(1 + 4 * t * t)), dot = 0.0;
        for (size_t j = 0; j < d; j++)
            dot += g[j] * (x[j] - xp[j]);
        if (dot > 0) { /* restart */
            tn = 1.0;
            memcpy(y, x, d * sizeof *x);
        } else
            for (size_t j = 0; j < d; j++)
                y[j] = x[j] + (t - 1) / tn * (x[j] - xp[j]);
        t = tn;
    }
    double fl;
    p->vt->host(p, x, &fx, NULL);
    p->vt->host(p, wl, &fl, NULL);
    fprintf(stderr, "breast cancer, lambda %g: LIBLINEAR f %.10g, ours %.10g (|g| %.2g)\n",
            lambda, fl, fx, sqrt(gn));
    ck_assert_msg(fabs(fx - fl) <= 1e-4 * fabs(fl),
                  "ours %.10g vs LIBLINEAR %.10g (|g| %g)", fx, fl, sqrt(gn));
    free(x);
    free(y);
    free(xp);
    free(g);
    free(wl);
    unlink(data);
    unlink(model);
    sb_problem_free(p);
}
END_TEST

/* ---- device vs host --------------------------------------------------------------------- */

static void dev_vs_host(sb_problem *p, const double *x, double tol)
{
    size_t d = p->d;
    sb_err e = {0, ""};
    cl_mem xb, gb;
    ck_assert_int_eq(sb_problem_buffer(&ctx, d, x, &xb, &e), SB_OK);
    ck_assert_int_eq(sb_problem_buffer(&ctx, d, NULL, &gb, &e), SB_OK);
    double fd, fh, *gd = malloc(d * sizeof *gd), *gh = malloc(d * sizeof *gh), gmax = 0;
    int st = p->vt->full(p, xb, gb, &fd, &e);
    ck_assert_msg(st == SB_OK, "%s full: %s", p->name, e.msg);
    ck_assert_int_eq(sb_problem_get(&ctx, gb, gd, d, &e), SB_OK);
    /* The reference at the float-rounded point the device saw. */
    double *xr = malloc(d * sizeof *xr);
    for (size_t j = 0; j < d; j++)
        xr[j] = (float)x[j];
    p->vt->host(p, xr, &fh, gh);
    for (size_t j = 0; j < d; j++)
        gmax = fmax(gmax, fabs(gh[j]));
    ck_assert_msg(fabs(fd - fh) <= tol * (1 + fabs(fh)), "%s: f %.9g vs %.9g", p->name, fd,
                  fh);
    for (size_t j = 0; j < d; j++)
        ck_assert_msg(fabs(gd[j] - gh[j]) <= tol * (1 + gmax), "%s: g[%zu] %.9g vs %.9g",
                      p->name, j, gd[j], gh[j]);
    /* full without g, and with f NULL */
    double f2;
    ck_assert_int_eq(p->vt->full(p, xb, NULL, &f2, &e), SB_OK);
    ck_assert(f2 == fd);
    free(gd);
    free(gh);
    free(xr);
    clReleaseMemObject(xb);
    clReleaseMemObject(gb);
}

START_TEST(device_matches_host)
{
    const char *names[] = {"tube", "tube-rotated", "quad", "quad-rotated", "logreg"};
    const size_t dims[] = {10, 10, 1000, 100, 50};
    for (int k = 0; k < 5; k++) {
        sb_problem *p = make(names[k], dims[k], &ctx);
        uint64_t s = 17;
        double *x = malloc(p->d * sizeof *x);
        for (int t = 0; t < 5; t++) {
            for (size_t j = 0; j < p->d; j++)
                x[j] = (u01(&s) - 0.5) * (k < 2 ? 5 * M_E : 2);
            if (t == 0)
                memcpy(x, p->x0, p->d * sizeof *x);
            dev_vs_host(p, x, 2e-5);
        }
        free(x);
        sb_problem_free(p);
    }
    /* Both fused kernels (work-group and CPU variants) on a d that is not a multiple of
     * 8 or of the work-group size, with a minibatch too. */
    const char *variants[] = {"wg", "cpu"};
    for (int v = 0; v < 2; v++) {
        setenv("SB_LOGREG_KERNEL", variants[v], 1);
        sb_problem *p = make("logreg", 77, &ctx);
        unsetenv("SB_LOGREG_KERNEL");
        double *x = malloc(p->d * sizeof *x);
        uint64_t s = 23;
        for (size_t j = 0; j < p->d; j++)
            x[j] = u01(&s) - 0.5;
        dev_vs_host(p, x, 2e-5);
        free(x);
        sb_problem_free(p);
    }
    /* logreg through CLBlast GEMV equals the fused kernel's result to float rounding. */
    sb_problem_opts o = logreg_synth(70, 333, 2);
    o.bias = 1;
    o.test_split = 0.2;
    o.gemv = "clblast";
    sb_problem *p;
    sb_err e;
    ck_assert_msg(sb_problem_create(&o, &ctx, &p, &e) == SB_OK, "%s", e.msg);
    ck_assert_uint_eq(p->d, 71);
    ck_assert_uint_eq(p->n_train, 266);
    double x[71];
    uint64_t s = 4;
    for (size_t j = 0; j < 71; j++)
        x[j] = u01(&s) - 0.5;
    dev_vs_host(p, x, 2e-5);
    cl_mem xb;
    ck_assert_int_eq(sb_problem_buffer(&ctx, 71, x, &xb, &e), SB_OK);
    double acc;
    ck_assert_ptr_nonnull(p->vt->test_accuracy);
    ck_assert_int_eq(p->vt->test_accuracy(p, xb, &acc, &e), SB_OK);
    ck_assert(acc >= 0 && acc <= 1);
    clReleaseMemObject(xb);
    sb_problem_free(p);
}
END_TEST

/* The device's noise equals the host recipe; minibatch gradients equal the host
 * reference on the same rows; calls are counted. */
START_TEST(oracle_device)
{
    sb_err e = {0, ""};
    size_t d = 1001;
    sb_problem *p = make("quad", d, &ctx);
    sb_oracle o = {.theory_batch = 1, .sigma = 3.0, .seed = 123456789012345ULL};
    cl_mem xb, gb;
    double *zero = calloc(d, sizeof *zero), *gd = malloc(d * sizeof *gd),
           *gh = malloc(d * sizeof *gh);
    ck_assert_int_eq(sb_problem_buffer(&ctx, d, zero, &xb, &e), SB_OK);
    ck_assert_int_eq(sb_problem_buffer(&ctx, d, NULL, &gb, &e), SB_OK);
    uint64_t calls = 0;
    uint64_t steps[] = {0, 7, 5000000000ULL};
    for (int k = 0; k < 3; k++) {
        ck_assert_int_eq(p->vt->grad(p, xb, gb, &o, steps[k], NULL, &calls, &e), SB_OK);
        ck_assert_int_eq(sb_problem_get(&ctx, gb, gd, d, &e), SB_OK);
        double sd = sb_oracle_noise_sd(&o, steps[k]);
        sb_oracle_noise_host(&o, steps[k], d, sd, gh);
        for (size_t j = 0; j < d; j++)
            ck_assert_msg(fabs(gd[j] - gh[j]) <= 2e-6 * sd * (1 + fabs(gh[j] / sd)),
                          "step %llu coordinate %zu: %.9g vs %.9g",
                          (unsigned long long)steps[k], j, gd[j], gh[j]);
    }
    ck_assert_uint_eq(calls, 1 + 8 + 5000000001ULL);
    clReleaseMemObject(xb);
    clReleaseMemObject(gb);
    sb_problem_free(p);

    free(zero);
    free(gd);
    free(gh);
}
END_TEST

/* logreg minibatch (batch 37, no noise) vs the host on the same rows, for both fused
 * kernels; full batch costs n calls. */
static void minibatch_check(const char *variant)
{
    sb_err e = {0, ""};
    sb_problem *p;
    cl_mem xb, gb;
    uint64_t calls;
    size_t d;
    double *gd = malloc(40 * sizeof *gd), *gh = malloc(40 * sizeof *gh);
    setenv("SB_LOGREG_KERNEL", variant, 1);
    sb_problem_opts po = logreg_synth(40, 500, 8);
    ck_assert_int_eq(sb_problem_create(&po, &ctx, &p, &e), SB_OK);
    unsetenv("SB_LOGREG_KERNEL");
    d = p->d;
    double *w = malloc(d * sizeof *w);
    uint64_t s = 99;
    for (size_t j = 0; j < d; j++)
        w[j] = (float)(u01(&s) - 0.5);
    ck_assert_int_eq(sb_problem_buffer(&ctx, d, w, &xb, &e), SB_OK);
    ck_assert_int_eq(sb_problem_buffer(&ctx, d, NULL, &gb, &e), SB_OK);
    sb_oracle mb = {.batch = 37, .seed = 4};
    double fmb;
    calls = 0;
    ck_assert_int_eq(p->vt->grad(p, xb, gb, &mb, 3, &fmb, &calls, &e), SB_OK);
    ck_assert_uint_eq(calls, 37);
    ck_assert_int_eq(sb_problem_get(&ctx, gb, gd, d, &e), SB_OK);
    uint32_t idx[37];
    sb_oracle_indices_host(&mb, 3, 37, p->n_train, idx);
    /* host: average over the drawn rows of the per-row gradient, plus lambda w */
    sb_dataset ds;
    ck_assert_int_eq(sb_dataset_synthetic(500, 40, 8, 0.0, &ds, &e), SB_OK);
    double fh = 0, wsq = 0;
    memset(gh, 0, d * sizeof *gh);
    for (int r = 0; r < 37; r++) {
        const float *xr = ds.X + (size_t)idx[r] * d;
        double z = 0;
        for (size_t j = 0; j < d; j++)
            z += xr[j] * w[j];
        double m = ds.y[idx[r]] * z, sig = 1 / (1 + exp(m));
        fh += log1p(exp(-m));
        for (size_t j = 0; j < d; j++)
            gh[j] += -ds.y[idx[r]] * sig * xr[j] / 37;
    }
    for (size_t j = 0; j < d; j++) {
        gh[j] += 1e-4 * w[j];
        wsq += w[j] * w[j];
        ck_assert_msg(fabs(gd[j] - gh[j]) < 1e-5, "minibatch g[%zu] %g vs %g", j, gd[j],
                      gh[j]);
    }
    fh = fh / 37 + 0.5e-4 * wsq;
    ck_assert(fabs(fmb - fh) < 1e-5 * (1 + fh));
    calls = 0;
    ck_assert_int_eq(p->vt->grad(p, xb, gb, &(sb_oracle){.seed = 1}, 0, NULL, &calls, &e),
                     SB_OK);
    ck_assert_uint_eq(calls, 500);
    /* The theory schedule: 1 row at step 0, then 2, 3, ... (the index buffer grows). */
    calls = 0;
    sb_oracle th = {.theory_batch = 1, .seed = 6};
    for (uint64_t k = 0; k < 40; k++) {
        ck_assert_int_eq(p->vt->grad(p, xb, gb, &th, k, &fmb, &calls, &e), SB_OK);
        ck_assert(isfinite(fmb));
    }
    ck_assert_uint_eq(calls, 40 * 41 / 2);
    /* At step 0 the gradient is one row's: the host on that row. */
    ck_assert_int_eq(p->vt->grad(p, xb, gb, &th, 0, NULL, &calls, &e), SB_OK);
    ck_assert_int_eq(sb_problem_get(&ctx, gb, gd, d, &e), SB_OK);
    sb_oracle_indices_host(&th, 0, 1, p->n_train, idx);
    {
        const float *xr = ds.X + (size_t)idx[0] * d;
        double z = 0;
        for (size_t j = 0; j < d; j++)
            z += xr[j] * w[j];
        double sig = 1 / (1 + exp(ds.y[idx[0]] * z));
        for (size_t j = 0; j < d; j++)
            ck_assert(fabs(gd[j] - (-ds.y[idx[0]] * sig * xr[j] + 1e-4 * w[j])) < 1e-5);
    }
    sb_dataset_free(&ds);
    free(w);
    free(gd);
    free(gh);
    clReleaseMemObject(xb);
    clReleaseMemObject(gb);
    sb_problem_free(p);
}

START_TEST(oracle_minibatch)
{
    minibatch_check("wg");
    minibatch_check("cpu");
}
END_TEST

START_TEST(bad_options)
{
    sb_problem_opts o;
    sb_problem *p = NULL;
    sb_err e;
    sb_problem_opts_init(&o);
    ck_assert_int_eq(sb_problem_create(&o, NULL, &p, &e), SB_EUSAGE);
    o.name = "nope";
    ck_assert_int_eq(sb_problem_create(&o, NULL, &p, &e), SB_EUSAGE);
    o.name = "tube";
    o.d = 1;
    ck_assert_int_eq(sb_problem_create(&o, NULL, &p, &e), SB_EUSAGE);
    o.d = 4;
    o.rotation_file = "/tmp/x";
    ck_assert_int_eq(sb_problem_create(&o, NULL, &p, &e), SB_EUSAGE);
    o.name = "tube-rotated";
    o.rotation_file = "/nonexistent.csv";
    ck_assert(sb_problem_create(&o, NULL, &p, &e) != SB_OK);
    ck_assert_ptr_null(p);
    ck_assert_int_eq(sb_problem_cli(SB_OPT_GEMV, "cublas", &o, &e), -1);
    ck_assert_int_eq(sb_problem_cli(SB_OPT_LAMBDA, "-1", &o, &e), -1);
    ck_assert_int_eq(sb_problem_cli(SB_OPT_LAMBDA, "0.5", &o, &e), 1);
    ck_assert(o.lambda == 0.5);
    ck_assert_int_eq(sb_problem_cli('x', "0.5", &o, &e), 0);
}
END_TEST

/* The embedded copy reads exactly like tests/data/breast_cancer.libsvm. */
START_TEST(builtin_data_equals_file)
{
    char path[4096];
    sb_dataset a, b;
    sb_err e;
    snprintf(path, sizeof path, "%s/tests/data/breast_cancer.libsvm", src_root());
    ck_assert_msg(sb_dataset_read(path, NULL, 0, &a, &e) == SB_OK, "%s", e.msg);
    ck_assert_str_eq(sb_dataset_default_name(), "breast-cancer");
    ck_assert(sb_dataset_is_builtin(sb_dataset_default_name()));
    ck_assert(!sb_dataset_is_builtin(path));
    ck_assert_msg(sb_dataset_read(sb_dataset_default_name(), NULL, 0, &b, &e) == SB_OK,
                  "%s", e.msg);
    ck_assert_uint_eq(b.n, 569);
    ck_assert_uint_eq(b.d, 30);
    ck_assert_uint_eq(a.n, b.n);
    ck_assert_uint_eq(a.d, b.d);
    ck_assert(memcmp(a.X, b.X, a.n * a.d * sizeof *a.X) == 0);
    ck_assert(memcmp(a.y, b.y, a.n * sizeof *a.y) == 0);
    sb_dataset_free(&b);
    /* The libsvm reader takes the name too; an unknown name is still a missing file. */
    ck_assert_int_eq(sb_dataset_read_libsvm("breast-cancer", &b, &e), SB_OK);
    ck_assert_uint_eq(b.n, 569);
    sb_dataset_free(&b);
    ck_assert_int_ne(sb_dataset_read("breast-cancer-nope", NULL, 0, &b, &e), SB_OK);
    ck_assert_ptr_nonnull(strstr(e.msg, "breast-cancer-nope"));
    sb_dataset_free(&a);
}
END_TEST

int main(void)
{
    sb_test_require_device();
    Suite *s = suite_create("problems");
    TCase *host = sb_test_tcase(s, "host", 120);
    tcase_add_test(host, tube_constants);
    tcase_add_test(host, tube_continuity);
    tcase_add_test(host, tube_fd_regions);
    tcase_add_test(host, rotation_orthogonal);
    tcase_add_test(host, rotated_gradients);
    tcase_add_test(host, fd_every_problem);
    tcase_add_test(host, oracle_schedule_host);
    tcase_add_test(host, data_readers);
    tcase_add_test(host, builtin_data_equals_file);
    tcase_add_test(host, logreg_vs_liblinear);
    tcase_add_test(host, bad_options);
    TCase *dev = sb_test_tcase(s, "device", 120);
    tcase_add_unchecked_fixture(dev, setup, teardown);
    tcase_add_test(dev, device_matches_host);
    tcase_add_test(dev, oracle_device);
    tcase_add_test(dev, oracle_minibatch);
    return sb_test_run(s);
}
