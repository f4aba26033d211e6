/* dory_hal_host.c: the HAL on a PC, strict enough to catch what a chip would
 * only show as wrong numbers.
 *
 *  - L1, L2 and L3 are separate fixed-size arenas of exactly the target's sizes.
 *  - Every transfer must lie inside its arenas; source and destination must
 *    not overlap.
 *  - Transfers complete only at dory_dma_wait(): until then the destination
 *    holds a poison pattern (so reading it early gives wrong results), and the
 *    source is checked unchanged at wait (so overwriting it early is caught).
 *  - Cores are threads with a real barrier.
 * A violation prints the layer and the transfer and exits with status 3.
 * C99 + POSIX threads; no allocation after dory_hal_init().
 */
#include "../dory_hal.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { HAL_MAX_INFLIGHT = 64, HAL_MAX_CORES = 32, HAL_POISON = 0xA5 };

typedef enum { XFER_FREE = 0, XFER_DMA, XFER_L3_READ, XFER_L3_WRITE } xfer_kind_t;

typedef struct xfer {
    xfer_kind_t kind;
    int id;
    uint8_t *dst;
    const uint8_t *src;
    size_t row_bytes, rows, planes;
    size_t dst_stride, src_stride, dst_pstride, src_pstride;
    uint64_t src_hash;
    const char *what;
    uint64_t *counter; /* which stats field the bytes go to */
} xfer_t;

static struct {
    uint8_t *l1, *l2, *l3;
    size_t l1_size, l2_size, l3_size;
    const uint8_t *image; /* read-only L2: the image's resident constants */
    size_t image_size;
    int num_cores, poison;
    const char *layer;
    xfer_t xfers[HAL_MAX_INFLIGHT];
    int next_id;
    dory_dma_stats_t layer_stats, total_stats;
    pthread_mutex_t lock;
    pthread_barrier_t barrier;
    pthread_key_t core_key;
    int ready;
} hal;

static void hal_fail(const xfer_t *x, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "dory_hal: layer '%s'", hal.layer ? hal.layer : "(none)");
    if (x) fprintf(stderr, ", transfer '%s'", x->what ? x->what : "?");
    fprintf(stderr, ": ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
    exit(3);
}

/* ---- Setup ---------------------------------------------------------------- */

int dory_hal_init(const dory_hal_config_t *cfg)
{
    if (cfg->num_cores < 1 || cfg->num_cores > HAL_MAX_CORES) {
        fprintf(stderr, "dory_hal: %d cores requested (1..%d)\n", cfg->num_cores, HAL_MAX_CORES);
        return -1;
    }
    memset(&hal, 0, sizeof hal);
    hal.l1_size = cfg->l1_bytes;
    hal.l2_size = cfg->l2_bytes;
    hal.l3_size = cfg->l3_bytes;
    /* separate allocations: an overrun of one arena cannot land in another
     * unnoticed by the sanitizers */
    hal.l1 = malloc(hal.l1_size ? hal.l1_size : 1);
    hal.l2 = malloc(hal.l2_size ? hal.l2_size : 1);
    hal.l3 = malloc(hal.l3_size ? hal.l3_size : 1);
    if (!hal.l1 || !hal.l2 || !hal.l3) {
        fprintf(stderr, "dory_hal: cannot allocate the memory arenas\n");
        return -1;
    }
    memset(hal.l1, HAL_POISON, hal.l1_size);
    memset(hal.l2, HAL_POISON, hal.l2_size);
    memset(hal.l3, HAL_POISON, hal.l3_size);
    hal.num_cores = cfg->num_cores;
    hal.poison = cfg->poison;
    hal.image = (const uint8_t *)cfg->l2_image;
    hal.image_size = cfg->l2_image ? cfg->l2_image_bytes : 0;
    hal.next_id = 1;
    pthread_mutex_init(&hal.lock, NULL);
    pthread_barrier_init(&hal.barrier, NULL, (unsigned)hal.num_cores);
    pthread_key_create(&hal.core_key, NULL);
    hal.ready = 1;
    return 0;
}

