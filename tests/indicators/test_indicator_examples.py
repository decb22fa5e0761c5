"""Hand-worked examples for every indicator, including the awkward dates.

Each example is a tiny store written out by hand with the expected value worked out in the
comment. Every snapshot taken here is also checked against the slow reference implementation
(``snap`` does both), so an example is a test of the definition *and* of the two implementations
agreeing on it. Working days use England bank holidays: 25-26 Dec 2023, 1 Jan 2024, Good
Friday 29 Mar 2024 and Easter Monday 1 Apr 2024 appear below.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from driftflag.errors import ConfigError
from driftflag.indicators import load_registry, panel, snapshot

from .compare import mismatches
from .reference import Reference
from .stores import make_store

REG = load_registry()


def snap(store, as_of: str) -> pd.DataFrame:
    """The fast snapshot, indexed by child_id, after checking it equals the reference."""
    fast = snapshot(store, as_of, registry=REG)
    ref = Reference(store, REG).snapshot(date.fromisoformat(as_of))
    bad = mismatches(fast, ref, REG)
    assert not bad, f"fast and reference differ on {as_of}: {bad}"
    return fast.set_index("child_id")


def val(store, as_of: str, column: str, child: str = "A"):
    s = snap(store, as_of)
    v = s.loc[child, column]
    return None if pd.isna(v) else (v.item() if hasattr(v, "item") else v)


def cp_store(start: str, end: str | None = None, **extra) -> object:
    plan = {"child_id": "A", "start_date": start, "end_date": end, "initial_category": "NEG"}
    return make_store(cp_plans=[plan], **extra)


# ---- who is in the snapshot, and their service -------------------------------------------
def test_plan_starting_on_the_as_of_date_is_open():
    s = snap(cp_store("2024-03-01"), "2024-03-01")
    assert list(s.index) == ["A"]
    assert s.loc["A", "service"] == "CP"
    assert s.loc["A", "cp_plan_days"] == 0


def test_plan_ending_on_the_as_of_date_is_closed_that_day():
    store = cp_store("2024-01-01", "2024-03-01")
    assert list(snap(store, "2024-02-29").index) == ["A"]
    assert snap(store, "2024-03-01").empty
    assert snap(store, "2023-12-31").empty


def test_end_date_after_as_of_means_still_open():
    store = cp_store("2024-01-01", "2024-06-30")
    assert val(store, "2024-06-29", "cp_plan_days") == 180  # 2024 is a leap year


def test_service_is_the_most_intensive_open_service():
    store = make_store(
        referrals=[{"child_id": "A", "referral_date": "2024-01-02"},
                   {"child_id": "B", "referral_date": "2024-01-02"},
                   {"child_id": "C", "referral_date": "2024-01-02"}],
        cp_plans=[{"child_id": "A", "start_date": "2024-02-01"},
                  {"child_id": "B", "start_date": "2024-02-01"}],
        lac_episodes=[{"child_id": "A", "decom": "2024-03-01", "rne": "S", "ls": "C1", "place": "U1"}],
    )
    s = snap(store, "2024-04-01")
    assert s["service"].to_dict() == {"A": "LAC", "B": "CP", "C": "CIN"}
    assert s.loc["A", "cp_plan_days"] == 60  # the plan still counts for a looked-after child


def test_rows_are_sorted_by_child_id_and_audit_columns_come_last():
    store = make_store(referrals=[{"child_id": c, "referral_date": "2024-01-02"} for c in "CAB"])
    s = snapshot(store, "2024-02-01")
    assert list(s["child_id"]) == ["A", "B", "C"]
    assert list(s.columns[:5]) == ["child_id", "as_of", "service", "team", "worker_id"]
    audit = [c for c in s.columns if c.startswith("audit_")]
    assert audit == ["audit_sex", "audit_ethnicity", "audit_ethnic_group", "audit_disability",
                     "audit_uasc", "audit_age_band"]
    assert list(s.columns[-6:]) == audit
    assert not set(audit) & set(REG.model_features())


# ---- child protection ----------------------------------------------------------------------
@pytest.mark.parametrize("as_of, expected", [
    # 29 Feb 2024 minus 18 months is 29 Aug 2022: a plan from 31 Aug 2022 is not there yet
    ("2024-02-29", False),
    # 1 Mar 2024 minus 18 months is 1 Sep 2022
    ("2024-03-01", True),
])
def test_plan_over_18_months_across_a_leap_day(as_of, expected):
    assert val(cp_store("2022-08-31"), as_of, "cp_plan_over_18m") is expected


@pytest.mark.parametrize("as_of, expected", [
    ("2026-02-28", False),  # 28 Feb 2026 - 24 months = 28 Feb 2024 < 29 Feb 2024 start
    ("2026-03-01", True),
])
def test_plan_starting_29_february_reaches_two_years_on_1_march(as_of, expected):
    assert val(cp_store("2024-02-29"), as_of, "cp_plan_over_24m") is expected


def test_cp_indicators_are_blank_off_a_plan():
    store = make_store(referrals=[{"child_id": "A", "referral_date": "2024-01-02"}])
    s = snap(store, "2024-02-01")
    for col in ("cp_plan_days", "cp_plan_over_18m", "cp_previous_plans", "cp_review_overdue",
                "cp_category", "cp_long_plan_without_progress"):
        assert pd.isna(s.loc["A", col]), col


def test_previous_plans_recorded_or_counted_and_repeat_within_two_years():
    store = make_store(cp_plans=[
        {"child_id": "A", "start_date": "2020-01-10", "end_date": "2021-02-01"},
        {"child_id": "A", "start_date": "2022-03-01", "end_date": "2023-01-31"},
        {"child_id": "A", "start_date": "2025-01-31"},  # previous ended exactly 24 months before
        {"child_id": "B", "start_date": "2024-06-01", "number_of_previous_cpp": 3},
        {"child_id": "C", "start_date": "2024-06-01"},
    ])
    s = snap(store, "2025-02-03")
    assert s.loc["A", "cp_previous_plans"] == 2  # counted in the store
    assert s.loc["B", "cp_previous_plans"] == 3  # as recorded (NumberOfPreviousCPP, any LA)
    assert s.loc["C", "cp_previous_plans"] == 0
    assert s["cp_second_or_subsequent"].to_dict() == {"A": True, "B": True, "C": False}
    assert s["cp_repeat_within_2y"].to_dict() == {"A": True, "B": False, "C": False}
    late = make_store(cp_plans=[
        {"child_id": "A", "start_date": "2022-03-01", "end_date": "2023-01-30"},
        {"child_id": "A", "start_date": "2025-01-31"},  # 24 months and a day
    ])
    assert val(late, "2025-02-03", "cp_repeat_within_2y") is False


def test_review_conference_due_three_months_after_start_then_six_monthly():
    # 30 Nov 2023 + 3 months = 29 Feb 2024 (leap year): due that day, overdue the day after
    store = cp_store("2023-11-30")
    assert val(store, "2024-02-29", "cp_review_overdue") is False
    assert val(store, "2024-03-01", "cp_review_overdue") is True
    reviewed = cp_store("2023-11-30")
    reviewed.tables["cp_reviews"] = pd.DataFrame({
        "cp_plan_id": [reviewed["cp_plans"]["cp_plan_id"][0]], "child_id": ["A"],
        "review_date": [pd.Timestamp("2024-02-20")]})
    assert val(reviewed, "2024-03-01", "cp_review_overdue") is False
    assert val(reviewed, "2024-08-20", "cp_review_overdue") is False  # 20 Feb + 6 months
    assert val(reviewed, "2024-08-21", "cp_review_overdue") is True


def test_category_is_the_initial_one():
    store = make_store(cp_plans=[{"child_id": "A", "start_date": "2024-01-01",
                                  "initial_category": "EMO", "latest_category": "NEG"}])
    assert val(store, "2024-02-01", "cp_category") == "EMO"


def test_days_since_last_visit_ignores_later_visits():
    store = cp_store("2024-01-01", visits=[
        {"child_id": "A", "visit_date": "2024-02-10", "visit_type": "CP"},
        {"child_id": "A", "visit_date": "2024-03-10", "visit_type": "CP"},
    ])
    assert val(store, "2024-03-01", "days_since_last_visit") == 20
    assert val(store, "2024-03-10", "days_since_last_visit") == 0


@pytest.mark.parametrize("as_of, expected", [
    # Working days after Fri 15 Dec 2023: 18-22 Dec (5), 27-29 Dec (8; 25-26 Dec are bank
    # holidays), 2 Jan (9; 1 Jan is one), 3 Jan (10), 4 Jan (11 > 10: overdue).
    ("2023-12-29", False),
    ("2024-01-03", False),
    ("2024-01-04", True),
])
def test_cp_visit_overdue_in_working_days_over_christmas(as_of, expected):
    store = cp_store("2023-11-01", visits=[{"child_id": "A", "visit_date": "2023-12-15",
                                            "visit_type": "CP"}])
    assert val(store, as_of, "visit_overdue") is expected


#: A visit of another child: the store records visits (a full history) by the as-of dates below,
#: so a child with no visit has had none (without any visit data, visit_overdue is not available).
OTHER_VISIT = {"child_id": "Z", "visit_date": "2023-12-01", "visit_type": "CP"}


def test_looked_after_visit_overdue_after_42_days_from_the_period_start():
    store = make_store(lac_episodes=[{"child_id": "A", "decom": "2024-01-01", "rne": "S",
                                      "ls": "C1", "place": "U1"}], visits=[OTHER_VISIT])
    assert val(store, "2024-02-12", "visit_overdue") is False  # 42 days
    assert val(store, "2024-02-13", "visit_overdue") is True


def test_visit_overdue_not_available_without_visit_data_or_before_a_snapshot_shows_the_child():
    episode = {"child_id": "A", "decom": "2024-01-01", "rne": "S", "ls": "C1", "place": "U1"}
    assert val(make_store(lac_episodes=[episode]), "2024-02-13", "visit_overdue") is None
    # Annex A's latest visit of B, known from the extract of 31 January: A is not in it
    snap_visit = {"child_id": "B", "visit_date": "2024-01-20", "visit_type": "LAC",
                  "known_from": "2024-01-31"}
    store = make_store(lac_episodes=[episode, {**episode, "child_id": "B"}], visits=[snap_visit])
    assert val(store, "2024-01-30", "visit_overdue") is None  # no visit data known yet
    s = snap(store, "2024-02-13")
    assert pd.isna(s.loc["A", "visit_overdue"]) and pd.isna(s.loc["A", "days_since_last_visit"])
    assert s.loc["B", "days_since_last_visit"] == 24


def test_child_in_need_visits_apply_to_children_on_a_cin_plan():
    # Working days after Mon 4 Mar 2024: 5-8 Mar (4), 11-15 (9), 18-22 (14), 25-28 (18; Good
    # Friday 29 Mar and Easter Monday 1 Apr are bank holidays), 2 Apr (19), 3 Apr (20).
    store = make_store(
        referrals=[{"child_id": "A", "referral_date": "2024-02-01"},
                   {"child_id": "B", "referral_date": "2024-02-01"}],
        cin_plans=[{"child_id": "A", "start_date": "2024-03-04"}], visits=[OTHER_VISIT])
    assert val(store, "2024-04-03", "visit_overdue") is False
    s = snap(store, "2024-04-04")
    assert bool(s.loc["A", "visit_overdue"]) is True
    assert pd.isna(s.loc["B", "visit_overdue"])  # still being assessed: no visiting frequency


def test_long_plan_without_progress_needs_a_sign_and_no_escalation():
    plan = {"child_id": "A", "start_date": "2022-06-01"}
    on_track = dict(
        cp_plans=[plan],
        visits=[{"child_id": "A", "visit_date": "2024-01-29", "visit_type": "CP"}],
        allocations=[{"child_id": "A", "team": "T", "worker_id": "W1", "start_date": "2022-06-01"}],
    )
    store = make_store(**on_track)
    reviews = pd.DataFrame({"cp_plan_id": [store["cp_plans"]["cp_plan_id"][0]], "child_id": ["A"],
                            "review_date": [pd.Timestamp("2023-12-01")]})
    store.tables["cp_reviews"] = reviews
    assert val(store, "2024-02-01", "cp_plan_over_18m") is True
    assert val(store, "2024-02-01", "cp_long_plan_without_progress") is False  # long but moving

    went_missing = make_store(**on_track, missing_episodes=[
        {"child_id": "A", "missing_type": "M", "start_date": "2024-01-15", "end_date": "2024-01-16"}])
    went_missing.tables["cp_reviews"] = reviews
    assert val(went_missing, "2024-02-01", "cp_long_plan_without_progress") is True

    escalated = make_store(**on_track, missing_episodes=[
        {"child_id": "A", "missing_type": "M", "start_date": "2024-01-15", "end_date": "2024-01-16"}],
        pre_proceedings=[{"child_id": "A", "start_date": "2023-09-01"}])
    escalated.tables["cp_reviews"] = reviews
    assert val(escalated, "2024-02-01", "cp_long_plan_without_progress") is False


# ---- front door ----------------------------------------------------------------------------
def test_referrals_in_the_last_12_months_and_re_referral_on_29_february():
    store = make_store(referrals=[
        {"child_id": "A", "referral_date": "2023-02-28", "closure_date": "2023-05-01"},
        {"child_id": "A", "referral_date": "2024-02-29"},  # 29 Feb 2024 - 12 months = 28 Feb 2023
        {"child_id": "B", "referral_date": "2023-02-27", "closure_date": "2023-05-01"},
        {"child_id": "B", "referral_date": "2024-02-29"},
        {"child_id": "C", "referral_date": "2024-02-29"},
    ])
    s = snap(store, "2024-02-29")
    assert s["rereferral_12m"].to_dict() == {"A": True, "B": False, "C": False}
    assert s["referrals_12m"].to_dict() == {"A": 1, "B": 1, "C": 1}  # 28 Feb 2023 is outside
    assert snap(store, "2024-03-01").loc["A", "referrals_12m"] == 1


# Mon 20 Nov 2023 + 45 working days, skipping 25, 26 Dec and 1 Jan: Thu 25 Jan 2024.
@pytest.mark.parametrize("as_of, days, over", [
    ("2023-11-20", 0, False),
    ("2023-12-27", 25, False),
    ("2024-01-25", 45, False),
    ("2024-01-26", 46, True),
])
def test_assessment_over_45_working_days_across_christmas(as_of, days, over):
    store = make_store(assessments=[{"child_id": "A", "start_date": "2023-11-20"}],
                       referrals=[{"child_id": "A", "referral_date": "2023-11-20"}])
    assert val(store, as_of, "assessment_open_working_days") == days
    assert val(store, as_of, "assessment_over_45wd") is over


def test_authorised_assessment_is_no_longer_open():
    store = make_store(assessments=[{"child_id": "A", "start_date": "2023-11-20",
                                     "authorisation_date": "2024-01-26"}],
                       referrals=[{"child_id": "A", "referral_date": "2023-11-20"}])
    assert val(store, "2024-01-25", "assessment_over_45wd") is False
    assert val(store, "2024-01-26", "assessment_open_working_days") is None


# Thu 21 Mar 2024 + 15 working days, skipping Good Friday 29 Mar and Easter Monday 1 Apr: Mon 15 Apr.
@pytest.mark.parametrize("icpc, as_of, days, late", [
    ("2024-04-15", "2024-04-20", 15, False),
    ("2024-04-16", "2024-04-20", 16, True),
    (None, "2024-04-15", 15, False),   # awaited, not yet late
    (None, "2024-04-16", 16, True),    # awaited and late
    ("2024-04-16", "2024-04-15", 15, False),  # conference after as_of is not known yet
])
def test_s47_to_initial_conference_across_easter(icpc, as_of, days, late):
    store = make_store(section47=[{"child_id": "A", "start_date": "2024-03-21", "icpc_date": icpc}],
                       referrals=[{"child_id": "A", "referral_date": "2024-03-20"}])
    assert val(store, as_of, "s47_to_icpc_working_days") == days
    assert val(store, as_of, "s47_to_icpc_over_15wd") is late


def test_s47_with_no_conference_required():
    store = make_store(section47=[{"child_id": "A", "start_date": "2024-03-21",
                                   "icpc_not_required": True}],
                       referrals=[{"child_id": "A", "referral_date": "2024-03-20"}])
    assert val(store, "2024-04-10", "s47_to_icpc_working_days") == 12  # still within timescale
    assert val(store, "2024-04-16", "s47_to_icpc_working_days") is None  # concluded, no conference


def test_step_ups_and_step_downs():
    store = make_store(referrals=[
        {"child_id": "A", "referral_date": "2023-05-01", "closure_date": "2023-06-01",
         "closure_reason": "RC9"},
        {"child_id": "A", "referral_date": "2023-09-01", "referral_source": "5D"},
    ])
    s = snap(store, "2024-05-31")
    assert s.loc["A", "step_downs_12m"] == 1
    assert s.loc["A", "step_ups_12m"] == 1
    assert snap(store, "2024-06-01").loc["A", "step_downs_12m"] == 0  # 1 Jun 2023 is outside


# ---- missing -------------------------------------------------------------------------------
def test_missing_days_and_missing_now_across_29_february():
    store = make_store(
        referrals=[{"child_id": "A", "referral_date": "2024-01-02"}],
        missing_episodes=[{"child_id": "A", "missing_type": "M", "start_date": "2024-02-27",
                           "end_date": "2024-03-02"}])
    on_1_march = snap(store, "2024-03-01").loc["A"]
    assert on_1_march["missing_days_90d"] == 4  # 27, 28, 29 Feb and 1 Mar
    assert on_1_march["missing_open_now"]
    on_2_march = snap(store, "2024-03-02").loc["A"]
    assert on_2_march["missing_days_90d"] == 5
    assert not on_2_march["missing_open_now"]  # the episode ends that day


def test_missing_window_boundaries():
    as_of = pd.Timestamp("2024-06-30")
    store = make_store(
        referrals=[{"child_id": "A", "referral_date": "2023-01-02"}],
        missing_episodes=[
            {"child_id": "A", "missing_type": "M", "start_date": as_of - pd.Timedelta(days=90),
             "end_date": as_of - pd.Timedelta(days=89)},
            {"child_id": "A", "missing_type": "A", "start_date": as_of - pd.Timedelta(days=89),
             "end_date": as_of - pd.Timedelta(days=89)},
            {"child_id": "A", "missing_type": "M", "start_date": as_of - pd.Timedelta(days=365),
             "end_date": as_of - pd.Timedelta(days=365)},
        ])
    s = snap(store, "2024-06-30").loc["A"]
    assert s["missing_episodes_90d"] == 1   # the day 90 days back is outside the window
    assert s["missing_episodes_365d"] == 2  # so is the day 365 days back
    assert s["missing_days_90d"] == 1       # day -89, covered by two episodes, counts once
    assert s["missing_days_365d"] == 2      # days -90 and -89


def test_return_home_interview_share_waits_72_hours():
    store = make_store(
        referrals=[{"child_id": "A", "referral_date": "2023-01-02"}],
        missing_episodes=[
            {"child_id": "A", "missing_type": "M", "start_date": "2024-06-01", "end_date": "2024-06-02",
             "rhi_offered": True, "rhi_accepted": False},
            {"child_id": "A", "missing_type": "M", "start_date": "2024-06-20", "end_date": "2024-06-27",
             "rhi_offered": False},
        ])
    s = snap(store, "2024-06-29").loc["A"]  # the second ended 2 days ago: not yet due
    assert s["rhi_offered_share"] == 1.0
    assert s["rhi_accepted_share"] == 0.0
    assert snap(store, "2024-06-30").loc["A", "rhi_offered_share"] == 0.5


def test_return_home_interview_is_read_from_the_extract_that_reported_it():
    """An interview reported by an Annex A extract is known from that extract, not from the
    episode; an episode whose interview nobody recorded is left out (not "not offered")."""
    store = make_store(
        referrals=[{"child_id": c, "referral_date": "2023-01-02"} for c in "AB"],
        missing_episodes=[
            {"child_id": "A", "missing_type": "M", "start_date": "2024-06-01", "end_date": "2024-06-02",
             "rhi_offered": False, "rhi_accepted": False, "rhi_known_from": "2024-06-30"},
            {"child_id": "A", "missing_type": "M", "start_date": "2024-07-10", "end_date": "2024-07-11"},
            {"child_id": "B", "missing_type": "M", "start_date": "2024-06-01", "end_date": "2024-06-02"},
        ])
    assert pd.isna(snap(store, "2024-06-29").loc["A", "rhi_offered_share"])  # not reported yet
    assert snap(store, "2024-06-30").loc["A", "rhi_offered_share"] == 0.0
    assert snap(store, "2024-07-31").loc["A", "rhi_offered_share"] == 0.0  # the July one: not recorded
    assert pd.isna(snap(store, "2024-07-31").loc["B", "rhi_offered_share"])


# ---- legal ---------------------------------------------------------------------------------
@pytest.mark.parametrize("as_of, weeks, over", [
    ("2024-04-22", 16.0, False),  # 112 days
    ("2024-04-23", 113 / 7, True),
])
def test_plo_pre_proceedings_beyond_16_weeks(as_of, weeks, over):
    store = cp_store("2023-06-01", pre_proceedings=[{"child_id": "A", "start_date": "2024-01-01"}])
    assert val(store, as_of, "plo_weeks") == pytest.approx(weeks)
    assert val(store, as_of, "plo_over_16w") is over


def test_plo_override_changes_the_limit(tmp_path):
    f = tmp_path / "council.yaml"
    f.write_text("version: test\nindicators:\n  plo_over_16w:\n    thresholds:\n      weeks: 12\n")
    reg = load_registry(f)
    store = cp_store("2023-06-01", pre_proceedings=[{"child_id": "A", "start_date": "2024-01-01"}])
    s = snapshot(store, "2024-03-26", registry=reg).set_index("child_id")  # 85 days
    assert bool(s.loc["A", "plo_over_16w"]) is True
    with pytest.raises(ConfigError):
        load_registry(tmp_path / "absent.yaml")


@pytest.mark.parametrize("days, over", [(182, False), (183, True)])
def test_care_proceedings_beyond_26_weeks(days, over):
    app = pd.Timestamp("2024-01-10")
    store = make_store(
        referrals=[{"child_id": "A", "referral_date": "2023-01-02"}],
        care_proceedings=[{"child_id": "A", "application_date": app, "final_order_date": "2025-01-01"}])
    as_of = (app + pd.Timedelta(days=days)).date().isoformat()
    assert val(store, as_of, "care_proceedings_over_26w") is over
    assert val(store, "2025-01-01", "care_proceedings_weeks") is None  # final order that day


# ---- looked after --------------------------------------------------------------------------
def _episodes():
    return [
        {"child_id": "A", "decom": "2023-01-10", "rne": "S", "ls": "V2", "place": "U1",
         "dec": "2023-03-01", "pl_distance": 5.0, "placement_in_la": True},
        {"child_id": "A", "decom": "2023-03-01", "rne": "L", "ls": "C1", "place": "U1",
         "dec": "2023-09-01", "pl_distance": 5.0, "placement_in_la": True},
        {"child_id": "A", "decom": "2023-09-01", "rne": "P", "ls": "C1", "place": "K2",
         "dec": "2024-02-01", "pl_distance": 20.0, "placement_in_la": True},
        {"child_id": "A", "decom": "2024-02-01", "rne": "P", "ls": "C2", "place": "U3",
         "pl_distance": 20.5, "placement_in_la": False},
    ]


def test_looked_after_period_placements_and_distance():
    store = make_store(lac_episodes=_episodes())
    s = snap(store, "2024-02-29").loc["A"]
    assert s["service"] == "LAC"
    assert s["lac_days"] == (pd.Timestamp("2024-02-29") - pd.Timestamp("2023-01-10")).days
    # window (28 Feb 2023, 29 Feb 2024]: placed at its start (U1) + moves on 1 Sep and 1 Feb
    assert s["placement_moves_12m"] == 2
    assert s["placements_12m"] == 3
    assert s["placements_3plus_12m"]
    assert s["placed_over_20_miles"] and s["placed_out_of_area"]
    assert s["legal_status"] == "C2"
    assert s["permanence_plan"] == "FOSTERING"
    earlier = snap(store, "2024-01-31").loc["A"]
    assert not earlier["placed_over_20_miles"]  # exactly 20 miles is not over 20
    assert earlier["placements_12m"] == 2


def test_gap_between_episodes_starts_a_new_period_of_care():
    store = make_store(lac_episodes=[
        {"child_id": "A", "decom": "2023-01-10", "rne": "S", "ls": "V2", "place": "U1", "dec": "2023-03-01"},
        {"child_id": "A", "decom": "2023-04-01", "rne": "P", "ls": "V2", "place": "U1"},
    ])
    assert val(store, "2023-04-11", "lac_days") == 10
    assert snap(store, "2023-03-15").empty  # not looked after between the episodes


# Mon 25 Mar 2024 + 20 working days, skipping Good Friday and Easter Monday: Wed 24 Apr.
@pytest.mark.parametrize("as_of, overdue", [("2024-04-24", False), ("2024-04-25", True)])
def test_first_looked_after_review_due_20_working_days_after_entry(as_of, overdue):
    store = make_store(lac_episodes=[{"child_id": "A", "decom": "2024-03-25", "rne": "S",
                                      "ls": "C1", "place": "U1"}])
    assert val(store, as_of, "lac_review_overdue") is overdue


def test_looked_after_review_intervals():
    store = make_store(
        lac_episodes=[{"child_id": "A", "decom": "2023-08-01", "rne": "S", "ls": "C1", "place": "U1"}],
        lac_reviews=[{"child_id": "A", "review_date": "2023-08-20"},
                     {"child_id": "A", "review_date": "2023-11-30"}])
    # second review on 30 Nov is within 3 months of 20 Aug? 20 Nov is the limit: it was late,
    # but what matters on an as-of date is the next one: 30 Nov + 6 months = 30 May 2024
    assert val(store, "2023-11-25", "lac_review_overdue") is True   # 20 Aug + 3 months passed
    assert val(store, "2024-05-30", "lac_review_overdue") is False
    assert val(store, "2024-05-31", "lac_review_overdue") is True


# ---- context and workload ------------------------------------------------------------------
def test_team_caseload_and_worker_changes():
    store = make_store(
        referrals=[{"child_id": c, "referral_date": "2024-01-02"} for c in "ABC"],
        allocations=[
            {"child_id": "A", "team": "T1", "worker_id": "W1", "start_date": "2024-01-02", "end_date": "2024-02-01"},
            {"child_id": "A", "team": "T1", "worker_id": "W2", "start_date": "2024-02-01", "end_date": "2024-03-01"},
            {"child_id": "A", "team": "T1", "worker_id": "W2", "start_date": "2024-03-01"},
            {"child_id": "B", "team": "T1", "worker_id": "W1", "start_date": "2024-01-02"},
            {"child_id": "C", "team": "T2", "worker_id": "W3", "start_date": "2024-01-02"},
        ],
        workers=[
            {"worker_id": "W1", "team": "T1", "start_date": "2020-01-01"},
            {"worker_id": "W2", "team": "T1", "start_date": "2020-01-01", "end_date": "2024-03-15"},
            {"worker_id": "W9", "team": "T1", "start_date": "2024-03-16"},  # not yet in post
            {"worker_id": "W3", "team": "T2", "start_date": "2020-01-01", "end_date": "2024-03-10"},
        ])
    s = snap(store, "2024-03-15")
    assert s["team"].to_dict() == {"A": "T1", "B": "T1", "C": "T2"}
    assert s.loc["A", "worker_id"] == "W2"
    assert s.loc["A", "team_caseload"] == 2.0  # 2 cases, W2 leaves on 15 Mar so only W1 in post
    assert pd.isna(s.loc["C", "team_caseload"])  # nobody in post in T2
    assert s.loc["A", "worker_changes_12m"] == 1  # W1 -> W2; W2 -> W2 is not a change


def test_team_caseload_without_a_roster_counts_the_workers_holding_cases():
    """A store built from the returns has no workforce roster (Annex A names each child's
    allocated worker, not the staff): the team's workers are those holding an open case."""
    store = make_store(
        referrals=[{"child_id": c, "referral_date": "2024-01-02"} for c in "ABCD"],
        allocations=[
            {"child_id": "A", "team": "T1", "worker_id": "W1", "start_date": "2024-01-31"},
            {"child_id": "B", "team": "T1", "worker_id": "W1", "start_date": "2024-01-31"},
            {"child_id": "C", "team": "T1", "worker_id": "W2", "start_date": "2024-01-31",
             "end_date": "2024-02-29"},
            {"child_id": "C", "team": "T2", "worker_id": "W3", "start_date": "2024-02-29"},
        ])
    s = snap(store, "2024-02-15")
    assert s.loc["A", "team_caseload"] == 1.5  # 3 cases in T1 held by W1 and W2
    assert pd.isna(s.loc["D", "team_caseload"])  # not allocated
    s = snap(store, "2024-03-01")
    assert s.loc["A", "team_caseload"] == 2.0  # C moved to T2: W1 holds both T1 cases
    assert s.loc["C", "team_caseload"] == 1.0


