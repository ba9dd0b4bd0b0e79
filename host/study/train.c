/* train.c - the training-run library: one optimiser on one problem for a budget of steps,
 * gradient calls or a target, with a trace, a summary and its JSON/CSV forms. */
#include "train.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "progress.h"
#include "pipeline.h"
#include "theory.h"
#include "tube.h"
#include "json.h"

void sb_train_cfg_default(sb_train_cfg *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    sb_problem_opts_init(&cfg->problem);
    cfg->optimizer = "signsgd";
    sb_optim_params_init(&cfg->hyper);
    cfg->compress = "none";
    cfg->seed = 1;
    cfg->keep_trace = 1;
    sb_dist_opts_init(&cfg->dist);
}

void sb_train_result_free(sb_train_result *res)
{
    if (!res)
        return;
    free(res->trace);
    sb_dist_summary_free(&res->comm);
    res->trace = NULL;
    res->ntrace = 0;
}

/* Append a point to the trace (grown by doubling). */
static int trace_add(sb_train_result *r, size_t *cap, const sb_train_point *pt, sb_err *err)
{
    if (r->ntrace == *cap) {
        size_t nc = *cap ? 2 * *cap : 256;
        sb_train_point *t = realloc(r->trace, nc * sizeof *t);
        if (!t)
            return sb_fail(err, SB_ERUNTIME, "out of memory for the trace");
        r->trace = t;
        *cap = nc;
    }
    r->trace[r->ntrace++] = *pt;
    return SB_OK;
}

/* Fill res's theorem fields when the run matches a theorem's assumptions and the
 * problem's constants are known (DESIGN.md section 7). */
static void theory(const sb_train_cfg *cfg, const sb_optim_info *o,
                   const sb_optim_params *p, const sb_problem *prob, sb_compress comp,
                   sb_train_result *r)
{
    /* sigma is the per-call noise only when no data rows are sampled. */
    int sigma_known = prob->n_train == 0;
    if (!r->has_fstar || !r->has_L || !sigma_known || r->diverged || r->steps == 0 ||
        !isfinite(r->f0) || r->workers > 1)
        return;
    sb_theory_in in = {.gap = r->f0 - r->fstar,
                       .L = r->L,
                       .sigma = cfg->sigma,
                       .d = (double)r->d,
                       .delta = p->lr};
    if (in.gap < 0)
        in.gap = 0;
    if (!strcmp(o->name, "signsgd") && p->sched == SB_SCHED_THEORY &&
        comp == SB_COMP_NONE && p->wd == 0) {
        r->theory_bound = sb_theory_sign_tight(&in, r->steps);
        r->theory_bound_loose = sb_theory_sign_loose(&in, r->steps);
        r->theory_measured = r->grad1_min;
        snprintf(r->theorem, sizeof r->theorem, "Theorem 1 (signSGD)");
        r->has_theory = isfinite(r->theory_bound);
    } else if (!strcmp(o->name, "sgd") && p->sched == SB_SCHED_INVSQRT && cfg->batch <= 1 &&
               comp == SB_COMP_NONE && p->wd == 0) {
        r->theory_bound = r->theory_bound_loose = sb_theory_sgd(&in, r->steps);
        r->theory_measured = r->grad2_min * r->grad2_min;
        snprintf(r->theorem, sizeof r->theorem, "Theorem 2 (SGD)");
        r->has_theory = isfinite(r->theory_bound);
    }
}

/* Record metrics at the current step: bests, divergence, target, and a trace row when the
 * step is logged (or the run stops here). Returns 1 when the run must stop (diverged or
 * target met). */
static int record(const sb_train_cfg *cfg, sb_pipeline *pl, const sb_metrics *m, double t0,
                  int logged, sb_train_result *r, size_t *cap, int *st, sb_err *err)
{
    double el = sb_now() - t0;
    r->steps = pl->step;
    r->evals = pl->calls;
    if (!m->x_finite || !isfinite(m->f) || !isfinite(m->grad1)) {
        r->diverged = 1;
        r->diverged_step = pl->step;
        snprintf(r->diverged_reason, sizeof r->diverged_reason, "%s at step %llu",
                 !m->x_finite      ? "x holds NaN or inf"
                 : !isfinite(m->f) ? "f is NaN or inf"
                                   : "gradient is NaN or inf",
                 (unsigned long long)pl->step);
        return 1;
    }
    if (r->ntrace == 0 && pl->step == 0)
        r->f0 = m->f;
    r->f_final = m->f;
    r->grad1_final = m->grad1;
    r->grad2_final = m->grad2;
    if (!(m->f >= r->f_best))
        r->f_best = m->f;
    if (!(m->grad1 >= r->grad1_min))
        r->grad1_min = m->grad1;
    if (!(m->grad2 >= r->grad2_min))
        r->grad2_min = m->grad2;
    r->has_test_accuracy = !isnan(m->test_accuracy);
    r->test_accuracy = m->test_accuracy;
    int hit = r->has_target && !r->reached &&
              ((cfg->target_grad1 > 0 && m->grad1 <= cfg->target_grad1) ||
               (cfg->has_target_loss && m->f <= cfg->target_loss));
    if (cfg->keep_trace && (logged || hit)) {
        sb_train_point pt = {pl->step,     pl->calls,        m->f, m->grad1, m->grad2,
                             r->grad1_min, m->test_accuracy, el};
        if ((*st = trace_add(r, cap, &pt, err)) != SB_OK)
            return 1;
    }
    if (hit) {
        r->reached = 1;
        r->steps_to_target = pl->step;
        r->evals_to_target = pl->calls;
        r->time_to_target = el;
        return 1;
    }
    return 0;
}

