/* onnx_lower.h: what the three lowering files of the ONNX frontend share.
 *
 *   onnx_lower.c      values, geometry, weights, conv/fc/pool nodes, shapes,
 *                     and the dispatch table from op_type to handler;
 *   onnx_lower_int.c  NEMO/QuantLab: integer epilogue collection (Mul/Add/
 *                     Div/Floor/Cast/Clip chains, QAdd) closed into SHIFT;
 *   onnx_lower_qdq.c  QDQ/QOperator: float groups closed by QuantizeLinear
 *                     into FLOAT requants computed as onnxruntime does.
 *
 * Prefix ol_. Included only by those three files.
 */
#ifndef DORY_FRONTEND_ONNX_LOWER_H
#define DORY_FRONTEND_ONNX_LOWER_H

#include "onnx.h"

/* A handler of the dispatch table; `arg` is the table's per-op argument. */
typedef int (*OlHandler)(OnnxCtx *x, const Onnx__NodeProto *n, int arg);

/* conv-like handler arguments */
enum { OL_FC = 1, OL_KN = 2 };
/* pool handler arguments */
enum { OL_MAX = 1, OL_GLOBAL = 2 };

/* ---- onnx_lower.c: values ---- */
OnnxVal *ol_input(OnnxCtx *x, const Onnx__NodeProto *n, size_t i); /* optional input */
OnnxVal *ol_need(OnnxCtx *x, const Onnx__NodeProto *n, size_t i);  /* required input */
OnnxVal *ol_output(OnnxCtx *x, const Onnx__NodeProto *n);          /* defines output 0 */
const char *ol_node_name(const Onnx__NodeProto *n);
int ol_is_const(const OnnxVal *v);
void ol_alias(OnnxVal *out, const OnnxVal *v); /* out means what v means */
int ol_scalar(OnnxCtx *x, const OnnxVal *v, const char *what, double *out);
Tensor *ol_tensor(OnnxCtx *x, int id);
int ol_dtype_of_elem(OnnxCtx *x, int elem, DType *dt);
void ol_hwc_of(const OnnxVal *v, int64_t *h, int64_t *w, int64_t *c);
void ol_set_oshape(OnnxVal *v, int orank, int64_t h, int64_t w, int64_t c);
/* New activation tensor with v's ONNX shape. */
int ol_new_act(OnnxCtx *x, const char *name, DType dt, const OnnxVal *v, int32_t zp);
int ol_fin_to_act(OnnxCtx *x, OnnxVal *v, DType dt, int32_t zp, int zp_known);
/* Activation operand: converts graph inputs, closes pending accumulators. */
int ol_act(OnnxCtx *x, OnnxVal *v, const char *what);
int ol_check_zp(OnnxCtx *x, OnnxVal *v, int32_t zp, DType dt);
int ol_single_use(OnnxCtx *x, const OnnxVal *v);
/* v (an accumulator of node n) becomes the activation n's new output. */
int ol_acc_out(OnnxCtx *x, OnnxVal *v, Node *n, DType dt, int32_t zp);
/* out is the accumulator `a` with in's shape. */
void ol_acc_result(OnnxVal *out, const OnnxVal *in, OnnxAcc *a);
OnnxAcc *ol_new_acc(OnnxCtx *x, Node *node, int nch);
/* Opens an accumulator of node nd on `out`: a float group (input scale xs,
 * weight scales ws, one or nch of them, or none) or an integer epilogue. */
int ol_open_acc(OnnxCtx *x, OnnxVal *out, Node *nd, int nch, int is_float, float xs,
                const float *ws, int nws);

/* Weight integers and their quantization: a QCONST (QDQ), a plain integer
 * constant (NEMO, QuantLab), or integers with explicit scale/zp (QOperator). */
typedef struct WInfo {
    const OnnxConst *c;
    DType dt;
    int nq;
    const float *scale;
    const int32_t *zp;
} WInfo;

Node *ol_make_conv(OnnxCtx *x, const Onnx__NodeProto *n, OnnxVal *xv, const WInfo *wi,
                   const OnnxVal *bias, OnnxVal *out);
Node *ol_make_fc(OnnxCtx *x, const Onnx__NodeProto *n, OnnxVal *xv, const WInfo *wi, int kn,
                 const OnnxVal *bias, OnnxVal *out);
int ol_pool_on(OnnxCtx *x, const Onnx__NodeProto *n, OnnxVal *v, int flags);
/* nd's output (into out) keeps v's type, zero point and scale; no requant. */
int ol_close_same_type(OnnxCtx *x, const OnnxVal *v, OnnxVal *out, Node *nd);

/* ---- onnx_lower_int.c ---- */
OnnxIntEpi *ol_new_int_epi(OnnxCtx *x, int nch);
int ol_clip_int(OnnxCtx *x, OnnxVal *v, OnnxVal *out, double lo, double hi);
int ol_add_acts(OnnxCtx *x, const Onnx__NodeProto *n, OnnxVal *a, OnnxVal *b);
int ol_lower_arith(OnnxCtx *x, const Onnx__NodeProto *n, int op);
int ol_lower_passthrough(OnnxCtx *x, const Onnx__NodeProto *n, int arg);
/* A divided and floored sum of activations that more arithmetic (`what`)
 * follows becomes its own add node: 1 when v is now that activation, 0 when
 * one requant can take both steps, -1 on error. */
