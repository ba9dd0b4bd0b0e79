/* ocl.c - the OpenCL runtime: enumeration and selection of devices, context and
 * profiling queue, program build from sources or a saved binary, and small helpers. */
#define _POSIX_C_SOURCE 200809L
#include "ocl.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernels.h"
#include "topo.h"

#ifndef SB_RANDOM123_INCLUDE
#define SB_RANDOM123_INCLUDE "/usr/include"
#endif

/* Per-device tuning, first match wins: vendor (or platform, or device name) and
 * device type, as data. The last row matches everything. chunked -1: decided by the
 * device type (CPU devices stream one contiguous chunk per work-item, others use a grid
 * stride; see SB_FOR_UNITS in kernels/common.cl). The kernels already read float4 /
 * float8 / float16 and vote on uint4 words, so the vector width is the same on every
 * device; what differs is the work-group size (the reductions' local-memory tree has
 * local_size entries) and how many groups a launch spreads over a compute unit.
 * GPU rows: 256-item groups (8 warps, 4 AMD wavefronts of 64, 16-32 Intel sub-groups)
 * keep a reduction's tree in local memory at one barrier per halving; NVIDIA and AMD
 * compute units (SMs, CUs) hold several such groups at once, Intel's (EUs) fewer. These
 * GPU rows follow the vendors' guides; no GPU has measured them in this repository yet
 * (bench/device-check does, where a GPU is available). nt_stores: streaming stores for
 * the kernels' write-only outputs (SB_NT_STORES in kernels/common.cl; -1: on CPU devices
 * only, where a plain store reads the line first: sign +27%, unpack and fill +60% on
 * PoCL/AVX2). GPUs keep plain stores until one is measured. */
static const sb_devparams sb_params_table[] = {
    {"NVIDIA", CL_DEVICE_TYPE_GPU, "", 256, 0, 32, -1},
    {"Advanced Micro Devices", CL_DEVICE_TYPE_GPU, "", 256, 0, 32, -1},
    {"AMD Accelerated Parallel Processing", CL_DEVICE_TYPE_GPU, "", 256, 0, 32, -1},
    {"Intel(R) Corporation", CL_DEVICE_TYPE_GPU, "", 256, 0, 8, -1},
    {"Intel(R) Corporation", CL_DEVICE_TYPE_CPU, "", 128, 1, 0, -1},
    {"NVIDIA", 0, "", 256, 0, 0, -1},
    {"Advanced Micro Devices", 0, "", 256, -1, 0, -1},
    {"Intel(R) Corporation", 0, "", 256, -1, 0, -1},
    {"Portable Computing Language", 0, "", 64, 1, 0, -1},
    {"pthread", 0, "", 64, 1, 0, -1},
    {"", 0, "", 128, -1, 0, -1},
};

/* ---- helpers for the table ---------------------------------------------- */

void sb_bind_notice(const sb_locality *loc)
{
    fprintf(stderr, "signbench: --bind: host thread pinned to PU%s %s%s%s (%s)\n",
            loc->pus == 1 ? "" : "s", loc->cpuset, loc->numa_nodes[0] ? ", NUMA node " : "",
            loc->numa_nodes, loc->source);
}

static int contains_nocase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (!strncasecmp(hay, needle, n))
            return 1;
    return n == 0;
}

/* ---- context --------------------------------------------------------------- */

static const sb_devparams *params_for(const char *vendor, const char *platform,
                                      const char *name, cl_device_type type)
{
    size_t n = sizeof sb_params_table / sizeof sb_params_table[0];
    for (size_t i = 0; i < n; i++) {
        const char *m = sb_params_table[i].match;
        if (sb_params_table[i].type && !(sb_params_table[i].type & type))
            continue;
        if (contains_nocase(vendor, m) || contains_nocase(platform, m) ||
            contains_nocase(name, m))
            return &sb_params_table[i];
    }
    return &sb_params_table[n - 1];
}

