/* dory_dwconv3x3_xpulp_s8.c: the depthwise 3x3 kernel (stride 1 or 2,
 * dilation 1) on Xpulp (PULP v2: RI5CY, GAP8), behind DORY_K_DWCONV3X3's
 * contract (arguments, scratch bytes, weight layout, bytes of the output).
 *
 * Each core takes its channels (the split of the portable kernel) in groups
 * of up to 4 and copies each channel of a group into its own padded byte
 * plane in scratch (CHW: rows of pws = pw rounded up to 4 bytes, i8 flipped
 * to unsigned, padding = the unsigned zero point). One word load at a row's
 * tap then holds the 3 taps of a kernel row in lanes 0-2 and, at stride 1,
 * those of the next output pixel in lanes 1-3: with the kernel row's weights
 * as W = (w0, w1, w2, 0) and W << 8, two outputs take 3 word loads and 6
 * pv.sdotusp.b (u8 x i8). At stride 2 each output loads its own 3 words.
 * The zero point is in the effective bias (b - zx * sum w; the padding holds
 * zx, so it contributes nothing), as in the matrix core. Epilogues: SHIFT32
 * to 8 bits with the bias folded (k * acc + l = k * dot + (k * b + l), mod
 * 2^32; in the assembly mul and p.addNr, the add and the shift in one) and
 * the clamp as p.max / p.min; SHIFT64 likewise mod 2^64 (dory_internal.h's
 * dory__s64_t), to u8's full range (DORY's networks) in 32-bit words where
 * d >= 32: only the high word of k * dot + c counts (mulhsu, p.mac, a carry
 * by one sltu against ~cl, then p.addNr), the clamp's lower bound folded
 * into c; FIXED through the 32-bit
 * dory__fx_apply; every other scheme through dory__epi. SHIFT32 and SHIFT64
 * to [0, 255] run in assembly, one call per group of channels.
 *
 * Taken where every weight zero point is 0 (w - zw would not fit a lane);
 * otherwise dory_dwconv3x3_s8's portable paths run. Work split: channels,
 * so the bytes are the same for any core count. Compiled where
 * DORY__MM_XPULP (dory_internal.h); elsewhere only the geometry and
 * dory_dwconv3x3_s8_xpulp, which the planner's cost model asks. No
 * allocation; nothing from src/.
 */
#include "dory_internal.h"

/* The padded input, planes of up to 4 channels. Along a line of a plane
 * the taps of one kernel row lie in consecutive bytes: a line is an input
 * row, or, on narrow tiles (tr: ow < oh, fewer and longer lines), an input
 * column, the plane stored transposed and the kernel with it. A line's
 * padded position q is byte q of its ls bytes (ls a multiple of 4). Planes
 * follow each other `plane` bytes apart: where both ends of a plane are
 * padding lines, the last of one plane is the first of the next (the same
 * bytes, zx in both), so 4 planes fit the scratch of dory_dwconv_s8. */
typedef struct {
    int pt, pl, ph, pw; /* padded geometry of the input */
    int tr;             /* lines are columns */
    int s;              /* the stride */
    int ls;             /* bytes per line (a multiple of 4) */
    int nl;             /* lines per plane */
    int pbu, pbv;       /* padding before the data along a line, and lines of it */
    long plane;         /* bytes from one plane to the next */
    uint8_t *buf;
} dw_geom_t;

/* The padded geometry of a tile and the planes of it (0 to 4) that `size`
 * bytes of scratch hold. */
DORY_INLINE int dw_planes(const dory_conv_params_t *p, const dory_dims_t *in,
                          const dory_dims_t *out, long size, dw_geom_t *g)
{
    int n, pb, pr, shared;
    g->pt = (p->border & DORY_BORDER_TOP) ? p->pad_top : 0;
    g->pl = (p->border & DORY_BORDER_LEFT) ? p->pad_left : 0;
    pb = (p->border & DORY_BORDER_BOTTOM) ? p->pad_bottom : 0;
    pr = (p->border & DORY_BORDER_RIGHT) ? p->pad_right : 0;
    g->ph = in->h + g->pt + pb;
    g->pw = in->w + g->pl + pr;
    g->tr = out->w < out->h;
    g->s = p->stride_h;
    g->ls = ((g->tr ? g->ph : g->pw) + 3) & ~3;
    g->nl = g->tr ? g->pw : g->ph;
    g->pbu = g->tr ? g->pt : g->pl;
    g->pbv = g->tr ? g->pl : g->pt;
    shared = g->pbv < (g->tr ? pr : pb) ? g->pbv : (g->tr ? pr : pb);
    g->plane = (long)(g->nl - shared) * g->ls;
    for (n = 4; n > 0; n--)
        if ((n - 1) * g->plane + (long)g->nl * g->ls + 4 <= size) break;
    return n;
}

/* The planes path takes a tile of np planes: SHIFT32 on fewer than 4 planes
 * runs the portable kernel's 4 interleaved channels (one word load per
 * pixel), faster on L2 data. */
DORY_INLINE int dw_takes(const dory_conv_params_t *p, int np)
{
    return np >= 1 && !(np < 4 && p->out.rq.scheme == DORY_RQ_SHIFT32);
}

#if DORY__MM_XPULP

/* The epilogue of a channel: SHIFT32 with the clamp as p.max / p.min and the
 * zero point, SHIFT32 to [0, 255] without a zero point (p.clipu), FIXED, any
 * other scheme (dory__epi), SHIFT64 in 32-bit words (dory__s64_step, the
 * bias folded), SHIFT64 to a u8 output's full range [0, 255] with the lower
 * bound folded as well (DW_RQ_S64U, see dw_s64_init). */
enum { DW_RQ_S32 = 0, DW_RQ_S32U, DW_RQ_FX, DW_RQ_ANY, DW_RQ_S64, DW_RQ_S64U, DW_NRQ };

/* The layer's constants, read once per call (the parameters may be in L2). */
typedef struct {
    const dory_conv_params_t *p;
    const int8_t *w;
    const int32_t *bias;
    int32_t zx;               /* the unsigned input zero point */
    int sch, pc, d;           /* requant scheme, per channel, shift */
    const int32_t *k32, *l32; /* SHIFT32 */
    int32_t lo, hi, zp;       /* the output's clamp and zero point */
    int32_t elo, ehi;         /* lo, hi minus zp, in int32 (dory__s32_t's) */
} dw_layer_t;

/* One channel's constants. The accumulator of an output is acc = dot + b,
 * dot the raw sum of its 9 products u8 x i8 (|dot| <= 9 * 255 * 128). */
typedef struct {
    int c;               /* the channel */
    uint32_t wl[3];      /* lane weights: kernel row r (or column) in lanes 0-2 */
    int32_t b;           /* b = bias - zx * sum w, mod 2^32 */
    int32_t k, c0;       /* SHIFT32: c0 = k * b + l mod 2^32 */
    union {              /* SHIFT64, FIXED */
        dory__s64_t s64; /* SHIFT64: c = k * b + l (- L 2^d for DW_RQ_S64U), b exact */
        dory__fx_t fx;
    } u;
} dw_ch_t;

/* The output of one accumulator (dot: the raw sum of the 9 products); the
 * constants are dw_channel's locals. */
#define DW_OUT(dot)                                                                                \
    (uint8_t)(mode == DW_RQ_S32                                                                    \
                  ? dory_xp_min(dory_xp_max(dory_xp_mac(c0, k, (dot)) >> d, lo), hi) + zp          \
              : mode == DW_RQ_S32U ? DORY_XP_CLIPU(dory_xp_mac(c0, k, (dot)) >> d, 9)              \
              : mode == DW_RQ_FX   ? dory__fx_apply(&fx, (int32_t)((uint32_t)(dot) + (uint32_t)b)) \
              : mode == DW_RQ_S64  ? (int32_t)dory__s64_step(&e, (dot), d, lo, range) + lo + zp    \
              : mode == DW_RQ_S64U ? (int32_t)dory__s64_step(&e, (dot), d, 0, 255)                 \
                                   : dw_epi(L, q, (dot)))

