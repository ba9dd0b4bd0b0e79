/* history_plot.c - `history plot`: one trend figure per (benchmark, metric, device) series
 * of the history (gnuplot, via plot.h) and one self-contained HTML page with them. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "compare.h"
#include "history.h"
#include "plot.h"

typedef struct strbuf {
    char *s;
    size_t n, cap;
} strbuf;

static int sb_put(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int sb_put(strbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (len < 0)
        return -1;
    if (b->n + (size_t)len + 1 > b->cap) {
        size_t cap = (b->cap ? 2 * b->cap : 4096) + (size_t)len;
        char *s = realloc(b->s, cap);
        if (!s)
            return -1;
        b->s = s, b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->n, b->cap - b->n, fmt, ap);
    va_end(ap);
    b->n += (size_t)len;
    return 0;
}

/* HTML-escaped copy of s into b. */
static int put_esc(strbuf *b, const char *s)
{
    for (; *s; s++) {
        int r = *s == '<'   ? sb_put(b, "&lt;")
                : *s == '>' ? sb_put(b, "&gt;")
                : *s == '&' ? sb_put(b, "&amp;")
                : *s == '"' ? sb_put(b, "&quot;")
                            : sb_put(b, "%c", *s);
        if (r)
            return -1;
    }
    return 0;
}

static void file_name(char *out, size_t cap, const sb_hist_point *p, int serial)
{
    char raw[400];
    snprintf(raw, sizeof raw, "%s-%s", p->name, p->metric);
    size_t j = 0;
    for (size_t i = 0; raw[i] && j + 12 < cap; i++) {
        char c = raw[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
        out[j++] = ok ? c : '_';
    }
    snprintf(out + j, cap - j, "-%d", serial);
}

/* One series p[0..n-1]: its figure and its part of the page. */
static int one_series(const char *dir, const sb_hist_point *p, int n, int serial,
                      strbuf *html, sb_err *err)
{
    double *x = malloc(4 * (size_t)n * sizeof *x), *y = x + n, *sx = y + n, *sy = sx + n;
    int *idx = malloc((size_t)n * sizeof *idx);
    if (!x || !idx) {
        free(x), free(idx);
        return sb_fail(err, SB_ERUNTIME, "history plot: out of memory");
    }
    int m = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(p[i].value)) {
            x[m] = m + 1, y[m] = p[i].value, idx[m] = i;
            m++;
        }
    sb_changepoint cp;
    int st = m >= 2 ? sb_hist_changepoint(y, m, &cp, err) : SB_OK;
    if (st != SB_OK || m < 2) {
        free(x), free(idx);
        return st;
    }
    char name[300], base[1024], title[600];
    file_name(name, sizeof name, p, serial);
    snprintf(base, sizeof base, "%s/%s", dir, name);
    snprintf(title, sizeof title, "%s  %s  (%s)", p->name, p->metric, p->device);
    sb_plot_series s[2] = {
        {.label = p->metric, .n = (size_t)m, .x = x, .y = y, .style = SB_PLOT_LINESPOINTS}};
    int ns = 1;
    if (cp.found) { /* the two means of the CUSUM split, as a step */
        for (int i = 0; i < m; i++)
            sx[i] = x[i], sy[i] = i < cp.index ? cp.before : cp.after;
        s[1] = (sb_plot_series){.label = "CUSUM segments (means)",
                                .n = (size_t)m,
                                .x = sx,
                                .y = sy,
                                .style = SB_PLOT_DASHED};
        ns = 2;
    }
    sb_plot pl = {.title = title, .xlabel = "result (oldest first)", .ylabel = p->metric};
    st = sb_plot_lines(base, &pl, s, ns, err);
    if (st == SB_OK) {
        char svgp[1100];
        snprintf(svgp, sizeof svgp, "%s.svg", base);
        char *svg = NULL;
        size_t len = 0;
        st = sb_read_file(svgp, &svg, &len, err);
        const char *svgbody = svg ? strstr(svg, "<svg") : NULL;
        int r = sb_put(html, "<section><h2>") || put_esc(html, p->name) ||
                sb_put(html, " <small>") || put_esc(html, p->metric) ||
                sb_put(html, " on ") || put_esc(html, p->device) ||
                sb_put(html, "</small></h2>\n<p>");
        const sb_hist_point *at = &p[idx[cp.found ? cp.index : 0]];
        if (!r && cp.found)
            r = sb_put(html,
                       "CUSUM change point (confidence %.3f): the shift began at result "
                       "%d, commit <code>",
                       cp.confidence, cp.index + 1) ||
                put_esc(html, at->commit) ||
                sb_put(html,
                       "</code> (%s); mean %.4g before, "
                       "%.4g from there (x%.3f).",
                       at->date, cp.before, cp.after, cp.after / cp.before);
        else if (!r)
            r = sb_put(html, "No change point (CUSUM confidence %.3f &lt; 0.95).",
                       cp.confidence);
        r = r || sb_put(html, " %d results, from commit ", m) ||
            put_esc(html, p[idx[0]].commit) || sb_put(html, " to ") ||
            put_esc(html, p[idx[m - 1]].commit) ||
            sb_put(html, ". Files: %s.png, %s.svg</p>\n%s\n</section>\n", name, name,
                   svgbody ? svgbody : "");
        free(svg);
        if (st == SB_OK && r)
            st = sb_fail(err, SB_ERUNTIME, "history plot: out of memory");
    }
    free(x), free(idx);
    return st;
}

