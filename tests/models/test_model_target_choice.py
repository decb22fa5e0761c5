"""The target choice in the training config, and judging a run's scores against a truth folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from driftflag.errors import ConfigError
from driftflag.models.training import TrainConfig, TrainingResult
from driftflag.stages._train import judge_against_truth

ROOT = Path(__file__).resolve().parents[2]
TEMPORAL = {"feature_start": "2023-04-01", "feature_end": "2026-03-31", "label_timespan_months": 6}


def test_label_defaults_to_the_target_and_is_validated(tmp_path):
    assert TrainConfig(temporal=TEMPORAL).learns == "future_drift"
    cfg = TrainConfig(temporal=TEMPORAL, label="audit_finding")
    assert cfg.learns == "audit_finding" and cfg.target == "future_drift"
    bad = tmp_path / "train.yaml"
    bad.write_text("label: next_week\ntemporal: {feature_start: 2023-04-01, feature_end: 2026-03-31}\n")
    with pytest.raises(ConfigError, match="label"):
        TrainConfig.from_yaml(bad)


def _result(scores: pd.DataFrame) -> TrainingResult:
    return TrainingResult(predictions=scores, metric_table=None, final_models={}, feature_names=[],
                          categories={}, splits=[], baseline=None, open_case_scores=scores)


def test_judge_against_truth_only_when_the_folder_holds_one(tmp_path):
    rng = np.random.default_rng(0)
    months = pd.to_datetime(["2025-08-01", "2025-09-01"])
    truth = pd.DataFrame([{"child_id": f"C{i}", "as_of": m, "p_drift": rng.random()}
                          for m in months for i in range(60)])
    scores = pd.concat([truth.assign(model="oracle", score=truth["p_drift"]),
                        truth.assign(model="flat", score=0.0)]).drop(columns="p_drift")
    assert judge_against_truth(_result(scores), None) == {}
    assert judge_against_truth(_result(scores), tmp_path) == {}  # a council's data: no truth
    truth.to_parquet(tmp_path / "drift_monthly.parquet")
    got = judge_against_truth(_result(scores), tmp_path)
    assert got["oracle"].capture == pytest.approx(1.0) and got["flat"].capture == pytest.approx(0.0)
    assert got["oracle"].expected_auc == pytest.approx(got["oracle"].best_auc)
