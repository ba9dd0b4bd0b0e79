/* cli_tube.c - `signbench tube`: batched trajectories on the (rotated) tube function, the
 * per-trajectory CSV, aggregate JSON and traces, the orbit study and the batching bench. */
#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "orbit.h"
#include "plot.h"
#include "report.h"
#include "rotation.h"
#include "stats.h"
#include "tube_batch.h"
#include "fs.h"
#include "json.h"

static const char help[] =
    "usage: signbench tube [options]\n\n"
    "Runs many independent trajectories of gd, pgd, signgd, ngd and signum on the tube\n"
    "function of Du et al. (DESIGN.md 5.1), axis aligned or randomly rotated, all at once\n"
    "on the device (one work-item per trajectory, many steps per launch). Per trajectory:\n"
    "the step at which each saddle is passed, final f and gradient norm, steps outside\n"
    "the tube set, divergence, and for constant-step signgd the exact detection of a\n"
    "periodic orbit (Brent's algorithm on the lattice x = x0 + lr z).\n\n"
    "Options:\n"
    "  --d N               dimension, 2..4096 (default 10)\n"
    "  --trials N          random starts, each with its own rotation (default 100;\n"
    "                      1000 with --study orbits)\n"
    "  --rotations R       none, random (Haar, seed + trial) or a CSV file of a d x d\n"
    "                      matrix used for every trial (default random)\n"
    "  --optimizers LIST   from gd,pgd,signgd,ngd,signum (default all five)\n"
    "  --lr LIST           step sizes (default 0.05; --study: 0.02,0.05,0.1)\n"
    "  --schedule LIST     const and/or invsqrt (lr / sqrt(k + 1)) (default const)\n"
    "  --momentum LIST     signum's beta (default 0.9)\n"
    "  --steps K           updates per trajectory (default 3000)\n"
    "  --precision P       f32 or f64 (f64 only on devices with fp64; default f32)\n"
    "  --seed S            rotations, starts and PGD noise (default 1)\n"
    "  --tube-domain D     continuation (evaluate the formulas everywhere, count steps\n"
    "                      outside the tube set) or strict (stop there and mark the\n"
    "                      trajectory) (default continuation; continue is an alias)\n"
    "  --pgd-r R, --pgd-gthres G, --pgd-tthres T   PGD (default 0.1, 0.1, 40)\n"
    "  --traces N          record f at every step for the first N trials (default 2)\n"
    "  --out DIR           output folder (default results/runs/<UTC time>-tube)\n"
    "  --json              print the aggregate JSON instead of the table\n"
    "  --study orbits      probability that constant-step signgd ends in a periodic orbit\n"
    "                      around a saddle (every point of the cycle within tau of\n"
    "                      it, unrotated coordinates), against d (--study-d, default\n"
    "                      2,5,10,20,50,100) and step size; beside it, for signgd with\n"
    "                      invsqrt (base step scaled to the constant step's path length)\n"
    "                      and signum (--momentum), the probability of being trapped at a\n"
    "                      saddle (no new region in the second half of the run), and for\n"
    "                      all the probability of never reaching the minimum\n"
    "  --study-d LIST      dimensions of the study\n"
    "  --bench             trajectory-steps per second, d-dim rotated tube, batched (B =\n"
    "                      --trials, default 1024) against one trajectory at a time (a\n"
    "                      launch per step, as a step-by-step pipeline runs)\n\n"
    "Outputs in --out: trajectories.csv (one row per trajectory), summary.json (per\n"
    "optimiser and setting: fraction that reached the minimum, quantiles of the steps to\n"
    "escape each saddle, fraction in periodic orbits, fraction that left the tube set),\n"
    "traces.csv and traces.png/.svg (f against iteration). The study writes orbits.csv,\n"
    "orbits.json and orbits.png/.svg (95 %% Wilson intervals).\n"
    "Run times (PoCL, f32, 2 vCPUs shared with other jobs, so wall times are long): d =\n"
    "10, 100 trials x 5 optimisers x 3000 steps about 2 s of CPU with the kernel build\n"
    "(4-8 s wall); --study orbits with 1000 trials 84 s of CPU (10 minutes wall on\n"
    "the busy machine).\n\n"
    SB_COMMON_HELP;

enum { O_D = SB_OPT_FIRST_FREE, O_TRIALS, O_ROT, O_OPT, O_LR, O_SCHED, O_MOM, O_STEPS,
       O_PREC, O_SEED, O_DOMAIN, O_OUT, O_JSON, O_STUDY, O_STUDY_D, O_BENCH, O_TRACES,
       O_PGD_R, O_PGD_G, O_PGD_T };

typedef struct setting {
    int opt, sched;
    double lr, beta;
} setting;

typedef struct tube_args {
    sb_opts dev;
    long d, trials, steps, traces;
    int rot_mode;
    const char *rot_file;
    int opts[SB_TB_NOPT], nopt;
    double lr[16];
    int nlr;
    int sched[2], nsched;
    double mom[8];
    int nmom;
    int f64, strict, json, bench, study;
    uint64_t seed;
    const char *out;
    long study_d[16];
    int nstudy_d;
    double pgd_r, pgd_g;
    long pgd_t;
    int trials_set, lr_set, fixed_set; /* fixed_set: an option the study does not vary */
} tube_args;

