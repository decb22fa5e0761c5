"""Workspace resolution and model-card rendering (no MLflow needed)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from driftflag import HUMAN_DECISION_NOTICE
from driftflag.evaluation import MetricTable
from driftflag.tracking import (
    ENV_WORKSPACE,
    ModelCard,
    render_model_card,
    resolve_workspace,
    tracking_uri,
)


def test_workspace_precedence(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(ENV_WORKSPACE, raising=False)
    assert resolve_workspace() == tmp_path / "driftflag-workspace"
    assert (tmp_path / "driftflag-workspace" / "artifacts").is_dir()
    monkeypatch.setenv(ENV_WORKSPACE, str(tmp_path / "env-ws"))
    assert resolve_workspace() == tmp_path / "env-ws"
    assert resolve_workspace(tmp_path / "opt") == tmp_path / "opt"
    assert tracking_uri(tmp_path / "opt") == f"sqlite:///{tmp_path}/opt/mlflow.db"


def _card(fairness=None):
    rng = np.random.default_rng(0)
    n = 200
    y = rng.integers(0, 2, n)
    preds = pd.concat([pd.DataFrame({"model": m, "fold": "2025-07", "child_id": [f"C{i}" for i in range(n)],
                                     "y_true": y, "score": s})
                       for m, s in (("lightgbm", y * 0.5 + rng.random(n) * 0.5), ("rule_baseline", rng.random(n)))])
    table = MetricTable.from_predictions(preds, k=20, baseline="rule_baseline", n_boot=20)
    return ModelCard(
        registered_name="driftflag-future-drift", spec_name="lightgbm", kind="lightgbm",
        target="future_drift", run_id="abc", features=["cp_plan_months"], hyperparameters={"num_leaves": 15},
        metric_frame=table.to_frame(), model_label="lightgbm", baseline_label="rule_baseline", k=20,
        splits=[{"fold": 0, "train_first_as_of": "2021-04-01", "train_last_as_of": "2025-01-01",
                 "n_train_as_of": 46, "test_first_as_of": "2025-07-01", "test_last_as_of": "2025-07-01",
                 "label_window_end": "2026-01-01"}],
        data_summary="synthetic LA", data_manifest_sha256="0" * 64, fairness=fairness)


def test_card_without_fairness_says_not_yet_run_and_prints_no_fake_numbers():
    md, html = render_model_card(_card())
    for text in (md, html):
        assert "Fairness audit not yet run" in text
        assert "selection rate" not in text
        assert HUMAN_DECISION_NOTICE in text
        for ico in ("Rationale", "Responsibility", "Data", "Fairness", "Safety and performance", "Impact"):
            assert ico in text
        assert "Tier 1: name" in text and "Tier 2: data" in text
    assert "| 2025-07 | precision_at_k |" in md
    assert html.lstrip().startswith("<!doctype html>")


def test_card_with_fairness_rows_prints_them():
    rows = [{"group": "Black", "n": 120, "selection_rate": "0.11", "precision": "0.40",
             "fnr": "0.52", "fdr": "0.60"}]
    md, html = render_model_card(_card(fairness=rows))
    assert "Fairness audit not yet run" not in md
    assert "| Black | 120 | 0.11 | 0.40 | 0.52 | 0.60 |" in md
    assert "<td>Black</td>" in html
