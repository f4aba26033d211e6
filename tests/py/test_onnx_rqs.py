"""RequantShift graphs (Deeploy / QuantLab integerized networks) against an
independent reference of their semantics (tests/py/rqs_ref.py).

Each graph is built at test time with onnx.helper in the shape Deeploy's
integerized networks have: integer weights, Conv / Gemm / pools / Add, each
followed by RequantShift(x, mul, add; div, signed, n_levels) with mul and
add per channel in the shapes exporters write ([C,1,1], [1,C,1,1], [C],
[C,1] on 1-D tensors, [M,1] after a Gemm), scalars, a zero mul, and
RequantShift in the default, PACTOps and ai.onnx.contrib domains with its
attributes as ints or one-element tensors. `dory run` must equal the
reference on every output element for 5 seeded inputs; the residual add's
output range exceeds its inputs' 8 bits, so saturating the sum to the add's
own type would fail the test. One model per suite is also deployed for
gap8 and run on the host (every layer checked against the interpreter).
"""
import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

import onnx_models as om  # noqa: E402
import rqs_ref  # noqa: E402

DOMAINS = ["", "PACTOps", "ai.onnx.contrib"]


class G(om._B):
    """A running integerized graph: NCHW shape, seeded constants."""

    def __init__(self, shape, signed=True, seed=0):
        super().__init__(seed)
        self.shape, self.x, self.signed = list(shape), "input", signed
        self.in_shape = list(shape)
        self.saved = {}

    def node(self, op, ins, domain="", **attrs):
        out = self.name(op.lower() + "_")
        self.nodes.append(helper.make_node(op, ins, [out], name=out, domain=domain or None,
                                           **attrs))
        self.x = out
        return out

    def conv(self, cout, k, stride=1, pad=0, groups=1, dil=1, bias=False):
        cin, sp = self.shape[1], len(self.shape) - 2
        w = self.rng.integers(-64, 64, [cout, cin // groups] + [k] * sp)
        ins = [self.x, self.const("w", w.astype(np.float32))]
        if bias:
            ins.append(self.const("b", self.rng.integers(-2000, 2000, cout).astype(np.float32)))
        self.node("Conv", ins, kernel_shape=[k] * sp, strides=[stride] * sp,
                  pads=[pad] * 2 * sp, group=groups, dilations=[dil] * sp)
        out = [(d + 2 * pad - dil * (k - 1) - 1) // stride + 1 for d in self.shape[2:]]
        self.shape = [1, cout] + out
        return self

    def gemm(self, n):
        k = int(np.prod(self.shape[1:]))
        if len(self.shape) > 2:
            self.node("Flatten", [self.x], axis=1)
        w = self.rng.integers(-64, 64, (n, k)).astype(np.float32)
        self.node("Gemm", [self.x, self.const("w", w)], transB=1)
        self.shape = [1, n]
        return self

    def rqs(self, signed, per_channel=True, mshape=None, zero_mul=False, domain="",
            tensor_attrs=False, div=2 ** 14, levels=256, mul_hi=96):
        c = self.shape[1]
        n = c if per_channel else 1
        mul = self.rng.integers(1, mul_hi, n)
        add = self.rng.integers(-div * 4, div * 4, n)
        if zero_mul:
            mul[0] = 0
        shape = mshape if mshape is not None else ([n] + [1] * (len(self.shape) - 2))
        m = self.const("mul", mul.reshape(shape).astype(np.int64))
        a = self.const("add", add.reshape(shape).astype(np.float32))
        if tensor_attrs:
            t = {k: numpy_helper.from_array(np.array([v], np.float32), k)
                 for k, v in (("div", div), ("signed", int(signed)), ("n_levels_out", levels))}
            self.node("RequantShift", [self.x, m, a], domain=domain, div=t["div"],
                      signed=t["signed"], n_levels_out=t["n_levels_out"])
        else:
            self.node("RequantShift", [self.x, m, a], domain=domain, div=div,
                      signed=int(signed), n_levels=levels)
        return self

    def pool(self, op, k=2, stride=2):
        sp = len(self.shape) - 2
        if op == "GlobalAveragePool":
            self.node(op, [self.x])
            self.shape = self.shape[:2] + [1] * sp
        else:
            self.node(op, [self.x], kernel_shape=[k] * sp, strides=[stride] * sp)
            self.shape = self.shape[:2] + [(d - k) // stride + 1 for d in self.shape[2:]]
        return self

    def save(self, tag):
        self.saved[tag] = self.x
        return self

    def add(self, tag):
        self.node("Add", [self.x, self.saved[tag]])
        return self

    def model(self):
        elem = TensorProto.INT8 if self.signed else TensorProto.UINT8
        inp = helper.make_tensor_value_info("input", elem, self.in_shape)
        out = helper.make_tensor_value_info(self.x, TensorProto.FLOAT, None)
        g = helper.make_graph(self.nodes, "rqs", [inp], [out], self.inits)
        opsets = [helper.make_opsetid("", 13), helper.make_opsetid("PACTOps", 1),
                  helper.make_opsetid("ai.onnx.contrib", 1)]
        return helper.make_model(g, opset_imports=opsets)


def conv():
    return G([1, 8, 10, 10]).conv(16, 3, pad=1, bias=True).rqs(True, domain="PACTOps")


def conv1d():  # mul/add [16, 1] on a [1, 16, 32] tensor: per channel
    return G([1, 4, 36]).conv(16, 5).rqs(True, mshape=[16, 1]).conv(8, 3, dil=2).rqs(False)


def depthwise():
    return (G([1, 16, 12, 12]).conv(16, 3, pad=1, groups=16)
            .rqs(False, domain="ai.onnx.contrib", tensor_attrs=True))


def pointwise():  # mul stored [1, C, 1, 1] with one channel's mul 0
    return G([1, 16, 8, 8]).conv(24, 1).rqs(True, mshape=[1, 24, 1, 1], zero_mul=True)


def fc():  # per row [M, 1] after a 2-D Gemm
    return (G([1, 8, 4, 4]).conv(8, 3, pad=1).rqs(False).gemm(12)
            .rqs(True, mshape=[12, 1], div=2 ** 16))


def residual_add():  # the sum reaches beyond 8 bits; the clamp is RequantShift's
    g = G([1, 8, 8, 8]).conv(8, 3, pad=1).rqs(True).save("a").conv(8, 3, pad=1).rqs(True)
    g.add("a").save("sum")
    return g.rqs(True, per_channel=False, div=4, mul_hi=5)


def pooling():
    g = G([1, 8, 12, 12], signed=False).conv(16, 3, pad=1).rqs(False).pool("MaxPool")
    g.pool("AveragePool").rqs(False, div=4)  # window 4: a power of two
    g.conv(16, 1).rqs(False).pool("AveragePool", k=3, stride=3).rqs(False, div=2)  # window 9
    return g.pool("GlobalAveragePool").rqs(True, per_channel=False, div=1)


def kws_like():  # DS-CNN shaped: conv 10x4 s2, two depthwise-separable blocks, GAP, FC
    g = G([1, 1, 49, 10])
    w = g.rng.integers(-64, 64, (32, 1, 10, 4)).astype(np.float32)
    g.node("Conv", [g.x, g.const("w", w)], kernel_shape=[10, 4], strides=[2, 2],
           pads=[4, 1, 5, 2])
    g.shape = [1, 32, 25, 5]
    g.rqs(False)
    for _ in range(2):
        g.conv(32, 3, pad=1, groups=32).rqs(False).conv(32, 1).rqs(False)
    return g.pool("GlobalAveragePool").rqs(False, div=2 ** 6).gemm(12).rqs(True, div=2 ** 12)


def mobilenet_like():  # stem, inverted residual block with add, GAP, FC
    g = G([1, 3, 16, 16]).conv(16, 3, stride=2, pad=1).rqs(False).save("in")
    g.conv(48, 1).rqs(False).conv(48, 3, pad=1, groups=48).rqs(False).conv(16, 1).rqs(True)
    g.add("in").rqs(True, per_channel=False, div=2 ** 1, mul_hi=2)
    g.conv(32, 1).rqs(False).conv(32, 3, stride=2, pad=1, groups=32).rqs(False)
    return g.pool("GlobalAveragePool").rqs(False, div=2 ** 6).gemm(10).rqs(True)


SUITE = {f.__name__: f for f in (conv, conv1d, depthwise, pointwise, fc, residual_add, pooling,
                                 kws_like, mobilenet_like)}


def _input(g, seed):
    rng = np.random.default_rng(seed)
    lo, hi = (-128, 128) if g.signed else (0, 256)
    return rng.integers(lo, hi, g.in_shape).astype(np.int8 if g.signed else np.uint8)


@pytest.mark.parametrize("name", list(SUITE))
def test_rqs_graph_equals_reference(name, dory, run_dory, tmp_path):
    g = SUITE[name]()
    m = g.model()
    path = tmp_path / f"{name}.onnx"
    onnx.save(m, path)
    for seed in range(5):
        x = _input(g, seed)
        want = rqs_ref.evaluate(m, x.astype(np.int64))[g.x]
        np.save(tmp_path / "in.npy", x)
        run_dory(dory, "run", path, "--input", tmp_path / "in.npy", "-o", tmp_path / "out.npy")
        got = np.load(tmp_path / "out.npy").astype(np.int64)
        assert got.shape == want.shape, (got.shape, want.shape)
        bad = int(np.count_nonzero(got != want))
        assert bad == 0, (f"{name} seed {seed}: {bad} of {want.size} differ, max "
                          f"{int(np.abs(got - want).max())}")


def test_reference_is_not_trivial():
    """The suite exercises rounding and both clamps (a test that can fail)."""
    g = residual_add()
    m = g.model()
    x = _input(g, 0).astype(np.int64)
    vals = rqs_ref.evaluate(m, x)
    s, y = vals[g.saved["sum"]], vals[g.x]
    assert s.max() > 127 or s.min() < -128, "the residual sum should exceed 8 bits"
    wrong = rqs_ref.requant_shift(rqs_ref.Val(np.clip(s, -128, 127)), *_rqs_consts(m, g.x))
    assert np.any(wrong != y), "saturating the sum to 8 bits should change the result"
    v = rqs_ref.Val(np.array([[1, 2, 3, -3]]).reshape(1, 4))
    got = rqs_ref.requant_shift(v, 1, 0, 2, True, 256)
    assert list(got.reshape(-1)) == [1, 1, 2, -1]  # floor(x/2 + 0.5)


def _rqs_consts(m, out):
    node = [n for n in m.graph.node if n.output[0] == out][0]
    inits = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    at = rqs_ref._attrs(node)
    return (inits[node.input[1]], inits[node.input[2]], at["div"], at["signed"], at["n_levels"])


@pytest.mark.parametrize("name", ["mobilenet_like", "residual_add"])
def test_rqs_graph_deploys(name, dory, run_dory, rt_libs, tmp_path):
    g = SUITE[name]()
    path = tmp_path / f"{name}.onnx"
    onnx.save(g.model(), path)
    np.save(tmp_path / "in.npy", _input(g, 1))
    from test_deploy_models import deploy_and_run
    deploy_and_run(run_dory, dory, path, tmp_path / "app", ["-t", "gap8"], rt_libs,
                   ("--input", tmp_path / "in.npy"))


def test_rqs_errors(dory, run_dory, tmp_path):
    from conftest import assert_user_error
    cases = {
        "div 3 is not a power of two": dict(div=3),
        "RequantShift needs the attributes div and n_levels": dict(levels=None),
    }
    for why, kw in cases.items():
        g = G([1, 4, 6, 6]).conv(4, 3)
        c = 4
        m = g.const("mul", np.ones(c, np.int64))
        a = g.const("add", np.zeros(c, np.int64))
        attrs = {"div": kw.get("div", 4), "signed": 1}
        if "levels" not in kw:
            attrs["n_levels"] = 256
        g.node("RequantShift", [g.x, m, a], **attrs)
        path = tmp_path / "bad.onnx"
        onnx.save(g.model(), path)
        p = run_dory(dory, "inspect", path, check=False)
        assert_user_error(p, "RequantShift", why.split(" is ")[0])
    g = G([1, 4, 6, 6]).conv(4, 3)
    g.node("RequantShift", [g.x, g.const("mul", np.ones(3, np.int64)),
                            g.const("add", np.zeros(1, np.int64))], div=4, n_levels=256)
    onnx.save(g.model(), tmp_path / "bad.onnx")
    assert_user_error(run_dory(dory, "inspect", tmp_path / "bad.onnx", check=False),
                      "mul has 3 values for 4 channels")
