/* test_kernels_case.h: random kernel test cases, portable C99 so the same
 * cases run on the host (against interp_node and kref) and on bare-metal
 * RISC-V under QEMU (against kref).
 *
 * A case is one layer on a full tensor plus one tile of it: the tile's
 * border flags say which sides touch the full tensor; the kernel runs on the
 * tile (input rows and columns copied out, optional wider channel strides
 * for input and output) with 1..8 cores, and each output byte is compared
 * with the full-tensor reference. Must not depend on the compiler (src/).
 */
#ifndef DORY_TEST_KERNELS_CASE_H
#define DORY_TEST_KERNELS_CASE_H

#include <stdint.h>

#include "dory_kernels.h"

enum { KC_MAXC = 256 };    /* max channels of a case (requant arrays) */
enum { KC_MAX_CORES = 8 }; /* max cores of kc_check */

typedef enum {
    KOP_CONV, /* dory_conv2d_hwc_s8 */
    KOP_PW,   /* dory_conv1x1_s8 */
    KOP_DW,   /* dory_dwconv_s8 */
    KOP_DW3,  /* dory_dwconv3x3_s8 */
    KOP_FC,
    KOP_MAXPOOL,
    KOP_AVGPOOL,
    KOP_ADD,
    KOP_REQUANT, /* dory_requant_s8 */
    KOP_COUNT
} kop_t;

/* Requant constants with their storage (r points into the arrays: never
 * copy a KRq by value after kc_make_rq). */
typedef struct {
    dory_requant_t r;
    int nch;
    int has_l;
    int32_t k32[KC_MAXC], l32[KC_MAXC], mult[KC_MAXC], shift[KC_MAXC];
    int64_t k64[KC_MAXC], l64[KC_MAXC];
    float scale[KC_MAXC];
} KRq;

typedef struct {
    kop_t op;
    uint32_t seed;
    /* full layer */
    int h, w, c, cout, oh, ow;
    int kh, kw, sh, sw, dh, dw, pad[4]; /* pad: top, left, bottom, right */
    dory_conv_params_t conv;
    dory_fc_params_t fc;
    dory_pool_params_t pool;
    dory_add_params_t add;
    dory_eltwise_params_t elt;
    KRq rq, rqa, rqb;
    int32_t wzp[KC_MAXC];
    uint8_t *x, *xb; /* full inputs, contiguous HWC */
    int8_t *wt;
    int32_t *bias;
    uint8_t *ref; /* full reference output, contiguous HWC, elements of the output type */
    /* tile */
    int border;
    int oy0, oy1, ox0, ox1, iy0, iy1, ix0, ix1;
    int in_extra, out_extra, out_off; /* channel stride padding and slice offset */
    /* KC_DSP: the Arm DSP rows (conv, pointwise, fc) on weights packed by
     * dory_pack_w16() */
    int dsp;
    uint8_t *wpack;
} KCase;

/* Builds a random case of kind op from seed (allocates with malloc; free with
 * kc_free). index varies the scheme, types and border combination. Returns 0
 * on success. The reference output is left unset (kc_ref fills it). */
int kc_random(KCase *k, kop_t op, uint32_t seed, int index);
/* kc_random with flags: KC_OUT_I32 makes the output int32 (conv, pointwise,
 * depthwise, FC and requant only; other ops return -1); KC_IM2COL1 sets
 * conv.im2col_pixels = 1 (one-pixel im2col blocks of dory_conv2d_hwc_s8);
 * KC_FUSED (conv and pointwise only) makes the case one the fused RV32 core
 * takes (dory_mm_rv32_s8.c): SHIFT32, u8 output with zero point 0 clamped to
 * [0, hi], no weight zero point, K = kh * kw * c a multiple of 8, at least 4
 * output channels. */
int kc_random_ex(KCase *k, kop_t op, uint32_t seed, int index, int flags);
void kc_free(KCase *k);
/* A benchmark case in DORY's usual quantization (NEMO/QuantLab): u8
 * activations with zero point 0, int8 weights with zero point 0, int32 bias,
 * SHIFT32 per-channel requant (per-tensor for add), clamp 0..255; full
 * tensor (all borders), square kernel k, stride s, padding pad on every side.
 * Pools are global average pools (round FLOOR, no requant).
 * flags KC_I8: i8 input and output with random zero points instead;
 * KC_IM2COL1: conv.im2col_pixels = 1; KC_OUT_I32: int32 output, requant
 * NONE, no clamp (the raw accumulator). */
