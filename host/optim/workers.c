/* workers.c - data-parallel workers on several devices at once: each worker its own
 * context, queue and pipeline, a host thread per worker, the aggregate formed once. */
#define _POSIX_C_SOURCE 200809L
#include "workers.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A barrier that a failing worker can break, so that no thread waits for ever. */
typedef struct sb_barrier {
    pthread_mutex_t m;
    pthread_cond_t c;
    int n, count, broken;
    unsigned gen;
} sb_barrier;

static int barrier_wait(sb_barrier *b)
{
    pthread_mutex_lock(&b->m);
    unsigned gen = b->gen;
    if (!b->broken && ++b->count == b->n) {
        b->count = 0;
        b->gen++;
        pthread_cond_broadcast(&b->c);
    }
    while (!b->broken && gen == b->gen)
        pthread_cond_wait(&b->c, &b->m);
    int r = b->broken ? -1 : 0;
    pthread_mutex_unlock(&b->m);
    return r;
}

static void barrier_break(sb_barrier *b)
{
    pthread_mutex_lock(&b->m);
    b->broken = 1;
    pthread_cond_broadcast(&b->c);
    pthread_mutex_unlock(&b->m);
}

typedef struct worker {
    struct sb_workers *ws;
    int w;
    sb_devref dev;
    sb_ctx ctx; /* workers 1..n-1: their own context */
    sb_ops ops;
    sb_problem *prob;
    sb_pipeline own; /* workers 1..n-1 */
    sb_pipeline *pl; /* the lead's, or &own */
    cl_mem gtmp;     /* the lead, mean: one worker's vector at a time */
    uint64_t calls_seen;
    double t_start, idle;
    sb_worker_figures fig;
    int st, aborted;
    sb_err err;
    pthread_t thread;
} worker;

struct sb_workers {
    int n;
    worker *w;
    sb_barrier bar;
    size_t d, words;
    sb_compress comp;
    uint32_t *hbits, *ubits; /* n packed vectors; the vote */
    float *hf, *uf;          /* n vectors; the mean */
    int *nan;
    uint64_t *calls;
    int any_nan;
    double t_steps, x_diff;
    uint64_t steps;
    float *x0;
};

/* ---- the aggregate: gathered on the host, formed once on the lead, sent back ---- */

static int lead_aggregate(sb_workers *ws, worker *k, sb_err *err)
{
    sb_pipeline *pl = k->pl;
    cl_command_queue q = pl->ops->ctx->queue;
    size_t d = ws->d, words = ws->words;
    ws->any_nan = 0;
    for (int w = 0; w < ws->n; w++) {
        ws->any_nan |= ws->nan[w];
        if (w)
            pl->calls += ws->calls[w];
    }
    if (ws->any_nan)
        return SB_OK;
    cl_int rc;
    int st;
    if (ws->comp == SB_COMP_PACK) {
        rc = clEnqueueWriteBuffer(q, pl->bits_all, CL_TRUE, 0, words * 4 * (size_t)ws->n,
                                  ws->hbits, 0, NULL, NULL);
        if (SB_CLFAIL(rc, err, "clEnqueueWriteBuffer(all bits)"))
            return err->code;
        if ((st = sb_op_vote(pl->ops, pl->bits_all, ws->n, d, pl->bits, NULL, err)) !=
            SB_OK)
            return st;
        rc = clEnqueueReadBuffer(q, pl->bits, CL_TRUE, 0, words * 4, ws->ubits, 0, NULL,
                                 NULL);
        return SB_CLFAIL(rc, err, "clEnqueueReadBuffer(vote)") ? err->code : SB_OK;
    }
    /* The mean in worker order with the kernel --workers uses: the same numbers. */
    float zero = 0.0f;
    rc = clEnqueueFillBuffer(q, pl->agg, &zero, sizeof zero, 0, sizeof(float) * d, 0, NULL,
                             NULL);
    if (SB_CLFAIL(rc, err, "clEnqueueFillBuffer(mean)"))
        return err->code;
    for (int w = 0; w < ws->n; w++) {
        rc = clEnqueueWriteBuffer(q, k->gtmp, CL_TRUE, 0, sizeof(float) * d,
                                  ws->hf + (size_t)w * d, 0, NULL, NULL);
        if (SB_CLFAIL(rc, err, "clEnqueueWriteBuffer(worker vector)"))
            return err->code;
        if ((st = sb_op_rmw(pl->ops, pl->agg, k->gtmp, d, 1.0f / (float)ws->n, NULL, err)))
            return st;
    }
    rc = clEnqueueReadBuffer(q, pl->agg, CL_TRUE, 0, sizeof(float) * d, ws->uf, 0, NULL,
                             NULL);
    return SB_CLFAIL(rc, err, "clEnqueueReadBuffer(mean)") ? err->code : SB_OK;
}

