"""The ops real exporters write (issue 12 item 3) against onnxruntime.

Float models from tests/py/onnx_ops_models.py, quantized with onnxruntime's
quantize_static in QDQ (u8 per tensor, s8 per channel) and QOperator, then
stripped to integer input and output (onnx_models.quantize). `dory run`
must equal onnxruntime (default session options,
exact products: ort_oracle.py) on 5 inputs. Exceptions,
counted and printed: groups onnxruntime leaves in fp32 in its optimized graph
(test_onnx_oracle.ort_float_ops), there 1 LSB. Average pools, which
onnxruntime computes on fp32 dequantized values (QLinearAveragePool), are
exact (avg_round=ort); test_avgpool_exact checks them on the model input in
five quantizations, where no fp32 layer before them can differ.
"""
import zlib

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
import ort_oracle  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402
import onnx_models as om  # noqa: E402
from onnx_ops_models import Net  # noqa: E402
from test_onnx_oracle import ort_float_ops  # noqa: E402

S = (1, 8, 12, 12)
VARIANTS = {
    "qdq_u8": dict(fmt="qdq"),
    "qdq_s8_pc": dict(fmt="qdq", act="s8", per_channel=True),
    "qop_u8_pc": dict(fmt="qop", per_channel=True),
}


def m_reducemean_keep():
    return Net(S).conv(16, 3).relu().reduce_mean([2, 3]).flatten().gemm(5), 17, False


def m_reducemean_nokeep():
    return Net(S).conv(16, 3).relu().reduce_mean([-1, -2], 0).gemm(5), 17, False


def m_reducemean_opset18():
    return Net(S).conv(16, 3).relu().reduce_mean([2, 3], 1, opset=18).flatten().gemm(5), 18, False


def m_reducemean_1d():
    return Net((1, 8, 32)).conv(16, 3).relu().reduce_mean([-1], 0).gemm(4), 17, False


def m_maxpool_ceil():
    return Net(S).conv(16, 3).relu().pool("MaxPool", 3, 2, ceil=1).conv(8, 1), 17, False


def m_maxpool_ceil_pad():
    return (Net((1, 8, 13, 13)).conv(16, 3).relu()
            .pool("MaxPool", 3, 2, pads=[1, 1, 1, 1], ceil=1).conv(8, 1)), 17, False


def m_avgpool_ceil():
    return Net((1, 8, 11, 11)).conv(16, 3).relu().pool("AveragePool", 2, 2, ceil=1), 17, False


def m_avgpool_ceil_count_pad():
    return (Net((1, 8, 11, 11)).conv(16, 3).relu()
            .pool("AveragePool", 3, 2, pads=[1, 1, 1, 1], ceil=1, count_include_pad=1)), 17, False


def m_avgpool_pad_exclude():  # count_include_pad = 0: the border windows count 4 and 6 taps
    return Net(S).conv(16, 3).relu().pool("AveragePool", 3, 1, pads=[1, 1, 1, 1]), 17, False


def m_avgpool_ceil_pad_exclude():  # padding and a ceil_mode overhang, neither counted
    return (Net((1, 8, 11, 11)).conv(16, 3).relu()
            .pool("AveragePool", 3, 2, pads=[1, 1, 1, 1], ceil=1)), 17, False


def m_avgpool_asym():  # kernel 2x3 stride 2x1, pads on one side
    return (Net((1, 8, 10, 9)).conv(16, 3).relu()
            .pool("AveragePool", [2, 3], [2, 1], pads=[0, 1, 1, 0])), 17, False


def m_pool1d_unsqueeze():  # the dynamo exporter's MaxPool1d / AvgPool1d
    n = Net((1, 8, 32)).conv(16, 3).relu().unsqueeze(2).pool("MaxPool", [1, 2], [1, 2])
    return n.squeeze(2).conv(8, 3).relu().unsqueeze(2).pool("AveragePool", [1, 3], [1, 2]) \
        .squeeze(2), 17, False


def m_dilated_2d():
    return Net(S).conv(16, 3, dil=2).relu().conv(8, 3, dil=3), 17, False