/* KC_DSP (kc_random_ex and kc_bench; the ops of kc_has_dsp()): the case
 * runs the Arm DSP row (dory_conv_dsp_s8, dory_fc_dsp_s8 on packed weights,
 * dory_add_dsp_s8). KC_TFLITE (kc_bench): the TFLite quantization: i8 activations,
 * input zero point -128, per-channel FIXED requant (add: FIXED). */
/* KC_PLANES (depthwise 3x3 only): 4 to 16 channels in steps of 4, input
 * rows of whole words, 5 to 30 pixels a side, padding 1 or 2 on each side
 * (every tile edge on odd indexes), no weight zero point: the geometry of
 * the Xpulp depthwise's 4-channel planes (kernels/dory_dwconv3x3_xpulp_s8.c);
 * without KC_S64, odd indexes in DORY's quantization (u8 out, SHIFT32, zero
 * point 0, clamp [0, 255]: the assembly's SHIFT32 form) with both padded
 * sides multiples of 4 (4 planes fit the row's scratch). */
/* KC_ADD_PC (add only): DORY's quantization of an add, per-channel SHIFT32
 * input requants, the output SHIFT32 per channel or (every third case)
 * NONE; in even cases every channel has channel 0's constants (the arrays of
 * one value DORY's networks carry), in odd ones each its own. */
/* KC_ADD_XP (add only): the forms of the Xpulp add (kernels/dory_add_s8.c),
 * per-tensor SHIFT32 or NONE, index % 4: 0 the sum clipped to [0, 255]
 * (inputs k = 2^j, d 0, the output's d = j, or all NONE: DORY's residual
 * adds), 4 to 16 channels in steps of 4; 1 input shifts 0 with random k and
 * l (one linear form); 2 DORY's Dronet adds (k about 2^18, l 2^18, d 19,
 * output NONE: no clamp reached) or an output requant clipped to [0, 255];
 * 3 as 1 with the case's random types, zero points and clamp. In kc_bench:
 * form 0 (SHIFT32), with KC_ADD_PC form 2 (output NONE). */
/* KC_S64 (depthwise): SHIFT64 requant whose d runs over 12..50 with the
 * case's index (below and above 32), k of either sign from 1 to beyond 2^32
 * mapping the accumulators to about 40..600 (clamps on both sides), l up to
 * 2^d either way; on half of the cases the output's full range (the Xpulp
 * depthwise's assembly epilogue). */
/* KC_SHIFT64 (conv and pointwise): SHIFT64 as in DORY's networks (k up to
 * 2^40 or within 32 bits, d below and above 32, negative k and l, both
 * clamps), no weight zero point, cout 1 to 21, K a multiple of 4 in 3 cases
 * of 4; even indexes u8 output with zero point 0 clamped to [0, hi] (the
 * fused cores' form), odd ones any output (u8/i8, zero point, clamp). */
/* KC_FIRST (conv only): a first layer: 1 to 3 input channels, 3x3, 5x5 or
 * 7x7, stride 1 or 2, padding up to half the kernel on each side, 1 to 40
 * output channels, inputs of several windows a side, a weight zero point in
 * one case of four (the Xpulp im2col of any channel count takes the others).
 * With KC_FUSED or KC_SHIFT64: their requant and output forms on these
 * geometries (K = 9 .. 27 padded to a multiple of 4 for the fused cores). */
/* KC_ONNX_FIXED, KC_ONNX_FLOAT, KC_ONNX_EXACT, KC_ONNX_SHIFT64 (kc_bench):
 * onnxruntime's quantization on an MCU, per-channel output requant FIXED,
 * FLOAT, F32INT or SHIFT64 (float_to_exact's proven form; the add: FIXED per
 * input and output, FLOAT likewise, QLADD_INT, or SHIFT64). */
