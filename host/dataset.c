/* dataset.c - labelled data for logistic regression: LIBSVM and CSV readers (errors name
 * file:line), seeded synthetic data, split, standardisation, bias, LIBSVM writer. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataset.h"
#include "oracle.h"

char *sb_next_line(char **cursor)
{
    char *ln = *cursor;
    if (!ln || !*ln)
        return NULL;
    char *nl = strchr(ln, '\n');
    if (nl) {
        *nl = '\0';
        *cursor = nl + 1;
    } else {
        *cursor = ln + strlen(ln);
    }
    return ln;
}

void sb_dataset_free(sb_dataset *ds)
{
    free(ds->X);
    free(ds->y);
    memset(ds, 0, sizeof *ds);
}

/* Growable arrays for the readers. */
typedef struct grow {
    void *p;
    size_t n, cap, elem;
} grow;

static int grow_push(grow *g, const void *v)
{
    if (g->n == g->cap) {
        size_t cap = g->cap ? 2 * g->cap : 1024;
        void *p = realloc(g->p, cap * g->elem);
        if (!p)
            return -1;
        g->p = p;
        g->cap = cap;
    }
    memcpy((char *)g->p + g->n * g->elem, v, g->elem);
    g->n++;
    return 0;
}

/* Map two distinct raw labels to -1 (smaller) and +1 (larger). */
static int map_labels(const char *path, const double *raw, size_t n, float *y, sb_err *err)
{
    double lo = raw[0], hi = raw[0];
    for (size_t i = 0; i < n; i++) {
        if (raw[i] != lo && raw[i] != hi) {
            if (lo != hi)
                return sb_fail(err, SB_EUSAGE, "%s: more than two distinct labels (%g, %g, "
                               "%g): logistic regression needs two classes", path, lo, hi,
                               raw[i]);
            if (raw[i] < lo)
                lo = raw[i];
            else
                hi = raw[i];
        }
    }
    if (lo == hi)
        return sb_fail(err, SB_EUSAGE, "%s: every row has label %g: two classes needed",
                       path, lo);
    for (size_t i = 0; i < n; i++)
        y[i] = raw[i] == hi ? 1.0f : -1.0f;
    return SB_OK;
}

static int parse_num(const char *s, char **end, double *v)
{
    errno = 0;
    *v = strtod(s, end);
    return *end != s && errno != ERANGE && isfinite(*v);
}

typedef struct entry {
    size_t row, col;
    double v;
} entry;

