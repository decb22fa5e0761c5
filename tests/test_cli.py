"""The command line shell: help output and the one-line error contract."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from driftflag import cli
from driftflag.cli import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def _eighty_columns(monkeypatch):
    # The CLI's rich consoles fix their width when driftflag.cli is imported (from COLUMNS or
    # the terminal); pin it so the output does not depend on where the tests run.
    monkeypatch.setattr(cli.console, "width", 80)
    monkeypatch.setattr(cli.out, "width", 80)


def test_help_lists_commands():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0, result.output
    for command in ("synth", "calibration"):
        assert command in result.stdout
    assert "never decides" in " ".join(result.stdout.split())  # the human-decision notice


def test_no_arguments_shows_help():
    result = runner.invoke(app, [])
    assert "synth" in result.output


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.startswith("driftflag ")


@pytest.mark.parametrize("command", ["synth", "calibration"])
def test_command_help(command):
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.stdout


def _assert_one_line_error(result, *expected: str) -> None:
    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    lines = result.stderr.strip("\n").splitlines()
    assert len(lines) == 1, f"error is not one line: {result.stderr!r}"
    assert lines[0].startswith("driftflag: error: ")
    for text in expected:
        assert text in lines[0]


def test_calibration_on_missing_folder_is_one_line_error():
    result = runner.invoke(app, ["calibration", "/nonexistent"])
    _assert_one_line_error(result, "/nonexistent")


def test_long_error_stays_on_one_line():
    path = "/nonexistent/" + "a" * 40 + "/" + "b" * 40
    result = runner.invoke(app, ["calibration", path])
    _assert_one_line_error(result, path)


@pytest.mark.parametrize("given, expected", [
    ({}, "None 10000"),
    ({"GOMP_SPINCOUNT": "300000"}, "None 300000"),
    ({"OMP_WAIT_POLICY": "PASSIVE"}, "PASSIVE None"),
])
def test_the_command_bounds_how_long_openmp_threads_spin_unless_told(given, expected):
    """LightGBM's threads must not spin long on a shared machine: the entry point bounds the
    spin before any library loads OpenMP, and a wait setting the user made wins."""
    import os
    import subprocess
    import sys

    code = ("import os, sys\nimport driftflag.cli as c\nsys.argv = ['driftflag', '--help']\n"
            "try:\n    c.entry()\nexcept SystemExit:\n    pass\n"
            "print('wait', os.environ.get('OMP_WAIT_POLICY'), os.environ.get('GOMP_SPINCOUNT'))\n")
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    env.update(given)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         check=True).stdout
    assert out.strip().splitlines()[-1] == f"wait {expected}"
