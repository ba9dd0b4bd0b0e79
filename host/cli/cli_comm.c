/* cli_comm.c - `signbench comm`: parse the options, run the link study (comm.c), print
 * the table, the model's fit and the break-even bandwidths, write comm.json and plots. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "comm.h"
#include "fs.h"
#include "json.h"
#include "plot.h"

static const char help[] =
    "usage: signbench comm [--quick] [options]\n\n"
    "When does one bit pay? Times `train --mpi` steps of every aggregate (fp32 and fp16\n"
    "allreduce, allgather-vote, scatter-vote) on real Open MPI over TCP (--mca btl\n"
    "tcp,self; ring allreduce and allgather, pairwise alltoall forced) inside a network\n"
    "namespace whose loopback is shaped with tc tbf (MTU 9000, burst max(256 KiB, 4 ms),\n"
    "latency 100 ms), for each link bandwidth and rank count. The namespace is created\n"
    "and removed by the command (also on failure, Ctrl-C or SIGTERM); it needs root (not\n"
    "root: one line, exit 2). All ranks share the one shaped loopback, so a step moves\n"
    "P times the per-rank bytes through it.\n\n"
    "Beside each measurement: a latency-bandwidth model, comm = alpha rounds + beta0\n"
    "bytes + (P bytes - tbf burst)/bandwidth, with alpha and beta0 fitted per rank count\n"
    "to the unshaped runs and the measured compute (step - communicate) added, and its\n"
    "error; bytes each rank handed to MPI beside the closed form and the loopback's own\n"
    "counter (headers and TCP retransmissions included). Time to target = steps to\n"
    "f <= frac f0 (measured with --workers P in this process at --target-d: the quad is\n"
    "separable, so the steps do not depend on d; fp16 uses the fp32 mean's steps) x the\n"
    "measured step time. Break-even: the bandwidth below which each vote beats the fp32\n"
    "allreduce, per step and to the target (steady-state model).\n\n"
    "The timed runs: quad, d = --d, --steps steps, the allreduces with sgd and\n"
    "--compress none, the votes with signsgd and --compress pack; --sigma 0 (default)\n"
    "times the link, not this machine's noise generator.\n\n"
    "Options:\n"
    "  --quick             ranks 2,4 and 5 steps (within 5 minutes here)\n"
    "  --ranks LIST        rank counts (default 2,4,8)\n"
    "  --bandwidths LIST   e.g. 100M,1G,10G,unshaped (default; bit/s, K/M/G suffixes)\n"
    "  --aggregates LIST   default allreduce,allreduce-fp16,allgather-vote,scatter-vote\n"
    "  --d N               parameters of the timed runs (1000000)\n"
    "  --steps K           timed steps per run (8; 5 with --quick; at least 3): step\n"
    "                      and communication times are medians over steps 2..K (the\n"
    "                      first opens the TCP connections)\n"
    "  --sigma S           oracle noise of the timed runs (0)\n"
    "  --target-d N        dimension of the convergence runs (10000)\n"
    "  --target-sigma S    their noise (0.5)   --target-frac F  target f <= F f0 (0.25)\n"
    "  --target-steps N    their budget (300)\n"
    "  --out DIR           folder (default results/comm/<UTC time>): comm.json,\n"
    "                      comm-ttt-P<n>.png/.svg/.dat, runs/ (every run's summary, log)\n"
    "  --json              print comm.json on stdout instead of the table\n\n" SB_COMMON_HELP;

enum {
    O_QUICK = SB_OPT_FIRST_FREE,
    O_RANKS,
    O_BW,
    O_AGG,
    O_D,
    O_STEPS,
    O_SIGMA,
    O_TD,
    O_TSIG,
    O_TFRAC,
    O_TSTEPS,
    O_OUT,
    O_JSON
};

/* "100M,1G,unshaped" -> bit/s (0 = unshaped) */
static int parse_bw(const char *a, double *bw, int *n, sb_err *err)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", a);
    *n = 0;
    for (char *sv = NULL, *t = strtok_r(buf, ",", &sv); t; t = strtok_r(NULL, ",", &sv)) {
        if (*n == SB_COMM_MAX)
            return sb_fail(err, SB_EUSAGE, "comm: at most %d bandwidths", SB_COMM_MAX);
        if (!strcmp(t, "unshaped")) {
            bw[(*n)++] = 0;
            continue;
        }
        char *end;
        double v = strtod(t, &end);
        double k = *end == 'K' ? 1e3 : *end == 'M' ? 1e6 : *end == 'G' ? 1e9 : 1;
        if (k > 1)
            end++;
        if (end == t || *end || !(v * k >= 1e5) || v * k > 1e11)
            return sb_fail(err, SB_EUSAGE,
                           "comm: --bandwidths '%s': expected a rate from "
                           "100K to 100G (e.g. 100M, 1G) or 'unshaped'",
                           t);
        bw[(*n)++] = v * k;
    }
    return *n ? SB_OK : sb_fail(err, SB_EUSAGE, "comm: --bandwidths is empty");
}

