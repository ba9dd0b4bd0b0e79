/* figure1.c - the engine of `signbench figure1`: the three traced panels, 32 random starts
 * per setting, the search for a rotation where signgd orbits, the claims and the files. */
#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "figure1.h"
#include "fs.h"
#include "json.h"
#include "plot.h"
#include "progress.h"
#include "stats.h"
#include "tube_batch.h"

enum { TRIALS = 32, SEARCH_BATCH = 128, SEARCH_MAX = 4096 };

void sb_figure1_cfg_defaults(sb_figure1_cfg *c)
{
    memset(c, 0, sizeof *c);
    c->d = 10;
    c->steps = 3000;
    c->lr = 0.05;
    c->beta = 0.9;
    c->seed = 1;
}

void sb_figure1_report_free(sb_figure1_report *r)
{
    cJSON_Delete(r->json);
    memset(r, 0, sizeof *r);
}

/* One panel: the optimisers on one (rotation, start), traced. */
typedef struct panel {
    const char *name;
    int nopt;
    int opts[SB_TB_NOPT];
    sb_tb_out out;
    sb_tb_setup s;
} panel;

/* Everything the figure ran: the panels, 32 starts axis aligned and rotated ({gd,
 * signgd}, optimiser-major), the orbit search's last batch and its counts. */
typedef struct fig_runs {
    panel left, mid, right;
    sb_tb_out axis, rot, search;
    long searched, found_i, orbits, broken, other_orbits;
    uint64_t orbit_seed;
} fig_runs;

static int run_panel(sb_tb_engine *eng, const sb_figure1_cfg *a, panel *p, int rot_mode,
                     uint64_t seed, sb_err *err)
{
    size_t d = (size_t)a->d;
    double *Q = NULL, *x0s = NULL;
    size_t nrot;
    int st = sb_tb_make_trials(d, 1, rot_mode, NULL, seed, &Q, &nrot, &x0s, err);
    if (st)
        return st;
    sb_tb_traj tr[SB_TB_NOPT];
    double *x0 = malloc(sizeof(double) * d * (size_t)p->nopt);
    if (!x0) {
        free(Q);
        free(x0s);
        return sb_fail(err, SB_ERUNTIME, "figure1: out of memory");
    }
    for (int i = 0; i < p->nopt; i++) {
        tr[i] =
            (sb_tb_traj){p->opts[i], SB_TB_CONST, nrot ? 0 : -1,
                         i,          a->lr,       p->opts[i] == SB_TB_SIGNUM ? a->beta : 0};
        memcpy(x0 + (size_t)i * d, x0s, sizeof(double) * d);
    }
    sb_tb_setup_defaults(&p->s);
    p->s.d = d;
    p->s.B = (size_t)p->nopt;
    p->s.K = a->steps;
    p->s.f64 = a->f64;
    p->s.seed = seed;
    p->s.Q = Q;
    p->s.nrot = nrot;
    p->s.x0 = x0;
    p->s.traj = tr;
    p->s.trace_len = (size_t)a->steps + 1;
    p->s.ntrace = p->nopt;
    st = sb_tb_run(eng, &p->s, 0, NULL, &p->out, err);
    p->s.Q = NULL;
    p->s.x0 = NULL;
    p->s.traj = NULL;
    free(Q);
    free(x0s);
    free(x0);
    return st;
}

/* `trials` starts x {gd, signgd} (x signum when with_signum) on one rotation mode; the
 * results are ordered optimiser-major. */
static int run_many(sb_tb_engine *eng, const sb_figure1_cfg *a, int rot_mode, uint64_t seed,
                    size_t trials, const int *opts, int nopt, int stop_orbit,
                    sb_tb_out *out, sb_err *err)
{
    size_t d = (size_t)a->d, B = trials * (size_t)nopt;
    double *Q = NULL, *x0s = NULL;
    size_t nrot;
    int st = sb_tb_make_trials(d, trials, rot_mode, NULL, seed, &Q, &nrot, &x0s, err);
    if (st)
        return st;
    sb_tb_traj *tr = malloc(sizeof *tr * B);
    double *x0 = malloc(sizeof(double) * B * d);
    if (!tr || !x0) {
        st = sb_fail(err, SB_ERUNTIME, "figure1: out of memory");
        goto done;
    }
    for (int o = 0; o < nopt; o++)
        for (size_t i = 0; i < trials; i++) {
            size_t t = (size_t)o * trials + i;
            tr[t] =
                (sb_tb_traj){opts[o], SB_TB_CONST, nrot ? (int)i : -1,
                             -1,      a->lr,       opts[o] == SB_TB_SIGNUM ? a->beta : 0};
            memcpy(x0 + t * d, x0s + i * d, sizeof(double) * d);
        }
    sb_tb_setup s;
    sb_tb_setup_defaults(&s);
    s.d = d;
    s.B = B;
    s.K = a->steps;
    s.f64 = a->f64;
    s.seed = seed;
    s.Q = Q;
    s.nrot = nrot;
    s.x0 = x0;
    s.traj = tr;
    s.stop_at_orbit = stop_orbit;
    st = sb_tb_run(eng, &s, 0, NULL, out, err);
done:
    free(tr);
    free(x0);
    free(Q);
    free(x0s);
    return st;
}

