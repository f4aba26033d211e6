"""Generated applications on bare-metal Cortex-M under QEMU (runtime/cortex-m):
`-t cortex-m4` runs on `qemu-system-arm -M mps2-an386`, `-t cortex-m7` on
`-M mps2-an500`, built with arm-none-eabi-gcc and newlib (semihosting). Every
layer must match the reference interpreter, twice with identical per-layer
instruction counts; a wrong golden value must make the run fail (exit
non-zero); the SRAM the application allocates (network.h) must be the peak
`dory inspect` prints; the library-only build must have no main. DORY's own
networks (../shared/models/dory) run on both cores."""
import re
import subprocess

import pytest

from conftest import CLEAN_ENV, ROOT
from test_deploy import check_app_ok

CORES = {"cortex-m4": "run-qemu-m4", "cortex-m7": "run-qemu-m7"}
EXAMPLES = {"kws_dscnn_onnx": ROOT / "examples" / "kws_dscnn.onnx",
            "kws_tiny": ROOT / "examples" / "kws_tiny.dory"}


def make(app, goal, **kw):
    return subprocess.run(["make", "-s", "--no-print-directory", "-C", str(app), goal, *kw.get(
        "args", [])], capture_output=True, text=True, timeout=900, env=CLEAN_ENV)


def layer_counts(stdout):
    return [int(line.split()[6]) for line in stdout.splitlines()[1:-1]
            if not line.startswith("network output")]


def run_twice(app, goal, what, twice=True):
    first = make(app, goal)
    check_app_ok(first, what)
    assert re.search(r"\binstr\b", first.stdout.splitlines()[0]), first.stdout
    assert all(c > 0 for c in layer_counts(first.stdout)), first.stdout
    if not twice:
        return first.stdout
    second = make(app, goal)
    assert second.stdout == first.stdout, f"{what}: instruction counts differ between two runs"
    return first.stdout


def header_macro(app, name):
    m = re.search(rf"^#define {name} (\d+)$", (app / "inc" / "network.h").read_text(), re.M)
    return int(m.group(1))


@pytest.mark.parametrize("target", sorted(CORES))
@pytest.mark.parametrize("case", sorted(EXAMPLES))
def test_example_runs_bit_exact_under_qemu(dory, run_dory, tmp_path, target, case):
    app = tmp_path / "app"
    run_dory(dory, "deploy", EXAMPLES[case], "-t", target, "-o", app)
    assert "runtime/cortex-m/app.mk" in (app / "Makefile").read_text()
    run_twice(app, CORES[target], f"{case} on {target}")
    run_twice(app, "run-qemu", f"{case} on {target} (make run-qemu)")


def test_wrong_golden_value_fails_the_run(dory, run_dory, tmp_path):
    app = tmp_path / "app"
    run_dory(dory, "deploy", EXAMPLES["kws_dscnn_onnx"], "-t", "cortex-m4", "-o", app)
    data = app / "test" / "data.c"
    text = data.read_text()
    m = re.search(r"\.sum = 0x([0-9a-f]{8})u, \.bytes = NULL\}, /\* pw1 \*/", text)
    assert m, "pw1's checksum not found in test/data.c"
    wrong = f"{int(m.group(1), 16) ^ 1:08x}"
    data.write_text(text.replace(m.group(0), m.group(0).replace(m.group(1), wrong)))
    r = make(app, "run-qemu-m4")
    assert r.returncode != 0, r.stdout
    assert re.search(r"^pw1 .*FAIL", r.stdout, re.M) and r.stdout.rstrip().endswith("FAIL")


def test_sram_peak_is_what_the_app_allocates(dory, run_dory, tmp_path):
    """DS-CNN: activations at their liveness lower bound (16000 bytes) plus
    the largest kernel scratch; network.h asks the HAL for exactly that."""
    app = tmp_path / "app"
    run_dory(dory, "deploy", EXAMPLES["kws_dscnn_onnx"], "-t", "cortex-m4", "-o", app)
    r = run_dory(dory, "inspect", EXAMPLES["kws_dscnn_onnx"], "--target", "cortex-m4")
    m = re.search(r"^SRAM: peak (\d+) bytes = activations (\d+) \+ kernel scratch (\d+)",
                  r.stdout, re.M)
    assert m, r.stdout
    peak, acts, scratch = map(int, m.groups())
    assert peak == acts + scratch
    assert acts <= 16000, r.stdout
    assert header_macro(app, "DORY_L2_BYTES") == acts
    assert header_macro(app, "DORY_L1_BYTES") == scratch
    assert header_macro(app, "DORY_L3_BYTES") == 0
    # the layers run in place: no layer copies anything
    out = run_twice(app, "run-qemu-m4", "kws_dscnn on cortex-m4")
    assert all(line.split()[2:5] == ["0", "0", "0"] for line in out.splitlines()[1:-1])


