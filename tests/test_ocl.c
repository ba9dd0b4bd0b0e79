/* test_ocl.c - the OpenCL layer: device selection parsing and matching (pure), build
 * errors reported with a log, program binaries round trip, embedded sources, hwloc. */
#include <dirent.h>
#include <math.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

#include "parse.h"
#include "kernels.h"
#include "testutil.h"
#include "topo.h"

START_TEST(parse_good)
{
    sb_devspec s;
    sb_err e;
    ck_assert_int_eq(sb_devspec_parse(NULL, &s, &e), SB_OK);
    ck_assert_int_eq(s.kind, SB_SEL_DEFAULT);
    ck_assert_int_eq(sb_devspec_parse("GPU", &s, &e), SB_OK);
    ck_assert_int_eq(s.kind, SB_SEL_TYPE);
    ck_assert(s.type == CL_DEVICE_TYPE_GPU);
    ck_assert_int_eq(sb_devspec_parse("accel", &s, &e), SB_OK);
    ck_assert(s.type == CL_DEVICE_TYPE_ACCELERATOR);
    ck_assert_int_eq(sb_devspec_parse("1:2", &s, &e), SB_OK);
    ck_assert_int_eq(s.kind, SB_SEL_INDEX);
    ck_assert_int_eq(s.platform, 1);
    ck_assert_int_eq(s.device, 2);
    ck_assert_int_eq(sb_devspec_parse("epyc", &s, &e), SB_OK);
    ck_assert_int_eq(s.kind, SB_SEL_NAME);
    ck_assert_str_eq(s.name, "epyc");
    /* Not an index: a name that happens to contain a colon. */
    ck_assert_int_eq(sb_devspec_parse("a:b", &s, &e), SB_OK);
    ck_assert_int_eq(s.kind, SB_SEL_NAME);
}
END_TEST

START_TEST(parse_bad)
{
    sb_devspec s;
    sb_err e = {0, ""};
    ck_assert_int_eq(sb_devspec_parse("99999:0", &s, &e), SB_EUSAGE);
    ck_assert_ptr_nonnull(strstr(e.msg, "out of range"));
    char longname[300];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    ck_assert_int_eq(sb_devspec_parse(longname, &s, &e), SB_EUSAGE);
}
END_TEST

START_TEST(match_rules)
{
    sb_devref list[3];
    memset(list, 0, sizeof list);
    list[0] = (sb_devref){.platform = 0, .device = 0, .type = CL_DEVICE_TYPE_CPU};
    strcpy(list[0].name, "pthread-EPYC");
    list[1] = (sb_devref){.platform = 1, .device = 0, .type = CL_DEVICE_TYPE_ACCELERATOR};
    strcpy(list[1].name, "Stratix 10");
    list[2] = (sb_devref){.platform = 2, .device = 0, .type = CL_DEVICE_TYPE_GPU};
    strcpy(list[2].name, "NVIDIA H200");
    sb_devspec s;
    sb_err e = {0, ""};
    sb_devspec_parse(NULL, &s, &e);
    ck_assert_int_eq(sb_devspec_match(&s, list, 3, &e), 2); /* GPU first */
    ck_assert_int_eq(sb_devspec_match(&s, list, 2, &e), 1); /* then accelerator */
    ck_assert_int_eq(sb_devspec_match(&s, list, 1, &e), 0); /* then CPU */
    sb_devspec_parse("cpu", &s, &e);
    ck_assert_int_eq(sb_devspec_match(&s, list, 3, &e), 0);
    sb_devspec_parse("h200", &s, &e);
    ck_assert_int_eq(sb_devspec_match(&s, list, 3, &e), 2);
    sb_devspec_parse("1:0", &s, &e);
    ck_assert_int_eq(sb_devspec_match(&s, list, 3, &e), 1);
    sb_devspec_parse("3:0", &s, &e);
    ck_assert_int_eq(sb_devspec_match(&s, list, 3, &e), -1);
    ck_assert_int_eq(e.code, SB_EUSAGE);
    ck_assert_ptr_nonnull(strstr(e.msg, "available"));
    ck_assert_ptr_nonnull(strstr(e.msg, "NVIDIA H200"));
    sb_devspec_parse("radeon", &s, &e);
    ck_assert_int_eq(sb_devspec_match(&s, list, 3, &e), -1);
    sb_devspec_parse("gpu", &s, &e);
    ck_assert_int_eq(sb_devspec_match(&s, list, 2, &e), -1);
    ck_assert_int_eq(sb_devspec_match(&s, list, 0, &e), -1);
    ck_assert_int_eq(e.code, SB_ERUNTIME);
}
END_TEST

