/* plot.h - figures through gnuplot (a pipe to the `gnuplot` program): line plots with
 * several series (log axes, error bars, confidence bands) and labelled heatmaps.
 *
 * Every figure BASE is written as BASE.png and BASE.svg, and its data as BASE.dat beside
 * them. The .dat file is self-describing (a "# signbench-plot 1" header with the title,
 * labels, axes and series names), so `signbench plot BASE.dat` regenerates the figure
 * without the program that made it. Images are written to temporary files and renamed,
 * so a failed plot never leaves a half-written picture. */
#ifndef SB_PLOT_H
#define SB_PLOT_H

#include <stddef.h>

#include "sb.h"

typedef enum {
    SB_PLOT_LINES = 0,   /* line through the points */
    SB_PLOT_POINTS,      /* markers only */
    SB_PLOT_LINESPOINTS, /* line and markers */
    SB_PLOT_ERRORBARS,   /* markers with vertical bars from ylo to yhi */
    SB_PLOT_BAND,        /* line plus a shaded band between ylo and yhi */
    SB_PLOT_DASHED       /* dashed line (reference curves such as theoretical bounds) */
} sb_plot_style;

typedef struct sb_plot_series {
    const char *label;   /* legend entry */
    size_t n;            /* points */
    const double *x, *y; /* non-finite y (NaN) leaves a gap */
    const double *ylo;   /* ERRORBARS and BAND: lower and upper ends; NULL otherwise */
    const double *yhi;
    sb_plot_style style;
} sb_plot_series;

typedef struct sb_plot {
    const char *title, *xlabel, *ylabel;
    int logx, logy;    /* log scale axes (points <= 0 on a log axis are dropped) */
    int width, height; /* pixels; 0 means 900 x 560 */
} sb_plot;

/* Plot ns series into BASE.png, BASE.svg, with the data in BASE.dat. Every series gets
 * its own colour and dash pattern (and marker where it has markers); the legend is
 * under the plot, outside the data. Status SB_ERUNTIME with a clear message when
 * gnuplot is missing or fails (a figure gnuplot fails to draw leaves no BASE.dat);
 * SB_EUSAGE for bad input, or when no series has a point to draw. */
int sb_plot_lines(const char *base, const sb_plot *p, const sb_plot_series *s, int ns,
                  sb_err *err);

/* sb_plot_lines with pen pens[i] (1..SB_PLOT_NPENS, no two series alike; pens NULL: i + 1)
 * for series i: a colour and a dash pattern of its own that the caller chooses, so the
 * same series keeps its look in several figures (figure1's panels). */
#define SB_PLOT_NPENS 64
int sb_plot_lines_pens(const char *base, const sb_plot *p, const sb_plot_series *s,
                       const int *pens, int ns, sb_err *err);
/* Pen p's colour as 0xRRGGBB, and its dash pattern as gnuplot's dashtype argument
 * ("solid", "(8,4)", ...) into dash (n bytes). No two of the SB_PLOT_NPENS pens share a
 * colour or a dash pattern. */
unsigned sb_plot_pen(int p, char *dash, size_t n);

typedef struct sb_heatmap {
    const char *title, *xlabel, *ylabel;
    const char *zlabel;       /* colour bar label */
    int nx, ny;               /* cells */
    const char *const *xtics; /* nx labels (may be NULL: indices) */
    const char *const *ytics; /* ny labels */
    const double *z;          /* ny * nx values, row y = 0 first; NaN = no value */
    int mark_x, mark_y;       /* a cell to outline (the best), -1 for none */
    int width, height;
    double zmin, zmax; /* the colour scale, shared by related maps; automatic
                                     unless zmin < zmax */
    const char *note;  /* a line under the map (NULL: none) */
} sb_heatmap;

/* Heatmap with each cell's value printed in it; BASE.png, BASE.svg, BASE.dat. */
int sb_plot_heatmap(const char *base, const sb_heatmap *h, sb_err *err);

typedef struct sb_bars {
    const char *title, *xlabel, *ylabel;
    int ngroups, nseries;      /* clusters along x; bars per cluster */
    const char *const *groups; /* ngroups labels */
    const char *const *series; /* nseries legend entries */
    const double *v;           /* ngroups * nseries values, group-major; NaN: none */
    int width, height;
} sb_bars;

/* Grouped bar chart (one cluster per group, one bar per series); BASE.png, .svg, .dat. */
int sb_plot_bars(const char *base, const sb_bars *b, sb_err *err);

/* Regenerate the figure described by a .dat file that sb_plot_lines/sb_plot_heatmap
 * wrote (images go beside it, same base name). SB_EUSAGE when the file is not one. */
int sb_plot_redraw(const char *dat_path, sb_err *err);

/* 1 when the file starts with the "# signbench-plot" header. */
int sb_plot_is_dat(const char *path);

/* 1 when a gnuplot executable is on PATH (or $SIGNBENCH_GNUPLOT names one). */
int sb_plot_available(void);

#endif
