/* dory_kernel_table.h: every kernel of the library and every variant, once.
 *
 * One row per kernel id: what the planner chooses for a layer
 * (src/plan/layer.c, plan_select_kernel()), records in the plan (LayerPlan.kernel)
 * and what generated code calls: the code generator writes a layer's row (id,
 * call shape, function) into its descriptor, and the runtime executor
 * (runtime/dory_exec.c) calls the function in that call shape, so an
 * application links only the kernels it uses. Nothing else may decide which
 * kernel a layer runs. C99, copied into generated applications; must not
 * include anything from the compiler.
 *
 * X(ID, NAME, FN, PARAMS, CALL, SCRATCH, COST, FLAGS, ISA)
 *   ID       the kernel id (dory_kernel_id_t)
 *   NAME     short name for reports
 *   FN       the C function (`none`: the layer moves data itself)
 *   PARAMS   its parameter struct (`none`: no kernel call)
 *   CALL     the call shape (DORY_CALL_<CALL>): the argument list of FN
 *   SCRATCH  the *_scratch_bytes() companion (`none`: no scratch); its
 *            signature follows PARAMS (conv: p, in, out; fc: p, k, n; add: p)
 *   COST     the planner's cost kind (KernelKind, src/plan/plan.h); only the
 *            compiler expands this column
 *   FLAGS    DORY_KF_*: weights, coupled channels, input channels tileable,
 *            and the dimension the kernel splits over the cores
 *   ISA      DORY_ISA_*: the instruction set the row needs
 *
 * Variants. A variant with its own scratch, cost or parameters is its own
 * row (one-pixel im2col, the 3x3 depthwise fast path). An ISA variant that
 * keeps a row's contract (arguments, scratch, bytes) is a per-ISA file
 * behind the same id, chosen at compile time inside the kernel: the RV32
 * fused matrix core (kernels/dory_mm_rv32_s8.c) is compiled only for 32-bit
 * RISC-V and selected inside the conv kernels' matrix core, so CONV2D,
 * CONV1X1 and GROUPED need no extra row. A future variant with its own
 * scratch or weight packing (Xpulp SIMD, Arm DSP) gets its own row with its
 * ISA set (DORY_ISA_XPULP, DORY_ISA_ARM_DSP) and its own scratch companion;
 * the selection function offers it only on targets with that ISA.
 */
#ifndef DORY_KERNEL_TABLE_H
#define DORY_KERNEL_TABLE_H

#include "dory_kernels.h"

/* Flags of a row. */
enum {
    DORY_KF_WEIGHTS = 1,  /* reads a weight tile */
    DORY_KF_COUPLED = 2,  /* input channels follow output channels (groups, pooling, add) */
    DORY_KF_CI_TILE = 4,  /* input channels may be tiled (int32 partial sums) */
    DORY_KF_PAR_ROWS = 8, /* split over cores by output rows (else channels or pixels) */
    DORY_KF_PAR_CH = 16,  /* split over cores by channels */
    DORY_KF_PAR_PX = 32,  /* split over cores by pixels */
    DORY_KF_PACK16 = 64   /* weights packed offline by dory_pack_w16() (dory_kernels.h) */
};

/* Instruction sets a row can need. */
enum { DORY_ISA_ANY = 0, DORY_ISA_XPULP = 1, DORY_ISA_ARM_DSP = 2 };

#define DORY_KF_CONV (DORY_KF_WEIGHTS | DORY_KF_CI_TILE | DORY_KF_PAR_ROWS)
#define DORY_KF_DW   (DORY_KF_WEIGHTS | DORY_KF_COUPLED | DORY_KF_PAR_CH)
#define DORY_KF_GRP  (DORY_KF_WEIGHTS | DORY_KF_COUPLED | DORY_KF_PAR_ROWS)

