"""`dory run` on hand-written graphs of every op, against values computed
independently here (numpy + refquant.py, from the contract's definitions).

Each case writes a small IR text graph with seeded random constants, runs it
through the release binary (and a few through the sanitizer build), and
compares the whole output tensor exactly.
"""
import zlib

import numpy as np
import pytest

from irgen import (DT_RANGE, NP_DT, GraphText, epilogue, ref_conv, ref_pool, rq_fixed, rq_float,
                   rq_identity, rq_shift)


def rand(r, dt, shape):
    lo, hi = DT_RANGE[dt]
    return r.integers(lo, hi + 1, size=shape, dtype=np.int64)


def run_graph(run_dory, dory, tmp_path, g, inputs, out_dt):
    model = tmp_path / "m.dory"
    model.write_text(g.text())
    args = ["run", model]
    for i, x in enumerate(inputs):
        p = tmp_path / f"in{i}.npy"
        np.save(p, x)
        args += ["--input", p]
    out = tmp_path / "out.npy"
    run_dory(dory, *args, "-o", out)
    y = np.load(out)
    assert y.dtype == NP_DT[out_dt]
    return y.astype(np.int64)


def make_rq(g, r, scheme, nch, prefix="r.", big=False):
    if scheme == "shift":
        k = r.integers(1, 1 << 12, size=nch) * ((1 << 20) if big else 1)
        l = r.integers(-(1 << 14), 1 << 14, size=nch) * ((1 << 20) if big else 1)
        return rq_shift(g, prefix, k, l, 16 + (20 if big else 0))
    if scheme == "fixed":
        m = r.integers(1 << 30, 1 << 31, size=nch)
        s = r.integers(-12, -6, size=nch)
        return rq_fixed(g, prefix, m, s)
    if scheme == "float":
        return rq_float(g, prefix, r.uniform(1e-4, 5e-3, size=nch))
    return rq_identity()


CONV_CASES = [
    # name, H, W, C, CO, K, stride, pad, dil, groups, scheme, in_dt, out_dt
    ("std3x3", 6, 7, 5, 8, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 1, "shift", "u8", "u8"),
    ("s2_asym", 9, 8, 3, 4, (3, 3), (2, 2), (0, 0, 1, 1), (1, 1), 1, "fixed", "i8", "i8"),
    ("dilated", 9, 9, 4, 6, (3, 3), (1, 1), (2, 2, 2, 2), (2, 2), 1, "float", "u8", "i8"),
    ("pointwise", 5, 5, 16, 12, (1, 1), (1, 1), (0, 0, 0, 0), (1, 1), 1, "float", "i8", "u8"),
    ("depthwise", 7, 6, 8, 8, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 8, "fixed", "i8", "i8"),
    ("dw_mult2", 6, 6, 4, 8, (3, 3), (2, 2), (1, 1, 1, 1), (1, 1), 4, "shift", "u8", "u8"),
    ("grouped", 5, 6, 6, 4, (3, 3), (1, 1), (1, 0, 1, 2), (1, 1), 2, "shift64", "u8", "u8"),
    ("conv1d", 1, 20, 3, 5, (1, 5), (1, 2), (0, 2, 0, 2), (1, 1), 1, "none", "i8", "i32"),
]


