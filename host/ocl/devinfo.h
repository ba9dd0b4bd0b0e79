/* devinfo.h - one device's limits and versions as its driver reports them (what
 * `signbench devices` lists): sizes in bytes, clock in MHz. */
#ifndef SB_DEVINFO_H
#define SB_DEVINFO_H

#include "devref.h"

typedef struct sb_devinfo {
    char platform_version[256], vendor[256], version[256], c_version[256], driver[256];
    cl_bool available, unified;
    cl_uint compute_units, clock_mhz;
    size_t max_wg, max_items[3];
    cl_uint vec[7]; /* char short int long float double half */
    cl_ulong global_mem, global_cache, local_mem, max_alloc, max_const;
    cl_device_local_mem_type local_type;
    int fp64;
} sb_devinfo;

/* The element types of sb_devinfo.vec, in its order. */
extern const char *const sb_devinfo_vec_names[7];

/* Every property of r's device; one the driver does not report stays zero / empty. */
void sb_devinfo_query(const sb_devref *r, sb_devinfo *di);

/* "gpu", "accelerator", "cpu" or "custom". */
const char *sb_devinfo_type_name(cl_device_type t);

#endif
