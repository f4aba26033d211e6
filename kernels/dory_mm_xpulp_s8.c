/* dory_mm_xpulp_s8.c: the matrix core of the convolutions on Xpulp (PULP
 * v2: RI5CY, GAP8): 4-lane u8 x i8 dot products (pv.sdotusp.b) on 4
 * consecutive taps of one pixel against 4 consecutive weights of one
 * channel, 4 channels x 4 pixels register-blocked (16 accumulators, 8 word
 * loads per 64 MACs, post-increment loads), the K % 4 tail taps scalar.
 *
 * Layout: word q of block i holds pixel q's taps 4i..4i+3; the K % 4 tail
 * taps stay interleaved (col[4k + q]). Where the taps are word-aligned
 * (kernel rows of a multiple of 4 bytes) the conv kernels write that layout
 * directly (dory__col_put_blocked, m->blocked); otherwise they write col
 * interleaved, as for the portable core, and each full 16-byte block is
 * transposed here in place first. The accumulators go to
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

#if DORY_XP_MODE == 1
/* mm4x4 in assembly (GCC cannot take the 16 accumulators, 4 input and 2
 * weight words and 5 pointers as operands of one asm statement): a hardware
 * loop over the k4 blocks, 24 instructions per 64 MACs, no load-use stall
 * (each weight word is loaded one row ahead, in a4 / ra). Arguments: a0 w0,
 * a1 stride, a2 k4, a3 x, a4 b, a5 acc. Accumulators: row 0 s0-s3, row 1
 * s4-s7, row 2 s8-s11, row 3 t3-t6; weight rows a0, a6, a7, t0; the input
 * words t1, t2, a1, a2 (a2, the count, is latched by lp.setup). */
void dory__mm4x4_xp(const int8_t *w0, int stride, int k4, const uint8_t *x, const int32_t *b,
                    int32_t *acc);
#define XP_S(rd, x, t) ".insn r 0x57, 1, 0x54, " #rd ", " #x ", " #t "\n"
#define XP_L(rd, p)    ".insn i 0x0b, 2, " #rd ", " #p ", 4\n"
__asm__(".text\n.balign 4\n.globl dory__mm4x4_xp\n.type dory__mm4x4_xp, @function\n"
        "dory__mm4x4_xp:\n"
        "  addi sp, sp, -64\n  sw ra, 60(sp)\n  sw s0, 56(sp)\n  sw s1, 52(sp)\n"
        "  sw s2, 48(sp)\n  sw s3, 44(sp)\n  sw s4, 40(sp)\n  sw s5, 36(sp)\n  sw s6, 32(sp)\n"
        "  sw s7, 28(sp)\n  sw s8, 24(sp)\n  sw s9, 20(sp)\n  sw s10, 16(sp)\n  sw s11, 12(sp)\n"
        "  add a6, a0, a1\n  add a7, a6, a1\n  add t0, a7, a1\n"
        "  lw s0, 0(a4)\n  mv s1, s0\n  mv s2, s0\n  mv s3, s0\n"
        "  lw s4, 4(a4)\n  mv s5, s4\n  mv s6, s4\n  mv s7, s4\n"
        "  lw s8, 8(a4)\n  mv s9, s8\n  mv s10, s8\n  mv s11, s8\n"
        "  lw t3, 12(a4)\n  mv t4, t3\n  mv t5, t3\n  mv t6, t3\n"
        "  beqz a2, 1f\n"
        ".option push\n.option norvc\n"
        "  " DORY_XP_LP_SETUP(0, "a2", 24) XP_L(t1, a3) XP_L(t2, a3) XP_L(a1, a3) XP_L(a2, a3) XP_L(
            a4, a0) XP_L(ra, a6) XP_S(s0, t1, a4) XP_S(s1, t2, a4) XP_S(s2, a1, a4) XP_S(s3, a2, a4)
            XP_L(a4, a7) XP_S(s4, t1, ra) XP_S(s5, t2, ra) XP_S(s6, a1, ra) XP_S(s7, a2, ra)
                XP_L(ra, t0) XP_S(s8, t1, a4) XP_S(s9, t2, a4) XP_S(s10, a1, a4) XP_S(s11, a2, a4)
                    XP_S(t3, t1, ra) XP_S(t4, t2, ra) XP_S(t5, a1, ra) XP_S(
                        t6, a2,
                        ra) ".option pop\n"
                            "1:\n"
                            "  sw s0, 0(a5)\n  sw s1, 4(a5)\n  sw s2, 8(a5)\n  sw s3, 12(a5)\n"
                            "  sw s4, 16(a5)\n  sw s5, 20(a5)\n  sw s6, 24(a5)\n  sw s7, 28(a5)\n"
                            "  sw s8, 32(a5)\n  sw s9, 36(a5)\n  sw s10, 40(a5)\n  sw s11, 44(a5)\n"
                            "  sw t3, 48(a5)\n  sw t4, 52(a5)\n  sw t5, 56(a5)\n  sw t6, 60(a5)\n"
                            "  lw ra, 60(sp)\n  lw s0, 56(sp)\n  lw s1, 52(sp)\n  lw s2, 48(sp)\n  "
                            "lw s3, 44(sp)\n"
                            "  lw s4, 40(sp)\n  lw s5, 36(sp)\n  lw s6, 32(sp)\n  lw s7, 28(sp)\n  "
                            "lw s8, 24(sp)\n"
                            "  lw s9, 20(sp)\n  lw s10, 16(sp)\n  lw s11, 12(sp)\n  addi sp, sp, "
                            "64\n  ret\n"
                            ".size dory__mm4x4_xp, .-dory__mm4x4_xp\n");
