#!/usr/bin/env python3
"""bench/pulp_sweep.py: one-layer networks measured on GVSoC's pulp-open.

The fit data beside the networks of bench/pulp_networks.py: one layer per
application (DORY's quantization: u8 activations, i8 weights, SHIFT
requantization in 32- or 64-bit arithmetic, or none), over the kernel rows
and shapes the shared networks use and others around them, each deployed
with both planner objectives and a smaller L1 (more tiles), run with
`make run-gvsoc` and checked bit-exact. Writes OUT.json in the format of
pulp_networks.json (per layer: kernel row, model terms, measured cycles),
the input of bench/fit_pulp_cost.py.

  .venv/bin/python bench/pulp_sweep.py --gvsoc .../bin/gvsoc [-j 2]
"""
import argparse
import json
import os
import pathlib
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "py"))
sys.path.insert(0, str(ROOT / "bench"))

from irgen import GraphText  # noqa: E402
import pulp_networks as pn  # noqa: E402

# name: op, (h, w, cin, cout), kernel, stride, pad, arith (32 / 64 / none)
SHAPES = [
    ("conv3x3_12x20x32x32", "conv", (12, 20, 32, 32), 3, 1, 1, 64),
    ("conv3x3_s2_24x40x32x32", "conv", (24, 40, 32, 32), 3, 2, 1, 64),
    ("conv3x3_25x25x16x16", "conv", (25, 25, 16, 16), 3, 1, 1, 64),
    ("conv3x3_s2_50x50x16x16", "conv", (50, 50, 16, 16), 3, 2, 1, 32),
    ("conv3x3_6x10x64x64", "conv", (6, 10, 64, 64), 3, 1, 1, 64),
    ("conv3x3_7x7x128x128", "conv", (7, 7, 128, 128), 3, 1, 1, 32),
    ("conv3x3_13x13x64x64", "conv", (13, 13, 64, 64), 3, 1, 1, 64),
    ("conv3x3_32x32x16x16", "conv", (32, 32, 16, 16), 3, 1, 1, 32),
    ("conv5x5_s2_96x160x1x32", "conv", (96, 160, 1, 32), 5, 2, 2, 64),
    ("conv3x3_s2_100x100x1x16", "conv", (100, 100, 1, 16), 3, 2, 1, 32),
    ("conv3x3_50x10x1x64", "conv", (50, 10, 1, 64), 3, 2, 1, 32),
    ("pw_25x5x64x64", "conv", (25, 5, 64, 64), 1, 1, 0, 64),
    ("pw_25x5x64x64_a32", "conv", (25, 5, 64, 64), 1, 1, 0, 32),
    ("pw_25x25x32x32", "conv", (25, 25, 32, 32), 1, 1, 0, 32),
    ("pw_s2_25x25x32x64", "conv", (25, 25, 32, 64), 1, 2, 0, 32),
    ("pw_7x7x64x128", "conv", (7, 7, 64, 128), 1, 1, 0, 32),
    ("pw_16x16x64x64", "conv", (16, 16, 64, 64), 1, 1, 0, 64),
    ("dw3x3_25x5x64", "dw", (25, 5, 64, 64), 3, 1, 1, 64),
    ("dw3x3_25x5x64_a32", "dw", (25, 5, 64, 64), 3, 1, 1, 32),
    ("dw3x3_32x32x32", "dw", (32, 32, 32, 32), 3, 1, 1, 64),
    ("dw3x3_s2_26x26x64", "dw", (26, 26, 64, 64), 3, 2, 1, 64),
    ("dw3x3_8x8x128", "dw", (8, 8, 128, 128), 3, 1, 1, 32),
    ("fc_64x12", "fc", (1, 1, 64, 12), 1, 1, 0, 64),
    ("fc_640x128", "fc", (1, 1, 640, 128), 1, 1, 0, 32),
    ("fc_1920x4", "fc", (1, 1, 1920, 4), 1, 1, 0, "none"),
    ("fc_3136x2", "fc", (1, 1, 3136, 2), 1, 1, 0, "none"),
    ("fc_512x64", "fc", (1, 1, 512, 64), 1, 1, 0, "none"),
    ("maxpool2_48x80x32", "maxpool", (48, 80, 32, 32), 2, 2, 0, "none"),
    ("maxpool2_64x64x32", "maxpool", (64, 64, 32, 32), 2, 2, 0, "none"),
    ("maxpool3_s2_26x26x16", "maxpool", (26, 26, 16, 16), 3, 2, 0, "none"),
    ("avgpool_25x5x64", "avgpool", (25, 5, 64, 64), (25, 5), 1, 0, 32),
    ("avgpool2_16x16x32", "avgpool", (16, 16, 32, 32), 2, 2, 0, 64),
    ("add_25x25x32", "add", (25, 25, 32, 32), 1, 1, 0, "none"),
    ("add_13x13x64", "add", (13, 13, 64, 64), 1, 1, 0, "none"),
    ("add_25x25x16_rq", "add", (25, 25, 16, 16), 1, 1, 0, 32),
    ("add_7x7x128", "add", (7, 7, 128, 128), 1, 1, 0, "none"),
]
# layers of one application at most, and their L2 bytes at most (of the
# 448000 B of L2: the rest for staging buffers)
GROUP = 8
GROUP_BYTES = 280000
# (label, extra flags): DORY's budgets as the networks have them, and a
# smaller L1 for more tiles per layer
CONFIGS = [("l1", pn.DORY_FLAGS), ("l1small", ["-t", "pulp-open", "--l1", "36000",
                                               "--l2", "448000"])]