/* Any other scheme (out of line: the generic epilogue is large). */
static DORY_NOINLINE int32_t dw_epi(const dw_layer_t *L, const dw_ch_t *q, int32_t dot)
{
    return dory__epi(&L->p->out, q->c, (int32_t)((uint32_t)dot + (uint32_t)q->b));
}

/* M = lanes 2, 3 of a and 0, 1 of b: the taps 2 bytes on. */
#define DW_MID(a, b) dory_xp_shuffle2_b((a), (b), 0x05040302u)

/* One channel: plane pl, constants q; s and mode are constants after
 * inlining. Stride 1: 4 outputs per step from 2 aligned words per kernel
 * row (a, and b, which is the next step's a): a.W, a.(W << 8), M.W,
 * M.(W << 8). Stride 2: 2 outputs per step, a.W and M.W. A line's last step
 * computes all of its outputs and stores those that exist (it reads up to
 * one word past the line: the next line, or the scratch's slack). */
DORY_INLINE void dw_channel(const dw_geom_t *g, const uint8_t *pl, const dw_layer_t *L,
                            const dw_ch_t *q, const dory_dims_t *out, uint8_t *y, const int s,
                            const int mode)
{
    uint32_t w0 = q->wl[0], w1 = q->wl[1], w2 = q->wl[2], v0 = w0 << 8, v1 = w1 << 8, v2 = w2 << 8;
    int32_t k = q->k, c0 = q->c0, lo = L->elo, hi = L->ehi, zp = L->zp, b = q->b;
    uint32_t range = (uint32_t)hi - (uint32_t)lo;
    dory__s64_t e;
    dory__fx_t fx;
    int d = L->d, ys = dory__cstride(out), nl = g->tr ? out->w : out->h;
    int n = g->tr ? out->h : out->w, step = s == 1 ? 4 : 2, l, i;
    long os = g->tr ? (long)out->w * ys : ys, ls = g->tr ? ys : (long)out->w * ys;
    if (mode == DW_RQ_FX) fx = q->u.fx;
    if (mode == DW_RQ_S64 || mode == DW_RQ_S64U) e = q->u.s64;
    (void)b, (void)range;
    for (l = 0; l < nl; l++) {
        const uint32_t *r0 = (const uint32_t *)(const void *)(pl + (long)l * s * g->ls);
        const uint32_t *r1 = r0 + g->ls / 4, *r2 = r1 + g->ls / 4;
        uint32_t a0 = *r0++, a1 = *r1++, a2 = *r2++;
        uint8_t *yo = y + l * ls;
        for (i = 0; i < n; i += step) {
            uint32_t b0 = *r0++, b1 = *r1++, b2 = *r2++;
            uint32_t m0 = DW_MID(a0, b0), m1 = DW_MID(a1, b1), m2 = DW_MID(a2, b2);
            int32_t t0 = 0, t2 = 0;
            t0 = dory_xp_sdotusp_b(t0, a0, w0);
            t2 = dory_xp_sdotusp_b(t2, m0, w0);
            t0 = dory_xp_sdotusp_b(t0, a1, w1);
            t2 = dory_xp_sdotusp_b(t2, m1, w1);
            t0 = dory_xp_sdotusp_b(t0, a2, w2);
            t2 = dory_xp_sdotusp_b(t2, m2, w2);
            if (s == 1) {
                int32_t t1 = 0, t3 = 0;
                t1 = dory_xp_sdotusp_b(t1, a0, v0);
                t3 = dory_xp_sdotusp_b(t3, m0, v0);
                t1 = dory_xp_sdotusp_b(t1, a1, v1);
                t3 = dory_xp_sdotusp_b(t3, m1, v1);
                t1 = dory_xp_sdotusp_b(t1, a2, v2);
                t3 = dory_xp_sdotusp_b(t3, m2, v2);
                if (DORY_UNLIKELY(n - i < 4)) {
                    yo[0] = DW_OUT(t0);
                    if (n - i > 1) yo[os] = DW_OUT(t1);
                    if (n - i > 2) yo[2 * os] = DW_OUT(t2);
                } else {
                    yo[0] = DW_OUT(t0);
                    yo[os] = DW_OUT(t1);
                    yo[2 * os] = DW_OUT(t2);
                    yo[3 * os] = DW_OUT(t3);
                }
                yo += 4 * os;
            } else {
                yo[0] = DW_OUT(t0);
                if (n - i > 1) yo[os] = DW_OUT(t2);
                yo += 2 * os;
            }
            a0 = b0, a1 = b1, a2 = b2;
        }
    }
}

/* The specialisations, out of line (each keeps its loop's registers). */
typedef void (*dw_fn_t)(const dw_geom_t *, const uint8_t *, const dw_layer_t *, const dw_ch_t *,
                        const dory_dims_t *, uint8_t *);
#define DW_VARIANT(NAME, S, MODE)                                                                  \
    static DORY_NOINLINE DORY_HOT void NAME(const dw_geom_t *g, const uint8_t *pl,                 \
                                            const dw_layer_t *L, const dw_ch_t *q,                 \
                                            const dory_dims_t *out, uint8_t *y)                    \
    {                                                                                              \
        dw_channel(g, pl, L, q, out, y, S, MODE);                                                  \
    }
DW_VARIANT(dwx_s1, 1, DW_RQ_S32)
DW_VARIANT(dwx_s2, 2, DW_RQ_S32)
DW_VARIANT(dwx_s1_fx, 1, DW_RQ_FX)
DW_VARIANT(dwx_s2_fx, 2, DW_RQ_FX)
DW_VARIANT(dwx_s1_any, 1, DW_RQ_ANY)
DW_VARIANT(dwx_s2_any, 2, DW_RQ_ANY)
DW_VARIANT(dwx_s1_64, 1, DW_RQ_S64)
DW_VARIANT(dwx_s2_64, 2, DW_RQ_S64)
#if DORY_XP_MODE != 1 /* else in assembly, below */
DW_VARIANT(dwx_s1_u, 1, DW_RQ_S32U)
DW_VARIANT(dwx_s2_u, 2, DW_RQ_S32U)
DW_VARIANT(dwx_s1_64u, 1, DW_RQ_S64U)
DW_VARIANT(dwx_s2_64u, 2, DW_RQ_S64U)
#else
#define dwx_s1_u   0
#define dwx_s2_u   0
#define dwx_s1_64u 0
#define dwx_s2_64u 0
#endif
static const dw_fn_t dw_fns[DW_NRQ][2] = {{dwx_s1, dwx_s2},       {dwx_s1_u, dwx_s2_u},
                                          {dwx_s1_fx, dwx_s2_fx}, {dwx_s1_any, dwx_s2_any},
                                          {dwx_s1_64, dwx_s2_64}, {dwx_s1_64u, dwx_s2_64u}};

/* DW_RQ_S32U and DW_RQ_S64U in assembly: one call for the channels of a
 * group, every line of each (a hardware loop over pairs of full steps, the
 * words of one step's second load kept as the next step's first: one load
 * per kernel row and step; then an odd step, then the partial last step
 * storing the outputs that exist). The argument (word fields; the assembly
 * advances pl and y line by line, and keeps its counters in it; the C
 * builds fill its channels too, dw_put_u): */
