/* grid.c - the hyper-parameter grid's engine: one logistic-regression run per cell via
 * sb_train_run, the best setting and robustness per optimiser, JSON, CSV and heatmaps. */
#define _DEFAULT_SOURCE /* strsep */
#include "grid.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataset.h"
#include "fs.h"
#include "json.h"
#include "parse.h"
#include "plot.h"
#include "progress.h"
#include "study.h"
#include "train.h"

enum { MAXV = SB_GRID_MAXV, MAXO = SB_GRID_MAXO };

int sb_grid_parse_list(const char *opt, const char *s, double lo, double hi, double *v,
                       int *n, sb_err *err)
{
    return sb_parse_double_list("grid", opt, s, lo, hi, v, MAXV, n, err);
}

void sb_grid_defaults(sb_grid *g)
{
    memset(g, 0, sizeof *g);
    g->data = sb_dataset_default_name();
    g->steps = 200;
    g->batch = 32;
    g->test_split = 0.3;
    g->seed = 1;
    sb_grid_parse_list("--lrs", "1e-5,1e-4,1e-3,1e-2,1e-1,1", 1e-12, 1e6, g->lr, &g->nlr,
                       NULL);
    sb_grid_parse_list("--wds", "0,1e-4,1e-3,1e-2,1e-1", 0, 1e6, g->wd, &g->nwd, NULL);
    sb_grid_parse_list("--momenta", "0,0.5,0.9", 0, 0.9999, g->mom, &g->nmom, NULL);
    sb_grid_set_optimizers(g, "sgd,signum,adam", NULL);
}

int sb_grid_set_optimizers(sb_grid *g, const char *list, sb_err *err)
{
    static const char *const known[] = {"sgd",     "signum",   "adam",    "lion",
                                        "signsgd", "momentum", "rmsprop", "ef-signsgd"};
    snprintf(g->optstore, sizeof g->optstore, "%s", list);
    g->nopt = 0;
    for (char *rest = g->optstore, *t; (t = strsep(&rest, ","));) {
        if (!*t)
            return sb_fail(err, SB_EUSAGE, "grid: --optimizers '%s': an empty item", list);
        int ok = 0;
        for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
            ok |= !strcmp(t, known[i]);
        if (!ok)
            return sb_fail(err, SB_EUSAGE,
                           "grid: --optimizers: '%s' is not one of sgd, "
                           "signum, adam, lion, signsgd, momentum, rmsprop, ef-signsgd",
                           t);
        if (g->nopt >= MAXO)
            return sb_fail(err, SB_EUSAGE, "grid: --optimizers: at most %d", MAXO);
        g->opt[g->nopt++] = t;
    }
    if (!g->nopt)
        return sb_fail(err, SB_EUSAGE, "grid: --optimizers: none given");
    return SB_OK;
}

int sb_grid_find_data(sb_grid *g, sb_err *err)
{
    if (sb_dataset_is_builtin(g->data)) {
        snprintf(g->datapath, sizeof g->datapath, "%s", g->data);
        return SB_OK;
    }
    if (sb_find_source_file(g->data, 3, g->datapath, sizeof g->datapath))
        return SB_OK;
    return sb_fail(err, SB_EUSAGE, "grid: cannot read data file %s (give one with --data)",
                   g->data);
}

/* ---- the runs ---- */

/* The cell (optimiser o, momentum m, weight decay w, learning rate l): one training run,
 * its test error (NaN when it diverged) into g->err. */
static int run_one(sb_grid *g, int o, int m, int w, int l, sb_study_dev *sd, sb_err *err)
{
    sb_train_cfg cfg;
    sb_train_cfg_default(&cfg);
    cfg.problem.name = "logreg";
    cfg.problem.data = g->datapath;
    cfg.problem.standardize = 1;
    cfg.problem.bias = 1;
    cfg.problem.test_split = g->test_split;
    const char *name = g->opt[o];
    double b1 = g->mom[m];
    if (!strcmp(name, "sgd") && b1 > 0)
        name = "momentum";
    else if (!strcmp(name, "signum") && b1 == 0)
        name = "signsgd";
    cfg.optimizer = name;
    cfg.hyper.lr = g->lr[l];
    cfg.hyper.wd = g->wd[w];
    if (strcmp(name, "sgd") && strcmp(name, "signsgd"))
        cfg.hyper.b1 = b1;
    cfg.steps = g->steps;
    cfg.batch = g->batch;
    cfg.seed = g->seed;
    cfg.log_every = g->steps;
    cfg.keep_trace = 0;
    cfg.ctx = &sd->ctx;
    cfg.ops = &sd->ops;
    sb_train_result r;
    memset(&r, 0, sizeof r);
    int rc = sb_train_run(&cfg, &r, err);
    if (rc == SB_OK)
        g->err[o][m][w][l] =
            (!r.diverged && r.has_test_accuracy && isfinite(r.test_accuracy))
                ? 1 - r.test_accuracy
                : NAN;
    else
        sb_wrap(err, "grid: %s lr %g wd %g momentum %g", g->opt[o], g->lr[l], g->wd[w], b1);
    sb_train_result_free(&r);
    return rc;
}

