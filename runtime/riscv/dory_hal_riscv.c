/* dory_hal_riscv.c: the HAL on bare-metal RV32 (one hart), as run under
 * `qemu-system-riscv32 -M virt -icount shift=0` with picolibc and
 * semihosting. It exists to run generated applications on a real RISC-V
 * instruction set and count what they execute: dory_cycles() reads the
 * retired-instruction counter (minstret), which repeats exactly run to run.
 *
 * L1, L2 and L3 are arenas of the target's sizes, allocated once at init;
 * every transfer is checked to stay inside them. A DMA is a copy done when it
 * is issued (there is no DMA engine to overlap with); the strict checks of
 * asynchronous transfers live in the host HAL. The cluster is this one hart:
 * dory_num_cores() is 1, and the kernels give identical results for any core
 * count. C99 + picolibc; no allocation after dory_hal_init().
 */
#include "../dory_hal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct {
    uint8_t *l1, *l2, *l3;
    size_t l1_size, l2_size, l3_size;
    const uint8_t *image; /* read-only L2: the image's resident constants */
    size_t image_size;
    const char *layer;
    int next_id;
    dory_dma_stats_t layer_stats, total_stats;
} hal;

static void hal_fail(const char *what, const char *fmt, size_t a, size_t b)
{
    printf("dory_hal: layer '%s', transfer '%s': ", hal.layer ? hal.layer : "(none)",
           what ? what : "?");
    printf(fmt, (unsigned long)a, (unsigned long)b);
    printf("\n");
    exit(3);
}

int dory_hal_init(const dory_hal_config_t *cfg)
{
    memset(&hal, 0, sizeof hal);
    hal.l1_size = cfg->l1_bytes;
    hal.l2_size = cfg->l2_bytes;
    hal.l3_size = cfg->l3_bytes;
    hal.image = (const uint8_t *)cfg->l2_image;
    hal.image_size = cfg->l2_image ? cfg->l2_image_bytes : 0;
    hal.l1 = malloc(hal.l1_size ? hal.l1_size : 1);
    hal.l2 = malloc(hal.l2_size ? hal.l2_size : 1);
    hal.l3 = malloc(hal.l3_size ? hal.l3_size : 1);
    if (!hal.l1 || !hal.l2 || !hal.l3) {
        printf("dory_hal: cannot allocate the memory arenas\n");
        return -1;
    }
    hal.next_id = 1;
    return 0;
}

void dory_hal_deinit(void)
{
    free(hal.l1);
    free(hal.l2);
    free(hal.l3);
    memset(&hal, 0, sizeof hal);
}

uint8_t *dory_l1_base(void) { return hal.l1; }
uint8_t *dory_l2_base(void) { return hal.l2; }
size_t dory_l1_size(void) { return hal.l1_size; }
size_t dory_l2_size(void) { return hal.l2_size; }
size_t dory_l3_size(void) { return hal.l3_size; }

void dory_hal_set_layer(const char *name)
{
    hal.layer = name;
    memset(&hal.layer_stats, 0, sizeof hal.layer_stats);
}

/* 1: L1, 2: L2, 3: the read-only L2 image, 0: none of them. */
static int level_of(const uint8_t *p, size_t span)
{
    if (hal.image && p >= hal.image && p <= hal.image + hal.image_size &&
        span <= (size_t)(hal.image + hal.image_size - p))
        return 3;
    if (p >= hal.l1 && p <= hal.l1 + hal.l1_size && span <= (size_t)(hal.l1 + hal.l1_size - p))
        return 1;
    if (p >= hal.l2 && p <= hal.l2 + hal.l2_size && span <= (size_t)(hal.l2 + hal.l2_size - p))
        return 2;
    return 0;
}

static void count(uint64_t *layer_field, size_t bytes)
{
    size_t off = (size_t)((char *)layer_field - (char *)&hal.layer_stats);
    *layer_field += bytes;
    *(uint64_t *)((char *)&hal.total_stats + off) += bytes;
    hal.layer_stats.transfers++;
    hal.total_stats.transfers++;
}

