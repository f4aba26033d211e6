"""Corrupted-model corpus (issue 11): seeded mutants of every bundled and
test-built model through `inspect`, `run --random 1` and `deploy -t gap8`
with the sanitizer build, each run bounded in time.

Mutants: truncations, bit flips, byte overwrites (the only ones for TFLite
flatbuffers), and for ONNX field edits
with the onnx package (huge and negative dims, missing initializers, a node
consuming its own output, thousands of unused initializers, no nodes); for
.dory text, dropped and duplicated lines. A run fails the test on a hang, a
signal, any sanitizer output, exit 0 after a `dory: error:` line, or a
non-zero exit without one. Deterministic (seeds from the model's name), in
independent chunks for pytest-xdist; counts go to the terminal summary
(conftest's pytest_terminal_summary) whatever -s says.

Must not: depend on ../shared, write outside tmp_path, or take more than
about a minute on two cores.
"""
import os
import shutil
import subprocess
import zlib

import numpy as np
import pytest

import onnx
from onnx import helper, numpy_helper

import onnx_models as om
import tflite_models as tm
from conftest import ROOT, SANITIZER_REPORTS

MODELS = ["examples/kws_dscnn.onnx", "examples/kws_tiny.dory"] + \
    sorted(f"tests/ir/{p.name}" for p in (ROOT / "tests" / "ir").glob("*.dory")) + \
    ["built:qdq", "built:nemo", "built:tflite_dscnn", "built:tflite_residual"]
CHUNKS = 3
TIMEOUT = 30
ENV = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=86",
           UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=87")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    d = tmp_path_factory.mktemp("corpus_models")
    specs = [("conv", 8, 3, 1, (1, 1, 1, 1), 1), ("relu",), ("maxpool", 2, 2, (0, 0, 0, 0)),
             ("gap",), ("flatten",), ("gemm", 4)]
    (d / "qdq").mkdir()
    qdq = om.quantize(om.float_model(specs, (1, 4, 8, 8), seed=3), str(d / "qdq"), fmt="qdq")
    onnx.save(om.nemo_model(seed=2), d / "nemo.onnx")
    paths = {"built:qdq": qdq, "built:nemo": str(d / "nemo.onnx")}
    for name in ("dscnn", "residual"):  # TFLite flatbuffers
        (d / f"{name}.tflite").write_bytes(tm.MODELS[name](seed=3))
        paths[f"built:tflite_{name}"] = str(d / f"{name}.tflite")
    return paths


def byte_mutants(data, rng):
    out = []
    for n in sorted(set(int(v) for v in np.linspace(0, len(data) - 1, 10))):
        out.append((f"trunc{n}", data[:n]))
    for i in range(18):
        b = bytearray(data)
        for _ in range(1 + i % 3):
            pos = int(rng.integers(0, len(b)))
            b[pos] ^= 1 << int(rng.integers(0, 8))
        out.append((f"flip{i}", bytes(b)))
    for i in range(10):
        b = bytearray(data)
        pos = int(rng.integers(0, len(b)))
        val = [0x00, 0xff, 0x7f, 0x80, int(rng.integers(0, 256))][i % 5]
        for k in range(pos, min(len(b), pos + 1 + int(rng.integers(0, 8)))):
            b[k] = val
        out.append((f"over{i}", bytes(b)))
    return out


def text_mutants(data, rng):
    lines = data.split(b"\n")
    out = []
    for i in range(8):
        ls = list(lines)
        k = int(rng.integers(0, len(ls)))
        if i % 2:
            ls.insert(k, ls[k])
        else:
            del ls[k]
        out.append((f"line{i}", b"\n".join(ls)))
    return out