typedef struct {
    const uint8_t *pl; /*  0: row 0 of output line 0 */
    uint8_t *y;        /*  4: output 0 of line 0 */
    uint32_t w[3];     /*  8: lane weights of the kernel rows */
    int32_t e[5];      /* 20: S32U: k, c0 = k * b + l, d; S64U: kl, kh, cl, ch, d - 32 */
} dw_asm_ch_t;
typedef struct {
    int32_t nch;       /*  0: channels (>= 1) */
    int32_t ls;        /*  4: bytes per line */
    int32_t lfix;      /*  8: to the next line's rows from where a line's loads end */
    int32_t nl;        /* 12: output lines (>= 1) */
    int32_t npair;     /* 16: pairs of full steps per line (4 outputs a step at stride 1, 2 at 2) */
    int32_t odd;       /* 20: a full step after the pairs (0, 1) */
    int32_t tail;      /* 24: outputs of the partial last step (0-3, 0-1) */
    int32_t os, yfix;  /* 28, 32: output bytes between outputs; to the next line's */
    int32_t lines;     /* 36: lines left (the assembly's) */
    dw_asm_ch_t *cur;  /* 40: the current channel (the assembly's) */
    dw_asm_ch_t ch[4]; /* 44 */
} dw_asm_t;

/* DW_RQ_S32U (SHIFT32 to [0, 255], no zero point: the layer's mode for
 * every channel): channels c..c+n-1 on planes 0..n-1 as the call's
 * channels 0..n-1, in one loop; the constants are dw_ch_init's, the lane
 * weights from 3 word loads of the channel's 9 bytes (w0 = bytes 0-3, w4 =
 * 4-7, w5 = 5-8): rows (0, 1, 2), (3, 4, 5), (6, 7, 8) or, transposed,
 * columns (0, 3, 6), (1, 4, 7), (2, 5, 8). */
static DORY_NOINLINE void dw_put_u(const dw_geom_t *g, const dw_layer_t *L, dw_asm_t *a, int c,
                                   int n, uint8_t *y)
{
    const uint8_t *wc = (const uint8_t *)L->w + 9L * c, *pl = g->buf;
    uint32_t m = 0x00ffffffu, one = 0x01010101u;
    int j;
    for (j = 0; j < n; j++, c++, wc += 9, pl += g->plane) {
        dw_asm_ch_t *h = &a->ch[j];
        uint32_t w0 = dory__ldw_any(wc), w4 = dory__ldw_any(wc + 4), w5 = dory__ldw_any(wc + 5);
        uint32_t r0, r1, r2;
        int32_t sw, b, k;
        if (g->tr) {
            r0 = dory_xp_shuffle2_b(w0, w4, 0x00060300u) & m;
            r1 = dory_xp_shuffle2_b(w0, w4, 0x00070401u) & m;
            r2 = dory_xp_shuffle2_b(w0, w5, 0x00070402u) & m;
        } else {
            r0 = w0 & m, r1 = dory_xp_shuffle2_b(w0, w4, 0x00050403u) & m, r2 = w5 >> 8;
        }
        sw = dory_xp_sdotsp_b(dory_xp_sdotsp_b(dory_xp_dotsp_b(r0, one), r1, one), r2, one);
        b = (int32_t)((uint32_t)(L->bias ? L->bias[c] : 0) - (uint32_t)L->zx * (uint32_t)sw);
        k = L->k32[L->pc ? c : 0];
        h->pl = pl, h->y = y + c, h->w[0] = r0, h->w[1] = r1, h->w[2] = r2;
        h->e[0] = k, h->e[2] = L->d;
        h->e[1] =
            (int32_t)((uint32_t)k * (uint32_t)b + (uint32_t)(L->l32 ? L->l32[L->pc ? c : 0] : 0));
    }
}

#if DORY_XP_MODE == 1
void dory__dwx_s1u(dw_asm_t *a);
void dory__dwx_s2u(dw_asm_t *a);
void dory__dwx_s1w(dw_asm_t *a);
void dory__dwx_s2w(dw_asm_t *a);
/* Registers: a0 the argument, s0-s2 rows 0-2 (post-incremented), s3-s5 the
 * weight words W, s6-s8 W << 8 (stride 1), s9 the shuffle selector of M,
 * a2 y (post-incremented by a3 = os); a4-a6 and a7, t0, t1 the words A and
 * B of the rows (in turn), then M in place of A; t6 a temporary, ra the
 * counts. S32U: s10 k, s11 c0, a1 d, t2-t5 the accumulators. S64U: s10 kl,
 * s11 kh, a1 ~cl, t4 ch, t5 d - 32, t2, t3 the accumulators, ra a second
 * temporary (the tail's count is reloaded). */
#define DWX_PROLOGUE(NAME)                                                                         \
    ".text\n.balign 4\n.globl " NAME "\n.type " NAME ", @function\n" NAME ":\n"                    \
    "  addi sp, sp, -64\n  sw ra, 60(sp)\n  sw s0, 56(sp)\n  sw s1, 52(sp)\n  sw s2, 48(sp)\n"     \
    "  sw s3, 44(sp)\n  sw s4, 40(sp)\n  sw s5, 36(sp)\n  sw s6, 32(sp)\n  sw s7, 28(sp)\n"        \
    "  sw s8, 24(sp)\n  sw s9, 20(sp)\n  sw s10, 16(sp)\n  sw s11, 12(sp)\n"                       \
    "  addi t6, a0, 44\n  sw t6, 40(a0)\n  lw a3, 28(a0)\n  li s9, 0x05040302\n"
/* A channel's registers (t6: its block), its line count. */
#define DWX_CHANNEL(LOADE)                                                                         \
    "  lw t6, 40(a0)\n  lw t2, 12(a0)\n  lw t3, 4(a0)\n  lw s0, 0(t6)\n  lw a2, 4(t6)\n"           \
    "  lw s3, 8(t6)\n  lw s4, 12(t6)\n  lw s5, 16(t6)\n  sw t2, 36(a0)\n  add s1, s0, t3\n"        \
    "  add s2, s1, t3\n  slli s6, s3, 8\n  slli s7, s4, 8\n  slli s8, s5, 8\n" LOADE
#define DWX_LOADE_U "  lw s10, 20(t6)\n  lw s11, 24(t6)\n  lw a1, 28(t6)\n"
#define DWX_LOADE_W                                                                                \
    "  lw s10, 20(t6)\n  lw s11, 24(t6)\n  lw a1, 28(t6)\n  lw t4, 32(t6)\n  lw t5, 36(t6)\n"      \
    "  not a1, a1\n"
/* A line's full steps: STEP's body has N / 2 instructions; U: 1 where the
 * steps leave t6 alone (S32U). */
#define DWX_LOOPH(STEP, N, U)                                                                      \
    "  DWX_LHEAD " U "\n.option push\n.option norvc\n  " DORY_XP_LP_SETUP(                         \
        0, "ra", N) "  " STEP " a4, a5, a6, a7, t0, t1\n  " STEP                                   \
                    " a7, t0, t1, a4, a5, a6\n.option pop\n"
#define DWX_LOOP(STEP, N, U) DWX_LOOPH(STEP, N, U) "  DWX_LREST " STEP ", " U "\n"
/* The next line (the rows and y moved on from where the line left them),
 * the next channel, the end. */
#define DWX_EPILOGUE(NAME, LINE, CH) DWX_EPILOGUE_X(NAME, LINE, CH, "")
/* X: out-of-line blocks after the return */
#define DWX_EPILOGUE_X(NAME, LINE, CH, X)                                                          \
    "  lw t6, 8(a0)\n  lw t2, 32(a0)\n  lw t3, 36(a0)\n  add s0, s0, t6\n  add s1, s1, t6\n"       \
    "  add s2, s2, t6\n  add a2, a2, t2\n  addi t3, t3, -1\n  sw t3, 36(a0)\n"                     \
    "  bnez t3, " LINE "\n"                                                                        \
    "  lw t6, 40(a0)\n  lw t2, 0(a0)\n  addi t6, t6, 40\n  sw t6, 40(a0)\n  addi t2, t2, -1\n"     \
    "  sw t2, 0(a0)\n  bnez t2, " CH "\n"                                                          \
    "  lw ra, 60(sp)\n  lw s0, 56(sp)\n  lw s1, 52(sp)\n  lw s2, 48(sp)\n  lw s3, 44(sp)\n"        \
    "  lw s4, 40(sp)\n  lw s5, 36(sp)\n  lw s6, 32(sp)\n  lw s7, 28(sp)\n  lw s8, 24(sp)\n"        \
    "  lw s9, 20(sp)\n  lw s10, 16(sp)\n  lw s11, 12(sp)\n  addi sp, sp, 64\n  ret\n" X            \
    ".size " NAME ", .-" NAME "\n"
