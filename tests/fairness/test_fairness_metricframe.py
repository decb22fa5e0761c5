"""Point estimates equal a direct fairlearn MetricFrame; the vectorised bootstrap equals a loop."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    MetricFrame,
    false_negative_rate,
    false_positive_rate,
    selection_rate,
)
from sklearn.metrics import precision_score, recall_score

from driftflag.fairness import FairnessConfig
from driftflag.fairness._caseload import prepare_caseload
from driftflag.fairness._metrics import compute_group_stats

DIMS = ("ethnicity", "age_band", "ethnicity_by_age")


@pytest.mark.parametrize("dim", DIMS)
def test_group_metrics_equal_direct_metricframe(small_report, small_scored, dim):
    df = small_scored
    cl = prepare_caseload(df, FairnessConfig())
    g = np.asarray(cl.groups[dim].astype(str))
    lab = df["label"].notna().to_numpy()
    y = df["label"].to_numpy()[lab].astype(int)
    p = df["selected"].to_numpy()[lab].astype(int)
    w = df["sample_weight"].to_numpy()[lab]
    mf = MetricFrame(
        metrics={
            "precision": lambda t, q, sample_weight: precision_score(
                t, q, sample_weight=sample_weight, zero_division=np.nan),
            "recall": lambda t, q, sample_weight: recall_score(
                t, q, sample_weight=sample_weight, zero_division=np.nan),
            "false_negative_rate": false_negative_rate,
            "false_positive_rate": false_positive_rate,
        },
        y_true=y, y_pred=p, sensitive_features=g[lab],
        sample_params={m: {"sample_weight": w} for m in
                       ("precision", "recall", "false_negative_rate", "false_positive_rate")})
    sel = MetricFrame(metrics=selection_rate, y_true=np.zeros(len(df)),
                      y_pred=df["selected"].astype(int), sensitive_features=g)
    ours = small_report._stats.point[dim]
    for m in ("precision", "recall", "false_negative_rate", "false_positive_rate"):
        expect = mf.by_group[m]
        # degenerate groups: fairlearn gives 0 where the rate is undefined; we give NaN
        o = ours.loc[expect.index]
        den = {"precision": o["n_selected_labelled"], "recall": o["n_positive"],
               "false_negative_rate": o["n_positive"],
               "false_positive_rate": o["n_labelled"] - o["n_positive"]}[m]
        defined = den > 0
        np.testing.assert_allclose(ours.loc[expect.index[defined], m],
                                   expect[defined].to_numpy(float), rtol=1e-12, atol=1e-12)
        # and the report's MetricFrame (used for the shown estimates) agrees too
        rep = small_report.metric_frames[dim][1].by_group[m]
        np.testing.assert_allclose(rep.reindex(expect.index[defined]).to_numpy(float),
                                   expect[defined].to_numpy(float), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ours.loc[sel.by_group.index, "selection_rate"],
                               sel.by_group.to_numpy(float), rtol=1e-12)


def test_shown_rates_are_the_metricframe_values(small_report):
    t = small_report.by_group("ethnicity").set_index("group")
    mf = small_report.metric_frames["ethnicity"][1].by_group
    shown = t["precision"].notna()
    assert shown.any()
    np.testing.assert_array_equal(t.loc[shown, "precision"].astype(float),
                                  mf.loc[shown[shown].index, "precision"].astype(float))


def test_vectorised_bootstrap_equals_a_plain_loop(small_scored):
    df = small_scored
    cl = prepare_caseload(df, FairnessConfig(dimensions=("ethnicity",)))
    stats = compute_group_stats(cl, n_bootstrap=5, random_state=3)
    rng = np.random.default_rng(3)
    idx = rng.integers(0, cl.n, size=(5, cl.n))  # the same draws, in the same order
    g = np.asarray(cl.groups["ethnicity"].astype(str))
    for b in range(5):
        r = df.iloc[idx[b]].assign(g=g[idx[b]])
        r = r[r["label"].notna()]
        for grp, part in r.groupby("g"):
            sel = part["selected"].to_numpy()
            w = part["sample_weight"].to_numpy()
            y = part["label"].to_numpy()
            if (w * sel).sum() == 0:
                continue
            expect = (w * y * sel).sum() / (w * sel).sum()
            j = list(cl.groups["ethnicity"].categories).index(grp)
            assert stats.boot["ethnicity"]["precision"][b, j] == pytest.approx(expect, rel=1e-12)


def test_intervals_contain_the_estimate_for_large_groups(small_report):
    t = small_report.by_group("ethnicity")
    white = t[t["group"] == "White"].iloc[0]
    for m in ("selection_rate", "precision", "false_negative_rate"):
        assert white[f"{m}_low"] <= white[m] <= white[f"{m}_high"]


def test_selected_from_k_breaks_ties_by_child_id():
    from driftflag.fairness import select_top_k

    scores = np.array([0.9, 0.5, 0.5, 0.5, 0.1])
    ids = np.array(["C5", "C3", "C1", "C2", "C4"])
    assert select_top_k(scores, ids, 2).tolist() == [True, False, True, False, False]
    assert select_top_k(scores, ids, 0.5).sum() == 3  # share rounded up


def test_unlabelled_rows_count_for_selection_only(small_scored, small_report):
    t = small_report._stats.point["ethnicity"]
    assert t["n"].sum() == len(small_scored)
    assert t["n_labelled"].sum() == small_scored["label"].notna().sum()
    assert t["n_selected"].sum() == small_scored["selected"].sum()
    assert isinstance(small_report.to_frame(), pd.DataFrame)
