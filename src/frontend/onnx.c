/* onnx.c: the ONNX frontend's entry point: protobuf decoding (protobuf-c,
 * schema compiled at build time), initializers (typed fields, raw_data,
 * external data files beside the model), attributes, the value table,
 * dialect detection and the walk over the graph. onnx_lower*.c lower ops.
 *
 * Every size and index in the file is untrusted: check before use, report
 * with onnx_err() (file, node, op, reason), never abort. Must not contain
 * op lowering rules.
 */
#include "onnx.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- Diagnostics -------------------------------------------------------- */

/* Names in a corrupted file may hold any bytes: diagnostics show '?'. */
static char *printable(char *s)
{
    for (unsigned char *p = (unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p >= 0x7f) *p = '?';
    return s;
}

int onnx_err(OnnxCtx *x, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    printable(msg);
    DiagLoc loc = {x->path, 0, NULL, NULL};
    char node[128], op[64];
    if (x->cur) {
        const char *nm = x->cur->name && x->cur->name[0]         ? x->cur->name
                         : x->cur->n_output && x->cur->output[0] ? x->cur->output[0]
                                                                 : "(unnamed)";
        snprintf(node, sizeof node, "%s", nm);
        snprintf(op, sizeof op, "%s", x->cur->op_type ? x->cur->op_type : "(no op_type)");
        loc.node = printable(node), loc.op = printable(op);
    }
    return diag_error(loc, "%s", msg);
}

/* The builders report through onnx_err, so their messages name the node. */
static int build_err(void *ctx, const char *msg) { return onnx_err(ctx, "%s", msg); }

/* ---- Value table: open addressing on names ------------------------------ */

static OnnxVal *slot(OnnxCtx *x, const char *name)
{
    size_t i = build_name_hash(name) & (x->nvals_cap - 1);
    while (x->vals[i].name && strcmp(x->vals[i].name, name) != 0) i = (i + 1) & (x->nvals_cap - 1);
    return &x->vals[i];
}

OnnxVal *onnx_val(OnnxCtx *x, const char *name)
{
    if (!name || !name[0]) return NULL;
    OnnxVal *v = slot(x, name);
    return v->name ? v : NULL;
}

/* Consumer counts per value name (open addressing). */
typedef struct UseCount {
    const char *name;
    int count;
} UseCount;

/* The slot of `name`, inserted if new. The table holds at least twice the
 * names ever inserted (count_uses sizes it from every node input), so the
 * probe always meets an empty slot. */
static UseCount *use_slot(UseCount *t, size_t cap, const char *name)
{
    size_t i = build_name_hash(name) & (cap - 1);
    while (t[i].name && strcmp(t[i].name, name) != 0) i = (i + 1) & (cap - 1);
    t[i].name = name;
    return &t[i];
}

/* Consumers of `name` (0 if it has none); never inserts, so looking up the
 * many names that no node reads (unused initializers) cannot fill the table. */
static UseCount *use_find(UseCount *t, size_t cap, const char *name)
{
    size_t i = build_name_hash(name) & (cap - 1);
    while (t[i].name && strcmp(t[i].name, name) != 0) i = (i + 1) & (cap - 1);
    return t[i].name ? &t[i] : NULL;
}

static int use_count(UseCount *t, size_t cap, const char *name)
{
    const UseCount *u = use_find(t, cap, name);
    return u ? u->count : 0;
}

static UseCount *count_uses(OnnxCtx *x, const Onnx__GraphProto *gp, size_t *capp)
{
    size_t edges = 1 + gp->n_output, cap = 16;
    for (size_t i = 0; i < gp->n_node; i++) edges += gp->node[i]->n_input;
    while (cap < 2 * edges) cap *= 2;
    UseCount *uses = arena_alloc_array(&x->g->arena, cap, sizeof(UseCount));
    if (!uses) return NULL;
    for (size_t i = 0; i < gp->n_node; i++)
        for (size_t k = 0; k < gp->node[i]->n_input; k++)
            if (gp->node[i]->input[k][0]) use_slot(uses, cap, gp->node[i]->input[k])->count++;
    *capp = cap;
    return uses;
}

OnnxVal *onnx_def(OnnxCtx *x, const char *name)
{
    if (!name || !name[0]) {
        onnx_err(x, "an output has an empty name");
        return NULL;
    }
    OnnxVal *v = slot(x, name);
    if (v->name) {
        onnx_err(x, "value '%s' is defined twice", name);
        return NULL;
    }
    v->name = name;
    v->tensor = -1;
    if (x->uses) v->nuses = use_count(x->uses, x->uses_cap, name);
    return v;
}

/* ---- Attributes --------------------------------------------------------- */

const Onnx__AttributeProto *onnx_attr(const Onnx__NodeProto *n, const char *name)
{
    for (size_t i = 0; i < n->n_attribute; i++)
        if (n->attribute[i]->name && strcmp(n->attribute[i]->name, name) == 0)
            return n->attribute[i];
    return NULL;
}

int64_t onnx_attr_int(const Onnx__NodeProto *n, const char *name, int64_t dflt)
{
    const Onnx__AttributeProto *a = onnx_attr(n, name);
    return a && a->has_i ? a->i : dflt;
}

float onnx_attr_float(const Onnx__NodeProto *n, const char *name, float dflt)
{
    const Onnx__AttributeProto *a = onnx_attr(n, name);
    return a && a->has_f ? a->f : dflt;
}

int onnx_attr_ints(const Onnx__NodeProto *n, const char *name, int64_t *out, int max)
{
    const Onnx__AttributeProto *a = onnx_attr(n, name);
    if (!a) return 0;
    if (a->n_ints > (size_t)max) return -1;
    for (size_t i = 0; i < a->n_ints; i++) out[i] = a->ints[i];
    return (int)a->n_ints;
}

const char *onnx_attr_str(OnnxCtx *x, const Onnx__NodeProto *n, const char *name)
{
    const Onnx__AttributeProto *a = onnx_attr(n, name);
    if (!a || !a->has_s) return NULL;
    return arena_strndup(&x->g->arena, (const char *)a->s.data, a->s.len);
}

/* ---- Tensor decoding ---------------------------------------------------- */

static int elem_size(int elem)
{
    switch (elem) {
    case ONNX_UINT8:
    case ONNX_INT8:
    case ONNX_BOOL: return 1;
    case ONNX_UINT16:
    case ONNX_INT16: return 2;
    case ONNX_FLOAT:
    case ONNX_INT32:
    case ONNX_UINT32: return 4;
    case ONNX_INT64:
    case ONNX_DOUBLE:
    case ONNX_UINT64: return 8;
    default: return 0;
    }
}

/* Little-endian element i of raw bytes, as a double. */
static double raw_elem(int elem, const unsigned char *p)
{
    uint64_t u = 0;
    int sz = elem_size(elem);
    for (int i = sz - 1; i >= 0; i--) u = (u << 8) | p[i];
    switch (elem) {
    case ONNX_FLOAT: {
        float f;
        uint32_t w = (uint32_t)u;
        memcpy(&f, &w, 4);
        return f;
    }
    case ONNX_DOUBLE: {
        double d;
        memcpy(&d, &u, 8);
        return d;
    }
    case ONNX_INT8: return (int8_t)u;
    case ONNX_INT16: return (int16_t)u;
    case ONNX_INT32: return (int32_t)u;
    case ONNX_INT64: return (double)(int64_t)u;
    default: return (double)u;
    }
}

/* Reads `len` bytes at `offset` of an external data file beside the model. */
static unsigned char *read_external(OnnxCtx *x, const Onnx__TensorProto *t, size_t need)
{
    const char *loc = NULL;
    int64_t offset = 0, length = -1;
    for (size_t i = 0; i < t->n_external_data; i++) {
        const Onnx__StringStringEntryProto *e = t->external_data[i];
        if (!e->key || !e->value) continue;
        if (!strcmp(e->key, "location"))
            loc = e->value;
        else if (!strcmp(e->key, "offset"))
            offset = strtoll(e->value, NULL, 10);
        else if (!strcmp(e->key, "length"))
            length = strtoll(e->value, NULL, 10);
    }
    if (!loc || !loc[0] || loc[0] == '/' || strstr(loc, ".."))
        return onnx_err(x, "initializer '%s': bad external data location", t->name), NULL;
    if (offset < 0 || (length >= 0 && (uint64_t)length != need))
        return onnx_err(x,
                        "initializer '%s': external data offset/length do not match its "
                        "shape",
                        t->name),
               NULL;
    const char *path = arena_printf(&x->g->arena, "%s%s", x->dir, loc);
    FILE *f = path ? util_open_input(path) : NULL;
    if (!f)
        return onnx_err(x, "initializer '%s': cannot use external data file '%s'", t->name, loc),
               NULL;
    unsigned char *buf = arena_alloc(&x->g->arena, need ? need : 1);
    int ok = buf && fseek(f, (long)offset, SEEK_SET) == 0 && fread(buf, 1, need, f) == need;
    fclose(f);
    if (!ok)
        return onnx_err(x, "initializer '%s': external data file '%s' is too short", t->name, loc),
               NULL;
    return buf;
}

static int typed_count(const Onnx__TensorProto *t, int elem, size_t *n)
{
    switch (elem) {
    case ONNX_FLOAT: *n = t->n_float_data; return 0;
    case ONNX_INT64: *n = t->n_int64_data; return 0;
    case ONNX_DOUBLE: *n = t->n_double_data; return 0;
    case ONNX_UINT32:
    case ONNX_UINT64: *n = t->n_uint64_data; return 0;
    default: *n = t->n_int32_data; return 0;
    }
}

static double typed_elem(const Onnx__TensorProto *t, int elem, size_t i)
{
    switch (elem) {
    case ONNX_FLOAT: return t->float_data[i];
    case ONNX_INT64: return (double)t->int64_data[i];
    case ONNX_DOUBLE: return t->double_data[i];
    case ONNX_UINT32:
    case ONNX_UINT64: return (double)t->uint64_data[i];
    case ONNX_UINT8: return (uint8_t)t->int32_data[i];
    case ONNX_INT8: return (int8_t)t->int32_data[i];
    default: return t->int32_data[i];
    }
}

int onnx_decode_tensor(OnnxCtx *x, const Onnx__TensorProto *t, OnnxConst *out)
{
    const char *name = t->name ? t->name : "(unnamed)";
    memset(out, 0, sizeof *out);
    out->elem = t->has_data_type ? t->data_type : 0;
    int sz = elem_size(out->elem);
    if (!sz) return onnx_err(x, "tensor '%s': element type %d is not supported", name, out->elem);
    if (t->n_dims > ONNX_MAX_RANK) return onnx_err(x, "tensor '%s': rank too large", name);
    out->rank = (int)t->n_dims;
    out->numel = 1;
    for (size_t i = 0; i < t->n_dims; i++) {
        out->dims[i] = t->dims[i];
        if (t->dims[i] < 0 || util_mul_i64(out->numel, t->dims[i], &out->numel) ||
            out->numel > ((int64_t)1 << 28))
            return onnx_err(x, "tensor '%s': bad or too large shape", name);
    }
    size_t need = (size_t)out->numel * (size_t)sz;
    const unsigned char *raw = NULL;
    if (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) {
        if (!(raw = read_external(x, t, need))) return -1;
    } else if (t->has_raw_data) {
        if (t->raw_data.len != need)
            return onnx_err(x, "tensor '%s': raw_data has %zu bytes, its shape needs %zu", name,
                            (size_t)t->raw_data.len, need);
        raw = t->raw_data.data;
    } else {
        size_t n;
        typed_count(t, out->elem, &n);
        if (n != (size_t)out->numel)
            return onnx_err(x, "tensor '%s': has %zu values, its shape needs %lld", name, n,
                            (long long)out->numel);
    }
    out->v = arena_alloc_array(&x->g->arena, (size_t)(out->numel ? out->numel : 1), sizeof(double));
    if (!out->v) return -1;
    for (int64_t i = 0; i < out->numel; i++) {
        double v = raw ? raw_elem(out->elem, raw + i * sz) : typed_elem(t, out->elem, (size_t)i);
        if ((out->elem == ONNX_INT64 || out->elem == ONNX_UINT64) && fabs(v) > 9007199254740992.0)
            return onnx_err(x, "tensor '%s': 64-bit value beyond 2^53", name);
        out->v[i] = v;
    }
    return 0;
}

/* ---- Dialects ----------------------------------------------------------- */

const char *onnx_dialect_name(Dialect d)
{
    static const char *const names[] = {"auto", "qdq", "qop", "nemo", "quantlab"};
    return names[d];
}

static int is_qop_op(const char *op)
{
    static const char *const ops[] = {
        "QLinearConv",     "QLinearMatMul",      "QGemm",
        "QLinearAdd",      "QLinearAveragePool", "QLinearGlobalAveragePool",
        "QLinearConcat",   "QLinearMul",         "QLinearSigmoid",
        "QLinearLeakyRelu"};
    for (size_t i = 0; i < DORY_ARRAY_LEN(ops); i++)
        if (!strcmp(op, ops[i])) return 1;
    return 0;
}

/* QOperator if any QLinear* op, else QDQ if any Q/DQ, else QuantLab if its
 * exporter's marks (bit-width attributes, _QL_ names), else NEMO. */
static Dialect detect_dialect(const Onnx__GraphProto *gp)
{
    int qdq = 0, ql = 0;
    for (size_t i = 0; i < gp->n_node; i++) {
        const Onnx__NodeProto *n = gp->node[i];
        if (!n->op_type) continue; /* reported by check_node() */
        if (is_qop_op(n->op_type)) return DIALECT_QOP;
        if (!strcmp(n->op_type, "QuantizeLinear") || !strcmp(n->op_type, "DequantizeLinear"))
            qdq = 1;
        if (onnx_attr(n, "out_bits") || onnx_attr(n, "weight_bits") || onnx_attr(n, "in1_mul") ||
            !strcmp(n->op_type, "RequantShift"))
            ql = 1;
    }
    for (size_t i = 0; i < gp->n_initializer; i++)
        if (gp->initializer[i]->name && strstr(gp->initializer[i]->name, "_QL_")) ql = 1;
    return qdq ? DIALECT_QDQ : ql ? DIALECT_QUANTLAB : DIALECT_NEMO;
}

static int parse_dialect(OnnxCtx *x, const char *s, Dialect *out)
{
    for (int d = DIALECT_QDQ; d <= DIALECT_QUANTLAB; d++)
        if (!strcmp(s, onnx_dialect_name((Dialect)d))) {
            *out = (Dialect)d;
            return 0;
        }
    return onnx_err(x, "unknown ONNX dialect '%s' (qdq, qop, nemo, quantlab)", s);
}

/* ---- Graph walk --------------------------------------------------------- */

static int str_ok(const char *s) { return s && s[0]; }

/* Inputs and outputs an op takes (ONNX's operator schemas, the ops dory
 * lowers); -1: no upper bound. A node outside them is malformed, as
 * onnx.checker would say, not a variant to guess at. */
typedef struct Arity {
    const char *op;
    int in_min, in_max, out_min, out_max;
} Arity;

static const Arity arities[] = {
    {"Conv", 2, 3, 1, 1},
    {"QLinearConv", 8, 9, 1, 1},
    {"ConvInteger", 2, 4, 1, 1},
    {"MatMul", 2, 2, 1, 1},
    {"MatMulInteger", 2, 4, 1, 1},
    {"QLinearMatMul", 8, 8, 1, 1},
    {"Gemm", 2, 3, 1, 1},
    {"QGemm", 6, 9, 1, 1},
    {"QuantizeLinear", 2, 3, 1, 1},
    {"DequantizeLinear", 2, 3, 1, 1},
    {"Add", 2, 2, 1, 1},
    {"Sub", 2, 2, 1, 1},
    {"Mul", 2, 2, 1, 1},
    {"Div", 2, 2, 1, 1},
    {"QLinearAdd", 7, 8, 1, 1},
    {"QLinearMul", 7, 8, 1, 1},
    {"Relu", 1, 1, 1, 1},
    {"Clip", 1, 3, 1, 1},
    {"Floor", 1, 1, 1, 1},
    {"Round", 1, 1, 1, 1},
    {"Cast", 1, 1, 1, 1},
    {"Identity", 1, 1, 1, 1},
    {"MaxPool", 1, 1, 1, 2},
    {"AveragePool", 1, 1, 1, 1},
    {"GlobalAveragePool", 1, 1, 1, 1},
    {"QLinearAveragePool", 5, 5, 1, 1},
    {"QLinearGlobalAveragePool", 5, 5, 1, 1},
    {"Reshape", 1, 2, 1, 1},
    {"Flatten", 1, 1, 1, 1},
    {"Squeeze", 1, 2, 1, 1},
    {"Unsqueeze", 1, 2, 1, 1},
    {"Transpose", 1, 1, 1, 1},
    {"Pad", 1, 4, 1, 1},
    {"BatchNormalization", 5, 5, 1, 3},
    {"Concat", 1, -1, 1, 1},
    {"QLinearConcat", 5, -1, 1, 1},
    {"ReduceMean", 1, 2, 1, 1},
    {"RequantShift", 3, 3, 1, 1},
};

/* The type an attribute must have where dory reads it. */
typedef struct AttrType {
    const char *name;
    Onnx__AttributeProto__AttributeType type;
} AttrType;

static const AttrType attr_types[] = {
    {"kernel_shape", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS},
    {"strides", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS},
    {"pads", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS},
    {"dilations", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS},
    {"group", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT},
    {"auto_pad", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING},
    {"ceil_mode", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT},
    {"count_include_pad", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT},
    {"axis", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT},
    {"axes", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS},
    {"keepdims", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT},
    {"transA", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT},
    {"transB", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT},
    {"alpha", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT},
    {"beta", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT},
    {"epsilon", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT},
    {"to", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT},
    {"perm", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS},
};

static int check_arity(OnnxCtx *x, const Onnx__NodeProto *n)
{
    for (size_t i = 0; i < DORY_ARRAY_LEN(arities); i++) {
        const Arity *a = &arities[i];
        if (strcmp(n->op_type, a->op)) continue;
        if ((int64_t)n->n_input < a->in_min || (a->in_max >= 0 && (int64_t)n->n_input > a->in_max))
            return onnx_err(x, "%zu inputs; %s takes %d to %d", n->n_input, a->op, a->in_min,
                            a->in_max);
        if ((int64_t)n->n_output < a->out_min || (int64_t)n->n_output > a->out_max)
            return onnx_err(x, "%zu outputs; %s has %d to %d", n->n_output, a->op, a->out_min,
                            a->out_max);
    }
    return 0;
}

/* An attribute's declared type matches its value, and the known ones have
 * the type dory reads them as (else they would be read from another field). */
static int check_attr(OnnxCtx *x, const Onnx__AttributeProto *a)
{
    typedef Onnx__AttributeProto__AttributeType T;
    T t = a->has_type ? a->type : ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED;
    int ok = t == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT      ? a->has_i
             : t == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT  ? a->has_f
             : t == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING ? a->has_s
             : t == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR ? a->t != NULL
                                                                  : 1;
    if (!ok) return onnx_err(x, "attribute '%s' declares a type its value does not have", a->name);
    for (size_t i = 0; i < DORY_ARRAY_LEN(attr_types); i++)
        if (!strcmp(a->name, attr_types[i].name) && t != attr_types[i].type)
            return onnx_err(x, "attribute '%s' has the wrong type (%d, expected %d)", a->name,
                            (int)t, (int)attr_types[i].type);
    return 0;
}

/* RequantShift's domains (Deeploy, QuantLib, onnxruntime-extensions). */
static int rqs_domain(const Onnx__NodeProto *n)
{
    return !strcmp(n->op_type, "RequantShift") &&
           (!strcmp(n->domain, "PACTOps") || !strcmp(n->domain, "ai.onnx.contrib"));
}

/* Structural checks the rest of the frontend relies on. */
static int check_node(OnnxCtx *x, const Onnx__NodeProto *n)
{
    if (!str_ok(n->op_type)) return onnx_err(x, "node without op_type");
    for (size_t i = 0; i < n->n_input; i++)
        if (!n->input[i]) return onnx_err(x, "null input name");
    for (size_t i = 0; i < n->n_output; i++)
        if (!n->output[i]) return onnx_err(x, "null output name");
    if (n->domain && n->domain[0] && strcmp(n->domain, "ai.onnx") &&
        strcmp(n->domain, "com.microsoft") && !rqs_domain(n))
        return onnx_err(x, "operator domain '%s' is not supported", n->domain);
    for (size_t i = 0; i < n->n_attribute; i++) {
        if (!n->attribute[i]->name) return onnx_err(x, "attribute without a name");
        if (check_attr(x, n->attribute[i])) return -1;
        for (size_t k = 0; k < i; k++)
            if (!strcmp(n->attribute[k]->name, n->attribute[i]->name))
                return onnx_err(x, "attribute '%s' is given twice", n->attribute[i]->name);
    }
    return check_arity(x, n);
}

/* A node is part of the float tail (integer dialects only) when its op only
 * post-processes the network's result (LogSoftmax, Sigmoid, Gather, ...) and
 * each of its outputs feeds only graph outputs or other tail nodes. DORY
 * deploys up to the tail; so does dory. Linear in the graph size. */
static int mark_tail(OnnxCtx *x, const Onnx__GraphProto *gp, char *tail)
{
    size_t cap;
    UseCount *uses = count_uses(x, gp, &cap);
    if (!uses) return -1;
    int changed = 1;
    while (changed) {
        changed = 0;
        for (size_t i = gp->n_node; i-- > 0;) {
            const Onnx__NodeProto *n = gp->node[i];
            if (tail[i] || !onnx_is_tail_op(n->op_type)) continue;
            int ok = 1;
            for (size_t o = 0; o < n->n_output && ok; o++)
                ok = use_count(uses, cap, n->output[o]) == 0;
            if (!ok) continue;
            tail[i] = 1, changed = 1;
            for (size_t k = 0; k < n->n_input; k++) use_slot(uses, cap, n->input[k])->count--;
        }
    }
    return 0;
}

static int declare_inputs(OnnxCtx *x, const Onnx__GraphProto *gp)
{
    for (size_t i = 0; i < gp->n_initializer; i++) {
        const Onnx__TensorProto *t = gp->initializer[i];
        OnnxVal *v = onnx_def(x, t->name);
        if (!v || onnx_decode_tensor(x, t, &v->c)) return -1;
        v->kind = OV_CONST;
    }
    for (size_t i = 0; i < gp->n_input; i++) {
        const Onnx__ValueInfoProto *vi = gp->input[i];
        if (!str_ok(vi->name)) return onnx_err(x, "graph input without a name");
        if (onnx_val(x, vi->name)) continue; /* an initializer (old exporters list them) */
        const Onnx__TypeProto *tp = vi->type;
        if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type ||
            !tp->tensor_type->shape)
            return onnx_err(x, "graph input '%s' is not a tensor with a known shape", vi->name);
        const Onnx__TensorShapeProto *sh = tp->tensor_type->shape;
        if (sh->n_dim < 2 || sh->n_dim > 4)
            return onnx_err(x,
                            "graph input '%s': rank %zu is not supported: dory's activations are "
                            "[1,C], [1,C,W] or [1,C,H,W] (batch first, then channels)",
                            vi->name, sh->n_dim);
        OnnxVal *v = onnx_def(x, vi->name);
        if (!v) return -1;
        v->orank = (int)sh->n_dim;
        for (size_t d = 0; d < sh->n_dim; d++) {
            const Onnx__TensorShapeProto__Dimension *dm = sh->dim[d];
            int64_t dv = dm->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE
                             ? dm->dim_value
                             : (d == 0 ? 1 : -1);
            if (d == 0 && dv != 1 && dv > 0)
                return onnx_err(x,
                                "graph input '%s': batch %lld: dory compiles one inference at a "
                                "time (batch 1); export the model with batch 1 or a symbolic "
                                "batch",
                                vi->name, (long long)dv);
            if (dv <= 0 || dv > (1 << 20))
                return onnx_err(x,
                                "graph input '%s': dimension %zu is %s: dory plans fixed sizes "
                                "(export with a fixed input size)",
                                vi->name, d, dv <= 0 ? "not known" : "above 2^20");
            v->oshape[d] = dv;
        }
        v->kind = OV_FIN;
        int elem = tp->tensor_type->has_elem_type ? tp->tensor_type->elem_type : 0;
        if (elem == 0 ||
            !protobuf_c_enum_descriptor_get_value(&onnx__tensor_proto__data_type__descriptor, elem))
            return onnx_err(x, "graph input '%s': element type %d is not an ONNX type", vi->name,
                            elem);
        v->c.elem = elem;
    }
    return 0;
}