int sb_ctx_open_dev(sb_ctx *c, const sb_devref *dev, const sb_opts *o, sb_err *err)
{
    memset(c, 0, sizeof *c);
    if (o)
        c->opts = *o;
    c->dev = *dev;
    if (sb_kernel_binary_is_list(c->opts.kernel_binary)) {
        const sb_devref *list;
        int n;
        if (sb_devices_all(&list, &n, err) != SB_OK ||
            sb_kernel_binary_for(c->opts.kernel_binary, dev, list, n, c->kernel_binary,
                                 sizeof c->kernel_binary, err) != SB_OK)
            return err->code;
        c->opts.kernel_binary = c->kernel_binary;
    }

    cl_device_id d = c->dev.did;
    clGetDeviceInfo(d, CL_DEVICE_VENDOR, sizeof c->vendor - 1, c->vendor, NULL);
    clGetDeviceInfo(d, CL_DRIVER_VERSION, sizeof c->driver - 1, c->driver, NULL);
    clGetDeviceInfo(d, CL_DEVICE_VERSION, sizeof c->version - 1, c->version, NULL);
    clGetDeviceInfo(d, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof c->compute_units,
                    &c->compute_units, NULL);
    clGetDeviceInfo(d, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof c->max_wg, &c->max_wg, NULL);
    clGetDeviceInfo(d, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof c->global_mem, &c->global_mem,
                    NULL);
    clGetDeviceInfo(d, CL_DEVICE_LOCAL_MEM_SIZE, sizeof c->local_mem, &c->local_mem, NULL);
    clGetDeviceInfo(d, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof c->max_alloc, &c->max_alloc,
                    NULL);
    cl_device_fp_config fp = 0;
    clGetDeviceInfo(d, CL_DEVICE_DOUBLE_FP_CONFIG, sizeof fp, &fp, NULL);
    c->fp64 = fp != 0;
    c->params = params_for(c->vendor, c->dev.platform_name, c->dev.name, c->dev.type);

    if (c->opts.bind) {
        /* Pin before the context exists: threads the driver starts from this thread
         * while creating it inherit the same CPU set. */
        sb_locality loc;
        if (sb_topo_bind_device(&c->dev, &loc, err) != SB_OK)
            return err->code;
        snprintf(c->bound_cpus, sizeof c->bound_cpus, "%s", loc.cpuset);
        sb_bind_notice(&loc);
    }

    cl_int rc;
    cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)c->dev.pid,
                                     0};
    c->ctx = clCreateContext(props, 1, &d, NULL, NULL, &rc);
    if (SB_CLFAIL(rc, err, "clCreateContext"))
        return sb_wrap(err, "device %s", c->dev.name);
    c->queue = clCreateCommandQueue(c->ctx, d, CL_QUEUE_PROFILING_ENABLE, &rc);
    if (SB_CLFAIL(rc, err, "clCreateCommandQueue")) {
        sb_ctx_close(c);
        return sb_wrap(err, "device %s", c->dev.name);
    }
    return SB_OK;
}

void sb_ctx_close(sb_ctx *c)
{
    if (c->prog)
        clReleaseProgram(c->prog);
    if (c->queue)
        clReleaseCommandQueue(c->queue);
    if (c->ctx)
        clReleaseContext(c->ctx);
    c->prog = NULL;
    c->queue = NULL;
    c->ctx = NULL;
}

const char *sb_ctx_build_options(const sb_ctx *c)
{
    static char opts[1024];
    int chunked = c->params->chunked >= 0 ? c->params->chunked
                                          : (c->dev.type & CL_DEVICE_TYPE_CPU) != 0;

    int cpu = (c->dev.type & CL_DEVICE_TYPE_CPU) != 0;
    int nt = c->params->nt_stores >= 0 ? c->params->nt_stores : cpu;
    snprintf(
        opts, sizeof opts,
        "-cl-std=CL1.2 -I %s -DSB_LOCAL_SIZE=%zu -DSB_CHUNKED=%d -DSB_NT_STORES=%d%s %s",
        SB_RANDOM123_INCLUDE, c->params->local_size, chunked, nt,
        c->fp64 ? " -DSB_HAVE_FP64=1" : "", c->params->build_opts);
    return opts;
}

