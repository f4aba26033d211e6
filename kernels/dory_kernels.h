/* dory_kernels.h: the public API of dory's int8 kernel library.
 *
 * Each kernel computes one layer on one L1 tile, HWC activations, batch 1,
 * with exactly the integer contract of docs/ARCHITECTURE.md (reference:
 * src/ir/quant.c and src/ir/interp.c). Argument order is the same everywhere:
 * context (core id, core count, scratch), parameters, then dims/data pairs,
 * inputs const. Kernels never allocate: a kernel that needs scratch has a
 * companion *_scratch_bytes() giving the bytes one core needs; the caller
 * gives each core its own scratch buffer (4-byte aligned).
 *
 * Parallelism: every kernel takes (core_id, num_cores) and computes only its
 * share (conv: output rows; depthwise and pooling: channels; FC: output
 * neurons; add and the element-wise requants: pixels). The shares are
 * disjoint and each output value is computed the same way whatever the core
 * count, so the bytes are identical for any num_cores. The caller
 * synchronizes (barrier) after the call (also between the input-channel
 * slices of a layer and before dory_requant_s32).
 *
 * Value ranges common to all kernels: activations u8 or i8, each with its
 * zero point inside its type's range (the zero point is also the padding
 * byte); weights int8 (a u8 weight tensor with zero point z is the same as
 * the i8 tensor w - 128 with zero point z - 128); accumulators and the
 * requant products fit the width the verifier proved (int32 for SHIFT32).
 *
 * This library is C99, copied into generated applications: it must not
 * include anything from the compiler (src/).
 */
#ifndef DORY_KERNELS_H
#define DORY_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Status codes returned by kernels. */
enum {
    DORY_OK = 0,
    DORY_ERR_ARG = -1,    /**< inconsistent dimensions or parameters */
    DORY_ERR_SCRATCH = -2 /**< scratch buffer missing or too small */
};

/** Activation element type. Weights are always int8. DORY_I32 (4 bytes per
 * element, 4-byte aligned buffers) is accepted only where a kernel says so:
 * as the output of the conv, pointwise, depthwise and FC kernels and of the
 * element-wise requant kernels, and as the input of dory_requant_s8(). */
typedef enum { DORY_U8 = 0, DORY_I8 = 1, DORY_I32 = 2 } dory_type_t;

/** Accumulation mode of the conv, pointwise and FC kernels, for layers whose
 * input channels (K for FC) are split into slices, one call per slice: the
 * output pointer is then an int32 accumulator buffer laid out like an I32
 * output (out->c_stride honoured, in int32 elements; FC: n elements), and
 * out.type/zp/lo/hi/rq are not read. The per-slice zero-point corrections
 * are exact: each call adds sum over its slice's taps of (x - zx)(w - zw[c]),
 * padded taps adding 0. Finish with dory_requant_s32(). */
typedef enum {
    DORY_ACC_STORE = 0, /**< whole reduction in one call: epilogue, store out.type */
    DORY_ACC_FIRST = 1, /**< acc = bias + partial sum of this slice (first slice) */
    DORY_ACC_NEXT = 2   /**< acc += partial sum of this slice (bias not read) */
} dory_acc_mode_t;

/** Tile borders: padding is applied only on the sides flagged here, i.e. the
 * sides where the tile touches the border of the full tensor. */
enum {
    DORY_BORDER_TOP = 1,
    DORY_BORDER_LEFT = 2,
    DORY_BORDER_BOTTOM = 4,
    DORY_BORDER_RIGHT = 8,
    DORY_BORDER_ALL = 15
};

