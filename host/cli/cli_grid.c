/* cli_grid.c - `signbench grid`: the paper's Figure 2 on logistic regression, a grid of
 * learning rate x weight decay x momentum per optimiser, heatmaps of test error. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dataset.h"
#include "plot.h"
#include "report.h"
#include "train.h"
#include "fs.h"
#include "json.h"
#include "parse.h"
#include "study.h"

static const char help[] =
    "usage: signbench grid [--data FILE] [--optimizers LIST] [--lrs LIST] [--wds LIST]\n"
    "                      [--momenta LIST] [--steps K] [--out DIR] [--json] [device options]\n\n"
    "The paper's Figure 2: logistic regression on a real data set, trained for the same\n"
    "budget with every combination of initial learning rate, weight decay and momentum\n"
    "(beta1), for each optimiser. Reports the held-out test error of every run, the best\n"
    "setting of each optimiser, and its robustness: the fraction of the grid whose test\n"
    "error is within 1 point (0.01) of that optimiser's best. Heatmaps show, for each\n"
    "optimiser, test error over learning rate x weight decay (best momentum per cell).\n"
    "For sgd, momentum 0 is plain SGD and beta1 > 0 the heavy-ball form m = b m + (1-b) g;\n"
    "for signum, momentum 0 is signSGD.\n\n"
    "Options:\n"
    "  --data FILE        LIBSVM (or .csv) data or a built-in name (default\n"
    "                     " SB_DATASET_DEFAULT "), standardised, with a bias feature;\n"
    "                     " SB_DATASET_BUILTIN_ABOUT ",\n"
    "                     " SB_DATASET_BUILTIN_SOURCE "\n"
    "  --optimizers LIST  default sgd,signum,adam\n"
    "  --lrs LIST         initial learning rates (default 1e-5,1e-4,1e-3,1e-2,1e-1,1)\n"
    "  --wds LIST         weight decays (default 0,1e-4,1e-3,1e-2,1e-1)\n"
    "  --momenta LIST     beta1 values (default 0,0.5,0.9)\n"
    "  --steps K          optimiser steps per run (default 200)\n"
    "  --batch B          minibatch size (default 32)\n"
    "  --test-split F     held-out fraction (default 0.3)\n"
    "  --seed S           data split, minibatches (default 1)\n"
    "  --out DIR          write grid.json, grid.csv and heatmaps grid_<optimiser>.{png,svg}\n"
    "  --json             print the JSON (schema signbench-grid) instead of the table\n"
    SB_COMMON_HELP;

enum { MAXV = 16, MAXO = 8 };

typedef struct grid {
    const char *data;
    char datapath[1024];
    const char *opt[MAXO];
    int nopt, nlr, nwd, nmom;
    double lr[MAXV], wd[MAXV], mom[MAXV];
    uint64_t steps, seed;
    size_t batch;
    double test_split;
    /* test error [opt][mom][wd][lr], NaN when the run diverged */
    double err[MAXO][MAXV][MAXV][MAXV];
} grid;

static int parse_list(const char *opt, const char *s, double lo, double hi, double *v, int *n,
                      sb_err *err)
{
    return sb_parse_double_list("grid", opt, s, lo, hi, v, MAXV, n, err);
}

/* The data: a built-in name (embedded in the binary), else the file as given, else
 * relative to the binary (build/ beside tests/). */
static int find_data(grid *g, sb_err *err)
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

static int run_one(grid *g, int o, int m, int w, int l, sb_ctx *ctx, sb_ops *ops, sb_err *err)
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
    cfg.ctx = ctx;
    cfg.ops = ops;
    sb_train_result r;
    memset(&r, 0, sizeof r);
    int rc = sb_train_run(&cfg, &r, err);
    if (rc == SB_OK)
        g->err[o][m][w][l] = (!r.diverged && r.has_test_accuracy && isfinite(r.test_accuracy))
                                 ? 1 - r.test_accuracy
                                 : NAN;
    else
        sb_wrap(err, "grid: %s lr %g wd %g momentum %g", g->opt[o], g->lr[l], g->wd[w], b1);
    sb_train_result_free(&r);
    return rc;
}

static cJSON *nums(const double *v, int n)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; a && i < n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateNumber(v[i]));
    return a;
}

