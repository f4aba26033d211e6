"""Golden-file tests of the generated C: small models deploy to exactly the
files checked in under tests/golden/<case>/ (the kernels and runtime copied
into the application are not compared: they are the project's own sources).

Cases: two models in dory's IR text and one ONNX model (a NEMO integer
network built deterministically by tests/py/onnx_models.py). Every model is
deployed from a fixed file name in the deploy folder, given as a relative
path, so the generated files do not depend on where the test runs.

The files that are the same in every application (SKELETON) are kept
once, in tests/golden/<SKELETON_CASE>/; the other cases are compared with that
copy.

A difference fails with a unified diff. When the generator, the planner or the
cost model changes on purpose, regenerate with `make golden` and review the
diff of tests/golden/ in the commit.
"""
import difflib
import os
import pathlib
import shutil
import subprocess

import onnx
import pytest

import onnx_models as om

ROOT = pathlib.Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden"


def nemo_onnx(path):
    onnx.save(om.nemo_model(seed=1), path)


CASES = {
    # name: (file name in the deploy folder, how to write it, deploy options)
    "conv_relu_gap8": ("conv_relu.dory",
                       lambda p: shutil.copyfile(ROOT / "tests" / "ir" / "conv_relu.dory", p),
                       ["-t", "gap8"]),
    "kws_tiny_l3": ("kws_tiny.dory",
                    lambda p: shutil.copyfile(ROOT / "examples" / "kws_tiny.dory", p),
                    ["-t", "gap8", "--l2", "9000", "--code-reserve", "0", "--l1", "30300"]),
    "nemo_onnx_gap8": ("nemo.onnx", nemo_onnx, ["-t", "gap8"]),
}
SKIP_DIRS = {"kernels", "runtime"}
# copies of the project's runtime/harness/, like kernels/ and runtime/, and the report
SKIP_FILES = {pathlib.Path("test/test_main.c"), pathlib.Path("test/dory_test.h"),
              # the deployment report: tests/py/test_report.py
              pathlib.Path("report.html"), pathlib.Path("report.json")}
SKELETON = {pathlib.Path(".dory-app")}
SKELETON_CASE = "conv_relu_gap8"


def generated_files(app):
    return sorted(p.relative_to(app) for p in app.rglob("*")
                  if p.is_file() and p.relative_to(app).parts[0] not in SKIP_DIRS
                  and p.relative_to(app) not in SKIP_FILES)


def golden_path(case, rel):
    return GOLDEN / (SKELETON_CASE if rel in SKELETON else case) / rel


@pytest.mark.parametrize("case", sorted(CASES))
def test_generated_code_matches_golden(dory, tmp_path, case):
    name, write, opts = CASES[case]
    write(tmp_path / name)
    subprocess.run([str(dory), "deploy", name, *opts, "--random", "1", "-o", "app"],
                   check=True, capture_output=True, cwd=tmp_path)
    app = tmp_path / "app"
    expected = GOLDEN / case
    got = generated_files(app)
    if os.environ.get("DORY_UPDATE_GOLDEN") == "1":
        shutil.rmtree(expected, ignore_errors=True)
        for rel in got:
            if rel in SKELETON and case != SKELETON_CASE:
                continue
            (expected / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(app / rel, expected / rel)
    assert expected.is_dir(), f"no golden files for {case}: run `make golden`"
    want = sorted(set(generated_files(expected)) | (SKELETON if case != SKELETON_CASE else set()))
    assert got == want, f"file sets differ: {set(got) ^ set(want)}"
    for rel in got:
        a, b = golden_path(case, rel).read_bytes(), (app / rel).read_bytes()
        if a != b:
            diff = difflib.unified_diff(a.decode(errors="replace").splitlines(),
                                        b.decode(errors="replace").splitlines(),
                                        f"golden/{rel}", f"generated/{rel}", lineterm="", n=2)
            shared = (f" (kept once, in tests/golden/{SKELETON_CASE}: if it now differs "
                      "between applications, take it out of SKELETON)") if rel in SKELETON else ""
            pytest.fail(f"{case}: {rel} differs from the golden file{shared} "
                        f"(regenerate on purpose with `make golden`):\n" +
                        "\n".join(list(diff)[:60]))
