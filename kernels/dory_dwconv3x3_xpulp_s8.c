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
 * 2^32, one p.mac) and the clamp as p.max / p.min; FIXED through the 32-bit
 * dory__fx_apply; every other scheme through dory__epi.
 *
 * Taken where every weight zero point is 0 (w - zw would not fit a lane);
 * otherwise dory_dwconv3x3_s8's portable paths run. Work split: channels,
 * so the bytes are the same for any core count. Compiled where
 * DORY__MM_XPULP (dory_internal.h); elsewhere this file is empty. No
 * allocation; nothing from src/.
 */
#include "dory_internal.h"

#if DORY__MM_XPULP

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

/* The epilogue: SHIFT32 with the clamp as p.max / p.min and the zero point,
 * SHIFT32 to [0, 255] without a zero point (p.clipu), FIXED, any other. */
enum { DW_RQ_S32 = 0, DW_RQ_S32U = 1, DW_RQ_FX = 2, DW_RQ_ANY = 3 };

/* The output of one accumulator (dot: the raw sum of the 9 products). */
#define DW_OUT(dot)                                                                                  \
    (uint8_t)(                                                                                       \
        mode == DW_RQ_S32    ? dory_xp_min(dory_xp_max(dory_xp_mac(c0, k, (dot)) >> d, lo), hi) + zp \
        : mode == DW_RQ_S32U ? DORY_XP_CLIPU(dory_xp_mac(c0, k, (dot)) >> d, 9)                      \
        : mode == DW_RQ_FX   ? dory__fx_apply(fx, (int32_t)((uint32_t)(dot) + (uint32_t)b))          \
                             : dory__epi(&p->out, c, (int32_t)((uint32_t)(dot) + (uint32_t)b)))

/* M = lanes 2, 3 of a and 0, 1 of b: the taps 2 bytes on. */
#define DW_MID(a, b) dory_xp_shuffle2_b((a), (b), 0x05040302u)

/* One channel: plane pl, lane weights wl[3] (kernel row r along a line in
 * lanes 0-2), effective bias b; s and mode are constants after inlining.
 * Stride 1: 4 outputs per step from 2 aligned words per kernel row (a, and
 * b, which is the next step's a): a.W, a.(W << 8), M.W, M.(W << 8).
 * Stride 2: 2 outputs per step, a.W and M.W. A line's last step computes
 * all of its outputs and stores those that exist (it reads up to one word
 * past the line: the next line, or the scratch's slack). */
