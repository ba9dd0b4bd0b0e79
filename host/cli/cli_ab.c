/* cli_ab.c - micro's A/B mode (--baseline-kernels DIR): parse its options, run the
 * interleaved comparison (host/study/ab.c), print the table, write the JSON. */
#include "cli_ab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ab.h"
#include "cli.h"
#include "compare.h"
#include "json.h"

const char sb_micro_ab_help[] =
    "\nA/B mode (--baseline-kernels DIR): the kernels built from DIR (the baseline, A; a\n"
    "folder with the same .cl file names, e.g. a base commit's kernels/) and the\n"
    "binary's own (or --kernel-dir's: the candidate, B) are built in ONE context and\n"
    "launched alternately, A B then B A, on the same buffers, so drift and bursts of\n"
    "load hit both alike. Per kernel and size: the medians, B/A = the candidate's\n"
    "throughput over the baseline's (Hodges-Lehmann estimate of the shift of the\n"
    "paired log times, with its 95% signed-rank interval) and a verdict: REGRESSED when\n"
    "the interval lies wholly below 1 - threshold (exit status 1), IMPROVED wholly above\n"
    "1 + threshold, slower / faster when it excludes 1, else same.\n"
    "  --baseline-kernels DIR  the baseline's kernel sources\n"
    "  --kernels LIST      (as above; default all)\n"
    "  --sizes LIST        element counts (default 1000003: bandwidth-bound, yet quick)\n"
    "  --pairs N           A/B pairs per kernel and size (default 60, 6..4000)\n"
    "  --rounds R          passes over all kernels that share the pairs (default 3)\n"
    "  --warmup N          untimed calls of each side first (default 2)\n"
    "  --threshold T       as 10% or 0.10 (default 10%)\n"
    "  --json FILE         the table as JSON ({\"context\", \"ab\": [rows]})\n";

int sb_micro_ab_wanted(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--"))
            return 0;
        if (!strncmp(argv[i], "--baseline-kernels", 18) &&
            (argv[i][18] == 0 || argv[i][18] == '='))
            return 1;
    }
    return 0;
}

static int add_kernels(const char *list, sb_ab_opts *o, sb_err *err)
{
    o->nkernels = 0;
    if (!strcmp(list, "all")) {
        for (int i = 0; sb_ab_kernel_names[i]; i++)
            o->kernels[o->nkernels++] = sb_ab_kernel_names[i];
        return SB_OK;
    }
    char buf[512];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t;
         t = strtok_r(NULL, ",", &save)) {
        int found = -1;
        for (int i = 0; sb_ab_kernel_names[i]; i++)
            if (!strcmp(sb_ab_kernel_names[i], t))
                found = i;
        if (found < 0)
            return sb_fail(err, SB_EUSAGE,
                           "micro: --kernels: unknown kernel '%s' (A/B "
                           "mode times the vector kernels; see --help)",
                           t);
        if (o->nkernels == SB_AB_MAX_KERNELS)
            return sb_fail(err, SB_EUSAGE, "micro: --kernels: too many");
        o->kernels[o->nkernels++] = sb_ab_kernel_names[found];
    }
    return o->nkernels ? SB_OK : sb_fail(err, SB_EUSAGE, "micro: --kernels: empty list");
}

static int add_sizes(const char *list, sb_ab_opts *o, sb_err *err)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    o->nsizes = 0;
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t;
         t = strtok_r(NULL, ",", &save)) {
        if (o->nsizes == SB_AB_MAX_SIZES)
            return sb_fail(err, SB_EUSAGE, "micro: --sizes: at most %d in A/B mode",
                           SB_AB_MAX_SIZES);
        int st = sb_parse_size("micro: --sizes", t, &o->sizes[o->nsizes], err);
        if (st != SB_OK)
            return st;
        if (o->sizes[o->nsizes] < 32 || o->sizes[o->nsizes] > ((size_t)1 << 31))
            return sb_fail(err, SB_EUSAGE, "micro: --sizes: %zu outside 32..2G",
                           o->sizes[o->nsizes]);
        o->nsizes++;
    }
    return o->nsizes ? SB_OK : sb_fail(err, SB_EUSAGE, "micro: --sizes: empty list");
}

enum {
    O_BASE = SB_OPT_FIRST_FREE,
    O_KERNELS,
    O_SIZES,
    O_PAIRS,
    O_ROUNDS,
    O_WARMUP,
    O_THRESHOLD,
    O_JSON
};

