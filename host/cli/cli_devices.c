/* cli_devices.c - `signbench devices`: every OpenCL device with its limits and where it
 * sits on the host (hwloc), then the host summary; a table for people, --json for tools. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "topo.h"
#include "json.h"

#define SB_DEVICES_SCHEMA "signbench-devices/1"

static const char help[] =
    "usage: signbench devices [--device D[,D...]|all] [--bind] [--json]\n\n"
    "Lists every OpenCL platform and device with its limits and its host locality\n"
    "(hwloc), then a summary of the host. The index P:D is what --device takes.\n\n"
    "Options:\n"
    "  --json       print one JSON object on stdout instead of the table (default: table)\n"
    "  --device D   list only the devices D selects (cpu, gpu, accel, P:D or a name\n"
    "               substring, a comma list of these, or all; default: $SIGNBENCH_DEVICE\n"
    "               when set, else every device); a selection that matches nothing, or\n"
    "               names a device twice, exits 2\n"
    "  --bind       pin this thread to the CPUs near the selected device (the default\n"
    "               device when none is selected), say so on stderr, show where it runs\n\n"
    "JSON fields (schema \"" SB_DEVICES_SCHEMA "\"; sizes in bytes, clock in MHz):\n"
    "  devices[]: index (\"P:D\"), platform_index, device_index, platform, platform_version,\n"
    "    name, vendor, type (cpu|gpu|accelerator|custom), opencl_version, opencl_c_version,\n"
    "    driver_version, available, compute_units, clock_mhz, max_work_group_size,\n"
    "    max_work_item_sizes[3], preferred_vector_width{char,short,int,long,float,\n"
    "    double,half}, global_mem_bytes, global_mem_cache_bytes, local_mem_bytes,\n"
    "    local_mem_dedicated, max_alloc_bytes, max_constant_bytes, fp64, unified_memory,\n"
    "    default (what a plain run selects),\n"
    "    locality{pci_bus_id (null when unknown), cpuset, pus, numa_nodes[], hwloc_osdev,\n"
    "    whole_machine, source}\n"
    "  host: packages, cores, pus, numa_nodes, memory_bytes, cpu_model,\n"
    "    caches[]{level, kind (data|instruction|unified), size_bytes, count}\n"
    "  bound (with --bind): index, cpuset, numa_nodes[]\n";

/* ---- device properties ------------------------------------------------------- */

typedef struct devinfo {
    char platform_version[256], vendor[256], version[256], c_version[256], driver[256];
    cl_bool available, unified;
    cl_uint compute_units, clock_mhz;
    size_t max_wg, max_items[3];
    cl_uint vec[7]; /* char short int long float double half */
    cl_ulong global_mem, global_cache, local_mem, max_alloc, max_const;
    cl_device_local_mem_type local_type;
    int fp64;
} devinfo;

static const char *const vec_names[7] = {"char",  "short",  "int", "long",
                                         "float", "double", "half"};

static void get_info(cl_device_id d, cl_device_info what, void *out, size_t size)
{
    /* A property the driver does not report stays zero / empty. */
    if (clGetDeviceInfo(d, what, size, out, NULL) != CL_SUCCESS)
        memset(out, 0, size);
}

static void get_str(cl_device_id d, cl_device_info what, char *out, size_t size)
{
    out[0] = '\0';
    if (clGetDeviceInfo(d, what, size - 1, out, NULL) != CL_SUCCESS)
        out[0] = '\0';
    out[size - 1] = '\0';
}

