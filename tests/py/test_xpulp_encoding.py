"""The `.insn` forms of kernels/dory_xpulp.h against the PULP v2 (RI5CY)
encoding tables: every operation is compiled by Debian's
riscv64-unknown-elf-gcc (-march=rv32imc -DDORY_XPULP_INSN) in a wrapper whose
arguments sit in known registers, disassembled by objdump, and the one
instruction the wrapper adds must equal the manual's bit pattern with those
registers filled in. The patterns below are transcribed from the PULP v2
tables of the CV32E40P user manual of February 2021 (doc/source/
instruction_set_extensions.rst of pulp-platform/riscv at be13a95, which has
RI5CY's encodings, before CORE-V renumbered them), field by field as the
manual draws them, MSB first. A wrong funct, a swapped operand (u8 and i8 of
pv.sdotusp.b) or a CORE-V opcode fails here."""
import pathlib
import re
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
GCC = "riscv64-unknown-elf-gcc"
OBJDUMP = "riscv64-unknown-elf-objdump"

# name: (manual fields MSB first, C wrapper). {d}, {s1}, {s2} are register
# numbers (5 bits), {i12} a 12-bit immediate, {i5} a 5-bit one. The wrappers
# take their operands in a0 (x10), a1 (x11), a2 (x12) and return in a0.
SIMD = "1010111"
ALU = "0110011"


def simd(funct5, f3):
    return f"{funct5} 0 0 {{s2}} {{s1}} {f3} {{d}} {SIMD}"


