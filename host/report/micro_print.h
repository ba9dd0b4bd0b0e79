/* micro_print.h - `signbench micro`'s console output: the table of a sweep's rows with
 * their ceilings, the extras (latency, transfers, notes), the targets at 64M floats. */
#ifndef SB_MICRO_PRINT_H
#define SB_MICRO_PRINT_H

#include <stdio.h>

#include "micro.h"

/* The table of s (measured on the device of c) on out. */
void sb_micro_print_table(FILE *out, const sb_micro_run *s, const sb_ctx *c);
/* The targets at 64M floats (or the largest size measured): every kernel at 0.90 of its
 * ceiling or more, the updates at least as fast as the OpenMP C loop. */
void sb_micro_print_targets(FILE *out, const sb_micro_run *s);

#endif
