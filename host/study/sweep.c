/* sweep.c - the dimension sweep's engine: the three variants' training runs over d and
 * seeds, N-to-target, the log-log slope fits, the sweep's JSON, CSV and plots. */
#define _DEFAULT_SOURCE /* strsep */
#include "sweep.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fit.h"
#include "json.h"
#include "parse.h"
#include "plot.h"
#include "progress.h"
#include "study.h"
#include "train.h"

enum { NVAR = SB_SWEEP_NVAR, MAXD = SB_SWEEP_MAXD, MAXSEED = SB_SWEEP_MAXSEED };

typedef struct variant {
    const char *name, *optimizer;
    sb_sched sched;
    int norm; /* 1: squared l1 (signSGD), 2: squared l2 (SGD) */
    double pred_norm_slope;
} variant;

static const variant variants[NVAR] = {
    {"signsgd-theory", "signsgd", SB_SCHED_THEORY, 1, 2},
    {"signsgd-const", "signsgd", SB_SCHED_CONST, 1, 2},
    {"sgd-theory", "sgd", SB_SCHED_INVSQRT, 2, 1},
};

void sb_sweep_defaults(sb_sweep *w)
{
    memset(w, 0, sizeof *w);
    w->problem = "quad";
    w->seeds = 3;
    w->evals = 20000;
    w->sigma = 1;
    w->lr_theory = 0.1;
    w->lr_sgd = 0.5;
    w->tune[0] = 0.001, w->tune[1] = 0.01, w->tune[2] = 0.1, w->ntune = 3;
    sb_sweep_parse_dims("10:1000:5", w, NULL);
}

static int parse_range(const char *s, sb_sweep *w, sb_err *err)
{
    double lo, hi;
    int k, used = 0;
    if (sscanf(s, "%lf:%lf:%d%n", &lo, &hi, &k, &used) != 3 || s[used] || !(lo >= 1) ||
        !(hi >= lo) || hi > 1e8 || k < 1 || k > MAXD)
        return sb_fail(err, SB_EUSAGE,
                       "sweep: --dims '%s': expected LO:HI:K with 1 <= "
                       "LO <= HI <= 1e8 and 1 <= K <= %d",
                       s, MAXD);
    w->nd = 0;
    for (int i = 0; i < k; i++) {
        double v = k == 1 ? lo : lo * pow(hi / lo, (double)i / (k - 1));
        size_t d = (size_t)llround(v);
        if (w->nd == 0 || d > w->dims[w->nd - 1])
            w->dims[w->nd++] = d;
    }
    return SB_OK;
}

int sb_sweep_parse_dims(const char *s, sb_sweep *w, sb_err *err)
{
    if (strchr(s, ':'))
        return parse_range(s, w, err);
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", s);
    w->nd = 0;
    for (char *rest = buf, *t; (t = strsep(&rest, ","));) {
        size_t d;
        if (!*t)
            return sb_fail(err, SB_EUSAGE, "sweep: --dims '%s': an empty item", s);
        if (w->nd >= MAXD)
            return sb_fail(err, SB_EUSAGE, "sweep: --dims: at most %d values", MAXD);
        if (sb_parse_size("--dims", t, &d, err))
            return sb_wrap(err, "sweep");
        w->dims[w->nd++] = d;
    }
    if (w->nd == 0)
        return sb_fail(err, SB_EUSAGE, "sweep: --dims '%s': no dimension given", s);
    for (int i = 1; i < w->nd; i++)
        if (w->dims[i] <= w->dims[i - 1])
            return sb_fail(err, SB_EUSAGE, "sweep: --dims must increase ('%s')", s);
    return SB_OK;
}

/* ---- the runs ---- */

static double q_of(const sb_train_point *p, int norm)
{
    return norm == 1 ? p->grad1 * p->grad1 : p->grad2 * p->grad2;
}

