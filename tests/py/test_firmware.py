"""examples/firmware: a firmware main.c that knows only the generated
network.h, linked with a deployed network's library (no harness), built for
the host and for bare-metal RV32 under QEMU; its output must equal the
reference interpreter's (`dory run`) on the same input, with the model's
own FLOAT requantization: gap8 has no FPU, and the integer emulation of fp32
it runs (F32INT, QLADD_INT) gives the same bits."""
import random
import shutil
import subprocess

import pytest

from conftest import ROOT

FIRMWARE = ROOT / "examples" / "firmware"
EXAMPLE = ROOT / "examples" / "kws_dscnn.onnx"


def _reference(dory, inp, requant):
    r = subprocess.run([str(dory), "run", str(EXAMPLE), "--requant", requant, "--input", str(inp)],
                       capture_output=True, text=True, check=True)
    return [int(v) for v in r.stdout.split()]


@pytest.fixture(scope="module")
def deployed(dory, tmp_path_factory):
    d = tmp_path_factory.mktemp("firmware")
    subprocess.run([str(dory), "deploy", str(EXAMPLE), "-t", "gap8", "-o", str(d / "app")],
                   check=True, capture_output=True)
    rng = random.Random(11)
    (d / "input.bin").write_bytes(bytes(rng.randrange(256) for _ in range(490)))
    return d


def _make(d, *targets):
    """Builds in a copy of examples/firmware (d / "fw"): a binary built in the
    tree itself would be picked up by the tests that copy that folder while
    this one runs (make would take it as up to date for their network)."""
    fw = d / "fw"
    if not fw.exists():
        shutil.copytree(FIRMWARE, fw, ignore=shutil.ignore_patterns("firmware", "*.elf"))
    subprocess.run(["make", "-s", "-C", str(fw), f"APP={d / 'app'}", *targets], check=True,
                   capture_output=True)
    return fw


def test_firmware_host_equals_dory_run(dory, deployed):
    fw = _make(deployed, "firmware")
    shutil.move(str(fw / "firmware"), deployed / "firmware")
    r = subprocess.run([str(deployed / "firmware"), "input.bin"], cwd=deployed,
                       capture_output=True, text=True, check=True)
    got = [int(v) for v in r.stdout.split()]
    assert got == _reference(dory, deployed / "input.bin", "float")
    assert len(got) == 12


def test_firmware_rv32_qemu_equals_dory_run(dory, deployed):
    if not shutil.which("qemu-system-riscv32"):
        pytest.fail("qemu-system-riscv32 is missing: run `make deps`")
    fw = _make(deployed, "firmware-rv32.elf")
    elf = deployed / "firmware-rv32.elf"
    shutil.move(str(fw / "firmware-rv32.elf"), elf)
    r = subprocess.run(["qemu-system-riscv32", "-M", "virt", "-m", "128M", "-bios", "none",
                        "-icount", "shift=0", "-semihosting-config", "enable=on,target=native",
                        "-display", "none", "-monitor", "none", "-serial", "none", "-kernel",
                        str(elf), "-append", "input.bin"], cwd=deployed, capture_output=True,
                       text=True, timeout=600)
    got = [int(v) for v in (r.stdout + r.stderr).split()]
    assert got == _reference(dory, deployed / "input.bin", "float")