void dory_hal_deinit(void)
{
    if (!hal.ready) return;
    for (int i = 0; i < HAL_MAX_INFLIGHT; i++)
        if (hal.xfers[i].kind != XFER_FREE)
            hal_fail(&hal.xfers[i], "still in flight at the end (never waited for)");
    pthread_barrier_destroy(&hal.barrier);
    pthread_mutex_destroy(&hal.lock);
    pthread_key_delete(hal.core_key);
    free(hal.l1);
    free(hal.l2);
    free(hal.l3);
    hal.ready = 0;
}

uint8_t *dory_l1_base(void) { return hal.l1; }
uint8_t *dory_l2_base(void) { return hal.l2; }
size_t dory_l1_size(void) { return hal.l1_size; }
size_t dory_l2_size(void) { return hal.l2_size; }
size_t dory_l3_size(void) { return hal.l3_size; }

void dory_fetch_local(void *dst, const void *src, size_t bytes) { memcpy(dst, src, bytes); }

void dory_hal_set_layer(const char *name)
{
    hal.layer = name;
    memset(&hal.layer_stats, 0, sizeof hal.layer_stats);
}

/* ---- Checks --------------------------------------------------------------- */

typedef enum { LVL_NONE, LVL_L1, LVL_L2, LVL_IMAGE } level_t;

static int inside(const uint8_t *p, size_t span, const uint8_t *base, size_t size)
{
    uintptr_t a = (uintptr_t)p, b = (uintptr_t)base;
    return base && a >= b && a <= b + size && span <= b + size - a;
}

/* The level holding [p, p + span), or LVL_NONE. */
static level_t level_of(const uint8_t *p, size_t span)
{
    uintptr_t a = (uintptr_t)p;
    if (inside(p, span, hal.image, hal.image_size)) return LVL_IMAGE;
    if (a >= (uintptr_t)hal.l1 && a <= (uintptr_t)hal.l1 + hal.l1_size &&
        span <= (uintptr_t)hal.l1 + hal.l1_size - a)
        return LVL_L1;
    if (a >= (uintptr_t)hal.l2 && a <= (uintptr_t)hal.l2 + hal.l2_size &&
        span <= (uintptr_t)hal.l2 + hal.l2_size - a)
        return LVL_L2;
    return LVL_NONE;
}

static size_t span_of(size_t row_bytes, size_t rows, size_t planes, size_t stride, size_t pstride)
{
    if (!row_bytes || !rows || !planes) return 0;
    return (planes - 1) * pstride + (rows - 1) * stride + row_bytes;
}

static uint64_t hash_region(const xfer_t *x)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t p = 0; p < x->planes; p++)
        for (size_t r = 0; r < x->rows; r++) {
            const uint8_t *s = x->src + p * x->src_pstride + r * x->src_stride;
            for (size_t i = 0; i < x->row_bytes; i++) h = (h ^ s[i]) * 1099511628211ull;
        }
    return h;
}

static void move_rows(const xfer_t *x, int poison)
{
    for (size_t p = 0; p < x->planes; p++)
        for (size_t r = 0; r < x->rows; r++) {
            uint8_t *d = x->dst + p * x->dst_pstride + r * x->dst_stride;
            if (poison)
                memset(d, HAL_POISON, x->row_bytes);
            else
                memcpy(d, x->src + p * x->src_pstride + r * x->src_stride, x->row_bytes);
        }
}

static int overlaps(const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
    return na && nb && a < b + nb && b < a + na;
}

/* ---- Transfers ------------------------------------------------------------ */

