/* cm_counter_main.c: the instruction counter of the Cortex-M HAL
 * (runtime/cortex-m/dory_hal_cortex_m.c) against loops of known length,
 * under qemu-system-arm -icount shift=10. A loop of n iterations of
 * `subs; bne` retires exactly 2n instructions (the last bne falls through);
 * the measurement's own overhead is the same for every n, so
 * count(n) - count(1) must be exactly 2(n - 1), for short loops and for
 * loops long enough that the 32-bit timer wraps between readings. Prints one
 * line per n and exits non-zero on any difference; two runs must print the
 * same (mk/cortex_m.mk compares them).
 */
#include <stdio.h>

#include "dory_cm.h"

static __attribute__((noinline)) uint64_t count_loop(uint32_t n)
{
    uint64_t t0, t1;
    t0 = dory_cm_instructions();
    __asm__ volatile("1: subs %0, %0, #1\n\tbne 1b" : "+r"(n) : : "cc");
    t1 = dory_cm_instructions();
    return t1 - t0;
}

int main(void)
{
    /* 3 x 60 M iterations: 360 M instructions, 9.2 G ticks: two timer wraps */
    static const uint32_t ns[] = {2, 3, 10, 1000, 123457, 10000000, 60000000, 60000000, 60000000};
    uint64_t base;
    unsigned i, failed = 0;
    dory_cm_counter_start();
    base = count_loop(1);
    printf("overhead of one reading pair: %llu instructions\n", (unsigned long long)(base - 2));
    for (i = 0; i < sizeof ns / sizeof ns[0]; i++) {
        uint64_t got = count_loop(ns[i]) - base, want = 2ull * (ns[i] - 1);
        printf("%s loop of %lu iterations: %llu instructions counted beyond n = 1, expected %llu\n",
               got == want ? "ok  " : "FAIL", (unsigned long)ns[i], (unsigned long long)got,
               (unsigned long long)want);
        failed += got != want;
    }
    printf("counter: %u failed\n", failed);
    return failed ? 1 : 0;
}
