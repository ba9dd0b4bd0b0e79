/* byzantine.h - adversarial workers of the majority vote: which workers lie and the packed
 * signs they send instead of their own (flip, random, blind, collude). */
#ifndef SB_BYZANTINE_H
#define SB_BYZANTINE_H

#include <stdint.h>

#include "sb.h"

typedef enum {
    SB_ATTACK_FLIP,   /* the negated signs of the true (full, noise-free) gradient */
    SB_ATTACK_RANDOM, /* random bits, fresh every step */
    SB_ATTACK_BLIND,  /* the negation of the worker's own stochastic signs */
    SB_ATTACK_COLLUDE /* all adversaries send the same vector: the negated signs of one
                          stochastic gradient drawn from a stream they share */
} sb_attack;

int sb_attack_parse(const char *s, sb_attack *out, sb_err *err);
const char *sb_attack_name(sb_attack a);

struct sb_pipeline;
/* K of the pipeline's total workers (simulated or MPI ranks) become adversaries: the
 * last K (worker/rank 0 stays honest). Needs --compress pack (the vote); call after the
 * workers or MPI are set, before the first step. K = 0: none. */
int sb_pipeline_set_byzantine(struct sb_pipeline *pl, int k, sb_attack a, sb_err *err);
/* 1 when global worker w is an adversary. */
int sb_byz_is(const struct sb_pipeline *pl, int w);
/* The oracle seed worker w draws with (collude: the adversaries' shared stream). */
uint64_t sb_byz_seed(const struct sb_pipeline *pl, int w, uint64_t own);
/* Replace worker w's packed signs in pl->bits by its attack's (after compression). */
int sb_byz_apply(struct sb_pipeline *pl, int w, sb_err *err);

#endif
