"""Shared pytest fixtures: build dory once per session, locate ../shared models.

Fixtures:
  dory        path to the release binary (build/dory), built once
  dory_asan   path to the AddressSanitizer+UBSan binary (build/asan/dory)
  rq_eval     path to build/rq_eval (evaluates requant cases for the oracle test)
  test_graphs directory with the unit tests' graphs as .dory files
  run_dory    helper running a dory binary, returning CompletedProcess
  shared_models  path to ../shared/models, or a skip with the reason
  rt_libs     the kernels and runtime compiled once (plain and sanitized) for
              building generated applications quickly (make run RT_LIB=...)
"""
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("DORY_BUILD", ROOT / "build"))


def _make(*targets):
    subprocess.run(["make", "-s", "-C", str(ROOT), f"BUILD={BUILD}", *targets], check=True)


@pytest.fixture(scope="session")
def dory():
    _make(str(BUILD / "dory"))
    return BUILD / "dory"


@pytest.fixture(scope="session")
def dory_asan():
    _make(str(BUILD / "asan" / "dory"))
    return BUILD / "asan" / "dory"


@pytest.fixture(scope="session")
def rq_eval():
    _make(str(BUILD / "rq_eval"))
    return BUILD / "rq_eval"


@pytest.fixture(scope="session")
def test_graphs(tmp_path_factory):
    """Directory of the C unit tests' graphs (tests/unit/graphs.c) as .dory files."""
    _make(str(BUILD / "dump_graphs"))
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
    path = ROOT.parent / "shared" / "models"
    if not path.is_dir():
        pytest.skip(f"../shared/models is absent ({path}): the tests on DORY's own networks "
                    "and the MLPerf Tiny model need it")
    return path


# Generated applications are built as a user would, not as part of an outer
# make (`make test` runs pytest): drop the caller's make state.
CLEAN_ENV = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}


@pytest.fixture(scope="session")
def rt_libs(dory, tmp_path_factory):
    """The kernels and runtime of this dory, compiled once (plain and with
    sanitizers) and linked into every test application, so that building an
    application compiles only its own files. Each application still carries
    the same sources (embedded in dory): what is linked is what was generated."""
    d = tmp_path_factory.mktemp("rtlib")
    example = ROOT / "examples" / "kws_tiny.dory"
    subprocess.run([str(dory), "deploy", str(example), "-t", "gap8", "-o", str(d / "app")],
                   check=True, capture_output=True)
    libs = {}
    for san in (False, True):
        subprocess.run(["make", "-s", "-C", str(d / "app"), "rtlib", f"SAN={int(san)}"],
                       check=True, capture_output=True, env=CLEAN_ENV)
        lib = d / f"libdory_rt{'_san' if san else ''}.a"
        (d / "app" / "libdory_rt.a").rename(lib)
        libs[san] = lib
    return libs
