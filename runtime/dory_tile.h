/* dory_tile.h: tile arithmetic shared by generated layers (C99, header only).
 *
 * A layer's output [HO][WO][CO] is cut into tiles of t_h x t_w x t_co (the
 * last tile of each dimension may be smaller). Tiles are visited in one of two
 * orders; dory_tile_at() decodes a tile index. dory_window() gives the input
 * rows/columns a tile reads and the padding that applies to this tile only
 * (a tile in the middle of a tensor gets none). The DMA helpers move HWC
 * tiles between a full tensor in L2 and a dense tile in L1.
 */
#ifndef DORY_TILE_H
#define DORY_TILE_H

#include "dory_hal.h"

typedef struct dory_tile {
    int co0, co; /* first output channel, channel count */
    int h0, h;   /* first output row, rows */
    int w0, w;   /* first output column, columns */
    int ci0, ci; /* first input channel, channel count (input-channel tiling) */
} dory_tile_t;

/* Tile counts and sizes of the three output dimensions. */
typedef struct dory_tiling {
    int order;          /* 0: rows, cols, channels (channels innermost); 1: channels outermost */
    int n_co, n_h, n_w; /* tiles per dimension */
    int t_co, t_h, t_w; /* full tile size */
    int CO, HO, WO;     /* layer output size */
} dory_tiling_t;

static inline int dory_tile_count(const dory_tiling_t *g) { return g->n_co * g->n_h * g->n_w; }

static inline dory_tile_t dory_tile_at(const dory_tiling_t *g, int t)
{
    dory_tile_t r;
    int ico, ih, iw;
    if (g->order == 0) {
        ico = t % g->n_co;
        iw = (t / g->n_co) % g->n_w;
        ih = t / (g->n_co * g->n_w);
    } else {
        iw = t % g->n_w;
        ih = (t / g->n_w) % g->n_h;
        ico = t / (g->n_w * g->n_h);
    }
    r.co0 = ico * g->t_co;
    r.co = g->CO - r.co0 < g->t_co ? g->CO - r.co0 : g->t_co;
    r.h0 = ih * g->t_h;
    r.h = g->HO - r.h0 < g->t_h ? g->HO - r.h0 : g->t_h;
    r.w0 = iw * g->t_w;
    r.w = g->WO - r.w0 < g->t_w ? g->WO - r.w0 : g->t_w;
    r.ci0 = 0;
    r.ci = 0;
    return r;
}

/* A slice of a layer: the output rows [h0, h0+h) and channels [co0, co0+co)
 * that one pass of the L1 tile loop computes (the whole layer, or one L3->L2
 * slice), with where its data is in L2. */
typedef struct dory_slice {
    int h0, h, co0, co;
    const unsigned char *x, *x2; /* input rows from x_r0 (x2_r0) on, all columns, channels */
    int x_r0, x2_r0;
    const unsigned char *w; /* the weights of output channel co0 */
    unsigned char *y;       /* output pixel (y_r0, 0), channel y_co0 */
    int y_r0, y_co0, y_c;   /* y_c: channels per pixel in y */
    /* L3 reads of the weights at w still in flight (NULL: none): piece k
     * holds the slice's channels from k * w_piece_co on, the last piece the
     * rest; the tile loop waits for a piece before its first load from it
     * and for all before it returns, zeroing their ids */
    dory_dma_id_t *w_pending;
    int w_pieces, w_piece_co;
    /* the same for the L3 reads of the input rows (input i: x_pending[i],
     * NULL: none): piece k holds the rows that the slice's output rows from
     * k * x_piece_h on read, less those of the pieces before it */
    dory_dma_id_t *x_pending[2];
    int x_pieces, x_piece_h;
    /* the output rows' L3 writes (y_pending NULL: none, y is the L2
     * output): the tile loop writes the slice's rows to L3 at y_l3 (the
     * address of row y_r0; y_row bytes per row) as soon as they are in L2,
     * by groups of y_group L1 tile rows (write k into y_pending[k]); the
     * caller waits for them */
    dory_dma_id_t *y_pending;
    uint32_t y_l3;
    unsigned long y_row;
    int y_group;
} dory_slice_t;

/* The tiling of a slice: the layer's tile sizes over the slice's extent. */
static inline dory_tiling_t dory_tiling_of(const dory_tiling_t *g, const dory_slice_t *s)
{
    dory_tiling_t r = *g;
    r.HO = s->h;
    r.CO = s->co;
    r.n_h = (s->h + g->t_h - 1) / g->t_h;
    r.n_co = (s->co + g->t_co - 1) / g->t_co;
    return r;
}

