/* dory_dwconv_s8.c: depthwise convolution on an HWC tile, any kernel size,
 * stride and dilation, channel-major: each channel is copied into a padded
 * int16 plane (x - zx, padding 0) in scratch and convolved there.
 * Work split: channels. No allocation; nothing from src/.
 */
#include "dory_internal.h"

static void plane_geom(const dory_conv_params_t *p, const dory_dims_t *in, dory__plane_t *pl)
{
    pl->pt = (p->border & DORY_BORDER_TOP) ? p->pad_top : 0;
    pl->pl = (p->border & DORY_BORDER_LEFT) ? p->pad_left : 0;
    pl->ph = in->h + pl->pt + ((p->border & DORY_BORDER_BOTTOM) ? p->pad_bottom : 0);
    pl->pw = in->w + pl->pl + ((p->border & DORY_BORDER_RIGHT) ? p->pad_right : 0);
}

int32_t dory_dwconv_s8_scratch_bytes(const dory_conv_params_t *p, const dory_dims_t *in,
                                     const dory_dims_t *out)
{
    dory__plane_t pl;
    int32_t plane, fast;
    (void)out;
    plane_geom(p, in, &pl);
    plane = (2 * pl.ph * pl.pw + 3) & ~3;
    fast = dory__dw3x3_fast_scratch(p, in);
    return plane > fast ? plane : fast;
}

int dory__plane_init(const dory_ctx_t *ctx, const dory_conv_params_t *p, const dory_dims_t *in,
                     dory__plane_t *pl)
{
    plane_geom(p, in, pl);
    pl->v = (int16_t *)ctx->buf;
    if (!pl->v || ctx->size < 2 * pl->ph * pl->pw) return DORY_ERR_SCRATCH;
    memset(pl->v, 0, (size_t)pl->ph * pl->pw * 2);
    return DORY_OK;
}

void dory__plane_fill(const dory__plane_t *pl, const dory_conv_params_t *p, const dory_dims_t *in,
                      const void *x, int c)
{
    int cs = dory__cstride(in), iy, ix;
    int32_t zx = p->in_zp;
    for (iy = 0; iy < in->h; iy++) {
        int16_t *d = pl->v + (long)(iy + pl->pt) * pl->pw + pl->pl;
        if (p->in_type == DORY_I8) {
            const int8_t *s = (const int8_t *)x + (long)iy * in->w * cs + c;
            for (ix = 0; ix < in->w; ix++, s += cs) d[ix] = (int16_t)(*s - zx);
        } else {
            const uint8_t *s = (const uint8_t *)x + (long)iy * in->w * cs + c;
            for (ix = 0; ix < in->w; ix++, s += cs) d[ix] = (int16_t)(*s - zx);
        }
    }
}

int dory_dwconv_s8(const dory_ctx_t *ctx, const dory_conv_params_t *p, const dory_dims_t *in,
                   const void *x, const int8_t *w, const int32_t *bias, const dory_dims_t *out,
                   void *y)
{
    dory__plane_t pl;
    int c0, c1, c, oy, ox, dy, dx, ys = dory__cstride(out), kk = p->kh * p->kw;
    int st;
    if (in->c != out->c || kk <= 0 || p->stride_h < 1 || p->stride_w < 1 || p->dil_h < 1 ||
        p->dil_w < 1 || p->acc_mode != DORY_ACC_STORE || !dory__acc_ok(0, p->out.type))
        return DORY_ERR_ARG;
    st = dory__plane_init(ctx, p, in, &pl);
    if (st) return st;
    dory__split(out->c, ctx, &c0, &c1);
    for (c = c0; c < c1; c++) {
        const int8_t *wc = w + (long)c * kk;
        int32_t zw = dory__wzp(p->w_zp, p->w_zp_per_channel, c);
        int32_t b = bias ? bias[c] : 0;
        dory__plane_fill(&pl, p, in, x, c);
        for (oy = 0; oy < out->h; oy++)
            for (ox = 0; ox < out->w; ox++) {
                const int16_t *base = pl.v + (long)oy * p->stride_h * pl.pw + ox * p->stride_w;
                int32_t acc = b;
                for (dy = 0; dy < p->kh; dy++)
                    for (dx = 0; dx < p->kw; dx++)
                        acc += base[(long)dy * p->dil_h * pl.pw + dx * p->dil_w] *
                               (wc[dy * p->kw + dx] - zw);
                dory__stt(p->out.type, y, ((long)oy * out->w + ox) * ys + c,
                          dory__epi(&p->out, c, acc));
            }
    }
    return DORY_OK;
}
