"""Tensor files for `dory run`: .npy, raw and text, the source layout (NCHW for
a model whose tensors say so), and clear errors for bad files."""
import numpy as np
import pytest

from conftest import assert_user_error
from irgen import GraphText


def identity_model(tmp_path, dt="i8", chw=True):
    """x [1,H,W,C] -> requant none -> y, with an NCHW source view."""
    H, W, C = 3, 4, 5
    g = GraphText("io")
    src = f" src=chw({H},{W},{C}) srcshape=[1,{C},{H},{W}]" if chw else ""
    g.lines.append(f"tensor x {dt} [1,{H},{W},{C}]{src}")
    g.lines.append(f"tensor y {dt} [1,{H},{W},{C}]{src}")
    g.input("x")
    g.node("copy", "requant", ["x"], "y")
    g.output("y")
    p = tmp_path / "io.dory"
    p.write_text(g.text())
    return p, (1, C, H, W) if chw else (1, H, W, C)


@pytest.mark.parametrize("fmt", ["npy", "bin", "txt"])
def test_formats_round_trip_in_source_layout(dory, run_dory, tmp_path, fmt):
    model, shape = identity_model(tmp_path)
    x = np.random.default_rng(0).integers(-128, 128, size=shape).astype(np.int8)
    inp = tmp_path / f"x.{fmt}"
    if fmt == "npy":
        np.save(inp, x)
    elif fmt == "bin":
        inp.write_bytes(x.tobytes())
    else:
        inp.write_text("\n".join(map(str, x.reshape(-1))) + "\n")
    out = tmp_path / f"y.{fmt}"
    run_dory(dory, "run", model, "--input", inp, "-o", out)
    if fmt == "npy":
        y = np.load(out)
        assert y.shape == shape and y.dtype == np.int8
    elif fmt == "bin":
        y = np.frombuffer(out.read_bytes(), dtype=np.int8).reshape(shape)
    else:
        y = np.array([int(v) for v in out.read_text().split()]).reshape(shape)
    np.testing.assert_array_equal(y, x)


def test_dump_is_in_source_layout(dory, run_dory, tmp_path):
    model, shape = identity_model(tmp_path)
    x = np.arange(np.prod(shape)).reshape(shape).astype(np.int8)
    np.save(tmp_path / "x.npy", x)
    run_dory(dory, "run", model, "--input", tmp_path / "x.npy", "--dump", tmp_path / "d")
    np.testing.assert_array_equal(np.load(tmp_path / "d" / "000_copy.npy"), x)


def test_dory_text_format_with_header_and_decimals(dory, run_dory, tmp_path):
    """DORY's input.txt: a '# ... (shape ...)' header, 'v.000,' values."""
    model, shape = identity_model(tmp_path, dt="u8")
    x = np.random.default_rng(1).integers(0, 256, size=shape)
    (tmp_path / "in.txt").write_text("# input (shape [1, 5, 3, 4]),\n" +
                                     "".join(f"{v}.000,\n" for v in x.reshape(-1)))
    out = run_dory(dory, "run", model, "--input", tmp_path / "in.txt").stdout
    np.testing.assert_array_equal(np.array(out.split(), dtype=np.int64), x.reshape(-1))


BAD = {
    "wrong_shape.npy": lambda p: np.save(p, np.zeros((1, 5, 4, 3), np.int8)),
    "wrong_dtype_range.npy": lambda p: np.save(p, np.full((1, 5, 3, 4), 300, np.int32)),
    "float.npy": lambda p: np.save(p, np.zeros((1, 5, 3, 4), np.float32)),
    "truncated.npy": lambda p: p.write_bytes(b"\x93NUMPY\x01\x00\x76\x00{'descr': '|i1'"),
    "truncated_data.npy": lambda p: (np.save(p, np.zeros((1, 5, 3, 4), np.int8)),
                                     p.write_bytes(p.read_bytes()[:-7])),
    "short.bin": lambda p: p.write_bytes(b"\x00" * 59),
    "too_many.txt": lambda p: p.write_text("1\n" * 61),
    "not_a_number.txt": lambda p: p.write_text("1\n2\nthree\n"),
    "out_of_range.txt": lambda p: p.write_text("200\n" * 60),
    "big_endian.npy": lambda p: np.save(p, np.zeros((1, 5, 3, 4), ">i4")),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_files_give_clear_errors(dory_asan, run_dory, tmp_path, name):
    model, _ = identity_model(tmp_path)
    p = tmp_path / name
    BAD[name](p)
    r = run_dory(dory_asan, "run", model, "--input", p, check=False)
    assert_user_error(r, p, status=1)
