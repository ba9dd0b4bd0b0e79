/* cli_figure1.c - `signbench figure1`: its options, the figure's runs and claims
 * (host/study/figure1.c), and the verdict lines or figure1.json. */
#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "figure1.h"
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
    "  --out DIR        output folder (default results/runs/<UTC time>-<device slug>)\n"
    "  --json           print figure1.json instead of the verdict lines\n\n"
    "Writes figure1_left, figure1_middle, figure1_right (.png, .svg, .dat; each optimiser\n"
    "in its own colour and dash, a dashed line at f*, the minimum), figure1.csv (f of\n"
    "every curve at every iteration) and figure1.json: {\"schema\", \"settings\",\n"
    "\"claims\": [{\"id\", \"claim\", \"held\", \"numbers\"}], \"files\"}. About 1-2 s of\n"
    "CPU (2-9 s wall on 2 shared vCPUs).\n\n" SB_COMMON_HELP;

enum {
    O_D = SB_OPT_FIRST_FREE,
    O_LR,
    O_STEPS,
    O_MOM,
    O_SEED,
    O_PREC,
    O_OUT,
    O_JSON,
    O_DOMAIN
};

typedef struct fig_args {
    sb_opts dev;
    sb_figure1_cfg c;
    int json;
} fig_args;

static int parse(int argc, char **argv, fig_args *a, sb_err *err)
{
    static const struct option longopts[] = {
        {"d", required_argument, 0, O_D},
        {"lr", required_argument, 0, O_LR},
        {"steps", required_argument, 0, O_STEPS},
        {"momentum", required_argument, 0, O_MOM},
        {"seed", required_argument, 0, O_SEED},
        {"precision", required_argument, 0, O_PREC},
        {"out", required_argument, 0, O_OUT},
        {"json", no_argument, 0, O_JSON},
        {"tube-domain", required_argument, 0, O_DOMAIN},
        SB_COMMON_LONGOPTS,
        {0, 0, 0, 0}};
    memset(a, 0, sizeof *a);
    sb_figure1_cfg_defaults(&a->c);
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
        case SB_OPT_HELP: return -1;
        case O_D: st = sb_parse_long("--d", optarg, 2, 256, &a->c.d, err); break;
        case O_LR: st = sb_parse_double("--lr", optarg, 1e-6, 10, &a->c.lr, err); break;
        case O_STEPS:
            st = sb_parse_long("--steps", optarg, 10, 10000000, &a->c.steps, err);
            break;
        case O_MOM:
            st = sb_parse_double("--momentum", optarg, 0, 0.999999, &a->c.beta, err);
            break;
        case O_SEED:
            st = sb_parse_long("--seed", optarg, 0, 1L << 40, &v, err);
            a->c.seed = (uint64_t)v;
            break;
        case O_PREC:
            if (!strcmp(optarg, "f32") || !strcmp(optarg, "f64"))
                a->c.f64 = optarg[1] == '6';
            else
                st = sb_fail(err, SB_EUSAGE,
                             "figure1: --precision must be f32 or f64, not "
                             "'%s'",
                             optarg);
            break;
        case O_OUT: a->c.out = optarg; break;
        case O_JSON: a->json = 1; break;
        case O_DOMAIN:
            /* Accepted for symmetry with tube/train; strict would cut the panels' curves. */
            if (strcmp(optarg, "continuation") && strcmp(optarg, "continue"))
                st = sb_fail(
                    err, SB_EUSAGE,
                    "figure1: --tube-domain must be continuation (or "
                    "its alias continue), not '%s'; strict runs are `signbench tube "
                    "--tube-domain strict`",
                    optarg);
            break;
        default: return sb_cli_bad_option("figure1", argc, argv, err);
        }
        if (st)
            return st;
    }
    if (optind < argc)
        return sb_fail(err, SB_EUSAGE, "figure1: unexpected argument '%s'", argv[optind]);
    return SB_OK;
}

static void print_verdicts(const fig_args *a, const sb_ctx *ctx, const sb_figure1_report *r)
{
    const sb_figure1_cfg *c = &a->c;
    printf("figure1: tube d=%ld, lr %g for every optimiser, %ld iterations, %s, on %s\n",
           c->d, c->lr, c->steps, c->f64 ? "f64" : "f32", ctx->dev.name);
    const cJSON *cl;
    cJSON_ArrayForEach(cl, cJSON_GetObjectItem(r->json, "claims"))
    {
        printf("  [%s] %s\n",
               cJSON_IsTrue(cJSON_GetObjectItem(cl, "held")) ? "held" : "NOT held",
               cJSON_GetStringValue(cJSON_GetObjectItem(cl, "claim")));
        char *nums = cJSON_PrintUnformatted(cJSON_GetObjectItem(cl, "numbers"));
        if (nums)
            printf("         %s\n", nums);
        free(nums);
    }
    const cJSON *sm =
        cJSON_GetObjectItem(cJSON_GetObjectItem(r->json, "settings"), "smoothness");
    printf("note: %s\n", cJSON_GetStringValue(cJSON_GetObjectItem(sm, "note")));
    printf("written: %s/{figure1.json,figure1.csv,figure1_left/middle/right.png,.svg}\n",
           r->dir);
}

int sb_cmd_figure1(int argc, char **argv, sb_err *err)
{
    fig_args a;
    int st = parse(argc, argv, &a, err);
    if (st < 0)
        return sb_cli_help(help);
    if (st)
        return st;
    sb_ctx ctx;
    if (sb_ctx_open(&ctx, &a.dev, err))
        return err->code;
    sb_figure1_report r;
    st = sb_figure1_run(&a.c, &ctx, &r, err);
    if (st == SB_OK && !r.plotted)
        fprintf(stderr, "figure1: gnuplot not found: data and verdicts only, no plots\n");
    if (st == SB_OK && a.json)
        sb_json_print(r.json);
    else if (st == SB_OK)
        print_verdicts(&a, &ctx, &r);
    sb_figure1_report_free(&r);
    sb_ctx_close(&ctx);
    return st;
}
