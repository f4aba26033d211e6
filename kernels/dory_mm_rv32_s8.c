/* dory_mm_rv32_s8.c: the matrix core fused with the common SHIFT32 epilogue,
 * hand-scheduled for RV32IM (no SIMD): 4 output channels x 4 pixels per
 * block, every 4-channel block of one pixel group in one call, each output
 * requantized and stored straight from its register.
 *
 * Why assembly: in C, the 16 accumulators, 4 weight rows, the interleaved
 * input, 4 activations and the weight temporary take 27 of RV32's 27
 * allocatable registers; GCC 12 then spills inside the loop as soon as the
 * epilogue shares the function, and without the fusion each 4x4 block pays
 * 32 loads/stores of accumulators plus a call (bench/README.md). Here the
 * return address register holds the loop bound, and the epilogue reuses the
 * loop's registers once the loop is done.
 *
 * Contract (checked by the caller, dory_mm_s8.c): K a positive multiple of 8,
 * at least one block, per-channel k and l interleaved in kl, clamp [0, range]
 * with zero point 0 (u8 ReLU, DORY's default), the 4 output pixels of the
 * group equally spaced (y + q * ys). Outputs equal dory__mm_pixels' C path
 * byte for byte (the QEMU kernel tests compare both with the reference).
 * Only compiled for 32-bit RISC-V with the M extension; elsewhere this file is
 * empty apart from a typedef. No allocation; nothing from src/.
 */
#include "dory_internal.h"

#if DORY__MM_RV32

typedef char dory__mm_rv32_layout_ok[sizeof(dory__mm_rv32_t) == 40 ? 1 : -1];

/* Frame (96 bytes): a copy of the 40-byte argument at 0(sp), of which w, b,
 * kl and y advance by one block per iteration and nblk counts down; ra and
 * s0-s11 saved at 44..92.
 *
 * Registers in the K loop: s0-s11, t3-t6 the accumulators (channel j, pixel
 * q: row j of {s0-s3, s4-s7, s8-s11, t3-t6}); a0-a3 the weight rows; a4 the
 * interleaved input; t0-t2, a5 its 4 pixels; a6 a weight; a7 a product; ra
 * the end of row 0.
 *
 * Epilogue of channel j, pixel q: acc = (k * acc + l) >> d (a5 = k, a6 = l,
 * a1 = d), stored as a byte, then one unsigned compare against a2 = range;
 * out-of-range values (below 0 or above range) are stored again, clamped,
 * by a stub placed after the function (.subsection 1). */
