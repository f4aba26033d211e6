#!/usr/bin/env python3
"""bench/fit_pulp_cost.py: fits the PULP cost model's constants on GVSoC runs.

Reads measurements in the format of bench/pulp_networks.json (per layer: the
kernel row, the model's term counts from report.json, the measured cycles and
DMA wait; bench/pulp_networks.py and bench/pulp_sweep.py write them), fits

  cycles = layer_cycles * slices + tile_overhead * tiles
         + max(compute + first_last, dma) + l3
  compute = mac_work / mac_per_cycle + input * input_cycles + chan * chan_cycles
          + outs * epilogue[requant class] + psum * psum_cycles
  first_last, dma = jobs * L1 latency + bytes / L1 bandwidth
  l3 = l3_jobs * issue + first reads + last write
     + max(0, all L3 transfers - first - last - the rest of the layer)
  a transfer = latency + bytes / bandwidth, reads and writes apart (the
  micro-DMA runs them while the cluster computes; core 0 issues them)

(src/plan/cost.c, docs/PLANNER.md) and writes

  src/plan/cost_pulp.h   the constants the planner builds in for pulp-open
  OUT.json               constants, and per layer measured vs modeled from the
                         layer's own terms, with fit / validation labels
  OUT.md                 the same as tables (bench/README.md cites them)

Method: the L3 constants measured by bench/bench_l3_pulp.c (--l3-bench: its
GVSoC output; a line through its read and write cycles per size, its issue
cycles; without it the header's are kept); the L1 DMA constants from the DMA
wait of one-tile layers (nothing overlaps their first load and last store);
then per kernel row a non-negative least-squares fit of the relative error
(rows weighted by 1 / measured) on the layers of the training set, the
DMA-bound part and the L3 part of each layer taken from the previous
iterate; four rounds. Validation: --validate NET:OBJ holds named network
runs out of the fit (`make fit-pulp` holds out the dory objective's runs:
other tiles of the same networks, measured in the same run).

  .venv/bin/python bench/fit_pulp_cost.py bench/pulp_sweep.json bench/pulp_networks.json
"""
import argparse
import datetime
import json
import pathlib
import re
import subprocess
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
HEADER = ROOT / "src" / "plan" / "cost_pulp.h"
GVSOC_COMMIT = "209c147"

# The structure of each row (not fitted: what the kernels do; docs/PULP.md):
# C id, parallel split, split block, co/wo/ci inner blocks; rows without data
# take a measured row's constants (FALLBACK). conv2d_hwc and conv2d_hwc_1px
# split pixel groups x channel blocks: src/plan/cost.c models that split
# (split2d) whatever their parallel field says.
ROWS = {
    "conv2d_hwc": ("DORY_K_CONV2D", "PAR_ROWS", 1, 4, 1, 1),
    "conv2d_hwc_1px": ("DORY_K_CONV2D_1PX", "PAR_ROWS", 1, 4, 1, 1),
    "conv1x1": ("DORY_K_CONV1X1", "PAR_PIXELS", 4, 4, 1, 1),
    "dwconv3x3": ("DORY_K_DWCONV3X3", "PAR_CHANNELS", 1, 1, 1, 1),
    "dwconv": ("DORY_K_DWCONV", "PAR_CHANNELS", 1, 1, 1, 1),
    "grouped_conv2d": ("DORY_K_GROUPED", "PAR_ROWS", 1, 4, 1, 1),
    "grouped_conv1x1": ("DORY_K_GROUPED1X1", "PAR_PIXELS", 4, 4, 1, 1),
    "fc": ("DORY_K_FC", "PAR_CHANNELS", 4, 1, 1, 1),
    "maxpool": ("DORY_K_MAXPOOL", "PAR_CHANNELS", 4, 1, 1, 1),
    "avgpool": ("DORY_K_AVGPOOL", "PAR_CHANNELS", 4, 1, 1, 1),
    "add": ("DORY_K_ADD", "PAR_PIXELS", 1, 1, 1, 1),
}
# terms a row's kernel has no cost for (its column is left out of the fit):
# the per-pixel term where the kernel's work per pixel is already counted
# by its taps or planes
NO_TERM = {"conv2d_hwc": {"pixels"}, "conv2d_hwc_1px": {"pixels"}, "conv1x1": {"pixels"},
           "dwconv3x3": {"pixels"}, "dwconv": {"pixels"}, "grouped_conv2d": {"pixels"},
           "grouped_conv1x1": {"pixels"}, "fc": {"pixels"}}