/* What the sweep keeps of a finished run r of variant va at dimension d. */
static void keep_run(const variant *va, size_t d, double lr, const sb_train_result *r,
                     sb_sweep_run *o)
{
    memset(o, 0, sizeof *o);
    o->lr = lr;
    o->diverged = r->diverged;
    o->minq = INFINITY;
    o->n_target = NAN;
    o->bound = r->has_theory
                   ? (va->norm == 1 ? r->theory_bound * r->theory_bound : r->theory_bound)
                   : NAN;
    /* Theorem 2 needs delta L < 2; past it there is no bound to print, and the table and
     * JSON say why instead of leaving a silent gap. */
    o->dl = va->norm == 2 && r->has_L ? lr * r->L : NAN;
    for (size_t i = 0; i < r->ntrace; i++) {
        double q = q_of(&r->trace[i], va->norm);
        if (q < o->minq)
            o->minq = q;
    }
    if (r->ntrace) {
        const sb_train_point *a = &r->trace[0], *b = &r->trace[r->ntrace - 1];
        o->rho_start =
            a->grad2 > 0 ? a->grad1 * a->grad1 / ((double)d * a->grad2 * a->grad2) : NAN;
        o->rho_end =
            b->grad2 > 0 ? b->grad1 * b->grad1 / ((double)d * b->grad2 * b->grad2) : NAN;
    }
    if (r->diverged || !isfinite(o->minq))
        o->minq = NAN;
}

/* One training run and what the sweep keeps of it; the result (with its trace) goes to
 * *keep when keep is given, else it is freed. */
static int one_run(const sb_sweep *w, int v, size_t d, int seed, double lr,
                   sb_study_dev *sd, sb_sweep_run *o, sb_train_result *keep, sb_err *err)
{
    const variant *va = &variants[v];
    sb_train_cfg cfg;
    sb_train_cfg_default(&cfg);
    cfg.problem.name = w->problem;
    cfg.problem.d = d;
    cfg.optimizer = va->optimizer;
    cfg.hyper.lr = lr;
    cfg.hyper.sched = va->sched;
    cfg.evals = w->evals;
    cfg.sigma = w->sigma;
    cfg.batch = va->sched == SB_SCHED_THEORY ? 0 : 1;
    cfg.seed = (uint64_t)seed + 1;
    cfg.keep_trace = 1;
    cfg.ctx = &sd->ctx;
    cfg.ops = &sd->ops;
    sb_train_result r;
    memset(&r, 0, sizeof r);
    int st = sb_train_run(&cfg, &r, err);
    if (st != SB_OK) {
        sb_train_result_free(&r);
        return sb_wrap(err, "sweep: %s at d = %zu, seed %d", va->name, d, seed + 1);
    }
    keep_run(va, d, lr, &r, o);
    if (keep)
        *keep = r;
    else
        sb_train_result_free(&r);
    return SB_OK;
}

/* The first logged step at which the run's quantity reached target (none: censored). */
static void find_target(const sb_train_result *r, int norm, double target,
                        sb_sweep_run *out)
{
    out->reached = 0;
    out->n_target = NAN;
    for (size_t i = 0; i < r->ntrace; i++)
        if (q_of(&r->trace[i], norm) <= target) {
            out->reached = 1;
            out->n_target = (double)r->trace[i].evals;
            return;
        }
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of the finite values of v (reordered); NaN when there is none. */
static double med(double *v, int n)
{
    int m = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(v[i]))
            v[m++] = v[i];
    if (!m)
        return NAN;
    qsort(v, (size_t)m, sizeof *v, cmp_d);
    return m % 2 ? v[m / 2] : 0.5 * (v[m / 2 - 1] + v[m / 2]);
}

/* The default target: half of where the smallest d starts (median over seeds). Larger
 * d start higher (the squared l1 norm grows like d^2 for a dense gradient) and must
 * descend further, so N-to-target shows the scaling; runs that miss it within the budget
 * count as censored, never as reached. */
static double auto_target(const sb_train_result *rs, int nseeds, int norm)
{
    double v[MAXSEED];
    for (int s = 0; s < nseeds; s++)
        v[s] = rs[s].ntrace ? q_of(&rs[s].trace[0], norm) : NAN;
    return 0.5 * med(v, nseeds);
}

/* signsgd-const: the constant step tuned on the first seed (the smallest min norm
 * wins); its run is kept as seed 1 (res[0]). Returns the chosen step in *lr. */