# ---- protected characteristics (audit columns) ----------------------------------------------
@pytest.mark.parametrize("as_of, band", [
    ("2008-02-28", "Unborn"),
    ("2008-02-29", "Under 1"),
    ("2026-02-28", "16-17"),   # born 29 Feb 2008: 18 on 1 March in a non-leap year
    ("2026-03-01", "18+"),
    ("2013-02-28", "1-4"),
    ("2013-03-01", "5-9"),
])
def test_age_band_for_a_29_february_birthday(as_of, band):
    store = make_store(
        children=[{"child_id": "A", "sex": "M", "date_of_birth": "2008-02-29", "ethnicity": "CHNE",
                   "disability": True, "uasc": True, "uasc_ceased_date": "2026-03-01"}],
        referrals=[{"child_id": "A", "referral_date": "2008-01-01"}])
    s = snap(store, as_of).loc["A"]
    assert s["audit_age_band"] == band
    assert s["audit_ethnic_group"] == "Other"  # Chinese under Other, as DfE does
    assert bool(s["audit_uasc"]) is (as_of < "2026-03-01")  # ceased that day


def test_panel_is_the_stack_of_monthly_snapshots():
    store = make_store(cp_plans=[{"child_id": "A", "start_date": "2024-01-15", "end_date": "2024-03-01"}],
                       referrals=[{"child_id": "B", "referral_date": "2024-02-01"}])
    p = panel(store, "2024-01-01", "2024-04-01")
    assert sorted({d.date().isoformat() for d in p["as_of"]}) == ["2024-02-01", "2024-03-01", "2024-04-01"]
    feb = p[p["as_of"] == "2024-02-01"].reset_index(drop=True)
    pd.testing.assert_frame_equal(feb, snapshot(store, "2024-02-01"))
    assert list(p.loc[p["as_of"] == "2024-03-01", "child_id"]) == ["B"]  # A's plan ended 1 Mar
    assert np.all(p.columns == snapshot(store, "2024-02-01").columns)


