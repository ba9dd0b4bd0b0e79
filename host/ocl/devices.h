/* devices.h - naming and selecting OpenCL devices: one enumeration per process, --device
 * specs and lists ("0:0,0:1", "all"), and per-device --kernel-binary files (D=FILE). */
#ifndef SB_DEVICES_H
#define SB_DEVICES_H

#include "devref.h"
#include "sb.h"

typedef enum { SB_SEL_DEFAULT, SB_SEL_TYPE, SB_SEL_INDEX, SB_SEL_NAME } sb_sel_kind;

typedef struct sb_devspec {
    sb_sel_kind kind;
    cl_device_type type;  /* SB_SEL_TYPE */
    int platform, device; /* SB_SEL_INDEX */
    char name[128];       /* SB_SEL_NAME: case-insensitive substring */
    const char *from;     /* where it came from, for messages: "--device " (also when
                             NULL) or "SIGNBENCH_DEVICE=" */
} sb_devspec;

/* Parse "cpu", "gpu", "accel", "P:D" or a name substring; NULL or "" is the default. */
int sb_devspec_parse(const char *s, sb_devspec *out, sb_err *err);
/* The selection of one device: opt (--device) when given, else $SIGNBENCH_DEVICE, else
 * the default; out->from names the source so errors say which one to fix. */
int sb_devspec_select(const char *opt, sb_devspec *out, sb_err *err);

/* Every device of every platform; *out is malloc'ed (free it). No platform is not an
 * error: *n is 0. The platforms are enumerated once per process (sb_devices_all). */
int sb_devices_list(sb_devref **out, int *n, sb_err *err);
/* The process's device list itself (enumerated on first use; do not free). */
int sb_devices_all(const sb_devref **out, int *n, sb_err *err);

/* Index into list of the device spec selects, or -1 with err filled (SB_EUSAGE,
 * listing what is available). Pure: no OpenCL call, so tests can drive it. */
int sb_devspec_match(const sb_devspec *spec, const sb_devref *list, int n, sb_err *err);

/* ---- device lists ------------------------------------------------------------ */

#define SB_MAX_DEVICES 16

typedef struct sb_devset {
    int n;
    sb_devref dev[SB_MAX_DEVICES];
    const char *from; /* "--device " or "SIGNBENCH_DEVICE=" */
} sb_devset;

/* Resolve a device list: a comma list of specs (each as sb_devspec_parse takes) or "all"
 * (every device); opt when given, else $SIGNBENCH_DEVICE, else the default device. An
 * unknown device or one named twice is SB_EUSAGE with one line. Pure over list/n. */
int sb_devset_match(const char *sel, const char *from, const sb_devref *list, int n,
                    sb_devset *out, sb_err *err);
/* The same over the process's devices, with the opt / environment / default rule. */
int sb_devset_resolve(const char *opt, sb_devset *out, sb_err *err);

/* "P:D" of a device, in buf (at least 24 bytes); returns buf. */
const char *sb_devref_index(const sb_devref *d, char *buf, size_t cap);

/* --kernel-binary with one file per device: "D=FILE[,D=FILE...]" (D as --device takes
 * one device). 1 when spec has that form. */
int sb_kernel_binary_is_list(const char *spec);
/* The file spec gives for device d into out; SB_EUSAGE when no entry names d (or an
 * entry names an unknown device, or a device twice). */
int sb_kernel_binary_for(const char *spec, const sb_devref *d, const sb_devref *list, int n,
                         char *out, size_t cap, sb_err *err);

#endif