/* Split a comma list into at most max items; each is handed to fn. */
static int each_item(const char *opt, const char *list, int max, int *n,
                     int (*fn)(const char *opt, const char *item, int i, void *ctx, sb_err *err),
                     void *ctx, sb_err *err)
{
    char buf[512];
    if (strlen(list) >= sizeof buf)
        return sb_fail(err, SB_EUSAGE, "tube: %s list too long", opt);
    strcpy(buf, list);
    *n = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        if (*n >= max)
            return sb_fail(err, SB_EUSAGE, "tube: at most %d values for %s", max, opt);
        if (fn(opt, tok, *n, ctx, err) != SB_OK)
            return err->code;
        (*n)++;
    }
    if (*n == 0)
        return sb_fail(err, SB_EUSAGE, "tube: %s needs at least one value", opt);
    return SB_OK;
}

static int item_opt(const char *opt, const char *it, int i, void *ctx, sb_err *err)
{
    int o = sb_tb_optim_parse(it);
    if (o < 0)
        return sb_fail(err, SB_EUSAGE, "tube: unknown optimiser '%s' for %s (valid: gd, pgd, "
                       "signgd, ngd, signum)", it, opt);
    ((int *)ctx)[i] = o;
    return SB_OK;
}

static int item_lr(const char *opt, const char *it, int i, void *ctx, sb_err *err)
{
    if (sb_parse_double(opt, it, 1e-9, 1e3, &((double *)ctx)[i], err) != SB_OK)
        return err->code;
    return SB_OK;
}

static int item_mom(const char *opt, const char *it, int i, void *ctx, sb_err *err)
{
    return sb_parse_double(opt, it, 0, 0.999999, &((double *)ctx)[i], err);
}

static int item_sched(const char *opt, const char *it, int i, void *ctx, sb_err *err)
{
    if (!strcmp(it, "const"))
        ((int *)ctx)[i] = SB_TB_CONST;
    else if (!strcmp(it, "invsqrt"))
        ((int *)ctx)[i] = SB_TB_INVSQRT;
    else
        return sb_fail(err, SB_EUSAGE, "tube: unknown schedule '%s' for %s (valid: const, "
                       "invsqrt)", it, opt);
    return SB_OK;
}

static int item_d(const char *opt, const char *it, int i, void *ctx, sb_err *err)
{
    return sb_parse_long(opt, it, 2, 4096, &((long *)ctx)[i], err);
}

