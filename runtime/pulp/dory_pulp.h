/* dory_pulp.h: the memory map and peripheral registers of the PULP open
 * cluster as GVSoC's pulp-open model has them (gvsoc-pulp
 * pulp/chips/pulp_open/{soc,cluster}.json; pulp-runtime's archi headers for
 * pulp), for crt0.S and dory_hal_pulp.c. Plain numbers, so the assembler can
 * read them too. Nothing else may include it.
 */
#ifndef DORY_PULP_H
#define DORY_PULP_H

/* L1: the cluster's 64 kB TCDM. Its top holds the cluster stacks; the L1
 * arena of the application is everything below them and the HAL's state. */
#define DORY_PULP_L1_BASE 0x10000000
#define DORY_PULP_L1_END  0x10010000
#define DORY_PULP_STACK0  3072 /* core 0: harness, stdio, layer loop, its kernel share */
#define DORY_PULP_STACK   1280 /* cores 1..7: kernels only */
#define DORY_PULP_CORES   8
/* Below the stacks, the HAL's own state (dory_hal_pulp.c: the DMA and
 * cycle bookkeeping every transfer reads, ~15 cycles a word in L2, 1 here),
 * then the arena below it. */
#define DORY_PULP_HAL_STATE_BYTES 256
#define DORY_PULP_L1_ARENA                                                                         \
    (0x10000 - DORY_PULP_STACK0 - (DORY_PULP_CORES - 1) * DORY_PULP_STACK -                        \
     DORY_PULP_HAL_STATE_BYTES)
#define DORY_PULP_HAL_STATE (DORY_PULP_L1_BASE + DORY_PULP_L1_ARENA)
/* crt0.S fills each cluster stack with this word; a stack whose lowest
 * DORY_PULP_STACK_GUARD bytes are not all of it has overflowed (a frame below
 * the stack can skip them: the check finds most overflows, not all). */
#define DORY_PULP_STACK_PAINT 0x57ac57ac
#define DORY_PULP_STACK_GUARD 16

/* L2 (0x1C000000, 64 kB private + 1.5 MB shared banks in the model). */
#define DORY_PULP_L2_BASE 0x1C000000
#define DORY_PULP_L2_END  0x1C190000

/* Cluster peripherals (global addresses) and the per-core demux. */
#define DORY_PULP_CLUSTER_CTRL   0x10200000 /* +0x08 fetch enable, +0x40 + 4c boot address */
#define DORY_PULP_CLUSTER_ICACHE 0x10201400 /* +0 enable (one bit per bank) */
#define DORY_PULP_EU_DEMUX       0x10204000 /* this core's event unit */
#define DORY_PULP_DMA_DEMUX      0x10204400 /* this core's mchan channel */
#define DORY_PULP_FC_ICACHE      0x1A108800 /* +0 enable */

/* Event unit (eu_v3): per-core registers, hardware barrier 0. */
#define DORY_PULP_EU_MASK                0x00
#define DORY_PULP_EU_MASK_AND            0x04              /* clears the bits written */
#define DORY_PULP_EU_MASK_OR             0x08              /* sets the bits written */
#define DORY_PULP_EU_SW_EVENT(e)         (0x100 + 4 * (e)) /* write: the cores it wakes */
#define DORY_PULP_EU_EVT_WAIT_CLEAR      0x3C
#define DORY_PULP_EU_BARRIER0            0x200 /* + 0x00 trigger mask, 0x0C target mask */
#define DORY_PULP_EU_BAR_TRIG_WAIT_CLEAR 0x1C
#define DORY_PULP_EVT_BARRIER            16 /* event line of the hardware barrier */
#define DORY_PULP_EVT_START              0  /* software event 0: dory_hal_init() is done */

/* mchan v7: command queue and status of the demux channel. */
#define DORY_PULP_MCHAN_CMD     0x0
#define DORY_PULP_MCHAN_STATUS  0x4
#define DORY_PULP_MCHAN_EXT2LOC (1 << 17)
#define DORY_PULP_MCHAN_INC     (1 << 18)
#define DORY_PULP_MCHAN_2D      (1 << 19)
#define DORY_PULP_MCHAN_MAX_LEN 0x1ffff /* bytes per command (17-bit length) */

/* micro-DMA (udma v3, SoC peripheral bus; the cluster reaches it through
 * the SoC interconnect): +0 clock enable, one bit per peripheral. Its
 * HyperBus peripheral (id 8, at 0x80 + 0x80 * 8) has the board's 8 MB
 * HyperRAM on chip select 0 (the HyperFlash on 1) and 8 transaction ids of
 * 0x80 bytes each, then the common registers. */
#define DORY_PULP_UDMA         0x1A102000
#define DORY_PULP_HYPER_PERIPH 8
#define DORY_PULP_HYPER        0x1A102480
#define DORY_PULP_HYPER_IDS    8        /* transaction ids, each with its own queue */
#define DORY_PULP_HYPER_DEPTH  8        /* transfers one id may queue */
#define DORY_PULP_HYPER_RAM    0x800000 /* bytes of HyperRAM */
#ifndef DORY_PULP_HYPER_MAX_LEN /* (smaller in bench/bench_l3_pulp.c's check of the split) */
#define DORY_PULP_HYPER_MAX_LEN 0xffffc /* bytes per transfer (20-bit size), a word multiple */
#endif
/* per transaction id (DORY_PULP_HYPER + 0x80 * id) */
#define DORY_PULP_HYPER_RX_SADDR 0x00 /* L2 address; writing it selects RX (HyperRAM -> L2) */
#define DORY_PULP_HYPER_RX_SIZE  0x04
#define DORY_PULP_HYPER_RX_CFG   0x08 /* DORY_PULP_UDMA_CFG_EN queues the transfer */
#define DORY_PULP_HYPER_TX_SADDR 0x0C /* L2 address; writing it selects TX (L2 -> HyperRAM) */
#define DORY_PULP_HYPER_TX_SIZE  0x10
#define DORY_PULP_HYPER_TX_CFG   0x14
#define DORY_PULP_HYPER_CA       0x18 /* command: DORY_PULP_HYPER_CA_READ / _WRITE */
#define DORY_PULP_HYPER_ADDR     0x1C /* HyperRAM byte address */
#define DORY_PULP_HYPER_STATUS   0x24 /* bit 0 busy, bits 1-8 transfers queued on the id */
#define DORY_PULP_HYPER_CA_READ  0x5  /* read, memory space, linear burst */
#define DORY_PULP_HYPER_CA_WRITE 0x1
#define DORY_PULP_UDMA_CFG_EN    (1 << 4) /* 8-bit elements, not continuous */
/* common registers (DORY_PULP_HYPER + 0x400) */
#define DORY_PULP_HYPER_COMMON      0x400
#define DORY_PULP_HYPER_LATENCY     0x04 /* initial access latency, clocks */
#define DORY_PULP_HYPER_LATENCY_ADD 0x08 /* 1: the latency doubled (HyperRAM's fixed mode) */
#define DORY_PULP_HYPER_MEM_SEL     0x20 /* chip select: 0 HyperRAM */

#endif
