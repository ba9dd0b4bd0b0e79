/* topo.c - hwloc: host summary, OpenCL device locality (PCI bus, nearby CPUs and NUMA
 * nodes, via hwloc/opencl.h) and pinning the host thread near a device (--bind). */
#define _POSIX_C_SOURCE 200809L
#include "topo.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hwloc.h>
#include <hwloc/opencl.h>

struct sb_topo {
    hwloc_topology_t t;
};

int sb_topo_open(sb_topo **out, sb_err *err)
{
    *out = NULL;
    sb_topo *tp = calloc(1, sizeof *tp);
    if (!tp)
        return sb_fail(err, SB_ERUNTIME, "out of memory");
    if (hwloc_topology_init(&tp->t) != 0) {
        free(tp);
        return sb_fail(err, SB_ERUNTIME, "hwloc_topology_init failed: %s", strerror(errno));
    }
    /* PCI devices and OS devices (the OpenCL plugin) show where a GPU or FPGA sits;
     * instruction caches are hidden by default but belong in the host summary. */
    hwloc_topology_set_io_types_filter(tp->t, HWLOC_TYPE_FILTER_KEEP_IMPORTANT);
    hwloc_topology_set_icache_types_filter(tp->t, HWLOC_TYPE_FILTER_KEEP_ALL);
    if (hwloc_topology_load(tp->t) != 0) {
        int e = errno;
        hwloc_topology_destroy(tp->t);
        free(tp);
        return sb_fail(err, SB_ERUNTIME, "hwloc could not read the host topology: %s",
                       strerror(e));
    }
    *out = tp;
    return SB_OK;
}

void sb_topo_close(sb_topo *tp)
{
    if (!tp)
        return;
    hwloc_topology_destroy(tp->t);
    free(tp);
}

static unsigned count_type(hwloc_topology_t t, hwloc_obj_type_t type)
{
    int n = hwloc_get_nbobjs_by_type(t, type);
    return n > 0 ? (unsigned)n : 0;
}

void sb_topo_host(sb_topo *tp, sb_host_info *h)
{
    hwloc_topology_t t = tp->t;
    memset(h, 0, sizeof *h);
    h->packages = count_type(t, HWLOC_OBJ_PACKAGE);
    h->cores = count_type(t, HWLOC_OBJ_CORE);
    h->pus = count_type(t, HWLOC_OBJ_PU);
    h->numa_nodes = count_type(t, HWLOC_OBJ_NUMANODE);
    h->memory = hwloc_get_root_obj(t)->total_memory;
    hwloc_obj_t pkg = hwloc_get_obj_by_type(t, HWLOC_OBJ_PACKAGE, 0);
    const char *model = pkg ? hwloc_obj_get_info_by_name(pkg, "CPUModel") : NULL;
    if (!model)
        model = hwloc_obj_get_info_by_name(hwloc_get_root_obj(t), "CPUModel");
    snprintf(h->cpu_model, sizeof h->cpu_model, "%s", model ? model : "");

    static const hwloc_obj_type_t caches[] = {
        HWLOC_OBJ_L1CACHE, HWLOC_OBJ_L1ICACHE, HWLOC_OBJ_L2CACHE, HWLOC_OBJ_L2ICACHE,
        HWLOC_OBJ_L3CACHE, HWLOC_OBJ_L3ICACHE, HWLOC_OBJ_L4CACHE, HWLOC_OBJ_L5CACHE};
    for (size_t i = 0; i < sizeof caches / sizeof caches[0]; i++) {
        unsigned n = count_type(t, caches[i]);
        hwloc_obj_t o = hwloc_get_obj_by_type(t, caches[i], 0);
        if (!n || !o || h->ncaches == (int)(sizeof h->caches / sizeof h->caches[0]))
            continue;
        sb_cache_info *c = &h->caches[h->ncaches++];
        c->level = (int)o->attr->cache.depth;
        c->kind = o->attr->cache.type == HWLOC_OBJ_CACHE_DATA          ? "data"
                  : o->attr->cache.type == HWLOC_OBJ_CACHE_INSTRUCTION ? "instruction"
                                                                       : "unified";
        c->size = o->attr->cache.size;
        c->count = n;
    }
}