static void query(const sb_devref *r, devinfo *di)
{
    cl_device_id d = r->did;
    memset(di, 0, sizeof *di);
    if (clGetPlatformInfo(r->pid, CL_PLATFORM_VERSION, sizeof di->platform_version - 1,
                          di->platform_version, NULL) != CL_SUCCESS)
        di->platform_version[0] = '\0';
    get_str(d, CL_DEVICE_VENDOR, di->vendor, sizeof di->vendor);
    get_str(d, CL_DEVICE_VERSION, di->version, sizeof di->version);
    get_str(d, CL_DEVICE_OPENCL_C_VERSION, di->c_version, sizeof di->c_version);
    get_str(d, CL_DRIVER_VERSION, di->driver, sizeof di->driver);
    get_info(d, CL_DEVICE_AVAILABLE, &di->available, sizeof di->available);
    get_info(d, CL_DEVICE_HOST_UNIFIED_MEMORY, &di->unified, sizeof di->unified);
    get_info(d, CL_DEVICE_MAX_COMPUTE_UNITS, &di->compute_units, sizeof di->compute_units);
    get_info(d, CL_DEVICE_MAX_CLOCK_FREQUENCY, &di->clock_mhz, sizeof di->clock_mhz);
    get_info(d, CL_DEVICE_MAX_WORK_GROUP_SIZE, &di->max_wg, sizeof di->max_wg);
    cl_uint dims = 0;
    get_info(d, CL_DEVICE_MAX_WORK_ITEM_DIMENSIONS, &dims, sizeof dims);
    if (dims >= 3) {
        size_t items[16] = {0};
        if (dims <= 16 && clGetDeviceInfo(d, CL_DEVICE_MAX_WORK_ITEM_SIZES,
                                          dims * sizeof(size_t), items, NULL) == CL_SUCCESS)
            memcpy(di->max_items, items, sizeof di->max_items);
    }
    static const cl_device_info vec_params[7] = {
        CL_DEVICE_PREFERRED_VECTOR_WIDTH_CHAR,  CL_DEVICE_PREFERRED_VECTOR_WIDTH_SHORT,
        CL_DEVICE_PREFERRED_VECTOR_WIDTH_INT,   CL_DEVICE_PREFERRED_VECTOR_WIDTH_LONG,
        CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT, CL_DEVICE_PREFERRED_VECTOR_WIDTH_DOUBLE,
        CL_DEVICE_PREFERRED_VECTOR_WIDTH_HALF};
    for (int i = 0; i < 7; i++)
        get_info(d, vec_params[i], &di->vec[i], sizeof di->vec[i]);
    get_info(d, CL_DEVICE_GLOBAL_MEM_SIZE, &di->global_mem, sizeof di->global_mem);
    get_info(d, CL_DEVICE_GLOBAL_MEM_CACHE_SIZE, &di->global_cache,
             sizeof di->global_cache);
    get_info(d, CL_DEVICE_LOCAL_MEM_SIZE, &di->local_mem, sizeof di->local_mem);
    get_info(d, CL_DEVICE_LOCAL_MEM_TYPE, &di->local_type, sizeof di->local_type);
    get_info(d, CL_DEVICE_MAX_MEM_ALLOC_SIZE, &di->max_alloc, sizeof di->max_alloc);
    get_info(d, CL_DEVICE_MAX_CONSTANT_BUFFER_SIZE, &di->max_const, sizeof di->max_const);
    cl_device_fp_config fp = 0;
    get_info(d, CL_DEVICE_DOUBLE_FP_CONFIG, &fp, sizeof fp);
    di->fp64 = fp != 0;
}

static const char *type_name(cl_device_type t)
{
    return (t & CL_DEVICE_TYPE_GPU)           ? "gpu"
           : (t & CL_DEVICE_TYPE_ACCELERATOR) ? "accelerator"
           : (t & CL_DEVICE_TYPE_CPU)         ? "cpu"
                                              : "custom";
}

/* "1.5 GiB": binary units, as drivers report powers of two. */
static const char *human(unsigned long long bytes, char *buf, size_t n)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)bytes;
    int u = 0;
    while (v >= 1024 && u < 4)
        v /= 1024, u++;
    if (u == 0)
        snprintf(buf, n, "%llu B", bytes);
    else
        snprintf(buf, n, v < 10 && v != (double)(long long)v ? "%.1f %s" : "%.0f %s", v,
                 units[u]);
    return buf;
}

/* ---- JSON ------------------------------------------------------------------------ */

static cJSON *list_json(const char *list)
{
    /* hwloc list syntax "0,2-3" -> [0, 2, 3] */
    cJSON *a = cJSON_CreateArray();
    const char *p = list;
    while (a && p && *p) {
        char *end;
        long lo = strtol(p, &end, 10), hi = lo;
        if (end == p)
            break;
        if (*end == '-')
            hi = strtol(end + 1, &end, 10);
        for (long i = lo; i <= hi && i - lo < 4096; i++)
            cJSON_AddItemToArray(a, cJSON_CreateNumber((double)i));
        p = *end == ',' ? end + 1 : end;
        if (*p && *p != ',' && (*p < '0' || *p > '9'))
            break;
    }
    return a;
}