static int declare_outputs(OnnxCtx *x, const Onnx__GraphProto *gp, const char *tail)
{
    for (size_t i = 0; i < gp->n_output; i++) {
        const char *name = gp->output[i]->name;
        OnnxVal *v = onnx_val(x, name);
        if (!v) continue; /* produced by the dropped tail */
        if (onnx_materialize(x, v)) return -1;
        if (v->kind != OV_ACT && v->kind != OV_DQ)
            return onnx_err(x, "graph output '%s' is not an activation", name);
        int dup = 0;
        for (int k = 0; k < x->g->noutputs; k++) dup |= x->g->outputs[k] == v->tensor;
        if (!dup && graph_add_output(x->g, v->tensor)) return -1;
    }
    /* Inputs of the tail become outputs. */
    for (size_t i = 0; i < gp->n_node; i++) {
        if (!tail[i]) continue;
        for (size_t k = 0; k < gp->node[i]->n_input; k++) {
            OnnxVal *v = onnx_val(x, gp->node[i]->input[k]);
            if (!v || v->kind == OV_CONST || v->kind == OV_UNDEF) continue;
            if (onnx_materialize(x, v)) return -1;
            if (v->kind != OV_ACT && v->kind != OV_DQ) continue;
            int dup = 0;
            for (int j = 0; j < x->g->noutputs; j++) dup |= x->g->outputs[j] == v->tensor;
            if (!dup && graph_add_output(x->g, v->tensor)) return -1;
        }
    }
    if (x->g->noutputs == 0) return onnx_err(x, "the graph has no integer output");
    return 0;
}

