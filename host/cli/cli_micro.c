/* cli_micro.c - `signbench micro`: throughput of every vector kernel against roofline
 * references, CLBlast and plain C loops timed in the same run (DESIGN.md section 4). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <regex.h>

#include "cli.h"
#include "cli_ab.h"
#include "micro.h"
#include "micro_print.h"
#include "report_micro.h"

static const char help[] =
    "usage: signbench micro [options]\n\n"
    "Measures the throughput of the signbench kernels in GB/s (10^9 bytes/s of minimal\n"
    "traffic) against ceilings measured in the same run. Each kernel's traffic has a\n"
    "pattern (read, write, copy, scale = x in place, rmw = x += a g, rmw2/rmw3 = with 1\n"
    "or 2 state vectors, inplace2 = two vectors in place, read2 = two vectors read);\n"
    "the pattern's ceiling is the fastest of its variants: stream kernels at vector\n"
    "widths 1/4/8/16, chunked and grid-stride, work-groups of 64 and 256, plain or\n"
    "streaming stores (write-only outputs), one or four streams (read), OpenCL's\n"
    "copy/fill, CLBlast's Scopy, Saxpy, Sasum and Sdot, and on a CPU device the OpenMP\n"
    "C loop; the vote's ceiling is a read of as many bytes as its voters (read@N).\n"
    "Kernels and variants are timed in the same rounds (one call each per round, order\n"
    "reversed every other round), so drift moves all alike; a variant under 1/3 of its\n"
    "pattern's best in rounds 2-3 is pruned (timed no further, its row kept and marked\n"
    "\"pruned\" in the JSON).\n"
    "roofline_fraction = GB/s / ceiling GB/s (two-pass kernels, scaled_sign and\n"
    "ef-signsgd, against the time both passes take at their ceilings); each row names\n"
    "the variant that set its ceiling and that rate. A fraction above 1.05 is flagged\n"
    "'!' (ceiling exceeded: reference variant set incomplete), never counted as met.\n"
    "Side by side: CLBlast (the routine with the kernel's pattern) and the plain C\n"
    "loops on the host, 1 thread and OpenMP. Also: enqueue-to-finish latency of an\n"
    "empty kernel and host-device transfer bandwidth (write, read, map).\n\n"
    "Method: random inputs (Philox), warm-up rounds, then REPS timed rounds, each call\n"
    "timed by OpenCL events (END - START, the reported time) and by the host clock\n"
    "around enqueue + finish; median, p90, min and CV are reported. At sizes where one\n"
    "vector exceeds the cache (the device's, and on a CPU the last-level cache from\n"
    "hwloc), an untimed read of twice the cache precedes every call, so that no call\n"
    "finds lines its predecessor left (a note says so).\n\n"
    "Options:\n"
    "  --kernels LIST      comma-separated kernels (default: all): sign, pack, unpack,\n"
    "                      vote, vote_update, scaled_sign, sgd, momentum, signsgd,\n"
    "                      signum, ef-signsgd, lion, adam, rmsprop, norm1, norm2,\n"
    "                      norminf, dot, copy, read, rmw\n"
    "  --sizes LIST        element counts: a list (4K,1M,64M) or a range LO..HI in\n"
    "                      steps of x4 (1K..256M); default 64K x4 up to 64M, and\n"
    "                      on while one buffer is under 8x the last-level cache\n"
    "  --reps N            timed rounds (repetitions of each benchmark; default 10,\n"
    "                      at least 3)\n"
    "  --warmup N          untimed rounds first (default 2)\n"
    "  --local-size L      work-group size (a power of two), or a list to sweep\n"
    "                      (64,128,256); default the device table's value\n"
    "  --vote-m M          voters for vote and vote_update (default 8, 1..1024)\n"
    "  --json FILE         write results in the Google Benchmark JSON schema (every\n"
    "                      benchmark keeps its name and time unit across runs, so\n"
    "                      compare.py matches them all); FILE - is standard output,\n"
    "                      and the table then goes to standard error\n"
    "  --csv FILE          write the same rows as CSV (- for standard output); with a\n"
    "                      device list, one file of each per device: FILE-P-D.json\n"
    "  --aggregates-only   JSON/CSV: only the aggregate rows (mean, median, stddev, cv,\n"
    "                      min, p90), as --benchmark_report_aggregates_only\n"
    "  --github-benchmark FILE  github-action-benchmark input (tool\n"
    "                      customBiggerIsBetter): per benchmark one entry for\n"
    "                      roofline_fraction and one for GB/s, medians (- for stdout)\n"
    "  --split D1,D2       one update/pack/vote split between devices (see\n"
    "                      `signbench micro --split all --help`)\n"
    "  --no-clblast        skip the CLBlast baselines and ceiling variants\n"
    "  --no-host           skip the C baselines (1 thread and OpenMP)\n"
    "  --quick             small CI set: sizes 4K and the smallest power of two whose\n"
    "                      vector is at least twice the last-level cache (hwloc;\n"
    "                      16M on a 32 MiB L3), 10 reps, 1 warm-up\n"
    "  --filter REGEX      only benchmarks whose name matches REGEX (POSIX extended,\n"
    "                      as --benchmark_filter); the ceiling variants a kept\n"
    "                      kernel needs are still timed, and named in its row\n"
    "  --list              print the names of the benchmarks the options select and\n"
    "                      exit without timing anything\n"
    "  --cv-limit PCT      mark rows whose CV exceeds PCT percent noisy (default 10)\n"
    "  --targets           print the targets summary even without 64M\n"
    "                      (it is printed whenever the sizes include 64M = 67108864)\n"
    "  --baseline-kernels DIR  A/B mode against the kernels of DIR (below)\n" SB_COMMON_HELP
    "\nOn PoCL, POCL_AFFINITY=1 is set unless already set, and OpenMP never busy-waits\n"
    "(OMP_WAIT_POLICY=passive): signbench sets both at start-up for every command.\n";

/* ---- options -------------------------------------------------------------------- */

