"""onnxruntime's QLinearAdd arithmetic, measured: every one of the 65536
input pairs of many scale/zero-point configurations (u8 and s8), run by
onnxruntime (MLAS; on x86 its AVX2 kernel) and by `dory run` (the IR add's
QLADD scheme) and, with `--requant exact`, by QLADD_INT (integers only).
dory must equal onnxruntime on every pair. The test also measures the
candidate fp32 forms in numpy and prints how many configurations each
reproduces, which is how the form was chosen (docs/FRONTEND_ONNX.md):
  fma:    c = zc - fma(ra, za, rb*zb); y = rne(fma(a, ra, fma(b, rb, c)))
  no fma: y = rne((a*ra + b*rb) + (zc - (ra*za + rb*zb)))
with ra = sa/sc, rb = sb/sc in fp32. With `--requant exact` the add is an
integer add with SHIFT requants where one equals QLADD on all pairs, else
QLADD_INT; the test prints how often each was chosen.
"""
import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
import ort_oracle  # noqa: E402
from onnx import TensorProto, helper  # noqa: E402

NCONFIGS = 24
f32 = np.float32


def qladd_model(sa, za, sb, zb, sc, zc, dt):
    t = TensorProto.UINT8 if dt == np.uint8 else TensorProto.INT8
    inits = [helper.make_tensor(n, TensorProto.FLOAT, [], [v])
             for n, v in (("sa", sa), ("sb", sb), ("sc", sc))]
    inits += [helper.make_tensor(n, t, [], [v]) for n, v in (("za", za), ("zb", zb), ("zc", zc))]
    node = helper.make_node("QLinearAdd", ["A", "sa", "za", "B", "sb", "zb", "sc", "zc"], ["C"],
                            domain="com.microsoft", name="qladd")
    shape = [1, 1, 256, 256]
    g = helper.make_graph([node], "qladd", [helper.make_tensor_value_info("A", t, shape),
                                            helper.make_tensor_value_info("B", t, shape)],
                          [helper.make_tensor_value_info("C", t, shape)], inits)
    return helper.make_model(g, ir_version=8, opset_imports=[
        helper.make_opsetid("", 13), helper.make_opsetid("com.microsoft", 1)])


def fma(x, y, z):
    """fp32 fused multiply-add: the product of an 8-bit integer and a float
    and the sum with a float are exact in double here, rounded once."""
    return (np.asarray(x, np.float64) * np.float64(y) + np.asarray(z, np.float64)).astype(f32)


def candidates(a, b, sa, za, sb, zb, sc, zc):
    ra, rb = f32(sa / sc), f32(sb / sc)
    af, bf = a.astype(f32), b.astype(f32)
    c_fma = f32(f32(zc) - fma(f32(za), ra, f32(rb * f32(zb))))
    c_plain = f32(f32(zc) - f32(f32(ra * f32(za)) + f32(rb * f32(zb))))
    return {"fma": fma(af, ra, fma(bf, rb, c_fma)),
            "no fma": f32(f32(af * ra) + f32(bf * rb)) + c_plain}


def dory_differs(dory, run_dory, d, path, a, b, ref, mode):
    """How many outputs of `dory run --requant mode` on inputs a, b differ
    from onnxruntime's ref."""
    np.save(d / "a.npy", a)
    np.save(d / "b.npy", b)
    out = d / f"out_{mode}.npy"
    run_dory(dory, "run", path, "--input", d / "a.npy", "--input", d / "b.npy", "--requant", mode,
             "-o", out)
    got = np.load(out).reshape(-1).astype(np.int64)
    return int(np.count_nonzero(got != ref.reshape(-1).astype(np.int64)))


def test_qladd_every_pair(dory, run_dory, tmp_path):
    rng = np.random.default_rng(2026)
    exact = {"fma": 0, "no fma": 0}
    forms = {"shift": 0, "qladd_int": 0}
    for cfg in range(NCONFIGS):
        dt = np.uint8 if cfg % 2 == 0 else np.int8
        info = np.iinfo(dt)
        sa, sb, sc = (f32(10 ** rng.uniform(-3, 0)) for _ in range(3))
        za, zb, zc = (int(rng.integers(info.min, info.max + 1)) for _ in range(3))
        a = np.repeat(np.arange(info.min, info.max + 1), 256).astype(dt).reshape(1, 1, 256, 256)
        b = np.tile(np.arange(info.min, info.max + 1), 256).astype(dt).reshape(1, 1, 256, 256)
        path = tmp_path / f"qladd{cfg}.onnx"
        onnx.save(qladd_model(sa, za, sb, zb, sc, zc, dt), path)
        ref = ort_oracle.session(str(path)).run(None, {"A": a, "B": b})[0].reshape(-1)
        for name, v in candidates(a.reshape(-1), b.reshape(-1), sa, za, sb, zb, sc, zc).items():
            y = np.clip(np.rint(v.astype(np.float64)), info.min, info.max)
            exact[name] += int(np.array_equal(y, ref.astype(np.float64)))
        for mode in ("float", "exact"):
            n = dory_differs(dory, run_dory, tmp_path, path, a, b, ref, mode)
            assert n == 0, f"config {cfg} ({mode}): {n} of 65536 pairs differ from onnxruntime"
        rq = run_dory(dory, "inspect", path, "--requant", "exact").stdout.split("\n")[2].split()[-2]
        forms[rq] += 1
    print(f"QLinearAdd, {NCONFIGS} configurations x 65536 pairs: candidate forms exact on "
          f"{exact} configurations; dory exact on all (--requant exact: {forms})")
    assert exact["fma"] == NCONFIGS, exact
