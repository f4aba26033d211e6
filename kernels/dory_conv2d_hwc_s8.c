/* dory_conv2d_hwc_s8.c: standard convolution (groups = 1) on an HWC tile:
 * any kernel size, stride and dilation, padding only on flagged borders.
 * im2col of 4 output pixels at a time, interleaved (unsigned bytes, padded
 * taps = input zero point), then the 4x4 register-blocked matrix core
 * (dory_mm_s8.c).
 * Work split: whole output rows or 4-pixel groups of the flattened output
 * (any row boundary), x blocks of 4 output channels
 * (dory_conv2d_hwc_s8_parts): every output is computed alone in exact
 * integers, so the bytes do not depend on it.
 * No allocation (scratch from the caller); nothing from src/.
 */
#include "dory_internal.h"

static int32_t conv_k(const dory_conv_params_t *p, const dory_dims_t *in)
{
    return (int32_t)p->kh * p->kw * in->c;
}

/* Taps of the pixels the Xpulp path stages (on the stack) before put_window:
 * the first layers' K = kh*kw*cin (25, 27, ...) up to this. */
enum { STAGE_TAPS = 32 };

/* Whether the Xpulp path of 4-pixel blocks runs a first layer (K <=
 * STAGE_TAPS) on a reordered copy of the weights: where its kernel rows of
 * kw*cin bytes are not whole words (the first-layer order below). The
 * scratch reserves the copy on every target (the planner sizes it with
 * dory_conv2d_hwc_s8_scratch_bytes). */
static int conv_reordered(const dory_conv_params_t *p, const dory_dims_t *in)
{
    return (p->kw * in->c) % 4 && conv_k(p, in) <= STAGE_TAPS;
}

/* K as that path runs it: K rounded up to 4 where reordered (the taps K..
 * zero in col and zero weights in the copy), so that the fused core (whole
 * 4-tap words) takes it; else K. */
static int32_t conv_kpad(const dory_conv_params_t *p, const dory_dims_t *in)
{
    int32_t k = conv_k(p, in);
    return conv_reordered(p, in) ? (k + 3) & ~3 : k;
}

int32_t dory_conv2d_hwc_s8_scratch_bytes(const dory_conv_params_t *p, const dory_dims_t *in,
                                         const dory_dims_t *out)
{
    int32_t k = conv_k(p, in), kp = conv_kpad(p, in);
    if (p->im2col_pixels == 1) return 4 * out->c + ((k + 3) & ~3);
    return DORY__MM_SCRATCH(out->c) + DORY__MM_NP * kp + (conv_reordered(p, in) ? out->c * kp : 0);
}

/* The K taps of output pixel (oy, ox), contiguous (one-pixel blocks):
 * unsigned bytes, padded taps = the zero point. */
static void im2col1(const dory_conv_params_t *p, const dory_dims_t *in, const uint8_t *x, int oy,
                    int ox, uint8_t *dst)
{
    int pt = (p->border & DORY_BORDER_TOP) ? p->pad_top : 0;
    int pl = (p->border & DORY_BORDER_LEFT) ? p->pad_left : 0;
    int cin = in->c, cs = dory__cstride(in), dy, dx, i;
    uint8_t f = dory__flip(p->in_type), zx = (uint8_t)dory__zx_u(p);
    for (dy = 0; dy < p->kh; dy++) {
        int iy = oy * p->stride_h - pt + dy * p->dil_h;
        for (dx = 0; dx < p->kw; dx++, dst += cin) {
            int ix = ox * p->stride_w - pl + dx * p->dil_w;
            const uint8_t *src;
            if (iy < 0 || iy >= in->h || ix < 0 || ix >= in->w) {
                memset(dst, zx, (size_t)cin);
                continue;
            }
            src = x + ((long)iy * in->w + ix) * cs;
            for (i = 0; i < cin; i++) dst[i] = (uint8_t)(src[i] ^ f);
        }
    }
}

