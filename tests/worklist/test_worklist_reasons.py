"""Plain-language reasons: the case's own values and the threshold; never a protected characteristic."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from driftflag.indicators import load_registry
from driftflag.worklist.reasons import top_reasons


def rows_and_contrib():
    rows = pd.DataFrame({
        "cp_plan_days": [580.0, np.nan, 30.0],
        "cp_plan_over_18m": pd.array([True, pd.NA, False], dtype="boolean"),
        "missing_episodes_90d": [0.0, 3.0, 1.0],
        "rhi_offered_share": [np.nan, 0.0, 0.5],
        "visit_overdue": pd.array([False, True, False], dtype="boolean"),
        "days_since_last_visit": [10.0, 64.0, 5.0],
        "audit_ethnicity": ["WBRI", "BAFR", "AIND"],
        "audit_disability": pd.array([True, True, True], dtype="boolean"),
        "plo_weeks": [np.nan, np.nan, 20.0],
    })
    contrib = pd.DataFrame({
        "cp_plan_days": [0.9, 0.0, 0.1],
        "cp_plan_over_18m": [0.4, 0.0, -0.2],
        "missing_episodes_90d": [0.3, 1.1, 0.2],
        "visit_overdue": [0.2, 0.5, 0.0],
        "days_since_last_visit": [-0.1, 0.3, 0.0],
        "audit_ethnicity=BAFR": [5.0, 5.0, 5.0],
        "audit_disability": [3.0, 3.0, 3.0],
        "plo_weeks": [0.0, 0.0, 0.6],
        "base_value": [-2.0, -2.0, -2.0],
    })
    return rows, contrib


def test_phrases_carry_values_and_thresholds():
    rows, contrib = rows_and_contrib()
    r = top_reasons(rows, contrib, registry=load_registry())
    assert r.loc[0, "reason_1"] == "On a child protection plan for 19 months (flag at 18)"
    assert r.loc[1, "reason_1"] == "3 missing episodes in the last 90 days, no return home interview recorded"
    assert r.loc[1, "reason_2"] == "Statutory visit overdue: 64 days since the last visit"
    assert r.loc[2, "reason_1"] == "In PLO pre-proceedings for 20 weeks (flag at 16)"
    assert r.loc[2, "reason_2"] == ("1 missing episode in the last 90 days, return home interview offered "
                                    "after 50% of this year's episodes")


def test_protected_characteristics_are_never_reasons():
    rows, contrib = rows_and_contrib()
    r = top_reasons(rows, contrib)
    text = " ".join(r[[f"reason_{k}" for k in (1, 2, 3)]].to_numpy().ravel()).lower()
    for word in ("ethnic", "disab", "bafr", "wbri", "sex", "uasc", "age"):
        assert word not in text
    assert not r[[f"reason_{k}_group" for k in (1, 2, 3)]].isin(["audit_ethnicity", "audit_disability"]).any().any()


def test_only_reasons_that_push_risk_up_and_say_something():
    rows, contrib = rows_and_contrib()
    r = top_reasons(rows, contrib)
    # row 0: no missing episodes -> not a reason despite its contribution; a visit 10 days ago
    # that is not overdue is not a reason either (below its threshold)
    assert r.loc[0, "reason_2"] == ""
    assert r.loc[0, "reason_3"] == ""
    assert (r["reason_1_logodds"] >= r["reason_2_logodds"].fillna(-np.inf)).all()


def test_registry_override_changes_the_threshold(tmp_path):
    p = tmp_path / "ov.yaml"
    p.write_text("version: test\nindicators:\n  cp_plan_over_18m:\n    thresholds:\n      months: 12\n")
    rows, contrib = rows_and_contrib()
    r = top_reasons(rows, contrib, registry=load_registry(p))
    assert r.loc[0, "reason_1"] == "On a child protection plan for 19 months (flag at 12)"


def test_synthetic_la_reasons(synth_caseload, lgbm_model, feature_frame):
    from driftflag.worklist.explain import explain

    X, _ = feature_frame
    c = explain(lgbm_model, X)
    r = top_reasons(synth_caseload, c, registry=load_registry())
    assert (r["reason_1"] != "").mean() > 0.5
    assert not r["reason_1"].str.contains("nan|<NA>", regex=True).any()


def test_values_below_their_threshold_are_never_reasons():
    """A case 3 months into a plan is not "on a plan for 3 months (flag at 18)"; the same for
    every indicator a threshold flags."""
    rows = pd.DataFrame({
        "cp_plan_days": [91.0, 600.0], "assessment_open_working_days": [20.0, 50.0],
        "s47_to_icpc_working_days": [9.0, 16.0], "plo_weeks": [4.0, 17.0],
        "care_proceedings_weeks": [10.0, 30.0], "placements_12m": [2.0, 3.0],
        "missing_episodes_90d": [0.0, 2.0], "missing_days_90d": [4.0, 3.0],
    })
    contrib = pd.DataFrame({c: [1.0, 1.0] for c in rows.columns})
    r = top_reasons(rows, contrib, registry=load_registry(), k=8)
    first = [r.loc[0, f"reason_{k}"] for k in range(1, 9)]
    assert first == [""] * 8, first
    second = {r.loc[1, f"reason_{k}"] for k in range(1, 9)} - {""}
    assert "On a child protection plan for 19 months (flag at 18)" in second
    assert "In PLO pre-proceedings for 17 weeks (flag at 16)" in second
    assert "3 placements in the last 12 months (flag at 3)" in second
    assert len(second) == 7  # missing_days_90d is phrased with the episodes, once


def test_codes_are_words():
    rows = pd.DataFrame({"permanence_plan": ["FOSTERING", "RESIDENTIAL", "ZZZ"],
                         "legal_status": ["C1", "V2", "C2"], "cp_category": ["NEG", "MUL", "PHY"]})
    contrib = pd.DataFrame({c: [1.0, 1.0, 1.0] for c in rows.columns})
    r = top_reasons(rows, contrib, registry=load_registry())
    text = " | ".join(r[[f"reason_{k}" for k in (1, 2, 3)]].to_numpy().ravel())
    assert "Permanence plan: long-term fostering" in text
    assert "Permanence plan: long-term residential placement" in text
    assert "Legal status: interim care order" in text
    assert "Child protection plan category: multiple categories" in text
    assert "other (ZZZ)" in text  # an unknown code is marked as one
    for code in ("FOSTERING", "RESIDENTIAL", ": C1", ": V2", ": NEG", ": MUL"):
        assert code not in text


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 2000), st.floats(0, 120), st.floats(0, 8), st.floats(0, 60)),
                min_size=1, max_size=12))
def test_no_quoted_value_is_below_its_flag(values):
    """Property: every "... N unit (flag at T)" reason has N >= T (slow reference: parse the text)."""
    import re

    rows = pd.DataFrame(values, columns=["cp_plan_days", "assessment_open_working_days",
                                         "placements_12m", "care_proceedings_weeks"]).round(0)
    contrib = pd.DataFrame({c: np.ones(len(rows)) for c in rows.columns})
    r = top_reasons(rows, contrib, registry=load_registry(), k=4)
    for text in r[[f"reason_{k}" for k in range(1, 5)]].to_numpy().ravel():
        m = re.search(r"(\d+) [a-z ]+? \(flag at (\d+)\)|for (\d+) [a-z ]+ \(flag at (\d+)\)", text)
        if text:
            assert m, text
            n, t = [int(x) for x in m.groups() if x is not None]
            assert n >= t, text
