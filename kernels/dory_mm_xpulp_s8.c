/* dory_mm_xpulp_s8.c: the matrix core of the convolutions on Xpulp (PULP
 * v2: RI5CY, GAP8): 4-lane u8 x i8 dot products (pv.sdotusp.b) on 4
 * consecutive taps of one pixel against 4 consecutive weights of one
 * channel, 4 channels x 4 pixels register-blocked (16 accumulators, 8 word
 * loads per 64 MACs, post-increment loads), the K % 4 tail taps scalar.
 *
 * Layout: the conv kernels write col interleaved (col[4k + q], as for the
 * portable core); here each full 16-byte block (taps 4i..4i+3 of the 4
 * pixels) is transposed in place first, so that word q of block i holds
 * pixel q's 4 taps; the tail taps stay interleaved. The accumulators go to
 * m->acc[4c + q] as the portable core's do, so that the epilogues are
 * shared (dory_mm_s8.c). Same arithmetic, bit for bit: the products and
 * sums are the portable core's (int32, wrapping). Compiled where
 * DORY__MM_XPULP (dory_internal.h); elsewhere this file is empty. No
 * allocation; nothing from src/.
 */
#include "dory_internal.h"

#if DORY__MM_XPULP
#include "dory_xpulp.h"

/* Block i of col: 4 words a, b, c, d (taps 4i..4i+3, lanes = pixels) become
 * t_q = [a_q, b_q, c_q, d_q]. */
static DORY_HOT void transpose_blocks(uint8_t *col, int k4)
{
    uint32_t *v = (uint32_t *)(void *)col;
    int i;
    for (i = 0; i < k4; i++, v += 4) {
        uint32_t a = v[0], b = v[1], c = v[2], d = v[3];
        uint32_t ab_lo = dory_xp_shuffle2_b(a, b, 0x05010400u); /* a0 b0 a1 b1 */
        uint32_t cd_lo = dory_xp_shuffle2_b(c, d, 0x05010400u); /* c0 d0 c1 d1 */
        uint32_t ab_hi = dory_xp_shuffle2_b(a, b, 0x07030602u); /* a2 b2 a3 b3 */
        uint32_t cd_hi = dory_xp_shuffle2_b(c, d, 0x07030602u); /* c2 d2 c3 d3 */
        v[0] = dory_xp_pack_h(cd_lo, ab_lo);
        v[1] = (cd_lo & 0xffff0000u) | ab_lo >> 16;
        v[2] = dory_xp_pack_h(cd_hi, ab_hi);
        v[3] = (cd_hi & 0xffff0000u) | ab_hi >> 16;
    }
}

#define XP_ROW(p, a0, a1, a2, a3)                                                                  \
    do {                                                                                           \
        uint32_t t_ = dory_xp_lw_pi(&(p));                                                         \
        a0 = dory_xp_sdotusp_b(a0, x0, t_);                                                        \
        a1 = dory_xp_sdotusp_b(a1, x1, t_);                                                        \
        a2 = dory_xp_sdotusp_b(a2, x2, t_);                                                        \
        a3 = dory_xp_sdotusp_b(a3, x3, t_);                                                        \
    } while (0)

/* acc[4j + q] = b[j] + sum over the k4 blocks, channels j < 4 (weight rows
 * stride bytes apart), pixels q < 4. */
static DORY_HOT DORY_NOINLINE void mm4x4(const int8_t *w0, int stride, int k4, const uint8_t *x,
                                         const int32_t *b, int32_t *acc)
{
    const void *p0 = w0, *p1 = w0 + stride, *p2 = w0 + 2 * stride, *p3 = w0 + 3 * stride;
    const void *px = x;
    int32_t a00 = b[0], a01 = b[0], a02 = b[0], a03 = b[0];
    int32_t a10 = b[1], a11 = b[1], a12 = b[1], a13 = b[1];
    int32_t a20 = b[2], a21 = b[2], a22 = b[2], a23 = b[2];
    int32_t a30 = b[3], a31 = b[3], a32 = b[3], a33 = b[3];
    int i;
    for (i = 0; i < k4; i++) {
        uint32_t x0 = dory_xp_lw_pi(&px), x1 = dory_xp_lw_pi(&px);
        uint32_t x2 = dory_xp_lw_pi(&px), x3 = dory_xp_lw_pi(&px);
        XP_ROW(p0, a00, a01, a02, a03);
        XP_ROW(p1, a10, a11, a12, a13);
        XP_ROW(p2, a20, a21, a22, a23);
        XP_ROW(p3, a30, a31, a32, a33);
    }
    acc[0] = a00, acc[1] = a01, acc[2] = a02, acc[3] = a03;
    acc[4] = a10, acc[5] = a11, acc[6] = a12, acc[7] = a13;
    acc[8] = a20, acc[9] = a21, acc[10] = a22, acc[11] = a23;
    acc[12] = a30, acc[13] = a31, acc[14] = a32, acc[15] = a33;
}

/* One channel: acc[q] = b + sum over the k4 blocks. */
static DORY_HOT void mm1x4(const int8_t *w, int k4, const uint8_t *x, int32_t b, int32_t *acc)
{
    const void *pw = w, *px = x;
    int32_t a0 = b, a1 = b, a2 = b, a3 = b;
    int i;
    for (i = 0; i < k4; i++) {
        uint32_t x0 = dory_xp_lw_pi(&px), x1 = dory_xp_lw_pi(&px);
        uint32_t x2 = dory_xp_lw_pi(&px), x3 = dory_xp_lw_pi(&px);
        XP_ROW(pw, a0, a1, a2, a3);
    }
    acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;
}

void dory__mm_acc_xpulp(const dory__mm_t *m, uint8_t *col)
{
    int k = m->k, k4 = k / 4, c, q, i;
    const uint8_t *tail = col + 16 * k4; /* taps 4*k4.. , interleaved */
    transpose_blocks(col, k4);
    for (c = 0; c + 4 <= m->cout; c += 4)
        mm4x4(m->w + (long)c * k, k, k4, col, m->b + c, m->acc + 4 * c);
    for (; c < m->cout; c++) mm1x4(m->w + (long)c * k, k4, col, m->b[c], m->acc + 4 * c);
    if (4 * k4 == k) return;
    for (c = 0; c < m->cout; c++) {
        const int8_t *w = m->w + (long)c * k + 4 * k4;
        int32_t *a = m->acc + 4 * c;
        for (i = 0; i < k - 4 * k4; i++)
            for (q = 0; q < DORY__MM_NP; q++)
                a[q] = dory_xp_mac(a[q], w[i], tail[DORY__MM_NP * i + q]);
    }
}

void dory__mm_acc1_xpulp(const dory__mm_t *m, int c0, int n, const uint8_t *col, int32_t *acc)
{
    int k = m->k, k4 = k / 4, j, i;
    for (j = 0; j < n; j++) {
        const void *pw = m->w + (long)(c0 + j) * k, *px = col;
        int32_t a = m->b[c0 + j];
        for (i = 0; i < k4; i++) {
            uint32_t x0 = dory_xp_lw_pi(&px);
            a = dory_xp_sdotusp_b(a, x0, dory_xp_lw_pi(&pw));
        }
        for (i = 4 * k4; i < k; i++) a = dory_xp_mac(a, m->w[(long)(c0 + j) * k + i], col[i]);
        acc[j] = a;
    }
}

#else
typedef int dory__mm_xpulp_unused;
#endif