/* One-pixel im2col blocks (im2col_pixels = 1): output pixels [pix, end). */
static void conv_pixel1(const dory__mm_t *m, const dory_conv_params_t *p, const dory_dims_t *in,
                        const uint8_t *x, const dory_dims_t *out, uint8_t *y, long ys, uint8_t *col,
                        int pix, int end)
{
    int i;
    for (; pix < end; pix++) {
        int oy = pix / out->w, ox = pix % out->w;
        int32_t sx = 0;
        im2col1(p, in, x, oy, ox, col);
        if (m->zw_nonzero)
            for (i = 0; i < m->k; i++) sx += col[i];
        dory__mm_pixel1(m, col, sx, y + (long)pix * ys);
    }
}

static void fill_col(uint8_t *dst, int n, uint8_t v)
{
    int i;
    for (i = 0; i < n; i++) dst[DORY__MM_NP * i] = v;
}

/* Writes the K = kh*kw*cin input taps of output pixel (oy, ox) to column q
 * of the interleaved buffer (dst = col + q); padded taps get the zero point. */
static void im2col(const dory_conv_params_t *p, const dory_dims_t *in, const uint8_t *x, int oy,
                   int ox, uint8_t *dst)
{
    int pt = (p->border & DORY_BORDER_TOP) ? p->pad_top : 0;
    int pl = (p->border & DORY_BORDER_LEFT) ? p->pad_left : 0;
    int cin = in->c, cs = dory__cstride(in), rowlen = p->kw * cin;
    uint8_t f = dory__flip(p->in_type), zx = (uint8_t)dory__zx_u(p);
    int ix0 = ox * p->stride_w - pl, ix1 = ix0 + (p->kw - 1) * p->dil_w;
    int dy, dx;
    for (dy = 0; dy < p->kh; dy++, dst += DORY__MM_NP * rowlen) {
        int iy = oy * p->stride_h - pt + dy * p->dil_h;
        const uint8_t *row = x + (long)iy * in->w * cs;
        if (iy < 0 || iy >= in->h) {
            fill_col(dst, rowlen, zx);
        } else if (p->dil_w == 1 && cs == cin && ix0 >= 0 && ix1 < in->w) {
            dory__col_copy(dst, row + (long)ix0 * cin, rowlen, f);
        } else {
            for (dx = 0; dx < p->kw; dx++) {
                int ix = ix0 + dx * p->dil_w;
                if (ix < 0 || ix >= in->w)
                    fill_col(dst + DORY__MM_NP * dx * cin, cin, zx);
                else
                    dory__col_copy(dst + DORY__MM_NP * dx * cin, row + (long)ix * cs, cin, f);
            }
        }
    }
}

#if DORY__MM_XPULP
/* im2col into the Xpulp core's blocked layout, column q (cin and the
 * channel stride multiples of 4, x 4-byte aligned). */
static void im2col_blocked(const dory_conv_params_t *p, const dory_dims_t *in, const uint8_t *x,
                           int oy, int ox, uint8_t *col, int q)
{
    int pt = (p->border & DORY_BORDER_TOP) ? p->pad_top : 0;
    int pl = (p->border & DORY_BORDER_LEFT) ? p->pad_left : 0;
    int cin = in->c, cs = dory__cstride(in), rowlen = p->kw * cin;
    uint8_t f = dory__flip(p->in_type), zx = (uint8_t)dory__zx_u(p);
    int ix0 = ox * p->stride_w - pl, dy, dx;
    for (dy = 0; dy < p->kh; dy++) {
        int iy = oy * p->stride_h - pt + dy * p->dil_h;
        const uint8_t *row = x + (long)iy * in->w * cs;
        if (iy < 0 || iy >= in->h) {
            dory__col_fill_blocked(col, q, dy * rowlen, rowlen, zx);
            continue;
        }
        for (dx = 0; dx < p->kw; dx++) {
            int ix = ix0 + dx * p->dil_w;
            if (ix < 0 || ix >= in->w)
                dory__col_fill_blocked(col, q, dy * rowlen + dx * cin, cin, zx);
            else
                dory__col_put_blocked(col, q, dy * rowlen + dx * cin, row + (long)ix * cs, cin, f);
        }
    }
}
#endif