#define mm4x4 dory__mm4x4_xp
#else
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
#endif

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

/* ---- the fused core: K loop and SHIFT32 / SHIFT64 epilogue, every block of a group ----
 *
 * dory__mm4x4_xpf(a): for each of the a->nblk blocks of 4 channels, the 4x4
 * accumulators of the group in a->x (blocked layout, a->k a multiple of 4)
 * are computed as mm4x4 does, then requantized straight from their
 * registers: y[q * ys + c] = clamp((k_c * acc + l_c) >> d, 0, range), the
 * common SHIFT32 case (u8 output, zero point 0; dory_mm_s8.c checks it).
 * No int32 round trip through memory, one call per group of 4 pixels.
 * dory__mm4x4_xpf64, _xpf32h, _xpf32l: the same with DORY's SHIFT64
 * (64-bit k and l, the forms of dory_internal.h's DORY__MM_F64H..). */
#if DORY_XP_MODE == 1
void dory__mm4x4_xpf(const dory__mm_rv32_t *a);
void dory__mm4x4_xpf64(const dory__mm_rv32_t *a);
void dory__mm4x4_xpf32h(const dory__mm_rv32_t *a);
void dory__mm4x4_xpf32l(const dory__mm_rv32_t *a);
/* Frame (96 bytes): the 40-byte argument at 0(sp) (w, b, kl and y advance by
 * one block per iteration, nblk counts down), ra and s0-s11 at 44..92. The
 * K loop is mm4x4's (same registers), then the block's epilogue (below, one
 * per function), then the next block. */