@pytest.mark.parametrize("case", CONV_CASES, ids=[c[0] for c in CONV_CASES])
def test_conv(dory, run_dory, tmp_path, case):
    name, H, W, C, CO, K, stride, pad, dil, groups, scheme, in_dt, out_dt = case
    r = np.random.default_rng(zlib.crc32(name.encode()))
    g = GraphText(name)
    zx = 3 if in_dt == "u8" else -5
    zy = 0 if out_dt == "i32" else (10 if out_dt == "u8" else -7)
    zw = r.integers(-3, 4, size=CO)
    g.tensor("x", in_dt, [1, H, W, C], zp=zx)
    w = rand(r, "i8", (CO, K[0], K[1], C // groups))
    g.tensor("w", "i8", list(w.shape), data=w, zps=zw)
    b = r.integers(-2000, 2000, size=CO)
    g.tensor("b", "i32", [CO], data=b)
    rqt, rqf = make_rq(g, r, scheme.replace("64", ""), CO, big=scheme.endswith("64"))
    lo, hi = DT_RANGE[out_dt]
    if out_dt != "i32":
        lo, hi = lo + 2, hi - 3  # a clamp tighter than the dtype
    x = rand(r, in_dt, (H, W, C))
    acc = ref_conv(x, w, b, zx, zw, stride, pad, dil, groups)
    want = epilogue(acc, rqf, zy, lo, hi)
    g.tensor("y", out_dt, [1] + list(want.shape), zp=zy)
    g.input("x")
    attrs = dict(stride=stride, pad=pad, dilation=dil, groups=groups, clamp=(lo, hi))
    if rqt:
        attrs["rq"] = rqt
    g.node("conv", "conv2d", ["x", "w", "b"], "y", **attrs)
    g.output("y")
    got = run_graph(run_dory, dory, tmp_path, g, [x.reshape(1, H, W, C).astype(NP_DT[in_dt])], out_dt)
    np.testing.assert_array_equal(got.reshape(want.shape), want)


@pytest.mark.parametrize("scheme", ["shift", "fixed", "float", "shift64"])
def test_fc_after_reshape(dory, run_dory, tmp_path, scheme):
    r = np.random.default_rng(7)
    H, W, C, CO = 3, 4, 5, 10
    g = GraphText("fc")
    g.tensor("x", "u8", [1, H, W, C], zp=4)
    g.tensor("flat", "u8", [1, 1, 1, H * W * C], zp=4)
    w = rand(r, "i8", (CO, H * W * C))
    g.tensor("w", "i8", list(w.shape), data=w)
    b = r.integers(-500, 500, size=CO)
    g.tensor("b", "i32", [CO], data=b)
    rqt, rqf = make_rq(g, r, scheme.replace("64", ""), CO, big=scheme.endswith("64"))
    g.tensor("y", "i8", [1, 1, 1, CO], zp=-3)
    g.input("x")
    g.node("flatten", "reshape", ["x"], "flat")
    g.node("fc", "fc", ["flat", "w", "b"], "y", rq=rqt)
    g.output("y")
    x = rand(r, "u8", (H, W, C))
    acc = (x.reshape(-1) - 4) @ w.T + b
    want = epilogue(acc.reshape(1, 1, CO), rqf, -3, -128, 127)
    got = run_graph(run_dory, dory, tmp_path, g, [x.reshape(1, H, W, C).astype(np.uint8)], "i8")
    np.testing.assert_array_equal(got.reshape(-1), want.reshape(-1))


POOL_CASES = [
    ("max2x2", "max", (2, 2), (2, 2), (0, 0, 0, 0), "floor", False, False),
    ("max3x3p1", "max", (3, 3), (1, 1), (1, 1, 1, 1), "floor", False, False),
    ("avg_floor", "avg", (3, 3), (2, 2), (1, 1, 1, 1), "floor", False, False),
    ("avg_half_away", "avg", (3, 3), (1, 1), (1, 1, 1, 1), "half_away", False, False),
    ("avg_include_pad", "avg", (3, 3), (2, 2), (1, 0, 1, 1), "half_away", True, False),
    ("avg_none_rq", "avg", (2, 3), (1, 2), (0, 1, 1, 1), "none", False, False),
    ("global_avg", "avg", (6, 7), (1, 1), (0, 0, 0, 0), "floor", False, True),
]


@pytest.mark.parametrize("case", POOL_CASES, ids=[c[0] for c in POOL_CASES])
def test_pool(dory, run_dory, tmp_path, case):
    name, kind, k, stride, pad, rnd, inc, glob = case
    r = np.random.default_rng(11)
    H, W, C = 6, 7, 5
    zx, zy = -20, 5
    g = GraphText(name)
    g.tensor("x", "i8", [1, H, W, C], zp=zx)
    x = rand(r, "i8", (H, W, C))
    acc = ref_pool(x, kind, k, stride, pad, zx, rnd, inc)
    if rnd == "none":
        rqt, rqf = rq_fixed(g, "r.", [1 << 30] * C, [-2] * C)
    else:
        rqt, rqf = rq_identity()
    want = epilogue(acc, rqf, zy, -128, 127)
    g.tensor("y", "i8", [1] + list(want.shape), zp=zy)
    g.input("x")
    attrs = dict(stride=stride, pad=pad)
    if glob:
        attrs["global"] = True
    else:
        attrs["kernel"] = k
    if kind == "avg":
        attrs["avg_round"] = rnd
        if inc:
            attrs["count_include_pad"] = True
    if rqt:
        attrs["rq"] = rqt
    g.node("pool", kind + "pool", ["x"], "y", **attrs)
    g.output("y")
    got = run_graph(run_dory, dory, tmp_path, g, [x.reshape(1, H, W, C).astype(np.int8)], "i8")
    np.testing.assert_array_equal(got.reshape(want.shape), want)


@pytest.mark.parametrize("scheme", ["shift", "fixed", "float"])
def test_add(dory, run_dory, tmp_path, scheme):
    r = np.random.default_rng(5)
    H, W, C = 4, 5, 6
    g = GraphText("add")
    g.tensor("a", "u8", [1, H, W, C], zp=7)
    g.tensor("b", "u8", [1, H, W, C], zp=130)
    if scheme == "shift":  # NEMO-style: integer multipliers, one shift at the end
        ta, fa = rq_shift(g, "ra.", [3] * C, [0] * C, 0)
        tb, fb = rq_shift(g, "rb.", [5] * C, [0] * C, 0)
        to, fo = rq_shift(g, "ro.", [1] * C, [4] * C, 3)
    elif scheme == "fixed":  # TFLite-style: inputs << 20 then scaled, output rescaled
        ta, fa = rq_fixed(g, "ra.", [1 << 30] * C, [-1] * C, pre=20)
        tb, fb = rq_fixed(g, "rb.", [1717986918] * C, [-2] * C, pre=20)
        to, fo = rq_fixed(g, "ro.", [1288490189] * C, [-19] * C)
    else:
        ta, fa = rq_float(g, "ra.", [0.75] * C)
        tb, fb = rq_float(g, "rb.", r.uniform(0.2, 1.5, size=C))
        to, fo = rq_identity()
    a, b = rand(r, "u8", (H, W, C)), rand(r, "u8", (H, W, C))
    acc = np.zeros((H, W, C), dtype=np.int64)
    for i in np.ndindex(H, W, C):
        acc[i] = fa(int(a[i]) - 7, i[2]) + fb(int(b[i]) - 130, i[2])
    want = epilogue(acc, fo, 2, 0, 255)
    g.tensor("y", "u8", [1, H, W, C], zp=2)
    g.input("a")
    g.input("b")
    attrs = dict(rqa=ta, rqb=tb)
    if to:
        attrs["rq"] = to
    g.node("add", "add", ["a", "b"], "y", **attrs)
    g.output("y")
    got = run_graph(run_dory, dory, tmp_path, g, [a.reshape(1, H, W, C).astype(np.uint8),
                                                  b.reshape(1, H, W, C).astype(np.uint8)], "u8")
    np.testing.assert_array_equal(got.reshape(want.shape), want)


def test_concat_requant_reshape(dory, run_dory, tmp_path):
    r = np.random.default_rng(9)
    H, W = 3, 4
    g = GraphText("cat")
    g.tensor("x", "i8", [1, H, W, 3], zp=1)
    g.tensor("x2", "i8", [1, H, W, 3], zp=1)
    g.tensor("y", "i8", [1, H, W, 6], zp=1)
    g.tensor("z", "i8", [1, 1, 1, H * W * 6], zp=1)
    rqt, rqf = rq_shift(g, "r.", [3, 1, 2], [0] * 3, 1)
    g.input("x")
    g.node("rq", "requant", ["x"], "x2", rq=rqt, clamp=(-100, 100))
    g.node("cat", "concat", ["x", "x2"], "y")
    g.node("flat", "reshape", ["y"], "z")
    g.output("z")
    x = rand(r, "i8", (H, W, 3))
    x2 = epilogue(x - 1, rqf, 1, -100, 100)
    want = np.concatenate([x, x2], axis=2).reshape(-1)
    got = run_graph(run_dory, dory, tmp_path, g, [x.reshape(1, H, W, 3).astype(np.int8)], "i8")
    np.testing.assert_array_equal(got.reshape(-1), want)


def test_softmax_is_a_distribution(dory, run_dory, tmp_path):
    """The int8 softmax (TFLite's arithmetic, checked bit for bit against
    LiteRT and TFLite Micro in test_tflite_oracle.py): outputs in 1/256 steps
    from -128 sum to about 256 and keep the inputs' order."""
    g = GraphText("sm")
    g.tensor("x", "i8", [1, 1, 3, 10])
    g.tensor("y", "i8", [1, 1, 3, 10], zp=-128)
    g.input("x")
    g.node("sm", "softmax", ["x"], "y", sm=(1717986918, 23, -248))
    g.output("y")
    x = rand(np.random.default_rng(5), "i8", (1, 1, 3, 10))
    got = run_graph(run_dory, dory, tmp_path, g, [x.astype(np.int8)], "i8").reshape(3, 10)
    p = got.astype(np.int64) + 128
    assert all(abs(int(r.sum()) - 256) <= 10 for r in p), p
    for r, xr in zip(got, x.reshape(3, 10)):
        order = np.argsort(xr, kind="stable")
        assert all(np.diff(r[order]) >= 0), (xr, r)


def test_sanitized_run_and_dump(dory_asan, run_dory, tmp_path):
    """The sanitizer build runs a two-layer graph and dumps each layer."""
    r = np.random.default_rng(3)
    g = GraphText("two")
    g.tensor("x", "u8", [1, 5, 5, 4])
    w = rand(r, "i8", (6, 3, 3, 4))
    g.tensor("w", "i8", list(w.shape), data=w)
    rqt, rqf = rq_shift(g, "r.", [1] * 6, [0] * 6, 8)
    g.tensor("h", "u8", [1, 5, 5, 6])
    g.tensor("y", "u8", [1, 2, 2, 6])
    g.input("x")
    g.node("conv", "conv2d", ["x", "w"], "h", pad=(1, 1, 1, 1), rq=rqt)
    g.node("pool", "maxpool", ["h"], "y", kernel=(2, 2), stride=(2, 2))
    g.output("y")
    x = rand(r, "u8", (5, 5, 4))
    h = epilogue(ref_conv(x, w, None, 0, [0] * 6, (1, 1), (1, 1, 1, 1), (1, 1), 1), rqf, 0, 0, 255)
    y = ref_pool(h, "max", (2, 2), (2, 2), (0, 0, 0, 0), 0)
    model = tmp_path / "two.dory"
    model.write_text(g.text())
    np.save(tmp_path / "x.npy", x.reshape(1, 5, 5, 4).astype(np.uint8))
    run_dory(dory_asan, "run", model, "--input", tmp_path / "x.npy", "--dump", tmp_path / "d",
             "-o", tmp_path / "y.txt")
    np.testing.assert_array_equal(np.load(tmp_path / "d" / "000_conv.npy").reshape(-1), h.reshape(-1))
    np.testing.assert_array_equal(np.load(tmp_path / "d" / "001_pool.npy").reshape(-1), y.reshape(-1))
    txt = [int(v) for v in (tmp_path / "y.txt").read_text().split()]
    assert txt == list(y.reshape(-1))