/* clang-format off */
__asm__(".macro DWX_LD b0, b1, b2\n" /* the next word of each row */
        "  " DORY_XP_T_LW_PI("\\b0", "s0", 4) DORY_XP_T_LW_PI("\\b1", "s1", 4)
        DORY_XP_T_LW_PI("\\b2", "s2", 4)
        ".endm\n"
        ".macro DWX_DOT2 a0, a1, a2, d0, d1\n" /* d0 = A.W, d1 = A.(W << 8) */
        "  " DORY_XP_T_DOTUSP_B("\\d0", "\\a0", "s3") "  " DORY_XP_T_DOTUSP_B("\\d1", "\\a0", "s6")
        "  " DORY_XP_T_SDOTUSP_B("\\d0", "\\a1", "s4") "  " DORY_XP_T_SDOTUSP_B("\\d1", "\\a1", "s7")
        "  " DORY_XP_T_SDOTUSP_B("\\d0", "\\a2", "s5") "  " DORY_XP_T_SDOTUSP_B("\\d1", "\\a2", "s8")
        ".endm\n"
        ".macro DWX_DOT1 a0, a1, a2, d0\n" /* d0 = A.W */
        "  " DORY_XP_T_DOTUSP_B("\\d0", "\\a0", "s3") "  " DORY_XP_T_SDOTUSP_B("\\d0", "\\a1", "s4")
        "  " DORY_XP_T_SDOTUSP_B("\\d0", "\\a2", "s5")
        ".endm\n"
        ".macro DWX_MID a0, a1, a2, b0, b1, b2\n" /* A := M(A, B) */
        "  " DORY_XP_T_SHUFFLE2_B("\\a0", "\\b0", "s9") "  " DORY_XP_T_SHUFFLE2_B("\\a1", "\\b1", "s9")
        "  " DORY_XP_T_SHUFFLE2_B("\\a2", "\\b2", "s9")
        ".endm\n"
        ".macro DWX_OUTU acc\n" /* 4: (k * acc + c0) >> d (p.addNr) to [0, 255], stored */
        "  mul t6, \\acc, s10\n  " DORY_XP_T_ADDNR("t6", "s11", "a1")
        "  " DORY_XP_T_CLIPU("t6", "t6", 9) "  " DORY_XP_T_SB_RPI("t6", "a2", "a3")
        ".endm\n"
        ".macro DWX_MULU acc\n" /* the full steps' epilogue: every mul first (none waited for) */
        "  mul \\acc, \\acc, s10\n"
        ".endm\n"
        ".macro DWX_FINU acc\n" /* then (acc + c0) >> d to [0, 255], stored */
        "  " DORY_XP_T_ADDNR("\\acc", "s11", "a1")
        "  " DORY_XP_T_CLIPU("\\acc", "\\acc", 9) "  " DORY_XP_T_SB_RPI("\\acc", "a2", "a3")
        ".endm\n"
        ".macro DWX_OUTW acc\n" /* 8: dory__s64_step's high word, clamped, stored */
        "  mul ra, \\acc, s10\n  mulhsu t6, \\acc, s10\n  sltu ra, a1, ra\n" /* carry: ~cl < lo(acc kl) */
        "  " DORY_XP_T_MAC("t6", "\\acc", "s11") "  add t6, t6, ra\n"
        "  " DORY_XP_T_ADDNR("t6", "t4", "t5")
        "  " DORY_XP_T_CLIPU("t6", "t6", 9) "  " DORY_XP_T_SB_RPI("t6", "a2", "a3")
        ".endm\n"
        /* stride 1: one step, 4 outputs (34 and 50 instructions) */
        ".macro DWX_STEP1U a0, a1, a2, b0, b1, b2\n"
        "  DWX_LD \\b0, \\b1, \\b2\n  DWX_DOT2 \\a0, \\a1, \\a2, t2, t3\n"
        "  DWX_MID \\a0, \\a1, \\a2, \\b0, \\b1, \\b2\n  DWX_DOT2 \\a0, \\a1, \\a2, t4, t5\n"
        "  DWX_MULU t2\n  DWX_MULU t3\n  DWX_MULU t4\n  DWX_MULU t5\n"
        "  DWX_FINU t2\n  DWX_FINU t3\n  DWX_FINU t4\n  DWX_FINU t5\n"
        ".endm\n"
        ".macro DWX_STEP1W a0, a1, a2, b0, b1, b2\n"
        "  DWX_LD \\b0, \\b1, \\b2\n  DWX_DOT2 \\a0, \\a1, \\a2, t2, t3\n"
        "  DWX_OUTW t2\n  DWX_OUTW t3\n"
        "  DWX_MID \\a0, \\a1, \\a2, \\b0, \\b1, \\b2\n  DWX_DOT2 \\a0, \\a1, \\a2, t2, t3\n"
        "  DWX_OUTW t2\n  DWX_OUTW t3\n"
        ".endm\n"
        /* stride 2: one step, 2 outputs (20 and 28 instructions) */
        ".macro DWX_STEP2U a0, a1, a2, b0, b1, b2\n"
        "  DWX_LD \\b0, \\b1, \\b2\n  DWX_DOT1 \\a0, \\a1, \\a2, t2\n"
        "  DWX_MID \\a0, \\a1, \\a2, \\b0, \\b1, \\b2\n  DWX_DOT1 \\a0, \\a1, \\a2, t3\n"
        "  DWX_MULU t2\n  DWX_MULU t3\n  DWX_FINU t2\n  DWX_FINU t3\n"
        ".endm\n"
        ".macro DWX_STEP2W a0, a1, a2, b0, b1, b2\n"
        "  DWX_LD \\b0, \\b1, \\b2\n  DWX_DOT1 \\a0, \\a1, \\a2, t2\n"
        "  DWX_MID \\a0, \\a1, \\a2, \\b0, \\b1, \\b2\n  DWX_DOT1 \\a0, \\a1, \\a2, t3\n"
        "  DWX_OUTW t2\n  DWX_OUTW t3\n"
        ".endm\n"
        /* a line: A loaded, then (DWX_LOOP) pairs of steps in a hardware
           loop, the odd step (A back in a4-a6), the tail from label 2 on
           (it ends at label 3, ra its count); u: the odd count in t6 and
           the tail's loaded early (no load-use stall) */
        ".macro DWX_LHEAD u\n"
        "  lw ra, 16(a0)\n  .if \\u\n  lw t6, 20(a0)\n  .endif\n  DWX_LD a4, a5, a6\n  beqz ra, 1f\n"
        ".endm\n"
        ".macro DWX_LREST STEP, u\n"
        "1:\n  .if \\u\n  lw ra, 24(a0)\n  beqz t6, 2f\n  .else\n  lw ra, 20(a0)\n  beqz ra, 2f\n"
        "  .endif\n"
        "  \\STEP a4, a5, a6, a7, t0, t1\n  mv a4, a7\n  mv a5, t0\n  mv a6, t1\n"
        "2:\n  .if \\u == 0\n  lw ra, 24(a0)\n  .endif\n  beqz ra, 3f\n"
        ".endm\n");
