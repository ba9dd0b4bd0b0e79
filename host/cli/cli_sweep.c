/* cli_sweep.c - `signbench sweep`: convergence scaling with the dimension d (the paper's
 * Section 5): signSGD and SGD over d and seeds via sb_train_run, log-log slope fits. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fit.h"
#include "plot.h"
#include "report.h"
#include "train.h"
#include "fs.h"
#include "json.h"
#include "parse.h"
#include "study.h"

static const char help[] =
    "usage: signbench sweep [--problem P] [--dims LIST|LO:HI:K] [--seeds S] [--evals N]\n"
    "                       [--sigma S] [--out DIR] [--json] [device options]\n\n"
    "Measures how convergence scales with the dimension d (the paper's Section 5). For\n"
    "each d and seed it runs three variants through the training library:\n"
    "  signsgd-theory  signSGD, lr_k = delta/sqrt(k+1), minibatch n_k = k+1 (Theorem 1)\n"
    "  signsgd-const   signSGD, constant step tuned per d over --tune-lrs (first seed)\n"
    "  sgd-theory      SGD, lr_k = delta/sqrt(k+1), n_k = 1 (Theorem 2)\n"
    "each for the same budget of stochastic gradient calls N. It records the minimum\n"
    "norm over the run (squared l1 norm of the full gradient for signSGD, squared l2\n"
    "norm for SGD, as the theorems bound them), the calls needed to reach a target of\n"
    "that quantity, and the density ratio ||g||_1^2 / (d ||g||_2^2) at the end (1 for an\n"
    "evenly spread gradient, 1/d for a single coordinate). It fits the log-log slope of\n"
    "the minimum norm and of N-to-target against d (95% t interval) and prints beside\n"
    "them what the bounds predict: squared l1 bound ~ d^2/sqrt(N) (slope 2; N-to-target\n"
    "slope 4), SGD's l2 bound ~ d/sqrt(N) (slope 1; N-to-target slope 2).\n"
    "The full-gradient norms are measured at every step, or at about 1000 evenly\n"
    "spaced steps of a longer run (train's automatic --log-every): N-to-target is then\n"
    "resolved to about 1/1000 of the run, and the minimum is over those steps.\n\n"
    "Options:\n"
    "  --problem P       quad (default), quad-rotated, logreg (synthetic), tube\n"
    "  --dims D          comma list (10,100,1000) or log range LO:HI:K with K points\n"
    "                    (default 10:1000:5)\n"
    "  --seeds S         seeds per point (default 3)\n"
    "  --evals N         gradient-call budget per run (default 20000)\n"
    "  --sigma S         additive Gaussian noise per coordinate (default 1)\n"
    "  --lr-theory D     delta of signsgd-theory (default 0.1)\n"
    "  --lr-sgd D        delta of sgd-theory; Theorem 2 needs delta L < 2: past it the\n"
    "                    runs go on, and the bound column and JSON say \"not applicable\"\n"
    "                    with delta L (default 0.5)\n"
    "  --tune-lrs LIST   constant steps tried for signsgd-const (default 0.001,0.01,0.1)\n"
    "  --target1 T       target of ||g||_1^2 for signSGD; --target2 T of ||g||_2^2 for\n"
    "                    SGD (default: half the value at the start of the smallest\n"
    "                    d, median over seeds; larger d start higher and must descend\n"
    "                    further)\n"
    "  --out DIR         write sweep.json, sweep.csv and the plots sweep_norms.{png,svg}\n"
    "                    and sweep_evals.{png,svg} (with .dat data) into DIR\n"
    "  --json            print the JSON (schema signbench-sweep) instead of the table\n"
    SB_COMMON_HELP;

enum { NVAR = 3, MAXD = 64, MAXSEED = 64, MAXLR = 8 };

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

typedef struct run_out {
    double minq, n_target, rho_end, rho_start, bound, lr;
    double dl; /* delta * L of sgd-theory (NaN when L is unknown or not that variant) */
    int reached, diverged;
} run_out;

typedef struct sweep {
    const char *problem;
    size_t dims[MAXD];
    int nd, seeds;
    uint64_t evals;
    double sigma, lr_theory, lr_sgd, tune[MAXLR], target[NVAR];
    int ntune, target_given[NVAR];
    run_out r[NVAR][MAXD][MAXSEED];
} sweep;

