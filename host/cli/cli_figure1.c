/* cli_figure1.c - `signbench figure1`: the paper's Figure 1 (gd, pgd, signgd, ngd on the
 * tube, axis aligned, rotated, and a rotation where signgd orbits) and its claims, measured. */
#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "plot.h"
#include "report.h"
#include "stats.h"
#include "tube_batch.h"
#include "fs.h"
#include "json.h"

static const char help[] =
    "usage: signbench figure1 [options]\n\n"
    "Reproduces Figure 1 of the paper with the same step for every optimiser (no tuning):\n"
    "f against iteration for gd, pgd, signgd and ngd on the axis-aligned tube (left), on a\n"
    "random rotation (middle), and on a rotation where constant-step signgd is caught in\n"
    "a periodic orbit around a saddle, found by searching rotation seeds, with signum\n"
    "beside it (right). Then checks each claim of the paper against measured numbers\n"
    "(the panels and 32 random starts per setting) and prints the verdicts.\n\n"
    "Options:\n"
    "  --d N            dimension (default 10)\n"
    "  --lr X           the one step size (default 0.05)\n"
    "  --steps K        iterations (default 3000)\n"
    "  --momentum B     signum's beta (default 0.9)\n"
    "  --seed S         starts and the middle panel's rotation; the orbit search tries\n"
    "                   seeds S + 1000, S + 1001, ... (default 1)\n"
    "  --precision P    f32 or f64 (default f32)\n"
    "  --tube-domain D  continuation (the only rule here: the paper's curves evaluate the\n"
    "                   formulas everywhere; continue is an alias) (default continuation)\n"
    "  --out DIR        output folder (default results/runs/<UTC time>-figure1)\n"
    "  --json           print figure1.json instead of the verdict lines\n\n"
    "Writes figure1_left, figure1_middle, figure1_right (.png, .svg, .dat), figure1.csv\n"
    "(f of every curve at every iteration) and figure1.json: {\"claims\": [{\"id\",\n"
    "\"claim\", \"held\", \"numbers\"}], ...}. About 1-2 s of CPU (2-9 s wall on 2\n"
    "shared vCPUs).\n\n"
    SB_COMMON_HELP;

enum { O_D = SB_OPT_FIRST_FREE, O_LR, O_STEPS, O_MOM, O_SEED, O_PREC, O_OUT, O_JSON,
       O_DOMAIN };

typedef struct fig_args {
    sb_opts dev;
    long d, steps;
    double lr, beta;
    uint64_t seed;
    int f64, json;
    const char *out;
} fig_args;

/* One panel: the optimisers on one (rotation, start), traced. */
typedef struct panel {
    const char *name;
    int nopt;
    int opts[SB_TB_NOPT];
    sb_tb_out out;
    sb_tb_setup s;
} panel;

static int run_panel(sb_tb_engine *eng, const fig_args *a, panel *p, int rot_mode,
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
        tr[i] = (sb_tb_traj){p->opts[i], SB_TB_CONST, nrot ? 0 : -1, i, a->lr,
                             p->opts[i] == SB_TB_SIGNUM ? a->beta : 0};
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
static int run_many(sb_tb_engine *eng, const fig_args *a, int rot_mode, uint64_t seed,
                    size_t trials, const int *opts, int nopt, int stop_orbit, sb_tb_out *out,
                    sb_err *err)
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
            tr[t] = (sb_tb_traj){opts[o], SB_TB_CONST, nrot ? (int)i : -1, -1, a->lr,
                                 opts[o] == SB_TB_SIGNUM ? a->beta : 0};
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
static double median_steps(const sb_tb_out *o, size_t first, size_t n, long K, long *reached)
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

static int plot_panel(const char *dir, const char *base, const char *title, const panel *p,
                      sb_err *err)
{
    size_t K = p->s.trace_len;
    double *x = malloc(sizeof(double) * K), *y = malloc(sizeof(double) * K * (size_t)p->nopt);
    sb_plot_series ser[SB_TB_NOPT];
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
        ser[i] = (sb_plot_series){sb_tb_optim_name(p->opts[i]), K, x, y + (size_t)i * K, NULL,
                                  NULL, SB_PLOT_LINES};
    }
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", dir, base);
    sb_plot pl = {title, "iteration", "f(x)", 0, 0, 0, 0};
    int st = sb_plot_lines(path, &pl, ser, p->nopt, err);
    free(x);
    free(y);
    return st;
}

