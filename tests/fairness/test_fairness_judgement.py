"""Four outcomes per (group, metric), "insufficient evidence", and the pooled back-test maths.

Built on pooled caseloads of the small synthetic LA (three months, one row per open case and
month), the shape the back-test produces.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from driftflag.errors import ConfigError
from driftflag.fairness import FairnessConfig, build_fairness_report
from driftflag.fairness._caseload import prepare_caseload
from driftflag.fairness._metrics import _auc_weighted, compute_group_stats
from driftflag.fairness._report import OUTCOMES, _judge

from .data_for_test import MONTHS, pooled, tiny_caseload

DIMS = ("ethnicity", "sex", "age_band", "disability", "uasc")


def report_of(df: pd.DataFrame, **kw):
    cfg = FairnessConfig(n_bootstrap=100, random_state=0, k=0.1, mitigation=False,
                         dimensions=DIMS, **kw)
    return build_fairness_report(df, cfg)


@pytest.mark.parametrize("ratio, lo, hi, det, expect", [
    (1.05, 0.95, 1.15, 1.1, "within band"),
    (1.40, 1.10, 1.80, 1.2, "attention"),
    (1.40, 0.90, 1.80, 1.2, "attention"),
    (2.18, 1.67, 2.81, 1.3, "outside band"),
    (0.50, 0.30, 0.70, 1.5, "outside band"),
    (1.05, 0.60, 1.90, 1.6, "cannot judge"),   # too imprecise to say "within band"
    (1.40, 1.02, 2.20, 1.5, "attention"),      # imprecise, but the interval excludes 1
    (1.40, 0.80, 2.40, 1.7, "cannot judge"),
    (np.nan, np.nan, np.nan, np.nan, "cannot judge"),
])
def test_four_outcomes(ratio, lo, hi, det, expect):
    outcome, why = _judge(ratio, lo, hi, det, (0.8, 1.25))
    assert outcome == expect and outcome in OUTCOMES and why


def test_small_groups_are_listed_as_not_judged_and_the_verdict_is_never_pass():
    # regression: not_judged was always empty (a `ratio is None` test on a NaN column)
    r = build_fairness_report(tiny_caseload(), FairnessConfig(n_bootstrap=50, mitigation=False))
    assert r.verdict.not_judged
    assert r.verdict.status != "pass"
    assert r.verdict.status == "insufficient evidence" or r.verdict.status in ("attention",
                                                                                "fail")
    assert any("ethnicity Black" in m for m in r.verdict.missing_evidence)
    d = r.disparity("ethnicity")
    assert set(d["judgement"]) <= set(OUTCOMES) | {"reference"}


@pytest.fixture(scope="module")
def unbiased():
    return pooled()


def test_every_dimension_and_main_metric_is_judged(unbiased):
    r = report_of(unbiased)
    for dim in DIMS:
        d = r.disparity(dim)
        judged = set(d.loc[d["judged"], "metric"])
        assert {"precision", "false_negative_rate", "selection_to_need",
                "observed_to_predicted"} <= judged, dim
    cj = r.disparity("ethnicity")
    cj = cj[cj["judgement"] == "cannot judge"]
    # a shown ratio that cannot be judged says what it could detect, beyond the band
    shown = cj[cj["ratio"].notna() & cj["detectable_ratio"].notna()]
    assert (shown["detectable_ratio"] > 1.25).all() or shown.empty


def test_planted_label_bias_is_caught_by_calibration(unbiased):
    r = report_of(pooled(label_bias=0.3))
    d = r.disparity("ethnicity").set_index(["group", "metric"])
    op = d.loc[("Black", "observed_to_predicted")]
    assert op["judgement"] == "outside band", op.to_dict()
    assert r.verdict.status == "fail"
    assert any(x.startswith("ethnicity Black: calibration") for x in r.verdict.reasons)
    assert r.gate() is False
    # the same LA without the planted bias is not failed on Black calibration
    d0 = report_of(unbiased).disparity("ethnicity").set_index(["group", "metric"])
    assert d0.loc[("Black", "observed_to_predicted"), "judgement"] != "outside band"


def test_over_listed_age_band_is_not_a_pass(unbiased):
    r = report_of(pooled(score_up={"audit_age_band": ("16-17", 0.15)}))
    assert r.verdict.status != "pass"
    assert any(x.startswith("age band 16-17") for x in r.verdict.reasons), r.verdict.reasons


def test_cluster_bootstrap_equals_a_plain_loop(unbiased):
    cfg = FairnessConfig(dimensions=("sex",), k=0.1)
    cl = prepare_caseload(unbiased, cfg)
    stats = compute_group_stats(cl, n_bootstrap=3, random_state=4, auc_dimensions=("sex",))
    rng = np.random.default_rng(4)
    n_children = cl.cluster.max() + 1
    draws = rng.integers(0, n_children, size=(3, n_children))
    frame = cl.frame.assign(cluster=cl.cluster, g=np.asarray(cl.groups["sex"].astype(str)))
    for b in range(3):
        times = np.bincount(draws[b], minlength=n_children)
        rows = frame.loc[frame.index.repeat(times[frame["cluster"]])]  # every row of a child
        for grp, part in rows.groupby("g"):
            j = list(cl.groups["sex"].categories).index(grp)
            sel = part["selected"].to_numpy()
            y = part["label"].to_numpy()
            # a replicate that lists none of a group has no precision: both sides say NaN
            expected = y[sel].mean() if sel.any() else np.nan
            assert stats.boot["sex"]["precision"][b, j] == pytest.approx(expected, rel=1e-12, nan_ok=True)
            from sklearn.metrics import roc_auc_score

            # one outcome class only in a replicate's group: no AUC, on both sides
            auc = roc_auc_score(y, part["score"].to_numpy()) if len(np.unique(y)) == 2 else np.nan
            assert stats.boot["sex"]["auc"][b, j] == pytest.approx(auc, rel=1e-9, nan_ok=True)
    # a child listed in several months is one draw: every row of a child moves together
    assert len(np.unique(cl.cluster)) < cl.n


def test_lists_are_made_month_by_month(unbiased):
    cl = prepare_caseload(unbiased, FairnessConfig(dimensions=("sex",), k=40))
    per_month = pd.Series(cl.selected).groupby(cl.period).sum()
    assert (per_month == 40).all() and len(per_month) == len(MONTHS)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.booleans(), st.integers(0, 3)), min_size=2,
                max_size=40))
def test_weighted_auc_equals_sklearn(cases):
    from sklearn.metrics import roc_auc_score

    s = np.array([c[0] / 5 for c in cases])
    y = np.array([c[1] for c in cases])
    w = np.array([float(c[2]) for c in cases])
    o = np.argsort(s, kind="stable")
    ss, yy, ww = s[o], y[o], w[o]
    new = np.r_[True, ss[1:] != ss[:-1]]
    block = np.cumsum(new) - 1
    first = np.flatnonzero(new)
    last = np.r_[first[1:] - 1, len(ss) - 1]
    got = _auc_weighted(ww[None, :], yy, ~yy, first[block], last[block])[0]
    if (w * y).sum() == 0 or (w * ~y).sum() == 0:
        assert np.isnan(got)
    else:
        assert got == pytest.approx(roc_auc_score(y, s, sample_weight=w), abs=1e-12)


def test_backtest_plan_never_overlaps_training_or_calibration():
    from driftflag.fairness.backtest import backtest_plan
    from driftflag.models.splits import TemporalConfig, temporal_splits

    t = TemporalConfig(feature_start=date(2023, 4, 1), feature_end=date(2026, 3, 31),
                       label_timespan_months=6, n_folds=3)
    cfg, folds = backtest_plan(t, 12, calibration_months=6)
    months = [m for f in folds for m in f["test_months"]]
    assert len(months) == 12 and months[-1] == "2025-09" and months[0] == "2024-10"
    for s in temporal_splits(cfg):
        fit, cal = s.calibration_slice(6)
        assert max(cal) < min(s.test_as_of) and max(fit) < min(cal)
        assert s.train_label_end <= s.test_as_of[0]  # outcomes known before the first list
    # a short history gives fewer months (never under 3), then a clear error
    short = TemporalConfig(feature_start=date(2024, 6, 1), feature_end=date(2026, 3, 31),
                           label_timespan_months=6, n_folds=3)
    _, folds = backtest_plan(short, 12, calibration_months=0)
    assert 3 <= sum(len(f["test_months"]) for f in folds) < 12
    with pytest.raises(ConfigError, match="fewer than 3 test months"):
        backtest_plan(TemporalConfig(feature_start=date(2025, 1, 1),
                                     feature_end=date(2026, 3, 31), label_timespan_months=6,
                                     n_folds=3, min_training_as_of=1), 12,
                      calibration_months=6)


def test_error_rate_gap_of_a_calibrated_group_is_attention_not_outside():
    from driftflag.fairness._report import _explained_by_need

    def row(g, m, j):
        return {"group": g, "metric": m, "judgement": j, "why": "x"}

    d = pd.DataFrame([row("A", "observed_to_predicted", "within band"),
                      row("A", "precision", "outside band"),
                      row("B", "observed_to_predicted", "outside band"),
                      row("B", "selection_to_need", "outside band"),
                      row("C", "observed_to_predicted", "cannot judge"),
                      row("C", "false_negative_rate", "outside band"),
                      row("D", "observed_to_predicted", "attention"),
                      row("D", "selection_to_need", "outside band")])
    out = _explained_by_need(d).set_index(["group", "metric"])["judgement"]
    assert out[("A", "precision")] == "attention"
    assert out[("B", "selection_to_need")] == "outside band"   # miscalibrated: not explained
    assert out[("B", "observed_to_predicted")] == "outside band"
    assert out[("C", "false_negative_rate")] == "attention"  # calibration unknown: may be need
    assert out[("D", "selection_to_need")] == "attention"  # miscalibration not established


def test_a_rate_of_zero_uses_the_rule_of_three_not_a_point_interval():
    from driftflag.fairness._report import _boundary_interval

    point = pd.DataFrame({
        "n": [3000.0, 3000.0, 900.0], "n_selected": [60.0, 0.0, 15.0],
        "n_selected_labelled": [60.0, 0.0, 15.0], "n_tp": [18.0, 0.0, 0.0],
        "n_positive": [300.0, 250.0, 80.0], "n_labelled": [3000.0, 3000.0, 900.0],
        "selection_rate": [0.02, 0.0, 15 / 900], "precision": [0.3, np.nan, 0.0],
        "false_discovery_rate": [0.7, np.nan, 1.0], "base_rate": [0.1, 250 / 3000, 80 / 900],
    }, index=["ref", "never listed", "no true positive"])
    lo, hi = _boundary_interval(point, 1, 0, "selection_rate")
    assert lo == 0 and hi == pytest.approx((3 / 3000) / 0.02)
    assert _judge(0.0, lo, hi, np.inf, (0.8, 1.25))[0] == "outside band"  # real: never listed
    lo, hi = _boundary_interval(point, 2, 0, "false_discovery_rate")
    assert lo == pytest.approx((1 - 3 / 15) / 0.7) and hi == pytest.approx(1 / 0.7)
    # 0 of 15 listed drifting: FDR 1.43 times the reference's, but 15 cases cannot put the
    # whole interval outside the band
    assert _judge(1 / 0.7, lo, hi, np.inf, (0.8, 1.25))[0] == "attention"
    assert _boundary_interval(point, 0, 0, "selection_rate") is None  # not at 0% or 100%
