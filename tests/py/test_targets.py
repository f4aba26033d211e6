"""Every built-in target deploys the example; its application builds and runs
bit-exact on the host HAL, and under QEMU (bare-metal RV32) for targets whose
cores are RISC-V. The list of targets comes from dory itself, so a new target
is covered without editing this file. Also: the core count is bounded by the
target's HAL, refused with a message that names the target."""
import re
import subprocess

import pytest

from conftest import ROOT, assert_user_error

EXAMPLE = ROOT / "examples" / "kws_dscnn.onnx"


def builtin_targets(dory):
    r = subprocess.run([str(dory), "inspect", str(EXAMPLE), "--target", "no-such-target"],
                       capture_output=True, text=True)
    m = re.search(r"built in: ([^)]*)\)", r.stderr)
    assert r.returncode != 0 and m, r.stderr
    return [t.strip() for t in m.group(1).split(",")]


def test_target_list_is_complete(dory):
    assert set(builtin_targets(dory)) >= {"gap8", "gap9", "pulp-open", "cortex-m", "host"}


@pytest.fixture(scope="module")
def deployed(dory, tmp_path_factory):
    out = {}
    for t in builtin_targets(dory):
        d = tmp_path_factory.mktemp(t) / "app"
        r = subprocess.run([str(dory), "deploy", str(EXAMPLE), "-t", t, "-o", str(d)],
                           capture_output=True, text=True)
        assert r.returncode == 0, f"{t}: {r.stderr}"
        out[t] = d
    return out


def _run(d, goal, **kw):
    r = subprocess.run(["make", "-s", "--no-print-directory", "-C", str(d), goal],
                       capture_output=True, text=True, timeout=900, **kw)
    return r.returncode, r.stdout + r.stderr


def test_every_target_runs_bit_exact_on_host(deployed):
    for t, d in deployed.items():
        rc, out = _run(d, "run")
        assert rc == 0 and "11 checked, 0 failed: OK" in out, f"{t}:\n{out}"


def test_riscv_targets_run_bit_exact_under_qemu(deployed):
    ran = []
    for t, d in deployed.items():
        mk = (d / "Makefile").read_text()
        if "runtime/riscv/app.mk" not in mk:
            continue
        rc, out = _run(d, "run-qemu")
        assert rc == 0 and "11 checked, 0 failed: OK" in out, f"{t}:\n{out}"
        header = next(line for line in out.splitlines() if line.startswith("layer "))
        assert " instr " in header + " ", out
        ran.append(t)
    assert {"gap8", "gap9", "pulp-open"} <= set(ran)


def test_single_level_target_reads_weights_in_place(deployed):
    d = deployed["cortex-m"]
    weights = (d / "weights" / "weights.c").read_text()
    assert "const uint8_t dory_l2_weights[" in weights
    assert (d / "weights" / "l3_weights.bin").stat().st_size == 0
    assert "#define DORY_L3_BYTES" in (d / "inc" / "network.h").read_text()


def test_missing_chip_hal_is_said_not_hidden(deployed):
    for t, d in deployed.items():
        mk = (d / "Makefile").read_text()
        hal = re.search(r"^TARGET_HAL = (\S+)", mk, re.M).group(1)
        if (d / "runtime" / hal).is_dir():
            continue
        rc, out = _run(d, "target")
        assert rc != 0 and f"HAL '{hal}' is not available" in out, f"{t}: {out}"


@pytest.mark.parametrize("target,cores", [("gap8", 9), ("cortex-m", 2), ("host", 33)])
def test_cores_bounded_by_target(dory, tmp_path, target, cores):
    r = subprocess.run([str(dory), "deploy", str(EXAMPLE), "-t", target, "--cores", str(cores),
                        "-o", str(tmp_path / "app")], capture_output=True, text=True)
    assert r.stderr.startswith("dory: error:")
    assert_user_error(r, f"target '{target}'")


@pytest.mark.parametrize("desc,words", [
    ('{"base": "gap8", "levels": 5}', "5 memory levels"),
    ('{"base": "gap8", "dma_dims": 0}', "dma_dims 0"),
    ('{"base": "gap8", "hal": 3}', "'hal' must be a string"),
])
def test_capabilities_refused_in_one_place(dory, tmp_path, desc, words):
    f = tmp_path / "t.json"
    f.write_text(desc)
    r = subprocess.run([str(dory), "deploy", str(EXAMPLE), "--target-file", str(f), "-o",
                        str(tmp_path / "app")], capture_output=True, text=True)
    assert_user_error(r, words)
    assert not (tmp_path / "app").exists()
