/* cli_compile.c - `signbench compile`: build every kernel for one device and save the
 * program binary (with a header that lets --kernel-binary refuse a mismatched file), or
 * check that a saved binary loads and runs on the device. */
#include <stdio.h>

#include "cli.h"

static const char help[] =
    "usage: signbench compile [--device D] [--kernel-dir DIR] -o FILE\n"
    "       signbench compile [--device D] --kernel-binary FILE\n\n"
    "The first form builds all signbench kernels for the selected device and saves the\n"
    "program binary to FILE, with a header naming the device, its driver and a hash of\n"
    "the kernel sources and build options. Load it later with --kernel-binary FILE on\n"
    "any command (the FPGA flow: Intel .aocx and Xilinx .xclbin files built offline are\n"
    "used the same way).\n\n"
    "The second form checks a saved binary: it must be for this device and driver and\n"
    "for the kernel sources of this signbench (or of --kernel-dir), load, and compute a\n"
    "small fused a*x+y exactly as the host does. A mismatched, damaged or missing file\n"
    "is refused with exit status 2.\n\n"
    "Options:\n"
    "  -o, --output FILE   where to write the binary (written atomically)\n" SB_COMMON_HELP;

int sb_cmd_compile(int argc, char **argv, sb_err *err)
{
    static const struct option longopts[] = {
        {"output", required_argument, 0, 'o'}, SB_COMMON_LONGOPTS, {0, 0, 0, 0}};
    sb_opts o = {0};
    const char *out = NULL;
    int c;
    optind = 1;
    opterr = 0;
    if (sb_cli_check_args("compile", argc, argv, "o:", longopts, err))
        return err->code;
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
    if (out && o.kernel_binary)
        return sb_fail(
            err, SB_EUSAGE,
            "compile: give either -o FILE (build and save) or --kernel-binary FILE "
            "(check a saved binary), not both");
    if (!out && !o.kernel_binary)
        return sb_fail(
            err, SB_EUSAGE,
            "compile: -o FILE is required (or --kernel-binary FILE to check one)");
    sb_ctx ctx;
    if (sb_ctx_open(&ctx, &o, err) != SB_OK)
        return err->code;
    double t0 = sb_now();
    int st;
    if (out) {
        st = sb_ctx_save_binary(&ctx, out, err);
        if (st == SB_OK)
            printf("compiled for %s (driver %s) in %.2f s -> %s\n", ctx.dev.name,
                   ctx.driver, sb_now() - t0, out);
    } else {
        st = sb_ctx_selftest(&ctx, err);
        if (st == SB_OK)
            printf("%s: loads and runs on %s (driver %s); self-test exact\n",
                   o.kernel_binary, ctx.dev.name, ctx.driver);
    }
    sb_ctx_close(&ctx);
    return st;
}
