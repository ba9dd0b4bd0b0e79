/* report.h - what the study commands (sweep, grid, suite, plot) share: JSON files,
 * run folders, the plots drawn from saved JSON, and report.md / report.html. */
#ifndef SB_REPORT_H
#define SB_REPORT_H

#include <cJSON.h>
#include <stddef.h>

#include "ocl.h"
#include "ops.h"
#include "sb.h"

/* mkdir -p; SB_EUSAGE naming the path when it cannot be created. */
int sb_mkdir_p(const char *path, sb_err *err);
/* Write / read a JSON file (atomic write; the read returns SB_EUSAGE for a missing,
 * empty or malformed file). */
int sb_json_save(const char *path, const cJSON *j, sb_err *err);
int sb_json_load(const char *path, cJSON **out, sb_err *err);

/* J on stdout, indented, with a newline (nothing when out of memory). */
void sb_json_print(const cJSON *j);
/* K: V into object O, or K: null when V is not finite (a diverged or missing value). */
void sb_json_num_or_null(cJSON *o, const char *k, double v);

/* A comma list of 1 to MAX numbers in [LO, HI] into V (*N of them): the value of option
 * OPT of command CMD, which errors name ("grid: --lrs: at most 16 values"). */
int sb_parse_double_list(const char *cmd, const char *opt, const char *s, double lo,
                         double hi, double *v, int max, int *n, sb_err *err);

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

/* A file of the source tree (the data sets under tests/data) for a binary run from
 * anywhere: REL itself when readable, else, for a relative REL, DIR/../REL, DIR/../../REL,
 * ... up to UP levels above the binary's folder DIR. Returns 1 with the path in OUT (CAP
 * bytes), 0 when none is readable (OUT untouched). */
int sb_find_source_file(const char *rel, int up, char *out, size_t cap);

/* "20260101T120000Z" into buf (at least 17 bytes). */
const char *sb_utc_stamp(char *buf, size_t n);
/* Lower-case letters, digits and single dashes from a device name ("pthread-cpu"). */
void sb_slug(const char *in, char *out, size_t n);

/* Plots from the JSON documents the commands save (so `signbench plot` redraws them):
 * the sweep (schema signbench-sweep) into BASE_norms and BASE_evals, the grid (schema
 * signbench-grid) into BASE_<optimiser> heatmaps. */
int sb_sweep_plot_json(const cJSON *sweep, const char *base, sb_err *err);
int sb_grid_plot_json(const cJSON *grid, const char *base, sb_err *err);

/* One figure of the train step's traces (DIR/train/train-<opt>.csv): full objective f
 * against gradient calls for each optimiser found, as DIR/train_loss.{png,svg,dat}.
 * SB_EUSAGE when no trace is there. */
int sb_report_train_plot(const char *dir, const char *const *optimizers, sb_err *err);

/* report.md and report.html (self-contained: PNGs embedded as base64) for a suite run
 * folder, from the files in it (summary.json, micro.json, sweep.json, grid.json, ...). */
int sb_report_write(const char *dir, sb_err *err);

#endif
