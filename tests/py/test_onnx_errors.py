"""ONNX frontend robustness: corrupted models, unsupported ops, external
data, typed-field initializers, opsets, forced dialects.

Corrupted corpus: truncated and bit-flipped copies of QDQ, QOperator and
NEMO models, run through the sanitizer build (build/asan/dory). Every file
must end with exit status 0 or 1 (never a signal or sanitizer report); a
failure must be one clear "dory: error:" diagnostic naming the file. Every
file that the reference protobuf decoder (python protobuf via onnx) cannot
decode must fail. Flipping a bit of a weight leaves a valid model, which dory may load.
"""
import os
import subprocess

import numpy as np
import pytest

import onnx
import onnxruntime as ort
import ort_oracle
from onnx import helper, numpy_helper

import onnx_models as om
from conftest import SANITIZER_REPORTS, assert_user_error

SPECS = [("conv", 8, 3, 1, (1, 1, 1, 1), 1), ("relu",), ("maxpool", 2, 2, (0, 0, 0, 0)),
         ("conv", 8, 3, 2, (0, 1, 1, 0), 1), ("gap",), ("flatten",), ("gemm", 4)]
IN = (1, 4, 8, 8)


@pytest.fixture(scope="module")
def base_models(tmp_path_factory):
    d = tmp_path_factory.mktemp("onnx_base")
    out = {}
    for fmt in ("qdq", "qop"):
        sub = d / fmt
        sub.mkdir()
        out[fmt] = om.quantize(om.float_model(SPECS, IN, seed=2), str(sub), fmt=fmt,
                               per_channel=True)
    onnx.save(om.nemo_model(seed=1), d / "nemo.onnx")
    out["nemo"] = str(d / "nemo.onnx")
    return out


def python_parses(data):
    """The reference protobuf decoder accepts the bytes (the model may still
    be semantically broken)."""
    try:
        onnx.ModelProto().ParseFromString(data)
        return True
    except Exception:
        return False


def corpus(data, rng, ntrunc=25, nflip=40):
    out = []
    for n in sorted(set(int(v) for v in np.linspace(0, len(data) - 1, ntrunc))):
        out.append(("trunc%d" % n, data[:n]))
    for i in range(nflip):
        b = bytearray(data)
        for _ in range(1 + i % 3):
            pos = int(rng.integers(0, len(b)))
            b[pos] ^= 1 << int(rng.integers(0, 8))
        out.append(("flip%d" % i, bytes(b)))
    return out


def test_corrupted_corpus(base_models, dory_asan, tmp_path):
    rng = np.random.default_rng(1234)
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0",
               UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1")
    stats = {"files": 0, "errors": 0, "loaded": 0, "unparsable": 0}
    for kind, path in base_models.items():
        data = open(path, "rb").read()
        for tag, blob in corpus(data, rng):
            f = tmp_path / f"{kind}_{tag}.onnx"
            f.write_bytes(blob)
            p = subprocess.run([str(dory_asan), "inspect", str(f)], capture_output=True,
                               text=True, errors="replace", timeout=120, env=env)
            stats["files"] += 1
            if not python_parses(blob):
                stats["unparsable"] += 1
                assert p.returncode == 1, f"{f}: a model onnx cannot parse was accepted"
            if p.returncode:
                stats["errors"] += 1
                assert_user_error(p, status=1)
                lines = [ln for ln in p.stderr.splitlines() if "error:" in ln]
                assert str(f) in lines[0], f"{f}: unclear error:\n{p.stderr}"
            else:
                assert not any(r in p.stderr for r in SANITIZER_REPORTS), p.stderr
                stats["loaded"] += 1
    print(f"corrupted corpus: {stats}")
    assert stats["errors"] >= stats["unparsable"] > 0


def test_unsupported_op_message(dory, run_dory, tmp_path):
    m = om.nemo_model(seed=1)
    g = m.graph
    last = g.output[0].name
    g.node.append(helper.make_node("Tanh", [last], ["t_out"], name="my_tanh"))
    g.node.append(helper.make_node("Relu", ["t_out"], ["r_out"], name="after"))
    del g.output[:]
    g.output.append(helper.make_tensor_value_info("r_out", onnx.TensorProto.FLOAT, None))
    f = tmp_path / "tanh.onnx"
    onnx.save(m, f)
    p = run_dory(dory, "inspect", f, check=False)
    assert_user_error(p, f, "my_tanh", "Tanh", status=1)
    assert len([ln for ln in p.stderr.splitlines() if "error:" in ln]) == 1, p.stderr


def run_model(dory, run_dory, path, d, x, *extra):
    np.save(d / "in.npy", x)
    out = d / "out.npy"
    run_dory(dory, "run", path, "--input", d / "in.npy", "-o", out, *extra)
    return np.load(out)


def test_external_data_and_typed_fields(base_models, dory, run_dory, tmp_path):
    m = onnx.load(base_models["qdq"])
    x = np.random.default_rng(0).integers(0, 256, IN).astype(np.uint8)
    ref = run_model(dory, run_dory, base_models["qdq"], tmp_path, x)
    ext = tmp_path / "ext"
    ext.mkdir()
    onnx.save(m, ext / "m.onnx", save_as_external_data=True, all_tensors_to_one_file=True,
              location="weights.bin", size_threshold=0)
    assert (ext / "weights.bin").stat().st_size > 0
    assert np.array_equal(run_model(dory, run_dory, ext / "m.onnx", tmp_path, x), ref)
    # typed fields (float_data, int32_data, int64_data) instead of raw_data
    m2 = onnx.load(base_models["qdq"])
    for i, t in enumerate(m2.graph.initializer):
        a = numpy_helper.to_array(t)
        typed = helper.make_tensor(t.name, t.data_type, a.shape, a.flatten().tolist(), raw=False)
        m2.graph.initializer[i].CopyFrom(typed)
    assert not any(t.HasField("raw_data") for t in m2.graph.initializer)
    onnx.save(m2, tmp_path / "typed.onnx")
    assert np.array_equal(run_model(dory, run_dory, tmp_path / "typed.onnx", tmp_path, x), ref)
    # a missing external data file is a clear error
    os.remove(ext / "weights.bin")
    p = run_dory(dory, "inspect", ext / "m.onnx", check=False)
    assert_user_error(p, "weights.bin", status=1)