static int parse_args(int argc, char **argv, tube_args *a, sb_err *err)
{
    static const struct option longopts[] = {
        {"d", required_argument, 0, O_D}, {"trials", required_argument, 0, O_TRIALS},
        {"rotations", required_argument, 0, O_ROT},
        {"optimizers", required_argument, 0, O_OPT}, {"lr", required_argument, 0, O_LR},
        {"schedule", required_argument, 0, O_SCHED},
        {"momentum", required_argument, 0, O_MOM}, {"steps", required_argument, 0, O_STEPS},
        {"precision", required_argument, 0, O_PREC}, {"seed", required_argument, 0, O_SEED},
        {"tube-domain", required_argument, 0, O_DOMAIN},
        {"out", required_argument, 0, O_OUT}, {"json", no_argument, 0, O_JSON},
        {"study", required_argument, 0, O_STUDY},
        {"study-d", required_argument, 0, O_STUDY_D}, {"bench", no_argument, 0, O_BENCH},
        {"traces", required_argument, 0, O_TRACES},
        {"pgd-r", required_argument, 0, O_PGD_R},
        {"pgd-gthres", required_argument, 0, O_PGD_G},
        {"pgd-tthres", required_argument, 0, O_PGD_T}, SB_COMMON_LONGOPTS, {0, 0, 0, 0}};
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
    int c;
    long v;
    optind = 1;
    opterr = 0;
    if (sb_cli_check_args("tube", argc, argv, "", longopts, err))
        return err->code;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (sb_cli_common(c, optarg, &a->dev))
            continue;
        int st = SB_OK;
        switch (c) {
        case SB_OPT_HELP:
            return -1;
        case O_D:
            st = sb_parse_long("--d", optarg, 2, 4096, &a->d, err);
            break;
        case O_TRIALS:
            st = sb_parse_long("--trials", optarg, 1, 10000000, &a->trials, err);
            a->trials_set = 1;
            break;
        case O_ROT:
            a->fixed_set = 1;
            if (!strcmp(optarg, "none"))
                a->rot_mode = SB_TB_ROT_NONE;
            else if (!strcmp(optarg, "random"))
                a->rot_mode = SB_TB_ROT_RANDOM;
            else {
                a->rot_mode = SB_TB_ROT_FILE;
                a->rot_file = optarg;
            }
            break;
        case O_OPT:
            a->fixed_set = 1;
            st = each_item("--optimizers", optarg, SB_TB_NOPT, &a->nopt, item_opt, a->opts, err);
            break;
        case O_LR:
            st = each_item("--lr", optarg, 16, &a->nlr, item_lr, a->lr, err);
            a->lr_set = 1;
            break;
        case O_SCHED:
            a->fixed_set = 1;
            st = each_item("--schedule", optarg, 2, &a->nsched, item_sched, a->sched, err);
            break;
        case O_MOM:
            st = each_item("--momentum", optarg, 8, &a->nmom, item_mom, a->mom, err);
            break;
        case O_STEPS:
            st = sb_parse_long("--steps", optarg, 1, 100000000, &a->steps, err);
            break;
        case O_PREC:
            if (!strcmp(optarg, "f32"))
                a->f64 = 0;
            else if (!strcmp(optarg, "f64"))
                a->f64 = 1;
            else
                st = sb_fail(err, SB_EUSAGE, "tube: --precision must be f32 or f64, not '%s'",
                             optarg);
            break;
        case O_SEED:
            st = sb_parse_long("--seed", optarg, 0, 1L << 40, &v, err);
            a->seed = (uint64_t)v;
            break;
        case O_DOMAIN:
            a->fixed_set = 1;
            if (!strcmp(optarg, "strict"))
                a->strict = 1;
            else if (!strcmp(optarg, "continuation") || !strcmp(optarg, "continue"))
                a->strict = 0; /* "continue" is train/eval's older spelling */
            else
                st = sb_fail(err, SB_EUSAGE, "tube: --tube-domain must be continuation or "
                             "strict, not '%s'", optarg);
            break;
        case O_OUT:
            a->out = optarg;
            break;
        case O_JSON:
            a->json = 1;
            break;
        case O_STUDY:
            if (strcmp(optarg, "orbits"))
                st = sb_fail(err, SB_EUSAGE, "tube: unknown --study '%s' (valid: orbits)",
                             optarg);
            a->study = 1;
            break;
        case O_STUDY_D:
            st = each_item("--study-d", optarg, 16, &a->nstudy_d, item_d, a->study_d, err);
            break;
        case O_BENCH:
            a->bench = 1;
            break;
        case O_TRACES:
            a->fixed_set = 1;
            st = sb_parse_long("--traces", optarg, 0, 100, &a->traces, err);
            break;
        case O_PGD_R:
            st = sb_parse_double("--pgd-r", optarg, 0, 1e6, &a->pgd_r, err);
            break;
        case O_PGD_G:
            st = sb_parse_double("--pgd-gthres", optarg, 0, 1e6, &a->pgd_g, err);
            break;
        case O_PGD_T:
            st = sb_parse_long("--pgd-tthres", optarg, 0, 100000000, &a->pgd_t, err);
            break;
        default:
            return sb_cli_bad_option("tube", argc, argv, err);
        }
        if (st != SB_OK)
            return st;
    }
    if (optind < argc)
        return sb_fail(err, SB_EUSAGE, "tube: unexpected argument '%s'", argv[optind]);
    if (a->study && a->bench)
        return sb_fail(err, SB_EUSAGE, "tube: --study and --bench are separate runs");
    if (a->study && a->nmom > 1)
        return sb_fail(err, SB_EUSAGE, "tube: --study orbits takes one --momentum value");
    if (a->study && a->fixed_set)
        return sb_fail(err, SB_EUSAGE, "tube: --study orbits fixes the rotations (random), "
                       "optimisers, schedules, domain and traces; drop those options");
    return SB_OK;
}

/* ---- one batch: settings x trials ------------------------------------------------- */

static int make_settings(const tube_args *a, setting *out, int max)
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
        snprintf(buf, n, "%s %s lr %g beta %g", sb_tb_optim_name(s->opt), sched_name(s->sched),
                 s->lr, s->beta);
    else
        snprintf(buf, n, "%s %s lr %g", sb_tb_optim_name(s->opt), sched_name(s->sched), s->lr);
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
    double *v = malloc(sizeof(double) * (trials ? trials : 1));
    if (!v) {
        cJSON_Delete(j);
        return NULL; /* the caller reports out of memory */
    }
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
    int lattice = st->opt == SB_TB_SIGNGD && st->sched == SB_TB_CONST;
    if (lattice) {
        cJSON_AddItemToObject(j, "saddle_orbit", frac_ci(orbit, (long)trials));
        cJSON_AddItemToObject(j, "minimum_orbit", frac_ci(orbit_min, (long)trials));
        cJSON_AddItemToObject(j, "orbit_not_at_saddle", frac_ci(orbit_other, (long)trials));
        /* Which saddles trap it: orbit counts by saddle (region - 1), and periods. */
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
    } else {
        cJSON_AddNullToObject(j, "saddle_orbit"); /* not a lattice method: no exact test */
    }
    cJSON_AddItemToObject(j, "left_domain", frac_ci(left, (long)trials));
    cJSON_AddItemToObject(j, "outside_tube_set", frac_ci(outside_any, (long)trials));
    cJSON_AddNumberToObject(j, "mean_steps_outside", trials ? outside_sum / (double)trials : 0);
    cJSON_AddItemToObject(j, "diverged", frac_ci(div, (long)trials));
    size_t n = 0;
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
    free(v);
    return j;
}