/* Host buffers of the tube domain test: x read back (float) and Qx (double). */
typedef struct {
    const double *tube, *Q; /* the problem's L, gamma, tau; rotation or NULL */
    float *xf;
    double *y;
} domain_check;

/* *inside = 1 when the current iterate lies in the tube set (DESIGN.md 5.1: every
 * coordinate after the first i with a_i <= 2 tau has a_j <= tau), tested on Qx for the
 * rotated tube. Costs a read of x and O(d) work (O(d^2) rotated): the tube is small-d. */
static int in_tube_set(sb_pipeline *pl, const domain_check *dc, int *inside, sb_err *err)
{
    size_t d = pl->d;
    int st = sb_pipeline_read_x(pl, dc->xf, err);
    if (st != SB_OK)
        return st;
    for (size_t i = 0; i < d; i++) {
        if (!dc->Q) {
            dc->y[i] = dc->xf[i];
            continue;
        }
        double acc = 0.0;
        for (size_t j = 0; j < d; j++)
            acc += dc->Q[i * d + j] * (double)dc->xf[j];
        dc->y[i] = acc;
    }
    sb_tube_params tp = {dc->tube[0], dc->tube[1], dc->tube[2]};
    double f;
    *inside = 1;
    int rc = sb_tube_eval(d, dc->y, &tp, &f, NULL, NULL, inside);
    if (rc != SB_OK)
        return sb_fail(err, rc, "tube domain test: bad tube parameters");
    return SB_OK;
}

/* Apply the domain rule to the current iterate: count it when outside, remember the
 * first such step; returns 1 when the run must stop (strict). x holding NaN is left to
 * the divergence test. */
static int domain_rule(sb_pipeline *pl, const domain_check *dc, sb_train_result *r, int *st,
                       sb_err *err)
{
    int inside = 1;
    if ((*st = in_tube_set(pl, dc, &inside, err)) != SB_OK)
        return 1;
    for (size_t i = 0; i < pl->d; i++)
        if (!isfinite(dc->xf[i]))
            return 0;
    if (inside)
        return 0;
    r->steps_outside_tube++;
    if (!r->left_domain) {
        r->left_domain = 1;
        r->left_domain_step = pl->step;
    }
    return r->tube_strict;
}

/* The figures of a run on several devices; the alone timing takes a few more steps. */
static int workers_result(sb_workers *ws, sb_train_result *r, sb_err *err)
{
    int alone = r->steps < 20 ? (int)r->steps : 20;
    int st = sb_workers_finish(ws, alone, err);
    r->nworker_devices = sb_workers_count(ws);
    for (int w = 0; w < r->nworker_devices; w++)
        r->worker_dev[w] = *sb_workers_figures(ws, w);
    r->worker_step_s = sb_workers_step_seconds(ws);
    r->worker_x_diff = sb_workers_x_diff(ws);
    return st;
}

/* The problem and the pipeline of one run, with its workers (simulated, MPI ranks, or
 * one per device of --worker-devices in *wsp); on failure nothing stays open. */
