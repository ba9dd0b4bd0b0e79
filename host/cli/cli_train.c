/* cli_train.c - `signbench train`: its options, then one or several optimisers on the same
 * problem and seed (study/train_runs.c), printed side by side (report/train_print.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_dist.h"
#include "problem.h"
#include "train_print.h"
#include "train_runs.h"

#ifdef SB_HAVE_MPI
#define MPI_HELP SB_MPI_HELP
#else
#define MPI_HELP ""
#endif

static const char help[] =
    "usage: signbench train --problem P --optimizer O[,O2,...] [options]\n\n"
    "Runs optimisers on one problem (same problem, seed and start point for each) and\n"
    "prints their results side by side. Writes, per optimiser, a trace OUT/train-O.csv\n"
    "(step,evals,f,grad1,grad2,grad1_min,test_accuracy,elapsed) and a summary\n"
    "OUT/train-O.json (fields in README.md). Metrics are of the full, noise-free\n"
    "objective: f, norm1 and norm2 of its gradient, every --log-every steps. A run whose\n"
    "f or x becomes NaN/inf stops there and is reported as diverged (exit status 0).\n"
    "Beside the measured minimum gradient norm it prints Theorem 1 (signsgd with\n"
    "--schedule theory) or Theorem 2 (sgd with --schedule invsqrt, batch 1) when the\n"
    "problem's f*, L and the noise are known (quad, quad-rotated, tube).\n\n" SB_PROBLEM_HELP
    "\n"
    "Optimiser (defaults):\n"
    "  --optimizer O,...   sgd (gd), momentum, signsgd (signgd), signum, ef-signsgd,\n"
    "                      lion, adam, rmsprop, pgd, ngd (required; comma list)\n"
    "  --lr X              base step size (1e-3)\n"
    "  --schedule S        const (default) | invsqrt: lr/sqrt(k+1) | theory: invsqrt and\n"
    "                      minibatch n_k = k+1 (Theorem 1) | step: lr *= gamma every\n"
    "                      --step-every steps\n"
    "  --gamma X           step schedule factor (0.1)   --step-every N  (100)\n"
    "  --b1 X              momentum/signum/lion/adam beta1 (0.9)\n"
    "  --b2 X              lion 0.99, adam 0.999, rmsprop alpha 0.99\n"
    "  --eps X             adam, rmsprop (1e-8)\n"
    "  --wd X              weight decay (0)   --wd-mode coupled (default) | decoupled\n"
    "  --pgd-r X           pgd perturbation radius (0.1)\n"
    "  --pgd-g X           pgd: perturb when norm2(g) <= X (0.1)\n"
    "  --pgd-t N           pgd: at least N steps between perturbations (40)\n"
    "  --compress C        gradient compression before the update: none (default) |\n"
    "                      sign | pack (1 bit, 0 -> +1) | scaled-sign (norm1(g)/d sign(g))\n"
    "  --workers M         M simulated data-parallel workers on this device, each with\n"
    "                      its own noise/minibatch stream (default 1); aggregate: the\n"
    "                      majority vote of their packed signs with --compress pack,\n"
    "                      else the mean of their (compressed) gradients\n"
    "  --worker-devices L  one worker per entry of the device list L (0:0,0:1,...; a\n"
    "                      device may repeat), all at once: each its own context,\n"
    "                      queue and host thread, computing and compressing its\n"
    "                      gradient; the aggregate (as --workers) is formed once on the\n"
    "                      first device and every device applies the update. Same\n"
    "                      seeds, same trajectory as --workers M on one device. The\n"
    "                      summary's worker_devices: per worker compute_s, idle_s\n"
    "                      (waiting for the slowest), alone_step_s (that device running\n"
    "                      all M workers alone), the step_s of the group, x_max_diff\n"
    "                      (largest |x_w - x_first| at the end)\n" SB_BYZ_HELP MPI_HELP "\n"
    "Budget (the first one met stops a run):\n"
    "  --steps K           optimiser steps (default 1000; 100000 with a target)\n"
    "  --evals N           stochastic gradient calls (n_k per step)\n"
    "  --target-grad1 E    stop when norm1 of the full gradient <= E\n"
    "  --target-loss F     stop when f <= F\n"
    "  A target is checked after every step (one full-gradient metric per step, which\n"
    "  costs about a gradient call and a reduction; --log-every only thins the trace),\n"
    "  so steps_to_target and evals_to_target are exact.\n\n"
    "Oracle:\n"
    "  --batch N           minibatch size, at most the rows of the data (default: full\n"
    "                      batch)\n"
    "  --sigma S           additive Gaussian noise per coordinate (default 0)\n"
    "  --seed S            problem, start point, noise, minibatches (default 1)\n\n"
    "Output:\n"
    "  --log-every N       metrics every N steps (default 1, or steps/1000 for longer runs)\n"
    "  --out DIR           output folder (default results/runs/<UTC time>-<device>)\n"
    "  --json              print the summaries as one JSON object on stdout\n"
    "  --no-split          do not time gradient/compress/aggregate/update separately:\n"
    "                      one clFinish per step instead of one per phase (less\n"
    "                      overhead at small d; time_split is null but for metrics)\n\n" SB_COMMON_HELP;

enum {
    O_OPT = SB_OPT_FIRST_FREE,
    O_STEPS,
    O_EVALS,
    O_TG1,
    O_TLOSS,
    O_LR,
    O_SCHED,
    O_GAMMA,
    O_STEP_EVERY,
    O_B1,
    O_B2,
    O_EPS,
    O_WD,
    O_WDMODE,
    O_PGDR,
    O_PGDG,
    O_PGDT,
    O_COMPRESS,
    O_BATCH,
    O_SIGMA,
    O_SEED,
    O_LOG,
    O_OUT,
    O_JSON,
    O_NOSPLIT,
    O_WORKERS,
    O_MPI,
    O_WDEV
};

static int parse_u64(const char *opt, const char *s, uint64_t *out, sb_err *err)
{
    size_t v;
    if (sb_parse_size(opt, s, &v, err) != SB_OK)
        return SB_EUSAGE;
    *out = v;
    return SB_OK;
}

/* Every optimiser of the list, then the table or the JSON (rank 0 only under MPI). */
static int train_all(sb_train_cfg *cfg, const char *const *list, int n, const char *out,
                     int json, int rank, sb_err *err)
{
    cfg->progress = !json && rank == 0;
    sb_train_runs r;
    int st = sb_train_runs_run(cfg, list, n, out, rank == 0, &r, err);
    if (st == SB_OK && rank == 0) {
        if (json) {
            char *s = cJSON_Print(r.all);
            if (s) {
                printf("%s\n", s);
                cJSON_free(s);
            } else
                st = sb_fail(err, SB_ERUNTIME, "out of memory printing JSON");
        } else
            sb_train_print(&r, cfg->seed);
    }
    sb_train_runs_free(&r);
    return st;
}