/* What the command adds to the engine's options. */
typedef struct cli_opts {
    sb_micro_opts mo;
    sb_micro_outputs outs;
    int quick, targets, list;
    regex_t filter;
    int have_filter;
} cli_opts;

/* --filter REGEX: a POSIX extended regular expression on benchmark names. */
static int compile_filter(cli_opts *o, const char *re, sb_err *err)
{
    if (o->have_filter)
        regfree(&o->filter);
    o->have_filter = 0;
    int rc = regcomp(&o->filter, re, REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
        char msg[128];
        regerror(rc, &o->filter, msg, sizeof msg);
        return sb_fail(err, SB_EUSAGE, "micro: --filter '%s': %s", re, msg);
    }
    o->have_filter = 1;
    o->mo.filter = &o->filter;
    return SB_OK;
}

/* --list: the names the run would report, one per line, nothing timed. */
static void print_list(const sb_micro_run *s)
{
    char name[256];
    for (int i = 0; i < s->rs.n; i++)
        if (!s->rs.r[i].hidden) {
            sb_micro_name(&s->rs.r[i], name, sizeof name);
            printf("%s\n", name);
        }
}

/* Fail now, not after a long sweep, when an output file cannot be written. The probe is
 * the FILE.tmp the result writer (sb_write_file) uses, held like it for the signal
 * handlers, so an interrupt in between does not leave it behind. */
static int check_writable(const char *opt, const char *path, sb_err *err)
{
    char tmp[4096];
    int ok = snprintf(tmp, sizeof tmp, "%s.tmp", path) < (int)sizeof tmp;
    int slot = ok ? sb_tmp_add(tmp) : -1;
    FILE *f = ok ? fopen(tmp, "wb") : NULL;
    ok = f != NULL;
    if (f) {
        fclose(f);
        remove(tmp);
    }
    sb_tmp_drop(slot);
    if (!ok)
        return sb_fail(err, SB_EUSAGE, "micro: %s %s: cannot write there", opt, path);
    return SB_OK;
}

