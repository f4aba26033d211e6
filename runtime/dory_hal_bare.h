/* dory_hal_bare.h: what the HALs that keep L1 and L2 as arenas in the
 * chip's memory share (runtime/riscv, runtime/pulp, runtime/pmsis): the
 * arenas' bounds checks, the DMA byte counts, and the L3 calls on an L3
 * arena in memory (left out with DORY_HAL_BARE_OWN_L3 by a HAL whose L3 is
 * a device: runtime/pmsis, runtime/pulp). Include it in exactly one HAL file, which sets
 * `bare` up in dory_hal_init() and defines the rest of dory_hal.h
 * (dory_dma_copy_3d() among them). A failed check is a bug in generated
 * code: it is printed, naming the layer and the transfer, and the program stops. C99 + picolibc
 * stdio (semihosting).
 */
#ifndef DORY_HAL_BARE_H
#define DORY_HAL_BARE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dory_hal.h"

struct dory_bare {
    uint8_t *l1, *l2, *l3;
    size_t l1_size, l2_size, l3_size;
    const uint8_t *image; /* read-only L2: the image's resident constants */
    size_t image_size;
    const char *layer;
    int next_id; /* ids of transfers done when issued; done_id: all the same */
    int done_id;
    dory_dma_stats_t layer_stats, total_stats;
};

/* A HAL whose core reads its own data memory faster than where the C
 * statics are (runtime/pulp: L1 vs L2, ~15 cycles a word) defines
 * DORY_HAL_BARE_STATE as the address of room for `bare` there (every DMA
 * call reads and counts in it). Set up by bare_setup() before any use. */
#ifdef DORY_HAL_BARE_STATE
#define bare (*(struct dory_bare *)(uintptr_t)(DORY_HAL_BARE_STATE))
#else
static struct dory_bare bare;
#endif

/* `bare` cleared, then the sizes and the image of cfg (the arenas: the HAL's). */
static void bare_setup(const dory_hal_config_t *cfg)
{
    memset(&bare, 0, sizeof bare);
    bare.l1_size = cfg->l1_bytes;
    bare.l2_size = cfg->l2_bytes;
    bare.l3_size = cfg->l3_bytes;
    bare.image = (const uint8_t *)cfg->l2_image;
    bare.image_size = cfg->l2_image ? cfg->l2_image_bytes : 0;
}

static void bare_fail(const char *what, const char *fmt, size_t a, size_t b)
{
    printf("dory_hal: layer '%s', transfer '%s': ", bare.layer ? bare.layer : "(none)",
           what ? what : "?");
    printf(fmt, (unsigned long)a, (unsigned long)b);
    printf("\n");
    exit(3);
}

/* 1: L1, 2: L2, 3: the read-only L2 image, 0: none of them. */
static int bare_level(const void *ptr, size_t span)
{
    const uint8_t *p = (const uint8_t *)ptr;
    if (bare.image && p >= bare.image && p <= bare.image + bare.image_size &&
        span <= (size_t)(bare.image + bare.image_size - p))
        return 3;
    if (p >= bare.l1 && p <= bare.l1 + bare.l1_size && span <= (size_t)(bare.l1 + bare.l1_size - p))
        return 1;
    if (p >= bare.l2 && p <= bare.l2 + bare.l2_size && span <= (size_t)(bare.l2 + bare.l2_size - p))
        return 2;
    return 0;
}

static void bare_count(uint64_t *layer_field, size_t bytes)
{
    size_t off = (size_t)((char *)layer_field - (char *)&bare.layer_stats);
    *layer_field += bytes;
    *(uint64_t *)((char *)&bare.total_stats + off) += bytes;
    bare.layer_stats.transfers++;
    bare.total_stats.transfers++;
}

static dory_dma_id_t bare_done(void) { return bare.done_id ? bare.done_id : bare.next_id++; }

/* Checks a 3-D copy; *dl and *sl: the levels of dst and src (the image as 2). */
static void bare_check_3d(void *dst, const void *src, size_t row_bytes, size_t rows, size_t planes,
                          size_t dst_stride, size_t src_stride, size_t dst_pstride,
                          size_t src_pstride, const char *what, int *dl, int *sl)
{
    size_t dspan = 0, sspan = 0;
    if (row_bytes && rows && planes) {
        dspan = (planes - 1) * dst_pstride + (rows - 1) * dst_stride + row_bytes;
        sspan = (planes - 1) * src_pstride + (rows - 1) * src_stride + row_bytes;
    }
    *dl = bare_level(dst, dspan);
    *sl = bare_level(src, sspan);
    if (!*dl || !*sl || *dl == 3)
        bare_fail(what, "outside L1 and L2 (%lu / %lu bytes)", dspan, sspan);
    if (*sl == 3) *sl = 2;
}

