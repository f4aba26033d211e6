/* dory_xpulp.h: the Xpulp (PULP v2 / RI5CY, XpulpV2) operations the kernels
 * use, each defined once in three forms:
 *   portable C   the meaning, bit for bit; the default, tested on every host
 *                against the reference interpreter (tests/unit/test_xpulp.c);
 *   .insn        GCC inline assembly with the assembler's `.insn` directive and
 *                the PULP v2 encoding, for Debian's riscv64-unknown-elf-gcc,
 *                which has no Xpulp mnemonics (-DDORY_XPULP_INSN, RISC-V only);
 *   builtin      the `__builtin_pulp_*` of a PULP toolchain, where it has them
 *                (-DDORY_XPULP_BUILTINS, or detected with __has_builtin).
 * The encodings are RI5CY's (the PULP v2 tables of the CV32E40P user manual
 * of 2021, before CORE-V renumbered them), NOT CORE-V's: clang's `xcvsimd`
 * instructions use other opcodes, which RI5CY decodes as different operations
 * (the signedness of a dot product changes silently).
 * tests/py/test_xpulp_encoding.py assembles every `.insn` form below and
 * checks its bits against the manual's table, operands included.
 *
 * Packed values are uint32_t, lane i in bits 8i..8i+7 (little endian, as
 * loaded from memory). C99; must not include anything from the compiler.
 */
#ifndef DORY_XPULP_H
#define DORY_XPULP_H

#include <stdint.h>
#include <string.h>

#if defined(__GNUC__)
#define DORY_XP_INLINE static inline __attribute__((always_inline))
#else
#define DORY_XP_INLINE static inline
#endif

#if !defined(DORY_XPULP_BUILTINS) && defined(__has_builtin)
#if __has_builtin(__builtin_pulp_sdotusp4)
#define DORY_XPULP_BUILTINS 1
#endif
#endif
#if defined(DORY_XPULP_BUILTINS)
#define DORY_XP_MODE 2 /* builtins */
#elif defined(DORY_XPULP_INSN) && defined(__riscv) && __riscv_xlen == 32
#define DORY_XP_MODE 1 /* .insn */
#else
#define DORY_XP_MODE 0 /* portable C */
#endif

/* The operations: X(name, kind, opcode, funct3, funct7, summary). kind is the
 * operand shape: RRR (rd = f(rs1, rs2)), ACC (rd = f(rd, rs1, rs2)), CLIPI
 * (rd = f(rs1, imm5) in the rs2 field), LDPI (rd = mem[rs1], rs1 += imm12),
 * LDRPI (rd = mem[rs1], rs1 += rs2), STPI (mem[rs1] = rs2, rs1 += imm12), STRPI (mem[rs1] = rs2,
 * rs1 += rs3, rs3 in the rd field), HWLP (loop L in rd, count in rs1, end offset in imm12). Only
 * the fixed fields are here; the operands are the functions' arguments. */
