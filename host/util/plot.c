/* plot.c - figures through a pipe to gnuplot: writes the self-describing BASE.dat, then
 * a gnuplot script that draws BASE.png (pngcairo, else png) and BASE.svg from it. */
#define _POSIX_C_SOURCE 200809L
#include "plot.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAGIC "# signbench-plot 1 "

/* ---- a growable text buffer (scripts and data files are built in memory) ---- */

typedef struct buf {
    char *s;
    size_t n, cap;
    int oom;
} buf;

static void bprintf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bprintf(buf *b, const char *fmt, ...)
{
    if (b->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(b->s ? b->s + b->n : NULL, b->s ? b->cap - b->n : 0, fmt, ap);
        va_end(ap);
        if (k < 0) {
            b->oom = 1;
            return;
        }
        if (b->s && b->n + (size_t)k < b->cap) {
            b->n += (size_t)k;
            return;
        }
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->n + (size_t)k + 1)
            cap *= 2;
        char *s = realloc(b->s, cap);
        if (!s) {
            b->oom = 1;
            return;
        }
        b->s = s;
        b->cap = cap;
    }
}

/* A label on one line, for the .dat header. */
static void put_text(buf *b, const char *key, const char *v)
{
    bprintf(b, "# %s: ", key);
    for (const char *p = v ? v : ""; *p; p++)
        bprintf(b, "%c", (*p == '\n' || *p == '\r') ? ' ' : *p);
    bprintf(b, "\n");
}

/* A gnuplot single-quoted string: '' stands for one quote. */
static void put_quoted(buf *b, const char *v)
{
    bprintf(b, "'");
    for (const char *p = v ? v : ""; *p; p++)
        bprintf(b, *p == '\'' ? "''" : "%c", *p);
    bprintf(b, "'");
}

static void put_num(buf *b, double v)
{
    if (isfinite(v))
        bprintf(b, "%.9g", v);
    else
        bprintf(b, "NaN");
}

/* ---- finding and running gnuplot ---- */

static int find_gnuplot(char *out, size_t cap)
{
    const char *env = getenv("SIGNBENCH_GNUPLOT");
    if (env && *env) {
        snprintf(out, cap, "%s", env);
        return access(out, X_OK) == 0;
    }
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/bin:/bin";
    while (*path) {
        const char *end = strchr(path, ':');
        size_t len = end ? (size_t)(end - path) : strlen(path);
        if (len > 0 && len + 9 < cap) {
            snprintf(out, cap, "%.*s/gnuplot", (int)len, path);
            struct stat st;
            if (stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0)
                return 1;
        }
        if (!end)
            break;
        path = end + 1;
    }
    return 0;
}

int sb_plot_available(void)
{
    char p[4096];
    return find_gnuplot(p, sizeof p);
}

/* The message of a gnuplot stderr line, without its '"FILE" line N: ' prefix; NULL for
 * the echoed command and its caret line. *warning: the message is a warning. */
static const char *gnuplot_message(char *line, int *warning)
{
    char *p = line;
    while (*p == ' ' || *p == '\t')
        p++;
    p[strcspn(p, "\r\n")] = '\0';
    if (!strncmp(p, "gnuplot>", 8) || !p[strspn(p, " \t^")])
        return NULL;
    char *at = strstr(p, "line ");
    if (at && (at == p || at[-1] == ' ')) {
        char *q = at + 5;
        while (*q >= '0' && *q <= '9')
            q++;
        if (q > at + 5 && q[0] == ':' && q[1] == ' ')
            p = q + 2;
    }
    *warning = !strncasecmp(p, "warning", 7);
    return p;
}

/* The first error message in gnuplot's stderr (file PATH), else its first warning, for
 * the one-line error. */
static void first_error_line(const char *path, char *out, size_t cap)
{
    out[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[512];
    int have_warning = 0;
    while (fgets(line, sizeof line, f)) {
        int warning;
        const char *m = gnuplot_message(line, &warning);
        if (m && (!warning || !have_warning)) {
            size_t n = strnlen(m, cap - 1);
            memcpy(out, m, n);
            out[n] = '\0';
            if (!warning)
                break;
            have_warning = 1;
        }
    }
    fclose(f);
}

/* Run gnuplot (GP) on the script, its stderr into the file LOGFD; the status of waitpid,
 * or -1 when it could not be started. While it runs it is the signal handlers' child
 * (sb_tmp_child): a signal kills it before its output files are removed. */
static int gnuplot_child(const char *gp, const char *script, size_t len, int logfd)
{
    int pfd[2];
    if (pipe(pfd) != 0)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(pfd[1]);
        if (dup2(pfd[0], STDIN_FILENO) < 0 || dup2(logfd, STDERR_FILENO) < 0)
            _exit(127);
        execl(gp, gp, (char *)NULL);
        _exit(127);
    }
    close(pfd[0]);
    if (pid < 0) {
        close(pfd[1]);
        return -1;
    }
    sb_tmp_child(pid);
    /* gnuplot may stop reading early on an error: don't die of SIGPIPE then. */
    struct sigaction ign = {0}, old;
    ign.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ign, &old);
    for (size_t done = 0; done < len;) {
        ssize_t w = write(pfd[1], script + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        done += (size_t)w;
    }
    close(pfd[1]);
    sigaction(SIGPIPE, &old, NULL);
    int st = -1;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    sb_tmp_child(0);
    return st;
}

