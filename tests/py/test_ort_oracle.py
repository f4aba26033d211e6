"""The oracle's own exactness (ort_oracle.py): onnxruntime's u8 x s8 and
s8 x s8 integer matrix products must be the exact integer sums on the
machine the tests run on. Inputs 255 and weights 127 make every pair of
products 64770, beyond the int16 that MLAS's VPMADDUBSW path saturates at on
x86 CPUs without VNNI; with the session option that ort_oracle sets,
onnxruntime must still return the exact sums there (on VNNI CPUs both paths
are exact). For s8 activations ort_oracle drops the option where onnxruntime
has no kernel with it; -128 x -128 pairs (32768) check that path."""
import numpy as np
import pytest

ort = pytest.importorskip("onnxruntime")
import ort_oracle  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402


def _matmul_integer(k, n, a_type=TensorProto.UINT8):
    b = np.full((k, n), 127 if a_type == TensorProto.UINT8 else -128, np.int8)
    b[:, 1::2] = -128 if a_type == TensorProto.UINT8 else 127
    # Both zero points given: with the option set, onnxruntime 1.23's s8 -> u8
    # weight rewrite aborts on a MatMulInteger without them (on AVX2 CPUs).
    g = helper.make_graph(
        [helper.make_node("MatMulInteger", ["A", "B", "za", "zb"], ["Y"])], "mmi",
        [helper.make_tensor_value_info("A", a_type, [4, k])],
        [helper.make_tensor_value_info("Y", TensorProto.INT32, [4, n])],
        [numpy_helper.from_array(b, "B"), numpy_helper.from_array(
            np.uint8(0) if a_type == TensorProto.UINT8 else np.int8(0), "za"),
         numpy_helper.from_array(np.int8(0), "zb")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    return m, b


def test_u8s8_products_are_exact():
    m, b = _matmul_integer(64, 16)
    a = np.full((4, 64), 255, np.uint8)
    a[1] = np.arange(64, dtype=np.uint8) * 4
    want = a.astype(np.int64) @ b.astype(np.int64)
    got = ort_oracle.session(m.SerializeToString()).run(None, {"A": a})[0]
    assert np.array_equal(got.astype(np.int64), want), \
        f"onnxruntime's u8 x s8 product is not exact here: {got[0, :4]} vs {want[0, :4]}"


def test_s8s8_products_are_exact():
    m, b = _matmul_integer(64, 16, TensorProto.INT8)
    a = np.full((4, 64), -128, np.int8)
    a[1] = np.arange(64, dtype=np.int8) * 2 - 64
    want = a.astype(np.int64) @ b.astype(np.int64)
    got = ort_oracle.session(m.SerializeToString()).run(None, {"A": a})[0]
    assert np.array_equal(got.astype(np.int64), want), \
        f"onnxruntime's s8 x s8 product is not exact here: {got[0, :4]} vs {want[0, :4]}"