#define DORY_XPULP_OPS(X)                                                                          \
    X(sdotsp_b, ACC, 0x57, 1, 0x5c, "rd += sum_i s8(rs1[i]) * s8(rs2[i])")                         \
    X(sdotusp_b, ACC, 0x57, 1, 0x54, "rd += sum_i u8(rs1[i]) * s8(rs2[i])")                        \
    X(sdotup_b, ACC, 0x57, 1, 0x50, "rd += sum_i u8(rs1[i]) * u8(rs2[i])")                         \
    X(dotsp_b, RRR, 0x57, 1, 0x4c, "rd = sum_i s8(rs1[i]) * s8(rs2[i])")                           \
    X(dotusp_b, RRR, 0x57, 1, 0x44, "rd = sum_i u8(rs1[i]) * s8(rs2[i])")                          \
    X(add_b, RRR, 0x57, 1, 0x00, "rd[i] = rs1[i] + rs2[i] (mod 256)")                              \
    X(sub_b, RRR, 0x57, 1, 0x04, "rd[i] = rs1[i] - rs2[i] (mod 256)")                              \
    X(min_b, RRR, 0x57, 1, 0x10, "rd[i] = min(s8 rs1[i], s8 rs2[i])")                              \
    X(minu_b, RRR, 0x57, 1, 0x14, "rd[i] = min(u8 rs1[i], u8 rs2[i])")                             \
    X(max_b, RRR, 0x57, 1, 0x18, "rd[i] = max(s8 rs1[i], s8 rs2[i])")                              \
    X(maxu_b, RRR, 0x57, 1, 0x1c, "rd[i] = max(u8 rs1[i], u8 rs2[i])")                             \
    X(sra_b, RRR, 0x57, 1, 0x24, "rd[i] = s8 rs1[i] >> (rs2[i] & 7)")                              \
    X(shuffle2_b, ACC, 0x57, 1, 0x64, "rd[i] = (rs2[i] & 4 ? rs1 : rd)[rs2[i] & 3]")               \
    X(pack_h, RRR, 0x57, 0, 0x68, "rd = rs1[15:0] << 16 | rs2[15:0]")                              \
    X(packhi_b, ACC, 0x57, 1, 0x6c, "rd[3] = rs1[0], rd[2] = rs2[0]")                              \
    X(packlo_b, ACC, 0x57, 1, 0x70, "rd[1] = rs1[0], rd[0] = rs2[0]")                              \
    X(mac, ACC, 0x33, 0, 0x21, "rd += rs1 * rs2")                                                  \
    X(addnr, ACC, 0x5b, 2, 0x20, "rd = (rd + rs1) >> (rs2 & 31), arithmetic")                      \
    X(max, RRR, 0x33, 6, 0x02, "rd = max(rs1, rs2), signed")                                       \
    X(min, RRR, 0x33, 4, 0x02, "rd = min(rs1, rs2), signed")                                       \
    X(clipr, RRR, 0x33, 5, 0x0a, "rd = clamp(rs1, -(rs2 + 1), rs2)")                               \
    X(clipur, RRR, 0x33, 6, 0x0a, "rd = clamp(rs1, 0, rs2), rs2 >= 0")                             \
    X(clip, CLIPI, 0x33, 1, 0x0a, "rd = clamp(rs1, -2^(imm-1), 2^(imm-1) - 1)")                    \
    X(clipu, CLIPI, 0x33, 2, 0x0a, "rd = clamp(rs1, 0, 2^(imm-1) - 1)")                            \
    X(lb_pi, LDPI, 0x0b, 0, 0x00, "rd = s8 mem[rs1]; rs1 += imm")                                  \
    X(lbu_pi, LDPI, 0x0b, 4, 0x00, "rd = u8 mem[rs1]; rs1 += imm")                                 \
    X(lw_pi, LDPI, 0x0b, 2, 0x00, "rd = mem32[rs1]; rs1 += imm")                                   \
    X(lw_rpi, LDRPI, 0x0b, 7, 0x10, "rd = mem32[rs1]; rs1 += rs2")                                 \
    X(sb_pi, STPI, 0x2b, 0, 0x00, "mem8[rs1] = rs2; rs1 += imm")                                   \
    X(sw_pi, STPI, 0x2b, 2, 0x00, "mem32[rs1] = rs2; rs1 += imm")                                  \
    X(sb_rpi, STRPI, 0x2b, 4, 0x00, "mem8[rs1] = rs2; rs1 += rs3")                                 \
    X(lp_setup, HWLP, 0x7b, 4, 0x00, "loop L: start pc+4, end pc+2*imm, count rs1")

/* ---- portable C: the meaning ------------------------------------------------ */

