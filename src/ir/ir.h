/* ir.h: dory's integer intermediate representation.
 *
 * A Graph is a list of Tensors and a list of Nodes in topological order. Every
 * frontend lowers its format to this IR; nothing downstream knows which format
 * a model came from. Ops, dtypes and requantization schemes are each defined
 * once, in the X-macro tables below; everything else (enums, names, properties)
 * is generated from them.
 *
 * Conventions (the verifier enforces them):
 *  - Activations are rank-4 NHWC with N = 1, stored in HWC order.
 *  - Conv weights are [Cout, KH, KW, Cin/groups] (OHWI); FC weights [Cout, K]
 *    with K in the HWC order of the flattened input; bias is i32 [Cout].
 *  - Zero points live on tensors: one per activation tensor, one per weight
 *    tensor or one per output channel (Tensor.zps).
 *  - Requantization constants are constant tensors referenced by the node.
 *  - Clamp bounds lo/hi are in output integer units (zero point included).
 *
 * This header must not know about files, targets or memory levels.
 */
#ifndef DORY_IR_H
#define DORY_IR_H

#include <stdbool.h>
#include <stdint.h>

#include "../util/util.h"

/* ---- Dtypes -------------------------------------------------------------
 * X(ENUM, name, bits, is_signed, storage_bytes, activation_ok)
 * Sub-byte types are stored unpacked, one element per byte, until a kernel
 * needs them packed; their range is what the bit width allows. */
#define DORY_DTYPES(X)                                                                             \
    X(DT_I8, "i8", 8, 1, 1, 1)                                                                     \
    X(DT_U8, "u8", 8, 0, 1, 1)                                                                     \
    X(DT_I32, "i32", 32, 1, 4, 1)                                                                  \
    X(DT_I64, "i64", 64, 1, 8, 0)                                                                  \
    X(DT_F32, "f32", 32, 1, 4, 0)                                                                  \
    X(DT_I4, "i4", 4, 1, 1, 1)                                                                     \
    X(DT_U4, "u4", 4, 0, 1, 1)                                                                     \
    X(DT_I2, "i2", 2, 1, 1, 1)                                                                     \
    X(DT_U2, "u2", 2, 0, 1, 1)

typedef enum {
#define X(e, name, bits, sgn, bytes, act) e,
    DORY_DTYPES(X)
#undef X
        DT_COUNT
} DType;

typedef struct DTypeInfo {
    const char *name;
    int bits;
    int is_signed;
    int bytes;         /* bytes per stored element */
    int activation_ok; /* may be the dtype of an activation tensor */
    int64_t min, max;  /* integer range (F32: unused, 0) */
} DTypeInfo;

const DTypeInfo *dtype_info(DType dt);
const char *dtype_name(DType dt);
int dtype_from_name(const char *name, DType *out); /* -1 if unknown */

/* ---- Requantization schemes ---------------------------------------------
 * X(ENUM, name, description). The formulas are the integer contract of
 * docs/ARCHITECTURE.md; src/ir/quant.c is their single reference. */
#define DORY_RQ_SCHEMES(X)                                                                         \
    X(RQ_NONE, "none", "identity: y = acc")                                                        \
    X(RQ_SHIFT, "shift", "y = (k[c]*acc + l[c]) >> d, arithmetic shift (NEMO, QuantLab)")          \
    X(RQ_FIXED, "fixed",                                                                           \
      "y = rdiv_pot(srdhm(acc << (pre+max(s[c],0)), m[c]), max(-s[c],0)) (TFLite)")                \
    X(RQ_FLOAT, "float", "y = round_half_even(f32(acc) * scale[c]) in fp32 (onnxruntime)")         \
    X(RQ_FIXED_SR, "fixed_sr",                                                                     \
      "y = round_half_away(acc*m[c] / 2^(31-s[c])) on the 64-bit product: one rounding (LiteRT)")  \
    X(RQ_LUT, "lut", "y = table[acc - base]: a function of an 8-bit input, one table per tensor")  \
    X(RQ_F32INT, "f32int", "FLOAT's result, computed in integers (exact emulation of fp32)")       \
    X(RQ_QLADD, "qladd",                                                                           \
      "add only: y = rne(fma(a, s[0], fma(b, s[1], s[2]))) in fp32 on the raw inputs (MLAS)")      \
    X(RQ_QLADD_INT, "qladd_int", "QLADD's result, computed in integers (exact emulation of fp32)") \
    X(RQ_QLMUL, "qlmul",                                                                           \
      "mul only: y = rne(f32(acc) * s[0] + s[1]) in fp32, s[1] the output zero point (MLAS)")      \
    X(RQ_QLMUL_INT, "qlmul_int", "QLMUL's result, computed in integers (exact emulation of fp32)")

