/* dory_dwconv3x3_xpulp_s8.c: the depthwise 3x3 kernel (stride 1 or 2,
 * dilation 1) on Xpulp (PULP v2: RI5CY, GAP8), behind DORY_K_DWCONV3X3's
 * contract (arguments, scratch bytes, weight layout, bytes of the output).
 *
 * Each core takes its channels (the split of the portable kernel) in groups
 * of up to 4 and copies each channel of a group into its own padded byte
 * plane in scratch (CHW: rows of pws = pw rounded up to 4 bytes, i8 flipped
 * to unsigned, padding = the unsigned zero point). One word load at a row's
 * tap then holds the 3 taps of a kernel row in lanes 0-2 and, at stride 1,
 * those of the next output pixel in lanes 1-3: with the kernel row's weights
 * as W = (w0, w1, w2, 0) and W << 8, two outputs take 3 word loads and 6
 * pv.sdotusp.b (u8 x i8). At stride 2 each output loads its own 3 words.
 * The zero point is in the effective bias (b - zx * sum w; the padding holds
 * zx, so it contributes nothing), as in the matrix core. Epilogues: SHIFT32
 * to 8 bits with the bias folded (k * acc + l = k * dot + (k * b + l), mod
 * 2^32, one p.mac) and the clamp as p.max / p.min; FIXED through the 32-bit
 * dory__fx_apply; every other scheme through dory__epi.
 *
 * Taken where every weight zero point is 0 (w - zw would not fit a lane);
 * otherwise dory_dwconv3x3_s8's portable paths run. Work split: channels,
 * so the bytes are the same for any core count. Compiled where
 * DORY__MM_XPULP (dory_internal.h); elsewhere this file is empty. No
 * allocation; nothing from src/.
 */
#include "dory_internal.h"

#if DORY__MM_XPULP

/* The padded input, planes of up to 4 channels. Along a line of a plane
 * the taps of one kernel row lie in consecutive bytes: a line is an input
 * row, or, on narrow tiles (tr: ow < oh, fewer and longer lines), an input
 * column, the plane stored transposed and the kernel with it. */
typedef struct {
    int pt, pl, ph, pw; /* padded geometry of the input */
    int tr;             /* lines are columns */
    int ls;             /* bytes per line (a multiple of 4) */
    long plane;         /* bytes per channel plane */
    uint8_t *buf;
} dw_geom_t;

/* The epilogue: SHIFT32 with the clamp as p.max / p.min and the zero point,
 * SHIFT32 to [0, 255] without a zero point (p.clipu), FIXED, any other. */
enum { DW_RQ_S32 = 0, DW_RQ_S32U = 1, DW_RQ_FX = 2, DW_RQ_ANY = 3 };

/* The output of one accumulator (dot: the raw sum of the 9 products). */
#define DW_OUT(dot)                                                                                  \
    (uint8_t)(                                                                                       \
        mode == DW_RQ_S32    ? dory_xp_min(dory_xp_max(dory_xp_mac(c0, k, (dot)) >> d, lo), hi) + zp \
        : mode == DW_RQ_S32U ? DORY_XP_CLIPU(dory_xp_mac(c0, k, (dot)) >> d, 9)                      \
        : mode == DW_RQ_FX   ? dory__fx_apply(fx, (int32_t)((uint32_t)(dot) + (uint32_t)b))          \
                             : dory__epi(&p->out, c, (int32_t)((uint32_t)(dot) + (uint32_t)b)))

/* M = lanes 2, 3 of a and 0, 1 of b: the taps 2 bytes on. */
#define DW_MID(a, b) dory_xp_shuffle2_b((a), (b), 0x05040302u)

/* One channel: plane pl, lane weights wl[3] (kernel row r along a line in
 * lanes 0-2), effective bias b; s and mode are constants after inlining.
 * Stride 1: 4 outputs per step from 2 aligned words per kernel row (a, and
 * b, which is the next step's a): a.W, a.(W << 8), M.W, M.(W << 8).
 * Stride 2: 2 outputs per step, a.W and M.W. A line's last step computes
 * all of its outputs and stores those that exist (it reads up to one word
 * past the line: the next line, or the scratch's slack). */
