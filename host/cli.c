/* cli.c - option helpers shared by the subcommands: common device options, strict
 * number parsing, one-line usage errors, and the stderr progress bar. */
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

int sb_parse_long(const char *opt, const char *s, long lo, long hi, long *out, sb_err *err)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return sb_fail(err, SB_EUSAGE, "%s '%s': expected an integer in [%ld, %ld]", opt, s,
                       lo, hi);
    *out = v;
    return SB_OK;
}

int sb_parse_size(const char *opt, const char *s, size_t *out, sb_err *err)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    double mul = 1;
    if (*end == 'K' || *end == 'k')
        mul = 1024.0, end++;
    else if (*end == 'M' || *end == 'm')
        mul = 1024.0 * 1024, end++;
    else if (*end == 'G' || *end == 'g')
        mul = 1024.0 * 1024 * 1024, end++;
    v *= mul;
    if (errno || end == s || *end || !(v >= 1) || v > 1e15 || v != floor(v))
        return sb_fail(err, SB_EUSAGE,
                       "%s '%s': expected a positive count such as 1000, 64K or 16M", opt, s);
    *out = (size_t)v;
    return SB_OK;
}

int sb_parse_double(const char *opt, const char *s, double lo, double hi, double *out,
                    sb_err *err)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= lo && v <= hi))
        return sb_fail(err, SB_EUSAGE, "%s '%s': expected a number in [%g, %g]", opt, s, lo,
                       hi);
    *out = v;
    return SB_OK;
}

int sb_cli_help(const char *text)
{
    fputs(text, stdout);
    return SB_OK;
}

void sb_progress_start(sb_progress *p, const char *label, long total)
{
    p->label = label;
    p->total = total > 0 ? total : 1;
    p->done = 0;
    p->t0 = p->last = sb_now();
    p->on = isatty(STDERR_FILENO);
}

void sb_progress_step(sb_progress *p, long done)
{
    p->done = done;
    if (!p->on)
        return;
    double now = sb_now();
    if (now - p->last < 0.1 && done < p->total)
        return;
    p->last = now;
    double frac = (double)done / (double)p->total;
    if (frac > 1)
        frac = 1;
    int width = 30, fill = (int)(frac * width);
    char bar[64];
    for (int i = 0; i < width; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[width] = '\0';
    double el = now - p->t0, eta = frac > 0 ? el / frac - el : 0;
    fprintf(stderr, "\r%-14s [%s] %3.0f%%  %5.1fs elapsed, ~%.0fs left ", p->label, bar,
            100 * frac, el, eta);
    fflush(stderr);
}

void sb_progress_end(sb_progress *p)
{
    if (!p->on)
        return;
    fprintf(stderr, "\r%*s\r", 78, "");
    fflush(stderr);
}
