/* onnx_lower_shuffle.c: channel selections exporters write: Split and Slice
 * on the channel axis, and ShuffleNet's channel shuffle (Reshape to
 * [1, g, C/g, H, W], Transpose [0, 2, 1, 3, 4], Reshape to [1, C, H, W]).
 *
 * Each becomes a 1x1 convolution whose weights select one input channel per
 * output channel (weight 1, no bias, no requant, the input's dtype and zero
 * point): exact, `y[o] = x[map[o]]`, run by the conv kernels like any
 * pointwise layer. Must not change values: scales pass through.
 */
#include "onnx_lower.h"

#include <string.h>

/* The selection conv y[o] = v[map[o]], o < cout, written to `out`. */
static int select_channels(OnnxCtx *x, const Onnx__NodeProto *n, OnnxVal *v, const int64_t *map,
                           int64_t cout, OnnxVal *out)
{
    int64_t h, w, cin;
    ol_hwc_of(v, &h, &w, &cin);
    if (v->flat || v->orank < 3) return onnx_err(x, "channel selection needs an NCW or NCHW input");
    OnnxConst c = {ONNX_INT8, v->orank, {cout, cin, 1, 1}, cout * cin, NULL};
    c.v = arena_alloc_array(&x->g->arena, (size_t)(cout * cin), sizeof(double));
    if (!c.v) return -1;
    for (int64_t o = 0; o < cout; o++) {
        if (map[o] < 0 || map[o] >= cin)
            return onnx_err(x, "channel %lld out of range", (long long)map[o]);
        c.v[o * cin + map[o]] = 1;
    }
    WInfo wi = {&c, DT_I8, 0, NULL, NULL};
    Node *nd = ol_make_conv(x, n, v, &wi, NULL, out);
    return nd ? ol_close_same_type(x, v, out, nd) : -1;
}

/* Channels [start, start + count) with a step. */
static int select_range(OnnxCtx *x, const Onnx__NodeProto *n, OnnxVal *v, int64_t start,
                        int64_t count, int64_t step, OnnxVal *out)
{
    int64_t *map = arena_alloc_array(&x->g->arena, (size_t)(count ? count : 1), sizeof(int64_t));
    if (!map) return -1;
    for (int64_t o = 0; o < count; o++) map[o] = start + o * step;
    return select_channels(x, n, v, map, count, out);
}

static int channel_axis(OnnxCtx *x, const OnnxVal *v, int64_t axis)
{
    if (axis == 1 || axis == 1 - v->orank) return 0;
    return onnx_err(x, "only the channel axis (1) is supported, not %lld", (long long)axis);
}

/* Split on channels: sizes from the `split` attribute or input, else equal. */
int ol_lower_split(OnnxCtx *x, const Onnx__NodeProto *n, int arg)
{
    (void)arg;
    OnnxVal *v = ol_need(x, n, 0);
    if (!v || ol_act(x, v, "input") || channel_axis(x, v, onnx_attr_int(n, "axis", 0))) return -1;
    int64_t sizes[DORY_MAX_INPUTS * 4], c = v->oshape[1], no = (int64_t)n->n_output;
    if (no < 1 || no > (int64_t)DORY_ARRAY_LEN(sizes)) return onnx_err(x, "too many outputs");
    int ns = onnx_attr_ints(n, "split", sizes, (int)no);
    OnnxVal *sv = ol_input(x, n, 1);
    if (sv) {
        if (!ol_is_const(sv) || sv->c.numel != no) return onnx_err(x, "split must be constant");
        for (int64_t i = 0; i < no; i++) sizes[i] = (int64_t)sv->c.v[i];
        ns = (int)no;
    }
    if (!ns)
        for (int64_t i = 0; i < no; i++) sizes[i] = (c + no - 1) / no, ns = (int)no;
    int64_t off = 0;
    for (int64_t i = 0; i < no; i++) {
        int64_t sz = i == no - 1 && !sv && !onnx_attr(n, "split") ? c - off : sizes[i];
        if (sz < 1 || off + sz > c)
            return onnx_err(x, "split sizes do not add up to %lld", (long long)c);
        if (n->output[i][0]) {
            OnnxVal *out = onnx_def(x, n->output[i]);
            if (!out || select_range(x, n, v, off, sz, 1, out)) return -1;
        }
        off += sz;
    }
    return 0;
}

