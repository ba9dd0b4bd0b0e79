/* micro_opts.c - `signbench micro`'s list options as the engine takes them (micro.h):
 * kernel names, sizes and size ranges, work-group sizes. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "micro.h"
#include "parse.h"

/* Calls item on each item of the comma list LIST (on a copy, which item may cut up),
 * stopping at the first failure. */
static int each_item(const char *list, int (*item)(char *t, sb_micro_opts *mo, sb_err *err),
                     sb_micro_opts *mo, sb_err *err)
{
    char *copy = strdup(list);
    if (!copy)
        return sb_fail(err, SB_ERUNTIME, "out of memory");
    int st = SB_OK;
    for (char *save = NULL, *t = strtok_r(copy, ",", &save); t && st == SB_OK;
         t = strtok_r(NULL, ",", &save))
        st = item(t, mo, err);
    free(copy);
    return st;
}

static int kernel_item(char *t, sb_micro_opts *mo, sb_err *err)
{
    int n_all;
    const sb_micro_kernel *all_kernels = sb_micro_kernels(&n_all);
    if (!strcmp(t, "all")) {
        for (int i = 0; i < n_all; i++)
            mo->selected[i] = 1;
        return SB_OK;
    }
    const sb_micro_kernel *k = sb_micro_find_kernel(t);
    if (!k) {
        char names[1024] = "";
        for (int i = 0; i < n_all; i++) {
            strncat(names, i ? ", " : "", sizeof names - strlen(names) - 1);
            strncat(names, all_kernels[i].name, sizeof names - strlen(names) - 1);
        }
        return sb_fail(err, SB_EUSAGE, "micro: --kernels: unknown kernel '%s' (valid: %s)",
                       t, names);
    }
    mo->selected[k - all_kernels] = 1;
    return SB_OK;
}

int sb_micro_parse_kernels(const char *list, sb_micro_opts *mo, sb_err *err)
{
    int n_all;
    sb_micro_kernels(&n_all);
    memset(mo->selected, 0, sizeof mo->selected);
    int st = each_item(list, kernel_item, mo, err), any = 0;
    for (int i = 0; i < n_all; i++)
        any |= mo->selected[i];
    if (st == SB_OK && !any)
        st = sb_fail(err, SB_EUSAGE, "micro: --kernels: empty list");
    return st;
}

static int add_size(sb_micro_opts *mo, size_t n, sb_err *err)
{
    for (int i = 0; i < mo->nsizes; i++)
        if (mo->sizes[i] == n)
            return SB_OK;
    if (mo->nsizes == SB_MICRO_MAX_SIZES)
        return sb_fail(err, SB_EUSAGE, "micro: --sizes: more than %d sizes",
                       SB_MICRO_MAX_SIZES);
    mo->sizes[mo->nsizes++] = n;
    return SB_OK;
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

/* "4K,1M,64M" or "1K..256M" (x4 steps, HI included) or a mix of both. */
static int size_item(char *t, sb_micro_opts *mo, sb_err *err)
{
    char *dots = strstr(t, "..");
    int st;
    if (!dots) {
        size_t n;
        st = sb_parse_size("micro: --sizes", t, &n, err);
        if (st == SB_OK)
            st = add_size(mo, n, err);
        return st;
    }
    *dots = '\0';
    size_t lo, hi;
    if ((st = sb_parse_size("micro: --sizes (range start)", t, &lo, err)) != SB_OK ||
        (st = sb_parse_size("micro: --sizes (range end)", dots + 2, &hi, err)) != SB_OK)
        return st;
    if (lo > hi)
        return sb_fail(err, SB_EUSAGE, "micro: --sizes: range %s..%s runs backwards", t,
                       dots + 2);
    for (size_t n = lo; n < hi && st == SB_OK; n *= 4)
        st = add_size(mo, n, err);
    if (st == SB_OK)
        st = add_size(mo, hi, err);
    return st;
}

int sb_micro_parse_sizes(const char *list, sb_micro_opts *mo, sb_err *err)
{
    mo->nsizes = 0;
    int st = each_item(list, size_item, mo, err);
    if (st == SB_OK && mo->nsizes == 0)
        st = sb_fail(err, SB_EUSAGE, "micro: --sizes: empty list");
    if (st == SB_OK)
        qsort(mo->sizes, (size_t)mo->nsizes, sizeof mo->sizes[0], cmp_size);
    return st;
}

static int local_item(char *t, sb_micro_opts *mo, sb_err *err)
{
    long v;
    int st = sb_parse_long("micro: --local-size", t, 1, 65536, &v, err);
    if (st)
        return st;
    /* The reductions halve their work-group in a tree: powers of two only. */
    if (v & (v - 1))
        return sb_fail(err, SB_EUSAGE, "micro: --local-size %ld: must be a power of two",
                       v);
    if (mo->nlocals == SB_MICRO_MAX_LOCALS)
        return sb_fail(err, SB_EUSAGE, "micro: --local-size: more than %d values",
                       SB_MICRO_MAX_LOCALS);
    mo->locals[mo->nlocals++] = (size_t)v;
    return SB_OK;
}

int sb_micro_parse_locals(const char *list, sb_micro_opts *mo, sb_err *err)
{
    mo->nlocals = 0;
    int st = each_item(list, local_item, mo, err);
    if (st == SB_OK && mo->nlocals == 0)
        st = sb_fail(err, SB_EUSAGE, "micro: --local-size: empty list");
    return st;
}