static double median_of(double *v, size_t n)
{
    if (!n)
        return NAN;
    sb_tb_sort(v, n);
    return sb_quantile_sorted(v, n, 0.5);
}

/* Steps to the basin of trajectories [first, first + n): median over those that got
 * there (the count is returned in *reached); never-reached ones count as K + 1. */
static double median_steps(const sb_tb_out *o, size_t first, size_t n, long K,
                           long *reached)
{
    double *v = malloc(sizeof(double) * (n ? n : 1));
    if (!v)
        return NAN;
    *reached = 0;
    for (size_t i = 0; i < n; i++) {
        int p = o->res[first + i].pass[o->d];
        *reached += p >= 0;
        v[i] = p >= 0 ? p : (double)(K + 1);
    }
    double m = median_of(v, n);
    free(v);
    return m;
}

static cJSON *claim(cJSON *arr, const char *id, const char *text, int held)
{
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "id", id);
    cJSON_AddStringToObject(c, "claim", text);
    cJSON_AddBoolToObject(c, "held", held);
    cJSON *n = cJSON_AddObjectToObject(c, "numbers");
    cJSON_AddItemToArray(arr, c);
    return n;
}

/* One panel's plot: f against iteration per optimiser, each optimiser with the same pen
 * in every panel, and a line at f* (the minimum, -d nu) so the axis always shows how far
 * each curve is from it. */
static int plot_panel(const char *dir, const char *base, const char *title, const panel *p,
                      sb_err *err)
{
    size_t K = p->s.trace_len;
    double *x = malloc(sizeof(double) * K),
           *y = malloc(sizeof(double) * K * (size_t)p->nopt);
    sb_plot_series ser[SB_TB_NOPT + 1];
    int pens[SB_TB_NOPT + 1];
    if (!x || !y) {
        free(x);
        free(y);
        return sb_fail(err, SB_ERUNTIME, "figure1: out of memory");
    }
    for (size_t k = 0; k < K; k++)
        x[k] = (double)k;
    for (int i = 0; i < p->nopt; i++) {
        for (size_t k = 0; k < K; k++)
            y[(size_t)i * K + k] = p->out.trace[(size_t)i * K + k];
        ser[i] = (sb_plot_series){sb_tb_optim_name(p->opts[i]),
                                  K,
                                  x,
                                  y + (size_t)i * K,
                                  NULL,
                                  NULL,
                                  SB_PLOT_LINES};
        pens[i] = p->opts[i] + 1;
    }
    double fstar = -(double)p->s.d * sb_tube_nu(&p->s.tube);
    double fx[2] = {0, (double)(K - 1)}, fy[2] = {fstar, fstar};
    char flab[64];
    snprintf(flab, sizeof flab, "f* = %.6g (minimum)", fstar);
    ser[p->nopt] = (sb_plot_series){flab, 2, fx, fy, NULL, NULL, SB_PLOT_DASHED};
    pens[p->nopt] = SB_TB_NOPT + 1;
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", dir, base);
    sb_plot pl = {title, "iteration", "f(x)", 0, 0, 0, 0};
    int st = sb_plot_lines_pens(path, &pl, ser, pens, p->nopt + 1, err);
    free(x);
    free(y);
    return st;
}

/* The orbit search: constant-step signgd (stops at a detected orbit) and signum, on
 * rotations seed + 1000 + i, batch by batch until one orbits around a saddle. figure1
 * runs the default tube; an orbit counts as at a saddle only near it. */
