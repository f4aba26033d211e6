/* onnx_lower_rqs.c: the RequantShift dialect of Deeploy/QuantLab integerized
 * graphs. `RequantShift(x, mul, add; div, signed, n_levels)` (default,
 * `PACTOps` or `ai.onnx.contrib` domain) computes
 *
 *     y = clip(floor((x*mul + add) / div + 0.5))
 *       = clip((x*mul + add + div/2) >> log2(div))        (div a power of two)
 *
 * clipped to [-n/2, n/2 - 1] when signed, [0, n - 1] otherwise. It closes
 * the pending integer epilogue of the layer before it (conv, fc, a sum of
 * activations, an average pool) into one SHIFT requant with that clamp, or
 * becomes an IR requant node on an activation. `mul` and `add` are a scalar
 * or one value per channel of dim 1 (per output feature after a Gemm),
 * whatever shape they are stored in.
 *
 * Must not collect NEMO/QuantLab Mul/Div chains (onnx_lower_int.c does) or
 * read protobuf bytes.
 */
#include "onnx_lower.h"

#include <math.h>
#include <string.h>

#include "ir/quant.h"

/* An attribute read as a number: an int, a float or a one-element tensor
 * (QuantLib exports div_t, signed_t, n_levels_out_t). 0 if absent. */
static int attr_number(OnnxCtx *x, const Onnx__NodeProto *n, const char *name, double *out)
{
    const Onnx__AttributeProto *a = onnx_attr(n, name);
    if (!a) return 0;
    if (a->has_i) {
        *out = (double)a->i;
    } else if (a->has_f) {
        *out = a->f;
    } else if (a->t) {
        OnnxConst c;
        if (onnx_decode_tensor(x, a->t, &c)) return -1;
        if (c.numel != 1) return onnx_err(x, "attribute '%s' must be a scalar", name);
        *out = c.v[0];
    } else {
        return onnx_err(x, "attribute '%s' must be a number", name);
    }
    return 1;
}

/* The attributes as d = log2(div) and the clamp [lo, hi]. */
static int rqs_attrs(OnnxCtx *x, const Onnx__NodeProto *n, int *d, int64_t *lo, int64_t *hi)
{
    double div = 0, sgn = 0, levels = 0;
    int rd = attr_number(x, n, "div", &div), rs = attr_number(x, n, "signed", &sgn);
    int rl = attr_number(x, n, "n_levels", &levels);
    if (rl == 0) rl = attr_number(x, n, "n_levels_out", &levels);
    if (rd < 0 || rs < 0 || rl < 0) return -1;
    if (rd == 0 || rl == 0)
        return onnx_err(x, "RequantShift needs the attributes div and n_levels");
    if (!q_pow2_exponent(div, d) || *d > 62)
        return onnx_err(x, "div %g is not a power of two in 1..2^62", div);
    if (!q_is_integral(levels) || levels < 2 || levels > 4294967296.0)
        return onnx_err(x, "n_levels %g must be an integer in 2..2^32", levels);
    int64_t nl = (int64_t)levels;
    *lo = sgn != 0 ? -(nl / 2) : 0;
    *hi = sgn != 0 ? nl / 2 - 1 : nl - 1;
    if (*lo < INT32_MIN || *hi > INT32_MAX)
        return onnx_err(x, "n_levels %lld does not fit 32-bit outputs", (long long)nl);
    return 0;
}

/* mul or add as one value per channel: a scalar, or nch values in any shape
 * (per channel of dim 1: [C], [C,1,1], [1,C,1]; per row [M,1] after a Gemm). */
static int rqs_vector(OnnxCtx *x, const OnnxVal *v, const char *what, int nch, double *out)
{
    if (!ol_is_const(v) && (!v || v->kind != OV_QCONST))
        return onnx_err(x, "RequantShift %s must be constant", what);
    if (v->c.numel != 1 && v->c.numel != nch)
        return onnx_err(x, "RequantShift %s has %lld values for %d channels", what,
                        (long long)v->c.numel, nch);
    for (int c = 0; c < nch; c++) {
        out[c] = v->c.v[v->c.numel == 1 ? 0 : c];
        if (!q_is_integral(out[c]) || fabs(out[c]) > 2147483648.0)
            return onnx_err(x, "RequantShift %s %g is not a 32-bit integer", what, out[c]);
    }
    return 0;
}

