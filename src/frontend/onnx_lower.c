/* onnx_lower.c: lowering of ONNX ops to the IR, shared by the four dialects.
 *
 * Each handler looks at what its inputs mean (OnnxVal: constant, activation,
 * dequantized activation, pending accumulator) and either creates an IR node
 * or extends a pending epilogue:
 *  - integer dialects (NEMO, QuantLab): Conv/Gemm/MatMul/pools open an
 *    accumulator; Mul/Add by constants, Cast, Div, Floor collect
 *    (k*acc + l) / D; Clip/Relu or any other consumer close it into a SHIFT
 *    requant (a non-power-of-two D becomes an exact multiply-shift);
 *  - QDQ: DequantizeLinear -> op -> QuantizeLinear groups become one node
 *    with a FLOAT requant computed in onnxruntime's fp32 operation order;
 *  - QOperator: each QLinear* op is one node, same arithmetic.
 * Must not read files or protobuf bytes (onnx.c does); must not know which
 * target runs the result.
 */
#include <math.h>
#include <string.h>

#include "onnx.h"

/* ---- Small helpers ------------------------------------------------------ */

static OnnxVal *input(OnnxCtx *x, const Onnx__NodeProto *n, size_t i)
{
    if (i >= n->n_input || !n->input[i][0]) return NULL;
    OnnxVal *v = onnx_val(x, n->input[i]);
    if (!v) onnx_err(x, "input '%s' is used before it is defined", n->input[i]);
    return v;
}

/* Required input: NULL (with a diagnostic) if absent. */
static OnnxVal *need(OnnxCtx *x, const Onnx__NodeProto *n, size_t i)
{
    if (i >= n->n_input || !n->input[i][0]) {
        onnx_err(x, "input %zu is missing", i);
        return NULL;
    }
    return input(x, n, i);
}

static OnnxVal *output(OnnxCtx *x, const Onnx__NodeProto *n)
{
    if (n->n_output < 1) {
        onnx_err(x, "node has no output");
        return NULL;
    }
    return onnx_def(x, n->output[0]);
}

static const char *node_name(const Onnx__NodeProto *n)
{
    return n->name && n->name[0] ? n->name : n->output[0];
}

static int is_const(const OnnxVal *v) { return v && v->kind == OV_CONST; }

/* `out` means the same as `v` (pass-through ops); keeps its name and uses. */
static void alias(OnnxVal *out, const OnnxVal *v)
{
    const char *name = out->name;
    int nuses = out->nuses;
    *out = *v;
    out->name = name, out->nuses = nuses;
}
static int is_int_elem(int e) { return e != ONNX_FLOAT && e != ONNX_DOUBLE; }

/* A double clamped into [lo, hi] before conversion (NaN -> lo): values from
 * the file can be anything, and an out-of-range conversion is undefined. */
static int64_t clamp_i64(double v, int64_t lo, int64_t hi)
{
    if (!(v >= (double)lo)) return lo;
    if (v >= (double)hi) return hi;
    return (int64_t)v;
}

static int scalar(OnnxCtx *x, const OnnxVal *v, const char *what, double *out)
{
    *out = 0;
    if (!is_const(v) || v->c.numel != 1) return onnx_err(x, "%s must be a scalar constant", what);
    *out = v->c.v[0];
    return 0;
}

static Tensor *T(OnnxCtx *x, int id) { return graph_tensor(x->g, id); }

static DType dtype_for_range(int64_t lo, int64_t hi)
{
    if (lo >= 0 && hi <= 255) return DT_U8;
    if (lo >= -128 && hi <= 127) return DT_I8;
    return DT_I32;
}

static int dtype_of_elem(OnnxCtx *x, int elem, DType *dt)
{
    if (elem == ONNX_UINT8)
        *dt = DT_U8;
    else if (elem == ONNX_INT8)
        *dt = DT_I8;
    else if (elem == ONNX_INT32)
        *dt = DT_I32;
    else
        return onnx_err(x, "quantized type %d is not supported (uint8, int8, int32)", elem);
    return 0;
}

/* Creates an activation tensor [1, H, W, C] whose source view is the ONNX
 * shape `os` (rank `orank`, channel-first). */
static int new_act(OnnxCtx *x, const char *name, DType dt, int64_t h, int64_t w, int64_t c,
                   int orank, const int64_t *os, int32_t zp)
{
    int64_t shape[4] = {1, h, w, c};
    const char *nm = onnx_tmp_name(x, name, "");
    int id = nm ? graph_add_tensor(x->g, nm, dt, 4, shape) : -1;
    if (id < 0) return -1;
    Tensor *t = T(x, id);
    t->zp = zp;
    t->src_layout = SRC_CHW;
    t->src_hwc[0] = h, t->src_hwc[1] = w, t->src_hwc[2] = c;
    t->src_rank = orank;
    for (int i = 0; i < orank; i++) t->src_shape[i] = os[i];
    return id;
}

/* ONNX shape of a channel-first activation from H, W, C and a rank. */
static void set_oshape(OnnxVal *v, int orank, int64_t h, int64_t w, int64_t c)
{
    v->orank = orank;
    v->oshape[0] = 1;
    v->oshape[1] = c;
    if (orank == 4) v->oshape[2] = h, v->oshape[3] = w;
    if (orank == 3) v->oshape[2] = w;
}

static void hwc_of(const OnnxVal *v, int64_t *h, int64_t *w, int64_t *c)
{
    *c = v->oshape[1];
    *h = v->orank == 4 ? v->oshape[2] : 1;
    *w = v->orank == 4 ? v->oshape[3] : v->orank == 3 ? v->oshape[2] : 1;
}

/* A float graph input becomes an IR input: integer dialects take unsigned
 * 8-bit (DORY's convention), integer-typed inputs keep their type. */
static int fin_to_act(OnnxCtx *x, OnnxVal *v, DType dt, int32_t zp, int zp_known)
{
    int64_t h, w, c;
    if (v->orank < 2 || v->orank > 4)
        return onnx_err(x, "graph input '%s' must be [1,C], [1,C,W] or [1,C,H,W]", v->name);
    hwc_of(v, &h, &w, &c);
    int id = new_act(x, v->name, dt, h, w, c, v->orank, v->oshape, zp);
    if (id < 0 || graph_add_input(x->g, id)) return -1;
    v->kind = OV_ACT;
    v->tensor = id;
    v->zp_known = zp_known;
    return 0;
}

/* Activation operand: converts graph inputs, closes pending accumulators. */
static int act(OnnxCtx *x, OnnxVal *v, const char *what)
{
    if (!v) return -1;
    if (v->kind == OV_FIN) {
        DType dt = v->c.elem == ONNX_INT8 ? DT_I8 : DT_U8;
        if (fin_to_act(x, v, dt, 0, x->dialect == DIALECT_NEMO || x->dialect == DIALECT_QUANTLAB))
            return -1;
    }
    if (v->kind == OV_ACC && onnx_materialize(x, v)) return -1;
    if (v->kind != OV_ACT && v->kind != OV_DQ)
        return onnx_err(x, "%s '%s' must be an activation", what, v->name);
    return 0;
}

/* Sets a graph input's zero point from its first quantized consumer. */
static int check_zp(OnnxCtx *x, OnnxVal *v, int32_t zp, DType dt)
{
    Tensor *t = T(x, v->tensor);
    if (!v->zp_known) {
        t->zp = zp;
        v->zp_known = 1;
        if (x->g->ninputs && t->id == x->g->inputs[0] && t->dtype != dt) t->dtype = dt;
    }
    if (t->zp != zp)
        return onnx_err(x, "'%s' has zero point %d here but %d where it was quantized", v->name, zp,
                        t->zp);
    return 0;
}

/* Per-output-channel vector of a constant that broadcasts against an
 * activation of ONNX rank `orank` (channel axis 1); NULL if it does not. */
static int chan_vector(OnnxCtx *x, const OnnxConst *c, int orank, int nch, double *out)
{
    int chan_dim = -1;
    for (int i = 0; i < c->rank; i++) {
        int axis = orank - c->rank + i;
        if (c->dims[i] == 1) continue;
        if (axis != 1 || c->dims[i] != nch || chan_dim >= 0)
            return onnx_err(x, "constant of shape rank %d does not broadcast per channel", c->rank);
        chan_dim = i;
    }
    if (c->rank > orank) return onnx_err(x, "constant has a higher rank than the activation");
    for (int i = 0; i < nch; i++) out[i] = c->v[chan_dim >= 0 ? i : 0];
    return 0;
}

/* A layer's epilogue is collected in place: the unfinished value may have
 * only the one consumer that extends it. */
static int single_use(OnnxCtx *x, const OnnxVal *v)
{
    if (v->kind != OV_ACC || v->nuses <= 1) return 0;
    return onnx_err(x,
                    "'%s' (an unfinished layer result) has %d consumers; a layer's "
                    "requantization chain cannot branch",
                    v->name, v->nuses);
}

/* graph_add_node with a name no other node has (ONNX names may repeat or be
 * empty; the IR's must be unique). */
static Node *add_node(OnnxCtx *x, const char *base, Op op, int nin, const int *in, int out)
{
    const char *name = base ? base : "node";
    for (int k = 1;; k++) {
        int clash = 0;
        for (int i = 0; i < x->g->nnodes && !clash; i++)
            clash = !strcmp(x->g->nodes[i]->name, name);
        if (!clash) break;
        if (!(name = arena_printf(&x->g->arena, "%s_%d", base ? base : "node", k))) return NULL;
    }
    return graph_add_node(x->g, name, op, nin, in, out);
}

/* ---- Accumulators -------------------------------------------------------- */

static OnnxAcc *new_acc(OnnxCtx *x, Node *node, int nch)
{
    OnnxAcc *a = arena_alloc(&x->g->arena, sizeof *a);
    if (!a) return NULL;
    a->node = node;
    a->nch = nch;
    a->k = arena_alloc_array(&x->g->arena, (size_t)nch, sizeof(double));
    a->l = arena_alloc_array(&x->g->arena, (size_t)nch, sizeof(double));
    if (!a->k || !a->l) return NULL;
    for (int i = 0; i < nch; i++) a->k[i] = 1;
    a->div = 1;
    a->lo = INT32_MIN;
    a->hi = INT32_MAX;
    a->rlo = -INFINITY;
    a->rhi = INFINITY;
    return a;
}

static int is_pow2(double d, int *e)
{
    int ex;
    double m = frexp(d, &ex);
    if (m != 0.5 || ex < 1) return 0;
    *e = ex - 1;
    return 1;
}

static int is_integral(double v) { return v == floor(v) && fabs(v) < 9.0e18; }

