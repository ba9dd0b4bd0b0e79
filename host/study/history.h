/* history.h - the results history: every micro / train / suite result with its git
 * commit, device, date and host in a SQLite database, queries, and change points. */
#ifndef SB_HISTORY_H
#define SB_HISTORY_H

#include "sb.h"

/* The schema this build reads and writes (PRAGMA user_version of the database). */
#define SB_HIST_SCHEMA 1

typedef struct sb_hist sb_hist;

/* Open (create when absent and create is 1) the database at path. SB_EUSAGE for a file
 * that is not a signbench history (not SQLite, corrupt, or another schema version),
 * SB_ERUNTIME when it is locked past the busy timeout or cannot be opened. */
int sb_hist_open(const char *path, int create, sb_hist **out, sb_err *err);
void sb_hist_close(sb_hist *h);

typedef struct sb_hist_meta {
    const char *commit; /* NULL: the file's own (context.git_commit), else this build's */
    const char *host;   /* NULL: the file's context.host_name, else this machine's */
} sb_hist_meta;

/* Add result files (micro JSON, train summaries or train --json, suite summary.json: what
 * `signbench compare` reads) in ONE transaction: all of them or none. A file already in
 * the database (same content) is skipped. *added / *skipped count files. */
int sb_hist_add(sb_hist *h, const char *const *files, int n, const sb_hist_meta *m,
                int *added, int *skipped, sb_err *err);

typedef struct sb_hist_point {
    long run; /* run id: insertion order */
    char name[256], metric[48], device[256], commit[64], date[40], host[128];
    double value; /* the median of the file's repetitions */
    int n;        /* repetitions */
} sb_hist_point;

/* Points whose benchmark name contains `name` (NULL or "": all) and whose metric is
 * `metric` (NULL: any), ordered by name, metric, device, run. *pts is malloc'ed. */
int sb_hist_query(sb_hist *h, const char *name, const char *metric, sb_hist_point **pts,
                  int *n, sb_err *err);

typedef struct sb_changepoint {
    int found;            /* 1 when confidence >= 0.95 */
    int index;            /* first point after the change (0-based) */
    double confidence;    /* 1 - permutation p-value of max |CUSUM| */
    double before, after; /* means of log(value) before / from index on, as ratios: exp */
} sb_changepoint;

/* CUSUM change-point analysis (W. A. Taylor, 2000) of x[0..n-1] on log scale for
 * positive values: S_k = sum_{i<=k} (x_i - mean); the change is after the k of the
 * largest |S_k|, its confidence the share of 1000 seeded permutations of x whose
 * max |S| - min S range is below the observed one. n >= 4, else found = 0. */
int sb_hist_changepoint(const double *x, int n, sb_changepoint *out, sb_err *err);

/* Per (benchmark, metric, device) series with at least 2 points: a trend figure
 * DIR/<name>.png/.svg (gnuplot, host/util/plot.c) and DIR/index.html, one
 * self-contained page (the SVGs inline) with the change points. *nfig counts figures. */
int sb_hist_plot(sb_hist *h, const char *dir, const char *name, const char *metric,
                 int *nfig, sb_err *err);

#endif
