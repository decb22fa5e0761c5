"""A real training run as MLflow shows it, the registered artefact, and a team tracking server.

One small synthetic LA (its canonical store and truth) is trained once into a local workspace
(``trained``); the tests read that run: few metric keys with the folds as steps, the training
data logged without rows, the version descriptions, aliases never doubled, and the registered
pipeline scoring a raw snapshot exactly as the in-process model does. The last test starts a
local ``mlflow server`` and runs train, promote and worklist against it.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
TARGET = "future_drift"
NAME = "driftflag-future-drift"
CHILD_ID = re.compile(r"CHILD-?\d{3,}|\bC\d{5,}\b")


@pytest.fixture(scope="module")
def la(tmp_path_factory):
    from driftflag.synth import SynthConfig
    from driftflag.synth.run import run_synth

    root = tmp_path_factory.mktemp("la")
    # the tests read the canonical store and the truth only: one Annex A extract instead of 48
    # (the number changes nothing else, tests/synth/test_synth_end_to_end.py)
    run_synth(SynthConfig(children=900, years=4, seed=11, annex_a_months=1), root / "la")
    return root / "la"


def _config(la: Path):
    from driftflag.models.training import TrainConfig

    return TrainConfig.model_validate({
        "target": TARGET, "horizon_months": 6, "truth_dir": str(la / "truth"),
        "temporal": {"feature_start": "2023-10-01", "feature_end": "2026-03-31", "label_timespan_months": 6,
                     "n_folds": 3},
        "models": ["rule_baseline", "logistic_scorecard", "lightgbm"], "k": 20, "n_boot": 20,
        "random_state": 0})


@pytest.fixture(scope="module")
def trained(la, tmp_path_factory):
    from driftflag import stages
    from driftflag.workspace import Workspace

    ws = tmp_path_factory.mktemp("ws") / "ws"
    run = stages.train(la / "canonical", _config(la), models_dir=ROOT / "models",
                       workspace=Workspace.resolve(ws))
    return {"ws": ws, "run": run, "store": la / "canonical"}


def _client(ws):
    from driftflag.tracking import use_workspace

    return use_workspace(ws)


def test_each_run_logs_at_most_40_metric_keys_with_folds_as_steps(trained):
    from driftflag.tracking.run_metrics import MAX_METRIC_KEYS

    client, run = _client(trained["ws"]), trained["run"]
    for spec, run_id in run.run_ids.items():
        metrics = client.get_run(run_id).data.metrics
        assert len(metrics) <= MAX_METRIC_KEYS == 40, (spec, sorted(metrics))
        assert {"precision_at_k", "precision_at_k_lo", "precision_at_k_hi", "roc_auc", "roc_auc_lo",
                "ece"} <= set(metrics)
        assert not any(".pooled" in k or re.search(r"\d{4}-\d{2}", k) for k in metrics), sorted(metrics)
        history = client.get_metric_history(run_id, "fold/roc_auc")
        assert sorted(m.step for m in history) == list(range(len(run.result.splits)))
        folds = client.get_run(run_id).data.tags["driftflag.folds"]
        assert folds.count("=") == len(run.result.splits)
        truth = [k for k in metrics if k.startswith("truth_")]
        assert 1 <= len(truth) <= 3, truth  # kept, but few (the card shows them all)
    challenger = client.get_run(run.run_ids["logistic_scorecard"]).data.metrics
    assert {"precision_at_k_vs_baseline", "precision_at_k_vs_baseline_lo"} <= set(challenger)


def test_the_training_data_is_logged_as_digest_and_shape_without_rows(trained):
    client, run = _client(trained["ws"]), trained["run"]
    r = client.get_run(run.run_ids["lightgbm"])
    (inp,) = r.inputs.dataset_inputs
    ds = inp.dataset
    digest = r.data.tags["driftflag.data_manifest_sha256"]
    assert ds.digest == digest[:16] and ds.name == "training panel"
    assert {t.key: t.value for t in inp.tags}.get("mlflow.data.context") == "training"
    profile = json.loads(ds.profile)
    assert profile["num_rows"] == run.result.meta["n_rows"] > 0
    cols = json.loads(ds.schema)["mlflow_colspec"]
    assert [c["name"] for c in cols] == run.result.final_models["lightgbm"].named_steps["encode"].features_
    text = ds.source + ds.schema + ds.profile
    assert not CHILD_ID.search(text)  # a summary: no row, no child
    child_ids = set(run.result.predictions["child_id"].astype(str).head(50))
    assert not any(c in text for c in child_ids)


def test_the_experiment_is_a_machine_learning_experiment(trained):
    exp = _client(trained["ws"]).get_experiment_by_name(NAME)
    assert exp.tags["mlflow.experimentKind"] == "custom_model_development"


def test_version_descriptions_carry_the_gate_decision_and_the_card_summary(trained):
    client, run = _client(trained["ws"]), trained["run"]
    champ = client.get_model_version(NAME, run.champion).description
    assert champ.startswith("Gate decision: baseline champion (")
    assert "Model card summary: rule_baseline (rule_baseline)" in champ
    chall = client.get_model_version(NAME, run.challenger).description
    assert chall.startswith("Gate decision: none yet")
    assert "precision@k" in chall and "ROC AUC" in chall and "held-out folds" in chall
    for text in (champ, chall):
        assert not re.search(r"\bnan\b|\bNone\b|NaT", text), text


def test_the_registered_pipeline_scores_a_raw_snapshot_as_the_in_process_model(trained):
    from driftflag.casemodel import read_store
    from driftflag.indicators import snapshot
    from driftflag.models.encoding import split_scoring_pipeline
    from driftflag.tracking import load_model

    run, ws = trained["run"], trained["ws"]
    snap = snapshot(read_store(trained["store"]), "2026-03-01")
    assert snap.select_dtypes(exclude="number").shape[1] > 0  # raw columns: text and flags too
    for spec, version in run.registered.items():
        loaded = load_model(ws, TARGET, version)
        in_process = run.result.final_models[spec]
        got = loaded.pipeline.predict_proba(snap)[:, 1]
        np.testing.assert_array_equal(got, in_process.predict_proba(snap)[:, 1])
        encoder, fitted = split_scoring_pipeline(loaded.pipeline)
        assert list(encoder.columns_) == run.result.meta["features_by_spec"][spec]
        np.testing.assert_array_equal(got, fitted.predict_proba(encoder.transform(snap))[:, 1])
        assert loaded.version == version and loaded.in_use.spec == spec


def test_monitoring_scores_the_month_with_the_registered_pipeline(trained, tmp_path):
    """``driftflag monitor`` without --current: the registered model scores the raw snapshot
    itself (no encoding rebuilt from an artifact, no silent fall-back)."""
    from driftflag import stages
    from driftflag.workspace import Workspace

    result = stages.monitor("2026-03", store=trained["store"], model=trained["run"].challenger,
                            out=tmp_path / "monitor", workspace=Workspace.resolve(trained["ws"]),
                            log_mlflow=False)
    assert result.run_id is None and Path(result.folder).is_dir()
    assert "score" in json.dumps(result.report.metrics())


def test_champion_and_challenger_never_point_at_the_same_version(trained):
    from driftflag.tracking import CHALLENGER, CHAMPION, aliases, move_alias, promote, rollback

    ws = trained["ws"]
    client = _client(ws)

    def check():
        named = aliases(ws, TARGET)
        assert named.get(CHAMPION) != named.get(CHALLENGER) or CHALLENGER not in named, named
        return named

    named = check()
    assert not move_alias(client, NAME, CHALLENGER, named[CHAMPION])  # refused: it is the champion
    check()
    gate = promote(ws, TARGET, named[CHALLENGER], ece_max=1.0)
    after = check()
    if gate.promoted:
        assert after[CHAMPION] == named[CHALLENGER] and CHALLENGER not in after
        move_alias(client, NAME, CHALLENGER, named[CHAMPION])  # the old champion challenges
        check()
        assert rollback(ws, TARGET) == named[CHAMPION]
        assert CHALLENGER not in check()  # moved onto the champion: the challenger alias left
    else:
        assert after == named


# --- a team tracking server ----------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def mlflow_server(tmp_path):
    """A local ``mlflow server`` with its own SQLite backend and artifact store, telemetry off."""
    from driftflag._telemetry import NO_TELEMETRY

    port = _free_port()
    root = tmp_path / "server"
    root.mkdir()
    # MLflow's job execution off (MLFLOW_SERVER_ENABLE_JOB_EXECUTION, on by default in MLflow 3):
    # its job runner is for MLflow's own background jobs (GenAI scorers, prompt optimisation),
    # which driftflag never asks for, and it kept about one core busy while the server ran: the
    # server's process tree took 35.4 CPU s over 29 s of life with it, 9.9 without (2026-12-02,
    # started, /health polled, 20 s idle, stopped), the core the other test worker needed.
    # Tracking and the model registry (all this test uses) are served the same either way.
    env = {**os.environ, **NO_TELEMETRY, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    for k in ("DRIFTFLAG_TRACKING_URI", "DRIFTFLAG_REGISTRY_URI", "MLFLOW_TRACKING_URI"):
        env.pop(k, None)
    mlflow_cli = Path(sys.executable).with_name("mlflow")
    log = (root / "server.log").open("wb")
    proc = subprocess.Popen(
        [str(mlflow_cli), "server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
         "--backend-store-uri", f"sqlite:///{root / 'server.db'}",
         "--artifacts-destination", (root / "artifacts").as_uri()],
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):  # started when /health answers (polled, never timed as an assertion)
            if proc.poll() is not None:
                pytest.fail(f"mlflow server exited: {(root / 'server.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("mlflow server did not answer /health")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_train_promote_and_worklist_use_the_team_server(la, tmp_path, mlflow_server, monkeypatch):
    from mlflow import MlflowClient
    from typer.testing import CliRunner

    from driftflag.cli import app

    ws = tmp_path / "ws"
    monkeypatch.setenv("DRIFTFLAG_TRACKING_URI", mlflow_server)
    runner = CliRunner()
    cfg = tmp_path / "train.yaml"
    cfg.write_text(_pipeline_yaml(la), encoding="utf-8")
    r = runner.invoke(app, ["train", "--store", str(la / "canonical"), "--pipeline", str(cfg),
                            "--workspace", str(ws)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["models", "promote", "--workspace", str(ws), "--ece-max", "1.0"])
    assert r.exit_code in (0, 1), r.output
    r = runner.invoke(app, ["worklist", "--store", str(la / "canonical"), "--month", "2026-03",
                            "--out", str(tmp_path / "wl"), "--policy", str(ROOT / "pipelines" / "monthly_audit.yaml"),
                            "--workspace", str(ws)])
    assert r.exit_code == 0, r.output
    server = MlflowClient(tracking_uri=mlflow_server, registry_uri=mlflow_server)
    versions = server.search_model_versions(f"name='{NAME}'")
    assert sorted(int(v.version) for v in versions) == [1, 2]
    named = server.get_registered_model(NAME).aliases
    assert "champion" in named and named.get("challenger") != named["champion"]
    assert f"{NAME} v{named['champion']}" in r.output or (tmp_path / "wl").exists()
    gate_runs = server.search_runs([server.get_experiment_by_name(NAME).experiment_id],
                                   "tags.`driftflag.record` = 'gate_decision'")
    assert {r.data.params.get("version") for r in gate_runs} >= {named["champion"]}
    assert not (ws / "mlflow.db").exists()  # nothing went to the workspace's own store


def _pipeline_yaml(la: Path) -> str:
    return f"""name: train-on-server
steps:
  - id: train
    kind: train
    with:
      store: {la / 'canonical'}
      models_dir: {ROOT / 'models'}
      config:
        target: {TARGET}
        horizon_months: 6
        temporal:
          feature_start: 2023-10-01
          feature_end: 2026-03-31
          label_timespan_months: 6
          n_folds: 3
        models: [rule_baseline, logistic_scorecard]
        k: 20
        n_boot: 20
"""