static int open_run(const sb_train_cfg *cfg, sb_ops *ops, const sb_optim_info *o,
                    const sb_optim_params *p, sb_compress comp, sb_train_result *r,
                    sb_problem **probp, sb_pipeline *pl, sb_workers **wsp, sb_err *err)
{
    sb_problem_opts po = cfg->problem;
    po.seed = cfg->seed;
    sb_problem *prob = NULL;
    int st = sb_problem_create(&po, ops->ctx, &prob, err);
    if (st != SB_OK)
        return st;
    if (prob->n_train && cfg->batch > prob->n_train) {
        sb_fail(err, SB_EUSAGE,
                "batch %zu is larger than the %zu training rows of the data", cfg->batch,
                (size_t)prob->n_train);
        sb_problem_free(prob);
        return err->code;
    }
    snprintf(r->problem, sizeof r->problem, "%s", prob->name);
    r->d = prob->d;
    r->has_fstar = prob->has_fstar;
    r->fstar = prob->fstar;
    r->has_L = prob->has_L;
    r->L = prob->L;

    sb_oracle orc = {.batch = cfg->batch,
                     .theory_batch = p->sched == SB_SCHED_THEORY,
                     .sigma = cfg->sigma,
                     .seed = cfg->seed};
    float *x0 = malloc(sizeof(float) * (prob->d ? prob->d : 1));
    if (!x0) {
        sb_problem_free(prob);
        return sb_fail(err, SB_ERUNTIME, "out of memory");
    }
    for (size_t i = 0; i < prob->d; i++)
        x0[i] = (float)prob->x0[i];
    st = sb_pipeline_init(pl, ops, prob, o, p, &orc, comp, cfg->seed, x0, err);
    free(x0);
    pl->split = !cfg->no_split;
    if (st == SB_OK && cfg->mpi && cfg->workers > 1)
        st = sb_fail(err, SB_EUSAGE, "MPI runs have one worker per rank (no --workers)");
    if (st == SB_OK && cfg->mpi)
        st = sb_dist_attach(pl, &cfg->dist, err);
    if (st == SB_OK && cfg->workers > 1)
        st = sb_pipeline_set_workers(pl, cfg->workers, err);
    if (st == SB_OK)
        st = sb_pipeline_set_byzantine(pl, cfg->byzantine, cfg->attack, err);
    if (st == SB_OK && cfg->worker_devices)
        st = sb_workers_open(wsp, cfg->worker_devices, pl, &po, &cfg->dev, err);
    if (st != SB_OK) {
        sb_workers_free(*wsp);
        *wsp = NULL;
        sb_pipeline_free(pl); /* safe after a failed init too */
        sb_problem_free(prob);
        return st;
    }
    *probp = prob;
    return SB_OK;
}

/* Budget (train.h): steps default 1000, 100000 with a target; evals alone has none.
 * Auto logging: about 1000 points. With only an evals budget, estimate the steps from
 * the calls a step costs (theory schedule: K(K+1)/2 calls in K steps). */
static void plan_budget(const sb_train_cfg *cfg, const sb_problem *prob,
                        const sb_pipeline *pl, sb_train_result *r)
{
    r->has_target = cfg->target_grad1 > 0 || cfg->has_target_loss;
    uint64_t max_steps = cfg->steps;
    if (!max_steps && !cfg->evals)
        max_steps = r->has_target ? 100000 : 1000;
    uint64_t est = max_steps;
    if (!est) {
        size_t per = cfg->batch ? cfg->batch : (prob->n_train ? prob->n_train : 1);
        uint64_t ev = cfg->evals / (uint64_t)pl->total_workers;
        est = pl->oracle.theory_batch ? (uint64_t)sqrt(2.0 * (double)ev) : ev / per;
    }
    uint64_t log_every = cfg->log_every;
    if (!log_every)
        log_every = est > 1000 ? (est + 999) / 1000 : 1;
    r->max_steps = max_steps;
    r->log_every = log_every;
    r->n_train = prob->n_train;
}

/* The tube domain rule (train.h): every iterate is tested on the host. */
static int domain_open(const sb_train_cfg *cfg, const sb_problem *prob, sb_train_result *r,
                       domain_check *dc, sb_err *err)
{
    *dc = (domain_check){sb_problem_tube_params(prob), NULL, NULL, NULL};
    if (!dc->tube)
        return SB_OK;
    dc->Q = sb_problem_rotation(prob);
    r->tube_checked = 1;
    r->tube_strict = cfg->problem.tube_strict;
    dc->xf = malloc(sizeof(float) * prob->d);
    dc->y = malloc(sizeof(double) * prob->d);
    if (!dc->xf || !dc->y) {
        free(dc->xf);
        free(dc->y);
        dc->xf = NULL;
        dc->y = NULL;
        return sb_fail(err, SB_ERUNTIME, "out of memory");
    }
    return SB_OK;
}

