"""Float models of the ops real exporters write (issue 12 item 3), built at
test time with onnx.helper and quantized with onnx_models.quantize().

Net(shape) tracks an NCHW (or NCW) float graph; each method appends one op
the way torch.onnx.export (legacy or dynamo) writes it: ReduceMean over the
spatial axes, Squeeze/Unsqueeze around 1-D pools, pools with ceil_mode,
dilated convolutions, pads larger than the kernel, element-wise functions,
Mul of two activations (squeeze-excitation), channel shuffle, Slice/Split.
"""
import numpy as np
import onnx
from onnx import TensorProto, helper

import onnx_models as om


class Net(om._B):
    def __init__(self, shape, seed=0):
        super().__init__(seed)
        self.shape, self.x, self.in_shape = list(shape), "input", list(shape)
        self.saved = {}

    def op(self, op, ins, **attrs):
        self.x = self.node(op, ins, **attrs)
        return self

    def conv(self, cout, k, stride=1, pads=None, groups=1, dil=1):
        cin, sp = self.shape[1], len(self.shape) - 2
        pads = pads if pads is not None else [k // 2 * dil] * 2 * sp
        w = self.rng.normal(0, 1.0 / np.sqrt(cin // groups * k ** sp),
                            [cout, cin // groups] + [k] * sp).astype(np.float32)
        b = self.rng.normal(0, 0.1, cout).astype(np.float32)
        self.op("Conv", [self.x, self.const("w", w), self.const("b", b)], kernel_shape=[k] * sp,
                strides=[stride] * sp, pads=pads, group=groups, dilations=[dil] * sp)
        out = [(d + pads[i] + pads[i + sp] - dil * (k - 1) - 1) // stride + 1
               for i, d in enumerate(self.shape[2:])]
        self.shape = [1, cout] + out
        return self

    def relu(self):
        return self.op("Relu", [self.x])

    def pool(self, op, k, stride, pads=None, ceil=0, count_include_pad=0):
        """k, stride: ints (square) or per-axis lists."""
        sp = len(self.shape) - 2
        pads = pads if pads is not None else [0] * 2 * sp
        ks = list(k) if isinstance(k, (list, tuple)) else [k] * sp
        ss = list(stride) if isinstance(stride, (list, tuple)) else [stride] * sp
        attrs = dict(kernel_shape=ks, strides=ss, pads=pads, ceil_mode=ceil)
        if op == "AveragePool":
            attrs["count_include_pad"] = count_include_pad
        self.op(op, [self.x], **attrs)
        rnd = np.ceil if ceil else np.floor
        out = []
        for i, d in enumerate(self.shape[2:]):
            k, stride = ks[i], ss[i]
            o = int(rnd((d + pads[i] + pads[i + sp] - k) / stride)) + 1
            if ceil and (o - 1) * stride >= d + pads[i]:
                o -= 1  # the last window must start inside the input or left pad
            out.append(o)
        self.shape = self.shape[:2] + out
        return self

    def reduce_mean(self, axes, keepdims=1, opset=17):
        if opset >= 18:
            ax = self.const("axes", np.array(axes, np.int64))
            self.op("ReduceMean", [self.x, ax], keepdims=keepdims)
        else:
            self.op("ReduceMean", [self.x], axes=axes, keepdims=keepdims)
        self.shape = self.shape[:2] + ([1] * (len(self.shape) - 2) if keepdims else [])
        return self

    def gap(self):
        self.op("GlobalAveragePool", [self.x])
        self.shape = self.shape[:2] + [1] * (len(self.shape) - 2)
        return self

    def unsqueeze(self, axis):
        self.op("Unsqueeze", [self.x, self.const("ax", np.array([axis], np.int64))])
        self.shape.insert(axis, 1)
        return self

    def squeeze(self, axis):
        self.op("Squeeze", [self.x, self.const("ax", np.array([axis], np.int64))])
        del self.shape[axis]
        return self

    def flatten(self):
        self.op("Flatten", [self.x], axis=1)
        self.shape = [1, int(np.prod(self.shape[1:]))]
        return self

    def gemm(self, n):
        k = self.shape[1]
        w = self.rng.normal(0, 1.0 / np.sqrt(k), (n, k)).astype(np.float32)
        self.op("Gemm", [self.x, self.const("w", w),
                         self.const("b", self.rng.normal(0, 0.1, n).astype(np.float32))], transB=1)
        self.shape = [1, n]
        return self

    def save(self, tag):
        self.saved[tag] = (self.x, list(self.shape))
        return self

    def add(self, tag):
        return self.op("Add", [self.x, self.saved[tag][0]])

    def model(self, opset=17):
        g = helper.make_graph(
            self.nodes, "ops",
            [helper.make_tensor_value_info("input", TensorProto.FLOAT, self.in_shape)],
            [helper.make_tensor_value_info(self.x, TensorProto.FLOAT, self.shape)], self.inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
        m.ir_version = 8
        onnx.checker.check_model(m)
        return m


def _fn_methods():
    def make(op, **attrs):
        def f(self):
            return self.op(op, [self.x], **attrs)
        return f
    for name, op, attrs in (("sigmoid", "Sigmoid", {}), ("tanh", "Tanh", {}),
                            ("hardsigmoid", "HardSigmoid", {"alpha": 0.25, "beta": 0.4}),
                            ("hardswish", "HardSwish", {}), ("leakyrelu", "LeakyRelu",
                                                            {"alpha": 0.1})):
        setattr(Net, name, make(op, **attrs))


_fn_methods()


def silu(self):
    """x * sigmoid(x), as torch exports SiLU."""
    s = self.node("Sigmoid", [self.x])
    return self.op("Mul", [self.x, s])


Net.silu = silu


def se(self, squeeze, act="relu", gate="hardsigmoid", pool="gap"):
    """Squeeze-excitation as torchvision writes it: global average pooling
    (GlobalAveragePool, or ReduceMean over H and W), 1x1 conv, act, 1x1 conv,
    gate, then Mul of the block input [1, C, H, W] and the gate [1, C, 1, 1]."""
    x, shape = self.x, list(self.shape)
    if pool == "gap":
        self.gap()
    else:
        self.reduce_mean([2, 3])
    getattr(self.conv(squeeze, 1), act)().conv(shape[1], 1)
    getattr(self, gate)()
    self.op("Mul", [x, self.x])
    self.shape = shape
    return self


Net.se = se


def split(self, sizes=None, opset=17):
    """Split on channels into len(sizes) (or 2 equal) parts; the running
    tensor becomes the last part, the others are saved as split0, split1..."""
    c = self.shape[1]
    sizes = sizes or [c // 2, c - c // 2]
    outs = [self.name("split_") for _ in sizes]
    self.nodes.append(onnx.helper.make_node(
        "Split", [self.x, self.const("sp", np.array(sizes, np.int64))], outs, axis=1,
        name=outs[0]))
    for i, o in enumerate(outs):
        self.saved[f"split{i}"] = (o, [1, sizes[i]] + self.shape[2:])
    self.x, self.shape = outs[-1], [1, sizes[-1]] + self.shape[2:]
    return self


def slice_channels(self, start, end, step=1):
    self.op("Slice", [self.x, self.const("st", np.array([start], np.int64)),
                      self.const("en", np.array([end], np.int64)),
                      self.const("ax", np.array([1], np.int64)),
                      self.const("sp", np.array([step], np.int64))])
    self.shape[1] = len(range(start, min(end, self.shape[1]), step))
    return self


def concat(self, tag):
    other, oshape = self.saved[tag]
    self.op("Concat", [other, self.x], axis=1)
    self.shape[1] += oshape[1]
    return self


def shuffle(self, groups):
    """torchvision's channel_shuffle: Reshape 5-D, Transpose, Reshape."""
    n, c, h, w = self.shape
    self.op("Reshape", [self.x, self.const("s5", np.array([1, groups, c // groups, h, w],
                                                          np.int64))])
    self.op("Transpose", [self.x], perm=[0, 2, 1, 3, 4])
    return self.op("Reshape", [self.x, self.const("s4", np.array([1, c, h, w], np.int64))])


Net.split, Net.slice_channels, Net.concat, Net.shuffle = split, slice_channels, concat, shuffle