int sb_hist_plot(sb_hist *h, const char *dir, const char *name, const char *metric,
                 int *nfig, sb_err *err)
{
    *nfig = 0;
    if (!sb_plot_available())
        return sb_fail(err, SB_ERUNTIME,
                       "history plot: gnuplot not found (install "
                       "gnuplot-nox, or set SIGNBENCH_GNUPLOT)");
    mkdir(dir, 0777); /* may exist already; checked below */
    struct stat sbuf;
    if (stat(dir, &sbuf) != 0 || !S_ISDIR(sbuf.st_mode))
        return sb_fail(err, SB_EUSAGE, "history plot: cannot create folder %s", dir);
    sb_hist_point *p;
    int n, st = sb_hist_query(h, name, metric, &p, &n, err);
    if (st != SB_OK)
        return st;
    strbuf html = {0};
    if (sb_put(&html,
               "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
               "<title>signbench history</title><style>body{font-family:sans-serif;"
               "max-width:960px;margin:auto}section{border-top:1px solid #ccc}"
               "svg{max-width:100%%;height:auto}</style></head><body>\n"
               "<h1>signbench results history</h1>\n<p>One figure per benchmark, metric "
               "and device; change points by CUSUM (Taylor 2000: the largest excursion of "
               "the cumulative sum of log-value deviations, confidence from 1000 "
               "permutations).</p>\n"))
        st = sb_fail(err, SB_ERUNTIME, "history plot: out of memory");
    for (int i = 0; i < n && st == SB_OK;) {
        int j = i;
        while (j < n && !strcmp(p[j].name, p[i].name) &&
               !strcmp(p[j].metric, p[i].metric) && !strcmp(p[j].device, p[i].device))
            j++;
        size_t before = html.n;
        /* without --metric: metrics of known direction only (not n, bytes, ...) */
        if (metric || sb_cmp_direction(p[i].metric))
            st = one_series(dir, p + i, j - i, *nfig + 1, &html, err);
        if (st == SB_OK && html.n > before)
            (*nfig)++;
        i = j;
    }
    if (st == SB_OK && *nfig == 0)
        st = sb_fail(err, SB_EUSAGE, "history plot: no series with 2 or more results%s%s",
                     name && *name ? " matching " : "", name && *name ? name : "");
    if (st == SB_OK && sb_put(&html, "</body></html>\n"))
        st = sb_fail(err, SB_ERUNTIME, "history plot: out of memory");
    if (st == SB_OK) {
        char path[1024];
        snprintf(path, sizeof path, "%s/index.html", dir);
        st = sb_write_file(path, html.s, html.n, err);
    }
    free(html.s);
    free(p);
    return st;
}