/* Steps until the budget, a target, divergence or the domain rule ends the run. */
static int steps_loop(const sb_train_cfg *cfg, sb_pipeline *pl, sb_workers *ws,
                      domain_check *dc, const char *label, double t0, sb_train_result *r,
                      sb_err *err)
{
    uint64_t max_steps = r->max_steps, log_every = r->log_every;
    sb_progress bar;
    if (cfg->progress)
        sb_progress_start(&bar, label, (long)(max_steps ? max_steps : cfg->evals));
    size_t cap = 0;
    sb_metrics m;
    int stop = 0;
    int st = sb_dist_mark(pl, 0, err); /* MPI: the wire counters' first reading */
    if (st == SB_OK)
        st = sb_pipeline_metrics(pl, &m, err);
    if (st == SB_OK)
        stop = record(cfg, pl, &m, t0, 1, r, &cap, &st, err);
    if (st == SB_OK && !stop && dc->tube)
        stop = domain_rule(pl, dc, r, &st, err);
    while (st == SB_OK && !stop) {
        if ((max_steps && pl->step >= max_steps) || (cfg->evals && pl->calls >= cfg->evals))
            break;
        st = ws ? sb_workers_step(ws, err) : sb_pipeline_step(pl, err);
        if (st != SB_OK)
            break;
        if (pl->grad_nan) {
            r->diverged = 1;
            r->diverged_step = pl->step;
            snprintf(r->diverged_reason, sizeof r->diverged_reason,
                     "gradient holds NaN at step %llu", (unsigned long long)pl->step);
            break;
        }
        int last =
            (max_steps && pl->step >= max_steps) || (cfg->evals && pl->calls >= cfg->evals);
        int logged = pl->step % log_every == 0 || last;
        int left = 0; /* strict: this iterate left the tube set, the run ends here */
        if (dc->tube && (left = domain_rule(pl, dc, r, &st, err)) && st == SB_OK)
            logged = 1; /* the last row of the trace is the step that left */
        if (st != SB_OK)
            break;
        /* With a target the full-gradient metrics are taken every step, so that
         * steps_to_target and evals_to_target are exact (the regression gate and sweep's
         * N-to-target read them); log_every only thins the trace rows. */
        if (logged || r->has_target) {
            st = sb_pipeline_metrics(pl, &m, err);
            if (st == SB_OK)
                stop = record(cfg, pl, &m, t0, logged, r, &cap, &st, err);
        }
        if (left)
            stop = 1;
        if (cfg->progress)
            sb_progress_step(&bar, (long)(max_steps ? pl->step : pl->calls));
    }
    if (cfg->progress)
        sb_progress_end(&bar);
    if (st == SB_OK)
        st = sb_dist_mark(pl, 1, err);
    return st;
}

/* Counts, times and bests of a finished run (NaN for what was never measured). */
static void finish_run(const sb_pipeline *pl, double t0, sb_train_result *r)
{
    r->time_s = sb_now() - t0;
    r->workers = pl->total_workers;
    r->steps = pl->step;
    r->evals = pl->calls;
    r->t_grad = pl->split ? pl->t_grad : NAN;
    r->t_compress = pl->split ? pl->t_compress : NAN;
    r->t_aggregate = pl->split ? pl->t_aggregate : NAN;
    r->t_update = pl->split ? pl->t_update : NAN;
    r->t_metrics = pl->t_metrics;
    if (!isfinite(r->f_best))
        r->f_best = NAN;
    if (!isfinite(r->grad1_min))
        r->grad1_min = NAN;
    if (!isfinite(r->grad2_min))
        r->grad2_min = NAN;
}

static int run(const sb_train_cfg *cfg, sb_ops *ops, const sb_optim_info *o,
               const sb_optim_params *p, sb_compress comp, sb_train_result *r, sb_err *err)
{
    sb_problem *prob = NULL;
    sb_pipeline pl;
    sb_workers *ws = NULL;
    int st = open_run(cfg, ops, o, p, comp, r, &prob, &pl, &ws, err);
    if (st != SB_OK)
        return st;
    plan_budget(cfg, prob, &pl, r);
    domain_check dc;
    st = domain_open(cfg, prob, r, &dc, err);
    if (st == SB_OK) {
        r->f_best = r->grad1_min = r->grad2_min = INFINITY;
        r->f0 = NAN;
        double t0 = sb_now();
        st = steps_loop(cfg, &pl, ws, &dc, o->name, t0, r, err);
        finish_run(&pl, t0, r);
    }
    free(dc.xf);
    free(dc.y);
    if (st == SB_OK)
        theory(cfg, o, p, prob, comp, r);
    if (st == SB_OK)
        st = sb_dist_finish(&pl, r->time_s, &r->comm, err);
    if (ws && st == SB_OK)
        st = workers_result(ws, r, err);
    sb_workers_free(ws);
    sb_pipeline_free(&pl);
    sb_problem_free(prob);
    return st;
}

