/* cli_plot.c - `signbench plot FILE...`: redraws figures from saved results: the .dat
 * files beside every figure, sweep/grid/micro JSON, and CSV tables such as train traces. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "plot.h"
#include "report.h"
#include "json.h"
#include "study.h"

static const char help[] =
    "usage: signbench plot FILE... [--x COL] [--y COL,...] [--logx] [--logy] [--title T]\n\n"
    "Regenerates figures from saved results, each beside its input (FILE without its\n"
    "extension, plus .png and .svg):\n"
    "  *.dat        a figure's data file (written beside every signbench figure)\n"
    "  sweep.json   the sweep's plots (BASE_norms, BASE_evals)\n"
    "  grid.json    the grid's heatmaps (BASE_<optimizer>)\n"
    "  micro JSON   roofline_fraction against n per kernel (device runs), log x\n"
    "  *.csv        a line plot: column --x (default the first) against --y (default\n"
    "               every other numeric column; for train traces f, grad1, grad2 on a\n"
    "               log y axis against step)\n\n"
    "Options:\n"
    "  --x COL        x column of a CSV (name)\n"
    "  --y LIST       y columns of a CSV (names, comma separated)\n"
    "  --logx, --logy log axes for CSV plots\n"
    "  --title T      title for CSV plots (default the file name)\n"
    "Needs gnuplot (package gnuplot-nox). Exit status 2 for unreadable or unrecognised\n"
    "files, 1 when gnuplot is missing or fails.\n";

typedef struct csv_opts {
    const char *x, *y, *title;
    int logx, logy;
} csv_opts;

enum { MAXCOL = 32 };

static char *base_of(const char *path)
{
    char *b = strdup(path);
    if (!b)
        return NULL;
    char *dot = strrchr(b, '.'), *slash = strrchr(b, '/');
    if (dot && (!slash || dot > slash))
        *dot = '\0';
    return b;
}

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

static int plot_csv(const char *path, const csv_opts *o, sb_err *err)
{
    char *text = NULL;
    size_t len = 0;
    if (sb_read_file(path, &text, &len, err))
        return sb_fail(err, SB_EUSAGE, "plot: cannot read %s", path);
    char *save = NULL, *line = strtok_r(text, "\n", &save);
    if (!line) {
        free(text);
        return sb_fail(err, SB_EUSAGE, "plot: %s is empty", path);
    }
    char *head[MAXCOL];
    int nc = split(line, head, MAXCOL);
    int xi = 0, ys[MAXCOL], ny = 0, trace = nc >= 5 && !strcmp(head[0], "step") &&
                                            !strcmp(head[2], "f") && !strcmp(head[3], "grad1");
    if (o->x) {
        xi = -1;
        for (int i = 0; i < nc; i++)
            if (!strcmp(head[i], o->x))
                xi = i;
        if (xi < 0) {
            sb_fail(err, SB_EUSAGE, "plot: %s has no column '%s'", path, o->x);
            free(text);
            return err->code;
        }
    }
    if (o->y) {
        char buf[512];
        snprintf(buf, sizeof buf, "%s", o->y);
        for (char *s2 = NULL, *t = strtok_r(buf, ",", &s2); t; t = strtok_r(NULL, ",", &s2)) {
            int f = -1;
            for (int i = 0; i < nc; i++)
                if (!strcmp(head[i], t))
                    f = i;
            if (f < 0) {
                sb_fail(err, SB_EUSAGE, "plot: %s has no column '%s'", path, t);
                free(text);
                return err->code;
            }
            ys[ny++] = f;
        }
    } else if (trace) {
        ys[0] = 2, ys[1] = 3, ys[2] = 4, ny = 3;
    } else {
        for (int i = 0; i < nc; i++)
            if (i != xi)
                ys[ny++] = i;
    }
    /* Rows: numbers only; a non-numeric cell is a gap (NaN). */
    size_t cap = 1024, n = 0;
    double *v = malloc(cap * (size_t)nc * sizeof *v);
    int rc = SB_OK;
    if (!v) {
        free(text);
        return sb_fail(err, SB_ERUNTIME, "plot: out of memory");
    }
    while ((line = strtok_r(NULL, "\n", &save))) {
        char *cells[MAXCOL];
        int k = split(line, cells, MAXCOL);
        if (k == 1 && !cells[0][0])
            continue;
        if (k != nc) {
            rc = sb_fail(err, SB_EUSAGE, "plot: %s: row %zu has %d columns, the header %d",
                         path, n + 2, k, nc);
            break;
        }
        if (n == cap) {
            cap *= 2;
            double *t = realloc(v, cap * (size_t)nc * sizeof *t);
            if (!t) {
                rc = sb_fail(err, SB_ERUNTIME, "plot: out of memory");
                break;
            }
            v = t;
        }
        for (int i = 0; i < nc; i++) {
            char *end;
            errno = 0;
            double x = strtod(cells[i], &end);
            v[n * (size_t)nc + (size_t)i] = (end == cells[i] || *end) ? NAN : x;
        }
        n++;
    }
    if (rc == SB_OK && n == 0)
        rc = sb_fail(err, SB_EUSAGE, "plot: %s has a header but no rows", path);
    double *cols = rc == SB_OK ? malloc((size_t)(ny + 1) * n * sizeof *cols) : NULL;
    if (rc == SB_OK && !cols)
        rc = sb_fail(err, SB_ERUNTIME, "plot: out of memory");
    if (rc == SB_OK) {
        sb_plot_series s[MAXCOL];
        for (size_t r = 0; r < n; r++)
            cols[r] = v[r * (size_t)nc + (size_t)xi];
        for (int k = 0; k < ny; k++) {
            for (size_t r = 0; r < n; r++)
                cols[(size_t)(k + 1) * n + r] = v[r * (size_t)nc + (size_t)ys[k]];
            s[k] = (sb_plot_series){head[ys[k]], n, cols, cols + (size_t)(k + 1) * n, NULL,
                                    NULL, SB_PLOT_LINES};
        }
        char *base = base_of(path);
        sb_plot p = {o->title ? o->title : path, head[xi], trace ? "value" : "", o->logx,
                     o->logy || (trace && !o->y), 0, 0};
        rc = base ? sb_plot_lines(base, &p, s, ny, err)
                  : sb_fail(err, SB_ERUNTIME, "plot: out of memory");
        free(base);
    }
    free(cols);
    free(v);
    free(text);
    return rc;
}

