/* cli_devices.c - `signbench devices`: every OpenCL device with its limits and where it
 * sits on the host (hwloc), then the host summary; a table for people, --json for tools
 * (the properties from ocl/devinfo.c, the output from report/devices_print.c). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "devices_print.h"

static const char help_text[] =
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

enum { OPT_JSON = SB_OPT_FIRST_FREE };

static int devices_option(int c, const char *arg, void *ctx, sb_err *err)
{
    if (c != OPT_JSON)
        return -1;
    *(int *)ctx = 1;
    return SB_OK;
}

static int parse_args(int argc, char **argv, sb_opts *o, int *json, int *help, sb_err *err)
{
    static const struct option longopts[] = {
        {"json", no_argument, 0, OPT_JSON}, SB_COMMON_LONGOPTS, {0, 0, 0, 0}};
    static const sb_cli_parser p = {"devices", "", longopts, devices_option, 0};
    int rc = sb_cli_parse(&p, argc, argv, json, o, help, err);
    if (rc || *help)
        return rc;
    if (o->kernel_dir || o->kernel_binary)
        return sb_fail(err, SB_EUSAGE,
                       "devices: --%s has no effect here (it builds no kernel)",
                       o->kernel_dir ? "kernel-dir" : "kernel-binary");
    return SB_OK;
}

/* What is listed: every device, or (listed) those of set; def is the default's index. */
typedef struct listing {
    sb_devref *list;
    int n, def, listed, json;
    sb_devset set;
    sb_topo *topo;
    sb_host_info host;
    sb_locality bound;
} listing;

/* The selection (--device, else $SIGNBENCH_DEVICE, as for every command) restricts the
 * listing and must match; without one, everything is listed and the default rule marks
 * [default]. */
static int select_devices(const sb_opts *o, listing *l, sb_err *err)
{
    const char *env = getenv("SIGNBENCH_DEVICE");
    l->listed = (o->device && *o->device) || (env && *env);
    if ((l->listed || o->bind) && sb_devset_resolve(o->device, &l->set, err) != SB_OK)
        return err->code;
    if (sb_devices_list(&l->list, &l->n, err) != SB_OK)
        return err->code;
    l->def = -1;
    sb_devspec none = {0};
    if (l->listed || o->bind) {
        for (int i = 0; i < l->n && l->def < 0; i++)
            l->def = l->list[i].did == l->set.dev[0].did ? i : -1;
    } else if (l->n > 0) {
        l->def = sb_devspec_match(&none, l->list, l->n, err);
    }
    return SB_OK;
}

/* Every device listed, into arr (--json) or printed. */
static void each_device(listing *l, cJSON *arr)
{
    for (int i = 0; i < l->n; i++) {
        int in_set = !l->listed;
        for (int k = 0; l->listed && k < l->set.n; k++)
            in_set |= l->set.dev[k].did == l->list[i].did;
        if (!in_set)
            continue;
        sb_devinfo di;
        sb_locality loc;
        sb_devinfo_query(&l->list[i], &di);
        sb_topo_locate(l->topo, &l->list[i], &loc);
        if (l->json)
            cJSON_AddItemToArray(
                arr, sb_devices_device_json(&l->list[i], &di, &loc, i == l->def));
        else {
            sb_devices_print_device(&l->list[i], &di, &loc, i == l->def);
            printf("\n");
        }
    }
}

/* The devices, then the host (and where this thread is bound, with --bind). */
static int print_all(listing *l, int bind, sb_err *err)
{
    const sb_devref *d = l->def >= 0 ? &l->list[l->def] : NULL;
    if (!l->json) {
        each_device(l, NULL);
        if (l->n == 0)
            printf("No OpenCL device found: install an ICD such as pocl-opencl-icd "
                   "(bench/setup does).\n\n");
        sb_devices_print_host(&l->host);
        if (bind)
            printf("\nThis thread is pinned to PU%s %s (near device %d:%d, %s).\n",
                   l->bound.pus == 1 ? "" : "s", l->bound.cpuset, d->platform, d->device,
                   d->name);
        return SB_OK;
    }
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "schema", SB_DEVICES_SCHEMA);
    each_device(l, cJSON_AddArrayToObject(root, "devices"));
    cJSON_AddItemToObject(root, "host", sb_devices_host_json(&l->host));
    if (bind) {
        char idx[32];
        snprintf(idx, sizeof idx, "%d:%d", d->platform, d->device);
        cJSON *b = cJSON_AddObjectToObject(root, "bound");
        cJSON_AddStringToObject(b, "index", idx);
        cJSON_AddStringToObject(b, "cpuset", l->bound.cpuset);
        cJSON_AddItemToObject(b, "numa_nodes",
                              sb_devices_cpulist_json(l->bound.numa_nodes));
    }
    char *text = cJSON_Print(root);
    int st = SB_OK;
    if (text) {
        printf("%s\n", text);
        cJSON_free(text);
    } else
        st = sb_fail(err, SB_ERUNTIME, "devices: out of memory writing JSON");
    cJSON_Delete(root);
    return st;
}

int sb_cmd_devices(int argc, char **argv, sb_err *err)
{
    sb_opts o = {0};
    int help = 0;
    listing l;
    memset(&l, 0, sizeof l);
    if (parse_args(argc, argv, &o, &l.json, &help, err))
        return err->code;
    if (help)
        return sb_cli_help(help_text);
    if (select_devices(&o, &l, err))
        return err->code;
    if (sb_topo_open(&l.topo, err) != SB_OK) {
        free(l.list);
        return err->code;
    }
    sb_topo_host(l.topo, &l.host);
    int st = SB_OK;
    /* --bind pins near the selected (or default) device. */
    if (o.bind) {
        sb_topo_locate(l.topo, &l.list[l.def], &l.bound);
        st = sb_topo_bind(l.topo, &l.bound, err);
        if (st == SB_OK)
            sb_bind_notice(&l.bound);
    }
    if (st == SB_OK)
        st = print_all(&l, o.bind, err);
    sb_topo_close(l.topo);
    free(l.list);
    return st;
}