static dory_dma_id_t issue(xfer_t *x)
{
    size_t dspan = span_of(x->row_bytes, x->rows, x->planes, x->dst_stride, x->dst_pstride);
    size_t sspan = span_of(x->row_bytes, x->rows, x->planes, x->src_stride, x->src_pstride);
    if (x->row_bytes > x->dst_stride && x->rows > 1)
        hal_fail(x, "rows of %zu bytes overlap at destination stride %zu", x->row_bytes,
                 x->dst_stride);
    if (overlaps(x->dst, dspan, x->src, sspan)) hal_fail(x, "source and destination overlap");
    pthread_mutex_lock(&hal.lock);
    int slot = -1;
    for (int i = 0; i < HAL_MAX_INFLIGHT && slot < 0; i++)
        if (hal.xfers[i].kind == XFER_FREE) slot = i;
    if (slot < 0) hal_fail(x, "more than %d transfers in flight", HAL_MAX_INFLIGHT);
    x->id = hal.next_id++;
    if (hal.next_id > 1000000000) hal.next_id = 1;
    x->src_hash = hash_region(x);
    if (hal.poison) move_rows(x, 1);
    hal.xfers[slot] = *x;
    pthread_mutex_unlock(&hal.lock);
    return x->id;
}

static dory_dma_id_t dma(xfer_t *x)
{
    size_t dspan = span_of(x->row_bytes, x->rows, x->planes, x->dst_stride, x->dst_pstride);
    size_t sspan = span_of(x->row_bytes, x->rows, x->planes, x->src_stride, x->src_pstride);
    level_t dl = level_of(x->dst, dspan), sl = level_of(x->src, sspan);
    if (dl == LVL_IMAGE) hal_fail(x, "destination is in the read-only L2 image (constants)");
    if (sl == LVL_IMAGE) sl = LVL_L2;
    if (dl == LVL_NONE)
        hal_fail(x, "destination [%p, +%zu) is outside L1 (%zu B) and L2 (%zu B)", (void *)x->dst,
                 dspan, hal.l1_size, hal.l2_size);
    if (sl == LVL_NONE)
        hal_fail(x, "source [%p, +%zu) is outside L1 (%zu B) and L2 (%zu B)", (const void *)x->src,
                 sspan, hal.l1_size, hal.l2_size);
    x->kind = XFER_DMA;
    x->counter = dl == sl       ? &hal.layer_stats.local
                 : dl == LVL_L1 ? &hal.layer_stats.l2_to_l1
                                : &hal.layer_stats.l1_to_l2;
    return issue(x);
}