static cJSON *to_json(const grid *g, const char *device, double secs)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "schema", "signbench-grid");
    cJSON_AddNumberToObject(root, "version", 1);
    cJSON_AddStringToObject(root, "problem", "logreg");
    cJSON_AddStringToObject(root, "data", g->datapath);
    cJSON_AddStringToObject(root, "device", device);
    cJSON_AddNumberToObject(root, "steps", (double)g->steps);
    cJSON_AddNumberToObject(root, "batch", (double)g->batch);
    cJSON_AddNumberToObject(root, "test_split", g->test_split);
    cJSON_AddNumberToObject(root, "seed", (double)g->seed);
    cJSON_AddNumberToObject(root, "seconds", secs);
    cJSON_AddItemToObject(root, "lrs", nums(g->lr, g->nlr));
    cJSON_AddItemToObject(root, "wds", nums(g->wd, g->nwd));
    cJSON_AddItemToObject(root, "momenta", nums(g->mom, g->nmom));
    cJSON *opts = cJSON_AddArrayToObject(root, "optimizers");
    for (int o = 0; o < g->nopt; o++) {
        cJSON *jo = cJSON_CreateObject();
        cJSON_AddItemToArray(opts, jo);
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
        }
        cJSON_AddNumberToObject(jo, "within_1pct", near);
        cJSON_AddNumberToObject(jo, "cells", total);
        cJSON_AddNumberToObject(jo, "robustness", total ? (double)near / total : 0);
    }
    return root;
}

static void fmt_num(char *b, size_t n, double v)
{
    if (v == 0)
        snprintf(b, n, "0");
    else
        snprintf(b, n, "%g", v);
}

int sb_grid_plot_json(const cJSON *j, const char *base, sb_err *err)
{
    const cJSON *schema = cJSON_GetObjectItem(j, "schema");
    const cJSON *lrs = cJSON_GetObjectItem(j, "lrs"), *wds = cJSON_GetObjectItem(j, "wds"),
                *opts = cJSON_GetObjectItem(j, "optimizers");
    if (!cJSON_IsString(schema) || strcmp(schema->valuestring, "signbench-grid") ||
        !cJSON_IsArray(lrs) || !cJSON_IsArray(wds) || !cJSON_IsArray(opts))
        return sb_fail(err, SB_EUSAGE, "plot: not a grid result (schema signbench-grid with "
                       "lrs, wds, optimizers)");
    int nl = cJSON_GetArraySize(lrs), nw = cJSON_GetArraySize(wds);
    if (nl < 1 || nw < 1 || nl > MAXV || nw > MAXV)
        return sb_fail(err, SB_EUSAGE, "plot: grid with %d x %d cells", nl, nw);
    char xt[MAXV][32], yt[MAXV][32];
    const char *xtp[MAXV], *ytp[MAXV];
    for (int i = 0; i < nl; i++) {
        fmt_num(xt[i], sizeof xt[i], cJSON_GetArrayItem(lrs, i)->valuedouble);
        xtp[i] = xt[i];
    }
    for (int i = 0; i < nw; i++) {
        fmt_num(yt[i], sizeof yt[i], cJSON_GetArrayItem(wds, i)->valuedouble);
        ytp[i] = yt[i];
    }
    const cJSON *o;
    cJSON_ArrayForEach(o, opts)
    {
        const cJSON *name = cJSON_GetObjectItem(o, "name"), *te = cJSON_GetObjectItem(o, "test_error");
        if (!cJSON_IsString(name) || !cJSON_IsArray(te))
            return sb_fail(err, SB_EUSAGE, "plot: grid optimiser without name/test_error");
        double z[MAXV * MAXV];
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
        int bx = -1, by = -1;
        double best = INFINITY;
        for (int w = 0; w < nw; w++)
            for (int l = 0; l < nl; l++)
                if (isfinite(z[w * nl + l]) && z[w * nl + l] < best)
                    best = z[w * nl + l], bx = l, by = w;
        char title[160], path[1024];
        snprintf(title, sizeof title, "%s: test error (best over momentum; n/a = diverged)",
                 name->valuestring);
        sb_heatmap h = {title, "initial learning rate", "weight decay", "test error", nl, nw,
                        xtp, ytp, z, bx, by, 0, 0};
        snprintf(path, sizeof path, "%s_%s", base, name->valuestring);
        int rc = sb_plot_heatmap(path, &h, err);
        if (rc)
            return rc;
    }
    return SB_OK;
}

