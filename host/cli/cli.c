/* cli.c - option helpers shared by the subcommands: the common device options and
 * one-line usage errors. Number parsing is util/parse.c, the progress bar util/progress.c. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int sb_cli_common(int c, const char *arg, sb_opts *o)
{
    switch (c) {
    case SB_OPT_DEVICE:
        o->device = arg;
        return 1;
    case SB_OPT_KERNEL_DIR:
        o->kernel_dir = arg;
        return 1;
    case SB_OPT_KERNEL_BINARY:
        o->kernel_binary = arg;
        return 1;
    case SB_OPT_BIND:
        o->bind = 1;
        return 1;
    }
    return 0;
}

int sb_cli_bad_option(const char *cmd, int argc, char **argv, sb_err *err)
{
    const char *bad = (optind - 1 < argc && optind > 0) ? argv[optind - 1] : "?";
    if (optopt && optopt < 0x100 && bad[0] == '-' && bad[1] != '-')
        return sb_fail(err, SB_EUSAGE, "%s: option -%c is unknown or needs a value "
                       "(see 'signbench %s --help')", cmd, optopt, cmd);
    return sb_fail(err, SB_EUSAGE,
                   "%s: option '%s' is unknown or needs a value (see 'signbench %s --help')",
                   cmd, bad, cmd);
}

int sb_cli_help(const char *text)
{
    fputs(text, stdout);
    return SB_OK;
}