static int orbit_search(sb_tb_engine *eng, const sb_figure1_cfg *a, fig_runs *fr,
                        sb_err *err)
{
    static const int ss[2] = {SB_TB_SIGNGD, SB_TB_SIGNUM};
    const sb_tube_params tube = sb_tube_defaults();
    size_t d = (size_t)a->d;
    uint64_t base = a->seed + 1000;
    while (fr->found_i < 0 && fr->searched < SEARCH_MAX) {
        sb_tb_out_free(&fr->search);
        int st = run_many(eng, a, SB_TB_ROT_RANDOM, base + (uint64_t)fr->searched,
                          SEARCH_BATCH, ss, 2, 1, &fr->search, err);
        if (st)
            return st;
        for (long i = 0; i < SEARCH_BATCH; i++) {
            const sb_tb_result *sg = &fr->search.res[i],
                               *sm = &fr->search.res[SEARCH_BATCH + i];
            if (sb_tb_saddle_orbit(sg, d, &tube)) {
                fr->orbits++;
                /* Momentum breaks the orbit when signum gets past the region where
                 * signgd cycles. */
                fr->broken += sm->maxreg > sg->orb_region;
                if (fr->found_i < 0)
                    fr->found_i = fr->searched + i;
            } else {
                fr->other_orbits += sb_tb_other_orbit(sg, d, &tube);
            }
        }
        fr->searched += SEARCH_BATCH;
    }
    fr->orbit_seed = base + (uint64_t)(fr->found_i < 0 ? 0 : fr->found_i);
    return SB_OK;
}

/* Every run of the figure, in order, with a progress bar of five parts. */
static int run_all(sb_tb_engine *eng, const sb_figure1_cfg *a, fig_runs *fr, sb_err *err)
{
    static const int gs[2] = {SB_TB_GD, SB_TB_SIGNGD};
    sb_progress bar;
    sb_progress_start(&bar, "figure1", 5);
    int st = run_panel(eng, a, &fr->left, SB_TB_ROT_NONE, a->seed, err);
    if (st == SB_OK) {
        sb_progress_step(&bar, 1);
        st = run_panel(eng, a, &fr->mid, SB_TB_ROT_RANDOM, a->seed, err);
    }
    if (st == SB_OK) {
        sb_progress_step(&bar, 2);
        /* 32 starts each, axis aligned and rotated: gd, signgd. */
        st = run_many(eng, a, SB_TB_ROT_NONE, a->seed, TRIALS, gs, 2, 0, &fr->axis, err);
    }
    if (st == SB_OK)
        st = run_many(eng, a, SB_TB_ROT_RANDOM, a->seed, TRIALS, gs, 2, 0, &fr->rot, err);
    if (st == SB_OK) {
        sb_progress_step(&bar, 3);
        st = orbit_search(eng, a, fr, err);
    }
    if (st == SB_OK) {
        sb_progress_step(&bar, 4);
        st = run_panel(eng, a, &fr->right, SB_TB_ROT_RANDOM, fr->orbit_seed, err);
    }
    if (st == SB_OK)
        sb_progress_step(&bar, 5);
    sb_progress_end(&bar);
    return st;
}

static cJSON *settings_json(const sb_figure1_cfg *a, const sb_ctx *ctx, const panel *left)
{
    cJSON *set = cJSON_CreateObject();
    cJSON_AddNumberToObject(set, "d", (double)a->d);
    cJSON_AddNumberToObject(set, "lr", a->lr);
    cJSON_AddNumberToObject(set, "steps", (double)a->steps);
    cJSON_AddNumberToObject(set, "momentum", a->beta);
    cJSON_AddNumberToObject(set, "seed", (double)a->seed);
    cJSON_AddStringToObject(set, "precision", a->f64 ? "f64" : "f32");
    cJSON_AddStringToObject(set, "tube_domain", "continuation");
    char note[512];
    double Lc = sb_tb_smoothness_note(&left->s.tube, note, sizeof note);
    cJSON *sm = cJSON_AddObjectToObject(set, "smoothness");
    cJSON_AddNumberToObject(sm, "L_tube_set", Lc);
    cJSON_AddBoolToObject(sm, "global", 0);
    cJSON_AddStringToObject(sm, "note", note);
    cJSON_AddNumberToObject(set, "pgd_r", left->s.pgd_r);
    cJSON_AddNumberToObject(set, "pgd_gthres", left->s.pgd_gthres);
    cJSON_AddNumberToObject(set, "pgd_tthres", left->s.pgd_tthres);
    cJSON_AddStringToObject(set, "device", ctx->dev.name);
    return set;
}

/* Medians (and reached counts) of the steps to the minimum of gd and signgd over the 32
 * starts, axis aligned (a) and rotated (r). */
