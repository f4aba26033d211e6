/* dory_hal_cluster.h: what the two HALs of a PULP cluster share, the bare-metal
 * one (runtime/pulp: registers) and the GAP SDK one (runtime/pmsis: PMSIS
 * calls): how a dory copy becomes cluster-DMA commands, the transfer ids and
 * the DMA wait time, fork/join and the barrier of the first num_cores cores,
 * and the 64-bit cycle counter. Include it after dory_hal_bare.h in exactly
 * one HAL file, which sets `bare` and `cl.cores` up in dory_hal_init() and
 * defines, for this file:
 *
 *   DORY_CL_DMA_MAX_LEN   bytes one DMA command may move
 *   cl_dma_begin()        a new transfer: returns its id (never 0, never
 *                         DORY_CL_ID_DONE); the commands pushed until the
 *                         next begin belong to it
 *   cl_dma_push(loc, ext, bytes, to_l1, row, stride)
 *                         one command of `bytes` between loc (L1) and ext:
 *                         1-D if row == bytes, else 2-D on the ext side (rows
 *                         of `row` bytes, `stride` apart; loc dense)
 *   cl_dma_wait(id)       returns when every command of transfer id is done
 *   cl_fork(fn, arg)      fn(arg) on cores 0..cl.cores-1, the caller being
 *                         core 0; returns when all are done
 *   cl_team_barrier()     the barrier of those cores
 *   cl_cycles32()         the cluster's 32-bit cycle counter
 *
 * and the rest of dory_hal.h (init, core id, L3). L2->L2 and L1->L1 moves
 * are copies by the calling core. C99; no allocation.
 */
#ifndef DORY_HAL_CLUSTER_H
#define DORY_HAL_CLUSTER_H

#define DORY_CL_ID_DONE 0x10000 /* the id of a transfer completed when issued */

struct dory_cluster {
    int cores;
    uint32_t last_cycles, high_cycles;
};

/* As `bare` (dory_hal_bare.h): DORY_HAL_CLUSTER_STATE, the address of
 * room for `cl` in the core's fast memory, if the HAL has one. */
#ifdef DORY_HAL_CLUSTER_STATE
#define cl (*(struct dory_cluster *)(uintptr_t)(DORY_HAL_CLUSTER_STATE))
#else
static struct dory_cluster cl;
#endif

static dory_dma_id_t cl_dma_begin(void);
static void cl_dma_push(uintptr_t loc, uintptr_t ext, size_t bytes, int to_l1, size_t row,
                        size_t stride);
static void cl_dma_wait(dory_dma_id_t id);
static void cl_fork(void (*fn)(void *), void *arg);
static void cl_team_barrier(void);
static uint32_t cl_cycles32(void);

/* One plane: rows of row_bytes; the L1 side is dst if to_l1. One 1-D
 * command per DORY_CL_DMA_MAX_LEN where both sides are dense, 2-D on the ext
 * side where L1 is dense, else one command per row. */
static void cl_plane(uint8_t *dst, const uint8_t *src, size_t row_bytes, size_t rows,
                     size_t dst_stride, size_t src_stride, int to_l1)
{
    size_t loc_stride = to_l1 ? dst_stride : src_stride,
           ext_stride = to_l1 ? src_stride : dst_stride;
    uintptr_t loc = to_l1 ? (uintptr_t)dst : (uintptr_t)src;
    uintptr_t ext = to_l1 ? (uintptr_t)src : (uintptr_t)dst;
    size_t r = 0;
    if (rows == 1 || (loc_stride == row_bytes && ext_stride == row_bytes)) {
        size_t total = row_bytes * rows, at;
        for (at = 0; at < total; at += DORY_CL_DMA_MAX_LEN) {
            size_t n = total - at < DORY_CL_DMA_MAX_LEN ? total - at : DORY_CL_DMA_MAX_LEN;
            cl_dma_push(loc + at, ext + at, n, to_l1, n, n);
        }
        return;
    }
    while (r < rows) {
        size_t n = loc_stride == row_bytes ? DORY_CL_DMA_MAX_LEN / row_bytes : 1;
        if (n > rows - r) n = rows - r;
        if (n < 1) n = 1;
        cl_dma_push(loc + r * loc_stride, ext + r * ext_stride, n * row_bytes, to_l1,
                    n == 1 ? n * row_bytes : row_bytes, ext_stride);
        r += n;
    }
}