static int write_csv(const char *path, const sb_tb_out *o, const setting *set, int nset,
                     size_t trials, const tube_args *a, double fstar, sb_err *err)
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
                snprintf(rot, sizeof rot, "%s", a->rot_mode == SB_TB_ROT_FILE ? "file" : "none");
            OUT("%zu,%s,%s,%g,%g,%s,%d,%d", i, sb_tb_optim_name(set[si].opt),
                sched_name(set[si].sched), set[si].lr, set[si].beta, rot, r->pass[d] >= 0,
                r->pass[d]);
            for (size_t s = 0; s < d; s++)
                OUT(",%d", r->pass[s + 1]);
            const char *cls = !(r->flags & SB_TB_ORBIT) ? "none"
                              : saddle_orbit(r, d)        ? "saddle"
                              : r->orb_region > (int)d    ? "minimum"
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
        ser[r] = (sb_plot_series){labels[r], K, x, y + (size_t)r * K, NULL, NULL, SB_PLOT_LINES};
    if (st == SB_OK && sb_plot_available()) {
        snprintf(path, sizeof path, "%s/traces", dir);
        sb_plot p = {"tube function: f - f* + 1 against iteration", "iteration",
                     "f - f* + 1", 0, 1, 0, 0};
        st = sb_plot_lines(path, &p, ser, ntr, err);
    }
    free(buf.p);
    free(x);
    free(y);
    free(ser);
    return st;
}

static int out_dir(const tube_args *a, const char *what, char *dir, size_t n, sb_err *err)
{
    if (a->out)
        snprintf(dir, n, "%s", a->out);
    else {
        char stamp[32];
        sb_utc_stamp(stamp, sizeof stamp);
        snprintf(dir, n, "results/runs/%s-%s", stamp, what);
    }
    return sb_mkdir_p(dir, err);
}

static cJSON *settings_json(const tube_args *a, const sb_ctx *ctx, const sb_tb_setup *s)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "d", (double)s->d);
    cJSON_AddNumberToObject(j, "steps", (double)s->K);
    cJSON_AddStringToObject(j, "precision", s->f64 ? "f64" : "f32");
    cJSON_AddStringToObject(j, "rotations", a->rot_mode == SB_TB_ROT_NONE ? "none" :
                                            a->rot_mode == SB_TB_ROT_RANDOM ? "random" :
                                                                              a->rot_file);
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
        return sb_fail(err, SB_EUSAGE, "tube: %zu trajectories of dimension %zu need more "
                       "than 8 GB; use fewer --trials or settings", B, d);
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
            tr[t] = (sb_tb_traj){set[si].opt, set[si].sched,
                                 rot_mode == SB_TB_ROT_NONE ? -1 :
                                 rot_mode == SB_TB_ROT_FILE ? 0 : (int)i,
                                 traced ? row++ : -1, set[si].lr, set[si].beta};
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
static void base_setup(const tube_args *a, size_t d, sb_tb_setup *s)
{
    sb_tb_setup_defaults(s);
    s->d = d;
    s->K = a->steps;
    s->f64 = a->f64;
}