#if DORY__MM_XPULP
/* The first-layer order of a window's K taps (the Xpulp core's blocked
 * layout for any channel count, no weight zero point): of its kh kernel rows
 * of rowlen = kw*cin bytes, the rw = rowlen / 4 whole words of each row, row
 * by row, then the r = rowlen % 4 last bytes of each row packed into words,
 * zero above the last tap: K' = conv_kpad taps, whole words read from the
 * rows as they are (no word spans two rows). The weights' copy is in the
 * same order.
 *
 * Writes the taps of the window at src (rows rowstep bytes apart) XOR fm
 * to d[0], d[step], d[2 * step], ...: step 4 for pixel q of a 4-pixel block
 * (d = word q of col), 1 for a channel's row of weights. */
DORY_INLINE void put_rows(uint32_t *d, int step, const uint8_t *src, long rowstep, int kh, int rw,
                          int r, uint32_t fm)
{
    const uint8_t *row = src;
    uint32_t t = 0;
    int dy, j, sh = 0;
    for (dy = 0; dy < kh; dy++, row += rowstep)
        for (j = 0; j < rw; j++, d += step) *d = dory__ldw_any(row + 4 * j) ^ fm;
    if (!r) return;
    for (dy = 0, row = src + 4 * rw; dy < kh; dy++, row += rowstep)
        for (j = 0; j < r; j++, sh += 8) {
            if (sh == 32) *d = t ^ fm, d += step, t = 0, sh = 0;
            t |= (uint32_t)row[j] << sh;
        }
    *d = (t ^ fm) & (0xffffffffu >> (32 - sh)); /* sh in 8..32 */
}

/* put_rows of 5 kernel rows of 5 bytes (5x5, one channel: the networks'
 * first layers), unrolled, every load before the first store. */
DORY_INLINE void put_rows5(uint32_t *d, int step, const uint8_t *s0, long rowstep, uint32_t fm)
{
    const uint8_t *s1 = s0 + rowstep, *s2 = s1 + rowstep, *s3 = s2 + rowstep, *s4 = s3 + rowstep;
    uint32_t w0 = dory__ldw_any(s0), w1 = dory__ldw_any(s1), w2 = dory__ldw_any(s2);
    uint32_t w3 = dory__ldw_any(s3), w4 = dory__ldw_any(s4);
    uint32_t t0 = s0[4], t1 = s1[4], t2 = s2[4], t3 = s3[4], t4 = s4[4];
    d[0] = w0 ^ fm, d[step] = w1 ^ fm, d[2 * step] = w2 ^ fm, d[3 * step] = w3 ^ fm;
    d[4 * step] = w4 ^ fm;
    d[5 * step] = (t0 | t1 << 8 | t2 << 16 | t3 << 24) ^ fm;
    d[6 * step] = (t4 ^ fm) & 0xffu;
}

/* Pixel q's window in col. */
static DORY_HOT void put_window(uint8_t *col, int q, const uint8_t *src, long rowstep, int kh,
                                int rowlen, uint32_t fm)
{
    uint32_t *d = (uint32_t *)(void *)col + q;
    if (kh == 5 && rowlen == 5)
        put_rows5(d, 4, src, rowstep, fm);
    else
        put_rows(d, 4, src, rowstep, kh, rowlen / 4, rowlen % 4, fm);
}

/* The weights of cout channels, rows of k = kh*rowlen bytes, into dst
 * (4-byte aligned) as rows of kp bytes in the first-layer order. */