static int parse_dims(const char *s, sweep *w, sb_err *err)
{
    if (strchr(s, ':')) {
        double lo, hi;
        int k, used = 0;
        if (sscanf(s, "%lf:%lf:%d%n", &lo, &hi, &k, &used) != 3 || s[used] || !(lo >= 1) ||
            !(hi >= lo) || hi > 1e8 || k < 1 || k > MAXD)
            return sb_fail(err, SB_EUSAGE, "sweep: --dims '%s': expected LO:HI:K with 1 <= "
                           "LO <= HI <= 1e8 and 1 <= K <= %d", s, MAXD);
        w->nd = 0;
        for (int i = 0; i < k; i++) {
            double v = k == 1 ? lo : lo * pow(hi / lo, (double)i / (k - 1));
            size_t d = (size_t)llround(v);
            if (w->nd == 0 || d > w->dims[w->nd - 1])
                w->dims[w->nd++] = d;
        }
        return SB_OK;
    }
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", s);
    w->nd = 0;
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        size_t d;
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

static int parse_lrs(const char *s, sweep *w, sb_err *err)
{
    return sb_parse_double_list("sweep", "--tune-lrs", s, 1e-12, 1e6, w->tune, MAXLR, &w->ntune,
                                err);
}

static double q_of(const sb_train_point *p, int norm)
{
    return norm == 1 ? p->grad1 * p->grad1 : p->grad2 * p->grad2;
}

/* One training run and what the sweep keeps of it. */
static int one_run(sweep *w, int v, size_t d, int seed, double lr, sb_ctx *ctx, sb_ops *ops,
                   run_out *o, sb_train_result *keep, sb_err *err)
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
    cfg.ctx = ctx;
    cfg.ops = ops;
    sb_train_result r;
    memset(&r, 0, sizeof r);
    int st = sb_train_run(&cfg, &r, err);
    if (st != SB_OK) {
        sb_train_result_free(&r);
        return sb_wrap(err, "sweep: %s at d = %zu, seed %d", va->name, d, seed + 1);
    }
    memset(o, 0, sizeof *o);
    o->lr = lr;
    o->diverged = r.diverged;
    o->minq = INFINITY;
    o->n_target = NAN;
    o->bound = r.has_theory ? (va->norm == 1 ? r.theory_bound * r.theory_bound
                                             : r.theory_bound)
                            : NAN;
    /* Theorem 2 needs delta L < 2; past it there is no bound to print, and the table and
     * JSON say why instead of leaving a silent gap. */
    o->dl = va->norm == 2 && r.has_L ? lr * r.L : NAN;
    for (size_t i = 0; i < r.ntrace; i++) {
        double q = q_of(&r.trace[i], va->norm);
        if (q < o->minq)
            o->minq = q;
    }
    if (r.ntrace) {
        const sb_train_point *a = &r.trace[0], *b = &r.trace[r.ntrace - 1];
        o->rho_start = a->grad2 > 0 ? a->grad1 * a->grad1 / ((double)d * a->grad2 * a->grad2)
                                    : NAN;
        o->rho_end = b->grad2 > 0 ? b->grad1 * b->grad1 / ((double)d * b->grad2 * b->grad2)
                                  : NAN;
    }
    if (r.diverged || !isfinite(o->minq))
        o->minq = NAN;
    if (keep)
        *keep = r;
    else
        sb_train_result_free(&r);
    return SB_OK;
}

