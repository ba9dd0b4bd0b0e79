/* cli_train.c - `signbench train`: parse the options, run one or several optimisers on
 * the same problem and seed (train.c), print them side by side, write traces and summaries. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "problem.h"
#include "train.h"
#include "json.h"
#include "cli_dist.h"

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

/* mkdir -p */
static int make_dirs(const char *path, sb_err *err)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return sb_fail(err, SB_EUSAGE, "train: --out path too long");
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                return sb_fail(err, SB_EUSAGE, "train: cannot create folder %s: %s", buf,
                               strerror(errno));
            *p = c;
            if (!c)
                break;
        }
    }
    struct stat sbuf;
    if (stat(path, &sbuf) != 0 || !S_ISDIR(sbuf.st_mode))
        return sb_fail(err, SB_EUSAGE, "train: --out %s is not a folder", path);
    return SB_OK;
}

/* Device name as a file-name slug: lower case, [a-z0-9-] only. */
static void slug(const char *in, char *out, size_t n)
{
    size_t k = 0;
    int dash = 0;
    for (const char *p = in; *p && k + 1 < n && k < 40; p++) {
        char c = *p;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            out[k++] = c;
            dash = 0;
        } else if (!dash && k) {
            out[k++] = '-';
            dash = 1;
        }
    }
    while (k && out[k - 1] == '-')
        k--;
    out[k] = '\0';
    if (!k)
        snprintf(out, n, "device");
}

static int parse_u64(const char *opt, const char *s, uint64_t *out, sb_err *err)
{
    size_t v;
    if (sb_parse_size(opt, s, &v, err) != SB_OK)
        return SB_EUSAGE;
    *out = v;
    return SB_OK;
}

static void print_table(sb_train_result *rs, int n, int has_acc)
{
    printf("%-11s %13s %13s %11s %9s %10s %8s", "optimizer", "f_final", "f_best",
           "grad1_min", "steps", "evals", "time_s");
    if (has_acc)
        printf(" %8s", "test_acc");
    printf("  %s\n", "status");
    for (int i = 0; i < n; i++) {
        sb_train_result *r = &rs[i];
        printf("%-11s %13.6g %13.6g %11.4g %9llu %10llu %8.3f", r->optimizer, r->f_final,
               r->f_best, r->grad1_min, (unsigned long long)r->steps,
               (unsigned long long)r->evals, r->time_s);
        if (has_acc) {
            if (r->has_test_accuracy)
                printf(" %8.4f", r->test_accuracy);
            else
                printf(" %8s", "-");
        }
        if (r->diverged)
            printf("  DIVERGED: %s\n", r->diverged_reason);
        else if (r->has_target)
            printf(r->reached ? "  target at step %llu (%llu evals)\n"
                              : "  target not reached\n",
                   (unsigned long long)r->steps_to_target,
                   (unsigned long long)r->evals_to_target);
        else
            printf("  ok\n");
    }
    for (int i = 0; i < n; i++) {
        sb_train_result *r = &rs[i];
        if (!r->has_theory)
            continue;
        if (r->theorem[8] == '1')
            printf("%s: %s: E[min norm1(grad)] <= %.6g (loose form %.6g); measured min "
                   "norm1 %.6g\n",
                   r->optimizer, r->theorem, r->theory_bound, r->theory_bound_loose,
                   r->theory_measured);
        else
            printf("%s: %s: E[min norm2(grad)^2] <= %.6g; measured min norm2^2 %.6g\n",
                   r->optimizer, r->theorem, r->theory_bound, r->theory_measured);
    }
}

/* --worker-devices: per worker the time computing, idle, and the step time alone. */
static void print_workers(const sb_train_result *r)
{
    if (!r->nworker_devices)
        return;
    printf("%s on %d worker devices: %.3f ms per step together; largest |x_w - x_0| %.3g\n",
           r->optimizer, r->nworker_devices, r->worker_step_s * 1e3, r->worker_x_diff);
    printf("  %-3s %-6s %-32s %12s %12s %18s\n", "w", "device", "name", "compute s",
           "idle s", "alone ms/step");
    for (int w = 0; w < r->nworker_devices; w++) {
        const sb_worker_figures *f = &r->worker_dev[w];
        printf("  %-3d %-6s %-32.32s %12.4f %12.4f %18.3f\n", w, f->index, f->name,
               f->compute_s, f->idle_s, f->alone_step_s * 1e3);
    }
}

