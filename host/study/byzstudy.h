/* byzstudy.h - the Byzantine study: signSGD with majority vote on quad and logreg while K
 * of P workers attack (flip, random, blind, collude), K/P from 0 to below one half. */
#ifndef SB_BYZSTUDY_H
#define SB_BYZSTUDY_H

#include <cJSON.h>

#include "ocl.h"

typedef struct sb_byzstudy_cfg {
    int workers;     /* P simulated workers (--workers path: the MPI ranks' trace) */
    int steps;       /* signsgd steps per run */
    const char *out; /* byzantine.json and the figures go here */
    sb_opts dev;
    int progress;
} sb_byzstudy_cfg;

void sb_byzstudy_cfg_default(sb_byzstudy_cfg *c, int quick);

/* Runs the sweep, writes OUT/byzantine.json and (with gnuplot) byzantine_f_quad,
 * byzantine_f_logreg and byzantine_acc_logreg (.png/.svg/.dat). *out: the JSON (caller
 * deletes it). */
int sb_byzstudy_run(const sb_byzstudy_cfg *c, cJSON **out, sb_err *err);

#endif
