"""The command line: help, version, errors on bad invocations and files."""
from conftest import assert_user_error


def test_help_and_version(dory, run_dory):
    out = run_dory(dory, "--help").stdout
    for cmd in ("run", "inspect", "deploy"):
        assert cmd in out
    assert run_dory(dory, "--version").stdout.startswith("dory ")
    for cmd in ("run", "inspect", "deploy"):
        p = run_dory(dory, cmd, "--help")
        assert "usage: dory " + cmd in p.stdout


def test_deploy_argument_errors(dory, run_dory, tmp_path):
    p = run_dory(dory, "deploy", tmp_path / "m.dory", check=False)
    assert_user_error(p, "-o DIR", status=2)
    p = run_dory(dory, "deploy", tmp_path / "m.dory", "-o", tmp_path / "app", "--check", "most",
                 check=False)
    assert_user_error(p, "--check", status=2)


def test_unknown_command_and_option(dory, run_dory):
    p = run_dory(dory, "frobnicate", check=False)
    assert_user_error(p, "unknown command", status=2)
    p = run_dory(dory, "run", "--frob", check=False)
    assert_user_error(p, "unknown option", status=2)


def test_missing_and_unreadable_model(dory_asan, run_dory, tmp_path):
    p = run_dory(dory_asan, "run", tmp_path / "nope.dory", "--random", "1", check=False)
    assert_user_error(p, tmp_path / "nope.dory", "cannot open", status=1)
    d = tmp_path / "dir.dory"
    d.mkdir()
    p = run_dory(dory_asan, "inspect", d, check=False)
    assert_user_error(p, d, status=1)
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(bytes(range(256)) * 4)
    p = run_dory(dory_asan, "inspect", garbage, check=False)
    assert_user_error(p, garbage, status=1)