int sb_dataset_read_libsvm(const char *path, sb_dataset *ds, sb_err *err)
{
    memset(ds, 0, sizeof *ds);
    char *text;
    size_t len;
    if (sb_read_file(path, &text, &len, err) != SB_OK)
        return sb_wrap(err, "data");
    grow ent = {NULL, 0, 0, sizeof(entry)}, lab = {NULL, 0, 0, sizeof(double)};
    size_t line = 0, d = 0;
    int st = SB_OK;
    char *cur = text;
    for (char *ln = sb_next_line(&cur); ln && st == SB_OK; ln = sb_next_line(&cur)) {
        line++;
        char *p = ln, *end;
        while (*p == ' ' || *p == '\t' || *p == '\r')
            p++;
        if (!*p || *p == '#')
            continue;
        double y;
        if (!parse_num(p, &end, &y) || (*end && *end != ' ' && *end != '\t' && *end != '\r')) {
            st = sb_fail(err, SB_EUSAGE, "%s:%zu: the label is not a number (LIBSVM lines "
                         "are 'label index:value ...')", path, line);
            break;
        }
        size_t last = 0;
        p = end;
        for (;;) {
            while (*p == ' ' || *p == '\t' || *p == '\r')
                p++;
            if (!*p || *p == '#')
                break;
            errno = 0;
            long long idx = strtoll(p, &end, 10);
            if (end == p || *end != ':' || errno || idx < 1 || idx > 100000000) {
                st = sb_fail(err, SB_EUSAGE, "%s:%zu: expected 'index:value' with an index "
                             "of at least 1 near '%.20s'", path, line, p);
                break;
            }
            if ((size_t)idx <= last) {
                st = sb_fail(err, SB_EUSAGE, "%s:%zu: feature indices must increase (%lld "
                             "after %zu)", path, line, idx, last);
                break;
            }
            p = end + 1;
            double v;
            if (!parse_num(p, &end, &v) ||
                (*end && *end != ' ' && *end != '\t' && *end != '\r')) {
                st = sb_fail(err, SB_EUSAGE, "%s:%zu: feature %lld has no finite value",
                             path, line, idx);
                break;
            }
            p = end;
            last = (size_t)idx;
            if (last > d)
                d = last;
            entry e = {lab.n, last - 1, v};
            if (grow_push(&ent, &e)) {
                st = sb_fail(err, SB_ERUNTIME, "%s: out of memory", path);
                break;
            }
        }
        if (st == SB_OK && grow_push(&lab, &y))
            st = sb_fail(err, SB_ERUNTIME, "%s: out of memory", path);
    }
    free(text);
    if (st == SB_OK && lab.n == 0)
        st = sb_fail(err, SB_EUSAGE, "%s: no data rows", path);
    if (st == SB_OK && d == 0)
        st = sb_fail(err, SB_EUSAGE, "%s: no features", path);
    if (st == SB_OK) {
        ds->n = lab.n;
        ds->d = d;
        ds->X = calloc(ds->n * d, sizeof *ds->X);
        ds->y = malloc(ds->n * sizeof *ds->y);
        if (!ds->X || !ds->y)
            st = sb_fail(err, SB_ERUNTIME, "%s: out of memory for %zu x %zu", path, ds->n, d);
    }
    if (st == SB_OK) {
        const entry *e = ent.p;
        for (size_t k = 0; k < ent.n; k++)
            ds->X[e[k].row * d + e[k].col] = (float)e[k].v;
        st = map_labels(path, lab.p, lab.n, ds->y, err);
    }
    free(ent.p);
    free(lab.p);
    if (st != SB_OK)
        sb_dataset_free(ds);
    return st;
}

int sb_dataset_read_csv(const char *path, int label_col, sb_dataset *ds, sb_err *err)
{
    memset(ds, 0, sizeof *ds);
    char *text;
    size_t len;
    if (sb_read_file(path, &text, &len, err) != SB_OK)
        return sb_wrap(err, "data");
    grow vals = {NULL, 0, 0, sizeof(double)};
    size_t line = 0, cols = 0, rows = 0;
    int st = SB_OK, had_header = 0;
    char *cur = text;
    for (char *ln = sb_next_line(&cur); ln && st == SB_OK; ln = sb_next_line(&cur)) {
        line++;
        char *p = ln, *end;
        while (*p == ' ' || *p == '\t' || *p == '\r')
            p++;
        if (!*p || *p == '#')
            continue;
        size_t c = 0, start = vals.n;
        for (;;) {
            double v;
            if (!parse_num(p, &end, &v)) {
                if (rows == 0 && start == vals.n && c == 0)
                    goto header; /* a first line that is not numeric: a header */
                st = sb_fail(err, SB_EUSAGE, "%s:%zu: column %zu is not a finite number",
                             path, line, c + 1);
                break;
            }
            if (grow_push(&vals, &v)) {
                st = sb_fail(err, SB_ERUNTIME, "%s: out of memory", path);
                break;
            }
            c++;
            p = end;
            while (*p == ' ' || *p == '\t' || *p == '\r')
                p++;
            if (!*p)
                break;
            if (*p != ',') {
                st = sb_fail(err, SB_EUSAGE, "%s:%zu: expected ',' after column %zu", path,
                             line, c);
                break;
            }
            p++;
        }
        if (st != SB_OK)
            break;
        if (rows == 0)
            cols = c;
        else if (c != cols) {
            st = sb_fail(err, SB_EUSAGE, "%s:%zu: %zu columns, the first row has %zu", path,
                         line, c, cols);
            break;
        }
        rows++;
        continue;
    header:
        if (had_header++) {
            st = sb_fail(err, SB_EUSAGE, "%s:%zu: column 1 is not a finite number", path,
                         line);
            break;
        }
    }
    free(text);
    if (st == SB_OK && rows == 0)
        st = sb_fail(err, SB_EUSAGE, "%s: no data rows", path);
    if (st == SB_OK && cols < 2)
        st = sb_fail(err, SB_EUSAGE, "%s: needs a label column and at least one feature",
                     path);
    if (st == SB_OK && (size_t)label_col >= cols)
        st = sb_fail(err, SB_EUSAGE, "%s: --label-col %d but rows have %zu columns "
                     "(0-based)", path, label_col, cols);
    double *raw = NULL;
    if (st == SB_OK) {
        ds->n = rows;
        ds->d = cols - 1;
        ds->X = malloc(rows * ds->d * sizeof *ds->X);
        ds->y = malloc(rows * sizeof *ds->y);
        raw = malloc(rows * sizeof *raw);
        if (!ds->X || !ds->y || !raw)
            st = sb_fail(err, SB_ERUNTIME, "%s: out of memory", path);
    }
    if (st == SB_OK) {
        const double *v = vals.p;
        for (size_t i = 0; i < rows; i++)
            for (size_t c = 0, j = 0; c < cols; c++) {
                if (c == (size_t)label_col)
                    raw[i] = v[i * cols + c];
                else
                    ds->X[i * ds->d + j++] = (float)v[i * cols + c];
            }
        st = map_labels(path, raw, rows, ds->y, err);
    }
    free(raw);
    free(vals.p);
    if (st != SB_OK)
        sb_dataset_free(ds);
    return st;
}