typedef struct medians {
    double ma_gd, ma_sg, mr_gd, mr_sg;
    long ra_gd, ra_sg, rr_gd, rr_sg;
} medians;

/* 1. Axis aligned: signgd passes all d saddles in fewer iterations than gd. */
static void claim_axis(cJSON *claims, const fig_runs *fr, size_t d, const medians *m)
{
    int sg_l = fr->left.out.res[2].pass[d], gd_l = fr->left.out.res[0].pass[d];
    long faster = 0;
    for (int i = 0; i < TRIALS; i++) {
        int g = fr->axis.res[i].pass[d], s = fr->axis.res[TRIALS + i].pass[d];
        faster += s >= 0 && (g < 0 || s < g);
    }
    int held1 = sg_l >= 0 && (gd_l < 0 || sg_l < gd_l) && faster == TRIALS;
    cJSON *n =
        claim(claims, "axis_aligned_signgd_unhindered",
              "on the axis-aligned tube, signGD is not slowed by the saddles: it passes "
              "all d saddles in fewer iterations than GD with the same step",
              held1);
    cJSON_AddNumberToObject(n, "panel_signgd_steps_to_minimum", sg_l);
    cJSON_AddNumberToObject(n, "panel_gd_steps_to_minimum", gd_l);
    cJSON_AddNumberToObject(n, "starts", TRIALS);
    cJSON_AddNumberToObject(n, "starts_where_signgd_first", (double)faster);
    cJSON_AddNumberToObject(n, "median_signgd_steps", m->ma_sg);
    cJSON_AddNumberToObject(n, "median_gd_steps", m->ma_gd);
    cJSON_AddNumberToObject(n, "gd_reached", (double)m->ra_gd);
    cJSON_AddNumberToObject(n, "signgd_reached", (double)m->ra_sg);
}

/* 2. After rotation signgd behaves differently: its steps to the minimum change by more
 * than 20 % (median over the same starts), or it reaches it in a different fraction of
 * the starts (by 10 points or more). 2b. The paper's aside: rotation appears to help
 * unstick GD. */
static void claims_rotation(cJSON *claims, const fig_runs *fr, size_t d, const medians *m)
{
    double change = m->ma_sg > 0 ? m->mr_sg / m->ma_sg : NAN;
    int held2 = (isfinite(change) && fabs(change - 1) > 0.2) ||
                labs(m->rr_sg - m->ra_sg) * 10 >= TRIALS;
    cJSON *n =
        claim(claims, "rotation_changes_signgd",
              "after a random rotation signGD behaves differently: its median number of "
              "iterations to pass all saddles changes by more than 20 %, or it reaches "
              "the minimum from a share of the starts 10 points or more apart",
              held2);
    cJSON_AddNumberToObject(n, "median_signgd_steps_axis", m->ma_sg);
    cJSON_AddNumberToObject(n, "median_signgd_steps_rotated", m->mr_sg);
    cJSON_AddNumberToObject(n, "ratio_rotated_over_axis", change);
    cJSON_AddNumberToObject(n, "signgd_reached_axis", (double)m->ra_sg);
    cJSON_AddNumberToObject(n, "signgd_reached_rotated", (double)m->rr_sg);
    cJSON_AddNumberToObject(n, "panel_signgd_steps_rotated", fr->mid.out.res[2].pass[d]);

    int held2b = m->mr_gd < m->ma_gd;
    n = claim(claims, "rotation_helps_gd",
              "the rotation appears to help unstick GD from the saddles (it reaches the "
              "minimum in fewer iterations than on the axis-aligned tube)",
              held2b);
    cJSON_AddNumberToObject(n, "median_gd_steps_axis", m->ma_gd);
    cJSON_AddNumberToObject(n, "median_gd_steps_rotated", m->mr_gd);
    cJSON_AddNumberToObject(n, "gd_reached_axis", (double)m->ra_gd);
    cJSON_AddNumberToObject(n, "gd_reached_rotated", (double)m->rr_gd);
}

/* 3. Orbits exist: some rotation traps constant-step signgd in an exact cycle. 4. Momentum
 * breaks them: signum gets past the saddle where signgd cycles, on the panel's rotation
 * and on most of the orbit rotations found. Returns claim 3's verdict. */
