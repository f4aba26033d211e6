/* dory_exec.h: the executor of generated layers: the hooks of the tile loop
 * (dory_layer.h), written once for every layer and driven by a per-layer
 * constant descriptor (dory_exec_layer_t) that the code generator writes with
 * designated initializers.
 *
 * Per tile it loads the input window and the weights, fills the kernel's
 * parameter block (the descriptor's constants, the tile's padding, dims,
 * L1 pointers and the channel offset of every per-channel array), runs the
 * layer's kernel on every core through the kernel table's call shape
 * (kernels/dory_kernel_table.h), the partial-sum epilogue where input
 * channels are tiled, and stores the output. Knows call shapes, not layers;
 * never allocates, never exits: kernel codes are returned. C99.
 */
#ifndef DORY_EXEC_H
#define DORY_EXEC_H

#include "dory_kernel_table.h"
#include "dory_layer.h"

/* Byte offsets of a layer's L1 buffers (from dory_l1_base()). A buffer with
 * one copy has copy 1 == 0 (a second copy always follows the first). */
typedef struct dory_exec_l1 {
    unsigned long in0[2], in1[2], w[2], out[2];
    unsigned long rq[2];   /* the channel tile's constants (dory_exec_consts_t) */
    unsigned long acc;     /* int32 partial sums (input channels tiled) */
    unsigned long scratch; /* kernel scratch of core 0; core i at + i * scratch bytes */
} dory_exec_l1_t;

/* The per-channel constants of a weight layer that its kernel reads from
 * the L1 rq area instead of L2: `src` holds one block of `bytes` per
 * channel tile of t_co channels (the last one padded), each in the rq area's
 * layout, and one DMA moves a tile's block with its weights. Byte offsets of
 * the fields in a block; bias -1: the layer has none. k and l are the output
 * requant's k32/k64 and l32/l64 (SHIFT) or mult and shift (FIXED), of the
 * parameter block's element types, as its scheme says. These blocks are the
 * constants' only copy: the descriptor's bias and requant pointers are NULL
 * and the executor points each tile's at its L1 block. src NULL: nothing
 * staged. */
typedef struct dory_exec_consts {
    const void *src;
    unsigned long bytes;
    long bias, k, l;
} dory_exec_consts_t;

/* An HWC tensor as the loaders see it. */
typedef struct dory_exec_tensor {
    int w, c; /* columns, channels per pixel */
    int elem; /* bytes per element */
} dory_exec_tensor_t;

/* The constant part of the kernel's parameter block, by call shape.
 * Per-channel arrays point at channel 0; each tile starts at its channel. */
typedef union dory_exec_params {
    dory_conv_params_t conv; /* CONV, GROUPED */
    dory_fc_params_t fc;
    dory_pool_params_t pool;
    dory_add_params_t add;
    dory_mul_params_t mul;
    dory_eltwise_params_t eltwise;
    dory_softmax_params_t softmax;
} dory_exec_params_t;

/* A kernel function, by call shape (its row's FN; only the layer's kernels
 * are referenced, so an application links only those). */
typedef int (*dory_conv_fn_t)(const dory_ctx_t *ctx, const dory_conv_params_t *p,
                              const dory_dims_t *in, const void *x, const int8_t *w,
                              const int32_t *bias, const dory_dims_t *out, void *y);
typedef union dory_exec_fn {
    dory_conv_fn_t conv; /* CONV, GROUPED */
    int (*fc)(const dory_ctx_t *ctx, const dory_fc_params_t *p, int k, const void *x,
              const int8_t *w, const int32_t *bias, int n, void *y);
    int (*pool)(const dory_ctx_t *ctx, const dory_pool_params_t *p, const dory_dims_t *in,
                const void *x, const dory_dims_t *out, void *y);
    int (*add)(const dory_ctx_t *ctx, const dory_add_params_t *p, const dory_dims_t *a_dims,
               const void *a, const dory_dims_t *b_dims, const void *b, const dory_dims_t *y_dims,
               void *y);
    int (*mul)(const dory_ctx_t *ctx, const dory_mul_params_t *p, const dory_dims_t *a_dims,
               const void *a, const dory_dims_t *b_dims, const void *b, const dory_dims_t *y_dims,
               void *y);
    int (*eltwise)(const dory_ctx_t *ctx, const dory_eltwise_params_t *p, const dory_dims_t *in,
                   const void *x, const dory_dims_t *out, void *y);
    int (*softmax)(const dory_ctx_t *ctx, const dory_softmax_params_t *p, const dory_dims_t *in,
                   const void *x, const dory_dims_t *out, void *y);
} dory_exec_fn_t;

/* The PSUM call shape (the partial-sum epilogue). */
typedef int (*dory_psum_fn_t)(const dory_ctx_t *ctx, const dory_out_params_t *p,
                              const dory_dims_t *dims, const int32_t *acc, void *y);

/* The most cores a layer runs on (dory_hal.h: 1..32). */
#define DORY_EXEC_MAX_CORES 32

/* One generated layer. */
typedef struct dory_exec_layer {
    dory_loop_t loop;        /* first: the hooks get the descriptor back from it */
    dory_kernel_id_t kernel; /* the plan's choice (the table's row) */
    dory_call_t call;        /* the row's call shape */
    dory_exec_fn_t fn;       /* the row's function, as .fn.<shape> */
    dory_psum_fn_t psum;     /* input channels tiled: the requant_s32 row's function */
    dory_geom_t geom;        /* input window (spatial layers) */
    dory_exec_tensor_t x, y; /* input (input 2 has its shape) and output */
    int x2_pixel;            /* input 2 is one pixel of x's channels, broadcast (mul) */
    int k;                   /* fc: inputs per output neuron */
    int gin, gout;           /* grouped conv: input / output channels per group */
    int w_per_co;            /* weight bytes per output channel */
    int taps;                /* kernel taps (weights of input-channel slices) */
    dory_exec_l1_t l1;
    int scratch;               /* kernel scratch bytes per core (the plan's) */
    int cores;                 /* the plan's cores, at most DORY_EXEC_MAX_CORES */
    const int32_t *bias;       /* per output channel, or NULL */
    dory_exec_consts_t consts; /* staged into L1 per weight tile (src NULL: none) */
    dory_exec_params_t p;      /* the kernel's constants */
} dory_exec_layer_t;

/* The hooks every generated layer's loop uses. */
extern const dory_layer_hooks_t dory_exec_hooks;

/* Runs a layer whose tensors are all in L2 as one slice: inputs x (and x2),
 * weights w (NULL: none), output y. 0 or the first non-zero kernel code. */
int dory_exec_l2(const dory_exec_layer_t *d, const unsigned char *x, const unsigned char *x2,
                 const unsigned char *w, unsigned char *y);

/* The same on a single-level target: the layer runs in place, its kernel
 * reading x (x2) and the weights w where they are and writing y, with only
 * its scratch in the L1 part of the arena. No copies. */
int dory_exec_in_place(const dory_exec_layer_t *d, const unsigned char *x, const unsigned char *x2,
                       const unsigned char *w, unsigned char *y);

#endif
