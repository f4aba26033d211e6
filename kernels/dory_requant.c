/* dory_requant.c: the public requant helpers and the zero-point algebra
 * shared by the kernels (see dory_internal.h). Scalar code only; no
 * allocation, nothing from src/.
 */
#include "dory_internal.h"

int64_t dory_requant_raw(const dory_requant_t *rq, int c, int64_t acc)
{
    return dory__rq_raw(rq, c, acc);
}

int32_t dory_requant(const dory_out_params_t *p, int c, int32_t acc)
{
    return dory__clamp_zp(p, dory__rq_raw(&p->rq, c, acc));
}

void dory__bias_eff(int n, int k, const int8_t *w, const int32_t *bias, int32_t zx,
                    const int32_t *w_zp, int w_zp_per_channel, int32_t *b)
{
    int c, i;
    if (!zx) { /* both corrections are 0: every core runs this per call, keep it a copy */
        for (c = 0; c < n; c++) b[c] = bias ? bias[c] : 0;
        return;
    }
    for (c = 0; c < n; c++) {
        const int8_t *row = w + (long)c * k;
        uint32_t sw = 0, v;
        for (i = 0; i < k; i++) sw += (uint32_t)(int32_t)row[i];
        v = bias ? (uint32_t)bias[c] : 0u;
        v -= (uint32_t)zx * sw;
        v += (uint32_t)k * (uint32_t)zx * (uint32_t)dory__wzp(w_zp, w_zp_per_channel, c);
        b[c] = (int32_t)v;
    }
}

int dory__wzp_all_zero(const int32_t *w_zp, int per_channel, int n)
{
    int c;
    if (!w_zp) return 1;
    for (c = 0; c < (per_channel ? n : 1); c++)
        if (w_zp[c] != 0) return 0;
    return 1;
}
