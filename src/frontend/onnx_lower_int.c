/* onnx_lower_int.c: the integer dialects (NEMO, QuantLab). Conv/Gemm/MatMul
 * and pools open an accumulator (onnx_lower.c); Mul/Add/Sub by constants,
 * Cast, Div and Floor here collect (k*acc + l) / D; Clip/Relu or any other
 * consumer close it into one SHIFT requant with the clamp (a divisor that is
 * not a power of two becomes an exact multiply-shift, src/ir/quant.c). Sums
 * of scaled activations are NEMO's QAdd; QuantLab's Add carries its
 * requantization in attributes.
 *
 * Must not handle quantized float groups (onnx_lower_qdq.c does) or read
 * protobuf bytes.
 */
#include "onnx_lower.h"

#include <math.h>
#include <string.h>

#include "ir/quant.h"

OnnxIntEpi *ol_new_int_epi(OnnxCtx *x, int nch)
{
    OnnxIntEpi *e = arena_alloc(&x->g->arena, sizeof *e);
    if (!e) return NULL;
    e->k = arena_alloc_array(&x->g->arena, (size_t)nch, sizeof(double));
    e->l = arena_alloc_array(&x->g->arena, (size_t)nch, sizeof(double));
    if (!e->k || !e->l) return NULL;
    for (int i = 0; i < nch; i++) e->k[i] = 1;
    e->div = 1;
    e->lo = INT32_MIN;
    e->hi = INT32_MAX;
    return e;
}

/* An accumulator without node: a sum of terms. */
static OnnxAcc *new_sum(OnnxCtx *x)
{
    OnnxAcc *a = ol_new_acc(x, NULL, 1);
    if (!a || !(a->ie = ol_new_int_epi(x, 1))) return NULL;
    return a;
}

/* ---- Closing: the SHIFT requant ------------------------------------------- */

/* The division of the epilogue as a shift d; *magic when D is not a power
 * of two and needs the exact multiply-shift. */
static int int_division(OnnxCtx *x, const OnnxIntEpi *e, int64_t lo, int64_t hi, int *d, int *magic)
{
    *d = 0, *magic = 0;
    if (e->div == 1) return 0;
    if (!e->floored)
        return onnx_err(x, "a division is not followed by Floor or an integer "
                           "cast: the result is not an integer");
    if (!q_pow2_exponent(e->div, d)) {
        if (lo < 0 || hi > INT32_MAX / 2)
            return onnx_err(x,
                            "division by %.0f (not a power of two) needs a clamp to "
                            "[0, hi] to be lowered exactly",
                            e->div);
        *magic = 1;
    } else if (e->trunc_div && lo < 0) {
        return onnx_err(x, "integer division truncates toward zero; with a negative clamp "
                           "it cannot be lowered to a shift");
    }
    return 0;
}

static int exact_div(OnnxCtx *x, int64_t D, int64_t hi, int nch, int64_t *k, int64_t *l, int *d)
{
    for (int c = 0; c < nch; c++) *d = DORY_MAX(*d, q_exact_div_shift(k[c], l[c], D, hi));
    if (*d > 62) return onnx_err(x, "division by %lld cannot be lowered exactly", (long long)D);
    for (int c = 0; c < nch; c++)
        if (q_exact_div_consts(k[c], l[c], D, hi, *d, &k[c], &l[c]))
            return onnx_err(x, "division by %lld: constants exceed 62 bits", (long long)D);
    return 0;
}

