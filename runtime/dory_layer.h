/* dory_layer.h: the software-pipelined L1 tile loop, once for every layer.
 *
 * A generated layer supplies its DMA and compute steps as hooks; the loop
 * visits the tiles of one slice (dory_tile.h), loads tile i+1 (its input
 * window, and its weights when the channel slice changes) while tile i
 * computes, and writes tile i's output back while tile i+1 computes. With
 * input channels tiled, an output tile's input-channel slices accumulate int32
 * partial sums, requantized after the last one. C99.
 */
#ifndef DORY_LAYER_H
#define DORY_LAYER_H

#include "dory_tile.h"

typedef struct dory_layer_ops {
    /* input `which` (0, or 1 for add's second input) of tile t into copy `buf` */
    dory_dma_id_t (*load_input)(const dory_slice_t *s, unsigned char *l1, const dory_tile_t *t,
                                int buf, int which);
    /* the weights of tile t into copy `buf`; NULL for layers without weights */
    dory_dma_id_t (*load_weights)(const dory_slice_t *s, unsigned char *l1, const dory_tile_t *t,
                                  int buf);
    /* tile t's output from copy `buf` back to the slice's output */
    dory_dma_id_t (*store_output)(const dory_slice_t *s, unsigned char *l1, const dory_tile_t *t,
                                  int buf);
    /* the kernel on every core for tile t (waits for the cores) */
    void (*compute)(const dory_tile_t *t, unsigned char *l1, int in_buf, int w_buf, int out_buf);
    /* input-channel tiling only: the finished int32 sums into output copy `buf` */
    void (*requant)(const dory_tile_t *t, unsigned char *l1, int out_buf);
    int inputs;  /* activation inputs, 1 or 2 */
    int spatial; /* the input depends on the tile's rows and columns (not fc) */
    int coupled; /* input channels follow output channels (depthwise, pooling, add) */
    int t_ci;    /* input channels per slice; 0: not tiled */
    int ci_all;  /* input channels in all */
} dory_layer_ops_t;

/* Runs the tile loop of slice s of a layer tiled as `tiling`. */
void dory_run_slice(const dory_layer_ops_t *ops, const dory_tiling_t *tiling,
                    const dory_slice_t *s);

#endif