static int run_main(const tube_args *a, sb_ctx *ctx, sb_err *err)
{
    setting set[SB_TB_NOPT * 2 * 16 * 8];
    int nset = make_settings(a, set, (int)(sizeof set / sizeof set[0]));
    size_t d = (size_t)a->d, trials = (size_t)a->trials;
    double *Qs = NULL, *x0s = NULL, *x0 = NULL;
    sb_tb_traj *tr = NULL;
    size_t nrot;
    int st = sb_tb_make_trials(d, trials, a->rot_mode, a->rot_file, a->seed, &Qs, &nrot, &x0s,
                               err);
    if (st)
        return st;
    sb_tb_setup s;
    base_setup(a, d, &s);
    s.strict = a->strict;
    s.seed = a->seed;
    s.pgd_r = a->pgd_r;
    s.pgd_gthres = a->pgd_g;
    s.pgd_tthres = (int)a->pgd_t;
    s.trace_len = a->traces > 0 ? (size_t)a->steps + 1 : 0;
    long ntt = a->traces < (long)trials ? a->traces : (long)trials;
    sb_tb_engine eng = {0};
    sb_tb_out out = {0};
    cJSON *root = NULL;
    char dir[1024];
    if ((st = build_batch(&s, set, nset, trials, Qs, nrot, x0s, a->rot_mode, (int)ntt, &tr, &x0,
                          err)))
        goto done;
    if ((st = sb_tb_check(&s, err)) || (st = out_dir(a, "tube", dir, sizeof dir, err)))
        goto done;
    if ((st = sb_tb_engine_open(&eng, ctx, d, a->f64, err)))
        goto done;
    sb_progress bar;
    sb_progress_start(&bar, "tube", a->steps + 1);
    st = sb_tb_run(&eng, &s, 0, &bar, &out, err);
    sb_progress_end(&bar);
    if (st)
        goto done;
    double fstar = -(double)d * sb_tube_nu(&s.tube);
    root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "schema", "signbench-tube-1");
    cJSON_AddItemToObject(root, "settings", settings_json(a, ctx, &s));
    cJSON_AddNumberToObject(root, "trajectories", (double)s.B);
    cJSON_AddNumberToObject(root, "seconds", out.seconds);
    cJSON_AddNumberToObject(root, "trajectory_steps_per_second",
                            (double)s.B * (double)(s.K + 1) / out.seconds);
    cJSON *res = cJSON_AddArrayToObject(root, "results");
    for (int si = 0; si < nset; si++) {
        cJSON *agg = aggregate(&set[si], &out, (size_t)si * trials, trials, fstar);
        if (!agg) {
            st = sb_fail(err, SB_ERUNTIME, "tube: out of memory");
            goto done;
        }
        cJSON_AddItemToArray(res, agg);
    }
    char path[1200];
    snprintf(path, sizeof path, "%s/trajectories.csv", dir);
    if ((st = write_csv(path, &out, set, nset, trials, a, fstar, err)))
        goto done;
    snprintf(path, sizeof path, "%s/summary.json", dir);
    if ((st = sb_json_save(path, root, err)))
        goto done;
    if (s.ntrace > 0) {
        char(*labels)[128] = calloc((size_t)s.ntrace, sizeof *labels);
        if (!labels) {
            st = sb_fail(err, SB_ERUNTIME, "tube: out of memory");
            goto done;
        }
        for (size_t t = 0; t < s.B; t++)
            if (tr[t].trace >= 0) {
                char l[80];
                setting_label(&set[t / trials], l, sizeof l);
                snprintf(labels[tr[t].trace], 128, "%s trial %zu", l, t % trials);
            }
        st = write_traces(dir, &out, &s, labels, s.ntrace, fstar, err);
        free(labels);
        if (st)
            goto done;
    }
    if (a->json) {
        sb_json_print(root);
    } else {
        printf("tube d=%zu, %zu trials, %ld steps, %s, rotations %s, domain %s on %s: %.2f s\n",
               d, trials, a->steps, a->f64 ? "f64" : "f32",
               a->rot_mode == SB_TB_ROT_NONE ? "none" :
               a->rot_mode == SB_TB_ROT_RANDOM ? "random" : a->rot_file,
               a->strict ? "strict" : "continuation", ctx->dev.name, out.seconds);
        if (!a->strict) {
            char note[512];
            sb_tb_smoothness_note(&s.tube, note, sizeof note);
            printf("note: %s\n", note);
        }
        printf("%-34s %8s %8s %8s %8s %8s %12s\n", "setting", "minimum", "orbit", "no-saddle",
               "left", "outside", "median steps");
        cJSON *r;
        int si = 0;
        cJSON_ArrayForEach(r, res)
        {
            char l[80];
            setting_label(&set[si++], l, sizeof l);
            cJSON *so = cJSON_GetObjectItem(r, "saddle_orbit"),
                  *oo = cJSON_GetObjectItem(r, "orbit_not_at_saddle");
            cJSON *med = cJSON_GetObjectItem(cJSON_GetObjectItem(r, "steps_to_minimum"),
                                             "median");
            char orb[16] = "n/a", oth[16] = "n/a", ms[16] = "-";
            if (cJSON_IsObject(so))
                snprintf(orb, sizeof orb, "%.3f",
                         cJSON_GetObjectItem(so, "fraction")->valuedouble);
            if (cJSON_IsObject(oo))
                snprintf(oth, sizeof oth, "%.3f",
                         cJSON_GetObjectItem(oo, "fraction")->valuedouble);
            if (med)
                snprintf(ms, sizeof ms, "%.0f", med->valuedouble);
            printf("%-34s %8.3f %8s %8s %8.3f %8.3f %12s\n", l,
                   cJSON_GetObjectItem(cJSON_GetObjectItem(r, "reached_minimum"), "fraction")
                       ->valuedouble,
                   orb, oth,
                   cJSON_GetObjectItem(cJSON_GetObjectItem(r, "left_domain"), "fraction")
                       ->valuedouble,
                   cJSON_GetObjectItem(cJSON_GetObjectItem(r, "outside_tube_set"), "fraction")
                       ->valuedouble,
                   ms);
        }
        printf("(minimum: reached the basin of the minimum; orbit: exact periodic orbit around "
               "a saddle, every point within %g of it (tau, unrotated coordinates); no-saddle: "
               "exact orbit elsewhere, e.g. a step too large for the tube; left: stopped "
               "outside the tube set (strict); outside: ever outside it)\nwritten: "
               "%s/{trajectories.csv,summary.json%s%s}\n",
               SB_TB_SADDLE_RADIUS * s.tube.tau, dir,
               s.ntrace > 0 ? ",traces.csv" : "",
               s.ntrace > 0 && sb_plot_available() ? ",traces.png,traces.svg,traces.dat" : "");
    }