int sb_train_run(const sb_train_cfg *cfg, sb_train_result *res, sb_err *err)
{
    memset(res, 0, sizeof *res);
    res->f0 = res->f_final = res->f_best = NAN;
    res->grad1_final = res->grad1_min = res->grad2_final = res->grad2_min = NAN;
    res->test_accuracy = NAN;
    const sb_optim_info *o = sb_optim_find(cfg->optimizer);
    if (!o)
        return sb_fail(err, SB_EUSAGE, "unknown optimizer '%s' (valid: %s)",
                       cfg->optimizer ? cfg->optimizer : "", sb_optim_names());
    snprintf(res->optimizer, sizeof res->optimizer, "%s", o->name);
    sb_optim_params p;
    int st = sb_optim_resolve(o, &cfg->hyper, &p, err);
    if (st != SB_OK)
        return sb_wrap(err, "%s", o->name);
    res->hyper = p;
    res->has_hyper = 1;
    sb_compress comp = SB_COMP_NONE;
    if (cfg->compress && (st = sb_compress_parse(cfg->compress, &comp, err)) != SB_OK)
        return st;
    if (cfg->target_grad1 < 0 || isnan(cfg->target_grad1))
        return sb_fail(err, SB_EUSAGE, "target norm1 %g: must be positive",
                       cfg->target_grad1);
    if (cfg->has_target_loss && !isfinite(cfg->target_loss))
        return sb_fail(err, SB_EUSAGE, "target loss must be finite");
    if (p.sched == SB_SCHED_THEORY && cfg->batch)
        return sb_fail(err, SB_EUSAGE,
                       "schedule theory sets the minibatch n_k = k+1 itself: "
                       "drop the batch size (%zu)",
                       cfg->batch);
    if (cfg->workers < 0 || cfg->workers > 4096)
        return sb_fail(err, SB_EUSAGE, "workers %d: expected 1 to 4096", cfg->workers);
    if (!(cfg->sigma >= 0) || !isfinite(cfg->sigma))
        return sb_fail(err, SB_EUSAGE, "sigma %g: must be >= 0", cfg->sigma);

    sb_ctx own_ctx, *ctx = cfg->ctx ? cfg->ctx : (cfg->ops ? cfg->ops->ctx : NULL);
    if (cfg->ctx && cfg->ops && cfg->ops->ctx != cfg->ctx)
        return sb_fail(err, SB_EUSAGE, "sb_train_run: cfg->ops belongs to another context");
    if (!ctx) {
        if ((st = sb_ctx_open(&own_ctx, &cfg->dev, err)) != SB_OK)
            return st;
        ctx = &own_ctx;
    }
    snprintf(res->device, sizeof res->device, "%s", ctx->dev.name);
    sb_ops own_ops, *ops = cfg->ops;
    if (!ops) {
        st = sb_ops_init(&own_ops, ctx, err);
        ops = st == SB_OK ? &own_ops : NULL;
    }
    if (st == SB_OK)
        st = run(cfg, ops, o, &p, comp, res, err);
    if (ops && ops != cfg->ops)
        sb_ops_free(ops);
    if (ctx == &own_ctx)
        sb_ctx_close(ctx);
    return st;
}

/* ---- outputs ------------------------------------------------------------------ */

/* JSON has no NaN: non-finite values become null. */
static void num(cJSON *o, const char *k, double v)
{
    if (isfinite(v))
        cJSON_AddNumberToObject(o, k, v);
    else
        cJSON_AddNullToObject(o, k);
}

/* The problem's settings, defaults resolved as the problem implementations resolve them
 * (problem_tube.c, problem_quad.c, problem_logreg.c): only those of its family. */
static void problem_config(cJSON *c, const sb_problem_opts *po, const sb_train_result *r)
{
    const char *name = po->name ? po->name : "";
    int tube = !strncmp(name, "tube", 4), quad = !strncmp(name, "quad", 4);
    if (strstr(name, "-rotated"))
        cJSON_AddStringToObject(
            c, "rotation", po->rotation_file ? po->rotation_file : "haar-random (seed)");
    if (tube) {
        sb_tube_params t = sb_tube_defaults();
        num(c, "tube_L", po->tube_L > 0 ? po->tube_L : t.L);
        num(c, "tube_gamma", po->tube_gamma > 0 ? po->tube_gamma : t.gamma);
        num(c, "tube_tau", po->tube_tau > 0 ? po->tube_tau : t.tau);
        cJSON_AddStringToObject(c, "tube_domain",
                                po->tube_strict ? "strict" : "continuation");
    } else if (quad) {
        const char *spec = po->spectrum ? po->spectrum : "equal";
        cJSON_AddStringToObject(c, "spectrum", spec);
        if (strcmp(spec, "equal"))
            num(c, "cond", po->cond > 0 ? po->cond : 100.0);
    } else if (!strcmp(name, "logreg")) {
        if (po->data) {
            size_t n = strlen(po->data);
            int csv = po->format ? !strcmp(po->format, "csv")
                                 : n >= 4 && !strcmp(po->data + n - 4, ".csv");
            cJSON_AddStringToObject(c, "data", po->data);
            cJSON_AddStringToObject(c, "format", csv ? "csv" : "libsvm");
            if (csv)
                cJSON_AddNumberToObject(c, "label_col", po->label_col);
        } else {
            cJSON_AddNullToObject(c, "data"); /* synthetic */
            cJSON_AddNumberToObject(c, "n", (double)(po->n_synth ? po->n_synth : 1000));
            num(c, "label_noise", po->label_noise);
        }
        cJSON_AddBoolToObject(c, "bias", po->bias);
        cJSON_AddBoolToObject(c, "standardize", po->standardize);
        num(c, "lambda", po->lambda >= 0 ? po->lambda : 1e-4);
        num(c, "test_split", po->test_split);
        cJSON_AddNumberToObject(c, "n_train", (double)r->n_train);
        cJSON_AddStringToObject(c, "gemv", po->gemv ? po->gemv : "native");
    }
}

