/* dory_requant_s8.c: the IR's element-wise `requant` op on an HWC tile:
 * y = clamp(requant(x - zx) + zy, lo, hi), inputs u8/i8/int32, outputs
 * u8/i8/int32, per-channel constants by channel.
 * Work split: pixels. No scratch, no allocation; nothing from src/.
 */
#include "dory_internal.h"

static int type_ok(dory_type_t t) { return t == DORY_U8 || t == DORY_I8 || t == DORY_I32; }

int dory_requant_s8(const dory_ctx_t *ctx, const dory_eltwise_params_t *p, const dory_dims_t *in,
                    const void *x, const dory_dims_t *out, void *y)
{
    int px0, px1, px, c, xs = dory__cstride(in), ys = dory__cstride(out);
    if (in->h != out->h || in->w != out->w || in->c != out->c || in->c <= 0 ||
        !type_ok(p->in_type) || !type_ok(p->out.type))
        return DORY_ERR_ARG;
    dory__split(in->h * in->w, ctx, &px0, &px1);
    for (px = px0; px < px1; px++)
        for (c = 0; c < in->c; c++) {
            int64_t v = (int64_t)dory__ldt(p->in_type, x, (long)px * xs + c) - p->in_zp;
            dory__stt(p->out.type, y, (long)px * ys + c,
                      dory__clamp_zp(&p->out, dory__rq_raw(&p->out.rq, c, v)));
        }
    return DORY_OK;
}