/* ---- the command ------------------------------------------------------------------ */

enum {
    O_KERNELS = SB_OPT_FIRST_FREE,
    O_SIZES,
    O_REPS,
    O_WARMUP,
    O_LOCAL,
    O_VOTE_M,
    O_JSON,
    O_CSV,
    O_NO_CLBLAST,
    O_NO_HOST,
    O_QUICK,
    O_TARGETS,
    O_CV_LIMIT,
    O_GAB,
    O_AGGS,
    O_FILTER,
    O_LIST
};

static int parse_args(int argc, char **argv, cli_opts *o, int *help, sb_err *err)
{
    sb_micro_opts *mo = &o->mo;
    static const struct option longopts[] = {
        {"kernels", required_argument, 0, O_KERNELS},
        {"sizes", required_argument, 0, O_SIZES},
        {"reps", required_argument, 0, O_REPS},
        {"warmup", required_argument, 0, O_WARMUP},
        {"local-size", required_argument, 0, O_LOCAL},
        {"vote-m", required_argument, 0, O_VOTE_M},
        {"json", required_argument, 0, O_JSON},
        {"csv", required_argument, 0, O_CSV},
        {"no-clblast", no_argument, 0, O_NO_CLBLAST},
        {"no-host", no_argument, 0, O_NO_HOST},
        {"quick", no_argument, 0, O_QUICK},
        {"targets", no_argument, 0, O_TARGETS},
        {"cv-limit", required_argument, 0, O_CV_LIMIT},
        {"github-benchmark", required_argument, 0, O_GAB},
        {"aggregates-only", no_argument, 0, O_AGGS},
        {"filter", required_argument, 0, O_FILTER},
        {"list", no_argument, 0, O_LIST},
        SB_COMMON_LONGOPTS,
        {0, 0, 0, 0}};
    const char *kernels = "all", *sizes = NULL;
    int warm_set = 0, c, st = SB_OK;
    mo->reps = 10, mo->warmup = 2, mo->vote_m = 8;
    optind = 1;
    opterr = 0;
    if (sb_cli_check_args("micro", argc, argv, "", longopts, err))
        return err->code;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1 && st == SB_OK) {
        if (sb_cli_common(c, optarg, &mo->dev))
            continue;
        switch (c) {
        case SB_OPT_HELP: *help = 1; return SB_OK;
        case O_KERNELS: kernels = optarg; break;
        case O_SIZES: sizes = optarg; break;
        case O_REPS:
            st = sb_parse_long("micro: --reps", optarg, 3, 100000, &mo->reps, err);
            break;
        case O_WARMUP:
            st = sb_parse_long("micro: --warmup", optarg, 0, 10000, &mo->warmup, err);
            warm_set = 1;
            break;
        case O_LOCAL: st = sb_micro_parse_locals(optarg, mo, err); break;
        case O_VOTE_M:
            st = sb_parse_long("micro: --vote-m", optarg, 1, 1024, &mo->vote_m, err);
            break;
        case O_JSON: o->outs.json = optarg; break;
        case O_CSV: o->outs.csv = optarg; break;
        case O_GAB: o->outs.gab = optarg; break;
        case O_AGGS: o->outs.aggregates_only = 1; break;
        case O_FILTER: st = compile_filter(o, optarg, err); break;
        case O_LIST: o->list = 1; break;
        case O_NO_CLBLAST: mo->no_clblast = 1; break;
        case O_NO_HOST: mo->no_host = 1; break;
        case O_QUICK: o->quick = 1; break;
        case O_TARGETS: o->targets = 1; break;
        case O_CV_LIMIT:
            st = sb_parse_double("micro: --cv-limit", optarg, 0.01, 1000, &mo->cv_limit,
                                 err);
            mo->cv_limit /= 100;
            break;
        default: return sb_cli_bad_option("micro", argc, argv, err);
        }
    }
    if (st != SB_OK)
        return st;
    if (optind < argc)
        return sb_fail(err, SB_EUSAGE, "micro: unexpected argument '%s'", argv[optind]);
    if ((st = sb_micro_parse_kernels(kernels, mo, err)) != SB_OK)
        return st;
    if (sizes)
        st = sb_micro_parse_sizes(sizes, mo, err);
    else if (o->quick) {
        char q[64];
        snprintf(q, sizeof q, "4K,%zu", sb_micro_bandwidth_n());
        st = sb_micro_parse_sizes(q, mo, err);
    } else
        sb_micro_default_sizes(mo);
    if (st == SB_OK && o->quick && !warm_set)
        mo->warmup = 1;
    if (st == SB_OK && mo->nlocals && mo->dev.kernel_binary)
        st = sb_fail(err, SB_EUSAGE,
                     "micro: --local-size needs kernels built from source; a "
                     "--kernel-binary file has its work-group size built in");
    const char *files[] = {o->outs.json, o->outs.csv, o->outs.gab};
    static const char *const opts[] = {"--json", "--csv", "--github-benchmark"};
    int dashes = 0;
    for (int i = 0; i < 3 && st == SB_OK; i++) {
        dashes += files[i] && !strcmp(files[i], "-");
        if (files[i] && strcmp(files[i], "-"))
            st = check_writable(opts[i], files[i], err);
    }
    if (st == SB_OK && dashes > 1)
        st = sb_fail(err, SB_EUSAGE,
                     "micro: only one of --json, --csv and --github-benchmark "
                     "can write to standard output (-)");
    return st;
}