#define XP_SBY(r) ".insn r 0x2b, 4, 0, t0, a3, " #r "\n" /* p.sb r, t0(a3!) */
/* clang-format off */
#define XPF_HEAD(name)                                                                             \
    ".text\n.balign 4\n.globl " name "\n.type " name ", @function\n" name ":\n"                   \
    "  addi sp, sp, -96\n  sw ra, 92(sp)\n  sw s0, 88(sp)\n  sw s1, 84(sp)\n"                      \
    "  sw s2, 80(sp)\n  sw s3, 76(sp)\n  sw s4, 72(sp)\n  sw s5, 68(sp)\n  sw s6, 64(sp)\n"        \
    "  sw s7, 60(sp)\n  sw s8, 56(sp)\n  sw s9, 52(sp)\n  sw s10, 48(sp)\n  sw s11, 44(sp)\n"     \
    "  .irp off, 0, 4, 8, 12, 16, 20, 24, 28, 32, 36\n  lw t0, \\off(a0)\n"                        \
    "  sw t0, \\off(sp)\n  .endr\n"                                                               \
    "2:\n"                                                                                         \
    "  lw a0, 0(sp)\n  lw a1, 4(sp)\n  add a6, a0, a1\n  add a7, a6, a1\n  add t0, a7, a1\n"      \
    "  srli a2, a1, 2\n  lw a3, 12(sp)\n  lw a4, 16(sp)\n"                                        \
    "  lw s0, 0(a4)\n  lw s4, 4(a4)\n  lw s8, 8(a4)\n  lw t3, 12(a4)\n  addi a4, a4, 16\n"        \
    "  sw a4, 16(sp)\n  mv s1, s0\n  mv s2, s0\n  mv s3, s0\n  mv s5, s4\n  mv s6, s4\n"          \
    "  mv s7, s4\n  mv s9, s8\n  mv s10, s8\n  mv s11, s8\n  mv t4, t3\n  mv t5, t3\n"            \
    "  mv t6, t3\n"                                                                                \
    ".option push\n.option norvc\n"                                                                \
    "  " DORY_XP_LP_SETUP(0, "a2", 24)                                                             \
    XP_L(t1, a3) XP_L(t2, a3) XP_L(a1, a3) XP_L(a2, a3) XP_L(a4, a0) XP_L(ra, a6)                 \
    XP_S(s0, t1, a4) XP_S(s1, t2, a4) XP_S(s2, a1, a4) XP_S(s3, a2, a4) XP_L(a4, a7)              \
    XP_S(s4, t1, ra) XP_S(s5, t2, ra) XP_S(s6, a1, ra) XP_S(s7, a2, ra) XP_L(ra, t0)              \
    XP_S(s8, t1, a4) XP_S(s9, t2, a4) XP_S(s10, a1, a4) XP_S(s11, a2, a4)                         \
    XP_S(t3, t1, ra) XP_S(t4, t2, ra) XP_S(t5, a1, ra) XP_S(t6, a2, ra)                           \
    ".option pop\n"                                                                                \
    "  sw t0, 0(sp)\n" /* row 3 + k: the next block's row 0 */
#define XPF_TAIL(name)                                                                             \
    "  lw a7, 8(sp)\n  addi a7, a7, -1\n  sw a7, 8(sp)\n  bnez a7, 2b\n"                          \
    "  lw ra, 92(sp)\n  lw s0, 88(sp)\n  lw s1, 84(sp)\n  lw s2, 80(sp)\n  lw s3, 76(sp)\n"       \
    "  lw s4, 72(sp)\n  lw s5, 68(sp)\n  lw s6, 64(sp)\n  lw s7, 60(sp)\n  lw s8, 56(sp)\n"       \
    "  lw s9, 52(sp)\n  lw s10, 48(sp)\n  lw s11, 44(sp)\n  addi sp, sp, 96\n  ret\n"             \
    ".size " name ", .-" name "\n"
/* The channels j = 0..3 of a block, rows {s0-s3, s4-s7, s8-s11, t3-t6}. */
#define XPF_CHANNELS(m)                                                                            \
    "  " m " 0, s0, s1, s2, s3\n  " m " 1, s4, s5, s6, s7\n"                                      \
    "  " m " 2, s8, s9, s10, s11\n  " m " 3, t3, t4, t5, t6\n"

/* SHIFT32: channel j uses a6 = k, a7 = l, a1 = d, a2 = range, pixel q's
 * output in a3, t0-t2: 4 mul, 4 p.addNr (+ l, >> d), 4 p.clipur [0, range],
 * 4 sb (each step on the 4 pixels, so no multiply-use stall). */