def test_worker_changes_of_a_looked_after_child_come_from_the_903_social_worker_episodes():
    """Annex A saw W1 at two month ends (no change); the 903 SWEpisodes table says the case went
    W1 -> W2 -> W3 between them. While A is looked after the full history counts (2 changes in
    the 12 months to 1 June 2024); B, on a CP plan, keeps the allocations' count; before A's
    first social worker episode the allocations are all there is."""
    store = make_store(
        lac_episodes=[{"child_id": "A", "decom": "2023-09-01", "rne": "S", "ls": "C2", "place": "U4"}],
        cp_plans=[{"child_id": "B", "start_date": "2023-09-01", "initial_category": "NEG"}],
        allocations=[
            {"child_id": "A", "team": "T1", "worker_id": "W1", "start_date": "2023-10-31", "known_from": "2023-10-31"},
            {"child_id": "B", "team": "T1", "worker_id": "W1", "start_date": "2023-10-31"},
        ],
        sw_episodes=[
            {"child_id": "A", "worker_id": "W1", "start_date": "2023-11-15", "end_date": "2024-02-01"},
            {"child_id": "A", "worker_id": "W2", "start_date": "2024-02-01", "end_date": "2024-04-10",
             "end_reason": "LEFTRL"},
            {"child_id": "A", "worker_id": "W3", "start_date": "2024-04-10"},
            {"child_id": "B", "worker_id": "W5", "start_date": "2024-01-01"},
        ])
    s = snap(store, "2024-06-01")
    assert s.loc["A", "worker_changes_12m"] == 2
    assert s.loc["B", "worker_changes_12m"] == 0  # not looked after: the allocations
    assert val(store, "2023-11-01", "worker_changes_12m") == 0  # before the SW episodes: Annex A
    assert val(store, "2024-03-01", "worker_changes_12m") == 1  # a past month: W1 -> W2 only


