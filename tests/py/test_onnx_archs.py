"""Architecture-shaped networks built from the ops of issue 12 item 3, at MCU
input sizes, quantized with onnxruntime's quantize_static in five variants
(QDQ u8 per tensor and per channel, QDQ s8 per tensor and per channel,
QOperator), compared with onnxruntime on 5 inputs.

  squeezenet    fire modules (squeeze 1x1, expand 1x1 and 3x3, Concat),
                MaxPool with ceil_mode, final conv, GlobalAveragePool
  shufflenetv2  stride-2 and stride-1 units: Split, branches, Concat,
                channel shuffle (Reshape 5-D, Transpose, Reshape)
  tcn           dilated 1-D convolutions (1, 2, 4, 8), ReduceMean, Gemm
  mobilenetv3   HardSwish and HardSigmoid, dilated depthwise (no SE)
  mnasnet       inverted residual blocks with Add (MNASNet-B1, no SE)
  mobilenetv3_se  the same with squeeze-excitation (GlobalAveragePool or
                ReduceMean, 1x1 convs, HardSigmoid gate, Mul broadcast over
                H and W: the IR mul node)
  efficientnet_b0 MBConv blocks with SiLU and SE (Sigmoid gate), residual Add

Exact, except where onnxruntime computes in fp32 (its optimized graph still
holds float Conv/Gemm/Add/AveragePool, found by the test) and residual Adds,
whose rounding is issue 12 item 1: there at most 1 LSB, counted and
printed. Each is also deployed (small L1 tiles) and run on the host; and,
every architecture in every variant, deployed for gap8 (no FPU: the float
requantization in integers), `deploy` reporting 0 outputs differing from
FLOAT, the network linked into examples/firmware and run on the host on the
same 5 inputs: equal to `dory run`, hence to onnxruntime (same rule).
"""
import shutil
import subprocess
import zlib

import numpy as np

import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
import ort_oracle  # noqa: E402
import onnx_models as om  # noqa: E402
from onnx_ops_models import Net  # noqa: E402
from conftest import ROOT  # noqa: E402
from test_onnx_oracle import ort_float_ops  # noqa: E402
from test_onnx_ops import compare  # noqa: E402

VARIANTS = {
    "qdq_u8_pt": dict(fmt="qdq"),
    "qdq_u8_pc": dict(fmt="qdq", per_channel=True),
    "qdq_s8_pt": dict(fmt="qdq", act="s8"),
    "qdq_s8_pc": dict(fmt="qdq", act="s8", per_channel=True),
    "qop_u8_pc": dict(fmt="qop", per_channel=True),
}


def fire(n, squeeze, expand):
    n.conv(squeeze, 1).relu().save("sq").conv(expand, 1).relu().save("e1")
    n.x, n.shape = n.saved["sq"][0], list(n.saved["sq"][1])
    return n.conv(expand, 3).relu().concat("e1")


def squeezenet():
    n = Net((1, 3, 32, 32)).conv(16, 3, stride=2, pads=[0, 0, 0, 0]).relu()
    n.pool("MaxPool", 3, 2, ceil=1)
    fire(n, 8, 16)
    n.pool("MaxPool", 3, 2, ceil=1)
    fire(n, 12, 24)
    return n.conv(10, 1, pads=[0, 0, 0, 0]).relu().gap()


def shuffle_unit(n, stride):
    if stride == 1:
        n.split()
        half = n.shape[1]
        n.conv(half, 1).relu().conv(half, 3, groups=half).conv(half, 1).relu()
        return n.concat("split0").shuffle(2)
    c = n.shape[1]
    n.save("in").conv(c, 3, stride=2, groups=c).conv(c, 1).relu().save("left")
    n.x, n.shape = n.saved["in"][0], list(n.saved["in"][1])
    n.conv(c, 1).relu().conv(c, 3, stride=2, groups=c).conv(c, 1).relu()
    return n.concat("left").shuffle(2)


def shufflenetv2():
    n = Net((1, 3, 32, 32)).conv(12, 3, stride=2).relu().pool("MaxPool", 3, 2, pads=[1, 1, 1, 1])
    shuffle_unit(n, 2)
    shuffle_unit(n, 1)
    return n.conv(32, 1).relu().reduce_mean([2, 3], 0).gemm(10)


def tcn():
    n = Net((1, 8, 64))
    for d in (1, 2, 4, 8):
        n.conv(16, 3, dil=d).relu()
    return n.reduce_mean([-1], 0).gemm(6)


