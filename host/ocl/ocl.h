/* ocl.h - the OpenCL runtime: platforms and devices, selection, context and queue,
 * program build (embedded or on-disk sources, or a saved binary), buffers and events. */
#ifndef SB_OCL_H
#define SB_OCL_H

#include "devices.h"
#include "binary.h"
#include "devref.h"
#include "sb.h"

/* Device selection and lists: devices.h. */

struct sb_locality;
/* The one-line stderr notice of --bind (sb_ctx_open and `devices --bind` print it). */
void sb_bind_notice(const struct sb_locality *loc);

/* ---- per-device parameters, as data (CLBlast style) ----------------------- */

typedef struct sb_devparams {
    const char *match;      /* substring of vendor, platform or device name; "" matches
                               all */
    cl_device_type type;    /* and of this device type; 0: any */
    const char *build_opts; /* extra options for clBuildProgram */
    size_t local_size;      /* work-group size of the streaming kernels and of the
                               local-memory tree of the reductions (SB_LOCAL_SIZE) */
    int chunked;            /* 1: one contiguous chunk per work-item, 0: grid stride,
                               -1: chunked on CPU devices only */
    size_t groups_per_cu;   /* most work-groups per compute unit a streaming launch
                               uses (the rest is the kernels' loop); 0: 64 */
    int nt_stores;          /* 1: streaming stores for write-only outputs, 0: plain,
                               -1: on CPU devices only */
} sb_devparams;

/* ---- context --------------------------------------------------------------- */

typedef struct sb_opts {
    const char *device;        /* selection; NULL: $SIGNBENCH_DEVICE, else default */
    const char *kernel_dir;    /* load the kernel sources from this folder */
    const char *kernel_binary; /* load the program from a `signbench compile` file, or
                                  D=FILE,... one per device (devices.h) */
    int bind;                  /* pin the host thread near the device (hwloc) */
    int verbose;               /* show the kernel compiler's output (--verbose) */
} sb_opts;

typedef struct sb_ctx {
    sb_devref dev;
    cl_context ctx;
    cl_command_queue queue; /* in order, profiling enabled */
    cl_program prog;        /* the main program, built on first use */
    const sb_devparams *params;
    sb_opts opts;
    char vendor[256], driver[128], version[128];
    cl_uint compute_units;
    size_t max_wg;
    cl_ulong global_mem, local_mem, max_alloc;
    int fp64;
    char bound_cpus[256];     /* with opts.bind: the PUs the host thread is pinned to */
    char kernel_binary[1024]; /* this device's file of a D=FILE list */
} sb_ctx;

/* Open the one device o->device (else $SIGNBENCH_DEVICE, else the default) selects; a
 * list naming several devices is SB_EUSAGE (devices.c). Every command opens this way. */
int sb_ctx_open(sb_ctx *c, const sb_opts *o, sb_err *err);
/* Open a device already resolved (sb_devset_resolve): context, queue, parameters. */
int sb_ctx_open_dev(sb_ctx *c, const sb_devref *dev, const sb_opts *o, sb_err *err);
void sb_ctx_close(sb_ctx *c);

/* The main program (every embedded kernel), built or loaded once per context. */
int sb_ctx_program(sb_ctx *c, cl_program *out, sb_err *err);
/* A kernel of the main program; the caller releases it. */
int sb_ctx_kernel(sb_ctx *c, const char *name, cl_kernel *out, sb_err *err);
/* A separate program from the same sources with extra options (e.g. "-DSB_REAL=double").
 * The caller releases it. */
int sb_ctx_build(sb_ctx *c, const char *extra_opts, cl_program *out, sb_err *err);

/* Build options used for this device (per-device table + defines); static storage. */
const char *sb_ctx_build_options(const sb_ctx *c);
/* Fingerprint of sources + build options, recorded in saved binaries. */
uint64_t sb_ctx_source_hash(const sb_ctx *c);

/* Save the main program's binary with a header naming device, driver and source hash,
 * and a checksum (FNV-1a 64) of the binary, checked on load. */
int sb_ctx_save_binary(sb_ctx *c, const char *path, sb_err *err);

/* Run the sb_selftest_axpy kernel of the main program on a small vector and compare it
 * exactly with the host's fmaf: proves a loaded binary really runs. */
int sb_ctx_selftest(sb_ctx *c, sb_err *err);

/* ---- helpers ---------------------------------------------------------------- */

const char *sb_cl_strerror(cl_int e);

/* Turn a failed OpenCL call into an sb_err: `if (SB_CLFAIL(rc, err, "clFoo")) return ..`. */
#define SB_CLFAIL(rc, err, what)                                                           \
    ((rc) != CL_SUCCESS                                                                    \
         ? (sb_fail((err), SB_ERUNTIME, "%s failed: %s", (what), sb_cl_strerror(rc)), 1)   \
         : 0)

int sb_buffer(sb_ctx *c, cl_mem_flags flags, size_t bytes, void *host, cl_mem *out,
              sb_err *err);
/* Seconds between an event's START and END (profiling). */
double sb_event_seconds(cl_event ev);
/* Global size rounded up to a multiple of local. */
size_t sb_round_up(size_t n, size_t local);

#endif