static __int128 floor_div(__int128 a, __int128 b)
{
    __int128 q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* Exact division by a D that is not a power of two, per channel:
 *   floor((a*acc + b) / D) == (K*acc + L) >> d
 * for every acc whose result lies in [0, hi] (A0..A1). With K = ceil(a*2^d/D)
 * the error E(acc) = (K*acc + L)/2^d - (a*acc + b)/D grows by less than 2^-d
 * per step; L = ceil((b/D - A0*(K/2^d - a/D)) * 2^d) makes E(A0) >= 0, and
 * 2^d > (A1 - A0 + 1) * D keeps E < 1/D on the range, so the floor is
 * unchanged. Outside it the result stays below 0 or above hi (the clamp). */
static int magic_range(int64_t a, int64_t b, int64_t D, int64_t hi, int64_t *A0, int64_t *A1)
{
    __int128 V = (__int128)(hi + 1) * D; /* v = a*acc + b in [0, V) */
    __int128 a0, a1;
    if (a > 0)
        a0 = -floor_div(b, a), a1 = floor_div(V - 1 - b, a);
    else
        a0 = -floor_div(V - 1 - b, -a), a1 = floor_div(b, -a);
    /* accumulators are int32: exactness beyond that range is never needed */
    a0 = a0 < INT32_MIN ? INT32_MIN : a0 > INT32_MAX ? INT32_MAX : a0;
    a1 = a1 < INT32_MIN ? INT32_MIN : a1 > INT32_MAX ? INT32_MAX : a1;
    *A0 = (int64_t)a0, *A1 = (int64_t)(a1 < a0 ? a0 : a1);
    return 0;
}

int onnx_exact_div_shift(int64_t a, int64_t b, int64_t D, int64_t hi)
{
    if (a == 0) return 0;
    int64_t A0, A1;
    magic_range(a, b, D, hi, &A0, &A1);
    __int128 need = ((__int128)A1 - A0 + 1) * D;
    int d = 0;
    while (d < 100 && ((__int128)1 << d) <= need) d++;
    return d;
}

int onnx_exact_div_consts(int64_t a, int64_t b, int64_t D, int64_t hi, int d, int64_t *K,
                          int64_t *L)
{
    if (a == 0) {
        *K = 0;
        *L = (int64_t)((__int128)(b >= 0 ? b / D : -(-b / D)) * ((__int128)1 << d));
        return 0;
    }
    int64_t A0, A1;
    magic_range(a, b, D, hi, &A0, &A1);
    __int128 p2 = (__int128)1 << d;
    __int128 k = (__int128)a * p2;
    k = floor_div(k, D) + (k % D != 0); /* ceil(a * 2^d / D) */
    /* L = ceil(b*2^d/D - A0*(K - a*2^d/D)) = ceil((b*2^d - A0*(K*D - a*2^d)) / D) */
    __int128 num = (__int128)b * p2 - (__int128)A0 * (k * D - (__int128)a * p2);
    __int128 l = floor_div(num, D) + (num % D != 0 ? 1 : 0);
    if (k > INT64_MAX / 4 || k < INT64_MIN / 4 || l > INT64_MAX / 4 || l < INT64_MIN / 4) return -1;
    *K = (int64_t)k, *L = (int64_t)l;
    return 0;
}

/* Integer dialects: the SHIFT requant equal to the collected epilogue. */
static int int_requant(OnnxCtx *x, OnnxAcc *a, Node *n, Requant *rq, int64_t lo, int64_t hi)
{
    int nch = a->nch, d = 0, magic = 0;
    int64_t *k = arena_alloc_array(&x->g->arena, (size_t)nch, sizeof(int64_t));
    int64_t *l = arena_alloc_array(&x->g->arena, (size_t)nch, sizeof(int64_t));
    if (!k || !l) return -1;
    for (int c = 0; c < nch; c++) {
        if (!is_integral(a->k[c]) || !is_integral(a->l[c]) || fabs(a->k[c]) > 4.0e18 ||
            fabs(a->l[c]) > 4.0e18)
            return onnx_err(x, "requantization constants are not integers (or exceed 62 bits)");
        k[c] = (int64_t)a->k[c], l[c] = (int64_t)a->l[c];
    }
    if (a->div != 1) {
        if (!a->floored)
            return onnx_err(x, "a division is not followed by Floor or an integer "
                               "cast: the result is not an integer");
        if (!is_pow2(a->div, &d)) {
            if (lo < 0 || hi > INT32_MAX / 2)
                return onnx_err(x,
                                "division by %.0f (not a power of two) needs a clamp to "
                                "[0, hi] to be lowered exactly",
                                a->div);
            magic = 1;
        } else if (a->trunc_div && lo < 0) {
            return onnx_err(x, "integer division truncates toward zero; with a negative clamp "
                               "it cannot be lowered to a shift");
        }
    }
    if (magic) {
        int64_t D = (int64_t)a->div;
        for (int c = 0; c < nch; c++) d = DORY_MAX(d, onnx_exact_div_shift(k[c], l[c], D, hi));
        if (d > 62) return onnx_err(x, "division by %lld cannot be lowered exactly", (long long)D);
        for (int c = 0; c < nch; c++)
            if (onnx_exact_div_consts(k[c], l[c], D, hi, d, &k[c], &l[c]))
                return onnx_err(x, "division by %lld: constants exceed 62 bits", (long long)D);
    }
    int identity = d == 0;
    for (int c = 0; c < nch; c++) identity &= k[c] == 1 && l[c] == 0;
    if (identity) {
        *rq = rq_none();
        return 0;
    }
    return rq_make_shift(x->g, n, rq, nch, k, l, d);
}

/* Output tensor of a node closing accumulator `v`. */
static int acc_out(OnnxCtx *x, OnnxVal *v, Node *n, DType dt, int32_t zp)
{
    int64_t h, w, c;
    hwc_of(v, &h, &w, &c);
    int id = new_act(x, v->name, dt, h, w, c, v->orank, v->oshape, zp);
    if (id < 0) return -1;
    n->out = id;
    v->kind = OV_ACT;
    v->tensor = id;
    v->zp_known = 1;
    return 0;
}

/* Range of a sum of scaled terms before the output requant. */
static void terms_range(OnnxCtx *x, OnnxAcc *a, int64_t *lo, int64_t *hi)
{
    double l = 0, h = 0;
    for (int i = 0; i < a->nterm; i++) {
        const DTypeInfo *di = dtype_info(T(x, a->term[i])->dtype);
        double p = a->tk[i] * (double)di->min, q = a->tk[i] * (double)di->max;
        l += fmin(p, q), h += fmax(p, q);
    }
    l = floor((l + a->l[0]) / a->div), h = floor((h + a->l[0]) / a->div);
    *lo = clamp_i64(l, INT32_MIN, INT32_MAX), *hi = clamp_i64(h, INT32_MIN, INT32_MAX);
}

/* ONNX has no clip here, but DORY stores the layer in 8 bits and saturates;
 * dory does the same and says so when the values could exceed the type. */
static void warn_saturation(OnnxCtx *x, const char *value, int64_t lo, int64_t hi,
                            const DTypeInfo *di)
{
    if (lo >= di->min && hi <= di->max) return;
    DiagLoc loc = {x->path, 0, NULL, NULL};
    diag_warning(loc,
                 "'%s' can reach [%lld, %lld]; saturated to %s as DORY does (ONNX itself "
                 "does not clip here)",
                 value, (long long)lo, (long long)hi, di->name);
}

/* A sum of scaled activations (NEMO's QAdd) becomes an add node; a single
 * scaled activation a requant node. */
static int close_terms(OnnxCtx *x, OnnxVal *v)
{
    OnnxAcc *a = v->acc;
    int in[2] = {a->term[0], a->term[1]};
    Node *n = add_node(x, onnx_tmp_name(x, v->name, ""), a->nterm == 2 ? OP_ADD : OP_REQUANT,
                       a->nterm, in, -1);
    if (!n) return -1;
    int64_t lo, hi;
    terms_range(x, a, &lo, &hi);
    /* DORY's add saturates to the 8-bit input type; so does dory. */
    DType dt = T(x, in[0])->dtype;
    const DTypeInfo *di = dtype_info(dt);
    lo = DORY_MAX(lo, a->lo), hi = DORY_MIN(hi, a->hi);
    warn_saturation(x, v->name, lo, hi, di);
    lo = DORY_MAX(lo, di->min), hi = DORY_MIN(hi, di->max);
    for (int i = 0; i < a->nterm && a->nterm == 2; i++) {
        if (!is_integral(a->tk[i]) || fabs(a->tk[i]) > 2147483647.0)
            return onnx_err(x, "add input scale is not a 32-bit integer");
        int64_t k = (int64_t)a->tk[i];
        if (k != 1 && rq_make_shift(x->g, n, &n->in_rq[i], 1, &k, NULL, 0)) return -1;
    }
    if (a->nterm == 1) a->k[0] *= a->tk[0];
    if (int_requant(x, a, n, &n->rq, lo, hi)) return -1;
    n->lo = (int32_t)lo, n->hi = (int32_t)hi;
    return acc_out(x, v, n, dt, 0);
}

int onnx_materialize(OnnxCtx *x, OnnxVal *v)
{
    if (v->kind != OV_ACC) return 0;
    OnnxAcc *a = v->acc;
    if (a->closed)
        return onnx_err(x,
                        "'%s' is an intermediate value of a fused layer epilogue and cannot "
                        "also be used elsewhere",
                        v->name);
    a->closed = 1;
    if (a->is_float)
        return onnx_err(x,
                        "'%s' is a float result that no QuantizeLinear brings back to "
                        "integers",
                        v->name);
    if (!a->node) return close_terms(x, v);
    Node *n = a->node;
    if (a->avg_count) {
        if (a->div != 1 || a->nch < 1)
            return onnx_err(x, "average pooling result is not an integer");
        n->avg_round = AVG_FLOOR; /* ONNX AveragePool then Floor */
        if (!a->floored) return onnx_err(x, "AveragePool's result is not floored to an integer");
    }
    int64_t lo = a->lo, hi = a->hi;
    if (n->op == OP_AVGPOOL && lo == INT32_MIN && hi == INT32_MAX) {
        /* No Clip after a pool: DORY keeps the input's 8-bit type and saturates. */
        const DTypeInfo *di = dtype_info(T(x, n->in[0])->dtype);
        double top = (double)di->max * (n->avg_round == AVG_NONE ? n->kernel[0] * n->kernel[1] : 1);
        double r0 = floor(top * a->k[0] / a->div), r1 = floor(a->l[0] / a->div);
        for (int c = 0; c < a->nch; c++) {
            double rc = floor((top * a->k[c] + a->l[c]) / a->div);
            r0 = fmax(r0, rc), r1 = fmin(r1, rc);
        }
        warn_saturation(x, v->name, clamp_i64(r1, INT32_MIN, INT32_MAX),
                        clamp_i64(r0, INT32_MIN, INT32_MAX), di);
        lo = di->min, hi = di->max;
    }
    DType dt = dtype_for_range(lo, hi);
    if (int_requant(x, a, n, &n->rq, lo, hi)) return -1;
    n->lo = (int32_t)lo, n->hi = (int32_t)hi;
    return acc_out(x, v, n, dt, 0);
}

/* ---- Geometry ------------------------------------------------------------ */

typedef struct Geom {
    int kernel[2], stride[2], dil[2], pad[4];
} Geom;

/* kernel_shape, strides, dilations, pads, auto_pad of a conv or pool on an
 * activation of ONNX rank 3 (NCW) or 4 (NCHW). */
static int read_geom(OnnxCtx *x, const Onnx__NodeProto *n, const OnnxVal *in, const int64_t *wk,
                     Geom *g)
{
    int sp = in->orank - 2;
    if (sp < 1 || sp > 2) return onnx_err(x, "input must be NCW or NCHW (rank 3 or 4)");
    int64_t k[2] = {1, 1}, s[2] = {1, 1}, d[2] = {1, 1}, p[4] = {0, 0, 0, 0};
    int nk = onnx_attr_ints(n, "kernel_shape", k, 2);
    if (nk <= 0 && wk) nk = sp, k[0] = wk[0], k[1] = wk[1];
    if (nk != sp) return onnx_err(x, "kernel_shape must have %d entries", sp);
    int ns = onnx_attr_ints(n, "strides", s, 2), nd = onnx_attr_ints(n, "dilations", d, 2);
    int np = onnx_attr_ints(n, "pads", p, 4);
    if ((ns && ns != sp) || (nd && nd != sp) || (np && np != 2 * sp))
        return onnx_err(x, "strides, dilations and pads must match the spatial rank %d", sp);
    int64_t in_hw[2] = {in->orank == 4 ? in->oshape[2] : 1, in->oshape[in->orank - 1]};
    int64_t kk[2], ss[2], dd[2], pp[4];
    int off = 2 - sp; /* 1-D: H is 1 with kernel 1 */
    for (int i = 0; i < 2; i++) {
        kk[i] = i < off ? 1 : k[i - off];
        ss[i] = i < off ? 1 : s[i - off];
        dd[i] = i < off ? 1 : d[i - off];
        pp[i] = i < off ? 0 : p[i - off];
        pp[i + 2] = i < off ? 0 : p[sp + i - off];
    }
    const char *ap = onnx_attr_str(x, n, "auto_pad");
    if (ap && (!strcmp(ap, "SAME_UPPER") || !strcmp(ap, "SAME_LOWER"))) {
        for (int i = 0; i < 2; i++) {
            int64_t out = (in_hw[i] + ss[i] - 1) / (ss[i] ? ss[i] : 1);
            int64_t tot = (out - 1) * ss[i] + (kk[i] - 1) * dd[i] + 1 - in_hw[i];
            tot = tot < 0 ? 0 : tot;
            pp[i] = !strcmp(ap, "SAME_UPPER") ? tot / 2 : tot - tot / 2;
            pp[i + 2] = tot - pp[i];
        }
    } else if (ap && strcmp(ap, "NOTSET") && strcmp(ap, "VALID")) {
        return onnx_err(x, "auto_pad '%s' is not supported", ap);
    }
    for (int i = 0; i < 2; i++) {
        if (kk[i] < 1 || kk[i] > 4096 || ss[i] < 1 || ss[i] > 4096 || dd[i] < 1 || dd[i] > 4096)
            return onnx_err(x, "kernel, stride and dilation must be in 1..4096");
        g->kernel[i] = (int)kk[i], g->stride[i] = (int)ss[i], g->dil[i] = (int)dd[i];
    }
    for (int i = 0; i < 4; i++) {
        if (pp[i] < 0 || pp[i] > 4096) return onnx_err(x, "pads must be in 0..4096");
        g->pad[i] = (int)pp[i] + (in->has_pad ? in->pad[i] : 0);
    }
    return 0;
}

static int out_dims(OnnxCtx *x, const OnnxVal *in, const Geom *g, int64_t *oh, int64_t *ow)
{
    int64_t h, w, c;
    hwc_of(in, &h, &w, &c);
    *oh = conv_out_dim(h, g->kernel[0], g->stride[0], g->dil[0], g->pad[0], g->pad[2]);
    *ow = conv_out_dim(w, g->kernel[1], g->stride[1], g->dil[1], g->pad[1], g->pad[3]);
    if (*oh <= 0 || *ow <= 0) return onnx_err(x, "the window does not fit the input");
    return 0;
}

static void apply_geom(Node *nd, const Geom *g)
{
    for (int i = 0; i < 2; i++)
        nd->kernel[i] = g->kernel[i], nd->stride[i] = g->stride[i], nd->dilation[i] = g->dil[i];
    for (int i = 0; i < 4; i++) nd->pad[i] = g->pad[i];
}

/* A pending Pad must pad with the input's zero point (real 0). */
static int check_pad_value(OnnxCtx *x, const OnnxVal *in, int is_max)
{
    if (!in->has_pad) return 0;
    const Tensor *t = T(x, in->tensor);
    double zp = in->kind == OV_DQ ? 0 : t->zp;
    if (is_max) { /* an explicit pad value takes part in the max: it must never win */
        double pv = in->kind == OV_DQ ? t->zp + in->pad_value / in->scale : in->pad_value;
        int64_t lo = dtype_info(t->dtype)->min;
        for (int i = 0; i < x->g->nnodes; i++)
            if (x->g->nodes[i]->out == t->id) lo = x->g->nodes[i]->lo;
        if (!(pv <= (double)lo))
            return onnx_err(x,
                            "Pad value %g can exceed the input of this MaxPool (its range "
                            "starts at %lld); it cannot be folded",
                            in->pad_value, (long long)lo);
        return 0;
    }
    if (in->pad_value != zp)
        return onnx_err(x, "Pad value %g is not the input's zero point; it cannot be folded",
                        in->pad_value);
    return 0;
}

/* ---- Weights ------------------------------------------------------------- */

/* Weight integers and their quantization: a QCONST (QDQ), a plain integer
 * constant (NEMO, QuantLab), or integers with explicit scale/zp (QOperator). */
typedef struct WInfo {
    const OnnxConst *c;
    DType dt;
    int nq;
    const float *scale;
    const int32_t *zp;
} WInfo;

static int weight_info(OnnxCtx *x, const OnnxVal *v, WInfo *wi)
{
    memset(wi, 0, sizeof *wi);
    if (!v || (v->kind != OV_CONST && v->kind != OV_QCONST))
        return onnx_err(x, "weights must be constant");
    wi->c = &v->c;
    if (v->kind == OV_QCONST) {
        wi->nq = v->nq, wi->scale = v->qscale, wi->zp = v->qzp;
        return dtype_of_elem(x, v->qelem, &wi->dt);
    }
    if (v->c.elem == ONNX_UINT8 || v->c.elem == ONNX_INT8)
        return dtype_of_elem(x, v->c.elem, &wi->dt);
    double lo = 0, hi = 0;
    for (int64_t i = 0; i < v->c.numel; i++) {
        if (!is_integral(v->c.v[i])) return onnx_err(x, "weights '%s' are not integers", v->name);
        lo = fmin(lo, v->c.v[i]), hi = fmax(hi, v->c.v[i]);
    }
    if (lo < -128 || hi > 127)
        return onnx_err(x, "weights '%s' do not fit 8 bits ([%g, %g])", v->name, lo, hi);
    wi->dt = DT_I8;
    return 0;
}

/* Adds the IR weight tensor: values[i] for its storage index i. */
static int add_weights(OnnxCtx *x, const char *base, const WInfo *wi, int rank,
                       const int64_t *shape, const int64_t *perm, int64_t cout)
{
    int id = graph_add_const(x->g, onnx_tmp_name(x, base, ".w"), wi->dt, rank, shape, NULL);
    if (id < 0) return -1;
    Tensor *t = T(x, id);
    for (int64_t i = 0; i < tensor_numel(t); i++) tensor_set(t, i, (int64_t)wi->c->v[perm[i]]);
    if (wi->zp && wi->nq == 1) t->zp = wi->zp[0];
    if (wi->zp && wi->nq > 1) {
        if (wi->nq != cout)
            return onnx_err(x, "weights have %d zero points for %lld channels", wi->nq,
                            (long long)cout);
        int32_t *z = arena_alloc_array(&x->g->arena, (size_t)cout, sizeof(int32_t));
        if (!z) return -1;
        memcpy(z, wi->zp, (size_t)cout * sizeof(int32_t));
        t->zps = z, t->nzps = (int)cout;
    }
    return id;
}

static int add_bias(OnnxCtx *x, const char *base, const OnnxVal *b, int64_t cout)
{
    if (!b) return -1;
    if (b->kind != OV_CONST && b->kind != OV_QCONST) return onnx_err(x, "bias must be constant");
    if (b->c.numel != cout)
        return onnx_err(x, "bias has %lld values for %lld channels", (long long)b->c.numel,
                        (long long)cout);
    int64_t *v = arena_alloc_array(&x->g->arena, (size_t)cout, sizeof(int64_t));
    if (!v) return -1;
    for (int64_t i = 0; i < cout; i++) {
        if (!is_integral(b->c.v[i]) || fabs(b->c.v[i]) > 2147483647.0)
            return onnx_err(x, "bias is not a 32-bit integer");
        v[i] = (int64_t)b->c.v[i];
    }
    int64_t shape[1] = {cout};
    return graph_add_const(x->g, onnx_tmp_name(x, base, ".b"), DT_I32, 1, shape, v);
}

/* ---- Conv and FC ---------------------------------------------------------- */

typedef struct QParams { /* float dialects: input and weight scales */
    float xs;
    int is_float;
} QParams;

/* Creates the conv node on activation `xv` (ACT or DQ); returns its node. */
static Node *make_conv(OnnxCtx *x, const Onnx__NodeProto *n, OnnxVal *xv, const WInfo *wi,
                       const OnnxVal *bias, OnnxVal *out)
{
    const OnnxConst *w = wi->c;
    if (w->rank != xv->orank)
        return onnx_err(x, "weights rank %d for an input of rank %d", w->rank, xv->orank), NULL;
    int64_t wk[2] = {w->rank == 4 ? w->dims[2] : w->dims[2], w->rank == 4 ? w->dims[3] : 1};
    Geom g;
    if (read_geom(x, n, xv, wk, &g) || check_pad_value(x, xv, 0)) return NULL;
    int64_t cout = w->dims[0], cig = w->dims[1], kh = g.kernel[0], kw = g.kernel[1];
    int64_t groups = onnx_attr_int(n, "group", 1), h, wd, cin;
    hwc_of(xv, &h, &wd, &cin);
    if (groups < 1 || cin != cig * groups || cout % groups)
        return onnx_err(x,
                        "weights [%lld, %lld, ...] and group %lld do not match %lld input "
                        "channels",
                        (long long)cout, (long long)cig, (long long)groups, (long long)cin),
               NULL;
    if (kh * kw * cig * cout != w->numel)
        return onnx_err(x, "kernel_shape does not match the weights"), NULL;
    int64_t oh, ow;
    if (out_dims(x, xv, &g, &oh, &ow)) return NULL;
    int64_t shape[4] = {cout, kh, kw, cig};
    int64_t *perm = arena_alloc_array(&x->g->arena, (size_t)w->numel, sizeof(int64_t));
    if (!perm) return NULL;
    for (int64_t o = 0, i = 0; o < cout; o++)
        for (int64_t a = 0; a < kh; a++)
            for (int64_t b = 0; b < kw; b++)
                for (int64_t c = 0; c < cig; c++) perm[i++] = ((o * cig + c) * kh + a) * kw + b;
    int in[3] = {xv->tensor, add_weights(x, node_name(n), wi, 4, shape, perm, cout), -1};
    if (in[1] < 0) return NULL;
    if (bias && (in[2] = add_bias(x, node_name(n), bias, cout)) < 0) return NULL;
    Node *nd = add_node(x, node_name(n), OP_CONV2D, bias ? 3 : 2, in, -1);
    if (!nd) return NULL;
    apply_geom(nd, &g);
    nd->groups = (int)groups;
    set_oshape(out, xv->orank, oh, ow, cout);
    return nd;
}

/* FC weights [N][K] in the HWC order of the (flattened) input. `kn`: ONNX
 * stores them [K][N] (MatMul, Gemm without transB). */
static Node *make_fc(OnnxCtx *x, const Onnx__NodeProto *n, OnnxVal *xv, const WInfo *wi, int kn,
                     const OnnxVal *bias, OnnxVal *out)
{
    const OnnxConst *w = wi->c;
    int64_t h, wd, c;
    hwc_of(xv, &h, &wd, &c);
    if (xv->flat)
        h = T(x, xv->tensor)->shape[1], wd = T(x, xv->tensor)->shape[2],
        c = T(x, xv->tensor)->shape[3];
    int64_t K = h * wd * c;
    if (w->rank != 2 || xv->orank != 2)
        return onnx_err(x, "fully connected layers need a [1, K] input and 2-D weights"), NULL;
    int64_t N = kn ? w->dims[1] : w->dims[0];
    if ((kn ? w->dims[0] : w->dims[1]) != K)
        return onnx_err(x, "weights take %lld inputs; the input has %lld",
                        (long long)(kn ? w->dims[0] : w->dims[1]), (long long)K),
               NULL;
    int64_t *perm = arena_alloc_array(&x->g->arena, (size_t)w->numel, sizeof(int64_t));
    if (!perm) return NULL;
    for (int64_t o = 0; o < N; o++)
        for (int64_t a = 0; a < h; a++)
            for (int64_t b = 0; b < wd; b++)
                for (int64_t ch = 0; ch < c; ch++) {
                    int64_t k_onnx = xv->flat ? (ch * h + a) * wd + b : (a * wd + b) * c + ch;
                    int64_t k_ir = (a * wd + b) * c + ch;
                    perm[o * K + k_ir] = kn ? k_onnx * N + o : o * K + k_onnx;
                }
    int64_t shape[2] = {N, K};
    int in[3] = {xv->tensor, add_weights(x, node_name(n), wi, 2, shape, perm, N), -1};
    if (in[1] < 0) return NULL;
    if (bias && (in[2] = add_bias(x, node_name(n), bias, N)) < 0) return NULL;
    Node *nd = add_node(x, node_name(n), OP_FC, bias ? 3 : 2, in, -1);
    if (!nd) return NULL;
    set_oshape(out, 2, 1, 1, N);
    return nd;
}

/* Opens an accumulator on `out` for node `nd` with per-channel real scale
 * (float dialects: xs * ws[c]; NULL for integer dialects). */
static int open_acc(OnnxCtx *x, OnnxVal *out, Node *nd, int nch, float xs, const WInfo *wi)
{
    if (!nd) return -1;
    OnnxAcc *a = new_acc(x, nd, nch);
    if (!a) return -1;
    out->kind = OV_ACC;
    out->acc = a;
    if (!wi || !wi->scale) return 0;
    a->is_float = 1;
    a->xs = xs;
    a->fscale = arena_alloc_array(&x->g->arena, (size_t)nch, sizeof(float));
    if (!a->fscale) return -1;
    for (int c = 0; c < nch; c++) a->fscale[c] = wi->scale[wi->nq == 1 ? 0 : c];
    return 0;
}

static int lower_conv_like(OnnxCtx *x, const Onnx__NodeProto *n, int fc, int kn)
{
    OnnxVal *xv = need(x, n, 0), *wv = need(x, n, 1), *bv = input(x, n, 2);
    if (!xv || !wv || (n->n_input > 2 && n->input[2][0] && !bv)) return -1;
    if (act(x, xv, "input")) return -1;
    int dq = xv->kind == OV_DQ;
    WInfo wi;
    if (weight_info(x, wv, &wi)) return -1;
    if (dq != (wi.scale != NULL))
        return onnx_err(x, "input and weights must both be dequantized (QDQ) or both integers");
    if (!dq && x->dialect != DIALECT_NEMO && x->dialect != DIALECT_QUANTLAB)
        return onnx_err(x, "float %s in a %s model: expected DequantizeLinear inputs", n->op_type,
                        onnx_dialect_name(x->dialect));
    OnnxVal *out = output(x, n);
    if (!out) return -1;
    Node *nd = fc ? make_fc(x, n, xv, &wi, kn, bv, out) : make_conv(x, n, xv, &wi, bv, out);
    return open_acc(x, out, nd, (int)out->oshape[1], dq ? xv->scale : 0, dq ? &wi : NULL);
}

static int lower_gemm(OnnxCtx *x, const Onnx__NodeProto *n)
{
    if (onnx_attr_float(n, "alpha", 1) != 1 || onnx_attr_float(n, "beta", 1) != 1 ||
        onnx_attr_int(n, "transA", 0) != 0)
        return onnx_err(x, "Gemm needs alpha = beta = 1 and transA = 0");
    return lower_conv_like(x, n, 1, onnx_attr_int(n, "transB", 0) == 0);
}

/* ---- Element-wise on accumulators (integer dialects) ---------------------- */

/* A scaled activation (Mul(act, c)) as a one-term sum. */
static OnnxAcc *term_acc(OnnxCtx *x, OnnxVal *v, double k)
{
    OnnxAcc *a = new_acc(x, NULL, 1);
    if (!a) return NULL;
    a->nterm = 1;
    a->term[0] = v->tensor;
    a->tk[0] = k;
    return a;
}

static void acc_result(OnnxVal *out, OnnxVal *in, OnnxAcc *a)
{
    out->kind = OV_ACC;
    out->acc = a;
    out->orank = in->orank;
    memcpy(out->oshape, in->oshape, sizeof out->oshape);
    out->flat = in->flat;
}

/* Mul / Add / Sub / Div of an accumulator (or activation) by a constant. */
static int lower_arith_const(OnnxCtx *x, const Onnx__NodeProto *n, OnnxVal *v, OnnxVal *cv, char op)
{
    if (v->kind == OV_FIN || v->kind == OV_ACT) {
        double k;
        if (act(x, v, "input") || op != '*' || scalar(x, cv, "the multiplier", &k)) return -1;
        OnnxVal *out = output(x, n);
        OnnxAcc *a = out ? term_acc(x, v, k) : NULL;
        if (!a) return -1;
        acc_result(out, v, a);
        return 0;
    }
    if (v->kind != OV_ACC || v->acc->is_float)
        return onnx_err(x, "%s of '%s' by a constant cannot be lowered", n->op_type, v->name);
    if (single_use(x, v)) return -1;
    OnnxAcc *a = v->acc;
    if (op == '/') {
        double D;
        if (scalar(x, cv, "the divisor", &D)) return -1;
        if (!(D >= 1) || !is_integral(D) || a->div * D > 4.0e18)
            return onnx_err(x, "divisor %g must be a positive integer", D);
        a->div *= D;
        a->trunc_div = a->int_typed;
        a->floored = a->int_typed;
    } else {
        double *cvec = arena_alloc_array(&x->g->arena, (size_t)a->nch, sizeof(double));
        if (!cvec) return -1;
        if (a->div != 1) return onnx_err(x, "%s after a division cannot be lowered", n->op_type);
        if (a->nch == 1 && cv->c.numel != 1)
            return onnx_err(x, "per-channel constant on a sum of activations");
        if (chan_vector(x, &cv->c, v->orank, a->nch, cvec)) return -1;
        if (op == '*' && a->avg_count && a->nch && cv->c.numel == 1 && cvec[0] == a->avg_count) {
            a->avg_count = 0; /* AveragePool * count: the window sum */
            a->node->avg_round = AVG_NONE;
        } else if (op == '*') {
            for (int c = 0; c < a->nch; c++) a->k[c] *= cvec[c], a->l[c] *= cvec[c];
            for (int i = 0; i < a->nterm; i++) a->tk[i] *= cvec[0];
            if (a->nterm) a->k[0] = 1;
        } else {
            for (int c = 0; c < a->nch; c++) a->l[c] += op == '+' ? cvec[c] : -cvec[c];
        }
    }
    OnnxVal *out = output(x, n);
    if (!out) return -1;
    acc_result(out, v, a);
    return 0;
}

/* Add of two activations: a sum of terms (NEMO QAdd) or, with QuantLab's
 * attributes, an add with a requant per input. */
static int lower_add_acts(OnnxCtx *x, const Onnx__NodeProto *n, OnnxVal *a, OnnxVal *b);

static int lower_arith(OnnxCtx *x, const Onnx__NodeProto *n, char op)
{
    OnnxVal *a = need(x, n, 0), *b = need(x, n, 1);
    if (!a || !b) return -1;
    if (is_const(a) && is_const(b))
        return onnx_err(x, "constant folding of %s is not supported", n->op_type);
    if (is_const(a) && (op == '*' || op == '+')) return lower_arith_const(x, n, b, a, op);
    if (is_const(b)) return lower_arith_const(x, n, a, b, op);
    if (op == '+') return lower_add_acts(x, n, a, b);
    return onnx_err(x, "%s of two activations is not supported", n->op_type);
}

static int add_term(OnnxCtx *x, OnnxVal *v, OnnxAcc *sum)
{
    if (v->kind == OV_ACC && !v->acc->node && v->acc->nterm == 1 && v->acc->div == 1 &&
        v->acc->l[0] == 0 && v->nuses <= 1) {
        sum->term[sum->nterm] = v->acc->term[0];
        sum->tk[sum->nterm++] = v->acc->tk[0] * v->acc->k[0];
        return 0;
    }
    if (act(x, v, "add input") || v->kind != OV_ACT) return -1;
    sum->term[sum->nterm] = v->tensor;
    sum->tk[sum->nterm++] = 1;
    return 0;
}

static int quantlab_add(OnnxCtx *x, const Onnx__NodeProto *n, OnnxVal *a, OnnxVal *b)
{
    if (act(x, a, "input") || act(x, b, "input")) return -1;
    OnnxVal *out = output(x, n);
    int in[2] = {a->tensor, b->tensor};
    Node *nd = out ? add_node(x, node_name(n), OP_ADD, 2, in, -1) : NULL;
    if (!nd) return -1;
    static const char *const pfx[3] = {"in1", "in2", "out"};
    for (int i = 0; i < 3; i++) {
        char key[32];
        snprintf(key, sizeof key, "%s_rq", pfx[i]);
        if (!onnx_attr_int(n, key, 0)) continue;
        snprintf(key, sizeof key, "%s_mul", pfx[i]);
        int64_t k = onnx_attr_int(n, key, 1);
        snprintf(key, sizeof key, "%s_add", pfx[i]);
        int64_t l = onnx_attr_int(n, key, 0);
        snprintf(key, sizeof key, "%s_shift", pfx[i]);
        int64_t d = onnx_attr_int(n, key, 0);
        if (d < 0 || d > 63) return onnx_err(x, "%s out of range", key);
        Requant *rq = i < 2 ? &nd->in_rq[i] : &nd->rq;
        if (rq_make_shift(x->g, nd, rq, 1, &k, &l, (int)d)) return -1;
    }
    int64_t levels = onnx_attr_int(n, "out_n_levels", 256);
    if (levels < 2 || levels > 256)
        return onnx_err(x, "out_n_levels %lld is not supported", (long long)levels);
    nd->lo = 0, nd->hi = (int32_t)levels - 1;
    out->orank = a->orank;
    memcpy(out->oshape, a->oshape, sizeof out->oshape);
    out->kind = OV_ACC;
    return acc_out(x, out, nd, DT_U8, 0);
}

static int lower_float_add(OnnxCtx *x, const Onnx__NodeProto *n, OnnxVal *a, OnnxVal *b);

/* An add node whose requants wait for the output scale (QuantizeLinear). */
static int open_float_add(OnnxCtx *x, const Onnx__NodeProto *n, OnnxVal *a, OnnxVal *b, float sa,
                          float sb)
{
    if (a->orank != b->orank || memcmp(a->oshape, b->oshape, sizeof a->oshape) ||
        a->flat != b->flat)
        return onnx_err(x, "Add inputs must have the same shape (no broadcasting)");
    OnnxVal *out = output(x, n);
    int in[2] = {a->tensor, b->tensor};
    Node *nd = out ? add_node(x, node_name(n), OP_ADD, 2, in, -1) : NULL;
    OnnxAcc *acc = nd ? new_acc(x, nd, 1) : NULL;
    if (!acc) return -1;
    acc->fscale = arena_alloc(&x->g->arena, sizeof(float));
    if (!acc->fscale) return -1;
    acc->is_float = acc->is_add = 1;
    acc->xs = sa, acc->fscale[0] = sb;
    acc_result(out, a, acc);
    return 0;
}

static int lower_add_acts(OnnxCtx *x, const Onnx__NodeProto *n, OnnxVal *a, OnnxVal *b)
{
    if (onnx_attr(n, "in1_mul")) return quantlab_add(x, n, a, b);
    if (a->kind == OV_DQ || b->kind == OV_DQ) return lower_float_add(x, n, a, b);
    OnnxVal *out = output(x, n);
    OnnxAcc *sum = out ? new_acc(x, NULL, 1) : NULL;
    if (!sum || add_term(x, a, sum) || add_term(x, b, sum)) return -1;
    acc_result(out, a, sum);
    return 0;
}

/* Relu / Clip between DequantizeLinear and QuantizeLinear (onnxruntime runs
 * it in float on exactly representable values): a clamp node in integer
 * units, exact. */
static int clip_dq(OnnxCtx *x, const Onnx__NodeProto *n, OnnxVal *v, OnnxVal *out, double lo,
                   double hi)
{
    const Tensor *t = T(x, v->tensor);
    const DTypeInfo *di = dtype_info(t->dtype);
    int in[1] = {v->tensor};
    Node *nd = add_node(x, node_name(n), OP_REQUANT, 1, in, -1);
    if (!nd) return -1;
    int64_t ilo = di->min, ihi = di->max;
    ilo = DORY_MAX(ilo, t->zp + clamp_i64(ceil(lo / v->scale - 1e-6), -(1 << 20), 1 << 20));
    ihi = DORY_MIN(ihi, t->zp + clamp_i64(floor(hi / v->scale + 1e-6), -(1 << 20), 1 << 20));
    if (ilo > ihi) return onnx_err(x, "empty clamp range");
    nd->lo = (int32_t)ilo, nd->hi = (int32_t)ihi;
    float sc = v->scale;
    out->orank = v->orank;
    memcpy(out->oshape, v->oshape, sizeof out->oshape);
    out->flat = v->flat;
    out->kind = OV_ACC;
    if (acc_out(x, out, nd, t->dtype, t->zp)) return -1;
    out->kind = OV_DQ;
    out->scale = sc;
    return 0;
}

/* Clip / Relu: clamp then close (integer) or record (float). */
static int lower_clip(OnnxCtx *x, const Onnx__NodeProto *n, int relu)
{
    OnnxVal *v = need(x, n, 0);
    if (!v) return -1;
    double lo = relu ? 0 : onnx_attr_float(n, "min", -INFINITY);
    double hi = relu ? INFINITY : onnx_attr_float(n, "max", INFINITY);
    OnnxVal *mn = input(x, n, 1), *mx = input(x, n, 2);
    if ((mn && scalar(x, mn, "Clip min", &lo)) || (mx && scalar(x, mx, "Clip max", &hi))) return -1;
    OnnxVal *out = output(x, n);
    if (!out || single_use(x, v)) return -1;
    if (v->kind == OV_ACC && v->acc->is_float) {
        v->acc->rlo = fmax(v->acc->rlo, lo), v->acc->rhi = fmin(v->acc->rhi, hi);
        acc_result(out, v, v->acc);
        return 0;
    }
    if (v->kind == OV_DQ) return clip_dq(x, n, v, out, lo, hi);
    if (v->kind != OV_ACC)
        return onnx_err(x, "%s on '%s' must follow a compute layer", n->op_type, v->name);
    OnnxAcc *a = v->acc;
    a->lo = DORY_MAX(a->lo, clamp_i64(ceil(lo), INT32_MIN, INT32_MAX));
    a->hi = DORY_MIN(a->hi, clamp_i64(floor(hi), INT32_MIN, INT32_MAX));
    if (a->lo > a->hi) return onnx_err(x, "empty clamp range");
    acc_result(out, v, a);
    return onnx_materialize(x, out);
}

/* Cast / Floor / Identity: integer-valued results stay what they are. */
static int lower_passthrough(OnnxCtx *x, const Onnx__NodeProto *n)
{
    OnnxVal *v = need(x, n, 0), *out;
    if (!v || !(out = output(x, n)) || single_use(x, v)) return -1;
    alias(out, v);
    if (v->kind == OV_ACC && !v->acc->is_float) {
        OnnxAcc *a = v->acc;
        if (!strcmp(n->op_type, "Floor")) a->floored = 1;
        if (!strcmp(n->op_type, "Cast")) {
            int to = (int)onnx_attr_int(n, "to", ONNX_FLOAT);
            if (is_int_elem(to) && !a->int_typed) a->floored = a->floored || a->div == 1;
            if (is_int_elem(to) && a->div != 1 && !a->floored)
                return onnx_err(x, "Cast of a fractional value truncates; not lowered");
            a->int_typed = is_int_elem(to);
        }
    }
    return 0;
}

/* ---- Pools ---------------------------------------------------------------- */

static int lower_pool_on(OnnxCtx *x, const Onnx__NodeProto *n, OnnxVal *v, int is_max, int global)
{
    if (!v || act(x, v, "input")) return -1;
    if (onnx_attr_int(n, "ceil_mode", 0)) return onnx_err(x, "ceil_mode = 1 is not supported");
    int64_t dil[2] = {1, 1};
    if (onnx_attr_ints(n, "dilations", dil, 2) > 0 && (dil[0] != 1 || dil[1] != 1))
        return onnx_err(x, "dilated pooling is not supported");
    if (n->n_output > 1 && n->output[1][0]) return onnx_err(x, "MaxPool indices are not supported");
    Geom g;
    int64_t h, w, c;
    hwc_of(v, &h, &w, &c);
    if (global) {
        if (h > 4096 || w > 4096) return onnx_err(x, "global pooling window larger than 4096");
        memset(&g, 0, sizeof g);
        g.kernel[0] = (int)h, g.kernel[1] = (int)w;
        g.stride[0] = g.stride[1] = g.dil[0] = g.dil[1] = 1;
        if (v->has_pad) return onnx_err(x, "Pad before global pooling is not supported");
    } else if (read_geom(x, n, v, NULL, &g)) {
        return -1;
    }
    if (check_pad_value(x, v, is_max)) return -1;
    int64_t oh, ow;
    if (out_dims(x, v, &g, &oh, &ow)) return -1;
    OnnxVal *out = output(x, n);
    int in[1] = {v->tensor};
    Node *nd = out ? add_node(x, node_name(n), is_max ? OP_MAXPOOL : OP_AVGPOOL, 1, in, -1) : NULL;
    if (!nd) return -1;
    apply_geom(nd, &g);
    nd->global = global;
    nd->count_include_pad = onnx_attr_int(n, "count_include_pad", 0) != 0;
    set_oshape(out, v->orank, oh, ow, c);
    const Tensor *xt = T(x, v->tensor);
    if (is_max) { /* max needs no epilogue: same type, zero point and scale */
        nd->lo = (int32_t)dtype_info(xt->dtype)->min, nd->hi = (int32_t)dtype_info(xt->dtype)->max;
        out->kind = OV_ACC;
        if (acc_out(x, out, nd, xt->dtype, xt->zp)) return -1;
        out->kind = v->kind, out->scale = v->scale;
        return 0;
    }
    if (open_acc(x, out, nd, (int)c, 0, NULL)) return -1;
    out->acc->avg_count = g.kernel[0] * g.kernel[1];
    if (v->kind == OV_DQ) {
        out->acc->is_float = 1;
        out->acc->xs = v->scale;
    }
    if (g.pad[0] + g.pad[1] + g.pad[2] + g.pad[3] && !nd->count_include_pad)
        return onnx_err(x, "average pooling with padding excluded from the count is not "
                           "supported");
    return 0;
}

static int lower_pool(OnnxCtx *x, const Onnx__NodeProto *n, int is_max, int global)
{
    return lower_pool_on(x, n, need(x, n, 0), is_max, global);
}

/* ---- Shape ops ------------------------------------------------------------ */

/* Flatten / Reshape of an activation to [1, K]: the IR tensor is unchanged,
 * FC weights are permuted from CHW to HWC order. Other shapes: same size
 * relabels are refused. */
static int lower_reshape(OnnxCtx *x, const Onnx__NodeProto *n)
{
    OnnxVal *v = need(x, n, 0), *out;
    if (!v || act(x, v, "input") || !(out = output(x, n))) return -1;
    int64_t h, w, c;
    hwc_of(v, &h, &w, &c);
    if (!strcmp(n->op_type, "Flatten") && onnx_attr_int(n, "axis", 1) != 1)
        return onnx_err(x, "Flatten needs axis = 1");
    if (!strcmp(n->op_type, "Reshape")) {
        OnnxVal *s = need(x, n, 1);
        if (!s || !is_const(s) || s->c.numel != 2 || (s->c.v[0] != 1 && s->c.v[0] != -1) ||
            (s->c.v[1] != -1 && s->c.v[1] != (double)(h * w * c)))
            return onnx_err(x, "only Reshape to [1, K] (flatten) is supported");
    }
    alias(out, v);
    out->flat = v->flat || (v->orank > 2 && (h > 1 || w > 1) && c > 1);
    out->orank = 2;
    out->oshape[0] = 1, out->oshape[1] = h * w * c;
    return 0;
}

static int lower_pad(OnnxCtx *x, const Onnx__NodeProto *n)
{
    OnnxVal *v = need(x, n, 0), *out;
    if (!v || act(x, v, "input")) return -1;
    const char *mode = onnx_attr_str(x, n, "mode");
    if (mode && strcmp(mode, "constant"))
        return onnx_err(x, "Pad mode '%s' is not supported", mode);
    int64_t p[8] = {0};
    int np = onnx_attr_ints(n, "pads", p, 8);
    double value = onnx_attr_float(n, "value", 0);
    OnnxVal *pv = input(x, n, 1), *cv = input(x, n, 2);
    if (pv) {
        if (!is_const(pv) || pv->c.numel > 8) return onnx_err(x, "pads must be constant");
        np = (int)pv->c.numel;
        for (int i = 0; i < np; i++) p[i] = clamp_i64(pv->c.v[i], -1, 1 << 20);
    }
    if (cv && scalar(x, cv, "the pad value", &value)) return -1;
    if (np != 2 * v->orank) return onnx_err(x, "pads must have %d entries", 2 * v->orank);
    int r = v->orank;
    for (int i = 0; i < np; i++)
        if (p[i] < 0 || p[i] > 4096) return onnx_err(x, "pads must be in 0..4096");
    if (p[0] || p[1] || p[r] || p[r + 1]) return onnx_err(x, "Pad on batch or channels");
    int top = r == 4 ? (int)p[2] : 0, bot = r == 4 ? (int)p[r + 2] : 0;
    int left = (int)p[r - 1], right = (int)p[2 * r - 1];
    if (!(out = output(x, n))) return -1;
    alias(out, v);
    if (!top && !left && !bot && !right) return 0;
    if (v->kind == OV_ACT && v->zp_known == 0 && T(x, v->tensor)->zp == 0) v->zp_known = 0;
    if (v->has_pad && v->pad_value != value) return onnx_err(x, "two Pads with different values");
    out->has_pad = 1;
    out->pad_value = value;
    out->pad[0] += top, out->pad[1] += left, out->pad[2] += bot, out->pad[3] += right;
    return 0;
}

static int lower_constant(OnnxCtx *x, const Onnx__NodeProto *n)
{
    const Onnx__AttributeProto *a = onnx_attr(n, "value");
    OnnxVal *out;
    if (!(out = output(x, n))) return -1;
    out->kind = OV_CONST;
    if (a && a->t) return onnx_decode_tensor(x, a->t, &out->c);
    a = onnx_attr(n, "value_float");
    if (!a) a = onnx_attr(n, "value_int");
    if (!a) return onnx_err(x, "Constant without a supported value attribute");
    out->c.rank = 0;
    out->c.numel = 1;
    out->c.elem = a->has_f ? ONNX_FLOAT : ONNX_INT64;
    out->c.v = arena_alloc(&x->g->arena, sizeof(double));
    if (!out->c.v) return -1;
    out->c.v[0] = a->has_f ? a->f : (double)a->i;
    return 0;
}

/* Squeeze / Unsqueeze / Identity / Reshape of constants: the data is kept,
 * only its shape changes (used for broadcast constants). */
static int lower_const_shape(OnnxCtx *x, const Onnx__NodeProto *n, OnnxVal *v)
{
    OnnxVal *out = output(x, n);
    if (!out) return -1;
    alias(out, v);
    if (!strcmp(n->op_type, "Identity")) return 0;
    out->c.rank = 1;
    out->c.dims[0] = v->c.numel;
    return 0;
}

/* ---- Quantize / Dequantize ------------------------------------------------ */

typedef struct QInfo {
    int n;
    float *scale;
    int32_t *zp;
    int zp_elem;
} QInfo;

static int read_qparams(OnnxCtx *x, const Onnx__NodeProto *n, size_t si, size_t zi, QInfo *q)
{
    OnnxVal *s = need(x, n, si), *z = input(x, n, zi);
    if (!s || (n->n_input > zi && n->input[zi][0] && !z)) return -1;
    if (!is_const(s) || s->c.numel < 1) return onnx_err(x, "scale must be constant");
    if (z && (!is_const(z) || z->c.numel != s->c.numel))
        return onnx_err(x, "zero point must be constant with one value per scale");
    q->n = (int)s->c.numel;
    q->scale = arena_alloc_array(&x->g->arena, (size_t)q->n, sizeof(float));
    q->zp = arena_alloc_array(&x->g->arena, (size_t)q->n, sizeof(int32_t));
    if (!q->scale || !q->zp) return -1;
    q->zp_elem = z ? z->c.elem : ONNX_UINT8;
    for (int i = 0; i < q->n; i++) {
        if (!(fabs(s->c.v[i]) < 1e30) || (z && !(fabs(z->c.v[i]) <= 65535)))
            return onnx_err(x, "scale or zero point %d out of range", i);
        q->scale[i] = (float)s->c.v[i];
        q->zp[i] = z ? (int32_t)z->c.v[i] : 0;
        if (!(q->scale[i] > 0) || !isfinite(q->scale[i]))
            return onnx_err(x, "scale %d is not a positive finite number", i);
    }
    return 0;
}

static int lower_dequantize(OnnxCtx *x, const Onnx__NodeProto *n)
{
    OnnxVal *v = need(x, n, 0), *out;
    QInfo q;
    if (!v || read_qparams(x, n, 1, 2, &q) || !(out = output(x, n))) return -1;
    if (is_const(v)) { /* weights or bias */
        out->kind = OV_QCONST;
        out->c = v->c;
        out->nq = q.n, out->qscale = q.scale, out->qzp = q.zp;
        out->qelem = v->c.elem;
        out->qaxis = (int)onnx_attr_int(n, "axis", 1);
        return 0;
    }
    if (act(x, v, "input") || v->kind != OV_ACT) return -1;
    if (q.n != 1) return onnx_err(x, "per-channel activation quantization is not supported");
    DType dt = T(x, v->tensor)->dtype;
    if (check_zp(x, v, q.zp[0], dt)) return -1;
    alias(out, v);
    out->kind = OV_DQ;
    out->scale = q.scale[0];
    return 0;
}

/* onnxruntime's per-channel output scale: fp32 (x_scale * w_scale[c]) / y_scale. */
static float ort_scale(float xs_ws, float ys)
{
    volatile float r = xs_ws / ys;
    return r;
}

/* onnxruntime adds two quantized tensors in fp32 (MLAS QLinearAdd:
 * a*(sa/sc) + b*(sb/sc), rounded once). The IR adds integers: each input is
 * requantized to 2^ADD_FRAC_BITS times the output scale (FLOAT), the sum is
 * scaled back by 2^-ADD_FRAC_BITS (FLOAT). Rounding the terms at 2^-12 of an
 * LSB makes the result differ from onnxruntime's only at (near) ties: within
 * 1 LSB, as the issue allows for groups onnxruntime computes in float. */
enum { ADD_FRAC_BITS = 12 };

static int float_add_requant(OnnxCtx *x, OnnxAcc *a, Node *nd, float ys)
{
    float sa = ort_scale(a->xs, ys) * (float)(1 << ADD_FRAC_BITS);
    float sb = ort_scale(a->fscale[0], ys) * (float)(1 << ADD_FRAC_BITS);
    float so = 1.0f / (float)(1 << ADD_FRAC_BITS);
    if (!(sa * 256.0f < 1.0e9f && sb * 256.0f < 1.0e9f))
        return onnx_err(x, "add input scales are too far from the output scale");
    if (rq_make_float(x->g, nd, &nd->in_rq[0], 1, &sa) ||
        rq_make_float(x->g, nd, &nd->in_rq[1], 1, &sb) || rq_make_float(x->g, nd, &nd->rq, 1, &so))
        return -1;
    return 0;
}

static int quantize_concat(OnnxCtx *x, const Onnx__NodeProto *n, OnnxVal *v, OnnxVal *out, float ys,
                           int32_t yz, DType dt);

/* QuantizeLinear closes a float group into one node with a FLOAT requant. */
static int quantize_acc(OnnxCtx *x, OnnxVal *v, OnnxVal *out, const QInfo *q)
{
    OnnxAcc *a = v->acc;
    Node *nd = a->node;
    if (a->closed) return onnx_err(x, "'%s' is quantized twice", v->name);
    a->closed = 1;
    if (a->ncat) {
        DType cdt = DT_U8;
        if (dtype_of_elem(x, q->zp_elem, &cdt)) return -1;
        return quantize_concat(x, x->cur, v, out, q->scale[0], q->zp[0], cdt);
    }
    if (!nd) return onnx_err(x, "nothing to quantize");
    DType dt = DT_U8;
    if (dtype_of_elem(x, q->zp_elem, &dt)) return -1;
    if (a->is_add && float_add_requant(x, a, nd, q->scale[0])) return -1;
    float *s = arena_alloc_array(&x->g->arena, (size_t)a->nch, sizeof(float));
    if (!s) return -1;
    for (int c = 0; c < a->nch && !a->is_add; c++) {
        if (a->avg_count) { /* MLAS global average pool: x_scale / (y_scale * N) */
            volatile float den = q->scale[0] * (float)a->avg_count;
            s[c] = ort_scale(a->xs, den);
        } else {
            volatile float xw = a->xs * a->fscale[c];
            s[c] = ort_scale(xw, q->scale[0]);
        }
    }
    if (a->avg_count) nd->avg_round = AVG_NONE;
    if (!a->is_add && rq_make_float(x->g, nd, &nd->rq, a->nch, s)) return -1;
    const DTypeInfo *di = dtype_info(dt);
    int64_t lo = di->min, hi = di->max;
    lo = DORY_MAX(lo, q->zp[0] + clamp_i64(nearbyint(a->rlo / q->scale[0]), -(1 << 20), 1 << 20));
    hi = DORY_MIN(hi, q->zp[0] + clamp_i64(nearbyint(a->rhi / q->scale[0]), -(1 << 20), 1 << 20));
    if (lo > hi) return onnx_err(x, "empty clamp range");
    nd->lo = (int32_t)lo, nd->hi = (int32_t)hi;
    out->orank = v->orank;
    memcpy(out->oshape, v->oshape, sizeof out->oshape);
    out->kind = OV_ACC;
    return acc_out(x, out, nd, dt, q->zp[0]);
}

static int lower_quantize(OnnxCtx *x, const Onnx__NodeProto *n)
{
    OnnxVal *v = need(x, n, 0), *out;
    QInfo q;
    if (!v || read_qparams(x, n, 1, 2, &q) || !(out = output(x, n))) return -1;
    if (q.n != 1) return onnx_err(x, "per-channel activation quantization is not supported");
    DType dt = DT_U8;
    if (dtype_of_elem(x, q.zp_elem, &dt)) return -1;
    if (v->kind == OV_FIN) { /* the graph input, quantized */
        if (fin_to_act(x, v, dt, q.zp[0], 1)) return -1;
        alias(out, v);
        return 0;
    }
    if (v->kind == OV_ACC && v->acc->is_float)
        return single_use(x, v) ? -1 : quantize_acc(x, v, out, &q);
    if (v->kind == OV_DQ) {
        const Tensor *t = T(x, v->tensor);
        if (v->scale != q.scale[0] || t->zp != q.zp[0] || t->dtype != dt)
            return onnx_err(x, "requantizing between different scales is not supported");
        alias(out, v);
        out->kind = OV_ACT;
        return 0;
    }
    return onnx_err(x, "QuantizeLinear of '%s' cannot be lowered", v->name);
}

/* ---- QOperator ------------------------------------------------------------- */

/* QLinearConv(x, xs, xz, w, ws, wz, ys, yz, B), QLinearMatMul(a, as, az, b,
 * bs, bz, ys, yz), QGemm(a, as, az, b, bs, bz, C, ys, yz). */
static int lower_qlinear(OnnxCtx *x, const Onnx__NodeProto *n, int fc, int kn, size_t bias_i,
                         size_t ys_i)
{
    OnnxVal *xv = need(x, n, 0), *wv = need(x, n, 3), *bv = bias_i ? input(x, n, bias_i) : NULL;
    QInfo xq, wq, yq;
    if (!xv || !wv || act(x, xv, "input") || xv->kind != OV_ACT) return -1;
    if (read_qparams(x, n, 1, 2, &xq) || read_qparams(x, n, 4, 5, &wq) ||
        read_qparams(x, n, ys_i, ys_i + 1, &yq))
        return -1;
    if (!is_const(wv)) return onnx_err(x, "weights must be constant");
    if (check_zp(x, xv, xq.zp[0], T(x, xv->tensor)->dtype)) return -1;
    WInfo wi = {&wv->c, DT_I8, wq.n, wq.scale, wq.zp};
    if (dtype_of_elem(x, wv->c.elem, &wi.dt)) return -1;
    OnnxVal *out = output(x, n);
    if (!out) return -1;
    Node *nd = fc ? make_fc(x, n, xv, &wi, kn, bv, out) : make_conv(x, n, xv, &wi, bv, out);
    if (open_acc(x, out, nd, (int)out->oshape[1], xq.scale[0], &wi)) return -1;
    OnnxVal tmp = *out;
    return quantize_acc(x, &tmp, out, &yq);
}

static int lower_qgemm(OnnxCtx *x, const Onnx__NodeProto *n)
{
    if (onnx_attr_float(n, "alpha", 1) != 1 || onnx_attr_int(n, "transA", 0))
        return onnx_err(x, "QGemm needs alpha = 1 and transA = 0");
    if (n->n_input < 9 || !n->input[7][0])
        return onnx_err(x, "QGemm with a float output is not supported");
    return lower_qlinear(x, n, 1, onnx_attr_int(n, "transB", 0) == 0, 6, 7);
}

static int lower_qgap(OnnxCtx *x, const Onnx__NodeProto *n)
{
    OnnxVal *v = need(x, n, 0), *out;
    QInfo xq, yq;
    if (!v || act(x, v, "input") || v->kind != OV_ACT) return -1;
    if (read_qparams(x, n, 1, 2, &xq) || read_qparams(x, n, 3, 4, &yq)) return -1;
    if (onnx_attr_int(n, "channels_last", 0)) return onnx_err(x, "channels_last is not supported");
    if (check_zp(x, v, xq.zp[0], T(x, v->tensor)->dtype)) return -1;
    int64_t h, w, c;
    hwc_of(v, &h, &w, &c);
    if (h > 4096 || w > 4096) return onnx_err(x, "global pooling window larger than 4096");
    int in[1] = {v->tensor};
    if (!(out = output(x, n))) return -1;
    Node *nd = add_node(x, node_name(n), OP_AVGPOOL, 1, in, -1);
    if (!nd || open_acc(x, out, nd, (int)c, 0, NULL)) return -1;
    nd->global = true;
    nd->kernel[0] = (int)h, nd->kernel[1] = (int)w;
    set_oshape(out, v->orank, 1, 1, c);
    out->acc->avg_count = (int)(h * w);
    out->acc->is_float = 1;
    out->acc->xs = xq.scale[0];
    OnnxVal tmp = *out;
    return quantize_acc(x, &tmp, out, &yq);
}

/* QLinearAdd(A, As, Az, B, Bs, Bz, Cs, Cz) (com.microsoft). */
static int lower_qadd(OnnxCtx *x, const Onnx__NodeProto *n)
{
    OnnxVal *a = need(x, n, 0), *b = need(x, n, 3);
    QInfo aq, bq, cq;
    if (!a || !b || act(x, a, "input") || act(x, b, "input")) return -1;
    if (read_qparams(x, n, 1, 2, &aq) || read_qparams(x, n, 4, 5, &bq) ||
        read_qparams(x, n, 6, 7, &cq))
        return -1;
    if (a->kind != OV_ACT || b->kind != OV_ACT) return onnx_err(x, "inputs must be integers");
    if (check_zp(x, a, aq.zp[0], T(x, a->tensor)->dtype) ||
        check_zp(x, b, bq.zp[0], T(x, b->tensor)->dtype) ||
        open_float_add(x, n, a, b, aq.scale[0], bq.scale[0]))
        return -1;
    OnnxVal *out = onnx_val(x, n->output[0]), tmp = *out;
    return quantize_acc(x, &tmp, out, &cq);
}

/* QLinearAveragePool(X, xs, xz, ys, yz): onnxruntime's arithmetic is that of
 * the QDQ group DQ -> AveragePool -> Q (sum, then one FLOAT requant). */
static int lower_qavgpool(OnnxCtx *x, const Onnx__NodeProto *n)
{
    OnnxVal *v = need(x, n, 0);
    QInfo xq, yq;
    if (!v || act(x, v, "input") || v->kind != OV_ACT) return -1;
    if (read_qparams(x, n, 1, 2, &xq) || read_qparams(x, n, 3, 4, &yq)) return -1;
    if (onnx_attr_int(n, "channels_last", 0)) return onnx_err(x, "channels_last is not supported");
    if (check_zp(x, v, xq.zp[0], T(x, v->tensor)->dtype)) return -1;
    OnnxVal dq = *v;
    dq.kind = OV_DQ;
    dq.scale = xq.scale[0];
    if (lower_pool_on(x, n, &dq, 0, 0)) return -1;
    OnnxVal *out = onnx_val(x, n->output[0]), tmp = *out;
    return quantize_acc(x, &tmp, out, &yq);
}

/* Requantizes an input of a concatenation to the output's scale and zero
 * point (onnxruntime: a lookup table of round(xs*(x - xz) / ys) + yz, two fp32
 * roundings; here one FLOAT requant: within 1 LSB). Returns the tensor. */
static int concat_requant(OnnxCtx *x, const Onnx__NodeProto *n, OnnxVal *v, float xs, float ys,
                          int32_t yz, DType dt)
{
    const Tensor *t = T(x, v->tensor);
    if (xs == ys && t->zp == yz && t->dtype == dt) return v->tensor;
    int in[1] = {v->tensor};
    Node *nd = add_node(x, onnx_tmp_name(x, node_name(n), ".rq"), OP_REQUANT, 1, in, -1);
    if (!nd) return -1;
    float s = ort_scale(xs, ys);
    if (rq_make_float(x->g, nd, &nd->rq, 1, &s)) return -1;
    int64_t h, w, c;
    hwc_of(v, &h, &w, &c);
    int id = new_act(x, nd->name, dt, h, w, c, v->orank, v->oshape, yz);
    if (id < 0) return -1;
    nd->out = id;
    nd->lo = (int32_t)dtype_info(dt)->min, nd->hi = (int32_t)dtype_info(dt)->max;
    return id;
}

/* DQ inputs with different scales: the concat waits for its QuantizeLinear. */
static int open_float_concat(OnnxCtx *x, const Onnx__NodeProto *n, OnnxVal **vals, int nin,
                             int64_t csum)
{
    OnnxVal *out = output(x, n);
    OnnxAcc *a = out ? new_acc(x, NULL, 1) : NULL;
    if (!a) return -1;
    a->is_float = 1;
    a->ncat = nin;
    for (int i = 0; i < nin; i++) a->cat[i] = vals[i];
    acc_result(out, vals[0], a);
    out->oshape[1] = csum;
    return 0;
}

static int quantize_concat(OnnxCtx *x, const Onnx__NodeProto *n, OnnxVal *v, OnnxVal *out, float ys,
                           int32_t yz, DType dt)
{
    OnnxAcc *a = v->acc;
    int in[DORY_MAX_INPUTS];
    for (int i = 0; i < a->ncat; i++)
        if ((in[i] = concat_requant(x, n, a->cat[i], a->cat[i]->scale, ys, yz, dt)) < 0) return -1;
    Node *nd = add_node(x, node_name(n), OP_CONCAT, a->ncat, in, -1);
    if (!nd) return -1;
    out->orank = v->orank;
    memcpy(out->oshape, v->oshape, sizeof out->oshape);
    out->kind = OV_ACC;
    return acc_out(x, out, nd, dt, yz);
}

/* Concat on channels of activations with one scale and zero point. */
static int lower_concat(OnnxCtx *x, const Onnx__NodeProto *n, int qlinear)
{
    int64_t axis = onnx_attr_int(n, "axis", 1);
    size_t first = qlinear ? 2 : 0, step = qlinear ? 3 : 1;
    int in[DORY_MAX_INPUTS], nin = 0;
    int64_t csum = 0;
    OnnxVal *v0 = NULL, *vals[DORY_MAX_INPUTS];
    int mixed = 0;
    for (size_t i = first; i < n->n_input; i += step) {
        OnnxVal *v = need(x, n, i);
        if (!v || act(x, v, "input")) return -1;
        if (nin == DORY_MAX_INPUTS) return onnx_err(x, "too many inputs");
        if (!v0) v0 = v;
        if (v->orank != v0->orank || (axis != 1 && axis != 1 - v->orank))
            return onnx_err(x, "only concatenation on channels is supported");
        if (v->kind != v0->kind)
            return onnx_err(x, "concatenated inputs must all be integers or all dequantized");
        if (v->kind == OV_DQ &&
            (v->scale != v0->scale || T(x, v->tensor)->zp != T(x, v0->tensor)->zp))
            mixed = 1;
        in[nin] = v->tensor;
        if (qlinear) {
            QInfo iq, yq;
            DType dt = T(x, v->tensor)->dtype;
            if (read_qparams(x, n, i + 1, i + 2, &iq) || read_qparams(x, n, 0, 1, &yq) ||
                check_zp(x, v, iq.zp[0], dt))
                return -1;
            in[nin] = concat_requant(x, n, v, iq.scale[0], yq.scale[0], yq.zp[0], dt);
            if (in[nin] < 0) return -1;
        }
        vals[nin++] = v;
        csum += v->oshape[1];
    }
    if (!nin) return onnx_err(x, "Concat without inputs");
    if (mixed) return open_float_concat(x, n, vals, nin, csum);
    OnnxVal *out = output(x, n);
    Node *nd = out ? add_node(x, node_name(n), OP_CONCAT, nin, in, -1) : NULL;
    if (!nd) return -1;
    const Tensor *t0 = T(x, in[0]);
    int64_t h, w, c;
    hwc_of(v0, &h, &w, &c);
    *out = (OnnxVal){.name = out->name, .nuses = out->nuses, .scale = v0->scale};
    set_oshape(out, v0->orank, h, w, csum);
    out->kind = OV_ACC;
    if (acc_out(x, out, nd, t0->dtype, t0->zp)) return -1;
    out->kind = qlinear ? OV_ACT : v0->kind;
    return 0;
}

static int lower_float_add(OnnxCtx *x, const Onnx__NodeProto *n, OnnxVal *a, OnnxVal *b)
{
    if (act(x, a, "input") || act(x, b, "input")) return -1;
    if (a->kind != OV_DQ || b->kind != OV_DQ)
        return onnx_err(x, "Add needs two dequantized inputs (or two integer ones)");
    return open_float_add(x, n, a, b, a->scale, b->scale);
}
/* ---- BatchNormalization in the float domain ------------------------------------- */

/* A per-channel parameter: a constant or a dequantized constant (the QDQ
 * quantizer quantizes BN's gamma and beta). */
static int bn_param(OnnxCtx *x, const OnnxVal *v, int64_t nch, double *out)
{
    if (!v || (v->kind != OV_CONST && v->kind != OV_QCONST) || v->c.numel != nch)
        return onnx_err(x, "BatchNormalization parameters must be constants with one value per "
                           "channel");
    for (int64_t c = 0; c < nch; c++) {
        double q = v->c.v[c];
        if (v->kind == OV_QCONST) {
            int i = v->nq == 1 ? 0 : (int)c;
            if (v->nq != 1 && v->nq != nch) return onnx_err(x, "BN parameter scales");
            q = (q - v->qzp[i]) * v->qscale[i];
        }
        if (!isfinite(q)) return onnx_err(x, "BatchNormalization parameter is not finite");
        out[c] = q;
    }
    return 0;
}

/* DequantizeLinear -> BatchNormalization -> (Relu) -> QuantizeLinear, which
 * onnxruntime computes in fp32 (BN not folded into a Conv): a depthwise 1x1
 * conv with weights +-64 and an int32 bias carrying beta - mean*g to 1/64 of
 * an input step, then a FLOAT requant x_scale*|g|/64 / y_scale. Within 1 LSB
 * of onnxruntime (rounding of the bias, fp32 order of operations). */
static int lower_batchnorm(OnnxCtx *x, const Onnx__NodeProto *n)
{
    OnnxVal *v = need(x, n, 0), *out;
    if (!v || act(x, v, "input")) return -1;
    if (v->kind != OV_DQ)
        return onnx_err(x, "BatchNormalization must be folded into the preceding Conv (e.g. by "
                           "onnxruntime.quantization.quant_pre_process) or act on a "
                           "dequantized tensor");
    int64_t h, w, c;
    hwc_of(v, &h, &w, &c);
    double *p = arena_alloc_array(&x->g->arena, (size_t)(4 * c), sizeof(double));
    if (!p) return -1;
    for (int i = 0; i < 4; i++)
        if (bn_param(x, need(x, n, (size_t)i + 1), c, p + i * c)) return -1;
    double eps = onnx_attr_float(n, "epsilon", 1e-5f);
    float s1 = v->scale;
    int64_t *wv = arena_alloc_array(&x->g->arena, (size_t)c, sizeof(int64_t));
    int64_t *bv = arena_alloc_array(&x->g->arena, (size_t)c, sizeof(int64_t));
    float *fs = arena_alloc_array(&x->g->arena, (size_t)c, sizeof(float));
    if (!wv || !bv || !fs || !(out = output(x, n))) return -1;
    for (int64_t i = 0; i < c; i++) {
        double g = p[i] / sqrt(p[3 * c + i] + eps), bb = p[c + i] - p[2 * c + i] * g;
        double mag = g != 0 ? fabs(g) : 1.0, b = 64.0 * bb / (s1 * mag);
        if (!isfinite(g) || !(fabs(b) < 2.0e9))
            return onnx_err(x, "BatchNormalization channel %lld is out of range", (long long)i);
        wv[i] = g > 0 ? 64 : g < 0 ? -64 : 0;
        bv[i] = (int64_t)nearbyint(b);
        fs[i] = (float)(mag / 64.0);
    }
    int64_t wshape[4] = {c, 1, 1, 1}, bshape[1] = {c};
    int in[3] = {
        v->tensor,
        graph_add_const(x->g, onnx_tmp_name(x, node_name(n), ".w"), DT_I8, 4, wshape, wv),
        graph_add_const(x->g, onnx_tmp_name(x, node_name(n), ".b"), DT_I32, 1, bshape, bv)};
    if (in[1] < 0 || in[2] < 0) return -1;
    Node *nd = add_node(x, node_name(n), OP_CONV2D, 3, in, -1);
    if (!nd) return -1;
    nd->groups = (int)c;
    set_oshape(out, v->orank, h, w, c);
    out->flat = v->flat;
    WInfo wi = {NULL, DT_I8, (int)c, fs, NULL};
    return open_acc(x, out, nd, (int)c, s1, &wi);
}

/* ---- Dispatch ----------------------------------------------------------------- */

int onnx_is_tail_op(const char *op)
{
    static const char *const ops[] = {"LogSoftmax", "Softmax", "Sigmoid", "Gather",
                                      "Unsqueeze",  "Squeeze", "Concat",  "Identity"};
    for (size_t i = 0; i < DORY_ARRAY_LEN(ops); i++)
        if (!strcmp(op, ops[i])) return 1;
    return 0;
}

/* Ops that mark another dialect: integer dialects have no Q/DQ, QDQ has no
 * QLinear* ops. */
static int dialect_forbids(Dialect d, const char *op)
{
    int qdq = !strcmp(op, "QuantizeLinear") || !strcmp(op, "DequantizeLinear");
    int qop = !strncmp(op, "QLinear", 7) || !strcmp(op, "QGemm");
    if (d == DIALECT_NEMO || d == DIALECT_QUANTLAB) return qdq || qop;
    if (d == DIALECT_QDQ) return qop;
    return 0;
}

int onnx_lower_node(OnnxCtx *x, const Onnx__NodeProto *n)
{
    const char *op = n->op_type;
    if (n->n_output < 1) return onnx_err(x, "node has no output");
    if (dialect_forbids(x->dialect, op))
        return onnx_err(x, "operator %s is not part of the %s dialect (see --dialect)", op,
                        onnx_dialect_name(x->dialect));
    OnnxVal *in0 = n->n_input ? input(x, n, 0) : NULL;
    if (n->n_input && n->input[0][0] && !in0) return -1;
    if (!strcmp(op, "Constant")) return lower_constant(x, n);
    if (in0 && is_const(in0) &&
        (!strcmp(op, "Unsqueeze") || !strcmp(op, "Squeeze") || !strcmp(op, "Identity") ||
         !strcmp(op, "Reshape")))
        return lower_const_shape(x, n, in0);
    if (!strcmp(op, "Conv")) return lower_conv_like(x, n, 0, 0);
    if (!strcmp(op, "MatMul")) return lower_conv_like(x, n, 1, 1);
    if (!strcmp(op, "Gemm")) return lower_gemm(x, n);
    if (!strcmp(op, "Mul")) return lower_arith(x, n, '*');
    if (!strcmp(op, "Add")) return lower_arith(x, n, '+');
    if (!strcmp(op, "Sub")) return lower_arith(x, n, '-');
    if (!strcmp(op, "Div")) return lower_arith(x, n, '/');
    if (!strcmp(op, "Clip")) return lower_clip(x, n, 0);
    if (!strcmp(op, "Relu")) return lower_clip(x, n, 1);
    if (!strcmp(op, "Cast") || !strcmp(op, "Floor") || !strcmp(op, "Identity"))
        return lower_passthrough(x, n);
    if (!strcmp(op, "MaxPool")) return lower_pool(x, n, 1, 0);
    if (!strcmp(op, "AveragePool")) return lower_pool(x, n, 0, 0);
    if (!strcmp(op, "GlobalAveragePool")) return lower_pool(x, n, 0, 1);
    if (!strcmp(op, "GlobalMaxPool")) return lower_pool(x, n, 1, 1);
    if (!strcmp(op, "Flatten") || !strcmp(op, "Reshape")) return lower_reshape(x, n);
    if (!strcmp(op, "Pad")) return lower_pad(x, n);
    if (!strcmp(op, "Concat")) return lower_concat(x, n, 0);
    if (!strcmp(op, "QuantizeLinear")) return lower_quantize(x, n);
    if (!strcmp(op, "DequantizeLinear")) return lower_dequantize(x, n);
    if (!strcmp(op, "QLinearConv")) return lower_qlinear(x, n, 0, 0, 8, 6);
    if (!strcmp(op, "QLinearMatMul")) return lower_qlinear(x, n, 1, 1, 0, 6);
    if (!strcmp(op, "QGemm")) return lower_qgemm(x, n);
    if (!strcmp(op, "QLinearGlobalAveragePool")) return lower_qgap(x, n);
    if (!strcmp(op, "QLinearConcat")) return lower_concat(x, n, 1);
    if (!strcmp(op, "QLinearAdd")) return lower_qadd(x, n);
    if (!strcmp(op, "QLinearAveragePool")) return lower_qavgpool(x, n);
    if (!strcmp(op, "BatchNormalization")) return lower_batchnorm(x, n);
    return onnx_err(x, "operator %s is not supported (in the %s dialect)", op,
                    onnx_dialect_name(x->dialect));
}