static cJSON *config_json(const sb_train_cfg *cfg, const sb_train_result *r)
{
    cJSON *c = cJSON_CreateObject();
    const sb_optim_info *o = sb_optim_find(cfg->optimizer);
    /* The values the run used; a run that failed before resolving them shows cfg's. */
    sb_optim_params p = r->has_hyper ? r->hyper : cfg->hyper;
    const sb_problem_opts *po = &cfg->problem;
    cJSON_AddStringToObject(c, "problem", po->name ? po->name : "");
    /* d as the problem resolved it (the default, or the data's columns for logreg) */
    cJSON_AddNumberToObject(c, "d", (double)(r->d ? r->d : po->d));
    problem_config(c, po, r);
    cJSON_AddStringToObject(c, "optimizer",
                            o ? o->name : (cfg->optimizer ? cfg->optimizer : ""));
    num(c, "lr", p.lr);
    cJSON_AddStringToObject(c, "schedule", sb_sched_name(p.sched));
    if (p.sched == SB_SCHED_STEP) {
        num(c, "gamma", p.gamma);
        cJSON_AddNumberToObject(c, "step_every", (double)p.step_every);
    }
    num(c, "b1", p.b1);
    num(c, "b2", p.b2);
    num(c, "eps", p.eps);
    num(c, "wd", p.wd);
    cJSON_AddStringToObject(c, "wd_mode", p.decoupled ? "decoupled" : "coupled");
    if (o && o->kind == SB_OPT_PGD) {
        num(c, "pgd_r", p.pgd_r);
        num(c, "pgd_gthres", p.pgd_gthres);
        cJSON_AddNumberToObject(c, "pgd_tthres", (double)p.pgd_tthres);
    }
    cJSON_AddStringToObject(c, "compress", cfg->compress ? cfg->compress : "none");
    cJSON_AddNumberToObject(c, "workers",
                            r->workers > 1     ? r->workers
                            : cfg->workers > 1 ? cfg->workers
                                               : 1);
    cJSON_AddBoolToObject(c, "mpi", cfg->mpi);
    if (cfg->mpi) {
        cJSON_AddStringToObject(c, "aggregate", sb_agg_name(cfg->dist.alg));
        cJSON_AddBoolToObject(c, "error_feedback", cfg->dist.error_feedback);
    }
    cJSON_AddNumberToObject(c, "byzantine", cfg->byzantine);
    if (cfg->byzantine)
        cJSON_AddStringToObject(c, "attack", sb_attack_name(cfg->attack));
    if (cfg->worker_devices)
        cJSON_AddStringToObject(c, "worker_devices", cfg->worker_devices);
    /* budget: steps resolved (1000, or 100000 with a target); null when only evals */
    uint64_t steps = r->max_steps ? r->max_steps : cfg->steps;
    if (steps)
        cJSON_AddNumberToObject(c, "steps", (double)steps);
    else
        cJSON_AddNullToObject(c, "steps");
    if (cfg->evals)
        cJSON_AddNumberToObject(c, "evals", (double)cfg->evals);
    else
        cJSON_AddNullToObject(c, "evals");
    if (cfg->target_grad1 > 0)
        num(c, "target_grad1", cfg->target_grad1);
    if (cfg->has_target_loss)
        num(c, "target_loss", cfg->target_loss);
    /* the oracle: minibatch n, the theory schedule's n_k = k+1, or the full batch (the
     * training rows for logreg, one draw otherwise) */
    if (p.sched == SB_SCHED_THEORY) {
        cJSON_AddStringToObject(c, "batch_mode", "theory");
        cJSON_AddNullToObject(c, "batch");
    } else if (cfg->batch) {
        cJSON_AddStringToObject(c, "batch_mode", "minibatch");
        cJSON_AddNumberToObject(c, "batch", (double)cfg->batch);
    } else {
        cJSON_AddStringToObject(c, "batch_mode", "full");
        cJSON_AddNumberToObject(c, "batch", (double)(r->n_train ? r->n_train : 1));
    }
    num(c, "sigma", cfg->sigma);
    cJSON_AddNumberToObject(c, "seed", (double)cfg->seed);
    cJSON_AddNumberToObject(c, "log_every",
                            (double)(r->log_every ? r->log_every : cfg->log_every));
    cJSON_AddBoolToObject(c, "no_split", cfg->no_split);
    return c;
}

