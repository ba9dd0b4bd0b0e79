/* tube_study.c - the engine of `signbench tube`: builds the batch of settings x trials, runs
 * it (tube_batch.c) and turns it into summary.json, the CSV files, traces, orbits, bench. */
#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"
#include "json.h"
#include "orbit.h"
#include "plot.h"
#include "progress.h"
#include "rotation.h"
#include "stats.h"
#include "tube_study.h"

typedef struct setting {
    int opt, sched;
    double lr, beta;
} setting;

void sb_tube_cfg_defaults(sb_tube_cfg *a)
{
    memset(a, 0, sizeof *a);
    a->d = 10;
    a->trials = 100;
    a->steps = 3000;
    a->traces = 2;
    a->rot_mode = SB_TB_ROT_RANDOM;
    a->nopt = SB_TB_NOPT;
    for (int i = 0; i < SB_TB_NOPT; i++)
        a->opts[i] = i;
    a->lr[0] = 0.05;
    a->nlr = 1;
    a->nsched = 1;
    a->mom[0] = 0.9;
    a->nmom = 1;
    a->seed = 1;
    a->pgd_r = 0.1;
    a->pgd_g = 0.1;
    a->pgd_t = 40;
    static const long sd[] = {2, 5, 10, 20, 50, 100};
    memcpy(a->study_d, sd, sizeof sd);
    a->nstudy_d = 6;
}

int sb_tube_cfg_check(const sb_tube_cfg *c, sb_err *err)
{
    if (!c->rot_file || c->rot_mode != SB_TB_ROT_FILE)
        return SB_OK;
    double *q = malloc(sizeof(double) * (size_t)(c->d * c->d));
    if (!q)
        return sb_fail(err, SB_ERUNTIME, "tube: out of memory");
    int st = sb_rotation_read(c->rot_file, (size_t)c->d, q, err);
    free(q);
    return st ? sb_wrap(err, "tube --rotations") : SB_OK;
}

void sb_tube_report_free(sb_tube_report *r)
{
    cJSON_Delete(r->json);
    memset(r, 0, sizeof *r);
}

/* ---- one batch: settings x trials ------------------------------------------------- */

static int make_settings(const sb_tube_cfg *a, setting *out, int max)
{
    int n = 0;
    for (int o = 0; o < a->nopt; o++)
        for (int s = 0; s < a->nsched; s++)
            for (int l = 0; l < a->nlr; l++) {
                int nm = a->opts[o] == SB_TB_SIGNUM ? a->nmom : 1;
                for (int m = 0; m < nm && n < max; m++)
                    out[n++] = (setting){a->opts[o], a->sched[s], a->lr[l],
                                         a->opts[o] == SB_TB_SIGNUM ? a->mom[m] : 0};
            }
    return n;
}

static const char *sched_name(int s)
{
    return s == SB_TB_INVSQRT ? "invsqrt" : "const";
}

static void setting_label(const setting *s, char *buf, size_t n)
{
    if (s->opt == SB_TB_SIGNUM)
        snprintf(buf, n, "%s %s lr %g beta %g", sb_tb_optim_name(s->opt),
                 sched_name(s->sched), s->lr, s->beta);
    else
        snprintf(buf, n, "%s %s lr %g", sb_tb_optim_name(s->opt), sched_name(s->sched),
                 s->lr);
}

/* Quantiles of a sample as {"n", "median", "q10", "q25", "q75", "q90"}; n alone when 0. */
static cJSON *quantiles(double *v, size_t n)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "n", (double)n);
    if (n == 0)
        return j;
    sb_tb_sort(v, n);
    cJSON_AddNumberToObject(j, "median", sb_quantile_sorted(v, n, 0.5));
    cJSON_AddNumberToObject(j, "q10", sb_quantile_sorted(v, n, 0.1));
    cJSON_AddNumberToObject(j, "q25", sb_quantile_sorted(v, n, 0.25));
    cJSON_AddNumberToObject(j, "q75", sb_quantile_sorted(v, n, 0.75));
    cJSON_AddNumberToObject(j, "q90", sb_quantile_sorted(v, n, 0.9));
    return j;
}

static cJSON *frac_ci(long k, long n)
{
    double lo, hi;
    sb_wilson(k, n, 1.96, &lo, &hi);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "count", (double)k);
    cJSON_AddNumberToObject(j, "fraction", n ? (double)k / (double)n : 0);
    cJSON_AddNumberToObject(j, "ci95_lo", lo);
    cJSON_AddNumberToObject(j, "ci95_hi", hi);
    return j;
}

/* An orbit around a saddle: every point of the cycle within SB_TB_SADDLE_RADIUS tau of
 * saddle orb_region - 1 (not merely in its region: a step too large for the tube cycles
 * far from any saddle), and not the period-2 flip around the minimum that every
 * constant-step signgd run ends in once it is there. The tube command always uses the
 * default tube parameters. */
static int saddle_orbit(const sb_tb_result *r, size_t d)
{
    sb_tube_params p = sb_tube_defaults();
    return sb_tb_saddle_orbit(r, d, &p);
}

static int other_orbit(const sb_tb_result *r, size_t d)
{
    sb_tube_params p = sb_tube_defaults();
    return sb_tb_other_orbit(r, d, &p);
}

/* Constant-step signgd's orbits among trials [first, first + trials): the saddle orbits
 * (which saddle traps it, its period) and the cycles that are not at a saddle. */