/* What the command line asks for besides the run's settings. */
typedef struct train_args {
    const char *optlist, *out;
    int json;
    int help; /* --help was shown: nothing more to do */
} train_args;

/* train's options (the common, problem, MPI and Byzantine ones included). */
static const struct option train_longopts[] = {
    {"optimizer", required_argument, 0, O_OPT},
    {"steps", required_argument, 0, O_STEPS},
    {"evals", required_argument, 0, O_EVALS},
    {"target-grad1", required_argument, 0, O_TG1},
    {"target-loss", required_argument, 0, O_TLOSS},
    {"lr", required_argument, 0, O_LR},
    {"schedule", required_argument, 0, O_SCHED},
    {"gamma", required_argument, 0, O_GAMMA},
    {"step-every", required_argument, 0, O_STEP_EVERY},
    {"b1", required_argument, 0, O_B1},
    {"b2", required_argument, 0, O_B2},
    {"eps", required_argument, 0, O_EPS},
    {"wd", required_argument, 0, O_WD},
    {"wd-mode", required_argument, 0, O_WDMODE},
    {"pgd-r", required_argument, 0, O_PGDR},
    {"pgd-g", required_argument, 0, O_PGDG},
    {"pgd-t", required_argument, 0, O_PGDT},
    {"compress", required_argument, 0, O_COMPRESS},
    {"batch", required_argument, 0, O_BATCH},
    {"sigma", required_argument, 0, O_SIGMA},
    {"seed", required_argument, 0, O_SEED},
    {"log-every", required_argument, 0, O_LOG},
    {"out", required_argument, 0, O_OUT},
    {"json", no_argument, 0, O_JSON},
    {"no-split", no_argument, 0, O_NOSPLIT},
    {"workers", required_argument, 0, O_WORKERS},
    SB_BYZ_LONGOPTS,
    {"worker-devices", required_argument, 0, O_WDEV},
#ifdef SB_HAVE_MPI
    {"mpi", no_argument, 0, O_MPI},
    SB_MPI_LONGOPTS,
#endif
    SB_PROBLEM_LONGOPTS,
    SB_COMMON_LONGOPTS,
    {0, 0, 0, 0}};

