/* cli_byzantine.c - `signbench byzantine`: parse the options, run the Byzantine study
 * (byzstudy.c), print f and accuracy against K/P per attack, write the JSON and plots. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "byzstudy.h"
#include "cli.h"
#include "fs.h"
#include "json.h"
#include "plot.h"

static const char help[] =
    "usage: signbench byzantine [--quick] [--workers P] [--steps N] [--out DIR] [--json]\n\n"
    "signSGD with majority vote (--compress pack) of P simulated workers, K of them\n"
    "adversaries (train --byzantine K; the same trace as K of P MPI ranks), for K = 0 to\n"
    "(P-1)/2 (K/P below one half) and every attack: flip (negated true-gradient signs),\n"
    "random, blind (own stochastic signs negated), collude (one shared negated vector).\n"
    "Problems: quad (d = 1000, sigma 1, lr 0.002) and logreg on the built-in breast-cancer\n"
    "data (standardized, bias, 30% held out, minibatch 4 per worker, lr 0.01). Beside the\n"
    "measurements, what the theory promises: convergence while K/P < 1/2 for blind\n"
    "multiplicative adversaries under unimodal, symmetric noise, the noise term growing as\n"
    "1/(1 - 2K/P) (Bernstein et al. 2019, Theorem 2); the other attacks are outside it.\n\n"
    "Options:\n"
    "  --quick      9 workers, 150 steps (default: 15 workers, 500 steps)\n"
    "  --workers P  simulated workers (3 to 127)\n"
    "  --steps N    signsgd steps per run\n"
    "  --out DIR    byzantine.json, byzantine_f_quad, byzantine_f_logreg and\n"
    "               byzantine_acc_logreg (.png/.svg/.dat) (default results/byzantine)\n"
    "  --json       print byzantine.json on stdout instead of the table\n\n" SB_COMMON_HELP;

enum { O_QUICK = SB_OPT_FIRST_FREE, O_WORKERS, O_STEPS, O_OUT, O_JSON };

static void print_table(const cJSON *j)
{
    printf("%-7s %-8s %4s %6s %12s %9s\n", "problem", "attack", "K", "K/P", "f_final",
           "test_acc");
    const cJSON *p, *a, *q;
    cJSON_ArrayForEach(p, cJSON_GetObjectItem(j, "problems"))
    {
        cJSON_ArrayForEach(a, cJSON_GetObjectItem(p, "attacks"))
        {
            cJSON_ArrayForEach(q, cJSON_GetObjectItem(a, "points"))
            {
                const cJSON *acc = cJSON_GetObjectItem(q, "test_accuracy");
                const cJSON *f = cJSON_GetObjectItem(q, "f_final");
                printf("%-7s %-8s %4.0f %6.3f %12.6g",
                       cJSON_GetObjectItem(p, "problem")->valuestring,
                       cJSON_GetObjectItem(a, "attack")->valuestring,
                       cJSON_GetObjectItem(q, "k")->valuedouble,
                       cJSON_GetObjectItem(q, "fraction")->valuedouble,
                       cJSON_IsNumber(f) ? f->valuedouble : NAN);
                if (cJSON_IsNumber(acc))
                    printf(" %9.4f\n", acc->valuedouble);
                else
                    printf(" %9s\n", "-");
            }
        }
    }
    printf("theory: %s\n",
           cJSON_GetObjectItem(cJSON_GetObjectItem(j, "theory"), "statement")->valuestring);
}

typedef struct byz_args {
    sb_byzstudy_cfg c;
    const char *out;
    int json, help;
} byz_args;

static int byz_option(int ch, const char *arg, void *ctx, sb_err *err)
{
    byz_args *a = ctx;
    long v;
    int st = SB_OK;
    switch (ch) {
    case O_QUICK: break; /* read first: it sets the defaults */
    case O_WORKERS:
        st = sb_parse_long("--workers", arg, 3, 127, &v, err);
        a->c.workers = (int)v;
        break;
    case O_STEPS:
        st = sb_parse_long("--steps", arg, 1, 10000000, &v, err);
        a->c.steps = (int)v;
        break;
    case O_OUT: a->out = arg; break;
    case O_JSON: a->json = 1; break;
    default: return -1;
    }
    return st;
}

int sb_cmd_byzantine(int argc, char **argv, sb_err *err)
{
    static const struct option longopts[] = {{"quick", no_argument, 0, O_QUICK},
                                             {"workers", required_argument, 0, O_WORKERS},
                                             {"steps", required_argument, 0, O_STEPS},
                                             {"out", required_argument, 0, O_OUT},
                                             {"json", no_argument, 0, O_JSON},
                                             SB_COMMON_LONGOPTS,
                                             {0, 0, 0, 0}};
    static const sb_cli_parser p = {"byzantine", "", longopts, byz_option, 0};
    byz_args a = {.out = "results/byzantine"};
    sb_byzstudy_cfg_default(&a.c, sb_cli_has_flag(argc, argv, "--quick"));
    if (sb_cli_parse(&p, argc, argv, &a, &a.c.dev, &a.help, err))
        return err->code;
    if (a.help)
        return sb_cli_help(help);
    if (sb_mkdir_p(a.out, err))
        return sb_wrap(err, "byzantine");
    a.c.out = a.out;
    a.c.progress = !a.json;
    cJSON *j = NULL;
    if (sb_byzstudy_run(&a.c, &j, err) != SB_OK)
        return sb_wrap(err, "byzantine");
    if (a.json)
        sb_json_print(j);
    else {
        print_table(j);
        printf("byzantine.json%s in %s/\n", sb_plot_available() ? " and figures" : "",
               a.out);
    }
    cJSON_Delete(j);
    return SB_OK;
}
