/* test_xpulp.c: the portable C of kernels/dory_xpulp.h against the reference
 * interpreter and against the manual's definitions lane by lane.
 *
 * The interpreter check: random FC layers with int32 outputs (the raw
 * accumulator, every input type and zero point the case generator makes)
 * are recomputed with the Xpulp dot products the way an Xpulp kernel does
 * it, acc = bias + sum x*w - zw * sum x - zx * sum w + K * zx * zw, with
 * pv.sdotusp.b (u8 x i8) or pv.sdotsp.b (i8 x i8) on 4-lane words and the
 * lane sums by dot products with 0x01010101 (pv.sdotup.b for u8), and must
 * equal interp_node() on every output. The encodings of the target forms are
 * checked by tests/py/test_xpulp_encoding.py.
 */
#include <stdlib.h>
#include <string.h>

#include "dory_xpulp.h"
#include "harness.h"
#include "test_kernels_case.h"

static uint32_t lcg(uint32_t *s) { return *s = *s * 1664525u + 1013904223u; }

/* Word j of x (4 bytes from 4*j on, zero past n). */
static uint32_t word_at(const uint8_t *x, int n, int j)
{
    uint32_t v = 0;
    int i;
    for (i = 0; i < 4 && 4 * j + i < n; i++) v |= (uint32_t)x[4 * j + i] << (8 * i);
    return v;
}

/* The raw accumulator of output c, with the Xpulp dot products. */
static int32_t xpulp_fc_acc(const KCase *k, int c)
{
    const dory_fc_params_t *p = &k->fc;
    const uint8_t *w = (const uint8_t *)k->wt + (long)c * k->c;
    int32_t zx = p->in_zp, zw = p->w_zp ? p->w_zp[p->w_zp_per_channel ? c : 0] : 0;
    int32_t xw = 0, sx = 0, sw = 0, j;
    int u8 = p->in_type == DORY_U8;
    for (j = 0; j < (k->c + 3) / 4; j++) {
        uint32_t xv = word_at(k->x, k->c, j), wv = word_at(w, k->c, j);
        xw = u8 ? dory_xp_sdotusp_b(xw, xv, wv) : dory_xp_sdotsp_b(xw, xv, wv);
        sx = u8 ? dory_xp_sdotup_b(sx, xv, 0x01010101u) : dory_xp_sdotsp_b(sx, xv, 0x01010101u);
        sw = dory_xp_sdotsp_b(sw, wv, 0x01010101u);
    }
    return dory_xp_mac((k->bias ? k->bias[c] : 0) + xw - zw * sx - zx * sw, k->c * zx, zw);
}

TEST(xpulp_dot_products_vs_interp)
{
    static const int ks[] = {1, 3, 4, 7, 64, 301};
    int i, made = 0;
    for (i = 0; i < 24; i++) {
        KCase k;
        int bad = 0, c, kk = ks[i % 6];
        uint32_t s = 99u + (uint32_t)i;
        if (kc_bench(&k, KOP_FC, 1, 1, kk, 5 + i % 7, 1, 1, 0, 31u + (uint32_t)i,
                     KC_OUT_I32 | (i % 2 ? KC_I8 : 0)))
            continue;
        /* zero points the benchmark quantization lacks: input (u8 too) and
         * per-channel weights */
        if (i % 4 >= 2) {
            if (!(i % 2)) k.conv.in_zp = k.fc.in_zp = (int32_t)(lcg(&s) % 40);
            for (c = 0; c < k.cout; c++) k.wzp[c] = (int32_t)(lcg(&s) % 21) - 10;
            k.conv.w_zp = k.fc.w_zp = k.wzp;
            k.conv.w_zp_per_channel = k.fc.w_zp_per_channel = 1;
        }
        made++;
        if (CHECK(interp_ref(&k, &bad) == 0))
            for (c = 0; c < k.cout; c++) {
                int32_t ref;
                memcpy(&ref, k.ref + 4 * c, 4);
                if (xpulp_fc_acc(&k, c) != ref) {
                    harness_fail(__FILE__, __LINE__, "case %d output %d: %d, interpreter %d", i, c,
                                 xpulp_fc_acc(&k, c), ref);
                    break;
                }
            }
        kc_free(&k);
    }
    CHECK(made == 24);
}

/* The lane-wise operations, the clips and the packs on random and edge
 * words against the manual's formulas written out here. */
