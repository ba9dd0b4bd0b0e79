/* orbit.h - exact cycle detection on integer vectors (Brent's algorithm), used for the
 * lattice x = x0 + lr z of constant-step sign methods, and Wilson confidence intervals. */
#ifndef SB_ORBIT_H
#define SB_ORBIT_H

#include <stddef.h>

/* Streaming Brent: start with z_0, then feed z_1, z_2, ... one by one. When a fed vector
 * equals the saved one, the sequence is periodic with exactly `period` (the first return
 * is the period, as power doubles past it). */
typedef struct sb_brent {
    size_t d;
    int *saved;
    long power, lam;
    long period; /* 0 until found */
} sb_brent;

/* Returns 0, or -1 when out of memory. */
int sb_brent_init(sb_brent *b, size_t d, const int *z0);
/* Feed the next vector; 1 when the cycle has been found (b->period set). */
int sb_brent_push(sb_brent *b, const int *z);
void sb_brent_free(sb_brent *b);

/* Brent's second phase: the first index mu at which the sequence z_0, step(z_0), ... is
 * periodic with the given period. step(z, ctx) advances z in place. Returns mu, or -1
 * when the tortoise and hare do not meet within max_steps (or out of memory). */
long sb_cycle_entry(size_t d, const int *z0, long period, void (*step)(int *z, void *ctx),
                    void *ctx, long max_steps);

/* Wilson score interval for k successes out of n at z standard deviations (1.96 for
 * 95 %); [0, 1] when n is 0. */
void sb_wilson(long k, long n, double z, double *lo, double *hi);

#endif
