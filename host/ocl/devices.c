/* devices.c - naming and selecting OpenCL devices: one enumeration per process, --device
 * specs and lists, the one way every command opens a device (sb_ctx_open), and the
 * per-device --kernel-binary files. */
#define _POSIX_C_SOURCE 200809L
#include "devices.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ocl.h"

static int contains_nocase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (!strncasecmp(hay, needle, n))
            return 1;
    return n == 0;
}

/* ---- selection ------------------------------------------------------------- */

int sb_devspec_parse(const char *s, sb_devspec *out, sb_err *err)
{
    memset(out, 0, sizeof *out);
    out->kind = SB_SEL_DEFAULT;
    if (!s || !*s)
        return SB_OK;
    if (!strcasecmp(s, "cpu") || !strcasecmp(s, "gpu") || !strcasecmp(s, "accel") ||
        !strcasecmp(s, "accelerator")) {
        out->kind = SB_SEL_TYPE;
        out->type = !strcasecmp(s, "cpu")   ? CL_DEVICE_TYPE_CPU
                    : !strcasecmp(s, "gpu") ? CL_DEVICE_TYPE_GPU
                                            : CL_DEVICE_TYPE_ACCELERATOR;
        return SB_OK;
    }
    const char *colon = strchr(s, ':');
    if (colon && colon != s && colon[1]) {
        int digits = 1;
        for (const char *p = s; *p; p++)
            if (p != colon && !isdigit((unsigned char)*p))
                digits = 0;
        if (digits) {
            char *end;
            long p = strtol(s, &end, 10), d = strtol(colon + 1, &end, 10);
            if (p > 1000 || d > 1000)
                return sb_fail(err, SB_EUSAGE, "device index '%s' is out of range", s);
            out->kind = SB_SEL_INDEX;
            out->platform = (int)p;
            out->device = (int)d;
            return SB_OK;
        }
    }
    if (strlen(s) >= sizeof out->name)
        return sb_fail(err, SB_EUSAGE, "device name '%.40s...' is too long", s);
    out->kind = SB_SEL_NAME;
    strcpy(out->name, s);
    return SB_OK;
}

int sb_devspec_select(const char *opt, sb_devspec *out, sb_err *err)
{
    const char *from = "--device ", *sel = opt;
    if (!sel || !*sel) {
        sel = getenv("SIGNBENCH_DEVICE");
        from = "SIGNBENCH_DEVICE=";
    }
    if (sb_devspec_parse(sel, out, err) != SB_OK)
        return sb_wrap(err, "%s%.60s", from, sel);
    out->from = from;
    return SB_OK;
}

static int first_of_type(const sb_devref *list, int n, cl_device_type t)
{
    for (int i = 0; i < n; i++)
        if (list[i].type & t)
            return i;
    return -1;
}

int sb_devspec_match(const sb_devspec *spec, const sb_devref *list, int n, sb_err *err)
{
    int found = -1;
    if (n == 0) {
        sb_fail(err, SB_ERUNTIME,
                "no OpenCL device found (install an ICD such as pocl-opencl-icd; "
                "`bench/setup` does)");
        return -1;
    }
    switch (spec->kind) {
    case SB_SEL_DEFAULT:
        found = first_of_type(list, n, CL_DEVICE_TYPE_GPU);
        if (found < 0)
            found = first_of_type(list, n, CL_DEVICE_TYPE_ACCELERATOR);
        if (found < 0)
            found = first_of_type(list, n, CL_DEVICE_TYPE_CPU);
        if (found < 0)
            found = 0;
        return found;
    case SB_SEL_TYPE: found = first_of_type(list, n, spec->type); break;
    case SB_SEL_INDEX:
        for (int i = 0; i < n; i++)
            if (list[i].platform == spec->platform && list[i].device == spec->device)
                found = i;
        break;
    case SB_SEL_NAME:
        for (int i = 0; i < n && found < 0; i++)
            if (contains_nocase(list[i].name, spec->name))
                found = i;
        break;
    }
    if (found >= 0)
        return found;
    char avail[768] = "";
    size_t len = 0;
    for (int i = 0; i < n && len + 80 < sizeof avail; i++)
        len +=
            (size_t)snprintf(avail + len, sizeof avail - len, "%s%d:%d %s", i ? ", " : "",
                             list[i].platform, list[i].device, list[i].name);
    const char *what = spec->kind == SB_SEL_TYPE    ? "no device of that type"
                       : spec->kind == SB_SEL_INDEX ? "no device at that index"
                                                    : "no device name contains it";
    char shown[64];
    if (spec->kind == SB_SEL_INDEX)
        snprintf(shown, sizeof shown, "%d:%d", spec->platform, spec->device);
    else if (spec->kind == SB_SEL_TYPE)
        snprintf(shown, sizeof shown, "%s",
                 spec->type == CL_DEVICE_TYPE_CPU   ? "cpu"
                 : spec->type == CL_DEVICE_TYPE_GPU ? "gpu"
                                                    : "accel");
    else
        snprintf(shown, sizeof shown, "%.60s", spec->name);
    sb_fail(err, SB_EUSAGE, "%s%s: %s; available: %s",
            spec->from ? spec->from : "--device ", shown, what, avail);
    return -1;
}