typedef enum {
#define X(e, name, desc) e,
    DORY_RQ_SCHEMES(X)
#undef X
        RQ_COUNT
} RqScheme;

const char *rq_scheme_name(RqScheme s);
/* FIXED and FIXED_SR: constants mult and shift (pre: FIXED only). */
static inline int rq_is_fixed(RqScheme s) { return s == RQ_FIXED || s == RQ_FIXED_SR; }
/* The schemes whose only constant is the f32 tensor Requant.scale. */
static inline int rq_has_scale(RqScheme s)
{
    return s == RQ_FLOAT || s == RQ_F32INT || s == RQ_QLADD || s == RQ_QLADD_INT || s == RQ_QLMUL ||
           s == RQ_QLMUL_INT;
}
/* The add schemes: the whole add in one formula on the raw inputs (in_rq
 * unused); scale holds {s_a, s_b, c}, c including the output zero point. */
static inline int rq_is_qladd(RqScheme s) { return s == RQ_QLADD || s == RQ_QLADD_INT; }
/* The mul schemes: scale holds {s, zc}; the output zero point zc is added in
 * fp32 before rounding (not after, as FLOAT's). */
static inline int rq_is_qlmul(RqScheme s) { return s == RQ_QLMUL || s == RQ_QLMUL_INT; }
int rq_scheme_from_name(const char *name, RqScheme *out);

/* Arithmetic width a requantized node needs; chosen by the verifier as the
 * narrowest that provably cannot overflow, and passed on to the kernels. */
typedef enum { ARITH_UNSET = 0, ARITH_32, ARITH_64 } Arith;

/* A requantization: scheme plus constant tensors (ids into Graph.tensors, -1
 * if absent). Each constant has 1 element (per tensor) or one per channel. */
typedef struct Requant {
    RqScheme scheme;
    int k, l;  /* SHIFT: i32 or i64 multiplier and addend (l optional); F32INT (optional, both
                  or neither): the shortcut, i32 k and i64 l per channel: k[c] != 0 says
                  (k*acc + l) >> d equals FLOAT on the channel's accumulator range within the
                  clamp (the verifier checks it), and kernels compute that instead of the
                  emulation (a 32x32->64 product, the high word shifted) */
    int d;     /* SHIFT: right shift, 0..63; F32INT with k: 32..62 */
    int mult;  /* FIXED, FIXED_SR: i32 multiplier in [2^30, 2^31) or 0 */
    int shift; /* FIXED, FIXED_SR: i32 signed shift, >0 left, <0 right (TFLite) */
    int pre;   /* FIXED: extra left shift applied first, 0..31; FIXED_SR: 0 */
    int scale; /* FLOAT, F32INT: f32 scale; QLADD, QLADD_INT: f32 {s_a, s_b, c};
                  QLMUL, QLMUL_INT: f32 {s, zc} */
    int table; /* LUT: i32 constant of at most 256 entries, y = table[acc - base] */
    int base;  /* LUT: the accumulator of table[0] */
} Requant;

/* ---- Ops ----------------------------------------------------------------
 * X(ENUM, name, min_inputs, max_inputs, epilogue, description)
 * epilogue: the node carries requant + clamp. Inputs are tensor ids; for conv
 * and fc: x, w, optional bias. */
#define DORY_OPS(X)                                                                                \
    X(OP_CONV2D, "conv2d", 2, 3, 1, "2-D convolution (standard, depthwise, grouped)")              \
    X(OP_FC, "fc", 2, 3, 1, "fully connected on the flattened HWC input")                          \
    X(OP_MAXPOOL, "maxpool", 1, 1, 1, "max pooling; padding never wins")                           \
    X(OP_AVGPOOL, "avgpool", 1, 1, 1, "average pooling: sum, divide by count, requant")            \
    X(OP_ADD, "add", 2, 2, 1, "element-wise add with a requant per input")                         \
    X(OP_MUL, "mul", 2, 2, 1,                                                                      \
      "element-wise product (a - za)(b - zb), requantized; b may be one pixel (broadcast)")        \
    X(OP_CONCAT, "concat", 1, 8, 0, "concatenation on channels, same dtype and zero point")        \
    X(OP_REQUANT, "requant", 1, 1, 1, "element-wise requantization and clamp")                     \
    X(OP_RESHAPE, "reshape", 1, 1, 0, "relabel the shape; HWC storage order is kept")              \
    X(OP_SOFTMAX, "softmax", 1, 1, 0, "int8 softmax over channels (TFLite arithmetic)")            \
    X(OP_PAD, "pad", 1, 1, 0, "spatial padding by a constant; the fold_pad pass folds it")