int sb_grid_run(sb_grid *g, const sb_opts *dev, sb_err *err)
{
    sb_study_dev sd;
    int rc = sb_study_dev_open(&sd, dev, err);
    if (rc)
        return rc;
    double t0 = sb_now();
    sb_progress bar;
    long total = (long)g->nopt * g->nmom * g->nwd * g->nlr, k = 0;
    sb_progress_start(&bar, "grid", total);
    for (int o = 0; o < g->nopt && !rc; o++)
        for (int m = 0; m < g->nmom && !rc; m++)
            for (int w = 0; w < g->nwd && !rc; w++)
                for (int l = 0; l < g->nlr && !rc; l++) {
                    rc = run_one(g, o, m, w, l, &sd, err);
                    sb_progress_step(&bar, ++k);
                }
    sb_progress_end(&bar);
    sb_study_dev_close(&sd);
    snprintf(g->device, sizeof g->device, "%s", sd.name);
    g->seconds = sb_now() - t0;
    return rc;
}

/* ---- the JSON ---- */

/* Where a best value vals[i] of n lies at the grid's edge: "smallest NAME" or "largest
 * NAME" appended to out (comma separated), nothing inside the grid, for a single value,
 * or at a smallest value of 0 (nothing lies below it). */
static void edge_of(const double *vals, int n, int i, const char *name, char *out,
                    size_t cap)
{
    const char *where = n < 2 || i < 0          ? NULL
                        : i == n - 1            ? "largest"
                        : i == 0 && vals[0] > 0 ? "smallest"
                                                : NULL;
    if (where) {
        size_t len = strlen(out);
        snprintf(out + len, cap - len, "%s%s %s", len ? ", " : "", where, name);
    }
}

static cJSON *nums(const double *v, int n)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; a && i < n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateNumber(v[i]));
    return a;
}

/* Optimiser o: every cell's test error, the best cell and the robustness (share of the
 * cells within 1 point of the best). */
static cJSON *optimizer_json(const sb_grid *g, int o)
{
    cJSON *jo = cJSON_CreateObject();
    cJSON_AddStringToObject(jo, "name", g->opt[o]);
    double best = INFINITY;
    int bm = -1, bw = -1, bl = -1, total = 0;
    cJSON *errs = cJSON_AddArrayToObject(jo, "test_error"); /* [momentum][wd][lr] */
    for (int m = 0; m < g->nmom; m++) {
        cJSON *a = cJSON_CreateArray();
        cJSON_AddItemToArray(errs, a);
        for (int w = 0; w < g->nwd; w++) {
            cJSON *b = cJSON_CreateArray();
            cJSON_AddItemToArray(a, b);
            for (int l = 0; l < g->nlr; l++) {
                double e = g->err[o][m][w][l];
                cJSON_AddItemToArray(b, isfinite(e) ? cJSON_CreateNumber(e)
                                                    : cJSON_CreateNull());
                total++;
                if (isfinite(e) && e < best) {
                    best = e;
                    bm = m, bw = w, bl = l;
                }
            }
        }
    }
    int near = 0;
    for (int m = 0; m < g->nmom; m++)
        for (int w = 0; w < g->nwd; w++)
            for (int l = 0; l < g->nlr; l++)
                near += isfinite(g->err[o][m][w][l]) && g->err[o][m][w][l] <= best + 0.01;
    cJSON *jb = cJSON_AddObjectToObject(jo, "best");
    sb_json_num_or_null(jb, "test_error", best);
    if (bm >= 0) {
        cJSON_AddNumberToObject(jb, "lr", g->lr[bl]);
        cJSON_AddNumberToObject(jb, "wd", g->wd[bw]);
        cJSON_AddNumberToObject(jb, "momentum", g->mom[bm]);
        /* A best setting at the grid's edge may have a better one outside the grid. */
        char edge[128] = "";
        edge_of(g->lr, g->nlr, bl, "lr", edge, sizeof edge);
        edge_of(g->wd, g->nwd, bw, "wd", edge, sizeof edge);
        edge_of(g->mom, g->nmom, bm, "momentum", edge, sizeof edge);
        if (edge[0])
            cJSON_AddStringToObject(jb, "at_edge", edge);
        else
            cJSON_AddNullToObject(jb, "at_edge");
    }
    cJSON_AddNumberToObject(jo, "within_1pct", near);
    cJSON_AddNumberToObject(jo, "cells", total);
    cJSON_AddNumberToObject(jo, "robustness", total ? (double)near / total : 0);
    return jo;
}

