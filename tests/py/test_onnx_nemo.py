"""NEMO residual adds with a second requantization (issue 12 item 4).

NEMO's PACT_IntegerAdd exports as Mul/Mul/Add/Div/Floor on integer values in
float; the PACT_IntegerAct after it as Cast(int64)/Mul/Div (integer division,
truncating)/Cast/Cast/Cast/Clip (tests/py/onnx_models.py: nemo_requant_add).
The whole is y = clip(trunc(floor((x*r0 + y*r1) / D1) * r / D2)); two
divisions with a floor between them are one SHIFT requant only when the
first is exact, so dory lowers it to an add node (floor(s / D1), unclipped,
proven within 8 bits) and a requant node, or to one add node when the first
floor provably changes nothing. The graphs are built here; `dory run` must
equal onnxruntime (which executes these float and int64 ops: the oracle)
and a numpy reference of the integer semantics (nemo_eval below) on every
output element of 5 seeded inputs, and the gap8 deployment run on the host
HAL must equal both.
"""
import shutil
import subprocess

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
import ort_oracle  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

import onnx_models as om  # noqa: E402
import rqs_ref  # noqa: E402
from conftest import ROOT, assert_user_error  # noqa: E402

FIRMWARE = ROOT / "examples" / "firmware"
SHAPE = (1, 8, 8, 8)
# name: (r0, r1), D1, (r, D2, clip hi) or None, dory layers
CASES = {
    "two_requants": ((32, 19), 64, (27, 16, 255), 5),  # the floor of D1 matters: two nodes
    "d2_not_pow2": ((32, 21), 64, (27, 20, 255), 5),
    "clip_127": ((29, 32), 64, (45, 32, 127), 5),
    "first_floor_exact": ((64, 128), 64, (3, 16, 255), 4),  # s/64 is an integer: one node
    "mul_one": ((32, 19), 64, (1, 2, 255), 4),  # floor(floor(s/64)/2) = floor(s/128)
    "no_second": ((32, 19), 64, None, 4),
}


