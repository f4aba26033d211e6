"""The TFLite frontend against the two reference interpreters, bit for bit.

Every model of tflite_models.MODELS (built here, at test time) and MLPerf
Tiny's KWS model run through `dory run` on 10 random inputs in each
arithmetic: `--tflite-arith litert` against LiteRT's interpreter with its
reference op resolver (BUILTIN_REF), `--tflite-arith tflm` (the default)
against TFLite Micro's Python interpreter. Outputs must be equal exactly;
with `--dump`, every layer equals LiteRT's own tensor (NHWC, as TFLite lays
it out). The FC tie model must make the two references disagree, so the
choice of arithmetic is tested, not assumed.
"""
import numpy as np
import pytest

import tflite_models as tm
from conftest import require_shared

N_INPUTS = 10
MODES = {"litert": tm.run_litert, "tflm": tm.run_tflm}


def model_io(model):
    """(input shape, dtype, scale, zp) of the first input and (scale, zp,
    dtype) of the first output, from LiteRT's view of the model."""
    from ai_edge_litert.interpreter import Interpreter
    it = Interpreter(model_content=model)
    i, o = it.get_input_details()[0], it.get_output_details()[0]
    return i, o


def random_inputs(model, seed):
    i, _ = model_io(model)
    rng = np.random.default_rng(seed)
    q = [rng.integers(-128, 128, size=tuple(i["shape"]), dtype=np.int8) for _ in range(N_INPUTS)]
    return i, q


def reference(model, mode, q, in_det, out_det, qp):
    """The reference's int8 output on the int8 input q (float interfaces are
    fed (q - zp) * s and their output quantized back as QUANTIZE does)."""
    x = q
    if in_det["dtype"] == np.float32:
        s, z = qp[0]
        x = ((q.astype(np.float32) - z) * s).astype(np.float32)
    y = MODES[mode](model, [x])[0]
    if out_det["dtype"] == np.float32:
        s, z = qp[1]
        y = np.clip(np.round(y / s) + z, -128, 127).astype(np.int8)
    return y


def int8_params(model):
    """Scale and zero point of the int8 tensors at a float model's
    boundary: the QUANTIZE output and the DEQUANTIZE input."""
    from ai_edge_litert.interpreter import Interpreter
    it = Interpreter(model_content=model)
    det = {d["name"]: d for d in it.get_tensor_details()}
    qin = det["x_q"]["quantization"] if "x_q" in det else (0, 0)
    deq_in = [d for d in det.values() if d["name"].startswith("fc")][-1]["quantization"]
    return qin, deq_in


def dory_outputs(run_dory, dory, path, mode, qs, tmp_path, dump=None):
    outs = []
    for k, q in enumerate(qs):
        inp, out = tmp_path / f"in{k}.npy", tmp_path / f"out_{mode}{k}.npy"
        np.save(inp, q)
        args = ["run", str(path), "--input", str(inp), "-o", str(out), "--tflite-arith", mode]
        if dump and k == 0:
            args += ["--dump", str(dump)]
        run_dory(dory, *args)
        outs.append(np.load(out))
    return outs


def check_model(run_dory, dory, model, path, tmp_path, seed, modes=MODES):
    in_det, qs = random_inputs(model, seed)
    _, out_det = model_io(model)
    qp = None
    if in_det["dtype"] == np.float32 or out_det["dtype"] == np.float32:
        qp = int8_params(model)
    refs = {}
    for mode in modes:
        got = dory_outputs(run_dory, dory, path, mode, qs, tmp_path)
        refs[mode] = [reference(model, mode, q, in_det, out_det, qp) for q in qs]
        for k, (g, r) in enumerate(zip(got, refs[mode])):
            assert g.flatten().tolist() == r.flatten().tolist(), (
                f"{path.name} {mode} input {k}: dory {g.flatten()[:16]} "
                f"reference {r.flatten()[:16]}")
    return refs


@pytest.mark.parametrize("name", sorted(tm.MODELS))
def test_model_matches_both_references(dory, run_dory, tmp_path, name):
    model = tm.MODELS[name](seed=7)
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(model)
    modes = ["litert"] if name in tm.LITERT_ONLY else MODES
    refs = check_model(run_dory, dory, model, path, tmp_path, seed=11, modes=modes)
    if name == "fc_ties":  # the two arithmetics must differ here
        differ = sum(a.tolist() != b.tolist() for a, b in zip(refs["litert"], refs["tflm"]))
        assert differ > 0, "LiteRT and TFLite Micro agree on every input of the tie model"


def test_kws_reference_model(dory, run_dory, tmp_path, shared_models):
    path = require_shared(shared_models / "mlperf-tiny" / "kws_ref_model.tflite")
    check_model(run_dory, dory, path.read_bytes(), path, tmp_path, seed=3)


def test_default_arith_is_tflm(dory, run_dory, tmp_path):
    model = tm.MODELS["fc_ties"](seed=7)
    path = tmp_path / "m.tflite"
    path.write_bytes(model)
    _, qs = random_inputs(model, 5)
    np.save(tmp_path / "in.npy", qs[0])
    run_dory(dory, "run", str(path), "--input", str(tmp_path / "in.npy"), "-o",
             str(tmp_path / "d.npy"))
    tflm = tm.run_tflm(model, [qs[0]])[0]
    assert np.load(tmp_path / "d.npy").flatten().tolist() == tflm.flatten().tolist()


def test_dump_is_nhwc_and_matches_every_layer(dory, run_dory, tmp_path):
    """--dump writes each layer in TFLite's own NHWC shape, equal to LiteRT's
    tensor of the same name (reference kernels, all tensors kept)."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType
    model = tm.MODELS["dscnn"](seed=7)
    path = tmp_path / "m.tflite"
    path.write_bytes(model)
    _, qs = random_inputs(model, 2)
    dump = tmp_path / "dump"
    dory_outputs(run_dory, dory, path, "litert", qs[:1], tmp_path, dump=dump)
    it = Interpreter(model_content=model, experimental_preserve_all_tensors=True,
                     experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    it.allocate_tensors()
    it.set_tensor(it.get_input_details()[0]["index"], qs[0])
    it.invoke()
    tensors = {d["name"]: it.get_tensor(d["index"]) for d in it.get_tensor_details()}
    files = sorted(dump.glob("*.npy"))
    assert len(files) >= 7
    for f in files:
        name = f.stem.split("_", 1)[1]
        assert name in tensors, f"dump {f.name} names no TFLite tensor"
        d, r = np.load(f), tensors[name]
        assert d.shape == r.shape, f"{f.name}: shape {d.shape}, TFLite {r.shape}"
        assert d.flatten().tolist() == r.flatten().tolist(), f"{f.name} differs from LiteRT"
