/* cli_ab.h - `signbench micro --baseline-kernels DIR`: the interleaved A/B mode of micro
 * (options parsed in cli_ab.c, measured by host/study/ab.c). */
#ifndef SB_CLI_AB_H
#define SB_CLI_AB_H

#include "sb.h"

/* 1 when argv asks micro for its A/B mode (holds --baseline-kernels). */
int sb_micro_ab_wanted(int argc, char **argv);
/* The A/B mode: parse, measure, print the table, write --json; 1 when a kernel regressed. */
int sb_cmd_micro_ab(int argc, char **argv, sb_err *err);
/* The A/B mode's part of `micro --help`. */
extern const char sb_micro_ab_help[];

#endif