/* The hash of the sources this context builds from (embedded, or --kernel-dir) and of
 * the build options: file names and contents, in build order. */
static int source_hash(const sb_ctx *c, uint64_t *out, sb_err *err)
{
    sb_source *s;
    int n;
    uint64_t h = SB_FNV_INIT;
    if (sb_sources_get(c->opts.kernel_dir, &s, &n, err) != SB_OK)
        return err->code;
    for (int i = 0; i < n; i++) {
        h = sb_fnv1a(h, s[i].name, strlen(s[i].name) + 1);
        h = sb_fnv1a(h, s[i].text, s[i].len);
    }
    sb_sources_free(s, n, c->opts.kernel_dir);
    const char *o = sb_ctx_build_options(c);
    *out = sb_fnv1a(h, o, strlen(o));
    return SB_OK;
}

uint64_t sb_ctx_source_hash(const sb_ctx *c)
{
    uint64_t h = 0;
    sb_err e;
    return source_hash(c, &h, &e) == SB_OK ? h : 0;
}

/* The kernel file a log line names ("error: sign.cl:12:3: ..." thanks to the #line
 * directives of sb_sources_join), or "" when it names none. */
static void file_in_line(const char *line, char *file, size_t n)
{
    file[0] = '\0';
    const char *dot = strstr(line, ".cl:");
    if (!dot)
        return;
    const char *start = dot;
    while (start > line && !strchr(" \t'\"(:", start[-1]))
        start--;
    snprintf(file, n, "%.*s", (int)(dot + 3 - start), start);
}

/* The whole of a small temporary file (the compiler's captured output), or NULL. */
static char *slurp(FILE *f)
{
    if (!f || fflush(f) != 0 || fseek(f, 0, SEEK_END) != 0)
        return NULL;
    long n = ftell(f);
    if (n < 0 || n > (1 << 24) || fseek(f, 0, SEEK_SET) != 0)
        return NULL;
    char *buf = malloc((size_t)n + 1);
    if (buf)
        buf[fread(buf, 1, (size_t)n, f)] = '\0';
    return buf;
}

/* The full build output into a new file under $TMPDIR (named in path), or 0. */
static int save_log(const char *out, const char *log, char *path, size_t n)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(path, n, "%s/signbench-build-XXXXXX.log", tmp && *tmp ? tmp : "/tmp");
    int fd = mkstemps(path, 4);
    if (fd < 0)
        return 0;
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        return 0;
    }
    fprintf(f, "%s%s%s", out ? out : "", out && *out ? "\n" : "", log ? log : "");
    return fclose(f) == 0;
}

/* A log line "error: sign.cl:12:3: text" as "DIR/sign.cl:12:3: error: text" (the usual
 * compiler layout, with the --kernel-dir folder), or unchanged when it names no file. */
static void located(const char *dir, const char *line, const char *file, char *out,
                    size_t n)
{
    const char *at = file[0] ? strstr(line, file) : NULL;
    if (!at) {
        snprintf(out, n, "%s", line);
        return;
    }
    const char *end = at + strlen(file);
    while (*end == ':' || isdigit((unsigned char)*end))
        end++;
    int kind = (int)(at - line);
    while (kind > 0 && (line[kind - 1] == ' ' || line[kind - 1] == ':'))
        kind--;
    snprintf(out, n, "%s%s%.*s%s%.*s%s%s", dir ? dir : "", dir ? "/" : "", (int)(end - at),
             at, kind ? " " : "", kind, line, kind ? ":" : "", end);
}

/* A failed build: the first errors (with file and line) on stderr, the whole log into a
 * file, and one line in err naming the kernel file of the first error and that file. */