static cJSON *device_json(const sb_devref *r, const devinfo *di, const sb_locality *loc,
                          int is_default)
{
    char idx[32];
    snprintf(idx, sizeof idx, "%d:%d", r->platform, r->device);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "index", idx);
    cJSON_AddNumberToObject(o, "platform_index", r->platform);
    cJSON_AddNumberToObject(o, "device_index", r->device);
    cJSON_AddStringToObject(o, "platform", r->platform_name);
    cJSON_AddStringToObject(o, "platform_version", di->platform_version);
    cJSON_AddStringToObject(o, "name", r->name);
    cJSON_AddStringToObject(o, "vendor", di->vendor);
    cJSON_AddStringToObject(o, "type", type_name(r->type));
    cJSON_AddStringToObject(o, "opencl_version", di->version);
    cJSON_AddStringToObject(o, "opencl_c_version", di->c_version);
    cJSON_AddStringToObject(o, "driver_version", di->driver);
    cJSON_AddBoolToObject(o, "available", di->available);
    cJSON_AddNumberToObject(o, "compute_units", di->compute_units);
    cJSON_AddNumberToObject(o, "clock_mhz", di->clock_mhz);
    cJSON_AddNumberToObject(o, "max_work_group_size", (double)di->max_wg);
    cJSON *items = cJSON_AddArrayToObject(o, "max_work_item_sizes");
    for (int i = 0; i < 3; i++)
        cJSON_AddItemToArray(items, cJSON_CreateNumber((double)di->max_items[i]));
    cJSON *vec = cJSON_AddObjectToObject(o, "preferred_vector_width");
    for (int i = 0; i < 7; i++)
        cJSON_AddNumberToObject(vec, vec_names[i], di->vec[i]);
    cJSON_AddNumberToObject(o, "global_mem_bytes", (double)di->global_mem);
    cJSON_AddNumberToObject(o, "global_mem_cache_bytes", (double)di->global_cache);
    cJSON_AddNumberToObject(o, "local_mem_bytes", (double)di->local_mem);
    cJSON_AddBoolToObject(o, "local_mem_dedicated", di->local_type == CL_LOCAL);
    cJSON_AddNumberToObject(o, "max_alloc_bytes", (double)di->max_alloc);
    cJSON_AddNumberToObject(o, "max_constant_bytes", (double)di->max_const);
    cJSON_AddBoolToObject(o, "fp64", di->fp64);
    cJSON_AddBoolToObject(o, "unified_memory", di->unified);
    cJSON_AddBoolToObject(o, "default", is_default);
    cJSON *l = cJSON_AddObjectToObject(o, "locality");
    if (loc->pci_bus_id[0])
        cJSON_AddStringToObject(l, "pci_bus_id", loc->pci_bus_id);
    else
        cJSON_AddNullToObject(l, "pci_bus_id");
    cJSON_AddStringToObject(l, "cpuset", loc->cpuset);
    cJSON_AddNumberToObject(l, "pus", loc->pus);
    cJSON_AddItemToObject(l, "numa_nodes", list_json(loc->numa_nodes));
    if (loc->osdev[0])
        cJSON_AddStringToObject(l, "hwloc_osdev", loc->osdev);
    else
        cJSON_AddNullToObject(l, "hwloc_osdev");
    cJSON_AddBoolToObject(l, "whole_machine", loc->whole_machine);
    cJSON_AddStringToObject(l, "source", loc->source ? loc->source : "");
    return o;
}

static cJSON *host_json(const sb_host_info *h)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "packages", h->packages);
    cJSON_AddNumberToObject(o, "cores", h->cores);
    cJSON_AddNumberToObject(o, "pus", h->pus);
    cJSON_AddNumberToObject(o, "numa_nodes", h->numa_nodes);
    cJSON_AddNumberToObject(o, "memory_bytes", (double)h->memory);
    cJSON_AddStringToObject(o, "cpu_model", h->cpu_model);
    cJSON *cs = cJSON_AddArrayToObject(o, "caches");
    for (int i = 0; i < h->ncaches; i++) {
        cJSON *c = cJSON_CreateObject();
        cJSON_AddNumberToObject(c, "level", h->caches[i].level);
        cJSON_AddStringToObject(c, "kind", h->caches[i].kind);
        cJSON_AddNumberToObject(c, "size_bytes", (double)h->caches[i].size);
        cJSON_AddNumberToObject(c, "count", h->caches[i].count);
        cJSON_AddItemToArray(cs, c);
    }
    return o;
}