@pytest.mark.parametrize("opset", [10, 13, 17, 21])
def test_opsets(opset, dory, run_dory, tmp_path):
    specs = [("conv", 8, 3, 2, (1, 0, 0, 1), 1), ("relu",), ("maxpool", 2, 1, (0, 0, 0, 0)),
             ("flatten",), ("gemm", 5)]
    m = om.float_model(specs, IN, seed=opset, opset=opset)
    path = om.quantize(m, str(tmp_path), fmt="qdq", per_channel=opset >= 13)
    assert onnx.load(path).opset_import[0].version >= opset
    x = np.random.default_rng(opset).integers(0, 256, IN).astype(np.uint8)
    ref = ort_oracle.session(path).run(None, {"input_quantized" if False else
                                                ort_oracle.session(path).get_inputs()[0].name: x})[0]
    got = run_model(dory, run_dory, path, tmp_path, x)
    assert np.array_equal(got.reshape(-1), ref.reshape(-1))


def test_forced_dialect(base_models, dory, run_dory):
    assert run_dory(dory, "inspect", base_models["qdq"], "--dialect", "qdq").returncode == 0
    assert run_dory(dory, "inspect", base_models["nemo"], "--dialect", "nemo").returncode == 0
    p = run_dory(dory, "inspect", base_models["qdq"], "--dialect", "nemo", check=False)
    assert_user_error(p, status=1)
    p = run_dory(dory, "inspect", base_models["qdq"], "--dialect", "tflite", check=False)
    assert_user_error(p, "unknown ONNX dialect", status=1)


def _tiny_nemo(nodes, out, extra_inits=()):
    w = numpy_helper.from_array(np.ones((2, 1, 3, 3), np.float32), "w")
    g = helper.make_graph(nodes, "t", [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT,
                                                                     [1, 1, 6, 6])],
                          [helper.make_tensor_value_info(o, onnx.TensorProto.FLOAT, None)
                           for o in out], [w, *extra_inits])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 10)])


@pytest.mark.parametrize("case", ["pad_value", "fanout", "maxpool_pad"])
def test_refused_patterns(case, dory, run_dory, tmp_path):
    """Patterns that cannot be lowered exactly get one clear error."""
    k = numpy_helper.from_array(np.array([3.0], np.float32), "k")
    conv = helper.make_node("Conv", ["p", "w"], ["c"], name="conv", kernel_shape=[3, 3])
    if case == "pad_value":
        nodes = [helper.make_node("Pad", ["x"], ["p"], name="pad", pads=[0, 0, 1, 1, 0, 0, 1, 1],
                                  value=7.0), conv,
                 helper.make_node("Clip", ["c"], ["y"], name="clip", min=0.0, max=255.0)]
        outs, want = ["y"], "Pad value 7"
    elif case == "fanout":
        nodes = [helper.make_node("Identity", ["x"], ["p"], name="id"), conv,
                 helper.make_node("Mul", ["c", "k"], ["m"], name="mul"),
                 helper.make_node("Clip", ["m"], ["y"], name="clip", min=0.0, max=255.0),
                 helper.make_node("Clip", ["c"], ["z"], name="clip2", min=0.0, max=255.0)]
        outs, want = ["y", "z"], "consumers"
    else:
        nodes = [helper.make_node("Identity", ["x"], ["p"], name="id"), conv,
                 helper.make_node("Clip", ["c"], ["r"], name="clip", min=0.0, max=255.0),
                 helper.make_node("Pad", ["r"], ["q"], name="pad", pads=[0, 0, 1, 1, 0, 0, 1, 1],
                                  value=9.0),
                 helper.make_node("MaxPool", ["q"], ["y"], name="pool", kernel_shape=[2, 2])]
        outs, want = ["y"], "MaxPool"
    f = tmp_path / f"{case}.onnx"
    onnx.save(_tiny_nemo(nodes, outs, [k]), f)
    p = run_dory(dory, "inspect", f, check=False)
    assert_user_error(p, want, f, status=1)


def test_duplicate_and_empty_node_names(dory, run_dory, tmp_path):
    """ONNX node names are optional; the IR's are made unique. (onnxruntime
    refuses repeated non-empty names, so dory's handling of those is only
    exercised by the fuzzer.)"""
    m = om.nemo_model(seed=4)
    for n in m.graph.node:
        n.name = ""
    f = tmp_path / "names.onnx"
    onnx.save(m, f)
    x = np.random.default_rng(2).integers(0, 256, (1, 4, 10, 10))
    ref = ort_oracle.session(str(f)).run(None, {"input": x.astype(np.float32)})[0]
    got = run_model(dory, run_dory, f, tmp_path, x.astype(np.uint8))
    assert np.array_equal(got.reshape(-1), ref.reshape(-1).astype(np.int64))
    assert run_dory(dory, "run", f, "--random", "1", "--dump", tmp_path / "d").returncode == 0
