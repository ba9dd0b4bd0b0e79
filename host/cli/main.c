/* main.c - the signbench entry point: git-style subcommand dispatch, global options
 * placed before the command, and the one-line error / exit-status convention. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "progress.h"
#include "version.h"

int sb_cmd_devices(int argc, char **argv, sb_err *err);
int sb_cmd_compile(int argc, char **argv, sb_err *err);
int sb_cmd_train(int argc, char **argv, sb_err *err);
int sb_cmd_eval(int argc, char **argv, sb_err *err);
int sb_cmd_micro(int argc, char **argv, sb_err *err);
int sb_cmd_compare(int argc, char **argv, sb_err *err);
int sb_cmd_history(int argc, char **argv, sb_err *err);
int sb_cmd_sweep(int argc, char **argv, sb_err *err);
int sb_cmd_grid(int argc, char **argv, sb_err *err);
int sb_cmd_suite(int argc, char **argv, sb_err *err);
int sb_cmd_plot(int argc, char **argv, sb_err *err);
int sb_cmd_tube(int argc, char **argv, sb_err *err);
int sb_cmd_figure1(int argc, char **argv, sb_err *err);
int sb_cmd_comm(int argc, char **argv, sb_err *err);
int sb_cmd_byzantine(int argc, char **argv, sb_err *err);
static int cmd_help(int argc, char **argv, sb_err *err);

/* Keep in the order a new user meets them; `signbench help` prints this table. */
const sb_cmd sb_commands[] = {
    {"suite", sb_cmd_suite,
     "run every study into one folder with report.md and report.html"},
    {"devices", sb_cmd_devices, "list OpenCL devices, their limits and host locality"},
    {"micro", sb_cmd_micro, "kernel throughput vs memory bandwidth, CLBlast and C"},
    {"train", sb_cmd_train, "run optimisers on a problem: traces, summaries, theorems"},
    {"eval", sb_cmd_eval,
     "a problem's value and gradient at given points; gradient timing"},
    {"tube", sb_cmd_tube,
     "saddle study on the tube function: batched trajectories, orbits"},
    {"figure1", sb_cmd_figure1,
     "the paper's Figure 1 on the tube function, claims checked"},
    {"byzantine", sb_cmd_byzantine,
     "majority vote against K of P adversarial workers, K/P < 1/2"},
    {"comm", sb_cmd_comm, "when one bit pays: MPI aggregates vs link bandwidth and ranks"},
    {"sweep", sb_cmd_sweep,
     "convergence scaling with the dimension d, slopes vs the theorems"},
    {"grid", sb_cmd_grid,
     "learning rate x weight decay x momentum grid on logistic regression (Figure 2)"},
    {"compare", sb_cmd_compare,
     "compare two result files; exit 1 on a regression (CI gate)"},
    {"history", sb_cmd_history,
     "results history in SQLite: add, show, plot, change points"},
    {"plot", sb_cmd_plot, "redraw figures from saved .dat, JSON or CSV results"},
    {"compile", sb_cmd_compile, "build the kernels for a device and save the binary"},
    {"help", cmd_help, "show help for signbench or one command"},
    {NULL, NULL, NULL},
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: signbench [--device D] <command> [options]\n\n"
            "Benchmarks sign-based compressed optimisation (signSGD and its family) on\n"
            "OpenCL devices: kernel throughput against memory bandwidth, and convergence\n"
            "on the tube function and logistic regression.\n\nCommands:\n");
    for (const sb_cmd *c = sb_commands; c->name; c++)
        fprintf(f, "  %-10s %s\n", c->name, c->summary);
    fprintf(f, "\nRun 'signbench <command> --help' for a command's options.\n"
               "Exit status: 0 success, 1 runtime failure, 2 bad usage or input.\n");
}

static const sb_cmd *find(const char *name)
{
    for (const sb_cmd *c = sb_commands; c->name; c++)
        if (!strcmp(c->name, name))
            return c;
    return NULL;
}

static int cmd_help(int argc, char **argv, sb_err *err)
{
    if (argc < 2 || !strcmp(argv[1], "--help")) {
        usage(stdout);
        return SB_OK;
    }
    if (argv[1][0] == '-')
        return sb_fail(err, SB_EUSAGE,
                       "help: unknown option '%s' (usage: signbench help "
                       "[COMMAND])",
                       argv[1]);
    const sb_cmd *c = find(argv[1]);
    if (!c)
        return sb_fail(err, SB_EUSAGE, "help: unknown command '%s'", argv[1]);
    char *args[] = {(char *)c->name, "--help", NULL};
    return c->fn(2, args, err);
}

