"""Issue 5 acceptance: the better model beats the rule baseline and reaches 90% of the truth's
AUC on the synthetic LA; on labels with no signal it does not claim skill.

The synthetic LA's truth (``truth/drift_monthly``) holds each open case's true monthly drift
probability. Labels are drawn from it, so the truth's own AUC is the best any model can reach
and the comparison is fair: same rows, same labels, test folds held out in time.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from driftflag.evaluation import bootstrap_ci, precision_at_k, roc_auc
from driftflag.indicators import load_registry, panel
from driftflag.models import TemporalConfig, load_specs
from driftflag.models.training import train_models

MODELS = Path(__file__).resolve().parents[2] / "models"
K = 25
pytestmark = pytest.mark.slow  # LightGBM on a 15,000-child LA, twice


@pytest.fixture(scope="module")
def la(synthetic_la):
    res = synthetic_la(children=15000, years=5, seed=1)
    start, end = date(2023, 4, 1), date(2026, 3, 31)
    p = panel(res.store, start, end)
    truth = res.truth["drift_monthly"][["child_id", "as_of", "p_drift"]]
    df = p.merge(truth, on=["child_id", "as_of"], how="inner")
    rng = np.random.default_rng(0)
    df["label"] = (rng.random(len(df)) < df["p_drift"].to_numpy()).astype(int)
    cfg = TemporalConfig(feature_start=start, feature_end=end, label_timespan_months=1,
                         n_folds=4)
    return df, cfg


def _fit(df, cfg, labels, models=("rule_baseline", "lightgbm")):
    specs = load_specs(MODELS, list(models))
    # the tests judge the folds only: no final refit
    return train_models(df.drop(columns=["label", "p_drift"]), labels, specs, cfg,
                        registry=load_registry(), k=K, n_boot=20, random_state=0, refit=False)


def test_model_beats_the_rule_baseline_and_nears_the_truth(la):
    df, cfg = la
    res = _fit(df, cfg, df[["child_id", "as_of", "label"]])
    pred = res.predictions
    test = pred.merge(df[["child_id", "as_of", "p_drift"]], on=["child_id", "as_of"])
    gbm = test[test["model"] == "lightgbm"]
    base = test[test["model"] == "rule_baseline"]
    truth_auc = roc_auc(gbm["y_true"], gbm["p_drift"])
    model_auc = roc_auc(gbm["y_true"], gbm["score"])
    assert model_auc >= 0.9 * truth_auc, (model_auc, truth_auc)
    p_model = precision_at_k(gbm["y_true"], gbm["score"], K, list_ids=gbm["as_of"],
                             tiebreak_ids=gbm["child_id"]).expected
    p_base = precision_at_k(base["y_true"], base["score"], K, list_ids=base["as_of"],
                            tiebreak_ids=base["child_id"]).worst
    assert p_model > p_base, (p_model, p_base)


def test_no_signal_no_claimed_skill(la):
    df, cfg = la
    rng = np.random.default_rng(1)
    shuffled = df[["child_id", "as_of", "label"]].copy()
    # shuffle labels within each month: same base rate, no link to any feature
    shuffled["label"] = shuffled.groupby("as_of")["label"].transform(
        lambda s: pd.Series(rng.permutation(s.to_numpy()), index=s.index))
    res = _fit(df, cfg, shuffled, models=("lightgbm",))  # the rule baseline is not judged here
    gbm = res.predictions[res.predictions["model"] == "lightgbm"]
    est, low, high = bootstrap_ci(roc_auc, gbm["y_true"], gbm["score"], clusters=gbm["child_id"],
                                  n_boot=200, random_state=0)
    assert low <= 0.5 <= high, (est, low, high)


@pytest.mark.slow
def test_drift_milestones_rank_true_drift_better_than_the_combined_label(synthetic_la):
    """Issue 12: the split label agrees with the simulator's truth; re-referrals run against it."""
    from driftflag.evaluation import truth_report
    from driftflag.targets import build_labels

    res = synthetic_la(children=5000, years=5, seed=3)
    start, end = date(2023, 4, 1), date(2026, 3, 31)
    p = panel(res.store, start, end)
    truth = res.truth["drift_monthly"]
    specs = load_specs(MODELS, ["rule_baseline"])
    got = {}
    for target in ("drift_milestones", "revolving_door"):
        ls = build_labels(res.store, p[["child_id", "as_of"]], target)
        cfg = TemporalConfig(feature_start=start, feature_end=end, label_timespan_months=6, n_folds=3)
        out = train_models(p, ls.labels, specs, cfg, registry=load_registry(), k=K, n_boot=10,
                           refit=False)
        got[target] = truth_report(out.open_case_scores, truth, k=8)
    drift, door = got["drift_milestones"], got["revolving_door"]
    assert drift.expected_auc > 0.58 > door.expected_auc, (drift.expected_auc, door.expected_auc)
    assert drift.expected_auc < drift.best_auc
    assert drift.top_k > drift.all_open and drift.capture > 0.3, drift.capture
