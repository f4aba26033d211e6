"""ONNX QDQ and QOperator models against onnxruntime (the oracle).

Models are built at test time (tests/py/onnx_models.py): a seeded float
network, quantized with onnxruntime.quantization.quantize_static (seeded
calibration data) in QDQ or QOperator format, then the input QuantizeLinear
and output DequantizeLinear are stripped so both sides exchange integers.
onnxruntime runs with its default session options (full graph optimization,
which fuses QDQ groups into its integer kernels) and exact u8 x s8 products
on every x86 CPU (ort_oracle.py); dory runs the same file with
`dory run`. Every output element is compared.

FLOAT requantization must match exactly, except for groups onnxruntime
computes in fp32 rather than an integer kernel, where 1 LSB is allowed. The
test finds those in onnxruntime's optimized graph (float Conv, Gemm, MatMul,
Add, BatchNormalization left over: e.g. QDQ groups on int8 activations, which
onnxruntime 1.23 on x86 does not fuse) and prints them; and these kernels
compute in fp32 by design:
  * Add (QLinearAdd / QDQ Add) is exact: dory's QLADD scheme is MLAS's fp32
    formula (tests/py/test_qladd_formula.py); where onnxruntime leaves the
    QDQ Add in fp32 (DQ, Add, Q: s8 activations) the formula differs;
  * Concat of inputs with different scales (QLinearConcat, QDQ Concat): each
    input goes through round(fp32(xs*(x - xz)) / ys), two roundings; dory
    requantizes with one FLOAT multiply;
  * AveragePool (QLinearAveragePool, also what the QDQ group fuses to):
    onnxruntime dequantizes every input to fp32, sums in fp32, divides by
    the count and quantizes (value / y_scale); dory sums the integers exactly
    and applies one FLOAT requant x_scale / (y_scale * count).
  * BatchNormalization left unfolded (quant_pre_process without
    optimization): onnxruntime runs DQ -> BN -> Q in fp32; dory uses a
    depthwise 1x1 conv whose int32 bias holds beta - mean*g to 1/64 step.
GlobalAveragePool is exact: MLAS sums integers and requantizes like dory;
so is Concat of inputs with different scales (QLinearConcat, QDQ Concat:
onnxruntime's table round(fp32(xs*(x - xz)) / ys) + yz, which dory builds as
a lut requant).
FIXED requantization (`--requant fixed`, integer-only MCUs) must be within
1 LSB everywhere; the test prints how many elements differ.
"""
import os
import zlib

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
import ort_oracle  # noqa: E402
import onnx_models as om  # noqa: E402

P0 = (0, 0, 0, 0)
P1 = (1, 1, 1, 1)
ASYM = (0, 1, 1, 0)  # top, left, bottom, right

CONV_S1_S2 = [("conv", 16, 3, 1, P1, 1), ("relu",), ("conv", 16, 3, 2, ASYM, 1), ("relu",)]
DEPTHWISE = [("conv", 8, 3, 1, P1, 8), ("relu",), ("conv", 16, 1, 1, P0, 1), ("clip", 0, 6)]
GROUPED = [("conv", 16, 3, 1, P1, 2), ("relu",), ("conv", 16, 3, 2, P1, 4), ("relu",)]
RESIDUAL = [("conv", 16, 3, 1, P1, 1), ("relu",), ("save", "a"), ("conv", 16, 3, 1, P1, 1),
            ("add", "a"), ("relu",)]
POOL_FC = [("conv", 16, 3, 1, P1, 1), ("relu",), ("maxpool", 2, 2, P0), ("conv", 16, 3, 1, P1, 1),
           ("relu",), ("gap",), ("flatten",), ("gemm", 10)]
AVGPOOL = [("conv", 16, 3, 1, P1, 1), ("relu",), ("avgpool", 2, 2, P0), ("conv", 8, 1, 1, P0, 1)]
MATMUL = [("conv", 8, 3, 2, P1, 1), ("relu",), ("reshape",), ("matmul", 7)]
FLATTEN_GEMM = [("conv", 8, 3, 2, ASYM, 1), ("relu",), ("flatten",), ("gemm", 12)]
CONCAT = [("conv", 8, 3, 1, P1, 1), ("relu",), ("save", "a"), ("conv", 8, 3, 1, P1, 1), ("relu",),
          ("concat", "a"), ("conv", 8, 1, 1, P0, 1)]
PAD = [("conv", 8, 3, 1, P0, 1), ("relu",), ("pad", (1, 2, 0, 1)), ("conv", 8, 3, 1, P0, 1),
       ("relu",), ("maxpool", 3, 2, (1, 1, 0, 0))]
BN = [("conv", 16, 3, 1, P1, 1), ("bn",), ("relu",), ("conv", 8, 3, 2, P1, 1), ("bn",)]
BN_RELU = [("conv", 8, 3, 1, P1, 1), ("bn",), ("relu",), ("conv", 4, 3, 2, P1, 1)]
CLIP = [("conv", 16, 3, 1, P1, 1), ("clip", -1, 2), ("conv", 8, 1, 1, P0, 1)]

