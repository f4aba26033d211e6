"""An independent reference of integerized RequantShift graphs (numpy, int64).

evaluate(model, x) runs an ONNX graph of the RequantShift dialect (Deeploy /
QuantLab integerized networks) on integer input x and returns every value
by name. It is written from the semantics of issue 12 item 5, not from
dory's lowering:

    RequantShift(x, mul, add; div, signed, n_levels)
        = clip(floor((x*mul + add) / div + 0.5)),
          [-n/2, n/2 - 1] when signed, [0, n - 1] otherwise

with mul and add one value per channel of dim 1 (a scalar broadcasts),
whatever shape they are stored in. Every value is an exact rational
num / den (den > 1 only after AveragePool, which divides by the window
size); floor((v*mul + add)/div + 0.5) is computed as
floor((2*mul*num + 2*add*den + div*den) / (2*div*den)) with integer floor
division, so nothing is rounded twice and nothing overflows int64 for
8-bit networks. Conv, Gemm, MatMul, MaxPool, AveragePool (no padding),
GlobalAveragePool, Add, Flatten and Reshape are supported; anything else
raises.
"""
import numpy as np
from onnx import numpy_helper


class Val:
    """An exact rational tensor: num (int64 array) / den (positive int)."""

    def __init__(self, num, den=1):
        self.num = np.asarray(num, dtype=np.int64)
        self.den = int(den)

    def ints(self):
        assert self.den == 1, "a fractional value where an integer is needed"
        return self.num


def _attrs(node):
    out = {}
    for a in node.attribute:
        if a.type == a.INT:
            out[a.name] = a.i
        elif a.type == a.INTS:
            out[a.name] = list(a.ints)
        elif a.type == a.FLOAT:
            out[a.name] = a.f
        elif a.type == a.TENSOR:
            out[a.name] = numpy_helper.to_array(a.t).reshape(-1)[0].item()
        elif a.type == a.STRING:
            out[a.name] = a.s.decode()
    return out


def _conv(x, w, b, at):
    """NC[H]W convolution in int64; 1-D inputs are treated as H = 1."""
    one_d = x.ndim == 3
    if one_d:
        x, w = x[:, :, None, :], w[:, :, None, :]
    k = at.get("kernel_shape", list(w.shape[2:]))
    s = at.get("strides", [1] * len(k))
    d = at.get("dilations", [1] * len(k))
    p = at.get("pads", [0] * 2 * len(k))
    if one_d:
        s, d, p = [1] + s, [1] + d, [0, p[0], 0, p[1]]
    g = at.get("group", 1)
    _, c, h, wd = x.shape
    xp = np.zeros((1, c, h + p[0] + p[2], wd + p[1] + p[3]), np.int64)
    xp[:, :, p[0]:p[0] + h, p[1]:p[1] + wd] = x
    co, cig, kh, kw = w.shape
    oh = (xp.shape[2] - d[0] * (kh - 1) - 1) // s[0] + 1
    ow = (xp.shape[3] - d[1] * (kw - 1) - 1) // s[1] + 1
    y = np.zeros((1, co, oh, ow), np.int64)
    cog = co // g
    for o in range(co):
        gi = o // cog
        for i in range(kh):
            for j in range(kw):
                patch = xp[0, gi * cig:(gi + 1) * cig,
                           i * d[0]:i * d[0] + s[0] * (oh - 1) + 1:s[0],
                           j * d[1]:j * d[1] + s[1] * (ow - 1) + 1:s[1]]
                y[0, o] += np.tensordot(w[o, :, i, j], patch, axes=(0, 0))
    if b is not None:
        y += b.reshape(1, -1, 1, 1)
    return y[:, :, 0, :] if one_d else y


def _pool(x, at, is_max):
    """Max or sum over windows (no padding); returns (values, window size)."""
    k = at["kernel_shape"]
    s = at.get("strides", [1] * len(k))
    assert not any(at.get("pads", [0])), "padded pools are not in this reference"
    one_d = x.ndim == 3
    if one_d:
        x, k, s = x[:, :, None, :], [1] + k, [1] + s
    _, c, h, w = x.shape
    oh, ow = (h - k[0]) // s[0] + 1, (w - k[1]) // s[1] + 1
    y = np.zeros((1, c, oh, ow), np.int64)
    for i in range(oh):
        for j in range(ow):
            win = x[:, :, i * s[0]:i * s[0] + k[0], j * s[1]:j * s[1] + k[1]]
            y[:, :, i, j] = win.max(axis=(2, 3)) if is_max else win.sum(axis=(2, 3))
    return (y[:, :, 0, :] if one_d else y), k[0] * k[1]


def _per_channel(c, shape):
    """mul/add as a [1, C, 1...] array: per channel of dim 1 whatever its shape."""
    c = np.asarray(c, np.int64).reshape(-1)
    if c.size == 1:
        return c.reshape([1] * len(shape))
    assert c.size == shape[1], f"{c.size} values for {shape[1]} channels"
    return c.reshape([1, -1] + [1] * (len(shape) - 2))


def requant_shift(v, mul, add, div, signed, n_levels):
    """clip(floor((v*mul + add)/div + 0.5)) on an exact rational v."""
    shape = v.num.shape
    mul, add = _per_channel(mul, shape), _per_channel(add, shape)
    num = 2 * mul * v.num + 2 * add * v.den + div * v.den
    y = num // (2 * div * v.den)
    lo, hi = (-(n_levels // 2), n_levels // 2 - 1) if signed else (0, n_levels - 1)
    return np.clip(y, lo, hi)


def evaluate(model, x):
    vals = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    env = {k: Val(v) if v.dtype.kind in "iu" else Val(v.astype(np.int64))
           for k, v in vals.items() if np.all(np.asarray(v) == np.round(v))}
    env[model.graph.input[0].name] = Val(x)
    for n in model.graph.node:
        at = _attrs(n)
        ins = [env[i] for i in n.input if i]
        op = n.op_type
        if op == "Conv":
            y = Val(_conv(ins[0].ints(), ins[1].ints(), ins[2].ints() if len(ins) > 2 else None,
                          at))
        elif op in ("Gemm", "MatMul"):
            w = ins[1].ints()
            if op == "Gemm" and at.get("transB", 0):
                w = w.T
            y = ins[0].ints() @ w
            if len(ins) > 2:
                y = y + ins[2].ints().reshape(1, -1)
            y = Val(y)
        elif op == "MaxPool":
            y = Val(_pool(ins[0].ints(), at, True)[0])
        elif op == "AveragePool":
            s, cnt = _pool(ins[0].ints(), at, False)
            y = Val(s, cnt)
        elif op == "GlobalAveragePool":
            a = ins[0].ints()
            axes = tuple(range(2, a.ndim))
            y = Val(a.sum(axis=axes, keepdims=True), int(np.prod(a.shape[2:])))
        elif op == "Add":
            y = Val(ins[0].ints() + ins[1].ints())
        elif op in ("Flatten", "Reshape"):
            y = Val(ins[0].ints().reshape(1, -1))
        elif op == "RequantShift":
            mul, add = ins[1].ints(), ins[2].ints()
            y = Val(requant_shift(ins[0], mul, add, int(at["div"]), int(at.get("signed", 0)),
                                  int(at.get("n_levels", at.get("n_levels_out", 256)))))
        else:
            raise NotImplementedError(op)
        env[n.output[0]] = y
    return {k: v.num for k, v in env.items() if v.den == 1}
