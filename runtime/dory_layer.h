/* dory_layer.h: the software-pipelined L1 tile loop, once for every layer.
 *
 * A layer supplies its DMA and compute steps as hooks (runtime/dory_exec.c
 * for generated layers); the loop
 * visits the tiles of one slice (dory_tile.h), loads tile i+1 (its input
 * window, and its weights when the channel slice changes) while tile i
 * computes, and writes tile i's output back while tile i+1 computes. With
 * input channels tiled, an output tile's input-channel slices accumulate int32
 * partial sums, requantized after the last one. Errors are returned, never
 * exit. C99; must not know any kernel.
 */
#ifndef DORY_LAYER_H
#define DORY_LAYER_H

#include "dory_tile.h"

typedef struct dory_loop dory_loop_t;

/* The steps of one layer's tile loop. Each gets the loop it runs in (a
 * layer's descriptor starts with its dory_loop_t: runtime/dory_exec.h). */
typedef struct dory_layer_hooks {
    /* input `which` (0, or 1 for add's second input) of tile t into copy `buf` */
    dory_dma_id_t (*load_input)(const dory_loop_t *l, const dory_slice_t *s, unsigned char *l1,
                                const dory_tile_t *t, int buf, int which);
    /* the weights of tile t into copy `buf` (called only when l->weights) */
    dory_dma_id_t (*load_weights)(const dory_loop_t *l, const dory_slice_t *s, unsigned char *l1,
                                  const dory_tile_t *t, int buf);
    /* tile t's output from copy `buf` back to the slice's output */
    dory_dma_id_t (*store_output)(const dory_loop_t *l, const dory_slice_t *s, unsigned char *l1,
                                  const dory_tile_t *t, int buf);
    /* the kernel on every core for tile t (waits for the cores): 0 or the
     * first non-zero kernel code */
    int (*compute)(const dory_loop_t *l, const dory_tile_t *t, unsigned char *l1, int in_buf,
                   int w_buf, int out_buf);
    /* input-channel tiling only: the finished int32 sums into output copy `buf` */
    int (*requant)(const dory_loop_t *l, const dory_tile_t *t, unsigned char *l1, int out_buf);
    /* the per-channel constants of tile t into copy `buf`, with its weights
     * (NULL, or 0 returned: none) */
    dory_dma_id_t (*load_consts)(const dory_loop_t *l, const dory_slice_t *s, unsigned char *l1,
                                 const dory_tile_t *t, int buf);
} dory_layer_hooks_t;

/* The shape of one layer's tile loop. */
struct dory_loop {
    const dory_layer_hooks_t *hooks;
    dory_tiling_t tiling;
    int inputs;  /* activation inputs, 1 or 2 */
    int spatial; /* the input depends on the tile's rows and columns (not fc) */
    int coupled; /* input channels follow output channels (depthwise, pooling, add) */
    int weights; /* the layer loads weight tiles */
    int t_ci;    /* input channels per slice; 0: not tiled */
    int ci_all;  /* input channels in all */
};

/* Runs the tile loop of slice s: 0, or the first non-zero code of a hook
 * (the loop stops there, after waiting for the transfers in flight). */
int dory_run_slice(const dory_loop_t *l, const dory_slice_t *s);

/* A layer whose tensors do not all fit L2: its output-row slices (outer) and
 * output-channel slices (inner), where each operand lives, and the L2 staging
 * buffers (both copies resolved: a buffer used once has copy 1 == copy 0).
 * Offsets are bytes (L2 offsets from dory_l2_base(), L3 addresses). */
typedef struct dory_l3_layer dory_l3_layer_t;
struct dory_l3_layer {
    const dory_loop_t *loop; /* the L1 tile loop of each slice */
    const dory_geom_t *geom; /* input window geometry; NULL: one input row (fc) */
    int nr, nc, rt, ct;      /* row / channel slices and their full sizes */
    int ho, wo, co;          /* layer output size */
    int inputs;
    int x_l3[2];              /* input i streams from L3 ... */
    unsigned long x_addr[2];  /* ... at this L3 address, else at this L2 offset */
    unsigned long x_row[2];   /* bytes per input row (W * C * elem) */
    unsigned long in_buf[2];  /* staging copies for input rows (input 1 after input 0) */
    unsigned long in_rows;    /* input rows a staging copy holds */
    int has_w, w_l3;          /* weights: present, stream from L3 by channel slice */
    unsigned long w_addr;     /* w_l3: L3 address of the weights */
    unsigned long w_per_co;   /* weight bytes per output channel */
    unsigned long w_buf[2];   /* staging copies for weight slices */
    int y_l3;                 /* the output is written back to L3 by row slice */
    unsigned long y_addr;     /* L3 address or L2 offset of the output */
    unsigned long y_row;      /* bytes per output row (WO * CO * elem) */
    unsigned long out_buf[2]; /* staging copies for output rows */
    /* cross-layer prefetch (the plan's): this layer's first weight piece
     * was requested by the layer run before it (w_pre; read here if it was
     * not); the layer run after this one, whose first weight piece this
     * one requests into that layer's w_buf[0] once its own reads are issued
     * (NULL: none; the plan keeps that L2 for it from this layer on) */
    int w_pre;
    const dory_l3_layer_t *next;
};

/* Runs a layer slice by slice: input rows (with their halo) and weight
 * slices stream from L3 into the staging copies one slice ahead (the first
 * weight slice in up to 4 pieces by L1 tile channels, each waited for by the
 * tile loop before its first tile), each slice runs the L1 tile loop, output
 * rows go back to L3 asynchronously as soon as the tile loop has stored them
 * in L2 (whole L1 tile rows, up to 4 writes per row slice). w_l2:
 * the L2-resident weights (when present and not w_l3), else NULL. Returns 0
 * or the first non-zero code of a slice (after the transfers in flight). */
int dory_run_l3(const dory_l3_layer_t *l, const unsigned char *w_l2);

/* Requests layer `next`'s first weight piece (its dory_l3_layer_t.w_pre),
 * from a layer whose tensors are all in L2, before it runs: the read
 * proceeds during that layer; `next` waits for it. */
void dory_l3_prefetch(const dory_l3_layer_t *next);

#endif
