"""Shared pytest fixtures: build dory once per session, locate ../shared models.

Fixtures:
  dory        path to the release binary (build/dory), built once
  dory_asan   path to the AddressSanitizer+UBSan binary (build/asan/dory)
  rq_eval     path to build/rq_eval (evaluates requant cases for the oracle test)
  test_graphs directory with the unit tests' graphs as .dory files
  run_dory    helper running a dory binary, returning CompletedProcess
  shared_models  path to ../shared/models; absent, a skip that says so, or a
              failure when DORY_REQUIRE_SHARED=1 (CI sets it when ../shared exists)
  rt_libs     the kernels and runtime compiled once (plain and sanitized) for
              building generated applications quickly (make run RT_LIB=...)

Helpers:
  assert_user_error(p, ...)  a bad input was refused cleanly
  require_shared(path)       ../shared/models/... must exist (see shared_models)
"""
import fcntl
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("DORY_BUILD", ROOT / "build")).resolve()
SHARED_MODELS = ROOT.parent / "shared" / "models"


def _goal(path):
    """A file under BUILD as the Makefile names it (relative to the project
    when BUILD is inside it), so that its rule and dependency file match."""
    path = pathlib.Path(path)
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def _make(*targets):
    """make in the project, one at a time across pytest-xdist workers."""
    BUILD.mkdir(parents=True, exist_ok=True)
    with open(BUILD / ".pytest-make.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        subprocess.run(["make", "-s", "-C", str(ROOT), f"BUILD={BUILD}",
                        *map(_goal, targets)], check=True)


SANITIZER_REPORTS = ("runtime error:", "AddressSanitizer", "LeakSanitizer")


def assert_user_error(p, *expected, status=None):
    """dory refused a bad input cleanly: a non-zero exit (`status` when
    given), exactly one `dory: error:` line, the diagnostics containing every
    string of `expected`, and no sanitizer report. Returns stderr."""
    err = p.stderr
    for report in SANITIZER_REPORTS:
        assert report not in err, f"sanitizer report ({report!r}):\n{err}"
    assert p.returncode > 0, f"exit status {p.returncode}, expected an error:\n{err}"
    if status is not None:
        assert p.returncode == status, f"exit status {p.returncode}, expected {status}:\n{err}"
    assert "dory: error:" in err, f"no 'dory: error:' diagnostic:\n{err}"
    assert err.count("dory: error:") == 1, f"more than one 'dory: error:' line:\n{err}"
    for want in expected:
        assert str(want) in err, f"{want!r} not in the diagnostic:\n{err}"
    return err


def require_shared(path):
    """Skips (saying what is missing) when a file or folder of ../shared/models
    is absent, or fails when DORY_REQUIRE_SHARED=1."""
    if path.exists():
        return path
    why = (f"{path} is absent: the tests on DORY's own networks and the MLPerf Tiny model "
           "need ../shared/models beside the project")
    if os.environ.get("DORY_REQUIRE_SHARED") == "1":
        pytest.fail(why + " (DORY_REQUIRE_SHARED=1)", pytrace=False)
    pytest.skip(why)


@pytest.fixture(scope="session")
def dory():
    _make(BUILD / "dory")
    return BUILD / "dory"


@pytest.fixture(scope="session")
def dory_asan():
    _make(BUILD / "asan" / "dory")
    return BUILD / "asan" / "dory"


@pytest.fixture(scope="session")
def rq_eval():
    _make(BUILD / "rq_eval")
    return BUILD / "rq_eval"


@pytest.fixture(scope="session")
def test_graphs(tmp_path_factory):
    """Directory of the C unit tests' graphs (tests/unit/graphs.c) as .dory files."""
    _make(BUILD / "dump_graphs")
    d = tmp_path_factory.mktemp("graphs")
    subprocess.run([str(BUILD / "dump_graphs"), str(d)], check=True)
    return d


@pytest.fixture(scope="session")
def run_dory():
    def run(binary, *args, check=True, input=None):
        p = subprocess.run([str(binary), *map(str, args)], capture_output=True, text=True,
                           input=input, timeout=600)
        if check and p.returncode != 0:
            raise AssertionError(f"dory {' '.join(map(str, args))} failed ({p.returncode}):\n"
                                 f"{p.stderr}")
        return p
    return run


@pytest.fixture(scope="session")
def shared_models():
    return require_shared(SHARED_MODELS)


# Generated applications are built as a user would, not as part of an outer
# make (`make test` runs pytest): drop the caller's make state.
CLEAN_ENV = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}


@pytest.fixture(scope="session")
def rt_libs(dory):
    """The kernels and runtime of this dory, compiled once (plain and with
    sanitizers; the Makefile's RT_LIBS) and linked into every test
    application, so that building an application compiles only its own
    files. Each application still carries the same sources (embedded in
    dory): what is linked is what was generated."""
    libs = {False: BUILD / "rtlib" / "libdory_rt.a", True: BUILD / "rtlib" / "libdory_rt_san.a"}
    _make(*libs.values())
    return libs


def pytest_terminal_summary(terminalreporter):
    """One line summing test_corpus.py's counts (record_property
    "corpus_counts"), printed with or without -s and across xdist workers."""
    total, n = {}, 0
    for key in ("passed", "failed"):
        for rep in terminalreporter.stats.get(key, []):
            for name, value in getattr(rep, "user_properties", []):
                if name == "corpus_counts" and getattr(rep, "when", "call") == "call":
                    n += 1
                    for k, v in value.items():
                        total[k] = total.get(k, 0) + v
    if n:
        terminalreporter.write_line(
            f"corrupted-model corpus: {n} chunks, {total.get('mutants', 0)} mutants, "
            f"{total.get('runs', 0)} runs, {total.get('error', 0)} clean errors, "
            f"{total.get('ok', 0)} successes, {total.get('fail', 0)} failed runs")
