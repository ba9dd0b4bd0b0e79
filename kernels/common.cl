/* common.cl - definitions every kernel file shares; embedded first in the program.
 * Build options supply SB_LOCAL_SIZE and SB_ITEMS from the per-device table. */
#ifndef SB_LOCAL_SIZE
#define SB_LOCAL_SIZE 64
#endif
#ifndef SB_ITEMS
#define SB_ITEMS 4
#endif

/* The paper's sign: +1, -1, or 0 at 0 (DESIGN.md section 3). */
inline float sb_sign(float v)
{
    return v > 0.0f ? 1.0f : (v < 0.0f ? -1.0f : 0.0f);
}

/* Launch-latency probe: does nothing, so its time is the runtime's overhead. */
__kernel void empty(void)
{
}