static int parse_options(int argc, char **argv, sb_train_cfg *cfg, train_args *ta,
                         sb_err *err)
{
    sb_problem_opts *po = &cfg->problem;
    sb_optim_params *hp = &cfg->hyper;
    int c, st = SB_OK;
    long lv;
    optind = 1;
    opterr = 0;
    if (sb_cli_check_args("train", argc, argv, "", train_longopts, err))
        return err->code;
    while ((c = getopt_long(argc, argv, "", train_longopts, NULL)) != -1) {
        if (sb_cli_common(c, optarg, &cfg->dev))
            continue;
        int pc = sb_problem_cli(c, optarg, po, err);
        if (pc < 0)
            return sb_wrap(err, "train");
        if (pc > 0)
            continue;
        int dc = sb_cli_dist_option(c, optarg, cfg, err);
        if (dc < 0)
            return sb_wrap(err, "train");
        if (dc > 0)
            continue;
        const char *a = optarg;
        switch (c) {
        case SB_OPT_HELP: ta->help = 1; return sb_cli_help(help);
        case O_OPT: ta->optlist = a; break;
        case O_STEPS: st = parse_u64("--steps", a, &cfg->steps, err); break;
        case O_EVALS: st = parse_u64("--evals", a, &cfg->evals, err); break;
        case O_TG1:
            st = sb_parse_double("--target-grad1", a, 1e-300, 1e300, &cfg->target_grad1,
                                 err);
            break;
        case O_TLOSS:
            st = sb_parse_double("--target-loss", a, -1e300, 1e300, &cfg->target_loss, err);
            cfg->has_target_loss = 1;
            break;
        case O_LR: st = sb_parse_double("--lr", a, 1e-300, 1e300, &hp->lr, err); break;
        case O_SCHED:
            st = sb_sched_parse(a, &hp->sched, err);
            if (st)
                sb_wrap(err, "train: --schedule");
            break;
        case O_GAMMA: st = sb_parse_double("--gamma", a, 1e-300, 1, &hp->gamma, err); break;
        case O_STEP_EVERY: st = parse_u64("--step-every", a, &hp->step_every, err); break;
        case O_B1: st = sb_parse_double("--b1", a, 0, 0.999999999, &hp->b1, err); break;
        case O_B2: st = sb_parse_double("--b2", a, 0, 0.999999999, &hp->b2, err); break;
        case O_EPS: st = sb_parse_double("--eps", a, 0, 1e300, &hp->eps, err); break;
        case O_WD: st = sb_parse_double("--wd", a, 0, 1e300, &hp->wd, err); break;
        case O_WDMODE:
            if (!strcmp(a, "coupled") || !strcmp(a, "decoupled"))
                hp->decoupled = !strcmp(a, "decoupled");
            else
                st = sb_fail(err, SB_EUSAGE,
                             "train: --wd-mode '%s': expected coupled or "
                             "decoupled",
                             a);
            break;
        case O_PGDR: st = sb_parse_double("--pgd-r", a, 0, 1e300, &hp->pgd_r, err); break;
        case O_PGDG:
            st = sb_parse_double("--pgd-g", a, 0, 1e300, &hp->pgd_gthres, err);
            break;
        case O_PGDT: st = parse_u64("--pgd-t", a, &hp->pgd_tthres, err); break;
        case O_COMPRESS: cfg->compress = a; break;
        case O_BATCH: st = sb_parse_size("--batch", a, &cfg->batch, err); break;
        case O_SIGMA: st = sb_parse_double("--sigma", a, 0, 1e300, &cfg->sigma, err); break;
        case O_SEED:
            st = sb_parse_long("--seed", a, 0, 0x7fffffffffffffffL, &lv, err);
            cfg->seed = (uint64_t)lv;
            break;
        case O_LOG: st = parse_u64("--log-every", a, &cfg->log_every, err); break;
        case O_OUT: ta->out = a; break;
        case O_JSON: ta->json = 1; break;
        case O_NOSPLIT: cfg->no_split = 1; break;
        case O_MPI: cfg->mpi = 1; break;
        case O_WDEV: cfg->worker_devices = a; break;
        case O_WORKERS:
            st = sb_parse_long("--workers", a, 1, 4096, &lv, err);
            cfg->workers = (int)lv;
            break;
        default: return sb_cli_bad_option("train", argc, argv, err);
        }
        if (st != SB_OK)
            return err->code;
    }
    if (optind < argc)
        return sb_fail(err, SB_EUSAGE, "train: unexpected argument '%s'", argv[optind]);
    if (!po->name)
        return sb_fail(err, SB_EUSAGE,
                       "train: --problem is required (tube, tube-rotated, "
                       "logreg, quad, quad-rotated)");
    if (!ta->optlist || !*ta->optlist)
        return sb_fail(err, SB_EUSAGE, "train: --optimizer is required (%s)",
                       sb_optim_names());
    static char lead[128];
    if (cfg->worker_devices) {
        /* The run's device is the first worker's; each entry is one worker. */
        if (cfg->dev.device || cfg->workers > 1 || cfg->mpi)
            return sb_fail(err, SB_EUSAGE,
                           "train: --worker-devices names the devices and "
                           "workers itself (no --device, --workers or --mpi with it)");
        snprintf(lead, sizeof lead, "%.*s", (int)strcspn(cfg->worker_devices, ","),
                 cfg->worker_devices);
        cfg->dev.device = lead;
    }
    return SB_OK;
}