static void print_table(const cJSON *j)
{
    printf("grid: logreg on %s, %d steps, batch %d, test split %g, device %s (%.1f s)\n\n",
           cJSON_GetObjectItem(j, "data")->valuestring,
           (int)cJSON_GetObjectItem(j, "steps")->valuedouble,
           (int)cJSON_GetObjectItem(j, "batch")->valuedouble,
           cJSON_GetObjectItem(j, "test_split")->valuedouble,
           cJSON_GetObjectItem(j, "device")->valuestring,
           cJSON_GetObjectItem(j, "seconds")->valuedouble);
    printf("%-10s %10s %9s %9s %9s %16s\n", "optimizer", "best error", "lr", "wd", "momentum",
           "within 1 pt of best");
    const cJSON *o;
    cJSON_ArrayForEach(o, cJSON_GetObjectItem(j, "optimizers"))
    {
        const cJSON *b = cJSON_GetObjectItem(o, "best");
        const cJSON *e = cJSON_GetObjectItem(b, "test_error");
        if (!cJSON_IsNumber(e)) {
            printf("%-10s %10s\n", cJSON_GetObjectItem(o, "name")->valuestring, "all diverged");
            continue;
        }
        printf("%-10s %10.4f %9g %9g %9g %7d/%-3d (%2.0f%%)\n",
               cJSON_GetObjectItem(o, "name")->valuestring, e->valuedouble,
               cJSON_GetObjectItem(b, "lr")->valuedouble,
               cJSON_GetObjectItem(b, "wd")->valuedouble,
               cJSON_GetObjectItem(b, "momentum")->valuedouble,
               (int)cJSON_GetObjectItem(o, "within_1pct")->valuedouble,
               (int)cJSON_GetObjectItem(o, "cells")->valuedouble,
               100 * cJSON_GetObjectItem(o, "robustness")->valuedouble);
    }
}

static int write_csv(const char *path, const void *data, sb_err *err)
{
    const grid *g = data;
    size_t cap = (size_t)(g->nopt * g->nmom * g->nwd * g->nlr + 2) * 96, n = 0;
    char *s = malloc(cap);
    if (!s)
        return sb_fail(err, SB_ERUNTIME, "grid: out of memory");
    n += (size_t)snprintf(s, cap, "optimizer,momentum,wd,lr,test_error\n");
    for (int o = 0; o < g->nopt; o++)
        for (int m = 0; m < g->nmom; m++)
            for (int w = 0; w < g->nwd; w++)
                for (int l = 0; l < g->nlr; l++)
                    n += (size_t)snprintf(s + n, cap - n, "%s,%g,%g,%g,%.6g\n", g->opt[o],
                                          g->mom[m], g->wd[w], g->lr[l], g->err[o][m][w][l]);
    int rc = sb_write_file(path, s, n, err);
    free(s);
    return rc;
}

