/* pulp_stack_main.c: the cluster stack check of runtime/pulp on GVSoC
 * (`make test-pulp-stack GVSOC=...`, mk/pulp.mk). Cores 0..3 run a frame of
 * STACK_FRAME bytes in a fork, worker core 3 one of STACK_DEEP bytes
 * (STACK_BEYOND: beyond its stack). A
 * frame beyond the core's stack must stop the program with the HAL's
 * `dory: error:` line naming that core and a non-zero exit; frames within
 * the stacks must run to "stack: ok" and the use line of dory_hal_deinit().
 * Cores 4..7 sleep (their stacks hold no live frame: core 3's overflow into
 * core 4's cannot crash core 4 before the check).
 */
#include <stdio.h>
#include <string.h>

#include "dory_hal.h"
#include "dory_pulp.h"

#define STACK_FRAME 256
#ifdef STACK_BEYOND /* 200 bytes beyond the worker stack */
#define STACK_DEEP (DORY_PULP_STACK + 200)
#else /* within it, with the worker loop's and the fork's frames */
#define STACK_DEEP (DORY_PULP_STACK * 3 / 4)
#endif
#define STACK_DEEP_CORE 3

/* Writes a frame of `bytes` (volatile: the stores stay). */
static __attribute__((noinline)) int frame(int bytes)
{
    volatile uint8_t buf[bytes];
    int i, sum = 0;
    for (i = 0; i < bytes; i++) buf[i] = (uint8_t)i;
    for (i = 0; i < bytes; i += 64) sum += buf[i];
    return sum;
}

static volatile int sums[4];

static void on_core(void *arg)
{
    int c = dory_core_id();
    (void)arg;
    sums[c] = frame(c == STACK_DEEP_CORE ? STACK_DEEP : STACK_FRAME);
}

int main(void)
{
    dory_hal_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.l1_bytes = 4, cfg.l2_bytes = 4, cfg.num_cores = 4;
    if (dory_hal_init(&cfg)) return 2;
    dory_cluster_run(on_core, NULL);
    printf("stack: ok (frames of %d bytes, %d on core %d)\n", STACK_FRAME, STACK_DEEP,
           STACK_DEEP_CORE);
    dory_hal_deinit();
    return 0;
}
