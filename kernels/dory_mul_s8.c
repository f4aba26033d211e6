/* dory_mul_s8.c: element-wise product of two 8-bit activations:
 * acc = (a - za)(b - zb), b of a's dims or one pixel whose channels multiply
 * every pixel (squeeze-excitation); y = clamp(rq(acc) + zy, lo, hi), with
 * QLMUL y = clamp(rne(f32(acc) * s[0] + s[1])) in fp32 (onnxruntime's
 * QLinearMul, the zero point s[1] added before rounding) and with QLMUL_INT
 * the same computed in integers (dory_f32int.c), for targets without an FPU.
 * Work split: pixels. No scratch; nothing from src/.
 */
#include "dory_internal.h"

/* y = clamp(rq(acc)) with the zero point inside (QLMUL) or added. */
DORY_INLINE int32_t mul_epi(const dory_out_params_t *o, int c, int32_t acc)
{
    int64_t v;
    if (o->rq.scheme != DORY_RQ_QLMUL && o->rq.scheme != DORY_RQ_QLMUL_INT)
        return dory__epi(o, c, acc);
    v = dory__rq_raw(&o->rq, c, acc);
    return (int32_t)(v < o->lo ? o->lo : v > o->hi ? o->hi : v);
}

/* Pixels [px0, px1) of a row-major HWC tile; b's pixel stride 0 when it is
 * one pixel. */
static void mul_px(const dory_mul_params_t *p, const dory_dims_t *ad, const void *a, const void *b,
                   int bs, const dory_dims_t *yd, void *y, int px0, int px1)
{
    int as = dory__cstride(ad), ys = dory__cstride(yd), px, c;
    for (px = px0; px < px1; px++)
        for (c = 0; c < ad->c; c++) {
            int32_t va = dory__ld(p->a_type, a, px * as + c) - p->a_zp;
            int32_t vb = dory__ld(p->b_type, b, px * bs + c) - p->b_zp;
            dory__stt(p->out.type, y, (long)px * ys + c, mul_epi(&p->out, c, va * vb));
        }
}

int dory_mul_s8(const dory_ctx_t *ctx, const dory_mul_params_t *p, const dory_dims_t *a_dims,
                const void *a, const dory_dims_t *b_dims, const void *b, const dory_dims_t *y_dims,
                void *y)
{
    int px0, px1, c = a_dims->c;
    int pixel = b_dims->h == 1 && b_dims->w == 1;
    if (b_dims->c != c || y_dims->c != c || y_dims->h != a_dims->h || y_dims->w != a_dims->w ||
        (!pixel && (b_dims->h != a_dims->h || b_dims->w != a_dims->w)))
        return DORY_ERR_ARG;
    if (p->out.rq.per_channel &&
        (p->out.rq.scheme == DORY_RQ_QLMUL || p->out.rq.scheme == DORY_RQ_QLMUL_INT))
        return DORY_ERR_ARG;
    dory__split(a_dims->h * a_dims->w, ctx, &px0, &px1);
    mul_px(p, a_dims, a, b, pixel ? 0 : dory__cstride(b_dims), y_dims, y, px0, px1);
    return DORY_OK;
}
