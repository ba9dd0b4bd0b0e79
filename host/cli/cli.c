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
    case SB_OPT_DEVICE: o->device = arg; return 1;
    case SB_OPT_KERNEL_DIR: o->kernel_dir = arg; return 1;
    case SB_OPT_KERNEL_BINARY: o->kernel_binary = arg; return 1;
    case SB_OPT_BIND: o->bind = 1; return 1;
    case SB_OPT_VERBOSE: o->verbose = 1; return 1;
    }
    return 0;
}

int sb_cli_bad_option(const char *cmd, int argc, char **argv, sb_err *err)
{
    const char *bad = (optind - 1 < argc && optind > 0) ? argv[optind - 1] : "?";
    if (optopt && optopt < 0x100 && bad[0] == '-' && bad[1] != '-')
        return sb_fail(err, SB_EUSAGE,
                       "%s: option -%c is unknown or needs a value "
                       "(see 'signbench %s --help')",
                       cmd, optopt, cmd);
    return sb_fail(
        err, SB_EUSAGE,
        "%s: option '%s' is unknown or needs a value (see 'signbench %s --help')", cmd, bad,
        cmd);
}

int sb_cli_parse(const sb_cli_parser *p, int argc, char **argv, void *ctx, sb_opts *dev,
                 int *help, sb_err *err)
{
    int c;
    optind = 1;
    opterr = 0;
    if (sb_cli_check_args(p->cmd, argc, argv, p->shortopts, p->longopts, err))
        return err->code;
    while ((c = getopt_long(argc, argv, p->shortopts, p->longopts, NULL)) != -1) {
        if (sb_cli_common(c, optarg, dev))
            continue;
        if (c == SB_OPT_HELP) {
            *help = 1;
            return SB_OK;
        }
        int rc = p->option(c, optarg, ctx, err);
        if (rc < 0)
            return sb_cli_bad_option(p->cmd, argc, argv, err);
        if (rc) {
            if (p->prefix && strncmp(err->msg, p->cmd, strlen(p->cmd)))
                sb_wrap(err, "%s", p->cmd);
            return rc;
        }
    }
    if (optind < argc)
        return sb_fail(err, SB_EUSAGE, "%s: unexpected argument '%s'", p->cmd,
                       argv[optind]);
    return SB_OK;
}

int sb_cli_has_flag(int argc, char **argv, const char *flag)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], flag))
            return 1;
    return 0;
}

int sb_cli_help(const char *text)
{
    fputs(text, stdout);
    return SB_OK;
}

/* Options whose values are paths or free text: commas in them are not list separators. */
static int is_path_option(const char *name)
{
    static const char *const paths[] = {
        "out",    "json",        "csv", "data",  "rotation", "kernel-dir", "kernel-binary",
        "points", "report-only", "o",   "title", "filter",   NULL};
    for (int i = 0; paths[i]; i++)
        if (!strcmp(name, paths[i]))
            return 1;
    return 0;
}

/* Options meant to be given several times (their values add up). */
static int is_repeatable(const char *name)
{
    return !strcmp(name, "metric");
}

/* A value that is a comma list must have no empty item ("4K,,8K", "a,", ",a"). */
static int empty_item(const char *v)
{
    size_t n = strlen(v);
    return strchr(v, ',') && (v[0] == ',' || v[n - 1] == ',' || strstr(v, ",,"));
}

int sb_cli_check_args(const char *cmd, int argc, char **argv, const char *shortopts,
                      const struct option *longopts, sb_err *err)
{
    enum { MAXSEEN = 128 };
    struct {
        int opt;
        const char *val;
    } seen[MAXSEEN];
    int nseen = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = NULL;
        char name[64];
        int idx = -1, takes = 0;
        if (!strcmp(a, "--"))
            break;
        if (a[0] != '-' || a[1] == '\0')
            continue;
        if (a[1] == '-') {
            size_t len = strcspn(a + 2, "=");
            for (int k = 0; longopts[k].name; k++)
                if (strlen(longopts[k].name) == len &&
                    !strncmp(longopts[k].name, a + 2, len))
                    idx = k;
            if (idx < 0)
                continue; /* unknown or abbreviated: getopt_long decides */
            snprintf(name, sizeof name, "%s", longopts[idx].name);
            takes = longopts[idx].has_arg == required_argument;
            if (a[2 + len] == '=')
                val = a + 3 + len;
            else if (takes && i + 1 < argc)
                val = argv[++i];
        } else {
            const char *p = strchr(shortopts, a[1]);
            if (!p || a[1] == ':')
                continue;
            takes = p[1] == ':';
            snprintf(name, sizeof name, "%c", a[1]);
            for (int k = 0; longopts[k].name; k++)
                if (longopts[k].val == a[1])
                    idx = k;
            if (takes)
                val = a[2] ? a + 2 : (i + 1 < argc ? argv[++i] : NULL);
        }
        if (!takes || !val)
            continue;
        const char *shown = idx >= 0 ? longopts[idx].name : name;
        int key = idx >= 0 ? idx : 1000 + (unsigned char)a[1];
        if (!*val)
            return sb_fail(err, SB_EUSAGE, "%s: --%s: empty value", cmd, shown);
        if (!is_path_option(shown) && empty_item(val))
            return sb_fail(err, SB_EUSAGE, "%s: --%s '%s': empty item in the list", cmd,
                           shown, val);
        for (int k = 0; k < nseen && !is_repeatable(shown); k++)
            if (seen[k].opt == key && strcmp(seen[k].val, val))
                return sb_fail(err, SB_EUSAGE,
                               "%s: --%s given twice with different values "
                               "('%s' and '%s'); give it once",
                               cmd, shown, seen[k].val, val);
        if (nseen < MAXSEEN)
            seen[nseen].opt = key, seen[nseen++].val = val;
    }
    return SB_OK;
}
