/* workers.h - data-parallel workers on several devices at once: each worker its own
 * context, queue and pipeline, a host thread per worker, the aggregate formed once. */
#ifndef SB_WORKERS_H
#define SB_WORKERS_H

#include "pipeline.h"

#define SB_MAX_WORKER_DEVICES 64

typedef struct sb_workers sb_workers;

/* Per-worker figures of a run (sb_workers_figures). */
typedef struct sb_worker_figures {
    char index[24], name[256]; /* the worker's device */
    double compute_s;          /* seconds of its steps spent computing (gradient,
                                  compression, reading it, the update; the lead: also
                                  forming the aggregate) */
    double idle_s;             /* seconds waiting for the slowest worker (straggler) */
    double alone_step_s;       /* seconds per step when this device runs all the
                                  workers alone (--workers M on it), NaN if not measured */
} sb_worker_figures;

/* Worker devices of a list ("0:0,0:1,0:1"; a device may repeat: one worker per entry,
 * each with its own context). lead is the run's pipeline, set up on the first entry's
 * device (SB_EUSAGE otherwise) with one worker; po the problem (the same seed on every
 * device); dev the device options (kernel dir / binaries). Worker w draws oracle stream
 * sb_worker_seed(seed, w), as --workers M does on one device: the same trajectory. */
int sb_workers_open(sb_workers **out, const char *list, sb_pipeline *lead,
                    const sb_problem_opts *po, const sb_opts *dev, sb_err *err);
/* One step on every worker at once (a host thread per worker; the lead's in this one).
 * A worker that fails stops every worker: one line naming its device. */
int sb_workers_step(sb_workers *ws, sb_err *err);
/* After the run: time alone_steps steps of each device running all the workers alone,
 * and the largest |x_w - x_lead| over the workers (each applied the update itself). */
int sb_workers_finish(sb_workers *ws, int alone_steps, sb_err *err);
int sb_workers_count(const sb_workers *ws);
const sb_worker_figures *sb_workers_figures(const sb_workers *ws, int w);
double sb_workers_step_seconds(const sb_workers *ws); /* mean wall seconds per step */
double sb_workers_x_diff(const sb_workers *ws);       /* after sb_workers_finish */
void sb_workers_free(sb_workers *ws);

#endif
