"""IR text form through the CLI: `dory inspect --ir -o` writes text (large
constants to FILE.bin), reading it back gives the same graph (same text when
printed again, same outputs when run), and malformed text fails with a
FILE:LINE diagnostic and a non-zero exit, never a crash (ASan binary).
"""
import pathlib
import random

import pytest

from conftest import assert_user_error

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "tests" / "ir").glob("*.dory"))


def big_conv_text(seed=7):
    """A conv with 64x3x3x16 = 9216 weights: above the 4096-element inline limit."""
    rng = random.Random(seed)
    w = ",".join(str(rng.randint(-128, 127)) for _ in range(64 * 3 * 3 * 16))
    b = ",".join(str(rng.randint(-300, 300)) for _ in range(64))
    mult = ",".join(str(rng.randint(1 << 30, (1 << 31) - 1)) for _ in range(64))
    shift = ",".join(str(rng.randint(-10, -8)) for _ in range(64))
    return (
        "dory-ir 1\ngraph big\n"
        "tensor x i8 [1,6,6,16] zp=-3\ninput x\n"
        f"tensor c.w i8 [64,3,3,16] = {{{w}}}\n"
        f"tensor c.b i32 [64] = {{{b}}}\n"
        f"tensor c.mult i32 [64] = {{{mult}}}\n"
        f"tensor c.shift i32 [64] = {{{shift}}}\n"
        "tensor y i8 [1,6,6,64] zp=2\n"
        "node c conv2d (x, c.w, c.b) -> y kernel=3,3 pad=1,1,1,1 "
        "rq=fixed(mult=c.mult,shift=c.shift,pre=0)\n"
        "output y\n")


def reprint(dory, run_dory, src, out):
    run_dory(dory, "inspect", src, "--ir", "-o", out)
    return out.read_text()


@pytest.mark.parametrize("model", EXAMPLES + ["big"], ids=lambda p: getattr(p, "name", p))
def test_ir_text_round_trip_cli(dory, run_dory, tmp_path, model):
    if model == "big":
        model = tmp_path / "big.dory"
        model.write_text(big_conv_text())
    a = reprint(dory, run_dory, model, tmp_path / "a.dory")
    b = reprint(dory, run_dory, tmp_path / "a.dory", tmp_path / "b.dory")
    assert a.replace("a.dory.bin", "X") == b.replace("b.dory.bin", "X")
    if "@a.dory.bin:" in a:
        assert (tmp_path / "a.dory.bin").read_bytes() == (tmp_path / "b.dory.bin").read_bytes()
    if model.name == "big.dory":
        assert "@a.dory.bin:0" in a and (tmp_path / "a.dory.bin").stat().st_size == 9216
    # The three files are one graph: the same output.
    outs = []
    for m in (model, tmp_path / "a.dory", tmp_path / "b.dory"):
        o = tmp_path / "o.txt"
        o.unlink(missing_ok=True)
        p = run_dory(dory, "run", m, "--random", "3", "-o", o, check=False)
        err = p.stderr.replace(str(m), "MODEL")
        outs.append((p.returncode, err, o.read_text() if p.returncode == 0 else None))
    assert outs[0] == outs[1] == outs[2]
    assert outs[0][0] == 0, outs[0][1]


BAD = [
    ("dory-ir 1\ngraph g\ntensor x i8 [1,2,2,3]\ninput x\ntensor y i8 [1,2,2,3]\n"
     "node r requant (x) -> y rq=shift(k=nope,d=1)\noutput y\n", ":6:"),
    ("dory-ir 1\ngraph g\ntensor x i8 [1,2,2,3] = {1,2\n", ":3:"),
    ("dory-ir 1\ngraph g\ntensor x i8 [1] = @missing.bin:0\ninput x\n", ":3:"),
    ("dory-ir 1\ngraph g\ntensor x u8 [2] = {1,256}\ninput x\n", ":3:"),
]


@pytest.mark.parametrize("text,where", BAD)
def test_ir_text_errors_cli(dory_asan, run_dory, tmp_path, text, where):
    f = tmp_path / "bad.dory"
    f.write_text(text)
    p = run_dory(dory_asan, "inspect", f, check=False)
    assert_user_error(p, f"bad.dory{where}", status=1)