static int is_global_with_value(const char *a)
{
    return !strcmp(a, "--device") || !strcmp(a, "--kernel-dir") ||
           !strcmp(a, "--kernel-binary");
}

/* PoCL runs at half speed beside OpenMP threads that busy-wait, and without pinning
 * its threads (DESIGN.md section 4). libgomp reads OMP_WAIT_POLICY once, when it is
 * loaded, so the only way to set it for this process is to start again (once: the
 * variable is then set). A user's own values always win. */
static void set_runtime_environment(char **argv)
{
    setenv("POCL_AFFINITY", "1", 0);
    if (getenv("OMP_WAIT_POLICY"))
        return;
    setenv("OMP_WAIT_POLICY", "passive", 1);
    fflush(NULL);
    execv("/proc/self/exe", argv);
    /* No /proc: carry on; only the C baselines' speed suffers. */
}

int main(int argc, char **argv)
{
    set_runtime_environment(argv);
    sb_signals_install();
    if (argc < 2) {
        usage(stderr);
        return SB_EUSAGE;
    }
    /* Global device options may stand before the command: move them after it. */
    int first = 1;
    while (first < argc && argv[first][0] == '-') {
        const char *a = argv[first];
        if (!strcmp(a, "--version")) {
            if (argc > first + 1) {
                fprintf(stderr, "signbench: --version takes no arguments (got '%s')\n",
                        argv[first + 1]);
                return SB_EUSAGE;
            }
            printf("signbench %s (git %s)\n", SB_VERSION, SB_GIT_COMMIT);
            return SB_OK;
        }
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return SB_OK;
        }
        if (is_global_with_value(a) && first + 1 >= argc) {
            fprintf(stderr, "signbench: option '%s' needs a value (try 'signbench help')\n",
                    a);
            return SB_EUSAGE;
        }
        if (is_global_with_value(a))
            first += 2;
        else if (!strcmp(a, "--bind") || !strcmp(a, "--verbose") ||
                 !strncmp(a, "--device=", 9) || !strncmp(a, "--kernel-dir=", 13) ||
                 !strncmp(a, "--kernel-binary=", 16))
            first += 1;
        else {
            fprintf(
                stderr,
                "signbench: unknown global option '%s' (valid before a command: "
                "--device, --kernel-dir, --kernel-binary, --bind, --verbose, --version, "
                "--help)\n",
                a);
            return SB_EUSAGE;
        }
    }
    if (first >= argc) {
        fprintf(stderr, "signbench: no command given (try 'signbench help')\n");
        return SB_EUSAGE;
    }
    const sb_cmd *c = find(argv[first]);
    if (!c) {
        fprintf(stderr, "signbench: unknown command '%s'; valid:", argv[first]);
        for (const sb_cmd *k = sb_commands; k->name; k++)
            fprintf(stderr, " %s", k->name);
        fprintf(stderr, "\n");
        return SB_EUSAGE;
    }
    char **args = malloc(sizeof(char *) * (size_t)(argc + 1));
    if (!args) {
        fprintf(stderr, "signbench: out of memory\n");
        return SB_ERUNTIME;
    }
    int n = 0;
    args[n++] = argv[first];
    for (int i = 1; i < first; i++)
        args[n++] = argv[i];
    for (int i = first + 1; i < argc; i++)
        args[n++] = argv[i];
    args[n] = NULL;
    /* `signbench CMD -h` is `signbench CMD --help` for every command; only as the first
     * argument after the command, where it can never be the value of another option. The
     * global options before the command are dropped then: the help needs none of them
     * (compare, plot, history and help take none). */
    if (first + 1 < argc && !strcmp(argv[first + 1], "-h")) {
        args[1] = "--help";
        args[2] = NULL;
        n = 2;
    }
    sb_err err = {0, ""};
    int st = c->fn(n, args, &err);
    free(args);
    if (st != SB_OK) {
        sb_progress_clear(); /* a bar left on screen by a failed step: not on its line */
        fprintf(stderr, "signbench: %s\n", err.msg[0] ? err.msg : "failed");
        return st == SB_EUSAGE ? SB_EUSAGE : SB_ERUNTIME;
    }
    return SB_OK;
}