int sb_dataset_read(const char *path, const char *format, int label_col, sb_dataset *ds,
                    sb_err *err)
{
    size_t n = strlen(path);
    int csv = format ? !strcmp(format, "csv") : (n >= 4 && !strcasecmp(path + n - 4, ".csv"));
    return csv ? sb_dataset_read_csv(path, label_col, ds, err)
               : sb_dataset_read_libsvm(path, ds, err);
}

int sb_dataset_synthetic(size_t n, size_t d, uint64_t seed, double noise, sb_dataset *ds,
                         sb_err *err)
{
    memset(ds, 0, sizeof *ds);
    if (n == 0 || d == 0)
        return sb_fail(err, SB_EUSAGE, "synthetic data: n and d must be at least 1");
    if (n > ((size_t)1 << 40) / d)
        return sb_fail(err, SB_EUSAGE, "synthetic data: n x d = %zu x %zu is too large", n, d);
    ds->X = malloc(n * d * sizeof *ds->X);
    ds->y = malloc(n * sizeof *ds->y);
    double *w = malloc(d * sizeof *w), *row = malloc(d * sizeof *row),
           *flip = malloc(n * sizeof *flip);
    if (!ds->X || !ds->y || !w || !row || !flip) {
        free(w);
        free(row);
        free(flip);
        sb_dataset_free(ds);
        return sb_fail(err, SB_ERUNTIME, "synthetic data: out of memory for %zu x %zu", n, d);
    }
    ds->n = n;
    ds->d = d;
    sb_normals(seed, SB_STREAM_DATA, 1, d, w);
    sb_uniforms(seed, SB_STREAM_LABEL, 0, n, 0.0, 1.0, flip);
    /* Row i is elements [i d, (i + 1) d) of one stream: generated row by row through the
     * step word so that rows never overlap (step 2 + i). */
    for (size_t i = 0; i < n; i++) {
        sb_normals(seed, SB_STREAM_DATA, 2 + (uint64_t)i, d, row);
        double m = 0.0;
        for (size_t j = 0; j < d; j++) {
            ds->X[i * d + j] = (float)row[j];
            m += (double)ds->X[i * d + j] * w[j];
        }
        float y = m >= 0.0 ? 1.0f : -1.0f;
        ds->y[i] = flip[i] < noise ? -y : y;
    }
    free(w);
    free(row);
    free(flip);
    return SB_OK;
}