static void orbit_lists(cJSON *j, const sb_tb_out *o, size_t first, size_t trials)
{
    size_t d = o->d;
    cJSON *by = cJSON_AddArrayToObject(j, "saddle_orbits");
    for (size_t i = 0; i < trials; i++) {
        const sb_tb_result *r = &o->res[first + i];
        if (!saddle_orbit(r, d))
            continue;
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "trial", (double)i);
        cJSON_AddNumberToObject(e, "saddle", r->orb_region - 1);
        cJSON_AddNumberToObject(e, "period", (double)r->orb_period);
        cJSON_AddNumberToObject(e, "entered_at_step", (double)r->orb_entry);
        cJSON_AddNumberToObject(e, "max_distance", r->orb_dist);
        cJSON_AddItemToArray(by, e);
    }
    /* Cycles that are not at a saddle: where they are and how far from it. */
    cJSON *oth = cJSON_AddArrayToObject(j, "orbits_not_at_saddle");
    for (size_t i = 0; i < trials; i++) {
        const sb_tb_result *r = &o->res[first + i];
        if (!other_orbit(r, d))
            continue;
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "trial", (double)i);
        cJSON_AddNumberToObject(e, "region", r->orb_region);
        cJSON_AddNumberToObject(e, "period", (double)r->orb_period);
        sb_json_num_or_null(e, "max_distance_from_saddle", r->orb_dist);
        cJSON_AddNumberToObject(e, "final_f", r->f);
        cJSON_AddItemToArray(oth, e);
    }
}

/* Quantiles of the steps to the minimum, of the final gap and, per saddle, of the steps to
 * escape it, over trials [first, first + trials); v holds at least `trials` doubles. */
static void step_quantiles(cJSON *j, const sb_tb_out *o, size_t first, size_t trials,
                           double fstar, double *v)
{
    size_t d = o->d, n = 0;
    for (size_t i = 0; i < trials; i++)
        if (o->res[first + i].pass[d] >= 0)
            v[n++] = o->res[first + i].pass[d];
    cJSON_AddItemToObject(j, "steps_to_minimum", quantiles(v, n));
    n = 0;
    for (size_t i = 0; i < trials; i++) {
        double gap = o->res[first + i].f - fstar;
        if (isfinite(gap))
            v[n++] = gap;
    }
    cJSON_AddItemToObject(j, "final_gap", quantiles(v, n));
    /* Saddle s (s leading coordinates at 4 tau) sits in region s + 1; it is escaped when
     * the region reaches s + 2: steps to escape = pass[s + 1] - pass[s]. */
    cJSON *sad = cJSON_AddArrayToObject(j, "saddles");
    for (size_t s = 0; s < d; s++) {
        n = 0;
        long entered = 0;
        for (size_t i = 0; i < trials; i++) {
            const int *p = o->res[first + i].pass;
            entered += p[s] >= 0;
            if (p[s] >= 0 && p[s + 1] >= 0)
                v[n++] = p[s + 1] - p[s];
        }
        cJSON *js = cJSON_CreateObject();
        cJSON_AddNumberToObject(js, "saddle", (double)s);
        cJSON_AddNumberToObject(js, "reached", (double)entered);
        cJSON_AddNumberToObject(js, "escaped_fraction", entered ? (double)n / entered : 0);
        cJSON_AddItemToObject(js, "steps_to_escape", quantiles(v, n));
        cJSON_AddItemToArray(sad, js);
    }
}

/* Aggregate of one setting over its trials (trajectories t = s * trials + i). */
static cJSON *aggregate(const setting *st, const sb_tb_out *o, size_t first, size_t trials,
                        double fstar)
{
    size_t d = o->d;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "optimizer", sb_tb_optim_name(st->opt));
    cJSON_AddStringToObject(j, "schedule", sched_name(st->sched));
    cJSON_AddNumberToObject(j, "lr", st->lr);
    if (st->opt == SB_TB_SIGNUM)
        cJSON_AddNumberToObject(j, "momentum", st->beta);
    cJSON_AddNumberToObject(j, "trials", (double)trials);
    long reached = 0, orbit = 0, orbit_min = 0, orbit_other = 0, left = 0, div = 0,
         outside_any = 0;
    double outside_sum = 0;
    for (size_t i = 0; i < trials; i++) {
        const sb_tb_result *r = &o->res[first + i];
        reached += r->pass[d] >= 0;
        orbit += saddle_orbit(r, d);
        orbit_min += (r->flags & SB_TB_ORBIT) && r->orb_region > (int)d;
        orbit_other += other_orbit(r, d);
        left += (r->flags & SB_TB_LEFT) != 0;
        div += (r->flags & SB_TB_DIVERGED) != 0;
        outside_any += r->outside > 0;
        outside_sum += (double)r->outside;
    }
    cJSON_AddItemToObject(j, "reached_minimum", frac_ci(reached, (long)trials));
    if (st->opt == SB_TB_SIGNGD && st->sched == SB_TB_CONST) { /* a lattice method */
        cJSON_AddItemToObject(j, "saddle_orbit", frac_ci(orbit, (long)trials));
        cJSON_AddItemToObject(j, "minimum_orbit", frac_ci(orbit_min, (long)trials));
        cJSON_AddItemToObject(j, "orbit_not_at_saddle", frac_ci(orbit_other, (long)trials));
        orbit_lists(j, o, first, trials);
    } else {
        cJSON_AddNullToObject(j, "saddle_orbit"); /* not a lattice method: no exact test */
    }
    cJSON_AddItemToObject(j, "left_domain", frac_ci(left, (long)trials));
    cJSON_AddItemToObject(j, "outside_tube_set", frac_ci(outside_any, (long)trials));
    cJSON_AddNumberToObject(j, "mean_steps_outside",
                            trials ? outside_sum / (double)trials : 0);
    cJSON_AddItemToObject(j, "diverged", frac_ci(div, (long)trials));
    double *v = malloc(sizeof(double) * (trials ? trials : 1));
    if (!v) {
        cJSON_Delete(j);
        return NULL;
    }
    step_quantiles(j, o, first, trials, fstar, v);
    free(v);
    return j;
}