/* Tile t of a slice, in the layer's coordinates. */
static inline dory_tile_t dory_slice_tile(const dory_tiling_t *st, const dory_slice_t *s, int t)
{
    dory_tile_t r = dory_tile_at(st, t);
    r.h0 += s->h0;
    r.co0 += s->co0;
    return r;
}

/* With input channels tiled (t_ci of CI per tile, innermost): tile t of a
 * slice, its output tile and its input-channel range. */
static inline dory_tile_t dory_slice_tile_ci(const dory_tiling_t *st, const dory_slice_t *s, int t,
                                             int t_ci, int CI)
{
    int n_ci = (CI + t_ci - 1) / t_ci;
    dory_tile_t r = dory_slice_tile(st, s, t / n_ci);
    r.ci0 = (t % n_ci) * t_ci;
    r.ci = CI - r.ci0 < t_ci ? CI - r.ci0 : t_ci;
    return r;
}

/* Input window of a tile: rows [r0, r1), columns [c0, c1) of the input, and
 * the padding this tile sees on each side. */
typedef struct dory_window {
    int r0, r1, c0, c1;
    int pad_top, pad_left, pad_bottom, pad_right;
    int border; /* DORY_BORDER_* style flags: 1 top, 2 left, 4 bottom, 8 right */
} dory_window_t;

/* Geometry of a sliding window over an H x W input. */
typedef struct dory_geom {
    int H, W;
    int kh, kw, sh, sw, dh, dw;
    int pad_top, pad_left;
} dory_geom_t;

/* The part [*i0, *i1) of the window [a, b) inside [0, n), and the padding
 * before and after it; a window of padding only (a conv padded beyond its
 * kernel) reads nothing and is all padding. */
static inline void dory_span(int a, int b, int n, int *i0, int *i1, int *pa, int *pb)
{
    *i0 = a < 0 ? 0 : a > n ? n : a;
    *i1 = b < *i0 ? *i0 : b > n ? n : b;
    *pa = *i0 - a < 0 ? 0 : *i0 - a > b - a ? b - a : *i0 - a;
    *pb = (b - a) - (*i1 - *i0) - *pa;
}

static inline dory_window_t dory_window(const dory_geom_t *g, const dory_tile_t *t)
{
    dory_window_t w;
    int top = t->h0 * g->sh - g->pad_top;
    int bot = (t->h0 + t->h - 1) * g->sh - g->pad_top + (g->kh - 1) * g->dh + 1;
    int left = t->w0 * g->sw - g->pad_left;
    int right = (t->w0 + t->w - 1) * g->sw - g->pad_left + (g->kw - 1) * g->dw + 1;
    dory_span(top, bot, g->H, &w.r0, &w.r1, &w.pad_top, &w.pad_bottom);
    dory_span(left, right, g->W, &w.c0, &w.c1, &w.pad_left, &w.pad_right);
    w.border =
        (w.pad_top ? 1 : 0) | (w.pad_left ? 2 : 0) | (w.pad_bottom ? 4 : 0) | (w.pad_right ? 8 : 0);
    return w;
}

/* Copies rows [r0, r0+nr) x columns [c0, c0+nc) x channels [ch0, ch0+nch)
 * of an HWC tensor with W columns and C channels (elem bytes each) at `src`
 * into a dense nr x nc x nch tile at `dst` (or back with dory_store_hwc). */
static inline dory_dma_id_t dory_load_hwc(void *dst, const void *src, int W, int C, int r0, int nr,
                                          int c0, int nc, int ch0, int nch, int elem,
                                          const char *what)
{
    const unsigned char *s = (const unsigned char *)src + (((size_t)r0 * W + c0) * C + ch0) * elem;
    return dory_dma_copy_3d(dst, s, (size_t)nch * elem, (size_t)nc, (size_t)nr, (size_t)nch * elem,
                            (size_t)C * elem, (size_t)nc * nch * elem, (size_t)W * C * elem, what);
}

static inline dory_dma_id_t dory_store_hwc(void *dst, const void *src, int W, int C, int r0, int nr,
                                           int c0, int nc, int ch0, int nch, int elem,
                                           const char *what)
{
    unsigned char *d = (unsigned char *)dst + (((size_t)r0 * W + c0) * C + ch0) * elem;
    return dory_dma_copy_3d(d, src, (size_t)nch * elem, (size_t)nc, (size_t)nr, (size_t)C * elem,
                            (size_t)nch * elem, (size_t)W * C * elem, (size_t)nc * nch * elem,
                            what);
}

#endif
