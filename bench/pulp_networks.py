#!/usr/bin/env python3
"""bench/pulp_networks.py: whole networks measured on GVSoC's pulp-open.

Deploys the example (examples/kws_dscnn.onnx, -t pulp-open) and DORY's four
regression networks of ../shared/models/dory (-t pulp-open --l1 53084
--l2 448000, their own input.txt, as docs/PULP.md says) with each planner
objective, runs every application with `make run-gvsoc`, requires every
layer bit-exact with the reference interpreter, and writes

  OUT.json  per network, objective and layer: kernel, MACs, modeled cycles
            and the model's terms (report.json's "modeled"), measured cycles,
            DMA wait cycles, check; the input of bench/fit_pulp_cost.py
  OUT.md    the per-layer tables and the totals against DORY's published
            MAC/cycle (bench/README.md includes them)

GVSoC is not part of dory: without --gvsoc (or $GVSOC) this says so and
exits 2; without ../shared it says so and measures the example alone.
This script measures; it does not fit (bench/fit_pulp_cost.py does).

  .venv/bin/python bench/pulp_networks.py --gvsoc .../bin/gvsoc [--host]
"""
import argparse
import concurrent.futures
import hashlib
import json
import os
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "py"))

SHARED = ROOT.parent / "shared" / "models" / "dory"
DORY_FLAGS = ["-t", "pulp-open", "--l1", "53084", "--l2", "448000"]
# folder, DORY's published MAC/cycle on GVSoC (GAP8, 8 cores)
NETWORKS = [
    ("dscnn_test", 2.98),
    ("PenguiNet_32", 4.79),
    ("Residual_connection_test_1", 6.44),
    ("Quantlab_Dronet", 5.75),
]
# the dory binary (DORY=...: a copy, so that rebuilding during a run changes nothing)
DORY = pathlib.Path(os.environ.get("DORY", ROOT / "build" / "dory"))
EXAMPLE = ("example (kws_dscnn)", ROOT / "examples" / "kws_dscnn.onnx")
OBJECTIVES = ["exact", "dory"]

PROFILE = re.compile(r"^profile: (\S+)\s+(-?\d+)\s+(\d+)\s+([\d.]+)\s+(\d+)\s*$")
ROW = re.compile(r"^(\S+)\s+(-?\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(.*)$")


def dory_input(folder, npy):
    """DORY's input.txt (channels last) as the model's NCHW uint8 .npy."""
    import numpy as np
    from test_onnx_dory import model_input_shape, read_golden

    model = sorted(folder.glob("*.onnx"))[0]
    shape = model_input_shape(model)
    c = shape[1]
    h, w = (shape[2], shape[3]) if len(shape) == 4 else (1, shape[2])
    _, vals = read_golden(folder / "input.txt")
    x = vals.reshape(h, w, c).transpose(2, 0, 1).reshape(shape)
    np.save(npy, np.ascontiguousarray(x.astype(np.uint8)))
    return model


def run(cmd, log, **kw):
    r = subprocess.run([str(c) for c in cmd], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, **kw)
    log.write_text(r.stdout)
    return r


def parse_run(text):
    """Per layer of a run's output: cycles, DMA wait and the check column."""
    layers, checks = {}, {}
    for line in text.splitlines():
        m = PROFILE.match(line)
        if m and m.group(1) not in ("layer", "total"):
            layers[m.group(1)] = {"measured": int(m.group(3)), "dma_wait": int(m.group(5))}
            continue
        m = ROW.match(line)
        if m:
            checks[m.group(1)] = m.group(8).strip()
    return layers, checks


def app_dir(work, name, objective):
    return work / f"{re.sub(r'[^A-Za-z0-9_]', '_', name)}-{objective}"


def deploy(name, model, flags, objective, work, gvsoc, reuse=False):
    """Deploys one network with one objective; returns its record (errors if
    it failed). reuse: keep an application already run (report.json, gvsoc.log)."""
    app = app_dir(work, name, objective)
    app.mkdir(parents=True, exist_ok=True)
    rec = {"network": name, "objective": objective, "app": str(app), "errors": []}
    if reuse and (app / "report.json").exists() and ((app / "gvsoc.log").exists() or not gvsoc):
        rec["reused"] = True  # its run is read (or, without one, it may be another's copy)
        return rec
    if reuse and not gvsoc:
        rec["errors"].append("not deployed yet")
        return rec
    r = run([DORY, "deploy", model, *flags, "--objective", objective,
             "-o", app], app / "deploy.log")
    if r.returncode:
        rec["errors"].append(f"deploy failed ({app / 'deploy.log'})")
    return rec