/* This worker's compressed vector into the host slots. */
static int gather(sb_workers *ws, worker *k, sb_err *err)
{
    sb_pipeline *pl = k->pl;
    cl_command_queue q = pl->ops->ctx->queue;
    ws->nan[k->w] = pl->grad_nan;
    ws->calls[k->w] = pl->calls - k->calls_seen;
    if (pl->grad_nan)
        return SB_OK;
    cl_int rc;
    if (ws->comp == SB_COMP_PACK)
        rc = clEnqueueReadBuffer(q, pl->bits, CL_TRUE, 0, ws->words * 4,
                                 ws->hbits + (size_t)k->w * ws->words, 0, NULL, NULL);
    else
        rc = clEnqueueReadBuffer(q, ws->comp == SB_COMP_NONE ? pl->g : pl->c, CL_TRUE, 0,
                                 sizeof(float) * ws->d, ws->hf + (size_t)k->w * ws->d, 0,
                                 NULL, NULL);
    return SB_CLFAIL(rc, err, "clEnqueueReadBuffer(compressed gradient)") ? err->code
                                                                          : SB_OK;
}

static int waited(worker *k, sb_err *err)
{
    double t0 = sb_now();
    int r = barrier_wait(&k->ws->bar);
    k->idle += sb_now() - t0;
    if (r) {
        k->aborted = 1;
        return sb_fail(err, SB_ERUNTIME, "stopped: another worker device failed");
    }
    return SB_OK;
}

static int aggregate_devices(sb_pipeline *pl, void *user, sb_err *err)
{
    worker *k = user;
    sb_workers *ws = k->ws;
    int st = gather(ws, k, err);
    if (st == SB_OK)
        st = waited(k, err);
    if (st == SB_OK && k->w == 0 && (st = lead_aggregate(ws, k, err)) != SB_OK)
        barrier_break(&ws->bar);
    if (st == SB_OK)
        st = waited(k, err);
    if (st != SB_OK)
        return st;
    k->calls_seen = pl->calls;
    if (ws->any_nan) {
        pl->grad_nan = 1;
        return SB_OK;
    }
    cl_command_queue q = pl->ops->ctx->queue;
    cl_int rc = CL_SUCCESS;
    if (ws->comp == SB_COMP_PACK) {
        if (k->w)
            rc = clEnqueueWriteBuffer(q, pl->bits, CL_TRUE, 0, ws->words * 4, ws->ubits, 0,
                                      NULL, NULL);
        if (SB_CLFAIL(rc, err, "clEnqueueWriteBuffer(vote)"))
            return err->code;
        pl->u = pl->c;
        return sb_op_unpack(pl->ops, pl->bits, pl->c, ws->d, NULL, err);
    }
    if (k->w)
        rc = clEnqueueWriteBuffer(q, pl->agg, CL_TRUE, 0, sizeof(float) * ws->d, ws->uf, 0,
                                  NULL, NULL);
    pl->u = pl->agg;
    return SB_CLFAIL(rc, err, "clEnqueueWriteBuffer(mean)") ? err->code : SB_OK;
}

/* ---- set-up ------------------------------------------------------------------------ */