/* Device lists and per-device binaries over a made-up list (no OpenCL call). */
START_TEST(device_lists)
{
    sb_devref list[3];
    memset(list, 0, sizeof list);
    const char *names[] = {"pthread-EPYC", "basic-EPYC", "NVIDIA H200"};
    for (int i = 0; i < 3; i++) {
        list[i].platform = i / 2;
        list[i].device = i % 2;
        list[i].type = i < 2 ? CL_DEVICE_TYPE_CPU : CL_DEVICE_TYPE_GPU;
        strcpy(list[i].name, names[i]);
    }
    sb_devset s;
    sb_err e = {0, ""};
    ck_assert_int_eq(sb_devset_match("all", NULL, list, 3, &s, &e), SB_OK);
    ck_assert_int_eq(s.n, 3);
    ck_assert_int_eq(sb_devset_match("1:0,0:0", NULL, list, 3, &s, &e), SB_OK);
    ck_assert_int_eq(s.n, 2);
    ck_assert_str_eq(s.dev[0].name, "NVIDIA H200");
    ck_assert_int_eq(sb_devset_match("basic", NULL, list, 3, &s, &e), SB_OK);
    ck_assert_int_eq(s.n, 1);
    ck_assert_int_eq(sb_devset_match(NULL, NULL, list, 3, &s, &e), SB_OK); /* default */
    ck_assert_str_eq(s.dev[0].name, "NVIDIA H200");
    const char *bad[] = {"0:0,0:0", "0:1,basic", "gpu,h200", "0:0,7:7",
                         "all,0:0", "0:0,,0:1",  "0:0,"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        e.code = 0;
        ck_assert_int_eq(sb_devset_match(bad[i], "--device ", list, 3, &s, &e), SB_EUSAGE);
        ck_assert_msg(strstr(e.msg, "--device ") && !strchr(e.msg, '\n'), "%s: %s", bad[i],
                      e.msg);
    }
    ck_assert_ptr_nonnull(
        strstr((sb_devset_match("0:0,pthread", "--device ", list, 3, &s, &e), e.msg),
               "named twice"));
    char file[64];
    ck_assert(sb_kernel_binary_is_list("0:0=a.bin"));
    ck_assert(!sb_kernel_binary_is_list("dir/x=1/a.bin"));
    ck_assert(!sb_kernel_binary_is_list("a.bin"));
    ck_assert_int_eq(sb_kernel_binary_for("0:0=a.bin,h200=b.aocx", &list[2], list, 3, file,
                                          sizeof file, &e),
                     SB_OK);
    ck_assert_str_eq(file, "b.aocx");
    ck_assert_int_eq(
        sb_kernel_binary_for("0:0=a.bin", &list[1], list, 3, file, sizeof file, &e),
        SB_EUSAGE);
    ck_assert_ptr_nonnull(strstr(e.msg, "no file for device 0:1"));
    ck_assert_int_eq(sb_kernel_binary_for("0:0=a.bin,pthread=b.bin", &list[0], list, 3,
                                          file, sizeof file, &e),
                     SB_EUSAGE);
    ck_assert_int_eq(sb_kernel_binary_for("0:0=a.bin,nosuch=b.bin", &list[0], list, 3, file,
                                          sizeof file, &e),
                     SB_EUSAGE);
    ck_assert_int_eq(sb_kernel_binary_for("0:0", &list[0], list, 3, file, sizeof file, &e),
                     SB_EUSAGE);
}
END_TEST

START_TEST(embedded_sources)
{
    ck_assert_int_ge(sb_embedded_count, 1);
    ck_assert_str_eq(sb_embedded_sources[0].name, "common.cl");
    for (int i = 0; i < sb_embedded_count; i++) {
        ck_assert_uint_eq(strlen(sb_embedded_sources[i].text), sb_embedded_sources[i].len);
        ck_assert_ptr_nonnull(strstr(sb_embedded_sources[i].text, "__kernel")
                                  ? sb_embedded_sources[i].text
                                  : "inline-only");
    }
    /* The embedded text equals the file on disk, byte for byte. */
    const char *root = getenv("SB_SOURCE_ROOT");
    if (root) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/kernels", root);
        sb_source *s;
        int n;
        sb_err e;
        ck_assert_int_eq(sb_sources_get(dir, &s, &n, &e), SB_OK);
        for (int i = 0; i < n; i++) {
            ck_assert_uint_eq(s[i].len, sb_embedded_sources[i].len);
            ck_assert(memcmp(s[i].text, sb_embedded_sources[i].text, s[i].len) == 0);
        }
        sb_sources_free(s, n, dir);
    }
}
END_TEST