enum {
    KC_I8 = 1,
    KC_OUT_I32 = 2,
    KC_IM2COL1 = 4,
    KC_FUSED = 8,
    KC_DSP = 16,
    KC_TFLITE = 32,
    KC_ONNX_FIXED = 64,
    KC_ONNX_FLOAT = 128,
    KC_ONNX_EXACT = 256,
    KC_ONNX_SHIFT64 = 512,
    KC_PLANES = 1024,
    KC_ADD_PC = 2048,
    KC_S64 = 4096,
    KC_SHIFT64 = 8192,
    KC_FIRST = 16384,
    KC_ADD_XP = 32768
};

/* 1 if op has an Arm DSP row (KC_DSP applies), else 0. */
int kc_has_dsp(kop_t op);

/* The layer shapes of issue 4's benchmark (HWC, batch 1). */
typedef struct {
    const char *name;
    kop_t op;
    int h, w, c, cout, k, s, pad;
    const char *unit; /* what instructions are counted per: MAC, elem, input */
    double target;    /* instructions per unit to reach (0: none) */
} KBenchShape;
extern const KBenchShape kc_bench_shapes[];
extern const int kc_bench_nshapes;
/* Small and odd conv outputs (conv2d's work split over the cores). */
extern const KBenchShape kc_split_shapes[];
extern const int kc_split_nshapes;
/* The flags kc_split_shapes are tested with (KC_SPLIT_NFLAGS of them). */
enum { KC_SPLIT_NFLAGS = 6 };
extern const int kc_split_flags[KC_SPLIT_NFLAGS];
int kc_bench(KCase *k, kop_t op, int h, int w, int c, int cout, int kk, int s, int pad,
             uint32_t seed, int flags);
/* Fills k->ref with the kref reference on the full tensor. */
void kc_ref(KCase *k);
/* Number of output values of the full tensor (oh * ow * cout). */
long kc_out_numel(const KCase *k);
/* Bytes per output element (4 for DORY_I32 outputs, else 1). */
int kc_out_esize(const KCase *k);

/* Runs the kernel on the tile with num_cores cores called one after the
 * other and compares with k->ref (and checks the bytes outside the output
 * slice are untouched). Returns the number of mismatches; describes the first
 * in msg. */
int kc_check(const KCase *k, int num_cores, char *msg, int msglen);
/* The same for a conv, pointwise or FC case computed in input-channel slices
 * (K for FC): nslices calls with DORY_ACC_FIRST then DORY_ACC_NEXT into an
 * int32 accumulator tile, then dory_requant_s32 into the tile output. Each
 * slice's input is a dense copy of its channels if dense, else a view of the
 * tile with the full channel stride (conv/pointwise). */
int kc_check_sliced(const KCase *k, int nslices, int num_cores, int dense, char *msg, int msglen);

/* Tile buffers for running the kernel by hand (threads, benchmarks). */
typedef struct {
    dory_dims_t in, in_b, out;
    uint8_t *x, *xb, *y;
    long ybytes;
    int32_t scratch_bytes;
} KTile;
int kc_tile_alloc(const KCase *k, KTile *t);
void kc_tile_free(KTile *t);
/* Runs core core_id of num_cores on the tile; returns the kernel status. */
int kc_run_core(const KCase *k, KTile *t, int core_id, int num_cores, void *scratch);
/* How kc_check runs cores 0..num_cores-1 of a tile: core c with the
 * t->scratch_bytes at scratch + c * t->scratch_bytes, its status in rc[c].
 * NULL (the default): one after the other on the calling core; a cluster
 * build points it at a fork, so each share runs on its core's own stack
 * (tests/qemu/kernel_tests_main.c on pulp-open). */
extern void (*kc_run_cores)(const KCase *k, KTile *t, int num_cores, uint8_t *scratch, int *rc);
/* Mismatches between the tile output and k->ref. */
int kc_compare(const KCase *k, const KTile *t, char *msg, int msglen);

const char *kc_op_name(kop_t op);

/* MACs (conv, fc), elements (add) or inputs (pools) of a case: bench/'s unit. */
long kc_work(const KCase *k);

/* Host only (test_kernels.c): replaces k->ref with interp_node()'s output and
 * counts the values where kref disagreed; returns 0 or the interpreter's code. */
int interp_ref(KCase *k, int *kref_bad);

#endif
