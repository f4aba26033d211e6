/* onnx_lower_view.c: ops that change how ONNX views an activation but not
 * its HWC data, and the pools exporters write in other words: Squeeze /
 * Unsqueeze of the unit dimensions around 1-D pools (the dynamo exporter's
 * NCW -> NC1W -> pool -> NCW) and after a global pool, ReduceMean over the
 * spatial axes (a global average pool), and average pools whose count is
 * the fp32 average pools of float groups (AVG_ORT: count_include_pad, ceil_mode).
 *
 * Must not create data-moving nodes: an axis change that would reorder
 * data is refused.
 */
#include "onnx_lower.h"

#include <string.h>

/* Axes from the attribute (older opsets) or input 1 (Squeeze/Unsqueeze 13,
 * ReduceMean 18), normalized to 0..rank-1; sorted. Returns the count, -1 on
 * error. */
static int read_axes(OnnxCtx *x, const Onnx__NodeProto *n, int rank, int64_t *ax)
{
    int na = onnx_attr_ints(n, "axes", ax, ONNX_MAX_RANK);
    OnnxVal *av = ol_input(x, n, 1);
    if (av) {
        if (!ol_is_const(av) || av->c.numel > ONNX_MAX_RANK)
            return onnx_err(x, "axes must be constant"), -1;
        na = (int)av->c.numel;
        for (int i = 0; i < na; i++) ax[i] = (int64_t)av->c.v[i];
    }
    for (int i = 0; i < na; i++) {
        if (ax[i] < -rank || ax[i] >= rank)
            return onnx_err(x, "axis %lld out of range", (long long)ax[i]), -1;
        if (ax[i] < 0) ax[i] += rank;
    }
    for (int i = 1; i < na; i++)
        for (int k = i; k > 0 && ax[k - 1] > ax[k]; k--) {
            int64_t t = ax[k];
            ax[k] = ax[k - 1], ax[k - 1] = t;
        }
    return na;
}

/* axes == {first, ..., rank-1}: the trailing (spatial) axes from `first`. */
static int trailing_axes(const int64_t *ax, int na, int first, int rank)
{
    if (na != rank - first) return 0;
    for (int i = 0; i < na; i++)
        if (ax[i] != first + i) return 0;
    return 1;
}

/* Squeeze / Unsqueeze of an activation's unit H or W (and of the 1x1 of a
 * global pool): only the ONNX view changes, the IR tensor stays. */
int ol_lower_squeeze(OnnxCtx *x, const Onnx__NodeProto *n, int unsqueeze)
{
    OnnxVal *v = ol_need(x, n, 0), *out;
    if (!v || ol_act(x, v, "input") || !(out = ol_output(x, n))) return -1;
    int64_t ax[ONNX_MAX_RANK], h, w, c;
    int rank = v->orank, na = read_axes(x, n, unsqueeze ? rank + 2 : rank, ax);
    if (na < 0) return -1;
    if (unsqueeze) na = read_axes(x, n, rank + na, ax);
    ol_hwc_of(v, &h, &w, &c);
    int orank = unsqueeze ? rank + na : rank - na;
    /* the axes are H, or H and W: {2} or {2, 3} of the higher rank */
    int ok = !v->flat && na >= 1 && orank >= 2 && orank <= 4 && trailing_axes(ax, na, 2, 2 + na);
    if (ok && !unsqueeze) ok = na == 2 ? h == 1 && w == 1 : rank == 4 ? h == 1 : w == 1;
    if (!ok)
        return onnx_err(x,
                        "%s of '%s' (rank %d) on these axes is not supported: only the "
                        "unit H of a 1-D activation or the 1x1 of a pooled one",
                        n->op_type, v->name, rank);
    ol_alias(out, v);
    ol_set_oshape(out, orank, h, w, c);
    return 0;
}

/* ReduceMean over all spatial axes is a global average pool; keepdims = 0
 * leaves [1, C]. */
int ol_lower_reduce_mean(OnnxCtx *x, const Onnx__NodeProto *n, int arg)
{
    (void)arg;
    OnnxVal *v = ol_need(x, n, 0);
    if (!v || ol_act(x, v, "input")) return -1;
    int64_t ax[ONNX_MAX_RANK];
    int na = read_axes(x, n, v->orank, ax);
    if (na < 0) return -1;
    if (v->flat || v->orank < 3 || !trailing_axes(ax, na, 2, v->orank))
        return onnx_err(x, "ReduceMean is supported over all spatial axes only (a global "
                           "average pool)");
    if (ol_pool_on(x, n, v, OL_GLOBAL)) return -1;
    OnnxVal *out = onnx_val(x, n->output[0]);
    if (!onnx_attr_int(n, "keepdims", 1)) ol_set_oshape(out, 2, 1, 1, out->oshape[1]);
    return 0;
}

int ol_avg_ort(OnnxVal *out, Node *nd)
{
    nd->avg_round = AVG_ORT; /* the table follows at QuantizeLinear */
    out->acc->avg_count = 0;
    return 0;
}
