"""Bootstrap intervals and the MetricTable."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from driftflag.evaluation import (
    POOLED,
    EvaluationError,
    MetricTable,
    bootstrap_ci,
    precision_at_k,
    resample_indices,
    roc_auc,
)


def _panel(seed=0, children=150, months=3):
    rng = np.random.default_rng(seed)
    ids = np.array([f"C{i:04d}" for i in range(children)])
    risk = rng.normal(size=children)
    rows = []
    for m in range(months):
        y = (rng.random(children) < 1 / (1 + np.exp(-(risk - 1.5)))).astype(int)
        rows.append(pd.DataFrame({"child_id": ids, "as_of": f"2024-0{m + 1}-01", "y_true": y,
                                  "good": 1 / (1 + np.exp(-(risk + rng.normal(0, .5, children) - 1.5))),
                                  "noise": rng.random(children)}))
    return pd.concat(rows, ignore_index=True)


def test_bootstrap_is_deterministic_and_brackets_the_estimate():
    df = _panel()
    a = bootstrap_ci(roc_auc, df["y_true"], df["good"], clusters=df["child_id"], n_boot=100)
    b = bootstrap_ci(roc_auc, df["y_true"], df["good"], clusters=df["child_id"], n_boot=100)
    assert a == b
    est, low, high = a
    assert low <= est <= high
    assert est == pytest.approx(roc_auc(df["y_true"], df["good"]))


def test_bootstrap_uses_the_tie_case_of_top_k_results():
    df = _panel()
    def metric(y, s, sample_weight=None, list_ids=None):
        return precision_at_k(y, s, 20, sample_weight=sample_weight, list_ids=list_ids)
    est, low, high = bootstrap_ci(metric, df["y_true"], df["good"], clusters=df["child_id"],
                                  row_kwargs={"list_ids": df["as_of"]}, n_boot=50, case="worst")
    assert est == precision_at_k(df["y_true"], df["good"], 20, list_ids=df["as_of"]).worst
    assert low <= est <= high


def test_cluster_resamples_take_whole_children_and_keep_strata_sizes():
    y = np.array([1, 0, 0, 0, 0, 0])
    clusters = np.array(["a", "a", "b", "b", "c", "c"])
    for idx in resample_indices(y, clusters, n_boot=20, random_state=1):
        picked = clusters[idx]
        # every child drawn brings both of its rows; 1 positive-ever child + 2 never-positive
        assert len(idx) == 6
        assert (y[idx] == 1).sum() == 1
        for c in np.unique(picked):
            assert (picked == c).sum() % 2 == 0


def test_metric_table_per_fold_pooled_and_paired_difference():
    base = _panel()
    frames = []
    for fold, part in base.groupby(base["as_of"] >= "2024-02-01"):
        for model, col in (("model", "good"), ("baseline", "noise")):
            frames.append(pd.DataFrame({"model": model, "fold": "f1" if fold else "f0",
                                        "as_of": part["as_of"], "child_id": part["child_id"],
                                        "y_true": part["y_true"], "score": part[col]}))
    preds = pd.concat(frames, ignore_index=True)
    table = MetricTable.from_predictions(preds, k=15, baseline="baseline", n_boot=60)
    frame = table.to_frame()
    assert set(frame["fold"]) == {"f0", "f1", POOLED}
    assert len(frame) == 2 * 3 * 6
    # pooled precision@k equals the metric computed by hand: k per month, summed over months
    hand = precision_at_k(preds.loc[preds.model == "model", "y_true"],
                          preds.loc[preds.model == "model", "score"], 15,
                          list_ids=preds.loc[preds.model == "model", "as_of"]).expected
    assert table.value("model", "precision_at_k") == pytest.approx(hand)
    side = table.compare("model")
    assert {"estimate_model", "estimate_baseline", "diff_low"} <= set(side.columns)
    auc = side[(side.metric == "roc_auc") & (side.fold == POOLED)].iloc[0]
    assert auc.diff_low > 0  # the informative score beats noise beyond the paired interval
    flat = table.to_metrics_dict("model")
    assert "precision_at_k.pooled" in flat and "precision_at_k.pooled.low" in flat


def test_metric_table_refuses_models_scored_on_different_rows():
    preds = pd.DataFrame({"model": ["a", "a", "b"], "fold": "0", "child_id": ["x", "y", "x"],
                          "y_true": [1, 0, 1], "score": [0.2, 0.1, 0.3]})
    with pytest.raises(EvaluationError, match="same rows"):
        MetricTable.from_predictions(preds, k=1, n_boot=5)