#define XPF_4(op) op(\\c0) op(\\c1) op(\\c2) op(\\c3)
#define XPF_MULK(r)  "  mul " #r ", " #r ", a6\n"
#define XPF_ADDNR(r) "  " DORY_XP_T_ADDNR(#r, "a7", "a1")
#define XPF_CLIP(r)  "  " DORY_XP_T_CLIPUR(#r, #r, "a2")
__asm__(".macro DORY_XPF_CHANNEL j, c0, c1, c2, c3\n"
        "  lw a6, (8*\\j)(a5)\n  lw a7, (8*\\j+4)(a5)\n" XPF_4(XPF_MULK) XPF_4(XPF_ADDNR)
            XPF_4(XPF_CLIP)
        "  sb \\c0, \\j(a3)\n  sb \\c1, \\j(t0)\n  sb \\c2, \\j(t1)\n  sb \\c3, \\j(t2)\n"
        ".endm\n"
        XPF_HEAD("dory__mm4x4_xpf")
        "  lw a5, 20(sp)\n  lw a1, 24(sp)\n  lw a2, 28(sp)\n  lw a3, 32(sp)\n  lw a4, 36(sp)\n"
        "  add t0, a3, a4\n  add t1, t0, a4\n  add t2, t1, a4\n"
        XPF_CHANNELS("DORY_XPF_CHANNEL")
        "  addi a5, a5, 32\n  sw a5, 20(sp)\n  addi a3, a3, 4\n  sw a3, 32(sp)\n"
        XPF_TAIL("dory__mm4x4_xpf")
        ".purgem DORY_XPF_CHANNEL\n");

/* SHIFT64 (kl: 4 words per channel, k low and high, ~l low (dory_mm_s8.c's
 * fill_kl), l high): the high word h of k*acc + l from mulhsu(acc, k_lo)
 * + acc*k_hi (p.mac) + l_hi and the carry of acc*k_lo + l_lo, which is
 * ~l_lo < lo(acc*k_lo) (a6 = k_lo, a7 = k_hi, a4 = ~l_lo, a0 = l_hi;
 * temporaries ra and the accumulator), then h >> (d - 32) (a1) with the
 * last add (p.addNr), clamped to [0, range] (a2, p.clipur): 8 instructions
 * per output; the 4 pixels through one pointer, a3 += ys (t0) per store,
 * a3 -= 4 ys - 1 (t1) per channel. */
#define XPF64_START                                                                                \
    "  lw a5, 20(sp)\n  lw a1, 24(sp)\n  lw a2, 28(sp)\n  lw a3, 32(sp)\n  lw t0, 36(sp)\n"       \
    "  slli t1, t0, 2\n  addi t1, t1, -1\n"
#define XPF64_CONSTS                                                                               \
    "  lw a6, (16*\\j)(a5)\n  lw a7, (16*\\j+4)(a5)\n  lw a4, (16*\\j+8)(a5)\n"                   \
    "  lw a0, (16*\\j+12)(a5)\n"
#define XPF32_CONSTS                                                                               \
    "  lw a6, (16*\\j)(a5)\n  lw a4, (16*\\j+8)(a5)\n  lw a0, (16*\\j+12)(a5)\n"
#define XPF64_NEXT "  addi a5, a5, 64\n  sw a5, 20(sp)\n  sw a3, 32(sp)\n"
#define XPF64_HI                                                                                   \
    "  sltu \\acc, a4, \\acc\n  add \\acc, \\acc, a0\n  " DORY_XP_T_ADDNR("ra", "\\acc", "a1")       \
    "  " DORY_XP_T_CLIPUR("ra", "ra", "a2") "  " XP_SBY(ra)