static int write_csv(const char *path, const sb_tb_out *o, const setting *set, int nset,
                     size_t trials, const sb_tube_cfg *a, double fstar, sb_err *err)
{
    size_t d = o->d;
    sb_tb_text buf = {0};
#define OUT(...) sb_tb_textf(&buf, __VA_ARGS__)
    OUT("trial,optimizer,schedule,lr,momentum,rotation,reached_minimum,steps_to_minimum");
    for (size_t s = 0; s < d; s++)
        OUT(",escape_saddle_%zu", s);
    OUT(",final_f,final_gap,final_gnorm,steps_outside,diverged,left_domain,stop_step,"
        "orbit,orbit_entry,orbit_period,orbit_region,orbit_detected,pgd_perturbations,"
        "orbit_class,orbit_max_distance\n");
    for (int si = 0; si < nset; si++)
        for (size_t i = 0; i < trials; i++) {
            const sb_tb_result *r = &o->res[(size_t)si * trials + i];
            char rot[64];
            if (a->rot_mode == SB_TB_ROT_RANDOM)
                snprintf(rot, sizeof rot, "haar:%llu", (unsigned long long)(a->seed + i));
            else
                snprintf(rot, sizeof rot, "%s",
                         a->rot_mode == SB_TB_ROT_FILE ? "file" : "none");
            OUT("%zu,%s,%s,%g,%g,%s,%d,%d", i, sb_tb_optim_name(set[si].opt),
                sched_name(set[si].sched), set[si].lr, set[si].beta, rot, r->pass[d] >= 0,
                r->pass[d]);
            for (size_t s = 0; s < d; s++)
                OUT(",%d", r->pass[s + 1]);
            const char *cls = !(r->flags & SB_TB_ORBIT) ? "none"
                              : saddle_orbit(r, d)      ? "saddle"
                              : r->orb_region > (int)d  ? "minimum"
                                                        : "not_at_saddle";
            OUT(",%.9g,%.9g,%.6g,%ld,%d,%d,%ld,%d,%ld,%ld,%d,%ld,%ld,%s,%.6g\n", r->f,
                r->f - fstar, r->gnorm, r->outside, (r->flags & SB_TB_DIVERGED) != 0,
                (r->flags & SB_TB_LEFT) != 0, r->stop, (r->flags & SB_TB_ORBIT) != 0,
                r->orb_entry, r->orb_period, r->orb_region, r->orb_det, r->npert, cls,
                r->orb_dist);
        }
#undef OUT
    int st = buf.oom ? sb_fail(err, SB_ERUNTIME, "tube: out of memory for the CSV")
                     : sb_write_file(path, buf.p, buf.len, err);
    free(buf.p);
    return st;
}

/* traces.csv (step, then one column per traced trajectory) and traces.png/.svg. */
static int write_traces(const char *dir, const sb_tb_out *o, const sb_tb_setup *s,
                        char (*labels)[128], int ntr, double fstar, sb_err *err)
{
    if (ntr <= 0)
        return SB_OK;
    size_t K = s->trace_len;
    sb_tb_text buf = {0};
    double *x = malloc(sizeof(double) * K), *y = malloc(sizeof(double) * K * (size_t)ntr);
    sb_plot_series *ser = calloc((size_t)ntr, sizeof *ser);
    if (!x || !y || !ser) {
        free(x);
        free(y);
        free(ser);
        return sb_fail(err, SB_ERUNTIME, "tube: out of memory for the traces");
    }
    sb_tb_textf(&buf, "step");
    for (int r = 0; r < ntr; r++)
        sb_tb_textf(&buf, ",%s", labels[r]);
    sb_tb_textf(&buf, "\n");
    for (size_t k = 0; k < K; k++) {
        x[k] = (double)k;
        sb_tb_textf(&buf, "%zu", k);
        for (int r = 0; r < ntr; r++) {
            double f = o->trace[(size_t)r * K + k];
            /* f - f* + 1 on a log axis: the saddles show as plateaus at k nu + 1. */
            y[(size_t)r * K + k] = f - fstar + 1;
            sb_tb_textf(&buf, ",%.9g", f);
        }
        sb_tb_textf(&buf, "\n");
    }
    char path[1200];
    snprintf(path, sizeof path, "%s/traces.csv", dir);
    int st = buf.oom ? sb_fail(err, SB_ERUNTIME, "tube: out of memory for the traces")
                     : sb_write_file(path, buf.p, buf.len, err);
    for (int r = 0; r < ntr; r++)
        ser[r] =
            (sb_plot_series){labels[r], K, x, y + (size_t)r * K, NULL, NULL, SB_PLOT_LINES};
    if (st == SB_OK && sb_plot_available()) {
        snprintf(path, sizeof path, "%s/traces", dir);
        sb_plot p = {"tube function: f - f* + 1 against iteration",
                     "iteration",
                     "f - f* + 1",
                     0,
                     1,
                     0,
                     0};
        st = sb_plot_lines_pens(path, &p, ser, NULL, ntr, err);
    }
    free(buf.p);
    free(x);
    free(y);
    free(ser);
    return st;
}

/* The run folder: --out, else results/runs/<UTC>-<device slug>, as every command names it. */
static int out_dir(const sb_tube_cfg *a, const sb_ctx *ctx, char *dir, size_t n,
                   sb_err *err)
{
    if (a->out)
        snprintf(dir, n, "%s", a->out);
    else
        sb_default_run_dir(ctx->dev.name, dir, n);
    return sb_mkdir_p(dir, err);
}

