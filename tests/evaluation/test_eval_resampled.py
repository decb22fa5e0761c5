"""The bootstrap's metrics from row multiplicities equal the metrics on the resampled rows.

Reference: the slow, obviously-correct path (``_all_metrics`` on ``y[idx]``, ``s[idx]``... as the
metric table computed every replicate before), compared on random inputs with hypothesis.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from driftflag.evaluation import MetricTable
from driftflag.evaluation._resampled import ResampledMetrics
from driftflag.evaluation._table import METRICS, _all_metrics
from driftflag.evaluation._topk import top_k_counts


def _rows(seed: int, n: int, n_lists: int, n_scores: int, weighted: bool):
    rng = np.random.default_rng(seed)
    lists = rng.integers(0, n_lists, n)
    # one row per child within a list, as in the metric table (a child appears once a month)
    ids = np.array([f"C{j:03d}" for j in pd.Series(lists).groupby(lists).cumcount()])
    y = (rng.random(n) < 0.3).astype(float)
    s = rng.integers(0, n_scores, n) / max(n_scores - 1, 1)  # few distinct scores: many ties
    w = rng.choice([0.0, 0.5, 1.0, 3.0], n) if weighted else np.ones(n)
    idx = rng.integers(0, n, n)
    return y, s, w, lists, ids, idx


def _close(a: float, b: float) -> bool:
    return (np.isnan(a) and np.isnan(b)) or abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(1, 60), n_lists=st.integers(1, 4),
       n_scores=st.integers(1, 8), weighted=st.booleans(),
       k=st.one_of(st.integers(1, 12), st.sampled_from([0.1, 0.25, 0.5, 0.9])))
def test_resampled_metrics_equal_the_metrics_of_the_resampled_rows(seed, n, n_lists, n_scores, weighted, k):
    y, s, w, lists, ids, idx = _rows(seed, n, n_lists, n_scores, weighted)
    fast = ResampledMetrics(y, s, w, lists, ids, k)
    counts = np.bincount(idx, minlength=n)
    try:
        ref = _all_metrics(y[idx], s[idx], w[idx], lists[idx], ids[idx], k)
    except ZeroDivisionError:  # every weight 0: the reference's Brier score has no denominator
        with pytest.raises(ZeroDivisionError):
            fast.metrics(counts)
        return
    got = fast.metrics(counts)
    for name in METRICS:
        assert _close(got[name], ref[name][0]), (name, got[name], ref[name][0])
    a = fast.top_k(counts.astype(float))
    b = top_k_counts(y[idx], s[idx], k, sample_weight=w[idx], list_ids=lists[idx], tiebreak_ids=ids[idx])
    for field in ("tp_worst", "tp_best", "tp_expected", "flagged_worst", "flagged_best",
                  "flagged_expected", "positives"):
        assert _close(getattr(a, field), getattr(b, field)), field
    assert (a.n_flagged, a.n_tied_at_cut) == (b.n_flagged, b.n_tied_at_cut)


def test_metric_table_intervals_equal_the_per_replicate_reference():
    """The whole table against the replicate loop it replaced (same resamples, same quantiles)."""
    from driftflag.evaluation._bootstrap import resample_indices

    rng = np.random.default_rng(3)
    n = 300
    ids = np.array([f"C{i:03d}" for i in range(n)])
    frames = []
    for fold, months in (("f1", ["2024-01-01", "2024-02-01"]), ("f2", ["2024-03-01"])):
        for m in months:
            y = (rng.random(n) < 0.2).astype(int)
            base = pd.DataFrame({"fold": fold, "as_of": m, "child_id": ids, "y_true": y})
            for model, noise in (("rule", 0.0), ("lgbm", 0.5)):
                score = np.round(y * 0.3 + rng.random(n) * (0.5 + noise), 1) / 1.3
                frames.append(base.assign(model=model, score=score))
    preds = pd.concat(frames, ignore_index=True)
    table = MetricTable.from_predictions(preds, k=10, baseline="rule", n_boot=30, random_state=5)
    sub = preds[(preds["fold"] == "f1")].sort_values(["fold", "as_of", "child_id"])
    for model in ("rule", "lgbm"):
        d = sub[sub["model"] == model]
        y, s = d["y_true"].to_numpy(float), d["score"].to_numpy(float)
        lists = pd.factorize("f1|" + d["as_of"].astype(str))[0]
        cid, w = d["child_id"].to_numpy(), np.ones(len(d))
        draws = [_all_metrics(y[i], s[i], w[i], lists[i], cid[i], 10)["roc_auc"][0]
                 for i in resample_indices(y, cid, n_boot=30, random_state=5)]
        lo, hi = np.quantile(draws, (0.025, 0.975))
        assert table.value(model, "roc_auc", "f1", "low") == pytest.approx(lo, abs=1e-12)
        assert table.value(model, "roc_auc", "f1", "high") == pytest.approx(hi, abs=1e-12)