TEST(xpulp_lanes_vs_manual)
{
    static const uint32_t edge[] = {0, 0xffffffffu, 0x80808080u, 0x7f7f7f7fu, 0x017f80ffu};
    uint32_t s = 7;
    int t, i;
    for (t = 0; t < 2000; t++) {
        uint32_t a = t < 25 ? edge[t % 5] : lcg(&s), b = t < 25 ? edge[t / 5] : lcg(&s);
        uint32_t d = lcg(&s), sel = lcg(&s) & 0x07070707u;
        uint32_t add = dory_xp_add_b(a, b), mx = dory_xp_max_b(a, b), mu = dory_xp_maxu_b(a, b);
        uint32_t mn = dory_xp_min_b(a, b), sub = dory_xp_sub_b(a, b),
                 sh = dory_xp_shuffle2_b(d, a, sel), nu = dory_xp_minu_b(a, b);
        for (i = 0; i < 4; i++) {
            int8_t x = (int8_t)(a >> 8 * i), y = (int8_t)(b >> 8 * i);
            uint8_t ux = (uint8_t)(a >> 8 * i), uy = (uint8_t)(b >> 8 * i);
            uint8_t si = (uint8_t)(sel >> 8 * i);
            uint32_t src = si & 4 ? a : d;
            CHECK_EQ_I64((uint8_t)(add >> 8 * i), (uint8_t)(ux + uy));
            CHECK_EQ_I64((uint8_t)(sub >> 8 * i), (uint8_t)(ux - uy));
            CHECK_EQ_I64((int8_t)(mx >> 8 * i), x > y ? x : y);
            CHECK_EQ_I64((int8_t)(mn >> 8 * i), x < y ? x : y);
            CHECK_EQ_I64((uint8_t)(mu >> 8 * i), ux > uy ? ux : uy);
            CHECK_EQ_I64((uint8_t)(nu >> 8 * i), ux < uy ? ux : uy);
            CHECK_EQ_I64((uint8_t)(sh >> 8 * i), (uint8_t)(src >> 8 * (si & 3)));
        }
        CHECK_EQ_I64(dory_xp_packhi_b(d, a, b),
                     (d & 0xffffu) | (a & 0xff) << 24 | (b & 0xff) << 16);
        CHECK_EQ_I64(dory_xp_packlo_b(d, a, b), (d & 0xffff0000u) | (a & 0xff) << 8 | (b & 0xff));
        CHECK_EQ_I64(dory_xp_pack_h(a, b), (a & 0xffffu) << 16 | (b & 0xffffu));
        {
            int32_t dot = 0;
            for (i = 0; i < 4; i++) dot += (int32_t)(uint8_t)(a >> 8 * i) * (int8_t)(b >> 8 * i);
            CHECK_EQ_I64(dory_xp_dotusp_b(a, b), dot);
        }
        {
            int32_t v = (int32_t)a >> (t % 24);
            CHECK_EQ_I64(DORY_XP_CLIP(v, 8), v < -128 ? -128 : v > 127 ? 127 : v);
            CHECK_EQ_I64(DORY_XP_CLIPU(v, 9), v < 0 ? 0 : v > 255 ? 255 : v);
            CHECK_EQ_I64(dory_xp_clipr(v, 1000), v < -1001 ? -1001 : v > 1000 ? 1000 : v);
            CHECK_EQ_I64(dory_xp_clipur(v, 1000), v < 0 ? 0 : v > 1000 ? 1000 : v);
            CHECK_EQ_I64(dory_xp_max(v, (int32_t)b), v > (int32_t)b ? v : (int32_t)b);
            CHECK_EQ_I64(dory_xp_min(v, (int32_t)b), v < (int32_t)b ? v : (int32_t)b);
        }
    }
}

/* Post-increment loads and stores advance by their access size (or by a
 * register). */
TEST(xpulp_post_increment)
{
    uint8_t buf[8] = {0x81, 2, 3, 4, 5, 6, 7, 8}, out[8] = {0};
    const void *p = buf;
    void *q = out;
    CHECK_EQ_I64(dory_xp_lb_pi(&p), -127);
    CHECK_EQ_I64(dory_xp_lbu_pi(&p), 2);
    p = buf + 4;
    CHECK_EQ_I64(dory_xp_lw_pi(&p), 0x08070605);
    CHECK(p == buf + 8);
    p = buf;
    CHECK_EQ_I64(dory_xp_lw_rpi(&p, 3), 0x04030281);
    CHECK(p == buf + 3);
    dory_xp_sb_pi(&q, 0x1ff);
    dory_xp_sw_pi(&q, 0x04030201u);
    CHECK(q == out + 5);
    CHECK(out[0] == 0xff && out[1] == 1 && out[4] == 4);
    dory_xp_sb_rpi(&q, 0x1fe, 2);
    CHECK(q == out + 7 && out[5] == 0xfe && out[6] == 0);
}