/* Google Benchmark JSON from micro: roofline_fraction (median rows) against n. */
static int plot_micro(const char *path, const cJSON *j, sb_err *err)
{
    enum { MAXK = 40, MAXN = 32 };
    char names[MAXK][48];
    double xs[MAXK][MAXN], ys[MAXK][MAXN];
    size_t cnt[MAXK] = {0};
    int nk = 0;
    const cJSON *b;
    cJSON_ArrayForEach(b, cJSON_GetObjectItem(j, "benchmarks"))
    {
        const cJSON *an = cJSON_GetObjectItem(b, "aggregate_name"),
                    *impl = cJSON_GetObjectItem(b, "impl"), *k = cJSON_GetObjectItem(b, "kernel"),
                    *n = cJSON_GetObjectItem(b, "n"), *rf = cJSON_GetObjectItem(b, "roofline_fraction");
        if (!cJSON_IsString(an) || strcmp(an->valuestring, "median") || !cJSON_IsString(impl) ||
            strcmp(impl->valuestring, "ocl") || !cJSON_IsString(k) || !cJSON_IsNumber(n) ||
            !cJSON_IsNumber(rf))
            continue;
        int f = -1;
        for (int i = 0; i < nk; i++)
            if (!strcmp(names[i], k->valuestring))
                f = i;
        if (f < 0) {
            if (nk == MAXK)
                continue;
            f = nk++;
            snprintf(names[f], sizeof names[f], "%s", k->valuestring);
        }
        if (cnt[f] < MAXN) {
            xs[f][cnt[f]] = n->valuedouble;
            ys[f][cnt[f]++] = rf->valuedouble;
        }
    }
    if (!nk)
        return sb_fail(err, SB_EUSAGE, "plot: %s has no median rows with roofline_fraction",
                       path);
    sb_plot_series s[MAXK];
    for (int i = 0; i < nk; i++)
        s[i] = (sb_plot_series){names[i], cnt[i], xs[i], ys[i], NULL, NULL,
                                SB_PLOT_LINESPOINTS};
    char *base = base_of(path);
    if (!base)
        return sb_fail(err, SB_ERUNTIME, "plot: out of memory");
    sb_plot p = {"roofline fraction (kernel GB/s over its reference kernel's)",
                 "elements n", "roofline_fraction (median)", 1, 0, 1000, 620};
    int rc = sb_plot_lines(base, &p, s, nk, err);
    free(base);
    return rc;
}