/* The SHIFT requant equal to the collected epilogue. */
static int int_requant(OnnxCtx *x, OnnxAcc *a, Node *n, Requant *rq, int64_t lo, int64_t hi)
{
    const OnnxIntEpi *e = a->ie;
    int nch = a->nch, d = 0, magic = 0;
    int64_t *k = arena_alloc_array(&x->g->arena, (size_t)nch, sizeof(int64_t));
    int64_t *l = arena_alloc_array(&x->g->arena, (size_t)nch, sizeof(int64_t));
    if (!k || !l) return -1;
    for (int c = 0; c < nch; c++) {
        if (!q_is_integral(e->k[c]) || !q_is_integral(e->l[c]) || fabs(e->k[c]) > 4.0e18 ||
            fabs(e->l[c]) > 4.0e18)
            return onnx_err(x, "requantization constants are not integers (or exceed 62 bits)");
        k[c] = (int64_t)e->k[c], l[c] = (int64_t)e->l[c];
    }
    if (int_division(x, e, lo, hi, &d, &magic)) return -1;
    if (magic && exact_div(x, (int64_t)e->div, hi, nch, k, l, &d)) return -1;
    int identity = d == 0;
    for (int c = 0; c < nch; c++) identity &= k[c] == 1 && l[c] == 0;
    if (identity) {
        *rq = rq_none();
        return 0;
    }
    return rq_make_shift(x->g, n, rq, nch, k, l, d);
}