FALLBACK = {"dwconv": "dwconv3x3", "grouped_conv2d": "conv2d_hwc",
            "grouped_conv1x1": "conv1x1"}
# requant classes (src/plan/plan.h: RqScheme order, then shift64)
RQC = ["none", "shift", "fixed", "float", "fixed_sr", "lut", "f32int", "qladd", "qladd_int",
       "shift64", "shift_unfused", "shift64_unfused", "add_req", "add_lin", "add_sat", "maxpool_2x2",
       "dw_portable"]
RQC_C = {"shift64": "RQC_SHIFT64", "shift_unfused": "RQC_SHIFT_UNFUSED",
         "shift64_unfused": "RQC_SHIFT64_UNFUSED", "add_req": "RQC_ADD_REQ",
         "add_lin": "RQC_ADD_LIN",
         "add_sat": "RQC_ADD_SAT", "maxpool_2x2": "RQC_MAXPOOL_2X2",
         "dw_portable": "RQC_DW_PORTABLE"}
# classes that are a kernel's own form (the Xpulp add's REQ, LIN and SAT, the max
# pooling's 2x2 fast path, the depthwise 3x3's portable loops: src/plan/layer.c,
# geom_form), not a requant: no
# other row takes their constant (cost.c falls back to the requant's class)
FORMS = {"add_req", "add_lin", "add_sat", "maxpool_2x2", "dw_portable"}
# the requant class of the outputs of tiles a form misses (term outs_base: the
# max pooling's channel tiles not in whole words; its fast path needs the
# identity epilogue, so the requant is none)
FORM_BASE = {"maxpool_2x2": "none"}


def epi_cols(L):
    """{requant class: outputs} of layer L: outs_base at its form's base class."""
    T, c = L["terms"], L["requant_class"]
    base = T.get("outs_base", 0.0) if c in FORM_BASE else 0.0
    cols = {c: T["outs"] - base}
    if base:
        cols[FORM_BASE[c]] = cols.get(FORM_BASE[c], 0.0) + base
    return cols
BASE = ["slices", "tiles", "dma_jobs", "mac_work", "input", "input_odd", "mac_tail", "mac_group",
        "mac_co", "mac_odd", "input_px", "stage_px", "pixels", "chan", "psum"]


def nnls(A, b, iters=200):
    """Lawson-Hanson non-negative least squares: min |Ax - b|, x >= 0."""
    m, n = A.shape
    x = np.zeros(n)
    P = np.zeros(n, dtype=bool)
    w = A.T @ (b - A @ x)
    for _ in range(iters):
        if P.all() or (w[~P] <= 1e-10 * max(1.0, np.abs(w).max())).all():
            break
        j = np.argmax(np.where(P, -np.inf, w))
        P[j] = True
        while True:
            z = np.zeros(n)
            z[P] = np.linalg.lstsq(A[:, P], b, rcond=None)[0]
            if (z[P] > 0).all():
                x = z
                break
            neg = P & (z <= 0)
            alpha = np.min(x[neg] / (x[neg] - z[neg]))
            x = x + alpha * (z - x)
            P &= x > 1e-12
        w = A.T @ (b - A @ x)
    return x


def load(paths, validate):
    """Layers of every run: one dict per measured layer."""
    layers = []
    for p in paths:
        d = json.loads(pathlib.Path(p).read_text())
        src = pathlib.Path(p).stem
        for run in d["runs"]:
            if run.get("same_as"):  # the same application as another run's: counted once
                continue
            for L in run.get("layers", []):
                # stale: planned otherwise by the model that relabeled it (relabel_pulp.py)
                if L.get("check") != "OK" or not L.get("terms") or L.get("stale"):
                    continue
                tag = f"{run['network']}:{run['objective']}"
                L = dict(L, network=run["network"], objective=run["objective"], source=src,
                         role="validate" if any(v in tag for v in validate) else "fit")
                layers.append(L)
    return layers