DORY_INLINE void dw_channel(const dw_geom_t *g, const uint8_t *pl, const uint32_t *wl, int32_t b,
                            const dory_conv_params_t *p, int c, const dory__fx_t *fx,
                            const dory__s32_t *e, const dory_dims_t *out, uint8_t *y, const int s,
                            const int mode)
{
    uint32_t w0 = wl[0], w1 = wl[1], w2 = wl[2], v0 = w0 << 8, v1 = w1 << 8, v2 = w2 << 8;
    int32_t k = e->k, c0 = (int32_t)((uint32_t)e->k * (uint32_t)b + (uint32_t)e->l);
    int32_t lo = e->lo, hi = e->hi, zp = e->zp;
    int d = e->d, ys = dory__cstride(out), nl = g->tr ? out->w : out->h;
    int n = g->tr ? out->h : out->w, step = s == 1 ? 4 : 2, l, i;
    long os = g->tr ? (long)out->w * ys : ys, ls = g->tr ? ys : (long)out->w * ys;
    for (l = 0; l < nl; l++) {
        const uint32_t *r0 = (const uint32_t *)(const void *)(pl + (long)l * s * g->ls);
        const uint32_t *r1 = r0 + g->ls / 4, *r2 = r1 + g->ls / 4;
        uint32_t a0 = *r0++, a1 = *r1++, a2 = *r2++;
        uint8_t *yo = y + l * ls;
        for (i = 0; i < n; i += step) {
            uint32_t b0 = *r0++, b1 = *r1++, b2 = *r2++;
            uint32_t m0 = DW_MID(a0, b0), m1 = DW_MID(a1, b1), m2 = DW_MID(a2, b2);
            int32_t t0 = 0, t2 = 0;
            t0 = dory_xp_sdotusp_b(t0, a0, w0);
            t2 = dory_xp_sdotusp_b(t2, m0, w0);
            t0 = dory_xp_sdotusp_b(t0, a1, w1);
            t2 = dory_xp_sdotusp_b(t2, m1, w1);
            t0 = dory_xp_sdotusp_b(t0, a2, w2);
            t2 = dory_xp_sdotusp_b(t2, m2, w2);
            if (s == 1) {
                int32_t t1 = 0, t3 = 0;
                t1 = dory_xp_sdotusp_b(t1, a0, v0);
                t3 = dory_xp_sdotusp_b(t3, m0, v0);
                t1 = dory_xp_sdotusp_b(t1, a1, v1);
                t3 = dory_xp_sdotusp_b(t3, m1, v1);
                t1 = dory_xp_sdotusp_b(t1, a2, v2);
                t3 = dory_xp_sdotusp_b(t3, m2, v2);
                if (DORY_UNLIKELY(n - i < 4)) {
                    yo[0] = DW_OUT(t0);
                    if (n - i > 1) yo[os] = DW_OUT(t1);
                    if (n - i > 2) yo[2 * os] = DW_OUT(t2);
                } else {
                    yo[0] = DW_OUT(t0);
                    yo[os] = DW_OUT(t1);
                    yo[2 * os] = DW_OUT(t2);
                    yo[3 * os] = DW_OUT(t3);
                }
                yo += 4 * os;
            } else {
                yo[0] = DW_OUT(t0);
                if (n - i > 1) yo[os] = DW_OUT(t2);
                yo += 2 * os;
            }
            a0 = b0, a1 = b1, a2 = b2;
        }
    }
}

/* The specialisations, out of line (each keeps its loop's registers). */
#define DW_VARIANT(NAME, S, MODE)                                                                  \
    static DORY_NOINLINE DORY_HOT void NAME(                                                       \
        const dw_geom_t *g, const uint8_t *pl, const uint32_t *wl, int32_t b,                      \
        const dory_conv_params_t *p, int c, const dory__fx_t *fx, const dory__s32_t *e,            \
        const dory_dims_t *out, uint8_t *y)                                                        \
    {                                                                                              \
        dw_channel(g, pl, wl, b, p, c, fx, e, out, y, S, MODE);                                    \
    }
DW_VARIANT(dwx_s1, 1, DW_RQ_S32)
DW_VARIANT(dwx_s2, 2, DW_RQ_S32)
DW_VARIANT(dwx_s1_u, 1, DW_RQ_S32U)
DW_VARIANT(dwx_s2_u, 2, DW_RQ_S32U)
DW_VARIANT(dwx_s1_fx, 1, DW_RQ_FX)
DW_VARIANT(dwx_s2_fx, 2, DW_RQ_FX)
DW_VARIANT(dwx_s1_any, 1, DW_RQ_ANY)
DW_VARIANT(dwx_s2_any, 2, DW_RQ_ANY)

typedef void (*dw_fn_t)(const dw_geom_t *, const uint8_t *, const uint32_t *, int32_t,
                        const dory_conv_params_t *, int, const dory__fx_t *, const dory__s32_t *,
                        const dory_dims_t *, uint8_t *);

/* Planes per group: up to 4 whose bytes, and a word of over-read slack,
 * fit the scratch. */
static int dw_setup(const dory_ctx_t *ctx, const dory_conv_params_t *p, const dory_dims_t *in,
                    const dory_dims_t *out, dw_geom_t *g)
{
    int n;
    g->pt = (p->border & DORY_BORDER_TOP) ? p->pad_top : 0;
    g->pl = (p->border & DORY_BORDER_LEFT) ? p->pad_left : 0;
    g->ph = in->h + g->pt + ((p->border & DORY_BORDER_BOTTOM) ? p->pad_bottom : 0);
    g->pw = in->w + g->pl + ((p->border & DORY_BORDER_RIGHT) ? p->pad_right : 0);
    g->tr = out->w < out->h;
    g->ls = ((g->tr ? g->ph : g->pw) + 3) & ~3;
    g->plane = (long)(g->tr ? g->pw : g->ph) * g->ls;
    g->buf = (uint8_t *)ctx->buf;
    if (!g->buf || ((uintptr_t)g->buf & 3)) return 0;
    n = (int)((ctx->size - 4) / g->plane);
    return n > 4 ? 4 : n;
}

