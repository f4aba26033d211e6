/* dory_dwconv3x3_dsp_s8.c: depthwise 3x3 (dilation 1, stride 1 or 2) in
 * the TFLite quantization (per-channel FIXED to 8 bits): the Arm DSP row
 * DORY_K_DWCONV3X3_DSP.
 *
 * Each channel is copied into a padded int16 plane of the raw input (the
 * padding holds zx, so every tap of every output is a real product and the
 * zero-point term is one per-channel constant folded into the bias). The
 * channel's 9 weights w - zw, shifted left by the requant's left shift plus
 * one, are int16 halves: the first two taps of a kernel row are one SMLAD
 * on a plane word, the third an SMLABB/SMLABT, 6 multiplies per output. The
 * accumulator is then acc << (left + 1) exactly, and the requant is one
 * SMMULR (SaturatingRoundingDoublingHighMul, never saturating) and
 * RoundingDivideByPOT(h, r) = (h + 2^(r-1) + zp 2^r - (h < 0)) >> r with the
 * output zero point folded in. Exact when, per channel (checked per call):
 * |bias| + 255 sum |w - zw| shifted by left + 1 stays below 2^31, every
 * shifted weight fits int16, r is 1..30 and the rounding constant within
 * 2^29. Otherwise, and for every other case, it is dory_dwconv3x3_s8().
 * Work split: channels. No allocation; nothing from src/.
 */
#include "dory_internal.h"

/* One channel's constants, as the loop keeps them in registers. */
typedef struct {
    uint32_t p01, p34, p67, w25, w8; /* weight halves: (w0, w1), ..., (w2, w5), (w8, 0) */
    int32_t b, mult, rnd, lo, hi;    /* b: folded bias, shifted; rnd: see above */
    int right;
} dwd_ch_t;

DORY_INLINE uint32_t half2(int32_t lo, int32_t hi)
{
    return ((uint32_t)lo & 0xffffu) | (uint32_t)hi << 16;
}

/* The constants of channel c; 0 if the fast requant is not exact for it. */
static int dwd_setup(const dory_conv_params_t *p, const int8_t *wc, const int32_t *bias, int c,
                     dwd_ch_t *k)
{
    dory__fx_t e;
    int32_t zw = dory__wzp(p->w_zp, p->w_zp_per_channel, c), wt[9];
    int64_t b = bias ? bias[c] : 0, babs = b < 0 ? -b : b, sum = 0, rnd;
    uint32_t bf;
    int t, sh;
    dory__fx_load(&p->out, c, &e);
    sh = e.left + 1;
    if (e.left > 22 || e.right < 1 || e.right > 30) return 0;
    for (t = 0; t < 9; t++) {
        int32_t v = wc[t] - zw;
        babs += 255 * (int64_t)(v < 0 ? -v : v);
        sum += v;
        if ((v < 0 ? -(int64_t)v : v) << sh > 32767) return 0;
        wt[t] = (int32_t)((uint32_t)v << sh);
    }
    if ((babs << sh) > INT32_MAX) return 0;
    rnd = ((int64_t)1 << (e.right - 1)) + (int64_t)p->out.zp * ((int64_t)1 << e.right);
    if (rnd > (1 << 29) || rnd < -(1 << 29)) return 0;
    bf = (uint32_t)(b - (int64_t)p->in_zp * sum); /* mod 2^32; the true value fits */
    k->b = (int32_t)(bf << sh);
    k->p01 = half2(wt[0], wt[1]), k->p34 = half2(wt[3], wt[4]), k->p67 = half2(wt[6], wt[7]);
    k->w25 = half2(wt[2], wt[5]), k->w8 = half2(wt[8], 0);
    k->mult = e.mult, k->rnd = (int32_t)rnd, k->right = e.right;
    k->lo = p->out.lo, k->hi = p->out.hi;
    return 1;
}

/* Two adjacent plane values as one word (an unaligned load). */
#define W2(r) dory_load4((const int8_t *)(const void *)(r))

/* One channel: rows of ow outputs, stride s; full: the clamp is the int8
 * range (SSAT). */
DORY_INLINE void dwd_channel(const int16_t *pv, int pw, const dwd_ch_t *k, int oh, int ow, int ys,
                             uint8_t *y, const int s, const int full)
{
    uint32_t p01 = k->p01, p34 = k->p34, p67 = k->p67, w25 = k->w25, w8 = k->w8;
    int32_t b = k->b, m = k->mult, rnd = k->rnd, lo = k->lo, hi = k->hi;
    int r = k->right, oy;
    for (oy = 0; oy < oh; oy++) {
        const int16_t *r0 = pv + (long)oy * s * pw, *r1 = r0 + pw, *r2 = r1 + pw;
        uint8_t *yo = y + (long)oy * ow * ys, *yend = yo + (long)ow * ys;
        for (; yo != yend; yo += ys, r0 += s, r1 += s, r2 += s) {
            int32_t a = dory_smlad(W2(r0), p01, b), h, v;
            a = dory_smlad(W2(r1), p34, a);
            a = dory_smlad(W2(r2), p67, a);
            a = dory_smlabb((uint32_t)r0[2], w25, a);
            a = dory_smlabt((uint32_t)r1[2], w25, a);
            a = dory_smlabb((uint32_t)r2[2], w8, a);
            h = dory_smmulr(a, m);
            v = (h + rnd + (h >> 31)) >> r;
            *yo = (uint8_t)(full ? dory_sat_s8(v) : dory_clip(v, lo, hi));
        }
    }
}