static int tune_const(sb_sweep *w, int v, int i, sb_study_dev *sd, sb_progress *bar,
                      long *done_runs, sb_train_result *res, double *lr, sb_err *err)
{
    size_t d = w->dims[i];
    double best = INFINITY;
    int bi = 0;
    for (int t = 0; t < w->ntune; t++) {
        sb_sweep_run o;
        sb_train_result r;
        int rc = one_run(w, v, d, 0, w->tune[t], sd, &o, &r, err);
        if (rc)
            return rc;
        sb_progress_step(bar, ++*done_runs);
        if (isfinite(o.minq) && o.minq < best) {
            best = o.minq;
            bi = t;
            sb_train_result_free(&res[0]);
            res[0] = r;
            w->r[v][i][0] = o;
        } else {
            sb_train_result_free(&r);
        }
    }
    if (!isfinite(best))
        w->r[v][i][0] = (sb_sweep_run){.minq = NAN,
                                       .n_target = NAN,
                                       .lr = w->tune[0],
                                       .diverged = 1,
                                       .rho_end = NAN,
                                       .rho_start = NAN,
                                       .bound = NAN};
    *lr = w->tune[bi];
    return SB_OK;
}

/* Variant v at dims[i], every seed; the first d sets the variant's default target. */
static int run_point(sb_sweep *w, int v, int i, sb_study_dev *sd, sb_progress *bar,
                     long *done_runs, sb_err *err)
{
    sb_train_result res[MAXSEED];
    memset(res, 0, sizeof res);
    int first = 0, rc = SB_OK;
    double lr = v == 0 ? w->lr_theory : w->lr_sgd;
    if (v == 1) {
        rc = tune_const(w, v, i, sd, bar, done_runs, res, &lr, err);
        first = 1;
    }
    for (int s = first; s < w->seeds && rc == SB_OK; s++) {
        rc = one_run(w, v, w->dims[i], s, lr, sd, &w->r[v][i][s], &res[s], err);
        sb_progress_step(bar, ++*done_runs);
    }
    if (rc == SB_OK) {
        if (i == 0 && !w->target_given[v])
            w->target[v] = auto_target(res, w->seeds, variants[v].norm);
        for (int s = 0; s < w->seeds; s++)
            find_target(&res[s], variants[v].norm,
                        isfinite(w->target[v]) ? w->target[v] : -1, &w->r[v][i][s]);
    }
    for (int s = 0; s < MAXSEED; s++)
        sb_train_result_free(&res[s]);
    return rc;
}

int sb_sweep_run_all(sb_sweep *w, const sb_opts *dev, sb_err *err)
{
    sb_study_dev sd;
    int rc = sb_study_dev_open(&sd, dev, err);
    if (rc)
        return rc;
    sb_progress bar;
    long total = (long)w->nd * NVAR * (w->seeds + w->ntune - 1), done_runs = 0;
    sb_progress_start(&bar, "sweep", total);
    for (int i = 0; i < w->nd && rc == SB_OK; i++)
        for (int v = 0; v < NVAR && rc == SB_OK; v++)
            rc = run_point(w, v, i, &sd, &bar, &done_runs, err);
    sb_progress_end(&bar);
    sb_study_dev_close(&sd);
    snprintf(w->device, sizeof w->device, "%s", sd.name);
    return rc;
}

/* ---- the JSON ---- */

/* The points the two fits use, gathered while the point objects are written, and each
 * point's median minimum norm and bound (for the comparison with the bound). */
typedef struct fit_pts {
    double xs[MAXD * MAXSEED], ys[MAXD * MAXSEED], xn[MAXD * MAXSEED], yn[MAXD * MAXSEED];
    int np, nn;
    int censored; /* d values left out of the N-to-target fit */
    double d[MAXD], med_min[MAXD], med_bound[MAXD];
    int nd, not_applicable; /* not_applicable: points past Theorem 2's condition */
} fit_pts;

