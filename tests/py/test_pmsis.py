"""GAP8/GAP9 through the GAP SDK (runtime/pmsis, `-t gap8`/`-t gap9`): the
SDK is not here, so the PMSIS HAL and every source of the generated
application are compiled with the RV32 cross compiler against the PMSIS
subset's headers (tests/pmsis/include, declared from the public API), for the
example and PenguiNet_32 (which streams from L3 on GAP8); the same folder
runs bit-exact on the host HAL and, through the PMSIS HAL itself, on the host
implementation of that subset (tests/pmsis/host_pmsis.c: DMA, RAM and readfs
copies land only at their wait, bounded arenas), with every transfer counted
at the PMSIS calls; the host implementation's strictness is checked case by
case, and a HAL that skips a wait is caught; the Makefile is a GAP SDK
project in an SDK shell; and the layer files are those of the bare-metal PULP
build with the same budgets."""
import json
import re
import subprocess

import pytest

from conftest import CLEAN_ENV, ROOT, require_shared
from test_deploy import check_app_ok

EXAMPLE = ROOT / "examples" / "kws_dscnn.onnx"
PMSIS_HOST = ROOT / "tests" / "pmsis"
PMSIS_INC = PMSIS_HOST / "include"


def make(app, *goals, env=None):
    return subprocess.run(["make", "-s", "--no-print-directory", "-C", str(app), *goals],
                          capture_output=True, text=True, timeout=1800,
                          env=env if env is not None else CLEAN_ENV)