static cJSON *settings_json(const sb_tube_cfg *a, const sb_ctx *ctx, const sb_tb_setup *s)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "d", (double)s->d);
    cJSON_AddNumberToObject(j, "steps", (double)s->K);
    cJSON_AddStringToObject(j, "precision", s->f64 ? "f64" : "f32");
    cJSON_AddStringToObject(j, "rotations",
                            a->rot_mode == SB_TB_ROT_NONE     ? "none"
                            : a->rot_mode == SB_TB_ROT_RANDOM ? "random"
                                                              : a->rot_file);
    cJSON_AddStringToObject(j, "tube_domain", s->strict ? "strict" : "continuation");
    cJSON_AddNumberToObject(j, "seed", (double)a->seed);
    cJSON_AddNumberToObject(j, "L", s->tube.L);
    cJSON_AddNumberToObject(j, "gamma", s->tube.gamma);
    cJSON_AddNumberToObject(j, "tau", s->tube.tau);
    cJSON_AddNumberToObject(j, "fstar", -(double)s->d * sb_tube_nu(&s->tube));
    char note[512];
    double Lc = sb_tb_smoothness_note(&s->tube, note, sizeof note);
    cJSON *sm = cJSON_AddObjectToObject(j, "smoothness");
    cJSON_AddNumberToObject(sm, "L_tube_set", Lc);
    cJSON_AddBoolToObject(sm, "global", 0);
    cJSON_AddStringToObject(sm, "note", note);
    cJSON_AddNumberToObject(j, "pgd_r", s->pgd_r);
    cJSON_AddNumberToObject(j, "pgd_gthres", s->pgd_gthres);
    cJSON_AddNumberToObject(j, "pgd_tthres", s->pgd_tthres);
    cJSON_AddStringToObject(j, "device", ctx->dev.name);
    cJSON_AddStringToObject(j, "driver", ctx->driver);
    return j;
}

/* Fill the setup of `trials` trials x `nset` settings (trajectory = setting * trials +
 * trial); the first `ntrace` trials of each setting are traced. */
static int build_batch(sb_tb_setup *s, const setting *set, int nset, size_t trials,
                       const double *Qs, size_t nrot, const double *x0s, int rot_mode,
                       int ntrace_trials, sb_tb_traj **trp, double **x0p, sb_err *err)
{
    size_t d = s->d, B = (size_t)nset * trials;
    if ((double)B * (double)(d + 1) * 40.0 > 8e9)
        return sb_fail(err, SB_EUSAGE,
                       "tube: %zu trajectories of dimension %zu need more "
                       "than 8 GB; use fewer --trials or settings",
                       B, d);
    sb_tb_traj *tr = malloc(sizeof *tr * B);
    double *x0 = malloc(sizeof(double) * B * d);
    if (!tr || !x0) {
        free(tr);
        free(x0);
        return sb_fail(err, SB_ERUNTIME, "tube: out of memory for %zu trajectories", B);
    }
    int row = 0;
    for (int si = 0; si < nset; si++)
        for (size_t i = 0; i < trials; i++) {
            size_t t = (size_t)si * trials + i;
            int traced = (long)i < ntrace_trials;
            tr[t] = (sb_tb_traj){set[si].opt,
                                 set[si].sched,
                                 rot_mode == SB_TB_ROT_NONE   ? -1
                                 : rot_mode == SB_TB_ROT_FILE ? 0
                                                              : (int)i,
                                 traced ? row++ : -1,
                                 set[si].lr,
                                 set[si].beta};
            memcpy(x0 + t * d, x0s + i * d, sizeof(double) * d);
        }
    s->B = B;
    s->Q = Qs;
    s->nrot = nrot;
    s->traj = tr;
    s->x0 = x0;
    s->ntrace = row;
    *trp = tr;
    *x0p = x0;
    return SB_OK;
}

/* What every mode's setup starts from: the defaults, d, the step count, the precision. */
static void base_setup(const sb_tube_cfg *a, size_t d, sb_tb_setup *s)
{
    sb_tb_setup_defaults(s);
    s->d = d;
    s->K = a->steps;
    s->f64 = a->f64;
}

/* ---- the batch ------------------------------------------------------------------- */

/* One run of the batch: its settings and trials, the setup made of them, what came back. */
typedef struct batch {
    setting set[SB_TB_NOPT * 2 * 16 * 8];
    int nset;
    size_t trials;
    double *Qs, *x0s, *x0;
    size_t nrot;
    sb_tb_traj *tr;
    sb_tb_setup s;
    sb_tb_out out;
} batch;

static void batch_free(batch *b)
{
    sb_tb_out_free(&b->out);
    free(b->Qs);
    free(b->x0s);
    free(b->x0);
    free(b->tr);
}

/* Settings, trials and the checked setup of the batch (nothing run yet). */
static int batch_prepare(const sb_tube_cfg *a, batch *b, sb_err *err)
{
    b->nset = make_settings(a, b->set, (int)(sizeof b->set / sizeof b->set[0]));
    size_t d = (size_t)a->d;
    b->trials = (size_t)a->trials;
    int st = sb_tb_make_trials(d, b->trials, a->rot_mode, a->rot_file, a->seed, &b->Qs,
                               &b->nrot, &b->x0s, err);
    if (st)
        return st;
    sb_tb_setup *s = &b->s;
    base_setup(a, d, s);
    s->strict = a->strict;
    s->seed = a->seed;
    s->pgd_r = a->pgd_r;
    s->pgd_gthres = a->pgd_g;
    s->pgd_tthres = (int)a->pgd_t;
    s->trace_len = a->traces > 0 ? (size_t)a->steps + 1 : 0;
    long ntt = a->traces < (long)b->trials ? a->traces : (long)b->trials;
    if ((st = build_batch(s, b->set, b->nset, b->trials, b->Qs, b->nrot, b->x0s,
                          a->rot_mode, (int)ntt, &b->tr, &b->x0, err)))
        return st;
    return sb_tb_check(s, err);
}

