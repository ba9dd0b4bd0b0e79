/* report.c - the human report of a suite run: report.md and a self-contained report.html
 * (plots embedded as base64 PNG), built from the run's files; and the train-loss plot. */
#define _POSIX_C_SOURCE 200809L
#include "report.h"

#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fs.h"
#include "json.h"
#include "plot.h"

/* ---- report.md + report.html, written side by side from the same blocks ---- */

typedef struct doc {
    char *md, *html;
    size_t nm, nh, cm, ch;
    int oom;
} doc;

/* A claim's measured numbers as readable text: "median signgd steps 898, gd reached 0"
 * (keys with underscores as spaces, integers without decimals, -1 as "never"). */
static void numbers_text(const cJSON *o, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    const cJSON *it;
    cJSON_ArrayForEach(it, o)
    {
        char key[128], val[64];
        snprintf(key, sizeof key, "%s", it->string ? it->string : "?");
        for (char *k = key; *k; k++)
            if (*k == '_')
                *k = ' ';
        if (cJSON_IsNumber(it)) {
            double v = it->valuedouble;
            if (v == -1 && strstr(it->string ? it->string : "", "steps"))
                snprintf(val, sizeof val, "never");
            else if (v == floor(v) && fabs(v) < 1e15)
                snprintf(val, sizeof val, "%.0f", v);
            else
                snprintf(val, sizeof val, "%.3g", v);
        } else if (cJSON_IsBool(it)) {
            snprintf(val, sizeof val, "%s", cJSON_IsTrue(it) ? "yes" : "no");
        } else if (cJSON_IsString(it)) {
            snprintf(val, sizeof val, "%s", it->valuestring);
        } else {
            continue;
        }
        int w = snprintf(buf + used, n - used, "%s%s %s", used ? ", " : "", key, val);
        if (w < 0 || (size_t)w >= n - used)
            break;
        used += (size_t)w;
    }
}

static void app(char **s, size_t *n, size_t *cap, int *oom, const char *fmt, va_list ap)
{
    if (*oom)
        return;
    va_list a2;
    va_copy(a2, ap);
    int k = vsnprintf(NULL, 0, fmt, a2);
    va_end(a2);
    if (k < 0) {
        *oom = 1;
        return;
    }
    if (*n + (size_t)k + 1 > *cap) {
        size_t c = *cap ? *cap : 8192;
        while (c < *n + (size_t)k + 1)
            c *= 2;
        char *t = realloc(*s, c);
        if (!t) {
            *oom = 1;
            return;
        }
        *s = t;
        *cap = c;
    }
    vsnprintf(*s + *n, *cap - *n, fmt, ap);
    *n += (size_t)k;
}

static void md(doc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void md(doc *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    app(&d->md, &d->nm, &d->cm, &d->oom, fmt, ap);
    va_end(ap);
}

static void ht(doc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ht(doc *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    app(&d->html, &d->nh, &d->ch, &d->oom, fmt, ap);
    va_end(ap);
}

/* Text into HTML with <, >, & escaped. */
static void ht_text(doc *d, const char *s)
{
    for (; *s; s++) {
        if (*s == '<')
            ht(d, "&lt;");
        else if (*s == '>')
            ht(d, "&gt;");
        else if (*s == '&')
            ht(d, "&amp;");
        else
            ht(d, "%c", *s);
    }
}

static void heading(doc *d, int level, const char *text)
{
    md(d, "\n%.*s %s\n\n", level, "######", text);
    ht(d, "<h%d>", level);
    ht_text(d, text);
    ht(d, "</h%d>\n", level);
}

static void para(doc *d, const char *text)
{
    md(d, "%s\n\n", text);
    ht(d, "<p>");
    ht_text(d, text);
    ht(d, "</p>\n");
}

/* A table: cells separated by tabs in each row string; row 0 is the header. */
static void table(doc *d, const char *const *rows, int n)
{
    for (int r = 0; r < n; r++) {
        md(d, "| ");
        for (const char *p = rows[r]; *p; p++)
            md(d, *p == '\t' ? " | " : *p == '|' ? "\\|" : "%c", *p);
        md(d, " |\n");
        if (r == 0) {
            md(d, "|");
            for (const char *p = rows[0]; *p; p++)
                if (*p == '\t')
                    md(d, "---|");
            md(d, "---|\n");
        }
    }
    md(d, "\n");
    ht(d, "<table>\n");
    for (int r = 0; r < n; r++) {
        ht(d, "<tr>");
        const char *p = rows[r];
        while (1) {
            const char *e = strchr(p, '\t');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            char cell[512];
            snprintf(cell, sizeof cell, "%.*s",
                     (int)(len < sizeof cell ? len : sizeof cell - 1), p);
            ht(d, r == 0 ? "<th>" : "<td>");
            ht_text(d, cell);
            ht(d, r == 0 ? "</th>" : "</td>");
            if (!e)
                break;
            p = e + 1;
        }
        ht(d, "</tr>\n");
    }
    ht(d, "</table>\n");
}

static void b64(doc *d, const unsigned char *s, size_t n)
{
    static const char tab[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char out[5] = {0};
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)s[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)s[i + 1] << 8;
        if (i + 2 < n)
            v |= s[i + 2];
        out[0] = tab[(v >> 18) & 63];
        out[1] = tab[(v >> 12) & 63];
        out[2] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
        out[3] = i + 2 < n ? tab[v & 63] : '=';
        ht(d, "%s", out);
    }
}

/* A figure: linked from the markdown, embedded as base64 in the HTML. */
static void figure(doc *d, const char *dir, const char *rel, const char *caption)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    char *data = NULL;
    size_t n = 0;
    sb_err e;
    if (sb_read_file(path, &data, &n, &e) != SB_OK)
        return;
    md(d, "![%s](%s)\n\n", caption, rel);
    ht(d, "<figure><img alt=\"");
    ht_text(d, caption);
    ht(d, "\" src=\"data:image/png;base64,");
    b64(d, (const unsigned char *)data, n);
    ht(d, "\"><figcaption>");
    ht_text(d, caption);
    ht(d, "</figcaption></figure>\n");
    free(data);
}

