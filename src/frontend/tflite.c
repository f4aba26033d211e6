/* tflite.c: the TFLite frontend's entry point: the schema (version 3) read
 * through the bounds-checked FlatBuffers reader into TfTensor/TfOp, every
 * index and size checked, then the walk over the first subgraph's operators
 * (tflite_ops.c lowers each one).
 *
 * Field numbers are the schema's (tensorflow/compiler/mlir/lite/schema/
 * schema.fbs); a union takes two slots (its type, then its table). Every
 * number in the file is untrusted: check before use, report with tf_err().
 * Must not contain op lowering rules.
 */
#include "tflite.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Model, OperatorCode, SubGraph, Tensor, QuantizationParameters, Buffer,
 * Operator: the fields read. */
enum { M_VERSION = 0, M_OPCODES = 1, M_SUBGRAPHS = 2, M_DESCRIPTION = 3, M_BUFFERS = 4 };
enum { OC_DEPRECATED = 0, OC_VERSION = 2, OC_BUILTIN = 3 };
enum { SG_TENSORS = 0, SG_INPUTS = 1, SG_OUTPUTS = 2, SG_OPERATORS = 3, SG_NAME = 4 };
enum { T_SHAPE = 0, T_TYPE = 1, T_BUFFER = 2, T_NAME = 3, T_QUANT = 4, T_SPARSITY = 6 };
enum { Q_SCALE = 2, Q_ZERO_POINT = 3, Q_DETAILS_TYPE = 4, Q_DIM = 6 };
enum { B_DATA = 0, B_OFFSET = 1, B_SIZE = 2 };
enum { O_OPCODE = 0, O_INPUTS = 1, O_OUTPUTS = 2, O_OPT_TYPE = 3, O_OPT = 4 };

/* BuiltinOperator names, for diagnostics (the schema's spelling). */
static const char *const op_names[] = {
    [0] = "ADD",
    [1] = "AVERAGE_POOL_2D",
    [2] = "CONCATENATION",
    [3] = "CONV_2D",
    [4] = "DEPTHWISE_CONV_2D",
    [5] = "DEPTH_TO_SPACE",
    [6] = "DEQUANTIZE",
    [7] = "EMBEDDING_LOOKUP",
    [8] = "FLOOR",
    [9] = "FULLY_CONNECTED",
    [10] = "HASHTABLE_LOOKUP",
    [11] = "L2_NORMALIZATION",
    [12] = "L2_POOL_2D",
    [13] = "LOCAL_RESPONSE_NORMALIZATION",
    [14] = "LOGISTIC",
    [15] = "LSH_PROJECTION",
    [16] = "LSTM",
    [17] = "MAX_POOL_2D",
    [18] = "MUL",
    [19] = "RELU",
    [20] = "RELU_N1_TO_1",
    [21] = "RELU6",
    [22] = "RESHAPE",
    [23] = "RESIZE_BILINEAR",
    [24] = "RNN",
    [25] = "SOFTMAX",
    [26] = "SPACE_TO_DEPTH",
    [27] = "SVDF",
    [28] = "TANH",
    [32] = "CUSTOM",
    [34] = "PAD",
    [36] = "GATHER",
    [39] = "TRANSPOSE",
    [40] = "MEAN",
    [41] = "SUB",
    [42] = "DIV",
    [43] = "SQUEEZE",
    [45] = "STRIDED_SLICE",
    [49] = "EXP",
    [53] = "CAST",
    [54] = "PRELU",
    [55] = "MAXIMUM",
    [57] = "MINIMUM",
    [60] = "PADV2",
    [65] = "SLICE",
    [74] = "SUM",
    [80] = "REDUCE_MAX",
    [83] = "PACK",
    [88] = "UNPACK",
    [97] = "RESIZE_NEAREST_NEIGHBOR",
    [98] = "LEAKY_RELU",
    [114] = "QUANTIZE",
    [117] = "HARD_SWISH",
};

const char *tf_op_name(int code)
{
    static char buf[32];
    if (code >= 0 && code < (int)(sizeof op_names / sizeof op_names[0]) && op_names[code])
        return op_names[code];
    snprintf(buf, sizeof buf, "BUILTIN_%d", code);
    return buf;
}

