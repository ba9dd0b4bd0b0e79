/* cli_grid.c - `signbench grid`: the paper's Figure 2 on logistic regression: parses the
 * options, runs the grid engine (grid.h), prints the table of best settings. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dataset.h"
#include "fs.h"
#include "grid.h"
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
    "optimiser, test error over learning rate x weight decay (best momentum per cell),\n"
    "all on one colour scale. A best setting at the grid's edge (largest value tried, or\n"
    "smallest above 0) is named under the table and the heatmap: extend the grid there.\n"
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
    "  --json             print the JSON (schema signbench-grid) instead of the table\n" SB_COMMON_HELP;

static void print_table(const cJSON *j)
{
    printf("grid: logreg on %s, %d steps, batch %d, test split %g, device %s (%.1f s)\n\n",
           cJSON_GetObjectItem(j, "data")->valuestring,
           (int)cJSON_GetObjectItem(j, "steps")->valuedouble,
           (int)cJSON_GetObjectItem(j, "batch")->valuedouble,
           cJSON_GetObjectItem(j, "test_split")->valuedouble,
           cJSON_GetObjectItem(j, "device")->valuestring,
           cJSON_GetObjectItem(j, "seconds")->valuedouble);
    printf("%-10s %10s %9s %9s %9s %16s\n", "optimizer", "best error", "lr", "wd",
           "momentum", "within 1 pt of best");
    const cJSON *o;
    cJSON_ArrayForEach(o, cJSON_GetObjectItem(j, "optimizers"))
    {
        const cJSON *b = cJSON_GetObjectItem(o, "best");
        const cJSON *e = cJSON_GetObjectItem(b, "test_error");
        if (!cJSON_IsNumber(e)) {
            printf("%-10s %10s\n", cJSON_GetObjectItem(o, "name")->valuestring,
                   "all diverged");
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
    cJSON_ArrayForEach(o, cJSON_GetObjectItem(j, "optimizers"))
    {
        const cJSON *edge = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "best"), "at_edge");
        if (cJSON_IsString(edge))
            printf("%s: the best setting is at the grid's edge (%s); a better one may lie "
                   "outside the grid\n",
                   cJSON_GetObjectItem(o, "name")->valuestring, edge->valuestring);
    }
}

/* 1 when some run of the grid has a test error (there is a heatmap to draw). */
static int any_test_error(const cJSON *j)
{
    const cJSON *o;
    cJSON_ArrayForEach(o, cJSON_GetObjectItem(j, "optimizers"))
    {
        if (cJSON_IsNumber(
                cJSON_GetObjectItem(cJSON_GetObjectItem(o, "best"), "test_error")))
            return 1;
    }
    return 0;
}

/* What the command line asks for beyond the grid's own settings. */
typedef struct grid_args {
    sb_grid *g;
    sb_opts dev;
    const char *out, *optimizers;
    int json, help;
} grid_args;

/* One option c (not a common one) into the grid's settings; -1 when c is none. */
static int grid_option(int c, const char *arg, void *ctx, sb_err *err)
{
    grid_args *a = ctx;
    sb_grid *g = a->g;
    long v;
    size_t z;
    int rc = SB_OK;
    switch (c) {
    case 'D': g->data = arg; break;
    case 'O': a->optimizers = arg; break;
    case 'l': return sb_grid_parse_list("--lrs", arg, 1e-12, 1e6, g->lr, &g->nlr, err);
    case 'w': return sb_grid_parse_list("--wds", arg, 0, 1e6, g->wd, &g->nwd, err);
    case 'm': return sb_grid_parse_list("--momenta", arg, 0, 0.9999, g->mom, &g->nmom, err);
    case 'k':
        if (!(rc = sb_parse_long("--steps", arg, 1, 100000000, &v, err)))
            g->steps = (uint64_t)v;
        break;
    case 'b':
        if (!(rc = sb_parse_size("--batch", arg, &z, err)))
            g->batch = z;
        break;
    case 't': return sb_parse_double("--test-split", arg, 0.01, 0.9, &g->test_split, err);
    case 's':
        if (!(rc = sb_parse_long("--seed", arg, 0, 1L << 40, &v, err)))
            g->seed = (uint64_t)v;
        break;
    case 'o': a->out = arg; break;
    case 'j': a->json = 1; break;
    default: return -1;
    }
    return rc;
}

static int parse_args(int argc, char **argv, grid_args *a, sb_err *err)
{
    static const struct option longopts[] = {{"data", required_argument, 0, 'D'},
                                             {"optimizers", required_argument, 0, 'O'},
                                             {"lrs", required_argument, 0, 'l'},
                                             {"wds", required_argument, 0, 'w'},
                                             {"momenta", required_argument, 0, 'm'},
                                             {"steps", required_argument, 0, 'k'},
                                             {"batch", required_argument, 0, 'b'},
                                             {"test-split", required_argument, 0, 't'},
                                             {"seed", required_argument, 0, 's'},
                                             {"out", required_argument, 0, 'o'},
                                             {"json", no_argument, 0, 'j'},
                                             SB_COMMON_LONGOPTS,
                                             {0, 0, 0, 0}};
    static const sb_cli_parser p = {"grid", "o:", longopts, grid_option, 1};
    int rc = sb_cli_parse(&p, argc, argv, a, &a->dev, &a->help, err);
    if (!rc && !a->help && a->optimizers)
        return sb_grid_set_optimizers(a->g, a->optimizers, err);
    return rc;
}

int sb_cmd_grid(int argc, char **argv, sb_err *err)
{
    sb_grid *g = calloc(1, sizeof *g);
    if (!g)
        return sb_fail(err, SB_ERUNTIME, "grid: out of memory");
    sb_grid_defaults(g);
    grid_args a = {.g = g};
    int rc = parse_args(argc, argv, &a, err);
    if (!rc && a.help) {
        free(g);
        return sb_cli_help(help);
    }
    if (!rc)
        rc = sb_grid_find_data(g, err);
    if (!rc && a.out)
        rc = sb_mkdir_p(a.out, err);
    if (!rc)
        rc = sb_grid_run(g, &a.dev, err);
    cJSON *j = rc ? NULL : sb_grid_json(g);
    if (!rc && !j)
        rc = sb_fail(err, SB_ERUNTIME, "grid: out of memory");
    if (!rc) {
        sb_study_out files = {"grid",
                              any_test_error(j) ? "grid_<optimizer>.png/.svg"
                                                : "no heatmap (every run diverged)",
                              print_table,
                              sb_grid_write_csv,
                              g,
                              sb_grid_plot_result};
        rc = sb_study_output(j, a.json, a.out, &files, err);
    }
    cJSON_Delete(j);
    free(g);
    return rc;
}
