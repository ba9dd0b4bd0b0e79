/* devices_print.h - `signbench devices`'s output: a device's entry and the host summary,
 * as JSON (schema signbench-devices/1) or as blocks of the table. */
#ifndef SB_DEVICES_PRINT_H
#define SB_DEVICES_PRINT_H

#include <cJSON.h>

#include "devinfo.h"
#include "topo.h"

#define SB_DEVICES_SCHEMA "signbench-devices/1"

/* hwloc's list syntax "0,2-3" as [0, 2, 3]. */
cJSON *sb_devices_cpulist_json(const char *list);
/* One device: index, properties, locality; is_default marks what a plain run selects. */
cJSON *sb_devices_device_json(const sb_devref *r, const sb_devinfo *di,
                              const sb_locality *loc, int is_default);
void sb_devices_print_device(const sb_devref *r, const sb_devinfo *di,
                             const sb_locality *loc, int is_default);
/* The host: topology, memory, caches. */
cJSON *sb_devices_host_json(const sb_host_info *h);
void sb_devices_print_host(const sb_host_info *h);

#endif