/* Split and check the optimiser list (and --compress) before any device work: list[]
 * points into *names, which the caller frees. */
static int check_optimizers(const sb_train_cfg *cfg, const char *optlist, char **namesp,
                            const char **list, int *np, sb_err *err)
{
    const sb_optim_params *hp = &cfg->hyper;
    char *names = strdup(optlist);
    *namesp = names;
    if (!names)
        return sb_fail(err, SB_ERUNTIME, "out of memory");
    int n = 0;
    for (char *save = NULL, *t = strtok_r(names, ",", &save); t;
         t = strtok_r(NULL, ",", &save)) {
        if (n == 32)
            return sb_fail(err, SB_EUSAGE, "train: at most 32 optimisers in one call");
        const sb_optim_info *o = sb_optim_find(t);
        sb_optim_params tmp;
        if (!o)
            return sb_fail(err, SB_EUSAGE, "train: unknown optimizer '%s' (valid: %s)", t,
                           sb_optim_names());
        if (sb_optim_resolve(o, hp, &tmp, err) != SB_OK)
            return sb_wrap(err, "train: %s", o->name);
        for (int i = 0; i < n; i++)
            if (sb_optim_find(list[i]) == o)
                return sb_fail(err, SB_EUSAGE, "train: optimizer %s is listed twice",
                               o->name);
        list[n++] = t;
    }
    *np = n;
    if (n == 0)
        return sb_fail(err, SB_EUSAGE, "train: --optimizer is empty");
    if (cfg->compress && strcmp(cfg->compress, "none") && strcmp(cfg->compress, "sign") &&
        strcmp(cfg->compress, "pack") && strcmp(cfg->compress, "scaled-sign"))
        return sb_fail(err, SB_EUSAGE,
                       "train: --compress '%s': expected none, sign, "
                       "pack or scaled-sign",
                       cfg->compress);
    return SB_OK;
}

int sb_cmd_train(int argc, char **argv, sb_err *err)
{
    sb_train_cfg cfg;
    sb_train_cfg_default(&cfg);
    train_args ta = {NULL, NULL, 0, 0};
    int st = parse_options(argc, argv, &cfg, &ta, err);
    if (st != SB_OK || ta.help)
        return st;
    char *names = NULL;
    const char *list[32];
    int n = 0;
    st = check_optimizers(&cfg, ta.optlist, &names, list, &n, err);
    if (st != SB_OK) {
        free(names);
        return st;
    }
    int rank = 0, mpi_here = 0;
    st = sb_cli_dist_start(&cfg, ta.optlist, &rank, &mpi_here, err);
    if (st == SB_OK)
        st = train_all(&cfg, list, n, ta.out, ta.json, rank, err);
    free(names);
    st = sb_cli_dist_end(&cfg, st, rank, mpi_here, err);
    return st;
}