/* summary.json: the settings, the throughput and one aggregate per setting. */
static cJSON *summary_json(const sb_tube_cfg *a, const sb_ctx *ctx, const batch *b,
                           double fstar)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "schema", "signbench-tube-1");
    cJSON_AddItemToObject(root, "settings", settings_json(a, ctx, &b->s));
    cJSON_AddNumberToObject(root, "trajectories", (double)b->s.B);
    cJSON_AddNumberToObject(root, "seconds", b->out.seconds);
    cJSON_AddNumberToObject(root, "trajectory_steps_per_second",
                            (double)b->s.B * (double)(b->s.K + 1) / b->out.seconds);
    cJSON *res = cJSON_AddArrayToObject(root, "results");
    for (int si = 0; si < b->nset; si++) {
        cJSON *agg =
            aggregate(&b->set[si], &b->out, (size_t)si * b->trials, b->trials, fstar);
        if (!agg) {
            cJSON_Delete(root);
            return NULL;
        }
        cJSON_AddItemToArray(res, agg);
    }
    return root;
}

/* traces.csv and its plot, one labelled column per traced trajectory. */
static int batch_traces(const char *dir, const batch *b, double fstar, sb_err *err)
{
    if (b->s.ntrace <= 0)
        return SB_OK;
    char(*labels)[128] = calloc((size_t)b->s.ntrace, sizeof *labels);
    if (!labels)
        return sb_fail(err, SB_ERUNTIME, "tube: out of memory");
    for (size_t t = 0; t < b->s.B; t++)
        if (b->tr[t].trace >= 0) {
            char l[80];
            setting_label(&b->set[t / b->trials], l, sizeof l);
            snprintf(labels[b->tr[t].trace], 128, "%s trial %zu", l, t % b->trials);
        }
    int st = write_traces(dir, &b->out, &b->s, labels, b->s.ntrace, fstar, err);
    free(labels);
    return st;
}

int sb_tube_main(const sb_tube_cfg *a, sb_ctx *ctx, sb_tube_report *r, sb_err *err)
{
    memset(r, 0, sizeof *r);
    batch *b = calloc(1, sizeof *b);
    if (!b)
        return sb_fail(err, SB_ERUNTIME, "tube: out of memory");
    sb_tb_engine eng = {0};
    cJSON *root = NULL;
    int st = batch_prepare(a, b, err);
    if (st || (st = out_dir(a, ctx, r->dir, sizeof r->dir, err)) ||
        (st = sb_tb_engine_open(&eng, ctx, b->s.d, a->f64, err)))
        goto done;
    sb_progress bar;
    sb_progress_start(&bar, "tube", a->steps + 1);
    st = sb_tb_run(&eng, &b->s, 0, &bar, &b->out, err);
    sb_progress_end(&bar);
    if (st)
        goto done;
    double fstar = -(double)b->s.d * sb_tube_nu(&b->s.tube);
    if (!(root = summary_json(a, ctx, b, fstar))) {
        st = sb_fail(err, SB_ERUNTIME, "tube: out of memory");
        goto done;
    }
    char path[1200];
    snprintf(path, sizeof path, "%s/trajectories.csv", r->dir);
    if ((st = write_csv(path, &b->out, b->set, b->nset, b->trials, a, fstar, err)))
        goto done;
    snprintf(path, sizeof path, "%s/summary.json", r->dir);
    if ((st = sb_json_save(path, root, err)) || (st = batch_traces(r->dir, b, fstar, err)))
        goto done;
    r->json = root;
    r->ntrace = b->s.ntrace;
    root = NULL;
done:
    cJSON_Delete(root);
    sb_tb_engine_close(&eng);
    batch_free(b);
    free(b);
    return st;
}

void sb_tube_row_label(const cJSON *row, char *buf, size_t n)
{
    const char *opt = cJSON_GetStringValue(cJSON_GetObjectItem(row, "optimizer"));
    const char *sched = cJSON_GetStringValue(cJSON_GetObjectItem(row, "schedule"));
    setting s = {opt ? sb_tb_optim_parse(opt) : -1,
                 sched && !strcmp(sched, "invsqrt") ? SB_TB_INVSQRT : SB_TB_CONST,
                 cJSON_GetNumberValue(cJSON_GetObjectItem(row, "lr")),
                 cJSON_GetNumberValue(cJSON_GetObjectItem(row, "momentum"))};
    setting_label(&s, buf, n);
}

/* ---- --bench --------------------------------------------------------------------- */

/* A short run of the same shape (same batch, same launch size). */
static int warm(sb_tb_engine *e, const sb_tb_setup *s, long per_launch, sb_err *err)
{
    sb_tb_setup w = *s;
    sb_tb_out o;
    w.K = 20;
    int st = sb_tb_run(e, &w, per_launch, NULL, &o, err);
    sb_tb_out_free(&o);
    return st;
}

/* The bench's document from its three timed runs (batched, one trajectory with many steps
 * per launch, one trajectory with a launch per step). */
static cJSON *bench_json(const sb_tube_cfg *a, const sb_ctx *ctx, const sb_tb_setup *s,
                         const sb_tb_out *o1, double batched, double single,
                         double stepwise)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "schema", "signbench-tube-bench-1");
    cJSON_AddStringToObject(j, "device", ctx->dev.name);
    cJSON_AddNumberToObject(j, "d", (double)s->d);
    cJSON_AddStringToObject(j, "optimizer", sb_tb_optim_name(s->traj[0].opt));
    cJSON_AddStringToObject(j, "precision", a->f64 ? "f64" : "f32");
    cJSON_AddNumberToObject(j, "batch", (double)s->B);
    cJSON_AddNumberToObject(j, "steps", (double)s->K);
    cJSON_AddNumberToObject(j, "batched_steps_per_s", batched);
    cJSON_AddNumberToObject(j, "batched_launches", (double)o1->launches);
    cJSON_AddNumberToObject(j, "single_many_steps_per_launch_steps_per_s", single);
    cJSON_AddNumberToObject(j, "single_launch_per_step_steps_per_s", stepwise);
    cJSON_AddNumberToObject(j, "speedup_vs_launch_per_step", batched / stepwise);
    cJSON_AddNumberToObject(j, "speedup_vs_single_many_steps", batched / single);
    return j;
}

