#!/usr/bin/env python3
"""pulp_stack_usage.py: the worst-case stack of each kernel on the PULP
cluster, from GCC's call graph with frame sizes (-fcallgraph-info=su) of the
pulp-open build (runtime/pulp/app.mk's flags, Xpulp instructions): for each
function, its frame plus the deepest of its callees'. The assembly cores
count their own frames; calls out of the compiled files (libgcc's soft
float, picolibc) count 0 and are listed; an indirect call is not followed
(a worker runs dory_pulp_cluster_entry > on_core > the layer's kernel). Prints the kernels' entry points, dory_exec.c's
worker job and the worker loop of runtime/pulp (docs/PULP.md, "Stacks").
Measures only; the paint watermark of a run (dory_hal_deinit's line) is the
measured use.
  python3 bench/pulp_stack_usage.py [--cc riscv64-unknown-elf-gcc]
"""
import argparse
import glob
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FLAGS = ["-march=rv32imc", "-mabi=ilp32", "-O3", "-std=c99", "-ffp-contract=off",
         "-DDORY_XPULP_INSN", "--specs=picolibc.specs", "-fcallgraph-info=su",
         "-Ikernels", "-Iruntime", "-Iruntime/pulp", "-c"]
NODE = re.compile(r'node: \{ title: "([^"]+)" label: "[^\\"]*\\n[^\\"]*\\n(\d+) bytes')
EXTERN = re.compile(r'node: \{ title: "([^"]+)" label: "[^"]*" shape : ellipse')
# the assembly cores of kernels/dory_mm_xpulp_s8.c (their `addi sp, sp, -N`)
ASM_FRAMES = {"dory__mm4x4_xp": 64, "dory__mm4x4_xpf": 96, "dory__mm4x4_xpf64": 96,
              "dory__mm4x4_xpf32h": 96, "dory__mm4x4_xpf32l": 96}
EDGE = re.compile(r'edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"')


def graph(cc, work):
    frame, calls, extern = dict(ASM_FRAMES), {}, set()
    srcs = sorted(glob.glob(os.path.join(ROOT, "kernels", "*.c")))
    srcs += [os.path.join(ROOT, "runtime", "dory_exec.c"),
             os.path.join(ROOT, "runtime", "pulp", "dory_hal_pulp.c")]
    for src in srcs:
        out = os.path.join(work, os.path.basename(src) + ".o")
        subprocess.run([cc] + FLAGS + [src, "-o", out], cwd=ROOT, check=True)
        with open(out[:-2] + ".ci") as f:
            text = f.read()
        for name, size in NODE.findall(text):
            frame[name] = int(size)
        extern.update(EXTERN.findall(text))
        for a, b in EDGE.findall(text):
            calls.setdefault(a, set()).add(b)
    return frame, calls, extern - set(frame)


def depth(fn, frame, calls, memo, path=()):
    if fn in memo:
        return memo[fn]
    if fn in path:  # recursion: not in the kernels; count the cycle once
        return 0
    best, via = 0, []
    for callee in calls.get(fn, ()):
        d, chain = depth(callee, frame, calls, memo, path + (fn,))
        if d > best:
            best, via = d, chain
    memo[fn] = (frame.get(fn, 0) + best, [fn] + via)
    return memo[fn]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cc", default="riscv64-unknown-elf-gcc")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as work:
        frame, calls, extern = graph(args.cc, work)
    memo = {}
    short = lambda n: n.rsplit(":", 1)[-1]
    entries = sorted(n for n in frame if re.fullmatch(r"dory_[a-z0-9_]+_s8", n))
    entries += [n for n in frame if short(n) in ("on_core", "dory_pulp_cluster_entry")]
    print(f"{'entry':36} {'bytes':>5}  deepest chain (frame bytes)")
    for e in entries:
        d, chain = depth(e, frame, calls, memo)
        print(f"{short(e):36} {d:5}  " + " > ".join(f"{short(c)}({frame.get(c, 0)})" for c in chain))
    print("not counted (outside the compiled files):", " ".join(sorted(short(n) for n in extern)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