/* Feed the script to gnuplot, then move BASE.{png,svg}.tmp into place. */
static int run_gnuplot(const char *script, size_t len, const char *base, sb_err *err)
{
    char gp[4096];
    if (!find_gnuplot(gp, sizeof gp))
        return sb_fail(err, SB_ERUNTIME,
                       "plot: gnuplot not found on PATH (install the "
                       "gnuplot-nox package, or set SIGNBENCH_GNUPLOT to its path)");
    size_t bl = strlen(base) + 16;
    char *png = malloc(bl), *svg = malloc(bl), *png_t = malloc(bl), *svg_t = malloc(bl);
    char logpath[] = "/tmp/signbench-gnuplot-XXXXXX";
    int rc = SB_OK, fd = -1, s_png = -1, s_svg = -1;
    if (!png || !svg || !png_t || !svg_t) {
        rc = sb_fail(err, SB_ERUNTIME, "plot: out of memory");
        goto out;
    }
    snprintf(png, bl, "%s.png", base);
    snprintf(svg, bl, "%s.svg", base);
    snprintf(png_t, bl, "%s.png.tmp", base);
    snprintf(svg_t, bl, "%s.svg.tmp", base);
    fd = mkstemp(logpath);
    if (fd < 0) {
        rc = sb_fail(err, SB_ERUNTIME, "plot: cannot create a temporary file: %s",
                     strerror(errno));
        goto out;
    }
    /* gnuplot's outputs and its log are removed by a signal too (sb_signals_install). */
    s_png = sb_tmp_add(png_t);
    s_svg = sb_tmp_add(svg_t);
    int s_log = sb_tmp_add(logpath);
    int st = gnuplot_child(gp, script, len, fd);
    struct stat s1, s2;
    if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0 || stat(png_t, &s1) != 0 ||
        stat(svg_t, &s2) != 0 || s1.st_size == 0 || s2.st_size == 0) {
        char line[300];
        first_error_line(logpath, line, sizeof line);
        rc = sb_fail(err, SB_ERUNTIME, "plot: gnuplot failed drawing %s.png: %s", base,
                     line[0] ? line : "no message (exit status)");
        remove(png_t);
        remove(svg_t);
    } else if (rename(png_t, png) != 0 || rename(svg_t, svg) != 0) {
        rc = sb_fail(err, SB_ERUNTIME, "plot: cannot write %s: %s", png, strerror(errno));
        remove(png_t);
        remove(svg_t);
    }
    remove(logpath);
    sb_tmp_drop(s_log);
out:
    if (fd >= 0)
        close(fd);
    sb_tmp_drop(s_png);
    sb_tmp_drop(s_svg);
    free(png);
    free(svg);
    free(png_t);
    free(svg_t);
    return rc;
}

/* ---- reading a .dat header back ---- */

#define MAX_SERIES 64

typedef struct dat_info {
    char kind[16];
    char title[256], xlabel[256], ylabel[256], zlabel[256];
    int logx, logy, width, height;
    int nseries;
    int style[MAX_SERIES];
    int pen[MAX_SERIES]; /* sb_plot_pen numbers, 0: none (the series' index rules) */
    char label[MAX_SERIES][128];
    int nx, ny, mark_x, mark_y;
    char **xtics, **ytics; /* heatmaps; malloc'ed */
    int nxt, nyt;
    double zmin, zmax; /* heatmaps: the colour scale (zmin < zmax), else automatic */
    char note[256];    /* heatmaps: a line under the map */
} dat_info;

static void dat_free(dat_info *d)
{
    for (int i = 0; i < d->nxt; i++)
        free(d->xtics[i]);
    for (int i = 0; i < d->nyt; i++)
        free(d->ytics[i]);
    free(d->xtics);
    free(d->ytics);
}

static int push_tic(char ***list, int *n, const char *v)
{
    char **l = realloc(*list, sizeof(char *) * (size_t)(*n + 1));
    if (!l)
        return -1;
    *list = l;
    l[*n] = strdup(v);
    if (!l[*n])
        return -1;
    (*n)++;
    return 0;
}

static const char *style_name(int s)
{
    static const char *names[] = {"lines",     "points", "linespoints",
                                  "errorbars", "band",   "dashed"};
    return s >= 0 && s <= SB_PLOT_DASHED ? names[s] : "lines";
}