def test_care_leavers_are_their_own_service_with_the_latest_oc3_record_of_the_year():
    """A left care at 17; the 903 OC3 records at the 18th birthday (1 Jun 2023: in touch,
    unsuitable accommodation) and the 19th (1 Jun 2024: not in touch, no information). B is a
    care leaver whose record says the council no longer needs to be in touch (NREQ); C also has
    an open CIN episode, so C's service is CIN but the care leaver indicators still apply."""
    store = make_store(
        care_leavers=[
            {"child_id": "A", "birthday_date": "2023-06-01", "age": 18, "in_touch": "YES",
             "accommodation": "B2", "accommodation_suitable": False},
            {"child_id": "A", "birthday_date": "2024-06-01", "age": 19, "in_touch": "NO",
             "accommodation": "0", "accommodation_suitable": None},
            {"child_id": "B", "birthday_date": "2024-01-10", "age": 20, "in_touch": "NREQ",
             "accommodation": "U1", "accommodation_suitable": True},
            {"child_id": "C", "birthday_date": "2024-02-01", "age": 18, "in_touch": "REFU"},
        ],
        referrals=[{"child_id": "C", "referral_date": "2024-03-01"}],
        visits=[{"child_id": "A", "visit_date": "2023-01-05", "visit_type": "LAC"}])
    s = snap(store, "2024-05-31")
    assert s["service"].to_dict() == {"A": "CL", "B": "CL", "C": "CIN"}
    assert pd.isna(s.loc["A", "visit_overdue"])  # no statutory visiting interval for care leavers
    assert s.loc["A", "care_leaver_not_in_touch"] is False or s.loc["A", "care_leaver_not_in_touch"] == 0
    assert s.loc["A", "care_leaver_unsuitable_accommodation"] == 1
    assert pd.isna(s.loc["B", "care_leaver_not_in_touch"])  # NREQ: not applicable
    assert s.loc["B", "care_leaver_unsuitable_accommodation"] == 0
    assert s.loc["C", "care_leaver_not_in_touch"] == 1  # refuses contact
    later = snap(store, "2024-06-01")  # the 19th birthday's record replaces the 18th's
    assert later.loc["A", "care_leaver_not_in_touch"] == 1
    assert pd.isna(later.loc["A", "care_leaver_unsuitable_accommodation"])
    # a year after the last record, A is no longer in the care leaver caseload
    assert "A" not in snap(store, "2025-06-01").index
