/* cli_devices.c - `signbench devices`: every OpenCL device with its limits.
 * (Minimal first version; host locality via hwloc comes with topo.c.) */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

static const char help[] = "usage: signbench devices\n\nLists every OpenCL device.\n";

int sb_cmd_devices(int argc, char **argv, sb_err *err)
{
    static const struct option longopts[] = {SB_COMMON_LONGOPTS, {0, 0, 0, 0}};
    sb_opts o = {0};
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c == SB_OPT_HELP)
            return sb_cli_help(help);
        if (!sb_cli_common(c, optarg, &o))
            return sb_cli_bad_option("devices", argc, argv, err);
    }
    sb_devref *list;
    int n;
    if (sb_devices_list(&list, &n, err) != SB_OK)
        return err->code;
    for (int i = 0; i < n; i++)
        printf("%d:%d  %s  (%s)\n", list[i].platform, list[i].device, list[i].name,
               list[i].platform_name);
    free(list);
    return SB_OK;
}