done:
    cJSON_Delete(root);
    sb_tb_out_free(&out);
    sb_tb_engine_close(&eng);
    free(Qs);
    free(x0s);
    free(x0);
    free(tr);
    return st;
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

static int run_bench(const tube_args *a, sb_ctx *ctx, sb_err *err)
{
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
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "device", ctx->dev.name);
    cJSON_AddNumberToObject(j, "d", (double)d);
    cJSON_AddStringToObject(j, "optimizer", sb_tb_optim_name(opt));
    cJSON_AddStringToObject(j, "precision", a->f64 ? "f64" : "f32");
    cJSON_AddNumberToObject(j, "batch", (double)trials);
    cJSON_AddNumberToObject(j, "steps", (double)s.K);
    cJSON_AddNumberToObject(j, "batched_steps_per_s", batched);
    cJSON_AddNumberToObject(j, "batched_launches", (double)o1.launches);
    cJSON_AddNumberToObject(j, "single_many_steps_per_launch_steps_per_s", single);
    cJSON_AddNumberToObject(j, "single_launch_per_step_steps_per_s", stepwise);
    cJSON_AddNumberToObject(j, "speedup_vs_launch_per_step", batched / stepwise);
    cJSON_AddNumberToObject(j, "speedup_vs_single_many_steps", batched / single);
    if (a->json) {
        sb_json_print(j);
    } else {
        printf("tube bench: d=%zu rotated, %s, %s, %ld steps on %s\n", d, sb_tb_optim_name(opt),
               a->f64 ? "f64" : "f32", s.K, ctx->dev.name);
        printf("  batched, B=%zu, %ld launches:          %12.4g trajectory-steps/s\n", trials,
               o1.launches, batched);
        printf("  one trajectory, many steps per launch: %12.4g trajectory-steps/s (x%.1f)\n",
               single, batched / single);
        printf("  one trajectory, one launch per step:   %12.4g trajectory-steps/s (x%.1f)\n",
               stepwise, batched / stepwise);
        printf("(x: batched over that; timings on a shared machine are noisy)\n");
    }
    if (a->out) {
        char dir[1024], path[1200];
        if ((st = out_dir(a, "tube-bench", dir, sizeof dir, err)) == SB_OK) {
            snprintf(path, sizeof path, "%s/bench.json", dir);
            st = sb_json_save(path, j, err);
        }
    }
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
static const char *const variant_names[NV] = {"signgd const", "signgd invsqrt", "signum const"};

/* Trapped at a saddle: an exact orbit there, or never at the minimum and no new region
 * reached during the second half of the run. */
static int trapped(const sb_tb_result *r, size_t d, long K)
{
    if (saddle_orbit(r, d))
        return 1;
    return r->pass[d] < 0 && r->maxreg >= 1 && 2L * r->pass[r->maxreg - 1] <= K;
}