static const int8_t *order_weights(const int8_t *w, int cout, int kh, int rowlen, int kp,
                                   uint8_t *dst)
{
    uint32_t *d = (uint32_t *)(void *)dst;
    const uint8_t *s = (const uint8_t *)w;
    int c, k = kh * rowlen;
    for (c = 0; c < cout; c++, s += k, d += kp >> 2)
        if (kh == 5 && rowlen == 5)
            put_rows5(d, 1, s, rowlen, 0);
        else
            put_rows(d, 1, s, rowlen, kh, rowlen / 4, rowlen % 4, 0);
    return (const int8_t *)dst;
}

/* Any pixel (padding, dilation, channel strides): its K taps contiguous in
 * stage, rows of kw*cin bytes, as read (padded taps = the zero point XOR the
 * flip, which put_window applies; stage word-aligned). One input channel
 * without dilation (first layers): stage filled with the zero point by
 * words, then the taps inside the tile. */
static DORY_NOINLINE void stage_pixel(const dory_conv_params_t *p, const dory_dims_t *in,
                                      const uint8_t *x, int oy, int ox, uint8_t *stage)
{
    int pt = (p->border & DORY_BORDER_TOP) ? p->pad_top : 0;
    int pl = (p->border & DORY_BORDER_LEFT) ? p->pad_left : 0;
    int kh = p->kh, kw = p->kw, dh = p->dil_h, dw = p->dil_w, h = in->h, w = in->w;
    int iy = oy * p->stride_h - pt, ix0 = ox * p->stride_w - pl;
    int cin = in->c, cs = dory__cstride(in), dy, dx, i;
    uint8_t zf = (uint8_t)(dory__zx_u(p) ^ dory__flip(p->in_type));
    if (cin == 1 && dw == 1 && cs == 1) { /* stage: all zf; the taps inside the tile */
        int d0 = ix0 < 0 ? -ix0 : 0, d1 = w - ix0 < kw ? w - ix0 : kw;
        for (i = 0; i < STAGE_TAPS / 4; i++) ((uint32_t *)(void *)stage)[i] = 0x01010101u * zf;
        for (dy = 0; dy < kh; dy++, iy += dh, stage += kw) {
            long r = (long)iy * w + ix0;
            if (iy >= 0 && iy < h)
                for (dx = d0; dx < d1; dx++) stage[dx] = x[r + dx];
        }
        return;
    }
    for (dy = 0; dy < kh; dy++, iy += dh) {
        const uint8_t *row = iy >= 0 && iy < h ? x + (long)iy * w * cs : 0;
        int ix = ix0;
        if (cin == 1) {
            for (dx = 0; dx < kw; dx++, ix += dw)
                *stage++ = row && (unsigned)ix < (unsigned)w ? row[ix * cs] : zf;
            continue;
        }
        for (dx = 0; dx < kw; dx++, ix += dw, stage += cin) {
            if (!row || ix < 0 || ix >= w)
                for (i = 0; i < cin; i++) stage[i] = zf;
            else
                for (i = 0; i < cin; i++) stage[i] = row[(long)ix * cs + i];
        }
    }
}

/* Output pixels [pix, end) in the Xpulp core's layout written directly (no
 * transpose), the taps in the first-layer order: where the channels do not
 * make whole-word kernel rows. m->k = kp (m->w: weights of kp-byte rows in
 * that order). */