def l3_pipeline(n, c, r, w, first):
    """src/plan/cost.c l3_pipeline: the end of n slices of c cycles behind one
    L3 channel (reads r, writes w per slice; two staging copies)."""
    ch = rd_next = 2 * r
    end = first + max(c, r - first)
    i = 0
    while True:
        rd = rd_next
        if w > 0:
            ch = max(ch, end) + w
        if i + 2 < n:
            ch = max(ch, end) + r
        rd_next = ch
        if i + 1 >= n:
            return end
        end = max(end, rd) + c
        i += 1


class Model:
    def __init__(self):
        self.row = {}  # name -> dict of constants
        self.l1_lat, self.l1_bw = 30.0, 8.0
        self.l3 = header_l3()

    def l1(self, jobs, nbytes):
        return jobs * self.l1_lat + nbytes / self.l1_bw

    def l3_cycles(self, T, inner):
        """src/plan/cost.c cost_l3: L3 cycles of terms T around `inner` cycles."""
        jobs = T.get("l3_jobs", 0)
        if jobs <= 0:
            return 0.0
        c = self.l3
        wr_b, wr_j = T.get("l3_wr_bytes", 0), T.get("l3_wr_jobs", 0)
        rd_b, rd_j = T["l3_bytes"] - wr_b, jobs - wr_j
        xfer = lambda j, b, lat, bw: j * lat + b / bw if b > 0 else 0.0  # noqa: E731
        every = (xfer(rd_j, rd_b, c["latency"], c["bandwidth"]) +
                 xfer(wr_j, wr_b, c["wr_latency"], c["wr_bandwidth"]))
        last_b = T.get("l3_last_bytes", 0)
        last = xfer(1 if last_b > 0 else 0, last_b, c["wr_latency"], c["wr_bandwidth"])
        first = xfer(T.get("l3_first_jobs", 0), T.get("l3_first_bytes", 0), c["latency"],
                     c["bandwidth"])
        n = int(T.get("slices", 1))
        if n <= 1:
            return jobs * c["issue"] + first + last + max(every - first - last - inner, 0.0)
        rd = xfer(rd_j, rd_b, c["latency"], c["bandwidth"])
        wr = xfer(wr_j, wr_b, c["wr_latency"], c["wr_bandwidth"])
        end = l3_pipeline(n, inner / n, rd / n, wr / n, first)
        return jobs * c["issue"] + max(end - inner, 0.0) + last

    def parts(self, L):
        """(fixed, compute, first_last, dma, l3) cycles of layer L."""
        T, c = L["terms"], self.row.get(L["kernel"])
        if c is None:
            return None
        epi = c["epilogue"].get(L["requant_class"], c["epilogue_default"])
        base = T.get("outs_base", 0.0) if L["requant_class"] in FORM_BASE else 0.0
        epi_base = max(epi, c["epilogue"].get(FORM_BASE.get(L["requant_class"]), epi))
        comp = (T["mac_work"] * c["mac"] + T["input"] * c["input"] +
                T.get("input_odd", 0) * c["input_odd"] + T.get("mac_tail", 0) * c["mac_tail"] +
                T.get("mac_group", 0) * c["mac_group"] + T.get("mac_co", 0) * c["mac_co"] +
                T.get("mac_odd", 0) * c["mac_odd"] +
                T.get("input_px", 0) * c["input_px"] + T.get("stage_px", 0) * c["stage_px"] + T.get("pixels", 0) * c["pixel"] +
                T["chan"] * c["chan"] +
                (T["outs"] - base) * epi + base * epi_base + T["psum"] * c["psum"])
        fixed = T["slices"] * c["layer"] + T["tiles"] * c["tile"] + T["dma_jobs"] * c["job"]
        fl, dma = self.l1(T["fl_jobs"], T["fl_bytes"]), self.l1(T["dma_jobs"], T["dma_bytes"])
        l3 = self.l3_cycles(T, fixed + max(comp + fl, dma))
        return fixed, comp, fl, dma, l3

    def cycles(self, L):
        p = self.parts(L)
        if p is None:
            return None
        fixed, comp, fl, dma, l3 = p
        return fixed + max(comp + fl, dma) + l3