def out_hw(h, w, k, s, p):
    kh, kw = (k, k) if isinstance(k, int) else k
    return (h + 2 * p - kh) // s + 1, (w + 2 * p - kw) // s + 1


def shift_consts(rng, g, prefix, n, K, arith):
    """k, l, d of a SHIFT requant whose outputs spread over u8 for ~K taps. In
    64 bits as DORY's networks have them (their BNRelu: d >= 32, k beyond
    int32, either sign), so that the kernels take the networks' epilogue
    (their SHIFT64 forms depend on d and the range of k)."""
    if arith == 64:
        k = rng.integers(1 << 32, 1 << 33, n) * rng.choice([-1, 1, 1, 1], n)
        d = 32 + int(np.log2(max(K, 1) * 64))
    else:
        k = rng.integers(1, 4, n)
        d = int(np.log2(max(K, 1) * 64))
    dt = "i64" if arith == 64 else "i32"
    l = (rng.integers(0, 128, n) << max(d - 1, 0)) if arith == 64 else rng.integers(0, 1 << d, n)
    g.tensor(prefix + "k", dt, [n], data=k)
    g.tensor(prefix + "l", dt, [n], data=l)
    return f"shift(k={prefix}k,l={prefix}l,d={d})"


def weights(g, binfile, name, shape, data):
    """An i8 constant in binfile (the IR's `@FILE:OFFSET`: no line limit)."""
    binfile.write_bytes(np.asarray(data, dtype=np.int8).tobytes())
    g.lines.append(f"tensor {name} i8 [{','.join(map(str, shape))}] = @{binfile.name}:0")


def add_layer(g, c, op, shape, k, s, p, arith, seed, binfile):
    """One layer of the sweep into g, its node named c and its tensors c.*: its
    own graph input(s) and output, so that layers of one application are apart."""
    rng = np.random.default_rng(seed)
    h, w, ci, co = shape
    pre = c + "."
    x, y = pre + "x", pre + "y"
    g.tensor(x, "u8", [1, 1, 1, ci] if op == "fc" else [1, h, w, ci])
    g.input(x)
    kh, kw = (k, k) if isinstance(k, int) else k
    oh, ow = out_hw(h, w, k, s, p)
    attrs = {}
    if op in ("conv", "dw"):
        cig = 1 if op == "dw" else ci
        weights(g, binfile, c + ".w", [co, kh, kw, cig], rng.integers(-128, 128, co * kh * kw * cig))
        attrs = {"kernel": (kh, kw)}
        if s > 1:
            attrs["stride"] = (s, s)
        if p:
            attrs["pad"] = (p, p, p, p)
        if op == "dw":
            attrs["groups"] = ci
        attrs["rq"] = shift_consts(rng, g, c + ".", co, kh * kw * cig, arith)
        g.tensor(y, "u8", [1, oh, ow, co])
        g.node(c, "conv2d", [x, c + ".w"], y, **attrs)
    elif op == "fc":
        weights(g, binfile, c + ".w", [co, ci], rng.integers(-128, 128, co * ci))
        g.tensor(c + ".b", "i32", [co], data=rng.integers(-1000, 1000, co))
        if arith != "none":
            attrs["rq"] = shift_consts(rng, g, c + ".", co, ci, arith)
            g.tensor(y, "u8", [1, 1, 1, co])
        else:
            g.tensor(y, "i32", [1, 1, 1, co])
        g.node(c, "fc", [x, c + ".w", c + ".b"], y, **attrs)
    elif op in ("maxpool", "avgpool"):
        attrs = {"kernel": (kh, kw)}
        if s > 1:
            attrs["stride"] = (s, s)
        if op == "avgpool":
            attrs["rq"] = shift_consts(rng, g, c + ".", 1, kh * kw, arith)
        g.tensor(y, "u8", [1, oh, ow, co])
        g.node(c, op, [x], y, **attrs)
    elif op == "add":
        g.tensor(pre + "x2", "u8", [1, h, w, ci])
        g.input(pre + "x2")
        if arith != "none":
            for side in "ab":
                attrs["rq" + side] = shift_consts(rng, g, f"{c}.{side}", 1, 1, arith)
        g.tensor(y, "u8", [1, h, w, ci])
        g.node(c, "add", [x, pre + "x2"], y, **attrs)
    g.output(y)


