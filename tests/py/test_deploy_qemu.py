"""Generated applications on bare-metal RV32 under QEMU (`make run-qemu`):
the same C, built with riscv64-unknown-elf-gcc -march=rv32imc and picolibc,
runs on one hart with runtime/riscv/dory_hal_riscv.c and must match the
reference interpreter on every layer; its per-layer time column is retired
instructions (minstret under -icount), identical from run to run."""
import pathlib
import re
import subprocess

import pytest

from conftest import CLEAN_ENV
from test_deploy import check_app_ok

ROOT = pathlib.Path(__file__).resolve().parents[2]
CASES = {
    "kws_tiny_l1_3k": (ROOT / "examples" / "kws_tiny.dory", ["--l1", "30300"]),
    "kws_tiny_l3": (ROOT / "examples" / "kws_tiny.dory",
                    ["--l2", "6000", "--code-reserve", "0", "--l1", "30300"]),
    "kws_dscnn_onnx": (ROOT / "examples" / "kws_dscnn.onnx", []),
}


def run_qemu(app):
    return subprocess.run(["make", "-s", "--no-print-directory", "-C", str(app), "run-qemu"],
                          capture_output=True, text=True, timeout=900, env=CLEAN_ENV)


@pytest.mark.parametrize("case", sorted(CASES))
def test_app_runs_bit_exact_under_qemu(dory, run_dory, tmp_path, case):
    model, opts = CASES[case]
    app = tmp_path / "app"
    run_dory(dory, "deploy", model, "-t", "gap8", *opts, "-o", app)
    first = run_qemu(app)
    check_app_ok(first, case)
    assert re.search(r"\binstr\b", first.stdout.splitlines()[0])
    counts = [int(line.split()[6]) for line in first.stdout.splitlines()[1:-1]]
    assert all(c > 0 for c in counts)
    if case == "kws_tiny_l3":
        assert sum(int(line.split()[4]) for line in first.stdout.splitlines()[1:-1]) > 0
    second = run_qemu(app)
    assert second.stdout == first.stdout, "instruction counts differ between two runs"