/* Range of a sum of scaled terms before the output requant. */
static void terms_range(OnnxCtx *x, const OnnxIntEpi *e, int64_t *lo, int64_t *hi)
{
    double l = 0, h = 0;
    for (int i = 0; i < e->nterm; i++) {
        const DTypeInfo *di = dtype_info(ol_tensor(x, e->term[i])->dtype);
        double p = e->tk[i] * (double)di->min, q = e->tk[i] * (double)di->max;
        l += fmin(p, q), h += fmax(p, q);
    }
    double kl = e->k[0] * l, kh = e->k[0] * h; /* the output multiplier (RequantShift) */
    l = floor((fmin(kl, kh) + e->l[0]) / e->div), h = floor((fmax(kl, kh) + e->l[0]) / e->div);
    *lo = q_sat_f64(l, INT32_MIN, INT32_MAX), *hi = q_sat_f64(h, INT32_MIN, INT32_MAX);
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

/* The per-input SHIFT multipliers of a two-term sum (NEMO QAdd). */
static int add_input_requants(OnnxCtx *x, const OnnxIntEpi *e, Node *n)
{
    for (int i = 0; i < e->nterm && e->nterm == 2; i++) {
        if (!q_is_integral(e->tk[i]) || fabs(e->tk[i]) > 2147483647.0)
            return onnx_err(x, "add input scale is not a 32-bit integer");
        int64_t k = (int64_t)e->tk[i];
        if (k != 1 && rq_make_shift(x->g, n, &n->in_rq[i], 1, &k, NULL, 0)) return -1;
    }
    return 0;
}

/* A sum of scaled activations (NEMO's QAdd) becomes an add node; a single
 * scaled activation a requant node. */
static int close_terms(OnnxCtx *x, OnnxVal *v)
{
    OnnxAcc *a = v->acc;
    OnnxIntEpi *e = a->ie;
    int in[2] = {e->term[0], e->term[1]};
    Node *n = build_node(&x->b, build_tensor_name(&x->b, v->name, ""),
                         e->nterm == 2 ? OP_ADD : OP_REQUANT, e->nterm, in, -1);
    if (!n) return -1;
    int64_t lo, hi;
    terms_range(x, e, &lo, &hi);
    /* DORY's add saturates to the 8-bit input type; so does dory. A
     * RequantShift's clamp is the whole clamp: its range gives the type. */
    DType dt = e->exact_clamp ? build_dtype_for_range(e->lo, e->hi) : ol_tensor(x, in[0])->dtype;
    const DTypeInfo *di = dtype_info(dt);
    lo = DORY_MAX(lo, e->lo), hi = DORY_MIN(hi, e->hi);
    if (!e->exact_clamp) warn_saturation(x, v->name, lo, hi, di);
    lo = DORY_MAX(lo, di->min), hi = DORY_MIN(hi, di->max);
    if (lo > hi) lo = hi = DORY_MAX(e->lo, DORY_MIN(e->hi, lo));
    if (add_input_requants(x, e, n)) return -1;
    if (e->nterm == 1) e->k[0] *= e->tk[0];
    if (int_requant(x, a, n, &n->rq, lo, hi)) return -1;
    n->lo = (int32_t)lo, n->hi = (int32_t)hi;
    return ol_acc_out(x, v, n, dt, 0);
}

/* ---- Two requantizations in a row ------------------------------------------ */

/* A first division whose floor is exact: every multiplier and the addend
 * are multiples of the divisor (then one requant is provably the same). */
static int exact_first_div(OnnxIntEpi *e, int nch)
{
    int exact = fmod(e->l[0], e->div) == 0;
    for (int i = 0; i < e->nterm; i++) exact &= fmod(e->tk[i] * e->k[0], e->div) == 0;
    if (!exact || e->trunc_div) return 0;
    for (int i = 0; i < e->nterm; i++) e->tk[i] = e->tk[i] * e->k[0] / e->div;
    for (int c = 0; c < nch; c++) e->k[c] = 1, e->l[c] /= e->div;
    e->div = 1;
    return 1;
}

/* A floored sum of activations that more arithmetic follows (NEMO's
 * PACT_IntegerAdd, then the Mul/Div of the PACT_IntegerAct after it):
 * floor(floor(s / D1) * m / D2) is not one SHIFT of s, so the sum becomes
 * an add node of its own whose output holds floor(s / D1) unclipped (its
 * proven range must fit 8 bits), and the rest a requant node on it. 1 when
 * v is now that activation, 0 when no split is needed. */
int ol_split_floored_sum(OnnxCtx *x, OnnxVal *v, const char *what)
{
    OnnxAcc *a = v->acc;
    OnnxIntEpi *e = a->ie;
    if (e->div == 1 || (!a->node && exact_first_div(e, a->nch))) return 0;
    if (a->node || !e->floored || e->lo != INT32_MIN || e->hi != INT32_MAX)
        return onnx_err(x, "%s after a division cannot be lowered", what);
    int64_t lo, hi;
    terms_range(x, e, &lo, &hi);
    if (build_dtype_for_range(lo, hi) == DT_I32)
        return onnx_err(x,
                        "'%s' (a sum divided and floored, then requantized again) can reach "
                        "[%lld, %lld]: more than the 8 bits of an activation",
                        v->name, (long long)lo, (long long)hi);
    e->lo = lo, e->hi = hi, e->exact_clamp = 1;
    return onnx_materialize(x, v) ? -1 : 1;
}

/* No Clip after a pool: DORY keeps the input's 8-bit type and saturates. */
static void pool_saturation(OnnxCtx *x, const OnnxVal *v, const Node *n, int64_t *lo, int64_t *hi)
{
    const OnnxAcc *a = v->acc;
    const OnnxIntEpi *e = a->ie;
    const DTypeInfo *di = dtype_info(ol_tensor(x, n->in[0])->dtype);
    double top = (double)di->max * (n->avg_round == AVG_NONE ? n->kernel[0] * n->kernel[1] : 1);
    double r0 = floor(top * e->k[0] / e->div), r1 = floor(e->l[0] / e->div);
    for (int c = 0; c < a->nch; c++) {
        double rc = floor((top * e->k[c] + e->l[c]) / e->div);
        r0 = fmax(r0, rc), r1 = fmin(r1, rc);
    }
    warn_saturation(x, v->name, q_sat_f64(r1, INT32_MIN, INT32_MAX),
                    q_sat_f64(r0, INT32_MIN, INT32_MAX), di);
    *lo = di->min, *hi = di->max;
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
    if (a->fe)
        return onnx_err(x,
                        "'%s' is a float result that no QuantizeLinear brings back to "
                        "integers",
                        v->name);
    if (!a->node) return close_terms(x, v);
    Node *n = a->node;
    if (a->avg_count) {
        if (a->ie->div != 1 || a->nch < 1)
            return onnx_err(x, "average pooling result is not an integer");
        n->avg_round = AVG_FLOOR; /* ONNX AveragePool then Floor */
        if (!a->ie->floored)
            return onnx_err(x, "AveragePool's result is not floored to an integer");
    }
    int64_t lo = a->ie->lo, hi = a->ie->hi;
    if (n->op == OP_AVGPOOL && lo == INT32_MIN && hi == INT32_MAX)
        pool_saturation(x, v, n, &lo, &hi);
    DType dt = build_dtype_for_range(lo, hi);
    if (int_requant(x, a, n, &n->rq, lo, hi)) return -1;
    n->lo = (int32_t)lo, n->hi = (int32_t)hi;
    return ol_acc_out(x, v, n, dt, 0);
}

/* Clip / Relu on an integer accumulator: narrows the clamp and closes it. */
int ol_clip_int(OnnxCtx *x, OnnxVal *v, OnnxVal *out, double lo, double hi)
{
    OnnxIntEpi *e = v->acc->ie;
    e->lo = DORY_MAX(e->lo, q_sat_f64(ceil(lo), INT32_MIN, INT32_MAX));
    e->hi = DORY_MIN(e->hi, q_sat_f64(floor(hi), INT32_MIN, INT32_MAX));
    if (e->lo > e->hi) return onnx_err(x, "empty clamp range");
    ol_acc_result(out, v, v->acc);
    return onnx_materialize(x, out);
}

/* ---- Collecting: Cast / Floor / Identity, arithmetic by constants ---------- */

static int is_int_elem(int e) { return e != ONNX_FLOAT && e != ONNX_DOUBLE; }

/* Cast / Floor / Identity: integer-valued results stay what they are. */
int ol_lower_passthrough(OnnxCtx *x, const Onnx__NodeProto *n, int arg)
{
    (void)arg;
    OnnxVal *v = ol_need(x, n, 0), *out;
    if (!v || !(out = ol_output(x, n)) || ol_single_use(x, v)) return -1;
    ol_alias(out, v);
    if (v->kind != OV_ACC || !v->acc->ie) return 0;
    OnnxIntEpi *e = v->acc->ie;
    if (!strcmp(n->op_type, "Floor")) e->floored = 1;
    if (!strcmp(n->op_type, "Cast")) {
        int to = (int)onnx_attr_int(n, "to", ONNX_FLOAT);
        if (is_int_elem(to) && !e->int_typed) e->floored = e->floored || e->div == 1;
        if (is_int_elem(to) && e->div != 1 && !e->floored)
            return onnx_err(x, "Cast of a fractional value truncates; not lowered");
        e->int_typed = is_int_elem(to);
    }
    return 0;
}

static int divide(OnnxCtx *x, OnnxIntEpi *e, const OnnxVal *cv)
{
    double D;
    if (ol_scalar(x, cv, "the divisor", &D)) return -1;
    if (!(D >= 1) || !q_is_integral(D) || e->div * D > 4.0e18)
        return onnx_err(x, "divisor %g must be a positive integer", D);
    e->div *= D;
    e->trunc_div = e->int_typed;
    e->floored = e->int_typed;
    return 0;
}

/* Per-output-channel vector of a constant that broadcasts against an
 * activation of ONNX rank `orank` (channel axis 1); -1 if it does not. */
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

/* Mul / Add / Sub by a per-channel or scalar constant. */
static int scale_or_shift(OnnxCtx *x, const Onnx__NodeProto *n, const OnnxVal *v, const OnnxVal *cv,
                          char op)
{
    OnnxAcc *a = v->acc;
    OnnxIntEpi *e = a->ie;
    double *cvec = arena_alloc_array(&x->g->arena, (size_t)a->nch, sizeof(double));
    if (!cvec) return -1;
    if (e->div != 1) return onnx_err(x, "%s after a division cannot be lowered", n->op_type);
    if (a->nch == 1 && cv->c.numel != 1)
        return onnx_err(x, "per-channel constant on a sum of activations");
    if (chan_vector(x, &cv->c, v->orank, a->nch, cvec)) return -1;
    if (op == '*' && a->avg_count && a->nch && cv->c.numel == 1 && cvec[0] == a->avg_count) {
        a->avg_count = 0; /* AveragePool * count: the window sum */
        a->node->avg_round = AVG_NONE;
    } else if (op == '*') {
        for (int c = 0; c < a->nch; c++) e->k[c] *= cvec[c], e->l[c] *= cvec[c];
        for (int i = 0; i < e->nterm; i++) e->tk[i] *= cvec[0];
        if (e->nterm) e->k[0] = 1;
    } else {
        for (int c = 0; c < a->nch; c++) e->l[c] += op == '+' ? cvec[c] : -cvec[c];
    }
    return 0;
}

/* Mul by ones, Add or Sub of zeros: changes nothing. */
static int identity_const(const OnnxVal *cv, char op)
{
    for (int64_t i = 0; i < cv->c.numel; i++)
        if (cv->c.v[i] != (op == '*' ? 1 : 0)) return 0;
    return op != '/';
}

/* The activation v as a one-term sum in *sv (v itself keeps its meaning for
 * its other users); int_typed: ONNX holds it in an integer type. */
static int act_as_sum(OnnxCtx *x, OnnxVal *v, int int_typed, OnnxVal *sv)
{
    if (ol_act(x, v, "input")) return -1;
    if (v->kind != OV_ACT) return onnx_err(x, "'%s' is not an integer activation", v->name);
    OnnxAcc *a = new_sum(x);
    if (!a) return -1;
    a->ie->nterm = 1;
    a->ie->term[0] = v->tensor;
    a->ie->tk[0] = 1;
    a->ie->int_typed = int_typed;
    *sv = *v;
    ol_acc_result(sv, v, a);
    sv->nuses = 1;
    return 0;
}

/* Mul / Add / Sub / Div of an accumulator (or activation) by a constant. */
static int arith_const(OnnxCtx *x, const Onnx__NodeProto *n, OnnxVal *v, OnnxVal *cv, char op)
{
    OnnxVal sum;
    int is_acc = v->kind == OV_ACC && v->acc->ie;
    if (is_acc && ol_single_use(x, v)) return -1;
    if (is_acc && !v->acc->avg_count && identity_const(cv, op)) {
        OnnxVal *out = ol_output(x, n);
        if (out) ol_alias(out, v);
        return out ? 0 : -1;
    }
    if (is_acc && op != '/') {
        int int_typed = v->acc->ie->int_typed;
        int split = ol_split_floored_sum(x, v, n->op_type);
        if (split < 0 || (split && act_as_sum(x, v, int_typed, &sum))) return -1;
        if (split) v = &sum;
    } else if (v->kind == OV_FIN || v->kind == OV_ACT) {
        if (op != '*' && op != '/')
            return onnx_err(x, "%s of an activation by a constant cannot be lowered", n->op_type);
        if (act_as_sum(x, v, 0, &sum)) return -1;
        v = &sum;
    }
    if (v->kind != OV_ACC || !v->acc->ie)
        return onnx_err(x, "%s of '%s' by a constant cannot be lowered", n->op_type, v->name);
    if (op == '/' ? divide(x, v->acc->ie, cv) : scale_or_shift(x, n, v, cv, op)) return -1;
    OnnxVal *out = ol_output(x, n);
    if (!out) return -1;
    ol_acc_result(out, v, v->acc);
    return 0;
}

int ol_lower_arith(OnnxCtx *x, const Onnx__NodeProto *n, int op)
{
    OnnxVal *a = ol_need(x, n, 0), *b = ol_need(x, n, 1);
    if (!a || !b) return -1;
    if (ol_is_const(a) && ol_is_const(b))
        return onnx_err(x, "constant folding of %s is not supported", n->op_type);
    if (ol_is_const(a) && (op == '*' || op == '+')) return arith_const(x, n, b, a, (char)op);
    if (ol_is_const(b)) return arith_const(x, n, a, b, (char)op);
    if (op == '+') return ol_add_acts(x, n, a, b);
    if (op == '*' && (a->kind == OV_DQ || b->kind == OV_DQ)) return ol_mul_acts(x, n, a, b);
    return onnx_err(x, "%s of two activations is not supported", n->op_type);
}

/* ---- Adds of two activations ------------------------------------------------- */

static int add_term(OnnxCtx *x, OnnxVal *v, OnnxIntEpi *sum)
{
    const OnnxAcc *a = v->kind == OV_ACC ? v->acc : NULL;
    if (a && !a->node && a->ie && a->ie->nterm == 1 && a->ie->div == 1 && a->ie->l[0] == 0 &&
        v->nuses <= 1) {
        sum->term[sum->nterm] = a->ie->term[0];
        sum->tk[sum->nterm++] = a->ie->tk[0] * a->ie->k[0];
        return 0;
    }
    if (ol_act(x, v, "add input") || v->kind != OV_ACT) return -1;
    sum->term[sum->nterm] = v->tensor;
    sum->tk[sum->nterm++] = 1;
    return 0;
}

/* QuantLab's Add: (x*mul + add) >> shift per input (in1_, in2_) and for the
 * output (out_), each present when its *_rq attribute is set. */
static int quantlab_requant(OnnxCtx *x, const Onnx__NodeProto *n, const char *pfx, Node *nd,
                            Requant *rq)
{
    char key[32];
    snprintf(key, sizeof key, "%s_rq", pfx);
    if (!onnx_attr_int(n, key, 0)) return 0;
    snprintf(key, sizeof key, "%s_mul", pfx);
    int64_t k = onnx_attr_int(n, key, 1);
    snprintf(key, sizeof key, "%s_add", pfx);
    int64_t l = onnx_attr_int(n, key, 0);
    snprintf(key, sizeof key, "%s_shift", pfx);
    int64_t d = onnx_attr_int(n, key, 0);
    if (d < 0 || d > 63) return onnx_err(x, "%s out of range", key);
    return rq_make_shift(x->g, nd, rq, 1, &k, &l, (int)d);
}

static int quantlab_add(OnnxCtx *x, const Onnx__NodeProto *n, OnnxVal *a, OnnxVal *b)
{
    if (ol_act(x, a, "input") || ol_act(x, b, "input")) return -1;
    OnnxVal *out = ol_output(x, n);
    int in[2] = {a->tensor, b->tensor};
    Node *nd = out ? build_node(&x->b, ol_node_name(n), OP_ADD, 2, in, -1) : NULL;
    if (!nd || quantlab_requant(x, n, "in1", nd, &nd->in_rq[0]) ||
        quantlab_requant(x, n, "in2", nd, &nd->in_rq[1]) ||
        quantlab_requant(x, n, "out", nd, &nd->rq))
        return -1;
    int64_t levels = onnx_attr_int(n, "out_n_levels", 256);
    if (levels < 2 || levels > 256)
        return onnx_err(x, "out_n_levels %lld is not supported", (long long)levels);
    nd->lo = 0, nd->hi = (int32_t)levels - 1;
    out->orank = a->orank;
    memcpy(out->oshape, a->oshape, sizeof out->oshape);
    out->kind = OV_ACC;
    return ol_acc_out(x, out, nd, DT_U8, 0);
}

/* Add of two activations: a sum of terms (NEMO QAdd), with QuantLab's
 * attributes an add with a requant per input, or a float add (QDQ). */
int ol_add_acts(OnnxCtx *x, const Onnx__NodeProto *n, OnnxVal *a, OnnxVal *b)
{
    if (onnx_attr(n, "in1_mul")) return quantlab_add(x, n, a, b);
    if (a->kind == OV_DQ || b->kind == OV_DQ) return ol_float_add(x, n, a, b);
    OnnxVal *out = ol_output(x, n);
    OnnxAcc *sum = out ? new_sum(x) : NULL;
    if (!sum || add_term(x, a, sum->ie) || add_term(x, b, sum->ie)) return -1;
    ol_acc_result(out, a, sum);
    return 0;
}