# name, specs, quantize options, float group (1 LSB allowed with FLOAT)
QDQ = [
    ("conv_s1_s2_pt_u8", CONV_S1_S2, {}, False),
    ("conv_s1_s2_pc_s8", CONV_S1_S2, {"per_channel": True, "act": "s8"}, False),
    ("depthwise_pc", DEPTHWISE, {"per_channel": True}, False),
    ("grouped_pt_s8sym", GROUPED, {"act": "s8", "act_symmetric": True}, False),
    ("residual_add_pc", RESIDUAL, {"per_channel": True}, True),
    ("residual_add_s8", RESIDUAL, {"act": "s8"}, True),
    ("maxpool_gap_gemm_pc", POOL_FC, {"per_channel": True}, False),
    ("avgpool_pt", AVGPOOL, {}, True),
    ("reshape_matmul_pc", MATMUL, {"per_channel": True}, False),
    ("flatten_gemm_s8", FLATTEN_GEMM, {"act": "s8"}, False),
    ("concat_pc", CONCAT, {"per_channel": True}, False),
    ("pad_maxpool", PAD, {"optimize": False}, False),
    ("bn_folded_pc", BN, {"per_channel": True}, False),
    ("clip_asym_u8_weights", CLIP, {"weight": "u8", "weight_symmetric": False}, False),
    ("relu_kept_s8sym_pc", [("conv", 8, 3, 1, P1, 1), ("relu",)],
     {"act": "s8", "act_symmetric": True, "per_channel": True}, False),
    ("bn_unfolded", BN_RELU, {"optimize": False}, True),
]
QOP = [
    ("conv_s1_s2_pt_u8", CONV_S1_S2, {}, False),
    ("depthwise_pc_s8", DEPTHWISE, {"per_channel": True, "act": "s8"}, False),
    ("grouped_pc", GROUPED, {"per_channel": True}, False),
    ("residual_qlinearadd", RESIDUAL, {"per_channel": True}, True),
    ("maxpool_gap_qgemm", POOL_FC, {}, False),
    ("qlinearavgpool", AVGPOOL, {"per_channel": True}, True),
    ("qlinearmatmul", MATMUL, {}, False),
    ("qlinearconcat_s8", CONCAT, {"act": "s8"}, False),
    ("pad_maxpool_pc", PAD, {"optimize": False, "per_channel": True}, False),
    ("asym_u8_weights", CLIP, {"weight": "u8", "weight_symmetric": False}, False),
    ("bn_unfolded_pc", BN_RELU, {"optimize": False, "per_channel": True}, True),
]
CASES = [("qdq", *c) for c in QDQ] + [("qop", *c) for c in QOP]
IN_SHAPE = (1, 8, 12, 12)
SEED = int(os.environ.get("DORY_ONNX_SEED", "0"))  # vary to explore more weights


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    cache = {}

    def get(fmt, name, specs, opts):
        key = (fmt, name)
        if key not in cache:
            d = tmp_path_factory.mktemp(f"{fmt}_{name}")
            m = om.float_model(specs, IN_SHAPE, seed=zlib.crc32(name.encode()) % 1000 + SEED)
            path = om.quantize(m, str(d), fmt=fmt, seed=7, **opts)
            cache[key] = (d, path)
        return cache[key]
    return get


FLOAT_COMPUTE = {"Conv", "Gemm", "MatMul", "Add", "Mul", "AveragePool", "GlobalAveragePool",
                 "BatchNormalization", "FusedConv", "FusedGemm", "FusedMatMul"}


def ort_float_ops(path, d):
    """Compute ops onnxruntime's optimized graph still runs in fp32 (a QDQ
    group it did not fuse into an integer kernel, e.g. Conv on int8
    activations on x86): there 1 LSB is allowed, as the issue states."""
    so = ort.SessionOptions()
    so.optimized_model_filepath = str(d / "ort_optimized.onnx")
    so.log_severity_level = 3
    ort_oracle.session(path, so)
    m = onnx.load(str(d / "ort_optimized.onnx"))
    return sorted({n.op_type for n in m.graph.node if n.op_type in FLOAT_COMPUTE})


def run_both(dory, run_dory, d, path, extra=()):
    sess = ort_oracle.session(path)  # default options, exact products
    inp = sess.get_inputs()[0]
    assert inp.type in ("tensor(uint8)", "tensor(int8)"), inp.type
    dt = np.uint8 if inp.type == "tensor(uint8)" else np.int8
    info = np.iinfo(dt)
    x = np.random.default_rng(11).integers(info.min, info.max + 1, IN_SHAPE).astype(dt)
    ref = sess.run(None, {inp.name: x})[0]
    np.save(d / "in.npy", x)
    out = d / ("out_fixed.npy" if extra else "out.npy")
    run_dory(dory, "run", path, "--input", d / "in.npy", "-o", out, *extra)
    got = np.load(out)
    assert got.size == ref.size
    return ref.reshape(-1).astype(np.int64), got.reshape(-1).astype(np.int64)


