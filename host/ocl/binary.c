/* binary.c - the header of a `signbench compile` file: device, driver, source hash and
 * a checksum of the device binary, written by compile and checked before any load. */
#include "binary.h"

#include <stdio.h>
#include <string.h>

/* File layout: this header (little-endian as written by the host), then the device
 * binary. The header makes a mismatched or damaged binary a clear refusal, not a crash. */
#define SB_BIN_MAGIC "SBKBIN02"
#define SB_BIN_MAGIC_OLD "SBKBIN01" /* before the payload checksum */

typedef struct sb_binhdr {
    char magic[8];
    char device[256];
    char driver[128];
    uint64_t source_hash;
    uint64_t size;
    uint64_t payload_hash; /* FNV-1a 64 of the size bytes that follow */
} sb_binhdr;

int sb_binary_parse(const char *path, const void *data, size_t len, sb_binary_info *out,
                    sb_err *err)
{
    sb_binhdr h;
    memset(out, 0, sizeof *out);
    if (len >= 8 && memcmp(data, SB_BIN_MAGIC_OLD, 8) == 0)
        return sb_fail(err, SB_EUSAGE,
                       "--kernel-binary %s was made by an older signbench "
                       "(no payload checksum); rebuild it with `signbench compile`",
                       path);
    if (len < sizeof h || memcmp(data, SB_BIN_MAGIC, 8) != 0)
        return sb_fail(err, SB_EUSAGE,
                       "--kernel-binary %s: not a signbench binary (make one with "
                       "`signbench compile -o FILE`; offline FPGA builds must end in "
                       ".aocx or .xclbin)",
                       path);
    memcpy(&h, data, sizeof h);
    if (h.size != len - sizeof h)
        return sb_fail(err, SB_EUSAGE,
                       "--kernel-binary %s: truncated file (header says %llu "
                       "bytes of binary, the file holds %zu)",
                       path, (unsigned long long)h.size, len - sizeof h);
    const unsigned char *payload = (const unsigned char *)data + sizeof h;
    if (sb_fnv1a(SB_FNV_INIT, payload, (size_t)h.size) != h.payload_hash)
        return sb_fail(err, SB_EUSAGE,
                       "--kernel-binary %s: damaged file (the checksum of "
                       "its binary does not match its header); rebuild it with `signbench "
                       "compile`",
                       path);
    memcpy(out->device, h.device, sizeof h.device - 1);
    memcpy(out->driver, h.driver, sizeof h.driver - 1);
    out->source_hash = h.source_hash;
    out->payload = payload;
    out->size = (size_t)h.size;
    return SB_OK;
}

_Static_assert(sizeof(sb_binhdr) == SB_BINARY_HEADER_SIZE, "header size");

int sb_binary_is_ours(const void *data, size_t len)
{
    return len >= 8 &&
           (memcmp(data, SB_BIN_MAGIC, 8) == 0 || memcmp(data, SB_BIN_MAGIC_OLD, 8) == 0);
}

void sb_binary_header(const char *device, const char *driver, uint64_t source_hash,
                      const void *payload, size_t size, void *out)
{
    sb_binhdr h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, SB_BIN_MAGIC, 8);
    snprintf(h.device, sizeof h.device, "%s", device);
    snprintf(h.driver, sizeof h.driver, "%s", driver);
    h.source_hash = source_hash;
    h.size = size;
    h.payload_hash = sb_fnv1a(SB_FNV_INIT, payload, size);
    memcpy(out, &h, sizeof h);
}
