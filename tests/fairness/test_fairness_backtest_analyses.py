"""The back-test's mitigation table (strategies applied month by month, pooled) and the common
calibration map that lets a model whose scores are not probabilities be judged on calibration."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from driftflag.fairness import FairnessConfig, build_fairness_report
from driftflag.fairness._analyses import mitigation_table, pooled_mitigation_table
from driftflag.fairness._caseload import prepare_caseload
from driftflag.fairness.backtest import common_calibration

from .data_for_test import MONTHS, pooled


@pytest.fixture(scope="module")
def pooled_caseload_k40():
    return prepare_caseload(pooled(), FairnessConfig(k=40, dimensions=("ethnicity",)))


def test_pooled_mitigation_is_each_month_added_up(pooled_caseload_k40):
    cl = pooled_caseload_k40
    groups = cl.groups["ethnicity"]
    table = pooled_mitigation_table(cl, groups).set_index(["strategy", "group"])
    # slow reference: each month on its own, then summed
    ref = None
    for m in MONTHS:
        idx = np.flatnonzero(cl.period == m[:7])
        from driftflag.fairness._caseload import Caseload

        sub = Caseload(cl.frame.iloc[idx].reset_index(drop=True), {"_": groups[idx]})
        part = mitigation_table(sub, groups[idx]).set_index(["strategy", "group"])
        cols = ["n", "n_selected", "n_tp", "n_positive"]
        ref = part[cols] if ref is None else ref + part[cols]
    pd.testing.assert_frame_equal(table[["n", "n_selected", "n_tp", "n_positive"]],
                                  ref.astype(table["n"].dtype), check_dtype=False)
    for strat in ("as listed", "equal selection rate", "equal recall"):
        assert table.loc[(strat, "All"), "n_selected"] == 40 * len(MONTHS)
    # "as listed" is the list the model made, month by month
    listed = pd.Series(cl.selected).groupby(np.asarray(groups.astype(str))).sum()
    for g, n in listed.items():
        assert table.loc[("as listed", g), "n_selected"] == n
    # equal selection rate: each month within one place of the group's share of that month
    for g in listed.index:
        share = sum(
            40 * ((cl.period == m[:7]) & (np.asarray(groups.astype(str)) == g)).sum()
            / (cl.period == m[:7]).sum() for m in MONTHS)
        assert abs(table.loc[("equal selection rate", g), "n_selected"] - share) <= len(MONTHS)


def test_the_back_test_pack_shows_its_mitigation_table():
    report = build_fairness_report(pooled(), FairnessConfig(n_bootstrap=30, random_state=0,
                                                            k=40, dimensions=("ethnicity",)))
    mit = report.to_dict()["mitigation"]
    assert mit["shown"] and "each month's list" in mit["note"]
    assert "Mitigation (analysis only)" in report.to_html()
    # a group hidden in the main table shows nothing in the mitigation table either
    main = {g["group"]: g for g in report.to_dict()["dimensions"]["ethnicity"]["groups"]}
    for r in mit["rows"]:
        g = main.get(r["group"])
        if g is not None and any(isinstance(g[c], str) for c in ("n", "n_selected")):
            assert isinstance(r["n_selected"], str) and r["precision"] is None \
                and r["recall"] is None and r["selection_rate"] is None, r
        if g is not None and any(isinstance(g[c], str) for c in ("n_labelled", "n_positive")):
            assert r["precision"] is None and r["recall"] is None, r


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1), st.booleans()), min_size=2, max_size=60))
def test_common_calibration_keeps_the_order_and_the_outcome_rate(rows):
    score = np.array([s for s, _ in rows])
    label = np.array([float(y) for _, y in rows])
    p = common_calibration(score, label)
    assert ((p >= 0) & (p <= 1)).all()
    order = np.argsort(score, kind="stable")
    assert (np.diff(p[order]) >= -1e-12).all()  # never reverses the ranking
    if 0 < label.sum() < len(label):
        assert p.mean() == pytest.approx(label.mean())  # isotonic keeps the outcome rate


def test_rank_scores_are_judged_on_what_the_same_score_means_for_each_group():
    """A group whose cases drift twice as often at the same score is off calibration, whatever
    the scale of the scores; a group with the same risk per score is not."""
    rng = np.random.default_rng(0)
    n = 40000
    rank = rng.random(n)
    group = rng.choice(["A", "B"], n)
    risk = 0.05 + 0.3 * rank
    risk = np.where(group == "B", np.minimum(1, 2 * risk), risk)
    label = (rng.random(n) < risk).astype(float)
    score = rank / 50  # a ranking, nowhere near a probability
    p = common_calibration(score, label)
    obs_pred = {g: label[group == g].sum() / p[group == g].sum() for g in ("A", "B")}
    assert obs_pred["B"] / obs_pred["A"] > 1.5
    same = np.where(group == "B", (rng.random(n) < 0.05 + 0.3 * rank), label == 1).astype(float)
    p2 = common_calibration(score, same)
    ratio = (same[group == "B"].sum() / p2[group == "B"].sum()) / (
        same[group == "A"].sum() / p2[group == "A"].sum())
    assert 0.9 < ratio < 1.1


def test_calibration_uses_the_predicted_column_and_the_list_the_score():
    df = pooled()
    cfg = FairnessConfig(n_bootstrap=20, random_state=0, k=40, dimensions=("sex",),
                         mitigation=False)
    plain = build_fairness_report(df, cfg)
    df2 = df.assign(predicted=np.clip(df["score"] * 0.5, 0, 1))
    halved = build_fairness_report(df2, cfg)
    a, b = plain.by_group("sex").set_index("group"), halved.by_group("sex").set_index("group")
    assert (a["n_selected"] == b["n_selected"]).all()  # the same lists
    shown = a["mean_score"].notna() & b["mean_score"].notna()
    assert shown.any()
    np.testing.assert_allclose(b.loc[shown, "mean_score"], a.loc[shown, "mean_score"] * 0.5,
                               rtol=1e-9)
    with pytest.raises(Exception, match="predicted must be a probability"):
        build_fairness_report(df.assign(predicted=2.0), cfg)