cJSON *sb_grid_json(const sb_grid *g)
{
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return NULL;
    cJSON_AddStringToObject(root, "schema", "signbench-grid");
    cJSON_AddNumberToObject(root, "version", 1);
    cJSON_AddStringToObject(root, "problem", "logreg");
    cJSON_AddStringToObject(root, "data", g->datapath);
    cJSON_AddStringToObject(root, "device", g->device);
    cJSON_AddNumberToObject(root, "steps", (double)g->steps);
    cJSON_AddNumberToObject(root, "batch", (double)g->batch);
    cJSON_AddNumberToObject(root, "test_split", g->test_split);
    cJSON_AddNumberToObject(root, "seed", (double)g->seed);
    cJSON_AddNumberToObject(root, "seconds", g->seconds);
    cJSON_AddItemToObject(root, "lrs", nums(g->lr, g->nlr));
    cJSON_AddItemToObject(root, "wds", nums(g->wd, g->nwd));
    cJSON_AddItemToObject(root, "momenta", nums(g->mom, g->nmom));
    cJSON *opts = cJSON_AddArrayToObject(root, "optimizers");
    for (int o = 0; o < g->nopt; o++)
        cJSON_AddItemToArray(opts, optimizer_json(g, o));
    return root;
}

/* ---- the CSV ---- */

int sb_grid_write_csv(const char *path, const void *data, sb_err *err)
{
    const sb_grid *g = data;
    size_t cap = (size_t)(g->nopt * g->nmom * g->nwd * g->nlr + 2) * 96, n = 0;
    char *s = malloc(cap);
    if (!s)
        return sb_fail(err, SB_ERUNTIME, "grid: out of memory");
    n += (size_t)snprintf(s, cap, "optimizer,momentum,wd,lr,test_error\n");
    for (int o = 0; o < g->nopt; o++)
        for (int m = 0; m < g->nmom; m++)
            for (int w = 0; w < g->nwd; w++)
                for (int l = 0; l < g->nlr; l++)
                    n +=
                        (size_t)snprintf(s + n, cap - n, "%s,%g,%g,%g,%.6g\n", g->opt[o],
                                         g->mom[m], g->wd[w], g->lr[l], g->err[o][m][w][l]);
    int rc = sb_write_file(path, s, n, err);
    free(s);
    return rc;
}

/* ---- the heatmaps (also `signbench plot grid.json`) ---- */

static void fmt_num(char *b, size_t n, double v)
{
    if (v == 0)
        snprintf(b, n, "0");
    else
        snprintf(b, n, "%g", v);
}

/* Optimiser jo's test errors as nw x nl cells (best over momentum; NaN: none). */
static int best_over_momentum(const cJSON *jo, int nl, int nw, double *z, sb_err *err)
{
    const cJSON *te = cJSON_GetObjectItem(jo, "test_error");
    if (!cJSON_IsString(cJSON_GetObjectItem(jo, "name")) || !cJSON_IsArray(te))
        return sb_fail(err, SB_EUSAGE, "plot: grid optimiser without name/test_error");
    for (int i = 0; i < nl * nw; i++)
        z[i] = NAN;
    const cJSON *mm;
    cJSON_ArrayForEach(mm, te)
    {
        for (int w = 0; w < nw; w++) {
            const cJSON *row = cJSON_GetArrayItem(mm, w);
            for (int l = 0; l < nl; l++) {
                const cJSON *c = cJSON_GetArrayItem(row, l);
                if (cJSON_IsNumber(c) && !(c->valuedouble >= z[w * nl + l]))
                    z[w * nl + l] = c->valuedouble;
            }
        }
    }
    return SB_OK;
}

/* The values of a JSON array of numbers (at most MAXV). */
static int values(const cJSON *a, double *v)
{
    int n = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, a)
    {
        if (n < MAXV)
            v[n++] = cJSON_IsNumber(x) ? x->valuedouble : NAN;
    }
    return n;
}

/* The heatmaps' shared axes: tic labels, values, and the one colour scale of all maps. */
typedef struct grid_axes {
    int nl, nw;
    double lr[MAXV], wd[MAXV], zmin, zmax;
    char xt[MAXV][32], yt[MAXV][32];
    const char *xtp[MAXV], *ytp[MAXV];
} grid_axes;