static int style_parse(const char *s)
{
    for (int i = 0; i <= SB_PLOT_DASHED; i++)
        if (!strcmp(s, style_name(i)))
            return i;
    return -1;
}

static int dat_parse(const char *path, const char *text, dat_info *d, sb_err *err)
{
    memset(d, 0, sizeof *d);
    d->mark_x = d->mark_y = -1;
    if (strncmp(text, MAGIC, strlen(MAGIC)) != 0)
        return sb_fail(err, SB_EUSAGE,
                       "plot: %s is not a signbench plot data file (no '%s' "
                       "header)",
                       path, MAGIC "...");
    sscanf(text + strlen(MAGIC), "%15s", d->kind);
    if (strcmp(d->kind, "lines") && strcmp(d->kind, "heatmap") && strcmp(d->kind, "bars"))
        return sb_fail(err, SB_EUSAGE, "plot: %s: unknown plot kind '%s'", path, d->kind);
    const char *p = text;
    while (*p) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        char line[1024];
        if (len >= sizeof line)
            len = sizeof line - 1;
        memcpy(line, p, len);
        line[len] = '\0';
        p = eol ? eol + 1 : p + len;
        if (line[0] != '#' || line[1] != ' ')
            continue;
        char *colon = strstr(line, ": ");
        if (!colon)
            continue;
        *colon = '\0';
        const char *key = line + 2, *v = colon + 2;
        if (!strcmp(key, "title"))
            snprintf(d->title, sizeof d->title, "%s", v);
        else if (!strcmp(key, "xlabel"))
            snprintf(d->xlabel, sizeof d->xlabel, "%s", v);
        else if (!strcmp(key, "ylabel"))
            snprintf(d->ylabel, sizeof d->ylabel, "%s", v);
        else if (!strcmp(key, "zlabel"))
            snprintf(d->zlabel, sizeof d->zlabel, "%s", v);
        else if (!strcmp(key, "log"))
            sscanf(v, "%d %d", &d->logx, &d->logy);
        else if (!strcmp(key, "size"))
            sscanf(v, "%d %d", &d->width, &d->height);
        else if (!strcmp(key, "cells"))
            sscanf(v, "%d %d", &d->nx, &d->ny);
        else if (!strcmp(key, "mark"))
            sscanf(v, "%d %d", &d->mark_x, &d->mark_y);
        else if (!strcmp(key, "key"))
            ; /* "# key: outside": every legend is drawn outside the data anyway */
        else if (!strcmp(key, "zrange"))
            sscanf(v, "%lf %lf", &d->zmin, &d->zmax);
        else if (!strcmp(key, "note"))
            snprintf(d->note, sizeof d->note, "%s", v);
        else if (!strcmp(key, "xtic")) {
            if (push_tic(&d->xtics, &d->nxt, v))
                return sb_fail(err, SB_ERUNTIME, "plot: out of memory");
        } else if (!strcmp(key, "ytic")) {
            if (push_tic(&d->ytics, &d->nyt, v))
                return sb_fail(err, SB_ERUNTIME, "plot: out of memory");
        } else if (!strcmp(key, "series")) {
            char sty[32];
            int off = 0, color = 0, pen = 0;
            if (sscanf(v, "%31s %n", sty, &off) < 1)
                return sb_fail(err, SB_EUSAGE, "plot: %s: bad series line '%s'", path, v);
            char *at = strchr(sty, '@'); /* STYLE@PEN: a pen chosen by the caller */
            if (at) {
                *at = '\0';
                pen = atoi(at + 1);
                if (pen < 1 || pen > SB_PLOT_NPENS)
                    return sb_fail(err, SB_EUSAGE, "plot: %s: bad series line '%s'", path,
                                   v);
            }
            char *colon = strchr(sty, ':'); /* STYLE[:COLOR]: older files named a colour, */
            if (colon) {                    /* now every series gets its own */
                *colon = '\0';
                color = atoi(colon + 1);
            }
            if (style_parse(sty) < 0 || color < 0 || color > 64)
                return sb_fail(err, SB_EUSAGE, "plot: %s: bad series line '%s'", path, v);
            if (d->nseries >= MAX_SERIES)
                return sb_fail(err, SB_EUSAGE, "plot: %s: more than %d series", path,
                               MAX_SERIES);
            d->style[d->nseries] = style_parse(sty);
            d->pen[d->nseries] = pen;
            snprintf(d->label[d->nseries], sizeof d->label[0], "%s", v + off);
            d->nseries++;
        }
    }
    if (d->width < 100 || d->width > 10000)
        d->width = 900;
    if (d->height < 100 || d->height > 10000)
        d->height = 560;
    if ((!strcmp(d->kind, "lines") || !strcmp(d->kind, "bars")) && d->nseries == 0)
        return sb_fail(err, SB_EUSAGE, "plot: %s: no data series", path);
    if (!strcmp(d->kind, "heatmap") &&
        (d->nx < 1 || d->ny < 1 || d->nx > 10000 || d->ny > 10000))
        return sb_fail(err, SB_EUSAGE, "plot: %s: missing or bad 'cells' line", path);
    return SB_OK;
}

