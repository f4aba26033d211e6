/* crt0.S: start-up of a dory application on the PULP open cluster
 * (GVSoC pulp-open): the fabric controller (FC) and the 8 cluster cores.
 *
 * FC (the ELF entry, started by the loader): global and thread pointers,
 * its stack at the top of the L2 data region (picolibc.ld's __stack),
 * .data/.tdata copied from their load addresses, .bss/.tbss cleared, then
 * dory_pulp_fc_boot() (dory_hal_pulp.c) enables the instruction caches and
 * boots the cluster at _cluster_start; the FC then sleeps.
 * Cluster cores (_cluster_start): stacks at the top of L1 (TCDM), core 0's
 * first (DORY_PULP_STACK0 bytes), then DORY_PULP_STACK bytes per worker;
 * each core paints its own with DORY_PULP_STACK_PAINT (dory_hal_pulp.c
 * checks the lowest words of each after every fork and at the end), then
 * dory_pulp_cluster_entry(core id) runs main on core 0 and the worker loop
 * on the others. Addresses: runtime/pulp/dory_pulp.h. Must not call C
 * before the stack is set.
 */
#include "dory_pulp.h"

    .section .text.init.enter, "ax"
    .global _start
_start:
    .option push
    .option norelax
    la gp, __global_pointer$
    .option pop
    la tp, __tls_base
    la sp, __stack
    /* .data and .tdata: from their load address in the code region */
    la a0, __data_start
    la a1, __data_source
    la a2, __data_source_end
1:  bgeu a1, a2, 2f
    lw t0, 0(a1)
    sw t0, 0(a0)
    addi a0, a0, 4
    addi a1, a1, 4
    j 1b
2:  la a0, __bss_start
    la a1, __bss_end
3:  bgeu a0, a1, 4f
    sw zero, 0(a0)
    addi a0, a0, 4
    j 3b
4:  call dory_pulp_fc_boot
5:  wfi
    j 5b

    .text
    .balign 4
    .global _cluster_start
_cluster_start:
    .option push
    .option norelax
    la gp, __global_pointer$
    .option pop
    la tp, __tls_base
    .option push
    .option arch, +zicsr
    csrr a0, mhartid
    .option pop
    andi a0, a0, 0x1f
    li sp, DORY_PULP_L1_END
    beqz a0, 6f
    /* worker c: below core 0's stack, DORY_PULP_STACK bytes each */
    li t0, DORY_PULP_STACK0 - DORY_PULP_STACK
    sub sp, sp, t0
    li t0, DORY_PULP_STACK
    mul t0, t0, a0
    sub sp, sp, t0
    li t1, DORY_PULP_STACK
    j 8f
6:  li t1, DORY_PULP_STACK0
    /* paint the stack (the HAL's overflow check and watermark), a0 kept */
8:  sub t1, sp, t1
    li t2, DORY_PULP_STACK_PAINT
9:  sw t2, 0(t1)
    addi t1, t1, 4
    bltu t1, sp, 9b
    call dory_pulp_cluster_entry
7:  wfi
    j 7b