/** Requantization scheme (the integer contract's `requant`). */
typedef enum {
    DORY_RQ_NONE = 0,  /**< y = acc */
    DORY_RQ_SHIFT32,   /**< y = (k*acc + l) >> d computed in int32 (proven not to overflow) */
    DORY_RQ_SHIFT64,   /**< y = (k*acc + l) >> d computed in int64 */
    DORY_RQ_FIXED,     /**< TFLite: rdiv_pot(srdhm(acc << left, mult), right) */
    DORY_RQ_FLOAT,     /**< round_half_even(float(acc) * scale) in fp32; needs an FPU
                            or soft-float, build with -ffp-contract=off */
    DORY_RQ_FIXED_SR,  /**< LiteRT: acc*mult / 2^(31-shift) in int64, rounded half away */
    DORY_RQ_LUT,       /**< table[acc - table_base]: an element-wise function */
    DORY_RQ_F32INT,    /**< FLOAT's result computed exactly in integers (no FPU) */
    DORY_RQ_QLADD,     /**< add only, per tensor: y = rne(fma(a, s[0], fma(b, s[1], s[2])))
                            in fp32 on the raw inputs, s[2] includes the output zero point */
    DORY_RQ_QLADD_INT, /**< QLADD's result computed exactly in integers (no FPU) */
    DORY_RQ_QLMUL,     /**< mul only, per tensor: y = rne(f32(acc) * s[0] + s[1]) in fp32,
                            s[1] the output zero point */
    DORY_RQ_QLMUL_INT  /**< QLMUL's result computed exactly in integers (no FPU) */
} dory_rq_scheme_t;

/** Requantization constants. Arrays have one element per channel when
 * per_channel is non-zero, else one element used for every channel. Only the
 * arrays of the chosen scheme are read.
 *  - SHIFT32: k32, l32 (NULL = 0), d in 0..31; k*acc + l must fit int32.
 *  - SHIFT64: k64, l64 (NULL = 0), d in 0..63; k*acc + l must fit int64.
 *  - FIXED: mult (0 or in [2^30, 2^31)), shift (>0 left, <0 right), pre in 0..31;
 *    left = pre + max(shift, 0) and acc << left must fit int32, right = max(-shift, 0).
 *  - FLOAT, F32INT: scale. F32INT may also have k32 and l64 (both, or k32
 *    NULL) and d in 32..62: a channel with k32[c] != 0 computes
 *    ((int64)k32*acc + l64) >> d, which the compiler proved equal to FLOAT
 *    on the channel's accumulator range within the clamp.
 *  - FIXED_SR: mult (0 or in [2^30, 2^31)), shift in -31..30, pre 0.
 *  - LUT: table (one per tensor), acc - table_base in 0..entries-1.
 *  - QLADD, QLADD_INT (add output only, per_channel = 0, input requants NONE):
 *    scale[0..2] = s_a, s_b, c; the output zero point is in c, zp unused.
 *  - QLMUL, QLMUL_INT (mul output only, per_channel = 0): scale[0..1] = s, zc;
 *    the output zero point is zc, zp unused. */
typedef struct {
    dory_rq_scheme_t scheme;
    int per_channel;
    const int32_t *k32, *l32;
    const int64_t *k64, *l64;
    int d;
    const int32_t *mult, *shift;
    int pre;
    const float *scale;
    const int32_t *table;
    int table_base;
} dory_requant_t;

/** Output epilogue: y = clamp(requant(acc) + zp, lo, hi). lo and hi are in
 * output integer units and must lie within the output type's range (int32
 * for DORY_I32; with DORY_RQ_NONE, zp = 0 and the full int32 range, an I32
 * output is the raw accumulator). */
typedef struct {
    dory_type_t type; /**< output element type */
    int32_t zp;       /**< output zero point */
    int32_t lo, hi;   /**< clamp bounds */
    dory_requant_t rq;
} dory_out_params_t;

/** Per-core execution context. */
typedef struct {
    int core_id;   /**< 0 .. num_cores-1 */
    int num_cores; /**< >= 1 */
    void *buf;     /**< this core's scratch (4-byte aligned), may be NULL if size 0 */
    int32_t size;  /**< bytes available in buf */
} dory_ctx_t;

/** Dimensions of an HWC activation tile. c_stride is the number of elements
 * between consecutive pixels (>= c; 0 means c): an output can be a channel
 * slice of a wider tensor (concat), with data pointing at the slice's first
 * channel. */
typedef struct {
    int h, w, c;
    int c_stride;
} dory_dims_t;