dory_dma_id_t dory_dma_copy_3d(void *dst, const void *src, size_t row_bytes, size_t rows,
                               size_t planes, size_t dst_stride, size_t src_stride,
                               size_t dst_pstride, size_t src_pstride, const char *what)
{
    xfer_t x;
    memset(&x, 0, sizeof x);
    x.dst = dst;
    x.src = src;
    x.row_bytes = row_bytes;
    x.rows = rows;
    x.planes = planes;
    x.dst_stride = dst_stride;
    x.src_stride = src_stride;
    x.dst_pstride = dst_pstride;
    x.src_pstride = src_pstride;
    x.what = what;
    return dma(&x);
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

static xfer_t l3_xfer(size_t bytes, uint32_t l3_addr, const char *what)
{
    xfer_t x;
    memset(&x, 0, sizeof x);
    x.row_bytes = bytes;
    x.rows = x.planes = 1;
    x.dst_stride = x.src_stride = bytes;
    x.what = what;
    if (l3_addr > hal.l3_size || bytes > hal.l3_size - l3_addr)
        hal_fail(&x, "L3 range [%u, +%zu) is outside L3 (%zu B)", (unsigned)l3_addr, bytes,
                 hal.l3_size);
    return x;
}

dory_dma_id_t dory_l3_read(void *l2_dst, uint32_t l3_addr, size_t bytes, const char *what)
{
    xfer_t x = l3_xfer(bytes, l3_addr, what);
    x.dst = l2_dst;
    x.src = hal.l3 + l3_addr;
    if (level_of(x.dst, bytes) != LVL_L2)
        hal_fail(&x, "L3 read into [%p, +%zu), which is not inside L2", l2_dst, bytes);
    x.kind = XFER_L3_READ;
    x.counter = &hal.layer_stats.l3_to_l2;
    return issue(&x);
}

dory_dma_id_t dory_l3_write(uint32_t l3_addr, const void *l2_src, size_t bytes, const char *what)
{
    xfer_t x = l3_xfer(bytes, l3_addr, what);
    x.dst = hal.l3 + l3_addr;
    x.src = l2_src;
    if (level_of(x.src, bytes) != LVL_L2)
        hal_fail(&x, "L3 write from [%p, +%zu), which is not inside L2", l2_src, bytes);
    x.kind = XFER_L3_WRITE;
    x.counter = &hal.layer_stats.l2_to_l3;
    return issue(&x);
}

void dory_l3_load(uint32_t l3_addr, const void *src, size_t bytes)
{
    (void)l3_xfer(bytes, l3_addr, "L3 image"); /* bounds check */
    memcpy(hal.l3 + l3_addr, src, bytes);
}

void dory_l3_peek(void *dst, uint32_t l3_addr, size_t bytes)
{
    (void)l3_xfer(bytes, l3_addr, "L3 peek"); /* bounds check */
    memcpy(dst, hal.l3 + l3_addr, bytes);
}

int dory_l3_load_file(uint32_t l3_addr, const char *file, size_t file_offset, size_t bytes)
{
    FILE *f;
    size_t got = 0;
    (void)l3_xfer(bytes, l3_addr, "L3 image file"); /* bounds check */
    f = fopen(file, "rb");
    if (f && fseek(f, (long)file_offset, SEEK_SET) == 0) got = fread(hal.l3 + l3_addr, 1, bytes, f);
    if (f) fclose(f);
    if (got == bytes) return 0;
    fprintf(stderr,
            "dory_hal: cannot read %zu bytes at %zu of '%s' (run from the application "
            "folder)\n",
            bytes, file_offset, file);
    return -1;
}

void dory_dma_wait(dory_dma_id_t id)
{
    pthread_mutex_lock(&hal.lock);
    xfer_t *x = NULL;
    for (int i = 0; i < HAL_MAX_INFLIGHT && !x; i++)
        if (hal.xfers[i].kind != XFER_FREE && hal.xfers[i].id == id) x = &hal.xfers[i];
    if (!x) hal_fail(NULL, "wait on transfer %d, which is not in flight (waited twice?)", id);
    if (hash_region(x) != x->src_hash)
        hal_fail(x, "its source was modified before the transfer was waited for");
    move_rows(x, 0);
    uint64_t bytes = (uint64_t)x->row_bytes * x->rows * x->planes;
    uint64_t *layer_field = x->counter;
    size_t off = (size_t)((char *)layer_field - (char *)&hal.layer_stats);
    *layer_field += bytes;
    *(uint64_t *)((char *)&hal.total_stats + off) += bytes;
    hal.layer_stats.transfers++;
    hal.total_stats.transfers++;
    x->kind = XFER_FREE;
    pthread_mutex_unlock(&hal.lock);
}

dory_dma_stats_t dory_dma_layer_stats(void) { return hal.layer_stats; }
dory_dma_stats_t dory_dma_total_stats(void) { return hal.total_stats; }

/* ---- Cores ---------------------------------------------------------------- */

typedef struct core_arg {
    int id;
    void (*fn)(void *);
    void *arg;
} core_arg_t;

static void *core_main(void *p)
{
    core_arg_t *c = p;
    pthread_setspecific(hal.core_key, c);
    c->fn(c->arg);
    return NULL;
}

int dory_core_id(void)
{
    const core_arg_t *c = pthread_getspecific(hal.core_key);
    return c ? c->id : 0;
}

int dory_num_cores(void) { return hal.num_cores; }

void dory_cluster_run(void (*fn)(void *arg), void *arg)
{
    pthread_t threads[HAL_MAX_CORES];
    core_arg_t args[HAL_MAX_CORES];
    for (int i = 0; i < hal.num_cores; i++) {
        args[i].id = i;
        args[i].fn = fn;
        args[i].arg = arg;
        if (pthread_create(&threads[i], NULL, core_main, &args[i]) != 0)
            hal_fail(NULL, "cannot start core %d", i);
    }
    for (int i = 0; i < hal.num_cores; i++) pthread_join(threads[i], NULL);
}

void dory_barrier(void) { pthread_barrier_wait(&hal.barrier); }

uint64_t dory_cycles(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

const char *dory_cycles_unit(void) { return "ns"; }