DORY_INLINE void dw_channel(const dw_geom_t *g, const uint8_t *pl, const uint32_t *wl, int32_t b,
                            const dory_conv_params_t *p, int c, const dory__fx_t *fx,
                            const dory__s32_t *e, const dory_dims_t *out, uint8_t *y, const int s,
                            const int mode)
{
    uint32_t w0 = wl[0], w1 = wl[1], w2 = wl[2], v0 = w0 << 8, v1 = w1 << 8, v2 = w2 << 8;
    int32_t k = e->k, c0 = (int32_t)((uint32_t)e->k * (uint32_t)b + (uint32_t)e->l);
    int32_t lo = e->lo, hi = e->hi, zp = e->zp;
    int d = e->d, ys = dory__cstride(out), nl = g->tr ? out->w : out->h;
    int n = g->tr ? out->h : out->w, step = s == 1 ? 4 : 2, l, i;
    long os = g->tr ? (long)out->w * ys : ys, ls = g->tr ? ys : (long)out->w * ys;
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
#define DW_VARIANT(NAME, S, MODE)                                                                  \
    static DORY_NOINLINE DORY_HOT void NAME(                                                       \
        const dw_geom_t *g, const uint8_t *pl, const uint32_t *wl, int32_t b,                      \
        const dory_conv_params_t *p, int c, const dory__fx_t *fx, const dory__s32_t *e,            \
        const dory_dims_t *out, uint8_t *y)                                                        \
    {                                                                                              \
        dw_channel(g, pl, wl, b, p, c, fx, e, out, y, S, MODE);                                    \
    }
DW_VARIANT(dwx_s1, 1, DW_RQ_S32)
DW_VARIANT(dwx_s2, 2, DW_RQ_S32)
#if DORY_XP_MODE != 1 /* else in assembly, below */
DW_VARIANT(dwx_s1_u, 1, DW_RQ_S32U)
DW_VARIANT(dwx_s2_u, 2, DW_RQ_S32U)
#endif
DW_VARIANT(dwx_s1_fx, 1, DW_RQ_FX)
DW_VARIANT(dwx_s2_fx, 2, DW_RQ_FX)
DW_VARIANT(dwx_s1_any, 1, DW_RQ_ANY)
DW_VARIANT(dwx_s2_any, 2, DW_RQ_ANY)

#if DORY_XP_MODE == 1
/* SHIFT32 to [0, 255] (DW_RQ_S32U) in assembly, every line of one channel
 * per call (GCC spills the 6 weight words of dw_channel's loop and moves its
 * accumulators): a hardware loop over a line's full steps, then the last
 * partial step storing the outputs that exist. The argument (the asm
 * advances pl and y line by line): */
typedef struct {
    const uint8_t *pl; /*  0: row 0 of output line 0 */
    int32_t ls;        /*  4: bytes per line */
    int32_t lstep;     /*  8: s * ls, from one output line's row 0 to the next */
    int32_t nl;        /* 12: output lines (>= 1) */
    int32_t nfull;     /* 16: full steps per line (4 outputs at stride 1, 2 at 2) */
    int32_t tail;      /* 20: outputs of the partial last step (0-3, 0-1) */
    uint8_t *y;        /* 24: output 0 of line 0 */
    int32_t os, yls;   /* 28, 32: output bytes between outputs, lines */
    uint32_t w[3];     /* 36: lane weights of the kernel rows */
    int32_t k, c0, d;  /* 48: the SHIFT32 epilogue, c0 = k * b + l */
} dw_asm_t;
void dory__dwx_s1u(dw_asm_t *a);
void dory__dwx_s2u(dw_asm_t *a);
/* Registers: a0 the argument, s0-s2 rows 0-2 (post-incremented), s3-s5 the
 * weight words W, s6-s8 W << 8 (stride 1), s9 the shuffle selector of M,
 * s10 k, s11 c0, a1 d, a2 y (post-incremented by a3 = os), ra lines left;
 * a4-a6 the words A of rows 0-2 (then M), a7, t0, t1 the words B, t2-t5
 * the accumulators, t6 the counts. Stride 1, a step: outputs A.W, A.(W << 8),
 * M.W, M.(W << 8); stride 2: A.W, M.W. */
#define DWX_PROLOGUE(NAME)                                                                         \
    ".text\n.balign 4\n.globl " NAME "\n.type " NAME ", @function\n" NAME ":\n"                    \
    "  addi sp, sp, -64\n  sw ra, 60(sp)\n  sw s0, 56(sp)\n  sw s1, 52(sp)\n  sw s2, 48(sp)\n"     \
    "  sw s3, 44(sp)\n  sw s4, 40(sp)\n  sw s5, 36(sp)\n  sw s6, 32(sp)\n  sw s7, 28(sp)\n"        \
    "  sw s8, 24(sp)\n  sw s9, 20(sp)\n  sw s10, 16(sp)\n  sw s11, 12(sp)\n"                       \
    "  lw s0, 0(a0)\n  lw t6, 4(a0)\n  add s1, s0, t6\n  add s2, s1, t6\n"                         \
    "  lw s3, 36(a0)\n  lw s4, 40(a0)\n  lw s5, 44(a0)\n  slli s6, s3, 8\n  slli s7, s4, 8\n"      \
    "  slli s8, s5, 8\n  li s9, 0x05040302\n  lw s10, 48(a0)\n  lw s11, 52(a0)\n"                  \
    "  lw a1, 56(a0)\n  lw a2, 24(a0)\n  lw a3, 28(a0)\n  lw ra, 12(a0)\n"
/* The next line (rows and y from the argument, advanced there), the end. */
#define DWX_EPILOGUE(NAME, LINE)                                                                   \
    "  lw t6, 0(a0)\n  lw t2, 8(a0)\n  add s0, t6, t2\n  sw s0, 0(a0)\n  lw t2, 4(a0)\n"           \
    "  add s1, s0, t2\n  add s2, s1, t2\n  lw t6, 24(a0)\n  lw t2, 32(a0)\n  add a2, t6, t2\n"     \
    "  sw a2, 24(a0)\n  addi ra, ra, -1\n  bnez ra, " LINE "\n"                                    \
    "  lw ra, 60(sp)\n  lw s0, 56(sp)\n  lw s1, 52(sp)\n  lw s2, 48(sp)\n  lw s3, 44(sp)\n"        \
    "  lw s4, 40(sp)\n  lw s5, 36(sp)\n  lw s6, 32(sp)\n  lw s7, 28(sp)\n  lw s8, 24(sp)\n"        \
    "  lw s9, 20(sp)\n  lw s10, 16(sp)\n  lw s11, 12(sp)\n  addi sp, sp, 64\n  ret\n"              \
    ".size " NAME ", .-" NAME "\n"
/* clang-format off */
__asm__(".macro DWX_LOAD\n"
        "  lw a7, 4(s0)\n  lw t0, 4(s1)\n  lw t1, 4(s2)\n"
        "  " DORY_XP_T_LW_PI("a4", "s0", 4) DORY_XP_T_LW_PI("a5", "s1", 4)
        DORY_XP_T_LW_PI("a6", "s2", 4)
        ".endm\n"
        ".macro DWX_OUT acc\n" /* after its mul: + c0, >> d, to [0, 255], stored */
        "  add \\acc, \\acc, s11\n  sra \\acc, \\acc, a1\n"
        "  " DORY_XP_T_CLIPU("\\acc", "\\acc", 9) "  " DORY_XP_T_SB_RPI("\\acc", "a2", "a3")
        ".endm\n"
        ".macro DWX_MUL4\n" /* k * t2-t5: each result used 3 instructions on */
        "  mul t2, t2, s10\n  mul t3, t3, s10\n  mul t4, t4, s10\n  mul t5, t5, s10\n"
        ".endm\n"
        ".macro DWX_STEP1\n" /* 16 instructions: t2-t5 of one stride-1 step */
        "  DWX_LOAD\n"
        "  " DORY_XP_T_DOTUSP_B("t2", "a4", "s3") "  " DORY_XP_T_DOTUSP_B("t3", "a4", "s6")
        "  " DORY_XP_T_SHUFFLE2_B("a4", "a7", "s9")
        "  " DORY_XP_T_SDOTUSP_B("t2", "a5", "s4") "  " DORY_XP_T_SDOTUSP_B("t3", "a5", "s7")
        "  " DORY_XP_T_SHUFFLE2_B("a5", "t0", "s9")
        "  " DORY_XP_T_SDOTUSP_B("t2", "a6", "s5") "  " DORY_XP_T_SDOTUSP_B("t3", "a6", "s8")
        "  " DORY_XP_T_SHUFFLE2_B("a6", "t1", "s9")
        "  " DORY_XP_T_DOTUSP_B("t4", "a4", "s3") "  " DORY_XP_T_DOTUSP_B("t5", "a4", "s6")
        "  " DORY_XP_T_SDOTUSP_B("t4", "a5", "s4") "  " DORY_XP_T_SDOTUSP_B("t5", "a5", "s7")
        "  " DORY_XP_T_SDOTUSP_B("t4", "a6", "s5") "  " DORY_XP_T_SDOTUSP_B("t5", "a6", "s8")
        ".endm\n"
        ".macro DWX_STEP2\n" /* t2, t4 of one stride-2 step */
        "  DWX_LOAD\n"
        "  " DORY_XP_T_DOTUSP_B("t2", "a4", "s3") "  " DORY_XP_T_SHUFFLE2_B("a4", "a7", "s9")
        "  " DORY_XP_T_SDOTUSP_B("t2", "a5", "s4") "  " DORY_XP_T_SHUFFLE2_B("a5", "t0", "s9")
        "  " DORY_XP_T_SDOTUSP_B("t2", "a6", "s5") "  " DORY_XP_T_SHUFFLE2_B("a6", "t1", "s9")
        "  " DORY_XP_T_DOTUSP_B("t4", "a4", "s3") "  " DORY_XP_T_SDOTUSP_B("t4", "a5", "s4")
        "  " DORY_XP_T_SDOTUSP_B("t4", "a6", "s5")
        ".endm\n");
__asm__(DWX_PROLOGUE("dory__dwx_s1u")
        ".Ldwx_s1u_line:\n"
        "  lw t6, 16(a0)\n  beqz t6, 1f\n"
        ".option push\n.option norvc\n"
        "  " DORY_XP_LP_SETUP(0, "t6", 41)
        "  DWX_STEP1\n  DWX_MUL4\n  DWX_OUT t2\n  DWX_OUT t3\n  DWX_OUT t4\n  DWX_OUT t5\n"
        ".option pop\n"
        "1:\n  lw t6, 20(a0)\n  beqz t6, 2f\n"
        "  DWX_STEP1\n  DWX_MUL4\n  DWX_OUT t2\n  addi t6, t6, -1\n  beqz t6, 2f\n"
        "  DWX_OUT t3\n  addi t6, t6, -1\n  beqz t6, 2f\n  DWX_OUT t4\n"
        "2:\n"
        DWX_EPILOGUE("dory__dwx_s1u", ".Ldwx_s1u_line"));
__asm__(DWX_PROLOGUE("dory__dwx_s2u")
        ".Ldwx_s2u_line:\n"
        "  lw t6, 16(a0)\n  beqz t6, 1f\n"
        ".option push\n.option norvc\n"
        "  " DORY_XP_LP_SETUP(0, "t6", 25)
        "  DWX_STEP2\n  mul t2, t2, s10\n  mul t4, t4, s10\n  DWX_OUT t2\n  DWX_OUT t4\n"
        ".option pop\n"
        "1:\n  lw t6, 20(a0)\n  beqz t6, 2f\n"
        "  DWX_STEP2\n  mul t2, t2, s10\n  DWX_OUT t2\n"
        "2:\n"
        DWX_EPILOGUE("dory__dwx_s2u", ".Ldwx_s2u_line")
        ".purgem DWX_LOAD\n.purgem DWX_OUT\n.purgem DWX_MUL4\n.purgem DWX_STEP1\n.purgem DWX_STEP2\n");
/* clang-format on */

/* One channel through the assembly (stride g->s), as dw_channel. */
static DORY_NOINLINE void dwx_u(const dw_geom_t *g, const uint8_t *pl, const uint32_t *wl,
                                int32_t b, const dory_conv_params_t *p, int c, const dory__fx_t *fx,
                                const dory__s32_t *e, const dory_dims_t *out, uint8_t *y)
{
    dw_asm_t a;
    int ys = dory__cstride(out), n = g->tr ? out->h : out->w, s = g->s, per = s == 1 ? 4 : 2;
    (void)p, (void)c, (void)fx;
    a.pl = pl, a.ls = g->ls, a.lstep = s * g->ls, a.nl = g->tr ? out->w : out->h;
    a.nfull = n / per, a.tail = n % per, a.y = y;
    a.os = g->tr ? out->w * ys : ys, a.yls = g->tr ? ys : out->w * ys;
    a.w[0] = wl[0], a.w[1] = wl[1], a.w[2] = wl[2];
    a.k = e->k, a.c0 = (int32_t)((uint32_t)e->k * (uint32_t)b + (uint32_t)e->l), a.d = e->d;
    if (s == 1)
        dory__dwx_s1u(&a);
    else
        dory__dwx_s2u(&a);
}
#define dwx_s1_u dwx_u
#define dwx_s2_u dwx_u
#endif

typedef void (*dw_fn_t)(const dw_geom_t *, const uint8_t *, const uint32_t *, int32_t,
                        const dory_conv_params_t *, int, const dory__fx_t *, const dory__s32_t *,
                        const dory_dims_t *, uint8_t *);

/* Planes per group: up to 4 whose bytes, and a word of over-read slack,
 * fit the scratch. */
static int dw_setup(const dory_ctx_t *ctx, const dory_conv_params_t *p, const dory_dims_t *in,
                    const dory_dims_t *out, dw_geom_t *g)
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
    g->buf = (uint8_t *)ctx->buf;
    if (!g->buf || ((uintptr_t)g->buf & 3)) return 0;
    for (n = 4; n > 0; n--)
        if ((n - 1) * g->plane + (long)g->nl * g->ls + 4 <= ctx->size) break;
    return n;
}

