/* devinfo.c - what `signbench devices` shows of a device: its limits and versions as
 * the driver reports them (clGetDeviceInfo), a property it does not report left zero. */
#include "devinfo.h"

#include <string.h>

const char *const sb_devinfo_vec_names[7] = {"char",  "short",  "int", "long",
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

void sb_devinfo_query(const sb_devref *r, sb_devinfo *di)
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

const char *sb_devinfo_type_name(cl_device_type t)
{
    return (t & CL_DEVICE_TYPE_GPU)           ? "gpu"
           : (t & CL_DEVICE_TYPE_ACCELERATOR) ? "accelerator"
           : (t & CL_DEVICE_TYPE_CPU)         ? "cpu"
                                              : "custom";
}
