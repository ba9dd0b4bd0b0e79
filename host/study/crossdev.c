/* crossdev.c - cross-device consistency: the same seeded result files written on two
 * devices, compared cell by cell (exact, else absolute, relative and float32 ulp). */
#define _POSIX_C_SOURCE 200809L
#include "crossdev.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/* Distance of two floats in units in the last place (ordered bit patterns). */
static double ulp_distance(float a, float b)
{
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b) ? 0 : INFINITY;
    int32_t ia, ib;
    memcpy(&ia, &a, 4);
    memcpy(&ib, &b, 4);
    int64_t oa = ia < 0 ? (int64_t)INT32_MIN - ia : ia,
            ob = ib < 0 ? (int64_t)INT32_MIN - ib : ib;
    return (double)llabs(oa - ob);
}

/* Next cell of a CSV line (no quoting in signbench's files); NULL at the end. */
static char *cell(char **p)
{
    if (!*p)
        return NULL;
    char *s = *p, *c = strchr(s, ',');
    if (c) {
        *c = '\0';
        *p = c + 1;
    } else {
        s[strcspn(s, "\r\n")] = '\0';
        *p = NULL;
    }
    return s;
}

static int parse_num(const char *s, double *v)
{
    char *end;
    if (!*s)
        return 0;
    *v = strtod(s, &end);
    return *end == '\0';
}

static void diff_cell(const char *x, const char *y, sb_csv_diff *d)
{
    d->cells++;
    if (!strcmp(x, y))
        return;
    d->differing++;
    double a, b;
    if (!parse_num(x, &a) || !parse_num(y, &b)) {
        d->text_differing++;
        return;
    }
    if (a == b || (isnan(a) && isnan(b)))
        return; /* the same number written differently */
    double abs = fabs(a - b), big = fmax(fabs(a), fabs(b));
    d->max_abs = fmax(d->max_abs, isnan(abs) ? INFINITY : abs);
    d->max_rel = fmax(d->max_rel, big > 0 ? abs / big : 0);
    d->max_ulp = fmax(d->max_ulp, ulp_distance((float)a, (float)b));
}

static int skipped(const char *name, const char *const *skip)
{
    for (int i = 0; skip && skip[i]; i++)
        if (!strcmp(name, skip[i]))
            return 1;
    return 0;
}

int sb_csv_diff_files(const char *a, const char *b, const char *const *skip,
                      sb_csv_diff *out, sb_err *err)
{
    memset(out, 0, sizeof *out);
    FILE *fa = fopen(a, "r"), *fb = fopen(b, "r");
    if (!fa || !fb) {
        if (fa)
            fclose(fa);
        if (fb)
            fclose(fb);
        return sb_fail(err, SB_EUSAGE, "cannot read %s", fa ? b : a);
    }
    enum { MAXC = 256 };
    char la[8192], lb[8192];
    int skipcol[MAXC] = {0}, ncols = 0, line = 0;
    while (1) {
        char *ra = fgets(la, sizeof la, fa), *rb = fgets(lb, sizeof lb, fb);
        if (!ra || !rb) {
            out->shape_differs |= (ra != NULL) != (rb != NULL);
            break;
        }
        char *pa = la, *pb = lb, *x, *y;
        int col = 0;
        if (line == 0) {
            out->shape_differs |= strcmp(la, lb) != 0;
            for (; (x = cell(&pa)) && col < MAXC; col++)
                skipcol[col] = skipped(x, skip);
            ncols = col;
        } else {
            out->rows++;
            for (; (x = cell(&pa)), (y = cell(&pb)), x || y; col++) {
                if (!x || !y) {
                    out->shape_differs = 1;
                    break;
                }
                if (col >= ncols || !skipcol[col])
                    diff_cell(x, y, out);
            }
        }
        line++;
    }
    fclose(fa);
    fclose(fb);
    return SB_OK;
}

cJSON *sb_csv_diff_json(const char *file, const char *device, const sb_csv_diff *d)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "file", file);
    cJSON_AddStringToObject(o, "device", device);
    cJSON_AddNumberToObject(o, "rows", (double)d->rows);
    cJSON_AddNumberToObject(o, "cells", (double)d->cells);
    cJSON_AddNumberToObject(o, "differing", (double)d->differing);
    cJSON_AddNumberToObject(o, "text_differing", (double)d->text_differing);
    cJSON_AddBoolToObject(o, "shape_differs", d->shape_differs);
    cJSON_AddBoolToObject(o, "exact", !d->differing && !d->shape_differs);
    sb_json_num_or_null(o, "max_abs", d->max_abs);
    sb_json_num_or_null(o, "max_rel", d->max_rel);
    sb_json_num_or_null(o, "max_ulp", d->max_ulp);
    return o;
}

/* ---- a suite run on several devices ------------------------------------------------ */

static int add_pair(cJSON *list, const char *dir, const char *sub, const char *rel,
                    const char *device, const char *const *skip)
{
    char a[1400], b[1400];
    snprintf(a, sizeof a, "%s/%s", dir, rel);
    snprintf(b, sizeof b, "%s/%s/%s", dir, sub, rel);
    FILE *fa = fopen(a, "r"), *fb = fopen(b, "r");
    int both = fa && fb;
    if (fa)
        fclose(fa);
    if (fb)
        fclose(fb);
    if (!both)
        return 0; /* that step did not run (or failed) on one of them */
    sb_csv_diff d;
    sb_err e;
    if (sb_csv_diff_files(a, b, skip, &d, &e) != SB_OK)
        return 0;
    cJSON_AddItemToArray(list, sb_csv_diff_json(rel, device, &d));
    return 1;
}

int sb_crossdev_write(const char *dir, const sb_crossdev_dev *devs, int n, sb_err *err)
{
    static const char *const files[] = {"train/train-sgd.csv",
                                        "train/train-signsgd.csv",
                                        "train/train-signum.csv",
                                        "train/train-adam.csv",
                                        "tube/trajectories.csv",
                                        "tube/traces.csv",
                                        NULL};
    static const char *const skip[] = {"elapsed", NULL};
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return sb_fail(err, SB_ERUNTIME, "out of memory");
    cJSON_AddStringToObject(root, "schema", "signbench-cross-device");
    cJSON_AddNumberToObject(root, "version", 1);
    cJSON *jd = cJSON_AddArrayToObject(root, "devices");
    cJSON *cmp = cJSON_AddArrayToObject(root, "comparisons");
    for (int k = 0; k < n; k++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "index", devs[k].index);
        cJSON_AddStringToObject(o, "name", devs[k].name);
        cJSON_AddStringToObject(o, "dir", devs[k].dir);
        cJSON_AddItemToArray(jd, o);
        for (int f = 0; k > 0 && files[f]; f++)
            add_pair(cmp, dir, devs[k].dir, files[f], devs[k].index, skip);
    }
    char path[1200];
    snprintf(path, sizeof path, "%s/cross_device.json", dir);
    int st = sb_json_save(path, root, err);
    cJSON_Delete(root);
    return st;
}