static void find_target(const run_out *o, const sb_train_result *r, int norm, double target,
                        run_out *out)
{
    (void)o;
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

static void add_fit(cJSON *o, const char *key, const sb_fit *f, int ok, double pred)
{
    cJSON *j = cJSON_AddObjectToObject(o, key);
    if (!j)
        return;
    if (ok) {
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
    } else {
        cJSON_AddNullToObject(j, "slope");
    }
    cJSON_AddNumberToObject(j, "predicted", pred);
}

static cJSON *to_json(const sweep *w, const char *device)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "schema", "signbench-sweep");
    cJSON_AddNumberToObject(root, "version", 1);
    cJSON_AddStringToObject(root, "problem", w->problem);
    cJSON_AddStringToObject(root, "device", device);
    cJSON_AddNumberToObject(root, "evals", (double)w->evals);
    cJSON_AddNumberToObject(root, "sigma", w->sigma);
    cJSON_AddNumberToObject(root, "seeds", w->seeds);
    cJSON *dims = cJSON_AddArrayToObject(root, "dims");
    for (int i = 0; i < w->nd; i++)
        cJSON_AddItemToArray(dims, cJSON_CreateNumber((double)w->dims[i]));
    cJSON *vars = cJSON_AddArrayToObject(root, "variants");
    for (int v = 0; v < NVAR; v++) {
        const variant *va = &variants[v];
        cJSON *jv = cJSON_CreateObject();
        cJSON_AddItemToArray(vars, jv);
        cJSON_AddStringToObject(jv, "name", va->name);
        cJSON_AddStringToObject(jv, "optimizer", va->optimizer);
        cJSON_AddStringToObject(jv, "schedule", sb_sched_name(va->sched));
        cJSON_AddStringToObject(jv, "quantity", va->norm == 1 ? "norm1^2" : "norm2^2");
        sb_json_num_or_null(jv, "target", w->target[v]);
        double xs[MAXD * MAXSEED], ys[MAXD * MAXSEED], xn[MAXD * MAXSEED], yn[MAXD * MAXSEED];
        int np = 0, nn = 0;
        cJSON *pts = cJSON_AddArrayToObject(jv, "points");
        for (int i = 0; i < w->nd; i++) {
            cJSON *p = cJSON_CreateObject();
            cJSON_AddItemToArray(pts, p);
            cJSON_AddNumberToObject(p, "d", (double)w->dims[i]);
            cJSON *runs = cJSON_AddArrayToObject(p, "runs");
            double mq[MAXSEED], nt[MAXSEED], rho[MAXSEED], rho0[MAXSEED], bd[MAXSEED];
            double dls[MAXSEED];
            double lo = INFINITY, hi = -INFINITY;
            int reached = 0;
            for (int s = 0; s < w->seeds; s++) {
                const run_out *o = &w->r[v][i][s];
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
                    xs[np] = (double)w->dims[i];
                    ys[np++] = o->minq;
                }
                if (o->reached) {
                    xn[nn] = (double)w->dims[i];
                    yn[nn++] = o->n_target;
                }
            }
            sb_json_num_or_null(p, "min_norm", med(mq, w->seeds));
            sb_json_num_or_null(p, "min_norm_lo", isfinite(lo) ? lo : NAN);
            sb_json_num_or_null(p, "min_norm_hi", isfinite(hi) ? hi : NAN);
            /* Median over seeds, censored runs as infinite: undefined if most missed. */
            sb_json_num_or_null(p, "evals_to_target",
                                2 * reached > w->seeds ? med(nt, w->seeds) : NAN);
            cJSON_AddNumberToObject(p, "reached", reached);
            sb_json_num_or_null(p, "density_start", med(rho0, w->seeds));
            sb_json_num_or_null(p, "density_end", med(rho, w->seeds));
            sb_json_num_or_null(p, "bound", med(bd, w->seeds));
            if (va->norm == 2) { /* Theorem 2's condition, with the delta L it was given */
                double dl = med(dls, w->seeds);
                sb_json_num_or_null(p, "delta_L", dl);
                if (isfinite(dl) && dl >= 2) {
                    cJSON_AddBoolToObject(p, "bound_applicable", 0);
                    char note[160];
                    snprintf(note, sizeof note, "Theorem 2 not applicable: delta*L = %.4g >= "
                             "2 (it needs delta*L < 2; lower --lr-sgd)", dl);
                    cJSON_AddStringToObject(p, "bound_note", note);
                } else {
                    cJSON_AddBoolToObject(p, "bound_applicable", isfinite(dl));
                }
            }
        }
        sb_fit f;
        sb_err e;
        int ok = sb_fit_loglog(xs, ys, (size_t)np, 0.95, &f, &e) == SB_OK;
        add_fit(jv, "fit_min_norm", &f, ok, va->pred_norm_slope);
        ok = sb_fit_loglog(xn, yn, (size_t)nn, 0.95, &f, &e) == SB_OK;
        add_fit(jv, "fit_evals_to_target", &f, ok, 2 * va->pred_norm_slope);
    }
    return root;
}

