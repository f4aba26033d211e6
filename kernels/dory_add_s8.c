/* dory_add_s8.c: element-wise add with a requant per input:
 * acc = rq_a(a - za) + rq_b(b - zb); y = clamp(rq(acc) + zy, lo, hi).
 * Fast path: per-tensor SHIFT32/NONE requants with the input zero points
 * folded into the addends; generic path: any scheme, per channel.
 * Work split: pixels. No scratch; nothing from src/.
 */
#include "dory_internal.h"

/* Per-tensor k*v + l >> d with the zero point folded into l. */
typedef struct {
    int32_t k, l;
    int d;
} add_lin_t;

/* Folds rq(v - z) into k*v + l' >> d; 0 if it does not fit int32. */
static int add_fold(const dory_requant_t *rq, int32_t z, add_lin_t *f)
{
    int64_t l;
    if (rq->scheme == DORY_RQ_NONE) {
        f->k = 1, f->d = 0, l = -(int64_t)z;
    } else if (rq->scheme == DORY_RQ_SHIFT32 && !rq->per_channel) {
        f->k = rq->k32[0], f->d = rq->d;
        l = (rq->l32 ? rq->l32[0] : 0) - (int64_t)f->k * z;
    } else {
        return 0;
    }
    if (l < INT32_MIN || l > INT32_MAX) return 0;
    f->l = (int32_t)l;
    return 1;
}

/* y = clamp(rq(rq_a(a) + rq_b(b))), the clamp as one unsigned range compare
 * (v in [lo', hi'] iff v - lo' <= range; see dory__s32_t), two elements per
 * iteration. */
#define ADD_ONE(i)                                                                                 \
    do {                                                                                           \
        int32_t acc = ((ka * a[i] + la) >> da) + ((kb * b[i] + lb) >> db);                         \
        int32_t v = (k * acc + l) >> d;                                                            \
        uint32_t t = (uint32_t)v - (uint32_t)lo;                                                   \
        if (DORY_UNLIKELY(t > range)) t = v < lo ? 0u : range;                                     \
        y[i] = (uint8_t)(t + ylo);                                                                 \
    } while (0)

#define ADD_FAST_DEFINE(NAME, AT, BT)                                                              \
    static DORY_HOT void NAME(const AT *a, const BT *b, uint8_t *y, int n, const add_lin_t *fa,    \
                              const add_lin_t *fb, const dory__s32_t *e)                           \
    {                                                                                              \
        int32_t ka = fa->k, la = fa->l, kb = fb->k, lb = fb->l;                                    \
        int32_t k = e->k, l = e->l, lo = e->lo;                                                    \
        int da = fa->d, db = fb->d, d = e->d;                                                      \
        uint32_t range = (uint32_t)e->hi - (uint32_t)e->lo;                                        \
        uint32_t ylo = (uint32_t)e->lo + (uint32_t)e->zp;                                          \
        const AT *end = a + (n & ~1);                                                              \
        for (; a != end; a += 2, b += 2, y += 2) {                                                 \
            ADD_ONE(0);                                                                            \
            ADD_ONE(1);                                                                            \
        }                                                                                          \
        if (n & 1) ADD_ONE(0);                                                                     \
    }

ADD_FAST_DEFINE(add_uu, uint8_t, uint8_t)
ADD_FAST_DEFINE(add_ui, uint8_t, int8_t)
ADD_FAST_DEFINE(add_iu, int8_t, uint8_t)
ADD_FAST_DEFINE(add_ii, int8_t, int8_t)

/* FIXED per tensor for both inputs and the output (the TFLite quantization),
 * contiguous, when every shifted value has a bit to spare: then
 * srdhm(x, m) = floor((2x * m + 2^31) / 2^32), one SMMULR with the DSP
 * extension, and RoundingDivideByPOT with its mask precomputed. The inputs
 * are 8-bit, so |v - z| <= 255 and 255 << (left + 1) < 2^31 decides for
 * rq_a and rq_b; the output's bound is the sum of theirs at v = +-255
 * (each requant is monotone in v). */
typedef struct {
    int32_t mult, thr, zp, lo, hi;
    uint32_t mask;
    int left1, right; /* left + 1: the doubling of SMMULR */
} add_fx_t;

/* rq(v) of one FIXED per-tensor requant (v << left1 fits int32). */
DORY_INLINE int32_t add_rq(const add_fx_t *f, int32_t v)
{
    int32_t h = dory_smmulr((int32_t)((uint32_t)v << f->left1), f->mult);
    int32_t rem = (int32_t)((uint32_t)h & f->mask), thr = f->thr - (h >> 31);
    return (h >> f->right) + (rem > thr);
}