static const cJSON *get(const cJSON *o, const char *k)
{
    return cJSON_GetObjectItemCaseSensitive(o, k);
}

static double num(const cJSON *o, const char *k)
{
    const cJSON *v = get(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static const char *str(const cJSON *o, const char *k)
{
    const cJSON *v = get(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static cJSON *load_opt(const char *dir, const char *name)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    cJSON *j = NULL;
    sb_err e;
    if (sb_json_load(path, &j, &e) != SB_OK)
        return NULL;
    return j;
}

/* The median row of benchmark (kernel, impl, n[, variant]) in micro's list; NULL if none. */
static const cJSON *micro_median(const cJSON *list, const char *kernel, const char *impl,
                                 double n, const char *variant)
{
    const cJSON *b;
    cJSON_ArrayForEach(b, list)
    {
        if (!strcmp(str(b, "aggregate_name"), "median") && num(b, "n") == n &&
            !strcmp(str(b, "impl"), impl) &&
            (variant ? !strcmp(str(b, "variant"), variant)
                     : !strcmp(str(b, "kernel"), kernel)))
            return b;
    }
    return NULL;
}

static void fmt_rate(char *out, size_t cap, const cJSON *b)
{
    double v = b ? num(b, "bytes_per_second") : NAN;
    if (isfinite(v))
        snprintf(out, cap, "%.2f", v / 1e9);
    else
        snprintf(out, cap, "-");
}

typedef struct micro_row {
    int order; /* first appearance of the kernel */
    double n;
    char text[640];
} micro_row;

static int cmp_micro_rows(const void *a, const void *b)
{
    const micro_row *x = a, *y = b;
    if (x->order != y->order)
        return x->order - y->order;
    return (x->n > y->n) - (x->n < y->n);
}

/* One kernel at one size: ours, the OpenMP and 1-thread C loops and CLBlast side by
 * side, the fraction of the ceiling and what set it; flagged rows stand out. */
static void micro_row_text(char *out, size_t cap, const cJSON *list, const cJSON *b)
{
    const char *k = str(b, "kernel"), *bl = str(b, "clblast_routine");
    double n = num(b, "n");
    char ocl[16], omp[16], c1[16], blas[40] = "-", ceil[160] = "-", flags[160] = "";
    fmt_rate(ocl, sizeof ocl, b);
    fmt_rate(omp, sizeof omp, micro_median(list, k, "omp", n, NULL));
    fmt_rate(c1, sizeof c1, micro_median(list, k, "c1", n, NULL));
    const cJSON *cb = *bl ? micro_median(list, bl, "clblast", n, bl) : NULL;
    if (!cb && *bl)
        cb = micro_median(list, bl, "clblast", n, NULL);
    if (cb) {
        fmt_rate(blas, sizeof blas, cb);
        size_t len = strlen(blas);
        snprintf(blas + len, sizeof blas - len, " (%s)", bl);
    }
    double rf = num(b, "roofline_fraction"), cr = num(b, "roofline_ref_bytes_per_second");
    if (isfinite(cr))
        snprintf(ceil, sizeof ceil, "%.2f %s", cr / 1e9, str(b, "roofline_ref_variant"));
    int over = cJSON_IsTrue(get(b, "ceiling_exceeded"));
    snprintf(flags, sizeof flags, "%s%s%s",
             over ? "CEILING EXCEEDED: reference variant set "
                    "incomplete "
                  : "",
             cJSON_IsTrue(get(b, "noisy")) ? "noisy " : "",
             cJSON_IsTrue(get(b, "launch_bound")) ? "launch-bound" : "");
    char frac[32] = "-";
    if (isfinite(rf))
        snprintf(frac, sizeof frac, "%s%.3f%s", over ? "!! " : "", rf, over ? " !!" : "");
    snprintf(out, cap, "%s%s\t%.0f\t%s\t%s\t%s\t%s\t%s\t%s\t%s", over ? "!! " : "", k, n,
             ocl, omp, c1, blas, frac, ceil, *flags ? flags : "-");
}

/* Throughput: one row per kernel and size (medians of the repetitions). */
static void section_micro(doc *d, const cJSON *micro)
{
    heading(d, 2, "Throughput (signbench micro)");
    const cJSON *ctx = get(micro, "context");
    char line[1200];
    snprintf(
        line, sizeof line,
        "Device %s (%s), driver %s. GB/s (10^9 bytes of minimal "
        "traffic per second) and roofline_fraction are medians of the repetitions. The "
        "ceiling is the best variant of the kernel's traffic pattern (stream kernels at "
        "several widths, splits and work-group sizes, OpenCL copy/fill, CLBlast, the "
        "OpenMP loop) timed in the same rounds, named as pattern:impl/variant; "
        "roofline_fraction = GB/s / ceiling. A fraction above 1.05 is a finding "
        "(marked !!: ceiling exceeded, the reference variant set is incomplete), never "
        "a pass. noisy: CV above the run's limit; launch-bound: host time near the "
        "empty kernel's.",
        str(ctx, "device"), str(ctx, "platform"), str(ctx, "driver"));
    para(d, line);
    const cJSON *warn = get(ctx, "warnings"), *w;
    cJSON_ArrayForEach(w, warn)
    {
        if (cJSON_IsString(w)) {
            snprintf(line, sizeof line, "WARNING: %s.", w->valuestring);
            para(d, line);
        }
    }
    const cJSON *list = get(micro, "benchmarks"), *b;
    micro_row *rows = NULL;
    int n = 0, cap = 0, order = 0;
    const char *last = "";
    cJSON_ArrayForEach(b, list)
    {
        if (strcmp(str(b, "aggregate_name"), "median") || strcmp(str(b, "impl"), "ocl") ||
            !isfinite(num(b, "roofline_fraction")))
            continue;
        if (strcmp(last, str(b, "kernel")))
            order++, last = str(b, "kernel");
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            micro_row *t = realloc(rows, (size_t)cap * sizeof *t);
            if (!t)
                break;
            rows = t;
        }
        rows[n].order = order, rows[n].n = num(b, "n");
        micro_row_text(rows[n].text, sizeof rows[n].text, list, b);
        n++;
    }
    if (n == 0) {
        para(d, "micro.json holds no kernel rows with a roofline fraction.");
    } else {
        qsort(rows, (size_t)n, sizeof *rows, cmp_micro_rows);
        const char **all = malloc((size_t)(n + 1) * sizeof *all);
        if (all) {
            all[0] = "kernel\tn\tocl GB/s\tOpenMP C GB/s\t1-thread C GB/s\tCLBlast GB/s\t"
                     "roofline_fraction\tceiling GB/s, set by\tflags";
            for (int i = 0; i < n; i++)
                all[i + 1] = rows[i].text;
            table(d, all, n + 1);
            free(all);
        }
    }
    free(rows);
    /* Transfers and the zero-copy map, as before: rates, or a latency. */
    cJSON_ArrayForEach(b, list)
    {
        if (strcmp(str(b, "aggregate_name"), "median") ||
            strncmp(str(b, "kernel"), "map_", 4))
            continue;
        if (cJSON_IsTrue(get(b, "zero_copy")))
            snprintf(line, sizeof line,
                     "%s at n = %.0f: no copy (the device shares host "
                     "memory): latency %.3g %s.",
                     str(b, "kernel"), num(b, "n"), num(b, "real_time"),
                     str(b, "time_unit"));
        else
            snprintf(line, sizeof line, "%s at n = %.0f: %.2f GB/s.", str(b, "kernel"),
                     num(b, "n"), num(b, "bytes_per_second") / 1e9);
        para(d, line);
    }
}

/* ---- several devices: throughput side by side, consistency of the seeded runs ---- */

#define XD_MAX 16
#define XK_MAX 48

typedef struct xkernel {
    char name[48];
    double gbs[XD_MAX], rf[XD_MAX], ceil[XD_MAX];
} xkernel;

/* The device-kernel (impl ocl) medians at the largest size of one device's micro.json. */
static void cross_collect(const cJSON *micro, int dev, xkernel *ks, int *nk)
{
    const cJSON *b;
    double nmax = 0;
    cJSON_ArrayForEach(b, get(micro, "benchmarks"))
    {
        if (isfinite(num(b, "roofline_fraction")) && num(b, "n") > nmax)
            nmax = num(b, "n");
    }
    cJSON_ArrayForEach(b, get(micro, "benchmarks"))
    {
        if (strcmp(str(b, "aggregate_name"), "median") || strcmp(str(b, "impl"), "ocl") ||
            num(b, "n") != nmax || !isfinite(num(b, "bytes_per_second")))
            continue;
        int k = 0;
        while (k < *nk && strcmp(ks[k].name, str(b, "kernel")))
            k++;
        if (k == *nk) {
            if (*nk == XK_MAX)
                continue;
            memset(&ks[k], 0, sizeof ks[k]);
            snprintf(ks[k].name, sizeof ks[k].name, "%s", str(b, "kernel"));
            for (int i = 0; i < XD_MAX; i++)
                ks[k].gbs[i] = ks[k].rf[i] = ks[k].ceil[i] = NAN;
            (*nk)++;
        }
        ks[k].gbs[dev] = num(b, "bytes_per_second") / 1e9;
        ks[k].rf[dev] = num(b, "roofline_fraction");
        ks[k].ceil[dev] = num(b, "roofline_ref_bytes_per_second") / 1e9;
    }
}

static void cross_consistency(doc *d, const cJSON *xj)
{
    const cJSON *c;
    char rows[64][512];
    const char *rp[64];
    int n = 0;
    snprintf(rows[n], sizeof rows[n],
             "file\tdevice\tcells\tdiffering\texact\tmax abs\t"
             "max rel\tmax ulp (float32)");
    rp[n] = rows[n];
    n++;
    cJSON_ArrayForEach(c, get(xj, "comparisons"))
    {
        if (n == 64)
            break;
        int exact = cJSON_IsTrue(get(c, "exact"));
        snprintf(rows[n], sizeof rows[n], "%s\t%s\t%.0f\t%.0f%s\t%s\t%.3g\t%.3g\t%.0f",
                 str(c, "file"), str(c, "device"), num(c, "cells"), num(c, "differing"),
                 num(c, "text_differing") > 0 ? " (some not numbers)" : "",
                 exact                                   ? "yes"
                 : cJSON_IsTrue(get(c, "shape_differs")) ? "no (other shape)"
                                                         : "no",
                 num(c, "max_abs"), num(c, "max_rel"), num(c, "max_ulp"));
        rp[n] = rows[n];
        n++;
    }
    heading(d, 3, "Consistency of the seeded runs");
    if (n == 1) {
        para(d, "No train or tube result file ran on two devices.");
        return;
    }
    para(d, "The same seeded train and tube runs on every device, each result file "
            "compared cell by cell with the first device's (timings excluded): exact "
            "means every cell is the same text; otherwise the largest differences.");
    table(d, rp, n);
}

static void section_cross_devices(doc *d, const char *dir)
{
    cJSON *xj = load_opt(dir, "cross_device.json");
    const cJSON *devs = get(xj, "devices"), *dv;
    int nd = cJSON_GetArraySize(devs);
    if (!xj || nd < 2) {
        cJSON_Delete(xj);
        return;
    }
    if (nd > XD_MAX)
        nd = XD_MAX;
    heading(d, 2, "Devices side by side");
    static xkernel ks[XK_MAX];
    int nk = 0, di = 0;
    const char *labels[XD_MAX];
    char lab[XD_MAX][300], idx[XD_MAX][32], who[XD_MAX * 300] = "";
    cJSON_ArrayForEach(dv, devs)
    {
        if (di == nd)
            break;
        char rel[400];
        snprintf(rel, sizeof rel, "%s/micro.json", str(dv, "dir"));
        cJSON *m = load_opt(dir, rel);
        if (m)
            cross_collect(m, di, ks, &nk);
        cJSON_Delete(m);
        snprintf(lab[di], sizeof lab[di], "%s %s", str(dv, "index"), str(dv, "name"));
        snprintf(idx[di], sizeof idx[di], "%s", str(dv, "index"));
        size_t wl = strlen(who);
        snprintf(who + wl, sizeof who - wl, "%s%.290s", di ? "; " : "Devices: ", lab[di]);
        labels[di] = lab[di];
        di++;
    }
    if (nk == 0) {
        para(d, "No device's micro.json holds device-kernel medians.");
    } else {
        para(d, who);
        para(d, "Per kernel at the largest size: GB/s, roofline_fraction (GB/s over the "
                "paired reference kernel of the same device and run) and ceiling (that "
                "reference's GB/s) of every device; \"-\": no such figure (transfers have "
                "no reference).");
        static char rows[XK_MAX + 1][1024];
        const char *rp[XK_MAX + 1];
        size_t len = (size_t)snprintf(rows[0], sizeof rows[0], "kernel");
        for (int k = 0; k < nd && len < sizeof rows[0]; k++)
            len += (size_t)snprintf(rows[0] + len, sizeof rows[0] - len,
                                    "\t%s GB/s\t%s fraction\t%s ceiling", idx[k], idx[k],
                                    idx[k]);
        rp[0] = rows[0];
        double *v = calloc((size_t)nk * (size_t)nd, sizeof *v);
        const char *groups[XK_MAX];
        for (int i = 0; i < nk; i++) {
            len = (size_t)snprintf(rows[i + 1], sizeof rows[i + 1], "%s", ks[i].name);
            for (int k = 0; k < nd && len < sizeof rows[0]; k++) {
                char g[32] = "-", r[32] = "-", ce[32] = "-";
                if (isfinite(ks[i].gbs[k]))
                    snprintf(g, sizeof g, "%.2f", ks[i].gbs[k]);
                if (isfinite(ks[i].rf[k]))
                    snprintf(r, sizeof r, "%.3f", ks[i].rf[k]);
                if (isfinite(ks[i].ceil[k]))
                    snprintf(ce, sizeof ce, "%.2f", ks[i].ceil[k]);
                len += (size_t)snprintf(rows[i + 1] + len, sizeof rows[0] - len,
                                        "\t%s\t%s\t%s", g, r, ce);
                if (v)
                    v[(size_t)i * (size_t)nd + (size_t)k] = ks[i].gbs[k];
            }
            rp[i + 1] = rows[i + 1];
            groups[i] = ks[i].name;
        }
        table(d, rp, nk + 1);
        char base[1200];
        snprintf(base, sizeof base, "%s/cross_device_gbs", dir);
        sb_bars bars = {"Device kernels at the largest size, every device",
                        "kernel",
                        "GB/s",
                        nk,
                        nd,
                        groups,
                        labels,
                        v,
                        1100,
                        560};
        sb_err pe;
        if (v && sb_plot_available() && sb_plot_bars(base, &bars, &pe) == SB_OK)
            figure(d, dir, "cross_device_gbs.png", "GB/s per kernel and device");
        else
            para(d, "(no bar chart: gnuplot is not available)");
        free(v);
    }
    cross_consistency(d, xj);
    cJSON_Delete(xj);
}

static void verdict_row(char *out, size_t cap, const char *claim, const char *evidence,
                        const char *verdict)
{
    snprintf(out, cap, "%s\t%s\t%s", claim, evidence, verdict);
}

/* A table of HEADER and one row per element of ARR, made by ROW (tab-separated cells). */
static void table_of(doc *d, const cJSON *arr, const char *header,
                     void (*row)(char *out, size_t n, const cJSON *item))
{
    int n = cJSON_GetArraySize(arr), k = 1;
    char(*rows)[512] = calloc((size_t)n + 1, sizeof *rows);
    const char **rp = calloc((size_t)n + 1, sizeof *rp);
    if (rows && rp) {
        snprintf(rows[0], sizeof rows[0], "%s", header);
        rp[0] = rows[0];
        const cJSON *it;
        cJSON_ArrayForEach(it, arr)
        {
            row(rows[k], sizeof rows[k], it);
            rp[k] = rows[k];
            k++;
        }
        table(d, rp, k);
    }
    free(rows);
    free(rp);
}

/* A suite step of summary.json: name, status, seconds, command. */
static void step_row(char *out, size_t n, const cJSON *s)
{
    snprintf(out, n, "%s\t%s\t%.1f\t%s", str(s, "name"), str(s, "status"),
             num(s, "seconds"), str(s, "command"));
}

/* One metric cell: the number, or "-" when the run does not have that metric (never
 * "nan"). */
static void cell(char *out, size_t n, const cJSON *m, const char *key, const char *fmt)
{
    const cJSON *v = get(m, key);
    if (cJSON_IsNumber(v) && isfinite(v->valuedouble))
        snprintf(out, n, fmt, v->valuedouble);
    else
        snprintf(out, n, "-");
}

/* Convergence benchmarks of summary.json, one table per kind (train, grid, sweep), each
 * with the metrics that kind has. */
static void train_row(char *out, size_t n, const cJSON *c)
{
    const cJSON *m = get(c, "metrics");
    char a[32], b[32], t[32], s[32];
    cell(a, sizeof a, m, "f_final", "%.6g");
    cell(b, sizeof b, m, "grad1_min", "%.4g");
    cell(t, sizeof t, m, "test_accuracy", "%.4f");
    cell(s, sizeof s, m, "steps_to_target", "%.0f");
    snprintf(out, n, "%s\t%s\t%s\t%s\t%s", str(c, "name"), a, b, t, s);
}

static void grid_row(char *out, size_t n, const cJSON *c)
{
    const cJSON *m = get(c, "metrics");
    char e[32], r[32];
    cell(e, sizeof e, m, "test_error", "%.4f");
    cell(r, sizeof r, m, "robustness", "%.3g");
    snprintf(out, n, "%s\t%s\t%s", str(c, "name"), e, r);
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void sweep_row(char *out, size_t n, const cJSON *c)
{
    const cJSON *mn = get(get(c, "metrics"), "min_norm"), *v;
    double x[64];
    int k = 0;
    cJSON_ArrayForEach(v, mn)
    {
        if (k < 64 && cJSON_IsNumber(v) && isfinite(v->valuedouble))
            x[k++] = v->valuedouble;
    }
    char med[32] = "-", rng[64] = "-";
    if (k) {
        qsort(x, (size_t)k, sizeof *x, cmp_dbl);
        snprintf(med, sizeof med, "%.4g",
                 k % 2 ? x[k / 2] : 0.5 * (x[k / 2 - 1] + x[k / 2]));
        snprintf(rng, sizeof rng, "%.4g..%.4g", x[0], x[k - 1]);
    }
    snprintf(out, n, "%s\t%s\t%s\t%d", str(c, "name"), med, rng, k);
}

/* A sweep fit's table cell: slope [95% interval], and the d range and runs it used. */
static void fit_cell(const cJSON *f, char *out, size_t cap)
{
    if (!isfinite(num(f, "slope")))
        return;
    int n = snprintf(out, cap, "%.2f [%.2f, %.2f]", num(f, "slope"), num(f, "ci_lo"),
                     num(f, "ci_hi"));
    if (isfinite(num(f, "d_min")) && n > 0 && (size_t)n < cap)
        snprintf(out + n, cap - (size_t)n, ", d %.0f..%.0f, %.0f runs", num(f, "d_min"),
                 num(f, "d_max"), num(f, "points"));
}

/* The benchmarks of ARR whose name starts with PREFIX, as a table (nothing when none). */
static void conv_table(doc *d, const cJSON *arr, const char *prefix, const char *title,
                       const char *header, void (*row)(char *, size_t, const cJSON *))
{
    cJSON *sel = cJSON_CreateArray();
    const cJSON *b;
    size_t np = strlen(prefix);
    cJSON_ArrayForEach(b, arr)
    {
        if (sel && !strncmp(str(b, "name"), prefix, np))
            cJSON_AddItemReferenceToArray(sel, (cJSON *)b);
    }
    if (sel && cJSON_GetArraySize(sel) > 0) {
        heading(d, 3, title);
        table_of(d, sel, header, row);
    }
    cJSON_Delete(sel); /* references only: the summary keeps its items */
}

/* The Byzantine study's verdict: blind adversaries (the theorem's) at the largest K/P
 * below one half still leave progress (f below f0) on every problem. */
static void byz_verdict(const cJSON *byz, char *out, size_t cap)
{
    char ev[512] = "";
    int held = 1, seen = 0;
    const cJSON *p, *a;
    cJSON_ArrayForEach(p, get(byz, "problems"))
    {
        cJSON_ArrayForEach(a, get(p, "attacks"))
        {
            if (strcmp(str(a, "attack"), "blind"))
                continue;
            const cJSON *pts = get(a, "points"), *q;
            const cJSON *h = cJSON_GetArrayItem(pts, 0);
            const cJSON *w = cJSON_GetArrayItem(pts, cJSON_GetArraySize(pts) - 1);
            double f0 = num(p, "f0"), fw = num(w, "f_final");
            cJSON_ArrayForEach(q, pts) held &=
                num(q, "f_final") < f0; /* NaN (diverged) fails too */
            size_t k = strlen(ev);
            snprintf(ev + k, sizeof ev - k,
                     "%s%s: f %.4g at K/P = %.2f (honest %.4g, start "
                     "%.4g)",
                     k ? "; " : "", str(p, "problem"), fw, num(w, "fraction"),
                     num(h, "f_final"), f0);
            seen = 1;
        }
    }
    verdict_row(out, cap,
                "Majority vote: blind adversaries are tolerated while K/P < 1/2 "
                "(Bernstein et al. 2019, Theorem 2)",
                ev,
                !seen  ? "not measured"
                : held ? "holds (progress at every K/P below 1/2)"
                       : "does not hold");
}

/* The page head, the title and the paragraph naming the run. */
static void section_head(doc *d, const char *dir, const cJSON *summary)
{
    char line[2048];
    ht(d, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>signbench report"
          "</title>\n<style>body{font-family:sans-serif;max-width:1000px;margin:auto;"
          "padding:1em}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid "
          "#bbb;padding:3px 8px;text-align:left}th{background:#eee}img{max-width:100%%}"
          "figure{margin:1em 0}</style></head><body>\n");
    heading(d, 1, "signbench report");
    if (summary)
        snprintf(line, sizeof line,
                 "Run folder %s, created %s by signbench %s (%s mode). "
                 "Every number below comes from the JSON/CSV files in this folder; timings "
                 "on a shared machine are noisy, ratios in one run are not.",
                 dir, str(summary, "created"), str(summary, "signbench_version"),
                 str(summary, "mode"));
    else
        snprintf(
            line, sizeof line,
            "Run folder %s (no summary.json: a report of the files "
            "found). Timings on a shared machine are noisy, ratios in one run are not.",
            dir);
    para(d, line);
}

/* The run's device and host, from devices.json. */
static void section_device(doc *d, const cJSON *summary, const cJSON *devices)
{
    char line[2048];
    heading(d, 2, "Device");
    /* The run's device from devices.json (the default one, else the one named). */
    const cJSON *dv = NULL, *x;
    cJSON_ArrayForEach(x, get(devices, "devices"))
    {
        if (!strcmp(str(x, "name"), str(summary, "device")) ||
            (!dv && cJSON_IsTrue(get(x, "default"))))
            dv = x;
    }
    if (dv) {
        const cJSON *host = get(devices, "host");
        snprintf(line, sizeof line,
                 "%s (%s, %s; %s), driver %s: %.0f compute "
                 "units at %.0f MHz, %.1f GB global memory, fp64 %s. Host: %s, %.0f cores, "
                 "%.1f GB.",
                 str(dv, "name"), str(dv, "type"), str(dv, "platform"),
                 str(dv, "opencl_c_version"), str(dv, "driver_version"),
                 num(dv, "compute_units"), num(dv, "clock_mhz"),
                 num(dv, "global_mem_bytes") / 1e9,
                 cJSON_IsTrue(get(dv, "fp64")) ? "yes" : "no", str(host, "cpu_model"),
                 num(host, "cores"), num(host, "memory_bytes") / 1e9);
        para(d, line);
    } else {
        snprintf(line, sizeof line, "%s", str(summary, "device"));
        para(d, line[0] ? line : "(unknown device: no devices.json or summary.json)");
    }
}

/* The suite's steps with their status and time. */
static void section_steps(doc *d, const cJSON *summary)
{
    const cJSON *steps = get(summary, "steps");
    if (cJSON_IsArray(steps)) {
        heading(d, 2, "Steps");
        table_of(d, steps, "step\tstatus\tseconds\tcommand", step_row);
    }
}

/* The seeded convergence results the gate compares. */
static void section_convergence(doc *d, const cJSON *summary)
{
    const cJSON *conv = get(summary, "benchmarks");
    if (cJSON_IsArray(conv) && cJSON_GetArraySize(conv) > 0) {
        heading(d, 2, "Convergence");
        para(d, "Seeded runs: the values the regression gate compares, one table per kind "
                "of run with the metrics it has (\"-\": the run has no such value, e.g. no "
                "target was set).");
        conv_table(d, conv, "train/", "Training runs (signbench train)",
                   "run\tf_final\tgrad1_min\ttest_accuracy\tsteps_to_target", train_row);
        conv_table(d, conv, "grid/", "Grid bests (signbench grid)",
                   "run\tbest test_error\trobustness", grid_row);
        conv_table(d, conv, "sweep/", "Sweep points (signbench sweep)",
                   "run\tmin_norm (median)\tmin_norm range\tseeds", sweep_row);
    }
}

/* Every sweep of the run (sweep.json, and sweep-<problem>/ with --full): slopes. */
static void section_sweeps(doc *d, const char *dir)
{
    static const char *sweeps[] = {"sweep.json", "sweep-quad-rotated/sweep.json",
                                   "sweep-tube/sweep.json", "sweep-logreg/sweep.json"};
    char srows[24][512];
    const char *sp[24];
    int nsr = 0;
    snprintf(srows[nsr], sizeof srows[0],
             "problem\tvariant\td swept\tmin-norm slope [95%%]"
             "\tbound\tN-to-target slope [95%%]\tbound");
    sp[nsr] = srows[nsr];
    nsr++;
    for (size_t i = 0; i < sizeof sweeps / sizeof sweeps[0]; i++) {
        cJSON *sw = load_opt(dir, sweeps[i]);
        const cJSON *dims = get(sw, "dims"), *vv;
        int nd = cJSON_GetArraySize(dims);
        cJSON_ArrayForEach(vv, get(sw, "variants"))
        {
            if (nsr >= 24)
                break;
            const cJSON *f1 = get(vv, "fit_min_norm"), *f2 = get(vv, "fit_evals_to_target");
            char a[96] = "-", b[96] = "-";
            fit_cell(f1, a, sizeof a);
            fit_cell(f2, b, sizeof b);
            snprintf(srows[nsr], sizeof srows[0], "%s\t%s\t%.0f..%.0f\t%s\t%.0f\t%s\t%.0f",
                     str(sw, "problem"), str(vv, "name"),
                     nd ? cJSON_GetArrayItem(dims, 0)->valuedouble : NAN,
                     nd ? cJSON_GetArrayItem(dims, nd - 1)->valuedouble : NAN, a,
                     num(f1, "predicted"), b, num(f2, "predicted"));
            sp[nsr] = srows[nsr];
            nsr++;
        }
        cJSON_Delete(sw);
    }
    if (nsr > 1) {
        heading(d, 2, "Dimension sweeps (signbench sweep)");
        para(d,
             "Log-log slopes against d of the minimum squared norm at a fixed budget of "
             "gradient calls and of the calls needed to reach a target, with the slopes "
             "the bounds give (Theorem 1: d^2/sqrt(N) for signSGD's squared l1 norm; "
             "Theorem 2: d/sqrt(N) for SGD's squared l2 norm), and the d range and "
             "runs each fit used (N-to-target: only the d values where every seed "
             "reached the target). A bound is an upper bound: a flatter measured slope "
             "is consistent with it, a steeper one only while the values stay under it.");
        table(d, sp, nsr);
    }
}

/* The verdict table's rows: "claim\tevidence\tverdict", at most 16 with the header. */
typedef struct verdicts {
    char rows[16][1536];
    const char *p[16];
    int n;
} verdicts;

static char *verdict_next(verdicts *v)
{
    v->p[v->n] = v->rows[v->n];
    return v->rows[v->n++];
}

/* Theorems 1 and 2 against the sweep's measured minimum norms. */
static void verdict_theorems(verdicts *vs, const cJSON *sweep)
{
    int nv = vs->n;
    const cJSON *v;
    cJSON_ArrayForEach(v, get(sweep, "variants"))
    {
        if (nv >= 6)
            break;
        const cJSON *f = get(v, "fit_min_norm");
        double sl = num(f, "slope"), lo = num(f, "ci_lo"), hi = num(f, "ci_hi"),
               pred = num(f, "predicted");
        const char *name = str(v, "name");
        if (!strcmp(name, "signsgd-const"))
            continue;
        char claim[256], ev[512];
        int thm = strncmp(name, "sgd", 3) ? 1 : 2, above = 0, pts = 0, na = 0;
        double worst_d = NAN, na_dl = NAN;
        const cJSON *p;
        cJSON_ArrayForEach(p, get(v, "points"))
        {
            double m = num(p, "min_norm"), b = num(p, "bound");
            if (cJSON_IsString(get(p, "bound_note")))
                na++, na_dl = num(p, "delta_L");
            if (!isfinite(m) || !isfinite(b))
                continue;
            pts++;
            if (m > b)
                above++, worst_d = num(p, "d");
        }
        snprintf(claim, sizeof claim,
                 "Theorem %d (%s): min %s stays below the bound, which "
                 "grows like d^%.0f at a fixed budget",
                 thm, name, str(v, "quantity"), pred);
        snprintf(ev, sizeof ev,
                 "%s sweep: below the bound at %d of %d d values; measured "
                 "slope %.2f, 95%% interval [%.2f, %.2f] (bound: %.0f)",
                 str(sweep, "problem"), pts - above, pts, sl, lo, hi, pred);
        char vd[512];
        if (!pts && na)
            snprintf(vd, sizeof vd, "not applicable (delta*L = %.3g >= 2)", na_dl);
        else if (!pts)
            snprintf(vd, sizeof vd, "not measured");
        else if (above)
            snprintf(vd, sizeof vd, "violated (above the bound at d = %.0f)", worst_d);
        else if (cJSON_IsString(get(get(f, "vs_bound"), "text")))
            snprintf(vd, sizeof vd, "holds: %s", str(get(f, "vs_bound"), "text"));
        else
            snprintf(vd, sizeof vd, "holds; slope %s",
                     !isfinite(sl)               ? "not fitted"
                     : isfinite(lo) && lo > pred ? "steeper than the bound's"
                     : isfinite(hi) && hi < pred ? "flatter than the bound's"
                                                 : "as steep as the bound's");
        verdict_row(verdict_next(vs), sizeof vs->rows[0], claim, ev, vd);
        nv++;
    }
}

/* The dense-gradient premise: density near 1 makes the d^2 and d bounds agree. */
static void verdict_density(verdicts *vs, const cJSON *sweep)
{
    const cJSON *v0 = cJSON_GetArrayItem(get(sweep, "variants"), 0);
    if (v0) {
        const cJSON *pts = get(v0, "points");
        const cJSON *last = cJSON_GetArrayItem(pts, cJSON_GetArraySize(pts) - 1);
        double rho = num(last, "density_end");
        char ev[256];
        snprintf(ev, sizeof ev,
                 "||g||_1^2/(d ||g||_2^2) = %.3f at d = %.0f (end of "
                 "signsgd-theory runs)",
                 rho, num(last, "d"));
        verdict_row(verdict_next(vs), sizeof vs->rows[0],
                    "Section 5: gradients are dense, so "
                    "signSGD's d^2 l1 bound is comparable to SGD's d l2 bound",
                    ev,
                    !isfinite(rho) ? "not measured"
                    : rho > 0.3    ? "supported (dense)"
                                   : "not supported (sparse)");
    }
}

/* Figure 2: tuned Signum against the grid's best. */
static void verdict_grid(verdicts *vs, const cJSON *grid)
{
    if (grid) {
        double best_all = INFINITY, sig = NAN, sig_rob = NAN, adam_rob = NAN;
        const cJSON *o;
        cJSON_ArrayForEach(o, get(grid, "optimizers"))
        {
            double e = num(get(o, "best"), "test_error");
            if (e < best_all)
                best_all = e;
            if (!strcmp(str(o, "name"), "signum"))
                sig = e, sig_rob = num(o, "robustness");
            if (!strcmp(str(o, "name"), "adam"))
                adam_rob = num(o, "robustness");
        }
        char ev[256];
        snprintf(ev, sizeof ev,
                 "best test error: signum %.4f, best of all %.4f; share of the "
                 "grid within 1 point of the best: signum %.0f%%, adam %.0f%%",
                 sig, best_all, 100 * sig_rob, 100 * adam_rob);
        verdict_row(verdict_next(vs), sizeof vs->rows[0],
                    "Figure 2: Signum matches Adam and "
                    "SGD on logistic regression when tuned",
                    ev,
                    !isfinite(sig)           ? "not measured"
                    : sig <= best_all + 0.01 ? "supported (within 1 point of the best)"
                                             : "not supported");
    }
}

/* figure1 computes its own verdicts from measured numbers: show them as they are. */
static void verdict_figure1(verdicts *vs, const char *dir)
{
    cJSON *fig1 = load_opt(dir, "figure1/figure1.json");
    const cJSON *cl;
    cJSON_ArrayForEach(cl, get(fig1, "claims"))
    {
        if (vs->n >= (int)(sizeof vs->rows / sizeof vs->rows[0]))
            break;
        char nums[1024], claim[600];
        numbers_text(get(cl, "numbers"), nums, sizeof nums);
        snprintf(claim, sizeof claim, "Figure 1: %s", str(cl, "claim"));
        verdict_row(verdict_next(vs), sizeof vs->rows[0], claim, nums,
                    cJSON_IsTrue(get(cl, "held")) ? "holds" : "does not hold");
    }
    cJSON_Delete(fig1);
}

/* The Byzantine study (signbench byzantine, an MPI build's suite step). */
static void verdict_byzantine(verdicts *vs, const char *dir)
{
    cJSON *byz = load_opt(dir, "byzantine.json");
    if (byz && vs->n < (int)(sizeof vs->rows / sizeof vs->rows[0]))
        byz_verdict(byz, verdict_next(vs), sizeof vs->rows[0]);
    cJSON_Delete(byz);
}

static void section_verdicts(doc *d, const char *dir, const cJSON *sweep, const cJSON *grid)
{
    verdicts vs = {.n = 0};
    heading(d, 2, "Verdicts on the paper's claims");
    snprintf(verdict_next(&vs), sizeof vs.rows[0], "claim\tevidence\tverdict");
    verdict_theorems(&vs, sweep);
    verdict_density(&vs, sweep);
    verdict_grid(&vs, grid);
    verdict_figure1(&vs, dir);
    verdict_byzantine(&vs, dir);
    if (vs.n > 1)
        table(d, vs.p, vs.n);
    else
        para(d, "No sweep or grid in this run: no verdicts.");
}

/* The figures a run can have, then the ones summary.json lists besides. */
static void section_figures(doc *d, const char *dir, const cJSON *summary)
{
    heading(d, 2, "Figures");
    static const char *figs[][2] = {
        {"train_loss.png", "Logistic regression on breast cancer (train step): objective "
                           "against gradient calls"},
        {"figure1/figure1_left.png", "Figure 1 (left): the axis-aligned tube"},
        {"figure1/figure1_middle.png", "Figure 1 (middle): a random rotation"},
        {"figure1/figure1_right.png",
         "Figure 1 (right): a rotation where constant-step "
         "signGD is caught in a periodic orbit; signum beside"},
        {"tube/traces.png", "Tube function (tube step): f against iteration, first trials"},
        {"sweep_norms.png", "Dimension sweep: minimum gradient norm vs d, with the theorem "
                            "bounds (dashed)"},
        {"sweep_evals.png", "Dimension sweep: gradient calls to reach the target vs d"},
        {"sweep-quad-rotated/sweep_norms.png", "Dimension sweep, rotated quadratic"},
        {"sweep-logreg/sweep_norms.png", "Dimension sweep, synthetic logistic regression"},
        {"sweep-tube/sweep_norms.png", "Dimension sweep, tube function"},
        {"grid_sgd.png", "Grid: SGD test error"},
        {"grid_signum.png", "Grid: Signum test error"},
        {"grid_adam.png", "Grid: Adam test error"},
        {"byzantine_f_quad.png", "Majority vote against K of P adversaries: quad, f after "
                                 "the run vs K/P per attack"},
        {"byzantine_f_logreg.png", "Majority vote against adversaries: logreg, f vs K/P"},
        {"byzantine_acc_logreg.png", "Majority vote against adversaries: logreg, test "
                                     "accuracy vs K/P"},
    };
    for (size_t i = 0; i < sizeof figs / sizeof figs[0]; i++)
        figure(d, dir, figs[i][0], figs[i][1]);
    /* Figures of other steps (figure1, train plots) listed in summary.json. */
    const cJSON *extra = get(summary, "figures"), *f;
    cJSON_ArrayForEach(f, extra)
    {
        int known = 0;
        for (size_t i = 0; cJSON_IsString(f) && i < sizeof figs / sizeof figs[0]; i++)
            known |= !strcmp(figs[i][0], f->valuestring);
        if (cJSON_IsString(f) && !known)
            figure(d, dir, f->valuestring, f->valuestring);
    }
}

int sb_report_write(const char *dir, sb_err *err)
{
    if (sb_run_incomplete(dir) && !sb_run_marked_here(dir))
        return sb_fail(err, SB_EUSAGE,
                       "%s did not finish (%s/%s is there): no report of "
                       "partial results",
                       dir, dir, SB_RUN_MARKER);
    doc d = {0};
    cJSON *summary = load_opt(dir, "summary.json"), *micro = load_opt(dir, "micro.json"),
          *sweep = load_opt(dir, "sweep.json"), *grid = load_opt(dir, "grid.json"),
          *devices = load_opt(dir, "devices.json");
    section_head(&d, dir, summary);
    section_device(&d, summary, devices);
    section_steps(&d, summary);
    if (micro)
        section_micro(&d, micro);
    section_cross_devices(&d, dir);
    section_convergence(&d, summary);
    section_sweeps(&d, dir);
    section_verdicts(&d, dir, sweep, grid);
    section_figures(&d, dir, summary);
    ht(&d, "</body></html>\n");
    int rc = SB_OK;
    if (d.oom)
        rc = sb_fail(err, SB_ERUNTIME, "report: out of memory");
    char path[2048];
    if (!rc) {
        snprintf(path, sizeof path, "%s/report.md", dir);
        rc = sb_write_file(path, d.md, d.nm, err);
    }
    if (!rc) {
        snprintf(path, sizeof path, "%s/report.html", dir);
        rc = sb_write_file(path, d.html, d.nh, err);
    }
    free(d.md);
    free(d.html);
    cJSON_Delete(summary);
    cJSON_Delete(micro);
    cJSON_Delete(sweep);
    cJSON_Delete(grid);
    cJSON_Delete(devices);
    return rc;
}

/* ---- the train step's convergence figure ---- */

/* Columns evals (1) and f (2) of a train trace CSV (header step,evals,f,...). */
static int read_trace(const char *path, double **x, double **y, size_t *n)
{
    *x = *y = NULL;
    *n = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[1024];
    size_t cap = 0;
    int ok = fgets(line, sizeof line, f) && !strncmp(line, "step,evals,f,", 13);
    while (ok && fgets(line, sizeof line, f)) {
        double step, evals, fv;
        if (sscanf(line, "%lf,%lf,%lf", &step, &evals, &fv) != 3)
            continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 256;
            double *a = realloc(*x, cap * sizeof *a),
                   *b = a ? realloc(*y, cap * sizeof *b) : NULL;
            if (a)
                *x = a;
            if (!a || !b) {
                ok = 0;
                break;
            }
            *y = b;
        }
        (*x)[*n] = evals;
        (*y)[*n] = fv;
        (*n)++;
    }
    fclose(f);
    if (!ok || *n == 0) {
        free(*x);
        free(*y);
        *x = *y = NULL;
        *n = 0;
        return -1;
    }
    return 0;
}

int sb_report_train_plot(const char *dir, const char *const *optimizers, sb_err *err)
{
    enum { MAXS = 16 };
    sb_plot_series s[MAXS];
    double *xs[MAXS] = {0}, *ys[MAXS] = {0};
    int ns = 0;
    for (int i = 0; optimizers[i] && ns < MAXS; i++) {
        char path[1200];
        size_t n;
        snprintf(path, sizeof path, "%s/train/train-%s.csv", dir, optimizers[i]);
        if (read_trace(path, &xs[ns], &ys[ns], &n))
            continue;
        s[ns] =
            (sb_plot_series){optimizers[i], n, xs[ns], ys[ns], NULL, NULL, SB_PLOT_LINES};
        ns++;
    }
    int rc;
    if (!ns) {
        rc = sb_fail(err, SB_EUSAGE, "report: no train traces in %s/train", dir);
    } else {
        char base[1200];
        snprintf(base, sizeof base, "%s/train_loss", dir);
        sb_plot p = {"logistic regression (train step): full objective f",
                     "gradient calls",
                     "f (log scale)",
                     0,
                     1,
                     0,
                     0};
        rc = sb_plot_lines(base, &p, s, ns, err);
    }
    for (int i = 0; i < ns; i++) {
        free(xs[i]);
        free(ys[i]);
    }
    return rc;
}