/* Open the device, run every optimiser of the list, report (rank 0 only under MPI). */
static int train_all(sb_train_cfg *cfg, const char **list, int n, const char *out, int json,
                     int rank, sb_err *err)
{
    sb_problem_opts *po = &cfg->problem;
    int st;
    sb_ctx ctx;
    if ((st = sb_ctx_open(&ctx, &cfg->dev, err)) != SB_OK) {
        return st;
    }
    sb_ops ops;
    if ((st = sb_ops_init(&ops, &ctx, err)) != SB_OK) {
        sb_ctx_close(&ctx);
        return st;
    }
    char dir[4096];
    if (out)
        snprintf(dir, sizeof dir, "%s", out);
    else {
        char s[64], ts[32];
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(ts, sizeof ts, "%Y%m%dT%H%M%SZ", &tm);
        slug(ctx.dev.name, s, sizeof s);
        snprintf(dir, sizeof dir, "results/runs/%s-%s", ts, s);
    }
    if (rank == 0)
        st = make_dirs(dir, err);

    cfg->ctx = &ctx;
    cfg->ops = &ops;
    cfg->progress = !json && rank == 0;
    sb_train_result *rs = calloc((size_t)n, sizeof *rs);
    cJSON *all = cJSON_CreateObject();
    cJSON *runs = all ? cJSON_AddArrayToObject(all, "runs") : NULL;
    if (!rs || !runs)
        st = sb_fail(err, SB_ERUNTIME, "out of memory");
    if (runs) {
        /* not signbench-train/1: that is one run's summary, this a list of them */
        cJSON_AddStringToObject(all, "schema", "signbench-train-runs/1");
        cJSON_AddStringToObject(all, "out", dir);
    }
    int has_acc = 0, done = 0;
    for (int i = 0; i < n && st == SB_OK; i++) {
        cfg->optimizer = list[i];
        st = sb_train_run(cfg, &rs[i], err);
        done = i + 1;
        if (st != SB_OK) {
            sb_wrap(err, "train: %s on %s", list[i], po->name);
            break;
        }
        sb_train_result *r = &rs[i];
        if (rank != 0)
            continue; /* MPI: rank 0 reports for all */
        if (r->diverged)
            fprintf(stderr, "signbench: train: %s diverged: %s (recorded in the summary)\n",
                    r->optimizer, r->diverged_reason);
        if (r->tube_strict && r->left_domain)
            fprintf(stderr,
                    "signbench: train: %s left the tube set at step %llu and stopped "
                    "(--tube-domain strict; recorded in the summary)\n",
                    r->optimizer, (unsigned long long)r->left_domain_step);
        has_acc |= r->has_test_accuracy;
        char path[4200];
        snprintf(path, sizeof path, "%s/train-%s.csv", dir, r->optimizer);
        st = sb_train_write_trace(path, r, err);
        snprintf(path, sizeof path, "%s/train-%s.json", dir, r->optimizer);
        if (st == SB_OK)
            st = sb_train_write_summary(path, cfg, r, err);
        if (st == SB_OK)
            cJSON_AddItemToArray(runs, sb_train_summary_json(cfg, r));
    }
    if (st == SB_OK && rank == 0) {
        if (json) {
            char *s = cJSON_Print(all);
            if (s) {
                printf("%s\n", s);
                cJSON_free(s);
            } else
                st = sb_fail(err, SB_ERUNTIME, "out of memory printing JSON");
        } else {
            printf("train: %s, d = %zu, seed %llu, on %s\n", rs[0].problem, rs[0].d,
                   (unsigned long long)cfg->seed, ctx.dev.name);
            print_table(rs, n, has_acc);
            for (int i = 0; i < n; i++)
                print_workers(&rs[i]);
            printf("traces and summaries in %s/\n", dir);
        }
    }
    for (int i = 0; i < done; i++)
        sb_train_result_free(&rs[i]);
    free(rs);
    cJSON_Delete(all);
    sb_ops_free(&ops);
    sb_ctx_close(&ctx);
    return st;
}

/* What the command line asks for besides the run's settings. */
typedef struct train_args {
    const char *optlist, *out;
    int json;
    int help; /* --help was shown: nothing more to do */
} train_args;

/* The options into cfg and ta (ta->help set when --help was shown). */
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