ACC = "int32_t f(int32_t acc, uint32_t a, uint32_t b) { return dory_xp_NAME(acc, a, b); }"
RRR = "uint32_t f(uint32_t d, uint32_t b) { return (uint32_t)dory_xp_NAME(d, b); }"
RRRI = "int32_t f(int32_t d, int32_t b) { return dory_xp_NAME(d, b); }"
ACC3 = "uint32_t f(uint32_t d, uint32_t a, uint32_t b) { return dory_xp_NAME(d, a, b); }"
OPS = {
    # name: (pattern, wrapper, registers d, s1, s2)
    "sdotsp_b": (simd("10111", "001"), ACC, (10, 11, 12)),
    "sdotusp_b": (simd("10101", "001"), ACC, (10, 11, 12)),
    "sdotup_b": (simd("10100", "001"), ACC, (10, 11, 12)),
    "dotsp_b": (simd("10011", "001"), RRR, (10, 10, 11)),
    "dotusp_b": (simd("10001", "001"), RRR, (10, 10, 11)),
    "add_b": (simd("00000", "001"), RRR, (10, 10, 11)),
    "sub_b": (simd("00001", "001"), RRR, (10, 10, 11)),
    "min_b": (simd("00100", "001"), RRR, (10, 10, 11)),
    "minu_b": (simd("00101", "001"), RRR, (10, 10, 11)),
    "max_b": (simd("00110", "001"), RRR, (10, 10, 11)),
    "maxu_b": (simd("00111", "001"), RRR, (10, 10, 11)),
    "sra_b": (simd("01001", "001"), RRR, (10, 10, 11)),
    "pack_h": (simd("11010", "000"), RRR, (10, 10, 11)),
    "shuffle2_b": (simd("11001", "001"), ACC3, (10, 11, 12)),
    "packhi_b": (simd("11011", "001"), ACC3, (10, 11, 12)),
    "packlo_b": (simd("11100", "001"), ACC3, (10, 11, 12)),
    "mac": (f"0100001 {{s2}} {{s1}} 000 {{d}} {ALU}", ACC3.replace("uint32_t", "int32_t"),
            (10, 11, 12)),
    # p.addNr rD, rs1, rs2: 01 00000 rs2 rs1 010 rD 1011011 (the manual's
    # Luimm5 in this row is 0: later revisions draw 00000)
    "addnr": (f"0100000 {{s2}} {{s1}} 010 {{d}} 1011011", ACC3.replace("uint32_t", "int32_t"),
              (10, 11, 12)),
    "max": (f"0000010 {{s2}} {{s1}} 110 {{d}} {ALU}", RRRI, (10, 10, 11)),
    "min": (f"0000010 {{s2}} {{s1}} 100 {{d}} {ALU}", RRRI, (10, 10, 11)),
    "clipr": (f"0001010 {{s2}} {{s1}} 101 {{d}} {ALU}", RRRI, (10, 10, 11)),
    # p.clipur rD, rs1, rs2: 0001010 rs2 rs1 110 rD 0110011 (GVSoC's pulp v2
    # decoder has the same row, as the register form of p.clipu)
    "clipur": (f"0001010 {{s2}} {{s1}} 110 {{d}} {ALU}", RRRI, (10, 10, 11)),
    # p.clip rD, rs1, Is2: Is2 in the rs2 field (here 8: [-128, 127])
    "clip": (f"0001010 {{i5}} {{s1}} 001 {{d}} {ALU}",
             "int32_t f(int32_t x) { return DORY_XP_CLIP(x, 8); }", (10, 10, 8)),
    "clipu": (f"0001010 {{i5}} {{s1}} 010 {{d}} {ALU}",
              "int32_t f(int32_t x) { return DORY_XP_CLIPU(x, 9); }", (10, 10, 9)),
    # post-increment loads: imm[11:0] rs1 funct3 rd 0001011; stores:
    # imm[11:5] rs2 rs1 funct3 imm[4:0] 0101011. The pointer lives in a0.
    "lb_pi": ("{i12} {s1} 000 {d} 0001011",
              "int32_t f(const void *p) { return dory_xp_lb_pi(&p) + (int32_t)(long)p; }",
              (None, 10, 1)),
    "lbu_pi": ("{i12} {s1} 100 {d} 0001011",
               "int32_t f(const void *p) { return dory_xp_lbu_pi(&p) + (int32_t)(long)p; }",
               (None, 10, 1)),
    "lw_pi": ("{i12} {s1} 010 {d} 0001011",
              "uint32_t f(const void *p) { return dory_xp_lw_pi(&p) + (uint32_t)(long)p; }",
              (None, 10, 4)),
    # p.lw rD, rs2(rs1!): 0010000 rs2 rs1 111 rD 0001011 (GVSoC's pulp v2
    # decoder: LW_RR_POSTINC)
    "lw_rpi": ("0010000 {s2} {s1} 111 {d} 0001011",
               "uint32_t f(const void *p, int32_t n) { return dory_xp_lw_rpi(&p, n) + "
               "(uint32_t)(long)p; }", (None, 10, 11)),
    "sb_pi": ("0000000 {s2} {s1} 000 00001 0101011",
              "void *f(void *p, int32_t v) { dory_xp_sb_pi(&p, v); return p; }",
              (None, 10, 11)),
    "sw_pi": ("0000000 {s2} {s1} 010 00100 0101011",
              "void *f(void *p, uint32_t v) { dory_xp_sw_pi(&p, v); return p; }",
              (None, 10, 11)),
    # p.sb rs2, rs3(rs1!): 0000000 rs2 rs1 100 rs3 0101011 (rs3 where rd is)
    "sb_rpi": ("0000000 {s2} {s1} 100 {d} 0101011",
               "void *f(void *p, int32_t v, int32_t n) { dory_xp_sb_rpi(&p, v, n); return p; }",
               (12, 10, 11)),
    # lp.setup L, rs1, uimmL: uimmL[11:0] rs1 100 0000 L 1111011; loop 0
    # over 3 body instructions ends at pc + 12 = pc + (6 << 1)
    "lp_setup": ("{i12} {s1} 100 0000 0 1111011",
                 "int32_t f(int32_t n) { int32_t a = 0; __asm__ volatile("
                 "\".option push\\n\\t.option norvc\\n\\t\" DORY_XP_LP_SETUP(0, \"%1\", 3) "
                 "\"addi %0, %0, 1\\n\\taddi %0, %0, 2\\n\\taddi %0, %0, 3\\n\\t.option pop\" "
                 ": \"+r\"(a) : \"r\"(n)); return a; }", (None, 10, 6)),
}