static int enumerate(sb_devref **out, int *n, sb_err *err)
{
    cl_uint np = 0;
    *out = NULL;
    *n = 0;
    cl_int rc = clGetPlatformIDs(0, NULL, &np);
    if (rc == CL_PLATFORM_NOT_FOUND_KHR || np == 0)
        return SB_OK;
    if (SB_CLFAIL(rc, err, "clGetPlatformIDs"))
        return err->code;
    cl_platform_id *plats = calloc(np, sizeof *plats);
    if (!plats)
        return sb_fail(err, SB_ERUNTIME, "out of memory");
    clGetPlatformIDs(np, plats, NULL);
    int cap = 0, count = 0;
    sb_devref *list = NULL;
    for (cl_uint p = 0; p < np; p++) {
        cl_uint nd = 0;
        if (clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, 0, NULL, &nd) != CL_SUCCESS)
            continue;
        cl_device_id *devs = calloc(nd, sizeof *devs);
        if (!devs)
            continue;
        clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, nd, devs, NULL);
        for (cl_uint d = 0; d < nd; d++) {
            if (count == cap) {
                cap = cap ? 2 * cap : 8;
                sb_devref *nl = realloc(list, (size_t)cap * sizeof *nl);
                if (!nl)
                    break;
                list = nl;
            }
            sb_devref *r = &list[count++];
            memset(r, 0, sizeof *r);
            r->platform = (int)p;
            r->device = (int)d;
            r->pid = plats[p];
            r->did = devs[d];
            clGetDeviceInfo(devs[d], CL_DEVICE_TYPE, sizeof r->type, &r->type, NULL);
            clGetDeviceInfo(devs[d], CL_DEVICE_NAME, sizeof r->name - 1, r->name, NULL);
            clGetPlatformInfo(plats[p], CL_PLATFORM_NAME, sizeof r->platform_name - 1,
                              r->platform_name, NULL);
        }
        free(devs);
    }
    free(plats);
    *out = list;
    *n = count;
    return SB_OK;
}

/* ---- one enumeration per process ------------------------------------------------ */

static pthread_mutex_t all_lock = PTHREAD_MUTEX_INITIALIZER;
static sb_devref *all_list;
static int all_n, all_done;

int sb_devices_all(const sb_devref **out, int *n, sb_err *err)
{
    int st = SB_OK;
    pthread_mutex_lock(&all_lock);
    if (!all_done) {
        st = enumerate(&all_list, &all_n, err);
        all_done = st == SB_OK;
    }
    pthread_mutex_unlock(&all_lock);
    *out = all_list;
    *n = all_done ? all_n : 0;
    return st;
}

int sb_devices_list(sb_devref **out, int *n, sb_err *err)
{
    const sb_devref *all;
    *out = NULL;
    if (sb_devices_all(&all, n, err) != SB_OK)
        return err->code;
    if (*n == 0)
        return SB_OK;
    *out = malloc((size_t)*n * sizeof **out);
    if (!*out)
        return sb_fail(err, SB_ERUNTIME, "out of memory");
    memcpy(*out, all, (size_t)*n * sizeof **out);
    return SB_OK;
}

/* ---- device lists ----------------------------------------------------------------- */

const char *sb_devref_index(const sb_devref *d, char *buf, size_t cap)
{
    snprintf(buf, cap, "%d:%d", d->platform, d->device);
    return buf;
}

