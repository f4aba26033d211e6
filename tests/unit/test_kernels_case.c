/* test_kernels_case.c: see test_kernels_case.h. Portable C99 (host and
 * bare-metal RISC-V); allocation with malloc, test code only.
 */
#include "test_kernels_case.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_kernels_ref.h"

/* The output schemes cases rotate through (an add case of F32INT uses QLADD
 * or QLADD_INT instead, the add-only schemes). */
enum { NSCH = 6 };

enum { CANARY = 0xA5 };

static uint32_t kr(uint32_t *s)
{
    uint32_t x = *s ? *s : 0x9e3779b9u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

/* Uniform integer in [lo, hi]. */
static int32_t ri(uint32_t *s, int32_t lo, int32_t hi)
{
    return lo + (int32_t)(kr(s) % (uint32_t)(hi - lo + 1));
}

static int64_t ri64(uint32_t *s, int64_t lo, int64_t hi)
{
    uint64_t span = (uint64_t)(hi - lo) + 1, r = ((uint64_t)kr(s) << 32) | kr(s);
    return lo + (int64_t)(r % span);
}

static int bitlen(uint64_t v)
{
    int n = 0;
    while (v) n++, v >>= 1;
    return n;
}

const char *kc_op_name(kop_t op)
{
    static const char *names[KOP_COUNT] = {"conv2d",  "conv1x1", "dwconv", "dwconv3x3", "fc",
                                           "maxpool", "avgpool", "add",    "requant"};
    return op < KOP_COUNT ? names[op] : "?";
}

static int32_t type_min(dory_type_t t) { return t == DORY_I8 ? -128 : 0; }
static int32_t type_max(dory_type_t t) { return t == DORY_I8 ? 127 : 255; }

static int32_t rand_zp(uint32_t *s, dory_type_t t)
{
    return ri(s, 0, 3) == 0 ? 0 : ri(s, type_min(t), type_max(t));
}

/* Requant constants mapping |acc| <= amax[c] to about +-target. SHIFT's d is
 * shared by all channels: chosen from the largest amax, k varies per channel. */
static void make_rq(KRq *q, dory_rq_scheme_t sch, int nch, int per_channel, const int64_t *amax,
                    int64_t target, uint32_t *s)
{
    int c, n = per_channel ? nch : 1, maxleft, e0;
    int64_t am = 1, k0 = 1, kmax;
    memset(q, 0, sizeof *q);
    q->nch = n;
    q->has_l = ri(s, 0, 1);
    for (c = 0; c < nch; c++) am = amax[c] > am ? amax[c] : am;
    maxleft = 30 - bitlen((uint64_t)am);
    e0 = bitlen((uint64_t)target) - bitlen((uint64_t)am);
    if (sch == DORY_RQ_SHIFT32) {
        kmax = ((int64_t)1 << 30) / (am + 1);
        k0 = ri64(s, 1, kmax < 1 ? 1 : kmax > 32767 ? 32767 : kmax);
        q->r.d = bitlen((uint64_t)(k0 * am / target));
    } else if (sch == DORY_RQ_SHIFT64) {
        kmax = ((int64_t)1 << 61) / (am + 1);
        k0 = ri64(s, (int64_t)1 << 31, kmax > ((int64_t)1 << 38) ? (int64_t)1 << 38 : kmax);
        q->r.d = bitlen((uint64_t)(k0 * am / target));
    } else if (sch == DORY_RQ_FIXED) { /* FIXED_SR: pre 0 */
        q->r.pre = maxleft > 0 ? ri(s, 0, maxleft < 3 ? maxleft : 3) : 0;
    }
    for (c = 0; c < n; c++) {
        int64_t half = ((int64_t)1 << q->r.d) / 2;
        int e;
        switch (sch) {
        case DORY_RQ_NONE: break;
        case DORY_RQ_SHIFT32:
            q->k32[c] = (int32_t)ri64(s, k0 / 2 > 0 ? k0 / 2 : 1, k0);
            q->l32[c] = q->has_l ? (int32_t)ri64(s, -half, half) : 0;
            break;
        case DORY_RQ_SHIFT64:
            q->k64[c] = ri64(s, k0 / 2, k0);
            q->l64[c] = q->has_l ? ri64(s, -half, half) : 0;
            break;
        case DORY_RQ_FIXED:
        case DORY_RQ_FIXED_SR:
            q->mult[c] = (int32_t)ri64(s, (int64_t)1 << 30, ((int64_t)1 << 31) - 1);
            e = e0 + ri(s, -1, 1) - q->r.pre;
            if (q->r.pre + (e > 0 ? e : 0) > maxleft) e = maxleft - q->r.pre;
            if (e < -31) e = -31;
            q->shift[c] = e;
            break;
        case DORY_RQ_QLADD:
        case DORY_RQ_QLADD_INT: break; /* kc_qladd_consts */
        case DORY_RQ_FLOAT:
        case DORY_RQ_F32INT:
            q->scale[c] = (float)target / (float)(per_channel && amax[c] > 0 ? amax[c] : am) *
                          (0.5f + (float)ri(s, 0, 1000) / 1000.0f);
            break;
        case DORY_RQ_LUT: break; /* not drawn here: kernels_requant_lut_vs_interp */
        case DORY_RQ_QLMUL:
        case DORY_RQ_QLMUL_INT: break; /* mul only: test_mul.c */
        }
    }
    q->r.scheme = sch;
    q->r.per_channel = per_channel;
    q->r.k32 = q->k32, q->r.l32 = q->has_l ? q->l32 : NULL;
    q->r.k64 = q->k64, q->r.l64 = q->has_l ? q->l64 : NULL;
    q->r.mult = q->mult, q->r.shift = q->shift;
    q->r.scale = q->scale;
}

/* SHIFT64 constants, one generator for KC_SHIFT64 (conv and pointwise,
 * regimes 0-2, DORY's networks: their graphs divide by 2^21 - 1 in int64)
 * and KC_S64 (depthwise, regime 3). k is drawn per channel in [khi t, khi]
 * and l up to lm 2^d either way (lm = 120 in regimes 0-2: about +-120
 * outputs, so that both clamps are hit); k's sign random per channel.
 * Regime 0: k beyond 32 bits, khi = 2^33..2^40, d >= 32 from it (dscnn,
 * PenguiNet); 1: k within 32 bits, d < 32 (Residual's convs, l beyond 32
 * bits; with d < 28 every 4th channel's k either 2^24 times larger or near
 * 2^31: values beyond int32, or beyond 2^32 with k within int32); 2: k
 * within 32 bits, d >= 32; in 0-2 khi maps the layer's largest accumulator
 * to about 160 and t = 1/2. Regime 3: d over 12..50 with the index (below
 * and above 32), khi maps the channel's largest accumulator (per channel,
 * else the layer's) to 600 (below 2^61 / it), t = 1/15 (outputs 40..600:
 * clamps on both sides), lm = 1. */
static void s64_consts(KRq *q, const int64_t *amax, int nch, int per_channel, int regime, int index,
                       uint32_t *s)
{
    static const int ds[11] = {12, 20, 27, 31, 32, 33, 36, 40, 44, 46, 50};
    int64_t am = 1, khi = 1, lm = regime == 3 ? 1 : 120;
    int c, big;
    for (c = 0; c < nch; c++) am = amax[c] > am ? amax[c] : am;
    if (regime == 0) {
        int64_t kmax = ((int64_t)1 << 60) / (am + 1);
        khi = (int64_t)1 << ri(s, 33, 40);
        khi = khi > kmax ? kmax : khi;
        q->r.d = bitlen((uint64_t)(khi * am / 160));
    } else if (regime == 3) {
        q->r.d = ds[index % 11];
    } else {
        q->r.d = regime == 2 ? ri(s, 32, 34) : ri(s, 0, 3) ? ri(s, 12, 31) : ri(s, 0, 11);
        khi = ((int64_t)1 << q->r.d) * 160 / am;
        if (khi >= (int64_t)1 << 31) khi = ((int64_t)1 << 31) - 1;
    }
    big = regime == 1 && q->r.d < 28 ? ri(s, 1, 2) : 0;
    for (c = 0; c < nch; c++) {
        int64_t k, klo;
        if (regime == 3) {
            int64_t a = per_channel && amax[c] > 0 ? amax[c] : am,
                    lim = ((int64_t)1 << 61) / (a + 1);
            khi = ((int64_t)1 << q->r.d) * 600 / a;
            khi = khi > lim ? lim : khi;
        }
        klo = regime == 3 ? khi / 15 : khi / 2;
        k = ri64(s, klo > 0 ? klo : 1, khi > 1 ? khi : 1);
        if (big && c % 4 == 3) /* beyond 2^31 (k too) or 2^32 (k within int32) after >> d */
            k = big == 1 ? k << 24 : ri64(s, (int64_t)1 << 30, ((int64_t)1 << 31) - 1);
        q->k64[c] = ri(s, 0, 2) ? k : -k;
        q->l64[c] =
            q->has_l ? ri64(s, -lm * ((int64_t)1 << q->r.d), lm * ((int64_t)1 << q->r.d)) : 0;
    }
}

long kc_out_numel(const KCase *k) { return (long)k->oh * k->ow * k->cout; }

static int out_dim(int in, int kk, int s, int d, int pa, int pb)
{
    int span = d * (kk - 1) + 1, padded = in + pa + pb;
    return padded < span ? -1 : (padded - span) / s + 1;
}

/* Geometry of the full layer. */
static void random_geometry(KCase *k, uint32_t *s, int index)
{
    int spatial1 = index % 7 == 3;
    k->sh = k->sw = k->dh = k->dw = k->kh = k->kw = 1;
    switch (k->op) {
    case KOP_CONV:
        k->c = ri(s, 1, 12), k->cout = ri(s, 1, 13);
        k->kh = ri(s, 1, 4), k->kw = ri(s, 1, 4), k->sh = ri(s, 1, 3), k->sw = ri(s, 1, 3);
        k->dh = ri(s, 1, 2), k->dw = ri(s, 1, 2);
        break;
    case KOP_PW:
        k->c = ri(s, 1, 40), k->cout = ri(s, 1, 20), k->sh = ri(s, 1, 2), k->sw = ri(s, 1, 2);
        break;
    case KOP_DW:
        k->c = k->cout = ri(s, 1, 12);
        k->kh = ri(s, 1, 4), k->kw = ri(s, 1, 4), k->sh = ri(s, 1, 3), k->sw = ri(s, 1, 3);
        k->dh = ri(s, 1, 2), k->dw = ri(s, 1, 2);
        break;
    case KOP_DW3:
        k->c = k->cout = ri(s, 1, 12);
        k->kh = k->kw = 3, k->sh = k->sw = ri(s, 1, 2);
        if (index % 9 == 8) k->dh = 2, k->sw = 1; /* falls back to the generic kernel */
        break;
    case KOP_MAXPOOL:
    case KOP_AVGPOOL:
        k->c = k->cout = ri(s, 1, 12);
        k->kh = ri(s, 1, 4), k->kw = ri(s, 1, 4), k->sh = ri(s, 1, 3), k->sw = ri(s, 1, 3);
        break;
    case KOP_FC: k->c = ri(s, 1, 300), k->cout = ri(s, 1, 40); break;
    case KOP_ADD:
    case KOP_REQUANT: k->c = k->cout = ri(s, 1, 12); break;
    case KOP_COUNT: break;
    }
    if (k->op != KOP_PW && k->op != KOP_FC && k->op != KOP_ADD && k->op != KOP_REQUANT &&
        !spatial1) {
        k->pad[0] = ri(s, 0, (k->kh - 1) * k->dh < 2 ? (k->kh - 1) * k->dh : 2);
        k->pad[2] = ri(s, 0, (k->kh - 1) * k->dh < 2 ? (k->kh - 1) * k->dh : 2);
        k->pad[1] = ri(s, 0, (k->kw - 1) * k->dw < 2 ? (k->kw - 1) * k->dw : 2);
        k->pad[3] = ri(s, 0, (k->kw - 1) * k->dw < 2 ? (k->kw - 1) * k->dw : 2);
        if (k->op == KOP_MAXPOOL || k->op == KOP_AVGPOOL) { /* windows keep a valid tap */
            int i;
            for (i = 0; i < 4; i++)
                if (k->pad[i] >= (i % 2 ? k->kw : k->kh)) k->pad[i] = (i % 2 ? k->kw : k->kh) - 1;
        }
    }
    if (k->op == KOP_FC) {
        k->h = k->w = 1;
    } else if (spatial1) {
        k->h = (k->kh - 1) * k->dh + 1, k->w = (k->kw - 1) * k->dw + 1;
    } else {
        k->h = (k->kh - 1) * k->dh + k->sh * ri(s, 1, 3) + ri(s, 0, 3);
        k->w = (k->kw - 1) * k->dw + k->sw * ri(s, 1, 3) + ri(s, 0, 3);
    }
    if ((k->op == KOP_MAXPOOL || k->op == KOP_AVGPOOL) && index % NSCH == 1) { /* global */
        k->kh = k->h, k->kw = k->w, k->sh = k->sw = 1;
        memset(k->pad, 0, sizeof k->pad);
    }
    k->oh = out_dim(k->h, k->kh, k->sh, k->dh, k->pad[0], k->pad[2]);
    k->ow = out_dim(k->w, k->kw, k->sw, k->dw, k->pad[1], k->pad[3]);
}

/* One axis of the tile: output range [o0, o1) and input range [i0, i1). */
static void tile_axis(int first, int last, int n_out, int n_in, int kk, int st, int d, int pa,
                      int *o0, int *o1, int *i0, int *i1, int *is_first, int *is_last)
{
    *o0 = first ? 0 : (pa + st - 1) / st;
    *o1 = last ? n_out : (n_in - 1 + pa - (kk - 1) * d) / st + 1;
    if (*o1 > n_out) *o1 = n_out;
    if (*o0 >= *o1) { /* too small for an interior tile: make it a border tile */
        *is_first = *is_last = 1;
        *o0 = 0, *o1 = n_out;
    }
    *i0 = *is_first ? 0 : *o0 * st - pa;
    *i1 = *is_last ? n_in : (*o1 - 1) * st - pa + (kk - 1) * d + 1;
}

static void choose_tile(KCase *k, int index, uint32_t *s)
{
    int b = index % 16, t, l, bo, r;
    if (k->op == KOP_FC || k->op == KOP_ADD || k->op == KOP_REQUANT) b = DORY_BORDER_ALL;
    t = !!(b & DORY_BORDER_TOP), bo = !!(b & DORY_BORDER_BOTTOM);
    l = !!(b & DORY_BORDER_LEFT), r = !!(b & DORY_BORDER_RIGHT);
    tile_axis(t, bo, k->oh, k->h, k->kh, k->sh, k->dh, k->pad[0], &k->oy0, &k->oy1, &k->iy0,
              &k->iy1, &t, &bo);
    tile_axis(l, r, k->ow, k->w, k->kw, k->sw, k->dw, k->pad[1], &k->ox0, &k->ox1, &k->ix0, &k->ix1,
              &l, &r);
    k->border = (t ? DORY_BORDER_TOP : 0) | (bo ? DORY_BORDER_BOTTOM : 0) |
                (l ? DORY_BORDER_LEFT : 0) | (r ? DORY_BORDER_RIGHT : 0);
    if (k->op != KOP_FC && ri(s, 0, 1)) {
        k->in_extra = ri(s, 0, 3);
        k->out_extra = ri(s, 0, 3);
        k->out_off = ri(s, 0, k->out_extra);
    }
}

static void fill_data(KCase *k, uint32_t *s, dory_type_t tin, dory_type_t tb)
{
    long nx = (long)k->h * k->w * k->c, nw = 0, i;
    int c;
    if (k->op == KOP_CONV || k->op == KOP_PW) nw = (long)k->cout * k->kh * k->kw * k->c;
    if (k->op == KOP_DW || k->op == KOP_DW3) nw = (long)k->c * k->kh * k->kw;
    if (k->op == KOP_FC) nw = (long)k->cout * k->c;
    k->x = (uint8_t *)malloc((size_t)nx);
    k->xb = (uint8_t *)malloc((size_t)nx);
    k->wt = (int8_t *)malloc((size_t)(nw ? nw : 1));
    k->bias = (int32_t *)malloc(sizeof(int32_t) * (size_t)k->cout);
    k->ref = (uint8_t *)malloc(4 * (size_t)kc_out_numel(k)); /* any output type */
    for (i = 0; i < nx; i++) {
        k->x[i] = (uint8_t)ri(s, type_min(tin), type_max(tin));
        k->xb[i] = (uint8_t)ri(s, type_min(tb), type_max(tb));
    }
    for (i = 0; i < nw; i++) k->wt[i] = (int8_t)ri(s, -128, 127);
    for (c = 0; c < k->cout; c++) {
        k->bias[c] = ri(s, -3000, 3000);
        k->wzp[c] = ri(s, 0, 2) ? 0 : ri(s, -128, 127);
    }
}

static const dory_rq_scheme_t schemes[NSCH] = {DORY_RQ_NONE,  DORY_RQ_SHIFT32, DORY_RQ_SHIFT64,
                                               DORY_RQ_FIXED, DORY_RQ_FLOAT,   DORY_RQ_F32INT};

/* Raw accumulators of the full layer (output requant NONE), max |acc| per channel. */
static void acc_range(KCase *k, int64_t *amax)
{
    long n = kc_out_numel(k), i;
    int32_t *acc = (int32_t *)malloc(sizeof(int32_t) * (size_t)(n ? n : 1));
    dory_dims_t in = {0, 0, 0, 0}, out = {0, 0, 0, 0};
    in.h = k->h, in.w = k->w, in.c = k->c;
    out.h = k->oh, out.w = k->ow, out.c = k->cout;
    switch (k->op) {
    case KOP_CONV:
    case KOP_PW: kref_conv(&k->conv, 0, &in, k->x, k->wt, k->bias, &out, NULL, acc); break;
    case KOP_DW:
    case KOP_DW3: kref_conv(&k->conv, 1, &in, k->x, k->wt, k->bias, &out, NULL, acc); break;
    case KOP_FC: kref_fc(&k->fc, k->c, k->x, k->wt, k->bias, k->cout, NULL, acc); break;
    case KOP_MAXPOOL: kref_pool(&k->pool, 1, &in, k->x, &out, NULL, acc); break;
    case KOP_AVGPOOL: kref_pool(&k->pool, 0, &in, k->x, &out, NULL, acc); break;
    case KOP_ADD: kref_add(&k->add, &in, k->x, k->xb, NULL, acc); break;
    case KOP_REQUANT: kref_requant(&k->elt, &in, k->x, NULL, acc); break;
    case KOP_COUNT: break;
    }
    for (i = 0; i < k->cout; i++) amax[i] = 1;
    for (i = 0; i < n; i++) {
        int64_t a = acc[i] < 0 ? -(int64_t)acc[i] : acc[i];
        if (a > amax[i % k->cout]) amax[i % k->cout] = a;
    }
    free(acc);
}

static void set_out(dory_out_params_t *o, dory_type_t t, uint32_t *s)
{
    o->type = t;
    if (t == DORY_I32) { /* often the raw accumulator: zp 0, full range */
        o->zp = ri(s, 0, 1) ? 0 : ri(s, -5000, 5000);
        o->lo = INT32_MIN, o->hi = INT32_MAX;
        if (ri(s, 0, 3) == 0) o->lo = o->zp;
        if (ri(s, 0, 3) == 0) o->hi = o->lo + ri(s, 0, 100000);
        return;
    }
    o->zp = rand_zp(s, t);
    o->lo = type_min(t), o->hi = type_max(t);
    if (ri(s, 0, 2) == 0) o->lo = o->zp > o->lo ? o->zp : o->lo; /* ReLU-like */
    if (ri(s, 0, 3) == 0) o->hi = o->lo + ri(s, 0, o->hi - o->lo);
}

int kc_random(KCase *k, kop_t op, uint32_t seed, int index)
{
    return kc_random_ex(k, op, seed, index, 0);
}

int kc_has_dsp(kop_t op)
{
    return op == KOP_CONV || op == KOP_PW || op == KOP_FC || op == KOP_DW3 || op == KOP_ADD;
}

/* KC_DSP: the packed weights of the case; 0, or -1 for an op without a DSP row. */
static int kc_pack(KCase *k, int flags)
{
    int kk = k->op == KOP_FC ? k->c : k->kh * k->kw * k->c;
    if (!(flags & KC_DSP)) return 0;
    if (k->op == KOP_ADD || k->op == KOP_DW3) return (k->dsp = 1), 0; /* nothing packed */
    if (!kc_has_dsp(k->op)) return -1;
    k->dsp = 1;
    k->wpack = (uint8_t *)malloc((size_t)dory_pack_w16_bytes(k->cout, kk));
    if (!k->wpack) return -1;
    dory_pack_w16(k->wt, k->cout, kk, k->conv.w_zp, k->conv.w_zp_per_channel, k->wpack);
    return 0;
}

/* QLADD constants {s_a, s_b, c} as the ONNX frontend computes them. */
static void kc_qladd_consts(float *q, int32_t za, int32_t zb, int32_t zc, uint32_t *s)
{
    volatile float zbs, zab;
    q[0] = (float)ri(s, 50, 4000) / 1000.0f;
    q[1] = (float)ri(s, 50, 4000) / 1000.0f;
    zbs = (float)zb * q[1];
    zab = fmaf(q[0], (float)za, zbs);
    q[2] = (float)zc - zab;
}

/* Every channel of a per-channel SHIFT32 requant given channel 0's
 * constants (DORY's arrays of one value). */
static void kc_uniform(KRq *q)
{
    int c;
    for (c = 1; c < q->nch; c++) q->k32[c] = q->k32[0], q->l32[c] = q->l32[0];
}

/* Per-tensor SHIFT32 constants k, l, d. */
static void s32_one(KRq *q, int32_t k, int32_t l, int d)
{
    memset(q, 0, sizeof *q);
    q->nch = 1, q->has_l = 1, q->k32[0] = k, q->l32[0] = l;
    q->r.scheme = DORY_RQ_SHIFT32, q->r.k32 = q->k32, q->r.l32 = q->l32, q->r.d = d;
}

/* KC_ADD_XP's constants (the case's types, zero points and output o are
 * replaced where the form needs DORY's u8 quantization). */
static void add_xp_consts(KCase *k, dory_out_params_t *o, int index, uint32_t *s)
{
    int form = index % 4, alt = (index / 4) % 2;
    if (form != 3) {
        k->add.a_type = k->add.b_type = DORY_U8, k->add.a_zp = k->add.b_zp = 0;
        k->conv.in_type = DORY_U8, k->conv.in_zp = 0; /* the graph's first input */
        o->type = DORY_U8, o->zp = 0, o->lo = 0, o->hi = 255;
    }
    if (form == 0) {
        int j = ri(s, 0, 6);
        if (alt) {
            memset(&k->rqa, 0, sizeof k->rqa), memset(&k->rqb, 0, sizeof k->rqb);
            memset(&k->rq, 0, sizeof k->rq);
        } else {
            s32_one(&k->rqa, 1 << j, 0, 0), s32_one(&k->rqb, 1 << j, 0, 0);
            s32_one(&k->rq, 1, 0, j);
        }
    } else if (form == 2) {
        s32_one(&k->rqa, (int32_t)ri64(s, 1 << 17, 1 << 18), 1 << 18, 19);
        s32_one(&k->rqb, (int32_t)ri64(s, 1 << 17, 1 << 18), 1 << 18, 19);
        if (alt)
            s32_one(&k->rq, ri(s, 1, 8), ri(s, -4, 4), ri(s, 0, 2));
        else
            memset(&k->rq, 0, sizeof k->rq);
    } else {
        int32_t ka = ri(s, 1, 2000), kb = ri(s, 1, 2000), ko = ri(s, 1, 64);
        int64_t top = (int64_t)ko * (ka + kb) * 255;
        s32_one(&k->rqa, ka, ri(s, -1000, 1000), 0), s32_one(&k->rqb, kb, ri(s, -1000, 1000), 0);
        s32_one(&k->rq, ko, ri(s, -1000, 1000), bitlen((uint64_t)(top / 300)));
    }
    k->add.rq_a = k->rqa.r, k->add.rq_b = k->rqb.r;
}

int kc_random_ex(KCase *k, kop_t op, uint32_t seed, int index, int flags)
{
    uint32_t st = seed * 2654435761u + (uint32_t)index * 40503u + 1u, *s = &st;
    dory_rq_scheme_t sch = schemes[index % NSCH];
    dory_type_t tin = (index / NSCH) % 2 ? DORY_I8 : DORY_U8;
    dory_type_t tout = (index / (2 * NSCH)) % 2 ? DORY_I8 : DORY_U8;
    dory_type_t tb = ri(s, 0, 1) ? DORY_I8 : DORY_U8;
    int perch = (index / (4 * NSCH)) % 2, has_bias = ri(s, 0, 3) != 0, wzp_mode = ri(s, 0, 2);
    static int64_t amax[KC_MAXC]; /* static: 2 kB off core 0's 3 kB stack on pulp-open */
    dory_out_params_t *o;
    memset(k, 0, sizeof *k);
    if (sch == DORY_RQ_FIXED && (index / 40) % 2) sch = DORY_RQ_FIXED_SR; /* LiteRT's FC */
    if (flags & KC_OUT_I32) {
        if (op == KOP_MAXPOOL || op == KOP_AVGPOOL || op == KOP_ADD) return -1;
        tout = DORY_I32;
    }
    if ((flags & (KC_ADD_PC | KC_ADD_XP)) && op != KOP_ADD) return -1;
    if (flags & (KC_FUSED | KC_SHIFT64)) {
        if (op != KOP_CONV && op != KOP_PW) return -1;
        sch = flags & KC_FUSED ? DORY_RQ_SHIFT32 : DORY_RQ_SHIFT64, wzp_mode = 0;
        if ((flags & KC_FUSED) || index % 2 == 0) tout = DORY_U8;
    }
    if (flags & KC_S64) {
        if (op != KOP_DW3 && op != KOP_DW) return -1;
        sch = DORY_RQ_SHIFT64;
    }
    k->op = op, k->seed = seed;
    random_geometry(k, s, index);
    if ((flags & KC_ADD_XP) && index % 4 == 0) k->c = k->cout = 4 * ri(s, 1, 4);
    if (flags & KC_PLANES) {
        if (op != KOP_DW3) return -1;
        int i;
        k->c = k->cout = 4 * ri(s, 1, 4), k->h = ri(s, 5, 30), k->w = ri(s, 5, 30);
        for (i = 0; i < 4; i++) k->pad[i] = ri(s, 1, 2); /* shared padding lines */
        wzp_mode = 0;
        if (!(flags & KC_S64) && index % 2) { /* padded sides multiples of 4: 4 planes fit */
            sch = DORY_RQ_SHIFT32, tout = DORY_U8;
            k->h = ((k->h + k->pad[0] + k->pad[2] + 3) & ~3) - k->pad[0] - k->pad[2];
            k->w = ((k->w + k->pad[1] + k->pad[3] + 3) & ~3) - k->pad[1] - k->pad[3];
        }
        k->oh = out_dim(k->h, k->kh, k->sh, k->dh, k->pad[0], k->pad[2]);
        k->ow = out_dim(k->w, k->kw, k->sw, k->dw, k->pad[1], k->pad[3]);
    }
    if (flags & KC_FIRST) {
        int i;
        if (op != KOP_CONV) return -1;
        k->c = ri(s, 1, 3), k->cout = ri(s, 1, 40);
        k->kh = k->kw = 3 + 2 * ri(s, 0, 2), k->sh = k->sw = ri(s, 1, 2), k->dh = k->dw = 1;
        for (i = 0; i < 4; i++) k->pad[i] = ri(s, 0, k->kh / 2);
        k->h = k->kh - 1 + k->sh * ri(s, 2, 9) + ri(s, 0, 3);
        k->w = k->kw - 1 + k->sw * ri(s, 2, 9) + ri(s, 0, 3);
        if (index % 4 != 3) wzp_mode = 0;
        k->oh = out_dim(k->h, k->kh, k->sh, k->dh, k->pad[0], k->pad[2]);
        k->ow = out_dim(k->w, k->kw, k->sw, k->dw, k->pad[1], k->pad[3]);
    }
    if ((flags & KC_DSP) && op == KOP_ADD) /* tensors the table path takes */
        k->h = k->oh = ri(s, 12, 24), k->w = k->ow = ri(s, 12, 24);
    if ((flags & KC_DSP) && (op == KOP_ADD || op == KOP_DW3) && index % 2 == 0)
        sch = DORY_RQ_FIXED; /* the TFLite quantization, which the fast paths take */
    if (flags & KC_FUSED) { /* K % 8 (the RV32 core) or K % 4 (the Xpulp core); first layers: any */
        int c4 = 4 * ri(s, 1, op == KOP_PW ? 12 : 4);
        if (!(flags & KC_FIRST)) k->c = c4;
        k->cout = ri(s, 4, 21);
    }
    if ((flags & KC_SHIFT64) && index % 4 != 3 && !(flags & KC_FIRST)) /* else any K */
        k->c = 4 * ri(s, 1, op == KOP_PW ? 12 : 4), k->cout = ri(s, 1, 21);
    if (k->oh < 1 || k->ow < 1 || k->cout > KC_MAXC) return -1;
    fill_data(k, s, tin, tb);
    if (!has_bias) free(k->bias), k->bias = NULL;
    /* parameters on the full tensor (border = all) */
    k->conv.kh = k->kh, k->conv.kw = k->kw, k->conv.stride_h = k->sh, k->conv.stride_w = k->sw;
    k->conv.dil_h = k->dh, k->conv.dil_w = k->dw;
    k->conv.pad_top = k->pad[0], k->conv.pad_left = k->pad[1];
    k->conv.pad_bottom = k->pad[2], k->conv.pad_right = k->pad[3];
    k->conv.border = DORY_BORDER_ALL;
    k->conv.in_type = tin, k->conv.in_zp = rand_zp(s, tin);
    k->conv.w_zp = wzp_mode ? k->wzp : NULL, k->conv.w_zp_per_channel = wzp_mode == 2;
    k->fc.in_type = tin, k->fc.in_zp = k->conv.in_zp;
    k->fc.w_zp = k->conv.w_zp, k->fc.w_zp_per_channel = k->conv.w_zp_per_channel;
    k->pool.kh = k->kh, k->pool.kw = k->kw, k->pool.stride_h = k->sh, k->pool.stride_w = k->sw;
    k->pool.pad_top = k->pad[0], k->pool.pad_left = k->pad[1];
    k->pool.pad_bottom = k->pad[2], k->pool.pad_right = k->pad[3];
    k->pool.border = DORY_BORDER_ALL;
    k->pool.in_type = tin, k->pool.in_zp = k->conv.in_zp;
    k->pool.round = (dory_avg_round_t)ri(s, 0, 2), k->pool.count_include_pad = ri(s, 0, 1);
    k->add.a_type = tin, k->add.b_type = tb;
    k->add.a_zp = k->conv.in_zp, k->add.b_zp = rand_zp(s, tb);
    k->elt.in_type = tin, k->elt.in_zp = k->conv.in_zp;
    if (op == KOP_ADD) {
        static int64_t in_am[KC_MAXC]; /* static: as amax */
        int c, pc = (flags & KC_ADD_PC) != 0;
        if (pc) sch = index % 3 == 2 ? DORY_RQ_NONE : DORY_RQ_SHIFT32;
        dory_rq_scheme_t sa = sch == DORY_RQ_SHIFT32 ? sch : schemes[ri(s, 0, NSCH - 1)];
        dory_rq_scheme_t sb = sch == DORY_RQ_SHIFT32 ? sch : schemes[ri(s, 0, NSCH - 1)];
        if ((flags & KC_DSP) && index % 2 == 0) sa = sb = sch, perch = 0; /* FIXED per tensor */
        if (sch == DORY_RQ_F32INT) { /* the add-only schemes, no input requants */
            sch = ri(s, 0, 1) ? DORY_RQ_QLADD : DORY_RQ_QLADD_INT;
            sa = sb = DORY_RQ_NONE, perch = 0;
        }
        if (pc) sa = sb = DORY_RQ_SHIFT32;
        for (c = 0; c < k->c; c++) in_am[c] = 256;
        make_rq(&k->rqa, sa, k->c, pc ? 1 : sch == DORY_RQ_SHIFT32 ? 0 : perch, in_am, 4096, s);
        make_rq(&k->rqb, sb, k->c,
                pc                       ? 1
                : sch == DORY_RQ_SHIFT32 ? 0
                                         : ri(s, 0, 1),
                in_am, 4096, s);
        if (pc && index % 2 == 0) kc_uniform(&k->rqa), kc_uniform(&k->rqb);
        k->add.rq_a = k->rqa.r, k->add.rq_b = k->rqb.r;
        if (sch == DORY_RQ_SHIFT32) perch = pc;
    }
    acc_range(k, amax);
    make_rq(&k->rq, sch, k->cout, perch, amax, tout == DORY_I32 ? 1 << 16 : 160, s);
    if ((flags & KC_ADD_PC) && index % 2 == 0) kc_uniform(&k->rq);
    if (flags & (KC_S64 | KC_SHIFT64))
        s64_consts(&k->rq, amax, k->cout, perch, flags & KC_S64 ? 3 : (index / 2) % 3, index, s);
    o = &k->conv.out;
    set_out(o, tout, s);
    if ((flags & KC_S64) && ri(s, 0, 1)) o->lo = type_min(tout), o->hi = type_max(tout);
    if (sch == DORY_RQ_QLADD || sch == DORY_RQ_QLADD_INT)
        kc_qladd_consts(k->rq.scale, k->add.a_zp, k->add.b_zp, o->zp, s);
    if ((flags & KC_FUSED) || ((flags & KC_SHIFT64) && index % 2 == 0)) /* the fused cores' */
        o->zp = 0, o->lo = 0, o->hi = ri(s, 0, 2) ? 255 : ri(s, 0, 255);
    if ((flags & KC_PLANES) && !(flags & KC_S64) && index % 2) /* DORY's: the assembly's */
        o->zp = 0, o->lo = 0, o->hi = 255;
    if (flags & KC_ADD_XP) add_xp_consts(k, o, index, s);
    o->rq = k->rq.r;
    k->fc.out = k->pool.out = k->add.out = k->elt.out = *o;
    kc_ref(k);
    choose_tile(k, (flags & KC_PLANES) && index % 2 ? DORY_BORDER_ALL : index, s);
    if (flags & KC_PLANES) k->in_extra = 4 * (k->in_extra & 1);
    k->conv.border = k->pool.border = k->border;
    if (flags & KC_IM2COL1) k->conv.im2col_pixels = 1;
    return kc_pack(k, flags);
}

void kc_free(KCase *k)
{
    free(k->x), free(k->xb), free(k->wt), free(k->bias), free(k->ref), free(k->wpack);
    memset(k, 0, sizeof *k);
}

void kc_ref(KCase *k)
{
    dory_dims_t in = {0, 0, 0, 0}, out = {0, 0, 0, 0};
    dory_conv_params_t cv = k->conv;
    dory_pool_params_t pl = k->pool;
    in.h = k->h, in.w = k->w, in.c = k->c;
    out.h = k->oh, out.w = k->ow, out.c = k->cout;
    cv.border = pl.border = DORY_BORDER_ALL;
    switch (k->op) {
    case KOP_CONV:
    case KOP_PW: kref_conv(&cv, 0, &in, k->x, k->wt, k->bias, &out, k->ref, NULL); break;
    case KOP_DW:
    case KOP_DW3: kref_conv(&cv, 1, &in, k->x, k->wt, k->bias, &out, k->ref, NULL); break;
    case KOP_FC: kref_fc(&k->fc, k->c, k->x, k->wt, k->bias, k->cout, k->ref, NULL); break;
    case KOP_MAXPOOL: kref_pool(&pl, 1, &in, k->x, &out, k->ref, NULL); break;
    case KOP_AVGPOOL: kref_pool(&pl, 0, &in, k->x, &out, k->ref, NULL); break;
    case KOP_ADD: kref_add(&k->add, &in, k->x, k->xb, k->ref, NULL); break;
    case KOP_REQUANT: kref_requant(&k->elt, &in, k->x, k->ref, NULL); break;
    case KOP_COUNT: break;
    }
}

int kc_out_esize(const KCase *k) { return k->conv.out.type == DORY_I32 ? 4 : 1; }

static int32_t scratch_bytes(const KCase *k, const KTile *t)
{
    if (k->dsp && k->op == KOP_ADD) return dory_add_dsp_s8_scratch_bytes(&k->add);
    if (k->dsp && k->op == KOP_DW3) return dory_dwconv_s8_scratch_bytes(&k->conv, &t->in, &t->out);
    if (k->dsp)
        return k->op == KOP_FC ? dory_fc_dsp_s8_scratch_bytes(&k->fc, k->c, k->cout)
                               : dory_conv_dsp_s8_scratch_bytes(&k->conv, &t->in, &t->out);
    switch (k->op) {
    case KOP_CONV: return dory_conv2d_hwc_s8_scratch_bytes(&k->conv, &t->in, &t->out);
    case KOP_PW: return dory_conv1x1_s8_scratch_bytes(&k->conv, &t->in, &t->out);
    case KOP_DW:
    case KOP_DW3: return dory_dwconv_s8_scratch_bytes(&k->conv, &t->in, &t->out);
    case KOP_FC: return dory_fc_s8_scratch_bytes(&k->fc, k->c, k->cout);
    default: return 0;
    }
}

static uint8_t *copy_tile(const KCase *k, const uint8_t *full, const dory_dims_t *d)
{
    int cs = d->c_stride, y, x;
    uint8_t *t = (uint8_t *)malloc((size_t)d->h * d->w * cs + 1);
    memset(t, CANARY, (size_t)d->h * d->w * cs + 1);
    for (y = 0; y < d->h; y++)
        for (x = 0; x < d->w; x++)
            memcpy(t + ((long)y * d->w + x) * cs,
                   full + ((long)(k->iy0 + y) * k->w + k->ix0 + x) * k->c, (size_t)k->c);
    return t;
}

int kc_tile_alloc(const KCase *k, KTile *t)
{
    memset(t, 0, sizeof *t);
    t->in.h = k->iy1 - k->iy0, t->in.w = k->ix1 - k->ix0, t->in.c = k->c;
    t->in.c_stride = k->c + k->in_extra;
    t->in_b = t->in;
    t->out.h = k->oy1 - k->oy0, t->out.w = k->ox1 - k->ox0, t->out.c = k->cout;
    t->out.c_stride = k->cout + k->out_extra;
    t->x = copy_tile(k, k->x, &t->in);
    t->xb = copy_tile(k, k->xb, &t->in_b);
    t->ybytes = (long)t->out.h * t->out.w * t->out.c_stride * kc_out_esize(k);
    t->y = (uint8_t *)malloc((size_t)t->ybytes);
    memset(t->y, CANARY, (size_t)t->ybytes);
    t->scratch_bytes = scratch_bytes(k, t);
    return t->x && t->xb && t->y ? 0 : -1;
}

void kc_tile_free(KTile *t)
{
    free(t->x), free(t->xb), free(t->y);
    memset(t, 0, sizeof *t);
}

int kc_run_core(const KCase *k, KTile *t, int core_id, int num_cores, void *scratch)
{
    dory_ctx_t ctx;
    void *y = t->y + k->out_off * kc_out_esize(k);
    ctx.core_id = core_id, ctx.num_cores = num_cores, ctx.buf = scratch;
    ctx.size = t->scratch_bytes;
    if (k->dsp && k->op == KOP_DW3)
        return dory_dwconv3x3_dsp_s8(&ctx, &k->conv, &t->in, t->x, k->wt, k->bias, &t->out, y);
    if (k->dsp && k->op == KOP_ADD)
        return dory_add_dsp_s8(&ctx, &k->add, &t->in, t->x, &t->in_b, t->xb, &t->out, y);
    if (k->dsp && k->op == KOP_FC)
        return dory_fc_dsp_s8(&ctx, &k->fc, k->c, t->x, (const int8_t *)k->wpack, k->bias, k->cout,
                              y);
    if (k->dsp)
        return dory_conv_dsp_s8(&ctx, &k->conv, &t->in, t->x, (const int8_t *)k->wpack, k->bias,
                                &t->out, y);
    switch (k->op) {
    case KOP_CONV:
        return dory_conv2d_hwc_s8(&ctx, &k->conv, &t->in, t->x, k->wt, k->bias, &t->out, y);
    case KOP_PW: return dory_conv1x1_s8(&ctx, &k->conv, &t->in, t->x, k->wt, k->bias, &t->out, y);
    case KOP_DW: return dory_dwconv_s8(&ctx, &k->conv, &t->in, t->x, k->wt, k->bias, &t->out, y);
    case KOP_DW3:
        return dory_dwconv3x3_s8(&ctx, &k->conv, &t->in, t->x, k->wt, k->bias, &t->out, y);
    case KOP_FC: return dory_fc_s8(&ctx, &k->fc, k->c, t->x, k->wt, k->bias, k->cout, y);
    case KOP_MAXPOOL: return dory_maxpool_s8(&ctx, &k->pool, &t->in, t->x, &t->out, y);
    case KOP_AVGPOOL: return dory_avgpool_s8(&ctx, &k->pool, &t->in, t->x, &t->out, y);
    case KOP_ADD: return dory_add_s8(&ctx, &k->add, &t->in, t->x, &t->in_b, t->xb, &t->out, y);
    case KOP_REQUANT: return dory_requant_s8(&ctx, &k->elt, &t->in, t->x, &t->out, y);
    case KOP_COUNT: break;
    }
    return -99;
}

/* Element i of an output buffer of esz-byte elements (8-bit: the raw byte). */
static long elem(const uint8_t *p, long i, int esz)
{
    int32_t v;
    if (esz == 1) return p[i];
    memcpy(&v, p + 4 * i, 4);
    return v;
}

int kc_compare(const KCase *k, const KTile *t, char *msg, int msglen)
{
    int bad = 0, y, x, c, cs = t->out.c_stride, esz = kc_out_esize(k);
    long canary = esz == 4 ? (long)(int32_t)0xA5A5A5A5u : CANARY;
    for (y = 0; y < t->out.h; y++)
        for (x = 0; x < t->out.w; x++)
            for (c = 0; c < cs; c++) {
                long got = elem(t->y, ((long)y * t->out.w + x) * cs + c, esz), want = canary;
                int ch = c - k->out_off;
                if (ch >= 0 && ch < k->cout)
                    want =
                        elem(k->ref, ((long)(k->oy0 + y) * k->ow + k->ox0 + x) * k->cout + ch, esz);
                if (got != want && bad++ == 0 && msg)
                    snprintf(msg, (size_t)msglen,
                             "%s seed %u: tile pixel (%d,%d) slot %d: got %ld want %ld "
                             "[h%d w%d c%d co%d k%dx%d s%d,%d d%d,%d pad %d,%d,%d,%d border %d "
                             "rq %d]",
                             kc_op_name(k->op), (unsigned)k->seed, y, x, c, got, want, k->h, k->w,
                             k->c, k->cout, k->kh, k->kw, k->sh, k->sw, k->dh, k->dw, k->pad[0],
                             k->pad[1], k->pad[2], k->pad[3], k->border, (int)k->rq.r.scheme);
            }
    return bad;
}

void (*kc_run_cores)(const KCase *k, KTile *t, int num_cores, uint8_t *scratch, int *rc);

int kc_check(const KCase *k, int num_cores, char *msg, int msglen)
{
    KTile t;
    int core, bad = 0, rc[KC_MAX_CORES];
    uint8_t *scratch;
    if (num_cores > KC_MAX_CORES || kc_tile_alloc(k, &t)) return 1;
    scratch = t.scratch_bytes ? malloc((size_t)t.scratch_bytes * (size_t)num_cores) : NULL;
    if (kc_run_cores)
        kc_run_cores(k, &t, num_cores, scratch, rc);
    else
        for (core = 0; core < num_cores; core++)
            rc[core] = kc_run_core(k, &t, core, num_cores,
                                   scratch ? scratch + (long)core * t.scratch_bytes : NULL);
    for (core = 0; core < num_cores; core++)
        if (rc[core] && bad++ == 0 && msg)
            snprintf(msg, (size_t)msglen, "%s seed %u: kernel returned %d", kc_op_name(k->op),
                     (unsigned)k->seed, rc[core]);
    if (!bad) bad = kc_compare(k, &t, msg, msglen);
    free(scratch);
    kc_tile_free(&t);
    return bad;
}

int kc_bench(KCase *k, kop_t op, int h, int w, int c, int cout, int kk, int s, int pad,
             uint32_t seed, int flags)
{
    dory_type_t t = (flags & (KC_I8 | KC_TFLITE)) ? DORY_I8 : DORY_U8;
    dory_rq_scheme_t sch = (flags & (KC_TFLITE | KC_ONNX_FIXED)) ? DORY_RQ_FIXED
                           : (flags & KC_ONNX_FLOAT)             ? DORY_RQ_FLOAT
                           : (flags & KC_ONNX_EXACT)             ? DORY_RQ_F32INT
                           : (flags & KC_ONNX_SHIFT64)           ? DORY_RQ_SHIFT64
                                                                 : DORY_RQ_SHIFT32;
    uint32_t st = seed ? seed : 1;
    static int64_t amax[KC_MAXC]; /* static: 2 kB off core 0's 3 kB stack on pulp-open */
    dory_out_params_t *o = &k->conv.out;
    int i;
    memset(amax, 0, sizeof amax);
    memset(k, 0, sizeof *k);
    k->op = op, k->seed = seed;
    k->h = h, k->w = w, k->c = c, k->cout = cout, k->kh = k->kw = kk, k->sh = k->sw = s;
    k->dh = k->dw = 1;
    for (i = 0; i < 4; i++) k->pad[i] = pad;
    k->oh = out_dim(h, kk, s, 1, pad, pad), k->ow = out_dim(w, kk, s, 1, pad, pad);
    if (k->oh < 1 || k->ow < 1 || cout > KC_MAXC || (op != KOP_FC && c > KC_MAXC)) return -1;
    fill_data(k, &st, t, t);
    if (flags & (KC_I8 | KC_TFLITE)) {
        k->conv.in_type = t, k->conv.in_zp = (flags & KC_TFLITE) ? -128 : rand_zp(&st, t);
        k->fc.in_type = k->pool.in_type = k->add.a_type = k->add.b_type = t;
        k->fc.in_zp = k->pool.in_zp = k->add.a_zp = k->conv.in_zp;
        k->add.b_zp = rand_zp(&st, t);
    }
    k->conv.kh = k->conv.kw = kk, k->conv.stride_h = k->conv.stride_w = s;
    k->conv.dil_h = k->conv.dil_w = 1;
    k->conv.pad_top = k->conv.pad_left = k->conv.pad_bottom = k->conv.pad_right = pad;
    k->conv.border = DORY_BORDER_ALL;
    if (flags & KC_IM2COL1) k->conv.im2col_pixels = 1;
    k->pool.kh = kk, k->pool.kw = kk, k->pool.stride_h = k->pool.stride_w = s;
    k->pool.border = DORY_BORDER_ALL;
    k->add.rq_a.scheme = k->add.rq_b.scheme = DORY_RQ_NONE;
    if (op == KOP_ADD && sch == DORY_RQ_F32INT) {
        sch = DORY_RQ_QLADD_INT;
    } else if (op == KOP_ADD) {
        for (i = 0; i < c; i++) amax[i] = 256;
        make_rq(&k->rqa, sch, c, 0, amax, 4096, &st);
        make_rq(&k->rqb, sch, c, 0, amax, 4096, &st);
        k->add.rq_a = k->rqa.r, k->add.rq_b = k->rqb.r;
    }
    if (op == KOP_AVGPOOL || op == KOP_MAXPOOL) { /* DORY's pooling: no requant */
        make_rq(&k->rq, DORY_RQ_NONE, cout, 0, amax, 1, &st);
    } else {
        acc_range(k, amax);
        make_rq(&k->rq, sch, cout, op != KOP_ADD, amax, 255, &st);
    }
    o->type = t, o->zp = (flags & (KC_I8 | KC_TFLITE)) ? rand_zp(&st, t) : 0;
    if (op == KOP_MAXPOOL) o->zp = k->pool.in_zp; /* max pooling keeps the quantization */
    o->lo = type_min(t), o->hi = type_max(t), o->rq = k->rq.r;
    if (sch == DORY_RQ_QLADD_INT)
        kc_qladd_consts(k->rq.scale, k->add.a_zp, k->add.b_zp, o->zp, &st);
    if (op == KOP_ADD && (flags & KC_ADD_XP)) /* DORY's residual add; with KC_ADD_PC Dronet's */
        add_xp_consts(k, o, flags & KC_ADD_PC ? 2 : 0, &st), o->rq = k->rq.r;
    if (flags & KC_OUT_I32) { /* the raw accumulator, as DORY's last FC layer */
        make_rq(&k->rq, DORY_RQ_NONE, cout, 0, amax, 1, &st);
        o->type = DORY_I32, o->zp = 0, o->lo = INT32_MIN, o->hi = INT32_MAX, o->rq = k->rq.r;
    }
    k->fc.out = k->pool.out = k->add.out = *o;
    k->border = DORY_BORDER_ALL;
    k->oy0 = 0, k->oy1 = k->oh, k->ox0 = 0, k->ox1 = k->ow;
    k->iy0 = 0, k->iy1 = h, k->ix0 = 0, k->ix1 = w;
    return kc_pack(k, flags);
}

const KBenchShape kc_bench_shapes[] = {
    {"conv 3x3 s1 p1 16->16 32x32", KOP_CONV, 32, 32, 16, 16, 3, 1, 1, "MAC", 3.0},
    {"conv 3x3 s2 p1 3->8 96x96", KOP_CONV, 96, 96, 3, 8, 3, 2, 1, "MAC", 4.5},
    {"pointwise 64->64 25x5", KOP_PW, 25, 5, 64, 64, 1, 1, 0, "MAC", 3.0},
    {"pointwise 32->64 24x24", KOP_PW, 24, 24, 32, 64, 1, 1, 0, "MAC", 3.0},
    {"depthwise 3x3 s1 p1 64ch 25x5", KOP_DW3, 25, 5, 64, 64, 3, 1, 1, "MAC", 5.0},
    {"depthwise 3x3 s2 p1 32ch 48x48", KOP_DW3, 48, 48, 32, 32, 3, 2, 1, "MAC", 5.0},
    {"fc 640->128", KOP_FC, 1, 1, 640, 128, 1, 1, 0, "MAC", 3.5},
    {"fc 256->12", KOP_FC, 1, 1, 256, 12, 1, 1, 0, "MAC", 3.5},
    {"add 16x16x32", KOP_ADD, 16, 16, 32, 32, 1, 1, 0, "elem", 20.0},
    {"global avgpool 6x6x256", KOP_AVGPOOL, 6, 6, 256, 256, 6, 1, 0, "input", 0},
    /* PenguiNet_32's first layer, one L1 tile of its deployment (24x16 outputs) */
    {"conv 5x5 s2 p2 1->32 48x32", KOP_CONV, 48, 32, 1, 32, 5, 2, 2, "MAC", 0},
    /* the L1 tiles of Quantlab_Dronet's MaxPool_7 and PenguiNet_32's maxpool (2x2 s2) */
    {"maxpool 2x2 s2 4x100x32", KOP_MAXPOOL, 4, 100, 32, 32, 2, 2, 0, "input", 0},
    {"maxpool 2x2 s2 16x28x32", KOP_MAXPOOL, 16, 28, 32, 32, 2, 2, 0, "input", 0},
};
const int kc_bench_nshapes = (int)(sizeof kc_bench_shapes / sizeof kc_bench_shapes[0]);

/* conv2d's work split on small and odd outputs (few pixel groups for 8
 * cores: channel blocks split too; groups across row ends; channel tails). */
const KBenchShape kc_split_shapes[] = {
    /* PenguiNet_32's 3x5 tiles of 26 channels (layers 106 / 116) */
    {"conv 3x3 s1 p1 64->26 3x5", KOP_CONV, 3, 5, 64, 26, 3, 1, 1, "MAC", 0},
    /* Residual_connection_test_1's 25x25 layers */
    {"conv 3x3 s1 p1 16->16 25x25", KOP_CONV, 25, 25, 16, 16, 3, 1, 1, "MAC", 0},
    /* Quantlab Dronet's 7x7 outputs, 22 channels */
    {"conv 3x3 s1 p1 32->22 7x7", KOP_CONV, 7, 7, 32, 22, 3, 1, 1, "MAC", 0},
    {"conv 3x3 s2 p1 8->12 13x13", KOP_CONV, 13, 13, 8, 12, 3, 2, 1, "MAC", 0},
    {"conv 3x3 s1 p0 8->40 3x3", KOP_CONV, 3, 3, 8, 40, 3, 1, 0, "MAC", 0},
    {"conv 3x3 s1 p1 4->5 2x3", KOP_CONV, 2, 3, 4, 5, 3, 1, 1, "MAC", 0},
    {"conv 3x3 s1 p1 12->9 5x7", KOP_CONV, 5, 7, 12, 9, 3, 1, 1, "MAC", 0},
    {"conv 5x5 s1 p2 3->33 2x9", KOP_CONV, 2, 9, 3, 33, 5, 1, 2, "MAC", 0},
};
const int kc_split_nshapes = (int)(sizeof kc_split_shapes / sizeof kc_split_shapes[0]);
const int kc_split_flags[KC_SPLIT_NFLAGS] = {0,          KC_I8,      KC_TFLITE,
                                             KC_SHIFT64, KC_IM2COL1, KC_OUT_I32};

/* ---- input-channel slices (DORY_ACC_FIRST / NEXT, dory_requant_s32) ---- */

/* Weights of channels [c0, c1) of every (co, ky, kx): [co][kh][kw][c1-c0]. */
static int8_t *slice_weights(const KCase *k, int c0, int c1)
{
    long taps = (long)k->cout * k->kh * k->kw, i;
    int n = c1 - c0;
    int8_t *w = (int8_t *)malloc((size_t)(taps * n));
    for (i = 0; w && i < taps; i++) memcpy(w + i * n, k->wt + i * k->c + c0, (size_t)n);
    return w;
}

/* Channels [c0, c1) of the tile input, dense. */
static uint8_t *slice_input(const KTile *t, int c0, int c1)
{
    long px, npx = (long)t->in.h * t->in.w;
    int n = c1 - c0;
    uint8_t *x = (uint8_t *)malloc((size_t)(npx * n));
    for (px = 0; x && px < npx; px++)
        memcpy(x + px * n, t->x + px * t->in.c_stride + c0, (size_t)n);
    return x;
}

/* Slice s of ns on the calls of num_cores cores; returns the first non-zero
 * kernel status. */
static int run_slice(const KCase *k, const KTile *t, int c0, int c1, int first, int num_cores,
                     int dense, int32_t *acc)
{
    dory_conv_params_t cp = k->conv;
    dory_fc_params_t fp = k->fc;
    dory_dims_t in = t->in, out = t->out;
    int8_t *w = slice_weights(k, c0, c1);
    uint8_t *xs = dense || k->op == KOP_FC ? slice_input(t, c0, c1) : NULL;
    const uint8_t *x = xs ? xs : t->x + c0;
    int32_t bytes;
    void *scratch;
    int core, rc = 0;
    cp.acc_mode = fp.acc_mode = first ? DORY_ACC_FIRST : DORY_ACC_NEXT;
    cp.out.type = fp.out.type = (dory_type_t)99; /* not read in the ACC modes */
    in.c = c1 - c0, in.c_stride = xs ? 0 : t->in.c_stride;
    out.c_stride = 0;
    bytes = k->op == KOP_CONV ? dory_conv2d_hwc_s8_scratch_bytes(&cp, &in, &out)
            : k->op == KOP_PW ? dory_conv1x1_s8_scratch_bytes(&cp, &in, &out)
                              : dory_fc_s8_scratch_bytes(&fp, c1 - c0, k->cout);
    scratch = malloc((size_t)bytes + 4);
    for (core = 0; core < num_cores && rc == 0; core++) {
        dory_ctx_t ctx;
        ctx.core_id = core, ctx.num_cores = num_cores, ctx.buf = scratch, ctx.size = bytes;
        if (k->op == KOP_CONV)
            rc = dory_conv2d_hwc_s8(&ctx, &cp, &in, x, w, k->bias, &out, acc);
        else if (k->op == KOP_PW)
            rc = dory_conv1x1_s8(&ctx, &cp, &in, x, w, k->bias, &out, acc);
        else
            rc = dory_fc_s8(&ctx, &fp, c1 - c0, x, w, k->bias, k->cout, acc);
    }
    free(scratch), free(w), free(xs);
    return rc;
}

int kc_check_sliced(const KCase *k, int nslices, int num_cores, int dense, char *msg, int msglen)
{
    KTile t;
    long nacc;
    int32_t *acc;
    int s, core, rc = 0, bad = 0;
    if (k->op != KOP_CONV && k->op != KOP_PW && k->op != KOP_FC) return 1;
    if (nslices > k->c) nslices = k->c;
    if (kc_tile_alloc(k, &t)) return 1;
    nacc = (long)t.out.h * t.out.w * k->cout;
    acc = (int32_t *)malloc(sizeof(int32_t) * (size_t)nacc);
    memset(acc, 0x5A, sizeof(int32_t) * (size_t)nacc); /* FIRST must overwrite */
    for (s = 0; s < nslices && rc == 0; s++)
        rc = run_slice(k, &t, k->c * s / nslices, k->c * (s + 1) / nslices, s == 0, num_cores,
                       dense, acc);
    for (core = 0; core < num_cores && rc == 0; core++) {
        dory_ctx_t ctx;
        ctx.core_id = core, ctx.num_cores = num_cores, ctx.buf = NULL, ctx.size = 0;
        rc = dory_requant_s32(&ctx, &k->conv.out, &t.out, acc, t.y + k->out_off * kc_out_esize(k));
    }
    if (rc) {
        bad = 1;
        if (msg)
            snprintf(msg, (size_t)msglen, "%s seed %u: sliced kernel returned %d",
                     kc_op_name(k->op), (unsigned)k->seed, rc);
    } else {
        bad = kc_compare(k, &t, msg, msglen);
    }
    free(acc);
    kc_tile_free(&t);
    return bad;
}

long kc_work(const KCase *k)
{
    switch (k->op) {
    case KOP_CONV:
    case KOP_PW: return (long)k->oh * k->ow * k->cout * k->kh * k->kw * k->c;
    case KOP_DW:
    case KOP_DW3: return (long)k->oh * k->ow * k->c * k->kh * k->kw;
    case KOP_FC: return (long)k->c * k->cout;
    default: return (long)k->h * k->w * k->c; /* add: elements, pools: inputs */
    }
}
