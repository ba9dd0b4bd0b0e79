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

/* First non-empty line of gnuplot's stderr, trimmed, for the error message. */
static void first_error_line(const char *path, char *out, size_t cap)
{
    out[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        char *p = line;
        while (*p == ' ' || *p == '\t' || *p == '^')
            p++;
        p[strcspn(p, "\r\n")] = '\0';
        if (*p && strncmp(p, "warning", 7) != 0) {
            size_t n = strnlen(p, cap - 1);
            memcpy(out, p, n);
            out[n] = '\0';
            break;
        }
    }
    fclose(f);
}

/* Feed the script to gnuplot, then move BASE.{png,svg}.tmp into place. */
static int run_gnuplot(const char *script, size_t len, const char *base, sb_err *err)
{
    char gp[4096];
    if (!find_gnuplot(gp, sizeof gp))
        return sb_fail(err, SB_ERUNTIME, "plot: gnuplot not found on PATH (install the "
                       "gnuplot-nox package, or set SIGNBENCH_GNUPLOT to its path)");
    char logpath[] = "/tmp/signbench-gnuplot-XXXXXX";
    int fd = mkstemp(logpath);
    if (fd < 0)
        return sb_fail(err, SB_ERUNTIME, "plot: cannot create a temporary file: %s",
                       strerror(errno));
    close(fd);
    buf cmd = {0};
    bprintf(&cmd, "'");
    for (const char *p = gp; *p; p++)
        bprintf(&cmd, *p == '\'' ? "'\\''" : "%c", *p);
    bprintf(&cmd, "' 2>%s", logpath);
    if (cmd.oom) {
        free(cmd.s);
        remove(logpath);
        return sb_fail(err, SB_ERUNTIME, "plot: out of memory");
    }
    /* gnuplot may stop reading early on an error: don't die of SIGPIPE then. */
    struct sigaction ign = {0}, old;
    ign.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ign, &old);
    fflush(NULL);
    FILE *f = popen(cmd.s, "w");
    int st = -1;
    if (f) {
        fwrite(script, 1, len, f);
        st = pclose(f);
    }
    sigaction(SIGPIPE, &old, NULL);
    free(cmd.s);

    size_t bl = strlen(base) + 16;
    char *png = malloc(bl), *svg = malloc(bl), *png_t = malloc(bl), *svg_t = malloc(bl);
    int rc = SB_OK;
    if (!png || !svg || !png_t || !svg_t) {
        rc = sb_fail(err, SB_ERUNTIME, "plot: out of memory");
        goto out;
    }
    snprintf(png, bl, "%s.png", base);
    snprintf(svg, bl, "%s.svg", base);
    snprintf(png_t, bl, "%s.png.tmp", base);
    snprintf(svg_t, bl, "%s.svg.tmp", base);
    struct stat s1, s2;
    if (!f || st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0 || stat(png_t, &s1) != 0 ||
        stat(svg_t, &s2) != 0 || s1.st_size == 0 || s2.st_size == 0) {
        char line[300];
        first_error_line(logpath, line, sizeof line);
        rc = sb_fail(err, SB_ERUNTIME, "plot: gnuplot failed drawing %s.png: %s", base,
                     line[0] ? line : "no message (exit status)");
        remove(png_t);
        remove(svg_t);
        goto out;
    }
    if (rename(png_t, png) != 0 || rename(svg_t, svg) != 0) {
        rc = sb_fail(err, SB_ERUNTIME, "plot: cannot write %s: %s", png, strerror(errno));
        remove(png_t);
        remove(svg_t);
    }
