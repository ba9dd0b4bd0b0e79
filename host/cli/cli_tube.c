/* cli_tube.c - `signbench tube`: its options, then the batch, the orbit study or the bench
 * (host/study/tube_study.c), printed as a table (host/report/tube_print.c) or as JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "tube_print.h"
#include "tube_study.h"

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
    "  --out DIR           output folder (default results/runs/<UTC time>-<device slug>)\n"
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
    "                      launch per step, as a step-by-step pipeline runs); --json\n"
    "                      prints it (schema signbench-tube-bench-1), --out DIR keeps it\n"
    "                      as bench.json\n\n"
    "Outputs in --out: trajectories.csv (one row per trajectory), summary.json (per\n"
    "optimiser and setting: fraction that reached the minimum, quantiles of the steps to\n"
    "escape each saddle, fraction in periodic orbits, fraction that left the tube set),\n"
    "traces.csv and traces.png/.svg (f against iteration). The study writes orbits.csv,\n"
    "orbits.json and orbits.png/.svg (95 % Wilson intervals).\n"
    "Run times (PoCL, f32, 2 vCPUs shared with other jobs, so wall times are long): d =\n"
    "10, 100 trials x 5 optimisers x 3000 steps about 2 s of CPU with the kernel build\n"
    "(4-8 s wall); --study orbits with 1000 trials 84 s of CPU (10 minutes wall on\n"
    "the busy machine).\n\n" SB_COMMON_HELP;

enum {
    O_D = SB_OPT_FIRST_FREE,
    O_TRIALS,
    O_ROT,
    O_OPT,
    O_LR,
    O_SCHED,
    O_MOM,
    O_STEPS,
    O_PREC,
    O_SEED,
    O_DOMAIN,
    O_OUT,
    O_JSON,
    O_STUDY,
    O_STUDY_D,
    O_BENCH,
    O_TRACES,
    O_PGD_R,
    O_PGD_G,
    O_PGD_T
};

typedef struct tube_args {
    sb_opts dev;
    sb_tube_cfg c;
    int json, bench, study;
    int fixed_set; /* an option the study does not vary */
} tube_args;

/* Split a comma list into at most max items; each is handed to fn. */
static int each_item(const char *opt, const char *list, int max, int *n,
                     int (*fn)(const char *opt, const char *item, int i, void *ctx,
                               sb_err *err),
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
        return sb_fail(err, SB_EUSAGE,
                       "tube: unknown optimiser '%s' for %s (valid: gd, pgd, "
                       "signgd, ngd, signum)",
                       it, opt);
    ((int *)ctx)[i] = o;
    return SB_OK;
}

static int item_lr(const char *opt, const char *it, int i, void *ctx, sb_err *err)
{
    return sb_parse_double(opt, it, 1e-9, 1e3, &((double *)ctx)[i], err);
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
        return sb_fail(err, SB_EUSAGE,
                       "tube: unknown schedule '%s' for %s (valid: const, "
                       "invsqrt)",
                       it, opt);
    return SB_OK;
}

static int item_d(const char *opt, const char *it, int i, void *ctx, sb_err *err)
{
    return sb_parse_long(opt, it, 2, 4096, &((long *)ctx)[i], err);
}

/* The options that take a list or a name. Returns 1 when c is none of them. */
static int parse_list(int c, const char *arg, tube_args *a, sb_err *err)
{
    sb_tube_cfg *t = &a->c;
    switch (c) {
    case O_ROT:
        a->fixed_set = 1;
        if (!strcmp(arg, "none"))
            t->rot_mode = SB_TB_ROT_NONE;
        else if (!strcmp(arg, "random"))
            t->rot_mode = SB_TB_ROT_RANDOM;
        else {
            t->rot_mode = SB_TB_ROT_FILE;
            t->rot_file = arg;
        }
        return SB_OK;
    case O_OPT:
        a->fixed_set = 1;
        return each_item("--optimizers", arg, SB_TB_NOPT, &t->nopt, item_opt, t->opts, err);
    case O_LR:
        t->lr_set = 1;
        return each_item("--lr", arg, 16, &t->nlr, item_lr, t->lr, err);
    case O_SCHED:
        a->fixed_set = 1;
        return each_item("--schedule", arg, 2, &t->nsched, item_sched, t->sched, err);
    case O_MOM: return each_item("--momentum", arg, 8, &t->nmom, item_mom, t->mom, err);
    case O_STUDY_D:
        return each_item("--study-d", arg, 16, &t->nstudy_d, item_d, t->study_d, err);
    case O_PREC:
        if (!strcmp(arg, "f32") || !strcmp(arg, "f64")) {
            t->f64 = arg[1] == '6';
            return SB_OK;
        }
        return sb_fail(err, SB_EUSAGE, "tube: --precision must be f32 or f64, not '%s'",
                       arg);
    case O_DOMAIN:
        a->fixed_set = 1;
        if (!strcmp(arg, "strict"))
            t->strict = 1;
        else if (!strcmp(arg, "continuation") || !strcmp(arg, "continue"))
            t->strict = 0; /* "continue" is train/eval's older spelling */
        else
            return sb_fail(err, SB_EUSAGE,
                           "tube: --tube-domain must be continuation or "
                           "strict, not '%s'",
                           arg);
        return SB_OK;
    case O_STUDY:
        a->study = 1;
        if (strcmp(arg, "orbits"))
            return sb_fail(err, SB_EUSAGE, "tube: unknown --study '%s' (valid: orbits)",
                           arg);
        return SB_OK;
    }
    return 1;
}