__asm__(".macro DORY_XPF64_OUT acc\n"
        "  mulhsu ra, \\acc, a6\n  " DORY_XP_T_MAC("ra", "\\acc", "a7")
        "  mul \\acc, \\acc, a6\n" XPF64_HI
        ".endm\n"
        ".macro DORY_XPF64_CHANNEL j, c0, c1, c2, c3\n" XPF64_CONSTS
        "  DORY_XPF64_OUT \\c0\n  DORY_XPF64_OUT \\c1\n  DORY_XPF64_OUT \\c2\n"
        "  DORY_XPF64_OUT \\c3\n  sub a3, a3, t1\n"
        ".endm\n"
        XPF_HEAD("dory__mm4x4_xpf64") XPF64_START XPF_CHANNELS("DORY_XPF64_CHANNEL") XPF64_NEXT
        XPF_TAIL("dory__mm4x4_xpf64")
        ".purgem DORY_XPF64_OUT\n.purgem DORY_XPF64_CHANNEL\n");

/* SHIFT64 with k within int32 (k_hi unused): h = mulh(acc, k) + l_hi +
 * carry, then as dory__mm4x4_xpf64 (d >= 32, a4 = ~l_lo): 7 instructions. */
__asm__(".macro DORY_XPF32H_OUT acc\n"
        "  mulh ra, \\acc, a6\n  mul \\acc, \\acc, a6\n" XPF64_HI
        ".endm\n"
        ".macro DORY_XPF32H_CHANNEL j, c0, c1, c2, c3\n" XPF32_CONSTS
        "  DORY_XPF32H_OUT \\c0\n  DORY_XPF32H_OUT \\c1\n  DORY_XPF32H_OUT \\c2\n"
        "  DORY_XPF32H_OUT \\c3\n  sub a3, a3, t1\n"
        ".endm\n"
        XPF_HEAD("dory__mm4x4_xpf32h") XPF64_START XPF_CHANNELS("DORY_XPF32H_CHANNEL")
        XPF64_NEXT XPF_TAIL("dory__mm4x4_xpf32h")
        ".purgem DORY_XPF32H_OUT\n.purgem DORY_XPF32H_CHANNEL\n");

/* SHIFT64 with k within int32 and d in 1..31 (a1 = d, a7 = 32 - d, a4 =
 * l_lo, not inverted): h:s = mulh:mul(acc, k) + l; v = h:s >> d is below 0 iff h < 0, at least 2^32
 * iff h >> d != 0, else (h << (32 - d)) | (s >> d) as unsigned; the rare
 * clamped values by stubs after the function (.subsection 1). */
__asm__(".macro DORY_XPF32L_OUT acc\n"
        "  mulh ra, \\acc, a6\n  mul \\acc, \\acc, a6\n  add \\acc, \\acc, a4\n"
        "  sltu t2, \\acc, a4\n  add t2, t2, a0\n  add ra, ra, t2\n"
        "  bltz ra, .Ldory_xpf_neg\\@\n  srl t2, ra, a1\n  bnez t2, .Ldory_xpf_big\\@\n"
        "  sll ra, ra, a7\n  srl \\acc, \\acc, a1\n  or ra, ra, \\acc\n"
        "  bltu a2, ra, .Ldory_xpf_big\\@\n"
        ".Ldory_xpf_st\\@:\n  " XP_SBY(ra)
        "  .subsection 1\n"
        ".Ldory_xpf_neg\\@:\n  mv ra, zero\n  j .Ldory_xpf_st\\@\n"
        ".Ldory_xpf_big\\@:\n  mv ra, a2\n  j .Ldory_xpf_st\\@\n"
        "  .subsection 0\n"
        ".endm\n"
        ".macro DORY_XPF32L_CHANNEL j, c0, c1, c2, c3\n" XPF32_CONSTS
        "  DORY_XPF32L_OUT \\c0\n  DORY_XPF32L_OUT \\c1\n  DORY_XPF32L_OUT \\c2\n"
        "  DORY_XPF32L_OUT \\c3\n  sub a3, a3, t1\n"
        ".endm\n"
        XPF_HEAD("dory__mm4x4_xpf32l") XPF64_START "  li a7, 32\n  sub a7, a7, a1\n"
        XPF_CHANNELS("DORY_XPF32L_CHANNEL") XPF64_NEXT XPF_TAIL("dory__mm4x4_xpf32l")
        ".purgem DORY_XPF32L_OUT\n.purgem DORY_XPF32L_CHANNEL\n");
