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

/* K as the Xpulp path of 4-pixel blocks runs it: a first layer's K <=
 * STAGE_TAPS not a multiple of 4 rounded up to 4 (taps K.. zero in col, zero
 * weights in a padded copy of the weights in the scratch), so that the fused
 * core (whole 4-tap words) takes it; else K. The scratch reserves the copy
 * on every target (the planner sizes it with this function). */
static int32_t conv_kpad(const dory_conv_params_t *p, const dory_dims_t *in)
{
    int32_t k = conv_k(p, in);
    return k % 4 && k <= STAGE_TAPS ? (k + 3) & ~3 : k;
}

int32_t dory_conv2d_hwc_s8_scratch_bytes(const dory_conv_params_t *p, const dory_dims_t *in,
                                         const dory_dims_t *out)
{
    int32_t k = conv_k(p, in), kp = conv_kpad(p, in);
    if (p->im2col_pixels == 1) return 4 * out->c + ((k + 3) & ~3);
    return DORY__MM_SCRATCH(out->c) + DORY__MM_NP * kp + (kp != k ? out->c * kp : 0);
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
/* The Xpulp core's layout for any channel count (no weight zero point), K
 * padded to kp (conv_kpad, a multiple of 4): tap t of pixel q at byte
 * 16*(t/4) + 4q + t%4 (word 4*(t/4) + q), taps K..kp-1 zero. */

/* Weights of cout channels, rows of k bytes, into dst (4-byte aligned) as
 * rows of kp = k rounded up to 4, the taps k..kp-1 zero. */
static const int8_t *pad_weights(const int8_t *w, int cout, int k, int kp, uint8_t *dst)
{
    uint32_t *d = (uint32_t *)(void *)dst;
    int c, i, k4 = k >> 2;
    for (c = 0; c < cout; c++, w += k, d += kp >> 2) {
        uint32_t t = 0;
        for (i = 0; i < k4; i++) d[i] = dory__ldw_any(w + 4 * i);
        for (i = 0; i < (k & 3); i++) t |= (uint32_t)(uint8_t)w[4 * k4 + i] << 8 * i;
        if (k & 3) d[k4] = t;
    }
    return (const int8_t *)dst;
}

/* Pixel q whose window is inside the tile, dense: kh kernel rows rowstep
 * bytes apart from src, each rowlen >= 4 contiguous taps. Each word is one
 * unaligned load, merged with a load from the next row where it spans two
 * rows; loads stay inside the window's rows (a row's word may run into the
 * bytes after it, never past the last row); the k % 4 last taps one by one
 * into the padded word (zero above them). Values XOR fm. */
static DORY_HOT void put_window(uint8_t *col, int q, const uint8_t *src, long rowstep, int rowlen,
                                int k, uint32_t fm)
{
    static const uint32_t lo_mask[4] = {0, 0xffu, 0xffffu, 0xffffffu};
    uint32_t *d = (uint32_t *)(void *)col + q, t = 0;
    const uint8_t *row = src;
    int off = 0, i, k4 = k >> 2;
    for (i = 0; i < k4; i++, d += 4) {
        uint32_t v = dory__ldw_any(row + off);
        off += 4;
        if (off >= rowlen) {      /* the word ends at or past the row's end */
            int e = off - rowlen; /* its bytes from the next row */
            row += rowstep, off = e;
            if (e) {
                uint32_t m = lo_mask[4 - e];
                v = (v & m) | (dory__ldw_any(row + e - 4) & ~m);
            }
        }
        *d = v ^ fm;
    }
    for (i = 0; i < (k & 3); i++) t |= (uint32_t)(uint8_t)(row[off + i] ^ fm) << 8 * i;
    if (k & 3) *d = t;
}

/* Any pixel (padding, dilation, channel strides): its K taps contiguous in
 * stage, as read (padded taps = the zero point XOR the flip, which
 * put_window applies). One input channel (first layers) tap by tap. */
static DORY_NOINLINE void stage_pixel(const dory_conv_params_t *p, const dory_dims_t *in,
                                      const uint8_t *x, int oy, int ox, uint8_t *stage)
{
    int pt = (p->border & DORY_BORDER_TOP) ? p->pad_top : 0;
    int pl = (p->border & DORY_BORDER_LEFT) ? p->pad_left : 0;
    int kh = p->kh, kw = p->kw, dh = p->dil_h, dw = p->dil_w, h = in->h, w = in->w;
    int iy = oy * p->stride_h - pt, ix0 = ox * p->stride_w - pl;
    int cin = in->c, cs = dory__cstride(in), dy, dx, i;
    uint8_t zf = (uint8_t)(dory__zx_u(p) ^ dory__flip(p->in_type));
    for (dy = 0; dy < kh; dy++, iy += dh) {
        const uint8_t *row = iy >= 0 && iy < h ? x + (long)iy * w * cs : 0;
        int ix = ix0;
        if (cin == 1) {
            for (dx = 0; dx < kw; dx++, ix += dw)
                *stage++ = row && ix >= 0 && ix < w ? row[ix * cs] : zf;
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
 * transpose): where the channels do not make whole-word kernel rows. k: the
 * taps, m->k = kp (m->w: weights of kp-byte rows). */
static void conv_xpulp_any(dory__mm_t *m, const dory_conv_params_t *p, const dory_dims_t *in,
                           const uint8_t *x, const dory_dims_t *out, uint8_t *y, long ys,
                           uint8_t *col, int k, int pix, int end)
{
    int pt = (p->border & DORY_BORDER_TOP) ? p->pad_top : 0;
    int pl = (p->border & DORY_BORDER_LEFT) ? p->pad_left : 0;
    int cin = in->c, rowlen = p->kw * cin, ky = (p->kh - 1) * p->dil_h, kp = m->k, q;
    int window = p->dil_w == 1 && dory__cstride(in) == cin && rowlen >= 4;
    long rowstep = (long)p->dil_h * in->w * cin;
    uint32_t fm = 0x01010101u * dory__flip(p->in_type);
    uint8_t *yp[DORY__MM_NP], stage[STAGE_TAPS];
    int32_t sx[DORY__MM_NP] = {0, 0, 0, 0};
    /* locals: the byte stores to col would make p, in, out (L2) reload */
    int sh = p->stride_h, sw = p->stride_w, kw = p->kw, ih = in->h, iw = in->w, ow = out->w;
    int oy = pix / ow, ox = pix % ow;
    m->blocked = 1;
    for (; pix < end; pix += DORY__MM_NP) {
        int np = end - pix < DORY__MM_NP ? end - pix : DORY__MM_NP;
        for (q = 0; q < DORY__MM_NP; q++) {
            int iy0 = oy * sh - pt, ix0 = ox * sw - pl;
            if (q >= np) { /* any bytes: zeros */
                dory__col_fill_blocked(col, q, 0, kp, 0);
                continue;
            }
            if (window && iy0 >= 0 && iy0 + ky < ih && ix0 >= 0 && ix0 + kw <= iw) {
                put_window(col, q, x + ((long)iy0 * iw + ix0) * cin, rowstep, rowlen, k, fm);
            } else { /* one row of K taps */
                stage_pixel(p, in, x, oy, ox, stage);
                put_window(col, q, stage, k, k, k, fm);
            }
            yp[q] = y + ((long)oy * ow + ox) * ys;
            if (++ox == ow) ox = 0, oy++;
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
        const int8_t *wk = kp == k ? w : pad_weights(w, out->c, k, kp, col + DORY__MM_NP * kp);
        dory__mm_init(&m, p, kp, out->c, wk, b, b + out->c);
        conv_xpulp_any(&m, p, in, (const uint8_t *)x, out, (uint8_t *)y, ys, col, k, pix, end);
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
