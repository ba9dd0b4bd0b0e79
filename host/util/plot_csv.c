/* plot_csv.c - a line plot from a CSV table (a train trace, or any table of numbers): the
 * header, the choice of columns, rows of numbers with text cells refused or left out. */
#define _POSIX_C_SOURCE 200809L
#include "plot_csv.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plot.h"

enum { MAXCOL = 32 };

/* The cells of one line, split at commas in place (at most max). */
static int split(char *line, char **cells, int max)
{
    int n = 0;
    line[strcspn(line, "\r\n")] = '\0';
    for (char *p = line; n < max;) {
        cells[n++] = p;
        char *c = strchr(p, ',');
        if (!c)
            break;
        *c = '\0';
        p = c + 1;
    }
    return n;
}

/* A CSV table: its header cells and its rows of numbers (an empty cell: NaN, a gap).
 * text_row[i] > 0: the first row (file line) where column i holds text, cell[i] what. */
typedef struct csv_table {
    char *text; /* the file; head[] points into it */
    char *head[MAXCOL];
    int nc;
    double *v; /* n rows of nc values */
    size_t n;
    size_t text_row[MAXCOL], numbers[MAXCOL]; /* numbers[i]: numeric cells of column i */
    char cell[MAXCOL][40];
} csv_table;

static int column(const csv_table *t, const char *path, const char *name, int *out,
                  sb_err *err)
{
    for (int i = 0; i < t->nc; i++)
        if (!strcmp(t->head[i], name)) {
            *out = i;
            return SB_OK;
        }
    return sb_fail(err, SB_EUSAGE, "plot: %s has no column '%s'", path, name);
}

/* The x column and the y columns: the named ones, else for a train trace f, grad1 and
 * grad2, else every column but x. *trace: the file is a train trace. */
static int pick_columns(const csv_table *t, const char *path, const sb_plot_csv_opts *o,
                        int *xi, int *ys, int *ny, int *trace, sb_err *err)
{
    *trace = t->nc >= 5 && !strcmp(t->head[0], "step") && !strcmp(t->head[2], "f") &&
             !strcmp(t->head[3], "grad1");
    *xi = 0;
    *ny = 0;
    if (o->x && column(t, path, o->x, xi, err))
        return err->code;
    if (o->y) {
        char buf[512];
        snprintf(buf, sizeof buf, "%s", o->y);
        for (char *s2 = NULL, *c = strtok_r(buf, ",", &s2); c; c = strtok_r(NULL, ",", &s2))
            if (*ny >= MAXCOL || column(t, path, c, &ys[(*ny)++], err))
                return *ny >= MAXCOL ? sb_fail(err, SB_EUSAGE,
                                               "plot: --y: at most %d columns", MAXCOL)
                                     : err->code;
    } else if (*trace) {
        ys[0] = 2, ys[1] = 3, ys[2] = 4, *ny = 3;
    } else {
        for (int i = 0; i < t->nc; i++)
            if (i != *xi)
                ys[(*ny)++] = i;
    }
    return SB_OK;
}

/* A cell's number; NaN for an empty cell, and for text, which is recorded for column i
 * (row: the file line). */
static double cell_value(csv_table *t, int i, const char *c, size_t row)
{
    char *end;
    errno = 0;
    double x = strtod(c, &end);
    while (*end == ' ' || *end == '\t')
        end++;
    if (end != c && !*end) {
        t->numbers[i]++;
        return x;
    }
    if (c[strspn(c, " \t")] && !t->text_row[i]) {
        t->text_row[i] = row;
        snprintf(t->cell[i], sizeof t->cell[i], "%s", c);
    }
    return NAN;
}

/* The rows after the header (save: strtok_r's state after it); n == 0 is refused. */
static int read_rows(csv_table *t, const char *path, char **save, sb_err *err)
{
    size_t cap = 1024;
    t->v = malloc(cap * (size_t)t->nc * sizeof *t->v);
    if (!t->v)
        return sb_fail(err, SB_ERUNTIME, "plot: out of memory");
    char *line;
    while ((line = strtok_r(NULL, "\n", save))) {
        char *cells[MAXCOL];
        int k = split(line, cells, MAXCOL);
        if (k == 1 && !cells[0][0])
            continue;
        if (k != t->nc)
            return sb_fail(err, SB_EUSAGE,
                           "plot: %s: row %zu has %d columns, the header %d", path,
                           t->n + 2, k, t->nc);
        if (t->n == cap) {
            cap *= 2;
            double *q = realloc(t->v, cap * (size_t)t->nc * sizeof *q);
            if (!q)
                return sb_fail(err, SB_ERUNTIME, "plot: out of memory");
            t->v = q;
        }
        for (int i = 0; i < t->nc; i++)
            t->v[t->n * (size_t)t->nc + (size_t)i] = cell_value(t, i, cells[i], t->n + 2);
        t->n++;
    }
    if (t->n == 0)
        return sb_fail(err, SB_EUSAGE, "plot: %s has a header but no rows", path);
    return SB_OK;
}