static int run_study(const tube_args *a, sb_ctx *ctx, sb_err *err)
{
    size_t trials = a->trials_set ? (size_t)a->trials : 1000;
    double lrs[16];
    int nlr = a->lr_set ? a->nlr : 3;
    if (a->lr_set)
        memcpy(lrs, a->lr, sizeof(double) * (size_t)nlr);
    else {
        lrs[0] = 0.02;
        lrs[1] = 0.05;
        lrs[2] = 0.1;
    }
    char dir[1024];
    int st = out_dir(a, "tube-orbits", dir, sizeof dir, err);
    if (st)
        return st;
    int nd = a->nstudy_d;
    /* counts[d][variant][lr]: saddle orbits, trapped at a saddle, never reached the
     * minimum */
    long *orb = calloc((size_t)nd * NV * (size_t)nlr, sizeof(long));
    long *trap = calloc((size_t)nd * NV * (size_t)nlr, sizeof(long));
    long *stuck = calloc((size_t)nd * NV * (size_t)nlr, sizeof(long));
    double *secs = calloc((size_t)nd, sizeof(double));
    /* invsqrt with the same path length as the constant step over K steps:
     * sum_k lr' / sqrt(k + 1) = K lr. Otherwise lr / sqrt(k + 1) cannot even cover the
     * distance to the minimum (2 lr sqrt(K) < 4 tau for lr <= 0.1, K = 3000). */
    double hk = 0;
    for (long k = 1; k <= a->steps; k++)
        hk += 1 / sqrt((double)k);
    double inv_scale = (double)a->steps / hk;
    if (!orb || !trap || !stuck || !secs) {
        free(orb);
        free(trap);
        free(stuck);
        free(secs);
        return sb_fail(err, SB_ERUNTIME, "tube: out of memory");
    }
#define IDX(di, v, l) (((size_t)(di) * NV + (size_t)(v)) * (size_t)nlr + (size_t)(l))
    sb_progress bar;
    sb_progress_start(&bar, "orbits", nd);
    for (int di = 0; di < nd && st == SB_OK; di++) {
        size_t d = (size_t)a->study_d[di];
        double *Qs = NULL, *x0s = NULL, *x0 = NULL;
        size_t nrot;
        sb_tb_traj *tr = NULL;
        sb_tb_engine eng = {0};
        sb_tb_out out = {0};
        setting set[NV * 16];
        int nset = 0;
        for (int v = 0; v < NV; v++)
            for (int l = 0; l < nlr; l++)
                set[nset++] = (setting){v == V_SIGNUM ? SB_TB_SIGNUM : SB_TB_SIGNGD,
                                        v == V_INVSQRT ? SB_TB_INVSQRT : SB_TB_CONST,
                                        v == V_INVSQRT ? lrs[l] * inv_scale : lrs[l],
                                        a->mom[0]};
        st = sb_tb_make_trials(d, trials, SB_TB_ROT_RANDOM, NULL, a->seed, &Qs, &nrot, &x0s,
                               err);
        sb_tb_setup s;
        base_setup(a, d, &s);
        s.seed = a->seed;
        s.stop_at_orbit = 1; /* an orbit repeats forever: nothing more to learn */
        s.stop_at_basin = 1; /* reaching the minimum's basin settles "not stuck" */
        if (st == SB_OK)
            st = build_batch(&s, set, nset, trials, Qs, nrot, x0s, SB_TB_ROT_RANDOM, 0, &tr, &x0,
                             err);
        if (st == SB_OK)
            st = sb_tb_engine_open(&eng, ctx, d, a->f64, err);
        if (st == SB_OK)
            st = sb_tb_run(&eng, &s, 0, NULL, &out, err);
        if (st == SB_OK) {
            secs[di] = out.seconds;
            for (int si = 0; si < nset; si++)
                for (size_t i = 0; i < trials; i++) {
                    const sb_tb_result *r = &out.res[(size_t)si * trials + i];
                    orb[IDX(di, si / nlr, si % nlr)] += saddle_orbit(r, d);
                    stuck[IDX(di, si / nlr, si % nlr)] += r->pass[d] < 0;
                    trap[IDX(di, si / nlr, si % nlr)] += trapped(r, d, a->steps);
                }
        }
        sb_tb_out_free(&out);
        sb_tb_engine_close(&eng);
        free(Qs);
        free(x0s);
        free(x0);
        free(tr);
        sb_progress_step(&bar, di + 1);
    }
    sb_progress_end(&bar);
    if (st != SB_OK)
        goto done;
    /* Table, JSON, plot. */
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "schema", "signbench-tube-orbits-1");
    cJSON_AddStringToObject(root, "device", ctx->dev.name);
    cJSON_AddNumberToObject(root, "trials", (double)trials);
    cJSON_AddNumberToObject(root, "steps", (double)a->steps);
    cJSON_AddNumberToObject(root, "momentum", a->mom[0]);
    cJSON_AddStringToObject(root, "precision", a->f64 ? "f64" : "f32");
    cJSON_AddStringToObject(root, "definition",
                            "saddle_orbit: exact periodic orbit (repeated lattice vector) in "
                            "a region <= d with every point within tau of that region's "
                            "saddle (unrotated coordinates); only constant-step signgd "
                            "lives on a lattice. trapped_at_saddle: a saddle orbit, or never "
                            "at the minimum and no new region reached in the second half of "
                            "the steps. never_reached_minimum: did not enter the basin of the "
                            "minimum within the steps. signgd invsqrt runs lr_effective = lr "
                            "K / sum_k 1/sqrt(k), the constant step's path length");
    cJSON_AddNumberToObject(root, "invsqrt_lr_scale", inv_scale);
    cJSON *rows = cJSON_AddArrayToObject(root, "rows");
    sb_tb_text csv = {0};
    sb_tb_textf(&csv, "d,variant,lr,lr_effective,trials,saddle_orbits,p_orbit,orbit_lo,"
                            "orbit_hi,trapped,p_trapped,trapped_lo,trapped_hi,never_reached,"
                            "p_no_minimum,no_minimum_lo,no_minimum_hi,seconds\n");
    if (!a->json)
        printf("%5s %-16s %6s %22s %22s %22s\n", "d", "variant", "lr",
               "P(saddle orbit) [95%]", "P(trapped) [95%]", "P(no minimum) [95%]");
    for (int di = 0; di < nd; di++)
        for (int v = 0; v < NV; v++)
            for (int l = 0; l < nlr; l++) {
                long ko = orb[IDX(di, v, l)], ks = stuck[IDX(di, v, l)], kt = trap[IDX(di, v, l)];
                double olo, ohi, slo, shi, tlo, thi;
                sb_wilson(ko, (long)trials, 1.96, &olo, &ohi);
                sb_wilson(ks, (long)trials, 1.96, &slo, &shi);
                sb_wilson(kt, (long)trials, 1.96, &tlo, &thi);
                double po = (double)ko / (double)trials, ps = (double)ks / (double)trials;
                double pt = (double)kt / (double)trials;
                double lre = v == V_INVSQRT ? lrs[l] * inv_scale : lrs[l];
                cJSON *r = cJSON_CreateObject();
                cJSON_AddNumberToObject(r, "d", (double)a->study_d[di]);
                cJSON_AddStringToObject(r, "variant", variant_names[v]);
                cJSON_AddNumberToObject(r, "lr", lrs[l]);
                if (v == V_CONST)
                    cJSON_AddItemToObject(r, "saddle_orbit", frac_ci(ko, (long)trials));
                else
                    cJSON_AddNullToObject(r, "saddle_orbit");
                cJSON_AddNumberToObject(r, "lr_effective", lre);
                cJSON_AddItemToObject(r, "trapped_at_saddle", frac_ci(kt, (long)trials));
                cJSON_AddItemToObject(r, "never_reached_minimum", frac_ci(ks, (long)trials));
                cJSON_AddNumberToObject(r, "seconds_for_d", secs[di]);
                cJSON_AddItemToArray(rows, r);
                sb_tb_textf(&csv, "%ld,%s,%g,%.6g,%zu,%ld,%.6g,%.6g,%.6g,%ld,%.6g,%.6g,%.6g,"
                                        "%ld,%.6g,%.6g,%.6g,%.3f\n",
                                        a->study_d[di], variant_names[v], lrs[l], lre, trials, ko,
                                        po, olo, ohi, kt, pt, tlo, thi, ks, ps, slo, shi,
                                        secs[di]);
                if (!a->json) {
                    char ob[40] = "n/a (no lattice)";
                    if (v == V_CONST)
                        snprintf(ob, sizeof ob, "%.3f [%.3f,%.3f]", po, olo, ohi);
                    printf("%5ld %-16s %6g %22s %9.3f [%.3f,%.3f] %9.3f [%.3f,%.3f]\n",
                           a->study_d[di], variant_names[v], lrs[l], ob, pt, tlo, thi, ps, slo,
                           shi);
                }
            }
    char path[1200];
    snprintf(path, sizeof path, "%s/orbits.csv", dir);
    st = csv.oom ? sb_fail(err, SB_ERUNTIME, "tube: out of memory")
                 : sb_write_file(path, csv.p, csv.len, err);
    free(csv.p);
    if (st == SB_OK) {
        snprintf(path, sizeof path, "%s/orbits.json", dir);
        st = sb_json_save(path, root, err);
    }
    if (a->json && st == SB_OK)
        sb_json_print(root);
    cJSON_Delete(root);
    if (st == SB_OK && sb_plot_available()) {
        /* P(saddle orbit) of const signgd per lr, and P(trapped) of the other two. */
        int ns = nlr * NV;
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
                    long c = v == V_CONST ? orb[IDX(di, v, l)] : trap[IDX(di, v, l)];
                    x[di] = (double)a->study_d[di];
                    y[di] = (double)c / (double)trials;
                    sb_wilson(c, (long)trials, 1.96, &lo[di], &hi[di]);
                }
                snprintf(lab[k], 64, "%s lr %g: %s", variant_names[v], lrs[l],
                         v == V_CONST ? "P(saddle orbit)" : "P(trapped at a saddle)");
                ser[k] = (sb_plot_series){lab[k], (size_t)nd, x, y, lo, hi, SB_PLOT_ERRORBARS};
            }
        if (st == SB_OK) {
            snprintf(path, sizeof path, "%s/orbits", dir);
            sb_plot p = {"signGD on the rotated tube: periodic orbits around saddles",
                         "dimension d", "probability (95% Wilson CI)", 1, 0, 0, 0};
            st = sb_plot_lines(path, &p, ser, ns, err);
        }
        free(ser);
        free(buf);
        free(lab);
    }
    if (st == SB_OK && !a->json)
        printf("written: %s/{orbits.csv,orbits.json,orbits.png,orbits.svg}\n", dir);
