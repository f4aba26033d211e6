"""Write dory IR text from Python, and compute ops independently with numpy.

GraphText builds a graph as text (docs/IR.md); the ref_* functions compute the
same ops from the integer contract's definitions with numpy (int64) and
refquant.py, sharing no code with the C implementation.
"""
import struct

import numpy as np

import refquant as rq

DT_RANGE = {"i8": (-128, 127), "u8": (0, 255), "i32": (-(1 << 31), (1 << 31) - 1)}
NP_DT = {"i8": np.int8, "u8": np.uint8, "i32": np.int32}


def f32_bits(x):
    return int.from_bytes(struct.pack("<f", x), "little")


class GraphText:
    def __init__(self, name="t"):
        self.lines = ["dory-ir 1", f"graph {name}"]
        self.tail = []

    def tensor(self, name, dt, shape, zp=0, data=None, zps=None):
        s = f"tensor {name} {dt} [{','.join(map(str, shape))}]"
        if zp:
            s += f" zp={zp}"
        if zps is not None:
            s += " zps={" + ",".join(str(int(z)) for z in zps) + "}"
        if data is not None:
            flat = np.asarray(data).reshape(-1)
            if dt == "f32":
                vals = ",".join(format(float(np.float32(v)), ".9g") for v in flat)
            else:
                vals = ",".join(str(int(v)) for v in flat)
            s += " = {" + vals + "}"
        self.lines.append(s)
        return name

    def input(self, name):
        self.lines.append(f"input {name}")

    def node(self, name, op, ins, out, **attrs):
        s = f"node {name} {op} ({', '.join(ins)}) -> {out}"
        for k, v in attrs.items():
            if v is True:
                s += f" {k}"
            elif isinstance(v, (tuple, list)):
                s += f" {k}={','.join(map(str, v))}"
            else:
                s += f" {k}={v}"
        self.lines.append(s)

    def output(self, name):
        self.tail.append(f"output {name}")

    def text(self):
        return "\n".join(self.lines + self.tail) + "\n"


# ---- requant descriptions: (text attribute, python function of acc, channel) ----

def rq_shift(g, prefix, k, l, d):
    dt = "i64" if max(abs(int(v)) for v in list(k) + list(l)) >= (1 << 31) else "i32"
    g.tensor(prefix + "k", dt, [len(k)], data=k)
    g.tensor(prefix + "l", dt, [len(l)], data=l)
    text = f"shift(k={prefix}k,l={prefix}l,d={d})"
    return text, lambda acc, c: rq.shift_rq(int(k[c % len(k)]), int(l[c % len(l)]), d, acc)


def rq_fixed(g, prefix, mult, shift, pre=0):
    g.tensor(prefix + "mult", "i32", [len(mult)], data=mult)
    g.tensor(prefix + "shift", "i32", [len(shift)], data=shift)
    text = f"fixed(mult={prefix}mult,shift={prefix}shift,pre={pre})"
    return text, lambda acc, c: rq.fixed_rq(int(mult[c % len(mult)]), int(shift[c % len(shift)]),
                                            pre, acc)


def rq_float(g, prefix, scale):
    scale = np.asarray(scale, dtype=np.float32)
    g.tensor(prefix + "scale", "f32", [len(scale)], data=scale)
    text = f"float(scale={prefix}scale)"
    return text, lambda acc, c: rq.float_rq(f32_bits(float(scale[c % len(scale)])), acc)


def rq_identity():
    return None, lambda acc, c: acc


def epilogue(acc, rqf, zy, lo, hi):
    """acc: int64 array [..., C] -> clamp(rq(acc) + zy, lo, hi), elementwise in Python ints."""
    out = np.empty(acc.shape, dtype=np.int64)
    C = acc.shape[-1]
    flat_in, flat_out = acc.reshape(-1), out.reshape(-1)
    for i, a in enumerate(flat_in):
        v = rqf(int(a), i % C) + zy
        flat_out[i] = min(max(v, lo), hi)
    return out


# ---- reference ops (HWC, int64) ----

def ref_conv(x, w, b, zx, zw, stride, pad, dil, groups):
    """acc[oh,ow,co] = b[co] + sum (x - zx)(w - zw[co]); x padded with zx."""
    H, W, C = x.shape
    CO, KH, KW, CIG = w.shape
    t, l, bo, r = pad
    xp = np.pad(x.astype(np.int64) - zx, ((t, bo), (l, r), (0, 0)))
    OH = (H + t + bo - dil[0] * (KH - 1) - 1) // stride[0] + 1
    OW = (W + l + r - dil[1] * (KW - 1) - 1) // stride[1] + 1
    wz = w.astype(np.int64) - np.asarray(zw, dtype=np.int64).reshape(-1, 1, 1, 1)
    acc = np.zeros((OH, OW, CO), dtype=np.int64) + (np.zeros(CO, np.int64) if b is None else b)
    COG = CO // groups
    for kh in range(KH):
        for kw in range(KW):
            rows = xp[kh * dil[0]: kh * dil[0] + stride[0] * (OH - 1) + 1: stride[0],
                      kw * dil[1]: kw * dil[1] + stride[1] * (OW - 1) + 1: stride[1], :]
            for g in range(groups):
                xs = rows[:, :, g * CIG:(g + 1) * CIG]
                ws = wz[g * COG:(g + 1) * COG, kh, kw, :]
                acc[:, :, g * COG:(g + 1) * COG] += np.einsum("hwc,oc->hwo", xs, ws)
    return acc


def ref_pool(x, kind, k, stride, pad, zx, avg_round="floor", include_pad=False):
    H, W, C = x.shape
    t, l, bo, r = pad
    OH = (H + t + bo - k[0]) // stride[0] + 1
    OW = (W + l + r - k[1]) // stride[1] + 1
    out = np.zeros((OH, OW, C), dtype=np.int64)
    for oh in range(OH):
        for ow in range(OW):
            h0, w0 = oh * stride[0] - t, ow * stride[1] - l
            hs, ws = max(h0, 0), max(w0, 0)
            he, we = min(h0 + k[0], H), min(w0 + k[1], W)
            win = x[hs:he, ws:we, :].astype(np.int64).reshape(-1, C)
            if kind == "max":
                out[oh, ow] = win.max(axis=0) - zx
                continue
            valid = win.shape[0]
            count = k[0] * k[1] if include_pad else valid
            s = win.sum(axis=0)
            for c in range(C):
                v = int(s[c])
                if avg_round == "none":
                    out[oh, ow, c] = v - valid * zx
                elif avg_round == "floor":
                    out[oh, ow, c] = v // count - zx
                else:  # half away from zero, on the raw sum (TFLite)
                    q = (abs(v) + count // 2) // count
                    out[oh, ow, c] = (q if v >= 0 else -q) - zx
    return out
