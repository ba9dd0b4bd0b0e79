/* plot_csv.h - line plots drawn from CSV tables (`signbench plot FILE.csv`): x and y
 * columns by name or by default, text cells refused or (label columns) left out. */
#ifndef SB_PLOT_CSV_H
#define SB_PLOT_CSV_H

#include "sb.h"

typedef struct sb_plot_csv_opts {
    const char *x, *y, *title; /* x column, y columns (comma list), title; NULL: default */
    int logx, logy;
} sb_plot_csv_opts;

/* The CSV at PATH (header line first) as a line plot into BASE.{png,svg,dat}: column x
 * (default the first) against the y columns (default: a train trace's f, grad1, grad2
 * on a log y axis, else every other column that is not text only). An empty cell is a
 * gap; a plotted column with text is refused (SB_EUSAGE) naming file, line and cell. */
int sb_plot_csv(const char *path, const sb_plot_csv_opts *o, const char *base, sb_err *err);

#endif
