/* cli_multi.c - a command over a device list: runs it once per device of --device (or
 * $SIGNBENCH_DEVICE) in this process, each output file named after its device. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* FILE with "-P-D" before its extension: micro.json -> micro-0-1.json. */
static void suffixed(const char *path, const sb_devref *d, char *out, size_t cap)
{
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash + 1 : path, '.');
    size_t stem =
        dot && dot != (slash ? slash + 1 : path) ? (size_t)(dot - path) : strlen(path);
    snprintf(out, cap, "%.*s-%d-%d%s", (int)stem, path, d->platform, d->device,
             path + stem);
}

static int is_file_opt(const char *arg, const char *const *file_opts)
{
    for (int i = 0; file_opts[i]; i++)
        if (!strcmp(arg, file_opts[i]))
            return 1;
    return 0;
}

int sb_cli_per_device(const char *cmd, sb_cmd_fn fn, int argc, char **argv,
                      const char *const *file_opts, int *handled, sb_err *err)
{
    *handled = 0;
    const char *sel = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            return SB_OK;
        if (!strcmp(argv[i], "--device") && i + 1 < argc)
            sel = argv[++i];
        else if (!strncmp(argv[i], "--device=", 9))
            sel = argv[i] + 9;
    }
    const char *env = getenv("SIGNBENCH_DEVICE");
    if (!(sel && strchr(sel, ',')) && !(sel && !strcmp(sel, "all")) &&
        !(!sel && env && (strchr(env, ',') || !strcmp(env, "all"))))
        return SB_OK; /* one device: the command's own path */
    sb_devset set;
    *handled = 1;
    if (sb_devset_resolve(sel, &set, err) != SB_OK)
        return err->code;
    if (set.n == 1) {
        *handled = 0;
        return SB_OK;
    }
    char **av = calloc((size_t)argc + 3, sizeof *av);
    char(*files)[1200] = calloc((size_t)argc, sizeof *files);
    int st = av && files ? SB_OK : sb_fail(err, SB_ERUNTIME, "out of memory");
    for (int k = 0; k < set.n && st == SB_OK; k++) {
        char idx[24];
        int n = 0;
        for (int i = 0; i < argc; i++) {
            if (!strcmp(argv[i], "--device") && i + 1 < argc) {
                i++;
                continue;
            }
            if (!strncmp(argv[i], "--device=", 9))
                continue;
            av[n++] = argv[i];
            if (i > 0 && i + 1 < argc && is_file_opt(argv[i], file_opts)) {
                i++;
                suffixed(argv[i], &set.dev[k], files[i], sizeof files[i]);
                av[n++] = files[i];
            }
        }
        av[n++] = "--device";
        av[n++] = (char *)sb_devref_index(&set.dev[k], idx, sizeof idx);
        av[n] = NULL;
        printf("%s== %s on device %s (%s) ==\n", k ? "\n" : "", cmd, idx, set.dev[k].name);
        fflush(stdout);
        st = fn(n, av, err);
        if (st != SB_OK)
            sb_wrap(err, "device %s (%s)", idx, set.dev[k].name);
    }
    free(files);
    free(av);
    return st;
}