/* An activation gets an IR requant node with an open epilogue. */
static int rqs_open_on_act(OnnxCtx *x, const Onnx__NodeProto *n, OnnxVal *v, OnnxVal *out)
{
    int in[1] = {v->tensor};
    Node *nd = build_node(&x->b, ol_node_name(n), OP_REQUANT, 1, in, -1);
    if (!nd) return -1;
    ol_acc_result(out, v, NULL);
    out->flat = v->flat;
    return ol_open_acc(x, out, nd, (int)v->oshape[1], 0, 0, NULL, 0);
}

/* Halves numerators and divisor while all are even (keeps the divisor a
 * power of two where it can be one). */
static void rqs_reduce(OnnxIntEpi *e, int nch)
{
    for (;;) {
        int even = fmod(e->div, 2) == 0;
        for (int c = 0; c < nch && even; c++) even = fmod(e->k[c], 2) == 0 && fmod(e->l[c], 2) == 0;
        if (!even) return;
        for (int c = 0; c < nch; c++) e->k[c] /= 2, e->l[c] /= 2;
        e->div /= 2;
    }
}

/* Folds y = floor((v*mul + add)/div + 0.5) into the epilogue v = k*acc + l
 * (an average pool: v = (k*sum + l*count)/count): doubling everything makes
 * the half an integer, floor((2*mul*v + 2*add + div) / (2*div)). */
static int rqs_compose(OnnxCtx *x, OnnxAcc *a, const double *mul, const double *add, int d)
{
    OnnxIntEpi *e = a->ie;
    if (e->div != 1) return onnx_err(x, "RequantShift after a division cannot be lowered");
    double div = ldexp(1, d), count = a->avg_count ? a->avg_count : 1;
    int per_term = a->node == NULL; /* a sum: one output multiplier */
    for (int c = 0; c < a->nch; c++) {
        double m = mul[per_term ? 0 : c], l = add[per_term ? 0 : c];
        e->k[c] = 2 * m * e->k[c];
        e->l[c] = 2 * count * (m * e->l[c] + l) + count * div;
    }
    e->div = 2 * count * div;
    if (a->avg_count) a->avg_count = 0, a->node->avg_round = AVG_NONE; /* the window sum */
    rqs_reduce(e, a->nch);
    e->floored = 1;
    return 0;
}

int ol_lower_requant_shift(OnnxCtx *x, const Onnx__NodeProto *n, int arg)
{
    (void)arg;
    OnnxVal *v = ol_need(x, n, 0), *mv = ol_need(x, n, 1), *av = ol_need(x, n, 2);
    OnnxVal *out = v && mv && av ? ol_output(x, n) : NULL;
    int d = 0;
    int64_t lo = 0, hi = 0;
    if (!out || ol_single_use(x, v) || rqs_attrs(x, n, &d, &lo, &hi)) return -1;
    int split = v->kind == OV_ACC && v->acc->ie && !v->acc->closed
                    ? ol_split_floored_sum(x, v, "RequantShift")
                    : 0;
    if (split < 0) return -1;
    if (v->kind == OV_ACC && v->acc->ie && !v->acc->closed) {
        ol_acc_result(out, v, v->acc);
    } else {
        if (ol_act(x, v, "input") || v->kind != OV_ACT) return -1;
        if (rqs_open_on_act(x, n, v, out)) return -1;
    }
    OnnxAcc *a = out->acc;
    int nch = (int)out->oshape[1];
    double *mul = arena_alloc_array(&x->g->arena, (size_t)nch, sizeof(double));
    double *add = arena_alloc_array(&x->g->arena, (size_t)nch, sizeof(double));
    if (!mul || !add || rqs_vector(x, mv, "mul", nch, mul) || rqs_vector(x, av, "add", nch, add))
        return -1;
    if (!a->node)
        for (int c = 1; c < nch; c++)
            if (mul[c] != mul[0] || add[c] != add[0])
                return onnx_err(x, "per-channel RequantShift on a sum of activations is not "
                                   "supported");
    if (rqs_compose(x, a, mul, add, d)) return -1;
    a->ie->lo = lo, a->ie->hi = hi;
    a->ie->exact_clamp = 1;
    return onnx_materialize(x, out);
}