/** Convolution parameters (standard, pointwise and depthwise kernels). */
typedef struct {
    int kh, kw;                                   /**< kernel size, >= 1 */
    int stride_h, stride_w;                       /**< >= 1 */
    int dil_h, dil_w;                             /**< dilation, >= 1 */
    int pad_top, pad_left, pad_bottom, pad_right; /**< of the full tensor, >= 0 */
    int border;           /**< DORY_BORDER_* flags: which pads apply to this tile */
    dory_type_t in_type;  /**< input element type */
    int32_t in_zp;        /**< input zero point, also the padding value */
    const int32_t *w_zp;  /**< weight zero points, or NULL for 0 */
    int w_zp_per_channel; /**< w_zp has one entry per output channel */
    dory_out_params_t out;
    /* Fields added later: zero keeps the original behaviour. */
    int acc_mode;      /**< dory_acc_mode_t; conv2d and conv1x1 only (depthwise: 0) */
    int im2col_pixels; /**< conv2d: output pixels per im2col block, 0 (= 4, the
                            default), 4 or 1; 1 needs a quarter of the im2col
                            scratch and is slower (see the scratch function) */
} dory_conv_params_t;

/** Fully connected parameters. */
typedef struct {
    dory_type_t in_type;
    int32_t in_zp;
    const int32_t *w_zp; /**< NULL for 0 */
    int w_zp_per_channel;
    dory_out_params_t out;
    /* Field added later: zero keeps the original behaviour. */
    int acc_mode; /**< dory_acc_mode_t (slices of K) */
} dory_fc_params_t;

/** Rounding of the average pool's window sum. */
typedef enum {
    DORY_AVG_FLOOR = 0,     /**< floor(sum / count) */
    DORY_AVG_HALF_AWAY = 1, /**< TFLite: (sum +- count/2) / count, C division */
    DORY_AVG_NONE = 2,      /**< no division (the requant folds in 1/count) */
    DORY_AVG_ORT = 3        /**< onnxruntime's fp32 average from avg_table, no requant */
} dory_avg_round_t;

/** avg_table of DORY_AVG_ORT: the entries before the per-count offsets. */
#define DORY_AVG_ORT_HEAD 257

/** Pooling parameters (max and average). */
typedef struct {
    int kh, kw, stride_h, stride_w;
    int pad_top, pad_left, pad_bottom, pad_right;
    int border; /**< DORY_BORDER_* flags */
    dory_type_t in_type;
    int32_t in_zp;
    dory_avg_round_t round; /**< avg pool only */
    int count_include_pad;  /**< avg pool only: count = kh*kw instead of valid taps */
    /** DORY_AVG_ORT: t[x - xmin] (256 fp32 values in units of their last bit),
     * K = kh*kw, the offset of each count's hi - lo thresholds, then those
     * (the layout of src/ir/quant.h): y = lo + the number of thresholds of
     * the window's count <= the window's fp32 sum of t, added in row order
     * with each addition rounded to 24 significant bits. */
    const int64_t *avg_table;
    dory_out_params_t out;
} dory_pool_params_t;

/** Element-wise add parameters:
 * acc = rq_a(a - zp_a) + rq_b(b - zp_b); y = clamp(rq(acc) + zp, lo, hi).
 * Per-channel constants are indexed by the channel. */
typedef struct {
    dory_type_t a_type, b_type;
    int32_t a_zp, b_zp;
    dory_requant_t rq_a, rq_b; /**< DORY_RQ_NONE for none */
    dory_out_params_t out;
} dory_add_params_t;

/** Element-wise product parameters (the IR's `mul` op):
 * acc = (a - a_zp) * (b - b_zp); y = clamp(rq(acc) + zp, lo, hi) (QLMUL:
 * the zero point inside rq). a and b are 8-bit, so |acc| < 2^17. */
typedef struct {
    dory_type_t a_type, b_type;
    int32_t a_zp, b_zp;
    dory_out_params_t out;
} dory_mul_params_t;

/** Element-wise requant parameters (the IR's `requant` op):
 * y = clamp(requant(x - in_zp) + out.zp, out.lo, out.hi). */
typedef struct {
    dory_type_t in_type; /**< U8, I8 or I32 */
    int32_t in_zp;       /**< input zero point (0 for I32 accumulators) */
    dory_out_params_t out;
} dory_eltwise_params_t;

/** int8 softmax parameters (TFLite's arithmetic, both reference kernels):
 * mult and shift rescale x - max(row) to Q5.26 (PreprocessSoftmaxScaling),
 * values below diff_min give -128. Input and output int8, output scale 1/256
 * and zero point -128; at most 256 channels. */