static void conv_xpulp_any(dory__mm_t *m, const dory_conv_params_t *p, const dory_dims_t *in,
                           const uint8_t *x, const dory_dims_t *out, uint8_t *y, long ys,
                           uint8_t *col, int pix, int end)
{
    int pt = (p->border & DORY_BORDER_TOP) ? p->pad_top : 0;
    int pl = (p->border & DORY_BORDER_LEFT) ? p->pad_left : 0;
    int cin = in->c, rowlen = p->kw * cin, kh = p->kh, ky = (kh - 1) * p->dil_h, kp = m->k, q;
    int window = p->dil_w == 1 && dory__cstride(in) == cin;
    long rowstep = (long)p->dil_h * in->w * cin;
    uint32_t fm = 0x01010101u * dory__flip(p->in_type);
    uint32_t stage[STAGE_TAPS / 4]; /* word-aligned (stage_pixel fills it by words) */
    uint8_t *yp[DORY__MM_NP];
    int32_t sx[DORY__MM_NP] = {0, 0, 0, 0};
    /* locals: the byte stores to col would make p, in, out (L2) reload */
    int sh = p->stride_h, sw = p->stride_w, kw = p->kw, ih = in->h, iw = in->w, ow = out->w;
    int oy = pix / ow, ox = pix % ow;
    /* output columns [xlo, xhi) whose windows are inside the tile's columns;
     * rin: the row's windows inside its rows; off: pixel (oy, ox)'s window
     * in x, bytes (read only where inside) */
    int xlo = (pl + sw - 1) / sw, xhi = iw - kw + pl >= 0 ? (iw - kw + pl) / sw + 1 : 0;
    int rin = window && oy * sh - pt >= 0 && oy * sh - pt + ky < ih;
    long off = ((long)(oy * sh - pt) * iw + ox * sw - pl) * cin, xs = (long)sw * cin;
    uint8_t *yq = y + (long)pix * ys;
    m->blocked = 1;
    for (; pix < end; pix += DORY__MM_NP) {
        int np = end - pix < DORY__MM_NP ? end - pix : DORY__MM_NP;
        for (q = 0; q < DORY__MM_NP; q++) {
            if (q >= np) { /* any bytes: zeros */
                dory__col_fill_blocked(col, q, 0, kp, 0);
                continue;
            }
            if (rin && ox >= xlo && ox < xhi) {
                put_window(col, q, x + off, rowstep, kh, rowlen, fm);
            } else {
                stage_pixel(p, in, x, oy, ox, (uint8_t *)stage);
                put_window(col, q, (const uint8_t *)stage, rowlen, kh, rowlen, fm);
            }
            yp[q] = yq, yq += ys, off += xs;
            if (++ox == ow) {
                int iy0 = ++oy * sh - pt;
                ox = 0, rin = window && iy0 >= 0 && iy0 + ky < ih;
                off = ((long)iy0 * iw - pl) * cin;
            }
        }
        dory__mm_pixels(m, np, col, sx, yp);
    }
}
#endif

/* dst[4*i + q] = src_q[i] ^ f for q < 4, i < n, src_q = a + q * step: the
 * kernel row of 4 pixels of one output row in one pass. */
#define IM4_LOOP(OP)                                                                               \
    for (; i < n; i++, d += 4) {                                                                   \
        uint8_t t0 = a[i], t1 = b[i], t2 = c[i], t3 = e[i];                                        \
        d[0] = OP(t0), d[1] = OP(t1), d[2] = OP(t2), d[3] = OP(t3);                                \
    }
#define IM4_PLAIN(v) (v)
#define IM4_FLIP(v)  (uint8_t)((v) ^ 0x80)

static DORY_HOT void copy4(uint8_t *d, const uint8_t *a, long step, int n, uint8_t f)
{
    const uint8_t *b = a + step, *c = b + step, *e = c + step;
    int i = 0;
    if (f) {
        IM4_LOOP(IM4_FLIP)
    } else {
        IM4_LOOP(IM4_PLAIN)
    }
}

/* by_rows: this core's share is whole output rows, else 4-pixel groups of
 * the flattened output (one-pixel blocks: pixels). */