START_TEST(number_parsers)
{
    sb_err e = {0, ""};
    long l;
    size_t z;
    double d;
    ck_assert_int_eq(sb_parse_long("--steps", "42", 1, 100, &l, &e), SB_OK);
    ck_assert_int_eq(l, 42);
    ck_assert_int_eq(sb_parse_long("--steps", "-3", -5, 5, &l, &e), SB_OK);
    ck_assert_int_eq(l, -3);
    const char *bad_long[] = {"", "4x", "1.5", "101", "0", " ", "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad_long / sizeof *bad_long; i++) {
        ck_assert_int_eq(sb_parse_long("--steps", bad_long[i], 1, 100, &l, &e), SB_EUSAGE);
        ck_assert_ptr_nonnull(strstr(e.msg, "--steps"));
    }
    ck_assert_int_eq(sb_parse_size("--n", "1000", &z, &e), SB_OK);
    ck_assert_uint_eq(z, 1000);
    ck_assert_int_eq(sb_parse_size("--n", "64K", &z, &e), SB_OK);
    ck_assert_uint_eq(z, 65536);
    ck_assert_int_eq(sb_parse_size("--n", "16M", &z, &e), SB_OK);
    ck_assert_uint_eq(z, 16u << 20);
    ck_assert_int_eq(sb_parse_size("--n", "1.5K", &z, &e), SB_OK);
    ck_assert_uint_eq(z, 1536);
    const char *bad_size[] = {"",  "0",   "-1",  "1.5",  "12Q",
                              "K", "nan", "inf", "1e30", "3KB"};
    for (size_t i = 0; i < sizeof bad_size / sizeof *bad_size; i++)
        ck_assert_msg(sb_parse_size("--n", bad_size[i], &z, &e) == SB_EUSAGE,
                      "accepted '%s'", bad_size[i]);
    ck_assert_int_eq(sb_parse_double("--lr", "1e-3", 0, 1, &d, &e), SB_OK);
    ck_assert(d == 1e-3);
    const char *bad_double[] = {"", "nan", "2", "-0.1", "0.1x", "inf"};
    for (size_t i = 0; i < sizeof bad_double / sizeof *bad_double; i++)
        ck_assert_msg(sb_parse_double("--lr", bad_double[i], 0, 1, &d, &e) == SB_EUSAGE,
                      "accepted '%s'", bad_double[i]);
}
END_TEST

/* ---- helpers for the device tests ------------------------------------------------ */