typedef struct {
    int32_t mult;     /**< in [2^30, 2^31) */
    int shift;        /**< left shift, 0..31 */
    int32_t diff_min; /**< <= 0; -diff_min << shift fits int32 */
} dory_softmax_params_t;

/* ---- Requantization --------------------------------------------------- */

/** Applies the epilogue to one accumulator of channel c:
 * clamp(requant(acc) + zp, lo, hi). Reference-speed helper (kernels inline
 * their own copy of the same arithmetic). */
int32_t dory_requant(const dory_out_params_t *p, int c, int32_t acc);
/** requant(acc) alone, saturated to int64 range / 2 as the reference does. */
int64_t dory_requant_raw(const dory_requant_t *rq, int c, int64_t acc);

/**
 * Element-wise requant (the IR's `requant` op): y = clamp(requant(x - in_zp)
 * + out.zp, lo, hi) per element, per-channel constants indexed by the
 * channel (innermost index). x of p->in_type (U8, I8 or I32) and y of
 * p->out.type (U8, I8 or I32) have the same h, w, c; each has its own
 * c_stride. Work split: pixels. No scratch.
 */
int dory_requant_s8(const dory_ctx_t *ctx, const dory_eltwise_params_t *p, const dory_dims_t *in,
                    const void *x, const dory_dims_t *out, void *y);
/**
 * int8 softmax over the channels of each pixel of an HWC tile, bit-exact
 * with TFLite's reference kernels (src/ir/quant.c). in and out have the same
 * dims (c_stride may differ). Work split: pixels. No scratch.
 */
int dory_softmax_s8(const dory_ctx_t *ctx, const dory_softmax_params_t *p, const dory_dims_t *in,
                    const void *x, const dory_dims_t *out, void *y);
/**
 * Epilogue of a layer computed in input-channel slices (DORY_ACC_FIRST /
 * DORY_ACC_NEXT): y = clamp(requant(acc) + zp, lo, hi) per element, channel
 * = innermost index, per-channel constants indexed by the channel. acc:
 * dense int32 [dims->h][dims->w][dims->c]; y: p->type (U8, I8 or I32) with
 * dims->c_stride (0 = dense). For FC use h = w = 1, c = n. Work split:
 * pixels. No scratch.
 */
int dory_requant_s32(const dory_ctx_t *ctx, const dory_out_params_t *p, const dory_dims_t *dims,
                     const int32_t *acc, void *y);

/* ---- Convolution -------------------------------------------------------- */

/** Scratch bytes per core of dory_conv2d_hwc_s8(): 21 * out->c (bias, 4-pixel
 * accumulators) + 4 * kh * kw * in->c (im2col of 4 pixels), about; with
 * p->im2col_pixels = 1: 4 * out->c + kh * kw * in->c (rounded up to 4), e.g.
 * 3x3, 128 -> 128 channels: 1664 bytes instead of 7296 (13 kB for 8 cores,
 * which fits GAP8's L1), at about 1.5x the instructions (bench/README.md). */
int32_t dory_conv2d_hwc_s8_scratch_bytes(const dory_conv_params_t *p, const dory_dims_t *in,
                                         const dory_dims_t *out);
/** How dory_conv2d_hwc_s8() splits a tile over `cores` cores: the channel
 * parts (returned; contiguous runs of whole 4-channel blocks, a power of 2),
 * *pixel_parts parts of the pixels: whole output rows (*by_rows) or groups
 * of 4 pixels of the flattened output (1 pixel with p->im2col_pixels = 1),
 * contiguous; core i takes pixel part i % *pixel_parts of channel part
 * i / *pixel_parts, cores past their product idle. The choice minimises
 * the busiest core's groups x (2 x its 4-channel blocks + 3: a group's
 * im2col, which each channel part builds, costs about 1.5 blocks; measured
 * on GVSoC), ties to fewer channel parts, then to whole rows (their groups
 * of 4 pixels of one row take the one-row im2col). The planner models it
 * (src/plan/cost.c). */
int dory_conv2d_hwc_s8_parts(const dory_conv_params_t *p, const dory_dims_t *out, int cores,
                             int *pixel_parts, int *by_rows);
