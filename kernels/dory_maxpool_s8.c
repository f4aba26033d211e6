/* dory_maxpool_s8.c: max pooling on an HWC tile: max over the valid window
 * (padding never wins), then clamp(requant(max - zx) + zy, lo, hi).
 * Work split: channels. No scratch; nothing from src/.
 */
#include "dory_internal.h"

int dory_maxpool_s8(const dory_ctx_t *ctx, const dory_pool_params_t *p, const dory_dims_t *in,
                    const void *x, const dory_dims_t *out, void *y)
{
    int pt = (p->border & DORY_BORDER_TOP) ? p->pad_top : 0;
    int pl = (p->border & DORY_BORDER_LEFT) ? p->pad_left : 0;
    int cs = dory__cstride(in), ys = dory__cstride(out);
    int c0, c1, c, oy, ox, iy, ix;
    if (in->c != out->c || p->kh < 1 || p->kw < 1 || p->stride_h < 1 || p->stride_w < 1)
        return DORY_ERR_ARG;
    dory__split(out->c, ctx, &c0, &c1);
    for (oy = 0; oy < out->h; oy++)
        for (ox = 0; ox < out->w; ox++) {
            int y0 = oy * p->stride_h - pt, x0 = ox * p->stride_w - pl;
            int y1 = y0 + p->kh, x1 = x0 + p->kw;
            y0 = y0 < 0 ? 0 : y0, x0 = x0 < 0 ? 0 : x0;
            y1 = y1 > in->h ? in->h : y1, x1 = x1 > in->w ? in->w : x1;
            for (c = c0; c < c1; c++) {
                int32_t m = INT32_MIN;
                for (iy = y0; iy < y1; iy++)
                    for (ix = x0; ix < x1; ix++) {
                        int32_t v = dory__ld(p->in_type, x, ((long)iy * in->w + ix) * cs + c);
                        m = v > m ? v : m;
                    }
                if (m == INT32_MIN)
                    m = p->in_zp; /* empty window: cannot happen in a valid geometry */
                dory__st(y, ((long)oy * out->w + ox) * ys + c, dory__epi(&p->out, c, m - p->in_zp));
            }
        }
    return DORY_OK;
}