# The assembly-text forms (DORY_XP_T_*) and the table row whose pattern each
# must equal, with the registers of the snippet (d, s1, s2 as in OPS).
ASM_TEXT = {
    "SDOTUSP_B": ("sdotusp_b", '"a0", "a1", "a2"', (10, 11, 12)),
    "DOTUSP_B": ("dotusp_b", '"a0", "a1", "a2"', (10, 11, 12)),
    "SHUFFLE2_B": ("shuffle2_b", '"a0", "a1", "a2"', (10, 11, 12)),
    "PACK_H": ("pack_h", '"a0", "a1", "a2"', (10, 11, 12)),
    "MAX": ("max", '"a0", "a1", "a2"', (10, 11, 12)),
    "MIN": ("min", '"a0", "a1", "a2"', (10, 11, 12)),
    "MAC": ("mac", '"a0", "a1", "a2"', (10, 11, 12)),
    "ADDNR": ("addnr", '"a0", "a1", "a2"', (10, 11, 12)),
    "CLIPUR": ("clipur", '"a0", "a1", "a2"', (10, 11, 12)),
    "LW_PI": ("lw_pi", '"a0", "a1", 4', (10, 11, 4)),
    "LW_RPI": ("lw_rpi", '"a0", "a1", "a2"', (10, 11, 12)),
    "SW_PI": ("sw_pi", '"a1", "a0", 4', (None, 10, 11)),
    "SB_RPI": ("sb_rpi", '"a0", "a1", "a2"', (12, 11, 10)),
    "CLIPU": ("clipu", '"a0", "a1", 9', (10, 11, 9)),
    "LBU_PI": ("lbu_pi", '"a0", "a1", 1', (10, 11, 1)),
    "LB_PI": ("lb_pi", '"a0", "a1", 1', (10, 11, 1)),
    "SB_PI": ("sb_pi", '"a0", "a1", 1', (None, 11, 10)),
    "SW_PI": ("sw_pi", '"a0", "a1", 4', (None, 11, 10)),
    "ADD_B": ("add_b", '"a0", "a1", "a2"', (10, 11, 12)),
    "MAX_B": ("max_b", '"a0", "a1", "a2"', (10, 11, 12)),
    "MAXU_B": ("maxu_b", '"a0", "a1", "a2"', (10, 11, 12)),
    "MINU_B": ("minu_b", '"a0", "a1", "a2"', (10, 11, 12)),
}


def table_names():
    text = (ROOT / "kernels" / "dory_xpulp.h").read_text()
    body = text[text.index("#define DORY_XPULP_OPS(X)"):text.index("/* ---- portable C")]
    return re.findall(r"X\((\w+),", body)


def expected_word(pattern, regs, name):
    d, s1, s2 = regs
    fields = {"d": d, "s1": s1, "s2": s2, "i5": s2, "i12": s2}
    bits = ""
    for tok in pattern.split():
        m = re.fullmatch(r"\{(\w+)\}", tok)
        if not m:
            bits += tok
            continue
        key = m.group(1)
        width = 12 if key == "i12" else 5
        value = fields[key]
        if value is None:
            bits += "x" * width  # register the compiler picks: checked apart
        else:
            bits += format(value, f"0{width}b")
    assert len(bits) == 32, (name, pattern, bits)
    return bits