/* Byte (iy, ix) of the padded input in a plane. */
DORY_INLINE long dw_at(const dw_geom_t *g, int iy, int ix)
{
    return g->tr ? (long)ix * g->ls + iy : (long)iy * g->ls + ix;
}

/* The padding of nplanes planes (the unsigned zero point): all of each
 * plane, whose interior dw_fill rewrites for every group of channels. */
static void dw_pad(const dw_geom_t *g, int nplanes, uint8_t zx)
{
    memset(g->buf, zx, (size_t)((nplanes - 1) * g->plane + (long)g->nl * g->ls + 4));
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

/* Channels c..c+3 of the HWC input into planes 0..3 (XOR f), 4 pixels of a
 * line at a time: 4 word loads, a 4x4 byte transpose, and one aligned word
 * store per plane (a line's data starts at byte pbu: each stored word takes
 * its first pbu % 4 bytes from the previous 4 pixels, the padding zx
 * before the first). x + c and the pixel strides are word-aligned. */
static DORY_HOT void dw_fill4(const dw_geom_t *g, const dory_dims_t *in, const uint8_t *x, int c,
                              uint8_t f, uint8_t zx)
{
    int cs = dory__cstride(in), nv = g->tr ? in->w : in->h, nu = g->tr ? in->h : in->w;
    long su = g->tr ? (long)in->w * cs : cs, sv = g->tr ? cs : (long)in->w * cs;
    int r = g->pbu & 3, k0 = g->pbu >> 2, kl = (g->pbu + nu - 1) >> 2, v, u, j;
    long pw4 = g->plane / 4;
    uint32_t f4 = 0x01010101u * f, z4 = 0x01010101u * zx, sel = 0, fill = z4 ^ f4;
    for (j = 0; j < 4; j++) /* lane j: byte 4 - r + j of the previous word, or j - r of this */
        sel |= (uint32_t)(j < r ? 4 - r + j : 4 + j - r) << (8 * j);
    for (v = 0; v < nv; v++) {
        const uint8_t *s = x + c + (long)v * sv;
        uint32_t *d = (uint32_t *)(void *)(g->buf + (long)(v + g->pbv) * g->ls) + k0;
        uint32_t q0 = z4, q1 = z4, q2 = z4, q3 = z4;
        int k = k0;
        for (u = 0; u < nu; u += 4, s += 4 * su, k++) {
            uint32_t p0 = dory__ldw_any(s), p1 = fill, p2 = fill, p3 = fill;
            if (!DORY_UNLIKELY(u + 3 >= nu)) {
                p1 = dory__ldw_any(s + su), p2 = dory__ldw_any(s + 2 * su);
                p3 = dory__ldw_any(s + 3 * su);
            } else {
                if (u + 1 < nu) p1 = dory__ldw_any(s + su);
                if (u + 2 < nu) p2 = dory__ldw_any(s + 2 * su);
            }
            DW_T4(p0, p1, p2, p3);
            p0 ^= f4, p1 ^= f4, p2 ^= f4, p3 ^= f4;
            d[0] = dory_xp_shuffle2_b(q0, p0, sel), d[pw4] = dory_xp_shuffle2_b(q1, p1, sel);
            d[2 * pw4] = dory_xp_shuffle2_b(q2, p2, sel);
            d[3 * pw4] = dory_xp_shuffle2_b(q3, p3, sel);
            q0 = p0, q1 = p1, q2 = p2, q3 = p3, d++;
        }
        if (k <= kl) { /* the last data bytes, in the word after */
            d[0] = dory_xp_shuffle2_b(q0, z4, sel), d[pw4] = dory_xp_shuffle2_b(q1, z4, sel);
            d[2 * pw4] = dory_xp_shuffle2_b(q2, z4, sel);
            d[3 * pw4] = dory_xp_shuffle2_b(q3, z4, sel);
        }
    }
}

/* Channels c..c+nc-1 of the HWC input into planes 0..nc-1 (XOR f), byte by
 * byte (fewer than 4 channels, or unaligned words). */
static DORY_HOT void dw_fill(const dw_geom_t *g, const dory_dims_t *in, const uint8_t *x, int c,
                             int nc, uint8_t f)
{
    int cs = dory__cstride(in), iy, ix, j;
    long pls = g->plane, dstep = g->tr ? g->ls : 1;
    for (iy = 0; iy < in->h; iy++) {
        const uint8_t *s = x + (long)iy * in->w * cs + c;
        uint8_t *d = g->buf + dw_at(g, iy + g->pt, g->pl);
        for (ix = 0; ix < in->w; ix++, s += cs, d += dstep)
            for (j = 0; j < nc; j++) d[j * pls] = s[j] ^ f;
    }
}

int dory__dw3x3_xpulp(const dory_ctx_t *ctx, const dory_conv_params_t *p, const dory_dims_t *in,
                      const void *x, const int8_t *w, const int32_t *bias, const dory_dims_t *out,
                      void *y)
{
    static const dw_fn_t fns[4][2] = {
        {dwx_s1, dwx_s2}, {dwx_s1_u, dwx_s2_u}, {dwx_s1_fx, dwx_s2_fx}, {dwx_s1_any, dwx_s2_any}};
    dw_geom_t g;
    dory__s32_t e;
    int sch = p->out.rq.scheme, s = p->stride_h, c0, c1, c, j, r, t, np;
    int mode = sch == DORY_RQ_SHIFT32 ? DW_RQ_S32 : sch == DORY_RQ_FIXED ? DW_RQ_FX : DW_RQ_ANY;
    uint8_t f = dory__flip(p->in_type);
    int32_t zx = dory__zx_u(p);
    if (!dory__wzp_all_zero(p->w_zp, p->w_zp_per_channel, out->c)) return 1;
    np = dw_setup(ctx, p, in, out, &g);
    if (np < 1) return 1;
    memset(&e, 0, sizeof e);
    dory__split(out->c, ctx, &c0, &c1);
    if (c0 < c1) dw_pad(&g, np, (uint8_t)zx);
    for (c = c0; c < c1; c += np) {
        int nc = c1 - c < np ? c1 - c : np;
        if (nc == 4 && !((uintptr_t)((const uint8_t *)x + c) & 3) && !(dory__cstride(in) & 3))
            dw_fill4(&g, in, (const uint8_t *)x, c, f, (uint8_t)zx);
        else
            dw_fill(&g, in, (const uint8_t *)x, c, nc, f);
        for (j = 0; j < nc; j++) {
            int ch = c + j, m = mode;
            const int8_t *wc = w + (long)ch * 9;
            uint32_t wl[3] = {0, 0, 0};
            int32_t sw = 0, b;
            dory__fx_t fx;
            for (r = 0; r < 3; r++) /* tap (r, t): kernel row r (or column, transposed) */
                for (t = 0; t < 3; t++) {
                    wl[g.tr ? t : r] |= (uint32_t)(uint8_t)wc[3 * r + t] << (8 * (g.tr ? r : t));
                    sw += wc[3 * r + t];
                }
            b = (int32_t)((uint32_t)(bias ? bias[ch] : 0) - (uint32_t)zx * (uint32_t)sw);
            if (m == DW_RQ_S32) {
                dory__s32_load(&p->out, ch, &e);
                if (e.lo == 0 && e.hi == 255 && e.zp == 0) m = DW_RQ_S32U;
            } else if (m == DW_RQ_FX) {
                dory__fx_load(&p->out, ch, &fx);
            }
            fns[m][s - 1](&g, g.buf + j * g.plane, wl, b, p, ch, &fx, &e, out, (uint8_t *)y + ch);
        }
    }
    return DORY_OK;
}

#endif