static int plot_one(const char *path, const csv_opts *o, sb_err *err)
{
    if (sb_plot_is_dat(path))
        return sb_plot_redraw(path, err);
    size_t len = strlen(path);
    /* A .dat without the header is not JSON either: say what it lacks, not "not JSON". */
    if (len > 4 && !strcmp(path + len - 4, ".dat")) {
        FILE *f = fopen(path, "r");
        if (!f)
            return sb_fail(err, SB_EUSAGE, "plot: cannot read %s", path);
        fclose(f);
        return sb_fail(err, SB_EUSAGE, "plot: %s is not a signbench .dat file (it must start "
                       "with the line '%s...' that signbench writes; redraw only .dat files "
                       "signbench wrote, or plot a .csv or JSON result)", path,
                       "# signbench-plot 1");
    }
    if (len > 4 && !strcmp(path + len - 4, ".csv"))
        return plot_csv(path, o, err);
    cJSON *j = NULL;
    if (sb_json_load(path, &j, err))
        return sb_wrap(err, "plot: expected a signbench .dat, JSON or .csv file");
    int rc;
    const cJSON *schema = cJSON_GetObjectItem(j, "schema");
    char *base = base_of(path);
    if (!base)
        rc = sb_fail(err, SB_ERUNTIME, "plot: out of memory");
    else if (cJSON_IsString(schema) && !strcmp(schema->valuestring, "signbench-sweep"))
        rc = sb_sweep_plot_json(j, base, err);
    else if (cJSON_IsString(schema) && !strcmp(schema->valuestring, "signbench-grid"))
        rc = sb_grid_plot_json(j, base, err);
    else if (cJSON_IsArray(cJSON_GetObjectItem(j, "benchmarks")) &&
             cJSON_IsObject(cJSON_GetObjectItem(j, "context")))
        rc = plot_micro(path, j, err);
    else
        rc = sb_fail(err, SB_EUSAGE, "plot: %s: nothing to plot (expected a sweep, grid or "
                     "micro JSON)", path);
    free(base);
    cJSON_Delete(j);
    return rc;
}

int sb_cmd_plot(int argc, char **argv, sb_err *err)
{
    static const struct option longopts[] = {
        {"x", required_argument, 0, 'x'},   {"y", required_argument, 0, 'y'},
        {"logx", no_argument, 0, 'X'},      {"logy", no_argument, 0, 'Y'},
        {"title", required_argument, 0, 't'}, {"help", no_argument, 0, SB_OPT_HELP},
        {0, 0, 0, 0}};
    csv_opts o = {0};
    int c;
    optind = 1;
    opterr = 0;
    if (sb_cli_check_args("plot", argc, argv, "", longopts, err))
        return err->code;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case SB_OPT_HELP:
            return sb_cli_help(help);
        case 'x':
            o.x = optarg;
            break;
        case 'y':
            o.y = optarg;
            break;
        case 'X':
            o.logx = 1;
            break;
        case 'Y':
            o.logy = 1;
            break;
        case 't':
            o.title = optarg;
            break;
        default:
            return sb_cli_bad_option("plot", argc, argv, err);
        }
    }
    if (optind >= argc)
        return sb_fail(err, SB_EUSAGE, "plot: no file given (see 'signbench plot --help')");
    for (int i = optind; i < argc; i++) {
        int rc = plot_one(argv[i], &o, err);
        if (rc)
            return rc;
        char *base = base_of(argv[i]);
        printf("%s: redrawn beside it (%s*.png, .svg)\n", argv[i], base ? base : "");
        free(base);
    }
    return SB_OK;
}