typedef enum {
#define X(e, name, mn, mx, epi, desc) e,
    DORY_OPS(X)
#undef X
        OP_COUNT
} Op;

typedef struct OpInfo {
    const char *name;
    int min_inputs, max_inputs;
    int has_epilogue;
    const char *description;
} OpInfo;

const OpInfo *op_info(Op op);
const char *op_name(Op op);
int op_from_name(const char *name, Op *out);

/* How average pooling turns a window sum into an average before requant. */
#define DORY_AVG_ROUNDS(X)                                                                         \
    X(AVG_FLOOR, "floor", "floor(sum / count)")                                                    \
    X(AVG_HALF_AWAY, "half_away", "round half away from zero (TFLite)")                            \
    X(AVG_NONE, "none", "no division: the requant folds in 1/count")                               \
    X(AVG_ORT, "ort", "onnxruntime's fp32 average, exactly: from avg_table, no requant")

typedef enum {
#define X(e, name, desc) e,
    DORY_AVG_ROUNDS(X)
#undef X
        AVG_COUNT
} AvgRound;

const char *avg_round_name(AvgRound r);
int avg_round_from_name(const char *name, AvgRound *out);

/* ---- Tensors ------------------------------------------------------------ */

enum { DORY_MAX_RANK = 4, DORY_MAX_INPUTS = 8 };

/* How a tensor looks in the source model, so dumps and inputs use the
 * framework's layout: SRC_SAME means the IR shape is the source shape;
 * SRC_CHW means the source stores the HWC dims `hwc` in channel-first order,
 * then reshapes that to src_shape (e.g. NCHW, or a flattened NCHW tensor). */
typedef enum { SRC_SAME = 0, SRC_CHW } SrcLayout;

typedef struct Tensor {
    int id;
    const char *name;
    DType dtype;
    int rank;
    int64_t shape[DORY_MAX_RANK];
    int32_t zp;         /* zero point (per tensor) */
    const int32_t *zps; /* per-channel zero points (weights only), or NULL */
    int nzps;
    void *data; /* constants: elements in dtype storage; else NULL */
    bool is_const;
    /* source-model view */
    SrcLayout src_layout;
    int64_t src_hwc[3];
    int src_rank;
    int64_t src_shape[DORY_MAX_RANK];
    /* filled by graph_finalize(): */
    int producer; /* node index, -1 for graph inputs and constants */
} Tensor;

/* ---- Nodes -------------------------------------------------------------- */

typedef struct Node {
    int id;
    const char *name;
    Op op;
    int nin;
    int in[DORY_MAX_INPUTS]; /* tensor ids */
    int out;                 /* tensor id */
    /* geometry (conv, pools): [0] = H, [1] = W */
    int kernel[2], stride[2], dilation[2];
    int pad[4];         /* top, left, bottom, right */
    int32_t pad_value;  /* pad: value of the padded elements, input integer units */
    int groups;         /* conv only; depthwise: groups == Cin */
    bool global;        /* pools: kernel = whole input */
    AvgRound avg_round; /* avgpool */
    int avg_table;      /* AVG_ORT: i64 constant, layout in ir/quant.h (q_avg_ort); else -1 */
    bool count_include_pad;
    /* epilogue */
    Requant rq;       /* output requant */
    Requant in_rq[2]; /* add: per-input requant */
    int32_t lo, hi;   /* clamp in output integer units */
    /* softmax (TFLite): input multiplier, left shift, diff_min */
    int32_t sm_mult, sm_shift, sm_diff_min;
    /* filled by the verifier */
    Arith arith;
    Arith in_arith[2];        /* add: width proven for each input requant */
    int64_t acc_min, acc_max; /* proven accumulator bounds, all channels */
} Node;

/* Open-addressing index from names to ids (tensors or nodes of a graph),
 * allocated in the graph's arena: expected O(1) per lookup. */
typedef struct NameIndex {
    int *slots; /* id + 1, 0 = empty */
    int cap, count;
} NameIndex;

typedef struct Graph {
    Arena arena; /* owns everything below */
    const char *name;
    const char *source; /* file the graph came from, for diagnostics */
    Tensor **tensors;
    int ntensors, cap_tensors;
    Node **nodes; /* topological order */
    int nnodes, cap_nodes;
    int inputs[DORY_MAX_INPUTS], ninputs;
    int outputs[DORY_MAX_INPUTS], noutputs;
    NameIndex tensor_index; /* tensor names (graph_find_tensor) */
} Graph;

/* ---- Building ----------------------------------------------------------- */

Graph *graph_new(const char *name);
void graph_free(Graph *g);

/* Adds a tensor; shape has `rank` entries. Returns its id, -1 on failure.
 * Names must be unique. Data of constants is set with tensor_alloc_data(). */