static void print_table(const cJSON *j)
{
    const cJSON *v;
    printf("sweep: %s, %d gradient calls per run, sigma %g, %d seed(s), device %s\n\n",
           cJSON_GetObjectItem(j, "problem")->valuestring,
           (int)cJSON_GetObjectItem(j, "evals")->valuedouble,
           cJSON_GetObjectItem(j, "sigma")->valuedouble,
           (int)cJSON_GetObjectItem(j, "seeds")->valuedouble,
           cJSON_GetObjectItem(j, "device")->valuestring);
    printf("%-15s %9s %12s %12s %7s %9s %9s %11s\n", "variant", "d", "min norm", "N to target",
           "reached", "density0", "density", "bound");
    int notes = 0;
    cJSON_ArrayForEach(v, cJSON_GetObjectItem(j, "variants"))
    {
        const cJSON *p;
        cJSON_ArrayForEach(p, cJSON_GetObjectItem(v, "points"))
        {
            const cJSON *mn = cJSON_GetObjectItem(p, "min_norm"),
                        *nt = cJSON_GetObjectItem(p, "evals_to_target"),
                        *r0 = cJSON_GetObjectItem(p, "density_start"),
                        *r1 = cJSON_GetObjectItem(p, "density_end"),
                        *bd = cJSON_GetObjectItem(p, "bound");
            char a[32] = "-", b[32] = "-", c[32] = "-", c0[32] = "-", e[32] = "-";
            if (cJSON_IsNumber(mn))
                snprintf(a, sizeof a, "%.4g", mn->valuedouble);
            if (cJSON_IsNumber(nt))
                snprintf(b, sizeof b, "%.0f", nt->valuedouble);
            if (cJSON_IsNumber(r0))
                snprintf(c0, sizeof c0, "%.3f", r0->valuedouble);
            if (cJSON_IsNumber(r1))
                snprintf(c, sizeof c, "%.3f", r1->valuedouble);
            const cJSON *na = cJSON_GetObjectItem(p, "bound_note"),
                        *dl = cJSON_GetObjectItem(p, "delta_L");
            if (cJSON_IsNumber(bd))
                snprintf(e, sizeof e, "%.4g", bd->valuedouble);
            else if (cJSON_IsString(na) && cJSON_IsNumber(dl)) {
                snprintf(e, sizeof e, "n/a dL=%.3g", dl->valuedouble);
                notes++;
            }
            printf("%-15s %9.0f %12s %12s %5d/%d %9s %9s %11s\n",
                   cJSON_GetObjectItem(v, "name")->valuestring,
                   cJSON_GetObjectItem(p, "d")->valuedouble, a, b,
                   (int)cJSON_GetObjectItem(p, "reached")->valuedouble,
                   (int)cJSON_GetObjectItem(j, "seeds")->valuedouble, c0, c, e);
        }
    }
    if (notes)
        printf("(bound n/a dL=X: Theorem 2 needs delta*L < 2 and this run's delta*L is X, so "
               "it has no bound; lower --lr-sgd)\n");
    printf("\nlog-log slopes against d (95%% t interval) and what the bounds predict:\n");
    printf("%-15s %-10s %-26s %-9s %-26s %s\n", "variant", "quantity", "min norm slope", "pred",
           "N-to-target slope", "pred");
    cJSON_ArrayForEach(v, cJSON_GetObjectItem(j, "variants"))
    {
        char s[2][64];
        const char *keys[2] = {"fit_min_norm", "fit_evals_to_target"};
        double pred[2] = {0, 0};
        for (int k = 0; k < 2; k++) {
            const cJSON *f = cJSON_GetObjectItem(v, keys[k]);
            const cJSON *sl = cJSON_GetObjectItem(f, "slope"), *lo = cJSON_GetObjectItem(f, "ci_lo"),
                        *hi = cJSON_GetObjectItem(f, "ci_hi");
            pred[k] = cJSON_GetObjectItem(f, "predicted")->valuedouble;
            if (!cJSON_IsNumber(sl))
                snprintf(s[k], sizeof s[k], "-");
            else if (cJSON_IsNumber(lo))
                snprintf(s[k], sizeof s[k], "%.2f [%.2f, %.2f]", sl->valuedouble,
                         lo->valuedouble, hi->valuedouble);
            else
                snprintf(s[k], sizeof s[k], "%.2f", sl->valuedouble);
        }
        printf("%-15s %-10s %-26s %-9.0f %-26s %.0f\n", cJSON_GetObjectItem(v, "name")->valuestring,
               cJSON_GetObjectItem(v, "quantity")->valuestring, s[0], pred[0], s[1], pred[1]);
    }
    printf("\ndensity = ||g||_1^2 / (d ||g||_2^2): near 1 the gradient is dense and the d^2\n"
           "l1 bound matches SGD's d l2 bound (the paper's Section 5); near 1/d it is sparse.\n");
}