/* Fill the CPU set, PU count and nearby NUMA nodes of loc from set. */
static void describe_set(hwloc_topology_t t, hwloc_const_cpuset_t set, sb_locality *loc)
{
    hwloc_bitmap_list_snprintf(loc->cpuset, sizeof loc->cpuset, set);
    int w = hwloc_bitmap_weight(set);
    loc->pus = w > 0 ? (unsigned)w : 0;
    hwloc_nodeset_t nodes = hwloc_bitmap_alloc();
    if (nodes) {
        hwloc_cpuset_to_nodeset(t, set, nodes);
        if (!hwloc_bitmap_iszero(nodes))
            hwloc_bitmap_list_snprintf(loc->numa_nodes, sizeof loc->numa_nodes, nodes);
        hwloc_bitmap_free(nodes);
    }
}

void sb_topo_locate(sb_topo *tp, const sb_devref *dev, sb_locality *loc)
{
    hwloc_topology_t t = tp->t;
    hwloc_const_cpuset_t machine = hwloc_topology_get_topology_cpuset(t);
    memset(loc, 0, sizeof *loc);
    if (dev->type & CL_DEVICE_TYPE_CPU) {
        /* A CPU device (PoCL) runs on the host cores themselves: the whole machine. */
        loc->whole_machine = 1;
        loc->source = "CPU device: the whole machine";
        describe_set(t, machine, loc);
        return;
    }
    hwloc_cpuset_t set = hwloc_bitmap_alloc();
    if (!set) {
        loc->whole_machine = 1;
        loc->source = "out of memory: assumed the whole machine";
        describe_set(t, machine, loc);
        return;
    }
    unsigned dom = 0, bus = 0, pdev = 0, func = 0;
    int have_pci =
        hwloc_opencl_get_device_pci_busid(dev->did, &dom, &bus, &pdev, &func) == 0;
    hwloc_obj_t os = hwloc_opencl_get_device_osdev_by_index(t, (unsigned)dev->platform,
                                                            (unsigned)dev->device);
    if (os && os->name)
        snprintf(loc->osdev, sizeof loc->osdev, "%s", os->name);
    if (!have_pci && os && os->parent && os->parent->type == HWLOC_OBJ_PCI_DEVICE) {
        const struct hwloc_pcidev_attr_s *a = &os->parent->attr->pcidev;
        dom = a->domain, bus = a->bus, pdev = a->dev, func = a->func;
        have_pci = 1;
    }
    if (have_pci)
        snprintf(loc->pci_bus_id, sizeof loc->pci_bus_id, "%04x:%02x:%02x.%x", dom, bus,
                 pdev, func);

    hwloc_obj_t anc = os ? hwloc_get_non_io_ancestor_obj(t, os) : NULL;
    if (anc && anc->cpuset) {
        hwloc_bitmap_copy(set, anc->cpuset);
        loc->source = "hwloc OpenCL device object";
    } else if (hwloc_opencl_get_device_cpuset(t, dev->did, set) == 0) {
        loc->source = have_pci ? "PCI local_cpus of the device" : NULL;
    } else {
        hwloc_bitmap_copy(set, machine);
    }
    hwloc_bitmap_and(set, set, machine);
    if (hwloc_bitmap_iszero(set))
        hwloc_bitmap_copy(set, machine);
    loc->whole_machine = hwloc_bitmap_isequal(set, machine);
    if (!loc->source || (!have_pci && loc->whole_machine))
        loc->source = "the driver reports no PCI location: assumed the whole machine";
    describe_set(t, set, loc);
    hwloc_bitmap_free(set);
}

int sb_topo_bind(sb_topo *tp, const sb_locality *loc, sb_err *err)
{
    hwloc_cpuset_t set = hwloc_bitmap_alloc();
    if (!set)
        return sb_fail(err, SB_ERUNTIME, "out of memory");
    if (hwloc_bitmap_list_sscanf(set, loc->cpuset) != 0 || hwloc_bitmap_iszero(set)) {
        hwloc_bitmap_free(set);
        return sb_fail(err, SB_ERUNTIME, "--bind: no CPU set to bind to");
    }
    int rc = hwloc_set_cpubind(tp->t, set, HWLOC_CPUBIND_THREAD);
    int e = errno;
    hwloc_bitmap_free(set);
    if (rc != 0)
        return sb_fail(err, SB_ERUNTIME, "--bind: cannot pin the host thread to PUs %s: %s",
                       loc->cpuset, strerror(e));
    return SB_OK;
}

int sb_topo_bind_device(const sb_devref *dev, sb_locality *loc, sb_err *err)
{
    sb_topo *tp;
    if (sb_topo_open(&tp, err) != SB_OK)
        return sb_wrap(err, "--bind");
    sb_topo_locate(tp, dev, loc);
    int st = sb_topo_bind(tp, loc, err);
    sb_topo_close(tp);
    return st;
}