/* A fit as JSON: slope and interval, the d range and the runs it used, the prediction. */
static cJSON *add_fit(cJSON *o, const char *key, const double *x, const double *y, int n,
                      double pred, sb_fit *f, int *ok)
{
    sb_err e;
    cJSON *j = cJSON_AddObjectToObject(o, key);
    *ok = sb_fit_loglog(x, y, (size_t)n, 0.95, f, &e) == SB_OK;
    if (!j)
        return NULL;
    if (*ok) {
        cJSON_AddNumberToObject(j, "slope", f->slope);
        if (isfinite(f->ci_lo)) {
            cJSON_AddNumberToObject(j, "ci_lo", f->ci_lo);
            cJSON_AddNumberToObject(j, "ci_hi", f->ci_hi);
        } else {
            cJSON_AddNullToObject(j, "ci_lo");
            cJSON_AddNullToObject(j, "ci_hi");
        }
        cJSON_AddNumberToObject(j, "level", f->level);
        cJSON_AddNumberToObject(j, "r2", f->r2);
        cJSON_AddNumberToObject(j, "points", (double)f->n);
        /* The d range the fit used (the runs the log-log fit can take: y > 0). */
        double lo = INFINITY, hi = -INFINITY, last = NAN;
        int dims = 0;
        for (int i = 0; i < n; i++) /* x ascending, one entry per run */
            if (x[i] > 0 && y[i] > 0 && isfinite(y[i])) {
                dims += x[i] != last;
                last = x[i];
                lo = fmin(lo, x[i]), hi = fmax(hi, x[i]);
            }
        cJSON_AddNumberToObject(j, "d_min", lo);
        cJSON_AddNumberToObject(j, "d_max", hi);
        cJSON_AddNumberToObject(j, "dims", dims);
    } else {
        cJSON_AddNullToObject(j, "slope");
        cJSON_AddNumberToObject(j, "points", n);
    }
    cJSON_AddNumberToObject(j, "predicted", pred);
    return j;
}

/* How a fitted slope stands to the bound's: -1 flatter, 0 as steep (the interval holds
 * it, or with two points equal), 1 steeper; 2 when there is no slope. */
static int slope_side(const sb_fit *f, int ok, double pred)
{
    if (!ok)
        return 2;
    if (isfinite(f->ci_lo))
        return f->ci_hi < pred ? -1 : f->ci_lo > pred ? 1 : 0;
    return f->slope < pred ? -1 : f->slope > pred ? 1 : 0;
}

static const char *side_name(int side)
{
    return side < 0 ? "flatter than" : side == 0 ? "as steep as" : "steeper than";
}

/* The verdict of the minimum norms against the bound (an upper bound): consistent only
 * when every point lies under it; a steeper slope is then consistent in the measured
 * range only, and the text says so (with where the fitted lines would cross). */
static void min_norm_vs_bound(cJSON *jf, const fit_pts *fp, const sb_fit *f, int ok,
                              double pred)
{
    int below = 0, compared = 0, side = slope_side(f, ok, pred);
    double first_above = NAN, bd[MAXD], bb[MAXD];
    for (int i = 0; i < fp->nd; i++) {
        if (!isfinite(fp->med_min[i]) || !isfinite(fp->med_bound[i]))
            continue;
        bd[compared] = fp->d[i], bb[compared++] = fp->med_bound[i];
        if (fp->med_min[i] <= fp->med_bound[i])
            below++;
        else if (isnan(first_above))
            first_above = fp->d[i];
    }
    char text[400], sl[96] = "slope not fitted";
    if (side != 2)
        snprintf(sl, sizeof sl, "slope %s the bound's (%g)", side_name(side), pred);
    const char *verdict;
    if (!compared) {
        verdict = fp->not_applicable ? "not applicable" : "not checked";
        snprintf(
            text, sizeof text, "%s; %s", sl,
            fp->not_applicable
                ? "no bound: Theorem 2 needs delta*L < 2"
                : "no bound values to compare with (this variant's step is not the theorem's)");
    } else if (below < compared) {
        verdict = "not consistent";
        snprintf(text, sizeof text,
                 "above the bound at %d of %d d values (first at d = %g); "
                 "%s",
                 compared - below, compared, first_above, sl);
    } else if (side == 1) {
        verdict = "consistent in the measured range only";
        sb_fit fb;
        sb_err e;
        double cross = NAN;
        if (sb_fit_loglog(bd, bb, (size_t)compared, 0.95, &fb, &e) == SB_OK &&
            f->slope > fb.slope)
            cross = pow(10, (fb.intercept - f->intercept) / (f->slope - fb.slope));
        int n = snprintf(text, sizeof text,
                         "%s, but under the bound at all %d d values (d = "
                         "%g..%g): consistent in this range only",
                         sl, compared, bd[0], bd[compared - 1]);
        if (isfinite(cross) && n > 0 && (size_t)n < sizeof text)
            snprintf(text + n, sizeof text - (size_t)n,
                     "; the fitted lines cross near d = "
                     "%.3g",
                     cross);
    } else {
        verdict = "consistent";
        snprintf(text, sizeof text, "under the bound at all %d d values (d = %g..%g); %s",
                 compared, bd[0], bd[compared - 1], sl);
    }
    cJSON *jv = cJSON_AddObjectToObject(jf, "vs_bound");
    cJSON_AddStringToObject(jv, "verdict", verdict);
    cJSON_AddNumberToObject(jv, "below", below);
    cJSON_AddNumberToObject(jv, "compared", compared);
    cJSON_AddStringToObject(jv, "text", text);
}