/* 0 unless |v| <= vmax gives |v| << (left + 1) < 2^31. */
static int add_fx_set(const dory__fx_t *e, int64_t vmax, add_fx_t *f)
{
    if (e->left > 29 || (vmax << (e->left + 1)) > INT32_MAX) return 0;
    f->mult = e->mult, f->mask = e->mask, f->thr = (int32_t)(e->mask >> 1);
    f->left1 = e->left + 1, f->right = e->right;
    f->zp = e->zp, f->lo = e->lo, f->hi = e->hi;
    return 1;
}

#define ADD_FX_DEFINE(NAME, AT, BT)                                                                \
    static DORY_HOT void NAME(const AT *a, const BT *b, uint8_t *y, int n, int32_t za, int32_t zb, \
                              const add_fx_t *pa, const add_fx_t *pb, const add_fx_t *po)          \
    {                                                                                              \
        add_fx_t fa = *pa, fb = *pb, fo = *po;                                                     \
        int i;                                                                                     \
        for (i = 0; i < n; i++) {                                                                  \
            int32_t v = add_rq(&fo, add_rq(&fa, a[i] - za) + add_rq(&fb, b[i] - zb));              \
            v = v < fo.lo ? fo.lo : v > fo.hi ? fo.hi : v;                                         \
            y[i] = (uint8_t)(v + fo.zp);                                                           \
        }                                                                                          \
    }

ADD_FX_DEFINE(addfx_uu, uint8_t, uint8_t)
ADD_FX_DEFINE(addfx_ui, uint8_t, int8_t)
ADD_FX_DEFINE(addfx_iu, int8_t, uint8_t)
ADD_FX_DEFINE(addfx_ii, int8_t, int8_t)

static int64_t add_bound(const dory__fx_t *e)
{
    int64_t p = dory__fx_raw(e, 255), m = dory__fx_raw(e, -255);
    p = p < 0 ? -p : p, m = m < 0 ? -m : m;
    return p > m ? p : m;
}

static int add_fx(const dory_add_params_t *p, const void *a, const void *b, void *y, int n)
{
    dory__fx_t ea, eb, eo;
    add_fx_t fa, fb, fo;
    if (p->rq_a.scheme != DORY_RQ_FIXED || p->rq_b.scheme != DORY_RQ_FIXED ||
        p->out.rq.scheme != DORY_RQ_FIXED || p->rq_a.per_channel || p->rq_b.per_channel ||
        p->out.rq.per_channel)
        return 0;
    dory__fx_load_rq(&p->rq_a, 0, &ea);
    dory__fx_load_rq(&p->rq_b, 0, &eb);
    dory__fx_load(&p->out, 0, &eo);
    if (!add_fx_set(&ea, 255, &fa) || !add_fx_set(&eb, 255, &fb) ||
        !add_fx_set(&eo, add_bound(&ea) + add_bound(&eb), &fo))
        return 0;
    if (p->a_type == DORY_U8 && p->b_type == DORY_U8)
        addfx_uu((const uint8_t *)a, (const uint8_t *)b, (uint8_t *)y, n, p->a_zp, p->b_zp, &fa,
                 &fb, &fo);
    else if (p->a_type == DORY_U8)
        addfx_ui((const uint8_t *)a, (const int8_t *)b, (uint8_t *)y, n, p->a_zp, p->b_zp, &fa, &fb,
                 &fo);
    else if (p->b_type == DORY_U8)
        addfx_iu((const int8_t *)a, (const uint8_t *)b, (uint8_t *)y, n, p->a_zp, p->b_zp, &fa, &fb,
                 &fo);
    else
        addfx_ii((const int8_t *)a, (const int8_t *)b, (uint8_t *)y, n, p->a_zp, p->b_zp, &fa, &fb,
                 &fo);
    return 1;
}

/* QLADD: rne(fma(a, s_a, fma(b, s_b, c))) on the raw inputs, clamped; in
 * fp32 or (QLADD_INT) in integers. */