/* As onnx.checker: every graph output is a node's output, an initializer
 * or a graph input. Linear: the outputs' names in a table, each defined name
 * looked up once. */
static void mark_defined(UseCount *t, size_t cap, const char *name)
{
    UseCount *u = name && name[0] ? use_find(t, cap, name) : NULL;
    if (u) u->count = 1;
}

static int check_outputs_defined(OnnxCtx *x, const Onnx__GraphProto *gp)
{
    size_t cap = 16;
    while (cap < 2 * gp->n_output + 2) cap *= 2;
    UseCount *outs = arena_alloc_array(&x->g->arena, cap, sizeof(UseCount));
    if (!outs) return -1;
    for (size_t i = 0; i < gp->n_output; i++) {
        if (!str_ok(gp->output[i]->name)) return onnx_err(x, "graph output %zu has no name", i);
        use_slot(outs, cap, gp->output[i]->name);
    }
    for (size_t k = 0; k < gp->n_node; k++)
        for (size_t o = 0; o < gp->node[k]->n_output; o++)
            mark_defined(outs, cap, gp->node[k]->output[o]);
    for (size_t k = 0; k < gp->n_initializer; k++)
        mark_defined(outs, cap, gp->initializer[k]->name);
    for (size_t k = 0; k < gp->n_input; k++) mark_defined(outs, cap, gp->input[k]->name);
    for (size_t i = 0; i < gp->n_output; i++)
        if (!use_count(outs, cap, gp->output[i]->name))
            return onnx_err(x, "graph output '%s' is not computed by any node",
                            gp->output[i]->name);
    return 0;
}