__asm__(DWX_PROLOGUE("dory__dwx_s1u")
        ".Ldwx_s1u_ch:\n" DWX_CHANNEL(DWX_LOADE_U)
        ".Ldwx_s1u_line:\n"
        DWX_LOOPH("DWX_STEP1U", 68, "1")
        /* the odd step and tails of 2 or 3 outputs out of line (6, 7):
           no taken branch where there is no odd step and a tail of one
           output (its 3 dot products) or none */
        "1:\n  lw ra, 24(a0)\n  bnez t6, 6f\n"
        "2:\n  beqz ra, 3f\n  addi ra, ra, -1\n  bnez ra, 7f\n"
        "  DWX_DOT1 a4, a5, a6, t2\n  DWX_OUTU t2\n"
        "3:\n"
        DWX_EPILOGUE_X("dory__dwx_s1u", ".Ldwx_s1u_line", ".Ldwx_s1u_ch",
        "6:\n  DWX_STEP1U a4, a5, a6, a7, t0, t1\n  mv a4, a7\n  mv a5, t0\n  mv a6, t1\n  j 2b\n"
        "7:\n  DWX_DOT2 a4, a5, a6, t2, t3\n  DWX_OUTU t2\n"
        "  DWX_OUTU t3\n  addi ra, ra, -1\n  beqz ra, 3b\n"
        "  DWX_LD a7, t0, t1\n  DWX_MID a4, a5, a6, a7, t0, t1\n  DWX_DOT1 a4, a5, a6, t4\n"
        "  DWX_OUTU t4\n  j 3b\n"));
__asm__(DWX_PROLOGUE("dory__dwx_s1w")
        ".Ldwx_s1w_ch:\n" DWX_CHANNEL(DWX_LOADE_W)
        ".Ldwx_s1w_line:\n"
        DWX_LOOPH("DWX_STEP1W", 100, "0")
        /* as dory__dwx_s1u's (DWX_OUTW takes ra as a temporary: the tail's
           count reloaded) */
        "1:\n  lw ra, 20(a0)\n  bnez ra, 6f\n"
        "2:\n  lw ra, 24(a0)\n  beqz ra, 3f\n  addi ra, ra, -1\n  bnez ra, 7f\n"
        "  DWX_DOT1 a4, a5, a6, t2\n  DWX_OUTW t2\n"
        "3:\n"
        DWX_EPILOGUE_X("dory__dwx_s1w", ".Ldwx_s1w_line", ".Ldwx_s1w_ch",
        "6:\n  DWX_STEP1W a4, a5, a6, a7, t0, t1\n  mv a4, a7\n  mv a5, t0\n  mv a6, t1\n  j 2b\n"
        "7:\n  DWX_DOT2 a4, a5, a6, t2, t3\n  DWX_OUTW t2\n"
        "  DWX_OUTW t3\n  lw ra, 24(a0)\n  addi ra, ra, -2\n  beqz ra, 3b\n"
        "  DWX_LD a7, t0, t1\n  DWX_MID a4, a5, a6, a7, t0, t1\n  DWX_DOT1 a4, a5, a6, t2\n"
        "  DWX_OUTW t2\n  j 3b\n"));
__asm__(DWX_PROLOGUE("dory__dwx_s2u")
        ".Ldwx_s2u_ch:\n" DWX_CHANNEL(DWX_LOADE_U)
        ".Ldwx_s2u_line:\n"
        DWX_LOOP("DWX_STEP2U", 40, "1")
        "  DWX_DOT1 a4, a5, a6, t2\n  DWX_OUTU t2\n"
        "3:\n"
        DWX_EPILOGUE("dory__dwx_s2u", ".Ldwx_s2u_line", ".Ldwx_s2u_ch"));
__asm__(DWX_PROLOGUE("dory__dwx_s2w")
        ".Ldwx_s2w_ch:\n" DWX_CHANNEL(DWX_LOADE_W)
        ".Ldwx_s2w_line:\n"
        DWX_LOOP("DWX_STEP2W", 56, "0")
        "  DWX_DOT1 a4, a5, a6, t2\n  DWX_OUTW t2\n"
        "3:\n"
        DWX_EPILOGUE("dory__dwx_s2w", ".Ldwx_s2w_line", ".Ldwx_s2w_ch")
        ".purgem DWX_LD\n.purgem DWX_DOT2\n.purgem DWX_DOT1\n.purgem DWX_MID\n"
        ".purgem DWX_OUTU\n.purgem DWX_MULU\n.purgem DWX_FINU\n.purgem DWX_OUTW\n.purgem DWX_STEP1U\n.purgem DWX_STEP1W\n"
        ".purgem DWX_STEP2U\n.purgem DWX_STEP2W\n.purgem DWX_LHEAD\n.purgem DWX_LREST\n");
/* clang-format on */

/* Channel q (mode DW_RQ_S32U or DW_RQ_S64U) as channel j of the call, plane
 * pl, outputs y + its channel. */
DORY_INLINE void dwx_put(dw_asm_t *a, int j, const dw_ch_t *q, int mode, int d, const uint8_t *pl,
                         uint8_t *y)
{
    dw_asm_ch_t *c = &a->ch[j];
    c->pl = pl, c->y = y + q->c;
    memcpy(c->w, q->wl, sizeof c->w);
    if (mode == DW_RQ_S64U)
        memcpy(c->e, &q->u.s64, sizeof q->u.s64), c->e[4] = d - 32;
    else
        c->e[0] = q->k, c->e[1] = q->c0, c->e[2] = d;
}

/* The lines' geometry of the calls (once per kernel call: the assembly
 * leaves these fields as they are). */
static DORY_NOINLINE void dwx_geom(const dw_geom_t *g, dw_asm_t *a, const dory_dims_t *out)
{
    int ys = dory__cstride(out), len = g->tr ? out->h : out->w, s = g->s, per = s == 1 ? 4 : 2;
    int nfull = len / per, tail = len % per, os = g->tr ? out->w * ys : ys;
    a->ls = g->ls, a->nl = g->tr ? out->w : out->h;
    a->npair = nfull / 2, a->odd = nfull % 2, a->tail = tail;
    /* a line loads 4 bytes a step after its first word (the tail's step
     * only for its third output) and stores len outputs */
    a->lfix = s * g->ls - 4 * (1 + nfull + (tail == 3));
    a->os = os, a->yfix = (g->tr ? ys : out->w * ys) - len * os;
}

/* The n channels put in a, in one call (dwx_geom done). */
DORY_INLINE void dwx_call(dw_asm_t *a, int n, int mode, int s)
{
    a->nch = n;
    if (mode == DW_RQ_S64U)
        (s == 1 ? dory__dwx_s1w : dory__dwx_s2w)(a);
    else
        (s == 1 ? dory__dwx_s1u : dory__dwx_s2u)(a);
}
#endif

/* Planes per group: up to 4 whose bytes, and a word of over-read slack,
 * fit the scratch. */
static int dw_setup(const dory_ctx_t *ctx, const dory_conv_params_t *p, const dory_dims_t *in,
                    const dory_dims_t *out, dw_geom_t *g)
{
    int n = dw_planes(p, in, out, ctx->size, g);
    g->buf = (uint8_t *)ctx->buf;
    if (!g->buf || ((uintptr_t)g->buf & 3)) return 0;
    return n;
}

/* Byte (iy, ix) of the padded input in a plane. */
DORY_INLINE long dw_at(const dw_geom_t *g, int iy, int ix)
{
    return g->tr ? (long)ix * g->ls + iy : (long)iy * g->ls + ix;
}

/* n words z4 from d. */
static void dw_words(uint32_t *d, uint32_t z4, long n)
{
    long i;
    for (i = 0; i + 2 <= n; i += 2) d[i] = z4, d[i + 1] = z4;
    if (i < n) d[i] = z4;
}

