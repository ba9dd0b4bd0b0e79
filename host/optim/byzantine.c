/* byzantine.c - adversarial workers of the majority vote: which workers lie and the packed
 * signs they send instead of their own (flip, random, blind, collude). */
#include "byzantine.h"

#include <stdlib.h>
#include <string.h>

#include <Random123/philox.h>

#include "pipeline.h"

static const char *attack_names[] = {"flip", "random", "blind", "collude"};

int sb_attack_parse(const char *s, sb_attack *out, sb_err *err)
{
    for (int i = 0; i < 4; i++)
        if (s && !strcmp(s, attack_names[i])) {
            *out = (sb_attack)i;
            return SB_OK;
        }
    return sb_fail(err, SB_EUSAGE,
                   "unknown attack '%s' (valid: flip, random, blind, collude)", s ? s : "");
}

const char *sb_attack_name(sb_attack a)
{
    return (unsigned)a < 4 ? attack_names[a] : "?";
}

int sb_pipeline_set_byzantine(sb_pipeline *pl, int k, sb_attack a, sb_err *err)
{
    if (k == 0)
        return SB_OK;
    if (pl->compress != SB_COMP_PACK)
        return sb_fail(err, SB_EUSAGE,
                       "byzantine workers attack the majority vote: they "
                       "need --compress pack");
    if (k < 0 || k >= pl->total_workers)
        return sb_fail(err, SB_EUSAGE,
                       "byzantine %d: expected 0 to %d (fewer than the %d "
                       "workers)",
                       k, pl->total_workers - 1, pl->total_workers);
    if (pl->step)
        return sb_fail(err, SB_EUSAGE, "byzantine workers are set before the first step");
    if ((unsigned)a > SB_ATTACK_COLLUDE)
        return sb_fail(err, SB_EUSAGE, "unknown attack %d", (int)a);
    pl->byz_k = k;
    pl->byz_attack = (int)a;
    return SB_OK;
}

int sb_byz_is(const sb_pipeline *pl, int w)
{
    return pl->byz_k > 0 && w >= pl->total_workers - pl->byz_k;
}

uint64_t sb_byz_seed(const sb_pipeline *pl, int w, uint64_t own)
{
    if (!sb_byz_is(pl, w) || pl->byz_attack != SB_ATTACK_COLLUDE)
        return own;
    /* a stream no honest worker draws: the one after the last worker's */
    return sb_worker_seed(pl->oracle.seed, pl->total_workers);
}

/* Fresh random words for worker w at this step (Philox, keyed by the run's seed). */
static void random_words(const sb_pipeline *pl, int w, uint32_t *h, size_t words)
{
    philox4x32_key_t key = {{(uint32_t)pl->seed, (uint32_t)(pl->seed >> 32)}};
    for (size_t i = 0; i < words; i += 4) {
        philox4x32_ctr_t c = {
            {(uint32_t)(i / 4), (uint32_t)w, (uint32_t)pl->step, 0xB12A7u}};
        philox4x32_ctr_t r = philox4x32(c, key);
        for (size_t j = 0; j < 4 && i + j < words; j++)
            h[i + j] = r.v[j];
    }
}

int sb_byz_apply(sb_pipeline *pl, int w, sb_err *err)
{
    if (!sb_byz_is(pl, w))
        return SB_OK;
    size_t words = (pl->d + 31) / 32;
    cl_command_queue q = pl->ops->ctx->queue;
    int st = SB_OK;
    if (pl->byz_attack == SB_ATTACK_FLIP) {
        /* the true gradient's signs (gfull is the metrics' scratch, free during a step) */
        double f;
        st = pl->prob->vt->full(pl->prob, pl->x, pl->gfull, &f, err);
        if (st == SB_OK)
            st = sb_op_pack(pl->ops, pl->gfull, pl->bits, pl->d, NULL, NULL, err);
        if (st != SB_OK)
            return sb_wrap(err, "byzantine flip: true gradient");
    }
    uint32_t *h = malloc(words * 4);
    if (!h)
        return sb_fail(err, SB_ERUNTIME, "out of memory for %zu words", words);
    cl_int rc = CL_SUCCESS;
    if (pl->byz_attack == SB_ATTACK_RANDOM) {
        random_words(pl, w, h, words);
    } else {
        rc = clEnqueueReadBuffer(q, pl->bits, CL_TRUE, 0, words * 4, h, 0, NULL, NULL);
        for (size_t i = 0; rc == CL_SUCCESS && i < words; i++)
            h[i] = ~h[i]; /* negate every sign (pack: 0 is +1, so it becomes -1) */
    }
    if (pl->d % 32)
        h[words - 1] &= (1u << (pl->d % 32)) - 1u; /* padding bits stay 0 */
    if (rc == CL_SUCCESS)
        rc = clEnqueueWriteBuffer(q, pl->bits, CL_TRUE, 0, words * 4, h, 0, NULL, NULL);
    free(h);
    if (SB_CLFAIL(rc, err, "byzantine: staging the signs"))
        return err->code;
    return SB_OK;
}