static int build_failed(sb_ctx *c, const char *out, const char *log, cl_int rc, sb_err *err)
{
    enum { SHOWN = 5 };
    char first[512] = "", file[128] = "", logpath[4096] = "";
    const char *pick = NULL;
    int errors = 0;
    for (const char *line = log; line && *line;) {
        size_t len = strcspn(line, "\n");
        char buf[512];
        snprintf(buf, sizeof buf, "%.*s", (int)len, line);
        if (strstr(buf, "error")) {
            char f[128];
            file_in_line(buf, f, sizeof f);
            char shown[700];
            located(c->opts.kernel_dir, buf, f, shown, sizeof shown);
            if (errors++ < SHOWN)
                fprintf(stderr, "  %s\n", shown);
            if (!pick || (f[0] && !file[0])) {
                pick = line;
                snprintf(first, sizeof first, "%s", buf);
                snprintf(file, sizeof file, "%s", f);
            }
        }
        line += len;
        if (*line)
            line++;
    }
    if (errors > SHOWN)
        fprintf(stderr, "  ... %d more error lines\n", errors - SHOWN);
    char saved[4200] = "";
    if (save_log(out, log, logpath, sizeof logpath))
        snprintf(saved, sizeof saved, "; full build log in %s", logpath);
    else if (log && *log)
        fprintf(stderr, "---- build log (%s) ----\n%s\n---- end of build log ----\n",
                c->dev.name, log);
    char where[4352] = "";
    if (file[0])
        snprintf(where, sizeof where, " in %s%s%s",
                 c->opts.kernel_dir ? c->opts.kernel_dir : "",
                 c->opts.kernel_dir ? "/" : "", file);
    else if (c->opts.kernel_dir)
        snprintf(where, sizeof where, " (sources from --kernel-dir %s)",
                 c->opts.kernel_dir);
    return sb_fail(err, SB_ERUNTIME, "kernel build failed on %s%s (%s)%s%s%s", c->dev.name,
                   where, sb_cl_strerror(rc), first[0] ? ": " : "", first, saved);
}

/* clBuildProgram with what the compiler prints on the terminal (PoCL: "N warnings
 * generated.") captured: shown with --verbose, or when the build fails. */
static int build_program(sb_ctx *c, cl_program p, const char *opts, sb_err *err)
{
    fflush(stderr);
    FILE *cap = tmpfile();
    int saved = cap ? dup(STDERR_FILENO) : -1;
    if (saved >= 0)
        dup2(fileno(cap), STDERR_FILENO);
    cl_int rc = clBuildProgram(p, 1, &c->dev.did, opts, NULL, NULL);
    fflush(stderr);
    if (saved >= 0) {
        dup2(saved, STDERR_FILENO);
        close(saved);
    }
    char *out = slurp(cap);
    if (cap)
        fclose(cap);
    size_t len = 0;
    clGetProgramBuildInfo(p, c->dev.did, CL_PROGRAM_BUILD_LOG, 0, NULL, &len);
    char *log = calloc(len + 1, 1);
    if (log && len)
        clGetProgramBuildInfo(p, c->dev.did, CL_PROGRAM_BUILD_LOG, len, log, NULL);
    int st = SB_OK;
    if (rc != CL_SUCCESS)
        st = build_failed(c, out, log, rc, err);
    else if (c->opts.verbose &&
             ((out && *out) || (log && strspn(log, " \n") < strlen(log))))
        fprintf(stderr, "---- kernel build output (%s) ----\n%s%s---- end ----\n",
                c->dev.name, out ? out : "", log ? log : "");
    free(out);
    free(log);
    return st;
}

int sb_ctx_build(sb_ctx *c, const char *extra_opts, cl_program *out, sb_err *err)
{
    sb_source *s;
    int n;
    if (sb_sources_get(c->opts.kernel_dir, &s, &n, err) != SB_OK)
        return err->code;
    char *text = sb_sources_join(s, n);
    sb_sources_free(s, n, c->opts.kernel_dir);
    if (!text)
        return sb_fail(err, SB_ERUNTIME, "out of memory");
    cl_int rc;
    const char *src = text;
    cl_program p = clCreateProgramWithSource(c->ctx, 1, &src, NULL, &rc);
    free(text);
    if (SB_CLFAIL(rc, err, "clCreateProgramWithSource"))
        return err->code;
    char opts[2048];
    snprintf(opts, sizeof opts, "%s %s", sb_ctx_build_options(c),
             extra_opts ? extra_opts : "");
    if (build_program(c, p, opts, err) != SB_OK) {
        clReleaseProgram(p);
        return err->code;
    }
    *out = p;
    return SB_OK;
}