def m_dilated_1d_tcn():
    return Net((1, 8, 40)).conv(16, 3, dil=2).relu().conv(16, 3, dil=4).relu() \
        .conv(8, 3, dil=8), 17, False


def m_pads_beyond_kernel():
    return Net(S).conv(16, 3, pads=[4, 4, 4, 4]).relu().conv(8, 1, pads=[2, 1, 0, 3]), 17, False


def m_split_concat():
    return Net(S).conv(16, 3).relu().split().conv(8, 3).relu().concat("split0").conv(8, 1), \
        17, False


def m_slice_step():  # a Slice between DQ and a Q of another scale in QOperator graphs
    return Net(S).conv(16, 3).relu().slice_channels(2, 13, 2).conv(8, 1), 17, False


def m_channel_shuffle():
    return Net(S).conv(16, 3).relu().shuffle(4).conv(8, 1), 17, False


def m_shufflenet_unit():  # ShuffleNetV2's stride-1 unit: split, branch, concat, shuffle
    n = Net(S).conv(16, 3).relu().split().conv(8, 1).relu().conv(8, 3, groups=8).conv(8, 1)
    return n.relu().concat("split0").shuffle(2).conv(8, 1), 17, False


MODELS = {f.__name__[2:]: f for f in (
    m_reducemean_keep, m_reducemean_nokeep, m_reducemean_opset18, m_reducemean_1d,
    m_maxpool_ceil, m_maxpool_ceil_pad, m_avgpool_ceil, m_avgpool_ceil_count_pad,
    m_avgpool_pad_exclude, m_avgpool_ceil_pad_exclude, m_avgpool_asym,
    m_pool1d_unsqueeze, m_dilated_2d, m_dilated_1d_tcn, m_pads_beyond_kernel, m_split_concat,
    m_slice_step, m_channel_shuffle, m_shufflenet_unit)}


def compare(dory, run_dory, d, path, in_shape, label, lsb_ok):
    """dory run vs onnxruntime on 5 inputs; returns the differing count."""
    sess = ort_oracle.session(path)
    inp = sess.get_inputs()[0]
    dt = np.uint8 if inp.type == "tensor(uint8)" else np.int8
    info = np.iinfo(dt)
    in_fp32 = ort_float_ops(path, d)
    total = worst = 0
    for seed in range(5):
        x = np.random.default_rng(seed).integers(info.min, info.max + 1, in_shape).astype(dt)
        ref = sess.run(None, {inp.name: x})[0]
        assert ref.dtype == dt, f"onnxruntime's output is {ref.dtype}, not integers"
        ref = ref.reshape(-1).astype(np.int64)
        np.save(d / "in.npy", x)
        run_dory(dory, "run", path, "--input", d / "in.npy", "-o", d / "out.npy")
        got = np.load(d / "out.npy").reshape(-1).astype(np.int64)
        assert got.size == ref.size
        diff = np.abs(got - ref)
        total += int(np.count_nonzero(diff))
        worst = max(worst, int(diff.max()))
    print(f"{label}: {total} of {5 * ref.size} outputs differ (max {worst})"
          + (f"; onnxruntime computes {in_fp32} in fp32" if in_fp32 else ""))
    if lsb_ok or in_fp32:
        assert worst <= 1, f"{label}: max |diff| {worst}"
    else:
        assert total == 0, f"{label}: {total} differ, max {worst}"
    return total


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("name", list(MODELS))
def test_op_vs_onnxruntime(name, variant, dory, run_dory, tmp_path):
    net, opset, lsb_ok = MODELS[name]()
    m = net.model(opset)
    path = om.quantize(m, str(tmp_path), seed=zlib.crc32(name.encode()) % 100,
                       **VARIANTS[variant])
    compare(dory, run_dory, tmp_path, path, net.in_shape, f"{name}/{variant}", lsb_ok)


POOLS = {  # AveragePool geometries onnxruntime computes in fp32 (every window count)
    "pad_exclude": dict(k=3, stride=1, pads=[1, 1, 1, 1]),
    "ceil_pad_exclude": dict(k=3, stride=2, pads=[1, 1, 1, 1], ceil=1),
    "ceil_overhang": dict(k=2, stride=2, ceil=1),
    "ceil_count_pad": dict(k=3, stride=2, pads=[1, 1, 1, 1], ceil=1, count_include_pad=1),
    "asym": dict(k=[2, 3], stride=[2, 1], pads=[0, 1, 1, 0]),
    "no_pad": dict(k=3, stride=2),
}


