/* topo.h - the host machine as hwloc sees it: a summary (packages, cores, PUs, NUMA
 * nodes, caches), where an OpenCL device sits (PCI bus, nearby CPUs and NUMA nodes), and
 * binding the host thread near a device. Plain structs, so callers need no hwloc header. */
#ifndef SB_TOPO_H
#define SB_TOPO_H

#include "devref.h"
#include "sb.h"

/* One cache level/kind of the host, e.g. L2 unified, 512 KiB, 16 instances. */
typedef struct sb_cache_info {
    int level;               /* 1, 2, 3... */
    const char *kind;        /* "data", "instruction" or "unified" */
    unsigned long long size; /* bytes, of one instance */
    unsigned count;          /* instances in the machine */
} sb_cache_info;

typedef struct sb_host_info {
    unsigned packages, cores, pus, numa_nodes;
    unsigned long long memory; /* bytes of RAM hwloc sees (all NUMA nodes) */
    char cpu_model[128];       /* from the first package; "" when unknown */
    int ncaches;
    sb_cache_info caches[12]; /* by level, then data before instruction */
} sb_host_info;

/* Where a device sits relative to the host CPUs and memory. */
typedef struct sb_locality {
    char pci_bus_id[32]; /* "0000:65:00.0", "" when the driver does not say */
    char cpuset[256];    /* the CPUs (PU OS indices) near the device, e.g. "0-15" */
    unsigned pus;        /* how many PUs that is */
    char numa_nodes[64]; /* NUMA node OS indices near it, e.g. "0"; "" when none */
    char osdev[32];      /* hwloc's OS device name ("opencl0d0") when it has one */
    int whole_machine;   /* the device is the host CPU, or its locality is unknown */
    const char *source;  /* how it was found, in words */
} sb_locality;

typedef struct sb_topo sb_topo;

/* Load the host topology (with I/O devices, so GPUs show their PCI parent). */
int sb_topo_open(sb_topo **out, sb_err *err);
void sb_topo_close(sb_topo *t);

void sb_topo_host(sb_topo *t, sb_host_info *h);
void sb_topo_locate(sb_topo *t, const sb_devref *dev, sb_locality *loc);

/* Pin the calling thread to loc's CPU set (HWLOC_CPUBIND_THREAD). */
int sb_topo_bind(sb_topo *t, const sb_locality *loc, sb_err *err);

/* All in one, for sb_ctx_open: load, locate dev, bind this thread, unload. On success
 * loc tells where the thread now runs. */
int sb_topo_bind_device(const sb_devref *dev, sb_locality *loc, sb_err *err);

#endif