# what an application runs: two with the same files run the same code on the
# same data (report.json, the plan's description, may differ in its notes)
APP_CODE = ("src", "inc", "weights", "test", "kernels", "runtime", "Makefile")


def app_code(app):
    h = hashlib.sha256()
    for part in APP_CODE:
        p = pathlib.Path(app) / part
        for f in sorted(p.rglob("*")) if p.is_dir() else [p]:
            if f.is_file():
                h.update(str(f.relative_to(app)).encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


def run_app(rec, gvsoc, host):
    """Runs a deployed application on GVSoC (and the host HAL); returns rec collected."""
    app = pathlib.Path(rec["app"])
    if rec["errors"]:
        return rec
    if rec.pop("reused", False):
        if not (app / "gvsoc.log").exists():
            rec["errors"].append("not run yet")
            return rec
        return collect(rec, app, None)
    r = run(["make", "-C", app, "run-gvsoc", f"GVSOC={gvsoc}"], app / "gvsoc.log")
    if r.returncode:
        rec["errors"].append(f"make run-gvsoc exited {r.returncode} ({app / 'gvsoc.log'})")
    if host:
        h = run(["make", "-C", app, "run"], app / "host.log")
        rec["host"] = "OK" if h.returncode == 0 else f"FAIL ({app / 'host.log'})"
        if h.returncode:
            rec["errors"].append(f"host run failed ({app / 'host.log'})")
    return collect(rec, app, r.stdout)


def collect(rec, app, text):
    """The record of an application's run: its report.json and run output."""
    report = json.loads((app / "report.json").read_text())
    measured, checks = parse_run(text if text is not None else (app / "gvsoc.log").read_text())
    rows = []
    for L in report["layers"]:
        if L.get("status") != "ok" or "modeled" not in L:
            continue
        m = measured.get(L["name"])
        if m is None:
            rec["errors"].append(f"layer {L['name']}: no profile line")
            continue
        check = checks.get(L["name"], "?")
        if check != "OK":
            rec["errors"].append(f"layer {L['name']}: check {check}")
        mod = L["modeled"]
        rows.append({
            "layer": L["name"], "kernel": L["kernel"]["name"], "kind": L["kernel"]["cost_kind"],
            "macs": L["macs"], "modeled": mod["cycles"], "terms": mod.get("terms", {}),
            "requant_class": mod.get("requant_class", "?"), "exposed_dma": mod["exposed_dma"],
            "l3_modeled": mod["l3"], "l3_bytes": L["dma"]["l3l2_bytes"],
            "l3_jobs": L["l3"]["dma_jobs"],
            "tiles": {d: L["tiles"][d]["n"] for d in ("co", "ho", "wo", "ci")},
            "measured": m["measured"], "dma_wait": m["dma_wait"], "check": check,
        })
    rec["layers"] = rows
    rec["model_source"] = report["target"].get("cost_model", "?")
    return rec


def measure_all(tasks, work, gvsoc, host, reuse, jobs):
    """Deploys and runs (name, model, flags, objective) tasks, `jobs` at a time.
    An application whose code is the same as an earlier task's of the same
    name (the objectives chose the same plan) is not run again: its record
    has that run's measurements and says so ("same_as": the objective)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as ex:
        recs = list(ex.map(lambda t: deploy(*t, work, gvsoc, reuse), tasks))
        first, same = {}, {}
        for i, rec in enumerate(recs):
            if rec["errors"]:
                continue
            key = (rec["network"], app_code(rec["app"]))
            if key in first:
                same[i] = first[key]
            else:
                first[key] = i
        todo = [i for i in range(len(recs)) if i not in same]
        for i, rec in zip(todo, ex.map(lambda i: run_app(recs[i], gvsoc, host), todo)):
            recs[i] = rec
    for i, j in same.items():
        orig, rec = recs[j], recs[i]
        rec.pop("reused", None)
        if orig["errors"]:
            rec["errors"] += orig["errors"]
            continue
        text = (pathlib.Path(orig["app"]) / "gvsoc.log").read_text()
        rec = collect(rec, pathlib.Path(rec["app"]), text)
        rec["same_as"] = orig["objective"]
        if "host" in orig:
            rec["host"] = orig["host"]
        recs[i] = rec
    return recs


def run_errors(recs, prog):
    """Prints every run's errors under prog's name; returns how many."""
    bad = [f"{r['network']} ({r['objective']}): {e}" for r in recs for e in r["errors"]]
    for b in bad:
        print(f"{prog}: {b}", file=sys.stderr)
    return len(bad)


def fmt_table(rec, published):
    out = [f"#### {rec['network']}, objective {rec['objective']}", "",
           "| layer | kernel | MACs | modeled | measured | measured/modeled | MAC/cycle | "
           "DMA wait | check |", "|---|---|---|---|---|---|---|---|---|"]
    for r in rec.get("layers", []):
        out.append(f"| {r['layer']} | {r['kernel']} | {r['macs']} | {r['modeled']:.0f} | "
                   f"{r['measured']} | {r['measured'] / max(r['modeled'], 1):.3f} | "
                   f"{r['macs'] / max(r['measured'], 1):.2f} | {r['dma_wait']} | {r['check']} |")
    t = totals(rec)
    out.append(f"| total | | {t['macs']} | {t['modeled']:.0f} | {t['measured']} | "
               f"{t['measured'] / max(t['modeled'], 1):.3f} | {t['mpc']:.2f} | {t['wait']} | |")
    return out + [""]


def totals(rec):
    L = rec.get("layers", [])
    macs, meas = sum(r["macs"] for r in L), sum(r["measured"] for r in L)
    return {"macs": macs, "measured": meas, "modeled": sum(r["modeled"] for r in L),
            "wait": sum(r["dma_wait"] for r in L), "mpc": macs / meas if meas else 0.0,
            "worst": max((abs(r["measured"] / max(r["modeled"], 1) - 1) for r in L), default=0)}


def model_check(recs):
    """Per network and layer, both objectives: modeled vs measured cycles."""
    err = lambda r: r["modeled"] / max(r["measured"], 1) - 1  # noqa: E731
    nets = {}
    for rec in recs:
        nets.setdefault(rec["network"], {})[rec["objective"]] = rec.get("layers", [])
    out = ["| network | objective | layers | worst abs(modeled/measured - 1) | median |",
           "|---|---|---|---|---|"]
    for net, objs in nets.items():
        for obj, L in objs.items():
            e = sorted(abs(err(r)) for r in L)
            if e:
                out.append(f"| {net} | {obj} | {len(e)} | {100 * e[-1]:.1f}% | "
                           f"{100 * e[len(e) // 2] if len(e) % 2 else 50 * (e[len(e) // 2 - 1] + e[len(e) // 2]):.1f}% |")
    out += ["", "| network | layer | kernel | exact: tiles | measured | modeled | error | "
            "dory: tiles | measured | modeled | error |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for net, objs in nets.items():
        ex = {r["layer"]: r for r in objs.get("exact", [])}
        for d in objs.get("dory", []):
            e = ex.get(d["layer"])
            cells = []
            for r in (e, d):
                if r is None:
                    cells.append("- | - | - | -")
                    continue
                t = r["tiles"]
                cells.append(f"{t['ho']}:{t['wo']}:{t['co']}:{t['ci']} | {r['measured']} | "
                             f"{r['modeled']:.0f} | {100 * err(r):+.1f}%")
            out.append(f"| {net} | {d['layer']} | {d['kernel']} | {cells[0]} | {cells[1]} |")
    return out + [""]


def markdown(recs, published):
    out = ["| network | objective | layers | MACs | measured cycles | MAC/cycle | DORY published |"
           " ratio | modeled cycles | worst layer: measured/modeled - 1 | DMA wait | check |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for rec in recs:
        t, pub = totals(rec), published.get(rec["network"])
        ok = "all OK" if not rec["errors"] else "; ".join(rec["errors"])
        if rec.get("same_as"):
            ok += f" (the {rec['same_as']} objective's application: same code, run once)"
        out.append(f"| {rec['network']} | {rec['objective']} | {len(rec.get('layers', []))} | "
                   f"{t['macs']} | {t['measured']} | {t['mpc']:.2f} | "
                   f"{pub if pub else '-'} | {'%.2fx' % (t['mpc'] / pub) if pub else '-'} | "
                   f"{t['modeled']:.0f} | {100 * t['worst']:.1f}% | {t['wait']} | {ok} |")
    out.append("")
    byobj = {}
    for rec in recs:
        byobj.setdefault(rec["network"], {})[rec["objective"]] = totals(rec)["measured"]
    if all(len(v) == 2 for v in byobj.values()):
        out += ["| network | exact: cycles | dory: cycles | exact / dory |", "|---|---|---|---|"]
        for net, v in byobj.items():
            out.append(f"| {net} | {v['exact']} | {v['dory']} | {v['exact'] / max(v['dory'], 1):.3f} |")
        out.append("")
    out += ["Modeled (the planner's cost model, report.json) vs measured cycles per layer; "
            "tiles h:w:co:ci:", ""] + model_check(recs)
    for rec in recs:
        out += fmt_table(rec, published)
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gvsoc", default=os.environ.get("GVSOC", ""), help="GVSoC's bin/gvsoc")
    ap.add_argument("--work", default=str(ROOT / "build" / "bench-networks"),
                    help="where the applications are generated")
    ap.add_argument("--out", default=str(ROOT / "bench" / "pulp_networks"),
                    help="OUT.json and OUT.md are written")
    ap.add_argument("--objectives", default=",".join(OBJECTIVES))
    ap.add_argument("--only", default="", help="comma-separated network names (default: all)")
    ap.add_argument("--host", action="store_true", help="also `make run` each app (host HAL)")
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--reuse", action="store_true",
                    help="read the applications' earlier runs in --work where present "
                         "(without --gvsoc: only those)")
    a = ap.parse_args()
    if not a.gvsoc and not a.reuse:
        print("bench-networks-pulp: no GVSoC given: make bench-networks-pulp GVSOC=/path/to/bin/gvsoc"
              " (GVSoC is not part of dory; docs/PULP.md)", file=sys.stderr)
        return 2
    if not DORY.exists():
        print("bench-networks-pulp: build/dory missing: run make first", file=sys.stderr)
        return 2
    work = pathlib.Path(a.work)
    work.mkdir(parents=True, exist_ok=True)
    jobs = [(EXAMPLE[0], EXAMPLE[1], ["-t", "pulp-open"])]
    published = {}
    if SHARED.is_dir():
        for net, pub in NETWORKS:
            published[net] = pub
            jobs.append((net, dory_input(SHARED / net, work / f"{net}.npy"), DORY_FLAGS +
                         ["--input", work / f"{net}.npy"]))
    else:
        print(f"bench-networks-pulp: {SHARED} is absent: DORY's networks are not measured, "
              "the example only", file=sys.stderr)
    if a.only:
        keep = a.only.split(",")
        jobs = [j for j in jobs if j[0] in keep or j[0].split()[0] in keep]
    tasks = [(n, m, f, o) for n, m, f in jobs for o in a.objectives.split(",")]
    recs = measure_all(tasks, work, a.gvsoc, a.host, a.reuse, a.jobs)
    out = pathlib.Path(a.out)
    out.with_suffix(".json").write_text(json.dumps(
        {"gvsoc": a.gvsoc, "published": published, "runs": recs}, indent=1) + "\n")
    out.with_suffix(".md").write_text(markdown(recs, published) + "\n")
    for r in recs:
        t = totals(r)
        print(f"{r['network']:28s} {r['objective']:6s} {t['measured']:>10} cycles "
              f"{t['mpc']:6.2f} MAC/cycle  modeled {t['modeled']:>10.0f}  worst layer "
              f"{100 * t['worst']:5.1f}%  {'OK' if not r['errors'] else 'FAIL'}")
    bad = run_errors(recs, "bench-networks-pulp")
    print(f"wrote {out.with_suffix('.json')} and {out.with_suffix('.md')}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