/* The padding of nplanes planes (the unsigned zero point) and the slack
 * word after them: where nv > 0 (every group copied by dw_fill4, whose
 * stores cover each of the nv data lines of a plane whole, padding slots
 * included) only the lines before and after them; else all of each plane,
 * whose pixels dw_fill rewrites for every group of channels. By words: the
 * buffer is aligned, lines are whole words (memset goes byte by byte on
 * the cluster's library). */
static DORY_NOINLINE void dw_pad(const dw_geom_t *g, int nplanes, uint8_t zx, int nv)
{
    uint32_t *d = (uint32_t *)(void *)g->buf, z4 = 0x01010101u * zx;
    long n = ((nplanes - 1) * g->plane + (long)g->nl * g->ls + 4) / 4, lw = g->ls / 4;
    int j;
    if (nv <= 0) {
        dw_words(d, z4, n);
        return;
    }
    for (j = 0; j < nplanes; j++) {
        uint32_t *pj = d + j * (g->plane / 4);
        dw_words(pj, z4, g->pbv * lw);
        dw_words(pj + (g->pbv + nv) * lw, z4, (g->nl - g->pbv - nv) * lw);
    }
    d[n - 1] = z4;
}

/* p_j = (P0[j], P1[j], P2[j], P3[j]): 4 pixels of 4 channels to 4 words of
 * one channel each. */
#define DW_T4(p0, p1, p2, p3)                                                                      \
    do {                                                                                           \
        uint32_t t0_ = dory_xp_shuffle2_b(p0, p1, 0x05010400u); /* p0_0 p1_0 p0_1 p1_1 */          \
        uint32_t t1_ = dory_xp_shuffle2_b(p0, p1, 0x07030602u); /* p0_2 p1_2 p0_3 p1_3 */          \
        uint32_t t2_ = dory_xp_shuffle2_b(p2, p3, 0x05010400u);                                    \
        uint32_t t3_ = dory_xp_shuffle2_b(p2, p3, 0x07030602u);                                    \
        p0 = dory_xp_pack_h(t2_, t0_), p1 = dory_xp_shuffle2_b(t0_, t2_, 0x07060302u);             \
        p2 = dory_xp_pack_h(t3_, t1_), p3 = dory_xp_shuffle2_b(t1_, t3_, 0x07060302u);             \
    } while (0)

/* Channels c..c+3 of the HWC input into planes 0..3, 4 pixels of a line at
 * a time: 4 word loads, a 4x4 byte transpose (DW_T4), one aligned word
 * store per plane. The 4 slots of a block are 4 consecutive padded
 * positions from a word boundary: the first block starts pbu % 4 slots
 * before the line's first pixel, and the slots before it and after the last
 * pixel take the padding word, so every stored word is whole (no byte
 * realignment). Per line: a head block (where pbu % 4 > 0), the full
 * blocks, a tail block (where the pixels left are not a multiple of 4). */
typedef struct {
    const uint8_t *src; /*  0: pixel 0 of line 0, channel c */
    int32_t su;         /*  4: source bytes from a pixel to the next of its line */
    int32_t sfix;       /*  8: to the next line's pixel 0 from where a line's loads end */
    int32_t plane;      /* 12: bytes between planes */
    uint8_t *dst;       /* 16: plane 0's word of line 0 that takes slot 0 */
    int32_t dfix;       /* 20: to the next line's word from where a line's stores end */
    int32_t nv;         /* 24: lines (>= 1) */
    int32_t mh;         /* 28: the head block's slots from the source (bit j: slot j); 0: none */
    int32_t nmid;       /* 32: full blocks after it */
    int32_t mt;         /* 36: the tail block's slots from the source; 0: none */
    uint32_t fill;      /* 40: the padding word */
} dw_fill4_t;

/* The copy's argument for channels c..c+3 (x + c and the pixel strides
 * word-aligned); 0 where there is nothing to copy. */
static int dw_fill4_args(const dw_geom_t *g, const dory_dims_t *in, const uint8_t *x, int c,
                         uint8_t zx, dw_fill4_t *a)
{
    int cs = dory__cstride(in), nv = g->tr ? in->w : in->h, nu = g->tr ? in->h : in->w;
    int r = g->pbu & 3, rest;
    long su = g->tr ? (long)in->w * cs : cs, sv = g->tr ? cs : (long)in->w * cs;
    if (nv < 1 || nu < 1) return 0;
    if (!r)
        a->mh = 0, rest = nu;
    else if (r + nu <= 4)
        a->mh = ((1 << nu) - 1) << r, rest = 0;
    else
        a->mh = 0xf & ~((1 << r) - 1), rest = nu - (4 - r);
    a->nmid = rest / 4, a->mt = (1 << (rest % 4)) - 1;
    a->src = x + c, a->su = (int32_t)su, a->sfix = (int32_t)(sv - nu * su);
    a->plane = (int32_t)g->plane, a->dst = g->buf + (long)g->pbv * g->ls + (g->pbu - r);
    a->dfix = g->ls - 4 * ((a->mh != 0) + a->nmid + (a->mt != 0));
    a->nv = nv, a->fill = 0x01010101u * zx;
    return 1;
}

/* p_j = (P0[j], P1[j], P2[j], P3[j]): 4 pixels of 4 channels to 4 words of
 * one channel each. */
#define DW_T4(p0, p1, p2, p3)                                                                      \
    do {                                                                                           \
        uint32_t t0_ = dory_xp_shuffle2_b(p0, p1, 0x05010400u); /* p0_0 p1_0 p0_1 p1_1 */          \
        uint32_t t1_ = dory_xp_shuffle2_b(p0, p1, 0x07030602u); /* p0_2 p1_2 p0_3 p1_3 */          \
        uint32_t t2_ = dory_xp_shuffle2_b(p2, p3, 0x05010400u);                                    \
        uint32_t t3_ = dory_xp_shuffle2_b(p2, p3, 0x07030602u);                                    \
        p0 = dory_xp_pack_h(t2_, t0_), p1 = dory_xp_shuffle2_b(t0_, t2_, 0x07060302u);             \
        p2 = dory_xp_pack_h(t3_, t1_), p3 = dory_xp_shuffle2_b(t1_, t3_, 0x07060302u);             \
    } while (0)

/* The copy in C, XOR f (i8 inputs: 0x80); dory__dwx_fill4 is its assembly
 * for u8 inputs on the cluster. */
static DORY_NOINLINE DORY_HOT void dw_fill4_c(const dw_fill4_t *a, const uint8_t f)
{
    const uint8_t *s = a->src;
    uint8_t *d = a->dst;
    uint32_t f4 = 0x01010101u * f, pad = a->fill ^ f4;
    int nb = (a->mh != 0) + a->nmid + (a->mt != 0), pw4 = a->plane / 4, v, i, j;
    for (v = 0; v < a->nv; v++, s += a->sfix, d += 4 * nb + a->dfix) {
        uint32_t *w = (uint32_t *)(void *)d;
        for (i = 0; i < nb; i++) {
            int m = i == 0 && a->mh ? a->mh : i == nb - 1 && a->mt ? a->mt : 0xf;
            uint32_t q[4];
            for (j = 0; j < 4; j++) {
                q[j] = pad;
                if (m >> j & 1) q[j] = dory__ldw_any(s), s += a->su;
            }
            DW_T4(q[0], q[1], q[2], q[3]);
            for (j = 0; j < 4; j++) w[j * pw4 + i] = q[j] ^ f4;
        }
    }
}

#if DORY_XP_MODE == 1
void dory__dwx_fill4(const dw_fill4_t *a);
/* Registers: a0 the argument, a1 the source (post-incremented by a2 = su),
 * a3-a6 planes 0-3 (post-incremented by 4), a7 the padding word, t0-t3 the
 * slots' words (pixels, then planes), t4, t5 the transpose's temporaries,
 * t6 a mask or count, s0-s2 the shuffle selectors, s3 the lines left. The
 * full blocks in a hardware loop: 4 p.lw post-incremented by the pixel
 * stride, the transpose, 4 p.sw (18 instructions). */