static int lower_graph(OnnxCtx *x, const Onnx__GraphProto *gp)
{
    size_t cap = 64;
    size_t want = 2 * (gp->n_initializer + gp->n_input + 1);
    for (size_t i = 0; i < gp->n_node; i++) want += 2 * gp->node[i]->n_output;
    while (cap < want) cap *= 2;
    x->nvals_cap = cap;
    x->vals = arena_alloc_array(&x->g->arena, cap, sizeof(OnnxVal));
    char *tail = arena_alloc(&x->g->arena, gp->n_node + 1);
    if (!x->vals || !tail) return -1;
    for (size_t i = 0; i < gp->n_node; i++) {
        x->cur = gp->node[i];
        if (check_node(x, gp->node[i])) return -1;
    }
    x->cur = NULL;
    if (!(x->uses = count_uses(x, gp, &x->uses_cap))) return -1;
    for (size_t i = 0; i < gp->n_output; i++)
        if (gp->output[i]->name) use_slot(x->uses, x->uses_cap, gp->output[i]->name)->count++;
    if (check_outputs_defined(x, gp) || declare_inputs(x, gp)) return -1;
    if ((x->dialect == DIALECT_NEMO || x->dialect == DIALECT_QUANTLAB) && mark_tail(x, gp, tail))
        return -1;
    int errors = diag_error_count(); /* a handler that reports and goes on still fails */
    for (size_t i = 0; i < gp->n_node; i++) {
        if (tail[i]) continue;
        x->cur = gp->node[i];
        if (onnx_lower_node(x, gp->node[i]) || diag_error_count() != errors) return -1;
    }
    x->cur = NULL;
    if (x->g->ninputs == 0) return onnx_err(x, "no graph input reaches an integer operator");
    return declare_outputs(x, gp, tail);
}

