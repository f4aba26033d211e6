/* dory_hal_cortex_m.c: the HAL on a Cortex-M MCU with one memory level, as
 * run under qemu-system-arm (-M mps2-an386: Cortex-M4F, -M mps2-an500:
 * Cortex-M7) with newlib and semihosting.
 *
 * One SRAM arena holds everything the network writes: the L2 part (the
 * activations, at the planner's offsets) and after it the L1 part (kernel
 * scratch only: on a one-level target every layer runs in place, its tiles
 * are its tensors in the arena). It is allocated once, at init, with exactly
 * DORY_L1_BYTES + DORY_L2_BYTES (the planner's peak). The weights are const
 * data in flash, read where they are. There is no DMA engine: a "transfer"
 * (only concat moves data) is a copy checked to stay inside the arena, with
 * the flash image allowed as a source. There is no L3: every L3 call fails.
 *
 * dory_cycles() counts retired instructions exactly, under QEMU's
 * `-icount shift=10` (every instruction advances virtual time by 1024 ns):
 * CMSDK APB timer 0 (0x40000000, clocked at the board's 25 MHz, one tick per
 * 40 ns) then advances 25.6 ticks per instruction, so the tick count since
 * the timer started determines the instruction count: round(ticks / 25.6).
 * The 32-bit timer wraps every 167 million instructions; dory_cycles() keeps
 * the high part, so it must be called at least that often (once per layer
 * is). docs/CORTEX_M.md describes the method and its test. On a chip,
 * -DDORY_CM_DWT reads the DWT cycle counter instead (unit "cycles"); the
 * exit on a broken transfer contract is a semihosting call (a debugger).
 * C99 + newlib; no allocation after dory_hal_init().
 */
#include "../dory_hal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dory_cm.h"

/* The SRAM arena is [L2 | L1]: activations, then kernel scratch. */
static struct {
    uint8_t *arena;
    size_t l1_size, l2_size;
    const uint8_t *image; /* the flash image's weights: a valid source only */
    size_t image_size;
    int next_id;
    const char *layer;
    dory_dma_stats_t layer_stats, total_stats;
} hal;

/* A broken transfer contract: a bug in generated code, reported and ended. */
static void hal_fail(const char *what, const char *fmt, size_t a, size_t b)
{
    char msg[160];
    sprintf(msg, fmt, (unsigned long)a, (unsigned long)b);
    printf("dory_hal: layer '%s', transfer '%s': %s\n", hal.layer ? hal.layer : "(none)",
           what ? what : "?", msg);
    dory_cm_exit(3);
}

int dory_hal_init(const dory_hal_config_t *cfg)
{
    memset(&hal, 0, sizeof hal);
    if (cfg->l3_bytes) {
        printf("dory_hal: a Cortex-M target has no L3 (%lu bytes asked)\n",
               (unsigned long)cfg->l3_bytes);
        return -1;
    }
    hal.l1_size = cfg->l1_bytes;
    hal.l2_size = cfg->l2_bytes;
    hal.image = (const uint8_t *)cfg->l2_image;
    hal.image_size = cfg->l2_image ? cfg->l2_image_bytes : 0;
    hal.arena = malloc(hal.l1_size + hal.l2_size ? hal.l1_size + hal.l2_size : 1);
    if (!hal.arena) {
        printf("dory_hal: cannot allocate the SRAM arena of %lu bytes\n",
               (unsigned long)(hal.l1_size + hal.l2_size));
        return -1;
    }
    hal.next_id = 1;
    dory_cm_counter_start();
    return 0;
}

void dory_hal_deinit(void)
{
    free(hal.arena);
    memset(&hal, 0, sizeof hal);
}

uint8_t *dory_l1_base(void) { return hal.arena + hal.l2_size; }
uint8_t *dory_l2_base(void) { return hal.arena; }
size_t dory_l1_size(void) { return hal.l1_size; }
size_t dory_l2_size(void) { return hal.l2_size; }
size_t dory_l3_size(void) { return 0; }

void dory_hal_set_layer(const char *name)
{
    hal.layer = name;
    memset(&hal.layer_stats, 0, sizeof hal.layer_stats);
}

/* [p, p + span) inside [base, base + size)? */
static int inside(const uint8_t *p, size_t span, const uint8_t *base, size_t size)
{
    return base && p >= base && p <= base + size && span <= (size_t)(base + size - p);
}

dory_dma_id_t dory_dma_copy_3d(void *dst, const void *src, size_t row_bytes, size_t rows,
                               size_t planes, size_t dst_stride, size_t src_stride,
                               size_t dst_pstride, size_t src_pstride, const char *what)
{
    size_t p, r, dspan = 0, sspan = 0, sram = hal.l1_size + hal.l2_size;
    if (row_bytes && rows && planes) {
        dspan = (planes - 1) * dst_pstride + (rows - 1) * dst_stride + row_bytes;
        sspan = (planes - 1) * src_pstride + (rows - 1) * src_stride + row_bytes;
    }
    if (!inside((const uint8_t *)dst, dspan, hal.arena, sram) ||
        !(inside((const uint8_t *)src, sspan, hal.arena, sram) ||
          inside((const uint8_t *)src, sspan, hal.image, hal.image_size)))
        hal_fail(what, "outside the SRAM arena (%lu / %lu bytes)", dspan, sspan);
    for (p = 0; p < planes; p++)
        for (r = 0; r < rows; r++)
            memcpy((uint8_t *)dst + p * dst_pstride + r * dst_stride,
                   (const uint8_t *)src + p * src_pstride + r * src_stride, row_bytes);
    hal.layer_stats.local += row_bytes * rows * planes;
    hal.total_stats.local += row_bytes * rows * planes;
    hal.layer_stats.transfers++;
    hal.total_stats.transfers++;
    return hal.next_id++;
}