/* clang-format on */
#else
/* The same in C (the portable and builtin forms), form f: 0 SHIFT32, else
 * SHIFT64's DORY__MM_F64H, F32H, F32L; the host build of the kernel tests
 * counts its calls (dory__mm_xpf_calls, dory__mm_xpf64_calls). */
#ifdef DORY_MM_XPULP_C
long dory__mm_xpf_calls, dory__mm_xpf64_calls;
#endif
/* Output of a SHIFT64 form from accumulator v, constants kl (4 words, a
 * dory__s64_t), d as the assembly takes it (d - 32 but for DORY__MM_F32L):
 * dory__s64_step, which every form equals (for k within int32, kh is k's
 * sign and mulhsu(v, kl) + v*kh = mulh(v, k)). */
static int32_t xpf64_out(int f, const int32_t *kl, int32_t v, int d, int32_t range)
{
    dory__s64_t e;
    memcpy(&e, kl, sizeof e);
    if (f != DORY__MM_F32L) e.cl = ~e.cl; /* fill_kl's ~l_lo */
    return (int32_t)dory__s64_step(&e, v, f == DORY__MM_F32L ? d : d + 32, 0, (uint32_t)range);
}

static DORY_HOT void xpf_c(const dory__mm_rv32_t *a, int f)
{
    int32_t acc[16];
    const int8_t *w = a->w;
    int blk, j, q;
#ifdef DORY_MM_XPULP_C
    if (f)
        dory__mm_xpf64_calls++;
    else
        dory__mm_xpf_calls++;
#endif
    for (blk = 0; blk < a->nblk; blk++, w += 4L * a->k) {
        const int32_t *kl = a->kl + (f ? 16 : 8) * blk;
        mm4x4(w, a->k, a->k / 4, a->x, a->b + 4 * blk, acc);
        for (j = 0; j < 4; j++)
            for (q = 0; q < 4; q++) {
                int32_t v = acc[4 * j + q];
                if (f) {
                    v = xpf64_out(f, kl + 4 * j, v, a->d, (int32_t)a->range);
                } else {
                    v = (int32_t)((uint32_t)kl[2 * j] * (uint32_t)v + (uint32_t)kl[2 * j + 1]) >>
                        a->d;
                    v = dory_xp_min(dory_xp_max(v, 0), (int32_t)a->range);
                }
                a->y[(long)q * a->ys + 4 * blk + j] = (uint8_t)v;
            }
    }
}
#endif

int dory__mm_fused_xpulp(const dory__mm_t *m, uint8_t *col, dory__mm_rv32_t *a)
{
    int c = 4 * a->nblk, k4 = m->k / 4;
    if (!m->blocked) transpose_blocks(col, k4);
#if DORY_XP_MODE == 1
    if (m->f64 == DORY__MM_F64H)
        dory__mm4x4_xpf64(a);
    else if (m->f64 == DORY__MM_F32H)
        dory__mm4x4_xpf32h(a);
    else if (m->f64 == DORY__MM_F32L)
        dory__mm4x4_xpf32l(a);
    else
        dory__mm4x4_xpf(a);
#else
    xpf_c(a, m->f64);
#endif
    for (; c < m->cout; c++) mm1x4(m->w + (long)c * m->k, k4, col, m->b[c], m->acc + 4 * c);
    return 4 * a->nblk;
}

void dory__mm_acc_xpulp(const dory__mm_t *m, uint8_t *col)
{
    int k = m->k, k4 = k / 4, c, q, i;
    const uint8_t *tail = col + 16 * k4; /* taps 4*k4.. , interleaved */
    if (!m->blocked) transpose_blocks(col, k4);
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