def fit_l1_dma(model, layers):
    """L1 latency and bandwidth from the DMA wait of one-tile layers."""
    one = [L for L in layers if L["terms"]["tiles"] == 1 and L["role"] == "fit"
           and L["terms"]["fl_bytes"] > 0]
    if len(one) < 3:
        return len(one)
    A = np.array([[L["terms"]["fl_jobs"], L["terms"]["fl_bytes"]] for L in one], float)
    y = np.array([L["dma_wait"] for L in one], float)
    wgt = 1.0 / np.maximum(y, 50.0)
    x = nnls(A * wgt[:, None], y * wgt)
    model.l1_lat = float(x[0])
    model.l1_bw = float(1.0 / x[1]) if x[1] > 1e-6 else 64.0
    return len(one)


def fit_rows(model, layers):
    """One NNLS per kernel row on the training layers; returns the rows' data counts."""
    counts = {}
    for name in ROWS:
        rows = [L for L in layers if L["kernel"] == name and L["role"] == "fit"]
        counts[name] = len(rows)
        if not rows:
            continue
        classes = sorted({k for L in rows for k in epi_cols(L)})
        cols = BASE + [f"outs:{c}" for c in classes]
        A, y = [], []
        for L in rows:
            T = L["terms"]
            prev = model.parts(L)
            # the part above compute + first_last (DMA-bound) and L3, from the previous iterate
            extra = 0.0
            fl = model.l1(T["fl_jobs"], T["fl_bytes"])
            l3 = model.l3_cycles(T, L["measured"])
            if prev is not None:
                _, comp, fl, dma, l3 = prev
                extra = max(comp + fl, dma) - comp - fl
            A.append([0.0 if b in NO_TERM.get(name, ()) else T.get(b, 0.0) for b in BASE] +
                     [epi_cols(L).get(c, 0.0) for c in classes])
            y.append(L["measured"] - fl - extra - l3)
        A, y = np.array(A, float), np.array(y, float)
        meas = np.array([L["measured"] for L in rows], float)
        wgt = 1.0 / meas
        scale = np.maximum(np.abs(A).max(axis=0), 1e-9)
        x = nnls(A * wgt[:, None] / scale, y * wgt) / scale
        v = dict(zip(cols, x))
        epi = {c: v[f"outs:{c}"] for c in classes}
        common = max(classes, key=lambda c: sum(L["requant_class"] == c for L in rows))
        model.row[name] = {"layer": v["slices"], "tile": v["tiles"], "job": v["dma_jobs"],
                           "mac": v["mac_work"],
                           "input": v["input"], "input_odd": v["input_odd"],
                           "mac_tail": v["mac_tail"], "mac_group": v["mac_group"],
                           "mac_co": v["mac_co"], "mac_odd": v["mac_odd"],
                           "input_px": v["input_px"], "stage_px": v["stage_px"],
                           "pixel": v["pixels"], "chan": v["chan"],
                           "psum": v["psum"],
                           "epilogue": epi, "epilogue_default": epi[common], "n": len(rows)}
    # a requant class a row was not measured with: the median of the rows that were
    # (the epilogue is the requant function per output, much the same in every kernel)
    seen = {}
    for c in model.row.values():
        for k, v in c["epilogue"].items():
            if not c.get("fallback") and k not in FORMS:
                seen.setdefault(k, []).append(v)
    for c in model.row.values():
        c["epilogue_median"] = sorted(k for k in seen if k not in c["epilogue"])
        for k in c["epilogue_median"]:
            c["epilogue"][k] = float(np.median(seen[k]))
    for name, base in FALLBACK.items():
        if counts[name] == 0 and base in model.row:
            model.row[name] = dict(model.row[base], n=0, fallback=base)
    return counts