int sb_sweep_plot_json(const cJSON *j, const char *base, sb_err *err)
{
    const cJSON *vars = cJSON_GetObjectItem(j, "variants");
    const cJSON *schema = cJSON_GetObjectItem(j, "schema");
    if (!cJSON_IsString(schema) || strcmp(schema->valuestring, "signbench-sweep") ||
        !cJSON_IsArray(vars))
        return sb_fail(err, SB_EUSAGE, "plot: not a sweep result (schema signbench-sweep)");
    sb_plot_series s[2 * NVAR + 2];
    int col[2 * NVAR + 2] = {0};
    double buf[2 * NVAR + 2][5][MAXD];
    int ns = 0, ne = 0;
    sb_plot_series se[NVAR];
    double ebuf[NVAR][2][MAXD];
    char labels[2 * NVAR + 2][64], elabels[NVAR][64];
    const cJSON *v;
    cJSON_ArrayForEach(v, vars)
    {
        if (ns + 2 > 2 * NVAR + 2 || ne >= NVAR)
            break;
        const cJSON *name = cJSON_GetObjectItem(v, "name"), *q = cJSON_GetObjectItem(v, "quantity");
        const cJSON *pts = cJSON_GetObjectItem(v, "points");
        if (!cJSON_IsString(name) || !cJSON_IsString(q) || !cJSON_IsArray(pts))
            return sb_fail(err, SB_EUSAGE, "plot: sweep variant without name/quantity/points");
        size_t n = 0, nb = 0, nn = 0;
        const cJSON *p;
        cJSON_ArrayForEach(p, pts)
        {
            if (n >= MAXD)
                break;
            const cJSON *d = cJSON_GetObjectItem(p, "d"), *m = cJSON_GetObjectItem(p, "min_norm"),
                        *lo = cJSON_GetObjectItem(p, "min_norm_lo"),
                        *hi = cJSON_GetObjectItem(p, "min_norm_hi"),
                        *bd = cJSON_GetObjectItem(p, "bound"),
                        *nt = cJSON_GetObjectItem(p, "evals_to_target");
            if (!cJSON_IsNumber(d))
                return sb_fail(err, SB_EUSAGE, "plot: sweep point without 'd'");
            if (cJSON_IsNumber(m)) {
                buf[ns][0][n] = d->valuedouble;
                buf[ns][1][n] = m->valuedouble;
                buf[ns][2][n] = cJSON_IsNumber(lo) ? lo->valuedouble : m->valuedouble;
                buf[ns][3][n] = cJSON_IsNumber(hi) ? hi->valuedouble : m->valuedouble;
                n++;
            }
            if (cJSON_IsNumber(bd)) {
                buf[ns + 1][0][nb] = d->valuedouble;
                buf[ns + 1][1][nb++] = bd->valuedouble;
            }
            if (cJSON_IsNumber(nt)) {
                ebuf[ne][0][nn] = d->valuedouble;
                ebuf[ne][1][nn++] = nt->valuedouble;
            }
        }
        snprintf(labels[ns], sizeof labels[0], "%s: min %s (seeds min..max)", name->valuestring,
                 q->valuestring);
        s[ns] = (sb_plot_series){labels[ns], n, buf[ns][0], buf[ns][1], buf[ns][2], buf[ns][3],
                                 SB_PLOT_BAND};
        col[ns] = ne + 1;
        ns++;
        if (nb) {
            snprintf(labels[ns], sizeof labels[0], "%s: theorem bound", name->valuestring);
            s[ns] = (sb_plot_series){labels[ns], nb, buf[ns][0], buf[ns][1], NULL, NULL,
                                     SB_PLOT_DASHED};
            col[ns] = ne + 1;
            ns++;
        }
        snprintf(elabels[ne], sizeof elabels[0], "%s", name->valuestring);
        se[ne] = (sb_plot_series){elabels[ne], nn, ebuf[ne][0], ebuf[ne][1], NULL, NULL,
                                  SB_PLOT_LINESPOINTS};
        ne++;
    }
    if (!ns)
        return sb_fail(err, SB_EUSAGE, "plot: the sweep has no variants");
    const cJSON *prob = cJSON_GetObjectItem(j, "problem");
    char title[160], path[1024];
    snprintf(title, sizeof title, "%s: minimum gradient norm after %.0f gradient calls",
             cJSON_IsString(prob) ? prob->valuestring : "?",
             cJSON_IsNumber(cJSON_GetObjectItem(j, "evals"))
                 ? cJSON_GetObjectItem(j, "evals")->valuedouble : 0);
    sb_plot p = {title, "dimension d", "min ||g||_1^2 (signSGD), min ||g||_2^2 (SGD)", 1, 1, 0,
                 0};
    snprintf(path, sizeof path, "%s_norms", base);
    int rc = sb_plot_lines_colored(path, &p, s, col, ns, err);
    if (rc)
        return rc;
    int any = 0;
    for (int i = 0; i < ne; i++)
        any |= se[i].n > 0;
    if (!any)
        return SB_OK; /* no run reached its target: nothing to draw */
    snprintf(title, sizeof title, "%s: gradient calls to reach the target",
             cJSON_IsString(prob) ? prob->valuestring : "?");
    sb_plot p2 = {title, "dimension d", "gradient calls N (median over seeds)", 1, 1, 0, 0};
    snprintf(path, sizeof path, "%s_evals", base);
    return sb_plot_lines(path, &p2, se, ne, err);
}