/* ---- the gnuplot script ---- */

/* Rows of the legend under a line plot: entries as wide as the longest label (about 7
 * pixels a character plus the line sample), as many side by side as the width holds. */
static int key_rows(const dat_info *d)
{
    size_t longest = 1;
    for (int i = 0; i < d->nseries; i++)
        if (strlen(d->label[i]) > longest)
            longest = strlen(d->label[i]);
    int cols = (d->width - 40) / (int)(7 * longest + 60);
    if (cols < 1)
        cols = 1;
    return (d->nseries + cols - 1) / cols;
}

/* The canvas: the figure's size, taller by the legend under a line plot (so the plot
 * area keeps its size) or by the note under a heatmap. */
static int canvas_height(const dat_info *d)
{
    if (!strcmp(d->kind, "lines"))
        return d->height + 18 * key_rows(d);
    return d->height + (d->note[0] ? 24 : 0);
}

static void script_head(buf *b, const dat_info *d, const char *term, const char *out)
{
    int height = canvas_height(d);
    if (!strcmp(term, "png"))
        bprintf(b,
                "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
                "  set terminal pngcairo noenhanced size %d,%d font 'Sans,10' "
                "background rgb 'white'\n"
                "} else {\n  set terminal png noenhanced size %d,%d\n}\n",
                d->width, height, d->width, height);
    else
        bprintf(b,
                "set terminal svg noenhanced size %d,%d font 'Sans,12' "
                "background rgb 'white'\n",
                d->width, height);
    bprintf(b, "set output ");
    put_quoted(b, out);
    bprintf(b, "\n");
}

/* "set title T\nset xlabel X\nset ylabel Y", without the last newline. */
static void script_titles(buf *b, const dat_info *d)
{
    bprintf(b, "set title ");
    put_quoted(b, d->title);
    bprintf(b, "\nset xlabel ");
    put_quoted(b, d->xlabel);
    bprintf(b, "\nset ylabel ");
    put_quoted(b, d->ylabel);
}

/* ---- series styles: in one figure no two series share a colour, and each has its
 * own dash pattern (patterns repeat only past four data series or four reference
 * curves) ---- */

/* Series i's colour as '#rrggbb': twelve well-separated colours (the Okabe-Ito set
 * without its yellow, then Tableau's), then hues a golden angle apart. */
static void series_color(int i, char out[8])
{
    static const char *const palette[] = {"#0072b2", "#d55e00", "#009e73", "#cc79a7",
                                          "#e69f00", "#56b4e9", "#000000", "#8c564b",
                                          "#9467bd", "#7f7f7f", "#bcbd22", "#17becf"};
    int np = (int)(sizeof palette / sizeof palette[0]);
    if (i < np) {
        snprintf(out, 8, "%s", palette[i]);
        return;
    }
    double h = fmod(0.11 + 0.618033988749895 * i, 1.0) * 6, v = (i / np) % 2 ? 0.55 : 0.8;
    double c = v * 0.85, x = c * (1 - fabs(fmod(h, 2) - 1)), m = v - c, rgb[3];
    int k = (int)h % 6;
    rgb[0] = (k == 0 || k == 5) ? c : (k == 1 || k == 4) ? x : 0;
    rgb[1] = (k == 1 || k == 2) ? c : (k == 0 || k == 3) ? x : 0;
    rgb[2] = (k == 3 || k == 4) ? c : (k == 2 || k == 5) ? x : 0;
    snprintf(out, 8, "#%02x%02x%02x", (int)lround(255 * (rgb[0] + m)),
             (int)lround(255 * (rgb[1] + m)), (int)lround(255 * (rgb[2] + m)));
}

/* The dash pattern (gnuplot dt) of the k-th measured series, or of the k-th reference
 * curve (style DASHED, never solid): two sets apart, so a bound never looks like data. */
static const char *series_dash(int k, int reference)
{
    static const char *const measured[] = {"1", "(14,5)", "(16,4,2,4,2,4)", "(24,4,4,4)"};
    static const char *const ref[] = {"2", "(2,5)", "4", "(5,5)"};
    return reference ? ref[k % 4] : measured[k % 4];
}

/* Series i's marker (gnuplot pt) for the styles that have markers. */
static int series_marker(int i)
{
    static const int pt[] = {7, 5, 9, 11, 13, 15, 6, 4, 8, 10, 12, 14};
    return pt[i % (int)(sizeof pt / sizeof pt[0])];
}

/* The plot clause of series i (after its data file and 'index I') in colour rgb with
 * dash pattern dt. */