static int conv2d(const dory_ctx_t *ctx, const dory_conv_params_t *p, const dory_dims_t *in,
                  const void *x, const int8_t *w, const int32_t *bias, const dory_dims_t *out,
                  void *y, int by_rows)
{
    int32_t k = conv_k(p, in);
    int32_t *b = (int32_t *)ctx->buf;
    uint8_t *col;
    uint8_t *yp[DORY__MM_NP];
    int32_t sx[DORY__MM_NP] = {0, 0, 0, 0};
    dory__mm_t m;
    int r0, r1, pix, end, q, oy, ox, ys = dory__cstride(out), cin = in->c;
    int pt = (p->border & DORY_BORDER_TOP) ? p->pad_top : 0;
    int pl = (p->border & DORY_BORDER_LEFT) ? p->pad_left : 0;
    int ky = (p->kh - 1) * p->dil_h, rowlen = p->kw * cin;
    long rowstep = (long)p->dil_h * in->w * cin;
    int dense = p->dil_w == 1 && dory__cstride(in) == cin; /* a kernel row is contiguous */
    uint8_t f = dory__flip(p->in_type);
#if DORY__MM_XPULP
    int blocked_ok, zw;
#endif
    if (k <= 0 || k > 65535 || out->c <= 0 || p->stride_h < 1 || p->stride_w < 1 || p->dil_h < 1 ||
        p->dil_w < 1 || !dory__acc_ok(p->acc_mode, p->out.type) ||
        (p->im2col_pixels != 0 && p->im2col_pixels != 1 && p->im2col_pixels != DORY__MM_NP))
        return DORY_ERR_ARG;
    if (!b || ctx->size < dory_conv2d_hwc_s8_scratch_bytes(p, in, out)) return DORY_ERR_SCRATCH;
    /* (no division where avoidable: they cost on RI5CY) */
    q = by_rows ? out->w : p->im2col_pixels == 1 ? 1 : DORY__MM_NP; /* pixels per unit */
    end = out->h * out->w;
    dory__split(by_rows ? out->h : q == 1 ? end : (end + 3) >> 2, ctx, &r0, &r1);
    pix = r0 * q, end = r1 * q < end ? r1 * q : end;
    if (pix >= end) return DORY_OK;
    col = (uint8_t *)b + DORY__MM_SCRATCH(out->c);
    if (p->acc_mode == DORY_ACC_NEXT) bias = 0;
    ys *= dory__store_esize(dory__store_kind(p->acc_mode, p->out.type)); /* bytes */
    dory__bias_eff(out->c, k, w, bias, dory__zx_u(p), p->w_zp, p->w_zp_per_channel, b);
    if (p->im2col_pixels == 1) {
        dory__mm_init(&m, p, k, out->c, w, b, NULL);
        conv_pixel1(&m, p, in, (const uint8_t *)x, out, (uint8_t *)y, ys, (uint8_t *)(b + out->c),
                    pix, end);
        return DORY_OK;
    }
#if DORY__MM_XPULP
    zw = !dory__wzp_all_zero(p->w_zp, p->w_zp_per_channel, out->c);
    blocked_ok = !zw && cin % 4 == 0 && ((uintptr_t)x | (uintptr_t)dory__cstride(in)) % 4 == 0;
    if (!zw && !blocked_ok && k <= STAGE_TAPS) {
        int32_t kp = conv_kpad(p, in);
        const int8_t *wk = conv_reordered(p, in)
                               ? order_weights(w, out->c, p->kh, rowlen, kp, col + DORY__MM_NP * kp)
                               : w;
        dory__mm_init(&m, p, kp, out->c, wk, b, b + out->c);
        conv_xpulp_any(&m, p, in, (const uint8_t *)x, out, (uint8_t *)y, ys, col, pix, end);
        return DORY_OK;
    }
#endif
    dory__mm_init(&m, p, k, out->c, w, b, b + out->c);
    oy = by_rows ? r0 : pix / out->w, ox = by_rows ? 0 : pix % out->w;
    for (; pix < end; pix += DORY__MM_NP) {
        int np = end - pix < DORY__MM_NP ? end - pix : DORY__MM_NP;
        int iy0 = oy * p->stride_h - pt, ix0 = ox * p->stride_w - pl;
        if (np == 4 && dense && ox + 3 < out->w && iy0 >= 0 && iy0 + ky < in->h && ix0 >= 0 &&
            ix0 + 3 * p->stride_w + p->kw <= in->w) {
            /* 4 pixels of one row, windows inside the tile: one pass per kernel row */
            const uint8_t *src = (const uint8_t *)x + ((long)iy0 * in->w + ix0) * cin;
            uint8_t *dst = col;
            int dy;
#if DORY__MM_XPULP
            m.blocked =
                !m.zw_nonzero && rowlen % 4 == 0 &&
                ((uintptr_t)src | (uintptr_t)rowstep | (uintptr_t)(p->stride_w * cin)) % 4 == 0;
            if (m.blocked)
                for (dy = 0; dy < p->kh; dy++, src += rowstep)
                    for (q = 0; q < 4; q++)
                        dory__col_put_blocked(col, q, dy * rowlen,
                                              src + (long)q * p->stride_w * cin, rowlen, f);
            else
#endif
                for (dy = 0; dy < p->kh; dy++, src += rowstep, dst += 4 * rowlen)
                    copy4(dst, src, (long)p->stride_w * cin, rowlen, f);
            for (q = 0; q < 4; q++) yp[q] = (uint8_t *)y + ((long)oy * out->w + ox + q) * ys;
            ox += 4;
            if (ox == out->w) ox = 0, oy++;
            if (m.zw_nonzero) dory__col_sums(col, k, sx);
            dory__mm_pixels(&m, 4, col, sx, yp);
            m.blocked = 0;
            continue;
        }
#if DORY__MM_XPULP
        m.blocked = blocked_ok;
        if (blocked_ok) {
            for (q = 0; q < DORY__MM_NP; q++) {
                if (q >= np) {
                    dory__col_fill_blocked(col, q, 0, k, 0);
                    continue;
                }
                im2col_blocked(p, in, (const uint8_t *)x, oy, ox, col, q);
                yp[q] = (uint8_t *)y + ((long)oy * out->w + ox) * ys;
                if (++ox == out->w) ox = 0, oy++;
            }
            dory__mm_pixels(&m, np, col, sx, yp);
            continue;
        }
#endif
        for (q = 0; q < DORY__MM_NP; q++) {
            iy0 = oy * p->stride_h - pt, ix0 = ox * p->stride_w - pl;
            if (q >= np) {
                fill_col(col + q, k, 0);
                continue;
            }
            if (dense && iy0 >= 0 && iy0 + ky < in->h && ix0 >= 0 && ix0 + p->kw <= in->w) {
                const uint8_t *src = (const uint8_t *)x + ((long)iy0 * in->w + ix0) * cin;
                uint8_t *dst = col + q;
                int dy;
                for (dy = 0; dy < p->kh; dy++, src += rowstep, dst += DORY__MM_NP * rowlen)
                    dory__col_copy(dst, src, rowlen, f);
            } else {
                im2col(p, in, (const uint8_t *)x, oy, ox, col + q);
            }
            yp[q] = (uint8_t *)y + ((long)oy * out->w + ox) * ys;
            if (++ox == out->w) ox = 0, oy++;
        }
        if (m.zw_nonzero) dory__col_sums(col, k, sx);
        dory__mm_pixels(&m, np, col, sx, yp);
    }
    return DORY_OK;
}

