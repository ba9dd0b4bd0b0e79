/* fault.c - fault injection for the signbench-fault test build (linked with -Wl,--wrap=...
 * for each function below): SB_FAULT=N makes the N-th allocation or OpenCL call fail. */
#include <CL/cl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* SB_FAULT=N (N >= 1): the N-th wrapped call fails (the allocators return NULL with
 * ENOMEM, the OpenCL calls CL_OUT_OF_RESOURCES), every other call runs. SB_FAULT=0 or
 * unset: nothing fails. SB_FAULT_ENOSPC=N: the N-th fsync fails with ENOSPC (a full
 * disk). SB_FAULT_STALL=N: the N-th fsync never returns (the process waits for a signal
 * with FILE.tmp written and not yet renamed: the signal tests). SB_FAULT_LOG=FILE: at
 * exit, "calls C" (how many wrapped calls ran) and, when one was failed, "failed N NAME". */
static long target = -1, enospc = -1, stall = -1, calls, fsyncs;
static const char *failed_name;
static int ready;

static void report(void)
{
    const char *log = getenv("SB_FAULT_LOG");
    FILE *f = log ? fopen(log, "w") : NULL;
    if (!f)
        return;
    fprintf(f, "calls %ld\n", calls);
    if (failed_name)
        fprintf(f, "failed %ld %s\n", target, failed_name);
    fclose(f);
}

static void setup(void)
{
    ready = 1;
    const char *v = getenv("SB_FAULT"), *e = getenv("SB_FAULT_ENOSPC"),
               *w = getenv("SB_FAULT_STALL");
    target = v && *v ? atol(v) : 0;
    enospc = e && *e ? atol(e) : 0;
    stall = w && *w ? atol(w) : 0;
    atexit(report);
}

/* 1 when this call (named name) is the one to fail. */
static int fail_now(const char *name)
{
    if (!ready)
        setup();
    if (++calls != target)
        return 0;
    failed_name = name;
    report(); /* now too: a crash would skip the atexit report */
    return 1;
}

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
int __real_fsync(int fd);

void *__wrap_malloc(size_t n)
{
    if (fail_now("malloc")) {
        errno = ENOMEM;
        return NULL;
    }
    return __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t m)
{
    if (fail_now("calloc")) {
        errno = ENOMEM;
        return NULL;
    }
    return __real_calloc(n, m);
}

void *__wrap_realloc(void *p, size_t n)
{
    if (fail_now("realloc")) {
        errno = ENOMEM;
        return NULL;
    }
    return __real_realloc(p, n);
}

int __wrap_fsync(int fd)
{
    if (!ready)
        setup();
    if (++fsyncs == enospc) {
        errno = ENOSPC;
        return -1;
    }
    if (fsyncs == stall)
        for (;;)
            pause();
    return __real_fsync(fd);
}

/* OpenCL calls that return a status: fail with CL_OUT_OF_RESOURCES. */
#define WRAP_STATUS(name, params, args)                                                    \
    cl_int __real_##name params;                                                           \
    cl_int __wrap_##name params                                                            \
    {                                                                                      \
        if (fail_now(#name))                                                               \
            return CL_OUT_OF_RESOURCES;                                                    \
        return __real_##name args;                                                         \
    }
/* OpenCL calls that return an object and a status through errcode_ret. */
#define WRAP_OBJECT(type, name, params, args)                                              \
    type __real_##name params;                                                             \
    type __wrap_##name params                                                              \
    {                                                                                      \
        if (fail_now(#name)) {                                                             \
            if (errcode_ret)                                                               \
                *errcode_ret = CL_OUT_OF_RESOURCES;                                        \
            return NULL;                                                                   \
        }                                                                                  \
        return __real_##name args;                                                         \
    }

WRAP_OBJECT(cl_context, clCreateContext,
            (const cl_context_properties *props, cl_uint n, const cl_device_id *devs,
             void(CL_CALLBACK *notify)(const char *, const void *, size_t, void *),
             void *user, cl_int *errcode_ret),
            (props, n, devs, notify, user, errcode_ret))
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
WRAP_OBJECT(cl_command_queue, clCreateCommandQueue,
            (cl_context c, cl_device_id d, cl_command_queue_properties p,
             cl_int *errcode_ret),
            (c, d, p, errcode_ret))
#pragma GCC diagnostic pop
WRAP_OBJECT(cl_program, clCreateProgramWithSource,
            (cl_context c, cl_uint n, const char **s, const size_t *l, cl_int *errcode_ret),
            (c, n, s, l, errcode_ret))
WRAP_OBJECT(cl_program, clCreateProgramWithBinary,
            (cl_context c, cl_uint n, const cl_device_id *d, const size_t *l,
             const unsigned char **b, cl_int *st, cl_int *errcode_ret),
            (c, n, d, l, b, st, errcode_ret))
WRAP_OBJECT(cl_kernel, clCreateKernel,
            (cl_program p, const char *name, cl_int *errcode_ret), (p, name, errcode_ret))
WRAP_OBJECT(cl_mem, clCreateBuffer,
            (cl_context c, cl_mem_flags f, size_t n, void *h, cl_int *errcode_ret),
            (c, f, n, h, errcode_ret))
WRAP_STATUS(clBuildProgram,
            (cl_program p, cl_uint n, const cl_device_id *d, const char *o,
             void(CL_CALLBACK *notify)(cl_program, void *), void *user),
            (p, n, d, o, notify, user))
WRAP_STATUS(clSetKernelArg, (cl_kernel k, cl_uint i, size_t n, const void *v), (k, i, n, v))
WRAP_STATUS(clEnqueueNDRangeKernel,
            (cl_command_queue q, cl_kernel k, cl_uint dim, const size_t *off,
             const size_t *global, const size_t *local, cl_uint nw, const cl_event *w,
             cl_event *ev),
            (q, k, dim, off, global, local, nw, w, ev))
WRAP_STATUS(clEnqueueReadBuffer,
            (cl_command_queue q, cl_mem b, cl_bool blk, size_t off, size_t n, void *p,
             cl_uint nw, const cl_event *w, cl_event *ev),
            (q, b, blk, off, n, p, nw, w, ev))
WRAP_STATUS(clEnqueueWriteBuffer,
            (cl_command_queue q, cl_mem b, cl_bool blk, size_t off, size_t n, const void *p,
             cl_uint nw, const cl_event *w, cl_event *ev),
            (q, b, blk, off, n, p, nw, w, ev))
WRAP_STATUS(clEnqueueFillBuffer,
            (cl_command_queue q, cl_mem b, const void *pat, size_t ps, size_t off, size_t n,
             cl_uint nw, const cl_event *w, cl_event *ev),
            (q, b, pat, ps, off, n, nw, w, ev))
WRAP_STATUS(clEnqueueCopyBuffer,
            (cl_command_queue q, cl_mem a, cl_mem b, size_t oa, size_t ob, size_t n,
             cl_uint nw, const cl_event *w, cl_event *ev),
            (q, a, b, oa, ob, n, nw, w, ev))
WRAP_STATUS(clFinish, (cl_command_queue q), (q))