static void series_clause(buf *b, const dat_info *d, int i, const char *dt, const char *rgb)
{
    int pt = series_marker(i);
    switch (d->style[i]) {
    case SB_PLOT_POINTS: bprintf(b, " using 1:2 with points pt %d ps 0.8", pt); break;
    case SB_PLOT_LINESPOINTS:
        bprintf(b, " using 1:2 with linespoints dt %s pt %d ps 0.7 lw 1.5", dt, pt);
        break;
    case SB_PLOT_ERRORBARS:
        bprintf(b, " using 1:2:3:4 with yerrorlines dt %s pt %d ps 0.7 lw 1.5", dt, pt);
        break;
    default: /* lines, band (its line), dashed */
        bprintf(b, " using 1:2 with lines dt %s lw 1.5", dt);
    }
    bprintf(b, " lc rgb '%s' title ", rgb);
    put_quoted(b, d->label[i]);
}

static void script_lines(buf *b, const dat_info *d, const char *dat)
{
    script_titles(b, d);
    /* The legend goes under the plot, outside the data. */
    bprintf(b, "\nset grid\nset key outside below center horizontal Left reverse\n");
    bprintf(b, d->logx ? "set logscale x 10\n" : "unset logscale x\n");
    bprintf(b, d->logy ? "set logscale y 10\n" : "unset logscale y\n");
    bprintf(b, "plot ");
    int nref = 0;
    for (int i = 0; i < d->nseries; i++) {
        char rgb[8], dash[32];
        int ref = d->style[i] == SB_PLOT_DASHED, k = ref ? nref++ : i - nref;
        const char *dt = series_dash(k, ref);
        if (d->pen[i]) { /* the caller's pen: the same series keeps it across figures */
            snprintf(rgb, sizeof rgb, "#%06x",
                     sb_plot_pen(d->pen[i], dash, sizeof dash) & 0xffffffu);
            dt = dash;
        } else {
            series_color(i, rgb);
        }
        if (i)
            bprintf(b, ", \\\n     ");
        if (d->style[i] == SB_PLOT_BAND) {
            put_quoted(b, dat);
            bprintf(b,
                    " index %d using 1:3:4 with filledcurves fs transparent solid 0.2 "
                    "noborder lc rgb '%s' notitle, ",
                    i, rgb);
        }
        put_quoted(b, dat);
        bprintf(b, " index %d", i);
        series_clause(b, d, i, dt, rgb);
    }
    bprintf(b, "\n");
}

static void tics(buf *b, const char *axis, char **t, int n)
{
    if (n <= 0)
        return;
    bprintf(b, "set %stics (", axis);
    for (int i = 0; i < n; i++) {
        bprintf(b, i ? ", " : "");
        put_quoted(b, t[i]);
        bprintf(b, " %d", i);
    }
    bprintf(b, ")%s\n", axis[0] == 'x' ? " rotate by -30" : "");
}

static void script_heatmap(buf *b, const dat_info *d, const char *dat)
{
    script_titles(b, d);
    bprintf(b, "\nset cblabel ");
    put_quoted(b, d->zlabel);
    bprintf(b, "\nunset key\nunset logscale\nset xrange [-0.5:%g]\nset yrange [-0.5:%g]\n",
            d->nx - 0.5, d->ny - 0.5);
    bprintf(b, "set palette defined (0 '#1a9850', 0.5 '#fee08b', 1 '#d73027')\n");
    if (d->zmin < d->zmax)
        bprintf(b, "set cbrange [%.9g:%.9g]\n", d->zmin, d->zmax);
    else
        bprintf(b, "set autoscale cb\n");
    bprintf(b, "unset label\n");
    if (d->note[0]) {
        bprintf(b, "set bmargin 6\nset label 1 ");
        put_quoted(b, d->note);
        bprintf(b, " at screen 0.5, screen 0.025 center front\n");
    }
    tics(b, "x", d->xtics, d->nxt < d->nx ? d->nxt : d->nx);
    tics(b, "y", d->ytics, d->nyt < d->ny ? d->nyt : d->ny);
    bprintf(b, "unset object\n");
    if (d->mark_x >= 0 && d->mark_y >= 0)
        bprintf(b,
                "set object 1 rect from %g,%g to %g,%g front fs empty border lc rgb "
                "'black' lw 3\n",
                d->mark_x - 0.5, d->mark_y - 0.5, d->mark_x + 0.5, d->mark_y + 0.5);
    bprintf(b, "plot ");
    put_quoted(b, dat);
    bprintf(b, " using 1:2:3 with image, ");
    put_quoted(b, dat);
    bprintf(b, " using 1:2:(($3 == $3) ? sprintf('%%.3g', $3) : 'n/a') with labels "
               "font ',9'\n");
}