static int claims_orbits(cJSON *claims, const fig_runs *fr, size_t d)
{
    const sb_tube_params tube = sb_tube_defaults();
    const sb_tb_result *ro = &fr->right.out.res[2];
    int held3 = fr->found_i >= 0 && sb_tb_saddle_orbit(ro, d, &tube);
    cJSON *n =
        claim(claims, "orbits_exist",
              "for some rotations, signGD with a constant step is caught in a perfectly "
              "periodic orbit around a saddle point",
              held3);
    cJSON_AddNumberToObject(n, "rotations_searched", (double)fr->searched);
    cJSON_AddNumberToObject(n, "rotations_with_saddle_orbit", (double)fr->orbits);
    if (held3) {
        cJSON_AddNumberToObject(n, "rotation_seed", (double)fr->orbit_seed);
        cJSON_AddNumberToObject(n, "period", (double)ro->orb_period);
        cJSON_AddNumberToObject(n, "entered_at_step", (double)ro->orb_entry);
        cJSON_AddNumberToObject(n, "detected_at_step", (double)ro->orb_det);
        cJSON_AddNumberToObject(n, "region", ro->orb_region);
        cJSON_AddNumberToObject(n, "saddle", ro->orb_region - 1);
        cJSON_AddNumberToObject(n, "final_f", ro->f);
        cJSON_AddNumberToObject(n, "max_distance_from_saddle", ro->orb_dist);
    }
    cJSON_AddNumberToObject(n, "saddle_radius", SB_TB_SADDLE_RADIUS * tube.tau);
    cJSON_AddNumberToObject(n, "rotations_with_orbit_not_at_saddle",
                            (double)fr->other_orbits);

    const sb_tb_result *rm = &fr->right.out.res[4];
    int held4 = held3 && rm->maxreg > ro->orb_region && fr->orbits > 0 &&
                2 * fr->broken > fr->orbits;
    n = claim(claims, "momentum_breaks_orbits",
              "momentum (signum) breaks the orbits: from the same start, it gets past the "
              "saddle where constant-step signGD cycles",
              held4);
    cJSON_AddNumberToObject(n, "panel_signgd_region", held3 ? ro->orb_region : ro->maxreg);
    cJSON_AddNumberToObject(n, "panel_signum_max_region", rm->maxreg);
    cJSON_AddNumberToObject(n, "panel_signum_final_f", rm->f);
    cJSON_AddNumberToObject(n, "panel_signgd_final_f", ro->f);
    cJSON_AddNumberToObject(n, "orbit_rotations", (double)fr->orbits);
    cJSON_AddNumberToObject(n, "orbit_rotations_signum_escaped", (double)fr->broken);
    return held3;
}

/* figure1.csv: f of every panel's curve at every iteration. */
static int write_csv(const char *dir, const fig_runs *fr, long K, sb_err *err)
{
    const panel *ps[3] = {&fr->left, &fr->mid, &fr->right};
    size_t T = (size_t)K + 1;
    sb_tb_text csv = {0};
    sb_tb_textf(&csv, "iteration");
    for (int p = 0; p < 3; p++)
        for (int i = 0; i < ps[p]->nopt; i++)
            sb_tb_textf(&csv, ",%s_%s", ps[p]->name, sb_tb_optim_name(ps[p]->opts[i]));
    sb_tb_textf(&csv, "\n");
    for (size_t k = 0; k < T; k++) {
        sb_tb_textf(&csv, "%zu", k);
        for (int p = 0; p < 3; p++)
            for (int i = 0; i < ps[p]->nopt; i++)
                sb_tb_textf(&csv, ",%.9g", ps[p]->out.trace[(size_t)i * T + k]);
        sb_tb_textf(&csv, "\n");
    }
    char path[1200];
    snprintf(path, sizeof path, "%s/figure1.csv", dir);
    int st = csv.oom ? sb_fail(err, SB_ERUNTIME, "figure1: out of memory")
                     : sb_write_file(path, csv.p, csv.len, err);
    free(csv.p);
    return st;
}

/* The three panels' plots, listed in files. */
static int write_plots(const char *dir, const sb_figure1_cfg *a, const fig_runs *fr,
                       int held3, cJSON *files, sb_err *err)
{
    char title[256];
    size_t d = (size_t)a->d;
    snprintf(title, sizeof title, "tube d=%zu, axis aligned, lr %g (seed %llu)", d, a->lr,
             (unsigned long long)a->seed);
    int st = plot_panel(dir, "figure1_left", title, &fr->left, err);
    if (st)
        return st;
    snprintf(title, sizeof title, "tube d=%zu, random rotation (seed %llu), lr %g", d,
             (unsigned long long)a->seed, a->lr);
    if ((st = plot_panel(dir, "figure1_middle", title, &fr->mid, err)))
        return st;
    snprintf(title, sizeof title, "tube d=%zu, rotation seed %llu (%s), lr %g", d,
             (unsigned long long)fr->orbit_seed, held3 ? "signgd orbits" : "no orbit found",
             a->lr);
    if ((st = plot_panel(dir, "figure1_right", title, &fr->right, err)))
        return st;
    static const char *figs[] = {"figure1_left", "figure1_middle", "figure1_right"};
    for (int i = 0; i < 3; i++) {
        char f[64];
        snprintf(f, sizeof f, "%s.png", figs[i]);
        cJSON_AddItemToArray(files, cJSON_CreateString(f));
        snprintf(f, sizeof f, "%s.svg", figs[i]);
        cJSON_AddItemToArray(files, cJSON_CreateString(f));
    }
    return SB_OK;
}