/* Byte (iy, ix) of the padded input in a plane. */
DORY_INLINE long dw_at(const dw_geom_t *g, int iy, int ix)
{
    return g->tr ? (long)ix * g->ls + iy : (long)iy * g->ls + ix;
}

/* The padding of nplanes planes (the unsigned zero point): all of each
 * plane, whose interior dw_fill rewrites for every group of channels. */
static void dw_pad(const dw_geom_t *g, int nplanes, uint8_t zx)
{
    memset(g->buf, zx, (size_t)(nplanes * g->plane + 4));
}

/* Channels c..c+nc-1 of the HWC input into planes 0..nc-1 (XOR f): with 4
 * channels, one word load per pixel. */
static DORY_HOT void dw_fill(const dw_geom_t *g, const dory_dims_t *in, const uint8_t *x, int c,
                             int nc, uint8_t f)
{
    int cs = dory__cstride(in), iy, ix, j;
    long pls = g->plane, dstep = g->tr ? g->ls : 1;
    uint32_t f4 = 0x01010101u * f;
    for (iy = 0; iy < in->h; iy++) {
        const uint8_t *s = x + (long)iy * in->w * cs + c;
        uint8_t *d = g->buf + dw_at(g, iy + g->pt, g->pl);
        if (nc == 4) {
            for (ix = 0; ix < in->w; ix++, s += cs, d += dstep) {
                uint32_t v = dory__ldw_any(s) ^ f4;
                d[0] = (uint8_t)v, d[pls] = (uint8_t)(v >> 8);
                d[2 * pls] = (uint8_t)(v >> 16), d[3 * pls] = (uint8_t)(v >> 24);
            }
        } else {
            for (ix = 0; ix < in->w; ix++, s += cs, d += dstep)
                for (j = 0; j < nc; j++) d[j * pls] = s[j] ^ f;
        }
    }
}

int dory__dw3x3_xpulp(const dory_ctx_t *ctx, const dory_conv_params_t *p, const dory_dims_t *in,
                      const void *x, const int8_t *w, const int32_t *bias, const dory_dims_t *out,
                      void *y)
{
    static const dw_fn_t fns[4][2] = {
        {dwx_s1, dwx_s2}, {dwx_s1_u, dwx_s2_u}, {dwx_s1_fx, dwx_s2_fx}, {dwx_s1_any, dwx_s2_any}};
    dw_geom_t g;
    dory__s32_t e;
    int sch = p->out.rq.scheme, s = p->stride_h, c0, c1, c, j, r, np;
    int mode = sch == DORY_RQ_SHIFT32 ? DW_RQ_S32 : sch == DORY_RQ_FIXED ? DW_RQ_FX : DW_RQ_ANY;
    uint8_t f = dory__flip(p->in_type);
    int32_t zx = dory__zx_u(p);
    if (!dory__wzp_all_zero(p->w_zp, p->w_zp_per_channel, out->c)) return 1;
    np = dw_setup(ctx, p, in, out, &g);
    if (np < 1) return 1;
    memset(&e, 0, sizeof e);
    dory__split(out->c, ctx, &c0, &c1);
    if (c0 < c1) dw_pad(&g, np, (uint8_t)zx);
    for (c = c0; c < c1; c += np) {
        int nc = c1 - c < np ? c1 - c : np;
        dw_fill(&g, in, (const uint8_t *)x, c, nc, f);
        for (j = 0; j < nc; j++) {
            int ch = c + j, m = mode;
            const int8_t *wc = w + (long)ch * 9;
            uint32_t wl[3] = {0, 0, 0};
            int32_t sw = 0, b;
            dory__fx_t fx;
            for (r = 0; r < 9; r++) { /* tap r of kernel row r / 3 (or column, transposed) */
                int line = g.tr ? r % 3 : r / 3, lane = g.tr ? r / 3 : r % 3;
                wl[line] |= (uint32_t)(uint8_t)wc[r] << (8 * lane);
                sw += wc[r];
            }
            b = (int32_t)((uint32_t)(bias ? bias[ch] : 0) - (uint32_t)zx * (uint32_t)sw);
            if (m == DW_RQ_S32) {
                dory__s32_load(&p->out, ch, &e);
                if (e.lo == 0 && e.hi == 255 && e.zp == 0) m = DW_RQ_S32U;
            } else if (m == DW_RQ_FX) {
                dory__fx_load(&p->out, ch, &fx);
            }
            fns[m][s - 1](&g, g.buf + j * g.plane, wl, b, p, ch, &fx, &e, out, (uint8_t *)y + ch);
        }
    }
    return DORY_OK;
}

#endif