/* ---- table ----------------------------------------------------------------------- */

static void print_device(const sb_devref *r, const devinfo *di, const sb_locality *loc,
                         int is_default)
{
    char a[32], b[32];
    printf("Device %d:%d  %s%s\n", r->platform, r->device, r->name,
           is_default ? "  [default]" : "");
    printf("  %-16s %s (%s)\n", "platform", r->platform_name, di->platform_version);
    printf("  %-16s %s\n", "vendor", di->vendor);
    printf("  %-16s %s%s\n", "type", type_name(r->type),
           di->available ? "" : " (not available)");
    printf("  %-16s %s; %s\n", "OpenCL", di->version, di->c_version);
    printf("  %-16s %s\n", "driver", di->driver);
    printf("  %-16s %u at %u MHz\n", "compute units", di->compute_units, di->clock_mhz);
    printf("  %-16s %zu (items %zu x %zu x %zu)\n", "max work-group", di->max_wg,
           di->max_items[0], di->max_items[1], di->max_items[2]);
    printf("  %-16s", "vector widths");
    for (int i = 0; i < 7; i++)
        printf(" %s %u%s", vec_names[i], di->vec[i], i < 6 ? "," : "\n");
    printf("  %-16s %s (cache %s)\n", "global memory", human(di->global_mem, a, sizeof a),
           human(di->global_cache, b, sizeof b));
    printf("  %-16s %s (%s)\n", "local memory", human(di->local_mem, a, sizeof a),
           di->local_type == CL_LOCAL ? "dedicated" : "emulated in global memory");
    printf("  %-16s %s (constant buffer %s)\n", "max allocation",
           human(di->max_alloc, a, sizeof a), human(di->max_const, b, sizeof b));
    printf("  %-16s %s\n", "fp64", di->fp64 ? "yes" : "no");
    printf("  %-16s %s\n", "unified memory",
           di->unified ? "yes (shares host memory)" : "no");
    printf("  %-16s %s%u PU%s (%s)", "host locality",
           loc->whole_machine ? "whole machine, " : "", loc->pus, loc->pus == 1 ? "" : "s",
           loc->cpuset);
    if (loc->numa_nodes[0])
        printf(", NUMA node%s %s", strpbrk(loc->numa_nodes, ",-") ? "s" : "",
               loc->numa_nodes);
    printf("\n  %-16s %s\n", "locality source", loc->source ? loc->source : "");
    printf("  %-16s %s%s%s%s\n", "PCI bus", loc->pci_bus_id[0] ? loc->pci_bus_id : "-",
           loc->osdev[0] ? " (hwloc " : "", loc->osdev, loc->osdev[0] ? ")" : "");
}

static void print_host(const sb_host_info *h)
{
    char a[32];
    printf("Host  %s\n", h->cpu_model[0] ? h->cpu_model : "(CPU model unknown)");
    printf("  %-16s %u package%s, %u core%s, %u PU%s, %u NUMA node%s\n", "topology",
           h->packages, h->packages == 1 ? "" : "s", h->cores, h->cores == 1 ? "" : "s",
           h->pus, h->pus == 1 ? "" : "s", h->numa_nodes, h->numa_nodes == 1 ? "" : "s");
    printf("  %-16s %s\n", "memory", human(h->memory, a, sizeof a));
    printf("  %-16s", "caches");
    if (!h->ncaches)
        printf(" (none reported)");
    for (int i = 0; i < h->ncaches; i++) {
        const sb_cache_info *c = &h->caches[i];
        const char *k = !strcmp(c->kind, "data")          ? "d"
                        : !strcmp(c->kind, "instruction") ? "i"
                                                          : "";
        printf("%s L%d%s %s x%u", i ? "," : "", c->level, k, human(c->size, a, sizeof a),
               c->count);
    }
    printf("\n");
}

/* ---- command ----------------------------------------------------------------------- */

