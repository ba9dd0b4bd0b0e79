/* cli.h - what the subcommands share: the command table, the common options
 * (--device, --kernel-dir, --kernel-binary, --bind) and usage-error helpers. */
#ifndef SB_CLI_H
#define SB_CLI_H

#include <getopt.h>

#include "ocl.h"
#include "parse.h"
#include "progress.h"

/* A subcommand: parses its own argv (argv[0] is the command name) and returns a status;
 * on failure err holds one line that main prints as "signbench: <msg>". */
typedef int (*sb_cmd_fn)(int argc, char **argv, sb_err *err);

typedef struct sb_cmd {
    const char *name;
    sb_cmd_fn fn;
    const char *summary;
} sb_cmd;

extern const sb_cmd sb_commands[];

/* Long options every command that touches a device accepts. Their short codes are
 * above 0x100 so they never clash with a command's own letters. */
enum {
    SB_OPT_DEVICE = 0x100,
    SB_OPT_KERNEL_DIR,
    SB_OPT_KERNEL_BINARY,
    SB_OPT_BIND,
    SB_OPT_HELP,
    SB_OPT_VERBOSE,
    SB_OPT_FIRST_FREE = 0x120
};

#define SB_COMMON_LONGOPTS                                                                 \
    {"device", required_argument, 0, SB_OPT_DEVICE},                                       \
        {"kernel-dir", required_argument, 0, SB_OPT_KERNEL_DIR},                           \
        {"kernel-binary", required_argument, 0, SB_OPT_KERNEL_BINARY},                     \
        {"bind", no_argument, 0, SB_OPT_BIND}, {"help", no_argument, 0, SB_OPT_HELP},      \
    {                                                                                      \
        "verbose", no_argument, 0, SB_OPT_VERBOSE                                          \
    }

#define SB_COMMON_HELP                                                                     \
    "Device options:\n"                                                                    \
    "  --device D          cpu, gpu, accel, P:D (see `signbench devices`) or a name\n"     \
    "                      substring; default $SIGNBENCH_DEVICE, else the first GPU,\n"    \
    "                      accelerator, CPU. devices, micro and suite also take a\n"       \
    "                      comma list or all (each device in turn)\n"                      \
    "  --kernel-dir DIR    build kernels from DIR/*.cl instead of the embedded sources\n"  \
    "  --kernel-binary F   load the program from F (made by `signbench compile`, or an\n"  \
    "                      offline FPGA build named *.aocx or *.xclbin); D=F,D=F,...\n"    \
    "                      gives one file per device of a list\n"                          \
    "  --bind              pin the host thread to the CPUs near the device (hwloc)\n"      \
    "  --verbose           show the kernel compiler's output (shown anyway when a build\n" \
    "                      fails: the first errors, the full log in a file it names)\n"

/* Handle a common option inside a getopt_long loop; returns 1 if c was one. */
int sb_cli_common(int c, const char *arg, sb_opts *o);

/* Before a command's getopt_long loop (same SHORTOPTS and LONGOPTS): refuse an option
 * given twice with different values (the same value twice is harmless; compare's
 * --metric is meant to be repeated), an empty value
 * (--device "") and an empty item in a comma list (--sizes 4K,,8K; path options such as
 * --out are not lists). One line naming the option; SB_EUSAGE. */
int sb_cli_check_args(const char *cmd, int argc, char **argv, const char *shortopts,
                      const struct option *longopts, sb_err *err);

/* The getopt_long loop's failure cases, as one line: unknown option, missing value. */
int sb_cli_bad_option(const char *cmd, int argc, char **argv, sb_err *err);

/* One of a command's own options (not a common one) into its settings ctx: SB_OK, an
 * error (err filled), or -1 when c is not one of its options. */
typedef int (*sb_cli_option_fn)(int c, const char *arg, void *ctx, sb_err *err);

/* How a command reads its options with sb_cli_parse. */
typedef struct sb_cli_parser {
    const char *cmd; /* the command's name, which every message starts with */
    const char *shortopts;
    const struct option *longopts; /* SB_COMMON_LONGOPTS among them */
    sb_cli_option_fn option;
    int prefix; /* 1: "cmd: " goes before an option's message that lacks it */
} sb_cli_parser;

/* A command's getopt_long loop: sb_cli_check_args first, the common options into *dev,
 * --help sets *help and stops there, every other option to p->option (an unknown one
 * is refused with sb_cli_bad_option); then a stray argument is refused. SB_OK or the
 * failure's code. */
int sb_cli_parse(const sb_cli_parser *p, int argc, char **argv, void *ctx, sb_opts *dev,
                 int *help, sb_err *err);

/* 1 when argv holds flag (a command whose defaults depend on --quick reads it first, so
 * that the other options override them). */
int sb_cli_has_flag(int argc, char **argv, const char *flag);

/* A command over a device list (--device A,B or all, else $SIGNBENCH_DEVICE): when it
 * names several devices, runs fn once per device (argv with --device P:D, the values of
 * file_opts suffixed -P-D before their extension), sets *handled and returns the first
 * failure; with one device *handled is 0 and the command runs its own path. */
int sb_cli_per_device(const char *cmd, sb_cmd_fn fn, int argc, char **argv,
                      const char *const *file_opts, int *handled, sb_err *err);

/* micro --split (cli_split.c): 1 when argv asks for it; the command itself. */
int sb_micro_split_wanted(int argc, char **argv);
int sb_cmd_micro_split(int argc, char **argv, sb_err *err);

/* Print help text for `cmd` to stdout and return SB_OK (for --help). */
int sb_cli_help(const char *text);

#endif