/* ceil(a / 2^k), or ceil(a / d) where d is not a power of 2 (k < 0). */
static long ceil_shr(long a, long d, int k) { return k >= 0 ? (a + d - 1) >> k : (a + d - 1) / d; }

int dory_conv2d_hwc_s8_parts(const dory_conv_params_t *p, const dory_dims_t *out, int cores,
                             int *pixel_parts, int *by_rows)
{
    int sh = p->im2col_pixels == 1 ? 0 : 2, best = 1, rows = 1, c, lc, lg = 0;
    long h = out->h, w = out->w, g = (h * w + (1 << sh) - 1) >> sh, nb = (out->c + 3) >> 2;
    long bw = -1, pp;
    if (cores < 1) cores = 1;
    while (lg < 30 && (1 << lg) < cores) lg++;
    if (1 << lg != cores) lg = -1; /* the divisions only off powers of 2 (they cost on RI5CY) */
    /* channel parts c, powers of 2: c >= 2 costs at least (g / cores)(2 nb +
     * 3c), c = 1 at most (g / cores + 1)(2 nb + 3); none beats it from
     * 3 (c - 1) g >= cores (2 nb + 3) on (large tiles: one iteration) */
    for (c = 1, lc = 0; c <= cores && c <= nb && 3 * (c - 1) * g < cores * (2 * nb + 3);
         c *= 2, lc++) {
        long gr, gf, wk;
        int k = lg < 0 ? -1 : lg - lc;
        pp = cores >> lc;
        gr = (ceil_shr(h, pp, k) * w + (1 << sh) - 1) >> sh; /* whole rows */
        gf = ceil_shr(g, pp, k);                             /* groups */
        wk = (gr <= gf ? gr : gf) * (2 * ((nb + c - 1) >> lc) + 3);
        if (bw < 0 || wk < bw) bw = wk, best = c, rows = gr <= gf;
    }
    *pixel_parts = cores / best;
    *by_rows = rows;
    return best;
}