/* clang-format off */
__asm__(".macro DWF_SLOT p, bit\n" /* a slot: the next pixel or the padding word */
        "  mv \\p, a7\n  andi t4, t6, \\bit\n  beqz t4, 9f\n  " DORY_XP_T_LW_RPI("\\p", "a1", "a2")
        "9:\n"
        ".endm\n"
        ".macro DWF_T4S\n" /* t0-t3: 4 pixels of 4 channels -> 4 words of one channel, stored */
        "  mv t4, t0\n  " DORY_XP_T_SHUFFLE2_B("t4", "t1", "s0")      /* p0_0 p1_0 p0_1 p1_1 */
        "  " DORY_XP_T_SHUFFLE2_B("t0", "t1", "s1")                   /* p0_2 p1_2 p0_3 p1_3 */
        "  mv t5, t2\n  " DORY_XP_T_SHUFFLE2_B("t5", "t3", "s0")
        "  " DORY_XP_T_SHUFFLE2_B("t2", "t3", "s1")
        "  " DORY_XP_T_PACK_H("t1", "t5", "t4")                       /* channel 0 */
        "  " DORY_XP_T_SHUFFLE2_B("t4", "t5", "s2")                   /* channel 1 */
        "  " DORY_XP_T_PACK_H("t3", "t2", "t0")                       /* channel 2 */
        "  " DORY_XP_T_SHUFFLE2_B("t0", "t2", "s2")                   /* channel 3 */
        "  " DORY_XP_T_SW_PI("t1", "a3", 4) "  " DORY_XP_T_SW_PI("t4", "a4", 4)
        "  " DORY_XP_T_SW_PI("t3", "a5", 4) "  " DORY_XP_T_SW_PI("t0", "a6", 4)
        ".endm\n"
        ".macro DWF_PART\n" /* a partial block, t6 its mask */
        "  DWF_SLOT t0, 1\n  DWF_SLOT t1, 2\n  DWF_SLOT t2, 4\n  DWF_SLOT t3, 8\n  DWF_T4S\n"
        ".endm\n"
        ".text\n.balign 4\n.globl dory__dwx_fill4\n.type dory__dwx_fill4, @function\n"
        "dory__dwx_fill4:\n"
        "  addi sp, sp, -16\n  sw s0, 12(sp)\n  sw s1, 8(sp)\n  sw s2, 4(sp)\n  sw s3, 0(sp)\n"
        "  lw a1, 0(a0)\n  lw a2, 4(a0)\n  lw t6, 12(a0)\n  lw a3, 16(a0)\n  lw s3, 24(a0)\n"
        "  lw a7, 40(a0)\n  add a4, a3, t6\n  add a5, a4, t6\n  add a6, a5, t6\n"
        "  li s0, 0x05010400\n  li s1, 0x07030602\n  li s2, 0x07060302\n"
        ".Ldwf_line:\n"
        "  lw t6, 28(a0)\n  beqz t6, 1f\n  DWF_PART\n"
        "1:\n  lw t6, 32(a0)\n  beqz t6, 2f\n"
        ".option push\n.option norvc\n  " DORY_XP_LP_SETUP(0, "t6", 18)
        "  " DORY_XP_T_LW_RPI("t0", "a1", "a2") "  " DORY_XP_T_LW_RPI("t1", "a1", "a2")
        "  " DORY_XP_T_LW_RPI("t2", "a1", "a2") "  " DORY_XP_T_LW_RPI("t3", "a1", "a2")
        "  DWF_T4S\n"
        ".option pop\n"
        "2:\n  lw t6, 36(a0)\n  beqz t6, 3f\n  DWF_PART\n"
        "3:\n  lw t6, 8(a0)\n  add a1, a1, t6\n  lw t6, 20(a0)\n  add a3, a3, t6\n"
        "  add a4, a4, t6\n  add a5, a5, t6\n  add a6, a6, t6\n  addi s3, s3, -1\n"
        "  bnez s3, .Ldwf_line\n"
        "  lw s0, 12(sp)\n  lw s1, 8(sp)\n  lw s2, 4(sp)\n  lw s3, 0(sp)\n  addi sp, sp, 16\n  ret\n"
        ".size dory__dwx_fill4, .-dory__dwx_fill4\n"
        ".purgem DWF_SLOT\n.purgem DWF_T4S\n.purgem DWF_PART\n");
/* clang-format on */
#endif

/* The copy of a (XOR f). */
DORY_INLINE void dw_fill4_run(const dw_fill4_t *a, uint8_t f)
{
#if DORY_XP_MODE == 1
    if (!f) {
        dory__dwx_fill4(a);
        return;
    }
#endif
    dw_fill4_c(a, f);
}
/* Channels c..c+nc-1 of the HWC input into planes 0..nc-1 (XOR f): one
 * word load per pixel where x + c and the pixel stride are word-aligned
 * (then c + 4 <= the stride: the word is the pixel's), else byte by byte. */
static DORY_NOINLINE void dw_fill(const dw_geom_t *g, const dory_dims_t *in, const uint8_t *x,
                                  int c, int nc, uint8_t f)
{
    int cs = dory__cstride(in), iy, ix, j;
    int words = !((uintptr_t)(x + c) & 3) && !(cs & 3);
    long pls = g->plane, dstep = g->tr ? g->ls : 1;
    for (iy = 0; iy < in->h; iy++) {
        const uint8_t *s = x + (long)iy * in->w * cs + c;
        uint8_t *d = g->buf + dw_at(g, iy + g->pt, g->pl);
        if (words) {
            for (ix = 0; ix < in->w; ix++, s += cs, d += dstep) {
                uint32_t v = *(const uint32_t *)(const void *)s ^ 0x01010101u * f;
                for (j = 0; j < nc; j++) d[j * pls] = (uint8_t)(v >> (8 * j));
            }
        } else {
            for (ix = 0; ix < in->w; ix++, s += cs, d += dstep)
                for (j = 0; j < nc; j++) d[j * pls] = s[j] ^ f;
        }
    }
}

/* dory__s64_init's words and answer for amax = 293760 (19 bits) without
 * its bit counts (library calls on rv32imc), where each bound's test is a
 * compare: |k| < 2^43 and |b| < 2^19 pass the two products' tests, |l| <
 * 2^62 and |L| < 2^(61 - d) the others; -1 where one is not that simple
 * (the caller asks dory__s64_init). */
static int dw_s64_quick(const dory_requant_t *rq, int c, int64_t b, int64_t L, int d,
                        dory__s64_t *e)
{
    int i = rq->per_channel ? c : 0;
    int64_t k = rq->k64[i], l = rq->l64 ? rq->l64[i] : 0;
    uint64_t ak = dory__abs64(k), aL = dory__abs64(L), x;
    if ((ak >> 43) | (dory__abs64(b) >> 19) | (dory__abs64(l) >> 62) | (aL >> (61 - d))) return -1;
    x = (uint64_t)k * (uint64_t)b + (uint64_t)l;
    dory__s64_set(e, (uint64_t)k, x - ((uint64_t)L << d));
    return !((ak * 293760u + dory__abs64((int64_t)x) + (aL << d)) >> 63);
}

/* SHIFT64 of channel c (b exact: b64): its words with b folded
 * (DW_RQ_S64); where the output is u8's full range [0, 255], d is 32..52
 * and dory__s64_init proves |X| < 2^63 for every dot (|dot| <= 9 * 255 *
 * 128) with the lower bound L = lo - zp folded as well, those words
 * (DW_RQ_S64U: clamp(X >> d, 0, 255) is the byte, X's high word >> (d - 32)
 * in the assembly). Other bounds without dory__s64_bounds_ok: DW_RQ_ANY. */