# (QDQ or QOperator, input type, x scale and zero point, y scale and zero
# point): quantize_static gives a pool the same scale in and out (then ties
# at .5 are common), QOperator models may not.
POOL_Q = {
    "qdq_u8": ("qdq", TensorProto.UINT8, 0.0237, 0, 0.0237, 0),
    "qdq_s8": ("qdq", TensorProto.INT8, 0.0237, -128, 0.0237, -128),
    "qdq_s8_zp": ("qdq", TensorProto.INT8, 0.0173, 3, 0.0173, 3),
    "qop_u8": ("qop", TensorProto.UINT8, 0.0237, 5, 0.0311, 2),
    "qop_s8": ("qop", TensorProto.INT8, 0.0419, -7, 0.0254, -11),
}


def pool_model(geom, variant):
    """DQ -> AveragePool -> Q, or QLinearAveragePool, as the quantizers write them."""
    fmt, elem, xs, xz, ys, yz = POOL_Q[variant]
    npdt = np.uint8 if elem == TensorProto.UINT8 else np.int8
    g = POOLS[geom]
    k = g["k"] if isinstance(g["k"], list) else [g["k"]] * 2
    st = g["stride"] if isinstance(g["stride"], list) else [g["stride"]] * 2
    attrs = dict(kernel_shape=k, strides=st, pads=g.get("pads", [0, 0, 0, 0]),
                 ceil_mode=g.get("ceil", 0), count_include_pad=g.get("count_include_pad", 0))
    q = [numpy_helper.from_array(np.array(v, dt), n) for v, dt, n in (
        (xs, np.float32, "xs"), (xz, npdt, "xz"), (ys, np.float32, "ys"), (yz, npdt, "yz"))]
    if fmt == "qdq":
        nodes = [helper.make_node("DequantizeLinear", ["x", "xs", "xz"], ["xf"]),
                 helper.make_node("AveragePool", ["xf"], ["yf"], **attrs),
                 helper.make_node("QuantizeLinear", ["yf", "ys", "yz"], ["y"])]
    else:
        nodes = [helper.make_node("QLinearAveragePool", ["x", "xs", "xz", "ys", "yz"], ["y"],
                                  domain="com.microsoft", **attrs)]
    graph = helper.make_graph(nodes, "pool", [helper.make_tensor_value_info("x", elem, SHAPE_P)],
                              [helper.make_tensor_value_info("y", elem, None)], q)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                helper.make_opsetid("com.microsoft", 1)])
    m.ir_version = 8
    return m, npdt


SHAPE_P = [1, 8, 11, 11]


@pytest.mark.parametrize("variant", list(POOL_Q))
@pytest.mark.parametrize("geom", list(POOLS))
def test_avgpool_exact(geom, variant, dory, run_dory, tmp_path):
    """onnxruntime's fp32 average (QLinearAveragePool; DQ -> AveragePool -> Q,
    which it fuses into that for u8 and runs in fp32 for s8) equals dory's
    AVG_ORT on every output of 5 random inputs, ties at .5 included: every
    window count (padding excluded or counted, ceil_mode overhangs)."""
    m, npdt = pool_model(geom, variant)
    path = tmp_path / "pool.onnx"
    onnx.save(m, path)
    sess = ort_oracle.session(str(path))
    info, total = np.iinfo(npdt), 0
    for seed in range(5):
        x = np.random.default_rng(seed).integers(info.min, info.max + 1, SHAPE_P).astype(npdt)
        ref = sess.run(None, {"x": x})[0].reshape(-1).astype(np.int64)
        np.save(tmp_path / "in.npy", x)
        run_dory(dory, "run", path, "--input", tmp_path / "in.npy", "-o", tmp_path / "out.npy")
        got = np.load(tmp_path / "out.npy").reshape(-1).astype(np.int64)
        total += int(np.count_nonzero(got != ref))
    print(f"avgpool {geom}/{variant}: {total} of {5 * ref.size} outputs differ")
    assert total == 0
    assert "avg_round=ort" in run_dory(dory, "inspect", path, "--ir").stdout


