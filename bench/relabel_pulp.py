#!/usr/bin/env python3
"""bench/relabel_pulp.py: stored GVSoC measurements given the current model's term counts.

A change of the cost model's structure (a new term, a count redefined:
src/plan/cost.c) leaves the term counts stored with the measurements of
bench/pulp_sweep.json, pulp_fit_networks.json and pulp_networks.json stale,
while their measured cycles stay valid for the same plans. This re-plans
every stored run with a dory built from the current tree and the constants
that planned the run (DORY=..., e.g. the header of the fit the run was
measured under), checks per layer that the plan is the measured one (tile
counts, L2<->L1 DMA and L3 transfers: counts no structural change of the
compute terms touches) and writes the current term counts and requant
class into the record. A layer planned otherwise is marked `"stale": true`
(bench/fit_pulp_cost.py leaves it out). Sweep runs are re-planned on the
sweep's own graphs (bench/pulp_sweep.py, regenerated into --work).

  DORY=/tmp/dory-old .venv/bin/python bench/relabel_pulp.py bench/pulp_sweep.json
"""
import argparse
import json
import os
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import pulp_networks as pn  # noqa: E402

# what identifies a layer's plan (not the compute counts a change redefines)
PLAN_KEYS = ("tiles", "dma_jobs", "dma_bytes", "fl_jobs", "fl_bytes", "l3_bytes", "l3_jobs")


def sweep_models(work):
    """Graph files of the sweep's applications, by group name (sweepN)."""
    import pulp_sweep as ps
    work.mkdir(parents=True, exist_ok=True)
    shapes = list(enumerate(ps.SHAPES))
    out = {}
    for gi, grp in enumerate(ps.groups(shapes, ps.GROUP_BYTES)):
        name = f"sweep{gi}"
        model = work / f"{name}.dory"
        model.write_text(ps.model_text(name, grp, work))
        out[name] = model
    return out, dict(ps.CONFIGS)


def run_args(rec, sweeps, configs):
    """Model and flags of a stored run, as pulp_networks.py / pulp_sweep.py deploy it."""
    net = rec["network"]
    if "@" in net:
        group, label = net.split("@")
        return sweeps[group], list(configs[label])
    if net.startswith("example"):
        return pn.EXAMPLE[1], ["-t", "pulp-open"]
    return sorted((pn.SHARED / net).glob("*.onnx"))[0], list(pn.DORY_FLAGS)


def same_plan(now, stored):
    if now["tiles"] != stored["tiles"]:
        return False
    return all(abs(now["terms"].get(k, 0) - stored["terms"].get(k, 0)) <= 0.11
               for k in PLAN_KEYS if k != "tiles")


def relabel(path, dory, work, sweeps, configs):
    d = json.loads(path.read_text())
    kept = stale = 0
    for rec in d["runs"]:
        if rec.get("errors") or not rec.get("layers"):
            continue
        model, flags = run_args(rec, sweeps, configs)
        out = work / (re.sub(r"[^A-Za-z0-9_]", "_", rec["network"]) + f"-{rec['objective']}.json")
        subprocess.run([dory, "inspect", str(model), *flags, "--objective", rec["objective"],
                        "--report-json", str(out)], check=True, capture_output=True, text=True)
        report = json.loads(out.read_text())
        now = {}
        for L in report["layers"]:
            if L.get("status") == "ok" and "modeled" in L:
                now[L["name"]] = {"terms": L["modeled"]["terms"],
                                  "requant_class": L["modeled"]["requant_class"],
                                  "tiles": {k: L["tiles"][k]["n"] for k in ("co", "ho", "wo", "ci")}}
        for L in rec["layers"]:
            n = now.get(L["layer"])
            L.pop("stale", None)
            if n is None or not same_plan(n, L):
                L["stale"] = True
                stale += 1
                continue
            L["terms"], L["requant_class"] = n["terms"], n["requant_class"]
            kept += 1
    path.write_text(json.dumps(d, indent=1) + "\n")
    return kept, stale


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("data", nargs="+", help="measurement JSON files, rewritten in place")
    ap.add_argument("--work", default=str(ROOT / "build" / "relabel"))
    a = ap.parse_args()
    dory = os.environ.get("DORY", str(ROOT / "build" / "dory"))
    work = pathlib.Path(a.work)
    sweeps, configs = sweep_models(work / "sweep")
    for p in a.data:
        kept, stale = relabel(pathlib.Path(p), dory, work, sweeps, configs)
        print(f"{p}: {kept} layers relabeled, {stale} planned otherwise than measured (stale)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