static int parse(int argc, char **argv, sb_ab_opts *o, sb_opts *dev, const char **json,
                 sb_err *err)
{
    static const struct option lo[] = {{"baseline-kernels", required_argument, 0, O_BASE},
                                       {"kernels", required_argument, 0, O_KERNELS},
                                       {"sizes", required_argument, 0, O_SIZES},
                                       {"pairs", required_argument, 0, O_PAIRS},
                                       {"rounds", required_argument, 0, O_ROUNDS},
                                       {"warmup", required_argument, 0, O_WARMUP},
                                       {"threshold", required_argument, 0, O_THRESHOLD},
                                       {"json", required_argument, 0, O_JSON},
                                       SB_COMMON_LONGOPTS,
                                       {0, 0, 0, 0}};
    const char *kernels = "all", *sizes = "1000003";
    long v;
    int c, st = SB_OK;
    optind = 1;
    opterr = 0;
    if (sb_cli_check_args("micro", argc, argv, "", lo, err))
        return err->code;
    while (st == SB_OK && (c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (sb_cli_common(c, optarg, dev))
            continue;
        switch (c) {
        case SB_OPT_HELP: return -1;
        case O_BASE: o->baseline_dir = optarg; break;
        case O_KERNELS: kernels = optarg; break;
        case O_SIZES: sizes = optarg; break;
        case O_PAIRS:
            st = sb_parse_long("micro: --pairs", optarg, 6, 4000, &v, err);
            o->pairs = (int)v;
            break;
        case O_ROUNDS:
            st = sb_parse_long("micro: --rounds", optarg, 1, 4000, &v, err);
            o->rounds = (int)v;
            break;
        case O_WARMUP:
            st = sb_parse_long("micro: --warmup", optarg, 0, 10000, &v, err);
            o->warmup = (int)v;
            break;
        case O_THRESHOLD: st = sb_cmp_parse_threshold(optarg, &o->threshold, err); break;
        case O_JSON: *json = optarg; break;
        default: return sb_cli_bad_option("micro", argc, argv, err);
        }
    }
    if (st != SB_OK)
        return st;
    if (optind < argc)
        return sb_fail(err, SB_EUSAGE, "micro: unexpected argument '%s'", argv[optind]);
    if (dev->kernel_binary)
        return sb_fail(err, SB_EUSAGE,
                       "micro: --baseline-kernels builds both sides from "
                       "source; use --kernel-dir for the candidate, not --kernel-binary");
    if (o->rounds > o->pairs)
        return sb_fail(err, SB_EUSAGE, "micro: --rounds %d exceeds --pairs %d", o->rounds,
                       o->pairs);
    if ((st = add_kernels(kernels, o, err)) != SB_OK)
        return st;
    return add_sizes(sizes, o, err);
}

int sb_cmd_micro_ab(int argc, char **argv, sb_err *err)
{
    sb_ab_opts o = {.pairs = 60, .rounds = 3, .warmup = 2, .threshold = 0.10};
    sb_opts dev = {0};
    const char *json = NULL;
    int st = parse(argc, argv, &o, &dev, &json, err);
    if (st == -1)
        return sb_cli_help(sb_micro_ab_help);
    if (st != SB_OK)
        return st;
    sb_ctx c;
    if ((st = sb_ctx_open(&c, &dev, err)) != SB_OK)
        return st;
    sb_ab_row *rows = NULL;
    int nrows = 0, regressed = 0;
    printf(
        "micro A/B on %s: A = kernels of %s, B = %s; %d pairs per kernel in %d rounds\n\n",
        c.dev.name, o.baseline_dir,
        dev.kernel_dir ? dev.kernel_dir : "the embedded kernels", o.pairs, o.rounds);
    fflush(stdout);
    st = sb_ab_run(&c, &o, &rows, &nrows, &regressed, err);
    if (st == SB_OK) {
        sb_ab_print(rows, nrows, o.threshold);
        if (json) {
            cJSON *doc = sb_ab_json(&c, &o, rows, nrows);
            st = doc ? sb_json_save(json, doc, err)
                     : sb_fail(err, SB_ERUNTIME, "micro: out of memory for the JSON");
            cJSON_Delete(doc);
            if (st == SB_OK)
                printf("wrote %s\n", json);
        }
    }
    if (st == SB_OK && regressed)
        st = sb_fail(err, SB_ERUNTIME,
                     "micro: %d of %d kernel rows REGRESSED (interval "
                     "wholly below %.3f of the baseline)",
                     regressed, nrows, 1 - o.threshold);
    free(rows);
    sb_ctx_close(&c);
    return st;
}