/* Slice of the channel axis (opset 10+: starts, ends, axes, steps inputs). */
int ol_lower_slice(OnnxCtx *x, const Onnx__NodeProto *n, int arg)
{
    (void)arg;
    OnnxVal *v = ol_need(x, n, 0), *out;
    if (!v || ol_act(x, v, "input") || !(out = ol_output(x, n))) return -1;
    double st, en, ax = 0, sp = 1;
    OnnxVal *axv = ol_input(x, n, 3), *spv = ol_input(x, n, 4);
    if (ol_scalar(x, ol_need(x, n, 1), "starts", &st) ||
        ol_scalar(x, ol_need(x, n, 2), "ends", &en) || (axv && ol_scalar(x, axv, "axes", &ax)) ||
        (spv && ol_scalar(x, spv, "steps", &sp)))
        return onnx_err(x, "only a Slice of one axis with constant bounds is supported");
    if (channel_axis(x, v, (int64_t)ax)) return -1;
    int64_t c = v->oshape[1], step = (int64_t)sp;
    if (step < 1) return onnx_err(x, "Slice steps must be positive");
    int64_t s = st < 0 ? (int64_t)st + c : (int64_t)(st > (double)c ? (double)c : st);
    int64_t e = en < 0 ? (int64_t)en + c : (int64_t)(en > (double)c ? (double)c : en);
    s = DORY_MAX(s, 0), e = DORY_MIN(e, c);
    if (e <= s) return onnx_err(x, "empty Slice");
    return select_range(x, n, v, s, (e - s + step - 1) / step, step, out);
}

/* ---- Channel shuffle ----------------------------------------------------------- */

/* Reshape of an NCHW activation to [1, g, C/g, H, W]: the first step of a
 * channel shuffle (only the ONNX view changes). */
int ol_shuffle_reshape(OnnxCtx *x, OnnxVal *v, const OnnxConst *shape, OnnxVal *out)
{
    int64_t h, w, c;
    ol_hwc_of(v, &h, &w, &c);
    const double *s = shape->v;
    if (v->orank != 4 || v->flat || s[0] != 1 || s[1] < 1 || s[1] * s[2] != (double)c ||
        s[3] != (double)h || s[4] != (double)w)
        return onnx_err(x, "Reshape to 5-D is supported only as [1, g, C/g, H, W] (a channel "
                           "shuffle)");
    ol_alias(out, v);
    out->shuffle_g = (int)s[1];
    out->shuffle_stage = 1;
    return 0;
}

/* Transpose [0, 2, 1, 3, 4] of a [1, g, C/g, H, W] view. */
int ol_lower_transpose(OnnxCtx *x, const Onnx__NodeProto *n, int arg)
{
    (void)arg;
    OnnxVal *v = ol_need(x, n, 0), *out;
    if (!v || !(out = ol_output(x, n))) return -1;
    int64_t perm[5];
    int np = onnx_attr_ints(n, "perm", perm, 5);
    static const int64_t shuffle[5] = {0, 2, 1, 3, 4};
    if (v->shuffle_stage != 1 || np != 5 || memcmp(perm, shuffle, sizeof shuffle))
        return onnx_err(x, "Transpose is supported only as the channel shuffle of a [1, g, C/g, "
                           "H, W] view (perm [0, 2, 1, 3, 4])");
    ol_alias(out, v);
    out->shuffle_stage = 2;
    return 0;
}

/* Reshape back to [1, C, H, W]: output channel j*g + i is input channel
 * i*(C/g) + j. */
int ol_shuffle_close(OnnxCtx *x, const Onnx__NodeProto *n, OnnxVal *v, const OnnxConst *shape,
                     OnnxVal *out)
{
    int64_t h, w, c, g = v->shuffle_g;
    ol_hwc_of(v, &h, &w, &c);
    const double *s = shape->v;
    if (v->shuffle_stage != 2 || shape->numel != 4 || s[0] != 1 || s[1] != (double)c ||
        s[2] != (double)h || s[3] != (double)w)
        return onnx_err(x, "a channel shuffle must be Reshape [1, g, C/g, H, W], Transpose "
                           "[0, 2, 1, 3, 4], Reshape [1, C, H, W]");
    int64_t *map = arena_alloc_array(&x->g->arena, (size_t)c, sizeof(int64_t));
    if (!map) return -1;
    for (int64_t o = 0; o < c; o++) map[o] = (o % g) * (c / g) + o / g;
    OnnxVal base = *v;
    base.shuffle_stage = 0;
    return select_channels(x, n, &base, map, c, out);
}