int sb_tube_bench(const sb_tube_cfg *a, sb_ctx *ctx, sb_tube_report *r, sb_err *err)
{
    memset(r, 0, sizeof *r);
    size_t d = (size_t)a->d, trials = a->trials_set ? (size_t)a->trials : 1024;
    double *Qs = NULL, *x0s = NULL;
    size_t nrot;
    int st = sb_tb_make_trials(d, trials, SB_TB_ROT_RANDOM, NULL, a->seed, &Qs, &nrot, &x0s,
                               err);
    if (st)
        return st;
    sb_tb_traj *tr = malloc(sizeof *tr * trials);
    sb_tb_engine eng = {0};
    sb_tb_out o1 = {0}, o2 = {0}, o3 = {0};
    if (!tr) {
        st = sb_fail(err, SB_ERUNTIME, "tube: out of memory");
        goto done;
    }
    /* GD: it never stops early, so every trajectory does all its steps. */
    int opt = a->opts[0];
    for (size_t i = 0; i < trials; i++)
        tr[i] = (sb_tb_traj){opt, a->sched[0], (int)i, -1, a->lr[0], a->mom[0]};
    sb_tb_setup s;
    base_setup(a, d, &s);
    s.Q = Qs;
    s.nrot = nrot;
    s.x0 = x0s;
    s.traj = tr;
    s.B = trials;
    s.seed = a->seed;
    if ((st = sb_tb_engine_open(&eng, ctx, d, a->f64, err)))
        goto done;
    /* Each shape is run once briefly first: PoCL compiles a kernel for each new launch
     * size on its first launch, which is not what we measure. */
    if ((st = warm(&eng, &s, 0, err)) || (st = sb_tb_run(&eng, &s, 0, NULL, &o1, err)))
        goto done;
    double batched = (double)trials * (double)(s.K + 1) / o1.seconds;
    /* One trajectory, all steps in one launch. */
    /* The same amount of work as the batch (capped), so that both runs last long
     * enough to share a busy machine alike. */
    sb_tb_setup one = s;
    one.B = 1;
    double work = (double)trials * (double)s.K;
    one.K = work > 2e6 ? 2000000 : (long)work;
    if ((st = warm(&eng, &one, 0, err)) || (st = sb_tb_run(&eng, &one, 0, NULL, &o2, err)))
        goto done;
    double single = (double)(one.K + 1) / o2.seconds;
    /* One trajectory, one launch per step, waiting for each (a step-by-step pipeline). */
    one.K = a->steps < 2000 ? a->steps : 2000;
    one.sync_each = 1;
    if ((st = warm(&eng, &one, 1, err)) || (st = sb_tb_run(&eng, &one, 1, NULL, &o3, err)))
        goto done;
    double stepwise = (double)(one.K + 1) / o3.seconds;
    cJSON *j = bench_json(a, ctx, &s, &o1, batched, single, stepwise);
    if (!j) {
        st = sb_fail(err, SB_ERUNTIME, "tube: out of memory");
        goto done;
    }
    if (a->out) {
        char path[1200];
        if ((st = out_dir(a, ctx, r->dir, sizeof r->dir, err)) == SB_OK) {
            snprintf(path, sizeof path, "%s/bench.json", r->dir);
            st = sb_json_save(path, j, err);
        }
    }
    if (st == SB_OK)
        r->json = j;
    else
        cJSON_Delete(j);
done:
    sb_tb_out_free(&o1);
    sb_tb_out_free(&o2);
    sb_tb_out_free(&o3);
    sb_tb_engine_close(&eng);
    free(tr);
    free(Qs);
    free(x0s);
    return st;
}

/* ---- --study orbits ----------------------------------------------------------------- */

enum { V_CONST, V_INVSQRT, V_SIGNUM, NV };
static const char *const variant_names[NV] = {"signgd const", "signgd invsqrt",
                                              "signum const"};

/* Trapped at a saddle: an exact orbit there, or never at the minimum and no new region
 * reached during the second half of the run. */
static int trapped(const sb_tb_result *r, size_t d, long K)
{
    if (saddle_orbit(r, d))
        return 1;
    return r->pass[d] < 0 && r->maxreg >= 1 && 2L * r->pass[r->maxreg - 1] <= K;
}

/* The study's counts per dimension, variant and step size: saddle orbits, trapped at a
 * saddle, never reached the minimum; and the device seconds per dimension. */
typedef struct orbit_counts {
    int nd, nlr;
    size_t trials;
    double lrs[16];
    double inv_scale; /* invsqrt's base step over the constant one (same path length) */
    long *orb, *trap, *stuck;
    double *secs;
} orbit_counts;

static size_t cidx(const orbit_counts *c, int di, int v, int l)
{
    return ((size_t)di * NV + (size_t)v) * (size_t)c->nlr + (size_t)l;
}

static double variant_lr(const orbit_counts *c, int v, int l)
{
    return v == V_INVSQRT ? c->lrs[l] * c->inv_scale : c->lrs[l];
}

static void counts_free(orbit_counts *c)
{
    free(c->orb);
    free(c->trap);
    free(c->stuck);
    free(c->secs);
}

