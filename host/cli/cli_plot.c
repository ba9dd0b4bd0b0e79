/* cli_plot.c - `signbench plot FILE...`: redraws figures from saved results: the .dat
 * files beside every figure, sweep/grid/micro JSON, and CSV tables such as train traces. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fs.h"
#include "plot.h"
#include "plot_csv.h"
#include "json.h"
#include "study.h"

static const char help[] =
    "usage: signbench plot FILE... [--x COL] [--y COL,...] [--logx] [--logy] [--title T]\n"
    "                      [--out DIR]\n\n"
    "Regenerates figures from saved results, each beside its input (FILE without its\n"
    "extension, plus .png and .svg), or in DIR with --out:\n"
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
    "  --out DIR      write the figures into DIR (created if missing) instead of beside\n"
    "                 their input; a redrawn .dat is copied there with them\n"
    "A CSV column of text (labels) is left out of the default columns; a plotted column\n"
    "with a text cell is refused, naming the cell.\n"
    "Needs gnuplot (package gnuplot-nox). Exit status 2 for unreadable or unrecognised\n"
    "files, 1 when gnuplot is missing or fails.\n";

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

/* Google Benchmark JSON from micro: roofline_fraction (median rows) against n. */
static int plot_micro(const char *path, const cJSON *j, const char *base, sb_err *err)
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
                    *impl = cJSON_GetObjectItem(b, "impl"),
                    *k = cJSON_GetObjectItem(b, "kernel"), *n = cJSON_GetObjectItem(b, "n"),
                    *rf = cJSON_GetObjectItem(b, "roofline_fraction");
        if (!cJSON_IsString(an) || strcmp(an->valuestring, "median") ||
            !cJSON_IsString(impl) || strcmp(impl->valuestring, "ocl") ||
            !cJSON_IsString(k) || !cJSON_IsNumber(n) || !cJSON_IsNumber(rf))
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
        s[i] = (sb_plot_series){names[i],           cnt[i], xs[i], ys[i], NULL, NULL,
                                SB_PLOT_LINESPOINTS};
    sb_plot p = {"roofline fraction (kernel GB/s over its reference kernel's)",
                 "elements n",
                 "roofline_fraction (median)",
                 1,
                 0,
                 1000,
                 620};
    return sb_plot_lines(base, &p, s, nk, err);
}

/* A .dat redrawn into BASE: in place, or (--out) from a copy at BASE.dat, which a
 * figure that cannot be drawn does not leave behind. */
static int redraw_dat(const char *path, const char *base, sb_err *err)
{
    char *own = base_of(path);
    if (!own)
        return sb_fail(err, SB_ERUNTIME, "plot: out of memory");
    int same = !strcmp(own, base);
    free(own);
    if (same)
        return sb_plot_redraw(path, err);
    char *text = NULL, copy[4096];
    size_t n = 0;
    if (snprintf(copy, sizeof copy, "%s.dat", base) >= (int)sizeof copy)
        return sb_fail(err, SB_EUSAGE, "plot: output path too long: %s", base);
    if (sb_read_text(path, &text, &n, err))
        return sb_wrap(err, "plot");
    int rc = sb_write_file(copy, text, n, err);
    free(text);
    if (rc == SB_OK && (rc = sb_plot_redraw(copy, err)) != SB_OK && sb_plot_available())
        remove(copy);
    return rc;
}

/* The base name of FILE's figures: FILE without its extension, in DIR with --out. */
static char *figure_base(const char *path, const char *outdir)
{
    char *b = base_of(path);
    if (!b || !outdir)
        return b;
    const char *slash = strrchr(b, '/'), *name = slash ? slash + 1 : b;
    size_t n = strlen(outdir) + strlen(name) + 2;
    char *r = malloc(n);
    if (r)
        snprintf(r, n, "%s/%s", outdir, name);
    free(b);
    return r;
}