/**
 * Standard convolution (groups = 1; grouped convolutions other than depthwise
 * are not supported), any kernel, stride and dilation.
 * Input HWC [in->h][in->w][in->c] of p->in_type; weights OHWI int8
 * [out->c][kh][kw][in->c]; bias int32 [out->c] or NULL; output HWC of
 * p->out.type. Output pixel (oy, ox) reads input rows oy*stride_h - pt +
 * dy*dil_h where pt = pad_top if (border & TOP) else 0 (same for columns);
 * taps outside the tile read the input zero point. The caller gives out->h and
 * out->w consistent with that geometry. Work split: output-pixel groups x
 * output-channel blocks (dory_conv2d_hwc_s8_parts); the bytes do not depend
 * on it. Accumulators must fit int32 (the verifier proves it); K = kh*kw*cin <= 65535.
 * Output types U8, I8, I32. With p->acc_mode FIRST/NEXT the call computes one
 * input-channel slice (in->c = the slice's channels, weights the OHWI weights
 * of those channels, dense [out->c][kh][kw][in->c]) into an int32 accumulator
 * tile y (see dory_acc_mode_t). p->im2col_pixels: see the scratch function;
 * the bytes are identical either way.
 */
int dory_conv2d_hwc_s8(const dory_ctx_t *ctx, const dory_conv_params_t *p, const dory_dims_t *in,
                       const void *x, const int8_t *w, const int32_t *bias, const dory_dims_t *out,
                       void *y);

/** Scratch bytes per core of dory_conv1x1_s8(). */
int32_t dory_conv1x1_s8_scratch_bytes(const dory_conv_params_t *p, const dory_dims_t *in,
                                      const dory_dims_t *out);
/**
 * Pointwise convolution: kh = kw = 1, any stride, no padding (pads must be 0
 * or unflagged). No tap gathering: 4 pixels at a time are interleaved into
 * scratch. Same layouts, output types, acc_mode and work split as
 * dory_conv2d_hwc_s8(); weights [out->c][in->c] (of the slice's channels
 * with acc_mode FIRST/NEXT).
 */
int dory_conv1x1_s8(const dory_ctx_t *ctx, const dory_conv_params_t *p, const dory_dims_t *in,
                    const void *x, const int8_t *w, const int32_t *bias, const dory_dims_t *out,
                    void *y);

/** Scratch bytes per core of dory_dwconv_s8() and dory_dwconv3x3_s8(). */
int32_t dory_dwconv_s8_scratch_bytes(const dory_conv_params_t *p, const dory_dims_t *in,
                                     const dory_dims_t *out);
/**
 * 1 if dory_dwconv3x3_s8 runs a tile (in, out, `scratch` bytes per core)
 * on its Xpulp planes (kernels/dory_dwconv3x3_xpulp_s8.c), 0 where it takes
 * the portable loops there (a weight zero point, or SHIFT32 on fewer than 4
 * planes in the scratch). The same decision on any build: the planner's
 * cost model calls it.
 */
int dory_dwconv3x3_s8_xpulp(const dory_conv_params_t *p, const dory_dims_t *in,
                            const dory_dims_t *out, int32_t scratch);
/**
 * Depthwise convolution (groups = channels, one filter per channel), any
 * kernel, stride and dilation. Weights [c][kh][kw] (OHWI with I = 1); in->c
 * == out->c. Processes one channel at a time over a padded plane in scratch.
 * Output types U8, I8, I32; acc_mode must be DORY_ACC_STORE (no reduction
 * over input channels). Work split: channels.
 */
int dory_dwconv_s8(const dory_ctx_t *ctx, const dory_conv_params_t *p, const dory_dims_t *in,
                   const void *x, const int8_t *w, const int32_t *bias, const dory_dims_t *out,
                   void *y);
/**
 * Depthwise 3x3 fast path (dilation 1, stride 1 or 2); other geometries fall
 * back to dory_dwconv_s8(), as do int32 outputs. Same arguments, scratch and
 * split.
 */
int dory_dwconv3x3_s8(const dory_ctx_t *ctx, const dory_conv_params_t *p, const dory_dims_t *in,
                      const void *x, const int8_t *w, const int32_t *bias, const dory_dims_t *out,
                      void *y);

/* ---- Fully connected ---------------------------------------------------- */