static int write_csv(const char *path, const void *data, sb_err *err)
{
    const sweep *w = data;
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
                const run_out *o = &w->r[v][i][k];
                if (cap - n < 512) {
                    cap *= 2;
                    char *t = realloc(s, cap);
                    if (!t) {
                        free(s);
                        return sb_fail(err, SB_ERUNTIME, "sweep: out of memory");
                    }
                    s = t;
                }
                n += (size_t)snprintf(s + n, cap - n, "%s,%zu,%d,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%d\n",
                                      variants[v].name, w->dims[i], k + 1, o->lr, o->minq,
                                      o->reached ? o->n_target : NAN, o->rho_start, o->rho_end,
                                      o->bound, o->diverged);
            }
    int rc = sb_write_file(path, s, n, err);
    free(s);
    return rc;
}

int sb_cmd_sweep(int argc, char **argv, sb_err *err)
{
    static const struct option longopts[] = {
        {"problem", required_argument, 0, 'p'},   {"dims", required_argument, 0, 'd'},
        {"seeds", required_argument, 0, 's'},     {"evals", required_argument, 0, 'n'},
        {"sigma", required_argument, 0, 'S'},     {"lr-theory", required_argument, 0, 'a'},
        {"lr-sgd", required_argument, 0, 'b'},    {"tune-lrs", required_argument, 0, 'l'},
        {"target1", required_argument, 0, '1'},   {"target2", required_argument, 0, '2'},
        {"out", required_argument, 0, 'o'},       {"json", no_argument, 0, 'j'},
        SB_COMMON_LONGOPTS,                       {0, 0, 0, 0}};
    sweep *w = calloc(1, sizeof *w);
    if (!w)
        return sb_fail(err, SB_ERUNTIME, "sweep: out of memory");
    sb_opts dev = {0};
    const char *out = NULL;
    int json = 0, c, rc = SB_OK;
    w->problem = "quad";
    w->seeds = 3;
    w->evals = 20000;
    w->sigma = 1;
    w->lr_theory = 0.1;
    w->lr_sgd = 0.5;
    w->tune[0] = 0.001, w->tune[1] = 0.01, w->tune[2] = 0.1, w->ntune = 3;
    if ((rc = parse_dims("10:1000:5", w, err)))
        goto done;
    optind = 1;
    opterr = 0;
    if ((rc = sb_cli_check_args("sweep", argc, argv, "o:", longopts, err)))
        goto done;
    while ((c = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
        long l;
        size_t z;
        if (sb_cli_common(c, optarg, &dev))
            continue;
        switch (c) {
        case SB_OPT_HELP:
            free(w);
            return sb_cli_help(help);
        case 'p':
            if (strcmp(optarg, "quad") && strcmp(optarg, "quad-rotated") &&
                strcmp(optarg, "logreg") && strcmp(optarg, "tube")) {
                rc = sb_fail(err, SB_EUSAGE, "sweep: --problem '%s': expected quad, "
                             "quad-rotated, logreg or tube", optarg);
                goto done;
            }
            w->problem = optarg;
            break;
        case 'd':
            rc = parse_dims(optarg, w, err);
            break;
        case 's':
            if (!(rc = sb_parse_long("--seeds", optarg, 1, MAXSEED, &l, err)))
                w->seeds = (int)l;
            break;
        case 'n':
            if (!(rc = sb_parse_size("--evals", optarg, &z, err)))
                w->evals = z;
            break;
        case 'S':
            rc = sb_parse_double("--sigma", optarg, 0, 1e6, &w->sigma, err);
            break;
        case 'a':
            rc = sb_parse_double("--lr-theory", optarg, 1e-12, 1e6, &w->lr_theory, err);
            break;
        case 'b':
            rc = sb_parse_double("--lr-sgd", optarg, 1e-12, 1e6, &w->lr_sgd, err);
            break;
        case 'l':
            rc = parse_lrs(optarg, w, err);
            break;
        case '1':
        case '2': {
            int v = c == '1' ? 0 : 2;
            if (!(rc = sb_parse_double(c == '1' ? "--target1" : "--target2", optarg, 1e-300,
                                       1e300, &w->target[v], err))) {
                w->target_given[v] = 1;
                if (c == '1') {
                    w->target[1] = w->target[0];
                    w->target_given[1] = 1;
                }
            }
            break;
        }
        case 'o':
            out = optarg;
            break;
        case 'j':
            json = 1;
            break;
        default:
            rc = sb_cli_bad_option("sweep", argc, argv, err);
        }
        if (rc) {
            if (rc == SB_EUSAGE && strncmp(err->msg, "sweep", 5))
                sb_wrap(err, "sweep");
            goto done;
        }
    }
    if (optind < argc) {
        rc = sb_fail(err, SB_EUSAGE, "sweep: unexpected argument '%s'", argv[optind]);
        goto done;
    }
    if (out && (rc = sb_mkdir_p(out, err)))
        goto done;

    sb_study_dev sd;
    if ((rc = sb_study_dev_open(&sd, &dev, err)))
        goto done;
    sb_progress bar;
    long total = (long)w->nd * NVAR * (w->seeds + w->ntune - 1), done_runs = 0;
    sb_progress_start(&bar, "sweep", total);
    for (int i = 0; i < w->nd && rc == SB_OK; i++) {
        size_t d = w->dims[i];
        for (int v = 0; v < NVAR && rc == SB_OK; v++) {
            sb_train_result res[MAXSEED];
            memset(res, 0, sizeof res);
            int nres = 0;
            double lr = v == 0 ? w->lr_theory : w->lr_sgd;
            if (v == 1) {
                /* Tune the constant step on the first seed: the smallest min norm wins. */
                double best = INFINITY;
                int bi = 0;
                for (int t = 0; t < w->ntune && rc == SB_OK; t++) {
                    run_out o;
                    sb_train_result r;
                    rc = one_run(w, v, d, 0, w->tune[t], &sd.ctx, &sd.ops, &o, &r, err);
                    if (rc)
                        break;
                    sb_progress_step(&bar, ++done_runs);
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
                    w->r[v][i][0] = (run_out){.minq = NAN, .n_target = NAN, .lr = w->tune[0],
                                              .diverged = 1, .rho_end = NAN, .rho_start = NAN,
                                              .bound = NAN};
                lr = w->tune[bi];
                nres = 1;
            }
            for (int s = nres; s < w->seeds && rc == SB_OK; s++) {
                rc = one_run(w, v, d, s, lr, &sd.ctx, &sd.ops, &w->r[v][i][s], &res[s], err);
                sb_progress_step(&bar, ++done_runs);
                nres = s + 1;
            }
            if (rc == SB_OK) {
                if (i == 0 && !w->target_given[v])
                    w->target[v] = auto_target(res, w->seeds, variants[v].norm);
                for (int s = 0; s < w->seeds; s++)
                    find_target(&w->r[v][i][s], &res[s], variants[v].norm,
                                isfinite(w->target[v]) ? w->target[v] : -1, &w->r[v][i][s]);
            }
            for (int s = 0; s < MAXSEED; s++)
                sb_train_result_free(&res[s]);
        }
    }
    sb_progress_end(&bar);
    sb_study_dev_close(&sd);
    if (rc)
        goto done;

    cJSON *j = to_json(w, sd.name);
    if (!j) {
        rc = sb_fail(err, SB_ERUNTIME, "sweep: out of memory");
        goto done;
    }
    sb_study_out files = {"sweep", "sweep_norms.png/.svg", print_table, write_csv, w,
                          sb_sweep_plot_json};
    rc = sb_study_output(j, json, out, &files, err);
    cJSON_Delete(j);
done:
    free(w);
    return rc;
}