/* Per-channel constants of a run of channels from c0 on: pointer + c0 where
 * the array has one entry per channel. */
#define CH_FROM(ptr, per, c0) ((ptr) && (per) ? (ptr) + (c0) : (ptr))

/* This core's channel part (dory_conv2d_hwc_s8_parts) as a convolution of
 * those channels on its pixel part, on this core's copies of p, in, out (the
 * loops read them per pixel). An idle core validates the whole call. */
int dory_conv2d_hwc_s8(const dory_ctx_t *ctx, const dory_conv_params_t *p, const dory_dims_t *in,
                       const void *x, const int8_t *w, const int32_t *bias, const dory_dims_t *out,
                       void *y)
{
    dory_conv_params_t pc = *p;
    dory_dims_t ic = *in, oc = *out;
    dory_ctx_t cc = *ctx;
    dory_requant_t *rq = &pc.out.rq;
    int pp, rows, cp = dory_conv2d_hwc_s8_parts(&pc, &oc, ctx->num_cores, &pp, &rows);
    int per, c0, n, pc1;
    /* one call of conv2d below (inlined: its loops read the copies) */
    if (cp > 1 && (!ctx->buf || ctx->size < dory_conv2d_hwc_s8_scratch_bytes(p, in, out)))
        return DORY_ERR_SCRATCH;
    if (cp > 1) {
        per = ((oc.c + 3) / 4 + cp - 1) / cp * 4, c0 = ctx->core_id / pp * per;
        n = oc.c - c0 < per ? oc.c - c0 : per;
        cc.num_cores = pp, cc.core_id = ctx->core_id % pp;
        if (n <= 0) { /* no channels: no pixels either (the whole call validated) */
            cc.core_id = pp;
        } else {
            pc1 = rq->per_channel;
            rq->k32 = CH_FROM(rq->k32, pc1, c0), rq->l32 = CH_FROM(rq->l32, pc1, c0);
            rq->k64 = CH_FROM(rq->k64, pc1, c0), rq->l64 = CH_FROM(rq->l64, pc1, c0);
            rq->mult = CH_FROM(rq->mult, pc1, c0), rq->shift = CH_FROM(rq->shift, pc1, c0);
            rq->scale = CH_FROM(rq->scale, pc1, c0);
            pc.w_zp = CH_FROM(pc.w_zp, pc.w_zp_per_channel, c0);
            oc.c = n, oc.c_stride = dory__cstride(out);
            w += (long)c0 * conv_k(p, in), bias = bias ? bias + c0 : bias;
            y = (uint8_t *)y +
                (long)c0 * dory__store_esize(dory__store_kind(p->acc_mode, p->out.type));
        }
    }
    return conv2d(&cc, &pc, &ic, x, w, bias, &oc, y, rows);
}