/* The sweep, its table and its files. */
static int run(cli_opts *o, sb_err *err)
{
    int st;
    const char *files[] = {o->outs.json, o->outs.csv, o->outs.gab};
    /* The human-readable table: stdout, or stderr when a result file goes to stdout. */
    FILE *out = stdout;
    for (int i = 0; i < 3; i++)
        if (files[i] && !strcmp(files[i], "-"))
            out = stderr;
    o->mo.dry = o->list;
    sb_micro_run s;
    st = sb_micro_sweep(&s, &o->mo, err);
    if (st == SB_OK && o->list)
        print_list(&s);
    else if (st == SB_OK && s.have_ctx) {
        sb_micro_print_table(out, &s, &s.ctx);
        int has64 = 0;
        for (int i = 0; i < o->mo.nsizes; i++)
            has64 |= o->mo.sizes[i] == SB_MICRO_64M;
        if (has64 || o->targets)
            sb_micro_print_targets(out, &s);
        st = sb_micro_report_write(&s, &o->outs, err);
        for (int i = 0; i < 3 && st == SB_OK; i++)
            if (files[i] && strcmp(files[i], "-"))
                fprintf(out, "%swrote %s\n", i == 0 ? "\n" : "", files[i]);
    }
    sb_micro_run_free(&s);
    return st;
}

int sb_cmd_micro(int argc, char **argv, sb_err *err)
{
    if (sb_micro_ab_wanted(argc, argv))
        return sb_cmd_micro_ab(argc, argv, err);
    if (sb_micro_split_wanted(argc, argv))
        return sb_cmd_micro_split(argc, argv, err);
    static const char *const per_device_files[] = {"--json", "--csv", "--github-benchmark",
                                                   NULL};
    int handled, pd = sb_cli_per_device("micro", sb_cmd_micro, argc, argv, per_device_files,
                                        &handled, err);
    if (handled)
        return pd;
    cli_opts o;
    memset(&o, 0, sizeof o);
    int want_help = 0;
    int st = parse_args(argc, argv, &o, &want_help, err);
    if (st == SB_OK && want_help && (st = sb_cli_help(help)) == SB_OK)
        st = sb_cli_help(sb_micro_ab_help);
    if (st == SB_OK && !want_help)
        st = run(&o, err);
    if (o.have_filter)
        regfree(&o.filter);
    return st;
}