def header_l3():
    """The L3 constants of the current src/plan/cost_pulp.h (kept without --l3-bench)."""
    c = {"issue": 0.0, "latency": 0.0, "bandwidth": 1.0, "wr_latency": 0.0, "wr_bandwidth": 1.0,
         "source": "?"}
    names = {"ISSUE": "issue", "LATENCY": "latency", "BANDWIDTH": "bandwidth",
             "WR_LATENCY": "wr_latency", "WR_BANDWIDTH": "wr_bandwidth"}
    if HEADER.exists():
        for line in HEADER.read_text().splitlines():
            f = line.split()
            m = re.match(r'#define PULP_FIT_L3_SOURCE "(.*)"$', line)
            if m:
                c["source"] = m.group(1)
            if len(f) == 3 and f[0] == "#define" and f[1].startswith("PULP_FIT_L3_"):
                k = names.get(f[1][len("PULP_FIT_L3_"):])
                if k:
                    c[k] = float(f[2])
    return c


def fit_l3_bench(text):
    """L3 constants from bench/bench_l3_pulp.c's table: per direction a line
    through cycles against bytes (the call's issue cycles taken out of the
    intercept: they are the issuing core's, never hidden)."""
    rows = []
    for line in text.splitlines():
        f = line.split()
        if len(f) == 7 and all(x.replace(".", "", 1).isdigit() for x in f):
            rows.append([float(x) for x in f])
    if len(rows) < 2:
        raise SystemExit("fit_pulp_cost: no bench_l3_pulp table in the --l3-bench file")
    r = np.array(rows)
    issue = float(np.mean(r[:, 5]))
    c = {"issue": issue, "source": f"measured by bench/bench_l3_pulp.c on GVSoC {GVSOC_COMMIT} "
                                   f"pulp-open, {len(rows)} sizes, {datetime.date.today().isoformat()}"}
    for col, lat, bw in ((1, "latency", "bandwidth"), (3, "wr_latency", "wr_bandwidth")):
        slope, icpt = np.polyfit(r[:, 0], r[:, col], 1)
        c[lat], c[bw] = max(float(icpt) - issue, 0.0), float(1.0 / slope)
    return c


def git_commit():
    try:
        return subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%h", "--",
                               "kernels", "runtime"], capture_output=True, text=True,
                              check=True).stdout.strip() or "?"
    except (OSError, subprocess.CalledProcessError):
        return "?"


def c_num(v):
    return f"{v:.6g}" if abs(v) >= 1e-9 else "0"



def write_header(model, source):
    out = [
        "/* cost_pulp.h: GENERATED by bench/fit_pulp_cost.py; do not edit. The PULP",
        " * cost model's constants (src/plan/cost.c), fitted on GVSoC runs; refit with",
        " * `make fit-pulp GVSOC=...` (docs/PLANNER.md, \"The PULP model\"). */",
        "/* clang-format off */",
        f"#define PULP_FIT_SOURCE \"{source}\"",
        f"#define PULP_FIT_L1_LATENCY   {c_num(model.l1_lat)}",
        f"#define PULP_FIT_L1_BANDWIDTH {c_num(model.l1_bw)}",
        f"#define PULP_FIT_L3_SOURCE \"{model.l3['source']}\"",
        f"#define PULP_FIT_L3_ISSUE {c_num(model.l3['issue'])}",
        f"#define PULP_FIT_L3_LATENCY {c_num(model.l3['latency'])}",
        f"#define PULP_FIT_L3_BANDWIDTH {c_num(model.l3['bandwidth'])}",
        f"#define PULP_FIT_L3_WR_LATENCY {c_num(model.l3['wr_latency'])}",
        f"#define PULP_FIT_L3_WR_BANDWIDTH {c_num(model.l3['wr_bandwidth'])}",
        "/* row, split, block, co/wo/ci blocks, layer, tile, DMA job, MAC/cycle, input,",
        " * input (channels not a multiple of 4), chan, psum, K % 4 tail tap, empty group slot MAC,",
        " * MAC of a core's channels after its 4-channel blocks, MAC of K > 32 not in whole",
        " * words, per-pixel im2col tap, first-layer output pixel, output pixel,",
        " * epilogue (default), epilogue by requant class (rows fitted on n layers) */",
        "static const PulpFitRow pulp_fit_rows[] = {",
    ]
    for name, (cid, par, blk, coa, woa, cia) in ROWS.items():
        c = model.row.get(name)
        if c is None:
            continue
        mpc = 1.0 / c["mac"] if c["mac"] > 1e-12 else 1e6
        # 0 in the table means "not fitted" (the default): a fitted 0 is written as 1e-6
        epi = ", ".join(f"[{RQC_C.get(k, 'RQ_' + k.upper())}] = "
                        f"{c_num(max(v, 1e-6))}" for k, v in sorted(c["epilogue"].items()))
        note = f"from {c['fallback']}" if c.get("fallback") else f"n = {c['n']}"
        out.append(f"    /* {name}: {note} */")
        out.append(f"    {{{cid}, {par}, {blk}, {coa}, {woa}, {cia}, {c_num(c['layer'])}, "
                   f"{c_num(c['tile'])}, {c_num(c['job'])}, {c_num(mpc)}, {c_num(c['input'])}, {c_num(c['input_odd'])}, "
                   f"{c_num(c['chan'])}, "
                   f"{c_num(c['psum'])}, {c_num(c['mac_tail'])}, {c_num(c['mac_group'])}, "
                   f"{c_num(c['mac_co'])}, {c_num(c['mac_odd'])}, {c_num(c['input_px'])}, "
                   f"{c_num(c['stage_px'])}, {c_num(c['pixel'])}, "
                   f"{c_num(c['epilogue_default'])}, "
                   f"{{{epi}}}}},")
    out += ["};", "/* clang-format on */"]
    HEADER.write_text("\n".join(out) + "\n")