/* clang-format off */
#define DORY_KERNEL_TABLE(X)                                                                       \
    X(DORY_K_CONV2D, "conv2d_hwc", dory_conv2d_hwc_s8, dory_conv_params_t, CONV,                   \
      dory_conv2d_hwc_s8_scratch_bytes, KK_CONV, DORY_KF_CONV, DORY_ISA_ANY)                       \
    X(DORY_K_CONV2D_1PX, "conv2d_hwc_1px", dory_conv2d_hwc_s8, dory_conv_params_t, CONV,           \
      dory_conv2d_hwc_s8_scratch_bytes, KK_CONV, DORY_KF_CONV, DORY_ISA_ANY)                       \
    X(DORY_K_CONV1X1, "conv1x1", dory_conv1x1_s8, dory_conv_params_t, CONV,                        \
      dory_conv1x1_s8_scratch_bytes, KK_PW, DORY_KF_CONV, DORY_ISA_ANY)                            \
    X(DORY_K_DWCONV, "dwconv", dory_dwconv_s8, dory_conv_params_t, CONV,                           \
      dory_dwconv_s8_scratch_bytes, KK_DW, DORY_KF_DW, DORY_ISA_ANY)                               \
    X(DORY_K_DWCONV3X3, "dwconv3x3", dory_dwconv3x3_s8, dory_conv_params_t, CONV,                  \
      dory_dwconv_s8_scratch_bytes, KK_DW, DORY_KF_DW, DORY_ISA_ANY)                               \
    X(DORY_K_GROUPED, "grouped_conv2d", dory_conv2d_hwc_s8, dory_conv_params_t, GROUPED,           \
      dory_conv2d_hwc_s8_scratch_bytes, KK_CONV, DORY_KF_GRP, DORY_ISA_ANY)                        \
    X(DORY_K_GROUPED1X1, "grouped_conv1x1", dory_conv1x1_s8, dory_conv_params_t, GROUPED,          \
      dory_conv1x1_s8_scratch_bytes, KK_PW, DORY_KF_GRP, DORY_ISA_ANY)                             \
    X(DORY_K_FC, "fc", dory_fc_s8, dory_fc_params_t, FC,                                           \
      dory_fc_s8_scratch_bytes, KK_FC, DORY_KF_WEIGHTS | DORY_KF_CI_TILE | DORY_KF_PAR_CH,         \
      DORY_ISA_ANY)                                                                                \
    X(DORY_K_MAXPOOL, "maxpool", dory_maxpool_s8, dory_pool_params_t, POOL,                        \
      none, KK_POOL, DORY_KF_COUPLED | DORY_KF_PAR_CH, DORY_ISA_ANY)                               \
    X(DORY_K_AVGPOOL, "avgpool", dory_avgpool_s8, dory_pool_params_t, POOL,                        \
      none, KK_POOL, DORY_KF_COUPLED | DORY_KF_PAR_CH, DORY_ISA_ANY)                               \
    X(DORY_K_ADD, "add", dory_add_s8, dory_add_params_t, ADD,                                      \
      dory_add_s8_scratch_bytes, KK_ADD, DORY_KF_COUPLED | DORY_KF_PAR_PX, DORY_ISA_ANY)                                \
    X(DORY_K_MUL, "mul", dory_mul_s8, dory_mul_params_t, MUL,                                      \
      none, KK_ADD, DORY_KF_COUPLED | DORY_KF_PAR_PX, DORY_ISA_ANY)                                \
    X(DORY_K_REQUANT, "requant", dory_requant_s8, dory_eltwise_params_t, ELTWISE,                  \
      none, KK_ELEM, DORY_KF_COUPLED | DORY_KF_PAR_PX, DORY_ISA_ANY)                               \
    X(DORY_K_REQUANT_S32, "requant_s32", dory_requant_s32, dory_out_params_t, PSUM,                \
      none, KK_ELEM, DORY_KF_COUPLED | DORY_KF_PAR_PX, DORY_ISA_ANY)                               \
    X(DORY_K_SOFTMAX, "softmax", dory_softmax_s8, dory_softmax_params_t, SOFTMAX,                \
      none, KK_ELEM, DORY_KF_COUPLED | DORY_KF_PAR_PX, DORY_ISA_ANY)                               \
    X(DORY_K_CONCAT, "concat", none, none, COPY,                                                   \
      none, KK_COPY, DORY_KF_COUPLED, DORY_ISA_ANY)                                                \
    X(DORY_K_ALIAS, "alias", none, none, NONE,                                                     \
      none, KK_COPY, 0, DORY_ISA_ANY)                                                              \
    X(DORY_K_CONV2D_DSP, "conv2d_dsp", dory_conv_dsp_s8, dory_conv_params_t, CONV,                 \
      dory_conv_dsp_s8_scratch_bytes, KK_CONV, DORY_KF_WEIGHTS | DORY_KF_PAR_ROWS | DORY_KF_PACK16, \
      DORY_ISA_ARM_DSP)                                                                            \
    X(DORY_K_CONV1X1_DSP, "conv1x1_dsp", dory_conv_dsp_s8, dory_conv_params_t, CONV,               \
      dory_conv_dsp_s8_scratch_bytes, KK_PW, DORY_KF_WEIGHTS | DORY_KF_PAR_ROWS | DORY_KF_PACK16,   \
      DORY_ISA_ARM_DSP)                                                                            \
    X(DORY_K_FC_DSP, "fc_dsp", dory_fc_dsp_s8, dory_fc_params_t, FC,                               \
      dory_fc_dsp_s8_scratch_bytes, KK_FC, DORY_KF_WEIGHTS | DORY_KF_PAR_CH | DORY_KF_PACK16,       \
      DORY_ISA_ARM_DSP)                                                                            \
    X(DORY_K_DWCONV3X3_DSP, "dwconv3x3_dsp", dory_dwconv3x3_dsp_s8, dory_conv_params_t, CONV,      \
      dory_dwconv_s8_scratch_bytes, KK_DW, DORY_KF_DW, DORY_ISA_ARM_DSP)                           \
    X(DORY_K_ADD_DSP, "add_dsp", dory_add_dsp_s8, dory_add_params_t, ADD,                          \
      dory_add_dsp_s8_scratch_bytes, KK_ADD, DORY_KF_COUPLED | DORY_KF_PAR_PX, DORY_ISA_ARM_DSP)