int graph_add_tensor(Graph *g, const char *name, DType dt, int rank, const int64_t *shape);
/* Allocates zeroed storage for a constant; NULL on failure. */
void *tensor_alloc_data(Graph *g, Tensor *t);
/* Convenience: constant tensor from int64 values (converted to dt). */
int graph_add_const(Graph *g, const char *name, DType dt, int rank, const int64_t *shape,
                    const int64_t *values);
int graph_add_const_f32(Graph *g, const char *name, int rank, const int64_t *shape,
                        const float *values);
/* Adds a node with default attributes (stride 1, dilation 1, groups 1, no
 * padding, requant NONE, clamp to the output dtype range). */
Node *graph_add_node(Graph *g, const char *name, Op op, int nin, const int *in, int out);
int graph_add_input(Graph *g, int tensor);
int graph_add_output(Graph *g, int tensor);

/* Requant constructors (the constants become tensors named NODE.k, ...). */
Requant rq_none(void);
int rq_make_shift(Graph *g, Node *n, Requant *rq, int nch, const int64_t *k, const int64_t *l,
                  int d);
/* F32INT's shortcut on an F32INT rq: k (i32, 0 = the emulation) and l (i64)
 * per channel, d in 32..62 (Requant.k). */
int rq_add_f32int_shortcut(Graph *g, Node *n, Requant *rq, int nch, const int64_t *k,
                           const int64_t *l, int d);
int rq_make_fixed(Graph *g, Node *n, Requant *rq, int nch, const int32_t *mult,
                  const int32_t *shift, int pre);
/* FIXED_SR, the same constants with LiteRT's single rounding. */
int rq_make_fixed_sr(Graph *g, Node *n, Requant *rq, int nch, const int32_t *mult,
                     const int32_t *shift);
int rq_make_float(Graph *g, Node *n, Requant *rq, int nch, const float *scale);
int rq_make_lut(Graph *g, Node *n, Requant *rq, int nvals, const int64_t *vals, int base);

/* Computes producers and checks references; -1 with diagnostics on error. */
int graph_finalize(Graph *g);

/* ---- Queries ------------------------------------------------------------ */

Tensor *graph_tensor(const Graph *g, int id);
int graph_find_tensor(const Graph *g, const char *name); /* -1 if none */
/* After tensors were removed or renumbered (a pass): rebuilds the index. */
int graph_reindex_tensors(Graph *g);
/* The id of `name` in m (name_of gives an id's name), -1 if absent; and
 * adding an id (-1 only when out of memory). */
int name_index_find(const NameIndex *m, const char *name,
                    const char *(*name_of)(const Graph *, int), const Graph *g);
int name_index_put(Graph *g, NameIndex *m, const char *name, int id,
                   const char *(*name_of)(const Graph *, int));
int64_t tensor_numel(const Tensor *t);
int64_t tensor_bytes(const Tensor *t);
int64_t tensor_get(const Tensor *t, int64_t i); /* constants, any int dtype */
void tensor_set(Tensor *t, int64_t i, int64_t v);
float tensor_get_f32(const Tensor *t, int64_t i);
int32_t tensor_zp_at(const Tensor *t, int64_t channel); /* per-channel or per-tensor */
/* Activation dims, NHWC with N = 1. */
static inline int64_t act_h(const Tensor *t) { return t->shape[1]; }
static inline int64_t act_w(const Tensor *t) { return t->shape[2]; }
static inline int64_t act_c(const Tensor *t) { return t->shape[3]; }

/* Multiply-accumulates of a node (0 for data movement). */
int64_t node_macs(const Graph *g, const Node *n);
/* Bytes of constant parameters a node reads (weights, bias, requant). */
int64_t node_param_bytes(const Graph *g, const Node *n);
/* Effective kernel size: the weight's KH x KW for conv2d, the input's H x W
 * for global pooling, else Node.kernel. */
void node_kernel(const Graph *g, const Node *n, int *kh, int *kw);
DiagLoc node_loc(const Graph *g, const Node *n);

/* Output spatial size of a sliding window; -1 if the geometry is empty. */
int64_t conv_out_dim(int64_t in, int k, int stride, int dil, int pad_a, int pad_b);

/* ---- Comparison --------------------------------------------------------- */

/* 1 if a and b are the same graph field by field (names, dtypes, shapes, zero
 * points, source views, constant bits, node attributes, the requant fields
 * each scheme uses, inputs, outputs); derived fields (producer, arith,
 * acc_min/acc_max) and Graph.source are not compared. Otherwise 0, with the
 * first difference explained in why (may be NULL). src/ir/compare.c */
int graph_equal(const Graph *a, const Graph *b, char *why, size_t whylen);

#endif
