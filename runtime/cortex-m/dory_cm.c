/* dory_cm.c: bare-metal support of the Cortex-M build under QEMU (mps2
 * boards): the vector table and reset handler (FPU on, .data copied from
 * flash, .bss zeroed, newlib's semihosting streams opened, main() called),
 * the instruction counter and the exit are the HAL's. The memory map is
 * mps2.ld's. Only the application's bare-metal build links this file: a
 * firmware built with a vendor's start-up code does not need it.
 * C99 + newlib (librdimon); must not be part of a host build.
 */
#include <stdint.h>
#include <stdio.h>

#include "dory_cm.h"

int main(int argc, char **argv);
void initialise_monitor_handles(void); /* newlib's librdimon */
void dory_cm_reset(void);

/* mps2.ld */
extern uint32_t __data_load[], __data_start[], __data_end[], __bss_start__[], __bss_end__[];
extern uint32_t __stack_top[];

/* ---- Reset and faults ----------------------------------------------------------- */

static void fault(void)
{
    printf("dory: CPU fault (HardFault, MemManage, BusFault or UsageFault)\n");
    dory_cm_exit(4);
}

void dory_cm_reset(void)
{
    static char name[] = "app";
    static char *argv[] = {name, 0};
    uint32_t *s = __data_load, *d = __data_start;
#if defined(__ARM_FP)
    *(volatile uint32_t *)0xe000ed88u |= 0xfu << 20; /* CPACR: CP10, CP11 full access */
    __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
    while (d < __data_end) *d++ = *s++;
    for (d = __bss_start__; d < __bss_end__;) *d++ = 0;
    initialise_monitor_handles();
    dory_cm_exit(main(1, argv));
}

/* Initial stack pointer, reset and the fault handlers; no interrupt is used. */
__attribute__((section(".vectors"), used)) static void (*const vectors[16])(void) = {
    (void (*)(void))(uintptr_t)__stack_top, dory_cm_reset, fault, fault, fault, fault, fault};