#undef IDX
done:
    free(orb);
    free(trap);
    free(stuck);
    free(secs);
    return st;
}

int sb_cmd_tube(int argc, char **argv, sb_err *err)
{
    tube_args a;
    int st = parse_args(argc, argv, &a, err);
    if (st < 0)
        return sb_cli_help(help);
    if (st)
        return st;
    if (a.rot_file && a.rot_mode == SB_TB_ROT_FILE) {
        /* Fail on a bad file before opening the device. */
        double *q = malloc(sizeof(double) * (size_t)(a.d * a.d));
        if (!q)
            return sb_fail(err, SB_ERUNTIME, "tube: out of memory");
        st = sb_rotation_read(a.rot_file, (size_t)a.d, q, err);
        free(q);
        if (st)
            return sb_wrap(err, "tube --rotations");
    }
    sb_ctx ctx;
    if (sb_ctx_open(&ctx, &a.dev, err))
        return err->code;
    if (a.f64 && !ctx.fp64) {
        st = sb_fail(err, SB_EUSAGE, "tube: --precision f64 needs fp64; %s has none (use "
                     "--precision f32)", ctx.dev.name);
    } else if (a.bench)
        st = run_bench(&a, &ctx, err);
    else if (a.study)
        st = run_study(&a, &ctx, err);
    else
        st = run_main(&a, &ctx, err);
    sb_ctx_close(&ctx);
    return st;
}