int ol_split_floored_sum(OnnxCtx *x, OnnxVal *v, const char *what);

/* ---- onnx_lower_view.c ---- */
/* An average pool of a float group that onnxruntime computes in fp32
 * (QLinearAveragePool, DQ -> AveragePool -> Q): AVG_ORT, exactly its
 * arithmetic per window count (padding excluded or not, ceil_mode). */
int ol_avg_ort(OnnxVal *out, Node *nd);
int ol_lower_reduce_mean(OnnxCtx *x, const Onnx__NodeProto *n, int arg);
int ol_lower_squeeze(OnnxCtx *x, const Onnx__NodeProto *n, int unsqueeze);

/* ---- onnx_lower_lut.c ---- */
int ol_lower_fn(OnnxCtx *x, const Onnx__NodeProto *n, int arg);
int ol_lower_qlinear_fn(OnnxCtx *x, const Onnx__NodeProto *n, int arg);
int ol_mul_acts(OnnxCtx *x, const Onnx__NodeProto *n, OnnxVal *a, OnnxVal *b);
int ol_lower_qlinear_mul(OnnxCtx *x, const Onnx__NodeProto *n, int arg);
int ol_requant_table(OnnxCtx *x, const char *name, const OnnxVal *v, float ys, int32_t zy,
                     DType dt);
/* QuantizeLinear of a function chain: the table node. */
int ol_quantize_fn(OnnxCtx *x, OnnxVal *v, OnnxVal *out, float ys, int32_t zy, DType dt);

/* ---- onnx_lower_shuffle.c ---- */
int ol_lower_split(OnnxCtx *x, const Onnx__NodeProto *n, int arg);
int ol_lower_slice(OnnxCtx *x, const Onnx__NodeProto *n, int arg);
int ol_lower_transpose(OnnxCtx *x, const Onnx__NodeProto *n, int arg);
int ol_shuffle_reshape(OnnxCtx *x, OnnxVal *v, const OnnxConst *shape, OnnxVal *out);
int ol_shuffle_close(OnnxCtx *x, const Onnx__NodeProto *n, OnnxVal *v, const OnnxConst *shape,
                     OnnxVal *out);

/* ---- onnx_lower_rqs.c ---- */
int ol_lower_requant_shift(OnnxCtx *x, const Onnx__NodeProto *n, int arg);

/* ---- onnx_lower_qdq.c ---- */
/* Makes `a` a float group with input scale xs and per-channel weight scales
 * (ws NULL: none, e.g. pools; nws 1: per tensor). */
int ol_make_float(OnnxCtx *x, OnnxAcc *a, float xs, const float *ws, int nws);
int ol_float_add(OnnxCtx *x, const Onnx__NodeProto *n, OnnxVal *a, OnnxVal *b);
/* Mul of two dequantized activations (or QLinearMul's integer inputs, zero
 * points checked) into out: a mul node, b equal in shape or one pixel
 * broadcast. */
int ol_float_mul(OnnxCtx *x, const Onnx__NodeProto *n, OnnxVal *a, OnnxVal *b, OnnxVal *out);
int ol_qlinear_mul_node(OnnxCtx *x, const Onnx__NodeProto *n, OnnxVal *a, OnnxVal *b, OnnxVal *out);
int ol_clip_float(OnnxCtx *x, const Onnx__NodeProto *n, OnnxVal *v, OnnxVal *out, double lo,
                  double hi);
/* Concat inputs with different scales: requant or wait for QuantizeLinear. */
int ol_concat_requant(OnnxCtx *x, const Onnx__NodeProto *n, OnnxVal *v, float xs, float ys,
                      int32_t yz, DType dt);
int ol_open_float_concat(OnnxCtx *x, const Onnx__NodeProto *n, OnnxVal **vals, int nin,
                         int64_t csum);
int ol_qlinear_concat_input(OnnxCtx *x, const Onnx__NodeProto *n, size_t i, OnnxVal *v);
int ol_lower_quantize(OnnxCtx *x, const Onnx__NodeProto *n, int arg);
int ol_lower_dequantize(OnnxCtx *x, const Onnx__NodeProto *n, int arg);
int ol_lower_qlinear(OnnxCtx *x, const Onnx__NodeProto *n, int fc);
int ol_lower_qgemm(OnnxCtx *x, const Onnx__NodeProto *n, int arg);
int ol_lower_qgap(OnnxCtx *x, const Onnx__NodeProto *n, int arg);
int ol_lower_qadd(OnnxCtx *x, const Onnx__NodeProto *n, int arg);
int ol_lower_qavgpool(OnnxCtx *x, const Onnx__NodeProto *n, int arg);
int ol_lower_batchnorm(OnnxCtx *x, const Onnx__NodeProto *n, int arg);

#endif