int sb_cmd_devices(int argc, char **argv, sb_err *err)
{
    enum { OPT_JSON = SB_OPT_FIRST_FREE };
    static const struct option longopts[] = {
        {"json", no_argument, 0, OPT_JSON}, SB_COMMON_LONGOPTS, {0, 0, 0, 0}};
    sb_opts o = {0};
    int c, json = 0;
    optind = 1;
    opterr = 0;
    if (sb_cli_check_args("devices", argc, argv, "", longopts, err))
        return err->code;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c == SB_OPT_HELP)
            return sb_cli_help(help);
        if (c == OPT_JSON)
            json = 1;
        else if (!sb_cli_common(c, optarg, &o))
            return sb_cli_bad_option("devices", argc, argv, err);
    }
    if (optind < argc)
        return sb_fail(err, SB_EUSAGE, "devices: unexpected argument '%s'", argv[optind]);
    if (o.kernel_dir || o.kernel_binary)
        return sb_fail(err, SB_EUSAGE,
                       "devices: --%s has no effect here (it builds no kernel)",
                       o.kernel_dir ? "kernel-dir" : "kernel-binary");

    /* The selection (--device, else $SIGNBENCH_DEVICE, as for every command) restricts
     * the listing and must match; without one, everything is listed and the default
     * rule marks [default]. --bind pins near the selected (or default) device. */
    const char *env = getenv("SIGNBENCH_DEVICE");
    int listed = (o.device && *o.device) || (env && *env);
    sb_devset set;
    if ((listed || o.bind) && sb_devset_resolve(o.device, &set, err) != SB_OK)
        return err->code;
    sb_devref *list;
    int n;
    if (sb_devices_list(&list, &n, err) != SB_OK)
        return err->code;
    int def = -1;
    sb_devspec none = {0};
    if (listed || o.bind) {
        for (int i = 0; i < n && def < 0; i++)
            def = list[i].did == set.dev[0].did ? i : -1;
    } else if (n > 0) {
        def = sb_devspec_match(&none, list, n, err);
    }
    sb_topo *topo;
    if (sb_topo_open(&topo, err) != SB_OK) {
        free(list);
        return err->code;
    }
    sb_host_info host;
    sb_topo_host(topo, &host);
    sb_locality bound = {0};
    int st = SB_OK;
    if (o.bind) {
        sb_topo_locate(topo, &list[def], &bound);
        st = sb_topo_bind(topo, &bound, err);
        if (st == SB_OK)
            sb_bind_notice(&bound);
    }

    cJSON *root = NULL, *arr = NULL;
    if (json) {
        root = cJSON_CreateObject();
        cJSON_AddStringToObject(root, "schema", SB_DEVICES_SCHEMA);
        arr = cJSON_AddArrayToObject(root, "devices");
    }
    for (int i = 0; i < n && st == SB_OK; i++) {
        int in_set = !listed;
        for (int k = 0; listed && k < set.n; k++)
            in_set |= set.dev[k].did == list[i].did;
        if (!in_set)
            continue;
        devinfo di;
        sb_locality loc;
        query(&list[i], &di);
        sb_topo_locate(topo, &list[i], &loc);
        if (json)
            cJSON_AddItemToArray(arr, device_json(&list[i], &di, &loc, i == def));
        else {
            print_device(&list[i], &di, &loc, i == def);
            printf("\n");
        }
    }
    if (st == SB_OK && n == 0 && !json)
        printf("No OpenCL device found: install an ICD such as pocl-opencl-icd "
               "(bench/setup does).\n\n");
    if (st == SB_OK && json) {
        cJSON_AddItemToObject(root, "host", host_json(&host));
        if (o.bind) {
            char idx[32];
            snprintf(idx, sizeof idx, "%d:%d", list[def].platform, list[def].device);
            cJSON *b = cJSON_AddObjectToObject(root, "bound");
            cJSON_AddStringToObject(b, "index", idx);
            cJSON_AddStringToObject(b, "cpuset", bound.cpuset);
            cJSON_AddItemToObject(b, "numa_nodes", list_json(bound.numa_nodes));
        }
        char *text = cJSON_Print(root);
        if (text) {
            printf("%s\n", text);
            cJSON_free(text);
        } else
            st = sb_fail(err, SB_ERUNTIME, "devices: out of memory writing JSON");
    } else if (st == SB_OK) {
        print_host(&host);
        if (o.bind)
            printf("\nThis thread is pinned to PU%s %s (near device %d:%d, %s).\n",
                   bound.pus == 1 ? "" : "s", bound.cpuset, list[def].platform,
                   list[def].device, list[def].name);
    }
    cJSON_Delete(root);
    sb_topo_close(topo);
    free(list);
    return st;
}