dory_dma_id_t dory_dma_copy_3d(void *dst, const void *src, size_t row_bytes, size_t rows,
                               size_t planes, size_t dst_stride, size_t src_stride,
                               size_t dst_pstride, size_t src_pstride, const char *what)
{
    size_t p, r;
    size_t dspan = 0, sspan = 0;
    int dl, sl;
    if (row_bytes && rows && planes) {
        dspan = (planes - 1) * dst_pstride + (rows - 1) * dst_stride + row_bytes;
        sspan = (planes - 1) * src_pstride + (rows - 1) * src_stride + row_bytes;
    }
    dl = level_of((const uint8_t *)dst, dspan);
    sl = level_of((const uint8_t *)src, sspan);
    if (!dl || !sl || dl == 3) hal_fail(what, "outside L1 and L2 (%lu / %lu bytes)", dspan, sspan);
    if (sl == 3) sl = 2;
    for (p = 0; p < planes; p++)
        for (r = 0; r < rows; r++)
            memcpy((uint8_t *)dst + p * dst_pstride + r * dst_stride,
                   (const uint8_t *)src + p * src_pstride + r * src_stride, row_bytes);
    count(dl == sl  ? &hal.layer_stats.local
          : dl == 1 ? &hal.layer_stats.l2_to_l1
                    : &hal.layer_stats.l1_to_l2,
          row_bytes * rows * planes);
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

static void l3_check(uint32_t addr, size_t bytes, const char *what)
{
    if (addr > hal.l3_size || bytes > hal.l3_size - addr)
        hal_fail(what, "L3 range at %lu of %lu bytes is outside L3", addr, bytes);
}

dory_dma_id_t dory_l3_read(void *l2_dst, uint32_t l3_addr, size_t bytes, const char *what)
{
    l3_check(l3_addr, bytes, what);
    if (level_of((const uint8_t *)l2_dst, bytes) != 2)
        hal_fail(what, "L3 read into %lu bytes outside L2 (%lu)", bytes, hal.l2_size);
    memcpy(l2_dst, hal.l3 + l3_addr, bytes);
    count(&hal.layer_stats.l3_to_l2, bytes);
    return hal.next_id++;
}

dory_dma_id_t dory_l3_write(uint32_t l3_addr, const void *l2_src, size_t bytes, const char *what)
{
    l3_check(l3_addr, bytes, what);
    if (level_of((const uint8_t *)l2_src, bytes) != 2)
        hal_fail(what, "L3 write from %lu bytes outside L2 (%lu)", bytes, hal.l2_size);
    memcpy(hal.l3 + l3_addr, l2_src, bytes);
    count(&hal.layer_stats.l2_to_l3, bytes);
    return hal.next_id++;
}

void dory_l3_load(uint32_t l3_addr, const void *src, size_t bytes)
{
    l3_check(l3_addr, bytes, "L3 image");
    memcpy(hal.l3 + l3_addr, src, bytes);
}

void dory_l3_peek(void *dst, uint32_t l3_addr, size_t bytes)
{
    l3_check(l3_addr, bytes, "L3 peek");
    memcpy(dst, hal.l3 + l3_addr, bytes);
}

int dory_l3_load_file(uint32_t l3_addr, const char *file, size_t file_offset, size_t bytes)
{
    FILE *f;
    size_t got = 0;
    l3_check(l3_addr, bytes, "L3 image file");
    f = fopen(file, "rb"); /* semihosting: the host's file, relative to QEMU's folder */
    if (f && fseek(f, (long)file_offset, SEEK_SET) == 0) got = fread(hal.l3 + l3_addr, 1, bytes, f);
    if (f) fclose(f);
    if (got == bytes) return 0;
    printf("dory_hal: cannot read %lu bytes at %lu of '%s'\n", (unsigned long)bytes,
           (unsigned long)file_offset, file);
    return -1;
}

dory_dma_stats_t dory_dma_layer_stats(void) { return hal.layer_stats; }
dory_dma_stats_t dory_dma_total_stats(void) { return hal.total_stats; }

int dory_core_id(void) { return 0; }
int dory_num_cores(void) { return 1; }
void dory_cluster_run(void (*fn)(void *arg), void *arg) { fn(arg); }
void dory_barrier(void) {}

uint64_t dory_cycles(void)
{
    uint32_t lo, hi, again;
    do {
        __asm__ volatile(".option push\n.option arch, +zicsr\ncsrr %0, minstreth\n.option pop"
                         : "=r"(hi));
        __asm__ volatile(".option push\n.option arch, +zicsr\ncsrr %0, minstret\n.option pop"
                         : "=r"(lo));
        __asm__ volatile(".option push\n.option arch, +zicsr\ncsrr %0, minstreth\n.option pop"
                         : "=r"(again));
    } while (hi != again);
    return (uint64_t)hi << 32 | lo;
}

const char *dory_cycles_unit(void) { return "instr"; }