/* N-to-target against the bound's slope: there are no per-point bound values of it, so
 * a steeper slope is never called consistent. */
static void evals_vs_bound(cJSON *jf, const fit_pts *fp, const sb_fit *f, int ok,
                           double pred)
{
    int side = slope_side(f, ok, pred);
    char text[300], cens[120] = "";
    if (fp->censored)
        snprintf(cens, sizeof cens,
                 "; %d d value(s) left out: not every seed reached the "
                 "target",
                 fp->censored);
    if (side == 2)
        snprintf(text, sizeof text,
                 "slope not fitted (fewer than 2 d values where every "
                 "seed reached the target)%s",
                 cens);
    else if (side == 1)
        snprintf(text, sizeof text,
                 "slope steeper than the bound's (%g): not called "
                 "consistent (no per-point bound on N-to-target to compare with)%s",
                 pred, cens);
    else
        snprintf(text, sizeof text, "slope %s the bound's (%g)%s", side_name(side), pred,
                 cens);
    cJSON *jv = cJSON_AddObjectToObject(jf, "vs_bound");
    cJSON_AddStringToObject(jv, "verdict",
                            side == 2   ? "not fitted"
                            : side == 1 ? "not checked"
                                        : "consistent");
    cJSON_AddStringToObject(jv, "text", text);
}

/* Theorem 2's condition at one point of sgd-theory, with the delta L it was given. */
static void add_applicability(cJSON *p, double dl)
{
    sb_json_num_or_null(p, "delta_L", dl);
    if (isfinite(dl) && dl >= 2) {
        cJSON_AddBoolToObject(p, "bound_applicable", 0);
        char note[160];
        snprintf(note, sizeof note,
                 "Theorem 2 not applicable: delta*L = %.4g >= 2 (it "
                 "needs delta*L < 2; lower --lr-sgd)",
                 dl);
        cJSON_AddStringToObject(p, "bound_note", note);
    } else {
        cJSON_AddBoolToObject(p, "bound_applicable", isfinite(dl));
    }
}

