/* devices_print.c - `signbench devices`'s output: each device (limits, host locality) and
 * the host summary, as JSON objects (schema signbench-devices/1) or table blocks. */
#include "devices_print.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

cJSON *sb_devices_cpulist_json(const char *list)
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

cJSON *sb_devices_device_json(const sb_devref *r, const sb_devinfo *di,
                              const sb_locality *loc, int is_default)
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
    cJSON_AddStringToObject(o, "type", sb_devinfo_type_name(r->type));
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
        cJSON_AddNumberToObject(vec, sb_devinfo_vec_names[i], di->vec[i]);
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
    cJSON_AddItemToObject(l, "numa_nodes", sb_devices_cpulist_json(loc->numa_nodes));
    if (loc->osdev[0])
        cJSON_AddStringToObject(l, "hwloc_osdev", loc->osdev);
    else
        cJSON_AddNullToObject(l, "hwloc_osdev");
    cJSON_AddBoolToObject(l, "whole_machine", loc->whole_machine);
    cJSON_AddStringToObject(l, "source", loc->source ? loc->source : "");
    return o;
}

cJSON *sb_devices_host_json(const sb_host_info *h)
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

void sb_devices_print_device(const sb_devref *r, const sb_devinfo *di,
                             const sb_locality *loc, int is_default)
{
    char a[32], b[32];
    printf("Device %d:%d  %s%s\n", r->platform, r->device, r->name,
           is_default ? "  [default]" : "");
    printf("  %-16s %s (%s)\n", "platform", r->platform_name, di->platform_version);
    printf("  %-16s %s\n", "vendor", di->vendor);
    printf("  %-16s %s%s\n", "type", sb_devinfo_type_name(r->type),
           di->available ? "" : " (not available)");
    printf("  %-16s %s; %s\n", "OpenCL", di->version, di->c_version);
    printf("  %-16s %s\n", "driver", di->driver);
    printf("  %-16s %u at %u MHz\n", "compute units", di->compute_units, di->clock_mhz);
    printf("  %-16s %zu (items %zu x %zu x %zu)\n", "max work-group", di->max_wg,
           di->max_items[0], di->max_items[1], di->max_items[2]);
    printf("  %-16s", "vector widths");
    for (int i = 0; i < 7; i++)
        printf(" %s %u%s", sb_devinfo_vec_names[i], di->vec[i], i < 6 ? "," : "\n");
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

void sb_devices_print_host(const sb_host_info *h)
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
