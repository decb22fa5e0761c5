"""drift_milestones: clocks running on, unheard missing, late visits; hand-worked and against a
slow per-case reference."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from driftflag.casemodel.store import CaseStore
from driftflag.targets import DRIFT_MILESTONES, drift_milestones
from driftflag.targets.drift_milestones import (
    MILESTONE_WEIGHTS,
    VISIT_INTERVAL_DAYS,
    VISIT_LATE_FACTOR,
    milestone_grade,
)

AS_OF = pd.Timestamp("2025-01-01")
END = AS_OF + pd.DateOffset(months=6)


def _store(cp=(), missing=(), visits=()):
    return CaseStore.from_frames({
        "cp_plans": pd.DataFrame(list(cp), columns=["cp_plan_id", "child_id", "start_date", "end_date"]),
        "missing_episodes": pd.DataFrame(list(missing), columns=["missing_id", "child_id", "start_date",
                                                                 "rhi_offered"]).assign(missing_type="M"),
        "visits": pd.DataFrame(list(visits), columns=["visit_id", "child_id", "visit_date", "visit_type"]),
    })


def _labels(store, children):
    cohort = pd.DataFrame({"child_id": children, "as_of": AS_OF})
    return drift_milestones(store, cohort).set_index("child_id")


def test_a_plan_already_past_18_months_is_running_on():
    store = _store(cp=[
        ("P1", "A", "2023-01-01", None),          # past 18 months before as_of, still open: yes
        ("P2", "B", "2023-01-01", "2024-12-01"),  # ended before as_of: no
        ("P3", "C", "2023-10-01", None),          # passes 18 months on 2025-04-01: yes
        ("P4", "D", "2023-10-01", "2025-03-01"),  # ends before it passes: no
        ("P5", "E", "2024-09-01", None),          # passes after the window: no
    ])
    got = _labels(store, list("ABCDE"))["cp_plan_running_18m"].to_dict()
    assert got == {"A": 1, "B": 0, "C": 1, "D": 0, "E": 0}


def test_unheard_missing_and_late_visits():
    store = _store(missing=[
        ("M1", "A", "2025-02-01", False), ("M2", "A", "2025-03-01", None),  # two unheard: yes
        ("M3", "B", "2025-02-01", False), ("M4", "B", "2025-03-01", True),  # one heard: no
    ], visits=[
        ("V1", "A", "2024-12-20", "CP"), ("V2", "A", "2025-02-01", "CP"),   # 43 days > 42: late
        ("V3", "B", "2024-12-20", "LAC"), ("V4", "B", "2025-02-01", "LAC"),  # 43 days < 126
    ])
    got = _labels(store, ["A", "B"])
    assert got["missing_without_rhi"].to_dict() == {"A": 1, "B": 0}
    assert got["visits_out_of_time"].to_dict() == {"A": 1, "B": 0}
    assert got["label"].to_dict() == {"A": 1, "B": 0}


def _reference(cp, missing, visits, child) -> dict[str, int]:
    """One case at a time, spelled out."""
    out = {}
    run = 0
    for _, c, start, end in cp:
        if c != child:
            continue
        passes = pd.Timestamp(start) + pd.DateOffset(months=18)
        open_after = end is None or pd.Timestamp(end) > max(passes, AS_OF)
        run |= passes <= END and open_after
    out["cp_plan_running_18m"] = int(run)
    unheard = [s for _, c, s, rhi in missing if c == child and not rhi and AS_OF < pd.Timestamp(s) <= END]
    out["missing_without_rhi"] = int(len(unheard) >= 2)
    mine = sorted((pd.Timestamp(d), t) for _, c, d, t in visits if c == child)
    late = any((d - p).days > VISIT_INTERVAL_DAYS[t] * VISIT_LATE_FACTOR and AS_OF < d <= END
               for (p, _), (d, t) in zip(mine, mine[1:], strict=False))
    out["visits_out_of_time"] = int(late)
    return out


day = st.integers(-900, 250).map(lambda d: (AS_OF + pd.Timedelta(days=d)).date().isoformat())


@settings(max_examples=40, deadline=None)
@given(
    cp=st.lists(st.tuples(st.sampled_from("AB"), day, st.one_of(st.none(), day)), max_size=4),
    missing=st.lists(st.tuples(st.sampled_from("AB"), day, st.sampled_from([True, False, None])), max_size=6),
    visits=st.lists(st.tuples(st.sampled_from("AB"), day, st.sampled_from(["CP", "CIN", "LAC"])), max_size=8),
)
def test_matches_the_per_case_reference(cp, missing, visits):
    cp = [(f"P{i}", c, s, e) for i, (c, s, e) in enumerate(cp) if e is None or e > s]
    missing = [(f"M{i}", *m) for i, m in enumerate(missing)]
    one_a_day = {(c, d): t for c, d, t in visits}
    visits = [(f"V{i}", c, d, t) for i, ((c, d), t) in enumerate(one_a_day.items())]
    got = _labels(_store(cp, missing, visits), ["A", "B"])
    for child in "AB":
        ref = _reference(cp, missing, visits, child)
        for name, value in ref.items():
            assert got.loc[child, name] == value, (child, name)
        assert got.loc[child, "label"] == int(any(got.loc[child, m] for m in DRIFT_MILESTONES))


@settings(max_examples=40, deadline=None)
@given(
    cp=st.lists(st.tuples(st.sampled_from("AB"), day, st.one_of(st.none(), day)), max_size=4),
    missing=st.lists(st.tuples(st.sampled_from("AB"), day, st.sampled_from([True, False, None])), max_size=6),
    visits=st.lists(st.tuples(st.sampled_from("AB"), day, st.sampled_from(["CP", "CIN", "LAC"])), max_size=8),
    cap=st.integers(1, 3),
)
def test_grade_counts_distinct_milestones_up_to_the_cap(cp, missing, visits, cap):
    cp = [(f"P{i}", c, s, e) for i, (c, s, e) in enumerate(cp) if e is None or e > s]
    missing = [(f"M{i}", *m) for i, m in enumerate(missing)]
    one_a_day = {(c, d): t for c, d, t in visits}
    visits = [(f"V{i}", c, d, t) for i, ((c, d), t) in enumerate(one_a_day.items())]
    labels = drift_milestones(_store(cp, missing, visits), pd.DataFrame({"child_id": ["A", "B"], "as_of": AS_OF}))
    got = dict(zip(labels["child_id"], milestone_grade(labels, cap), strict=True))
    for child in "AB":
        n = sum(_reference(cp, missing, visits, child).values())  # the only milestones these stores hold
        assert got[child] == min(n, cap) / cap, child
        assert (got[child] > 0) == bool(labels.set_index("child_id").loc[child, "label"])


def test_two_milestones_grade_one_and_one_grades_half():
    store = _store(cp=[("P1", "A", "2023-01-01", None), ("P2", "B", "2023-01-01", None)],
                   missing=[("M1", "A", "2025-02-01", False), ("M2", "A", "2025-03-01", None)])
    labels = drift_milestones(store, pd.DataFrame({"child_id": ["A", "B", "C"], "as_of": AS_OF}))
    assert milestone_grade(labels).tolist() == [1.0, 0.5, 0.0]


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.lists(st.booleans(), min_size=len(DRIFT_MILESTONES), max_size=len(DRIFT_MILESTONES)),
                     min_size=1, max_size=12),
       cap=st.integers(1, 3))
def test_grade_weights_each_milestone_as_the_reference_does(rows, cap):
    """A row at a time: each milestone that happens adds its weight; the sum stops at the cap."""
    labels = pd.DataFrame(rows, columns=list(DRIFT_MILESTONES)).astype("int8")
    got = milestone_grade(labels, cap).tolist()
    for row, value in zip(rows, got, strict=True):
        total = 0.0
        for name, happened in zip(DRIFT_MILESTONES, row, strict=True):
            if happened:
                total += MILESTONE_WEIGHTS[name]
        assert value == pytest.approx(min(total, cap) / cap, abs=1e-12)


def test_care_proceedings_past_26_weeks_count_the_share_that_finish_in_time():
    """Most proceedings run past 26 weeks (36% finished within it, MoJ April-June 2025): alone they
    grade 0.18, below any other single milestone (0.5); with one other milestone, 0.68."""
    assert MILESTONE_WEIGHTS["care_proceedings_running_26w"] == 0.36
    assert all(w == 1.0 for name, w in MILESTONE_WEIGHTS.items() if name != "care_proceedings_running_26w")
    labels = pd.DataFrame(0, index=range(3), columns=list(DRIFT_MILESTONES), dtype="int8")
    labels.loc[0, "care_proceedings_running_26w"] = 1
    labels.loc[1, ["care_proceedings_running_26w", "visits_out_of_time"]] = 1
    labels.loc[2, "third_placement_12m"] = 1
    assert milestone_grade(labels).tolist() == pytest.approx([0.18, 0.68, 0.5])
