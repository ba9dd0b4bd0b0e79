/* fuzz_binary.c - libFuzzer target: the header check of `signbench compile` files
 * (sb_binary_parse, host/ocl/binary.c); half the inputs get a valid header in front, so
 * the fuzzer also reaches the size and checksum checks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "binary.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sb_binary_info info;
    sb_err err;
    if (sb_binary_parse("fuzz", data, size, &info, &err) == SB_OK &&
        (info.payload < data || info.payload + info.size > data + size))
        abort();
    if (size > 0 && data[0] & 1) {
        unsigned char *buf = malloc(SB_BINARY_HEADER_SIZE + size);
        if (!buf)
            return 0;
        sb_binary_header("dev", "drv", 42, data, size, buf);
        memcpy(buf + SB_BINARY_HEADER_SIZE, data, size);
        size_t len = SB_BINARY_HEADER_SIZE + size - (data[0] >> 7); /* sometimes truncated */
        int rc = sb_binary_parse("fuzz", buf, len, &info, &err);
        if ((rc == SB_OK) != (len == SB_BINARY_HEADER_SIZE + size))
            abort();
        if (rc == SB_OK && (info.size != size || strcmp(info.device, "dev")))
            abort();
        free(buf);
    }
    return 0;
}
