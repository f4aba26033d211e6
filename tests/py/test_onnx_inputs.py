"""Graph inputs (issue 12, item 6): signed inputs of integer graphs, and the
shapes dory takes or refuses with the reason.

NEMO/QuantLab graphs type their input as float holding integers; dory takes
it as u8 (DORY's convention) unless the input is said to be signed: by
`--input-type i8`, or by the --input file being an int8 .npy. The result
must equal onnxruntime running the integer ONNX on the same values.
`--input-type` where the model fixes the type otherwise is refused; batch
other than 1, unknown sizes and ranks other than 2 to 4 are refused naming
the input and the reason.
"""
import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
import ort_oracle  # noqa: E402
from onnx import TensorProto, helper  # noqa: E402

import onnx_models as om  # noqa: E402
from conftest import assert_user_error  # noqa: E402


@pytest.fixture(scope="module")
def nemo(tmp_path_factory):
    d = tmp_path_factory.mktemp("nemo_i8")
    path = d / "nemo.onnx"
    onnx.save(om.nemo_model(seed=3), path)
    x = np.random.default_rng(5).integers(-128, 128, (1, 4, 10, 10))
    ref = ort_oracle.session(str(path)).run(None, {"input": x.astype(np.float32)})[0]
    return d, path, x, ref.reshape(-1).astype(np.int64)


def test_signed_input_from_npy_dtype(nemo, dory, run_dory):
    d, path, x, ref = nemo
    np.save(d / "x.npy", x.astype(np.int8))
    run_dory(dory, "run", path, "--input", d / "x.npy", "-o", d / "o.npy")
    assert np.array_equal(np.load(d / "o.npy").reshape(-1), ref)
    first = run_dory(dory, "inspect", path, "--input-type", "i8").stdout.splitlines()[2]
    assert "10x10x4 i8" in first, first
    first = run_dory(dory, "inspect", path).stdout.splitlines()[2]
    assert "10x10x4 u8" in first, first


def test_signed_input_from_option(nemo, dory, run_dory):
    d, path, x, ref = nemo
    (d / "x.txt").write_text("\n".join(str(int(v)) for v in x.reshape(-1)))
    run_dory(dory, "run", path, "--input-type", "i8", "--input", d / "x.txt", "-o", d / "o2.npy")
    assert np.array_equal(np.load(d / "o2.npy").reshape(-1), ref)
    # without it the input is u8, and the negative values are refused, not wrapped
    p = run_dory(dory, "run", path, "--input", d / "x.txt", check=False)
    assert_user_error(p, "x.txt")


def test_input_type_against_the_file(nemo, dory, run_dory):
    d, path, x, _ = nemo
    np.save(d / "x8.npy", x.astype(np.int8))
    p = run_dory(dory, "run", path, "--input-type", "u8", "--input", d / "x8.npy", check=False)
    assert_user_error(p, "x8.npy")


def test_input_type_the_model_fixes(dory, run_dory, tmp_path):
    """A QDQ model quantized to u8 keeps its type: --input-type i8 is refused."""
    m = om.float_model([("conv", 4, 3, 1, (1, 1, 1, 1), 1), ("relu",)], (1, 3, 8, 8), seed=1)
    path = om.quantize(m, str(tmp_path), fmt="qdq")
    p = run_dory(dory, "inspect", path, "--input-type", "i8", check=False)
    assert_user_error(p, "is u8 in the model", "--input-type i8")
    p = run_dory(dory, "inspect", path, "--input-type", "s8", check=False)
    assert_user_error(p, "--input-type takes 'u8' or 'i8'")


def one_conv(shape, dims=None):
    """A NEMO-style conv on an input of the given shape (dims: raw
    TensorShapeProto values, None for a symbolic one)."""
    cin = shape[1] if len(shape) > 1 else 1
    w = helper.make_tensor("w", TensorProto.FLOAT, [2, cin, 1, 1], [1.0] * (2 * cin))
    conv = helper.make_node("Conv", ["x", "w"], ["y"], name="conv")
    clip = helper.make_node("Clip", ["y"], ["z"], name="clip", min=0.0, max=255.0)
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, dims if dims else list(shape))
    g = helper.make_graph([conv, clip], "g", [x],
                          [helper.make_tensor_value_info("z", TensorProto.FLOAT, None)], [w])
    return helper.make_model(g, ir_version=6, opset_imports=[helper.make_opsetid("", 10)])


@pytest.mark.parametrize("dims,expected", [
    ([4, 3, 8, 8], ["graph input 'x'", "batch 4", "one inference at a time"]),
    ([3], ["graph input 'x'", "rank 1", "[1,C], [1,C,W] or [1,C,H,W]"]),
    ([1, 3, 2, 8, 8], ["graph input 'x'", "rank 5"]),
    ([1, 3, "h", 8], ["graph input 'x'", "dimension 2 is not known", "fixed input size"]),
])
def test_input_shapes_refused(dory, run_dory, tmp_path, dims, expected):
    path = tmp_path / "m.onnx"
    onnx.save(one_conv(dims, dims), path)
    p = run_dory(dory, "inspect", path, check=False)
    assert_user_error(p, *expected)


def test_symbolic_batch_is_one(dory, run_dory, tmp_path):
    path = tmp_path / "m.onnx"
    onnx.save(one_conv([1, 3, 8, 8], ["N", 3, 8, 8]), path)
    out = run_dory(dory, "inspect", path).stdout
    assert "8x8x3 u8" in out, out
