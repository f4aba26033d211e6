/* dory_requant_s32.c: the epilogue of a layer computed in input-channel
 * slices (DORY_ACC_FIRST / DORY_ACC_NEXT): y = clamp(requant(acc) + zp, lo,
 * hi) per element of a dense int32 accumulator tile, per-channel constants
 * by channel. SHIFT32 to 8 bits as one unsigned range compare (as in the
 * matrix core); other schemes and int32 outputs through dory__epi.
 * Work split: pixels. No scratch, no allocation; nothing from src/.
 */
#include "dory_internal.h"

/* SHIFT32 to 8 bits of pixels [px0, px1). */
static DORY_HOT void rq32_s32(const dory_out_params_t *p, const dory_dims_t *d, const int32_t *acc,
                              uint8_t *y, int px0, int px1)
{
    const dory_requant_t *r = &p->rq;
    dory__s32_t e;
    int ys = dory__cstride(d), px, c, ps = r->per_channel ? 1 : 0;
    uint32_t range, ylo;
    dory__s32_load(p, 0, &e);
    range = (uint32_t)e.hi - (uint32_t)e.lo, ylo = (uint32_t)e.lo + (uint32_t)e.zp;
    for (px = px0; px < px1; px++) {
        const int32_t *a = acc + (long)px * d->c;
        uint8_t *yo = y + (long)px * ys;
        for (c = 0; c < d->c; c++) {
            int i = c * ps;
            int32_t v = (r->k32[i] * a[c] + (r->l32 ? r->l32[i] : 0)) >> e.d;
            uint32_t t = (uint32_t)v - (uint32_t)e.lo;
            if (DORY_UNLIKELY(t > range)) t = v < e.lo ? 0u : range;
            yo[c] = (uint8_t)(t + ylo);
        }
    }
}

int dory_requant_s32(const dory_ctx_t *ctx, const dory_out_params_t *p, const dory_dims_t *dims,
                     const int32_t *acc, void *y)
{
    int px0, px1, px, c, ys = dory__cstride(dims);
    if (dims->c <= 0 || dims->h < 0 || dims->w < 0 || !dory__acc_ok(0, p->type))
        return DORY_ERR_ARG;
    dory__split(dims->h * dims->w, ctx, &px0, &px1);
    if (p->rq.scheme == DORY_RQ_SHIFT32 && p->type != DORY_I32) {
        rq32_s32(p, dims, acc, (uint8_t *)y, px0, px1);
        return DORY_OK;
    }
    for (px = px0; px < px1; px++)
        for (c = 0; c < dims->c; c++)
            dory__stt(p->type, y, (long)px * ys + c, dory__epi(p, c, acc[(long)px * dims->c + c]));
    return DORY_OK;
}