static int model_opset(OnnxCtx *x)
{
    int64_t v = -1; /* the 64-bit field as written: no truncation to int before the check */
    for (size_t i = 0; i < x->m->n_opset_import; i++) {
        const Onnx__OperatorSetIdProto *o = x->m->opset_import[i];
        if ((!o->domain || !o->domain[0] || !strcmp(o->domain, "ai.onnx")) && o->has_version) {
            if (v >= 0 && v != o->version)
                return onnx_err(x, "the default domain is imported twice (opsets %lld and %lld)",
                                (long long)v, (long long)o->version);
            v = o->version;
            if (v < 0) return onnx_err(x, "opset %lld is not a version", (long long)v);
        }
    }
    if (v < 0) return onnx_err(x, "the model imports no opset of the default ONNX domain");
    if (v < 7 || v > 23)
        return onnx_err(x, "opset %lld is not supported (10 to 21 are tested)", (long long)v);
    x->opset = (int)v;
    return 0;
}

static const char *model_dir(Arena *a, const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? arena_strndup(a, path, (size_t)(slash - path + 1)) : "";
}

/* protobuf-c allocates the unpacked message through the compiler's hook too */
static void *pb_alloc(void *data, size_t size)
{
    (void)data;
    return util_malloc(size);
}

static void pb_free(void *data, void *ptr)
{
    (void)data;
    free(ptr);
}

