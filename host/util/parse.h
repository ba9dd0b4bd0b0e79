/* parse.h - strict number parsers for option values (sizes accept K, M, G suffixes);
 * used by the commands and by the option tables of the problems. */
#ifndef SB_PARSE_H
#define SB_PARSE_H

#include <stddef.h>

#include "sb.h"

/* Strict number parsers: the whole string must be a number in range. Accept K, M, G
 * (powers of 1024) for sizes. Return SB_EUSAGE naming the option on failure. */
int sb_parse_long(const char *opt, const char *s, long lo, long hi, long *out, sb_err *err);
int sb_parse_size(const char *opt, const char *s, size_t *out, sb_err *err);
int sb_parse_double(const char *opt, const char *s, double lo, double hi, double *out,
                    sb_err *err);

/* A comma list of 1 to MAX numbers in [LO, HI] into V (*N of them): the value of option
 * OPT of command CMD, which errors name ("grid: --lrs: at most 16 values"). */
int sb_parse_double_list(const char *cmd, const char *opt, const char *s, double lo,
                         double hi, double *v, int max, int *n, sb_err *err);

#endif