/** Scratch bytes per core of dory_fc_s8() for k inputs. */
int32_t dory_fc_s8_scratch_bytes(const dory_fc_params_t *p, int k, int n);
/**
 * Fully connected: y[n] = epilogue(bias[n] + sum_k (x[k]-zx)*(w[n][k]-zw[n])).
 * x: k elements of p->in_type (the HWC-flattened input); w: int8 [n][k];
 * bias int32 [n] or NULL; y: n elements of p->out.type (U8, I8 or I32; with
 * DORY_RQ_NONE, zp 0 and the int32 range, the raw accumulator). With
 * p->acc_mode FIRST/NEXT: k is the slice's length, x and w ([n][k]) the
 * slice's inputs and weights, y an int32 accumulator [n] (see
 * dory_acc_mode_t). Work split: output neurons.
 */
int dory_fc_s8(const dory_ctx_t *ctx, const dory_fc_params_t *p, int k, const void *x,
               const int8_t *w, const int32_t *bias, int n, void *y);

/* ---- Pooling ------------------------------------------------------------ */

/**
 * Max pooling: m = max of x over the valid window (padding never wins), then
 * y = clamp(requant(m - in_zp) + out.zp, lo, hi). Work split: channels.
 * No scratch.
 */
int dory_maxpool_s8(const dory_ctx_t *ctx, const dory_pool_params_t *p, const dory_dims_t *in,
                    const void *x, const dory_dims_t *out, void *y);
/**
 * 1 if dory_maxpool_s8 takes its 2x2 stride-2 fast path (Xpulp: a hardware
 * loop per output row, 4 channels per word) on these dims, channel strides
 * and pointers in whole words assumed. The same decision on any build: the
 * planner's cost model calls it.
 */
int dory_maxpool_s8_2x2(const dory_pool_params_t *p, const dory_dims_t *in, const dory_dims_t *out);
/**
 * Average pooling. With round FLOOR or HALF_AWAY: acc = div(sum of raw x over
 * the valid window, count) - in_zp, count = kh*kw if count_include_pad else
 * the valid taps; with NONE: acc = sum of (x - in_zp) over the valid window.
 * Then y = clamp(requant(acc) + out.zp, lo, hi). Every window must hold at
 * least one valid tap. Global pooling is kh = in->h,
 * kw = in->w. Work split: channels. No scratch.
 */
int dory_avgpool_s8(const dory_ctx_t *ctx, const dory_pool_params_t *p, const dory_dims_t *in,
                    const void *x, const dory_dims_t *out, void *y);

/* ---- Element-wise ------------------------------------------------------- */

/**
 * Add: y = clamp(rq(rq_a(a - zp_a) + rq_b(b - zp_b)) + zp, lo, hi) per
 * element. a, b and y have the same h, w and c; each has its own c_stride.
 * Work split: pixels. No scratch (the companion returns 0).
 */
int32_t dory_add_s8_scratch_bytes(const dory_add_params_t *p);
/** The forms of the Xpulp add's run over a tile (kernels/dory_add_s8.c):
 * none (the portable loops), REQ (each input's requant, 8 to 13
 * instructions per element), LIN (one linear form, 6 to 9), SAT (u8 + u8
 * saturated, 4 elements per word, 1.5). */
typedef enum {
    DORY_ADD_FORM_NONE = 0,
    DORY_ADD_FORM_REQ,
    DORY_ADD_FORM_LIN,
    DORY_ADD_FORM_SAT
} dory_add_form_t;
/**
 * The form dory_add_s8 takes on Xpulp for a tile of c channels with p's
 * constants (word alignment of the run aside: SAT falls back to LIN). The
 * same decision on any build: the planner's cost model calls it.
 */
int dory_add_s8_form(const dory_add_params_t *p, int c);
/**
 * Element-wise product y = a * b as dory_mul_params_t says. b has a's dims,
 * or is one pixel (b_dims 1 x 1 x a_dims->c) whose channels multiply every
 * pixel of a (squeeze-excitation's broadcast). y has a's dims. Split:
 * pixels. No scratch.
 */
int dory_mul_s8(const dory_ctx_t *ctx, const dory_mul_params_t *p, const dory_dims_t *a_dims,
                const void *a, const dory_dims_t *b_dims, const void *b, const dory_dims_t *y_dims,
                void *y);