/* figure1.json's document: the settings and the claims, decided from the numbers. Sets
 * *held3 to claim 3's verdict (the right panel's title says it). */
static cJSON *figure_json(const sb_figure1_cfg *a, const sb_ctx *ctx, const fig_runs *fr,
                          int *held3)
{
    size_t d = (size_t)a->d;
    long K = a->steps;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "schema", "signbench-figure1-1");
    cJSON_AddItemToObject(root, "settings", settings_json(a, ctx, &fr->left));
    cJSON *claims = cJSON_AddArrayToObject(root, "claims");
    medians m;
    m.ma_gd = median_steps(&fr->axis, 0, TRIALS, K, &m.ra_gd);
    m.ma_sg = median_steps(&fr->axis, TRIALS, TRIALS, K, &m.ra_sg);
    m.mr_gd = median_steps(&fr->rot, 0, TRIALS, K, &m.rr_gd);
    m.mr_sg = median_steps(&fr->rot, TRIALS, TRIALS, K, &m.rr_sg);
    claim_axis(claims, fr, d, &m);
    claims_rotation(claims, fr, d, &m);
    *held3 = claims_orbits(claims, fr, d);
    return root;
}

int sb_figure1_run(const sb_figure1_cfg *a, sb_ctx *ctx, sb_figure1_report *r, sb_err *err)
{
    memset(r, 0, sizeof *r);
    if (a->out)
        snprintf(r->dir, sizeof r->dir, "%s", a->out);
    else
        sb_default_run_dir(ctx->dev.name, r->dir, sizeof r->dir);
    sb_tb_engine eng = {0};
    fig_runs fr = {
        .left = {"left", 4, {SB_TB_GD, SB_TB_PGD, SB_TB_SIGNGD, SB_TB_NGD}, {0}, {0}},
        .mid = {"middle", 4, {SB_TB_GD, SB_TB_PGD, SB_TB_SIGNGD, SB_TB_NGD}, {0}, {0}},
        .right = {"right",
                  5,
                  {SB_TB_GD, SB_TB_PGD, SB_TB_SIGNGD, SB_TB_NGD, SB_TB_SIGNUM},
                  {0},
                  {0}},
        .found_i = -1,
        .orbit_seed = a->seed + 1000};
    cJSON *root = NULL;
    int held3 = 0;
    int st = sb_mkdir_p(r->dir, err);
    if (st || (st = sb_tb_engine_open(&eng, ctx, (size_t)a->d, a->f64, err)) ||
        (st = run_all(&eng, a, &fr, err)))
        goto done;
    if (!(root = figure_json(a, ctx, &fr, &held3))) {
        st = sb_fail(err, SB_ERUNTIME, "figure1: out of memory");
        goto done;
    }
    if ((st = write_csv(r->dir, &fr, a->steps, err)))
        goto done;
    cJSON *files = cJSON_AddArrayToObject(root, "files");
    cJSON_AddItemToArray(files, cJSON_CreateString("figure1.csv"));
    r->plotted = sb_plot_available();
    if (r->plotted && (st = write_plots(r->dir, a, &fr, held3, files, err)))
        goto done;
    char path[1200];
    snprintf(path, sizeof path, "%s/figure1.json", r->dir);
    if ((st = sb_json_save(path, root, err)))
        goto done;
    r->json = root;
    root = NULL;
done:
    cJSON_Delete(root);
    sb_tb_out_free(&fr.left.out);
    sb_tb_out_free(&fr.mid.out);
    sb_tb_out_free(&fr.right.out);
    sb_tb_out_free(&fr.axis);
    sb_tb_out_free(&fr.rot);
    sb_tb_out_free(&fr.search);
    sb_tb_engine_close(&eng);
    return st;
}