out:
    remove(logpath);
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
    int style[MAX_SERIES], color[MAX_SERIES];
    char label[MAX_SERIES][128];
    int nx, ny, mark_x, mark_y;
    char **xtics, **ytics; /* heatmaps; malloc'ed */
    int nxt, nyt;
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
    static const char *names[] = {"lines", "points", "linespoints", "errorbars", "band",
                                  "dashed"};
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
        return sb_fail(err, SB_EUSAGE, "plot: %s is not a signbench plot data file (no '%s' "
                       "header)", path, MAGIC "...");
    sscanf(text + strlen(MAGIC), "%15s", d->kind);
    if (strcmp(d->kind, "lines") && strcmp(d->kind, "heatmap"))
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
        else if (!strcmp(key, "xtic")) {
            if (push_tic(&d->xtics, &d->nxt, v))
                return sb_fail(err, SB_ERUNTIME, "plot: out of memory");
        } else if (!strcmp(key, "ytic")) {
            if (push_tic(&d->ytics, &d->nyt, v))
                return sb_fail(err, SB_ERUNTIME, "plot: out of memory");
        } else if (!strcmp(key, "series")) {
            char sty[32];
            int off = 0, color = 0;
            if (sscanf(v, "%31s %n", sty, &off) < 1)
                return sb_fail(err, SB_EUSAGE, "plot: %s: bad series line '%s'", path, v);
            char *colon = strchr(sty, ':'); /* STYLE[:COLOR] */
            if (colon) {
                *colon = '\0';
                color = atoi(colon + 1);
            }
            if (style_parse(sty) < 0 || color < 0 || color > 64)
                return sb_fail(err, SB_EUSAGE, "plot: %s: bad series line '%s'", path, v);
            if (d->nseries >= MAX_SERIES)
                return sb_fail(err, SB_EUSAGE, "plot: %s: more than %d series", path,
                               MAX_SERIES);
            d->style[d->nseries] = style_parse(sty);
            d->color[d->nseries] = color;
            snprintf(d->label[d->nseries], sizeof d->label[0], "%s", v + off);
            d->nseries++;
        }
    }
    if (d->width < 100 || d->width > 10000)
        d->width = 900;
    if (d->height < 100 || d->height > 10000)
        d->height = 560;
    if (!strcmp(d->kind, "lines") && d->nseries == 0)
        return sb_fail(err, SB_EUSAGE, "plot: %s: no data series", path);
    if (!strcmp(d->kind, "heatmap") && (d->nx < 1 || d->ny < 1 || d->nx > 10000 ||
                                        d->ny > 10000))
        return sb_fail(err, SB_EUSAGE, "plot: %s: missing or bad 'cells' line", path);
    return SB_OK;
}

/* ---- the gnuplot script ---- */