@pytest.mark.parametrize("variant", ["qdq_s8", "qop_u8"])
def test_avgpool_exact_gap8_firmware(variant, dory, run_dory, tmp_path):
    """deploy -t gap8 (no FPU), linked into examples/firmware and run on the
    host HAL: onnxruntime's integers on every output of 5 inputs."""
    import shutil
    import subprocess
    from conftest import ROOT
    m, npdt = pool_model("ceil_pad_exclude", variant)
    path = tmp_path / "pool.onnx"
    onnx.save(m, path)
    sess = ort_oracle.session(str(path))
    info, rng = np.iinfo(npdt), np.random.default_rng(3)
    xs = [rng.integers(info.min, info.max + 1, SHAPE_P).astype(npdt) for _ in range(5)]
    np.save(tmp_path / "in0.npy", xs[0])
    app = tmp_path / "app"
    p = run_dory(dory, "deploy", path, "-t", "gap8", "-o", app, "--input", tmp_path / "in0.npy")
    assert "outputs differ" not in p.stderr, p.stderr
    src = tmp_path / "fw"
    shutil.copytree(ROOT / "examples" / "firmware", src,
                    ignore=shutil.ignore_patterns("firmware", "*.elf"))
    subprocess.run(["make", "-s", "-C", str(src), f"APP={app}", "firmware"], check=True,
                   capture_output=True)
    for i, x in enumerate(xs):
        ref = sess.run(None, {"x": x})[0]
        want = ref.reshape(ref.shape[1:]).transpose(1, 2, 0).reshape(-1).astype(np.int64)  # HWC
        (tmp_path / "in.bin").write_bytes(np.ascontiguousarray(x[0].transpose(1, 2, 0)).tobytes())
        r = subprocess.run([str(src / "firmware"), str(tmp_path / "in.bin")], capture_output=True,
                           text=True, check=True)
        got = np.array([int(v) for v in r.stdout.split()], dtype=np.int64)
        assert np.array_equal(got, want), f"{variant} input {i}: the gap8 firmware differs"


def test_transpose_other_than_shuffle_is_refused(dory, run_dory, tmp_path):
    from conftest import assert_user_error
    net = Net(S).conv(8, 3).relu()
    net.op("Transpose", [net.x], perm=[0, 1, 3, 2]).conv(8, 1)
    path = om.quantize(net.model(), str(tmp_path))
    assert_user_error(run_dory(dory, "run", path, "--random", "1", check=False),
                      "Transpose", "channel shuffle")


def test_unsupported_view_is_refused(dory, run_dory, tmp_path):
    """Unsqueeze on an axis that would reorder data: one clean error."""
    from conftest import assert_user_error
    net = Net((1, 8, 16)).conv(8, 3).relu().unsqueeze(3)
    path = om.quantize(net.model(), str(tmp_path))
    assert_user_error(run_dory(dory, "run", path, "--random", "1", check=False),
                      "Unsqueeze", "is not supported")


DEPLOYED = ["pads_beyond_kernel", "maxpool_ceil_pad", "avgpool_ceil", "avgpool_ceil_pad_exclude",
            "avgpool_asym", "pool1d_unsqueeze",
            "dilated_1d_tcn", "reducemean_nokeep", "shufflenet_unit", "slice_step"]


@pytest.mark.parametrize("budget", ["gap8", "tight"])
@pytest.mark.parametrize("name", DEPLOYED)
def test_op_deploys(name, budget, dory, run_dory, rt_libs, tmp_path):
    """Planner, kernels and generated code on these geometries: every layer
    equals the reference interpreter (GAP8's sizes, and tiles forced small)."""
    from test_deploy_models import BUDGETS, deploy_and_run
    net, opset, _ = MODELS[name]()
    path = om.quantize(net.model(opset), str(tmp_path), seed=3)
    deploy_and_run(run_dory, dory, path, tmp_path / "app", BUDGETS[budget], rt_libs)