def table(layers, model):
    rows = []
    for L in layers:
        mod = model.cycles(L)
        if mod is None:
            continue
        rows.append({"network": L["network"], "objective": L["objective"], "layer": L["layer"],
                     "kernel": L["kernel"], "requant_class": L["requant_class"],
                     "tiles": L["terms"]["tiles"], "measured": L["measured"],
                     "modeled": round(mod, 1), "planner_modeled": L["modeled"],
                     "err": mod / L["measured"] - 1, "role": L["role"], "source": L["source"]})
    return rows


def summary(rows, key):
    groups = {}
    for r in rows:
        groups.setdefault(key(r), []).append(abs(r["err"]))
    return {k: (len(v), max(v), float(np.median(v))) for k, v in groups.items()}


def markdown(rows, model, counts, source):
    out = [f"Constants: {source}.", "",
           f"L1 DMA: {model.l1_lat:.1f} cycles per transfer, {model.l1_bw:.2f} B/cycle "
           f"(fitted on the DMA wait of one-tile layers). L3 ({model.l3['source']}): "
           f"{model.l3['issue']:.0f} cycles of core 0 per transfer; reads "
           f"{model.l3['latency']:.0f} cycles + {model.l3['bandwidth']:.3f} B/cycle, writes "
           f"{model.l3['wr_latency']:.0f} + {model.l3['wr_bandwidth']:.3f} B/cycle.",
           "", "| kernel row | layers fitted | layer | tile | DMA job | MAC/cycle | input | input (odd) |"
           " K % 4 tail tap | empty group slot MAC | MAC (channels after the 4-blocks) |"
           " MAC (K > 32 odd) | per-pixel im2col tap | first-layer pixel |"
           " pixel | chan | psum | epilogue by requant class |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, c in model.row.items():
        epi = ", ".join(f"{k} {v:.2f}" for k, v in sorted(c["epilogue"].items()))
        mpc = 1 / c["mac"] if c["mac"] > 1e-12 else float("inf")
        fit = f"from {c['fallback']}" if c.get("fallback") else str(counts.get(name, 0))
        out.append(f"| {name} | {fit} | {c['layer']:.0f} | {c['tile']:.0f} | {c['job']:.1f} | {mpc:.2f} | "
                   f"{c['input']:.3f} | {c['input_odd']:.3f} | {c['mac_tail']:.3f} | "
                   f"{c['mac_group']:.4f} | {c['mac_co']:.4f} | {c['mac_odd']:.4f} | "
                   f"{c['input_px']:.3f} | {c['stage_px']:.2f} | "
                   f"{c['pixel']:.2f} | {c['chan']:.2f} | "
                   f"{c['psum']:.2f} | {epi} |")
    out += ["", "| set | layers | worst abs(modeled/measured - 1) | median |", "|---|---|---|---|"]
    for k, (n, worst, med) in sorted(summary(rows, lambda r: r["role"]).items()):
        out.append(f"| {k} | {n} | {100 * worst:.1f}% | {100 * med:.1f}% |")
    out += ["", "| network / sweep | objective | role | layers | worst | median |",
            "|---|---|---|---|---|---|"]
    for (net, obj, role), (n, worst, med) in sorted(
            summary(rows, lambda r: ("one-layer sweep" if "@" in r["network"] else r["network"],
                                     r["objective"], r["role"])).items()):
        out.append(f"| {net} | {obj} | {role} | {n} | {100 * worst:.1f}% | {100 * med:.1f}% |")
    out += ["", "| run | objective | layer | kernel | requant | tiles | measured | modeled |"
            " modeled/measured - 1 | role |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        out.append(f"| {r['network']} | {r['objective']} | {r['layer']} | {r['kernel']} | "
                   f"{r['requant_class']} | {r['tiles']:.0f} | {r['measured']} | "
                   f"{r['modeled']:.0f} | {100 * r['err']:+.1f}% | {r['role']} |")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("data", nargs="+", help="measurement JSON files (pulp_networks.py format)")
    ap.add_argument("--out", default=str(ROOT / "bench" / "pulp_fit"))
    ap.add_argument("--validate", default="",
                    help="comma-separated substrings of NETWORK:OBJECTIVE of network runs kept "
                         "out of the fit (default: none)")
    ap.add_argument("--no-header", action="store_true", help="do not rewrite src/plan/cost_pulp.h")
    ap.add_argument("--l3-bench", default="",
                    help="the GVSoC output of bench/bench_l3_pulp.c (make bench-l3-pulp): the L3 "
                         "constants (default: those of src/plan/cost_pulp.h)")
    a = ap.parse_args()
    val = [v for v in a.validate.split(",") if v]
    layers = load(a.data, [])
    # sweep runs are always fit data; validation holds out network runs only
    for L in layers:
        tag = f"{L['network']}:{L['objective']}"
        L["role"] = ("validate" if "@" not in L["network"] and any(v in tag for v in val)
                     else "fit")
    if not layers:
        print("fit_pulp_cost: no measured layers with model terms in " + " ".join(a.data),
              file=sys.stderr)
        return 2
    model = Model()
    if a.l3_bench:
        model.l3 = fit_l3_bench(pathlib.Path(a.l3_bench).read_text())
    n_dma = fit_l1_dma(model, layers)
    counts = {}
    for _ in range(4):
        counts = fit_rows(model, layers)
    source = (f"fitted on GVSoC {GVSOC_COMMIT} pulp-open, 8 cores: kernels at commit "
              f"{git_commit()}, {datetime.date.today().isoformat()}, "
              f"{sum(L['role'] == 'fit' for L in layers)} layers (bench/fit_pulp_cost.py)")
    rows = table(layers, model)
    out = pathlib.Path(a.out)
    consts = {"source": source, "l1_latency": model.l1_lat, "l1_bandwidth": model.l1_bw,
              "l3": model.l3, "dma_fit_layers": n_dma,
              "rows": model.row}
    out.with_suffix(".json").write_text(json.dumps({"constants": consts, "layers": rows},
                                                   indent=1) + "\n")
    out.with_suffix(".md").write_text(markdown(rows, model, counts, source))
    if not a.no_header:
        write_header(model, source)
    for k, (n, worst, med) in sorted(summary(rows, lambda r: r["role"]).items()):
        print(f"{k:9s} {n:4d} layers: worst {100 * worst:5.1f}%  median {100 * med:5.1f}%")
    print(f"wrote {out.with_suffix('.json')}, {out.with_suffix('.md')}"
          + ("" if a.no_header else f" and {HEADER.relative_to(ROOT)}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