def onnx_mutants(data, rng):
    """Field edits of a model that onnx can decode."""
    base = onnx.ModelProto()
    base.ParseFromString(data)
    out = []

    def edit(tag, fn):
        m = onnx.ModelProto()
        m.CopyFrom(base)
        fn(m.graph)
        out.append((tag, m.SerializeToString()))

    def set_dim(v, i, value):
        v.type.tensor_type.shape.dim[i].dim_value = value

    def init_dims(g, dims):
        t = max(g.initializer, key=lambda t: len(t.dims))
        del t.dims[:]
        t.dims.extend(dims)

    inits = [t.name for t in base.graph.initializer]
    edit("in_dim_huge", lambda g: set_dim(g.input[0], 1, 2 ** 40))
    edit("in_dim_neg", lambda g: set_dim(g.input[0], 2, -3))
    edit("in_dim_zero", lambda g: set_dim(g.input[0], 3, 0))
    edit("init_dims_huge", lambda g: init_dims(g, [2 ** 31, 2 ** 31, 3, 3]))
    edit("init_dims_neg", lambda g: init_dims(g, [-1, 4]))
    for k in sorted(set(int(v) for v in rng.integers(0, len(inits), 3))):
        edit(f"no_init{k}", lambda g, k=k: g.initializer.remove(g.initializer[k]))
    for k in sorted(set(int(v) for v in rng.integers(0, len(base.graph.node), 3))):
        edit(f"self_ref{k}", lambda g, k=k: g.node[k].input.__setitem__(0, g.node[k].output[0]))
    edit("unused_inits", lambda g: g.initializer.extend(
        numpy_helper.from_array(np.array([i], dtype=np.float32), f"unused_{i}")
        for i in range(3000)))
    edit("no_nodes", lambda g: g.ClearField("node"))
    edit("nodes_reversed", lambda g: (lambda ns: (g.ClearField("node"), g.node.extend(ns[::-1])))(
        list(g.node)))
    edit("extra_inputs", lambda g: g.node[0].input.extend(["input"] * 2000))
    edit("no_outputs", lambda g: g.ClearField("output"))
    edit("output_undefined", lambda g: g.output[0].__setattr__("name", "nowhere"))
    return out


def mutants(model, path):
    data = open(path, "rb").read()
    rng = np.random.default_rng(zlib.crc32(model.encode()))
    out = byte_mutants(data, rng)
    if path.endswith(".onnx"):
        out += onnx_mutants(data, rng)
    elif path.endswith(".dory"):
        out += text_mutants(data, rng)
    return out


def check(p, what, failures):
    """Returns 'error' or 'ok', or appends a failure."""
    err = p.stderr
    bad = [r for r in SANITIZER_REPORTS if r in err]
    diag = "dory: error:" in err
    if p.returncode < 0:
        failures.append(f"{what}: signal {-p.returncode}\n{err[-2000:]}")
    elif bad:
        failures.append(f"{what}: sanitizer report {bad}\n{err[-2000:]}")
    elif p.returncode == 0 and diag:
        failures.append(f"{what}: exit 0 after a diagnostic\n{err[-2000:]}")
    elif p.returncode != 0 and not diag:
        failures.append(f"{what}: exit {p.returncode} without 'dory: error:'\n{err[-2000:]}")
    elif err.count("dory: error:") > 1:
        failures.append(f"{what}: more than one 'dory: error:' line\n{err[-2000:]}")
    else:
        return "error" if p.returncode else "ok"
    return "fail"


def run(binary, args, what, failures):
    try:
        p = subprocess.run([str(binary), *map(str, args)], capture_output=True, text=True,
                           errors="replace", timeout=TIMEOUT, env=ENV, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        failures.append(f"{what}: hang (no exit within {TIMEOUT} s)")
        return "fail"
    return check(p, what, failures)


@pytest.mark.parametrize("chunk", range(CHUNKS))
@pytest.mark.parametrize("model", MODELS)
def test_corrupted_corpus(model, chunk, built, dory_asan, tmp_path, record_property):
    src = built[model] if model.startswith("built:") else str(ROOT / model)
    ext = ".onnx" if src.endswith(".onnx") else ".dory"
    counts = {"mutants": 0, "runs": 0, "error": 0, "ok": 0}
    failures = []
    for i, (tag, blob) in enumerate(mutants(model, src)):
        if i % CHUNKS != chunk:
            continue
        counts["mutants"] += 1
        f = tmp_path / f"{tag}{ext}"
        f.write_bytes(blob)
        what = f"{model} {tag}"
        first = run(dory_asan, ["inspect", f], f"{what} inspect", failures)
        counts["runs"] += 1
        counts[first] = counts.get(first, 0) + 1
        app = tmp_path / f"app_{tag}"
        for cmd, args in (("run", ["run", f, "--random", 1]),
                          ("deploy", ["deploy", f, "-t", "gap8", "-o", app])):
            r = run(dory_asan, args, f"{what} {cmd}", failures)
            counts["runs"] += 1
            counts[r] = counts.get(r, 0) + 1
        shutil.rmtree(app, ignore_errors=True)
        if not failures:
            f.unlink()
    record_property("corpus_counts", counts)
    summary = (f"corpus {model}[{chunk}]: {counts['mutants']} mutants, {counts['runs']} runs, "
               f"{counts['error']} clean errors, {counts['ok']} successes")
    print(summary)
    assert not failures, summary + f", {len(failures)} failures (files kept in {tmp_path}):\n" + \
        "\n\n".join(failures[:5])