static ProtobufCAllocator pb_allocator = {pb_alloc, pb_free, NULL};

Graph *onnx_load_buffer(const char *path, const unsigned char *buf, size_t len,
                        const FrontendOptions *opt)
{
    Graph *g = graph_new(NULL);
    if (!g) return NULL;
    OnnxCtx x;
    memset(&x, 0, sizeof x);
    x.g = g;
    build_init(&x.b, g, SRC_CHW, build_err, &x);
    x.path = g->source = arena_strdup(&g->arena, path);
    x.dir = model_dir(&g->arena, path);
    x.m = onnx__model_proto__unpack(&pb_allocator, len, buf);
    int rc = -1;
    if (!x.m) {
        onnx_err(&x, "not a valid ONNX protobuf (truncated or corrupted file)");
        goto out;
    }
    if (!x.m->graph) {
        onnx_err(&x, "the model has no graph");
        goto out;
    }
    /* never the path on the command line: it would leak into generated files */
    if (!(g->name = build_graph_name(&g->arena, x.m->graph->name, path))) goto out;
    if (!x.m->has_ir_version || x.m->ir_version < 3) {
        /* onnx.checker refuses these too: IR version 3 introduced opset imports */
        onnx_err(&x, "ONNX IR version %lld: dory reads IR version 3 and later",
                 (long long)x.m->ir_version);
        goto out;
    }
    if (model_opset(&x)) goto out;
    Dialect found = detect_dialect(x.m->graph);
    x.dialect = found;
    x.signed_input = opt && opt->signed_input;
    if (opt && opt->dialect && parse_dialect(&x, opt->dialect, &x.dialect)) goto out;
    rc = lower_graph(&x, x.m->graph);
out:
    if (x.m) onnx__model_proto__free_unpacked(x.m, &pb_allocator);
    if (rc) {
        graph_free(g);
        return NULL;
    }
    return g;
}

static Graph *onnx_load(const char *path, const FrontendOptions *opt)
{
    return frontend_load_file(path, opt, onnx_load_buffer);
}

/* A ModelProto starts with field 1 (ir_version, varint: 0x08) in every
 * exporter we know; the extension decides otherwise. */
static int onnx_sniff(const char *path, const unsigned char *head, size_t len)
{
    return util_ends_with(path, ".onnx") || (len > 2 && head[0] == 0x08 && head[1] < 0x20);
}

const Frontend onnx_frontend = {"onnx", "ONNX (QDQ, QOperator, NEMO, QuantLab dialects)",
                                onnx_sniff, onnx_load};