static int counts_init(const sb_tube_cfg *a, orbit_counts *c, sb_err *err)
{
    memset(c, 0, sizeof *c);
    c->trials = a->trials_set ? (size_t)a->trials : 1000;
    c->nlr = a->lr_set ? a->nlr : 3;
    if (a->lr_set)
        memcpy(c->lrs, a->lr, sizeof(double) * (size_t)c->nlr);
    else {
        c->lrs[0] = 0.02;
        c->lrs[1] = 0.05;
        c->lrs[2] = 0.1;
    }
    c->nd = a->nstudy_d;
    size_t n = (size_t)c->nd * NV * (size_t)c->nlr;
    c->orb = calloc(n, sizeof(long));
    c->trap = calloc(n, sizeof(long));
    c->stuck = calloc(n, sizeof(long));
    c->secs = calloc((size_t)c->nd, sizeof(double));
    /* invsqrt with the same path length as the constant step over K steps:
     * sum_k lr' / sqrt(k + 1) = K lr. Otherwise lr / sqrt(k + 1) cannot even cover the
     * distance to the minimum (2 lr sqrt(K) < 4 tau for lr <= 0.1, K = 3000). */
    double hk = 0;
    for (long k = 1; k <= a->steps; k++)
        hk += 1 / sqrt((double)k);
    c->inv_scale = (double)a->steps / hk;
    if (!c->orb || !c->trap || !c->stuck || !c->secs) {
        counts_free(c);
        return sb_fail(err, SB_ERUNTIME, "tube: out of memory");
    }
    return SB_OK;
}

/* Every variant and step size on the trials of dimension study_d[di]: one batch. */
static int study_one_d(const sb_tube_cfg *a, sb_ctx *ctx, orbit_counts *c, int di,
                       sb_err *err)
{
    size_t d = (size_t)a->study_d[di], trials = c->trials;
    double *Qs = NULL, *x0s = NULL, *x0 = NULL;
    size_t nrot;
    sb_tb_traj *tr = NULL;
    sb_tb_engine eng = {0};
    sb_tb_out out = {0};
    setting set[NV * 16];
    int nset = 0, nlr = c->nlr;
    for (int v = 0; v < NV; v++)
        for (int l = 0; l < nlr; l++)
            set[nset++] = (setting){v == V_SIGNUM ? SB_TB_SIGNUM : SB_TB_SIGNGD,
                                    v == V_INVSQRT ? SB_TB_INVSQRT : SB_TB_CONST,
                                    variant_lr(c, v, l), a->mom[0]};
    int st = sb_tb_make_trials(d, trials, SB_TB_ROT_RANDOM, NULL, a->seed, &Qs, &nrot, &x0s,
                               err);
    sb_tb_setup s;
    base_setup(a, d, &s);
    s.seed = a->seed;
    s.stop_at_orbit = 1; /* an orbit repeats forever: nothing more to learn */
    s.stop_at_basin = 1; /* reaching the minimum's basin settles "not stuck" */
    if (st == SB_OK)
        st = build_batch(&s, set, nset, trials, Qs, nrot, x0s, SB_TB_ROT_RANDOM, 0, &tr,
                         &x0, err);
    if (st == SB_OK)
        st = sb_tb_engine_open(&eng, ctx, d, a->f64, err);
    if (st == SB_OK)
        st = sb_tb_run(&eng, &s, 0, NULL, &out, err);
    if (st == SB_OK) {
        c->secs[di] = out.seconds;
        for (int si = 0; si < nset; si++)
            for (size_t i = 0; i < trials; i++) {
                const sb_tb_result *r = &out.res[(size_t)si * trials + i];
                size_t k = cidx(c, di, si / nlr, si % nlr);
                c->orb[k] += saddle_orbit(r, d);
                c->stuck[k] += r->pass[d] < 0;
                c->trap[k] += trapped(r, d, a->steps);
            }
    }
    sb_tb_out_free(&out);
    sb_tb_engine_close(&eng);
    free(Qs);
    free(x0s);
    free(x0);
    free(tr);
    return st;
}

/* orbits.json's head: what was run and what the probabilities mean. */
static cJSON *study_head(const sb_tube_cfg *a, const sb_ctx *ctx, const orbit_counts *c)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "schema", "signbench-tube-orbits-1");
    cJSON_AddStringToObject(root, "device", ctx->dev.name);
    cJSON_AddNumberToObject(root, "trials", (double)c->trials);
    cJSON_AddNumberToObject(root, "steps", (double)a->steps);
    cJSON_AddNumberToObject(root, "momentum", a->mom[0]);
    cJSON_AddStringToObject(root, "precision", a->f64 ? "f64" : "f32");
    cJSON_AddStringToObject(
        root, "definition",
        "saddle_orbit: exact periodic orbit (repeated lattice vector) in "
        "a region <= d with every point within tau of that region's "
        "saddle (unrotated coordinates); only constant-step signgd "
        "lives on a lattice. trapped_at_saddle: a saddle orbit, or never "
        "at the minimum and no new region reached in the second half of "
        "the steps. never_reached_minimum: did not enter the basin of the "
        "minimum within the steps. signgd invsqrt runs lr_effective = lr "
        "K / sum_k 1/sqrt(k), the constant step's path length");
    cJSON_AddNumberToObject(root, "invsqrt_lr_scale", c->inv_scale);
    return root;
}

