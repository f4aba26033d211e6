"""Builders of ONNX test models, made at test time (no binaries committed).

float_model(): a small float network from a list of layer specs, seeded.
quantize(): onnxruntime.quantization.quantize_static in QDQ or QOperator
format with seeded calibration data, then the graph input's QuantizeLinear
and the outputs' DequantizeLinear are stripped so both onnxruntime and dory
take and return the quantized integers (nothing else changes).
nemo_model(): a NEMO-style integer model (Mul/Add/Div/Clip chains).

Layer specs (applied in order to the running tensor):
  ("conv", cout, k, stride, pads4, groups)   pads4 = (top, left, bottom, right);
                                             k and stride an int or (h, w)
  ("bn",) ("relu",) ("clip", lo, hi)
  ("maxpool", k, stride, pads4) ("avgpool", k, stride, pads4) ("gap",)
  ("pad", pads4)  ("flatten",) ("reshape",) ("gemm", n) ("matmul", n)
  ("save", tag)  ("add", tag)  ("concat", tag)  ("load", tag): continue from a saved tensor
"""
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17


class _B:
    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.nodes, self.inits, self.n = [], [], 0

    def name(self, base):
        self.n += 1
        return f"{base}{self.n}"

    def const(self, base, arr):
        nm = self.name(base)
        self.inits.append(numpy_helper.from_array(np.asarray(arr), nm))
        return nm

    def node(self, op, ins, **attrs):
        out = self.name(op.lower() + "_")
        self.nodes.append(helper.make_node(op, ins, [out], name=out, **attrs))
        return out


def _pads(p):  # (top, left, bottom, right) -> ONNX [top, left, bottom, right]
    return [int(p[0]), int(p[1]), int(p[2]), int(p[3])]


