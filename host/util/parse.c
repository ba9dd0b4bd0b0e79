/* parse.c - strict number parsers for option values: the whole string must be a number
 * in range, or the caller gets one line naming the option. */
#include "parse.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
                       "%s '%s': expected a positive count such as 1000, 64K or 16M", opt,
                       s);
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

int sb_parse_double_list(const char *cmd, const char *opt, const char *s, double lo,
                         double hi, double *v, int max, int *n, sb_err *err)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", s);
    *n = 0;
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t;
         t = strtok_r(NULL, ",", &save)) {
        if (*n >= max)
            return sb_fail(err, SB_EUSAGE, "%s: %s: at most %d values", cmd, opt, max);
        if (sb_parse_double(opt, t, lo, hi, &v[(*n)++], err))
            return sb_wrap(err, "%s", cmd);
    }
    if (!*n)
        return sb_fail(err, SB_EUSAGE, "%s: %s: no value given", cmd, opt);
    return SB_OK;
}