/* A fresh folder under /tmp, removed (one level deep) by rm_tree. */
static void make_dir(char *dir, size_t n)
{
    snprintf(dir, n, "/tmp/sbtest-ocl-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void rm_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char path[4096];
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
    closedir(d);
    rmdir(dir);
}

static void put_file(const char *dir, const char *name, const void *data, size_t n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    sb_err e = {0, ""};
    ck_assert_msg(sb_write_file(path, data, n, &e) == SB_OK, "%s", e.msg);
}

/* Copy the embedded sources into dir; append `extra` to the file called `victim`. */
static void copy_sources(const char *dir, const char *victim, const char *extra)
{
    for (int i = 0; i < sb_embedded_count; i++) {
        const sb_source *s = &sb_embedded_sources[i];
        size_t add = victim && !strcmp(s->name, victim) ? strlen(extra) : 0;
        char *buf = malloc(s->len + add + 1);
        ck_assert_ptr_nonnull(buf);
        memcpy(buf, s->text, s->len);
        memcpy(buf + s->len, add ? extra : "", add);
        put_file(dir, s->name, buf, s->len + add);
        free(buf);
    }
}

enum { AXPY_N = 777 };

/* Run sb_selftest_axpy through the context's main program into y (AXPY_N floats). */
static void run_axpy(sb_ctx *c, float *y)
{
    float x[AXPY_N];
    const float a = -1.25f;
    for (int i = 0; i < AXPY_N; i++) {
        x[i] = sinf((float)i) * 3.0f;
        y[i] = (float)i / 7.0f;
    }
    sb_err e = {0, ""};
    cl_kernel k;
    cl_mem bx, by;
    ck_assert_msg(sb_ctx_kernel(c, "sb_selftest_axpy", &k, &e) == SB_OK, "%s", e.msg);
    ck_assert_int_eq(
        sb_buffer(c, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, sizeof x, x, &bx, &e), SB_OK);
    ck_assert_int_eq(
        sb_buffer(c, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, sizeof x, y, &by, &e),
        SB_OK);
    cl_uint n = AXPY_N;
    size_t global = AXPY_N;
    ck_assert_int_eq(clSetKernelArg(k, 0, sizeof a, &a), CL_SUCCESS);
    ck_assert_int_eq(clSetKernelArg(k, 1, sizeof bx, &bx), CL_SUCCESS);
    ck_assert_int_eq(clSetKernelArg(k, 2, sizeof by, &by), CL_SUCCESS);
    ck_assert_int_eq(clSetKernelArg(k, 3, sizeof n, &n), CL_SUCCESS);
    ck_assert_int_eq(
        clEnqueueNDRangeKernel(c->queue, k, 1, NULL, &global, NULL, 0, NULL, NULL),
        CL_SUCCESS);
    ck_assert_int_eq(
        clEnqueueReadBuffer(c->queue, by, CL_TRUE, 0, sizeof x, y, 0, NULL, NULL),
        CL_SUCCESS);
    clReleaseMemObject(by);
    clReleaseMemObject(bx);
    clReleaseKernel(k);
    /* Exact against the host: fma is correctly rounded on every conforming device. */
    for (int i = 0; i < AXPY_N; i++) {
        float want = fmaf(a, sinf((float)i) * 3.0f, (float)i / 7.0f);
        ck_assert_msg(memcmp(&want, &y[i], sizeof want) == 0, "y[%d] = %.9g, host %.9g", i,
                      (double)y[i], (double)want);
    }
}

/* Open a context with o, build or load its program; returns the status, err filled. */
static int open_and_build(const sb_opts *o, sb_err *e)
{
    sb_ctx c;
    int st = sb_ctx_open(&c, o, e);
    if (st != SB_OK)
        return st;
    cl_program p;
    st = sb_ctx_program(&c, &p, e);
    sb_ctx_close(&c);
    return st;
}

/* ---- device tests ------------------------------------------------------------------ */

START_TEST(build_error_names_file)
{
    char dir[64];
    make_dir(dir, sizeof dir);
    /* Break the last file of the build, so the error must come from it, not common.cl. */
    const char *victim = sb_embedded_sources[sb_embedded_count - 1].name;
    copy_sources(dir, victim, "\n__kernel void sb_broken(void) { int x = ; }\n");
    sb_opts o = {.kernel_dir = dir};
    sb_err e = {0, ""};
    ck_assert_int_eq(open_and_build(&o, &e), SB_ERUNTIME);
    ck_assert_msg(strstr(e.msg, "kernel build failed") != NULL, "%s", e.msg);
    ck_assert_msg(strstr(e.msg, victim) != NULL, "error does not name %s: %s", victim,
                  e.msg);
    ck_assert_msg(strchr(e.msg, '\n') == NULL, "not one line: %s", e.msg);
    rm_tree(dir);
}
END_TEST

START_TEST(kernel_dir_missing_file)
{
    char dir[64];
    make_dir(dir, sizeof dir);
    sb_opts o = {.kernel_dir = dir};
    sb_err e = {0, ""};
    ck_assert_int_eq(open_and_build(&o, &e), SB_EUSAGE);
    ck_assert_msg(strstr(e.msg, "missing common.cl") != NULL, "%s", e.msg);
    /* A good copy on disk builds and gives the embedded program's results. */
    copy_sources(dir, NULL, NULL);
    sb_ctx c;
    sb_test_open(&c, &o);
    float y[AXPY_N];
    run_axpy(&c, y);
    sb_ctx_close(&c);
    rm_tree(dir);
}
END_TEST

static char *slurp(const char *path, size_t *n)
{
    char *data;
    sb_err e = {0, ""};
    ck_assert_msg(sb_read_file(path, &data, n, &e) == SB_OK, "%s", e.msg);
    return data;
}

START_TEST(binary_round_trip)
{
    char dir[64], bin[128], path[160];
    make_dir(dir, sizeof dir);
    snprintf(bin, sizeof bin, "%s/prog.bin", dir);
    sb_err e = {0, ""};

    /* Compile from the embedded sources and save. */
    sb_ctx src;
    sb_test_open(&src, NULL);
    float y_src[AXPY_N], y_bin[AXPY_N];
    run_axpy(&src, y_src);
    ck_assert_msg(sb_ctx_save_binary(&src, bin, &e) == SB_OK, "%s", e.msg);
    char dev_name[256];
    snprintf(dev_name, sizeof dev_name, "%s", src.dev.name);
    sb_ctx_close(&src);

    /* Reload on the same device: same results, bit for bit, and the self-test passes. */
    sb_opts o = {.kernel_binary = bin, .device = dev_name};
    sb_ctx ld;
    sb_test_open(&ld, &o);
    run_axpy(&ld, y_bin);
    ck_assert(memcmp(y_src, y_bin, sizeof y_src) == 0);
    ck_assert_msg(sb_ctx_selftest(&ld, &e) == SB_OK, "%s", e.msg);
    sb_ctx_close(&ld);

    size_t n;
    char *data = slurp(bin, &n);
    const size_t dev_off = 8, hash_off = 8 + 256 + 128;
    ck_assert_uint_gt(n, hash_off + 16);

    /* Another device's name in the header: refused. */
    char *other = malloc(n);
    memcpy(other, data, n);
    memcpy(other + dev_off, "Other", 5);
    put_file(dir, "other.bin", other, n);
    snprintf(path, sizeof path, "%s/other.bin", dir);
    o.kernel_binary = path;
    ck_assert_int_eq(open_and_build(&o, &e), SB_EUSAGE);
    ck_assert_msg(strstr(e.msg, "was built for") != NULL, "%s", e.msg);

    /* Another source hash: refused. */
    memcpy(other, data, n);
    other[hash_off] ^= 0x5a;
    put_file(dir, "hash.bin", other, n);
    snprintf(path, sizeof path, "%s/hash.bin", dir);
    ck_assert_int_eq(open_and_build(&o, &e), SB_EUSAGE);
    ck_assert_msg(strstr(e.msg, "other kernel sources") != NULL, "%s", e.msg);

    /* Truncated, garbage, missing, a folder: refused as bad input. */
    put_file(dir, "short.bin", data, n - 10);
    snprintf(path, sizeof path, "%s/short.bin", dir);
    ck_assert_int_eq(open_and_build(&o, &e), SB_EUSAGE);
    put_file(dir, "junk.bin", "not a binary at all", 19);
    snprintf(path, sizeof path, "%s/junk.bin", dir);
    ck_assert_int_eq(open_and_build(&o, &e), SB_EUSAGE);
    ck_assert_msg(strstr(e.msg, "not a signbench binary") != NULL, "%s", e.msg);
    snprintf(path, sizeof path, "%s/none.bin", dir);
    ck_assert_int_eq(open_and_build(&o, &e), SB_EUSAGE);
    o.kernel_binary = dir;
    ck_assert_int_eq(open_and_build(&o, &e), SB_EUSAGE);
    free(other);
    free(data);

    /* Sources that differ from the embedded ones (a --kernel-dir edit): the binary made
     * from them is refused without that --kernel-dir, accepted with it. */
    char kdir[64];
    make_dir(kdir, sizeof kdir);
    copy_sources(kdir, "common.cl", "\n/* a local edit */\n");
    sb_opts ok = {.kernel_dir = kdir, .device = dev_name};
    sb_ctx c2;
    sb_test_open(&c2, &ok);
    ck_assert_msg(sb_ctx_save_binary(&c2, bin, &e) == SB_OK, "%s", e.msg);
    sb_ctx_close(&c2);
    o.kernel_binary = bin;
    ck_assert_int_eq(open_and_build(&o, &e), SB_EUSAGE);
    ck_assert_msg(strstr(e.msg, "other kernel sources") != NULL, "%s", e.msg);
    ok.kernel_binary = bin;
    ck_assert_msg(open_and_build(&ok, &e) == SB_OK, "%s", e.msg);
    rm_tree(kdir);
    rm_tree(dir);
}
END_TEST

START_TEST(sources_join_marks_files)
{
    char *text = sb_sources_join(sb_embedded_sources, sb_embedded_count);
    ck_assert_ptr_nonnull(text);
    for (int i = 0; i < sb_embedded_count; i++) {
        char mark[160];
        snprintf(mark, sizeof mark, "#line 1 \"%s\"\n", sb_embedded_sources[i].name);
        ck_assert_msg(strstr(text, mark) != NULL, "no #line for %s",
                      sb_embedded_sources[i].name);
    }
    free(text);
}
END_TEST

START_TEST(topology_and_bind)
{
    sb_topo *t;
    sb_err e = {0, ""};
    ck_assert_msg(sb_topo_open(&t, &e) == SB_OK, "%s", e.msg);
    sb_host_info h;
    sb_topo_host(t, &h);
    ck_assert_uint_ge(h.packages, 1);
    ck_assert_uint_ge(h.cores, h.packages);
    ck_assert_uint_ge(h.pus, h.cores);
    ck_assert_uint_ge(h.numa_nodes, 1);
    ck_assert_uint_gt(h.memory, 0);
    for (int i = 0; i < h.ncaches; i++)
        ck_assert(h.caches[i].level >= 1 && h.caches[i].size > 0 && h.caches[i].count >= 1);

    /* Every device gets a non-empty CPU set; CPU devices get the whole machine. */
    sb_devref *list;
    int n;
    ck_assert_int_eq(sb_devices_list(&list, &n, &e), SB_OK);
    for (int i = 0; i < n; i++) {
        sb_locality loc;
        sb_topo_locate(t, &list[i], &loc);
        ck_assert_uint_ge(loc.pus, 1);
        ck_assert_uint_le(loc.pus, h.pus);
        ck_assert_ptr_nonnull(loc.source);
        if (list[i].type & CL_DEVICE_TYPE_CPU) {
            ck_assert(loc.whole_machine);
            ck_assert_uint_eq(loc.pus, h.pus);
        }
    }
    /* The accelerator path on a device without PCI data (PoCL's CPU device posing as a
     * GPU): no bus id, the whole machine, and the reason said. */
    if (n > 0) {
        sb_devref fake = list[0];
        fake.type = CL_DEVICE_TYPE_GPU;
        sb_locality loc;
        sb_topo_locate(t, &fake, &loc);
        if (!(list[0].type & CL_DEVICE_TYPE_CPU))
            ck_assert_uint_ge(loc.pus, 1); /* a real accelerator: anything goes */
        else {
            ck_assert_str_eq(loc.pci_bus_id, "");
            ck_assert(loc.whole_machine);
            ck_assert_uint_eq(loc.pus, h.pus);
            ck_assert_ptr_nonnull(strstr(loc.source, "no PCI location"));
        }
    }
    /* Binding this thread to the first device's set: the affinity mask matches it. */
    if (n > 0) {
        sb_locality loc;
        sb_topo_locate(t, &list[0], &loc);
        cpu_set_t before;
        ck_assert_int_eq(sched_getaffinity(0, sizeof before, &before), 0);
        ck_assert_msg(sb_topo_bind(t, &loc, &e) == SB_OK, "%s", e.msg);
        cpu_set_t now;
        ck_assert_int_eq(sched_getaffinity(0, sizeof now, &now), 0);
        ck_assert_int_eq(CPU_COUNT(&now), (int)loc.pus);
        sched_setaffinity(0, sizeof before, &before);
        /* Through sb_ctx_open: the context records where it pinned the thread. */
        sb_opts o = {.bind = 1, .device = "0:0"};
        sb_ctx c;
        sb_test_open(&c, &o);
        ck_assert_str_ne(c.bound_cpus, "");
        sb_ctx_close(&c);
        sched_setaffinity(0, sizeof before, &before);
    }
    free(list);
    sb_topo_close(t);
}
END_TEST

int main(void)
{
    sb_test_require_device();
    Suite *s = suite_create("ocl");
    TCase *pure = sb_test_tcase(s, "selection", 0);
    tcase_add_test(pure, parse_good);
    tcase_add_test(pure, parse_bad);
    tcase_add_test(pure, match_rules);
    tcase_add_test(pure, device_lists);
    tcase_add_test(pure, embedded_sources);
    tcase_add_test(pure, number_parsers);
    TCase *dev = sb_test_tcase(s, "device", 240);
    tcase_add_test(dev, sources_join_marks_files);
    tcase_add_test(dev, build_error_names_file);
    tcase_add_test(dev, kernel_dir_missing_file);
    tcase_add_test(dev, binary_round_trip);
    tcase_add_test(dev, topology_and_bind);
    return sb_test_run(s);
}