/* The copy done by the core, counted as a transfer from level sl to dl. */
static dory_dma_id_t bare_copy_3d(void *dst, const void *src, size_t row_bytes, size_t rows,
                                  size_t planes, size_t dst_stride, size_t src_stride,
                                  size_t dst_pstride, size_t src_pstride, int dl, int sl)
{
    size_t p, r;
    for (p = 0; p < planes; p++)
        for (r = 0; r < rows; r++)
            memcpy((uint8_t *)dst + p * dst_pstride + r * dst_stride,
                   (const uint8_t *)src + p * src_pstride + r * src_stride, row_bytes);
    bare_count(dl == sl  ? &bare.layer_stats.local
               : dl == 1 ? &bare.layer_stats.l2_to_l1
                         : &bare.layer_stats.l1_to_l2,
               row_bytes * rows * planes);
    return bare_done();
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

uint8_t *dory_l1_base(void) { return bare.l1; }
uint8_t *dory_l2_base(void) { return bare.l2; }
size_t dory_l1_size(void) { return bare.l1_size; }
size_t dory_l2_size(void) { return bare.l2_size; }
size_t dory_l3_size(void) { return bare.l3_size; }

void dory_hal_set_layer(const char *name)
{
    bare.layer = name;
    memset(&bare.layer_stats, 0, sizeof bare.layer_stats);
}

dory_dma_stats_t dory_dma_layer_stats(void) { return bare.layer_stats; }
dory_dma_stats_t dory_dma_total_stats(void) { return bare.total_stats; }

/* An L3 range [addr, addr + bytes) inside L3, else the program stops. */
static void bare_l3_check(uint32_t addr, size_t bytes, const char *what)
{
    if (addr > bare.l3_size || bytes > bare.l3_size - addr)
        bare_fail(what, "L3 range at %lu of %lu bytes is outside L3", addr, bytes);
}

#ifndef DORY_HAL_BARE_OWN_FETCH
void dory_fetch_local(void *dst, const void *src, size_t bytes) { memcpy(dst, src, bytes); }
#endif

#ifndef DORY_HAL_BARE_OWN_L3
/* ---- L3: an arena, copied by the core --------------------------------------- */

dory_dma_id_t dory_l3_read(void *l2_dst, uint32_t l3_addr, size_t bytes, const char *what)
{
    bare_l3_check(l3_addr, bytes, what);
    if (bare_level(l2_dst, bytes) != 2)
        bare_fail(what, "L3 read into %lu bytes outside L2 (%lu)", bytes, bare.l2_size);
    memcpy(l2_dst, bare.l3 + l3_addr, bytes);
    bare_count(&bare.layer_stats.l3_to_l2, bytes);
    return bare_done();
}

dory_dma_id_t dory_l3_write(uint32_t l3_addr, const void *l2_src, size_t bytes, const char *what)
{
    bare_l3_check(l3_addr, bytes, what);
    if (bare_level(l2_src, bytes) != 2)
        bare_fail(what, "L3 write from %lu bytes outside L2 (%lu)", bytes, bare.l2_size);
    memcpy(bare.l3 + l3_addr, l2_src, bytes);
    bare_count(&bare.layer_stats.l2_to_l3, bytes);
    return bare_done();
}

void dory_l3_load(uint32_t l3_addr, const void *src, size_t bytes)
{
    bare_l3_check(l3_addr, bytes, "L3 image");
    memcpy(bare.l3 + l3_addr, src, bytes);
}

void dory_l3_peek(void *dst, uint32_t l3_addr, size_t bytes)
{
    bare_l3_check(l3_addr, bytes, "L3 peek");
    memcpy(dst, bare.l3 + l3_addr, bytes);
}

int dory_l3_load_file(uint32_t l3_addr, const char *file, size_t file_offset, size_t bytes)
{
    FILE *f;
    size_t got = 0;
    bare_l3_check(l3_addr, bytes, "L3 image file");
    f = fopen(file, "rb"); /* semihosting: the host's file, relative to the simulator's folder */
    if (f && fseek(f, (long)file_offset, SEEK_SET) == 0)
        got = fread(bare.l3 + l3_addr, 1, bytes, f);
    if (f) fclose(f);
    if (got == bytes) return 0;
    printf("dory_hal: cannot read %lu bytes at %lu of '%s'\n", (unsigned long)bytes,
           (unsigned long)file_offset, file);
    return -1;
}
#endif /* DORY_HAL_BARE_OWN_L3 */

#endif
