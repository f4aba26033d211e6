/* dory_conv1x1_s8.c: pointwise convolution on an HWC tile, any stride, no
 * padding: 4 input pixels at a time are interleaved into scratch (one byte
 * copy per input value), then the 4x4 register-blocked matrix core
 * (dory_mm_s8.c).
 * Work split: groups of 4 output pixels, contiguous per core (any row
 * boundary: every pixel is computed alone, so the bytes do not depend on it).
 * No allocation (scratch from the caller); nothing from src/.
 */
#include "dory_internal.h"

int32_t dory_conv1x1_s8_scratch_bytes(const dory_conv_params_t *p, const dory_dims_t *in,
                                      const dory_dims_t *out)
{
    (void)p;
    return DORY__MM_SCRATCH(out->c) + DORY__MM_NP * in->c;
}

static int has_padding(const dory_conv_params_t *p)
{
    return ((p->border & DORY_BORDER_TOP) && p->pad_top) ||
           ((p->border & DORY_BORDER_LEFT) && p->pad_left) ||
           ((p->border & DORY_BORDER_BOTTOM) && p->pad_bottom) ||
           ((p->border & DORY_BORDER_RIGHT) && p->pad_right);
}

static int conv1x1(const dory_ctx_t *ctx, const dory_conv_params_t *p, const dory_dims_t *in,
                   const void *x, const int8_t *w, const int32_t *bias, const dory_dims_t *out,
                   void *y)
{
    int32_t *b = (int32_t *)ctx->buf;
    uint8_t *col;
    uint8_t f = dory__flip(p->in_type);
    uint8_t *yp[DORY__MM_NP];
    int32_t sx[DORY__MM_NP] = {0, 0, 0, 0};
    dory__mm_t m;
    int r0, r1, pix, end, q, oy, ox, ys = dory__cstride(out), cs = dory__cstride(in);
    if (p->kh != 1 || p->kw != 1 || has_padding(p) || in->c <= 0 || in->c > 65535 || out->c <= 0 ||
        p->stride_h < 1 || p->stride_w < 1 || !dory__acc_ok(p->acc_mode, p->out.type))
        return DORY_ERR_ARG;
    if (!b || ctx->size < dory_conv1x1_s8_scratch_bytes(p, in, out)) return DORY_ERR_SCRATCH;
    col = (uint8_t *)b + DORY__MM_SCRATCH(out->c);
    if (p->acc_mode == DORY_ACC_NEXT) bias = 0;
    ys *= dory__store_esize(dory__store_kind(p->acc_mode, p->out.type)); /* bytes */
    dory__bias_eff(out->c, in->c, w, bias, dory__zx_u(p), p->w_zp, p->w_zp_per_channel, b);
    dory__mm_init(&m, p, in->c, out->c, w, b, b + out->c);
    dory__split((out->h * out->w + DORY__MM_NP - 1) / DORY__MM_NP, ctx, &r0, &r1); /* groups */
    end = r1 * DORY__MM_NP < out->h * out->w ? r1 * DORY__MM_NP : out->h * out->w;
#if DORY__MM_XPULP /* every pixel's channels word-aligned: the Xpulp core's layout */
    m.blocked = !m.zw_nonzero && in->c % 4 == 0 && ((uintptr_t)x | (uintptr_t)cs) % 4 == 0;
#endif
    oy = r0 * DORY__MM_NP / out->w, ox = r0 * DORY__MM_NP % out->w;
    m.dup = 1;
    for (pix = r0 * DORY__MM_NP; pix < end; pix += DORY__MM_NP) {
        int np = end - pix < DORY__MM_NP ? end - pix : DORY__MM_NP;
        const uint8_t *src = (const uint8_t *)x;
        for (q = 0; q < DORY__MM_NP; q++) {
            if (q < np) { /* the unused columns repeat the last pixel (m.dup) */
                src = (const uint8_t *)x +
                      ((long)oy * p->stride_h * in->w + (long)ox * p->stride_w) * cs;
                yp[q] = (uint8_t *)y + ((long)oy * out->w + ox) * ys;
                if (++ox == out->w) ox = 0, oy++;
            } else {
                yp[q] = yp[np - 1];
            }
#if DORY__MM_XPULP
            if (m.blocked)
                dory__col_put_blocked(col, q, 0, src, in->c, f);
            else
#endif
                dory__col_copy(col + q, src, in->c, f);
        }
        if (m.zw_nonzero) dory__col_sums(col, in->c, sx);
        dory__mm_pixels(&m, np, col, sx, yp);
    }
    return DORY_OK;
}

/* The loops read the parameters and dims per pixel: from this core's copies. */
int dory_conv1x1_s8(const dory_ctx_t *ctx, const dory_conv_params_t *p, const dory_dims_t *in,
                    const void *x, const int8_t *w, const int32_t *bias, const dory_dims_t *out,
                    void *y)
{
    return dory__conv_on_copies(conv1x1, ctx, p, in, x, w, bias, out, y);
}