/* Grouped bars: one cluster per row (group), one bar per series (columns 2, 3, ...). */
static void script_bars(buf *b, const dat_info *d, const char *dat)
{
    script_titles(b, d);
    bprintf(b, "\nset grid ytics\nset key top right\nunset logscale\nset yrange [0:*]\n"
               "set style data histogram\nset style histogram clustered gap 1\n"
               "set style fill solid 0.8 border -1\nset boxwidth 0.9\n");
    tics(b, "x", d->xtics, d->nxt);
    bprintf(b, "plot ");
    for (int i = 0; i < d->nseries; i++) {
        if (i)
            bprintf(b, ", \\\n     ");
        put_quoted(b, dat);
        bprintf(b, " using %d lc %d title ", i + 2, i + 1);
        put_quoted(b, d->label[i]);
    }
    bprintf(b, "\n");
}

static int draw(const char *dat, const dat_info *d, sb_err *err)
{
    size_t len = strlen(dat);
    char *base = strdup(dat);
    if (!base)
        return sb_fail(err, SB_ERUNTIME, "plot: out of memory");
    if (len > 4 && !strcmp(base + len - 4, ".dat"))
        base[len - 4] = '\0';
    size_t bl = strlen(base) + 16;
    char *png = malloc(bl), *svg = malloc(bl);
    buf b = {0};
    int rc;
    if (!png || !svg) {
        rc = sb_fail(err, SB_ERUNTIME, "plot: out of memory");
        goto out;
    }
    snprintf(png, bl, "%s.png.tmp", base);
    snprintf(svg, bl, "%s.svg.tmp", base);
    const char *terms[2] = {"png", "svg"}, *outs[2] = {png, svg};
    for (int t = 0; t < 2; t++) {
        script_head(&b, d, terms[t], outs[t]);
        if (!strcmp(d->kind, "heatmap"))
            script_heatmap(&b, d, dat);
        else if (!strcmp(d->kind, "bars"))
            script_bars(&b, d, dat);
        else
            script_lines(&b, d, dat);
        bprintf(&b, "unset output\n");
    }
    if (b.oom) {
        rc = sb_fail(err, SB_ERUNTIME, "plot: out of memory");
        goto out;
    }
    rc = run_gnuplot(b.s, b.n, base, err);
out:
    free(b.s);
    free(png);
    free(svg);
    free(base);
    return rc;
}

int sb_plot_is_dat(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char head[32] = {0};
    size_t n = fread(head, 1, strlen(MAGIC), f);
    fclose(f);
    return n == strlen(MAGIC) && !strncmp(head, MAGIC, strlen(MAGIC));
}

int sb_plot_redraw(const char *dat_path, sb_err *err)
{
    char *text = NULL;
    size_t n;
    if (sb_read_text(dat_path, &text, &n, err) != SB_OK)
        return sb_wrap(err, "plot"); /* its reason and status (out of memory is 1) */
    dat_info d;
    int rc = dat_parse(dat_path, text, &d, err);
    free(text);
    if (rc == SB_OK)
        rc = draw(dat_path, &d, err);
    dat_free(&d);
    return rc;
}

/* ---- writers ---- */

static int write_dat(const char *base, buf *b, char **dat_out, sb_err *err)
{
    if (b->oom)
        return sb_fail(err, SB_ERUNTIME, "plot: out of memory");
    size_t bl = strlen(base) + 8;
    char *dat = malloc(bl);
    if (!dat)
        return sb_fail(err, SB_ERUNTIME, "plot: out of memory");
    snprintf(dat, bl, "%s.dat", base);
    int rc = sb_write_file(dat, b->s, b->n, err);
    if (rc != SB_OK) {
        free(dat);
        return rc;
    }
    *dat_out = dat;
    return SB_OK;
}

/* The end of every plot: B (freed here) into BASE.dat, then drawn from it. A figure that
 * gnuplot fails to draw leaves no .dat behind; without gnuplot the .dat stays, to be
 * redrawn where gnuplot is installed. */
static int write_and_draw(const char *base, buf *b, sb_err *err)
{
    char *dat = NULL;
    int rc = write_dat(base, b, &dat, err);
    free(b->s);
    if (rc == SB_OK && (rc = sb_plot_redraw(dat, err)) != SB_OK && sb_plot_available())
        remove(dat);
    free(dat);
    return rc;
}

/* 1 when some series has a point gnuplot can draw (finite, positive on a log axis). */
static int drawable_points(const sb_plot *p, const sb_plot_series *s, int ns)
{
    for (int i = 0; i < ns; i++)
        for (size_t k = 0; k < s[i].n; k++) {
            double x = s[i].x[k], y = s[i].y[k];
            if (isfinite(x) && isfinite(y) && (!p->logx || x > 0) && (!p->logy || y > 0))
                return 1;
        }
    return 0;
}

/* The .dat of ns series (with pens[i] for series i when pens is not NULL), then the
 * figures drawn from it. */