/* The file and its header line (save: strtok_r's state after it, for read_rows). */
static int read_header(const char *path, csv_table *t, char **save, sb_err *err)
{
    size_t len = 0;
    if (sb_read_text(path, &t->text, &len, err)) /* NUL bytes refused, the size bounded */
        return sb_wrap(err, "plot");
    char *line = strtok_r(t->text, "\n", save);
    if (!line)
        return sb_fail(err, SB_EUSAGE, "plot: %s is empty", path);
    t->nc = split(line, t->head, MAXCOL);
    return SB_OK;
}

/* The plotted columns must hold numbers: a named column (--x, --y, a trace's) or one
 * mixing numbers and text is refused with its first text cell; by default, columns of
 * text only (labels) are left out. */
static int numeric_columns(const csv_table *t, const char *path, const sb_plot_csv_opts *o,
                           int xi, int *ys, int *ny, int trace, sb_err *err)
{
    int m = 0, named = o->y || trace;
    for (int k = -1; k < *ny; k++) {
        int c = k < 0 ? xi : ys[k];
        if (t->text_row[c] && (k < 0 || named || t->numbers[c]))
            return sb_fail(err, SB_EUSAGE,
                           "plot: %s:%zu: column '%s' holds '%s', not a "
                           "number (plot numeric columns; choose them with --x and --y)",
                           path, t->text_row[c], t->head[c], t->cell[c]);
        if (k >= 0 && !t->text_row[c])
            ys[m++] = c;
    }
    if (!m)
        return sb_fail(err, SB_EUSAGE,
                       "plot: %s: no numeric column to plot against '%s' "
                       "(every other column holds text)",
                       path, t->head[xi]);
    *ny = m;
    return SB_OK;
}

/* Columns xi and ys of t as one line plot into BASE. */
static int draw_columns(const char *path, const csv_table *t, const sb_plot_csv_opts *o,
                        int xi, const int *ys, int ny, int trace, const char *base,
                        sb_err *err)
{
    size_t n = t->n;
    double *cols = malloc((size_t)(ny + 1) * n * sizeof *cols);
    int rc = cols ? SB_OK : sb_fail(err, SB_ERUNTIME, "plot: out of memory");
    if (rc == SB_OK) {
        sb_plot_series s[MAXCOL];
        for (size_t r = 0; r < n; r++)
            cols[r] = t->v[r * (size_t)t->nc + (size_t)xi];
        for (int k = 0; k < ny; k++) {
            for (size_t r = 0; r < n; r++)
                cols[(size_t)(k + 1) * n + r] = t->v[r * (size_t)t->nc + (size_t)ys[k]];
            s[k] = (sb_plot_series){
                t->head[ys[k]], n,    cols,         cols + (size_t)(k + 1) * n,
                NULL,           NULL, SB_PLOT_LINES};
        }
        sb_plot p = {o->title ? o->title : path,
                     t->head[xi],
                     trace ? "value" : "",
                     o->logx,
                     o->logy || (trace && !o->y),
                     0,
                     0};
        rc = sb_plot_lines(base, &p, s, ny, err);
    }
    free(cols);
    return rc;
}

int sb_plot_csv(const char *path, const sb_plot_csv_opts *o, const char *base, sb_err *err)
{
    csv_table t = {0};
    char *save = NULL;
    int xi, ys[MAXCOL], ny, trace;
    int rc = read_header(path, &t, &save, err);
    if (rc == SB_OK)
        rc = pick_columns(&t, path, o, &xi, ys, &ny, &trace, err);
    if (rc == SB_OK)
        rc = read_rows(&t, path, &save, err);
    if (rc == SB_OK)
        rc = numeric_columns(&t, path, o, xi, ys, &ny, trace, err);
    if (rc == SB_OK)
        rc = draw_columns(path, &t, o, xi, ys, ny, trace, base, err);
    free(t.v);
    free(t.text);
    return rc;
}
