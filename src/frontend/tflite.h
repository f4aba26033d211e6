/* tflite.h: the TFLite frontend's internal interface, shared by tflite.c
 * (file decoding: the schema's tables, read through tflite_fb.c, into the
 * structs below, every index checked) and tflite_ops.c (lowering of each
 * operator to the IR through the shared graph builders).
 *
 * Only int8 graphs are lowered; the arithmetic of each op is the reference
 * kernels' of LiteRT or TFLite Micro (TfCtx.arith), docs/FRONTEND_TFLITE.md.
 */
#ifndef DORY_FRONTEND_TFLITE_H
#define DORY_FRONTEND_TFLITE_H

#include "build.h"
#include "frontend.h"
#include "tflite_fb.h"

/* TensorType values of the schema that the frontend names. */
enum { TF_FLOAT32 = 0, TF_INT32 = 2, TF_UINT8 = 3, TF_INT64 = 4, TF_INT16 = 7, TF_INT8 = 9 };

/* Which reference's arithmetic the IR reproduces. */
typedef enum { TF_ARITH_TFLM = 0, TF_ARITH_LITERT } TfArith;

enum { TF_MAX_RANK = 8 };

typedef struct TfTensor {
    const char *name;
    int type;
    int rank;
    int64_t shape[TF_MAX_RANK];
    const uint8_t *data; /* constant bytes in the file, or NULL */
    uint64_t nbytes;
    int nq;             /* quantization entries (scales; zero points alike) */
    const float *scale; /* nq scales (arena copies) */
    const int64_t *zp;  /* nq zero points */
    int qdim;           /* quantized_dimension */
    int ir;             /* IR tensor id of an activation, -1 until lowered */
    int float_input;    /* a float graph input (a QUANTIZE must follow) */
} TfTensor;

typedef struct TfOp {
    int code; /* BuiltinOperator */
    int nin, nout;
    const int *in; /* tensor indices, -1 for an optional input left out */
    const int *out;
    int opt_type; /* BuiltinOptions union type */
    FbTable opt;  /* the options table (pos 0: none) */
} TfOp;

typedef struct TfCtx {
    const char *path;
    Fb fb;
    Graph *g;
    Builder b;
    TfArith arith;
    TfTensor *t;
    int nt;
    TfOp *ops;
    int nops;
    int cur; /* operator being lowered, -1 outside */
    const char *const *codes_name;
} TfCtx;

/* Reports an error naming the file, the current operator (index and output
 * tensor) and its op; returns -1. */
int tf_err(TfCtx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *tf_op_name(int code);

Graph *tflite_load_buffer(const char *path, const unsigned char *buf, size_t len,
                          const FrontendOptions *opt);

/* Lowers operator x->ops[i] (tflite_ops.c). */
int tf_lower_op(TfCtx *x, int i);
/* The IR id of activation tensor ti, created as a graph input if new. */
int tf_act(TfCtx *x, int ti);

#endif
