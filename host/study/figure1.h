/* figure1.h - the engine of `signbench figure1`: the paper's Figure 1 (gd, pgd, signgd, ngd
 * on the tube: axis aligned, rotated, a rotation where signgd orbits) and its claims. */
#ifndef SB_FIGURE1_H
#define SB_FIGURE1_H

#include <cJSON.h>
#include <stdint.h>

#include "ocl.h"

/* What `signbench figure1 --help` documents; sb_figure1_cfg_defaults fills it. */
typedef struct sb_figure1_cfg {
    long d, steps;
    double lr, beta; /* the one step size; signum's momentum */
    uint64_t seed; /* starts and the middle panel's rotation; the orbit search from +1000 */
    int f64;
    const char *out; /* run folder; NULL: results/runs/<UTC>-<device slug> */
} sb_figure1_cfg;

void sb_figure1_cfg_defaults(sb_figure1_cfg *c);

/* figure1.json (settings, claims with their numbers, files), the folder it went to, and
 * whether the panels were drawn (gnuplot found). Free with sb_figure1_report_free. */
typedef struct sb_figure1_report {
    cJSON *json;
    char dir[1024];
    int plotted;
} sb_figure1_report;

void sb_figure1_report_free(sb_figure1_report *r);

/* Runs the three panels, 32 starts per setting and the orbit search, decides each claim
 * from the numbers and writes figure1.json, figure1.csv and the panels' plots. */
int sb_figure1_run(const sb_figure1_cfg *c, sb_ctx *ctx, sb_figure1_report *r, sb_err *err);

#endif
