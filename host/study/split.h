/* split.h - one kernel split between devices: an update, pack or vote of one vector
 * shared out statically (by each device's measured rate) or in dynamic chunks. */
#ifndef SB_SPLIT_H
#define SB_SPLIT_H

#include "ocl.h"

typedef enum { SB_SPLIT_STATIC, SB_SPLIT_DYNAMIC } sb_split_schedule;

typedef struct sb_split_cfg {
    const char *devices; /* a device list naming 2 or more devices (devices.h) */
    sb_opts dev;         /* kernel dir / binaries for every device */
    sb_split_schedule schedule;
    size_t n;              /* elements of the vector */
    int reps;              /* timed repetitions (medians) */
    int vote_m;            /* voters of vote */
    int chunks_per_device; /* dynamic: chunks = this x devices */
} sb_split_cfg;

typedef struct sb_split_dev {
    char index[24], name[256];
    double alone_s; /* median seconds for the whole vector on this device alone */
    double share;   /* fraction of the elements it computed (dynamic: mean) */
    double busy_s;  /* median seconds of its part in the split run */
} sb_split_dev;

typedef struct sb_split_result {
    char op[16];
    size_t n, chunk; /* elements; chunk granularity */
    double bytes;    /* minimal traffic of one whole run */
    int ndev;
    sb_split_dev dev[16];
    double split_s;       /* median wall seconds of the split run */
    double gbs;           /* combined GB/s = bytes / split_s */
    double sum_alone_gbs; /* the devices' individual rates, summed */
    double efficiency;    /* combined rate over the sum of the individual rates */
    int exact; /* 1: the split result equals the first device's alone, bit for bit */
} sb_split_result;

/* The operations: "update" (signsgd: x -= lr sign(g)), "pack", "vote". */
extern const char *const sb_split_ops[];

/* Measure op across the devices of cfg->devices: each alone on the whole vector, then
 * split; check the split result bit for bit. SB_EUSAGE for one device or a bad op. */
int sb_split_run(const sb_split_cfg *cfg, const char *op, sb_split_result *r, sb_err *err);

#endif
