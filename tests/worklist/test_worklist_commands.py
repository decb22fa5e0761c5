"""Command wiring only (behaviour is tested on the library): worklist, audits import, report."""

from __future__ import annotations

from pathlib import Path

import joblib
import typer
from typer.testing import CliRunner

from driftflag import HUMAN_DECISION_NOTICE
from driftflag.worklist.commands import audits_import, audits_report, worklist

ROOT = Path(__file__).resolve().parents[2]


def make_app() -> typer.Typer:
    app = typer.Typer()
    app.command("worklist")(worklist)
    audits = typer.Typer()
    audits.command("import")(audits_import)
    audits.command("report")(audits_report)
    app.add_typer(audits, name="audits")
    return app


def test_worklist_then_import_and_report(tmp_path, store_path, logistic_model, monkeypatch):
    model = tmp_path / "model.joblib"
    joblib.dump(logistic_model, model)
    monkeypatch.setenv("DRIFTFLAG_PSEUDONYM_KEY", "k" * 24)
    runner = CliRunner()
    out = tmp_path / "wl"
    r = runner.invoke(make_app(), ["worklist", "--store", str(store_path), "--month", "2025-11",
                                   "--policy", str(ROOT / "pipelines" / "monthly_audit.yaml"),
                                   "--model", str(model), "--out", str(out)])
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