static int lines_write(const char *base, const sb_plot *p, const sb_plot_series *s,
                       const int *pens, int ns, sb_err *err)
{
    if (!base || !*base || !p || ns < 1 || ns > MAX_SERIES)
        return sb_fail(err, SB_EUSAGE, "plot: need an output name and 1 to %d series",
                       MAX_SERIES);
    int any = 0;
    for (int i = 0; i < ns; i++) {
        if (s[i].n && (!s[i].x || !s[i].y))
            return sb_fail(err, SB_EUSAGE, "plot: series '%s' has no data arrays",
                           s[i].label ? s[i].label : "?");
        if ((s[i].style == SB_PLOT_ERRORBARS || s[i].style == SB_PLOT_BAND) && s[i].n &&
            (!s[i].ylo || !s[i].yhi))
            return sb_fail(err, SB_EUSAGE, "plot: series '%s' needs ylo and yhi",
                           s[i].label ? s[i].label : "?");
        any += s[i].n > 0;
    }
    if (!any)
        return sb_fail(err, SB_EUSAGE, "plot: %s: every series is empty", base);
    if (!drawable_points(p, s, ns))
        return sb_fail(err, SB_EUSAGE,
                       "plot: %s: no point to draw (every value is missing%s)", base,
                       p->logx || p->logy ? " or not positive on a log axis" : "");
    buf b = {0};
    bprintf(&b, MAGIC "lines\n");
    put_text(&b, "title", p->title);
    put_text(&b, "xlabel", p->xlabel);
    put_text(&b, "ylabel", p->ylabel);
    bprintf(&b, "# log: %d %d\n# size: %d %d\n", !!p->logx, !!p->logy,
            p->width ? p->width : 900, p->height ? p->height : 560);
    bprintf(&b, "# key: outside\n"); /* every legend goes under the plot (script_lines) */
    bprintf(&b, "# columns: x y ylo yhi (one block per series, two blank lines apart)\n");
    int block = 0;
    for (int i = 0; i < ns; i++) {
        if (!s[i].n)
            continue; /* an empty block would shift gnuplot's index numbering */
        if (block++)
            bprintf(&b, "\n\n");
        char head[200], pen[16] = "";
        if (pens)
            snprintf(pen, sizeof pen, "@%d", pens[i]);
        snprintf(head, sizeof head, "%s%s %s", style_name(s[i].style), pen,
                 s[i].label ? s[i].label : "");
        put_text(&b, "series", head);
        for (size_t k = 0; k < s[i].n; k++) {
            put_num(&b, s[i].x[k]);
            bprintf(&b, " ");
            put_num(&b, s[i].y[k]);
            bprintf(&b, " ");
            put_num(&b, s[i].ylo ? s[i].ylo[k] : s[i].y[k]);
            bprintf(&b, " ");
            put_num(&b, s[i].yhi ? s[i].yhi[k] : s[i].y[k]);
            bprintf(&b, "\n");
        }
    }
    return write_and_draw(base, &b, err);
}

int sb_plot_lines(const char *base, const sb_plot *p, const sb_plot_series *s, int ns,
                  sb_err *err)
{
    return lines_write(base, p, s, NULL, ns, err);
}

int sb_plot_lines_pens(const char *base, const sb_plot *p, const sb_plot_series *s,
                       const int *pens, int ns, sb_err *err)
{
    int pen[MAX_SERIES];
    if (ns < 1 || ns > MAX_SERIES)
        return sb_fail(err, SB_EUSAGE, "plot: need an output name and 1 to %d series",
                       MAX_SERIES);
    for (int i = 0; i < ns; i++) {
        pen[i] = pens ? pens[i] : i + 1;
        if (pen[i] < 1 || pen[i] > SB_PLOT_NPENS)
            return sb_fail(err, SB_EUSAGE, "plot: pen %d of series %d is not in 1..%d",
                           pen[i], i, SB_PLOT_NPENS);
        for (int k = 0; k < i; k++)
            if (pen[k] == pen[i])
                return sb_fail(err, SB_EUSAGE, "plot: series %d and %d share pen %d", k, i,
                               pen[i]);
    }
    return lines_write(base, p, s, pen, ns, err);
}

/* Pens 1..10 take the Tableau 10 colours; the rest step the hue by the golden ratio at
 * six saturation/value levels. Pen 1 is solid; the others are 21 dash/gap pairs, alone,
 * with one dot and with two dots. */