dory_dma_id_t dory_dma_copy_2d(void *dst, const void *src, size_t row_bytes, size_t rows,
                               size_t dst_stride, size_t src_stride, const char *what)
{
    return dory_dma_copy_3d(dst, src, row_bytes, rows, 1, dst_stride, src_stride, 0, 0, what);
}

dory_dma_id_t dory_dma_copy_1d(void *dst, const void *src, size_t bytes, const char *what)
{
    return dory_dma_copy_3d(dst, src, bytes, 1, 1, bytes, bytes, 0, 0, what);
}

void dory_dma_wait(dory_dma_id_t id) { (void)id; }

void dory_fetch_local(void *dst, const void *src, size_t bytes) { memcpy(dst, src, bytes); }

/* ---- Semihosting ------------------------------------------------------------ */

enum { SYS_EXIT_EXTENDED = 0x20, ADP_STOPPED_APPLICATION_EXIT = 0x20026 };

static int semihost(int op, void *arg)
{
    register int r0 __asm__("r0") = op;
    register void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void dory_cm_exit(int status)
{
    uint32_t block[2];
    fflush(stdout);
    block[0] = ADP_STOPPED_APPLICATION_EXIT;
    block[1] = (uint32_t)status;
    for (;;) semihost(SYS_EXIT_EXTENDED, block);
}

/* ---- Instruction counter ----------------------------------------------------- */

#if defined(DORY_CM_DWT)
/* A chip: the DWT cycle counter (DEMCR.TRCENA, DWT_CTRL.CYCCNTENA). */
#define DEMCR             (*(volatile uint32_t *)0xe000edfcu)
#define DWT_CTRL          (*(volatile uint32_t *)0xe0001000u)
#define DWT_CYCCNT        (*(volatile uint32_t *)0xe0001004u)
#define COUNTER_START()   (DEMCR |= 1u << 24, DWT_CYCCNT = 0, DWT_CTRL |= 1u)
#define COUNTER_ELAPSED() DWT_CYCCNT
#define COUNTER_UNITS(t)  (t)
#else
/* QEMU: CMSDK APB timer 0 (CTRL, VALUE, RELOAD), counting down at 25 MHz,
 * one tick per 40 ns; with 1024 ns per instruction an instruction is 25.6
 * ticks, and rounding ticks / 25.6 removes the phase of both readings. */
#define TIMER0_CTRL   (*(volatile uint32_t *)0x40000000u)
#define TIMER0_VALUE  (*(volatile uint32_t *)0x40000004u)
#define TIMER0_RELOAD (*(volatile uint32_t *)0x40000008u)
#define COUNTER_START()                                                                            \
    (TIMER0_CTRL = 0, TIMER0_RELOAD = 0xffffffffu, TIMER0_VALUE = 0xffffffffu, TIMER0_CTRL = 1)
#define COUNTER_ELAPSED() (0xffffffffu - TIMER0_VALUE)
#define COUNTER_UNITS(t)  (((t)*5u + 64u) >> 7)
#endif

static struct {
    int running;
    uint32_t last; /* counter at the last reading, modulo 2^32 */
    uint64_t high; /* wraps seen, times 2^32 */
} counter;

void dory_cm_counter_start(void)
{
    if (counter.running) return;
    COUNTER_START();
    counter.running = 1;
}

uint64_t dory_cm_instructions(void)
{
    uint32_t elapsed;
    if (!counter.running) return 0;
    elapsed = COUNTER_ELAPSED();
    if (elapsed < counter.last) counter.high += (uint64_t)1 << 32;
    counter.last = elapsed;
    return COUNTER_UNITS(counter.high + elapsed);
}

/* ---- No L3 ------------------------------------------------------------------- */

dory_dma_id_t dory_l3_read(void *l2_dst, uint32_t l3_addr, size_t bytes, const char *what)
{
    (void)l2_dst;
    hal_fail(what, "L3 read at %lu of %lu bytes: this target has no L3", l3_addr, bytes);
    return 0;
}

dory_dma_id_t dory_l3_write(uint32_t l3_addr, const void *l2_src, size_t bytes, const char *what)
{
    (void)l2_src;
    hal_fail(what, "L3 write at %lu of %lu bytes: this target has no L3", l3_addr, bytes);
    return 0;
}

void dory_l3_load(uint32_t l3_addr, const void *src, size_t bytes)
{
    (void)src;
    hal_fail("L3 image", "L3 load at %lu of %lu bytes: this target has no L3", l3_addr, bytes);
}

void dory_l3_peek(void *dst, uint32_t l3_addr, size_t bytes)
{
    (void)dst;
    hal_fail("L3 peek", "L3 read at %lu of %lu bytes: this target has no L3", l3_addr, bytes);
}

int dory_l3_load_file(uint32_t l3_addr, const char *file, size_t file_offset, size_t bytes)
{
    (void)l3_addr;
    printf("dory_hal: cannot load %lu bytes at %lu of '%s': this target has no L3\n",
           (unsigned long)bytes, (unsigned long)file_offset, file);
    return -1;
}

dory_dma_stats_t dory_dma_layer_stats(void) { return hal.layer_stats; }
dory_dma_stats_t dory_dma_total_stats(void) { return hal.total_stats; }

int dory_core_id(void) { return 0; }
int dory_num_cores(void) { return 1; }
void dory_cluster_run(void (*fn)(void *arg), void *arg) { fn(arg); }
void dory_barrier(void) {}

uint64_t dory_cycles(void) { return dory_cm_instructions(); }
#if defined(DORY_CM_DWT)
const char *dory_cycles_unit(void) { return "cycles"; }
#else
const char *dory_cycles_unit(void) { return "instr"; }
#endif