/* The options that take a number, and the flags. Returns 1 when c is none of them. */
static int parse_scalar(int c, const char *arg, tube_args *a, sb_err *err)
{
    sb_tube_cfg *t = &a->c;
    long v;
    int st;
    switch (c) {
    case O_D: return sb_parse_long("--d", arg, 2, 4096, &t->d, err);
    case O_TRIALS:
        t->trials_set = 1;
        return sb_parse_long("--trials", arg, 1, 10000000, &t->trials, err);
    case O_STEPS: return sb_parse_long("--steps", arg, 1, 100000000, &t->steps, err);
    case O_SEED:
        st = sb_parse_long("--seed", arg, 0, 1L << 40, &v, err);
        t->seed = (uint64_t)v;
        return st;
    case O_TRACES:
        a->fixed_set = 1;
        return sb_parse_long("--traces", arg, 0, 100, &t->traces, err);
    case O_PGD_R: return sb_parse_double("--pgd-r", arg, 0, 1e6, &t->pgd_r, err);
    case O_PGD_G: return sb_parse_double("--pgd-gthres", arg, 0, 1e6, &t->pgd_g, err);
    case O_PGD_T: return sb_parse_long("--pgd-tthres", arg, 0, 100000000, &t->pgd_t, err);
    case O_OUT: t->out = arg; return SB_OK;
    case O_JSON: a->json = 1; return SB_OK;
    case O_BENCH: a->bench = 1; return SB_OK;
    }
    return 1;
}

/* Returns -1 for --help. */
static int parse_args(int argc, char **argv, tube_args *a, sb_err *err)
{
    static const struct option longopts[] = {
        {"d", required_argument, 0, O_D},
        {"trials", required_argument, 0, O_TRIALS},
        {"rotations", required_argument, 0, O_ROT},
        {"optimizers", required_argument, 0, O_OPT},
        {"lr", required_argument, 0, O_LR},
        {"schedule", required_argument, 0, O_SCHED},
        {"momentum", required_argument, 0, O_MOM},
        {"steps", required_argument, 0, O_STEPS},
        {"precision", required_argument, 0, O_PREC},
        {"seed", required_argument, 0, O_SEED},
        {"tube-domain", required_argument, 0, O_DOMAIN},
        {"out", required_argument, 0, O_OUT},
        {"json", no_argument, 0, O_JSON},
        {"study", required_argument, 0, O_STUDY},
        {"study-d", required_argument, 0, O_STUDY_D},
        {"bench", no_argument, 0, O_BENCH},
        {"traces", required_argument, 0, O_TRACES},
        {"pgd-r", required_argument, 0, O_PGD_R},
        {"pgd-gthres", required_argument, 0, O_PGD_G},
        {"pgd-tthres", required_argument, 0, O_PGD_T},
        SB_COMMON_LONGOPTS,
        {0, 0, 0, 0}};
    memset(a, 0, sizeof *a);
    sb_tube_cfg_defaults(&a->c);
    int c;
    optind = 1;
    opterr = 0;
    if (sb_cli_check_args("tube", argc, argv, "", longopts, err))
        return err->code;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (sb_cli_common(c, optarg, &a->dev))
            continue;
        if (c == SB_OPT_HELP)
            return -1;
        int st = parse_list(c, optarg, a, err);
        if (st == 1)
            st = parse_scalar(c, optarg, a, err);
        if (st == 1)
            return sb_cli_bad_option("tube", argc, argv, err);
        if (st != SB_OK)
            return st;
    }
    if (optind < argc)
        return sb_fail(err, SB_EUSAGE, "tube: unexpected argument '%s'", argv[optind]);
    if (a->study && a->bench)
        return sb_fail(err, SB_EUSAGE, "tube: --study and --bench are separate runs");
    if (a->study && a->c.nmom > 1)
        return sb_fail(err, SB_EUSAGE, "tube: --study orbits takes one --momentum value");
    if (a->study && a->fixed_set)
        return sb_fail(err, SB_EUSAGE,
                       "tube: --study orbits fixes the rotations (random), "
                       "optimisers, schedules, domain and traces; drop those options");
    return SB_OK;
}

int sb_cmd_tube(int argc, char **argv, sb_err *err)
{
    tube_args a;
    int st = parse_args(argc, argv, &a, err);
    if (st < 0)
        return sb_cli_help(help);
    if (st || (st = sb_tube_cfg_check(&a.c, err)))
        return st;
    sb_ctx ctx;
    if (sb_ctx_open(&ctx, &a.dev, err))
        return err->code;
    sb_tube_report r = {0};
    if (a.c.f64 && !ctx.fp64)
        st = sb_fail(err, SB_EUSAGE,
                     "tube: --precision f64 needs fp64; %s has none (use "
                     "--precision f32)",
                     ctx.dev.name);
    else if (a.bench)
        st = sb_tube_bench(&a.c, &ctx, &r, err);
    else if (a.study)
        st = sb_tube_orbits(&a.c, &ctx, &r, err);
    else
        st = sb_tube_main(&a.c, &ctx, &r, err);
    if (st == SB_OK && a.json)
        sb_json_print(r.json);
    else if (st == SB_OK && a.bench)
        sb_tube_print_bench(&r);
    else if (st == SB_OK && a.study)
        sb_tube_print_orbits(&r);
    else if (st == SB_OK)
        sb_tube_print_main(&a.c, ctx.dev.name, &r);
    sb_tube_report_free(&r);
    sb_ctx_close(&ctx);
    return st;
}
