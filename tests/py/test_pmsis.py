"""GAP8/GAP9 through the GAP SDK (runtime/pmsis, `-t gap8`/`-t gap9`): the
SDK is not here, so the PMSIS HAL and every source of the generated
application are compiled with the RV32 cross compiler against the PMSIS
subset's headers (tests/pmsis/include, declared from the public API), for the
example and PenguiNet_32 (which streams from L3 on GAP8); the same folder's
host build runs bit-exact; the Makefile is a GAP SDK project in an SDK shell;
and the layer files are those of the bare-metal PULP build with the same
budgets."""
import subprocess

import pytest

from conftest import CLEAN_ENV, ROOT, require_shared
from test_deploy import check_app_ok

EXAMPLE = ROOT / "examples" / "kws_dscnn.onnx"
PMSIS_INC = ROOT / "tests" / "pmsis" / "include"


def make(app, *goals, env=None):
    return subprocess.run(["make", "-s", "--no-print-directory", "-C", str(app), *goals],
                          capture_output=True, text=True, timeout=1800,
                          env=env if env is not None else CLEAN_ENV)


def deploy(dory, model, target, out, *extra):
    r = subprocess.run([str(dory), "deploy", str(model), "-t", target, "-o", str(out), *extra],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return out


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
    assert "make clean all run platform=gvsoc" in (app / "README.md").read_text()
    r = make(app, "pmsis-check", f"PMSIS_INC={PMSIS_INC}")
    assert r.returncode == 0, r.stdout + r.stderr
    run = make(app, "run")
    check_app_ok(run, f"{which} for {target} on the host")
    l3 = sum(int(ln.split()[4]) for ln in run.stdout.splitlines()[1:]
             if len(ln.split()) > 7 and ln.split()[-1] == "OK")
    if which == "PenguiNet_32" and target == "gap8":
        assert l3 > 0, "PenguiNet_32 on GAP8 streams from L3:\n" + run.stdout


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