int dory_add_s8(const dory_ctx_t *ctx, const dory_add_params_t *p, const dory_dims_t *a_dims,
                const void *a, const dory_dims_t *b_dims, const void *b, const dory_dims_t *y_dims,
                void *y);

#ifdef __cplusplus
}
#endif

/* ---- Arm DSP rows: weights packed offline (dory_conv_dsp_s8.c) ------------ */

/** Bytes of the packed weights of cout channels of k taps: (cout rounded up
 * to even) x (k rounded up to a multiple of 4) x 2. */
int32_t dory_pack_w16_bytes(int cout, int k);
/**
 * Packs int8 weights w [cout][k] with their zero points (NULL for 0) for the
 * DSP rows: int16 w - zw, little-endian; the 32-bit word (j, kp, h) holds
 * channel 2j + h at k = 2kp (low half) and 2kp + 1 (high half); padding 0.
 * out: dory_pack_w16_bytes(cout, k) bytes. Done by the code generator; the
 * reference interpreter never sees this layout.
 */
void dory_pack_w16(const int8_t *w, int cout, int k, const int32_t *w_zp, int w_zp_per_channel,
                   uint8_t *out);
/** Scratch bytes per core of dory_conv_dsp_s8(): the two-pixel column (4 * ceil4(kh * kw *
 * in->c) bytes) and 36 bytes of FIXED constants per output channel. */
int32_t dory_conv_dsp_s8_scratch_bytes(const dory_conv_params_t *p, const dory_dims_t *in,
                                       const dory_dims_t *out);
/**
 * Convolution (standard or pointwise, any kernel, stride, dilation, border
 * padding) as dory_conv2d_hwc_s8(), on weights packed by dory_pack_w16() (w,
 * 4-byte aligned; its zero points are folded in, p->w_zp is not read).
 * Every scheme and store kind (acc_mode); split: output rows. SMLAD with
 * __ARM_FEATURE_DSP, the same sums in C elsewhere.
 */
int dory_conv_dsp_s8(const dory_ctx_t *ctx, const dory_conv_params_t *p, const dory_dims_t *in,
                     const void *x, const int8_t *w, const int32_t *bias, const dory_dims_t *out,
                     void *y);
/** Scratch bytes per core of dory_fc_dsp_s8(): 2 * ceil4(k) + 36 * n. */
int32_t dory_fc_dsp_s8_scratch_bytes(const dory_fc_params_t *p, int k, int n);
/** Fully connected as dory_fc_s8() on weights packed by dory_pack_w16();
 * split: output channel pairs. */
int dory_fc_dsp_s8(const dory_ctx_t *ctx, const dory_fc_params_t *p, int k, const void *x,
                   const int8_t *w, const int32_t *bias, int n, void *y);
/** Depthwise 3x3 as dory_dwconv3x3_s8() (same scratch); with a FIXED
 * requant to 8 bits (the TFLite quantization), stride 1 or 2, dilation 1:
 * SMLAD on an int16 plane of the raw input and one SMMULR per output
 * (dory_dwconv3x3_dsp_s8.c says when that is exact; otherwise
 * dory_dwconv3x3_s8() runs). Split: channels. */
int dory_dwconv3x3_dsp_s8(const dory_ctx_t *ctx, const dory_conv_params_t *p, const dory_dims_t *in,
                          const void *x, const int8_t *w, const int32_t *bias,
                          const dory_dims_t *out, void *y);
/** Scratch bytes per core of dory_add_dsp_s8(): two 256-entry int32 tables. */
int32_t dory_add_dsp_s8_scratch_bytes(const dory_add_params_t *p);
/** Add as dory_add_s8(); with FIXED per tensor for both inputs and the
 * output (the TFLite quantization) on contiguous tensors, by two tables of
 * the input requants and one SMMULR per element (dory_add_dsp_s8.c says
 * when that is exact; otherwise dory_add_s8() runs). Split: pixels. */
int dory_add_dsp_s8(const dory_ctx_t *ctx, const dory_add_params_t *p, const dory_dims_t *a_dims,
                    const void *a, const dory_dims_t *b_dims, const void *b,
                    const dory_dims_t *y_dims, void *y);

#endif