static void add_qladd(const dory_add_params_t *p, const dory_dims_t *ad, const void *a,
                      const dory_dims_t *bd, const void *b, const dory_dims_t *yd, void *y, int px0,
                      int px1)
{
    int as = dory__cstride(ad), bs = dory__cstride(bd), ys = dory__cstride(yd), px, c;
    const float *s = p->out.rq.scale;
    for (px = px0; px < px1; px++)
        for (c = 0; c < ad->c; c++) {
            int32_t va = dory__ld(p->a_type, a, (long)px * as + c);
            int32_t vb = dory__ld(p->b_type, b, (long)px * bs + c);
            int64_t v;
            if (p->out.rq.scheme == DORY_RQ_QLADD_INT) {
                v = dory__qladd_int(va, vb, s);
            } else {
                volatile float t = dory__fmaf((float)vb, s[1], s[2]);
                v = dory__rne_f32(dory__fmaf((float)va, s[0], t));
            }
            dory__st(y, (long)px * ys + c,
                     (int32_t)(v < p->out.lo   ? p->out.lo
                               : v > p->out.hi ? p->out.hi
                                               : v));
        }
}

static void add_generic(const dory_add_params_t *p, const dory_dims_t *ad, const void *a,
                        const dory_dims_t *bd, const void *b, const dory_dims_t *yd, void *y,
                        int px0, int px1)
{
    int as = dory__cstride(ad), bs = dory__cstride(bd), ys = dory__cstride(yd), px, c;
    for (px = px0; px < px1; px++)
        for (c = 0; c < ad->c; c++) {
            int64_t va = dory__ld(p->a_type, a, (long)px * as + c) - (int64_t)p->a_zp;
            int64_t vb = dory__ld(p->b_type, b, (long)px * bs + c) - (int64_t)p->b_zp;
            int64_t acc = dory__rq_raw(&p->rq_a, c, va) + dory__rq_raw(&p->rq_b, c, vb);
            dory__st(y, (long)px * ys + c,
                     dory__clamp_zp(&p->out, dory__rq_raw(&p->out.rq, c, acc)));
        }
}

int32_t dory_add_s8_scratch_bytes(const dory_add_params_t *p)
{
    (void)p;
    return 0;
}

int dory_add_s8(const dory_ctx_t *ctx, const dory_add_params_t *p, const dory_dims_t *a_dims,
                const void *a, const dory_dims_t *b_dims, const void *b, const dory_dims_t *y_dims,
                void *y)
{
    int px0, px1, c = a_dims->c, n;
    add_lin_t fa, fb;
    dory__s32_t e;
    const dory_requant_t *r = &p->out.rq;
    if (b_dims->c != c || y_dims->c != c || b_dims->h != a_dims->h || y_dims->h != a_dims->h ||
        b_dims->w != a_dims->w || y_dims->w != a_dims->w)
        return DORY_ERR_ARG;
    dory__split(a_dims->h * a_dims->w, ctx, &px0, &px1);
    if (r->scheme == DORY_RQ_QLADD || r->scheme == DORY_RQ_QLADD_INT) {
        add_qladd(p, a_dims, a, b_dims, b, y_dims, y, px0, px1);
        return DORY_OK;
    }
    if (dory__cstride(a_dims) == c && dory__cstride(b_dims) == c && dory__cstride(y_dims) == c &&
        add_fold(&p->rq_a, p->a_zp, &fa) && add_fold(&p->rq_b, p->b_zp, &fb) &&
        (r->scheme == DORY_RQ_SHIFT32 && !r->per_channel)) {
        const uint8_t *pa = (const uint8_t *)a + (long)px0 * c;
        const uint8_t *pb = (const uint8_t *)b + (long)px0 * c;
        uint8_t *py = (uint8_t *)y + (long)px0 * c;
        n = (px1 - px0) * c;
        dory__s32_load(&p->out, 0, &e);
        if (p->a_type == DORY_U8 && p->b_type == DORY_U8)
            add_uu(pa, pb, py, n, &fa, &fb, &e);
        else if (p->a_type == DORY_U8)
            add_ui(pa, (const int8_t *)pb, py, n, &fa, &fb, &e);
        else if (p->b_type == DORY_U8)
            add_iu((const int8_t *)pa, pb, py, n, &fa, &fb, &e);
        else
            add_ii((const int8_t *)pa, (const int8_t *)pb, py, n, &fa, &fb, &e);
        return DORY_OK;
    }
    if (dory__cstride(a_dims) == c && dory__cstride(b_dims) == c && dory__cstride(y_dims) == c &&
        p->out.type != DORY_I32 &&
        add_fx(p, (const uint8_t *)a + (long)px0 * c, (const uint8_t *)b + (long)px0 * c,
               (uint8_t *)y + (long)px0 * c, (px1 - px0) * c))
        return DORY_OK;
    add_generic(p, a_dims, a, b_dims, b, y_dims, y, px0, px1);
    return DORY_OK;
}
