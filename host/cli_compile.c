/* cli_compile.c - `signbench compile`: build every kernel for one device and save the
 * program binary, with a header that lets --kernel-binary refuse a mismatched file. */
#include <stdio.h>

#include "cli.h"

static const char help[] =
    "usage: signbench compile [--device D] -o FILE\n\n"
    "Builds all signbench kernels for the selected device and saves the program binary\n"
    "to FILE, with a header naming the device, its driver and a hash of the kernel\n"
    "sources and build options. Load it later with --kernel-binary FILE (the FPGA flow:\n"
    "Intel .aocx and Xilinx .xclbin files built offline are used the same way).\n\n"
    "Options:\n"
    "  -o, --output FILE   where to write the binary (required)\n" SB_COMMON_HELP;

int sb_cmd_compile(int argc, char **argv, sb_err *err)
{
    static const struct option longopts[] = {{"output", required_argument, 0, 'o'},
                                              SB_COMMON_LONGOPTS, {0, 0, 0, 0}};
    sb_opts o = {0};
    const char *out = NULL;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
        if (sb_cli_common(c, optarg, &o))
            continue;
        if (c == SB_OPT_HELP)
            return sb_cli_help(help);
        if (c == 'o')
            out = optarg;
        else
            return sb_cli_bad_option("compile", argc, argv, err);
    }
    if (optind < argc)
        return sb_fail(err, SB_EUSAGE, "compile: unexpected argument '%s'", argv[optind]);
    if (!out)
        return sb_fail(err, SB_EUSAGE, "compile: -o FILE is required");
    if (o.kernel_binary)
        return sb_fail(err, SB_EUSAGE, "compile: --kernel-binary makes no sense here");
    sb_ctx ctx;
    if (sb_ctx_open(&ctx, &o, err) != SB_OK)
        return err->code;
    double t0 = sb_now();
    int st = sb_ctx_save_binary(&ctx, out, err);
    if (st == SB_OK)
        printf("compiled for %s (driver %s) in %.2f s -> %s\n", ctx.dev.name, ctx.driver,
               sb_now() - t0, out);
    sb_ctx_close(&ctx);
    return st;
}
