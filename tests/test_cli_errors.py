"""Every mistake a user can make at the command line ends in one line, exit code 2, and never in
"internal error": a bad month, a missing store, a missing workspace (an unknown model alias is
tested on a trained workspace in tests/test_stage_api.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from driftflag.cli import app

ROOT = Path(__file__).resolve().parents[1]
POLICY = str(ROOT / "pipelines" / "monthly_audit.yaml")


def _one_line_error(args: list[str]) -> str:
    r = CliRunner().invoke(app, args)
    text = r.output.strip()
    assert r.exit_code == 2, r.output
    assert "\n" not in text and text.startswith("driftflag: error: "), text
    assert "internal error" not in text and "Traceback" not in text
    return text.removeprefix("driftflag: error: ")


@pytest.mark.parametrize("month", ["nov", "2026-13", "2026-3", "03-2026"])
@pytest.mark.parametrize("command", [
    ["worklist", "--out", "o", "--policy", POLICY, "--workspace", "{missing}"],
    ["monitor", "--out", "o", "--workspace", "{missing}"],
    ["scorecard", "--out", "o"],
])
def test_a_bad_month_is_named_before_anything_is_read(tmp_path, month, command):
    missing = str(tmp_path / "missing")
    args = [a.format(missing=missing) for a in command]
    msg = _one_line_error([*args, "--store", missing, "--month", month])
    assert msg == f"--month {month!r} is not a month (YYYY-MM)"
    assert not (tmp_path / "missing").exists()


def test_bad_months_in_features_name_their_option(tmp_path):
    base = ["features", "--store", str(tmp_path), "--out", str(tmp_path / "f.parquet")]
    assert _one_line_error([*base, "--from", "nov", "--to", "2026-03"]) == \
        "--from 'nov' is not a month (YYYY-MM)"
    assert _one_line_error([*base, "--from", "2026-01", "--to", "2026-13"]) == \
        "--to '2026-13' is not a month (YYYY-MM)"


def test_a_bad_month_in_a_pipeline_is_refused_before_any_step(tmp_path):
    msg = _one_line_error(["run", POLICY, "--set", "month=nov", "--workspace", str(tmp_path / "ws"),
                           "--no-tracking"])
    assert msg.endswith("with.month: 'nov' is not a month (YYYY-MM)")
    assert not (tmp_path / "ws" / "pipeline-cache").exists()


@pytest.mark.parametrize("command", [
    ["scorecard", "--month", "2026-03", "--out", "{tmp}/o"],
    ["features", "--from", "2026-01", "--to", "2026-03", "--out", "{tmp}/f.parquet"],
    ["audits", "report", "--from", "2025-06", "--to", "2025-11"],
])
def test_a_missing_store_is_one_line(tmp_path, command):
    args = [a.format(tmp=tmp_path) for a in command]
    msg = _one_line_error([*args, "--store", str(tmp_path / "nostore")])
    assert msg == f"{tmp_path / 'nostore'}: not a driftflag case store (no manifest.json)"


def test_a_missing_store_is_named_before_the_model_is_looked_for(tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "mlflow.db").touch()  # a workspace folder; the store is what is missing
    msg = _one_line_error(["worklist", "--store", str(tmp_path / "nostore"), "--month", "2026-03",
                           "--out", str(tmp_path / "o"), "--policy", POLICY, "--workspace", str(ws)])
    assert msg == f"{tmp_path / 'nostore'}: not a driftflag case store (no manifest.json)"


@pytest.mark.parametrize("command", [
    ["models", "show", "champion"],
    ["models", "list"],
    ["models", "promote"],
    ["models", "rollback"],
    ["worklist", "--store", "{tmp}", "--month", "2026-03", "--out", "{tmp}/o", "--policy", POLICY],
    ["monitor", "--store", "{tmp}", "--month", "2026-03", "--out", "{tmp}/o", "--no-mlflow"],
    ["fairness", "--store", "{tmp}", "--out", "{tmp}/o"],
])
def test_a_missing_workspace_is_one_line_and_not_created(tmp_path, command):
    ws = tmp_path / "nows"
    args = [a.format(tmp=tmp_path) for a in command]
    msg = _one_line_error([*args, "--workspace", str(ws)])
    assert msg == (f"no workspace at {ws}: train a model first (driftflag train), or give "
                   "--workspace (or $DRIFTFLAG_WORKSPACE) naming the folder that holds mlflow.db")
    assert not ws.exists()