/* A copy's shape: rows of row_bytes, planes of rows (strides in bytes). */
typedef struct cl_shape {
    size_t row, rows, planes, ds, ss, dps, sps;
} cl_shape_t;

/* Rows that follow each other on both sides become one row. */
static void cl_merge_rows(cl_shape_t *c)
{
    if (c->rows > 1 && c->ds == c->row && c->ss == c->row) {
        c->row *= c->rows;
        c->rows = 1;
        c->ds = c->ss = c->row;
    }
}

/* The copy with its dense dimensions merged, so that an HWC tile of whole
 * rows (or of all channels) is one command instead of one per row or
 * pixel: dense rows are one row, planes of one row are rows, planes that
 * continue the rows' strides on both sides are more rows. The 2-D forms it
 * makes keep rows and strides under 64 kB (the engines' 2-D registers). */
static cl_shape_t cl_merge(cl_shape_t c)
{
    cl_shape_t m = c;
    cl_merge_rows(&m);
    if (m.rows == 1 && m.planes > 1) {
        m.rows = m.planes;
        m.ds = m.dps;
        m.ss = m.sps;
        m.planes = 1;
    }
    if (m.planes > 1 && m.dps == m.rows * m.ds && m.sps == m.rows * m.ss) {
        m.rows *= m.planes;
        m.planes = 1;
    }
    cl_merge_rows(&m);
    if (m.rows > 1 && (m.row > 0xffff || m.ds > 0xffff || m.ss > 0xffff)) return c;
    return m;
}

dory_dma_id_t dory_dma_copy_3d(void *dst, const void *src, size_t row_bytes, size_t rows,
                               size_t planes, size_t dst_stride, size_t src_stride,
                               size_t dst_pstride, size_t src_pstride, const char *what)
{
    size_t p;
    int dl, sl;
    dory_dma_id_t id;
    cl_shape_t c;
    bare_check_3d(dst, src, row_bytes, rows, planes, dst_stride, src_stride, dst_pstride,
                  src_pstride, what, &dl, &sl);
    if (dl == sl || !row_bytes || !rows || !planes) /* a local move: the core copies */
        return bare_copy_3d(dst, src, row_bytes, rows, planes, dst_stride, src_stride, dst_pstride,
                            src_pstride, dl, sl);
    bare_count(dl == 1 ? &bare.layer_stats.l2_to_l1 : &bare.layer_stats.l1_to_l2,
               row_bytes * rows * planes);
    c.row = row_bytes, c.rows = rows, c.planes = planes;
    c.ds = dst_stride, c.ss = src_stride, c.dps = dst_pstride, c.sps = src_pstride;
    c = cl_merge(c);
    id = cl_dma_begin();
    for (p = 0; p < c.planes; p++)
        cl_plane((uint8_t *)dst + p * c.dps, (const uint8_t *)src + p * c.sps, c.row, c.rows, c.ds,
                 c.ss, dl == 1);
    return id;
}

void dory_dma_wait(dory_dma_id_t id)
{
    uint32_t t0, dt;
    if (id <= 0 || id == DORY_CL_ID_DONE) return;
    t0 = cl_cycles32(); /* a wait is far shorter than the counter's wrap */
    cl_dma_wait(id);
    dt = cl_cycles32() - t0;
    bare.layer_stats.wait_cycles += dt;
    bare.total_stats.wait_cycles += dt;
}

/* ---- Cores ------------------------------------------------------------------- */

int dory_num_cores(void) { return cl.cores; }

void dory_cluster_run(void (*fn)(void *arg), void *arg)
{
    if (cl.cores == 1)
        fn(arg);
    else
        cl_fork(fn, arg);
}

void dory_barrier(void)
{
    if (cl.cores > 1) cl_team_barrier();
}

/* ---- Measurement ------------------------------------------------------------- */

/* The 32-bit counter extended to 64 bits (read at least once per wrap: every
 * layer reads it). */
uint64_t dory_cycles(void)
{
    uint32_t now = cl_cycles32();
    if (now < cl.last_cycles) cl.high_cycles++;
    cl.last_cycles = now;
    return (uint64_t)cl.high_cycles << 32 | now;
}

const char *dory_cycles_unit(void) { return "cycles"; }

#endif
