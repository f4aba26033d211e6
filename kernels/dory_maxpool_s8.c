/* dory_maxpool_s8.c: max pooling on an HWC tile: max over the valid window
 * (padding never wins), then clamp(requant(max - zx) + zy, lo, hi).
 * Work split: channels (Xpulp, 4 channels or more: output pixels, each
 * core taking all channels 4 per word). No scratch; nothing from src/.
 */
#include "dory_internal.h"

/* The max of channel c over input rows [y0, y1) x columns [x0, x1). */
DORY_INLINE int32_t maxpool1(const dory_pool_params_t *p, const dory_dims_t *in, const void *x,
                             int c, int y0, int y1, int x0, int x1)
{
    int cs = dory__cstride(in), iy, ix;
    int32_t m = INT32_MIN;
    for (iy = y0; iy < y1; iy++)
        for (ix = x0; ix < x1; ix++) {
            int32_t v = dory__ld(p->in_type, x, ((long)iy * in->w + ix) * cs + c);
            m = v > m ? v : m;
        }
    return m == INT32_MIN ? p->in_zp : m; /* empty window: not in a valid geometry */
}

#if DORY__MM_XPULP
/* Xpulp: 4 channels of a pixel per word, the window's max lane-wise
 * (pv.maxu.b for u8, pv.max.b for i8), then each lane's epilogue; where the
 * epilogue is the identity (no requant, the input's zero point, a clamp
 * that covers the type) the word is stored as it is. Channels [c, c + 4)
 * of output pixel (oy, ox) over input rows [y0, y1) x columns [x0, x1). */
DORY_INLINE void maxpool4(const dory_pool_params_t *p, const dory_dims_t *in, const uint8_t *x,
                          int c, int y0, int y1, int x0, int x1, uint8_t *yo, int ident)
{
    int cs = dory__cstride(in), iy, ix, j;
    uint32_t m = dory__ldw_any(x + ((long)y0 * in->w + x0) * cs + c);
    for (iy = y0; iy < y1; iy++) {
        const uint8_t *q = x + ((long)iy * in->w + x0) * cs + c;
        for (ix = x0; ix < x1; ix++, q += cs)
            m = p->in_type == DORY_I8 ? dory_xp_max_b(m, dory__ldw_any(q))
                                      : dory_xp_maxu_b(m, dory__ldw_any(q));
    }
    if (ident) {
        dory__stw_any(yo, m);
        return;
    }
    for (j = 0; j < 4; j++) {
        int32_t v = p->in_type == DORY_I8 ? dory_xp_s8(m, j) : dory_xp_u8(m, j);
        dory__st(yo, j, dory__epi(&p->out, c + j, v - p->in_zp));
    }
}
#endif

int dory_maxpool_s8(const dory_ctx_t *ctx, const dory_pool_params_t *p, const dory_dims_t *in,
                    const void *x, const dory_dims_t *out, void *y)
{
    int pt = (p->border & DORY_BORDER_TOP) ? p->pad_top : 0;
    int pl = (p->border & DORY_BORDER_LEFT) ? p->pad_left : 0;
    int ys = dory__cstride(out);
    int c0, c1, c, oy, ox;
    if (in->c != out->c || p->kh < 1 || p->kw < 1 || p->stride_h < 1 || p->stride_w < 1)
        return DORY_ERR_ARG;
#if DORY__MM_XPULP
    int tmin = p->in_type == DORY_I8 ? -128 : 0, tmax = p->in_type == DORY_I8 ? 127 : 255;
    int ident = p->out.rq.scheme == DORY_RQ_NONE && p->out.zp == p->in_zp && p->out.lo <= tmin &&
                p->out.hi >= tmax;
#endif
#if DORY__MM_XPULP
    if (out->c >= 4) { /* output pixels per core, all channels: 4 per word */
        int px0, px1, px;
        dory__split(out->h * out->w, ctx, &px0, &px1);
        for (px = px0; px < px1; px++) {
            int y0, x0, y1, x1;
            uint8_t *yo = (uint8_t *)y + (long)px * ys;
            oy = px / out->w, ox = px % out->w;
            y0 = oy * p->stride_h - pt, x0 = ox * p->stride_w - pl;
            y1 = y0 + p->kh, x1 = x0 + p->kw;
            y0 = y0 < 0 ? 0 : y0, x0 = x0 < 0 ? 0 : x0;
            y1 = y1 > in->h ? in->h : y1, x1 = x1 > in->w ? in->w : x1;
            for (c = 0; c + 4 <= out->c; c += 4)
                maxpool4(p, in, (const uint8_t *)x, c, y0, y1, x0, x1, yo + c, ident);
            for (; c < out->c; c++)
                dory__st(yo, c,
                         dory__epi(&p->out, c, maxpool1(p, in, x, c, y0, y1, x0, x1) - p->in_zp));
        }
        return DORY_OK;
    }
#endif
    dory__split(out->c, ctx, &c0, &c1);
    for (oy = 0; oy < out->h; oy++)
        for (ox = 0; ox < out->w; ox++) {
            int y0 = oy * p->stride_h - pt, x0 = ox * p->stride_w - pl;
            int y1 = y0 + p->kh, x1 = x0 + p->kw;
            y0 = y0 < 0 ? 0 : y0, x0 = x0 < 0 ? 0 : x0;
            y1 = y1 > in->h ? in->h : y1, x1 = x1 > in->w ? in->w : x1;
            c = c0;
#if DORY__MM_XPULP
            for (; c + 4 <= c1; c += 4)
                maxpool4(p, in, (const uint8_t *)x, c, y0, y1, x0, x1,
                         (uint8_t *)y + ((long)oy * out->w + ox) * ys + c, ident);
#endif
            for (; c < c1; c++)
                dory__st(y, ((long)oy * out->w + ox) * ys + c,
                         dory__epi(&p->out, c, maxpool1(p, in, x, c, y0, y1, x0, x1) - p->in_zp));
        }
    return DORY_OK;
}