static int parse_ranks(const char *a, sb_comm_cfg *c, sb_err *err)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", a);
    c->nranks = 0;
    for (char *sv = NULL, *t = strtok_r(buf, ",", &sv); t; t = strtok_r(NULL, ",", &sv)) {
        long v;
        if (c->nranks == SB_COMM_MAX)
            return sb_fail(err, SB_EUSAGE, "comm: at most %d rank counts", SB_COMM_MAX);
        if (sb_parse_long("--ranks", t, 2, 64, &v, err) != SB_OK)
            return SB_EUSAGE;
        c->ranks[c->nranks++] = (int)v;
    }
    return c->nranks ? SB_OK : sb_fail(err, SB_EUSAGE, "comm: --ranks is empty");
}

static int parse_algs(const char *a, sb_comm_cfg *c, sb_err *err)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", a);
    c->nalgs = 0;
    for (char *sv = NULL, *t = strtok_r(buf, ",", &sv); t; t = strtok_r(NULL, ",", &sv)) {
        sb_agg_alg g;
        if (c->nalgs == 4 || sb_agg_parse(t, &g, err) != SB_OK)
            return c->nalgs == 4 ? sb_fail(err, SB_EUSAGE, "comm: at most 4 aggregates")
                                 : sb_wrap(err, "comm: --aggregates");
        c->algs[c->nalgs++] = g;
    }
    return c->nalgs ? SB_OK : sb_fail(err, SB_EUSAGE, "comm: --aggregates is empty");
}

static void print_even(double v)
{
    if (isinf(v))
        printf(" %12s", "always");
    else if (isnan(v))
        printf(" %12s", "-");
    else
        printf(" %8.3g Mb/s", v / 1e6);
}

static void print_table(const sb_comm_cfg *c, const sb_comm_result *r)
{
    printf(
        "comm: d = %zu, %d timed steps per run, Open MPI over TCP on a shaped loopback\n",
        c->d, c->steps);
    printf("%-14s %2s %9s %10s %10s %10s %6s %11s %11s %9s %7s %6s %9s\n", "aggregate", "P",
           "Mbit/s", "step_ms", "comm_ms", "model_ms", "err%", "B/rank/step", "theory",
           "wire/th", "retrans", "steps", "ttt_s");
    for (int i = 0; i < r->n; i++) {
        const sb_comm_point *q = &r->pt[i];
        char bw[16];
        snprintf(bw, sizeof bw, q->bw > 0 ? "%.0f" : "unshaped", q->bw / 1e6);
        if (!q->ok) {
            printf("%-14s %2d %9s  FAILED: %s\n", sb_agg_name(q->alg), q->ranks, bw,
                   q->note);
            continue;
        }
        int ip = 0, ia = 0;
        while (c->ranks[ip] != q->ranks)
            ip++;
        while (c->algs[ia] != q->alg)
            ia++;
        printf(
            "%-14s %2d %9s %10.3f %10.3f %10.3f %6.1f %11.0f %11.0f %9.4f %7.0f %6d %9.3g\n",
            sb_agg_name(q->alg), q->ranks, bw, 1e3 * q->step_s, 1e3 * q->comm_s,
            1e3 * q->model_s, 100 * q->model_err, q->bytes_rank, q->theory_rank,
            q->wire / (q->theory_rank * q->ranks * c->steps), q->retrans,
            r->steps_target[ip][ia], q->ttt_s);
    }
    for (int ip = 0; ip < c->nranks; ip++) {
        printf("P=%d: alpha %.3g ms per round, beta0 %.3g ns per byte; 1 bit beats fp32 "
               "allreduce below (per step / to target):",
               c->ranks[ip], 1e3 * r->alpha[ip], 1e9 * r->beta0[ip]);
        for (int ia = 0; ia < c->nalgs; ia++)
            if (!isnan(r->even_step[ip][ia]) || !isnan(r->even_ttt[ip][ia])) {
                printf(" %s", sb_agg_name(c->algs[ia]));
                print_even(r->even_step[ip][ia]);
                print_even(r->even_ttt[ip][ia]);
            }
        printf("\n");
    }
}