/* One row per dimension, variant and step size, into orbits.json's rows and orbits.csv. */
static void study_rows(const sb_tube_cfg *a, const orbit_counts *c, cJSON *rows,
                       sb_tb_text *csv)
{
    long n = (long)c->trials;
    sb_tb_textf(csv, "d,variant,lr,lr_effective,trials,saddle_orbits,p_orbit,orbit_lo,"
                     "orbit_hi,trapped,p_trapped,trapped_lo,trapped_hi,never_reached,"
                     "p_no_minimum,no_minimum_lo,no_minimum_hi,seconds\n");
    for (int di = 0; di < c->nd; di++)
        for (int v = 0; v < NV; v++)
            for (int l = 0; l < c->nlr; l++) {
                size_t k = cidx(c, di, v, l);
                long ko = c->orb[k], ks = c->stuck[k], kt = c->trap[k];
                double olo, ohi, slo, shi, tlo, thi;
                sb_wilson(ko, n, 1.96, &olo, &ohi);
                sb_wilson(ks, n, 1.96, &slo, &shi);
                sb_wilson(kt, n, 1.96, &tlo, &thi);
                double lre = variant_lr(c, v, l);
                cJSON *r = cJSON_CreateObject();
                cJSON_AddNumberToObject(r, "d", (double)a->study_d[di]);
                cJSON_AddStringToObject(r, "variant", variant_names[v]);
                cJSON_AddNumberToObject(r, "lr", c->lrs[l]);
                if (v == V_CONST)
                    cJSON_AddItemToObject(r, "saddle_orbit", frac_ci(ko, n));
                else
                    cJSON_AddNullToObject(r, "saddle_orbit");
                cJSON_AddNumberToObject(r, "lr_effective", lre);
                cJSON_AddItemToObject(r, "trapped_at_saddle", frac_ci(kt, n));
                cJSON_AddItemToObject(r, "never_reached_minimum", frac_ci(ks, n));
                cJSON_AddNumberToObject(r, "seconds_for_d", c->secs[di]);
                cJSON_AddItemToArray(rows, r);
                sb_tb_textf(csv,
                            "%ld,%s,%g,%.6g,%zu,%ld,%.6g,%.6g,%.6g,%ld,%.6g,%.6g,%.6g,"
                            "%ld,%.6g,%.6g,%.6g,%.3f\n",
                            a->study_d[di], variant_names[v], c->lrs[l], lre, c->trials, ko,
                            (double)ko / (double)n, olo, ohi, kt, (double)kt / (double)n,
                            tlo, thi, ks, (double)ks / (double)n, slo, shi, c->secs[di]);
            }
}

/* orbits.png/.svg: P(saddle orbit) of const signgd per lr, P(trapped) of the other two. */
static int study_plot(const char *dir, const sb_tube_cfg *a, const orbit_counts *c,
                      sb_err *err)
{
    int nd = c->nd, nlr = c->nlr, ns = nlr * NV, st = SB_OK;
    sb_plot_series *ser = calloc((size_t)ns, sizeof *ser);
    double *buf = calloc((size_t)ns * 4 * (size_t)nd, sizeof(double));
    char(*lab)[64] = calloc((size_t)ns, sizeof *lab);
    if (!ser || !buf || !lab)
        st = sb_fail(err, SB_ERUNTIME, "tube: out of memory");
    for (int v = 0; v < NV && st == SB_OK; v++)
        for (int l = 0; l < nlr; l++) {
            int k = v * nlr + l;
            double *x = buf + (size_t)k * 4 * nd, *y = x + nd, *lo = y + nd, *hi = lo + nd;
            for (int di = 0; di < nd; di++) {
                size_t i = cidx(c, di, v, l);
                long cnt = v == V_CONST ? c->orb[i] : c->trap[i];
                x[di] = (double)a->study_d[di];
                y[di] = (double)cnt / (double)c->trials;
                sb_wilson(cnt, (long)c->trials, 1.96, &lo[di], &hi[di]);
            }
            snprintf(lab[k], 64, "%s lr %g: %s", variant_names[v], c->lrs[l],
                     v == V_CONST ? "P(saddle orbit)" : "P(trapped at a saddle)");
            ser[k] = (sb_plot_series){lab[k], (size_t)nd, x, y, lo, hi, SB_PLOT_ERRORBARS};
        }
    if (st == SB_OK) {
        char path[1200];
        snprintf(path, sizeof path, "%s/orbits", dir);
        sb_plot p = {"signGD on the rotated tube: periodic orbits around saddles",
                     "dimension d",
                     "probability (95% Wilson CI)",
                     1,
                     0,
                     0,
                     0};
        st = sb_plot_lines_pens(path, &p, ser, NULL, ns, err);
    }
    free(ser);
    free(buf);
    free(lab);
    return st;
}

int sb_tube_orbits(const sb_tube_cfg *a, sb_ctx *ctx, sb_tube_report *r, sb_err *err)
{
    memset(r, 0, sizeof *r);
    orbit_counts c;
    int st = out_dir(a, ctx, r->dir, sizeof r->dir, err);
    if (st || (st = counts_init(a, &c, err)))
        return st;
    sb_progress bar;
    sb_progress_start(&bar, "orbits", c.nd);
    for (int di = 0; di < c.nd && st == SB_OK; di++) {
        st = study_one_d(a, ctx, &c, di, err);
        sb_progress_step(&bar, di + 1);
    }
    sb_progress_end(&bar);
    if (st != SB_OK) {
        counts_free(&c);
        return st;
    }
    cJSON *root = study_head(a, ctx, &c);
    if (!root) {
        counts_free(&c);
        return sb_fail(err, SB_ERUNTIME, "tube: out of memory");
    }
    sb_tb_text csv = {0};
    study_rows(a, &c, cJSON_AddArrayToObject(root, "rows"), &csv);
    char path[1200];
    snprintf(path, sizeof path, "%s/orbits.csv", r->dir);
    st = csv.oom ? sb_fail(err, SB_ERUNTIME, "tube: out of memory")
                 : sb_write_file(path, csv.p, csv.len, err);
    free(csv.p);
    if (st == SB_OK) {
        snprintf(path, sizeof path, "%s/orbits.json", r->dir);
        st = sb_json_save(path, root, err);
    }
    if (st == SB_OK && sb_plot_available())
        st = study_plot(r->dir, a, &c, err);
    counts_free(&c);
    if (st == SB_OK)
        r->json = root;
    else
        cJSON_Delete(root);
    return st;
}