/* Names in a corrupted file may hold any bytes: diagnostics show '?'. */
static char *printable(char *s)
{
    for (unsigned char *p = (unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p >= 0x7f) *p = '?';
    return s;
}

int tf_err(TfCtx *x, const char *fmt, ...)
{
    char msg[512], node[160], op[40];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    DiagLoc loc = {x->path, 0, NULL, NULL};
    if (x->cur >= 0 && x->cur < x->nops) {
        const TfOp *o = &x->ops[x->cur];
        const char *out = o->nout > 0 && o->out[0] >= 0 ? x->t[o->out[0]].name : "";
        snprintf(node, sizeof node, "operator %d%s%s", x->cur, *out ? " " : "", out);
        snprintf(op, sizeof op, "%s", tf_op_name(o->code));
        loc.node = printable(node), loc.op = op;
    }
    return diag_error(loc, "%s", printable(msg));
}

static int build_err(void *ctx, const char *msg) { return tf_err(ctx, "%s", msg); }

/* A reader error, reported once in the caller's words. */
static int fb_check(TfCtx *x, const char *what)
{
    if (fb_ok(&x->fb)) return 0;
    return tf_err(x, "malformed TFLite file (%s): %s", what, x->fb.err);
}

/* ---- Decoding ------------------------------------------------------------ */

static const char *str_copy(TfCtx *x, FbTable t, int field, const char *dflt)
{
    uint32_t len;
    const char *s = fb_str(&x->fb, t, field, &len);
    if (!s || !len) return dflt;
    char *c = arena_strndup(&x->g->arena, s, len);
    return c ? printable(c) : dflt;
}

/* A vector of tensor indices; each must name a tensor (-1: left out). */
static const int *index_vec(TfCtx *x, FbTable t, int field, int *n, int allow_none)
{
    FbVec v = fb_vec(&x->fb, t, field, 4);
    *n = (int)v.len;
    if (!fb_ok(&x->fb) || v.len > 1u << 20) {
        if (fb_ok(&x->fb)) tf_err(x, "an index list of %u entries", v.len);
        return NULL;
    }
    int *out = arena_alloc_array(&x->g->arena, v.len + 1, sizeof(int));
    if (!out) return NULL;
    for (uint32_t i = 0; i < v.len; i++) {
        int64_t k = fb_vec_int(&x->fb, v, i, 1);
        if (k < (allow_none ? -1 : 0) || k >= x->nt) {
            tf_err(x, "tensor index %lld outside 0..%d", (long long)k, x->nt - 1);
            return NULL;
        }
        out[i] = (int)k;
    }
    return out;
}

static int read_quant(TfCtx *x, TfTensor *t, FbTable q)
{
    if (!q.pos) return 0;
    FbVec sv = fb_vec(&x->fb, q, Q_SCALE, 4), zv = fb_vec(&x->fb, q, Q_ZERO_POINT, 8);
    if (fb_check(x, "quantization")) return -1;
    if (fb_int(&x->fb, q, Q_DETAILS_TYPE, 1, 0, 0) != 0)
        return tf_err(x, "tensor '%s': custom quantization details are not supported", t->name);
    if (sv.len != zv.len && zv.len != 0)
        return tf_err(x, "tensor '%s': %u scales but %u zero points", t->name, sv.len, zv.len);
    if (sv.len > 1u << 20) return tf_err(x, "tensor '%s': %u scales", t->name, sv.len);
    t->nq = (int)sv.len;
    float *s = arena_alloc_array(&x->g->arena, sv.len + 1, sizeof(float));
    int64_t *z = arena_alloc_array(&x->g->arena, sv.len + 1, sizeof(int64_t));
    if (!s || !z) return tf_err(x, "out of memory");
    for (uint32_t i = 0; i < sv.len; i++) {
        s[i] = fb_vec_f32(&x->fb, sv, i);
        z[i] = zv.len ? fb_vec_int(&x->fb, zv, i, 1) : 0;
        if (!(s[i] > 0) || !isfinite(s[i]))
            return tf_err(x, "tensor '%s': quantization scale %g is not positive and finite",
                          t->name, (double)s[i]);
    }
    t->scale = s, t->zp = z;
    t->qdim = (int)fb_int(&x->fb, q, Q_DIM, 4, 1, 0);
    return fb_check(x, "quantization");
}

static int element_bytes(int type)
{
    switch (type) {
    case TF_FLOAT32:
    case TF_INT32: return 4;
    case TF_UINT8:
    case TF_INT8: return 1;
    case TF_INT64: return 8;
    case TF_INT16: return 2;
    default: return 0;
    }
}

static int read_tensor(TfCtx *x, FbTable tt, FbVec buffers, TfTensor *t)
{
    Fb *fb = &x->fb;
    t->ir = -1;
    t->name = str_copy(x, tt, T_NAME, "(unnamed)");
    t->type = (int)fb_int(fb, tt, T_TYPE, 1, 1, 0);
    FbVec sh = fb_vec(fb, tt, T_SHAPE, 4);
    if (fb_check(x, "tensor")) return -1;
    if (sh.len > TF_MAX_RANK) return tf_err(x, "tensor '%s' has rank %u", t->name, sh.len);
    t->rank = (int)sh.len;
    int64_t numel = 1;
    for (int i = 0; i < t->rank; i++) {
        t->shape[i] = fb_vec_int(fb, sh, (uint32_t)i, 1);
        if (t->shape[i] < 1 || t->shape[i] > 1 << 24)
            return tf_err(x, "tensor '%s' has dimension %lld", t->name, (long long)t->shape[i]);
        numel *= t->shape[i];
        if (numel > (int64_t)1 << 31) return tf_err(x, "tensor '%s' is too large", t->name);
    }
    if (fb_has(fb, tt, T_SPARSITY)) return tf_err(x, "tensor '%s' is sparse", t->name);
    uint64_t bi = (uint64_t)fb_int(fb, tt, T_BUFFER, 4, 0, 0);
    if (bi >= buffers.len && bi)
        return tf_err(x, "tensor '%s': buffer %llu of %u", t->name, (unsigned long long)bi,
                      buffers.len);
    if (bi) {
        FbTable bt = fb_vec_table(fb, buffers, (uint32_t)bi);
        FbVec d = fb_vec(fb, bt, B_DATA, 1);
        uint64_t off = (uint64_t)fb_int(fb, bt, B_OFFSET, 8, 0, 0);
        uint64_t sz = (uint64_t)fb_int(fb, bt, B_SIZE, 8, 0, 0);
        if (fb_check(x, "buffer")) return -1;
        if (d.len) {
            t->data = fb_vec_bytes(fb, d), t->nbytes = d.len;
        } else if (off > 1) { /* data after the flatbuffer, offsets from the file start */
            if (off > fb->n || sz > fb->n - off)
                return tf_err(x, "tensor '%s': buffer data outside the file", t->name);
            t->data = fb->p + off, t->nbytes = sz;
        }
        int eb = element_bytes(t->type);
        if (t->data && (!eb || t->nbytes != (uint64_t)numel * (uint64_t)eb))
            return tf_err(x, "tensor '%s': %llu data bytes for %lld elements of type %d", t->name,
                          (unsigned long long)t->nbytes, (long long)numel, t->type);
    }
    return read_quant(x, t, fb_table(fb, tt, T_QUANT));
}

/* builtin_code, or deprecated_builtin_code where a file keeps the operator
 * there (builtin_code 0 then): the larger of the two. */
static int read_opcode(TfCtx *x, FbTable oc, int *code)
{
    int64_t dep = fb_int(&x->fb, oc, OC_DEPRECATED, 1, 1, 0);
    int64_t b = fb_int(&x->fb, oc, OC_BUILTIN, 4, 1, 0);
    if (fb_check(x, "operator code")) return -1;
    *code = (int)(dep > b ? dep : b);
    return 0;
}

static int read_ops(TfCtx *x, FbTable sg, FbVec codes)
{
    Fb *fb = &x->fb;
    FbVec ov = fb_vec(fb, sg, SG_OPERATORS, 4);
    if (fb_check(x, "operators")) return -1;
    if (ov.len > 1u << 16) return tf_err(x, "%u operators", ov.len);
    x->nops = (int)ov.len;
    x->ops = arena_alloc_array(&x->g->arena, ov.len + 1, sizeof(TfOp));
    if (!x->ops) return tf_err(x, "out of memory");
    for (int i = 0; i < x->nops; i++) {
        TfOp *o = &x->ops[i];
        FbTable ot = fb_vec_table(fb, ov, (uint32_t)i);
        uint64_t ci = (uint64_t)fb_int(fb, ot, O_OPCODE, 4, 0, 0);
        if (fb_check(x, "operator")) return -1;
        if (ci >= codes.len)
            return tf_err(x, "operator %d: opcode index %llu of %u", i, (unsigned long long)ci,
                          codes.len);
        if (read_opcode(x, fb_vec_table(fb, codes, (uint32_t)ci), &o->code)) return -1;
        if (!(o->in = index_vec(x, ot, O_INPUTS, &o->nin, 1)) ||
            !(o->out = index_vec(x, ot, O_OUTPUTS, &o->nout, 0))) {
            fb_check(x, "operator");
            return -1;
        }
        o->opt_type = (int)fb_int(fb, ot, O_OPT_TYPE, 1, 0, 0);
        o->opt = fb_table(fb, ot, O_OPT);
        if (fb_check(x, "operator options")) return -1;
    }
    return 0;
}

static int read_model(TfCtx *x, const uint8_t *buf, size_t len)
{
    Fb *fb = &x->fb;
    FbTable m = fb_root(fb, buf, len);
    if (fb_check(x, "root")) return -1;
    int64_t ver = fb_int(fb, m, M_VERSION, 4, 0, 0);
    if (fb_check(x, "model")) return -1;
    if (ver != 3) return tf_err(x, "schema version %lld, expected 3", (long long)ver);
    FbVec sgs = fb_vec(fb, m, M_SUBGRAPHS, 4), codes = fb_vec(fb, m, M_OPCODES, 4);
    FbVec buffers = fb_vec(fb, m, M_BUFFERS, 4);
    if (fb_check(x, "model")) return -1;
    if (sgs.len < 1) return tf_err(x, "the model has no subgraph");
    if (sgs.len > 1) return tf_err(x, "the model has %u subgraphs; only one is supported", sgs.len);
    FbTable sg = fb_vec_table(fb, sgs, 0);
    FbVec tv = fb_vec(fb, sg, SG_TENSORS, 4);
    if (fb_check(x, "subgraph")) return -1;
    if (tv.len > 1u << 20) return tf_err(x, "%u tensors", tv.len);
    x->nt = (int)tv.len;
    x->t = arena_alloc_array(&x->g->arena, tv.len + 1, sizeof(TfTensor));
    if (!x->t) return tf_err(x, "out of memory");
    for (int i = 0; i < x->nt; i++)
        if (read_tensor(x, fb_vec_table(fb, tv, (uint32_t)i), buffers, &x->t[i])) return -1;
    if (read_ops(x, sg, codes)) return -1;
    int nin, nout;
    const int *in = index_vec(x, sg, SG_INPUTS, &nin, 0),
              *out = index_vec(x, sg, SG_OUTPUTS, &nout, 0);
    if (!in || !out) return -1;
    if (nin < 1 || nout < 1) return tf_err(x, "the subgraph has no inputs or no outputs");
    if (nin > DORY_MAX_INPUTS || nout > DORY_MAX_INPUTS)
        return tf_err(x, "more than %d graph inputs or outputs", DORY_MAX_INPUTS);
    for (int i = 0; i < nin; i++) {
        TfTensor *t = &x->t[in[i]];
        if (t->data) return tf_err(x, "graph input '%s' is constant", t->name);
        if (t->type == TF_FLOAT32)
            t->float_input = 1;
        else if (tf_act(x, in[i]) < 0)
            return -1;
    }
    for (int i = 0; i < x->nops; i++) {
        x->cur = i;
        if (tf_lower_op(x, i)) return -1;
    }
    x->cur = -1;
    for (int i = 0; i < nout; i++) {
        TfTensor *t = &x->t[out[i]];
        if (t->ir < 0) return tf_err(x, "graph output '%s' is computed by no operator", t->name);
        if (graph_add_output(x->g, t->ir) < 0) return -1;
    }
    const char *nm = str_copy(x, sg, SG_NAME, NULL);
    return (x->g->name = build_graph_name(&x->g->arena, nm, x->path)) ? 0 : -1;
}

Graph *tflite_load_buffer(const char *path, const unsigned char *buf, size_t len,
                          const FrontendOptions *opt)
{
    TfCtx x = {0};
    x.path = path;
    x.cur = -1;
    x.arith = opt && opt->tflite_arith && !strcmp(opt->tflite_arith, "litert") ? TF_ARITH_LITERT
                                                                               : TF_ARITH_TFLM;
    if (opt && opt->tflite_arith && strcmp(opt->tflite_arith, "litert") &&
        strcmp(opt->tflite_arith, "tflm")) {
        tf_err(&x, "unknown --tflite-arith '%s' (litert or tflm)", opt->tflite_arith);
        return NULL;
    }
    if (!(x.g = graph_new("model"))) return NULL;
    x.g->source = path;
    build_init(&x.b, x.g, SRC_SAME, build_err, &x);
    if (read_model(&x, buf, len) || graph_finalize(x.g)) {
        graph_free(x.g);
        return NULL;
    }
    return x.g;
}

static Graph *tflite_load(const char *path, const FrontendOptions *opt)
{
    return frontend_load_file(path, opt, tflite_load_buffer);
}

/* The file identifier "TFL3" at bytes 4..7, or the extension. */
static int tflite_sniff(const char *path, const unsigned char *head, size_t len)
{
    return util_ends_with(path, ".tflite") || (len >= 8 && !memcmp(head + 4, "TFL3", 4));
}

const Frontend tflite_frontend = {"tflite", "TFLite int8 (LiteRT / TFLite Micro arithmetic)",
                                  tflite_sniff, tflite_load};
