"""Shared pytest fixtures: build dory once per session, locate ../shared models.

Fixtures:
  dory        path to the release binary (build/dory), built once
  dory_asan   path to the AddressSanitizer+UBSan binary (build/asan/dory)
  rq_eval     path to build/rq_eval (evaluates requant cases for the oracle test)
  test_graphs directory with the unit tests' graphs as .dory files
  run_dory    helper running a dory binary, returning CompletedProcess
  shared_models  path to ../shared/models, or a skip with the reason
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
