"""Mul of two activations (issue 12 item 3): the IR mul node with the QLMUL
scheme (tests/py/test_qlmul_formula.py measures the formula pair by pair).
Each model ends in the Mul, so the compared output is the product itself,
quantized with onnxruntime's quantize_static in the five variants of
test_onnx_ops.py and compared with onnxruntime on 5 inputs:
  independent   conv -> relu -> conv, Mul of the two (equal shapes)
  se            squeeze-excitation: GlobalAveragePool, 1x1 conv, ReLU, 1x1
                conv, HardSigmoid, Mul of the block input and the gate
  se_mean_sig   the same with ReduceMean pooling and a Sigmoid gate, the
                gate as Mul's first operand
  se_1d         on a 1-D signal ([1, C, W] times [1, C, 1])
Broadcasts other than one pixel per channel are refused naming the node.
Each model is also deployed with small L1 tiles and every layer checked on
the host, and for gap8 (no FPU: QLMUL_INT) with 0 outputs differing.
"""
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
import onnx_models as om  # noqa: E402
from onnx_ops_models import Net  # noqa: E402
from test_onnx_ops import VARIANTS, compare  # noqa: E402


def independent():
    n = Net((1, 8, 10, 10)).conv(8, 3).relu().save("a").conv(8, 3)
    return n.op("Mul", [n.x, n.saved["a"][0]])


def se():
    return Net((1, 3, 12, 12)).conv(16, 3, stride=1).relu().se(4)


def se_mean_sig():
    n = Net((1, 3, 12, 12)).conv(16, 3).relu().save("x")
    n.reduce_mean([2, 3]).conv(4, 1).relu().conv(16, 1).sigmoid()
    n.op("Mul", [n.x, n.saved["x"][0]])
    n.shape = n.saved["x"][1]
    return n


def se_1d():
    return Net((1, 4, 32)).conv(16, 3).relu().se(4)


MODELS = {f.__name__: f for f in (independent, se, se_mean_sig, se_1d)}


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("name", list(MODELS))
def test_mul_vs_onnxruntime(name, variant, dory, run_dory, tmp_path):
    net = MODELS[name]()
    path = om.quantize(net.model(), str(tmp_path), seed=3, **VARIANTS[variant])
    compare(dory, run_dory, tmp_path, path, net.in_shape, f"{name}/{variant}", False)


@pytest.mark.parametrize("name", list(MODELS))
def test_mul_deploys(name, dory, run_dory, rt_libs, tmp_path):
    from test_deploy_models import BUDGETS, deploy_and_run
    path = om.quantize(MODELS[name]().model(), str(tmp_path), seed=5, per_channel=True)
    deploy_and_run(run_dory, dory, path, tmp_path / "app", BUDGETS["tight"], rt_libs)


def test_mul_spatial_broadcast_is_refused(dory, run_dory, tmp_path):
    """A [1, 1, H, W] operand (a spatial attention map) is not supported."""
    from conftest import assert_user_error
    n = Net((1, 8, 10, 10)).conv(8, 3).relu().save("a").conv(1, 3).sigmoid()
    n.op("Mul", [n.saved["a"][0], n.x])
    n.shape = [1, 8, 10, 10]
    path = om.quantize(n.model(), str(tmp_path))
    assert_user_error(run_dory(dory, "run", path, "--random", "1", check=False),
                      "Mul", "[1, 8, 10, 10]", "[1, 1, 10, 10]", "broadcast")
