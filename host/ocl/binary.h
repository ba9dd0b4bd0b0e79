/* binary.h - the header of a `signbench compile` file (device, driver, source hash, a
 * checksum of the device binary): made on save, checked before a load. No OpenCL here. */
#ifndef SB_BINARY_H
#define SB_BINARY_H

#include <stddef.h>
#include <stdint.h>

#include "sb.h"

/* Bytes of the header in front of the device binary. */
#define SB_BINARY_HEADER_SIZE 416

/* A checked header: what the file was built for, and the device binary inside it. */
typedef struct sb_binary_info {
    char device[256], driver[128];
    uint64_t source_hash;
    const unsigned char *payload; /* inside the data given to sb_binary_parse */
    size_t size;
} sb_binary_info;

/* Check len bytes of a binary file (path names it in messages): SB_EUSAGE with one line
 * for a foreign, old, truncated or damaged (checksum) file. */
int sb_binary_parse(const char *path, const void *data, size_t len, sb_binary_info *out,
                    sb_err *err);
/* 1 when data starts with a signbench header (of this or an older version). */
int sb_binary_is_ours(const void *data, size_t len);
/* The header for size bytes of payload into out (SB_BINARY_HEADER_SIZE bytes). */
void sb_binary_header(const char *device, const char *driver, uint64_t source_hash,
                      const void *payload, size_t size, void *out);

#endif