/* ---- binaries ----------------------------------------------------------------
 * File layout: the header of binary.c, then the device binary. */

int sb_ctx_save_binary(sb_ctx *c, const char *path, sb_err *err)
{
    cl_program p;
    if (sb_ctx_program(c, &p, err) != SB_OK)
        return err->code;
    size_t size = 0;
    cl_int rc = clGetProgramInfo(p, CL_PROGRAM_BINARY_SIZES, sizeof size, &size, NULL);
    if (SB_CLFAIL(rc, err, "clGetProgramInfo(BINARY_SIZES)"))
        return err->code;
    if (size == 0)
        return sb_fail(err, SB_ERUNTIME, "the driver of %s returned no program binary",
                       c->dev.name);
    unsigned char *buf = malloc(SB_BINARY_HEADER_SIZE + size);
    if (!buf)
        return sb_fail(err, SB_ERUNTIME, "out of memory");
    unsigned char *bin = buf + SB_BINARY_HEADER_SIZE;
    rc = clGetProgramInfo(p, CL_PROGRAM_BINARIES, sizeof bin, &bin, NULL);
    if (SB_CLFAIL(rc, err, "clGetProgramInfo(BINARIES)")) {
        free(buf);
        return err->code;
    }
    uint64_t hash;
    if (source_hash(c, &hash, err) != SB_OK) {
        free(buf);
        return err->code;
    }
    sb_binary_header(c->dev.name, c->driver, hash, bin, size, buf);
    int st = sb_write_file(path, buf, SB_BINARY_HEADER_SIZE + size, err);
    free(buf);
    return st;
}

/* Offline FPGA builds keep their vendor's format and file name. */
static int is_vendor_binary(const char *path)
{
    size_t n = strlen(path);
    return (n > 5 && !strcasecmp(path + n - 5, ".aocx")) ||
           (n > 7 && !strcasecmp(path + n - 7, ".xclbin"));
}

static int load_binary(sb_ctx *c, const char *path, cl_program *out, sb_err *err)
{
    char *data;
    size_t len;
    struct stat sbuf;
    if (stat(path, &sbuf) == 0 && S_ISDIR(sbuf.st_mode))
        return sb_fail(err, SB_EUSAGE,
                       "--kernel-binary %s is a folder, not a file made by "
                       "`signbench compile -o FILE`",
                       path);
    if (sb_read_file(path, &data, &len, err) != SB_OK)
        return sb_wrap(err, "--kernel-binary");
    int vendor = 0;
    const unsigned char *bin = (const unsigned char *)data;
    size_t size = len;
    int ours = sb_binary_is_ours(data, len);
    if (!ours && is_vendor_binary(path)) {
        /* An FPGA bitstream built offline (aoc, v++): no header to check, the driver
         * decides whether it fits the device. */
        if (len == 0) {
            free(data);
            return sb_fail(err, SB_EUSAGE, "--kernel-binary %s is empty", path);
        }
        vendor = 1;
        goto load;
    }
    sb_binary_info h;
    if (sb_binary_parse(path, data, len, &h, err) != SB_OK) {
        free(data);
        return err->code;
    }
    if (strcmp(h.device, c->dev.name) != 0 || strcmp(h.driver, c->driver) != 0) {
        sb_fail(err, SB_EUSAGE,
                "--kernel-binary %s was built for '%s' (driver %s), not for '%s' "
                "(driver %s); rebuild it with `signbench compile`",
                path, h.device, h.driver, c->dev.name, c->driver);
        free(data);
        return err->code;
    }
    uint64_t want;
    if (source_hash(c, &want, err) != SB_OK) {
        free(data);
        return err->code;
    }
    if (h.source_hash != want) {
        free(data);
        return sb_fail(err, SB_EUSAGE,
                       "--kernel-binary %s was built from other kernel sources or options "
                       "than this signbench; rebuild it with `signbench compile`",
                       path);
    }
    bin = h.payload;
    size = h.size;
load:;
    cl_int rc, status;
    cl_program p =
        clCreateProgramWithBinary(c->ctx, 1, &c->dev.did, &size, &bin, &status, &rc);
    free(data);
    if (rc == CL_SUCCESS)
        rc = status;
    if (rc == CL_INVALID_BINARY) {
        /* The header matched but the driver rejects the payload: a damaged file. */
        if (p)
            clReleaseProgram(p);
        return sb_fail(err, SB_EUSAGE,
                       "--kernel-binary %s: the driver of %s rejects the binary "
                       "(CL_INVALID_BINARY); %s",
                       path, c->dev.name,
                       vendor ? "was this vendor binary built for this device?"
                              : "rebuild it with `signbench compile`");
    }
    if (SB_CLFAIL(rc, err, "clCreateProgramWithBinary")) {
        if (p)
            clReleaseProgram(p);
        return sb_wrap(err, "--kernel-binary %s", path);
    }
    if (build_program(c, p, sb_ctx_build_options(c), err) != SB_OK) {
        clReleaseProgram(p);
        return err->code;
    }
    if (vendor)
        fprintf(stderr,
                "signbench: --kernel-binary %s: vendor binary without a signbench "
                "header; device and source checks were left to the driver\n",
                path);
    *out = p;
    return SB_OK;
}