int sb_cmd_grid(int argc, char **argv, sb_err *err)
{
    static const struct option longopts[] = {
        {"data", required_argument, 0, 'D'},       {"optimizers", required_argument, 0, 'O'},
        {"lrs", required_argument, 0, 'l'},        {"wds", required_argument, 0, 'w'},
        {"momenta", required_argument, 0, 'm'},    {"steps", required_argument, 0, 'k'},
        {"batch", required_argument, 0, 'b'},      {"test-split", required_argument, 0, 't'},
        {"seed", required_argument, 0, 's'},       {"out", required_argument, 0, 'o'},
        {"json", no_argument, 0, 'j'},             SB_COMMON_LONGOPTS,
        {0, 0, 0, 0}};
    grid *g = calloc(1, sizeof *g);
    if (!g)
        return sb_fail(err, SB_ERUNTIME, "grid: out of memory");
    sb_opts dev = {0};
    const char *out = NULL;
    char optbuf[256] = "sgd,signum,adam";
    int json = 0, c, rc = SB_OK;
    g->data = sb_dataset_default_name();
    g->steps = 200;
    g->batch = 32;
    g->test_split = 0.3;
    g->seed = 1;
    parse_list("--lrs", "1e-5,1e-4,1e-3,1e-2,1e-1,1", 1e-12, 1e6, g->lr, &g->nlr, err);
    parse_list("--wds", "0,1e-4,1e-3,1e-2,1e-1", 0, 1e6, g->wd, &g->nwd, err);
    parse_list("--momenta", "0,0.5,0.9", 0, 0.9999, g->mom, &g->nmom, err);
    optind = 1;
    opterr = 0;
    if ((rc = sb_cli_check_args("grid", argc, argv, "o:", longopts, err)))
        goto done;
    while ((c = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
        long v;
        size_t z;
        if (sb_cli_common(c, optarg, &dev))
            continue;
        switch (c) {
        case SB_OPT_HELP:
            free(g);
            return sb_cli_help(help);
        case 'D':
            g->data = optarg;
            break;
        case 'O':
            snprintf(optbuf, sizeof optbuf, "%s", optarg);
            break;
        case 'l':
            rc = parse_list("--lrs", optarg, 1e-12, 1e6, g->lr, &g->nlr, err);
            break;
        case 'w':
            rc = parse_list("--wds", optarg, 0, 1e6, g->wd, &g->nwd, err);
            break;
        case 'm':
            rc = parse_list("--momenta", optarg, 0, 0.9999, g->mom, &g->nmom, err);
            break;
        case 'k':
            if (!(rc = sb_parse_long("--steps", optarg, 1, 100000000, &v, err)))
                g->steps = (uint64_t)v;
            break;
        case 'b':
            if (!(rc = sb_parse_size("--batch", optarg, &z, err)))
                g->batch = z;
            break;
        case 't':
            rc = sb_parse_double("--test-split", optarg, 0.01, 0.9, &g->test_split, err);
            break;
        case 's':
            if (!(rc = sb_parse_long("--seed", optarg, 0, 1L << 40, &v, err)))
                g->seed = (uint64_t)v;
            break;
        case 'o':
            out = optarg;
            break;
        case 'j':
            json = 1;
            break;
        default:
            rc = sb_cli_bad_option("grid", argc, argv, err);
        }
        if (rc) {
            if (strncmp(err->msg, "grid", 4))
                sb_wrap(err, "grid");
            goto done;
        }
    }
    if (optind < argc) {
        rc = sb_fail(err, SB_EUSAGE, "grid: unexpected argument '%s'", argv[optind]);
        goto done;
    }
    static char optstore[256];
    snprintf(optstore, sizeof optstore, "%s", optbuf);
    g->nopt = 0;
    for (char *save = NULL, *t = strtok_r(optstore, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (strcmp(t, "sgd") && strcmp(t, "signum") && strcmp(t, "adam") && strcmp(t, "lion") &&
            strcmp(t, "signsgd") && strcmp(t, "momentum") && strcmp(t, "rmsprop") &&
            strcmp(t, "ef-signsgd")) {
            rc = sb_fail(err, SB_EUSAGE, "grid: --optimizers: '%s' is not one of sgd, signum, "
                         "adam, lion, signsgd, momentum, rmsprop, ef-signsgd", t);
            goto done;
        }
        if (g->nopt >= MAXO) {
            rc = sb_fail(err, SB_EUSAGE, "grid: --optimizers: at most %d", MAXO);
            goto done;
        }
        g->opt[g->nopt++] = t;
    }
    if (!g->nopt) {
        rc = sb_fail(err, SB_EUSAGE, "grid: --optimizers: none given");
        goto done;
    }
    if ((rc = find_data(g, err)))
        goto done;
    if (out && (rc = sb_mkdir_p(out, err)))
        goto done;

    sb_study_dev sd;
    if ((rc = sb_study_dev_open(&sd, &dev, err)))
        goto done;
    double t0 = sb_now();
    sb_progress bar;
    long total = (long)g->nopt * g->nmom * g->nwd * g->nlr, k = 0;
    sb_progress_start(&bar, "grid", total);
    for (int o = 0; o < g->nopt && !rc; o++)
        for (int m = 0; m < g->nmom && !rc; m++)
            for (int w = 0; w < g->nwd && !rc; w++)
                for (int l = 0; l < g->nlr && !rc; l++) {
                    rc = run_one(g, o, m, w, l, &sd.ctx, &sd.ops, err);
                    sb_progress_step(&bar, ++k);
                }
    sb_progress_end(&bar);
    sb_study_dev_close(&sd);
    if (rc)
        goto done;
    cJSON *j = to_json(g, sd.name, sb_now() - t0);
    if (!j) {
        rc = sb_fail(err, SB_ERUNTIME, "grid: out of memory");
        goto done;
    }
    sb_study_out files = {"grid", "grid_<optimizer>.png/.svg", print_table, write_csv, g,
                          sb_grid_plot_json};
    rc = sb_study_output(j, json, out, &files, err);
    cJSON_Delete(j);
done:
    free(g);
    return rc;
}
