"""The graph's name comes from the model, never from the command line: the
same model deployed from two folders (and under two spellings of its path)
gives byte-identical applications, and no generated file mentions a folder.
Covers an ONNX model (named by ModelProto.graph.name or its basename) and an
IR text model (named by its `graph` line).
"""
import filecmp
import pathlib
import shutil

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def tree(d):
    return sorted(p.relative_to(d) for p in d.rglob("*") if p.is_file())


def same_trees(a, b):
    ta, tb = tree(a), tree(b)
    assert ta == tb
    diff = [p for p in ta if not filecmp.cmp(a / p, b / p, shallow=False)]
    assert not diff, f"files differ between the two deployments: {diff}"


@pytest.mark.parametrize("model", ["kws_dscnn.onnx", "kws_tiny.dory"])
def test_deploy_from_two_folders_is_identical(dory, run_dory, tmp_path, model):
    src = ROOT / "examples" / model
    if not src.exists():
        pytest.skip(f"examples/{model} is absent")
    first = tmp_path / "one" / "models"
    second = tmp_path / "two" / "deeper" / "folder"
    for d in (first, second):
        d.mkdir(parents=True)
        shutil.copy(src, d / model)
    run_dory(dory, "deploy", first / model, "-t", "gap8", "-o", tmp_path / "app1")
    run_dory(dory, "deploy", f"{second}/./{model}", "-t", "gap8", "-o", tmp_path / "app2")
    same_trees(tmp_path / "app1", tmp_path / "app2")
    for p in tree(tmp_path / "app1"):
        data = (tmp_path / "app1" / p).read_bytes()
        assert str(tmp_path).encode() not in data, f"{p} names the model's folder"