static int grid_axes_of(const cJSON *j, grid_axes *ax, sb_err *err)
{
    const cJSON *schema = cJSON_GetObjectItem(j, "schema");
    const cJSON *lrs = cJSON_GetObjectItem(j, "lrs"), *wds = cJSON_GetObjectItem(j, "wds"),
                *opts = cJSON_GetObjectItem(j, "optimizers");
    if (!cJSON_IsString(schema) || strcmp(schema->valuestring, "signbench-grid") ||
        !cJSON_IsArray(lrs) || !cJSON_IsArray(wds) || !cJSON_IsArray(opts))
        return sb_fail(err, SB_EUSAGE,
                       "plot: not a grid result (schema signbench-grid with "
                       "lrs, wds, optimizers)");
    ax->nl = cJSON_GetArraySize(lrs), ax->nw = cJSON_GetArraySize(wds);
    if (ax->nl < 1 || ax->nw < 1 || ax->nl > MAXV || ax->nw > MAXV)
        return sb_fail(err, SB_EUSAGE, "plot: grid with %d x %d cells", ax->nl, ax->nw);
    values(lrs, ax->lr);
    values(wds, ax->wd);
    for (int i = 0; i < ax->nl; i++) {
        fmt_num(ax->xt[i], sizeof ax->xt[i], ax->lr[i]);
        ax->xtp[i] = ax->xt[i];
    }
    for (int i = 0; i < ax->nw; i++) {
        fmt_num(ax->yt[i], sizeof ax->yt[i], ax->wd[i]);
        ax->ytp[i] = ax->yt[i];
    }
    /* One colour scale for every optimiser's map, so equal colours mean equal errors. */
    ax->zmin = INFINITY, ax->zmax = -INFINITY;
    const cJSON *o;
    cJSON_ArrayForEach(o, opts)
    {
        double z[MAXV * MAXV];
        int rc = best_over_momentum(o, ax->nl, ax->nw, z, err);
        if (rc)
            return rc;
        for (int i = 0; i < ax->nl * ax->nw; i++)
            if (isfinite(z[i]))
                ax->zmin = fmin(ax->zmin, z[i]), ax->zmax = fmax(ax->zmax, z[i]);
    }
    if (!isfinite(ax->zmin))
        return sb_fail(err, SB_EUSAGE, "plot: the grid holds no test error to draw (%s)",
                       cJSON_GetArraySize(opts) ? "every run diverged" : "no optimiser");
    if (!(ax->zmax > ax->zmin)) /* every cell equal: a scale around the value */
        ax->zmin -= 0.005, ax->zmax += 0.005;
    return SB_OK;
}

/* Optimiser o's heatmap into BASE_<name>; none when every run of it diverged. */
static int optimizer_heatmap(const cJSON *o, const grid_axes *ax, const char *base,
                             sb_err *err)
{
    double z[MAXV * MAXV];
    int nl = ax->nl, nw = ax->nw, bx = -1, by = -1;
    best_over_momentum(o, nl, nw, z, err);
    double best = INFINITY;
    for (int w = 0; w < nw; w++)
        for (int l = 0; l < nl; l++)
            if (isfinite(z[w * nl + l]) && z[w * nl + l] < best)
                best = z[w * nl + l], bx = l, by = w;
    if (bx < 0)
        return SB_OK;
    const char *name = cJSON_GetObjectItem(o, "name")->valuestring;
    char title[160], path[1024], edge[96] = "", note[200] = "";
    snprintf(title, sizeof title, "%s: test error (best over momentum; n/a = diverged)",
             name);
    edge_of(ax->lr, nl, bx, "lr", edge, sizeof edge);
    edge_of(ax->wd, nw, by, "wd", edge, sizeof edge);
    if (edge[0])
        snprintf(note, sizeof note,
                 "best (outlined) at the grid's edge: %s; a better "
                 "setting may lie outside",
                 edge);
    sb_heatmap h = {title,
                    "initial learning rate",
                    "weight decay",
                    "test error (one scale for every optimiser)",
                    nl,
                    nw,
                    ax->xtp,
                    ax->ytp,
                    z,
                    bx,
                    by,
                    0,
                    0,
                    ax->zmin,
                    ax->zmax,
                    note[0] ? note : NULL};
    snprintf(path, sizeof path, "%s_%s", base, name);
    return sb_plot_heatmap(path, &h, err);
}

int sb_grid_plot_json(const cJSON *j, const char *base, sb_err *err)
{
    grid_axes ax;
    int rc = grid_axes_of(j, &ax, err);
    const cJSON *o;
    cJSON_ArrayForEach(o, cJSON_GetObjectItem(j, "optimizers"))
    {
        if (rc)
            break;
        rc = optimizer_heatmap(o, &ax, base, err);
    }
    return rc;
}

int sb_grid_plot_result(const cJSON *j, const char *base, sb_err *err)
{
    const cJSON *o;
    cJSON_ArrayForEach(o, cJSON_GetObjectItem(j, "optimizers"))
    {
        if (cJSON_IsNumber(
                cJSON_GetObjectItem(cJSON_GetObjectItem(o, "best"), "test_error")))
            return sb_grid_plot_json(j, base, err);
    }
    return SB_OK; /* every run diverged: the table says so, there is nothing to draw */
}
