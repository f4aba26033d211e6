"""TFLite models deployed and run: every model of tflite_models.MODELS in
both arithmetics and MLPerf Tiny's KWS model, deployed for gap8 and built
on the host (bounds-checked L1/L2/L3 arenas of GAP8's sizes, sanitizers),
at GAP8's L1 and at a 3 kB tile budget that forces many tiles, and as
bare-metal RV32 under QEMU, each in every arithmetic it has; KWS also for
Cortex-M4 under QEMU. Each application checks every layer
against the reference interpreter on an input given to `deploy --input`,
and the interpreter's output on that input is compared here with the
reference interpreter of the arithmetic (LiteRT BUILTIN_REF or TFLite
Micro), so the applications are tied to TFLite itself."""
import numpy as np
import pytest

import tflite_models as tm
from conftest import require_shared
from test_deploy import build_and_run, check_app_ok
from test_deploy_qemu import run_qemu

BUDGETS = {"gap8": [], "l1_3k": ["--l1", "30300"]}


def modes(name):
    return ["litert"] if name in tm.LITERT_ONLY else ["tflm", "litert"]


CASES = [(n, m) for n in sorted(tm.MODELS) for m in modes(n)]


def prepare(run_dory, dory, tmp_path, model, mode, seed=3):
    """Writes the model and an int8 input; checks `dory run` on it against
    the reference. Returns (model path, input path)."""
    from ai_edge_litert.interpreter import Interpreter
    path = tmp_path / "m.tflite"
    path.write_bytes(model)
    it = Interpreter(model_content=model)
    det = {d["name"]: d for d in it.get_tensor_details()}
    i = it.get_input_details()[0]
    shape = tuple(det["x_q"]["shape"]) if i["dtype"] == np.float32 else tuple(i["shape"])
    q = np.random.default_rng(seed).integers(-128, 128, size=shape, dtype=np.int8)
    inp = tmp_path / "in.npy"
    np.save(inp, q)
    if i["dtype"] == np.int8 and it.get_output_details()[0]["dtype"] == np.int8:
        out = tmp_path / "out.npy"
        run_dory(dory, "run", str(path), "--input", str(inp), "-o", str(out),
                 "--tflite-arith", mode)
        ref = tm.run_litert(model, [q]) if mode == "litert" else tm.run_tflm(model, [q])
        assert np.load(out).flatten().tolist() == ref[0].flatten().tolist()
    return path, inp


@pytest.mark.parametrize("budget", sorted(BUDGETS))
@pytest.mark.parametrize("name,mode", CASES)
def test_deploys_bit_exact_on_host(dory, run_dory, rt_libs, tmp_path, name, mode, budget):
    path, inp = prepare(run_dory, dory, tmp_path, tm.MODELS[name](seed=7), mode)
    app = tmp_path / "app"
    run_dory(dory, "deploy", str(path), "-t", "gap8", "--tflite-arith", mode, "--input",
             str(inp), "--check", "all", *BUDGETS[budget], "-o", str(app))
    check_app_ok(build_and_run(app, rt_libs), f"{name} {mode} {budget}")


@pytest.mark.parametrize("budget", sorted(BUDGETS))
def test_kws_deploys_bit_exact_on_host(dory, run_dory, rt_libs, tmp_path, shared_models, budget):
    model = require_shared(shared_models / "mlperf-tiny" / "kws_ref_model.tflite")
    path, inp = prepare(run_dory, dory, tmp_path, model.read_bytes(), "tflm")
    app = tmp_path / "app"
    run_dory(dory, "deploy", str(path), "-t", "gap8", "--input", str(inp), *BUDGETS[budget],
             "-o", str(app))
    p = build_and_run(app, rt_libs)
    check_app_ok(p, "kws")
    assert " 13 checked, 0 failed" in p.stdout


@pytest.mark.parametrize("name,mode", CASES + [("kws", "tflm")])
def test_runs_bit_exact_under_qemu(dory, run_dory, tmp_path, shared_models, name, mode):
    if name == "kws":
        model = require_shared(shared_models / "mlperf-tiny" / "kws_ref_model.tflite").read_bytes()
    else:
        model = tm.MODELS[name](seed=7)
    path, inp = prepare(run_dory, dory, tmp_path, model, mode)
    app = tmp_path / "app"
    run_dory(dory, "deploy", str(path), "-t", "gap8", "--tflite-arith", mode, "--input",
             str(inp), "-o", str(app))
    check_app_ok(run_qemu(app), f"{name} qemu")


def test_kws_runs_bit_exact_on_cortex_m4(dory, run_dory, tmp_path, shared_models):
    """The same KWS application for Cortex-M4 (QEMU mps2-an386), softmax
    kernel included."""
    model = require_shared(shared_models / "mlperf-tiny" / "kws_ref_model.tflite").read_bytes()
    path, inp = prepare(run_dory, dory, tmp_path, model, "tflm")
    app = tmp_path / "app"
    run_dory(dory, "deploy", str(path), "-t", "cortex-m4", "--input", str(inp), "-o", str(app))
    p = run_qemu(app)
    check_app_ok(p, "kws cortex-m4")
    assert " 13 checked, 0 failed" in p.stdout