/* clang-format on */

/* Call shapes: the argument list of a row's FN (dory_kernels.h). */
#define DORY_CALL_SHAPES(X)                                                                        \
    X(CONV)    /* (ctx, conv params, in dims, x, w, bias, out dims, y) */                          \
    X(GROUPED) /* the CONV shape once per group, on the group's channel slices */                  \
    X(FC)      /* (ctx, fc params, k, x, w, bias, n, y) */                                         \
    X(POOL)    /* (ctx, pool params, in dims, x, out dims, y) */                                   \
    X(ADD)     /* (ctx, add params, a dims, a, b dims, b, y dims, y) */                            \
    X(MUL)     /* (ctx, mul params, a dims, a, b dims, b, y dims, y); b may be one pixel */        \
    X(ELTWISE) /* (ctx, eltwise params, in dims, x, out dims, y) */                                \
    X(PSUM)    /* (ctx, out params, dims, int32 acc, y): the partial-sum epilogue */               \
    X(SOFTMAX) /* (ctx, softmax params, in dims, x, out dims, y) */                                \
    X(COPY)    /* no kernel: strided DMA (concat) */                                               \
    X(NONE)    /* no kernel, no data movement (reshape) */

typedef enum {
#define X(id, ...) id,
    DORY_KERNEL_TABLE(X)
#undef X
        DORY_K_COUNT
} dory_kernel_id_t;

typedef enum {
#define X(c) DORY_CALL_##c,
    DORY_CALL_SHAPES(X)
#undef X
        DORY_CALL_COUNT
} dory_call_t;

/* The columns of a row as data, for code that looks them up by id. */
typedef struct dory_kernel_info {
    const char *id;      /* ID, as a C identifier */
    const char *name;    /* NAME */
    const char *fn;      /* FN, "none" without a kernel */
    const char *params;  /* PARAMS, "none" without a kernel */
    const char *scratch; /* SCRATCH, "none" without scratch */
    dory_call_t call;    /* CALL */
    int flags;           /* FLAGS */
    int isa;             /* ISA */
} dory_kernel_info_t;

/* Row `id` (NULL if out of range). */
static inline const dory_kernel_info_t *dory_kernel_info(dory_kernel_id_t id)
{
    static const dory_kernel_info_t rows[DORY_K_COUNT] = {
#define X(id, name, fn, params, call, scratch, cost, flags, isa)                                   \
    {#id, name, #fn, #params, #scratch, DORY_CALL_##call, flags, isa},
        DORY_KERNEL_TABLE(X)
#undef X
    };
    return (unsigned)id < DORY_K_COUNT ? &rows[id] : 0;
}

#endif