static DORY_NOINLINE int dw_s64_init(const dw_layer_t *L, int c, int64_t b64, dw_ch_t *q)
{
    const dory_requant_t *rq = &L->p->out.rq;
    int d = L->d;
    if (L->lo == 0 && L->hi == 255 && d >= 32 && d <= 52) {
        int64_t lb = (int64_t)L->lo - L->zp;
        int ok = dw_s64_quick(rq, c, b64, lb, d, &q->u.s64);
        if (ok < 0) ok = dory__s64_init(rq, c, b64, lb, 293760u, &q->u.s64);
        if (ok) return DW_RQ_S64U;
    }
    if (!dory__s64_bounds_ok(&L->p->out)) return DW_RQ_ANY;
    dory__s64_init(rq, c, b64, 0, 0, &q->u.s64);
    return DW_RQ_S64;
}

/* The layer's constants. */
static void dw_layer_init(const dory_conv_params_t *p, const int8_t *w, const int32_t *bias,
                          dw_layer_t *L)
{
    const dory_out_params_t *o = &p->out;
    int64_t lo = (int64_t)o->lo - o->zp, hi = (int64_t)o->hi - o->zp;
    L->p = p, L->w = w, L->bias = bias, L->zx = dory__zx_u(p);
    L->sch = o->rq.scheme, L->pc = o->rq.per_channel, L->d = o->rq.d;
    L->k32 = o->rq.k32, L->l32 = o->rq.l32;
    L->lo = o->lo, L->hi = o->hi, L->zp = o->zp;
    L->elo = (int32_t)(lo < INT32_MIN ? INT32_MIN : lo > INT32_MAX ? INT32_MAX : lo);
    L->ehi = (int32_t)(hi < INT32_MIN ? INT32_MIN : hi > INT32_MAX ? INT32_MAX : hi);
}

/* Channel c's constants; returns its mode. */
static DORY_NOINLINE int dw_ch_init(const dw_geom_t *g, const dw_layer_t *L, int c, dw_ch_t *q)
{
    const int8_t *wc = L->w + (long)c * 9;
    int32_t bc = L->bias ? L->bias[c] : 0, sw;
    int r, i = L->pc ? c : 0, st = g->tr ? 3 : 1, sr = g->tr ? 1 : 3;
    q->c = c;
    for (r = 0; r < 3; r++) /* tap (r, t): kernel row r (or column, transposed) */
        q->wl[r] = (uint32_t)(uint8_t)wc[sr * r] | (uint32_t)(uint8_t)wc[sr * r + st] << 8 |
                   (uint32_t)(uint8_t)wc[sr * r + 2 * st] << 16;
    sw = dory_xp_sdotsp_b(
        dory_xp_sdotsp_b(dory_xp_dotsp_b(q->wl[0], 0x01010101u), q->wl[1], 0x01010101u), q->wl[2],
        0x01010101u);
    q->b = (int32_t)((uint32_t)bc - (uint32_t)L->zx * (uint32_t)sw);
    if (L->sch == DORY_RQ_SHIFT32) {
        q->k = L->k32[i];
        q->c0 = (int32_t)((uint32_t)q->k * (uint32_t)q->b + (uint32_t)(L->l32 ? L->l32[i] : 0));
        return L->elo == 0 && L->ehi == 255 && L->zp == 0 ? DW_RQ_S32U : DW_RQ_S32;
    }
    if (L->sch == DORY_RQ_SHIFT64) return dw_s64_init(L, c, (int64_t)bc - (int64_t)L->zx * sw, q);
    if (L->sch == DORY_RQ_FIXED) {
        dory__fx_load(&L->p->out, c, &q->u.fx);
        return DW_RQ_FX;
    }
    return DW_RQ_ANY;
}

int dory__dw3x3_xpulp(const dory_ctx_t *ctx, const dory_conv_params_t *p, const dory_dims_t *in,
                      const void *x, const int8_t *w, const int32_t *bias, const dory_dims_t *out,
                      void *y)
{
    dw_geom_t g;
    dw_layer_t L;
    dw_ch_t q;
    dw_asm_t a;
    dw_fill4_t fa;
    int s = p->stride_h, c0, c1, c, j, np, u, f4;
    uint8_t f = dory__flip(p->in_type);
    if (!dory__wzp_all_zero(p->w_zp, p->w_zp_per_channel, out->c)) return 1;
    np = dw_setup(ctx, p, in, out, &g);
    if (!dw_takes(p, np)) return 1;
    dw_layer_init(p, w, bias, &L);
    u = L.sch == DORY_RQ_SHIFT32 && L.elo == 0 && L.ehi == 255 && L.zp == 0;
    memset(&q, 0, sizeof q);
    dory__split(out->c, ctx, &c0, &c1);
    if (c0 >= c1) return DORY_OK;
    /* groups of 4 channels by dw_fill4 where x + c0 and the pixel stride are
     * word-aligned (then so is every group's x + c), its argument set once;
     * where its stores cover the data lines whole (first block at a line's
     * byte 0, dfix 0) and every group takes it, only the padding lines are
     * written before */
    f4 = np == 4 && !((uintptr_t)((const uint8_t *)x + c0) & 3) && !(dory__cstride(in) & 3) &&
         dw_fill4_args(&g, in, (const uint8_t *)x, c0, (uint8_t)L.zx, &fa);
    dw_pad(&g, np, (uint8_t)L.zx, f4 && !((c1 - c0) & 3) && g.pbu < 4 && !fa.dfix ? fa.nv : 0);
#if DORY_XP_MODE == 1
    dwx_geom(&g, &a, out);
#endif
    for (c = c0; c < c1; c += np) {
        int nc = c1 - c < np ? c1 - c : np;
#if DORY_XP_MODE == 1
        int na = 0, am = 0;
#endif
        if (f4 && nc == 4)
            fa.src = (const uint8_t *)x + c, dw_fill4_run(&fa, f);
        else
            dw_fill(&g, in, (const uint8_t *)x, c, nc, f);
        if (u) {
            dw_put_u(&g, &L, &a, c, nc, (uint8_t *)y);
#if DORY_XP_MODE == 1
            dwx_call(&a, nc, DW_RQ_S32U, s);
#else
            for (j = 0; j < nc; j++) {
                q.c = c + j, q.k = a.ch[j].e[0], q.c0 = a.ch[j].e[1];
                memcpy(q.wl, a.ch[j].w, sizeof q.wl);
                dw_fns[DW_RQ_S32U][s - 1](&g, a.ch[j].pl, &L, &q, out, (uint8_t *)y + c + j);
            }
#endif
            continue;
        }
        for (j = 0; j < nc; j++) {
            int m = dw_ch_init(&g, &L, c + j, &q);
            const uint8_t *pl = g.buf + j * g.plane;
#if DORY_XP_MODE == 1
            if (m == DW_RQ_S32U || m == DW_RQ_S64U) { /* the assembly, once for the group */
                dwx_put(&a, na++, &q, m, L.d, pl, (uint8_t *)y);
                am = m;
                continue;
            }
#endif
            dw_fns[m][s - 1](&g, pl, &L, &q, out, (uint8_t *)y + c + j);
        }
#if DORY_XP_MODE == 1
        if (na) dwx_call(&a, na, am, s);
#endif
    }
    return DORY_OK;
}

#endif

int dory_dwconv3x3_s8_xpulp(const dory_conv_params_t *p, const dory_dims_t *in,
                            const dory_dims_t *out, int32_t scratch)
{
    dw_geom_t g;
    return dory__wzp_all_zero(p->w_zp, p->w_zp_per_channel, out->c) &&
           dw_takes(p, dw_planes(p, in, out, scratch, &g));
}
