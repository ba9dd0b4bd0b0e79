/* report_micro.h - `signbench micro`'s results written as Google Benchmark JSON and CSV
 * (report_json.h's rows, with micro's device context and roofline fields). */
#ifndef SB_REPORT_MICRO_H
#define SB_REPORT_MICRO_H

#include "micro.h"

/* Where to write a sweep's results; NULL: not written; "-": standard output. */
typedef struct sb_micro_outputs {
    const char *json, *csv; /* Google Benchmark JSON, and the same rows as CSV */
    const char *gab;        /* github-action-benchmark customBiggerIsBetter entries */
    int aggregates_only;    /* JSON/CSV: aggregate rows only */
} sb_micro_outputs;

int sb_micro_report_write(const sb_micro_run *s, const sb_micro_outputs *o, sb_err *err);

#endif
