/* tube_print.h - `signbench tube`'s console tables, from the JSON the engine returns
 * (tube_study.h): the batch, the orbit study, the bench. */
#ifndef SB_TUBE_PRINT_H
#define SB_TUBE_PRINT_H

#include "tube_study.h"

/* The batch (sb_tube_main) of settings t on the device named device. */
void sb_tube_print_main(const sb_tube_cfg *t, const char *device, const sb_tube_report *r);
/* --study orbits (sb_tube_orbits). */
void sb_tube_print_orbits(const sb_tube_report *r);
/* --bench (sb_tube_bench). */
void sb_tube_print_bench(const sb_tube_report *r);

#endif
