"""Golden-file tests of the generated C: two small models deploy to exactly the
files checked in under tests/golden/<case>/ (the kernels and runtime copied
into the application are not compared: they are the project's own sources).

A difference fails with a unified diff. When the generator, the planner or the
cost model changes on purpose, regenerate with `make golden` and review the
diff of tests/golden/ in the commit.
"""
import difflib
import os
import pathlib
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden"
CASES = {
    # name: (model, deploy options)
    "conv_relu_gap8": (ROOT / "tests" / "ir" / "conv_relu.dory", ["-t", "gap8"]),
    "kws_tiny_l3": (ROOT / "examples" / "kws_tiny.dory",
                    ["-t", "gap8", "--l2", "9000", "--code-reserve", "0", "--l1", "30300"]),
}
SKIP_DIRS = {"kernels", "runtime"}


def generated_files(app):
    return sorted(p.relative_to(app) for p in app.rglob("*")
                  if p.is_file() and p.relative_to(app).parts[0] not in SKIP_DIRS)


@pytest.mark.parametrize("case", sorted(CASES))
def test_generated_code_matches_golden(dory, tmp_path, case):
    model, opts = CASES[case]
    app = tmp_path / "app"
    subprocess.run([str(dory), "deploy", str(model), *opts, "--random", "1", "-o", str(app)],
                   check=True, capture_output=True)
    expected = GOLDEN / case
    if os.environ.get("DORY_UPDATE_GOLDEN") == "1":
        shutil.rmtree(expected, ignore_errors=True)
        for rel in generated_files(app):
            (expected / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(app / rel, expected / rel)
    assert expected.is_dir(), f"no golden files for {case}: run `make golden`"
    got, want = generated_files(app), generated_files(expected)
    assert got == want, f"file sets differ: {set(got) ^ set(want)}"
    for rel in got:
        a, b = (expected / rel).read_bytes(), (app / rel).read_bytes()
        if a != b:
            diff = difflib.unified_diff(a.decode(errors="replace").splitlines(),
                                        b.decode(errors="replace").splitlines(),
                                        f"golden/{rel}", f"generated/{rel}", lineterm="", n=2)
            pytest.fail(f"{case}: {rel} differs from the golden file "
                        f"(regenerate on purpose with `make golden`):\n" +
                        "\n".join(list(diff)[:60]))