DORY_XP_INLINE int32_t dory_xp_s8(uint32_t v, int i)
{
    return (int32_t)(int8_t)(uint8_t)(v >> (8 * i));
}
DORY_XP_INLINE int32_t dory_xp_u8(uint32_t v, int i) { return (int32_t)(uint8_t)(v >> (8 * i)); }
DORY_XP_INLINE uint32_t dory_xp_lanes(const int32_t r[4])
{
    return (uint32_t)(uint8_t)r[0] | (uint32_t)(uint8_t)r[1] << 8 | (uint32_t)(uint8_t)r[2] << 16 |
           (uint32_t)(uint8_t)r[3] << 24;
}
/* Wrapping 32-bit sum (the hardware's adder). */
DORY_XP_INLINE int32_t dory_xp_wrap(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

DORY_XP_INLINE int32_t dory_xp_c_sdotsp_b(int32_t acc, uint32_t a, uint32_t b)
{
    int i;
    for (i = 0; i < 4; i++) acc = dory_xp_wrap(acc, dory_xp_s8(a, i) * dory_xp_s8(b, i));
    return acc;
}
DORY_XP_INLINE int32_t dory_xp_c_sdotusp_b(int32_t acc, uint32_t a, uint32_t b)
{
    int i;
    for (i = 0; i < 4; i++) acc = dory_xp_wrap(acc, dory_xp_u8(a, i) * dory_xp_s8(b, i));
    return acc;
}
DORY_XP_INLINE int32_t dory_xp_c_sdotup_b(int32_t acc, uint32_t a, uint32_t b)
{
    int i;
    for (i = 0; i < 4; i++) acc = dory_xp_wrap(acc, dory_xp_u8(a, i) * dory_xp_u8(b, i));
    return acc;
}
DORY_XP_INLINE int32_t dory_xp_c_dotsp_b(uint32_t a, uint32_t b)
{
    return dory_xp_c_sdotsp_b(0, a, b);
}
DORY_XP_INLINE int32_t dory_xp_c_dotusp_b(uint32_t a, uint32_t b)
{
    return dory_xp_c_sdotusp_b(0, a, b);
}
/* Lane-wise a op b; op 0 add, 1 sub, 2 min, 3 max, 4 maxu, 5 sra, 6 minu. */
DORY_XP_INLINE uint32_t dory_xp_c_lanewise(uint32_t a, uint32_t b, int op)
{
    int32_t r[4];
    int i;
    for (i = 0; i < 4; i++) {
        int32_t x = dory_xp_s8(a, i), y = dory_xp_s8(b, i);
        int32_t ux = dory_xp_u8(a, i), uy = dory_xp_u8(b, i);
        r[i] = op == 0   ? x + y
               : op == 1 ? x - y
               : op == 2 ? (x < y ? x : y)
               : op == 3 ? (x > y ? x : y)
               : op == 4 ? (ux > uy ? ux : uy)
               : op == 6 ? (ux < uy ? ux : uy)
                         : x >> (uy & 7);
    }
    return dory_xp_lanes(r);
}
DORY_XP_INLINE uint32_t dory_xp_c_shuffle2_b(uint32_t d, uint32_t a, uint32_t sel)
{
    int32_t r[4];
    int i;
    for (i = 0; i < 4; i++) {
        uint32_t s = sel >> (8 * i);
        r[i] = dory_xp_u8(s & 4 ? a : d, (int)(s & 3));
    }
    return dory_xp_lanes(r);
}
DORY_XP_INLINE uint32_t dory_xp_c_pack_h(uint32_t a, uint32_t b) { return a << 16 | (b & 0xffffu); }
DORY_XP_INLINE uint32_t dory_xp_c_packhi_b(uint32_t d, uint32_t a, uint32_t b)
{
    return (d & 0xffffu) | (a & 0xffu) << 24 | (b & 0xffu) << 16;
}
DORY_XP_INLINE uint32_t dory_xp_c_packlo_b(uint32_t d, uint32_t a, uint32_t b)
{
    return (d & 0xffff0000u) | (a & 0xffu) << 8 | (b & 0xffu);
}
DORY_XP_INLINE int32_t dory_xp_c_mac(int32_t acc, int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)acc + (uint32_t)a * (uint32_t)b);
}
DORY_XP_INLINE int32_t dory_xp_c_addnr(int32_t d, int32_t a, int32_t sh)
{
    return (int32_t)((uint32_t)d + (uint32_t)a) >> (sh & 31);
}
DORY_XP_INLINE int32_t dory_xp_c_clipr(int32_t x, int32_t hi)
{
    return x <= -(hi + 1) ? -(hi + 1) : x >= hi ? hi : x;
}
/* bits 1..31: clamp to the signed (clip) or unsigned (clipu) range of bits
 * bits, sign included: clip(x, 8) is [-128, 127], clipu(x, 9) is [0, 255]. */
