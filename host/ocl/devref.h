/* devref.h - one OpenCL device as signbench names it (platform and device index, ids,
 * type, names): shared by the runtime (ocl.h) and the host topology (topo.h). */
#ifndef SB_DEVREF_H
#define SB_DEVREF_H

#ifndef CL_TARGET_OPENCL_VERSION
#define CL_TARGET_OPENCL_VERSION 120
#endif
#include <CL/cl.h>
#include <CL/cl_ext.h>

typedef struct sb_devref {
    int platform, device; /* indices as `signbench devices` shows them */
    cl_platform_id pid;
    cl_device_id did;
    cl_device_type type;
    char name[256];
    char platform_name[256];
} sb_devref;

#endif
