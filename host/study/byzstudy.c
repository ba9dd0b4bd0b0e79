/* byzstudy.c - the Byzantine study: signSGD with majority vote on quad and logreg while K
 * of P workers attack (flip, random, blind, collude), K/P from 0 to below one half. */
#include "byzstudy.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataset.h"
#include "json.h"
#include "plot.h"
#include "train.h"

#define NATT 4
#define KMAX 64

void sb_byzstudy_cfg_default(sb_byzstudy_cfg *c, int quick)
{
    memset(c, 0, sizeof *c);
    c->workers = quick ? 9 : 15;
    c->steps = quick ? 150 : 500;
}

/* One problem's settings: quad with Gaussian noise, logreg on the built-in breast-cancer
 * data with small minibatches (the noise of each worker). */
static void problem_cfg(sb_train_cfg *t, int logreg)
{
    if (logreg) {
        t->problem.name = "logreg";
        t->problem.data = sb_dataset_default_name();
        t->problem.standardize = 1;
        t->problem.bias = 1;
        t->problem.test_split = 0.3;
        t->batch = 4;
        t->hyper.lr = 0.01;
    } else {
        t->problem.name = "quad";
        t->problem.d = 1000;
        t->sigma = 1;
        t->hyper.lr = 0.002;
    }
}

typedef struct {
    double f[NATT][KMAX], acc[NATT][KMAX], f0;
} sweep;

static int run_one(const sb_byzstudy_cfg *c, sb_ctx *ctx, sb_ops *ops, int logreg, int k,
                   sb_attack a, double *f, double *acc, double *f0, sb_err *err)
{
    sb_train_cfg t;
    sb_train_cfg_default(&t);
    problem_cfg(&t, logreg);
    t.optimizer = "signsgd";
    t.compress = "pack";
    t.workers = c->workers;
    t.byzantine = k;
    t.attack = a;
    t.steps = (uint64_t)c->steps;
    t.log_every = (uint64_t)c->steps;
    t.keep_trace = 0;
    t.ctx = ctx;
    t.ops = ops;
    sb_train_result r;
    int st = sb_train_run(&t, &r, err);
    *f = r.diverged ? NAN : r.f_final;
    *acc = r.has_test_accuracy ? r.test_accuracy : NAN;
    *f0 = r.f0;
    sb_train_result_free(&r);
    return st;
}

/* v against K/P per attack, a reference level `ref` (f0, or the honest accuracy) across,
 * and the theory's limit K/P = 1/2 as a vertical line. */
static int plot_one(const sb_byzstudy_cfg *c, const char *name, const char *title,
                    const char *ylabel, int kmax, double (*v)[KMAX], double ref,
                    const char *ref_label, int logy, sb_err *err)
{
    double x[KMAX], lx[2] = {0.5, 0.5}, ly[2] = {ref, ref}, rx[2] = {0, 0.55},
                    ry[2] = {ref, ref};
    sb_plot_series s[NATT + 2];
    for (int k = 0; k <= kmax; k++)
        x[k] = (double)k / c->workers;
    for (int a = 0; a < NATT; a++) {
        s[a] = (sb_plot_series){
            sb_attack_name((sb_attack)a), (size_t)kmax + 1, x, v[a], NULL, NULL,
            SB_PLOT_LINESPOINTS};
        for (int k = 0; k <= kmax; k++)
            if (isfinite(v[a][k])) {
                ly[0] = fmin(ly[0], v[a][k]);
                ly[1] = fmax(ly[1], v[a][k]);
            }
    }
    s[NATT] = (sb_plot_series){
        "theory: tolerated while K/P < 1/2", 2, lx, ly, NULL, NULL, SB_PLOT_DASHED};
    s[NATT + 1] = (sb_plot_series){ref_label, 2, rx, ry, NULL, NULL, SB_PLOT_DASHED};
    char base[4200];
    snprintf(base, sizeof base, "%s/%s", c->out, name);
    sb_plot p = {title, "K/P (adversarial workers)", ylabel, 0, logy, 0, 0};
    return sb_plot_lines(base, &p, s, NATT + 2, err);
}

