"""onnxruntime's QLinearMul arithmetic, measured: every one of the 65536
input pairs of many scale/zero-point configurations (u8 and s8), as
QLinearMul (QOperator) and as DequantizeLinear x2 -> Mul -> QuantizeLinear
(QDQ, which onnxruntime's default optimizations fuse into QLinearMul), with
equal shapes and with the second operand one pixel broadcast over H and W
(squeeze-excitation), run by onnxruntime (MLAS) and by `dory run` (the IR mul's
QLMUL scheme) and, with `--requant exact`, by a SHIFT proven equal on every
accumulator, else QLMUL_INT (integers only; the test prints how often each).
dory must equal onnxruntime on every pair. The test also measures two
candidate forms in numpy and prints how many configurations each reproduces,
which is how the form was chosen (docs/FRONTEND_ONNX.md):
  qlmul: y = rne(f32(P) * f32(f32(sa*sb)/sc) + zc), P = (a - za)(b - zb) exact
  fp32:  y = rne(f32(f32(sa*(a - za)) * f32(sb*(b - zb))) / sc) + zc
Every third configuration has an output scale near sa*sb*100, so that many
products land near ties and outside the output range (saturation).
"""
import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
import ort_oracle  # noqa: E402
from onnx import TensorProto, helper  # noqa: E402
from test_qladd_formula import dory_differs  # noqa: E402

NCONFIGS = 36
f32 = np.float32
# the broadcast case: 256 channels (one b value each) of 7 x 41 pixels (a
# row of 287 = 256 + 31 values: MLAS's 16-wide blocks end in a partial one)
BH, BW = 7, 41


def mul_model(kind, q, dt, ashape, bshape):
    sa, za, sb, zb, sc, zc = q
    t = TensorProto.UINT8 if dt == np.uint8 else TensorProto.INT8
    inits = [helper.make_tensor(n, TensorProto.FLOAT, [], [v])
             for n, v in (("sa", sa), ("sb", sb), ("sc", sc))]
    inits += [helper.make_tensor(n, t, [], [v]) for n, v in (("za", za), ("zb", zb), ("zc", zc))]
    if kind == "qlinearmul":
        nodes = [helper.make_node("QLinearMul", ["A", "sa", "za", "B", "sb", "zb", "sc", "zc"],
                                  ["C"], domain="com.microsoft", name="qlmul")]
    else:
        nodes = [helper.make_node("DequantizeLinear", ["A", "sa", "za"], ["fa"], name="dqa"),
                 helper.make_node("DequantizeLinear", ["B", "sb", "zb"], ["fb"], name="dqb"),
                 helper.make_node("Mul", ["fa", "fb"], ["fc"], name="mul"),
                 helper.make_node("QuantizeLinear", ["fc", "sc", "zc"], ["C"], name="q")]
    g = helper.make_graph(nodes, "qlmul", [helper.make_tensor_value_info("A", t, ashape),
                                           helper.make_tensor_value_info("B", t, bshape)],
                          [helper.make_tensor_value_info("C", t, ashape)], inits)
    return helper.make_model(g, ir_version=8, opset_imports=[
        helper.make_opsetid("", 13), helper.make_opsetid("com.microsoft", 1)])


def candidates(a, b, q, info):
    sa, za, sb, zb, sc, zc = q
    p = (a.astype(np.int64) - za) * (b.astype(np.int64) - zb)
    r = f32(f32(sa * sb) / sc)
    qlmul = f32(f32(p.astype(f32) * r) + f32(zc))
    fa = f32((a.astype(np.int64) - za).astype(f32) * sa)
    fb = f32((b.astype(np.int64) - zb).astype(f32) * sb)
    fp = np.rint(f32(f32(fa * fb) / sc).astype(np.float64)) + zc
    return {"qlmul": np.clip(np.rint(qlmul.astype(np.float64)), info.min, info.max),
            "fp32": np.clip(fp, info.min, info.max)}


def inputs(shape, dt):
    """Every (a, b) pair: equal shapes, or b one pixel per channel."""
    info = np.iinfo(dt)
    vals = np.arange(info.min, info.max + 1)
    if shape == "equal":
        return (np.repeat(vals, 256).astype(dt).reshape(1, 1, 256, 256),
                np.tile(vals, 256).astype(dt).reshape(1, 1, 256, 256))
    a = np.stack([np.resize(np.roll(vals, c), (BH, BW)) for c in range(256)]).astype(dt)
    return a.reshape(1, 256, BH, BW), vals.astype(dt).reshape(1, 256, 1, 1)


def config(rng, cfg):
    dt = np.uint8 if cfg % 2 == 0 else np.int8
    info = np.iinfo(dt)
    sa, sb, sc = (f32(10 ** rng.uniform(-3, 0)) for _ in range(3))
    if cfg % 3 == 0:
        sc = f32(sa * sb * rng.uniform(30, 300))
    za, zb, zc = (int(rng.integers(info.min, info.max + 1)) for _ in range(3))
    return dt, (sa, za, sb, zb, sc, zc)


def test_qlmul_every_pair(dory, run_dory, tmp_path):
    rng = np.random.default_rng(2027)
    exact = {"qlmul": 0, "fp32": 0}
    runs = forms_differ = 0
    forms = {"shift": 0, "qlmul_int": 0}
    for cfg in range(NCONFIGS):
        dt, q = config(rng, cfg)
        info = np.iinfo(dt)
        for kind in ("qlinearmul", "qdq"):
            for shape in ("equal", "broadcast"):
                a, b = inputs(shape, dt)
                path = tmp_path / f"m{cfg}_{kind}_{shape}.onnx"
                onnx.save(mul_model(kind, q, dt, list(a.shape), list(b.shape)), path)
                ref = ort_oracle.session(str(path)).run(None, {"A": a, "B": b})[0]
                ab, bb = np.broadcast_arrays(a, b)
                for name, v in candidates(ab, bb, q, info).items():
                    exact[name] += int(np.array_equal(v, ref.astype(np.float64)))
                forms_differ += int(np.count_nonzero(
                    candidates(ab, bb, q, info)["qlmul"] != candidates(ab, bb, q, info)["fp32"]))
                for mode in ("float", "exact"):
                    n = dory_differs(dory, run_dory, tmp_path, path, a, b, ref, mode)
                    assert n == 0, (f"config {cfg} {kind} {shape} ({mode}): {n} of "
                                    f"{ref.size} differ from onnxruntime")
                rq = run_dory(dory, "inspect", path, "--requant", "exact").stdout
                forms[rq.split("\n")[2].split()[-2]] += 1
                runs += 1
    print(f"QLinearMul and DQ-Mul-Q, {NCONFIGS} configurations x 65536 pairs, equal and "
          f"broadcast shapes ({runs} models): candidate forms exact on {exact} of them; "
          f"dory (--requant float and exact) equal to onnxruntime on all; the fp32 form "
          f"differs from qlmul on {forms_differ} elements; --requant exact: {forms}")
    assert exact["qlmul"] == runs, exact