/* Bytes beside their theoretical count, and every rank's time split (totals and per step). */
static cJSON *comm_json(const sb_dist_summary *c)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "aggregate", sb_agg_name(c->alg));
    cJSON_AddNumberToObject(j, "ranks", c->ranks);
    cJSON_AddNumberToObject(j, "steps", (double)c->steps);
    cJSON_AddNumberToObject(j, "messages_per_step", c->messages);
    /* robust per-step times: medians over steps 2.. (step 1 opens the connections) */
    num(j, "median_communicate_s", c->median_comm);
    num(j, "median_step_s", c->median_step);
    num(j, "median_compute_s", c->median_compute);
    cJSON *b = cJSON_AddObjectToObject(j, "bytes_per_step");
    num(b, "sent", c->sent_step);
    num(b, "received", c->recv_step);
    num(b, "theory", c->theory_step);
    b = cJSON_AddObjectToObject(j, "bytes_total");
    num(b, "sent", c->sent_total);
    num(b, "received", c->recv_total);
    num(b, "theory", c->theory_step * (double)c->steps);
    /* the interface's counters over the steps, all ranks together (--wire-counter) */
    b = cJSON_AddObjectToObject(j, "wire");
    num(b, "tx_bytes", c->wire_tx);
    num(b, "rx_bytes", c->wire_rx);
    cJSON *pr = cJSON_AddArrayToObject(j, "per_rank");
    double k = c->steps ? (double)c->steps : NAN;
    for (int i = 0; c->per_rank && i < c->ranks; i++) {
        const sb_dist_rank *q = &c->per_rank[i];
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "rank", i);
        num(e, "bytes_sent", q->sent);
        num(e, "bytes_received", q->recv);
        const char *keys[] = {"gradient", "compress", "communicate", "vote",
                              "update",   "metrics",  "wall"};
        double v[] = {q->t_grad,   q->t_compress, q->t_comm, q->t_vote,
                      q->t_update, q->t_metrics,  q->wall};
        cJSON *t = cJSON_AddObjectToObject(e, "time_split");
        cJSON *ps = cJSON_AddObjectToObject(e, "time_per_step");
        for (int f = 0; f < 7; f++) {
            num(t, keys[f], v[f]);
            num(ps, keys[f], v[f] / k);
        }
        cJSON_AddItemToArray(pr, e);
    }
    return j;
}