def mobilenetv3():
    n = Net((1, 3, 32, 32)).conv(16, 3, stride=2).hardswish()
    n.conv(16, 3, groups=16).relu().conv(16, 1)
    n.conv(48, 1).hardswish().conv(48, 3, stride=2, groups=48, dil=1).hardswish().conv(24, 1)
    n.conv(48, 1).hardswish().conv(48, 3, groups=48, dil=2).hardsigmoid().conv(24, 1)
    return n.gap().flatten().gemm(10)


def mobilenetv3_se():
    """MobileNetV3-Small's first blocks: HardSwish stem, a depthwise block
    with squeeze-excitation (ReLU, HardSigmoid gate), an inverted residual
    without and one with SE (ReduceMean pooling), the head."""
    n = Net((1, 3, 32, 32)).conv(16, 3, stride=2).hardswish()
    n.conv(16, 3, stride=2, groups=16).relu().se(8).conv(16, 1)
    n.conv(48, 1).relu().conv(48, 3, groups=48).relu().conv(24, 1)
    n.conv(64, 1).hardswish().conv(64, 5, stride=2, groups=64).hardswish()
    n.se(16, pool="mean").conv(24, 1)
    return n.conv(96, 1).hardswish().gap().flatten().gemm(10)


def mbconv(n, expand, cout, k, stride):
    """EfficientNet's MBConv: 1x1 expand + SiLU (not for expand 1), k x k
    depthwise + SiLU, squeeze-excitation (SiLU, Sigmoid gate) to cin/4,
    1x1 projection, residual Add when the shape is kept."""
    cin = n.shape[1]
    hidden = cin * expand
    if stride == 1 and cin == cout:
        n.save("res")
    if expand != 1:
        n.conv(hidden, 1).silu()
    n.conv(hidden, k, stride=stride, groups=hidden).silu()
    n.se(max(1, cin // 4), act="silu", gate="sigmoid").conv(cout, 1)
    if stride == 1 and cin == cout:
        n.add("res")
    return n


def efficientnet_b0():
    """EfficientNet-B0 at 32x32, width 0.5, one block per stage of the first
    four stages (MBConv1 k3, MBConv6 k3 s2, MBConv6 k5 s2 and a repeat with
    the residual), the 1x1 head with SiLU, pooling, the classifier."""
    n = Net((1, 3, 32, 32)).conv(16, 3, stride=2).silu()
    mbconv(n, 1, 8, 3, 1)
    mbconv(n, 6, 12, 3, 2)
    mbconv(n, 6, 20, 5, 2)
    mbconv(n, 6, 20, 5, 1)
    return n.conv(64, 1).silu().gap().flatten().gemm(10)


def inverted_residual(n, expand, cout, stride):
    cin = n.shape[1]
    if stride == 1 and cin == cout:
        n.save("res")
    n.conv(cin * expand, 1).relu().conv(cin * expand, 3, stride=stride, groups=cin * expand)
    n.relu().conv(cout, 1)
    if stride == 1 and cin == cout:
        n.add("res")
    return n


def mnasnet():
    n = Net((1, 3, 32, 32)).conv(16, 3, stride=2).relu()
    n.conv(16, 3, groups=16).relu().conv(8, 1)
    inverted_residual(n, 3, 12, 2)
    inverted_residual(n, 3, 12, 1)
    inverted_residual(n, 6, 16, 2)
    return n.conv(32, 1).relu().gap().flatten().gemm(10)


ARCHS = {f.__name__: f for f in (squeezenet, shufflenetv2, tcn, mobilenetv3, mnasnet,
                                 mobilenetv3_se, efficientnet_b0)}
HAS_ADD = {"mnasnet", "efficientnet_b0"}


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("arch", list(ARCHS))
def test_architecture_vs_onnxruntime(arch, variant, dory, run_dory, tmp_path):
    net = ARCHS[arch]()
    path = om.quantize(net.model(), str(tmp_path), seed=zlib.crc32(arch.encode()) % 100,
                       **VARIANTS[variant])
    compare(dory, run_dory, tmp_path, path, net.in_shape, f"{arch}/{variant}", arch in HAS_ADD)


@pytest.mark.parametrize("arch", list(ARCHS))
def test_architecture_deploys(arch, dory, run_dory, rt_libs, tmp_path):
    """Planned with small L1 tiles and run on the host: every layer equals
    the reference interpreter."""
    from test_deploy_models import BUDGETS, deploy_and_run
    path = om.quantize(ARCHS[arch]().model(), str(tmp_path), seed=1, per_channel=True)
    deploy_and_run(run_dory, dory, path, tmp_path / "app", BUDGETS["tight"], rt_libs)


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("arch", list(ARCHS))
def test_architecture_gap8_vs_onnxruntime(arch, variant, dory, run_dory, tmp_path):
    net = ARCHS[arch]()
    path = om.quantize(net.model(), str(tmp_path), seed=zlib.crc32(arch.encode()) % 100,
                       **VARIANTS[variant])
    sess = ort_oracle.session(path)
    inp = sess.get_inputs()[0]
    dt = np.uint8 if inp.type == "tensor(uint8)" else np.int8
    info = np.iinfo(dt)
    xs = [np.random.default_rng(seed).integers(info.min, info.max + 1, net.in_shape).astype(dt)
          for seed in range(5)]
    np.save(tmp_path / "in0.npy", xs[0])
    app = tmp_path / "app_gap8"
    p = run_dory(dory, "deploy", path, "-t", "gap8", "-o", app, "--input", tmp_path / "in0.npy")
    assert "outputs differ" not in p.stderr, p.stderr
    assert " 0 of " in p.stderr and "elements differ from FLOAT (at most 0)" in p.stderr, p.stderr
    layers = " ".join(f.read_text() for f in (app / "src").glob("layer_*.c"))
    assert all(f"DORY_RQ_{s}," not in layers for s in ("FLOAT", "QLADD", "QLMUL")), \
        "fp32 requantization left in a gap8 layer"
    fw = tmp_path / "fw"  # a copy: parallel tests must not build in the same folder
    shutil.copytree(ROOT / "examples" / "firmware", fw,
                    ignore=shutil.ignore_patterns("firmware", "*.elf"))
    subprocess.run(["make", "-s", "-C", str(fw), f"APP={app}", "firmware"], check=True,
                   capture_output=True)
    in_fp32 = ort_float_ops(path, tmp_path)
    total = worst = 0
    for i, x in enumerate(xs):
        chw = x.reshape(x.shape[1:])
        hwc = chw.T if chw.ndim == 2 else chw.transpose(1, 2, 0)  # 1-D: H = 1, W = L
        (tmp_path / "in.bin").write_bytes(np.ascontiguousarray(hwc).tobytes())
        r = subprocess.run([str(fw / "firmware"), str(tmp_path / "in.bin")], capture_output=True,
                           text=True, check=True)
        got = np.array([int(v) for v in r.stdout.split()], dtype=np.int64)
        np.save(tmp_path / "in.npy", x)
        run_dory(dory, "run", path, "--input", tmp_path / "in.npy", "-o", tmp_path / "out.npy")
        assert np.array_equal(got, np.load(tmp_path / "out.npy").reshape(-1)), \
            f"{arch}/{variant} input {i}: the gap8 firmware differs from dory run"
        ref = sess.run(None, {inp.name: x})[0].reshape(-1).astype(np.int64)
        diff = np.abs(got - ref)
        total += int(np.count_nonzero(diff))
        worst = max(worst, int(diff.max()))
    print(f"{arch}/{variant} gap8: {total} of {5 * ref.size} outputs differ from onnxruntime "
          f"(max {worst})" + (f"; onnxruntime computes {in_fp32} in fp32" if in_fp32 else ""))
    if arch in HAS_ADD or in_fp32:
        assert worst <= 1, f"{arch}/{variant} gap8: max |diff| {worst}"
    else:
        assert total == 0, f"{arch}/{variant} gap8: {total} differ, max {worst}"


def test_shufflenet_selections_fold(dory, run_dory, tmp_path):
    """The channel shuffles and Splits fold (src/passes/fold_select.c): each
    unit's shuffle composes with the next unit's Split, and a selection that
    feeds a standard convolution goes into its weights; only the Split half
    that feeds a Concat stays a layer (the stride-1 unit's). Bit-exactness
    is test_architecture_vs_onnxruntime's (5 variants)."""
    path = om.quantize(shufflenetv2().model(), str(tmp_path), seed=1)
    layers = [ln.split() for ln in run_dory(dory, "inspect", path).stdout.splitlines()
              if ln[:4].strip().isdigit()]
    shuffles = [ln for ln in layers if ln[1].startswith("reshape")]
    selections = [ln for ln in layers if ln[2:4] == ["conv", "1x1/1"] and "none" in ln]
    print(f"shufflenetv2: {len(layers)} layers, selections left: {[ln[1] for ln in selections]}")
    assert not shuffles, shuffles
    assert [ln[1] for ln in selections] == ["split_30"], selections