int sb_dataset_split(sb_dataset *train, double frac, uint64_t seed, sb_dataset *test,
                     sb_err *err)
{
    memset(test, 0, sizeof *test);
    size_t n = train->n, d = train->d, nt = (size_t)llround(frac * (double)n);
    if (nt == 0)
        return SB_OK;
    if (nt >= n)
        return sb_fail(err, SB_EUSAGE, "--test-split %g leaves no training rows (n = %zu)",
                       frac, n);
    size_t *perm = malloc(n * sizeof *perm);
    double *u = malloc(n * sizeof *u);
    float *X = malloc(n * d * sizeof *X), *y = malloc(n * sizeof *y);
    test->X = malloc(nt * d * sizeof *test->X);
    test->y = malloc(nt * sizeof *test->y);
    if (!perm || !u || !X || !y || !test->X || !test->y) {
        free(perm);
        free(u);
        free(X);
        free(y);
        sb_dataset_free(test);
        return sb_fail(err, SB_ERUNTIME, "--test-split: out of memory");
    }
    /* Fisher-Yates with Philox uniforms (stream SB_STREAM_LABEL, step 1). */
    sb_uniforms(seed, SB_STREAM_LABEL, 1, n, 0.0, 1.0, u);
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = (size_t)(u[i] * (double)(i + 1));
        if (j > i)
            j = i;
        size_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    /* Keep the original order inside each part: test = rows whose position < nt. */
    char *is_test = calloc(n, 1);
    if (!is_test) {
        free(perm);
        free(u);
        free(X);
        free(y);
        sb_dataset_free(test);
        return sb_fail(err, SB_ERUNTIME, "--test-split: out of memory");
    }
    for (size_t k = 0; k < nt; k++)
        is_test[perm[k]] = 1;
    size_t a = 0, b = 0;
    for (size_t i = 0; i < n; i++) {
        if (is_test[i]) {
            memcpy(test->X + b * d, train->X + i * d, d * sizeof *X);
            test->y[b++] = train->y[i];
        } else {
            memcpy(X + a * d, train->X + i * d, d * sizeof *X);
            y[a++] = train->y[i];
        }
    }
    free(is_test);
    free(perm);
    free(u);
    free(train->X);
    free(train->y);
    train->X = X;
    train->y = y;
    train->n = a;
    test->n = b;
    test->d = d;
    return SB_OK;
}

void sb_dataset_standardize(sb_dataset *train, sb_dataset *test)
{
    size_t n = train->n, d = train->d;
    for (size_t j = 0; j < d; j++) {
        double m = 0.0, v = 0.0;
        for (size_t i = 0; i < n; i++)
            m += train->X[i * d + j];
        m /= (double)n;
        for (size_t i = 0; i < n; i++) {
            double t = train->X[i * d + j] - m;
            v += t * t;
        }
        double sd = sqrt(v / (double)n), s = sd > 0.0 ? 1.0 / sd : 1.0;
        for (size_t i = 0; i < n; i++)
            train->X[i * d + j] = (float)((train->X[i * d + j] - m) * s);
        if (test)
            for (size_t i = 0; i < test->n; i++)
                test->X[i * d + j] = (float)((test->X[i * d + j] - m) * s);
    }
}

int sb_dataset_add_bias(sb_dataset *ds, sb_err *err)
{
    size_t n = ds->n, d = ds->d;
    float *X = malloc((n ? n : 1) * (d + 1) * sizeof *X);
    if (!X)
        return sb_fail(err, SB_ERUNTIME, "--bias: out of memory");
    for (size_t i = 0; i < n; i++) {
        memcpy(X + i * (d + 1), ds->X + i * d, d * sizeof *X);
        X[i * (d + 1) + d] = 1.0f;
    }
    free(ds->X);
    ds->X = X;
    ds->d = d + 1;
    return SB_OK;
}

int sb_dataset_write_libsvm(const sb_dataset *ds, const char *path, sb_err *err)
{
    size_t cap = ds->n * (ds->d * 20 + 8) + 1, len = 0;
    char *buf = malloc(cap);
    if (!buf)
        return sb_fail(err, SB_ERUNTIME, "%s: out of memory", path);
    for (size_t i = 0; i < ds->n; i++) {
        len += (size_t)snprintf(buf + len, cap - len, "%+d", ds->y[i] > 0 ? 1 : -1);
        for (size_t j = 0; j < ds->d; j++)
            if (ds->X[i * ds->d + j] != 0.0f)
                len += (size_t)snprintf(buf + len, cap - len, " %zu:%.9g", j + 1,
                                        (double)ds->X[i * ds->d + j]);
        len += (size_t)snprintf(buf + len, cap - len, "\n");
    }
    int st = sb_write_file(path, buf, len, err);
    free(buf);
    return st;
}
