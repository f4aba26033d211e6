#!/usr/bin/env python3
"""bench/cm_layers.py: per-layer instructions and MACs per instruction of
whole networks on the Cortex-M targets (make bench-cm-layers): each model is
deployed with build/dory for cortex-m4 and cortex-m7, run under QEMU
(`make run-qemu`, every layer checked), and its layer table is printed as
Markdown. Counts are retired instructions (docs/CORTEX_M.md).

usage: cm_layers.py DORY OUTDIR MODEL[:INPUT] ...
A model that does not exist is reported and skipped (../shared is optional).
"""
import os
import pathlib
import subprocess
import sys

TARGETS = ["cortex-m4", "cortex-m7"]
ENV = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}


def run(dory, model, inp, target, app):
    cmd = [dory, "deploy", model, "-t", target, "-o", str(app)]
    if inp:
        cmd += ["--input", inp]
    subprocess.run(cmd, check=True, capture_output=True)
    r = subprocess.run(["make", "-s", "--no-print-directory", "-C", str(app), "run-qemu"],
                       capture_output=True, text=True, env=ENV)
    if r.returncode != 0:
        raise SystemExit(f"{model} on {target} failed:\n{r.stdout}{r.stderr}")
    rows = []
    for line in r.stdout.splitlines()[1:-1]:
        f = line.split()
        if len(f) >= 8 and f[1].isdigit():
            rows.append((f[0], int(f[1]), int(f[6]), f[7]))
    return rows


def main(argv):
    dory, out = argv[0], pathlib.Path(argv[1])
    for spec in argv[2:]:
        model, _, inp = spec.partition(":")
        if not pathlib.Path(model).exists():
            print(f"\n{model}: absent, skipped")
            continue
        tables = {t: run(dory, model, inp, t, out / (pathlib.Path(model).parent.name + t))
                  for t in TARGETS}
        print(f"\n### {model}\n")
        print("| layer | MACs | M4 instr | M4 MAC/instr | M7 instr | M7 MAC/instr | check |")
        print("|---|---|---|---|---|---|---|")
        tot = {t: [0, 0] for t in TARGETS}
        for a, b in zip(tables["cortex-m4"], tables["cortex-m7"]):
            cells = [a[0], str(a[1])]
            for t, r in (("cortex-m4", a), ("cortex-m7", b)):
                cells += [str(r[2]), f"{r[1] / r[2]:.3f}"]
                tot[t][0] += r[1]
                tot[t][1] += r[2]
            cells.append(a[3] if a[3] == b[3] else f"{a[3]}/{b[3]}")
            print("| " + " | ".join(cells) + " |")
        cells = ["total", str(tot["cortex-m4"][0])]
        for t in TARGETS:
            cells += [str(tot[t][1]), f"{tot[t][0] / tot[t][1]:.3f}"]
        print("| " + " | ".join(cells) + " | |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
