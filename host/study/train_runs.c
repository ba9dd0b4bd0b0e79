/* train_runs.c - `signbench train`'s engine: one device opened for a list of optimisers,
 * each run on the same problem and seed, its trace and summary written, the runs' JSON. */
#include "train_runs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"

/* The run folder: out, else results/runs/<UTC time>-<device slug>. */
static void run_dir(const char *out, const char *device, char *dir, size_t cap)
{
    if (out) {
        snprintf(dir, cap, "%s", out);
        return;
    }
    sb_default_run_dir(device, dir, cap);
}

/* Run i's notes on stderr and its files; its summary into the runs' JSON. */
static int keep_run(const sb_train_cfg *cfg, sb_train_runs *r, int i, sb_err *err)
{
    sb_train_result *res = &r->rs[i];
    if (res->diverged)
        fprintf(stderr, "signbench: train: %s diverged: %s (recorded in the summary)\n",
                res->optimizer, res->diverged_reason);
    if (res->tube_strict && res->left_domain)
        fprintf(stderr,
                "signbench: train: %s left the tube set at step %llu and stopped "
                "(--tube-domain strict; recorded in the summary)\n",
                res->optimizer, (unsigned long long)res->left_domain_step);
    r->has_acc |= res->has_test_accuracy;
    char path[4200];
    snprintf(path, sizeof path, "%s/train-%s.csv", r->dir, res->optimizer);
    int st = sb_train_write_trace(path, res, err);
    snprintf(path, sizeof path, "%s/train-%s.json", r->dir, res->optimizer);
    if (st == SB_OK)
        st = sb_train_write_summary(path, cfg, res, err);
    if (st == SB_OK)
        cJSON_AddItemToArray(cJSON_GetObjectItem(r->all, "runs"),
                             sb_train_summary_json(cfg, res));
    return st;
}

/* Every optimiser of list on the open device. */
static int run_all(sb_train_cfg *cfg, const char *const *list, int write, sb_train_runs *r,
                   sb_err *err)
{
    int st = SB_OK;
    for (int i = 0; i < r->n && st == SB_OK; i++) {
        cfg->optimizer = list[i];
        st = sb_train_run(cfg, &r->rs[i], err);
        r->done = i + 1;
        if (st != SB_OK)
            return sb_wrap(err, "train: %s on %s", list[i], cfg->problem.name);
        if (write) /* MPI: rank 0 reports for all */
            st = keep_run(cfg, r, i, err);
    }
    return st;
}

int sb_train_runs_run(sb_train_cfg *cfg, const char *const *list, int n, const char *out,
                      int write, sb_train_runs *r, sb_err *err)
{
    memset(r, 0, sizeof *r);
    r->n = n;
    sb_ctx ctx;
    int st;
    if ((st = sb_ctx_open(&ctx, &cfg->dev, err)) != SB_OK)
        return st;
    sb_ops ops;
    if ((st = sb_ops_init(&ops, &ctx, err)) != SB_OK) {
        sb_ctx_close(&ctx);
        return st;
    }
    snprintf(r->device, sizeof r->device, "%s", ctx.dev.name);
    run_dir(out, ctx.dev.name, r->dir, sizeof r->dir);
    if (write && sb_mkdir_p(r->dir, err))
        st = sb_wrap(err, "train");
    cfg->ctx = &ctx;
    cfg->ops = &ops;
    r->rs = calloc((size_t)n, sizeof *r->rs);
    r->all = cJSON_CreateObject();
    cJSON *runs = r->all ? cJSON_AddArrayToObject(r->all, "runs") : NULL;
    if (!r->rs || !runs)
        st = sb_fail(err, SB_ERUNTIME, "out of memory");
    if (runs) {
        /* not signbench-train/1: that is one run's summary, this a list of them */
        cJSON_AddStringToObject(r->all, "schema", "signbench-train-runs/1");
        cJSON_AddStringToObject(r->all, "out", r->dir);
    }
    if (st == SB_OK)
        st = run_all(cfg, list, write, r, err);
    cfg->ctx = NULL;
    cfg->ops = NULL;
    sb_ops_free(&ops);
    sb_ctx_close(&ctx);
    return st;
}

void sb_train_runs_free(sb_train_runs *r)
{
    for (int i = 0; r->rs && i < r->done; i++)
        sb_train_result_free(&r->rs[i]);
    free(r->rs);
    cJSON_Delete(r->all);
    memset(r, 0, sizeof *r);
}
