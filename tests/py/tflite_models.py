"""TFLite int8 test models built at test time, without TensorFlow: the
flatbuffer is written with the `flatbuffers` package and the schema's
generated Python that ai-edge-litert ships (schema_py_generated), and the two
reference interpreters run it: LiteRT with its reference op resolver
(BUILTIN_REF) and TFLite Micro's Python interpreter.

A model is described by a small graph builder (Net): activations carry their
scale and zero point, weights are random int8 (per-channel where TFLite puts
them), biases random int32. Every model here is deterministic in its seed.
"""
import numpy as np
import flatbuffers
from ai_edge_litert import schema_py_generated as S

INT8, INT32, FLOAT32 = S.TensorType.INT8, S.TensorType.INT32, S.TensorType.FLOAT32
ACT = {"none": 0, "relu": 1, "relu_n1": 2, "relu6": 3}
PAD = {"same": S.Padding.SAME, "valid": S.Padding.VALID}


class Net:
    """A one-subgraph TFLite model under construction."""

    def __init__(self, seed=0):
        self.rng = np.random.default_rng(seed)
        self.tensors, self.buffers, self.ops, self.codes = [], [S.BufferT()], [], []
        self.inputs, self.outputs = [], []

    # ---- tensors ----
    def tensor(self, name, shape, ttype=INT8, scale=None, zp=None, data=None, qdim=0):
        t = S.TensorT()
        t.name, t.shape, t.type = name, list(shape), ttype
        if scale is not None:
            q = S.QuantizationParametersT()
            q.scale = [float(s) for s in np.atleast_1d(scale)]
            q.zeroPoint = [int(z) for z in np.atleast_1d(zp if zp is not None else 0)]
            if len(q.zeroPoint) != len(q.scale):
                q.zeroPoint = q.zeroPoint * len(q.scale)
            q.quantizedDimension = qdim
            t.quantization = q
        t.buffer = 0
        if data is not None:
            b = S.BufferT()
            b.data = list(np.ascontiguousarray(data).tobytes())
            self.buffers.append(b)
            t.buffer = len(self.buffers) - 1
        self.tensors.append(t)
        return len(self.tensors) - 1

    def act(self, name, shape, scale, zp):
        return self.tensor(name, shape, INT8, scale, zp)

    def input(self, name, shape, scale=0.05, zp=-3, ttype=INT8):
        i = self.tensor(name, shape, ttype, scale if ttype != FLOAT32 else None, zp)
        self.inputs.append(i)
        return i

    def shape(self, i):
        return self.tensors[i].shape

    def qparams(self, i):
        q = self.tensors[i].quantization
        return q.scale[0], q.zeroPoint[0]

    # ---- operators ----
    def op(self, code, ins, outs, opt_type=0, opt=None, deprecated=False):
        key = (code, deprecated)
        if key not in self.codes:
            self.codes.append(key)
        o = S.OperatorT()
        o.opcodeIndex = self.codes.index(key)
        o.inputs, o.outputs = list(ins), list(outs)
        o.builtinOptionsType, o.builtinOptions = opt_type, opt
        self.ops.append(o)
        return outs[0]

    def conv(self, x, cout, k, stride=1, pad="same", act="relu", dil=1, yscale=0.04, yzp=None,
             wscale=None, dead=(), bias_range=2000):
        n, h, w, cin = self.shape(x)
        xs, _ = self.qparams(x)
        wq = self.rng.integers(-127, 128, size=(cout, k[0], k[1], cin), dtype=np.int8)
        ws = wscale if wscale is not None else self.rng.uniform(0.002, 0.02, cout)
        b = self.rng.integers(-bias_range, bias_range, cout).astype(np.int32)
        for c in dead:  # dead channel: zero weights, tiny scale, huge bias
            wq[c] = 0
            ws[c] = 1e-10
            b[c] = 2 ** 30 - 5
        wt = self.tensor(f"w{len(self.tensors)}", wq.shape, INT8, ws, 0, wq, qdim=0)
        bt = self.tensor(f"b{len(self.tensors)}", [cout], INT32, xs * ws, 0, b)
        oh, ow = out_hw(h, w, k, stride, pad, dil)
        y = self.act(f"conv{len(self.ops)}", [1, oh, ow, cout], yscale,
                     -128 if act == "relu" and yzp is None else (yzp or 5))
        opt = S.Conv2DOptionsT()
        opt.padding, opt.strideW, opt.strideH = PAD[pad], stride, stride
        opt.fusedActivationFunction = ACT[act]
        opt.dilationWFactor = opt.dilationHFactor = dil
        return self.op(S.BuiltinOperator.CONV_2D, [x, wt, bt], [y],
                       S.BuiltinOptions.Conv2DOptions, opt)

    def dwconv(self, x, k, mult=1, stride=1, pad="same", act="relu6", yscale=0.04, dead=()):
        n, h, w, cin = self.shape(x)
        cout = cin * mult
        xs, _ = self.qparams(x)
        wq = self.rng.integers(-127, 128, size=(1, k[0], k[1], cout), dtype=np.int8)
        ws = self.rng.uniform(0.002, 0.03, cout)
        b = self.rng.integers(-1000, 1000, cout).astype(np.int32)
        for c in dead:
            wq[..., c] = 0
            ws[c] = 3e-11
            b[c] = -(2 ** 30)
        wt = self.tensor(f"w{len(self.tensors)}", wq.shape, INT8, ws, 0, wq, qdim=3)
        bt = self.tensor(f"b{len(self.tensors)}", [cout], INT32, xs * ws, 0, b)
        oh, ow = out_hw(h, w, k, stride, pad, 1)
        y = self.act(f"dw{len(self.ops)}", [1, oh, ow, cout], yscale, -128 if act != "none" else 2)
        opt = S.DepthwiseConv2DOptionsT()
        opt.padding, opt.strideW, opt.strideH = PAD[pad], stride, stride
        opt.depthMultiplier, opt.fusedActivationFunction = mult, ACT[act]
        opt.dilationWFactor = opt.dilationHFactor = 1
        return self.op(S.BuiltinOperator.DEPTHWISE_CONV_2D, [x, wt, bt], [y],
                       S.BuiltinOptions.DepthwiseConv2DOptions, opt)

    def fc(self, x, n_out, act="none", yscale=0.1, yzp=3, wscale=0.01, deprecated=False):
        k = int(np.prod(self.shape(x)))
        xs, _ = self.qparams(x)
        wq = self.rng.integers(-127, 128, size=(n_out, k), dtype=np.int8)
        b = self.rng.integers(-3000, 3000, n_out).astype(np.int32)
        wt = self.tensor(f"w{len(self.tensors)}", wq.shape, INT8, wscale, 0, wq)
        bt = self.tensor(f"b{len(self.tensors)}", [n_out], INT32, xs * wscale, 0, b)
        y = self.act(f"fc{len(self.ops)}", [1, n_out], yscale, yzp)
        opt = S.FullyConnectedOptionsT()
        opt.fusedActivationFunction = ACT[act]
        return self.op(S.BuiltinOperator.FULLY_CONNECTED, [x, wt, bt], [y],
                       S.BuiltinOptions.FullyConnectedOptions, opt, deprecated)

    def pool(self, x, kind, k, stride, pad="valid", act="none"):
        n, h, w, c = self.shape(x)
        s, z = self.qparams(x)
        oh, ow = out_hw(h, w, k, stride, pad, 1)
        y = self.act(f"{kind}{len(self.ops)}", [1, oh, ow, c], s, z)
        opt = S.Pool2DOptionsT()
        opt.padding, opt.strideW, opt.strideH = PAD[pad], stride, stride
        opt.filterWidth, opt.filterHeight = k[1], k[0]
        opt.fusedActivationFunction = ACT[act]
        code = S.BuiltinOperator.AVERAGE_POOL_2D if kind == "avg" else S.BuiltinOperator.MAX_POOL_2D
        return self.op(code, [x], [y], S.BuiltinOptions.Pool2DOptions, opt)

    def mean(self, x, yscale=None, yzp=None, keep_dims=True):
        n, h, w, c = self.shape(x)
        s, z = self.qparams(x)
        ax = self.tensor(f"axes{len(self.tensors)}", [2], INT32, data=np.array([1, 2], np.int32))
        y = self.act(f"mean{len(self.ops)}", [1, 1, 1, c] if keep_dims else [1, c],
                     yscale or s, z if yzp is None else yzp)
        opt = S.ReducerOptionsT()
        opt.keepDims = keep_dims
        return self.op(S.BuiltinOperator.MEAN, [x, ax], [y], S.BuiltinOptions.ReducerOptions, opt)

    def add(self, a, b, yscale=0.08, yzp=-7, act="none"):
        y = self.act(f"add{len(self.ops)}", self.shape(a), yscale, yzp)
        opt = S.AddOptionsT()
        opt.fusedActivationFunction = ACT[act]
        return self.op(S.BuiltinOperator.ADD, [a, b], [y], S.BuiltinOptions.AddOptions, opt)

    def relu(self, x, kind="relu", yscale=None, yzp=None):
        s, z = self.qparams(x)
        y = self.act(f"{kind}{len(self.ops)}", self.shape(x), yscale or s, z if yzp is None else yzp)
        code = {"relu": S.BuiltinOperator.RELU, "relu6": S.BuiltinOperator.RELU6,
                "relu_n1": S.BuiltinOperator.RELU_N1_TO_1}[kind]
        return self.op(code, [x], [y])

    def requantize(self, x, yscale, yzp):
        y = self.act(f"rq{len(self.ops)}", self.shape(x), yscale, yzp)
        return self.op(S.BuiltinOperator.QUANTIZE, [x], [y])

    def softmax(self, x, beta=1.0):
        y = self.act(f"softmax{len(self.ops)}", self.shape(x), 1.0 / 256, -128)
        opt = S.SoftmaxOptionsT()
        opt.beta = beta
        return self.op(S.BuiltinOperator.SOFTMAX, [x], [y], S.BuiltinOptions.SoftmaxOptions, opt)

    def reshape(self, x, shape):
        s, z = self.qparams(x)
        y = self.act(f"reshape{len(self.ops)}", shape, s, z)
        st = self.tensor(f"shape{len(self.tensors)}", [len(shape)], INT32,
                         data=np.array(shape, np.int32))
        opt = S.ReshapeOptionsT()
        opt.newShape = list(shape)
        return self.op(S.BuiltinOperator.RESHAPE, [x, st], [y], S.BuiltinOptions.ReshapeOptions, opt)

    def pad(self, x, t, b, l, r):
        n, h, w, c = self.shape(x)
        s, z = self.qparams(x)
        p = self.tensor(f"pads{len(self.tensors)}", [4, 2], INT32,
                        data=np.array([[0, 0], [t, b], [l, r], [0, 0]], np.int32))
        y = self.act(f"pad{len(self.ops)}", [1, h + t + b, w + l + r, c], s, z)
        return self.op(S.BuiltinOperator.PAD, [x, p], [y], S.BuiltinOptions.PadOptions,
                       S.PadOptionsT())

    def concat(self, xs):
        s, z = self.qparams(xs[0])
        n, h, w, _ = self.shape(xs[0])
        c = sum(self.shape(i)[3] for i in xs)
        y = self.act(f"concat{len(self.ops)}", [1, h, w, c], s, z)
        opt = S.ConcatenationOptionsT()
        opt.axis = 3
        return self.op(S.BuiltinOperator.CONCATENATION, list(xs), [y],
                       S.BuiltinOptions.ConcatenationOptions, opt)

    def quantize_input(self, name, shape, scale, zp):
        f = self.input(name, shape, ttype=FLOAT32)
        y = self.act(f"{name}_q", shape, scale, zp)
        return self.op(S.BuiltinOperator.QUANTIZE, [f], [y])

    def dequantize_output(self, x):
        y = self.tensor(f"deq{len(self.ops)}", self.shape(x), FLOAT32)
        return self.op(S.BuiltinOperator.DEQUANTIZE, [x], [y])

    def custom(self, code, x):
        y = self.act(f"op{len(self.ops)}", self.shape(x), *self.qparams(x))
        return self.op(code, [x], [y])

    def build(self, outputs):
        self.outputs = list(outputs)
        m = S.ModelT()
        m.version = 3
        m.description = "dory test model"
        codes = []
        for code, dep in self.codes:
            oc = S.OperatorCodeT()
            if dep:  # the operator in deprecated_builtin_code only
                oc.deprecatedBuiltinCode, oc.builtinCode = code, 0
            else:
                oc.deprecatedBuiltinCode, oc.builtinCode = min(code, 127), code
            oc.version = 1
            codes.append(oc)
        m.operatorCodes = codes
        sg = S.SubGraphT()
        sg.tensors, sg.inputs, sg.outputs, sg.operators = (self.tensors, self.inputs,
                                                           self.outputs, self.ops)
        sg.name = "main"
        m.subgraphs = [sg]
        m.buffers = self.buffers
        b = flatbuffers.Builder(1024)
        b.Finish(m.Pack(b), file_identifier=b"TFL3")
        return bytes(b.Output())