#define DORY_XP_C_CLIP(x, bits)  dory_xp_c_clipr((x), (int32_t)((1u << ((bits)-1)) - 1u))
#define DORY_XP_C_CLIPU(x, bits) dory_xp_c_clipur((x), (int32_t)((1u << ((bits)-1)) - 1u))
DORY_XP_INLINE int32_t dory_xp_c_clipur(int32_t x, int32_t hi)
{
    return x <= 0 ? 0 : x >= hi ? hi : x;
}

/* ---- the target forms ------------------------------------------------------- */

#if DORY_XP_MODE == 1
#define DORY_XP_ACC(name, f3, f7)                                                                  \
    DORY_XP_INLINE int32_t dory_xp_##name(int32_t acc, uint32_t a, uint32_t b)                     \
    {                                                                                              \
        __asm__(".insn r 0x57, " #f3 ", " #f7 ", %0, %1, %2" : "+r"(acc) : "r"(a), "r"(b));        \
        return acc;                                                                                \
    }
#define DORY_XP_RRR(name, op, f3, f7, T)                                                           \
    DORY_XP_INLINE T dory_xp_##name(T a, T b)                                                      \
    {                                                                                              \
        T d;                                                                                       \
        __asm__(".insn r " #op ", " #f3 ", " #f7 ", %0, %1, %2" : "=r"(d) : "r"(a), "r"(b));       \
        return d;                                                                                  \
    }
DORY_XP_ACC(sdotsp_b, 1, 0x5c)
DORY_XP_ACC(sdotusp_b, 1, 0x54)
DORY_XP_ACC(sdotup_b, 1, 0x50)
DORY_XP_RRR(dotsp_b_u, 0x57, 1, 0x4c, uint32_t)
DORY_XP_RRR(dotusp_b_u, 0x57, 1, 0x44, uint32_t)
DORY_XP_RRR(add_b, 0x57, 1, 0x00, uint32_t)
DORY_XP_RRR(sub_b, 0x57, 1, 0x04, uint32_t)
DORY_XP_RRR(min_b, 0x57, 1, 0x10, uint32_t)
DORY_XP_RRR(minu_b, 0x57, 1, 0x14, uint32_t)
DORY_XP_RRR(max_b, 0x57, 1, 0x18, uint32_t)
DORY_XP_RRR(maxu_b, 0x57, 1, 0x1c, uint32_t)
DORY_XP_RRR(sra_b, 0x57, 1, 0x24, uint32_t)
DORY_XP_RRR(pack_h, 0x57, 0, 0x68, uint32_t)
DORY_XP_RRR(max, 0x33, 6, 0x02, int32_t)
DORY_XP_RRR(min, 0x33, 4, 0x02, int32_t)
DORY_XP_RRR(clipr, 0x33, 5, 0x0a, int32_t)
DORY_XP_RRR(clipur, 0x33, 6, 0x0a, int32_t)
DORY_XP_INLINE int32_t dory_xp_dotsp_b(uint32_t a, uint32_t b)
{
    return (int32_t)dory_xp_dotsp_b_u(a, b);
}
DORY_XP_INLINE int32_t dory_xp_dotusp_b(uint32_t a, uint32_t b)
{
    return (int32_t)dory_xp_dotusp_b_u(a, b);
}
#define DORY_XP_ACC3(name, op, f3, f7, T)                                                          \
    DORY_XP_INLINE T dory_xp_##name(T d, T a, T b)                                                 \
    {                                                                                              \
        __asm__(".insn r " #op ", " #f3 ", " #f7 ", %0, %1, %2" : "+r"(d) : "r"(a), "r"(b));       \
        return d;                                                                                  \
    }
DORY_XP_ACC3(shuffle2_b, 0x57, 1, 0x64, uint32_t)
DORY_XP_ACC3(packhi_b, 0x57, 1, 0x6c, uint32_t)
DORY_XP_ACC3(packlo_b, 0x57, 1, 0x70, uint32_t)
DORY_XP_ACC3(mac, 0x33, 0, 0x21, int32_t)
DORY_XP_ACC3(addnr, 0x5b, 2, 0x20, int32_t)
/* p.clip / p.clipu rd, rs1, imm5: the I-type immediate is funct7 << 5 | imm5. */
#define DORY_XP_CLIP(x, bits)                                                                      \
    __extension__({                                                                                \
        int32_t d_;                                                                                \
        __asm__(".insn i 0x33, 1, %0, %1, %2"                                                      \
                : "=r"(d_)                                                                         \
                : "r"((int32_t)(x)), "n"(0x140 | (bits)));                                         \
        d_;                                                                                        \
    })
#define DORY_XP_CLIPU(x, bits)                                                                     \
    __extension__({                                                                                \
        int32_t d_;                                                                                \
        __asm__(".insn i 0x33, 2, %0, %1, %2"                                                      \
                : "=r"(d_)                                                                         \
                : "r"((int32_t)(x)), "n"(0x140 | (bits)));                                         \
        d_;                                                                                        \
    })
/* Post-increment loads and stores: *pp advances by the access size. */
#define DORY_XP_LD_PI(name, f3, T, size)                                                           \
    DORY_XP_INLINE T dory_xp_##name(const void **pp)                                               \
    {                                                                                              \
        T v;                                                                                       \
        __asm__ volatile(".insn i 0x0b, " #f3 ", %0, %1, " #size                                   \
                         : "=r"(v), "=r"(*pp)                                                      \
                         : "1"(*pp)                                                                \
                         : "memory");                                                              \
        return v;                                                                                  \
    }
DORY_XP_LD_PI(lb_pi, 0, int32_t, 1)
DORY_XP_LD_PI(lbu_pi, 4, int32_t, 1)
DORY_XP_LD_PI(lw_pi, 2, uint32_t, 4)
/* p.lw rd, rs2(rs1!): the pointer advances by a register. */
DORY_XP_INLINE uint32_t dory_xp_lw_rpi(const void **pp, int32_t inc)
{
    uint32_t v;
    __asm__ volatile(".insn r 0x0b, 7, 0x10, %0, %1, %3"
                     : "=r"(v), "=r"(*pp)
                     : "1"(*pp), "r"(inc)
                     : "memory");
    return v;
}
DORY_XP_INLINE void dory_xp_sb_pi(void **pp, int32_t v)
{
    __asm__ volatile(".insn s 0x2b, 0, %2, 1(%0)" : "=r"(*pp) : "0"(*pp), "r"(v) : "memory");
}
DORY_XP_INLINE void dory_xp_sw_pi(void **pp, uint32_t v)
{
    __asm__ volatile(".insn s 0x2b, 2, %2, 4(%0)" : "=r"(*pp) : "0"(*pp), "r"(v) : "memory");
}
/* p.sb rs2, rs3(rs1!): .insn r with rs3 in the rd field. */
DORY_XP_INLINE void dory_xp_sb_rpi(void **pp, int32_t v, int32_t inc)
{
    __asm__ volatile(".insn r 0x2b, 4, 0, %3, %0, %2"
                     : "=r"(*pp)
                     : "0"(*pp), "r"(v), "r"(inc)
                     : "memory");
}
#else
/* portable C (mode 0) and the builtins (mode 2) share the memory helpers */
DORY_XP_INLINE int32_t dory_xp_lb_pi(const void **pp)
{
    int32_t v = *(const int8_t *)*pp;
    *pp = (const uint8_t *)*pp + 1;
    return v;
}
DORY_XP_INLINE int32_t dory_xp_lbu_pi(const void **pp)
{
    int32_t v = *(const uint8_t *)*pp;
    *pp = (const uint8_t *)*pp + 1;
    return v;
}
DORY_XP_INLINE uint32_t dory_xp_lw_pi(const void **pp)
{
    uint32_t v;
    memcpy(&v, *pp, 4);
    *pp = (const uint8_t *)*pp + 4;
    return v;
}
DORY_XP_INLINE uint32_t dory_xp_lw_rpi(const void **pp, int32_t inc)
{
    uint32_t v;
    memcpy(&v, *pp, 4);
    *pp = (const uint8_t *)*pp + inc;
    return v;
}
DORY_XP_INLINE void dory_xp_sb_pi(void **pp, int32_t v)
{
    *(uint8_t *)*pp = (uint8_t)v;
    *pp = (uint8_t *)*pp + 1;
}
DORY_XP_INLINE void dory_xp_sw_pi(void **pp, uint32_t v)
{
    memcpy(*pp, &v, 4);
    *pp = (uint8_t *)*pp + 4;
}
DORY_XP_INLINE void dory_xp_sb_rpi(void **pp, int32_t v, int32_t inc)
{
    *(uint8_t *)*pp = (uint8_t)v;
    *pp = (uint8_t *)*pp + inc;
}
#define DORY_XP_CLIP(x, bits)  DORY_XP_C_CLIP((x), (bits))
#define DORY_XP_CLIPU(x, bits) DORY_XP_C_CLIPU((x), (bits))
DORY_XP_INLINE int32_t dory_xp_max(int32_t a, int32_t b) { return a > b ? a : b; }
DORY_XP_INLINE int32_t dory_xp_min(int32_t a, int32_t b) { return a < b ? a : b; }
DORY_XP_INLINE int32_t dory_xp_clipr(int32_t x, int32_t hi) { return dory_xp_c_clipr(x, hi); }
DORY_XP_INLINE int32_t dory_xp_clipur(int32_t x, int32_t hi) { return dory_xp_c_clipur(x, hi); }
DORY_XP_INLINE uint32_t dory_xp_pack_h(uint32_t a, uint32_t b) { return dory_xp_c_pack_h(a, b); }
/* Forwarders to the portable forms (modes 0 and 2). */
#define DORY_XP_FWD3(name, T, U)                                                                   \
    DORY_XP_INLINE T dory_xp_##name(T d, U a, U b) { return dory_xp_c_##name(d, a, b); }
#define DORY_XP_FWD_LANE(name, op)                                                                 \
    DORY_XP_INLINE uint32_t dory_xp_##name(uint32_t a, uint32_t b)                                 \
    {                                                                                              \
        return dory_xp_c_lanewise(a, b, op);                                                       \
    }
DORY_XP_FWD3(packhi_b, uint32_t, uint32_t)
DORY_XP_FWD3(packlo_b, uint32_t, uint32_t)
DORY_XP_FWD3(shuffle2_b, uint32_t, uint32_t)
DORY_XP_FWD3(addnr, int32_t, int32_t)
DORY_XP_FWD_LANE(sub_b, 1)
DORY_XP_FWD_LANE(min_b, 2)
DORY_XP_FWD_LANE(sra_b, 5)
#if DORY_XP_MODE == 2
typedef signed char dory_xp_v4s __attribute__((vector_size(4)));
typedef unsigned char dory_xp_v4u __attribute__((vector_size(4)));
#define DORY_XP_B(name, builtin, VA, VB)                                                           \
    DORY_XP_INLINE int32_t dory_xp_##name(int32_t acc, uint32_t a, uint32_t b)                     \
    {                                                                                              \
        VA va;                                                                                     \
        VB vb;                                                                                     \
        memcpy(&va, &a, 4);                                                                        \
        memcpy(&vb, &b, 4);                                                                        \
        return builtin(va, vb, acc);                                                               \
    }
DORY_XP_B(sdotsp_b, __builtin_pulp_sdotsp4, dory_xp_v4s, dory_xp_v4s)
DORY_XP_B(sdotusp_b, __builtin_pulp_sdotusp4, dory_xp_v4u, dory_xp_v4s)
DORY_XP_B(sdotup_b, (int32_t)__builtin_pulp_sdotup4, dory_xp_v4u, dory_xp_v4u)
DORY_XP_INLINE int32_t dory_xp_dotsp_b(uint32_t a, uint32_t b) { return dory_xp_sdotsp_b(0, a, b); }
DORY_XP_INLINE int32_t dory_xp_dotusp_b(uint32_t a, uint32_t b)
{
    return dory_xp_sdotusp_b(0, a, b);
}
#define DORY_XP_V(name, builtin, V)                                                                \
    DORY_XP_INLINE uint32_t dory_xp_##name(uint32_t a, uint32_t b)                                 \
    {                                                                                              \
        V va, vb, vr;                                                                              \
        uint32_t r;                                                                                \
        memcpy(&va, &a, 4);                                                                        \
        memcpy(&vb, &b, 4);                                                                        \
        vr = builtin(va, vb);                                                                      \
        memcpy(&r, &vr, 4);                                                                        \
        return r;                                                                                  \
    }
DORY_XP_V(add_b, __builtin_pulp_add4, dory_xp_v4s)
DORY_XP_V(max_b, __builtin_pulp_max4, dory_xp_v4s)
DORY_XP_V(maxu_b, __builtin_pulp_maxu4, dory_xp_v4u)
DORY_XP_V(minu_b, __builtin_pulp_minu4, dory_xp_v4u)
DORY_XP_INLINE int32_t dory_xp_mac(int32_t acc, int32_t a, int32_t b)
{
    return __builtin_pulp_mac(a, b, acc);
}
#else
DORY_XP_FWD3(sdotsp_b, int32_t, uint32_t)
DORY_XP_FWD3(sdotusp_b, int32_t, uint32_t)
DORY_XP_FWD3(sdotup_b, int32_t, uint32_t)
DORY_XP_FWD3(mac, int32_t, int32_t)
DORY_XP_FWD_LANE(add_b, 0)
DORY_XP_FWD_LANE(max_b, 3)
DORY_XP_FWD_LANE(maxu_b, 4)
DORY_XP_FWD_LANE(minu_b, 6)
DORY_XP_INLINE int32_t dory_xp_dotsp_b(uint32_t a, uint32_t b) { return dory_xp_c_dotsp_b(a, b); }
DORY_XP_INLINE int32_t dory_xp_dotusp_b(uint32_t a, uint32_t b) { return dory_xp_c_dotusp_b(a, b); }
#endif
#endif

/* ---- hardware loops (inside an asm block) ----------------------------------- */

/* `lp.setup L, count, end`: loop L (0 inner, 1 outer) over the next `n` 4-byte
 * instructions, `count` times (count >= 1, a register operand such as "%[n]").
 * Use inside `.option push; .option norvc` so that every body instruction
 * has 4 bytes: the loop's end is the address of its last instruction,
 * pc + 4 * n = pc + (imm << 1). Only for mode 1 asm blocks. */
#define DORY_XP_LP_SETUP(L, count, n) ".insn i 0x7b, 4, x" #L ", " count ", 2*" #n "\n\t"

/* The same encodings as text for assembly blocks, registers by name
 * (DORY_XP_T_SDOTUSP_B("t0", "a1", "a2")); tests/py/test_xpulp_encoding.py
 * checks each against the manual as it does the functions. */
#define DORY_XP_T_R(op, f3, f7, d, a, b)                                                           \
    ".insn r " #op ", " #f3 ", " #f7 ", " d ", " a ", " b "\n\t"
#define DORY_XP_T_SDOTUSP_B(d, a, b)  DORY_XP_T_R(0x57, 1, 0x54, d, a, b)
#define DORY_XP_T_DOTUSP_B(d, a, b)   DORY_XP_T_R(0x57, 1, 0x44, d, a, b)
#define DORY_XP_T_SHUFFLE2_B(d, a, b) DORY_XP_T_R(0x57, 1, 0x64, d, a, b)
#define DORY_XP_T_PACK_H(d, a, b)     DORY_XP_T_R(0x57, 0, 0x68, d, a, b)
#define DORY_XP_T_MAX(d, a, b)        DORY_XP_T_R(0x33, 6, 0x02, d, a, b)
#define DORY_XP_T_MIN(d, a, b)        DORY_XP_T_R(0x33, 4, 0x02, d, a, b)
#define DORY_XP_T_MAC(d, a, b)        DORY_XP_T_R(0x33, 0, 0x21, d, a, b)
#define DORY_XP_T_ADDNR(d, a, b)      DORY_XP_T_R(0x5b, 2, 0x20, d, a, b)
#define DORY_XP_T_CLIPUR(d, a, b)     DORY_XP_T_R(0x33, 6, 0x0a, d, a, b)
#define DORY_XP_T_ADD_B(d, a, b)      DORY_XP_T_R(0x57, 1, 0x00, d, a, b)
#define DORY_XP_T_MAX_B(d, a, b)      DORY_XP_T_R(0x57, 1, 0x18, d, a, b)
#define DORY_XP_T_MAXU_B(d, a, b)     DORY_XP_T_R(0x57, 1, 0x1c, d, a, b)
#define DORY_XP_T_MINU_B(d, a, b)     DORY_XP_T_R(0x57, 1, 0x14, d, a, b)
/* p.lw d, imm(p!); p.lw d, inc(p!) and p.sb v, inc(p!) (inc a register);
 * p.sw v, imm(p!); p.clipu d, a, bits */
#define DORY_XP_T_LW_PI(d, p, imm)  ".insn i 0x0b, 2, " d ", " p ", " #imm "\n\t"
#define DORY_XP_T_LW_RPI(d, p, inc) DORY_XP_T_R(0x0b, 7, 0x10, d, p, inc)
#define DORY_XP_T_SW_PI(v, p, imm)  ".insn s 0x2b, 2, " v ", " #imm "(" p ")\n\t"
#define DORY_XP_T_SB_RPI(v, p, inc) DORY_XP_T_R(0x2b, 4, 0, inc, p, v)
#define DORY_XP_T_CLIPU(d, a, bits) ".insn i 0x33, 2, " d ", " a ", 0x140|" #bits "\n\t"
/* p.lbu / p.lb d, imm(p!); p.sb v, imm(p!) */
#define DORY_XP_T_LBU_PI(d, p, imm) ".insn i 0x0b, 4, " d ", " p ", " #imm "\n\t"
#define DORY_XP_T_LB_PI(d, p, imm)  ".insn i 0x0b, 0, " d ", " p ", " #imm "\n\t"
#define DORY_XP_T_SB_PI(v, p, imm)  ".insn s 0x2b, 0, " v ", " #imm "(" p ")\n\t"

#endif