@pytest.fixture(scope="module")
def objdump(tmp_path_factory):
    if not shutil.which(GCC) or not shutil.which(OBJDUMP):
        pytest.fail(f"{GCC} and {OBJDUMP} are needed (make deps installs them)")
    out = {}
    tmp = tmp_path_factory.mktemp("xpulp")
    for name, (_, wrapper, _) in OPS.items():
        src = tmp / f"{name}.c"
        src.write_text('#include "dory_xpulp.h"\n' + wrapper.replace("NAME", name) + "\n")
        obj = tmp / f"{name}.o"
        subprocess.run([GCC, "-march=rv32imc", "-mabi=ilp32", "--specs=picolibc.specs", "-O2", "-std=c99", "-Wall",
                        "-Werror", "-DDORY_XPULP_INSN", f"-I{ROOT / 'kernels'}", "-c", str(src),
                        "-o", str(obj)], check=True, capture_output=True, text=True)
        dis = subprocess.run([OBJDUMP, "-d", str(obj)], check=True, capture_output=True,
                             text=True).stdout
        out[name] = [int(m, 16) for m in re.findall(r"^\s*[0-9a-f]+:\s+([0-9a-f]{8})\s", dis,
                                                     re.M)]
    return out


@pytest.mark.parametrize("macro", sorted(ASM_TEXT))
def test_asm_text_matches_manual(tmp_path, macro):
    if not shutil.which(GCC) or not shutil.which(OBJDUMP):
        pytest.fail(f"{GCC} and {OBJDUMP} are needed (make deps installs them)")
    name, args, regs = ASM_TEXT[macro]
    src = tmp_path / "t.c"
    src.write_text('#include "dory_xpulp.h"\nvoid f(void) { __asm__ volatile(DORY_XP_T_'
                   f'{macro}({args})); }}\n')
    obj = tmp_path / "t.o"
    subprocess.run([GCC, "-march=rv32imc", "-mabi=ilp32", "--specs=picolibc.specs", "-O2", "-std=c99",
                    "-Wall", "-Werror",
                    f"-I{ROOT / 'kernels'}", "-c", str(src), "-o", str(obj)], check=True,
                   capture_output=True, text=True)
    dis = subprocess.run([OBJDUMP, "-d", str(obj)], check=True, capture_output=True, text=True).stdout
    words = [int(m, 16) for m in re.findall(r"^\s*[0-9a-f]+:\s+([0-9a-f]{8})\s", dis, re.M)]
    words = [w for w in words if custom(w)]
    assert len(words) == 1, f"{macro}: {[hex(w) for w in words]}"
    want = expected_word(OPS[name][0], regs, name)
    got = format(words[0], "032b")
    assert got == want, f"DORY_XP_T_{macro}: {got}, manual {want}"


def test_every_table_row_is_checked():
    assert sorted(table_names()) == sorted(OPS)


def custom(word):
    """A 32-bit word that is not rv32imc: the instruction the wrapper adds."""
    op, f7 = word & 0x7F, word >> 25
    return op in (0x57, 0x0B, 0x2B, 0x5B, 0x7B) or (op == 0x33 and f7 not in (0x00, 0x01, 0x20))


@pytest.mark.parametrize("name", sorted(OPS))
def test_insn_matches_manual(objdump, name):
    pattern, _, regs = OPS[name]
    words = [w for w in objdump[name] if custom(w)]
    assert len(words) == 1, f"{name}: {len(words)} Xpulp words in {[hex(w) for w in objdump[name]]}"
    want = expected_word(pattern, regs, name)
    got = format(words[0], "032b")
    mismatch = [i for i, b in enumerate(want) if b != "x" and b != got[i]]
    assert not mismatch, f"{name}: {got} (0x{words[0]:08x}), manual {want}"


def test_table_fields_agree_with_manual():
    """The X-macro table's opcode/funct3/funct7 (what docs and reports show)
    equal the manual's fixed fields of each pattern."""
    text = (ROOT / "kernels" / "dory_xpulp.h").read_text()
    for name, kind, op, f3, f7 in re.findall(
            r"X\((\w+), (\w+), (0x[0-9a-f]+), (\d), (0x[0-9a-f]+),", text):
        bits = expected_word(OPS[name][0], (0, 0, 0), name)
        assert int(bits[25:], 2) == int(op, 16), name
        assert int(bits[17:20], 2) == int(f3), name
        if kind in ("ACC", "RRR", "CLIPI", "LDRPI"):
            assert int(bits[:7], 2) == int(f7, 16), name
