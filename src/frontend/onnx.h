/* onnx.h: internals of the ONNX frontend, shared by onnx.c (decoding,
 * constants, the value table, the entry point) and the lowering of each op to
 * the IR (onnx_lower.c, onnx_lower_int.c, onnx_lower_qdq.c).
 *
 * Lowering tracks, for every ONNX value, what it means in integer terms
 * (a constant, an IR activation, a dequantized activation, or an accumulator
 * whose epilogue is still being collected), so patterns are matched on
 * dataflow and constants, never on node order or names.
 * Nothing outside src/frontend/onnx*.c includes this header; the lowering
 * files share their helpers through onnx_lower.h.
 */
#ifndef DORY_FRONTEND_ONNX_H
#define DORY_FRONTEND_ONNX_H

#include "build.h"
#include "frontend.h"
#include "onnx.pb-c.h"

enum { ONNX_MAX_RANK = 8 };

/* ONNX TensorProto element types used here. */
enum {
    ONNX_FLOAT = 1,
    ONNX_UINT8 = 2,
    ONNX_INT8 = 3,
    ONNX_UINT16 = 4,
    ONNX_INT16 = 5,
    ONNX_INT32 = 6,
    ONNX_INT64 = 7,
    ONNX_BOOL = 9,
    ONNX_DOUBLE = 11,
    ONNX_UINT32 = 12,
    ONNX_UINT64 = 13
};

typedef enum { DIALECT_AUTO = 0, DIALECT_QDQ, DIALECT_QOP, DIALECT_NEMO, DIALECT_QUANTLAB } Dialect;

/* A constant. Values are doubles: exact for every float and every integer
 * up to 2^53 (larger ones are rejected when decoded). */
typedef struct OnnxConst {
    int elem;
    int rank;
    int64_t dims[ONNX_MAX_RANK];
    int64_t numel;
    double *v;
} OnnxConst;

typedef enum {
    OV_UNDEF = 0,
    OV_CONST,  /* c */
    OV_FIN,    /* a float graph input, waiting for its QuantizeLinear */
    OV_ACT,    /* IR activation `tensor` (integers) */
    OV_DQ,     /* real = scale * (tensor - zp): DequantizeLinear of an activation */
    OV_QCONST, /* DequantizeLinear of a constant: c holds the integers */
    OV_ACC,    /* a compute node's accumulator with a pending epilogue */
    OV_FN      /* element-wise functions of a dequantized activation (onnx_lower_lut.c) */
} OvKind;

/* The pending epilogue of an integer-dialect accumulator (NEMO, QuantLab):
 * value = trunc/floor of (k[c] * acc + l[c]) / div, clamped to [lo, hi]. A
 * sum of scaled activations (NEMO's QAdd, node == NULL) adds terms[i] * tk[i]. */
typedef struct OnnxIntEpi {
    int nterm;
    int term[2];
    double tk[2];
    double *k, *l;   /* per channel */
    double div;      /* 1 until a Div */
    int trunc_div;   /* the Div was on integers (truncates toward zero) */
    int floored;     /* the value is an integer again (Floor, integer Div) */
    int int_typed;   /* ONNX holds it in an integer type (after Cast) */
    int exact_clamp; /* [lo, hi] is the whole clamp (RequantShift): no saturation */
    int64_t lo, hi;  /* clamp in integer units */
} OnnxIntEpi;

/* The pending epilogue of a float-dialect group (QDQ, QOperator) until its
 * QuantizeLinear: real = xs * fscale[c] * acc, clamped to [rlo, rhi]. */
typedef struct OnnxFloatEpi {
    int is_add; /* add: xs and fscale[0] are the two input scales */
    int is_mul; /* mul of two activations: the same */
    int ncat;   /* concat of DQ inputs with different scales */
    struct OnnxVal *cat[8];
    float *fscale;   /* per channel: w_scale[c] (not yet * xs / y_scale) */
    float xs;        /* input scale */
    double rlo, rhi; /* clamp in real units (Relu, Clip) */
} OnnxFloatEpi;

/* A compute node (conv, fc, pool, add; NULL for an integer sum of terms or a
 * float concat) whose epilogue is still being collected: exactly one of
 * `ie` (integer dialects) and `fe` (float dialects) is set. */
typedef struct OnnxAcc {
    Node *node;
    int nch;
    int avg_count; /* AveragePool: ONNX divided the sum by this */
    int closed;    /* materialized: intermediate values may not be reused */
    OnnxIntEpi *ie;
    OnnxFloatEpi *fe;
} OnnxAcc;

/* What an ONNX value means. Activations also keep their ONNX shape (NCHW,
 * NCW or [1, K]); `flat` marks a flattened NCHW tensor whose IR tensor is
 * still [1, H, W, C]. */
typedef struct OnnxVal {
    const char *name;
    OvKind kind;
    OnnxConst c;
    int tensor;
    int orank;
    int64_t oshape[4];
    int flat;
    int zp_known; /* graph inputs learn their zero point from a consumer */
    int nuses;    /* consumers in the graph (nodes and graph outputs) */
    float scale;  /* OV_DQ */
    /* OV_QCONST: per-axis scales and zero points */
    int qaxis, nq;
    float *qscale;
    int32_t *qzp;
    int qelem; /* element type of the quantized constant */
    OnnxAcc *acc;
    struct OnnxFn *fn; /* OV_FN */
    /* a channel shuffle in progress (onnx_lower_shuffle.c): 1 after the
     * Reshape to [1, g, C/g, H, W], 2 after the Transpose */
    int shuffle_stage, shuffle_g;
} OnnxVal;

typedef struct OnnxCtx {
    Graph *g;
    Builder b; /* names, activations, weights (build.h) */
    const char *path;
    const char *dir; /* model directory, for external data */
    Onnx__ModelProto *m;
    Dialect dialect;
    int signed_input; /* FrontendOptions.signed_input */
    int opset;
    OnnxVal *vals; /* hash table on names, open addressing */
    size_t nvals_cap;
    const Onnx__NodeProto *cur; /* node being lowered, for diagnostics */
    struct UseCount *uses;      /* consumers per value name */
    size_t uses_cap;
} OnnxCtx;

/* ---- onnx.c ---- */
int onnx_err(OnnxCtx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
OnnxVal *onnx_val(OnnxCtx *x, const char *name); /* NULL if undefined */
OnnxVal *onnx_def(OnnxCtx *x, const char *name); /* new definition */
int onnx_decode_tensor(OnnxCtx *x, const Onnx__TensorProto *t, OnnxConst *out);
const Onnx__AttributeProto *onnx_attr(const Onnx__NodeProto *n, const char *name);
int64_t onnx_attr_int(const Onnx__NodeProto *n, const char *name, int64_t dflt);
float onnx_attr_float(const Onnx__NodeProto *n, const char *name, float dflt);
/* Copies up to `max` ints of attribute `name`; returns the count, 0 if absent. */
int onnx_attr_ints(const Onnx__NodeProto *n, const char *name, int64_t *out, int max);
const char *onnx_attr_str(OnnxCtx *x, const Onnx__NodeProto *n, const char *name);
extern const Frontend onnx_frontend;
Graph *onnx_load_buffer(const char *path, const unsigned char *buf, size_t len,
                        const FrontendOptions *opt);

/* ---- onnx_lower.c ---- */
int onnx_lower_node(OnnxCtx *x, const Onnx__NodeProto *n);
/* Turns a pending accumulator into an activation (creates the output tensor). */
int onnx_materialize(OnnxCtx *x, OnnxVal *v);
int onnx_is_tail_op(const char *op);
const char *onnx_dialect_name(Dialect d);

#endif
