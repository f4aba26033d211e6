/* dory_cm.h: what the Cortex-M HAL, its start-up code and the bare-metal
 * tests share: the instruction counter under QEMU and the semihosting exit.
 * Not part of the HAL interface (dory_hal.h); generated code never calls it.
 * C99.
 */
#ifndef DORY_CM_H
#define DORY_CM_H

#include <stdint.h>

/* Starts CMSDK APB timer 0 as a free-running 32-bit counter (once; later
 * calls do nothing). */
void dory_cm_counter_start(void);
/* Instructions retired since dory_cm_counter_start(), exact under QEMU with
 * `-icount shift=10` (dory_hal_cortex_m.c explains why). */
uint64_t dory_cm_instructions(void);
/* Flushes stdout and ends the program with `status` (semihosting
 * SYS_EXIT_EXTENDED, so QEMU exits with that status). */
void dory_cm_exit(int status);

#endif