def float_model(specs, in_shape=(1, 8, 12, 12), seed=0, opset=OPSET):
    """Returns (ModelProto, input name). Shapes are tracked as NCHW."""
    b = _B(seed)
    x = "input"
    shape = list(in_shape)
    saved = {}
    for s in specs:
        kind = s[0]
        if kind == "conv":
            _, cout, k, stride, p, groups = s
            kh, kw = (k, k) if np.isscalar(k) else k
            sh, sw = (stride, stride) if np.isscalar(stride) else stride
            cin = shape[1]
            w = b.rng.normal(0, 1.0 / np.sqrt(cin // groups * kh * kw), (cout, cin // groups, kh, kw))
            bias = b.rng.normal(0, 0.1, cout)
            x = b.node("Conv", [x, b.const("w", w.astype(np.float32)),
                                b.const("b", bias.astype(np.float32))],
                       kernel_shape=[kh, kw], strides=[sh, sw], pads=_pads(p), group=groups)
            h = (shape[2] + p[0] + p[2] - kh) // sh + 1
            wd = (shape[3] + p[1] + p[3] - kw) // sw + 1
            shape = [1, cout, h, wd]
        elif kind == "bn":
            c = shape[1]
            x = b.node("BatchNormalization",
                       [x, b.const("g", b.rng.uniform(0.5, 1.5, c).astype(np.float32)),
                        b.const("be", b.rng.normal(0, 0.2, c).astype(np.float32)),
                        b.const("m", b.rng.normal(0, 0.2, c).astype(np.float32)),
                        b.const("v", b.rng.uniform(0.5, 1.5, c).astype(np.float32))])
        elif kind == "relu":
            x = b.node("Relu", [x])
        elif kind == "clip":
            x = b.node("Clip", [x, b.const("lo", np.float32(s[1])), b.const("hi", np.float32(s[2]))])
        elif kind in ("maxpool", "avgpool"):
            _, k, stride, p = s
            x = b.node("MaxPool" if kind == "maxpool" else "AveragePool", [x],
                       kernel_shape=[k, k], strides=[stride, stride], pads=_pads(p))
            shape = [1, shape[1], (shape[2] + p[0] + p[2] - k) // stride + 1,
                     (shape[3] + p[1] + p[3] - k) // stride + 1]
        elif kind == "gap":
            x = b.node("GlobalAveragePool", [x])
            shape = [1, shape[1], 1, 1]
        elif kind == "pad":
            p = s[1]
            x = b.node("Pad", [x, b.const("pads", np.array([0, 0, p[0], p[1], 0, 0, p[2], p[3]],
                                                          dtype=np.int64))], mode="constant")
            shape = [1, shape[1], shape[2] + p[0] + p[2], shape[3] + p[1] + p[3]]
        elif kind == "flatten":
            x = b.node("Flatten", [x], axis=1)
            shape = [1, int(np.prod(shape[1:]))]
        elif kind == "reshape":
            x = b.node("Reshape", [x, b.const("shape", np.array([1, -1], dtype=np.int64))])
            shape = [1, int(np.prod(shape[1:]))]
        elif kind in ("gemm", "matmul"):
            n = s[1]
            k = shape[1]
            w = b.rng.normal(0, 1.0 / np.sqrt(k), (k, n)).astype(np.float32)
            if kind == "gemm":
                x = b.node("Gemm", [x, b.const("w", w.T.copy()),
                                    b.const("b", b.rng.normal(0, 0.1, n).astype(np.float32))],
                           transB=1)
            else:
                x = b.node("MatMul", [x, b.const("w", w)])
            shape = [1, n]
        elif kind == "save":
            saved[s[1]] = (x, list(shape))
        elif kind == "load":
            x, shape = saved[s[1]][0], list(saved[s[1]][1])
        elif kind == "add":
            x = b.node("Add", [x, saved[s[1]][0]])
        elif kind == "fn":  # ("fn", op_type[, attributes]): an element-wise function
            x = b.node(s[1], [x], **(s[2] if len(s) > 2 else {}))
        elif kind == "silu":  # as torch exports SiLU
            x = b.node("Mul", [x, b.node("Sigmoid", [x])])
        elif kind == "mul":  # the saved tensor times x (x may be [1, C, 1, 1]: broadcast)
            x = b.node("Mul", [saved[s[1]][0], x])
            shape = list(saved[s[1]][1])
        elif kind == "concat":
            other, oshape = saved[s[1]]
            x = b.node("Concat", [x, other], axis=1)
            shape = [1, shape[1] + oshape[1]] + shape[2:]
        else:
            raise ValueError(kind)
    g = helper.make_graph(b.nodes, "test", [helper.make_tensor_value_info("input", TensorProto.FLOAT, list(in_shape))],
                          [helper.make_tensor_value_info(x, TensorProto.FLOAT, shape)], b.inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m


class _Reader:
    def __init__(self, shape, seed, n=8, signed=False):
        rng = np.random.default_rng(seed)
        lo = -1.0 if signed else 0.0
        self.data = [{"input": rng.uniform(lo, 1.0, shape).astype(np.float32)} for _ in range(n)]
        self.i = 0

    def get_next(self):
        if self.i >= len(self.data):
            return None
        self.i += 1
        return self.data[self.i - 1]

    def rewind(self):
        self.i = 0


def quantize(model, tmpdir, fmt="qdq", per_channel=False, act="u8", weight="s8",
             act_symmetric=False, weight_symmetric=True, seed=0, signed_data=False,
             optimize=True):
    """quantize_static the float model; returns the stripped quantized model
    path (integer input and outputs)."""
    from onnxruntime.quantization import (CalibrationMethod, QuantFormat, QuantType,
                                          quantize_static)
    from onnxruntime.quantization.shape_inference import quant_pre_process
    src = f"{tmpdir}/float.onnx"
    pre = f"{tmpdir}/pre.onnx"
    dst = f"{tmpdir}/quant.onnx"
    onnx.save(model, src)
    # optimize=True lets onnxruntime's pre-processing fold BatchNormalization
    # (and Pad) into Conv; False keeps the float graph's ops as they are.
    quant_pre_process(src, pre, skip_symbolic_shape=True, skip_optimization=not optimize)
    shape = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    qt = {"u8": QuantType.QUInt8, "s8": QuantType.QInt8}
    quantize_static(pre, dst, _Reader(shape, seed, signed=signed_data),
                    quant_format=QuantFormat.QDQ if fmt == "qdq" else QuantFormat.QOperator,
                    per_channel=per_channel, activation_type=qt[act], weight_type=qt[weight],
                    calibrate_method=CalibrationMethod.MinMax,
                    extra_options={"ActivationSymmetric": act_symmetric,
                                   "WeightSymmetric": weight_symmetric})
    m = onnx.load(dst)
    strip_io(m)
    out = f"{tmpdir}/model.onnx"
    onnx.save(m, out)
    return out


def strip_io(m):
    """Graph input QuantizeLinear and output DequantizeLinear removed: the
    model then takes and returns integers."""
    g = m.graph
    inits = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    gin = g.input[0].name
    for n in list(g.node):
        if n.op_type == "QuantizeLinear" and n.input[0] == gin:
            zp = inits[n.input[2]]
            elem = TensorProto.UINT8 if zp.dtype == np.uint8 else TensorProto.INT8
            shape = [d.dim_value for d in g.input[0].type.tensor_type.shape.dim]
            g.node.remove(n)
            g.input.remove(g.input[0])
            g.input.append(helper.make_tensor_value_info(n.output[0], elem, shape))
            break
    outs = []
    for o in list(g.output):
        prod = [n for n in g.node if o.name in n.output][0]
        if prod.op_type == "DequantizeLinear":
            zp = inits[prod.input[2]]
            elem = TensorProto.UINT8 if zp.dtype == np.uint8 else TensorProto.INT8
            g.node.remove(prod)
            outs.append(helper.make_tensor_value_info(prod.input[0], elem, None))
        else:
            outs.append(o)
    del g.output[:]
    g.output.extend(outs)


def nemo_model(seed=0, in_shape=(1, 4, 10, 10)):
    """A NEMO-style integer network: Pad + Conv + Mul/Add/Cast/Mul/Div/Cast/Clip
    (BN + ReLU + requant), a QAdd residual, average pooling with its
    Mul/Div/Floor requant, Flatten and Gemm. Weights are integers in float."""
    b = _B(seed)
    rng = b.rng

    def conv_bn(x, cin, cout, k, pads, stride=1, group=1, pad_node=False):
        if pad_node:
            x = b.node("Pad", [x], mode="constant", pads=[0, 0, pads[0], pads[1], 0, 0, pads[2], pads[3]],
                       value=0.0)
            pads = (0, 0, 0, 0)
        w = rng.integers(-30, 30, (cout, cin // group, k, k)).astype(np.float32)
        x = b.node("Conv", [x, b.const("w", w), b.const("b", rng.integers(-50, 50, cout).astype(np.float32))],
                   kernel_shape=[k, k], pads=_pads(pads), strides=[stride, stride], group=group)
        x = b.node("Mul", [b.const("kappa", rng.integers(100, 2000, (1, cout, 1, 1)).astype(np.float32)), x])
        x = b.node("Add", [x, b.const("lamda", rng.integers(-10**5, 10**5, (1, cout, 1, 1)).astype(np.float32))])
        x = b.node("Cast", [x], to=TensorProto.INT64)
        x = b.node("Mul", [x, b.const("m", np.array([3], dtype=np.int64))])
        x = b.node("Div", [x, b.const("d", np.array(2 ** 19 - 1, dtype=np.int64))])
        x = b.node("Cast", [x], to=TensorProto.FLOAT)
        return b.node("Clip", [x], min=0.0, max=255.0)

    c = in_shape[1]
    x = conv_bn("input", c, 8, 3, (1, 0, 1, 2), pad_node=True)
    s = x
    y = conv_bn(x, 8, 8, 3, (1, 1, 1, 1), group=8)
    y = b.node("Mul", [y, b.const("s", np.float32(16))])
    s2 = b.node("Mul", [s, b.const("s", np.float32(16))])
    x = b.node("Floor", [b.node("Div", [b.node("Add", [y, s2]), b.const("d", np.float32(32))])])
    x = conv_bn(x, 8, 8, 3, (1, 1, 1, 1), stride=2)
    x = b.node("AveragePool", [x], kernel_shape=[5, 5], strides=[1, 1])
    x = b.node("Mul", [x, b.const("n", np.float32(25))])
    x = b.node("Mul", [x, b.const("m", np.float32(21))])
    # 21/128 keeps the pooled values within 8 bits (DORY saturates there,
    # ONNX would not: see docs/FRONTEND_ONNX.md)
    x = b.node("Floor", [b.node("Div", [x, b.const("d", np.float32(128))])])
    x = b.node("Flatten", [x], axis=1)
    w = rng.integers(-60, 60, (5, 8)).astype(np.float32)
    x = b.node("Gemm", [x, b.const("fw", w), b.const("fb", rng.integers(-99, 99, 5).astype(np.float32))],
               transB=1)
    g = helper.make_graph(b.nodes, "nemo", [helper.make_tensor_value_info("input", TensorProto.FLOAT, list(in_shape))],
                          [helper.make_tensor_value_info(x, TensorProto.FLOAT, None)], b.inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 10)])
    m.ir_version = 6
    return m


def nemo_requant_add(b, x, y, r, d1, act):
    """NEMO's PACT_IntegerAdd then PACT_IntegerAct as torch 1.x exports them:
    Mul(x, r0), Mul(y, r1), Add, Div(D1), Floor (the add, float ops on
    integer values), then Cast(int64), Mul(int64 r), Div(int64 D2) (integer
    division, truncating), Cast(int64), Cast(int64), Cast(float), Clip (the
    activation). act = (r, D2, hi) or None (no second requant)."""
    s0 = b.node("Mul", [x, b.const("ra", np.float32(r[0]))])
    s1 = b.node("Mul", [y, b.const("rb", np.float32(r[1]))])
    s = b.node("Floor", [b.node("Div", [b.node("Add", [s0, s1]), b.const("d", np.float32(d1))])])
    if act is None:
        return s
    s = b.node("Cast", [s], to=TensorProto.INT64)
    s = b.node("Mul", [s, b.const("m", np.array([act[0]], dtype=np.int64))])
    s = b.node("Div", [s, b.const("d", np.array(act[1], dtype=np.int64))])
    for to in (TensorProto.INT64, TensorProto.INT64, TensorProto.FLOAT):
        s = b.node("Cast", [s], to=to)
    return b.node("Clip", [s], min=0.0, max=float(act[2]))


def nemo_conv_act(b, x, cin, cout, k=3, group=1):
    """NEMO conv + BN + PACT_IntegerAct (Mul/Add/Cast/Mul/Div/Cast*3/Clip).
    kappa*acc + lambda stays below 2^24, so onnxruntime's fp32 Mul and Add
    on these integers are exact; the requant spreads the output over 8 bits."""
    rng = b.rng
    p, taps = k // 2, k * k * cin // group
    w = rng.integers(-8, 9, (cout, cin // group, k, k)).astype(np.float32)
    x = b.node("Conv", [x, b.const("w", w)], kernel_shape=[k, k], pads=[p, p, p, p],
               strides=[1, 1], group=group)
    kappa = rng.integers(8, 33, (1, cout, 1, 1))
    spread = 14400 * np.sqrt(taps)  # about the std of kappa*acc on uniform u8 inputs
    lamda = rng.integers(0, int(2 * spread), (1, cout, 1, 1))
    x = b.node("Mul", [b.const("kappa", kappa.astype(np.float32)), x])
    x = b.node("Add", [x, b.const("lamda", lamda.astype(np.float32))])
    x = b.node("Cast", [x], to=TensorProto.INT64)
    x = b.node("Mul", [x, b.const("m", np.array([3], dtype=np.int64))])
    d = 2 ** int(np.ceil(np.log2(3 * spread / 90)))
    x = b.node("Div", [x, b.const("d", np.array(d, dtype=np.int64))])
    for to in (TensorProto.INT64, TensorProto.INT64, TensorProto.FLOAT):
        x = b.node("Cast", [x], to=to)
    return b.node("Clip", [x], min=0.0, max=255.0)


def nemo_residual_model(seed=0, in_shape=(1, 8, 8, 8), r=(32, 19), d1=64, act=(27, 16, 255),
                        tail=True):
    """A NEMO residual block: conv-act, depthwise conv-act, the add of the
    block input and that output with its requant (nemo_requant_add), and a
    conv-act after it. Input and every activation u8 values in float."""
    b = _B(seed)
    c = in_shape[1]
    y = nemo_conv_act(b, "input", c, c)
    y = nemo_conv_act(b, y, c, c, group=c)
    x = nemo_requant_add(b, y, "input", r, d1, act)
    if tail:
        x = nemo_conv_act(b, x, c, c)
    g = helper.make_graph(b.nodes, "nemo_residual",
                          [helper.make_tensor_value_info("input", TensorProto.FLOAT, list(in_shape))],
                          [helper.make_tensor_value_info(x, TensorProto.FLOAT, None)], b.inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 9)])
    m.ir_version = 6
    return m
