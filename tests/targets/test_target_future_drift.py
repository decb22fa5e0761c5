"""future_drift on hand-worked tiny stores, plus leakage tests.

Every test uses as_of = 2025-01-01 and H = 6 months, so the window is (2025-01-01, 2025-07-01].
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from driftflag.casemodel.store import CaseStore
from driftflag.targets import TargetConfig, future_drift, open_cases

AS_OF = pd.Timestamp("2025-01-01")
WINDOW_END = pd.Timestamp("2025-07-01")


def _ref(child, date, closed=None, rid=None):
    return {"referral_id": rid or f"R{child}{date}", "child_id": child, "referral_date": date,
            "closure_date": closed}


def _store(**tables):
    return CaseStore.from_frames({k: pd.DataFrame(v) for k, v in tables.items()})


def _label(store, child, **cfg):
    out = future_drift(store, cohort=pd.DataFrame({"child_id": [child], "as_of": [AS_OF]}),
                       config=TargetConfig(**cfg))
    return out.iloc[0]


def test_open_cases_cohort():
    store = _store(referrals=[
        _ref("A", "2024-06-01"),                        # open
        _ref("B", "2024-06-01", closed="2025-01-01"),   # closed on as_of: not open
        _ref("C", "2025-01-02"),                        # not yet referred
    ], lac_episodes=[{"episode_id": "E1", "child_id": "D", "decom": "2024-12-01", "rne": "S",
                      "ls": "C1", "place": "U1"}])
    assert open_cases(store, [AS_OF])["child_id"].tolist() == ["A", "D"]


def test_re_referral_within_365_days_in_the_window():
    store = _store(referrals=[
        _ref("A", "2024-06-01", closed="2024-07-01"), _ref("A", "2025-05-31"),  # 364 days -> yes
        _ref("B", "2024-06-01", closed="2024-07-01"), _ref("B", "2025-06-02"),  # 366 days -> no
        _ref("C", "2024-10-01", closed="2024-11-01"), _ref("C", "2025-07-02"),  # after the window
        _ref("D", "2024-10-01", closed="2024-11-01"), _ref("D", "2025-01-01"),  # on as_of: known
    ])
    got = {c: int(_label(store, c).re_referral) for c in "ABCD"}
    assert got == {"A": 1, "B": 0, "C": 0, "D": 0}


def test_repeat_cp_plan_needs_a_previous_plan():
    store = _store(cp_plans=[
        {"cp_plan_id": "P1", "child_id": "A", "start_date": "2025-03-01", "number_of_previous_cpp": 1},
        {"cp_plan_id": "P2", "child_id": "B", "start_date": "2025-03-01", "number_of_previous_cpp": 0},
    ])
    assert _label(store, "A").repeat_cp_plan == 1
    assert _label(store, "B").repeat_cp_plan == 0


def test_three_missing_episodes_in_the_window():
    eps = [("A", d) for d in ("2024-12-20", "2025-02-01", "2025-03-01", "2025-07-01")]  # 3 inside
    eps += [("B", d) for d in ("2025-01-01", "2025-02-01", "2025-03-01")]  # first is on as_of
    store = _store(missing_episodes=[{"missing_id": f"M{i}", "child_id": c, "missing_type": "M",
                                      "start_date": d} for i, (c, d) in enumerate(eps)])
    assert _label(store, "A").missing_episodes == 1
    assert _label(store, "B").missing_episodes == 0
    assert _label(store, "B", missing_min_episodes=2).missing_episodes == 1


def test_cp_plan_passing_18_months_and_nearly_determined():
    store = _store(cp_plans=[
        # 18 months on 2025-03-01, still open -> passes in window; at as_of it is at 16 months
        {"cp_plan_id": "P1", "child_id": "A", "start_date": "2023-09-01"},
        # passes on 2025-01-15, 2 weeks after as_of: nearly determined (17.5 months at as_of)
        {"cp_plan_id": "P2", "child_id": "B", "start_date": "2023-07-15"},
        # ends the day it would pass 18 months: never passes
        {"cp_plan_id": "P3", "child_id": "C", "start_date": "2023-09-01", "end_date": "2025-03-01"},
        # passed 18 months before as_of: not a new milestone
        {"cp_plan_id": "P4", "child_id": "D", "start_date": "2023-01-01"},
    ])
    rows = {c: _label(store, c) for c in "ABCD"}
    assert [rows[c].cp_plan_18m for c in "ABCD"] == [1, 1, 0, 0]
    assert [rows[c].nearly_cp_plan_18m for c in "ABCD"] == [0, 1, 0, 0]
    assert rows["B"].nearly_determined == 1 and rows["B"].label == 1


def test_pre_proceedings_16_weeks_and_care_proceedings_26_weeks():
    store = _store(
        pre_proceedings=[
            {"pp_id": "X1", "child_id": "A", "start_date": "2024-12-01"},                 # 2025-03-23
            {"pp_id": "X2", "child_id": "B", "start_date": "2024-12-01", "decision_date": "2025-02-01"},
        ],
        care_proceedings=[
            {"proceedings_id": "Y1", "child_id": "C", "application_date": "2024-11-01"},   # 2025-05-02
            {"proceedings_id": "Y2", "child_id": "D", "application_date": "2024-11-01",
             "final_order_date": "2025-05-02"},                                            # order on the day
        ],
    )
    assert _label(store, "A").pre_proceedings_16w == 1
    assert _label(store, "B").pre_proceedings_16w == 0
    assert _label(store, "C").care_proceedings_26w == 1
    assert _label(store, "D").care_proceedings_26w == 0


def test_third_placement_within_12_months():
    def ep(child, i, decom, rne):
        return {"episode_id": f"{child}{i}", "child_id": child, "decom": decom, "rne": rne,
                "ls": "C2", "place": "U1"}
    store = _store(lac_episodes=[
        ep("A", 1, "2024-06-01", "S"), ep("A", 2, "2024-10-01", "P"), ep("A", 3, "2025-02-01", "P"),
        # B: the legal-status-only change (L) is not a placement; third placement 2025-08 is late
        ep("B", 1, "2024-06-01", "S"), ep("B", 2, "2024-10-01", "L"), ep("B", 3, "2025-02-01", "P"),
        ep("B", 4, "2025-08-01", "P"),
        # C: third placement in window but the first was more than 12 months before it
        ep("C", 1, "2024-01-15", "S"), ep("C", 2, "2024-10-01", "T"), ep("C", 3, "2025-02-01", "B"),
    ])
    assert [_label(store, c).third_placement_12m for c in "ABC"] == [1, 0, 0]


def test_configurable_milestone_list():
    store = _store(referrals=[_ref("A", "2024-06-01", closed="2024-07-01"), _ref("A", "2025-02-01")])
    assert _label(store, "A").label == 1
    row = _label(store, "A", milestones=("cp_plan_18m",))
    assert row.label == 0 and "re_referral" not in row.index


def test_as_of_dates_use_the_open_case_cohort():
    store = _store(referrals=[_ref("A", "2024-06-01", closed="2024-07-01"), _ref("A", "2024-12-01"),
                              _ref("A", "2025-02-01")])
    out = future_drift(store, [AS_OF, "2025-03-01"], horizon_months=6)
    assert out[["child_id", "as_of"]].values.tolist() == [["A", AS_OF], ["A", pd.Timestamp("2025-03-01")]]
    assert out["label"].tolist() == [1, 0]
    assert (out["window_end"] == out["as_of"] + pd.DateOffset(months=6)).all()


# --- leakage: events outside (as_of, as_of + H] never change the label -------------------------

_dates = st.dates(min_value=pd.Timestamp("2022-01-01").date(), max_value=pd.Timestamp("2027-01-01").date())


def _rich_store(extra_missing, extra_referral, extra_plan_start, extra_placement):
    base_missing = [("A", "2025-02-01"), ("A", "2025-03-01")]
    miss = [{"missing_id": f"M{i}", "child_id": c, "missing_type": "M", "start_date": d}
            for i, (c, d) in enumerate(base_missing + [("A", str(x)) for x in extra_missing])]
    refs = [_ref("A", "2024-03-01", closed="2024-04-01", rid="R0")]
    refs += [_ref("A", str(d), closed=str(d), rid=f"R{i + 1}") for i, d in enumerate(extra_referral)]
    plans = [{"cp_plan_id": f"P{i}", "child_id": "A", "start_date": str(d), "number_of_previous_cpp": 1,
              "end_date": str(d)} for i, d in enumerate(extra_plan_start)]
    eps = [{"episode_id": "E0", "child_id": "A", "decom": "2025-02-01", "rne": "S", "ls": "C2", "place": "U1"},
           {"episode_id": "E1", "child_id": "A", "decom": "2025-03-01", "rne": "P", "ls": "C2", "place": "U1"}]
    eps += [{"episode_id": f"E{i + 2}", "child_id": "A", "decom": str(d), "rne": "P", "ls": "C2",
             "place": "U1"} for i, d in enumerate(extra_placement)]
    return _store(missing_episodes=miss, referrals=refs, cp_plans=plans, lac_episodes=eps)


@settings(max_examples=20, deadline=None)
@given(events=st.lists(_dates, max_size=4), kind=st.sampled_from(["missing", "plan", "placement"]))
def test_events_outside_the_window_never_change_the_label(events, kind):
    """Milestone events dated on/before as_of or after as_of + H leave every label column as it was."""
    outside = [d for d in events if pd.Timestamp(d) <= AS_OF or pd.Timestamp(d) > WINDOW_END]
    cohort = pd.DataFrame({"child_id": ["A"], "as_of": [AS_OF]})
    base = future_drift(_rich_store([], [], [], []), cohort=cohort, config=TargetConfig(
        milestones=("missing_episodes", "repeat_cp_plan", "third_placement_12m")))
    args = {"missing": (outside, [], [], []), "plan": ([], [], outside, []),
            "placement": ([], [], [], [d for d in outside if pd.Timestamp(d) > WINDOW_END])}[kind]
    got = future_drift(_rich_store(*args), cohort=cohort, config=TargetConfig(
        milestones=("missing_episodes", "repeat_cp_plan", "third_placement_12m")))
    pd.testing.assert_frame_equal(base, got)


def test_an_event_just_inside_the_window_does_change_the_label():
    cohort = pd.DataFrame({"child_id": ["A"], "as_of": [AS_OF]})
    cfg = TargetConfig(milestones=("missing_episodes",))
    assert future_drift(_rich_store([], [], [], []), cohort=cohort, config=cfg).label.item() == 0
    on_end = future_drift(_rich_store(["2025-07-01"], [], [], []), cohort=cohort, config=cfg)
    after_end = future_drift(_rich_store(["2025-07-02"], [], [], []), cohort=cohort, config=cfg)
    on_as_of = future_drift(_rich_store(["2025-01-01"], [], [], []), cohort=cohort, config=cfg)
    assert (on_end.label.item(), after_end.label.item(), on_as_of.label.item()) == (1, 0, 0)


@pytest.mark.parametrize("horizon", [3, 6, 12])
def test_window_end_follows_the_horizon(horizon):
    out = future_drift(_rich_store([], [], [], []), cohort=pd.DataFrame({"child_id": ["A"], "as_of": [AS_OF]}),
                       horizon_months=horizon)
    assert out.window_end.item() == AS_OF + pd.DateOffset(months=horizon)