int sb_ctx_program(sb_ctx *c, cl_program *out, sb_err *err)
{
    if (!c->prog) {
        int st = c->opts.kernel_binary
                     ? load_binary(c, c->opts.kernel_binary, &c->prog, err)
                     : sb_ctx_build(c, NULL, &c->prog, err);
        if (st != SB_OK)
            return st;
    }
    *out = c->prog;
    return SB_OK;
}

int sb_ctx_kernel(sb_ctx *c, const char *name, cl_kernel *out, sb_err *err)
{
    cl_program p;
    if (sb_ctx_program(c, &p, err) != SB_OK)
        return err->code;
    cl_int rc;
    *out = clCreateKernel(p, name, &rc);
    if (SB_CLFAIL(rc, err, "clCreateKernel"))
        return sb_wrap(err, "kernel %s", name);
    return SB_OK;
}

int sb_ctx_selftest(sb_ctx *c, sb_err *err)
{
    enum { N = 1000 };
    const float a = 0.75f;
    float x[N], y[N], want[N];
    for (int i = 0; i < N; i++) {
        x[i] = (float)(i % 97) * 0.125f - 3.0f + 1.0f / (float)(i + 3);
        y[i] = (float)(i % 13) - 6.5f;
        want[i] = fmaf(a, x[i], y[i]);
    }
    cl_kernel k = NULL;
    cl_mem bx = NULL, by = NULL;
    int st = sb_ctx_kernel(c, "sb_selftest_axpy", &k, err);
    if (st == SB_OK)
        st = sb_buffer(c, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, sizeof x, x, &bx, err);
    if (st == SB_OK)
        st = sb_buffer(c, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, sizeof y, y, &by, err);
    if (st == SB_OK) {
        cl_uint n = N;
        size_t global = N; /* no local size: any device's work-group limit is fine */
        cl_int rc = clSetKernelArg(k, 0, sizeof a, &a);
        rc |= clSetKernelArg(k, 1, sizeof bx, &bx);
        rc |= clSetKernelArg(k, 2, sizeof by, &by);
        rc |= clSetKernelArg(k, 3, sizeof n, &n);
        if (rc == CL_SUCCESS)
            rc = clEnqueueNDRangeKernel(c->queue, k, 1, NULL, &global, NULL, 0, NULL, NULL);
        if (rc == CL_SUCCESS)
            rc = clEnqueueReadBuffer(c->queue, by, CL_TRUE, 0, sizeof y, y, 0, NULL, NULL);
        if (SB_CLFAIL(rc, err, "running sb_selftest_axpy"))
            st = err->code;
    }
    for (int i = 0; st == SB_OK && i < N; i++)
        if (memcmp(&y[i], &want[i], sizeof y[i]) != 0)
            st = sb_fail(err, SB_ERUNTIME,
                         "self-test on %s: y[%d] = %.9g, the host computes %.9g",
                         c->dev.name, i, (double)y[i], (double)want[i]);
    if (by)
        clReleaseMemObject(by);
    if (bx)
        clReleaseMemObject(bx);
    if (k)
        clReleaseKernel(k);
    return st;
}