def out_hw(h, w, k, stride, pad, dil):
    if pad == "same":
        return -(-h // stride), -(-w // stride)
    ek = [(k[i] - 1) * dil + 1 for i in range(2)]
    return (h - ek[0]) // stride + 1, (w - ek[1]) // stride + 1


# ---- reference interpreters ----------------------------------------------------

def run_litert(model, inputs):
    from ai_edge_litert.interpreter import Interpreter, OpResolverType
    it = Interpreter(model_content=model,
                     experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    it.allocate_tensors()
    for d, x in zip(it.get_input_details(), inputs):
        it.set_tensor(d["index"], x.astype(d["dtype"]).reshape(d["shape"]))
    it.invoke()
    return [it.get_tensor(d["index"]) for d in it.get_output_details()]


def run_tflm(model, inputs, n_outputs=1):
    from tflite_micro.python.tflite_micro import runtime
    it = runtime.Interpreter.from_bytes(model)
    for i, x in enumerate(inputs):
        it.set_input(x, i)
    it.invoke()
    return [np.array(it.get_output(i)) for i in range(n_outputs)]


# ---- the test models: every supported op, both FC roundings --------------------

def m_dscnn(seed):
    """KWS-like: stride-2 SAME conv with a dead channel, depthwise (multiplier 2,
    dead channel), pointwise, average pool, FC, softmax."""
    net = Net(seed)
    x = net.input("x", [1, 13, 10, 1], 0.4, 10)
    y = net.conv(x, 12, (5, 3), stride=2, act="relu", dead=(3,))
    y = net.dwconv(y, (3, 3), mult=2, act="relu6", dead=(5,))
    y = net.conv(y, 16, (1, 1), act="relu")
    y = net.pool(y, "avg", (7, 5), 1, "valid")
    y = net.reshape(y, [1, 16])
    y = net.fc(y, 10, yscale=0.15, yzp=-4)
    return net.build([net.softmax(y)])


def m_pools(seed):
    """VALID conv, SAME max pool stride 2 (pads one more at the end), SAME
    average pool (padding not counted), MEAN over H and W with a new scale."""
    net = Net(seed)
    x = net.input("x", [1, 12, 11, 3], 0.03, 4)
    y = net.conv(x, 8, (3, 3), pad="valid", act="none", yscale=0.05, yzp=3)
    y = net.pool(y, "max", (3, 3), 2, "same")
    y = net.pool(y, "avg", (2, 3), 1, "same", act="relu")
    y = net.mean(y, yscale=0.021, yzp=-9)
    return net.build([y])


def m_residual(seed):
    """ADD with different input scales, fused RELU_N1_TO_1, standalone RELU
    and RELU6 with new scales (TFLite Micro's RELU6 keeps the input's), int8
    QUANTIZE (requantize)."""
    net = Net(seed)
    x = net.input("x", [1, 6, 6, 4], 0.05, -3)
    a = net.conv(x, 8, (3, 3), act="relu_n1", yscale=0.01, yzp=2)
    b = net.dwconv(a, (3, 3), act="none", yscale=0.09)
    y = net.add(a, b, yscale=0.1, yzp=-5, act="relu")
    y = net.relu(y, "relu", yscale=0.07, yzp=-128)
    y = net.relu(y, "relu6", yscale=0.05, yzp=-100)
    return net.build([net.requantize(y, 0.013, 11)])


def m_relu_n1(seed):
    """Standalone RELU_N1_TO_1 (LiteRT only: TFLite Micro has no kernel)."""
    net = Net(seed)
    x = net.input("x", [1, 5, 5, 6], 0.02, 9)
    y = net.conv(x, 6, (1, 1), act="none", yscale=0.015, yzp=-4)
    return net.build([net.relu(y, "relu_n1", yscale=0.009, yzp=3)])


def m_pad_concat(seed):
    """PAD (by the zero point) folded into a VALID conv, CONCATENATION of two
    branches on channels, FC from the 4-D tensor, fused RELU on FC."""
    net = Net(seed)
    x = net.input("x", [1, 7, 7, 3], 0.02, 7)
    p = net.pad(x, 1, 2, 2, 1)
    a = net.conv(p, 5, (3, 3), pad="valid", act="relu", yscale=0.03)
    b = net.conv(p, 3, (3, 3), pad="valid", act="relu", yscale=0.03)
    y = net.concat([a, b])
    y = net.fc(y, 6, act="relu", yscale=0.2, yzp=-128)
    return net.build([y])


def m_boundary(seed):
    """A float model interface: QUANTIZE at the input, DEQUANTIZE at the
    output, dilated conv between."""
    net = Net(seed)
    x = net.quantize_input("x", [1, 9, 9, 2], 0.02, -1)
    y = net.conv(x, 4, (3, 3), act="relu6", dil=2, yscale=0.03, yzp=-128)
    y = net.fc(y, 5, yscale=0.3, yzp=1)
    return net.build([net.dequantize_output(y)])


def m_fc_ties(seed):
    """FC layers whose effective scale is a power of two, so that exact ties
    are frequent: LiteRT's single rounding and TFLite Micro's double rounding
    disagree on them. The second FC keeps its operator in
    deprecated_builtin_code only."""
    net = Net(seed)
    x = net.input("x", [1, 32], 0.5, 0)
    y = net.fc(x, 24, wscale=0.25, yscale=0.5, yzp=0)
    y = net.fc(y, 16, wscale=2.0 ** -9, yscale=2.0 ** -3, yzp=-1, deprecated=True)
    return net.build([y])


def m_wakeword(seed):
    """Streaming wake-word shapes: VALID depthwise kernels 15x1 and 3x1,
    stride-2 SAME conv (one more row/column padded at the end), softmax with
    beta 0.5 over 40 values."""
    net = Net(seed)
    x = net.input("x", [1, 40, 1, 8], 0.1, -20)
    y = net.dwconv(x, (15, 1), pad="valid", act="relu")
    y = net.dwconv(y, (3, 1), pad="valid", act="none")
    y = net.conv(y, 10, (4, 1), stride=2, act="relu", yscale=0.08)
    y = net.reshape(y, [1, 6, 2, 10])
    y = net.conv(y, 40, (6, 2), pad="valid", act="none", yscale=0.05, yzp=0)
    y = net.reshape(y, [1, 40])
    return net.build([net.softmax(y, beta=0.5)])


LITERT_ONLY = {"relu_n1"}  # ops TFLite Micro has no kernel for

MODELS = {
    "dscnn": m_dscnn,
    "pools": m_pools,
    "residual": m_residual,
    "relu_n1": m_relu_n1,
    "pad_concat": m_pad_concat,
    "boundary": m_boundary,
    "fc_ties": m_fc_ties,
    "wakeword": m_wakeword,
}