#define DWD_VARIANT(NAME, S, FULL)                                                                 \
    static DORY_HOT DORY_NOINLINE void NAME(const int16_t *pv, int pw, const dwd_ch_t *k, int oh,  \
                                            int ow, int ys, uint8_t *y)                            \
    {                                                                                              \
        dwd_channel(pv, pw, k, oh, ow, ys, y, S, FULL);                                            \
    }
DWD_VARIANT(dwd_s1, 1, 0)
DWD_VARIANT(dwd_s2, 2, 0)
DWD_VARIANT(dwd_s1_full, 1, 1)
DWD_VARIANT(dwd_s2_full, 2, 1)

/* The plane's padding ring set to zx (the interior is rewritten per channel). */
static void dwd_pad(const dory__plane_t *pl, const dory_dims_t *in, int16_t zx)
{
    int iy, ix;
    for (iy = 0; iy < pl->ph; iy++) {
        int16_t *row = pl->v + (long)iy * pl->pw;
        int inner = iy >= pl->pt && iy < pl->pt + in->h;
        for (ix = 0; ix < pl->pw; ix++)
            if (!inner || ix < pl->pl || ix >= pl->pl + in->w) row[ix] = zx;
    }
}

/* Channel c of x, raw (sign- or zero-extended), into the plane's interior,
 * four values per step. */
static DORY_HOT void dwd_fill(const dory__plane_t *pl, const dory_dims_t *in, dory_type_t t,
                              const uint8_t *x, int c)
{
    int cs = dory__cstride(in), iy, ix, w4 = in->w & ~3;
    for (iy = 0; iy < in->h; iy++) {
        const uint8_t *s = x + (long)iy * in->w * cs + c;
        int16_t *d = pl->v + (long)(iy + pl->pt) * pl->pw + pl->pl;
        if (t == DORY_I8) {
            const int8_t *q = (const int8_t *)s;
            for (ix = 0; ix < w4; ix += 4, q += 4 * cs) {
                uint32_t v0 = half2(q[0], q[cs]), v1 = half2(q[2 * cs], q[3 * cs]);
                memcpy(d + ix, &v0, 4);
                memcpy(d + ix + 2, &v1, 4);
            }
            for (; ix < in->w; ix++, q += cs) d[ix] = *q;
        } else {
            for (ix = 0; ix < in->w; ix++, s += cs) d[ix] = *s;
        }
    }
}

static int dwd_applies(const dory_conv_params_t *p, const dory_dims_t *in, const dory_dims_t *out)
{
    return p->kh == 3 && p->kw == 3 && p->dil_h == 1 && p->dil_w == 1 &&
           p->stride_h == p->stride_w && (p->stride_h == 1 || p->stride_h == 2) &&
           (p->out.type == DORY_U8 || p->out.type == DORY_I8) && p->acc_mode == DORY_ACC_STORE &&
           p->out.rq.scheme == DORY_RQ_FIXED && in->c == out->c;
}

int dory_dwconv3x3_dsp_s8(const dory_ctx_t *ctx, const dory_conv_params_t *p, const dory_dims_t *in,
                          const void *x, const int8_t *w, const int32_t *bias,
                          const dory_dims_t *out, void *y)
{
    dory__plane_t pl;
    dwd_ch_t k;
    int c0, c1, c, st, ys = dory__cstride(out);
    if (!dwd_applies(p, in, out)) return dory_dwconv3x3_s8(ctx, p, in, x, w, bias, out, y);
    st = dory__plane_init(ctx, p, in, &pl);
    if (st) return st;
    dwd_pad(&pl, in, (int16_t)p->in_zp);
    dory__split(out->c, ctx, &c0, &c1);
    for (c = c0; c < c1; c++) {
        uint8_t *yc = (uint8_t *)y + c;
        int full = p->out.lo == -128 && p->out.hi == 127;
        if (!dwd_setup(p, w + (long)c * 9, bias, c, &k)) /* rewrites every channel */
            return dory_dwconv3x3_s8(ctx, p, in, x, w, bias, out, y);
        dwd_fill(&pl, in, p->in_type, (const uint8_t *)x, c);
        if (p->stride_h == 1)
            (full ? dwd_s1_full : dwd_s1)(pl.v, pl.pw, &k, out->h, out->w, ys, yc);
        else
            (full ? dwd_s2_full : dwd_s2)(pl.v, pl.pw, &k, out->h, out->w, ys, yc);
    }
    return DORY_OK;
}