static void script_head(buf *b, const dat_info *d, const char *term, const char *out)
{
    if (!strcmp(term, "png"))
        bprintf(b, "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
                   "  set terminal pngcairo noenhanced size %d,%d font 'Sans,10' "
                   "background rgb 'white'\n"
                   "} else {\n  set terminal png noenhanced size %d,%d\n}\n",
                d->width, d->height, d->width, d->height);
    else
        bprintf(b, "set terminal svg noenhanced size %d,%d font 'Sans,12' "
                   "background rgb 'white'\n",
                d->width, d->height);
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

static void script_lines(buf *b, const dat_info *d, const char *dat)
{
    script_titles(b, d);
    bprintf(b, "\nset grid\nset key top right\n");
    bprintf(b, d->logx ? "set logscale x 10\n" : "unset logscale x\n");
    bprintf(b, d->logy ? "set logscale y 10\n" : "unset logscale y\n");
    bprintf(b, "plot ");
    for (int i = 0; i < d->nseries; i++) {
        int lc = d->color[i] > 0 ? d->color[i] : i + 1;
        if (i)
            bprintf(b, ", \\\n     ");
        if (d->style[i] == SB_PLOT_BAND) {
            put_quoted(b, dat);
            bprintf(b, " index %d using 1:3:4 with filledcurves fs transparent solid 0.2 "
                       "noborder lc %d notitle, ", i, lc);
        }
        put_quoted(b, dat);
        bprintf(b, " index %d using 1:2", i);
        switch (d->style[i]) {
        case SB_PLOT_POINTS:
            bprintf(b, " with points pt 7 ps 0.8");
            break;
        case SB_PLOT_LINESPOINTS:
            bprintf(b, " with linespoints pt 7 ps 0.7 lw 1.5");
            break;
        case SB_PLOT_ERRORBARS:
            bprintf(b, ":3:4 with yerrorlines pt 7 ps 0.7 lw 1.5");
            break;
        case SB_PLOT_DASHED:
            bprintf(b, " with lines dt 2 lw 1.5");
            break;
        default:
            bprintf(b, " with lines lw 1.5");
        }
        bprintf(b, " lc %d title ", lc);
        put_quoted(b, d->label[i]);
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
    tics(b, "x", d->xtics, d->nxt < d->nx ? d->nxt : d->nx);
    tics(b, "y", d->ytics, d->nyt < d->ny ? d->nyt : d->ny);
    bprintf(b, "unset object\n");
    if (d->mark_x >= 0 && d->mark_y >= 0)
        bprintf(b, "set object 1 rect from %g,%g to %g,%g front fs empty border lc rgb "
                   "'black' lw 3\n",
                d->mark_x - 0.5, d->mark_y - 0.5, d->mark_x + 0.5, d->mark_y + 0.5);
    bprintf(b, "plot ");
    put_quoted(b, dat);
    bprintf(b, " using 1:2:3 with image, ");
    put_quoted(b, dat);
    bprintf(b, " using 1:2:(($3 == $3) ? sprintf('%%.3g', $3) : 'n/a') with labels "
               "font ',9'\n");
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
    if (sb_read_file(dat_path, &text, &n, err) != SB_OK)
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

/* The end of every plot: B (freed here) into BASE.dat, then drawn from it. */
static int write_and_draw(const char *base, buf *b, sb_err *err)
{
    char *dat = NULL;
    int rc = write_dat(base, b, &dat, err);
    free(b->s);
    if (rc == SB_OK)
        rc = sb_plot_redraw(dat, err);
    free(dat);
    return rc;
}

int sb_plot_lines(const char *base, const sb_plot *p, const sb_plot_series *s, int ns,
                  sb_err *err)
{
    return sb_plot_lines_colored(base, p, s, NULL, ns, err);
}

int sb_plot_lines_colored(const char *base, const sb_plot *p, const sb_plot_series *s,
                          const int *colors, int ns, sb_err *err)
{
    if (!base || !*base || !p || ns < 1 || ns > MAX_SERIES)
        return sb_fail(err, SB_EUSAGE, "plot: need an output name and 1 to %d series",
                       MAX_SERIES);
    int any = 0;
    for (int i = 0; i < ns; i++) {
        if (s[i].n && (!s[i].x || !s[i].y))
            return sb_fail(err, SB_EUSAGE, "plot: series '%s' has no data arrays",
                           s[i].label ? s[i].label : "?");
        if ((s[i].style == SB_PLOT_ERRORBARS || s[i].style == SB_PLOT_BAND) &&
            s[i].n && (!s[i].ylo || !s[i].yhi))
            return sb_fail(err, SB_EUSAGE, "plot: series '%s' needs ylo and yhi",
                           s[i].label ? s[i].label : "?");
        any += s[i].n > 0;
    }
    if (!any)
        return sb_fail(err, SB_EUSAGE, "plot %s: every series is empty", base);
    buf b = {0};
    bprintf(&b, MAGIC "lines\n");
    put_text(&b, "title", p->title);
    put_text(&b, "xlabel", p->xlabel);
    put_text(&b, "ylabel", p->ylabel);
    bprintf(&b, "# log: %d %d\n# size: %d %d\n", !!p->logx, !!p->logy,
            p->width ? p->width : 900, p->height ? p->height : 560);
    bprintf(&b, "# columns: x y ylo yhi (one block per series, two blank lines apart)\n");
    int block = 0;
    for (int i = 0; i < ns; i++) {
        if (!s[i].n)
            continue; /* an empty block would shift gnuplot's index numbering */
        if (block++)
            bprintf(&b, "\n\n");
        char head[200];
        if (colors && colors[i] > 0 && colors[i] <= 64)
            snprintf(head, sizeof head, "%s:%d %s", style_name(s[i].style), colors[i],
                     s[i].label ? s[i].label : "");
        else
            snprintf(head, sizeof head, "%s %s", style_name(s[i].style),
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
