"""Architectures as users export them (tests/py/onnx_arch.py: ResNet-8,
MobileNetV2, DS-CNN, MobileNetV3 and EfficientNet-B0 with squeeze-excitation,
at MCU input sizes), quantized by onnxruntime's
quantize_static in five variants (QDQ per-tensor and per-channel, u8 and s8
activations, QOperator), against onnxruntime with its default session
options (exact products: ort_oracle.py) on 5 seeded inputs each:

* `dory run` (the model's FLOAT, QLADD and QLMUL arithmetic) equals onnxruntime
  exactly. The one exception is what onnxruntime itself leaves in fp32: on
  x86 it does not fuse QDQ groups on s8 activations into integer kernels
  (its optimized graph keeps float Conv/Gemm/Add), and its fp32 convolution
  (MLAS sgemm, its own summation order) and dory's exact integer one may
  round a value at a tie differently; those models are reported (how many
  elements differ, by how much), and must stay within 1 LSB at the output.
* every layer's output (`dory run --dump`) equals the same tensor of
  onnxruntime (exposed as an extra graph output), on the first input; with
  the fp32 exception, the first layer that differs does so by 1 LSB.
* `dory deploy -t gap8` (no FPU: FLOAT, QLADD and QLMUL computed in
  integers, F32INT, QLADD_INT and QLMUL_INT) reports 0 outputs differing from FLOAT on the test
  input, and the deployed network, linked into examples/firmware and run on
  the host HAL, returns exactly what `dory run` returns, hence onnxruntime's
  (the same rule as above for the s8 QDQ models).
"""
import shutil
import subprocess
import zlib

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
import ort_oracle  # noqa: E402
import onnx_arch as oa  # noqa: E402
import onnx_models as om  # noqa: E402
from conftest import ROOT  # noqa: E402
from test_onnx_oracle import ort_float_ops  # noqa: E402

CASES = [(a, v) for a in oa.ARCHS for v in oa.VARIANTS]
IDS = [f"{a}-{v}" for a, v in CASES]
NINPUTS = 5
FIRMWARE = ROOT / "examples" / "firmware"


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    cache = {}

    def get(arch, variant):
        if (arch, variant) not in cache:
            d = tmp_path_factory.mktemp(f"{arch}_{variant}")
            specs, shape = oa.ARCHS[arch]()
            fmt, opts = oa.VARIANTS[variant]
            m = om.float_model(specs, shape, seed=zlib.crc32(arch.encode()) % 1000)
            path = om.quantize(m, str(d), fmt=fmt, seed=7, **opts)
            sess = ort_oracle.session(path)
            inp = sess.get_inputs()[0]
            dt = np.uint8 if inp.type == "tensor(uint8)" else np.int8
            info, rng = np.iinfo(dt), np.random.default_rng(11)
            xs = [rng.integers(info.min, info.max + 1, shape).astype(dt) for _ in range(NINPUTS)]
            refs = [sess.run(None, {inp.name: x})[0].reshape(-1).astype(np.int64) for x in xs]
            cache[arch, variant] = (d, path, xs, refs, ort_float_ops(path, d))
        return cache[arch, variant]
    return get


def compare(label, ref, got, in_float):
    """Exact, or within 1 LSB where onnxruntime computes in fp32 (reported)."""
    diff = np.abs(ref - got)
    n = int(np.count_nonzero(diff))
    note = f"; onnxruntime computes {in_float} in fp32" if in_float else ""
    print(f"{label}: {n} of {diff.size} elements differ (max {diff.max()}){note}")
    if in_float:
        assert diff.max() <= 1, f"{label}: max |diff| {diff.max()} ({n} differ)"
    else:
        assert n == 0, f"{label}: {n} of {diff.size} differ, max {diff.max()}"


def layer_tensors(path, names):
    """The ONNX tensor holding the quantized output of each dory layer (named
    after the ONNX compute node): a QOperator node's output, or the
    QuantizeLinear that closes a QDQ group (through Relu/Clip); a layer named
    after a tensor (an unnamed node's output, e.g. a function's table) is
    that tensor."""
    m = onnx.load(path)
    by_name = {n.name: n for n in m.graph.node}
    produced = {o for n in m.graph.node for o in n.output}
    consumers = {}
    for n in m.graph.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    out = {}
    for name in names:
        if name not in by_name and name in produced:
            out[name] = name
            continue
        n = by_name.get(name)
        while n is not None and n.op_type in ("Conv", "Gemm", "MatMul", "Add", "Mul", "Relu",
                                                "Clip", "MaxPool", "GlobalAveragePool",
                                                "AveragePool"):
            nxt = consumers.get(n.output[0], [])
            n = nxt[0] if len(nxt) == 1 else None
        if n is not None:
            out[name] = n.output[0]
    return out


def ort_layers(path, tensors):
    """onnxruntime's values of the given tensors, exposed as graph outputs
    (every activation has the input's 8-bit type in these variants)."""
    m = onnx.load(path)
    elem = m.graph.input[0].type.tensor_type.elem_type
    have = {o.name for o in m.graph.output}
    for t in tensors:
        if t not in have:
            m.graph.output.append(onnx.helper.make_tensor_value_info(t, elem, None))
    sess = ort_oracle.session(m.SerializeToString())
    return sess, [o.name for o in sess.get_outputs()]