/* The point of variant v at dims[i]: its runs and their medians over seeds. */
static cJSON *point_json(const sb_sweep *w, int v, int i, fit_pts *fp)
{
    cJSON *p = cJSON_CreateObject();
    cJSON_AddNumberToObject(p, "d", (double)w->dims[i]);
    cJSON *runs = cJSON_AddArrayToObject(p, "runs");
    double mq[MAXSEED], nt[MAXSEED], rho[MAXSEED], rho0[MAXSEED], bd[MAXSEED], dls[MAXSEED];
    double lo = INFINITY, hi = -INFINITY;
    int reached = 0;
    for (int s = 0; s < w->seeds; s++) {
        const sb_sweep_run *o = &w->r[v][i][s];
        cJSON *r = cJSON_CreateObject();
        cJSON_AddItemToArray(runs, r);
        cJSON_AddNumberToObject(r, "seed", s + 1);
        cJSON_AddNumberToObject(r, "lr", o->lr);
        sb_json_num_or_null(r, "min_norm", o->minq);
        sb_json_num_or_null(r, "evals_to_target", o->reached ? o->n_target : NAN);
        sb_json_num_or_null(r, "density_end", o->rho_end);
        cJSON_AddBoolToObject(r, "diverged", o->diverged);
        mq[s] = o->minq;
        nt[s] = o->reached ? o->n_target : NAN;
        rho[s] = o->rho_end;
        rho0[s] = o->rho_start;
        bd[s] = o->bound;
        dls[s] = o->dl;
        reached += o->reached;
        if (isfinite(o->minq)) {
            lo = fmin(lo, o->minq);
            hi = fmax(hi, o->minq);
            fp->xs[fp->np] = (double)w->dims[i];
            fp->ys[fp->np++] = o->minq;
        }
    }
    /* N-to-target is fitted only where every seed reached the target: the runs that
     * reached it where others did not are the lucky ones, and would flatten the slope. */
    if (reached == w->seeds)
        for (int s = 0; s < w->seeds; s++) {
            fp->xn[fp->nn] = (double)w->dims[i];
            fp->yn[fp->nn++] = w->r[v][i][s].n_target;
        }
    else
        fp->censored++;
    fp->d[fp->nd] = (double)w->dims[i];
    fp->med_min[fp->nd] = med(mq, w->seeds);
    fp->med_bound[fp->nd++] = med(bd, w->seeds);
    sb_json_num_or_null(p, "min_norm", fp->med_min[fp->nd - 1]);
    sb_json_num_or_null(p, "min_norm_lo", isfinite(lo) ? lo : NAN);
    sb_json_num_or_null(p, "min_norm_hi", isfinite(hi) ? hi : NAN);
    /* Median over seeds, censored runs as infinite: undefined if most missed. */
    sb_json_num_or_null(p, "evals_to_target",
                        2 * reached > w->seeds ? med(nt, w->seeds) : NAN);
    cJSON_AddNumberToObject(p, "reached", reached);
    sb_json_num_or_null(p, "density_start", med(rho0, w->seeds));
    sb_json_num_or_null(p, "density_end", med(rho, w->seeds));
    sb_json_num_or_null(p, "bound", fp->med_bound[fp->nd - 1]);
    if (variants[v].norm == 2) {
        double dl = med(dls, w->seeds);
        add_applicability(p, dl);
        fp->not_applicable += isfinite(dl) && dl >= 2;
    }
    return p;
}

static cJSON *variant_json(const sb_sweep *w, int v)
{
    const variant *va = &variants[v];
    cJSON *jv = cJSON_CreateObject();
    cJSON_AddStringToObject(jv, "name", va->name);
    cJSON_AddStringToObject(jv, "optimizer", va->optimizer);
    cJSON_AddStringToObject(jv, "schedule", sb_sched_name(va->sched));
    cJSON_AddStringToObject(jv, "quantity", va->norm == 1 ? "norm1^2" : "norm2^2");
    sb_json_num_or_null(jv, "target", w->target[v]);
    fit_pts *fp = calloc(1, sizeof *fp);
    if (!fp) {
        cJSON_Delete(jv);
        return NULL;
    }
    cJSON *pts = cJSON_AddArrayToObject(jv, "points");
    for (int i = 0; i < w->nd; i++)
        cJSON_AddItemToArray(pts, point_json(w, v, i, fp));
    sb_fit f;
    int ok;
    cJSON *jf =
        add_fit(jv, "fit_min_norm", fp->xs, fp->ys, fp->np, va->pred_norm_slope, &f, &ok);
    if (jf)
        min_norm_vs_bound(jf, fp, &f, ok, va->pred_norm_slope);
    jf = add_fit(jv, "fit_evals_to_target", fp->xn, fp->yn, fp->nn, 2 * va->pred_norm_slope,
                 &f, &ok);
    if (jf) {
        cJSON_AddNumberToObject(jf, "censored_dims", fp->censored);
        evals_vs_bound(jf, fp, &f, ok, 2 * va->pred_norm_slope);
    }
    free(fp);
    return jv;
}

