/* report_micro.h - `signbench micro`'s results written as Google Benchmark JSON and CSV
 * (report_json.h's rows, with micro's device context and roofline fields). */
#ifndef SB_REPORT_MICRO_H
#define SB_REPORT_MICRO_H

#include "micro.h"

/* Write the sweep's results to json and/or csv (either may be NULL). */
int sb_micro_report_write(const sb_micro_run *s, const char *json, const char *csv,
                          sb_err *err);

#endif