static int parse(int argc, char **argv, fig_args *a, sb_err *err)
{
    static const struct option longopts[] = {
        {"d", required_argument, 0, O_D}, {"lr", required_argument, 0, O_LR},
        {"steps", required_argument, 0, O_STEPS}, {"momentum", required_argument, 0, O_MOM},
        {"seed", required_argument, 0, O_SEED}, {"precision", required_argument, 0, O_PREC},
        {"out", required_argument, 0, O_OUT}, {"json", no_argument, 0, O_JSON},
        {"tube-domain", required_argument, 0, O_DOMAIN}, SB_COMMON_LONGOPTS, {0, 0, 0, 0}};
    memset(a, 0, sizeof *a);
    a->d = 10;
    a->steps = 3000;
    a->lr = 0.05;
    a->beta = 0.9;
    a->seed = 1;
    int c;
    long v;
    optind = 1;
    opterr = 0;
    if (sb_cli_check_args("figure1", argc, argv, "", longopts, err))
        return err->code;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (sb_cli_common(c, optarg, &a->dev))
            continue;
        int st = SB_OK;
        switch (c) {
        case SB_OPT_HELP:
            return -1;
        case O_D:
            st = sb_parse_long("--d", optarg, 2, 256, &a->d, err);
            break;
        case O_LR:
            st = sb_parse_double("--lr", optarg, 1e-6, 10, &a->lr, err);
            break;
        case O_STEPS:
            st = sb_parse_long("--steps", optarg, 10, 10000000, &a->steps, err);
            break;
        case O_MOM:
            st = sb_parse_double("--momentum", optarg, 0, 0.999999, &a->beta, err);
            break;
        case O_SEED:
            st = sb_parse_long("--seed", optarg, 0, 1L << 40, &v, err);
            a->seed = (uint64_t)v;
            break;
        case O_PREC:
            if (!strcmp(optarg, "f32") || !strcmp(optarg, "f64"))
                a->f64 = optarg[1] == '6';
            else
                st = sb_fail(err, SB_EUSAGE, "figure1: --precision must be f32 or f64, not "
                             "'%s'", optarg);
            break;
        case O_OUT:
            a->out = optarg;
            break;
        case O_JSON:
            a->json = 1;
            break;
        case O_DOMAIN:
            /* Accepted for symmetry with tube/train; strict would cut the panels' curves. */
            if (strcmp(optarg, "continuation") && strcmp(optarg, "continue"))
                st = sb_fail(err, SB_EUSAGE, "figure1: --tube-domain must be continuation (or "
                             "its alias continue), not '%s'; strict runs are `signbench tube "
                             "--tube-domain strict`", optarg);
            break;
        default:
            return sb_cli_bad_option("figure1", argc, argv, err);
        }
        if (st)
            return st;
    }
    if (optind < argc)
        return sb_fail(err, SB_EUSAGE, "figure1: unexpected argument '%s'", argv[optind]);
    return SB_OK;
}

enum { TRIALS = 32, SEARCH_BATCH = 128, SEARCH_MAX = 4096 };