int sb_devset_match(const char *sel, const char *from, const sb_devref *list, int n,
                    sb_devset *out, sb_err *err)
{
    memset(out, 0, sizeof *out);
    out->from = from ? from : "--device ";
    sel = sel ? sel : "";
    if (!strcasecmp(sel, "all")) {
        if (n == 0)
            return sb_fail(err, SB_ERUNTIME, "%sall: no OpenCL device found", out->from);
        if (n > SB_MAX_DEVICES)
            return sb_fail(err, SB_EUSAGE, "%sall: %d devices, at most %d in one run",
                           out->from, n, SB_MAX_DEVICES);
        for (int i = 0; i < n; i++)
            out->dev[out->n++] = list[i];
        return SB_OK;
    }
    char buf[1024];
    if (strlen(sel) >= sizeof buf)
        return sb_fail(err, SB_EUSAGE, "%s%.40s...: list too long", out->from, sel);
    snprintf(buf, sizeof buf, "%s", sel);
    int items = 0;
    for (char *p = buf, *q; p; p = q) {
        q = strchr(p, ',');
        if (q)
            *q++ = '\0';
        if (!*p && (q || items))
            return sb_fail(err, SB_EUSAGE, "%s%s: empty entry in the device list",
                           out->from, sel);
        if (!strcasecmp(p, "all"))
            return sb_fail(err, SB_EUSAGE, "%s%s: 'all' stands alone, not in a list",
                           out->from, sel);
        sb_devspec spec;
        if (sb_devspec_parse(p, &spec, err) != SB_OK)
            return sb_wrap(err, "%s%.60s", out->from, sel);
        spec.from = out->from;
        int idx = sb_devspec_match(&spec, list, n, err);
        if (idx < 0)
            return err->code;
        for (int k = 0; k < out->n; k++)
            if (out->dev[k].platform == list[idx].platform &&
                out->dev[k].device == list[idx].device)
                return sb_fail(err, SB_EUSAGE, "%s%s: device %d:%d (%s) is named twice",
                               out->from, sel, list[idx].platform, list[idx].device,
                               list[idx].name);
        if (out->n == SB_MAX_DEVICES)
            return sb_fail(err, SB_EUSAGE, "%s%.60s: at most %d devices in one run",
                           out->from, sel, SB_MAX_DEVICES);
        out->dev[out->n++] = list[idx];
        items++;
    }
    return SB_OK;
}

int sb_devset_resolve(const char *opt, sb_devset *out, sb_err *err)
{
    const char *from = "--device ", *sel = opt;
    if (!sel || !*sel) {
        sel = getenv("SIGNBENCH_DEVICE");
        from = "SIGNBENCH_DEVICE=";
    }
    const sb_devref *list;
    int n;
    if (sb_devices_all(&list, &n, err) != SB_OK)
        return err->code;
    return sb_devset_match(sel, from, list, n, out, err);
}

/* ---- the one device-open path ------------------------------------------------------ */

int sb_ctx_open(sb_ctx *c, const sb_opts *o, sb_err *err)
{
    memset(c, 0, sizeof *c);
    sb_devset set;
    if (sb_devset_resolve(o ? o->device : NULL, &set, err) != SB_OK)
        return err->code;
    if (set.n != 1)
        return sb_fail(err, SB_EUSAGE,
                       "%s%s names %d devices; this command runs on one (devices, micro "
                       "and suite take a list, train takes --worker-devices)",
                       set.from, o && o->device ? o->device : getenv("SIGNBENCH_DEVICE"),
                       set.n);
    return sb_ctx_open_dev(c, &set.dev[0], o, err);
}

/* ---- per-device kernel binaries ------------------------------------------------------ */

int sb_kernel_binary_is_list(const char *spec)
{
    if (!spec)
        return 0;
    const char *eq = strchr(spec, '=');
    /* D=FILE: the part before '=' names a device (no path separator in it). */
    return eq && eq != spec && !memchr(spec, '/', (size_t)(eq - spec));
}

int sb_kernel_binary_for(const char *spec, const sb_devref *d, const sb_devref *list, int n,
                         char *out, size_t cap, sb_err *err)
{
    char buf[4096];
    if (strlen(spec) >= sizeof buf)
        return sb_fail(err, SB_EUSAGE, "--kernel-binary: list too long");
    snprintf(buf, sizeof buf, "%s", spec);
    int found = 0;
    int seen[SB_MAX_DEVICES];
    int nseen = 0;
    for (char *p = buf, *q; p; p = q) {
        q = strchr(p, ',');
        if (q)
            *q++ = '\0';
        char *eq = strchr(p, '=');
        if (!eq || eq == p || !eq[1])
            return sb_fail(err, SB_EUSAGE, "--kernel-binary %s: entry '%s' is not D=FILE",
                           spec, p);
        *eq = '\0';
        sb_devspec s;
        if (sb_devspec_parse(p, &s, err) != SB_OK)
            return sb_wrap(err, "--kernel-binary");
        s.from = "--kernel-binary ";
        int idx = sb_devspec_match(&s, list, n, err);
        if (idx < 0)
            return err->code;
        for (int k = 0; k < nseen; k++)
            if (seen[k] == idx)
                return sb_fail(err, SB_EUSAGE,
                               "--kernel-binary: device %d:%d (%s) has two "
                               "files",
                               list[idx].platform, list[idx].device, list[idx].name);
        if (nseen < SB_MAX_DEVICES)
            seen[nseen++] = idx;
        if (list[idx].platform == d->platform && list[idx].device == d->device) {
            snprintf(out, cap, "%s", eq + 1);
            found = 1;
        }
    }
    if (!found)
        return sb_fail(err, SB_EUSAGE,
                       "--kernel-binary names no file for device %d:%d (%s); "
                       "give D=FILE for every device of the run",
                       d->platform, d->device, d->name);
    return SB_OK;
}