static int parse_list(const char *list, sb_devref *out, int *n, sb_err *err)
{
    const sb_devref *all;
    int na;
    if (sb_devices_all(&all, &na, err) != SB_OK)
        return err->code;
    char buf[2048];
    if (!list || !*list || strlen(list) >= sizeof buf)
        return sb_fail(err, SB_EUSAGE,
                       "--worker-devices: expected a comma list of devices");
    snprintf(buf, sizeof buf, "%s", list);
    *n = 0;
    for (char *p = buf, *q; p; p = q) {
        q = strchr(p, ',');
        if (q)
            *q++ = '\0';
        if (!*p)
            return sb_fail(err, SB_EUSAGE, "--worker-devices %s: empty entry", list);
        if (*n == SB_MAX_WORKER_DEVICES)
            return sb_fail(err, SB_EUSAGE, "--worker-devices: at most %d workers",
                           SB_MAX_WORKER_DEVICES);
        sb_devspec s;
        if (sb_devspec_parse(p, &s, err) != SB_OK)
            return sb_wrap(err, "--worker-devices");
        s.from = "--worker-devices ";
        int idx = sb_devspec_match(&s, all, na, err);
        if (idx < 0)
            return err->code;
        out[(*n)++] = all[idx];
    }
    return SB_OK;
}

/* Buffers of one worker's aggregate: the lead forms it, the others receive it. */
static int worker_buffers(sb_workers *ws, worker *k, sb_err *err)
{
    sb_pipeline *pl = k->pl;
    sb_ctx *c = pl->ops->ctx;
    if (ws->comp == SB_COMP_PACK)
        return k->w ? SB_OK
                    : sb_buffer(c, CL_MEM_READ_WRITE, ws->words * 4 * (size_t)ws->n, NULL,
                                &pl->bits_all, err);
    int st = sb_buffer(c, CL_MEM_READ_WRITE, sizeof(float) * ws->d, NULL, &pl->agg, err);
    if (st == SB_OK && k->w == 0)
        st = sb_buffer(c, CL_MEM_READ_WRITE, sizeof(float) * ws->d, NULL, &k->gtmp, err);
    return st;
}

static int open_worker(sb_workers *ws, worker *k, const sb_pipeline *lead,
                       const sb_problem_opts *po, const sb_opts *dev, sb_err *err)
{
    char idx[24];
    sb_devref_index(&k->dev, idx, sizeof idx);
    int st = sb_ctx_open_dev(&k->ctx, &k->dev, dev, err);
    if (st == SB_OK && (st = sb_ops_init(&k->ops, &k->ctx, err)) != SB_OK)
        k->ops.ctx = NULL;
    if (st == SB_OK)
        st = sb_problem_create(po, &k->ctx, &k->prob, err);
    if (st == SB_OK && k->prob->d != ws->d)
        st = sb_fail(err, SB_ERUNTIME, "the problem has d = %zu here, %zu on the lead",
                     k->prob->d, ws->d);
    if (st == SB_OK) {
        st = sb_pipeline_init(&k->own, &k->ops, k->prob, lead->opt, &lead->params,
                              &lead->oracle, lead->compress, lead->seed, ws->x0, err);
        if (st == SB_OK)
            k->pl = &k->own;
    }
    return st != SB_OK ? sb_wrap(err, "worker device %s (%s)", idx, k->dev.name) : SB_OK;
}

