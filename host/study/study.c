/* study.c - what the study commands (grid, sweep) share: the device they train on
 * (context and ops, opened and closed together) and how they hand over their results. */
#include "study.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "json.h"

int sb_study_dev_open(sb_study_dev *d, const sb_opts *opts, sb_err *err)
{
    int rc = sb_ctx_open(&d->ctx, opts, err);
    if (rc)
        return rc;
    if ((rc = sb_ops_init(&d->ops, &d->ctx, err)))
        sb_ctx_close(&d->ctx);
    return rc;
}

void sb_study_dev_close(sb_study_dev *d)
{
    snprintf(d->name, sizeof d->name, "%s", d->ctx.dev.name);
    sb_ops_free(&d->ops);
    sb_ctx_close(&d->ctx);
}

int sb_study_output(const cJSON *j, int json, const char *out, const sb_study_out *s,
                    sb_err *err)
{
    if (json)
        sb_json_print(j);
    else
        s->print_table(j);
    if (!out)
        return SB_OK;
    /* NAME.json is what marks a finished study (the report and plot read it): an older one
     * goes first, the new one is written last, after the CSV and the figures, and a
     * failure (a full disk) takes the CSV back out. */
    char path[1024], csv[1024];
    snprintf(path, sizeof path, "%s/%s.json", out, s->name);
    snprintf(csv, sizeof csv, "%s/%s.csv", out, s->name);
    if (unlink(path) != 0 && errno != ENOENT)
        return sb_fail(err, SB_ERUNTIME, "cannot replace %s: %s", path, strerror(errno));
    int rc = s->write_csv(csv, s->data, err);
    if (!rc) {
        char base[1024];
        snprintf(base, sizeof base, "%s/%s", out, s->name);
        rc = s->plot(j, base, err);
    }
    if (!rc)
        rc = sb_json_save(path, j, err);
    if (rc) {
        unlink(csv);
        return rc;
    }
    if (!json)
        printf("wrote %s/%s.json, %s.csv, %s\n", out, s->name, s->name, s->plots);
    return rc;
}