def test_too_small_sram_is_refused(dory, tmp_path):
    r = subprocess.run([str(dory), "deploy", str(EXAMPLES["kws_dscnn_onnx"]), "-t", "cortex-m4",
                        "--l2", "17000", "--code-reserve", "0", "-o", str(tmp_path / "app")],
                       capture_output=True, text=True)
    assert r.returncode != 0 and r.stderr.startswith("dory: error:"), r.stderr
    assert "SRAM peak" in r.stderr and "kernel scratch" in r.stderr, r.stderr


@pytest.mark.parametrize("target", sorted(CORES))
def test_library_only_build(dory, run_dory, tmp_path, target):
    app = tmp_path / "app"
    run_dory(dory, "deploy", EXAMPLES["kws_dscnn_onnx"], "-t", target, "-o", app)
    r = make(app, "lib-cm")
    assert r.returncode == 0, r.stdout + r.stderr
    syms = subprocess.run(["arm-none-eabi-nm", "-g", str(app / "libdory_net_cm.a")],
                          capture_output=True, text=True, check=True).stdout
    defined = {line.split()[-1] for line in syms.splitlines() if re.search(r" [TDRB] ", line)}
    assert {"dory_network_init", "dory_network_run", "dory_cycles"} <= defined
    assert "main" not in defined and "dory_cm_reset" not in defined


@pytest.mark.parametrize("target", sorted(CORES))
def test_dory_networks_run_under_qemu(dory, run_dory, shared_models, tmp_path, target):
    """DORY's own networks on their own input.txt, every layer checked; the
    counts repeat exactly (checked on the M4, to bound the test's time)."""
    nets = sorted(p for p in (shared_models / "dory").iterdir() if p.is_dir())
    assert len(nets) == 5
    for net in nets:
        app = tmp_path / net.name
        run_dory(dory, "deploy", next(net.glob("*.onnx")), "-t", target, "--input",
                 net / "input.txt", "-o", app)
        run_twice(app, CORES[target], f"{net.name} on {target}", twice=target == "cortex-m4")


def test_dsp_rows_are_chosen_and_faster(dory, run_dory, tmp_path):
    """On cortex-m4 the planner gives conv, pointwise and FC the Arm DSP rows
    with offline-packed weights, depthwise 3x3 its DSP row; the same application built without the DSP
    path (CM_DSP=0: the rows' C code) gives the same bytes, in more
    instructions on every pointwise layer."""
    app = tmp_path / "app"
    run_dory(dory, "deploy", EXAMPLES["kws_dscnn_onnx"], "-t", "cortex-m4", "-o", app)
    pw1 = (app / "src" / "layer_02_pw1.c").read_text()
    assert "dory_conv_dsp_s8" in pw1 and "packed int16 for SMLAD" in pw1
    assert "dory_fc_dsp_s8" in (app / "src" / "layer_10_fc.c").read_text()
    assert "dory_dwconv3x3_dsp_s8" in (app / "src" / "layer_01_dw1.c").read_text()
    dsp = run_twice(app, "run-qemu-m4", "kws_dscnn, DSP rows")
    subprocess.run(["make", "-s", "-C", str(app), "clean"], check=True, capture_output=True,
                   env=CLEAN_ENV)
    plain = make(app, "run-qemu-m4", args=["CM_DSP=0"])
    check_app_ok(plain, "kws_dscnn, DSP rows in C")

    def by_layer(out):
        return {ln.split()[0]: int(ln.split()[6]) for ln in out.splitlines()[1:-1]}
    fast, slow = by_layer(dsp), by_layer(plain.stdout)
    for name in ("pw1", "pw2", "pw3", "pw4"):
        assert fast[name] < slow[name], (name, fast[name], slow[name])