def l2_bytes(op, shape, k, s, p):
    """Bytes of a layer's graph inputs, output and weights (the application's
    layers share L2: all of them must stay there, none streamed from L3)."""
    h, w, ci, co = shape
    oh, ow = out_hw(h, w, k, s, p)
    kh, kw = (k, k) if isinstance(k, int) else k
    if op == "fc":
        return ci + 4 * co + ci * co
    wb = co * kh * kw * (1 if op == "dw" else ci) if op in ("conv", "dw") else 0
    return h * w * ci * (2 if op == "add" else 1) + oh * ow * co + wb


def groups(shapes, budget):
    """(index, shape) pairs packed in order into applications of at most `budget`
    bytes of L2 (l2_bytes) and GROUP layers: one build and one GVSoC run
    measures them all (the build is most of a run's time)."""
    out, cur, used = [], [], 0
    for sh in shapes:
        b = l2_bytes(*sh[1][1:6])
        if cur and (used + b > budget or len(cur) >= GROUP):
            out.append(cur)
            cur, used = [], 0
        cur.append(sh)
        used += b
    return out + ([cur] if cur else [])


def model_text(name, layers, work):
    """The application of a group of (index, shape) layers, each node named by its shape."""
    g = GraphText(name)
    for i, (sname, op, shape, k, s, p, arith) in layers:
        add_layer(g, sname, op, shape, k, s, p, arith, 100 + i, work / f"{sname}.bin")
    return g.text()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gvsoc", default=os.environ.get("GVSOC", ""), help="GVSoC's bin/gvsoc")
    ap.add_argument("--work", default=str(ROOT / "build" / "bench-sweep"))
    ap.add_argument("--out", default=str(ROOT / "bench" / "pulp_sweep"))
    ap.add_argument("--only", default="", help="comma-separated shape names (default: all)")
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--configs", default=",".join(c for c, _ in CONFIGS),
                    help="comma-separated configurations (default: all)")
    ap.add_argument("--objectives", default=",".join(pn.OBJECTIVES),
                    help="comma-separated objectives (default: all)")
    ap.add_argument("--reuse", action="store_true",
                    help="read the applications' earlier runs in --work where present "
                         "(without --gvsoc: only those)")
    a = ap.parse_args()
    if not a.gvsoc and not a.reuse:
        print("pulp_sweep: no GVSoC given (--gvsoc or $GVSOC; docs/PULP.md)", file=sys.stderr)
        return 2
    work = pathlib.Path(a.work)
    work.mkdir(parents=True, exist_ok=True)
    tasks = []
    shapes = [(i, sh) for i, sh in enumerate(SHAPES) if not a.only or sh[0] in a.only.split(",")]
    for gi, grp in enumerate(groups(shapes, GROUP_BYTES)):
        name = f"sweep{gi}"
        model = work / f"{name}.dory"
        if not a.reuse:
            model.write_text(model_text(name, grp, work))
        for label, flags in CONFIGS:
            if label not in a.configs.split(",") and not (
                    a.reuse and (pn.app_dir(work, f"{name}@{label}", "exact") / "gvsoc.log").exists()):
                continue
            for obj in pn.OBJECTIVES:
                ran = a.reuse and (pn.app_dir(work, f"{name}@{label}", obj) / "gvsoc.log").exists()
                if obj in a.objectives.split(",") or ran:
                    tasks.append((f"{name}@{label}", model, list(flags), obj))
    recs = pn.measure_all(tasks, work, a.gvsoc, False, a.reuse, a.jobs)
    out = pathlib.Path(a.out)
    out.with_suffix(".json").write_text(json.dumps({"gvsoc": a.gvsoc, "runs": recs}, indent=1) + "\n")
    bad = pn.run_errors(recs, "pulp_sweep")
    print(f"{len(recs)} runs, {bad} errors; wrote {out.with_suffix('.json')}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
