"""Command wiring only (behaviour is tested on the library): worklist, audits import, report."""

from __future__ import annotations

from pathlib import Path

import joblib
import pytest
import typer
from typer.testing import CliRunner

from driftflag import HUMAN_DECISION_NOTICE

ROOT = Path(__file__).resolve().parents[2]


def make_app() -> typer.Typer:
    from driftflag.cli import app

    return app


@pytest.fixture()
def workspace(registered_workspace):
    """The shared registry with the logistic model as champion (tests/worklist/conftest.py)."""
    return registered_workspace


def test_worklist_then_import_and_report(tmp_path, store_path, workspace, monkeypatch):
    monkeypatch.setenv("DRIFTFLAG_PSEUDONYM_KEY", "k" * 24)
    runner = CliRunner()
    out = tmp_path / "wl"
    r = runner.invoke(make_app(), ["worklist", "--store", str(store_path), "--month", "2025-11",
                                   "--policy", str(ROOT / "pipelines" / "monthly_audit.yaml"),
                                   "--workspace", str(workspace), "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert HUMAN_DECISION_NOTICE in r.output
    assert (out / "worklist.xlsx").is_file() and (out / "shared" / "worklist_shared.csv").is_file()
    assert (store_path / "records" / "worklists" / "2025-11" / "worklist.parquet").is_file()

    r = runner.invoke(make_app(), ["audits", "import", str(out / "worklist.xlsx"), "--store", str(store_path)])
    assert r.exit_code == 0, r.output
    assert "imported 0 audits for 2025-11" in r.output
    r = runner.invoke(make_app(), ["audits", "report", "--store", str(store_path), "--from", "2025-06",
                                   "--to", "2025-11"])
    assert r.exit_code == 0, r.output
    assert "Drift found, by part of the sample" in r.output


def test_errors_are_one_line_with_exit_code_2(tmp_path, store_path):
    bad = tmp_path / "p.yaml"
    bad.write_text("name: x\nsize: 3\nshares: {highest_risk: 1, rule_flagged: 1, random: 0}\n")
    r = CliRunner().invoke(make_app(), ["worklist", "--store", str(store_path), "--month", "2025-11",
                                        "--policy", str(bad), "--model", "x", "--out", str(tmp_path / "o")])
    assert r.exit_code == 2
    assert "driftflag: error:" in r.output and "shares must sum to 1" in r.output


def test_a_model_file_is_refused_in_one_line(tmp_path, store_path, logistic_model, workspace):
    model = tmp_path / "model.joblib"
    joblib.dump(logistic_model, model)
    r = CliRunner().invoke(make_app(), ["worklist", "--store", str(store_path), "--month", "2025-11",
                                        "--policy", str(ROOT / "pipelines" / "monthly_audit.yaml"),
                                        "--workspace", str(workspace), "--model", str(model),
                                        "--out", str(tmp_path / "o")])
    assert r.exit_code == 2
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and "only from the workspace's registry" in lines[0]
    assert not (tmp_path / "o").exists()


def test_the_worklist_says_which_model_and_why(tmp_path, store_path, workspace):
    import openpyxl

    out = tmp_path / "wl"
    r = CliRunner().invoke(make_app(), ["worklist", "--store", str(store_path), "--month", "2025-11",
                                        "--policy", str(ROOT / "pipelines" / "monthly_audit.yaml"),
                                        "--workspace", str(workspace), "--model", "champion",
                                        "--out", str(out)])
    assert r.exit_code == 0, r.output
    facts = dict(openpyxl.load_workbook(out / "worklist.xlsx")["Summary"].iter_rows(
        min_row=4, max_row=12, max_col=2, values_only=True))
    # people read the model in words; the registry reference (name, version, why it serves) is
    # on the "About the sample" sheet for the data scientist
    assert facts["Model"].startswith("Ranked by a points scorecard learnt from this council's records")
    assert "the model in use (champion)" in facts["Model"] and " v1 " not in facts["Model"]
    about = openpyxl.load_workbook(out / "worklist.xlsx")["About the sample"]
    ref = {str(r[0].value): str(r[1].value) for r in about.iter_rows(min_row=3) if r[0].value}
    assert ref["Model reference (for the data scientist)"].startswith(
        "driftflag-future-drift v1 (logistic_scorecard), champion: ")
