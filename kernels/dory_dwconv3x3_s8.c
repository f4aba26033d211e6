/* dory_dwconv3x3_s8.c: depthwise 3x3 fast path (dilation 1, stride 1 or 2),
 * channel-major. With a SHIFT32 requant: 4 channels at a time are copied
 * into 4 padded byte planes (one strided pass over the input, padding =
 * zero point), then each channel is convolved with its requant multiplier
 * folded into the weights (w' = k*(w - zw), b' = k*bias + l - zx*sum w', all
 * mod 2^32: the true value fits int32, so the wrapped sums are exact), two
 * output pixels per step sharing their overlapping taps; the epilogue is a
 * shift and one unsigned range compare. Other schemes use the int16 plane of
 * dory_dwconv_s8.c with the same 2-pixel loop.
 * Work split: channels. No allocation; nothing from src/.
 */
#include "dory_internal.h"

#define DW_TAPS(r, o)                                                                              \
    (w0 * r##0 [o] + w1 * r##0 [o + 1] + w2 * r##0 [o + 2] + w3 * r##1 [o] + w4 * r##1 [o + 1] +   \
     w5 * r##1 [o + 2] + w6 * r##2 [o] + w7 * r##2 [o + 1] + w8 * r##2 [o + 2])

/* ---- Other requant schemes: int16 plane of dory_dwconv_s8.c ------------- */

#if defined(__ARM_FEATURE_DSP) && !defined(DORY_NO_DSP)
/* With the DSP extension: the first two taps of each kernel row as one
 * SMLAD on a word of the plane (two adjacent int16, an unaligned LDR) with
 * the row's weight pair, the third as a multiply-accumulate: 12 instead of
 * 18 instructions per output, and 6 weight registers instead of 9. The same
 * integers as DW_TAPS. */
#define DW_W2(r, o) dory_load4((const int8_t *)(const void *)(r + (o)))
#define DW_TAPS_P(r, o)                                                                            \
    dory_smlad(DW_W2(r##0, o), p01,                                                                \
               dory_smlad(DW_W2(r##1, o), p34,                                                     \
                          dory_smlad(DW_W2(r##2, o), p67,                                          \
                                     w2 *r##0 [o + 2] + w5 * r##1 [o + 2] + w8 * r##2 [o + 2])))
#define DW_PAIRS()                                                                                 \
    uint32_t p01 = ((uint32_t)w0 & 0xffffu) | (uint32_t)w1 << 16;                                  \
    uint32_t p34 = ((uint32_t)w3 & 0xffffu) | (uint32_t)w4 << 16;                                  \
    uint32_t p67 = ((uint32_t)w6 & 0xffffu) | (uint32_t)w7 << 16
#else
#define DW_TAPS_P(r, o) DW_TAPS(r, o)
#define DW_PAIRS()      (void)0
#endif

/* The epilogue of channel c: FIXED through its constants in fx (the TFLite
 * quantization), any other scheme through dory__epi(). */
#define DW_EPI(a) (uint8_t)(usefx ? dory__fx_apply(fx, (a)) : dory__epi(&p->out, c, (a)))

/* One channel; s (1 or 2) and usefx are constants after inlining; fx: the
 * channel's FIXED constants when usefx. */
DORY_INLINE void dw3x3_channel(const dory__plane_t *pl, const dory_conv_params_t *p,
                               const int8_t *wc, int32_t b, int32_t zw, int c,
                               const dory_dims_t *out, uint8_t *y, const int s, const int usefx,
                               const dory__fx_t *fx)
{
    int32_t w0 = wc[0] - zw, w1 = wc[1] - zw, w2 = wc[2] - zw, w3 = wc[3] - zw;
    int32_t w4 = wc[4] - zw, w5 = wc[5] - zw, w6 = wc[6] - zw, w7 = wc[7] - zw;
    int32_t w8 = wc[8] - zw;
    int ys = dory__cstride(out), oy, ox;
    DW_PAIRS();
    for (oy = 0; oy < out->h; oy++) {
        const int16_t *r0 = pl->v + (long)oy * s * pl->pw, *r1 = r0 + pl->pw, *r2 = r1 + pl->pw;
        uint8_t *yo = y + (long)oy * out->w * ys + c;
        for (ox = 0; ox + 1 < out->w; ox += 2) {
            int32_t a = b + DW_TAPS_P(r, 0), a2 = b + DW_TAPS_P(r, s);
            r0 += 2 * s, r1 += 2 * s, r2 += 2 * s;
            yo[0] = DW_EPI(a);
            yo[ys] = DW_EPI(a2);
            yo += 2 * ys;
        }
        if (ox < out->w) yo[0] = DW_EPI(b + DW_TAPS_P(r, 0));
    }
}

/* The four specialisations, out of line: each keeps its loop's registers
 * (one function with every epilogue inlined spills them). */
#define DW_VARIANT(NAME, S, FX)                                                                    \
    static DORY_NOINLINE void NAME(const dory__plane_t *pl, const dory_conv_params_t *p,           \
                                   const int8_t *wc, int32_t b, int32_t zw, int c,                 \
                                   const dory_dims_t *out, uint8_t *y, const dory__fx_t *fx)       \
    {                                                                                              \
        dw3x3_channel(pl, p, wc, b, zw, c, out, y, S, FX, fx);                                     \
    }
DW_VARIANT(dw3x3_s1, 1, 0)
DW_VARIANT(dw3x3_s2, 2, 0)
DW_VARIANT(dw3x3_s1_fx, 1, 1)
DW_VARIANT(dw3x3_s2_fx, 2, 1)

/* ---- SHIFT32 fast path ---------------------------------------------------- */

/* A padded copy of 4 channels, interleaved as in HWC: buf[(row*pw + col)*4 + j].
 * Channel j's taps are then at constant offsets 0, 4, 8 from a row pointer. */
typedef struct {
    int ph, pw, pt, pl; /* padded geometry */
    uint8_t *buf;
} dw_quad_t;

static void dw_geom(const dory_conv_params_t *p, const dory_dims_t *in, dw_quad_t *g)
{
    g->pt = (p->border & DORY_BORDER_TOP) ? p->pad_top : 0;
    g->pl = (p->border & DORY_BORDER_LEFT) ? p->pad_left : 0;
    g->ph = in->h + g->pt + ((p->border & DORY_BORDER_BOTTOM) ? p->pad_bottom : 0);
    g->pw = in->w + g->pl + ((p->border & DORY_BORDER_RIGHT) ? p->pad_right : 0);
}

int32_t dory__dw3x3_fast_scratch(const dory_conv_params_t *p, const dory_dims_t *in)
{
    dw_quad_t g;
    dw_geom(p, in, &g);
    return (int32_t)(4L * g.ph * g.pw);
}

/* Copies channels c..c+nc-1 (nc <= 4) into the interior, flipping i8 to
 * unsigned: one 32-bit word per pixel when the input allows it. */
static DORY_HOT void dw_fill(const dw_quad_t *g, const dory_dims_t *in, const uint8_t *x, int c,
                             int nc, uint8_t f)
{
    int cs = dory__cstride(in), iy, ix, j;
    const uint8_t *src = x + c;
    uint32_t f4 = f * 0x01010101u;
    int words = nc == 4 && !(cs & 3) && !((uintptr_t)src & 3);
    for (iy = 0; iy < in->h; iy++) {
        const uint8_t *s = src + (long)iy * in->w * cs;
        uint8_t *d = g->buf + ((long)(iy + g->pt) * g->pw + g->pl) * 4;
        if (words) {
            const uint32_t *sw = (const uint32_t *)(const void *)s;
            uint32_t *dw = (uint32_t *)(void *)d, *dend = dw + (in->w & ~3);
            int step = cs >> 2;
            if (f4) {
                for (; dw != dend; sw += 4 * step, dw += 4) {
                    uint32_t a = sw[0], b = sw[step], e = sw[2 * step], h = sw[3 * step];
                    dw[0] = a ^ f4, dw[1] = b ^ f4, dw[2] = e ^ f4, dw[3] = h ^ f4;
                }
            } else {
                for (; dw != dend; sw += 4 * step, dw += 4) {
                    uint32_t a = sw[0], b = sw[step], e = sw[2 * step], h = sw[3 * step];
                    dw[0] = a, dw[1] = b, dw[2] = e, dw[3] = h;
                }
            }
            for (ix = in->w & ~3; ix < in->w; ix++, sw += step) *dw++ = sw[0] ^ f4;
        } else {
            for (ix = 0; ix < in->w; ix++, s += cs, d += 4)
                for (j = 0; j < nc; j++) d[j] = (uint8_t)(s[j] ^ f);
        }
    }
}

/* Writes the zero point into the padding ring (the interior is rewritten for
 * every group of 4 channels). */
static void dw_pad(const dw_quad_t *g, const dory_dims_t *in, uint8_t zx)
{
    long row = 4L * g->pw;
    int iy, pr = g->pw - g->pl - in->w;
    memset(g->buf, zx, (size_t)(row * g->pt));
    for (iy = g->pt; iy < g->pt + in->h; iy++) {
        memset(g->buf + iy * row, zx, (size_t)(4 * g->pl));
        memset(g->buf + iy * row + 4L * (g->pl + in->w), zx, (size_t)(4 * pr));
    }
    memset(g->buf + (g->pt + in->h) * row, zx, (size_t)(row * (g->ph - g->pt - in->h)));
}

#define DWF_TAPS(o)                                                                                \
    (w0 * r0[o] + w1 * r0[(o) + 4] + w2 * r0[(o) + 8] + w3 * r1[o] + w4 * r1[(o) + 4] +            \
     w5 * r1[(o) + 8] + w6 * r2[o] + w7 * r2[(o) + 4] + w8 * r2[(o) + 8])

#define DWF_OUT(acc, dst)                                                                          \
    do {                                                                                           \
        int32_t v_ = (int32_t)(acc) >> d;                                                          \
        uint32_t t_ = (uint32_t)v_ - (uint32_t)lo;                                                 \
        if (DORY_UNLIKELY(t_ > range)) t_ = v_ < lo ? 0u : range;                                  \
        dst = (uint8_t)(t_ + ylo);                                                                 \
    } while (0)

#define DWF_TAPS_R(q0, q1, q2, o)                                                                  \
    (w0 * q0[o] + w1 * q0[(o) + 4] + w2 * q0[(o) + 8] + w3 * q1[o] + w4 * q1[(o) + 4] +            \
     w5 * q1[(o) + 8] + w6 * q2[o] + w7 * q2[(o) + 4] + w8 * q2[(o) + 8])

#define DWF_SETUP()                                                                                \
    uint32_t w0 = wf[0], w1 = wf[1], w2 = wf[2], w3 = wf[3], w4 = wf[4];                           \
    uint32_t w5 = wf[5], w6 = wf[6], w7 = wf[7], w8 = wf[8];                                       \
    int32_t lo = e->lo;                                                                            \
    uint32_t range = (uint32_t)e->hi - (uint32_t)e->lo;                                            \
    uint32_t ylo = (uint32_t)e->lo + (uint32_t)e->zp;                                              \
    int ys = dory__cstride(out), ow = out->w;                                                      \
    long row = 4L * g->pw

/* Output rows [oy0, oy1) of one channel, two pixels per step along the row. */
static DORY_HOT void dw_rows(const dw_quad_t *g, int j, const uint32_t *wf, uint32_t bf,
                             const dory_dims_t *out, uint8_t *y, const dory__mm_t *e, int d,
                             const int s, int oy0, int oy1)
{
    DWF_SETUP();
    int oy;
    for (oy = oy0; oy < oy1; oy++) {
        const uint8_t *r0 = g->buf + j + (long)oy * s * row, *r1 = r0 + row, *r2 = r1 + row;
        const uint8_t *rend = r0 + 4L * s * (ow & ~1);
        uint8_t *yo = y + (long)oy * ow * ys;
        while (r0 != rend) {
            uint32_t a = bf + DWF_TAPS(0), a2 = bf + DWF_TAPS(4 * s);
            r0 += 8 * s, r1 += 8 * s, r2 += 8 * s;
            DWF_OUT(a, yo[0]);
            yo += ys;
            DWF_OUT(a2, yo[0]);
            yo += ys;
        }
        if (ow & 1) {
            uint32_t a = bf + DWF_TAPS(0);
            DWF_OUT(a, yo[0]);
        }
    }
}

/* Stride 1 on narrow tiles (ow < oh): down each output column, two pixels
 * per step, so that short rows cost no per-row overhead. */
static DORY_HOT void dw_s1_cols(const dw_quad_t *g, int j, const uint32_t *wf, uint32_t bf,
                                const dory_dims_t *out, uint8_t *y, const dory__mm_t *e, int d)
{
    DWF_SETUP();
    long ystep = (long)ow * ys, row2 = 2 * row;
    int ox, oh = out->h;
    for (ox = 0; ox < ow; ox++) {
        const uint8_t *r0 = g->buf + j + 4L * ox, *r1 = r0 + row, *r2 = r1 + row;
        const uint8_t *r3 = r2 + row, *rend = r0 + row2 * (oh >> 1);
        uint8_t *yo = y + (long)ox * ys;
        while (r0 != rend) {
            uint32_t a = bf + DWF_TAPS_R(r0, r1, r2, 0), a2 = bf + DWF_TAPS_R(r1, r2, r3, 0);
            r0 += row2, r1 += row2, r2 += row2, r3 += row2;
            DWF_OUT(a, yo[0]);
            yo += ystep;
            DWF_OUT(a2, yo[0]);
            yo += ystep;
        }
        if (oh & 1) {
            uint32_t a = bf + DWF_TAPS_R(r0, r1, r2, 0);
            DWF_OUT(a, yo[0]);
        }
    }
}

/* One channel (lane j of the quad buffer); wf: the 9 folded weights, bf:
 * folded bias. */
static void dw_channel_fast(const dw_quad_t *g, int j, const uint32_t *wf, uint32_t bf,
                            const dory_dims_t *out, uint8_t *y, const dory__mm_t *e, int d, int s)
{
    if (s == 1 && out->w < out->h)
        dw_s1_cols(g, j, wf, bf, out, y, e, d);
    else if (s == 1)
        dw_rows(g, j, wf, bf, out, y, e, d, 1, 0, out->h);
    else
        dw_rows(g, j, wf, bf, out, y, e, d, 2, 0, out->h);
}

/* Out of line: the kernel's frame stays small on the cluster's 1 kB stacks. */
static DORY_NOINLINE int dw3x3_fast(const dory_ctx_t *ctx, const dory_conv_params_t *p,
                                    const dory_dims_t *in, const void *x, const int8_t *w,
                                    const int32_t *bias, const dory_dims_t *out, void *y)
{
    dw_quad_t g;
    dory__mm_t e;
    const dory_requant_t *r = &p->out.rq;
    uint8_t f = dory__flip(p->in_type);
    int32_t zx = dory__zx_u(p);
    int c0, c1, c, j, t;
    dw_geom(p, in, &g);
    g.buf = (uint8_t *)ctx->buf;
    if (!g.buf || ctx->size < dory__dw3x3_fast_scratch(p, in)) return DORY_ERR_SCRATCH;
    dw_pad(&g, in, (uint8_t)zx);
    dory__mm_init(&e, p, 9, out->c, w, bias, NULL);
    dory__split(out->c, ctx, &c0, &c1);
    for (c = c0; c < c1; c += 4) {
        int nc = c1 - c < 4 ? c1 - c : 4;
        dw_fill(&g, in, (const uint8_t *)x, c, nc, f);
        for (j = 0; j < nc; j++) {
            int ch = c + j, i = r->per_channel ? ch : 0;
            uint32_t k = (uint32_t)r->k32[i], wf[9], sw = 0;
            uint32_t bf = k * (uint32_t)(bias ? bias[ch] : 0) + (uint32_t)(r->l32 ? r->l32[i] : 0);
            int32_t zw = dory__wzp(p->w_zp, p->w_zp_per_channel, ch);
            for (t = 0; t < 9; t++) {
                wf[t] = k * (uint32_t)(w[(long)ch * 9 + t] - zw);
                sw += wf[t];
            }
            bf -= (uint32_t)zx * sw;
            dw_channel_fast(&g, j, wf, bf, out, (uint8_t *)y + ch, &e, r->d, p->stride_h);
        }
    }
    return DORY_OK;
}

/* Other schemes: the int16 plane, channel by channel (out of line, as
 * dw3x3_fast). */
static DORY_NOINLINE int dw3x3_planes(const dory_ctx_t *ctx, const dory_conv_params_t *p,
                                      const dory_dims_t *in, const void *x, const int8_t *w,
                                      const int32_t *bias, const dory_dims_t *out, void *y)
{
    dory__plane_t pl;
    int c0, c1, c, st = dory__plane_init(ctx, p, in, &pl);
    if (st) return st;
    dory__split(out->c, ctx, &c0, &c1);
    for (c = c0; c < c1; c++) {
        const int8_t *wc = w + (long)c * 9;
        int32_t zw = dory__wzp(p->w_zp, p->w_zp_per_channel, c);
        int32_t b = bias ? bias[c] : 0;
        uint8_t *yb = (uint8_t *)y;
        dory__fx_t fx;
        const dory__fx_t *f = p->out.rq.scheme == DORY_RQ_FIXED ? &fx : 0;
        if (f) dory__fx_load(&p->out, c, &fx);
        dory__plane_fill(&pl, p, in, x, c);
        if (p->stride_h == 1)
            (f ? dw3x3_s1_fx : dw3x3_s1)(&pl, p, wc, b, zw, c, out, yb, f);
        else
            (f ? dw3x3_s2_fx : dw3x3_s2)(&pl, p, wc, b, zw, c, out, yb, f);
    }
    return DORY_OK;
}

int dory_dwconv3x3_s8(const dory_ctx_t *ctx, const dory_conv_params_t *p, const dory_dims_t *in,
                      const void *x, const int8_t *w, const int32_t *bias, const dory_dims_t *out,
                      void *y)
{
    if (p->kh != 3 || p->kw != 3 || p->dil_h != 1 || p->dil_w != 1 || p->stride_h != p->stride_w ||
        (p->stride_h != 1 && p->stride_h != 2) ||
        (p->out.type != DORY_U8 && p->out.type != DORY_I8) || p->acc_mode != DORY_ACC_STORE)
        return dory_dwconv_s8(ctx, p, in, x, w, bias, out, y); /* also int32 outputs */
    if (in->c != out->c) return DORY_ERR_ARG;
#if DORY__MM_XPULP
    if (!dory__dw3x3_xpulp(ctx, p, in, x, w, bias, out, y)) return DORY_OK;
#endif
    if (p->out.rq.scheme == DORY_RQ_SHIFT32) return dw3x3_fast(ctx, p, in, x, w, bias, out, y);
    return dw3x3_planes(ctx, p, in, x, w, bias, out, y);
}