cJSON *sb_sweep_json(const sb_sweep *w)
{
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return NULL;
    cJSON_AddStringToObject(root, "schema", "signbench-sweep");
    cJSON_AddNumberToObject(root, "version", 1);
    cJSON_AddStringToObject(root, "problem", w->problem);
    cJSON_AddStringToObject(root, "device", w->device);
    cJSON_AddNumberToObject(root, "evals", (double)w->evals);
    cJSON_AddNumberToObject(root, "sigma", w->sigma);
    cJSON_AddNumberToObject(root, "seeds", w->seeds);
    cJSON *dims = cJSON_AddArrayToObject(root, "dims");
    for (int i = 0; i < w->nd; i++)
        cJSON_AddItemToArray(dims, cJSON_CreateNumber((double)w->dims[i]));
    cJSON *vars = cJSON_AddArrayToObject(root, "variants");
    for (int v = 0; v < NVAR; v++) {
        cJSON *jv = variant_json(w, v);
        if (!jv) {
            cJSON_Delete(root);
            return NULL;
        }
        cJSON_AddItemToArray(vars, jv);
    }
    return root;
}

/* ---- the CSV ---- */

int sb_sweep_write_csv(const char *path, const void *data, sb_err *err)
{
    const sb_sweep *w = data;
    size_t cap = 1 << 16, n = 0;
    char *s = malloc(cap);
    if (!s)
        return sb_fail(err, SB_ERUNTIME, "sweep: out of memory");
    n += (size_t)snprintf(s + n, cap - n,
                          "variant,d,seed,lr,min_norm,evals_to_target,density_start,"
                          "density_end,bound,diverged\n");
    for (int v = 0; v < NVAR; v++)
        for (int i = 0; i < w->nd; i++)
            for (int k = 0; k < w->seeds; k++) {
                const sb_sweep_run *o = &w->r[v][i][k];
                if (cap - n < 512) {
                    cap *= 2;
                    char *t = realloc(s, cap);
                    if (!t) {
                        free(s);
                        return sb_fail(err, SB_ERUNTIME, "sweep: out of memory");
                    }
                    s = t;
                }
                n += (size_t)snprintf(s + n, cap - n,
                                      "%s,%zu,%d,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%d\n",
                                      variants[v].name, w->dims[i], k + 1, o->lr, o->minq,
                                      o->reached ? o->n_target : NAN, o->rho_start,
                                      o->rho_end, o->bound, o->diverged);
            }
    int rc = sb_write_file(path, s, n, err);
    free(s);
    return rc;
}

/* ---- the plots (also `signbench plot sweep.json`) ---- */

/* The series of one plot, with the storage their arrays point into. */
typedef struct sweep_series {
    sb_plot_series s[2 * NVAR + 2];
    int n;
    double buf[2 * NVAR + 2][4][MAXD];
    char labels[2 * NVAR + 2][64];
} sweep_series;

/* Variant jv's points into its min-norm series (with its bound's) in nm and its
 * N-to-target series in ev. */
