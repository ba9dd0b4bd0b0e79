/* study.h - what the study commands (grid, sweep) share: the device they train on and
 * how they hand over their results (table or JSON, files, plots). */
#ifndef SB_STUDY_H
#define SB_STUDY_H

#include <cJSON.h>

#include "ocl.h"
#include "ops.h"
#include "sb.h"

/* The device a study command (grid, sweep) trains on: the OpenCL context and the ops on
 * it, opened together (nothing stays open on failure) and closed together; the close
 * keeps the device's name for the results. */
typedef struct sb_study_dev {
    sb_ctx ctx;
    sb_ops ops;
    char name[256];
} sb_study_dev;
int sb_study_dev_open(sb_study_dev *d, const sb_opts *opts, sb_err *err);
void sb_study_dev_close(sb_study_dev *d);

/* How a study command (grid, sweep) hands over its result J: print_table shows it, and
 * with --out DIR it goes to DIR/NAME.json, DIR/NAME.csv (write_csv from data) and the
 * plots drawn from base DIR/NAME (PLOTS names them for the closing line). */
typedef struct sb_study_out {
    const char *name, *plots;
    void (*print_table)(const cJSON *j);
    int (*write_csv)(const char *path, const void *data, sb_err *err);
    const void *data;
    int (*plot)(const cJSON *j, const char *base, sb_err *err);
} sb_study_out;
/* Prints J (as JSON with json, else the table); with out, writes the files and, unless
 * json, says so. Stops at the first file that cannot be written. */
int sb_study_output(const cJSON *j, int json, const char *out, const sb_study_out *s,
                    sb_err *err);

/* Plots from the JSON documents the commands save (so `signbench plot` redraws them):
 * the sweep (schema signbench-sweep, sweep.c) into BASE_norms and BASE_evals, the grid
 * (schema signbench-grid, grid.c) into BASE_<optimiser> heatmaps. */
int sb_sweep_plot_json(const cJSON *sweep, const char *base, sb_err *err);
int sb_grid_plot_json(const cJSON *grid, const char *base, sb_err *err);
/* The grid command's plots: as sb_grid_plot_json (one colour scale for every map, the
 * best cell outlined and noted when it lies at the grid's edge; an optimiser whose runs
 * all diverged gets no map), but nothing when no run has a test error, which
 * sb_grid_plot_json refuses (SB_EUSAGE). */
int sb_grid_plot_result(const cJSON *grid, const char *base, sb_err *err);

#endif
