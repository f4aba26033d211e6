#!/usr/bin/env python3
"""bench/cm_table.py: the Cortex-M kernel table of issue 13 from the runs of
bench/bench_kernels.c (make bench-cm): instructions per MAC (per element for
add) of dory's kernels on rv32imc and on Cortex-M4/M7 with and without the
Arm DSP path, on the TFLite quantization (int8, input zero point -128,
per-channel FIXED requantization), beside CMSIS-NN's figures, which are
fixed reference values (measured once with GCC 12 -O3 under QEMU 7.2, as
the issue states; CMSIS-NN is not built here).

usage: cm_table.py RUN=FILE ...   (RUN: rv32, m4, m4-dsp, m7, m7-dsp)
Prints a Markdown table; exits 1 if a run's kernel output differed from the
baseline, or a shape is missing.
"""
import sys

# shape name in bench_kernels.c -> (CMSIS-NN M4 DSP instr/MAC, goal)
REFERENCE = {
    "conv 3x3 s1 p1 16->16 32x32": (2.32, 2.09),
    "conv 3x3 s2 p1 3->8 96x96": (6.10, 4.5),
    "pointwise 64->64 25x5": (2.04, 1.84),
    "pointwise 32->64 24x24": (2.64, 2.38),
    "depthwise 3x3 s1 p1 64ch 25x5": (8.09, 5.0),
    "depthwise 3x3 s2 p1 32ch 48x48": (8.67, 5.0),
    "fc 640->128": (1.95, 1.76),
    "fc 256->12": (2.11, 1.90),
    "add 16x16x32": (79.2, 20.0),
}
RUNS = ["rv32", "m4", "m4-dsp", "m7", "m7-dsp"]
TITLES = {"rv32": "rv32imc", "m4": "M4 portable", "m4-dsp": "M4 DSP", "m7": "M7 portable",
          "m7-dsp": "M7 DSP"}


def parse(path):
    """{shape: instr per unit} of the 'tflite' rows; raises on a mismatch."""
    rows = {}
    for line in open(path, encoding="utf-8", errors="replace"):
        if "MISMATCH" in line:
            raise SystemExit(f"{path}: {line.strip()}")
        if not line.startswith("tflite "):
            continue
        fields = line.split()
        name = " ".join(fields[1:-8])  # then: unit, units, instr, /unit, base, /unit, ratio, -
        rows[name] = (int(fields[-6]), float(fields[-5]))
    return rows


def main(argv):
    runs = dict(a.split("=", 1) for a in argv)
    data = {r: parse(runs[r]) for r in RUNS if r in runs}
    head = ["shape", "CMSIS-NN M4 DSP", "goal"] + [TITLES[r] for r in RUNS if r in data]
    print("| " + " | ".join(head) + " | M4 DSP vs goal |")
    print("|" + "---|" * (len(head) + 1))
    bad = 0
    for shape, (cmsis, goal) in REFERENCE.items():
        cells = [shape, f"{cmsis:.2f}", f"<= {goal:g}"]
        for r in RUNS:
            if r not in data:
                continue
            if shape not in data[r]:
                print(f"{r}: shape '{shape}' missing", file=sys.stderr)
                bad = 1
                cells.append("?")
                continue
            cells.append(f"{data[r][shape][1]:.2f}")
        verdict = "-"
        if "m4-dsp" in data and shape in data["m4-dsp"]:
            v = data["m4-dsp"][shape][1]
            verdict = "met" if v <= goal else f"NOT met (+{100 * (v / goal - 1):.0f}%)"
        print("| " + " | ".join(cells) + f" | {verdict} |")
    return bad


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