static int variant_series(const cJSON *jv, sweep_series *nm, sweep_series *ev, sb_err *err)
{
    const cJSON *name = cJSON_GetObjectItem(jv, "name"),
                *q = cJSON_GetObjectItem(jv, "quantity");
    const cJSON *pts = cJSON_GetObjectItem(jv, "points");
    if (!cJSON_IsString(name) || !cJSON_IsString(q) || !cJSON_IsArray(pts))
        return sb_fail(err, SB_EUSAGE, "plot: sweep variant without name/quantity/points");
    int ns = nm->n, ne = ev->n;
    double(*m)[MAXD] = nm->buf[ns], (*b)[MAXD] = nm->buf[ns + 1], (*e)[MAXD] = ev->buf[ne];
    size_t n = 0, nb = 0, nn = 0;
    const cJSON *p;
    cJSON_ArrayForEach(p, pts)
    {
        if (n >= MAXD)
            break;
        const cJSON *d = cJSON_GetObjectItem(p, "d"),
                    *mn = cJSON_GetObjectItem(p, "min_norm"),
                    *lo = cJSON_GetObjectItem(p, "min_norm_lo"),
                    *hi = cJSON_GetObjectItem(p, "min_norm_hi"),
                    *bd = cJSON_GetObjectItem(p, "bound"),
                    *nt = cJSON_GetObjectItem(p, "evals_to_target");
        if (!cJSON_IsNumber(d))
            return sb_fail(err, SB_EUSAGE, "plot: sweep point without 'd'");
        if (cJSON_IsNumber(mn)) {
            m[0][n] = d->valuedouble;
            m[1][n] = mn->valuedouble;
            m[2][n] = cJSON_IsNumber(lo) ? lo->valuedouble : mn->valuedouble;
            m[3][n] = cJSON_IsNumber(hi) ? hi->valuedouble : mn->valuedouble;
            n++;
        }
        if (cJSON_IsNumber(bd)) {
            b[0][nb] = d->valuedouble;
            b[1][nb++] = bd->valuedouble;
        }
        if (cJSON_IsNumber(nt)) {
            e[0][nn] = d->valuedouble;
            e[1][nn++] = nt->valuedouble;
        }
    }
    snprintf(nm->labels[ns], sizeof nm->labels[0], "%s: min %s (seeds min..max)",
             name->valuestring, q->valuestring);
    nm->s[ns] = (sb_plot_series){nm->labels[ns], n, m[0], m[1], m[2], m[3], SB_PLOT_BAND};
    nm->n++;
    if (nb) {
        snprintf(nm->labels[nm->n], sizeof nm->labels[0], "%s: theorem bound",
                 name->valuestring);
        nm->s[nm->n] =
            (sb_plot_series){nm->labels[nm->n], nb, b[0], b[1], NULL, NULL, SB_PLOT_DASHED};
        nm->n++;
    }
    snprintf(ev->labels[ne], sizeof ev->labels[0], "%s", name->valuestring);
    ev->s[ne] =
        (sb_plot_series){ev->labels[ne], nn, e[0], e[1], NULL, NULL, SB_PLOT_LINESPOINTS};
    ev->n++;
    return SB_OK;
}

int sb_sweep_plot_json(const cJSON *j, const char *base, sb_err *err)
{
    const cJSON *vars = cJSON_GetObjectItem(j, "variants");
    const cJSON *schema = cJSON_GetObjectItem(j, "schema");
    if (!cJSON_IsString(schema) || strcmp(schema->valuestring, "signbench-sweep") ||
        !cJSON_IsArray(vars))
        return sb_fail(err, SB_EUSAGE, "plot: not a sweep result (schema signbench-sweep)");
    sweep_series *nm = calloc(1, sizeof *nm), *ev = calloc(1, sizeof *ev);
    int rc = nm && ev ? SB_OK : sb_fail(err, SB_ERUNTIME, "plot: out of memory");
    const cJSON *v;
    cJSON_ArrayForEach(v, vars)
    {
        if (rc || nm->n + 2 > 2 * NVAR + 2 || ev->n >= NVAR)
            break;
        rc = variant_series(v, nm, ev, err);
    }
    if (!rc && !nm->n)
        rc = sb_fail(err, SB_EUSAGE, "plot: the sweep has no variants");
    const cJSON *prob = cJSON_GetObjectItem(j, "problem"),
                *evals = cJSON_GetObjectItem(j, "evals");
    const char *pname = cJSON_IsString(prob) ? prob->valuestring : "?";
    char title[160], path[1024];
    if (!rc) {
        snprintf(title, sizeof title, "%s: minimum gradient norm after %.0f gradient calls",
                 pname, cJSON_IsNumber(evals) ? evals->valuedouble : 0);
        sb_plot p = {
            title, "dimension d", "min ||g||_1^2 (signSGD), min ||g||_2^2 (SGD)", 1, 1, 0,
            0};
        snprintf(path, sizeof path, "%s_norms", base);
        rc = sb_plot_lines(path, &p, nm->s, nm->n, err);
    }
    int any = 0;
    for (int i = 0; !rc && i < ev->n; i++)
        any |= ev->s[i].n > 0;
    if (!rc && any) { /* else no run reached its target: nothing to draw */
        snprintf(title, sizeof title, "%s: gradient calls to reach the target", pname);
        sb_plot p2 = {title, "dimension d", "gradient calls N (median over seeds)", 1, 1, 0,
                      0};
        snprintf(path, sizeof path, "%s_evals", base);
        rc = sb_plot_lines(path, &p2, ev->s, ev->n, err);
    }
    free(nm);
    free(ev);
    return rc;
}
