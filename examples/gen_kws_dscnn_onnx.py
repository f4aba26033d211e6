#!/usr/bin/env python3
"""Generate examples/kws_dscnn.onnx: a DS-CNN keyword-spotting network in the
shape of MLPerf Tiny's (49x10 MFCC input, a 10x4 stride-2 conv, four
depthwise-separable blocks of 64 channels, global average pooling, FC to 12
classes), with seeded random weights and BatchNormalization, quantized by
onnxruntime's quantize_static to QDQ int8 (u8 activations, per-channel s8
weights) on seeded calibration data.

Reproducible: fixed seeds and the pinned onnx / onnxruntime of
tests/requirements.txt (`.venv/bin/python examples/gen_kws_dscnn_onnx.py`).
The graph input and output are the quantized tensors (u8 in, u8 logits out),
which is what a deployed network exchanges with the application.
"""
import pathlib
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper
from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat,
                                      QuantType, quantize_static)
from onnxruntime.quantization.shape_inference import quant_pre_process

OUT = pathlib.Path(__file__).with_name("kws_dscnn.onnx")
R = np.random.default_rng(2021)
nodes, inits = [], []


def const(name, arr):
    inits.append(helper.make_tensor(name, TensorProto.FLOAT, arr.shape, arr.astype(np.float32).ravel()))
    return name


def conv_bn_relu(x, name, cin, cout, k, stride, pads, group=1):
    w = R.normal(0, np.sqrt(2.0 / (cin // group * k[0] * k[1])), (cout, cin // group, *k))
    nodes.append(helper.make_node("Conv", [x, const(name + ".w", w), const(name + ".b", R.normal(0, 0.05, cout))],
                                  [name], name=name, kernel_shape=list(k), strides=[stride, stride],
                                  pads=pads, group=group))
    bn = name + "_bn"
    nodes.append(helper.make_node("BatchNormalization",
                                  [name, const(bn + ".g", R.uniform(0.8, 1.2, cout)),
                                   const(bn + ".b", R.normal(0, 0.1, cout)),
                                   const(bn + ".m", R.normal(0, 0.1, cout)),
                                   const(bn + ".v", R.uniform(0.8, 1.2, cout))], [bn], name=bn))
    nodes.append(helper.make_node("Relu", [bn], [name + "_relu"], name=name + "_relu"))
    return name + "_relu"


x = conv_bn_relu("input", "conv1", 1, 64, (10, 4), 2, [4, 1, 5, 2])
for i in range(4):
    x = conv_bn_relu(x, f"dw{i + 1}", 64, 64, (3, 3), 1, [1, 1, 1, 1], group=64)
    x = conv_bn_relu(x, f"pw{i + 1}", 64, 64, (1, 1), 1, [0, 0, 0, 0])
nodes.append(helper.make_node("GlobalAveragePool", [x], ["pool"], name="pool"))
nodes.append(helper.make_node("Flatten", ["pool"], ["flat"], name="flatten", axis=1))
nodes.append(helper.make_node("Gemm", ["flat", const("fc.w", R.normal(0, 0.125, (12, 64))),
                                       const("fc.b", R.normal(0, 0.05, 12))], ["logits"],
                              name="fc", transB=1))
graph = helper.make_graph(nodes, "kws_dscnn",
                          [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 1, 49, 10])],
                          [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 12])], inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
model.ir_version = 8
onnx.checker.check_model(model)


class Mfcc(CalibrationDataReader):
    """Seeded stand-in for MFCC features in [0, 1)."""

    def __init__(self):
        rng = np.random.default_rng(7)
        self.data = [rng.uniform(0, 1, (1, 1, 49, 10)).astype(np.float32) for _ in range(16)]

    def get_next(self):
        return {"input": self.data.pop()} if self.data else None


with tempfile.TemporaryDirectory() as d:
    onnx.save(model, f"{d}/float.onnx")
    quant_pre_process(f"{d}/float.onnx", f"{d}/pre.onnx", skip_symbolic_shape=True)
    quantize_static(f"{d}/pre.onnx", f"{d}/q.onnx", Mfcc(), quant_format=QuantFormat.QDQ,
                    per_channel=True, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                    calibrate_method=CalibrationMethod.MinMax)
    q = onnx.load(f"{d}/q.onnx")

# The quantized tensors become the graph's input and output: drop the input
# QuantizeLinear and the output DequantizeLinear.
g = q.graph
qin = next(n for n in g.node if n.op_type == "QuantizeLinear" and n.input[0] == "input")
dqout = next(n for n in g.node if n.op_type == "DequantizeLinear" and n.output[0] == "logits")
for n in g.node:
    n.input[:] = ["input" if i == qin.output[0] else i for i in n.input]
g.node.remove(qin)
g.node.remove(dqout)
g.input[0].type.tensor_type.elem_type = TensorProto.UINT8
out = helper.make_tensor_value_info(dqout.input[0], TensorProto.UINT8, [1, 12])
g.output.pop()
g.output.append(out)
q.producer_name = "dory examples/gen_kws_dscnn_onnx.py"
q.producer_version = ""
onnx.checker.check_model(q)
onnx.save(q, OUT)
print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")
