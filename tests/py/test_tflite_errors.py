"""TFLite files dory must refuse with one clear `dory: error:` line (the
sanitizer build, so that a read past the buffer would be reported):
truncated and bit-flipped flatbuffers, a wrong schema version, unsupported
operators (named with their operator index), unsupported forms of supported
operators, and the deprecated_builtin_code convention that must not be
mistaken for ADD."""
import numpy as np
import pytest

import tflite_models as tm
from conftest import SANITIZER_REPORTS, assert_user_error

S = tm.S


def small_model():
    net = tm.Net(4)
    x = net.input("x", [1, 6, 6, 3])
    y = net.conv(x, 4, (3, 3), act="relu")
    return net.build([net.fc(y, 5)])


def inspect(run_dory, dory, path, *extra):
    return run_dory(dory, "inspect", str(path), *extra, check=False)


@pytest.mark.parametrize("cut", [0, 3, 8, 16, 40, 100, 400, 1000, -200, -9, -1])
def test_truncated_file(dory_asan, run_dory, tmp_path, cut):
    data = small_model()
    path = tmp_path / "t.tflite"
    path.write_bytes(data[:cut])
    assert_user_error(inspect(run_dory, dory_asan, path), "t.tflite")


def test_bit_flips_give_errors_or_valid_graphs(dory_asan, run_dory, tmp_path):
    """Each of 150 single and triple bit flips: a clean error, or a graph
    that runs; never a crash or a sanitizer report. Most flips in the
    header and tables must be caught (the reader checks every offset)."""
    data = small_model()
    rng = np.random.default_rng(1)
    errors = 0
    for i in range(150):
        b = bytearray(data)
        for _ in range(1 + 2 * (i % 2)):
            pos = int(rng.integers(0, min(len(b), 600))) if i % 3 else int(rng.integers(0, len(b)))
            b[pos] ^= 1 << int(rng.integers(0, 8))
        path = tmp_path / "f.tflite"
        path.write_bytes(bytes(b))
        p = run_dory(dory_asan, "run", str(path), "--random", "1", check=False)
        assert not any(r in p.stderr for r in SANITIZER_REPORTS), p.stderr
        assert p.returncode >= 0, f"flip {i}: signal {p.returncode}"
        if p.returncode:
            assert_user_error(p)
            errors += 1
    assert errors > 30, f"only {errors} of 150 corrupted files refused"


def test_wrong_schema_version(dory, run_dory, tmp_path):
    data = bytearray(small_model())
    m = S.ModelT.InitFromPackedBuf(bytes(data), 0)
    m.version = 2
    import flatbuffers
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    path = tmp_path / "v.tflite"
    path.write_bytes(bytes(b.Output()))
    assert_user_error(inspect(run_dory, dory, path), "schema version 2, expected 3")


@pytest.mark.parametrize("op", ["TANH", "LOGISTIC", "MUL", "TRANSPOSE"])
def test_unsupported_operator_is_named_with_its_index(dory, run_dory, tmp_path, op):
    net = tm.Net(5)
    x = net.input("x", [1, 4, 4, 3])
    y = net.conv(x, 3, (1, 1), act="none")
    y = net.custom(getattr(S.BuiltinOperator, op), y)
    path = tmp_path / "u.tflite"
    path.write_bytes(net.build([y]))
    assert_user_error(inspect(run_dory, dory, path), "operator 1", f"({op})", "unsupported")


def test_unsupported_forms(dory, run_dory, tmp_path):
    cases = {}
    net = tm.Net(6)  # broadcasting ADD
    a = net.input("a", [1, 4, 4, 3])
    b = net.input("b", [1, 1, 1, 3])
    cases["broadcast"] = (net.build([net.add(a, b)]), "(ADD)", "broadcasting")
    net = tm.Net(6)  # MEAN over channels
    x = net.input("x", [1, 4, 4, 3])
    ax = net.tensor("ax", [1], tm.INT32, data=np.array([3], np.int32))
    y = net.act("m", [1, 4, 4, 1], 0.05, -3)
    net.op(S.BuiltinOperator.MEAN, [x, ax], [y], S.BuiltinOptions.ReducerOptions,
           S.ReducerOptionsT())
    cases["mean_c"] = (net.build([y]), "(MEAN)", "spatial axes")
    net = tm.Net(6)  # uint8 activations
    x = net.input("x", [1, 4, 4, 3], ttype=S.TensorType.UINT8)
    cases["uint8"] = (net.build([x]), "only int8")
    for name, (model, *want) in cases.items():
        path = tmp_path / f"{name}.tflite"
        path.write_bytes(model)
        assert_user_error(inspect(run_dory, dory, path), *want)


def test_deprecated_builtin_code_is_read(dory, run_dory, tmp_path):
    """An FC kept in deprecated_builtin_code with builtin_code 0 (ADD) is an
    FC: the larger of the two codes."""
    net = tm.Net(7)
    x = net.input("x", [1, 16])
    path = tmp_path / "d.tflite"
    path.write_bytes(net.build([net.fc(x, 4, deprecated=True)]))
    p = run_dory(dory, "inspect", str(path))
    assert " fc " in p.stdout and " add " not in p.stdout, p.stdout


def test_unknown_arith(dory, run_dory, tmp_path):
    path = tmp_path / "m.tflite"
    path.write_bytes(small_model())
    assert_user_error(inspect(run_dory, dory, path, "--tflite-arith", "cmsis"),
                      "--tflite-arith 'cmsis'")
