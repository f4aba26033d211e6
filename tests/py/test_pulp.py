"""Generated applications on the PULP open cluster (runtime/pulp, `-t
pulp-open`): the bare-metal build (crt0.S, picolibc, mchan DMA, event-unit
barrier) must compile and link with Debian's riscv64-unknown-elf-gcc on every
machine; `make run-gvsoc` without GVSOC= must refuse with a message naming
what is missing. With an installed GVSoC (environment GVSOC=/path/to/bin/gvsoc,
not part of dory: docs/PULP.md) the example runs on pulp-open's 8 cores, every
layer bit-exact, its time column in cycles, and the host build of the same
application stays bit-exact. Without GVSOC the GVSoC test is skipped and says
why."""
import os
import re
import subprocess

import pytest

from conftest import CLEAN_ENV, ROOT
from test_deploy import check_app_ok

EXAMPLE = ROOT / "examples" / "kws_dscnn.onnx"
NM = "riscv64-unknown-elf-nm"


def make(app, *goals, env=None):
    return subprocess.run(["make", "-s", "--no-print-directory", "-C", str(app), *goals],
                          capture_output=True, text=True, timeout=1800,
                          env=env if env is not None else CLEAN_ENV)


@pytest.fixture(scope="module")
def pulp_app(dory, tmp_path_factory):
    app = tmp_path_factory.mktemp("pulp") / "app"
    subprocess.run([str(dory), "deploy", str(EXAMPLE), "-t", "pulp-open", "-o", str(app)],
                   check=True, capture_output=True, text=True)
    return app


def test_app_links_for_the_cluster(pulp_app):
    assert "include runtime/pulp/app.mk" in (pulp_app / "Makefile").read_text()
    built = make(pulp_app, "app-pulp.elf")
    assert built.returncode == 0, built.stdout + built.stderr
    syms = subprocess.run([NM, str(pulp_app / "app-pulp.elf")], check=True, capture_output=True,
                          text=True).stdout
    addr = {ln.split()[-1]: int(ln.split()[0], 16) for ln in syms.splitlines() if len(ln.split()) == 3}
    # FC entry, cluster entry and code in L2; no picolibc start-up (it would
    # ask semihosting for a command line GVSoC does not have)
    for sym in ("_start", "_cluster_start", "main", "dory_pulp_cluster_entry"):
        assert 0x1C000000 <= addr[sym] < 0x1C190000, sym
    assert "__start" not in addr


def test_run_gvsoc_needs_gvsoc(pulp_app):
    env = {k: v for k, v in CLEAN_ENV.items() if k != "GVSOC"}
    r = make(pulp_app, "run-gvsoc", env=env)
    assert r.returncode != 0
    assert "no GVSoC given" in r.stderr and "GVSOC=" in r.stderr


def test_l3_streaming_bit_exact_on_gvsoc(dory, tmp_path):
    """Small L2: weights and activations stream from L3 (the HyperRAM through
    the micro-DMA), many L1 tiles, 2-D DMA."""
    gvsoc = os.environ.get("GVSOC")
    if not gvsoc:
        pytest.skip("GVSOC is not set (docs/PULP.md): the pulp-open run is not checked here")
    app = tmp_path / "app"
    subprocess.run([str(dory), "deploy", str(ROOT / "examples" / "kws_tiny.dory"), "-t",
                    "pulp-open", "--l2", "6000", "--code-reserve", "0", "--l1", "30300", "-o",
                    str(app)], check=True, capture_output=True, text=True)
    r = make(app, "run-gvsoc", f"GVSOC={gvsoc}")
    check_app_ok(r, "kws_tiny with L3 on pulp-open")
    l3 = [int(ln.split()[4]) for ln in r.stdout.splitlines()[1:]
          if len(ln.split()) > 7 and ln.split()[-1] == "OK"]
    assert sum(l3) > 0, r.stdout


def make_root_on_gvsoc(goal):
    """`make goal GVSOC=...` in the project (skipped without GVSOC); it must
    succeed."""
    gvsoc = os.environ.get("GVSOC")
    if not gvsoc:
        pytest.skip("GVSOC is not set (docs/PULP.md): the pulp-open run is not checked here")
    r = subprocess.run(["make", "-s", "--no-print-directory", "-C", str(ROOT), goal,
                        f"GVSOC={gvsoc}"], capture_output=True, text=True, timeout=1200,
                       env=CLEAN_ENV)
    assert r.returncode == 0, r.stdout + r.stderr
    return r


def test_l3_hyperram_on_gvsoc():
    """L3 is the HyperRAM behind the micro-DMA (runtime/pulp): every L2 and
    L3 alignment and length round-trips with the guard bytes untouched, with
    the HAL's transfer limit and with a 1 kB one (long transfers split), 12
    transfers in flight (bench/bench_l3_pulp.c also prints the cycles:
    bench/README.md)."""
    r = make_root_on_gvsoc("bench-l3-pulp")
    verdicts = re.findall(r"^(\d+) checked, (\d+) failed: (\w+)$", r.stdout, re.M)
    assert len(verdicts) == 2 and all(int(n) > 200 and f == "0" and v == "OK"
                                      for n, f, v in verdicts), r.stdout


def test_stack_check_fires_on_gvsoc():
    """The cluster stacks' check (runtime/pulp: painted by crt0.S, checked
    after every fork and at the end): a worker frame 200 bytes beyond its
    stack stops the run with one `dory: error:` line naming core 3 and a
    non-zero exit; frames within the stacks run and print their use."""
    r = make_root_on_gvsoc("test-pulp-stack")
    errors = re.findall(r"^dory: error: .*$", r.stdout, re.M)
    assert len(errors) == 1 and re.fullmatch(
        r"dory: error: cluster core 3 overflowed its \d+-byte stack \(layer '\(none\)'\)",
        errors[0]), r.stdout
    used = re.search(r"^dory_hal: cluster stack bytes used: (.*)$", r.stdout, re.M)
    assert used and all(int(u) < int(n) for u, n in
                        (f.split("/") for f in used.group(1).split())), r.stdout


def test_example_bit_exact_on_gvsoc(pulp_app):
    gvsoc = os.environ.get("GVSOC")
    if not gvsoc:
        pytest.skip("GVSOC is not set (an installed GVSoC's bin/gvsoc; docs/PULP.md): "
                    "the pulp-open run is not checked here")
    r = make(pulp_app, "run-gvsoc", f"GVSOC={gvsoc}")
    check_app_ok(r, "kws_dscnn on pulp-open")
    lines = r.stdout.splitlines()
    head = next(i for i, ln in enumerate(lines) if ln.startswith("layer "))
    assert re.search(r"\bcycles\b", lines[head])
    end = next(i for i, ln in enumerate(lines) if ln.startswith("profile: "))
    layers = lines[head + 1:end]
    assert all(ln.split()[-1] == "OK" for ln in layers), r.stdout
    assert len(layers) == 11
    profile = [ln.split() for ln in lines if ln.startswith("profile: ") and "MAC/cycle" not in ln]
    assert [p[1] for p in profile[:-1]] == [ln.split()[0] for ln in layers]
    assert all(int(p[3]) > 0 for p in profile)
    check_app_ok(make(pulp_app, "run"), "kws_dscnn pulp-open app on the host")