def nemo_eval(model, x):
    """The integer semantics of a NEMO graph, exactly (int64 and rationals):
    Conv, Mul/Add by constants or of two values, Div (a float value becomes
    num/den; an int64 one truncates toward zero), Floor, Cast (to an integer:
    truncation), Clip. Returns every value by name."""
    consts = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    env = {"input": (rqs_ref.Val(x), False)}  # value, held in an integer type

    def get(name):
        if name in consts:
            return rqs_ref.Val(consts[name].astype(np.int64)), consts[name].dtype.kind == "i"
        return env[name]

    def trunc(v):
        q = np.abs(v.num) // v.den
        return rqs_ref.Val(np.where(v.num < 0, -q, q))

    for n in model.graph.node:
        ins = [get(i) for i in n.input]
        at = rqs_ref._attrs(n)
        (a, ai), op = ins[0], n.op_type
        if op == "Conv":
            y, yi = rqs_ref.Val(rqs_ref._conv(a.ints(), ins[1][0].ints(), None, at)), False
        elif op in ("Mul", "Add"):
            b = ins[1][0]
            num = a.num * b.num if op == "Mul" else a.num * b.den + b.num * a.den
            y, yi = rqs_ref.Val(num, a.den * b.den), ai or ins[1][1]
        elif op == "Div":
            d = int(ins[1][0].ints().reshape(-1)[0])
            y, yi = rqs_ref.Val(a.num, a.den * d), ai
            if ai:
                y = trunc(y)
        elif op == "Floor":
            y, yi = rqs_ref.Val(a.num // a.den), ai
        elif op == "Cast":
            yi = at["to"] != TensorProto.FLOAT
            y = trunc(a) if yi else a
        elif op == "Clip":
            y, yi = rqs_ref.Val(np.clip(a.ints(), at["min"], at["max"])), ai
        else:
            raise NotImplementedError(op)
        env[n.output[0]] = (y, yi)
    return {k: v.num for k, (v, _) in env.items() if v.den == 1}


def inputs():
    rng = np.random.default_rng(11)
    return [rng.integers(0, 256, SHAPE).astype(np.uint8) for _ in range(5)]


def build(tmp_path, name):
    r, d1, act, nlayers = CASES[name]
    m = om.nemo_residual_model(seed=len(name), in_shape=SHAPE, r=r, d1=d1, act=act)
    path = tmp_path / f"{name}.onnx"
    onnx.save(m, path)
    return m, path, nlayers


def oracle(m, path, x):
    """onnxruntime's output, checked against the numpy reference."""
    ref = ort_oracle.session(str(path)).run(None, {"input": x.astype(np.float32)})[0]
    want = nemo_eval(m, x.astype(np.int64))[m.graph.output[0].name]
    assert np.array_equal(ref.astype(np.int64), want), "onnxruntime and the reference differ"
    return want.reshape(-1)


@pytest.mark.parametrize("name", list(CASES))
def test_nemo_add_requant_equals_onnxruntime(name, dory, run_dory, tmp_path):
    m, path, nlayers = build(tmp_path, name)
    for i, x in enumerate(inputs()):
        want = oracle(m, path, x)
        np.save(tmp_path / "in.npy", x)
        run_dory(dory, "run", path, "--input", tmp_path / "in.npy", "-o", tmp_path / "out.npy",
                 "--dump", tmp_path / "dump")
        got = np.load(tmp_path / "out.npy").reshape(-1).astype(np.int64)
        bad = int(np.count_nonzero(got != want))
        assert bad == 0, f"{name} input {i}: {bad} of {want.size} differ"
    assert len(list((tmp_path / "dump").glob("*.npy"))) == nlayers


def test_nemo_reference_is_not_trivial():
    """The first floor matters in two_requants (one rounding of s*r/(D1*D2)
    would be wrong), and the outputs spread over the 8 bits."""
    (r0, r1), d1, (r, d2, hi), _ = CASES["two_requants"]
    m = om.nemo_residual_model(seed=12, in_shape=SHAPE, r=(r0, r1), d1=d1, act=(r, d2, hi),
                               tail=False)
    x = inputs()[0].astype(np.int64)
    vals = nemo_eval(m, x)
    floor_in = [n.input[0] for n in m.graph.node if n.op_type == "Floor"][0]
    s = vals[[n.input[0] for n in m.graph.node if n.output[0] == floor_in][0]]  # the sum
    once = np.clip((s * r) // (d1 * d2), 0, hi)
    y = vals[m.graph.output[0].name]
    assert np.count_nonzero(once != y) > 0
    assert y.min() < 30 and y.max() > 200


def test_nemo_add_requant_refused_beyond_8_bits(dory, run_dory, tmp_path):
    """floor(s / D1) reaching beyond 8 bits with no Clip: no 8-bit tensor can
    hold it between the two requants, refused naming the node."""
    m = om.nemo_residual_model(in_shape=SHAPE, r=(61, 64), d1=32, act=(3, 16, 255))
    onnx.save(m, tmp_path / "wide.onnx")
    p = run_dory(dory, "inspect", tmp_path / "wide.onnx", check=False)
    assert_user_error(p, "(Mul)", "more than the 8 bits of an activation")


@pytest.fixture(scope="module")
def firmware_cc():
    if not shutil.which("cc"):
        pytest.fail("no C compiler: run `make deps`")


@pytest.mark.parametrize("name", ["two_requants", "d2_not_pow2"])
def test_nemo_add_requant_gap8_firmware(name, dory, run_dory, firmware_cc, tmp_path):
    """deploy -t gap8, linked into examples/firmware and run on the host HAL:
    the same integers as onnxruntime on every input."""
    m, path, _ = build(tmp_path, name)
    xs = inputs()
    np.save(tmp_path / "in0.npy", xs[0])
    app = tmp_path / "app"
    p = run_dory(dory, "deploy", path, "-t", "gap8", "-o", app, "--input", tmp_path / "in0.npy")
    assert "outputs differ" not in p.stderr, p.stderr
    src = tmp_path / "fw"
    shutil.copytree(FIRMWARE, src, ignore=shutil.ignore_patterns("firmware", "*.elf"))
    subprocess.run(["make", "-s", "-C", str(src), f"APP={app}", "firmware"], check=True,
                   capture_output=True)
    for i, x in enumerate(xs):
        want = oracle(m, path, x)
        hwc = np.ascontiguousarray(x.reshape(x.shape[1:]).transpose(1, 2, 0))
        (tmp_path / "in.bin").write_bytes(hwc.tobytes())
        r = subprocess.run([str(src / "firmware"), str(tmp_path / "in.bin")], capture_output=True,
                           text=True, check=True)
        got = np.array([int(v) for v in r.stdout.split()], dtype=np.int64)  # HWC order
        want = want.reshape(SHAPE[1:]).transpose(1, 2, 0).reshape(-1)
        assert np.array_equal(got, want), f"{name} input {i}: the gap8 firmware differs"


def test_rqs_after_floored_add(dory, run_dory, tmp_path):
    """The RequantShift analogue: a NEMO-style floored sum (Add, Div, Floor)
    then RequantShift, and a second RequantShift after it."""
    g = rqs_residual()
    m = g.model()
    path = tmp_path / "rqs.onnx"
    onnx.save(m, path)
    for seed in range(5):
        x = np.random.default_rng(seed).integers(-128, 128, g.in_shape).astype(np.int8)
        want = rqs_eval(m, x.astype(np.int64))[g.x]
        np.save(tmp_path / "in.npy", x)
        run_dory(dory, "run", path, "--input", tmp_path / "in.npy", "-o", tmp_path / "out.npy")
        got = np.load(tmp_path / "out.npy").astype(np.int64)
        assert np.array_equal(got, want), f"seed {seed}: {np.count_nonzero(got != want)} differ"


def rqs_residual():
    from test_onnx_rqs import G
    g = G([1, 8, 8, 8]).conv(8, 3, pad=1).rqs(True).save("a").conv(8, 3, pad=1).rqs(True)
    s = g.node("Mul", [g.x, g.const("r", np.float32(3))])
    g.node("Add", [s, g.saved["a"]])
    g.node("Floor", [g.node("Div", [g.x, g.const("d", np.float32(4))])])
    g.rqs(True, per_channel=False, div=8, mul_hi=12)
    return g.rqs(True, per_channel=False, div=4, mul_hi=9)


def rqs_eval(m, x):
    """rqs_ref.evaluate with the Mul/Div/Floor of nemo_eval spliced in: the
    graph split at the Floor, each part evaluated by its own reference."""
    names = [n.op_type for n in m.graph.node]
    cut = names.index("Mul")
    nodes = list(m.graph.node)
    head = helper.make_graph(nodes[:cut], "head", list(m.graph.input), [], list(m.graph.initializer))
    vals = rqs_ref.evaluate(helper.make_model(head), x)
    floor_at = names.index("Floor")
    mid = nodes[cut:floor_at + 1]
    env = dict(vals)
    consts = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    for n in mid:
        a = env[n.input[0]]
        b = env.get(n.input[1]) if len(n.input) > 1 else None
        c = consts[n.input[1]].item() if len(n.input) > 1 and n.input[1] in consts else None
        if n.op_type == "Mul":
            env[n.output[0]] = a * int(c)
        elif n.op_type == "Add":
            env[n.output[0]] = a + b
        elif n.op_type == "Div":
            env[n.output[0]] = (a, int(c))
        else:  # Floor of a / d
            num, d = a
            env[n.output[0]] = num // d
    tail = helper.make_graph(nodes[floor_at + 1:], "tail",
                             [helper.make_tensor_value_info(nodes[floor_at].output[0],
                                                            TensorProto.INT64, None)],
                             [], list(m.graph.initializer))
    return rqs_ref.evaluate(helper.make_model(tail), env[nodes[floor_at].output[0]])
