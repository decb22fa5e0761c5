"""Reference JSON, the written report, MLflow logging and the CLI function: aggregates only."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from driftflag import HUMAN_DECISION_NOTICE
from driftflag.monitoring import (
    MonitorConfig,
    MonitoringError,
    Reference,
    build_reference,
    load_reference,
    monitor,
)


def _frames(seed: int = 0, n: int = 2000, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "child_id": [f"C{seed}{i:06d}" for i in range(n)],
        "plan_days": np.round(rng.gamma(2, 80 * (1 + shift), n)),
        "episodes": rng.poisson(0.3, n).astype(float),
        "status": rng.choice(["C1", "C2", "V2"], n, p=[0.3, 0.5, 0.2]),
        "overdue": rng.random(n) < 0.2,
        "score": rng.beta(2, 8 - 4 * shift, n),
    })


FEATURES = ["plan_days", "episodes", "status", "overdue"]


@pytest.fixture
def ref() -> Reference:
    return build_reference(_frames(0, 6000), FEATURES, "score", label="toy reference")


def test_reference_round_trips_and_holds_no_rows(ref, tmp_path):
    path = ref.write(tmp_path / "ref.json")
    back = load_reference(path)
    assert back == ref
    text = path.read_text()
    assert "C0" not in text  # no child id
    assert {f.kind for f in back.features.values()} == {"continuous", "count", "categorical", "boolean"}
    assert back.features["plan_days"].test == "ks" and back.features["status"].test == "chi2"
    assert len(back.features["plan_days"].quantiles) == 99  # a sketch, not 6,000 values
    data = json.loads(text)
    assert data["features"]["status"]["categories"] == {"C1": pytest.approx(1800, rel=0.1),
                                                        "C2": pytest.approx(3000, rel=0.1),
                                                        "V2": pytest.approx(1200, rel=0.1)}


def test_bad_reference_and_inputs_raise_typed_errors(ref, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema_version": 99}')
    with pytest.raises(MonitoringError, match="schema version 99"):
        load_reference(bad)
    with pytest.raises(MonitoringError, match="lacks feature column"):
        monitor(_frames(1).drop(columns="status"), ref)
    with pytest.raises(MonitoringError, match="no rows"):
        monitor(_frames(1).iloc[:0], ref)
    with pytest.raises(MonitoringError, match="psi_watch"):
        (tmp_path / "m.yaml").write_text("psi_watch: 0.3\n")
        MonitorConfig.from_yaml(tmp_path / "m.yaml")
    with pytest.raises(MonitoringError, match="unknown"):
        (tmp_path / "m.yaml").write_text("unknown: 1\n")
        MonitorConfig.from_yaml(tmp_path / "m.yaml")


def test_pipeline_config_loads():
    cfg = MonitorConfig.from_yaml("pipelines/monitor.yaml")
    assert cfg.psi_watch == 0.1 and cfg.psi_shift == 0.25


def test_same_process_stable_shifted_flagged(ref):
    assert monitor(_frames(1), ref).verdict == "stable"
    report = monitor(_frames(2, shift=0.6), ref)
    assert report.verdict == "retrain"
    assert "plan_days" in report.flagged()


def test_write_is_deterministic_and_aggregate_only(ref, tmp_path):
    report = monitor(_frames(2, shift=0.6), ref, month="2025-11")
    a, b = report.write(tmp_path / "a"), report.write(tmp_path / "b")
    files = sorted(p.relative_to(a).as_posix() for p in a.rglob("*") if p.is_file())
    assert {"monitor.html", "monitor.json", "by_feature.csv", "charts/score.png",
            "charts/plan_days.png"} <= set(files)
    for f in files:
        assert (a / f).read_bytes() == (b / f).read_bytes(), f
    html = (a / "monitor.html").read_text()
    assert HUMAN_DECISION_NOTICE in html and "data drift" in html and "Verdict: retrain" in html
    for f in ("monitor.html", "monitor.json", "by_feature.csv"):
        assert "C2000" not in (a / f).read_text()  # no child id anywhere
    assert json.loads((a / "monitor.json").read_text())["verdict"] == "retrain"


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    """One MLflow workspace for the module: creating a SQLite store takes seconds."""
    path = tmp_path_factory.mktemp("ws")
    (path / "artifacts").mkdir()
    return path


def test_log_to_mlflow_uses_the_given_sqlite_store(ref, ws, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    from mlflow import MlflowClient

    uri = f"sqlite:///{ws / 'mlflow.db'}"
    report = monitor(_frames(2, shift=0.6), ref, month="2025-11")
    run_id = report.log_to_mlflow(uri, experiment="monitoring-test")
    client = MlflowClient(tracking_uri=uri)
    run = client.get_run(run_id)
    assert run.data.metrics["monitor.verdict"] == 2.0
    assert run.data.metrics["monitor.max_psi"] > 0.25  # the shifted input; per input in the report
    assert len(run.data.metrics) <= 12, sorted(run.data.metrics)
    hist = client.get_metric_history(run_id, "monitor.score.psi")
    assert [m.step for m in hist] == [202511]
    arts = [a.path for a in client.list_artifacts(run_id, "monitoring/2025-11")]
    assert "monitoring/2025-11/monitor.html" in arts
    assert not (tmp_path / "mlruns").exists()
    # logging to an existing run (the model's) adds to it, one step per month
    report2 = monitor(_frames(3), ref, month="2025-12")
    assert report2.log_to_mlflow(uri, run_id=run_id) == run_id
    assert [m.step for m in client.get_metric_history(run_id, "monitor.verdict")] == [202511, 202512]
    with pytest.raises(MonitoringError, match="explicit"):
        report.log_to_mlflow("./mlruns")


def _app() -> typer.Typer:
    from driftflag.cli import app

    return app


def test_command_with_reference_and_current_files(ref, ws, tmp_path):
    ref.write(tmp_path / "ref.json")
    _frames(2, shift=0.6).to_parquet(tmp_path / "cur.parquet")
    res = CliRunner().invoke(_app(), [
        "monitor", "--month", "2025-11", "--reference", str(tmp_path / "ref.json"),
        "--current", str(tmp_path / "cur.parquet"), "--out", str(tmp_path / "out"),
        "--workspace", str(ws)])
    assert res.exit_code == 0, res.output
    assert "retrain" in res.output and (tmp_path / "out" / "2025-11" / "monitor.html").exists()
    assert "logged to MLflow run" in res.output and (ws / "mlflow.db").exists()


def test_command_reports_a_missing_model_as_one_line(ws, tmp_path):
    res = CliRunner().invoke(_app(), ["monitor", "--month", "2025-11", "--store", str(tmp_path),
                                      "--workspace", str(ws), "--no-mlflow"])
    assert res.exit_code == 2
    assert "driftflag: error: no model driftflag-future-drift@champion" in res.output


def test_by_feature_csv_neutralises_formula_like_text(tmp_path):
    import csv

    frames = _frames(0, 600).rename(columns={"status": "=status"})
    frames["=status"] = frames["=status"].map({"C1": "+C1", "C2": "@C2", "V2": "-V2"})
    reference = build_reference(frames, ["plan_days", "=status"], "score", label="toy")
    report = monitor(_frames(2, 600, shift=0.6).rename(columns={"status": "=status"}), reference,
                     month="2025-11")
    out = report.write(tmp_path / "m")
    with open(out / "by_feature.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    cells = [c for row in rows for c in row]
    assert "'=status" in cells
    assert not any(c.startswith(("=", "+", "@")) for c in cells)
    assert all(float(c) < 0 for c in cells if c.startswith("-"))  # only negative numbers
    assert pd.read_csv(out / "by_feature.csv").select_dtypes("number").shape[1] >= 1
