"""The Pad fusion is a pass: an ONNX Pad becomes an IR pad node that the pass
fold_pad folds into the convolution after it, visible with --print-after;
a Pad whose consumer cannot absorb it is refused by name (it used to be
dropped silently), and the folded model still matches onnxruntime.
"""
import re

import numpy as np
import onnx
import onnxruntime as ort
import ort_oracle
from onnx import helper, numpy_helper

import onnx_models as om


def nodes_of(ir_text):
    return re.findall(r"^node \S+ (\S+)", ir_text, re.M)


def test_pad_folded_by_the_pass(dory, run_dory, tmp_path):
    f = tmp_path / "nemo.onnx"
    onnx.save(om.nemo_model(seed=1), f)
    p = run_dory(dory, "inspect", f, "--print-after", "fold_pad")
    ops = nodes_of(p.stdout)
    assert ops and "pad" not in ops and ops[0] == "conv2d"
    first = re.search(r"^node \S+ conv2d .*$", p.stdout, re.M).group(0)
    assert "pad=1,0,1,2" in first, first  # the Pad's pads, now the conv's
    x = np.random.default_rng(3).integers(0, 256, (1, 4, 10, 10)).astype(np.uint8)
    np.save(tmp_path / "x.npy", x)
    run_dory(dory, "run", f, "--input", tmp_path / "x.npy", "-o", tmp_path / "y.npy")
    ref = ort_oracle.session(str(f)).run(None, {"input": x.astype(np.float32)})[0]
    assert np.array_equal(np.load(tmp_path / "y.npy").reshape(-1), ref.reshape(-1))


def test_pad_that_cannot_be_folded_is_refused(dory, run_dory, tmp_path):
    k = numpy_helper.from_array(np.array([2.0], np.float32), "k")
    nodes = [helper.make_node("Pad", ["x"], ["p"], name="pad", pads=[0, 0, 1, 1, 0, 0, 1, 1]),
             helper.make_node("Mul", ["p", "k"], ["m"], name="mul"),
             helper.make_node("Clip", ["m"], ["y"], name="clip", min=0.0, max=255.0)]
    g = helper.make_graph(nodes, "t", [helper.make_tensor_value_info(
        "x", onnx.TensorProto.FLOAT, [1, 1, 6, 6])], [helper.make_tensor_value_info(
            "y", onnx.TensorProto.FLOAT, None)], [k])
    f = tmp_path / "pad_mul.onnx"
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 10)]), f)
    p = run_dory(dory, "inspect", f, check=False)
    assert p.returncode == 1, p.stdout
    assert "pad 'pad' cannot be folded" in p.stderr and "fold_pad" in p.stderr, p.stderr
