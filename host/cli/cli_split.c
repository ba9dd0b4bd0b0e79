/* cli_split.c - `signbench micro --split D1,D2`: one update, pack or vote of a single
 * vector split between devices (host/study/split.c); prints shares, GB/s, efficiency. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "json.h"
#include "split.h"

static const char help[] =
    "usage: signbench micro --split D1,D2[,...] [--schedule static|dynamic] [--kernels LIST]\n"
    "                       [--size N] [--reps N] [--vote-m M] [--chunks C] [--json FILE]\n\n"
    "Runs one kernel on a single vector split between the devices of the list (two or\n"
    "more; a comma list or all, as --device takes), each device with its own context,\n"
    "queue and host thread, all starting together. First each device runs the whole\n"
    "vector alone (its rate); then the split:\n"
    "  static    one contiguous share per device, in proportion to its measured rate\n"
    "  dynamic   chunks (C per device) taken by whichever device is free\n"
    "It prints each device's share and time, the combined GB/s, and the balance\n"
    "efficiency: the combined rate over the sum of the devices' rates alone, measured in\n"
    "the same run (1.0: the split gains all the devices give). The split result is\n"
    "compared with the first device's alone, bit for bit: a difference exits 1.\n\n"
    "Options:\n"
    "  --split LIST     the devices (two or more)\n"
    "  --schedule S     static (default) or dynamic\n"
    "  --kernels LIST   update (signsgd: x -= lr sign(g)), pack, vote (default: all)\n"
    "  --size N         elements (default 4M = 4194304; K and M suffixes)\n"
    "  --reps N         timed repetitions, medians (default 10, at least 3)\n"
    "  --vote-m M       voters of vote (default 7, at most 64)\n"
    "  --chunks C       dynamic: chunks per device (default 8)\n"
    "  --json FILE      write the results (schema signbench-split/1)\n"
    "  --kernel-dir DIR, --kernel-binary F or D=F,...  as for every command\n";

int sb_micro_split_wanted(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--split") || !strncmp(argv[i], "--split=", 8))
            return 1;
    return 0;
}

static cJSON *result_json(const sb_split_result *r, const char *sched)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "kernel", r->op);
    cJSON_AddStringToObject(o, "schedule", sched);
    cJSON_AddNumberToObject(o, "n", (double)r->n);
    cJSON_AddNumberToObject(o, "chunk", (double)r->chunk);
    cJSON_AddNumberToObject(o, "bytes", r->bytes);
    cJSON_AddNumberToObject(o, "split_seconds", r->split_s);
    cJSON_AddNumberToObject(o, "bytes_per_second", r->gbs * 1e9);
    cJSON_AddNumberToObject(o, "sum_alone_bytes_per_second", r->sum_alone_gbs * 1e9);
    cJSON_AddNumberToObject(o, "efficiency", r->efficiency);
    cJSON_AddBoolToObject(o, "exact", r->exact);
    cJSON *a = cJSON_AddArrayToObject(o, "devices");
    for (int i = 0; i < r->ndev; i++) {
        cJSON *d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "index", r->dev[i].index);
        cJSON_AddStringToObject(d, "name", r->dev[i].name);
        cJSON_AddNumberToObject(d, "share", r->dev[i].share);
        cJSON_AddNumberToObject(d, "busy_seconds", r->dev[i].busy_s);
        cJSON_AddNumberToObject(d, "alone_seconds", r->dev[i].alone_s);
        cJSON_AddNumberToObject(d, "alone_bytes_per_second", r->bytes / r->dev[i].alone_s);
        cJSON_AddItemToArray(a, d);
    }
    return o;
}

static void print_result(const sb_split_result *r)
{
    printf("%s, n = %zu: split %.1f GB/s (%.3f ms), devices alone sum %.1f GB/s, "
           "efficiency %.2f, result %s\n",
           r->op, r->n, r->gbs, r->split_s * 1e3, r->sum_alone_gbs, r->efficiency,
           r->exact ? "exact" : "DIFFERS");
    for (int i = 0; i < r->ndev; i++)
        printf("  %-6s %-32.32s share %5.1f%%  busy %8.3f ms  alone %7.1f GB/s\n",
               r->dev[i].index, r->dev[i].name, 100 * r->dev[i].share,
               r->dev[i].busy_s * 1e3, r->bytes / r->dev[i].alone_s / 1e9);
}

int sb_cmd_micro_split(int argc, char **argv, sb_err *err)
{
    enum {
        O_SPLIT = SB_OPT_FIRST_FREE,
        O_SCHED,
        O_KERNELS,
        O_SIZE,
        O_REPS,
        O_VOTEM,
        O_CHUNKS,
        O_JSON
    };
    static const struct option longopts[] = {{"split", required_argument, 0, O_SPLIT},
                                             {"schedule", required_argument, 0, O_SCHED},
                                             {"kernels", required_argument, 0, O_KERNELS},
                                             {"size", required_argument, 0, O_SIZE},
                                             {"reps", required_argument, 0, O_REPS},
                                             {"vote-m", required_argument, 0, O_VOTEM},
                                             {"chunks", required_argument, 0, O_CHUNKS},
                                             {"json", required_argument, 0, O_JSON},
                                             SB_COMMON_LONGOPTS,
                                             {0, 0, 0, 0}};
    sb_split_cfg cfg = {.schedule = SB_SPLIT_STATIC,
                        .n = 4194304,
                        .reps = 10,
                        .vote_m = 7,
                        .chunks_per_device = 8};
    const char *kernels = "update,pack,vote", *json = NULL, *sched = "static";
    long lv = 0;
    int c, st = SB_OK;
    optind = 1;
    opterr = 0;
    if (sb_cli_check_args("micro", argc, argv, "", longopts, err))
        return err->code;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c == SB_OPT_HELP)
            return sb_cli_help(help);
        if (sb_cli_common(c, optarg, &cfg.dev))
            continue;
        switch (c) {
        case O_SPLIT: cfg.devices = optarg; break;
        case O_SCHED:
            sched = optarg;
            if (strcmp(optarg, "static") && strcmp(optarg, "dynamic"))
                return sb_fail(err, SB_EUSAGE, "micro: --schedule '%s': static or dynamic",
                               optarg);
            cfg.schedule = strcmp(optarg, "static") ? SB_SPLIT_DYNAMIC : SB_SPLIT_STATIC;
            break;
        case O_KERNELS: kernels = optarg; break;
        case O_SIZE: st = sb_parse_size("--size", optarg, &cfg.n, err); break;
        case O_REPS:
            st = sb_parse_long("--reps", optarg, 3, 100000, &lv, err);
            cfg.reps = (int)lv;
            break;
        case O_VOTEM:
            st = sb_parse_long("--vote-m", optarg, 1, 64, &lv, err);
            cfg.vote_m = (int)lv;
            break;
        case O_CHUNKS:
            st = sb_parse_long("--chunks", optarg, 1, 64, &lv, err);
            cfg.chunks_per_device = (int)lv;
            break;
        case O_JSON: json = optarg; break;
        default: return sb_cli_bad_option("micro", argc, argv, err);
        }
        if (st != SB_OK)
            return sb_wrap(err, "micro");
    }
    if (optind < argc)
        return sb_fail(err, SB_EUSAGE, "micro: unexpected argument '%s'", argv[optind]);
    if (cfg.dev.device || cfg.dev.bind)
        return sb_fail(err, SB_EUSAGE,
                       "micro: --split names the devices (no --device or "
                       "--bind with it)");
    if (cfg.n > 0xffffffffu)
        return sb_fail(err, SB_EUSAGE, "micro: --size %zu: at most 4294967295", cfg.n);
    char buf[256];
    snprintf(buf, sizeof buf, "%s", kernels);
    const char *ops[8];
    int nops = 0;
    for (char *s = NULL, *t = strtok_r(buf, ",", &s); t && nops < 8;
         t = strtok_r(NULL, ",", &s)) {
        int known = 0;
        for (int i = 0; sb_split_ops[i]; i++)
            known |= !strcmp(t, sb_split_ops[i]);
        if (!known)
            return sb_fail(err, SB_EUSAGE,
                           "micro --split: --kernels: '%s' is not update, "
                           "pack or vote",
                           t);
        ops[nops++] = t;
    }
    if (nops == 0)
        return sb_fail(err, SB_EUSAGE, "micro --split: --kernels is empty");
    cJSON *root = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(root, "results");
    cJSON_AddStringToObject(root, "schema", "signbench-split/1");
    int differs = 0;
    for (int i = 0; i < nops && st == SB_OK; i++) {
        sb_split_result r;
        st = sb_split_run(&cfg, ops[i], &r, err);
        if (st != SB_OK)
            break;
        print_result(&r);
        differs |= !r.exact;
        cJSON_AddItemToArray(arr, result_json(&r, sched));
    }
    if (st == SB_OK && json)
        st = sb_json_save(json, root, err);
    cJSON_Delete(root);
    if (st == SB_OK && differs)
        st = sb_fail(err, SB_ERUNTIME,
                     "micro --split: the split result differs from the "
                     "one-device result");
    return st;
}
