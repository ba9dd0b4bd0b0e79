/* grid.h - the hyper-parameter grid (`signbench grid`, the paper's Figure 2): logistic
 * regression over learning rate x weight decay x momentum per optimiser, test errors. */
#ifndef SB_GRID_H
#define SB_GRID_H

#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "ocl.h"
#include "sb.h"

enum { SB_GRID_MAXV = 16, SB_GRID_MAXO = 8 };

/* The grid: its settings (sb_grid_defaults, then the options) and, after sb_grid_run,
 * the test error of every cell, the device's name and the wall time. */
typedef struct sb_grid {
    const char *data; /* a built-in name or a file (sb_grid_find_data resolves it) */
    char datapath[1024];
    char optstore[256]; /* the optimiser list; opt[] points into it */
    const char *opt[SB_GRID_MAXO];
    int nopt, nlr, nwd, nmom;
    double lr[SB_GRID_MAXV], wd[SB_GRID_MAXV], mom[SB_GRID_MAXV];
    uint64_t steps, seed;
    size_t batch;
    double test_split;
    char device[256];
    double seconds;
    /* test error [opt][mom][wd][lr], NaN when the run diverged */
    double err[SB_GRID_MAXO][SB_GRID_MAXV][SB_GRID_MAXV][SB_GRID_MAXV];
} sb_grid;

/* The defaults `signbench grid --help` documents. */
void sb_grid_defaults(sb_grid *g);

/* A comma list of values in [lo, hi] for option OPT (--lrs, --wds, --momenta). */
int sb_grid_parse_list(const char *opt, const char *s, double lo, double hi, double *v,
                       int *n, sb_err *err);

/* The optimisers, a comma list of known names (at most SB_GRID_MAXO). */
int sb_grid_set_optimizers(sb_grid *g, const char *list, sb_err *err);

/* The data: a built-in name (embedded in the binary), else the file as given, else
 * relative to the binary (build/ beside tests/). SB_EUSAGE when none is found. */
int sb_grid_find_data(sb_grid *g, sb_err *err);

/* Every cell of every optimiser on the device dev selects (with a progress bar). */
int sb_grid_run(sb_grid *g, const sb_opts *dev, sb_err *err);

/* The result as JSON (schema signbench-grid); NULL when out of memory. */
cJSON *sb_grid_json(const sb_grid *g);

/* One CSV row per cell into PATH; G is the sb_grid. */
int sb_grid_write_csv(const char *path, const void *g, sb_err *err);

#endif
