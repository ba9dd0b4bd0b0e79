/* crossdev.h - cross-device consistency: the same seeded result files (train traces,
 * tube trajectories) written on two devices, compared cell by cell. */
#ifndef SB_CROSSDEV_H
#define SB_CROSSDEV_H

#include <cjson/cJSON.h>

#include "sb.h"

typedef struct sb_csv_diff {
    long rows, cells;    /* compared (the header excluded) */
    long differing;      /* cells whose text differs */
    long text_differing; /* of those, cells that are not both numbers */
    double max_abs;      /* largest |a - b| over numeric cells */
    double max_rel;      /* largest |a - b| / max(|a|, |b|) */
    double max_ulp;      /* largest distance in float32 units in the last place */
    int shape_differs;   /* other header or row count: the runs did not match at all */
} sb_csv_diff;

/* Compare two CSV files with a header row, cell by cell, skipping the columns named in
 * skip (NULL-terminated; e.g. "elapsed", a timing). Numbers are compared as parsed;
 * ulp distance as float32 (the files print floats with 9 significant digits). */
int sb_csv_diff_files(const char *a, const char *b, const char *const *skip,
                      sb_csv_diff *out, sb_err *err);

/* One JSON row of a comparison: file, device, cells, differing, exact, max_abs,
 * max_rel, max_ulp. */
cJSON *sb_csv_diff_json(const char *file, const char *device, const sb_csv_diff *d);

/* A device of a suite run and the folder (relative to the run folder) of its files:
 * "." for the first (reference) device, "devices/P-D" for the others. */
typedef struct sb_crossdev_dev {
    char index[24], name[256], dir[64];
} sb_crossdev_dev;

/* DIR/cross_device.json (schema signbench-cross-device): the devices, and every result
 * file of the reference device (train traces, tube trajectories and traces) compared
 * with the same file of each other device (rows as sb_csv_diff_json). */
int sb_crossdev_write(const char *dir, const sb_crossdev_dev *devs, int n, sb_err *err);

#endif