unsigned sb_plot_pen(int p, char *dash, size_t n)
{
    static const unsigned t10[10] = {0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd,
                                     0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf};
    static const int on[7] = {4, 6, 8, 10, 12, 16, 20}, off[3] = {2, 4, 6};
    if (p < 1 || p > SB_PLOT_NPENS)
        p = 1;
    int q = p - 2;
    if (q < 0)
        snprintf(dash, n, "solid");
    else if (q / 21 == 0)
        snprintf(dash, n, "(%d,%d)", on[q % 7], off[q % 21 / 7]);
    else if (q / 21 == 1)
        snprintf(dash, n, "(%d,%d,1,%d)", on[q % 7], off[q % 21 / 7], off[q % 21 / 7]);
    else
        snprintf(dash, n, "(%d,%d,1,%d,1,%d)", on[q % 7], off[q % 21 / 7], off[q % 21 / 7],
                 off[q % 21 / 7]);
    if (p <= 10)
        return t10[p - 1];
    double h = fmod((p - 10) * 0.6180339887498949, 1.0) * 6;
    double sat = (p % 2) ? 0.85 : 0.55, val = 0.55 + 0.15 * (p / 2 % 3);
    double c = val * sat, x = c * (1 - fabs(fmod(h, 2) - 1)), m = val - c, r = 0, g = 0,
           b = 0;
    int hi = (int)h;
    r = hi == 0 || hi == 5 ? c : (hi == 1 || hi == 4 ? x : 0);
    g = hi == 1 || hi == 2 ? c : (hi == 0 || hi == 3 ? x : 0);
    b = hi == 3 || hi == 4 ? c : (hi == 2 || hi == 5 ? x : 0);
    return (unsigned)lround((r + m) * 255) << 16 | (unsigned)lround((g + m) * 255) << 8 |
           (unsigned)lround((b + m) * 255);
}

/* N tic labels of one heatmap axis (KEY xtic or ytic): the given ones, else 0..N-1. */
static void put_tics(buf *b, const char *key, const char *const *tics, int n)
{
    for (int i = 0; i < n; i++) {
        char t[32];
        snprintf(t, sizeof t, "%d", i);
        put_text(b, key, tics ? tics[i] : t);
    }
}

int sb_plot_heatmap(const char *base, const sb_heatmap *h, sb_err *err)
{
    if (!base || !*base || !h || h->nx < 1 || h->ny < 1 || !h->z)
        return sb_fail(err, SB_EUSAGE, "plot: a heatmap needs an output name and cells");
    buf b = {0};
    bprintf(&b, MAGIC "heatmap\n");
    put_text(&b, "title", h->title);
    put_text(&b, "xlabel", h->xlabel);
    put_text(&b, "ylabel", h->ylabel);
    put_text(&b, "zlabel", h->zlabel);
    bprintf(&b, "# size: %d %d\n# cells: %d %d\n# mark: %d %d\n", h->width ? h->width : 700,
            h->height ? h->height : 520, h->nx, h->ny, h->mark_x, h->mark_y);
    if (h->zmin < h->zmax)
        bprintf(&b, "# zrange: %.9g %.9g\n", h->zmin, h->zmax);
    if (h->note && *h->note)
        put_text(&b, "note", h->note);
    put_tics(&b, "xtic", h->xtics, h->nx);
    put_tics(&b, "ytic", h->ytics, h->ny);
    bprintf(&b, "# columns: ix iy z\n");
    for (int j = 0; j < h->ny; j++)
        for (int i = 0; i < h->nx; i++) {
            bprintf(&b, "%d %d ", i, j);
            put_num(&b, h->z[(size_t)j * (size_t)h->nx + (size_t)i]);
            bprintf(&b, "\n");
        }
    return write_and_draw(base, &b, err);
}

int sb_plot_bars(const char *base, const sb_bars *p, sb_err *err)
{
    if (!base || !*base || !p || p->ngroups < 1 || p->nseries < 1 ||
        p->nseries > MAX_SERIES || !p->groups || !p->series || !p->v)
        return sb_fail(err, SB_EUSAGE,
                       "plot: bars need an output name, groups and 1 to %d "
                       "series",
                       MAX_SERIES);
    buf b = {0};
    bprintf(&b, MAGIC "bars\n");
    put_text(&b, "title", p->title);
    put_text(&b, "xlabel", p->xlabel);
    put_text(&b, "ylabel", p->ylabel);
    bprintf(&b, "# size: %d %d\n", p->width ? p->width : 900, p->height ? p->height : 560);
    put_tics(&b, "xtic", p->groups, p->ngroups);
    for (int s = 0; s < p->nseries; s++) {
        char head[200];
        snprintf(head, sizeof head, "lines %s", p->series[s] ? p->series[s] : "");
        put_text(&b, "series", head);
    }
    bprintf(&b, "# columns: group value-per-series (NaN: no value)\n");
    for (int g = 0; g < p->ngroups; g++) {
        bprintf(&b, "%d", g);
        for (int s = 0; s < p->nseries; s++) {
            bprintf(&b, " ");
            put_num(&b, p->v[(size_t)g * (size_t)p->nseries + (size_t)s]);
        }
        bprintf(&b, "\n");
    }
    return write_and_draw(base, &b, err);
}
