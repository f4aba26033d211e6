"""Element-wise functions as 256-entry tables (issue 12 item 3) against
onnxruntime, bit-exact.

For each function (Sigmoid, Tanh, HardSigmoid, LeakyRelu, HardSwish, and in
networks SiLU = x * sigmoid(x), a Mul / QLinearMul of x and a function of
x) two kinds of models:
  * the function on the graph input (between identity MaxPools), fed every
    one of the 256 input values at once: the table must equal onnxruntime
    on all 256 entries;
  * conv -> function -> conv, quantized with quantize_static in QDQ (u8 per
    tensor, s8 per channel) and QOperator, compared on 5 random inputs.
One of each is deployed (GAP8 sizes) and every layer checked.
"""
import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
import ort_oracle  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

import onnx_models as om  # noqa: E402
from onnx_ops_models import Net  # noqa: E402
from test_onnx_ops import VARIANTS, compare  # noqa: E402

FNS = ["sigmoid", "tanh", "hardsigmoid", "leakyrelu", "hardswish"]
# in networks also x * sigmoid(x): the quantizer writes Mul(x, Sigmoid(x)) (and
# quant_pre_process turns HardSwish into x * HardSigmoid(x)): one table on x
NET_FNS = FNS + ["silu"]


# name: ONNX op, attributes, output scale
TABLE_FNS = {
    "sigmoid": ("Sigmoid", {}, 1 / 256),
    "tanh": ("Tanh", {}, 1 / 128),
    "hardsigmoid": ("HardSigmoid", {"alpha": 0.25, "beta": 0.4}, 1 / 255),
    "leakyrelu": ("LeakyRelu", {"alpha": 0.1}, 0.045),
    "hardswish": ("HardSwish", {}, 0.03),
}
QLINEAR = {"sigmoid": "QLinearSigmoid", "leakyrelu": "QLinearLeakyRelu"}


def table_model(fn, dt, form):
    """DQ -> fn -> Q (form "qdq") or the QLinear op (form "qop",
    QLinearSigmoid, QLinearLeakyRelu) on an integer input of 256 elements,
    written by hand as the quantizer would."""
    op, attrs, ys = TABLE_FNS[fn]
    elem = TensorProto.INT8 if dt == np.int8 else TensorProto.UINT8
    zx, zy = (np.int8(-7), np.int8(-128 if fn == "sigmoid" else 3)) if dt == np.int8 else \
        (np.uint8(130), np.uint8(0 if fn == "sigmoid" else 128))
    inits = [numpy_helper.from_array(np.array(0.047, np.float32), "xs"),
             numpy_helper.from_array(np.array(zx), "xz"),
             numpy_helper.from_array(np.array(ys, np.float32), "ys"),
             numpy_helper.from_array(np.array(zy), "yz")]
    if form == "qop":
        nodes = [helper.make_node(QLINEAR[fn], ["x", "xs", "xz", "ys", "yz"], ["y"],
                                  domain="com.microsoft", **attrs)]
    else:
        nodes = [helper.make_node("DequantizeLinear", ["x", "xs", "xz"], ["xf"]),
                 helper.make_node(op, ["xf"], ["yf"], **attrs),
                 helper.make_node("QuantizeLinear", ["yf", "ys", "yz"], ["y"])]
    g = helper.make_graph(nodes, "table", [helper.make_tensor_value_info("x", elem, [1, 4, 8, 8])],
                          [helper.make_tensor_value_info("y", elem, [1, 4, 8, 8])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17),
                                            helper.make_opsetid("com.microsoft", 1)])
    m.ir_version = 8
    return m


TABLE_CASES = [(fn, dt, form) for fn in FNS for dt in ("u8", "s8") for form in ("qdq", "qop")
               if form == "qdq" or fn in QLINEAR]


@pytest.mark.parametrize("fn,dt,form", TABLE_CASES, ids=["-".join(c) for c in TABLE_CASES])
def test_table_equals_onnxruntime_on_all_inputs(fn, dt, form, dory, run_dory, tmp_path):
    dt = np.int8 if dt == "s8" else np.uint8
    path = tmp_path / "table.onnx"
    onnx.save(table_model(fn, dt, form), path)
    sess = ort_oracle.session(str(path))
    info = np.iinfo(dt)
    x = np.arange(info.min, info.max + 1).astype(dt).reshape(1, 4, 8, 8)
    ref = sess.run(None, {"x": x})[0].reshape(-1).astype(np.int64)
    np.save(tmp_path / "in.npy", x)
    run_dory(dory, "run", path, "--input", tmp_path / "in.npy", "-o", tmp_path / "out.npy")
    got = np.load(tmp_path / "out.npy").reshape(-1).astype(np.int64)
    bad = np.nonzero(got != ref)[0]
    assert bad.size == 0, (f"{fn}: {bad.size} of 256 table entries differ, first at input "
                           f"{int(x.reshape(-1)[bad[0]])}: {got[bad[0]]} vs {ref[bad[0]]}")
    assert len(set(ref.tolist())) > 16, "the table should not be (nearly) constant"
    out = run_dory(dory, "inspect", path, "--ir").stdout
    assert "lut(" in out, out


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("fn", NET_FNS)
def test_function_in_a_network(fn, variant, dory, run_dory, tmp_path):
    net = getattr(Net((1, 8, 10, 10)).conv(16, 3), fn)().conv(8, 1)
    path = om.quantize(net.model(), str(tmp_path), seed=9, **VARIANTS[variant])
    compare(dory, run_dory, tmp_path, path, net.in_shape, f"{fn}/{variant}", False)


@pytest.mark.parametrize("fn", NET_FNS)
def test_function_deploys(fn, dory, run_dory, rt_libs, tmp_path):
    from test_deploy_models import BUDGETS, deploy_and_run
    net = getattr(Net((1, 8, 10, 10)).conv(16, 3), fn)().conv(8, 1)
    path = om.quantize(net.model(), str(tmp_path), seed=9)
    deploy_and_run(run_dory, dory, path, tmp_path / "app", BUDGETS["tight"], rt_libs)