__asm__(".text\n"
        ".balign 4\n"
        ".globl dory__mm4x4_rv32\n"
        ".type dory__mm4x4_rv32, @function\n"
        /* acc_j[q] += w[row][i] * x[i][q], q = 0..3 */
        ".macro DORY_MM_ROW row, i, c0, c1, c2, c3\n"
        "  lb a6, \\i(\\row)\n"
        "  mul a7, a6, t0\n"
        "  add \\c0, \\c0, a7\n"
        "  mul a7, a6, t1\n"
        "  add \\c1, \\c1, a7\n"
        "  mul a7, a6, t2\n"
        "  add \\c2, \\c2, a7\n"
        "  mul a7, a6, a5\n"
        "  add \\c3, \\c3, a7\n"
        ".endm\n"
        /* reduction step i of the block: 8 loads, 16 MACs */
        ".macro DORY_MM_STEP i\n"
        "  lbu t0, (4*\\i)(a4)\n"
        "  lbu t1, (4*\\i+1)(a4)\n"
        "  lbu t2, (4*\\i+2)(a4)\n"
        "  lbu a5, (4*\\i+3)(a4)\n"
        "  DORY_MM_ROW a0, \\i, s0, s1, s2, s3\n"
        "  DORY_MM_ROW a1, \\i, s4, s5, s6, s7\n"
        "  DORY_MM_ROW a2, \\i, s8, s9, s10, s11\n"
        "  DORY_MM_ROW a3, \\i, t3, t4, t5, t6\n"
        ".endm\n"
        /* output j of pixel yq */
        ".macro DORY_MM_OUT acc, yq, j\n"
        "  mul \\acc, \\acc, a5\n"
        "  add \\acc, \\acc, a6\n"
        "  sra \\acc, \\acc, a1\n"
        "  sb \\acc, \\j(\\yq)\n"
        "  bltu a2, \\acc, .Ldory_mm_fix\\@\n"
        ".Ldory_mm_back\\@:\n"
        "  .subsection 1\n"
        ".Ldory_mm_fix\\@:\n"
        "  bltz \\acc, .Ldory_mm_neg\\@\n"
        "  sb a2, \\j(\\yq)\n"
        "  j .Ldory_mm_back\\@\n"
        ".Ldory_mm_neg\\@:\n"
        "  sb zero, \\j(\\yq)\n"
        "  j .Ldory_mm_back\\@\n"
        "  .subsection 0\n"
        ".endm\n"
        /* k and l of channel j, then its 4 pixels */
        ".macro DORY_MM_CHANNEL j, c0, c1, c2, c3\n"
        "  lw a5, (8*\\j)(a0)\n"
        "  lw a6, (8*\\j+4)(a0)\n"
        "  DORY_MM_OUT \\c0, a3, \\j\n"
        "  DORY_MM_OUT \\c1, t0, \\j\n"
        "  DORY_MM_OUT \\c2, t1, \\j\n"
        "  DORY_MM_OUT \\c3, t2, \\j\n"
        ".endm\n"
        "dory__mm4x4_rv32:\n"
        "  addi sp, sp, -96\n"
        "  sw ra, 92(sp)\n"
        "  sw s0, 88(sp)\n"
        "  sw s1, 84(sp)\n"
        "  sw s2, 80(sp)\n"
        "  sw s3, 76(sp)\n"
        "  sw s4, 72(sp)\n"
        "  sw s5, 68(sp)\n"
        "  sw s6, 64(sp)\n"
        "  sw s7, 60(sp)\n"
        "  sw s8, 56(sp)\n"
        "  sw s9, 52(sp)\n"
        "  sw s10, 48(sp)\n"
        "  sw s11, 44(sp)\n"
        "  .irp off, 0, 4, 8, 12, 16, 20, 24, 28, 32, 36\n"
        "  lw t0, \\off(a0)\n"
        "  sw t0, \\off(sp)\n"
        "  .endr\n"
        ".Ldory_mm_block:\n"
        "  lw a0, 0(sp)\n" /* w: row 0 of this block */
        "  lw a7, 4(sp)\n" /* K */
        "  add a1, a0, a7\n"
        "  add a2, a1, a7\n"
        "  add a3, a2, a7\n"
        "  mv ra, a1\n"     /* row 0 ends where row 1 starts */
        "  lw a4, 12(sp)\n" /* x */
        "  lw a6, 16(sp)\n" /* b */
        "  lw s0, 0(a6)\n"
        "  lw s4, 4(a6)\n"
        "  lw s8, 8(a6)\n"
        "  lw t3, 12(a6)\n"
        "  addi a6, a6, 16\n"
        "  sw a6, 16(sp)\n"
        "  mv s1, s0\n"
        "  mv s2, s0\n"
        "  mv s3, s0\n"
        "  mv s5, s4\n"
        "  mv s6, s4\n"
        "  mv s7, s4\n"
        "  mv s9, s8\n"
        "  mv s10, s8\n"
        "  mv s11, s8\n"
        "  mv t4, t3\n"
        "  mv t5, t3\n"
        "  mv t6, t3\n"
        ".Ldory_mm_k:\n"
        "  .irp i, 0, 1, 2, 3, 4, 5, 6, 7\n"
        "  DORY_MM_STEP \\i\n"
        "  .endr\n"
        "  addi a4, a4, 32\n"
        "  addi a0, a0, 8\n"
        "  addi a1, a1, 8\n"
        "  addi a2, a2, 8\n"
        "  addi a3, a3, 8\n"
        "  bne a0, ra, .Ldory_mm_k\n"
        "  sw a3, 0(sp)\n"  /* the next block's row 0 follows row 3 */
        "  lw a0, 20(sp)\n" /* kl */
        "  lw a1, 24(sp)\n" /* d */
        "  lw a2, 28(sp)\n" /* range */
        "  lw a3, 32(sp)\n" /* y: pixel 0 */
        "  lw a4, 36(sp)\n" /* ys */
        "  add t0, a3, a4\n"
        "  add t1, t0, a4\n"
        "  add t2, t1, a4\n"
        "  DORY_MM_CHANNEL 0, s0, s1, s2, s3\n"
        "  DORY_MM_CHANNEL 1, s4, s5, s6, s7\n"
        "  DORY_MM_CHANNEL 2, s8, s9, s10, s11\n"
        "  DORY_MM_CHANNEL 3, t3, t4, t5, t6\n"
        "  addi a0, a0, 32\n"
        "  sw a0, 20(sp)\n"
        "  addi a3, a3, 4\n"
        "  sw a3, 32(sp)\n"
        "  lw a7, 8(sp)\n" /* blocks left */
        "  addi a7, a7, -1\n"
        "  sw a7, 8(sp)\n"
        "  bnez a7, .Ldory_mm_block\n"
        "  lw ra, 92(sp)\n"
        "  lw s0, 88(sp)\n"
        "  lw s1, 84(sp)\n"
        "  lw s2, 80(sp)\n"
        "  lw s3, 76(sp)\n"
        "  lw s4, 72(sp)\n"
        "  lw s5, 68(sp)\n"
        "  lw s6, 64(sp)\n"
        "  lw s7, 60(sp)\n"
        "  lw s8, 56(sp)\n"
        "  lw s9, 52(sp)\n"
        "  lw s10, 48(sp)\n"
        "  lw s11, 44(sp)\n"
        "  addi sp, sp, 96\n"
        "  ret\n"
        ".size dory__mm4x4_rv32, .-dory__mm4x4_rv32\n"
        ".purgem DORY_MM_ROW\n"
        ".purgem DORY_MM_STEP\n"
        ".purgem DORY_MM_OUT\n"
        ".purgem DORY_MM_CHANNEL\n");

#else

typedef int dory__mm_rv32_unused; /* ISO C: a translation unit is not empty */

#endif