int sb_cmd_figure1(int argc, char **argv, sb_err *err)
{
    fig_args a;
    int st = parse(argc, argv, &a, err);
    if (st < 0)
        return sb_cli_help(help);
    if (st)
        return st;
    char dir[1024];
    if (a.out)
        snprintf(dir, sizeof dir, "%s", a.out);
    else {
        char stamp[32];
        sb_utc_stamp(stamp, sizeof stamp);
        snprintf(dir, sizeof dir, "results/runs/%s-figure1", stamp);
    }
    sb_ctx ctx;
    if (sb_ctx_open(&ctx, &a.dev, err))
        return err->code;
    size_t d = (size_t)a.d;
    sb_tb_engine eng = {0};
    panel left = {"left", 4, {SB_TB_GD, SB_TB_PGD, SB_TB_SIGNGD, SB_TB_NGD}, {0}, {0}};
    panel mid = {"middle", 4, {SB_TB_GD, SB_TB_PGD, SB_TB_SIGNGD, SB_TB_NGD}, {0}, {0}};
    panel right = {"right", 5, {SB_TB_GD, SB_TB_PGD, SB_TB_SIGNGD, SB_TB_NGD, SB_TB_SIGNUM},
                   {0}, {0}};
    sb_tb_out axis = {0}, rot = {0}, search = {0};
    cJSON *root = NULL;
    sb_tb_text csv = {0};
    /* The orbit search's counts, set before any jump to the clean-up. figure1 runs the
     * default tube; an orbit counts as at a saddle only near it. */
    long searched = 0, found_i = -1, orbits = 0, broken = 0, other_orbits = 0;
    const sb_tube_params tube = sb_tube_defaults();
    uint64_t orbit_seed = a.seed + 1000;
    if ((st = sb_mkdir_p(dir, err)) || (st = sb_tb_engine_open(&eng, &ctx, d, a.f64, err)))
        goto done;
    sb_progress bar;
    sb_progress_start(&bar, "figure1", 5);
    /* Panels. */
    if ((st = run_panel(&eng, &a, &left, SB_TB_ROT_NONE, a.seed, err)) ||
        (sb_progress_step(&bar, 1), st = run_panel(&eng, &a, &mid, SB_TB_ROT_RANDOM, a.seed,
                                                     err)))
        goto bar_done;
    sb_progress_step(&bar, 2);
    /* 32 starts each, axis aligned and rotated: gd, signgd. */
    static const int gs[2] = {SB_TB_GD, SB_TB_SIGNGD};
    if ((st = run_many(&eng, &a, SB_TB_ROT_NONE, a.seed, TRIALS, gs, 2, 0, &axis, err)) ||
        (st = run_many(&eng, &a, SB_TB_ROT_RANDOM, a.seed, TRIALS, gs, 2, 0, &rot, err)))
        goto bar_done;
    sb_progress_step(&bar, 3);
    /* Orbit search: constant-step signgd (stops at a detected orbit) and signum, on
     * rotations seed + 1000 + i, batch by batch until one orbits around a saddle. */
    static const int ss[2] = {SB_TB_SIGNGD, SB_TB_SIGNUM};
    uint64_t base = a.seed + 1000;
    while (found_i < 0 && searched < SEARCH_MAX) {
        sb_tb_out_free(&search);
        if ((st = run_many(&eng, &a, SB_TB_ROT_RANDOM, base + (uint64_t)searched, SEARCH_BATCH,
                           ss, 2, 1, &search, err)))
            goto bar_done;
        for (long i = 0; i < SEARCH_BATCH; i++) {
            const sb_tb_result *sg = &search.res[i], *sm = &search.res[SEARCH_BATCH + i];
            if (sb_tb_saddle_orbit(sg, d, &tube)) {
                orbits++;
                /* Momentum breaks the orbit when signum gets past the region where
                 * signgd cycles. */
                broken += sm->maxreg > sg->orb_region;
                if (found_i < 0)
                    found_i = searched + i;
            } else {
                other_orbits += sb_tb_other_orbit(sg, d, &tube);
            }
        }
        searched += SEARCH_BATCH;
    }
    sb_progress_step(&bar, 4);
    orbit_seed = base + (uint64_t)(found_i < 0 ? 0 : found_i);
    if ((st = run_panel(&eng, &a, &right, SB_TB_ROT_RANDOM, orbit_seed, err)))
        goto bar_done;
    sb_progress_step(&bar, 5);
bar_done:
    sb_progress_end(&bar);
    if (st)
        goto done;

    /* ---- claims, from the numbers ---- */
    root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "schema", "signbench-figure1-1");
    cJSON *set = cJSON_AddObjectToObject(root, "settings");
    cJSON_AddNumberToObject(set, "d", (double)d);
    cJSON_AddNumberToObject(set, "lr", a.lr);
    cJSON_AddNumberToObject(set, "steps", (double)a.steps);
    cJSON_AddNumberToObject(set, "momentum", a.beta);
    cJSON_AddNumberToObject(set, "seed", (double)a.seed);
    cJSON_AddStringToObject(set, "precision", a.f64 ? "f64" : "f32");
    cJSON_AddStringToObject(set, "tube_domain", "continuation");
    char note[512];
    double Lc = sb_tb_smoothness_note(&left.s.tube, note, sizeof note);
    cJSON *sm = cJSON_AddObjectToObject(set, "smoothness");
    cJSON_AddNumberToObject(sm, "L_tube_set", Lc);
    cJSON_AddBoolToObject(sm, "global", 0);
    cJSON_AddStringToObject(sm, "note", note);
    cJSON_AddNumberToObject(set, "pgd_r", left.s.pgd_r);
    cJSON_AddNumberToObject(set, "pgd_gthres", left.s.pgd_gthres);
    cJSON_AddNumberToObject(set, "pgd_tthres", left.s.pgd_tthres);
    cJSON_AddStringToObject(set, "device", ctx.dev.name);
    cJSON *claims = cJSON_AddArrayToObject(root, "claims");
    long K = a.steps;

    /* 1. Axis aligned: signgd passes all d saddles in fewer iterations than gd. */
    int sg_l = left.out.res[2].pass[d], gd_l = left.out.res[0].pass[d];
    long ra_gd, ra_sg;
    double ma_gd = median_steps(&axis, 0, TRIALS, K, &ra_gd);
    double ma_sg = median_steps(&axis, TRIALS, TRIALS, K, &ra_sg);
    long faster = 0;
    for (int i = 0; i < TRIALS; i++) {
        int g = axis.res[i].pass[d], s = axis.res[TRIALS + i].pass[d];
        faster += s >= 0 && (g < 0 || s < g);
    }
    int held1 = sg_l >= 0 && (gd_l < 0 || sg_l < gd_l) && faster == TRIALS;
    cJSON *n = claim(claims, "axis_aligned_signgd_unhindered",
                     "on the axis-aligned tube, signGD is not slowed by the saddles: it passes "
                     "all d saddles in fewer iterations than GD with the same step",
                     held1);
    cJSON_AddNumberToObject(n, "panel_signgd_steps_to_minimum", sg_l);
    cJSON_AddNumberToObject(n, "panel_gd_steps_to_minimum", gd_l);
    cJSON_AddNumberToObject(n, "starts", TRIALS);
    cJSON_AddNumberToObject(n, "starts_where_signgd_first", (double)faster);
    cJSON_AddNumberToObject(n, "median_signgd_steps", ma_sg);
    cJSON_AddNumberToObject(n, "median_gd_steps", ma_gd);
    cJSON_AddNumberToObject(n, "gd_reached", (double)ra_gd);
    cJSON_AddNumberToObject(n, "signgd_reached", (double)ra_sg);

    /* 2. After rotation signgd behaves differently: its steps to the minimum change by
     * more than 20 % (median over the same starts), or it reaches it in a different
     * fraction of the starts (by 10 points or more). */
    long rr_gd, rr_sg;
    double mr_gd = median_steps(&rot, 0, TRIALS, K, &rr_gd);
    double mr_sg = median_steps(&rot, TRIALS, TRIALS, K, &rr_sg);
    double change = ma_sg > 0 ? mr_sg / ma_sg : NAN;
    int held2 = (isfinite(change) && fabs(change - 1) > 0.2) ||
                labs(rr_sg - ra_sg) * 10 >= TRIALS;
    n = claim(claims, "rotation_changes_signgd",
              "after a random rotation signGD behaves differently: its median number of "
              "iterations to pass all saddles changes by more than 20 %, or it reaches the "
              "minimum from a share of the starts 10 points or more apart",
              held2);
    cJSON_AddNumberToObject(n, "median_signgd_steps_axis", ma_sg);
    cJSON_AddNumberToObject(n, "median_signgd_steps_rotated", mr_sg);
    cJSON_AddNumberToObject(n, "ratio_rotated_over_axis", change);
    cJSON_AddNumberToObject(n, "signgd_reached_axis", (double)ra_sg);
    cJSON_AddNumberToObject(n, "signgd_reached_rotated", (double)rr_sg);
    cJSON_AddNumberToObject(n, "panel_signgd_steps_rotated", mid.out.res[2].pass[d]);

    /* 2b. The paper's aside: rotation appears to help unstick GD. */
    int held2b = mr_gd < ma_gd;
    n = claim(claims, "rotation_helps_gd",
              "the rotation appears to help unstick GD from the saddles (it reaches the "
              "minimum in fewer iterations than on the axis-aligned tube)",
              held2b);
    cJSON_AddNumberToObject(n, "median_gd_steps_axis", ma_gd);
    cJSON_AddNumberToObject(n, "median_gd_steps_rotated", mr_gd);
    cJSON_AddNumberToObject(n, "gd_reached_axis", (double)ra_gd);
    cJSON_AddNumberToObject(n, "gd_reached_rotated", (double)rr_gd);

    /* 3. Orbits exist: some rotation traps constant-step signgd in an exact cycle. */
    const sb_tb_result *ro = &right.out.res[2];
    int held3 = found_i >= 0 && sb_tb_saddle_orbit(ro, d, &tube);
    n = claim(claims, "orbits_exist",
              "for some rotations, signGD with a constant step is caught in a perfectly "
              "periodic orbit around a saddle point",
              held3);
    cJSON_AddNumberToObject(n, "rotations_searched", (double)searched);
    cJSON_AddNumberToObject(n, "rotations_with_saddle_orbit", (double)orbits);
    if (held3) {
        cJSON_AddNumberToObject(n, "rotation_seed", (double)orbit_seed);
        cJSON_AddNumberToObject(n, "period", (double)ro->orb_period);
        cJSON_AddNumberToObject(n, "entered_at_step", (double)ro->orb_entry);
        cJSON_AddNumberToObject(n, "detected_at_step", (double)ro->orb_det);
        cJSON_AddNumberToObject(n, "region", ro->orb_region);
        cJSON_AddNumberToObject(n, "saddle", ro->orb_region - 1);
        cJSON_AddNumberToObject(n, "final_f", ro->f);
        cJSON_AddNumberToObject(n, "max_distance_from_saddle", ro->orb_dist);
    }
    cJSON_AddNumberToObject(n, "saddle_radius", SB_TB_SADDLE_RADIUS * tube.tau);
    cJSON_AddNumberToObject(n, "rotations_with_orbit_not_at_saddle", (double)other_orbits);

    /* 4. Momentum breaks them: signum gets past the saddle where signgd cycles, on the
     * panel's rotation and on most of the orbit rotations found. */
    const sb_tb_result *rm = &right.out.res[4];
    int held4 = held3 && rm->maxreg > ro->orb_region && orbits > 0 && 2 * broken > orbits;
    n = claim(claims, "momentum_breaks_orbits",
              "momentum (signum) breaks the orbits: from the same start, it gets past the "
              "saddle where constant-step signGD cycles",
              held4);
    cJSON_AddNumberToObject(n, "panel_signgd_region", held3 ? ro->orb_region : ro->maxreg);
    cJSON_AddNumberToObject(n, "panel_signum_max_region", rm->maxreg);
    cJSON_AddNumberToObject(n, "panel_signum_final_f", rm->f);
    cJSON_AddNumberToObject(n, "panel_signgd_final_f", ro->f);
    cJSON_AddNumberToObject(n, "orbit_rotations", (double)orbits);
    cJSON_AddNumberToObject(n, "orbit_rotations_signum_escaped", (double)broken);

    /* ---- data and plots ---- */
    panel *ps[3] = {&left, &mid, &right};
    size_t T = (size_t)K + 1;
    sb_tb_textf(&csv, "iteration");
    for (int p = 0; p < 3; p++)
        for (int i = 0; i < ps[p]->nopt; i++)
            sb_tb_textf(&csv, ",%s_%s", ps[p]->name,
                                    sb_tb_optim_name(ps[p]->opts[i]));
    sb_tb_textf(&csv, "\n");
    for (size_t k = 0; k < T; k++) {
        sb_tb_textf(&csv, "%zu", k);
        for (int p = 0; p < 3; p++)
            for (int i = 0; i < ps[p]->nopt; i++)
                sb_tb_textf(&csv, ",%.9g",
                                        ps[p]->out.trace[(size_t)i * T + k]);
        sb_tb_textf(&csv, "\n");
    }
    char path[1200], title[256];
    snprintf(path, sizeof path, "%s/figure1.csv", dir);
    if (csv.oom) {
        st = sb_fail(err, SB_ERUNTIME, "figure1: out of memory");
        goto done;
    }
    if ((st = sb_write_file(path, csv.p, csv.len, err)))
        goto done;
    cJSON *files = cJSON_AddArrayToObject(root, "files");
    cJSON_AddItemToArray(files, cJSON_CreateString("figure1.csv"));
    if (sb_plot_available()) {
        snprintf(title, sizeof title, "tube d=%zu, axis aligned, lr %g (seed %llu)", d, a.lr,
                 (unsigned long long)a.seed);
        if ((st = plot_panel(dir, "figure1_left", title, &left, err)))
            goto done;
        snprintf(title, sizeof title, "tube d=%zu, random rotation (seed %llu), lr %g", d,
                 (unsigned long long)a.seed, a.lr);
        if ((st = plot_panel(dir, "figure1_middle", title, &mid, err)))
            goto done;
        snprintf(title, sizeof title, "tube d=%zu, rotation seed %llu (%s), lr %g", d,
                 (unsigned long long)orbit_seed, held3 ? "signgd orbits" : "no orbit found",
                 a.lr);
        if ((st = plot_panel(dir, "figure1_right", title, &right, err)))
            goto done;
        static const char *figs[] = {"figure1_left", "figure1_middle", "figure1_right"};
        for (int i = 0; i < 3; i++) {
            char f[64];
            snprintf(f, sizeof f, "%s.png", figs[i]);
            cJSON_AddItemToArray(files, cJSON_CreateString(f));
            snprintf(f, sizeof f, "%s.svg", figs[i]);
            cJSON_AddItemToArray(files, cJSON_CreateString(f));
        }
    } else {
        fprintf(stderr, "figure1: gnuplot not found: data and verdicts only, no plots\n");
    }
    snprintf(path, sizeof path, "%s/figure1.json", dir);
    if ((st = sb_json_save(path, root, err)))
        goto done;
    if (a.json) {
        sb_json_print(root);
    } else {
        printf("figure1: tube d=%zu, lr %g for every optimiser, %ld iterations, %s, on %s\n", d,
               a.lr, K, a.f64 ? "f64" : "f32", ctx.dev.name);
        cJSON *c;
        cJSON_ArrayForEach(c, claims)
        {
            printf("  [%s] %s\n", cJSON_IsTrue(cJSON_GetObjectItem(c, "held")) ? "held" :
                                                                                  "NOT held",
                   cJSON_GetObjectItem(c, "claim")->valuestring);
            char *nums = cJSON_PrintUnformatted(cJSON_GetObjectItem(c, "numbers"));
            if (nums)
                printf("         %s\n", nums);
            free(nums);
        }
        printf("note: %s\n", note);
        printf("written: %s/{figure1.json,figure1.csv,figure1_left/middle/right.png,.svg}\n",
               dir);
    }
done:
    free(csv.p);
    cJSON_Delete(root);
    sb_tb_out_free(&left.out);
    sb_tb_out_free(&mid.out);
    sb_tb_out_free(&right.out);
    sb_tb_out_free(&axis);
    sb_tb_out_free(&rot);
    sb_tb_out_free(&search);
    sb_tb_engine_close(&eng);
    sb_ctx_close(&ctx);
    return st;
}