/* ---- helpers ------------------------------------------------------------------ */

int sb_buffer(sb_ctx *c, cl_mem_flags flags, size_t bytes, void *host, cl_mem *out,
              sb_err *err)
{
    cl_int rc;
    if (bytes == 0)
        bytes = 4; /* zero-sized buffers are invalid; keep callers simple */
    *out = clCreateBuffer(c->ctx, flags, bytes, host, &rc);
    if (SB_CLFAIL(rc, err, "clCreateBuffer"))
        return sb_wrap(err, "%zu bytes on %s", bytes, c->dev.name);
    return SB_OK;
}

double sb_event_seconds(cl_event ev)
{
    cl_ulong t0 = 0, t1 = 0;
    clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_START, sizeof t0, &t0, NULL);
    clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_END, sizeof t1, &t1, NULL);
    return t1 > t0 ? (double)(t1 - t0) * 1e-9 : 0.0;
}

size_t sb_round_up(size_t n, size_t local)
{
    return local ? (n + local - 1) / local * local : n;
}

/* One case per code; clang-format cannot lay out a list of macro calls, so it is kept
 * off for the table. */
const char *sb_cl_strerror(cl_int e)
{
    switch (e) {
        // clang-format off
#define E(x) case x: return #x;
    E(CL_SUCCESS) E(CL_DEVICE_NOT_FOUND)
    E(CL_DEVICE_NOT_AVAILABLE) E(CL_COMPILER_NOT_AVAILABLE)
    E(CL_MEM_OBJECT_ALLOCATION_FAILURE) E(CL_OUT_OF_RESOURCES)
    E(CL_OUT_OF_HOST_MEMORY) E(CL_PROFILING_INFO_NOT_AVAILABLE)
    E(CL_BUILD_PROGRAM_FAILURE) E(CL_INVALID_VALUE)
    E(CL_INVALID_DEVICE_TYPE) E(CL_INVALID_PLATFORM)
    E(CL_INVALID_DEVICE) E(CL_INVALID_CONTEXT)
    E(CL_INVALID_QUEUE_PROPERTIES) E(CL_INVALID_COMMAND_QUEUE)
    E(CL_INVALID_HOST_PTR) E(CL_INVALID_MEM_OBJECT)
    E(CL_INVALID_BINARY) E(CL_INVALID_BUILD_OPTIONS)
    E(CL_INVALID_PROGRAM) E(CL_INVALID_PROGRAM_EXECUTABLE)
    E(CL_INVALID_KERNEL_NAME) E(CL_INVALID_KERNEL_DEFINITION)
    E(CL_INVALID_KERNEL) E(CL_INVALID_ARG_INDEX)
    E(CL_INVALID_ARG_VALUE) E(CL_INVALID_ARG_SIZE)
    E(CL_INVALID_KERNEL_ARGS) E(CL_INVALID_WORK_DIMENSION)
    E(CL_INVALID_WORK_GROUP_SIZE) E(CL_INVALID_WORK_ITEM_SIZE)
    E(CL_INVALID_GLOBAL_OFFSET) E(CL_INVALID_EVENT_WAIT_LIST)
    E(CL_INVALID_EVENT) E(CL_INVALID_OPERATION)
    E(CL_INVALID_BUFFER_SIZE) E(CL_INVALID_GLOBAL_WORK_SIZE)
    E(CL_MISALIGNED_SUB_BUFFER_OFFSET) E(CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST)
    E(CL_PLATFORM_NOT_FOUND_KHR)
#undef E
            // clang-format on
            default : return "unknown OpenCL error";
    }
}