@pytest.mark.parametrize("arch,variant", CASES, ids=IDS)
def test_every_layer_equals_onnxruntime(arch, variant, models, dory, run_dory):
    """Every layer's output of `dory run --dump` against the same tensor of
    onnxruntime, on the first input (the network outputs hide differences
    that pooling averages away)."""
    d, path, xs, refs, in_float = models(arch, variant)
    np.save(d / "in0.npy", xs[0])
    run_dory(dory, "run", path, "--input", d / "in0.npy", "--dump", d / "dump", "-o",
             d / "out0.npy")
    dumps = {f.stem.split("_", 1)[1]: f for f in sorted((d / "dump").glob("*.npy"))}
    tensors = layer_tensors(path, dumps)
    assert len(tensors) >= len(dumps) - 1, (sorted(dumps), tensors)  # Flatten has no tensor
    sess, names = ort_layers(path, tensors.values())
    vals = dict(zip(names, sess.run(None, {sess.get_inputs()[0].name: xs[0]})))
    total = differ = 0
    for layer, t in tensors.items():  # in dory's layer order
        ref = vals[t].reshape(-1).astype(np.int64)
        got = np.load(dumps[layer]).reshape(-1).astype(np.int64)
        assert got.size == ref.size, layer
        n = int(np.count_nonzero(ref != got))
        if n:
            worst = int(np.abs(ref - got).max())
            print(f"{arch}-{variant} layer {layer}: {n} of {ref.size} differ (max {worst})")
            # the first layer that differs has equal inputs: only a tie, 1 LSB
            assert differ or worst <= 1, f"{layer}: {worst} LSB on equal inputs"
        total, differ = total + ref.size, differ + n
    print(f"{arch}-{variant}: {len(tensors)} layers, {differ} of {total} elements differ"
          + (f" (onnxruntime computes {in_float} in fp32)" if in_float else ""))
    if not in_float:
        assert differ == 0


@pytest.mark.parametrize("arch,variant", CASES, ids=IDS)
def test_run_equals_onnxruntime(arch, variant, models, dory, run_dory):
    d, path, xs, refs, in_float = models(arch, variant)
    if variant.startswith("qdq") and variant.endswith("u8"):
        assert not in_float, f"onnxruntime left {in_float} in fp32 on u8 QDQ"
    for i, (x, ref) in enumerate(zip(xs, refs)):
        np.save(d / f"in{i}.npy", x)
        run_dory(dory, "run", path, "--input", d / f"in{i}.npy", "-o", d / f"out{i}.npy")
        compare(f"{arch}-{variant} input {i}", ref, np.load(d / f"out{i}.npy").reshape(-1)
                .astype(np.int64), in_float)


@pytest.fixture(scope="module")
def firmware_cc():
    if not shutil.which("cc"):
        pytest.fail("no C compiler: run `make deps`")


@pytest.mark.parametrize("arch,variant", CASES, ids=IDS)
def test_gap8_deploy_equals_onnxruntime(arch, variant, models, dory, run_dory, firmware_cc):
    d, path, xs, refs, in_float = models(arch, variant)
    np.save(d / "in0.npy", xs[0])
    app = d / "app_gap8"
    p = run_dory(dory, "deploy", path, "-t", "gap8", "-o", app, "--input", d / "in0.npy")
    assert "no FPU: FLOAT, QLADD and QLMUL requantization computed in integers" in p.stderr, \
        p.stderr
    assert "outputs differ" not in p.stderr, p.stderr
    assert " 0 of " in p.stderr and "elements differ from FLOAT (at most 0)" in p.stderr, p.stderr
    layers = " ".join(f.read_text() for f in (app / "src").glob("layer_*.c"))
    # no fp32 left: proven SHIFT64 where constants exist, else the emulation
    assert all(f"DORY_RQ_{s}," not in layers for s in ("FLOAT", "QLADD", "QLMUL"))
    assert "DORY_RQ_F32INT" in layers or "DORY_RQ_SHIFT64" in layers
    src = d / "fw"  # a copy: parallel tests must not build in the same folder
    shutil.copytree(FIRMWARE, src, ignore=shutil.ignore_patterns("firmware", "*.elf"))
    subprocess.run(["make", "-s", "-C", str(src), f"APP={app}", "firmware"], check=True,
                   capture_output=True)
    fw = src / "firmware"
    for i, (x, ref) in enumerate(zip(xs, refs)):
        hwc = np.ascontiguousarray(x.reshape(x.shape[1:]).transpose(1, 2, 0))
        (d / f"in{i}.bin").write_bytes(hwc.tobytes())
        np.save(d / f"in{i}.npy", x)
        r = subprocess.run([str(fw), str(d / f"in{i}.bin")], capture_output=True, text=True,
                           check=True)
        got = np.array([int(v) for v in r.stdout.split()], dtype=np.int64)
        run_dory(dory, "run", path, "--input", d / f"in{i}.npy", "-o", d / f"out{i}.npy")
        assert np.array_equal(got, np.load(d / f"out{i}.npy").reshape(-1)), \
            f"{arch}-{variant} input {i}: the gap8 firmware differs from dory run"
        compare(f"{arch}-{variant} gap8 firmware input {i}", ref, got, in_float)