int sb_workers_open(sb_workers **out, const char *list, sb_pipeline *lead,
                    const sb_problem_opts *po, const sb_opts *dev, sb_err *err)
{
    *out = NULL;
    sb_devref devs[SB_MAX_WORKER_DEVICES];
    int n = 0;
    if (parse_list(list, devs, &n, err) != SB_OK)
        return err->code;
    if (devs[0].did != lead->ops->ctx->dev.did)
        return sb_fail(err, SB_EUSAGE,
                       "--worker-devices: the first device must be the run's");
    if (lead->workers != 1 || lead->aggregate_user || lead->step)
        return sb_fail(err, SB_EUSAGE,
                       "--worker-devices: one worker per device entry (no "
                       "--workers or --mpi with it)");
    sb_workers *ws = calloc(1, sizeof *ws);
    if (!ws)
        return sb_fail(err, SB_ERUNTIME, "out of memory");
    ws->n = n;
    ws->d = lead->d;
    ws->words = (lead->d + 31) / 32;
    ws->comp = lead->compress;
    ws->w = calloc((size_t)n, sizeof *ws->w);
    ws->nan = calloc((size_t)n, sizeof *ws->nan);
    ws->calls = calloc((size_t)n, sizeof *ws->calls);
    ws->x0 = malloc(sizeof(float) * (ws->d ? ws->d : 1));
    if (ws->comp == SB_COMP_PACK) {
        ws->hbits = malloc(ws->words * 4 * (size_t)n + 4);
        ws->ubits = malloc(ws->words * 4 + 4);
    } else {
        ws->hf = malloc(sizeof(float) * ws->d * (size_t)n + 4);
        ws->uf = malloc(sizeof(float) * ws->d + 4);
    }
    pthread_mutex_init(&ws->bar.m, NULL);
    pthread_cond_init(&ws->bar.c, NULL);
    ws->bar.n = n;
    int st = SB_OK;
    if (!ws->w || !ws->nan || !ws->calls || !ws->x0 || !(ws->hbits || ws->hf) ||
        !(ws->ubits || ws->uf))
        st = sb_fail(err, SB_ERUNTIME, "out of memory for %d workers", n);
    if (st == SB_OK)
        st = sb_pipeline_read_x(lead, ws->x0, err);
    for (int w = 0; w < n && st == SB_OK; w++) {
        worker *k = &ws->w[w];
        k->ws = ws;
        k->w = w;
        k->dev = devs[w];
        sb_devref_index(&k->dev, k->fig.index, sizeof k->fig.index);
        snprintf(k->fig.name, sizeof k->fig.name, "%s", k->dev.name);
        k->fig.alone_step_s = NAN;
        if (w == 0)
            k->pl = lead;
        else
            st = open_worker(ws, k, lead, po, dev, err);
        if (st == SB_OK)
            st = worker_buffers(ws, k, err);
        if (st == SB_OK) {
            k->pl->split = lead->split;
            k->pl->worker_base = w;
            k->pl->total_workers = n;
            k->pl->collective = 1;
            k->pl->aggregate = aggregate_devices;
            k->pl->aggregate_user = k;
            k->calls_seen = k->pl->calls;
        }
    }
    if (st != SB_OK) {
        sb_workers_free(ws);
        return st;
    }
    *out = ws;
    return SB_OK;
}

/* ---- steps ---------------------------------------------------------------------------- */

static void *run_step(void *arg)
{
    worker *k = arg;
    double t0 = sb_now(), idle0 = k->idle;
    k->aborted = 0;
    k->st = sb_pipeline_step(k->pl, &k->err);
    if (k->st != SB_OK)
        barrier_break(&k->ws->bar);
    k->fig.compute_s += (sb_now() - t0) - (k->idle - idle0);
    return NULL;
}

int sb_workers_step(sb_workers *ws, sb_err *err)
{
    double t0 = sb_now();
    int started[SB_MAX_WORKER_DEVICES] = {0};
    for (int w = 1; w < ws->n; w++) {
        started[w] = pthread_create(&ws->w[w].thread, NULL, run_step, &ws->w[w]) == 0;
        if (!started[w]) {
            ws->w[w].st = sb_fail(&ws->w[w].err, SB_ERUNTIME, "cannot start a host thread");
            barrier_break(&ws->bar);
        }
    }
    run_step(&ws->w[0]);
    for (int w = 1; w < ws->n; w++)
        if (started[w])
            pthread_join(ws->w[w].thread, NULL);
    ws->t_steps += sb_now() - t0;
    ws->steps++;
    /* The first worker that failed on its own (not stopped by another's failure). */
    int bad = -1;
    for (int w = 0; w < ws->n; w++)
        if (ws->w[w].st != SB_OK && (bad < 0 || (ws->w[bad].aborted && !ws->w[w].aborted)))
            bad = w;
    if (bad < 0)
        return SB_OK;
    worker *k = &ws->w[bad];
    *err = k->err;
    return sb_wrap(err, "worker %d on device %s (%s)", bad, k->fig.index, k->fig.name);
}

/* ---- after the run ------------------------------------------------------------------- */