static cJSON *to_json(const sb_byzstudy_cfg *c, const sweep sw[2], int kmax)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "schema", "signbench-byzantine/1");
    cJSON_AddNumberToObject(j, "workers", c->workers);
    cJSON_AddNumberToObject(j, "steps", c->steps);
    cJSON *th = cJSON_AddObjectToObject(j, "theory");
    cJSON_AddNumberToObject(th, "tolerance", 0.5);
    cJSON_AddStringToObject(
        th, "statement",
        "signSGD with majority vote converges while the "
        "adversarial fraction K/P < 1/2, for blind multiplicative "
        "adversaries under unimodal, symmetric gradient noise, its noise "
        "term growing as 1/(1 - 2K/P) (Bernstein et al. 2019, Theorem 2)");
    cJSON *ps = cJSON_AddArrayToObject(j, "problems");
    for (int p = 0; p < 2; p++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "problem", p ? "logreg" : "quad");
        sb_json_num_or_null(e, "f0", sw[p].f0);
        cJSON *as = cJSON_AddArrayToObject(e, "attacks");
        for (int a = 0; a < NATT; a++) {
            cJSON *ae = cJSON_CreateObject();
            cJSON_AddStringToObject(ae, "attack", sb_attack_name((sb_attack)a));
            cJSON *pts = cJSON_AddArrayToObject(ae, "points");
            for (int k = 0; k <= kmax; k++) {
                cJSON *q = cJSON_CreateObject();
                double fr = (double)k / c->workers;
                cJSON_AddNumberToObject(q, "k", k);
                cJSON_AddNumberToObject(q, "fraction", fr);
                sb_json_num_or_null(q, "f_final", sw[p].f[a][k]);
                sb_json_num_or_null(q, "test_accuracy", sw[p].acc[a][k]);
                sb_json_num_or_null(q, "theory_noise_factor", 1 / (1 - 2 * fr));
                cJSON_AddItemToArray(pts, q);
            }
            cJSON_AddItemToArray(as, ae);
        }
        cJSON_AddItemToArray(ps, e);
    }
    return j;
}

static int sweep_all(const sb_byzstudy_cfg *c, sb_ctx *ctx, sb_ops *ops, sweep sw[2],
                     int kmax, sb_err *err)
{
    int st = SB_OK;
    for (int p = 0; p < 2 && st == SB_OK; p++) {
        double f, acc;
        st = run_one(c, ctx, ops, p, 0, SB_ATTACK_FLIP, &f, &acc, &sw[p].f0, err);
        for (int a = 0; a < NATT; a++)
            sw[p].f[a][0] = f, sw[p].acc[a][0] = acc; /* K = 0: honest, one run */
        for (int a = 0; a < NATT && st == SB_OK; a++)
            for (int k = 1; k <= kmax && st == SB_OK; k++) {
                double f0;
                st = run_one(c, ctx, ops, p, k, (sb_attack)a, &sw[p].f[a][k],
                             &sw[p].acc[a][k], &f0, err);
                if (c->progress && st == SB_OK)
                    fprintf(stderr, "byzantine: %s %s K=%d/%d: f %.6g\n",
                            p ? "logreg" : "quad", sb_attack_name((sb_attack)a), k,
                            c->workers, sw[p].f[a][k]);
            }
    }
    return st;
}

int sb_byzstudy_run(const sb_byzstudy_cfg *c, cJSON **out, sb_err *err)
{
    *out = NULL;
    if (c->workers < 3 || c->workers > 2 * KMAX - 1)
        return sb_fail(err, SB_EUSAGE, "byzantine study: %d workers; need 3 to %d",
                       c->workers, 2 * KMAX - 1);
    if (c->steps < 1)
        return sb_fail(err, SB_EUSAGE, "byzantine study: steps must be at least 1");
    int kmax = (c->workers - 1) / 2; /* K/P < 1/2 */
    sb_ctx ctx;
    sb_ops ops;
    int st = sb_ctx_open(&ctx, &c->dev, err);
    if (st != SB_OK)
        return st;
    if ((st = sb_ops_init(&ops, &ctx, err)) != SB_OK) {
        sb_ctx_close(&ctx);
        return st;
    }
    sweep *sw = calloc(2, sizeof *sw);
    if (!sw)
        st = sb_fail(err, SB_ERUNTIME, "out of memory");
    if (st == SB_OK)
        st = sweep_all(c, &ctx, &ops, sw, kmax, err);
    sb_ops_free(&ops);
    sb_ctx_close(&ctx);
    if (st == SB_OK) {
        *out = to_json(c, sw, kmax);
        char path[4200];
        snprintf(path, sizeof path, "%s/byzantine.json", c->out);
        st = sb_json_save(path, *out, err);
    }
    if (st == SB_OK && sb_plot_available()) {
        char t[160];
        snprintf(t, sizeof t,
                 "quad (d = 1000, sigma 1): signSGD with majority vote of %d "
                 "workers",
                 c->workers);
        st = plot_one(c, "byzantine_f_quad", t, "f after the run", kmax, sw[0].f, sw[0].f0,
                      "f0 (the start)", 1, err);
        snprintf(t, sizeof t,
                 "logreg (breast cancer): signSGD with majority vote of %d "
                 "workers",
                 c->workers);
        if (st == SB_OK)
            st = plot_one(c, "byzantine_f_logreg", t, "f after the run", kmax, sw[1].f,
                          sw[1].f0, "f0 (the start)", 1, err);
        if (st == SB_OK)
            st = plot_one(c, "byzantine_acc_logreg", t, "test accuracy", kmax, sw[1].acc,
                          sw[1].acc[0][0], "honest (K = 0)", 0, err);
    }
    free(sw);
    if (st != SB_OK) {
        cJSON_Delete(*out);
        *out = NULL;
    }
    return st;
}