def deploy(dory, model, target, out, *extra):
    r = subprocess.run([str(dory), "deploy", str(model), "-t", target, "-o", str(out), *extra],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return out


def pmsis_counters(run):
    """host_pmsis.c's counters, from its `pmsis-host: chip=...` line on stderr."""
    line = [ln for ln in run.stderr.splitlines() if ln.startswith("pmsis-host: chip=")]
    assert len(line) == 1, run.stdout + run.stderr
    return {k: v for k, v in (f.split("=") for f in line[0].split()[1:])}


def layer_columns(run):
    """Per checked layer: (L2->L1, L1->L2, L3<->L2) bytes of the harness's table."""
    rows = [ln.split() for ln in run.stdout.splitlines()[1:]]
    return [tuple(int(x) for x in r[2:5]) for r in rows
            if len(r) == 8 and r[-1] == "OK" and r[1].isdigit()]


def run_pmsis_host(app, *extra):
    return make(app, "run-pmsis-host", f"PMSIS_HOST={PMSIS_HOST}", *extra)


def l3_image_bytes(app):
    """Bytes of the L3 image generated code loads at start (network.c's l3_image)."""
    text = (app / "src" / "network.c").read_text()
    table = text[text.index("l3_image[] = {"):]
    table = table[:table.index("};")]
    return {m[2]: int(m[1]) for m in re.finditer(r"\.bytes = (\d+)\}, /\* (\S+) \*/", table)}


def models(shared):
    yield "example", EXAMPLE
    folder = require_shared(shared / "dory" / "PenguiNet_32")
    yield "PenguiNet_32", sorted(folder.glob("*.onnx"))[0]


@pytest.mark.parametrize("target", ["gap8", "gap9"])
@pytest.mark.parametrize("which", ["example", "PenguiNet_32"])
def test_pmsis_app_compiles_and_runs(dory, shared_models, target, which, tmp_path):
    model = dict(models(shared_models))[which]
    app = deploy(dory, model, target, tmp_path / "app")
    mk = (app / "Makefile").read_text()
    assert "include runtime/pmsis/gap_sdk.mk" in mk and "include runtime/pmsis/app.mk" in mk
    assert "include $(RULES_DIR)/pmsis_rules.mk" in (app / "runtime/pmsis/gap_sdk.mk").read_text()
    readme = (app / "README.md").read_text()
    # a GAP SDK user learns how to build, flash and what to expect
    for said in ("source sourceme.sh", "make clean all run platform=gvsoc",
                 "make clean all run platform=board", "weights/l3_weights.bin", "READFS_FILES",
                 "0 failed: OK", "make run-pmsis-host PMSIS_HOST="):
        assert said in readme, said
    r = make(app, "pmsis-check", f"PMSIS_INC={PMSIS_INC}")
    assert r.returncode == 0, r.stdout + r.stderr
    run = make(app, "run")
    check_app_ok(run, f"{which} for {target} on the host")
    l3 = sum(c[2] for c in layer_columns(run))
    if which == "PenguiNet_32" and target == "gap8":
        assert l3 > 0, "PenguiNet_32 on GAP8 streams from L3:\n" + run.stdout
    # the PMSIS HAL itself, on host_pmsis.c (with the sanitizers once: they
    # triple the build time)
    san = ["SAN=1"] if (which, target) == ("example", "gap8") else []
    pm = run_pmsis_host(app, *san)
    check_app_ok(pm, f"{which} for {target} through PMSIS on the host")
    c = {k: int(v.split("/")[0]) if k != "chip" else v for k, v in pmsis_counters(pm).items()}
    assert c["chip"] == target
    cols = layer_columns(pm)
    assert len(cols) == len(layer_columns(run))
    # every L2<->L1 byte the layers moved went through pi_cl_dma_cmd(_2d) and
    # landed at pi_cl_dma_cmd_wait; every L3 byte through pi_cl_ram_read/write
    assert c["dma_cmds"] > 0 and c["dma_bytes"] == sum(a + b for a, b, _ in cols), pm.stderr
    assert c["ram_read"] + c["ram_write"] == sum(x for _, _, x in cols) == l3, pm.stderr
    # the L3 image: readfs -> L2 -> RAM, once
    image = sum(l3_image_bytes(app).values())
    assert c["fs_read"] == image and c["ram_copy_in"] >= image, pm.stderr
    if which == "PenguiNet_32" and target == "gap8":
        assert c["ram_read"] > 0 and c["fs_read"] > 0
        # the plan's L3 traffic, less the L3 constants generated code keeps
        # elsewhere (the planner places the 64-bit requant tables of the
        # streamed layer in L3; the layer file has them as constants)
        report = json.loads((app / "report.json").read_text())
        planned = sum(lay["dma"]["l3l2_bytes"] for lay in report["layers"] if "dma" in lay)
        loaded = l3_image_bytes(app)
        unused = sum(t["bytes"] for t in report["tensors"]
                     if t["region"] == "L3" and t["kind"] == "constant" and t["name"] not in loaded)
        assert c["ram_read"] + c["ram_write"] == planned - unused, (planned, unused, pm.stderr)


def test_run_pmsis_host_needs_the_host_implementation(dory, tmp_path):
    app = deploy(dory, EXAMPLE, "gap8", tmp_path / "app")
    r = make(app, "run-pmsis-host")
    assert r.returncode != 0 and "give PMSIS_HOST=" in r.stderr, r.stdout + r.stderr


@pytest.fixture(scope="module")
def check_host_pmsis(tmp_path_factory):
    """tests/pmsis/check_host_pmsis.c with host_pmsis.c, sanitizers on."""
    exe = tmp_path_factory.mktemp("pmsis") / "check_host_pmsis"
    cc = subprocess.run(
        ["cc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-D_POSIX_C_SOURCE=200809L", "-g",
         "-fsanitize=address,undefined", "-fno-sanitize-recover=all", f"-I{PMSIS_INC}", "-o",
         str(exe), str(PMSIS_HOST / "check_host_pmsis.c"), str(PMSIS_HOST / "host_pmsis.c"),
         "-lpthread"], capture_output=True, text=True)
    assert cc.returncode == 0, cc.stderr
    blob = exe.parent / "blob.bin"
    blob.write_bytes(bytes(range(100)))
    return exe, blob


# case -> what host_pmsis.c says (status 3), or None: the case checks itself (0)
STRICT = {
    "ok": None,
    "early-read": None,  # the DMA destination is poison until the wait
    "ram-early-read": None,  # the same for a RAM read
    "loc-not-l1": "is not inside a pi_cl_l1_malloc() chunk",
    "l1-overrun": "is not inside a pi_cl_l1_malloc() chunk",
    "l2-overrun": "is not in L2",
    "l2-stack": "is not in L2",
    "ram-overrun": "is not inside a pi_cl_ram_alloc() chunk",
    "fs-overrun": "are outside 'blob.bin'",
    "src-written": "changed before the wait",
    "double-wait": "is not in flight (never issued, or waited twice)",
    "never-waited": "pi_cl_ram_read of 256 bytes never waited for",
    "barrier-outside": "called outside pi_cl_team_fork()",
    "dma-flood": "more than 16 DMA commands in flight",
    "fc-dma": "called from the fabric controller",
}


@pytest.mark.parametrize("case", sorted(STRICT))
def test_host_pmsis_strictness(check_host_pmsis, case):
    """Each rule of host_pmsis.c, broken once: the program is stopped with a
    message (a case that gets through exits 7, "not caught")."""
    exe, blob = check_host_pmsis
    r = subprocess.run([str(exe), case], capture_output=True, text=True, timeout=60,
                       env={**CLEAN_ENV, "PMSIS_HOST_READFS": str(blob)})
    expected = STRICT[case]
    if expected is None:
        assert r.returncode == 0, r.stdout + r.stderr
        if case == "ok":  # pi_perf counts calls and landed bytes: 2 calls + 256 bytes
            assert "perf 258" in r.stdout, r.stdout
        else:
            assert "poison before the wait" in r.stdout
    else:
        assert r.returncode == 3, r.stdout + r.stderr
        assert "pmsis-host: error:" in r.stderr and expected in r.stderr, r.stderr


# a wait the HAL skips, in the generated copy of the HAL
SKIPPED_WAITS = {
    "dma": ("example", "    for (i = 0; i <= last; i++) retire_oldest();", "    (void)last;"),
    "ram": ("PenguiNet_32", "        pi_cl_ram_read_wait(&pm.ram[s]);", "        (void)s;"),
}


@pytest.mark.parametrize("kind", sorted(SKIPPED_WAITS))
def test_pmsis_host_catches_a_skipped_wait(dory, shared_models, tmp_path, kind):
    """The PMSIS HAL with one wait left out (DMA; RAM reads on GAP8's L3
    stream) runs wrong on host_pmsis.c and is stopped: data that landed at
    issue would let it pass."""
    which, old, new = SKIPPED_WAITS[kind]
    app = deploy(dory, dict(models(shared_models))[which], "gap8", tmp_path / "app")
    hal = app / "runtime/pmsis/dory_hal_pmsis.c"
    assert old in hal.read_text()
    hal.write_text(hal.read_text().replace(old, new))
    r = run_pmsis_host(app)
    assert r.returncode != 0, r.stdout + r.stderr
    assert "FAIL" in r.stdout, r.stdout
    # caught as a command never waited for, or (a tile being one command,
    # the ring does not fill first) as its source rewritten before the wait
    assert re.search(r"pmsis-host: error: pi_cl_\S+ .*(never waited for|changed before the wait)",
                     r.stderr), r.stderr


def test_pmsis_check_fails_on_an_undeclared_call(dory, tmp_path):
    """The compile check can fail: a HAL calling outside the subset does not build."""
    app = deploy(dory, EXAMPLE, "gap8", tmp_path / "app")
    hal = app / "runtime/pmsis/dory_hal_pmsis.c"
    hal.write_text(hal.read_text() + "\nvoid dory_bad(void);\nvoid dory_bad(void) "
                   "{ pi_cl_dma_flush_all(); }\n")
    r = make(app, "pmsis-check", f"PMSIS_INC={PMSIS_INC}")
    assert r.returncode != 0 and "pi_cl_dma_flush_all" in r.stderr


def test_gap_sdk_shell_selects_the_sdk_rules(dory, tmp_path):
    """With RULES_DIR set (a sourced SDK), the Makefile reads gap_sdk.mk and its
    pmsis_rules.mk; here a stand-in rules file prints what the SDK would get."""
    app = deploy(dory, EXAMPLE, "gap9", tmp_path / "app")
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "pmsis_rules.mk").write_text(
        "show:\n\t@echo APP=$(APP)\n\t@echo SRCS=$(APP_SRCS)\n\t@echo INC=$(APP_INC)\n"
        "\t@echo CFLAGS=$(APP_CFLAGS)\n\t@echo READFS=$(READFS_FILES)\n")
    r = make(app, "show", f"RULES_DIR={rules}")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "APP=dory_app" in out and "runtime/pmsis/dory_hal_pmsis.c" in out
    assert "test/test_main.c" in out and "src/network.c" in out
    assert "INC=inc kernels runtime test" in out
    assert "-DDORY_XPULP_INSN" in out and "-DDORY_PMSIS_GAP9_EVK" in out
    off = make(app, "show", f"RULES_DIR={rules}", "GAP_SDK_BUILD=0")
    assert off.returncode != 0  # the host rules have no `show`


def test_layer_files_identical_to_the_pulp_build(dory, tmp_path):
    """Same budgets, same layer files: the app builds for the bare-metal PULP
    target unchanged in its layers."""
    budgets = ["--l2", "300000", "--code-reserve", "0", "--cores", "8"]
    # the same L1 budget: GAP8 keeps 27300 B of L1 for stacks, pulp-open 16384
    # (src/plan/target.c)
    gap = deploy(dory, EXAMPLE, "gap8", tmp_path / "gap8", "--l1", str(48000 + 27300 - 16384),
                 *budgets)
    pulp = deploy(dory, EXAMPLE, "pulp-open", tmp_path / "pulp", "--l1", "48000", *budgets)
    layers = sorted(p.name for p in (gap / "src").glob("layer_*.c"))
    assert layers and layers == sorted(p.name for p in (pulp / "src").glob("layer_*.c"))
    for name in layers:
        assert (gap / "src" / name).read_text() == (pulp / "src" / name).read_text(), name