/* comm's options. */
static const struct option comm_longopts[] = {
    {"quick", no_argument, 0, O_QUICK},
    {"ranks", required_argument, 0, O_RANKS},
    {"bandwidths", required_argument, 0, O_BW},
    {"aggregates", required_argument, 0, O_AGG},
    {"d", required_argument, 0, O_D},
    {"steps", required_argument, 0, O_STEPS},
    {"sigma", required_argument, 0, O_SIGMA},
    {"target-d", required_argument, 0, O_TD},
    {"target-sigma", required_argument, 0, O_TSIG},
    {"target-frac", required_argument, 0, O_TFRAC},
    {"target-steps", required_argument, 0, O_TSTEPS},
    {"out", required_argument, 0, O_OUT},
    {"json", no_argument, 0, O_JSON},
    SB_COMMON_LONGOPTS,
    {0, 0, 0, 0}};

typedef struct comm_args {
    sb_comm_cfg c;
    const char *out;
    int json, help;
} comm_args;

static int comm_option(int ch, const char *a, void *ctx, sb_err *err)
{
    sb_comm_cfg *c = &((comm_args *)ctx)->c;
    long lv;
    size_t zv;
    int st = SB_OK;
    switch (ch) {
    case O_QUICK: break; /* read first: it sets the defaults */
    case O_RANKS: st = parse_ranks(a, c, err); break;
    case O_BW: st = parse_bw(a, c->bw, &c->nbw, err); break;
    case O_AGG: st = parse_algs(a, c, err); break;
    case O_D:
        st = sb_parse_size("--d", a, &zv, err);
        c->d = zv;
        break;
    case O_STEPS:
        st = sb_parse_long("--steps", a, 3, 100000, &lv, err);
        c->steps = (int)lv;
        break;
    case O_SIGMA: st = sb_parse_double("--sigma", a, 0, 1e6, &c->sigma, err); break;
    case O_TD:
        st = sb_parse_size("--target-d", a, &zv, err);
        c->target_d = zv;
        break;
    case O_TSIG:
        st = sb_parse_double("--target-sigma", a, 0, 1e6, &c->target_sigma, err);
        break;
    case O_TFRAC:
        st = sb_parse_double("--target-frac", a, 1e-9, 1, &c->target_frac, err);
        break;
    case O_TSTEPS:
        st = sb_parse_long("--target-steps", a, 1, 1000000, &lv, err);
        c->target_steps = (int)lv;
        break;
    case O_OUT: ((comm_args *)ctx)->out = a; break;
    case O_JSON: ((comm_args *)ctx)->json = 1; break;
    default: return -1;
    }
    return st;
}

/* The run and its files: comm.json, the plots; then the table or the JSON. */
static int run(sb_comm_cfg *c, const char *out, int json, sb_err *err)
{
    sb_comm_result r;
    int st = sb_comm_run(c, &r, err);
    if (st != SB_OK) {
        sb_comm_result_free(&r);
        return sb_wrap(err, "comm");
    }
    cJSON *j = sb_comm_json(c, &r);
    char path[4200];
    snprintf(path, sizeof path, "%s/comm.json", out);
    st = sb_json_save(path, j, err);
    if (st == SB_OK && sb_plot_available())
        st = sb_comm_plot(c, &r, err);
    if (st == SB_OK && json)
        sb_json_print(j);
    else if (st == SB_OK) {
        print_table(c, &r);
        printf("comm.json%s in %s/ (%.0f s)\n",
               sb_plot_available() ? " and comm-ttt-P*.png" : "", out, r.wall_s);
    }
    cJSON_Delete(j);
    sb_comm_result_free(&r);
    return st;
}

int sb_cmd_comm(int argc, char **argv, sb_err *err)
{
    static const sb_cli_parser p = {"comm", "", comm_longopts, comm_option, 0};
    comm_args a = {.out = NULL};
    sb_comm_cfg_default(&a.c, sb_cli_has_flag(argc, argv, "--quick"));
    if (sb_cli_parse(&p, argc, argv, &a, &a.c.dev, &a.help, err))
        return err->code;
    if (a.help)
        return sb_cli_help(help);
    if (a.c.d < 1 || a.c.target_d < 1)
        return sb_fail(err, SB_EUSAGE, "comm: --d and --target-d must be at least 1");
    if (geteuid() != 0)
        return sb_fail(err, SB_EUSAGE,
                       "comm: needs root to create a network namespace and "
                       "shape its loopback (ip netns, tc): run it as root");
    static char self[4096], dir[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return sb_fail(err, SB_ERUNTIME, "comm: cannot find this program (/proc/self/exe)");
    self[n] = '\0';
    if (!a.out) {
        char ts[32];
        snprintf(dir, sizeof dir, "results/comm/%s", sb_utc_stamp(ts, sizeof ts));
        a.out = dir;
    }
    a.c.self = self;
    a.c.out = a.out;
    a.c.progress = !a.json;
    return run(&a.c, a.out, a.json, err);
}