@pytest.mark.parametrize("fmt,name,specs,opts,float_group", CASES,
                         ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_onnx_vs_onnxruntime(fmt, name, specs, opts, float_group, models, dory, run_dory):
    d, path = models(fmt, name, specs, opts)
    ops = sorted({n.op_type for n in onnx.load(path).graph.node})
    ref, got = run_both(dory, run_dory, d, path)
    diff = np.abs(ref - got)
    ndiff = int(np.count_nonzero(diff))
    in_float = ort_float_ops(path, d)
    print(f"{fmt}-{name} ops={ops}: FLOAT: {ndiff} of {diff.size} elements differ"
          + (f"; onnxruntime computes {in_float} in fp32" if in_float else ""))
    if float_group or in_float:
        assert diff.max() <= 1, f"max |diff| {diff.max()} ({ndiff} differ)"
    else:
        assert ndiff == 0, f"{ndiff} of {diff.size} differ, max {diff.max()}"
    check_fixed(dory, run_dory, d, path, f"{fmt}-{name}")
    # `dory inspect` prints the lowered layers of every test model.
    out = run_dory(dory, "inspect", path).stdout
    assert " layers" in out and "float" in out, out


def check_fixed(dory, run_dory, d, path, label):
    """--requant fixed: every requantization within 1 LSB of FLOAT. Layers run
    in order on identical inputs until the first layer whose output differs;
    that layer's output must be within 1 LSB. After it, inputs differ and a
    1-LSB difference can grow through the next layers' weights, so the later
    layers and the final output against onnxruntime are reported, not
    asserted beyond 1 LSB per layer."""
    for mode in ("float", "fixed"):
        run_dory(dory, "run", path, "--input", d / "in.npy", "--requant", mode,
                 "--dump", d / f"dump_{mode}", "-o", d / f"out_{mode}.npy")
    same_inputs = True
    for fa in sorted((d / "dump_float").glob("*.npy")):
        a = np.load(fa).astype(np.int64)
        b = np.load(d / "dump_fixed" / fa.name).astype(np.int64)
        diff = np.abs(a - b)
        n = int(np.count_nonzero(diff))
        print(f"{label}: FIXED layer {fa.stem}: {n} of {diff.size} elements differ "
              f"(max {diff.max()}){'' if same_inputs else ' [inputs already differ]'}")
        if same_inputs:
            assert diff.max() <= 1, f"{fa.stem}: FIXED differs by {diff.max()} on equal inputs"
        same_inputs = same_inputs and n == 0
    sess = ort_oracle.session(path)
    x = np.load(d / "in.npy")
    ref = sess.run(None, {sess.get_inputs()[0].name: x})[0].reshape(-1).astype(np.int64)
    got = np.load(d / "out_fixed.npy").reshape(-1).astype(np.int64)
    diff = np.abs(ref - got)
    print(f"{label}: FIXED output vs onnxruntime: {int(np.count_nonzero(diff))} of {diff.size} "
          f"elements differ (max {diff.max()})")


def test_format_coverage():
    """Every op the issue lists appears in at least one quantized model."""
    want = {"Conv", "Gemm", "MatMul", "Add", "AveragePool", "MaxPool", "GlobalAveragePool",
            "Relu", "Clip", "Reshape", "Flatten", "Concat", "Pad", "BatchNormalization"}
    specs_ops = {"conv": "Conv", "gemm": "Gemm", "matmul": "MatMul", "add": "Add",
                 "avgpool": "AveragePool", "maxpool": "MaxPool", "gap": "GlobalAveragePool",
                 "relu": "Relu", "clip": "Clip", "reshape": "Reshape", "flatten": "Flatten",
                 "concat": "Concat", "pad": "Pad", "bn": "BatchNormalization"}
    seen = {specs_ops[s[0]] for _, specs, _, _ in QDQ for s in specs if s[0] in specs_ops}
    assert want <= seen, want - seen
    assert len(QDQ) >= 12 and len(QOP) >= 6


def test_nemo_builder_model(dory, run_dory, tmp_path):
    """A NEMO-style model built here (Pad, QAdd, non-power-of-two Div, AvgPool
    requant): dory equals onnxruntime running the integer ONNX itself."""
    m = om.nemo_model(seed=3)
    path = tmp_path / "nemo.onnx"
    onnx.save(m, path)
    x = np.random.default_rng(5).integers(0, 256, (1, 4, 10, 10))
    ref = ort_oracle.session(str(path)).run(None, {"input": x.astype(np.float32)})[0]
    np.save(tmp_path / "in.npy", x.astype(np.uint8))
    run_dory(dory, "run", path, "--input", tmp_path / "in.npy", "-o", tmp_path / "out.npy")
    got = np.load(tmp_path / "out.npy")
    assert np.array_equal(got.reshape(-1), ref.reshape(-1).astype(np.int64)), (got, ref)