cJSON *sb_train_summary_json(const sb_train_cfg *cfg, const sb_train_result *r)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "schema", "signbench-train/1");
    cJSON_AddStringToObject(j, "optimizer", r->optimizer);
    cJSON_AddStringToObject(j, "problem", r->problem);
    cJSON_AddNumberToObject(j, "d", (double)r->d);
    cJSON_AddStringToObject(j, "device", r->device);
    cJSON_AddNumberToObject(j, "workers", r->workers);
    if (r->nworker_devices) {
        cJSON *wd = cJSON_AddObjectToObject(j, "worker_devices");
        num(wd, "step_s", r->worker_step_s);
        num(wd, "x_max_diff", r->worker_x_diff);
        cJSON *arr = cJSON_AddArrayToObject(wd, "workers");
        for (int w = 0; w < r->nworker_devices; w++) {
            const sb_worker_figures *f = &r->worker_dev[w];
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "index", f->index);
            cJSON_AddStringToObject(o, "name", f->name);
            num(o, "compute_s", f->compute_s);
            num(o, "idle_s", f->idle_s);
            num(o, "alone_step_s", f->alone_step_s);
            cJSON_AddItemToArray(arr, o);
        }
    }
    if (cfg)
        cJSON_AddItemToObject(j, "config", config_json(cfg, r));
    num(j, "f0", r->f0);
    num(j, "f_final", r->f_final);
    num(j, "f_best", r->f_best);
    num(j, "grad1_final", r->grad1_final);
    num(j, "grad1_min", r->grad1_min);
    num(j, "grad2_final", r->grad2_final);
    num(j, "grad2_min", r->grad2_min);
    cJSON_AddNumberToObject(j, "steps", (double)r->steps);
    cJSON_AddNumberToObject(j, "evals", (double)r->evals);
    num(j, "time_s", r->time_s);
    cJSON *ts = cJSON_AddObjectToObject(j, "time_split");
    num(ts, "gradient", r->t_grad);
    num(ts, "compress", r->t_compress);
    num(ts, "aggregate", r->t_aggregate);
    num(ts, "update", r->t_update);
    num(ts, "metrics", r->t_metrics);
    if (r->comm.active) {
        num(ts, "communicate", r->comm.per_rank ? r->comm.per_rank[0].t_comm : NAN);
        num(ts, "vote", r->comm.per_rank ? r->comm.per_rank[0].t_vote : NAN);
        cJSON_AddItemToObject(j, "comm", comm_json(&r->comm));
    }
    cJSON_AddBoolToObject(j, "has_target", r->has_target);
    cJSON_AddBoolToObject(j, "reached", r->reached);
    if (r->reached) {
        cJSON_AddNumberToObject(j, "steps_to_target", (double)r->steps_to_target);
        cJSON_AddNumberToObject(j, "evals_to_target", (double)r->evals_to_target);
        num(j, "time_to_target", r->time_to_target);
    } else {
        cJSON_AddNullToObject(j, "steps_to_target");
        cJSON_AddNullToObject(j, "evals_to_target");
        cJSON_AddNullToObject(j, "time_to_target");
    }
    cJSON_AddBoolToObject(j, "diverged", r->diverged);
    if (r->diverged) {
        cJSON_AddNumberToObject(j, "diverged_step", (double)r->diverged_step);
        cJSON_AddStringToObject(j, "diverged_reason", r->diverged_reason);
    } else {
        cJSON_AddNullToObject(j, "diverged_step");
    }
    if (r->tube_checked) {
        cJSON_AddStringToObject(j, "tube_domain",
                                r->tube_strict ? "strict" : "continuation");
        cJSON_AddBoolToObject(j, "left_domain", r->left_domain);
        if (r->left_domain)
            cJSON_AddNumberToObject(j, "left_domain_step", (double)r->left_domain_step);
        else
            cJSON_AddNullToObject(j, "left_domain_step");
        cJSON_AddNumberToObject(j, "steps_outside_tube", (double)r->steps_outside_tube);
    }
    if (r->has_test_accuracy)
        num(j, "test_accuracy", r->test_accuracy);
    if (r->has_fstar)
        num(j, "fstar", r->fstar);
    if (r->has_L)
        num(j, "L", r->L);
    if (r->has_theory) {
        cJSON *t = cJSON_AddObjectToObject(j, "theory");
        cJSON_AddStringToObject(t, "theorem", r->theorem);
        cJSON_AddStringToObject(
            t, "quantity", r->theorem[8] == '1' ? "min norm1(grad)" : "min norm2(grad)^2");
        num(t, "bound", r->theory_bound);
        num(t, "bound_loose", r->theory_bound_loose);
        num(t, "measured", r->theory_measured);
    }
    return j;
}

int sb_train_write_summary(const char *path, const sb_train_cfg *cfg,
                           const sb_train_result *res, sb_err *err)
{
    cJSON *j = sb_train_summary_json(cfg, res);
    char *s = j ? cJSON_Print(j) : NULL;
    cJSON_Delete(j);
    if (!s)
        return sb_fail(err, SB_ERUNTIME, "cannot format the summary JSON (out of memory)");
    size_t n = strlen(s);
    s[n] = '\n'; /* replace the NUL: the file ends with a newline */
    int st = sb_write_file(path, s, n + 1, err);
    cJSON_free(s);
    return st;
}

/* Append formatted text to a growing buffer. */
typedef struct {
    char *p;
    size_t n, cap;
    int oom;
} sbuf;

static void sbuf_add(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sbuf_add(sbuf *b, const char *fmt, ...)
{
    if (b->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0, fmt, ap);
        va_end(ap);
        if (k < 0) {
            b->oom = 1;
            return;
        }
        if (b->p && b->n + (size_t)k < b->cap) {
            b->n += (size_t)k;
            return;
        }
        size_t nc = (b->cap ? b->cap * 2 : 4096) + (size_t)k;
        char *q = realloc(b->p, nc);
        if (!q) {
            b->oom = 1;
            return;
        }
        b->p = q;
        b->cap = nc;
    }
}

int sb_train_write_trace(const char *path, const sb_train_result *r, sb_err *err)
{
    sbuf b = {0};
    sbuf_add(&b, "step,evals,f,grad1,grad2,grad1_min,test_accuracy,elapsed\n");
    for (size_t i = 0; i < r->ntrace; i++) {
        const sb_train_point *t = &r->trace[i];
        sbuf_add(&b, "%llu,%llu,%.9g,%.9g,%.9g,%.9g,", (unsigned long long)t->step,
                 (unsigned long long)t->evals, t->f, t->grad1, t->grad2, t->grad1_min);
        if (isnan(t->test_accuracy))
            sbuf_add(&b, ",%.6f\n", t->elapsed);
        else
            sbuf_add(&b, "%.6f,%.6f\n", t->test_accuracy, t->elapsed);
    }
    if (b.oom) {
        free(b.p);
        return sb_fail(err, SB_ERUNTIME, "out of memory writing %s", path);
    }
    int st = sb_write_file(path, b.p, b.n, err);
    free(b.p);
    return st;
}