/* Seconds per step of this worker's device running all n workers alone. */
static int time_alone(sb_workers *ws, worker *k, int steps, double *out, sb_err *err)
{
    const sb_pipeline *lead = ws->w[0].pl;
    sb_pipeline pl;
    int st = sb_pipeline_init(&pl, k->pl->ops, k->pl->prob, lead->opt, &lead->params,
                              &lead->oracle, lead->compress, lead->seed, ws->x0, err);
    if (st == SB_OK) {
        pl.split = lead->split;
        st = sb_pipeline_set_workers(&pl, ws->n, err);
    }
    double t0 = sb_now();
    int done = 0;
    for (; st == SB_OK && done < steps && !pl.grad_nan; done++)
        st = sb_pipeline_step(&pl, err);
    *out = st == SB_OK && done ? (sb_now() - t0) / done : NAN;
    sb_pipeline_free(&pl);
    return st;
}

int sb_workers_finish(sb_workers *ws, int alone_steps, sb_err *err)
{
    float *x0 = malloc(sizeof(float) * (ws->d ? ws->d : 1)),
          *xw = malloc(sizeof(float) * (ws->d ? ws->d : 1));
    int st = x0 && xw ? SB_OK : sb_fail(err, SB_ERUNTIME, "out of memory");
    if (st == SB_OK)
        st = sb_pipeline_read_x(ws->w[0].pl, x0, err);
    ws->x_diff = 0;
    for (int w = 1; w < ws->n && st == SB_OK; w++) {
        st = sb_pipeline_read_x(ws->w[w].pl, xw, err);
        for (size_t i = 0; st == SB_OK && i < ws->d; i++) {
            double dd = fabs((double)xw[i] - (double)x0[i]);
            ws->x_diff = fmax(ws->x_diff,
                              isnan(dd) ? (memcmp(&xw[i], &x0[i], 4) ? INFINITY : 0) : dd);
        }
    }
    free(x0);
    free(xw);
    for (int w = 0; w < ws->n && st == SB_OK && alone_steps > 0; w++) {
        worker *k = &ws->w[w];
        int same = -1;
        for (int v = 0; v < w && same < 0; v++)
            same = ws->w[v].dev.did == k->dev.did ? v : -1;
        if (same >= 0)
            k->fig.alone_step_s = ws->w[same].fig.alone_step_s;
        else if ((st = time_alone(ws, k, alone_steps, &k->fig.alone_step_s, err)) != SB_OK)
            sb_wrap(err, "timing device %s alone", k->fig.index);
    }
    for (int w = 0; w < ws->n; w++)
        ws->w[w].fig.idle_s = ws->w[w].idle;
    return st;
}

int sb_workers_count(const sb_workers *ws)
{
    return ws ? ws->n : 0;
}

const sb_worker_figures *sb_workers_figures(const sb_workers *ws, int w)
{
    return &ws->w[w].fig;
}

double sb_workers_step_seconds(const sb_workers *ws)
{
    return ws->steps ? ws->t_steps / (double)ws->steps : NAN;
}

double sb_workers_x_diff(const sb_workers *ws)
{
    return ws->x_diff;
}

void sb_workers_free(sb_workers *ws)
{
    if (!ws)
        return;
    for (int w = 0; ws->w && w < ws->n; w++) {
        worker *k = &ws->w[w];
        if (k->gtmp)
            clReleaseMemObject(k->gtmp);
        if (k->pl) {
            k->pl->aggregate_user = NULL; /* the lead's pipeline outlives this group */
            k->pl->aggregate = NULL;
        }
        if (w == 0)
            continue; /* the lead's pipeline, problem and context belong to the run */
        if (k->pl)
            sb_pipeline_free(&k->own);
        if (k->prob)
            sb_problem_free(k->prob);
        if (k->ops.ctx)
            sb_ops_free(&k->ops);
        if (k->ctx.ctx)
            sb_ctx_close(&k->ctx);
    }
    pthread_mutex_destroy(&ws->bar.m);
    pthread_cond_destroy(&ws->bar.c);
    free(ws->w);
    free(ws->nan);
    free(ws->calls);
    free(ws->x0);
    free(ws->hbits);
    free(ws->ubits);
    free(ws->hf);
    free(ws->uf);
    free(ws);
}