/* A JSON result: sweep, grid or micro. */
static int plot_json(const char *path, const char *base, sb_err *err)
{
    cJSON *j = NULL;
    if (sb_json_load(path, &j, err))
        return sb_wrap(err, "plot: expected a signbench .dat, JSON or .csv file");
    int rc;
    const cJSON *schema = cJSON_GetObjectItem(j, "schema");
    if (cJSON_IsString(schema) && !strcmp(schema->valuestring, "signbench-sweep"))
        rc = sb_sweep_plot_json(j, base, err);
    else if (cJSON_IsString(schema) && !strcmp(schema->valuestring, "signbench-grid"))
        rc = sb_grid_plot_json(j, base, err);
    else if (cJSON_IsArray(cJSON_GetObjectItem(j, "benchmarks")) &&
             cJSON_IsObject(cJSON_GetObjectItem(j, "context")))
        rc = plot_micro(path, j, base, err);
    else
        rc = sb_fail(err, SB_EUSAGE,
                     "plot: %s: nothing to plot (expected a sweep, grid or "
                     "micro JSON)",
                     path);
    cJSON_Delete(j);
    return rc;
}

static int plot_one(const char *path, const sb_plot_csv_opts *o, const char *base,
                    sb_err *err)
{
    if (sb_plot_is_dat(path))
        return redraw_dat(path, base, err);
    size_t len = strlen(path);
    /* A .dat without the header is not JSON either: say what it lacks, not "not JSON". */
    if (len > 4 && !strcmp(path + len - 4, ".dat")) {
        FILE *f = fopen(path, "r");
        if (!f)
            return sb_fail(err, SB_EUSAGE, "plot: cannot read %s", path);
        fclose(f);
        return sb_fail(
            err, SB_EUSAGE,
            "plot: %s is not a signbench .dat file (it must start "
            "with the line '%s...' that signbench writes; redraw only .dat files "
            "signbench wrote, or plot a .csv or JSON result)",
            path, "# signbench-plot 1");
    }
    if (len > 4 && !strcmp(path + len - 4, ".csv"))
        return sb_plot_csv(path, o, base, err);
    return plot_json(path, base, err);
}

int sb_cmd_plot(int argc, char **argv, sb_err *err)
{
    static const struct option longopts[] = {
        {"x", required_argument, 0, 'x'},      {"y", required_argument, 0, 'y'},
        {"logx", no_argument, 0, 'X'},         {"logy", no_argument, 0, 'Y'},
        {"title", required_argument, 0, 't'},  {"out", required_argument, 0, 'o'},
        {"help", no_argument, 0, SB_OPT_HELP}, {0, 0, 0, 0}};
    sb_plot_csv_opts o = {0};
    const char *out = NULL;
    int c;
    optind = 1;
    opterr = 0;
    if (sb_cli_check_args("plot", argc, argv, "", longopts, err))
        return err->code;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case SB_OPT_HELP: return sb_cli_help(help);
        case 'x': o.x = optarg; break;
        case 'y': o.y = optarg; break;
        case 'X': o.logx = 1; break;
        case 'Y': o.logy = 1; break;
        case 't': o.title = optarg; break;
        case 'o': out = optarg; break;
        default: return sb_cli_bad_option("plot", argc, argv, err);
        }
    }
    if (optind >= argc)
        return sb_fail(err, SB_EUSAGE, "plot: no file given (see 'signbench plot --help')");
    if (out && sb_mkdir_p(out, err))
        return err->code;
    for (int i = optind; i < argc; i++) {
        char *base = figure_base(argv[i], out);
        int rc = base ? plot_one(argv[i], &o, base, err)
                      : sb_fail(err, SB_ERUNTIME, "plot: out of memory");
        if (rc == SB_OK && out)
            printf("%s: drawn into %s (%s*.png, .svg)\n", argv[i], out, base);
        else if (rc == SB_OK)
            printf("%s: redrawn beside it (%s*.png, .svg)\n", argv[i], base);
        free(base);
        if (rc)
            return rc;
    }
    return SB_OK;
}
