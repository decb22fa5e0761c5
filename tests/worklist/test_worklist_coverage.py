"""The coverage guard end to end: an indicator whose source has no records for the month is
"not available": no value, no rule breach, no reason, not a model input."""

from __future__ import annotations

import pandas as pd
import pytest

from driftflag.indicators.sources import source_coverage, uncovered_indicators


def _store(**tables):
    base = {
        "care_proceedings": pd.DataFrame({"application_date": pd.to_datetime(["2023-01-05", "2025-10-20"])}),
        "visits": pd.DataFrame({"visit_date": pd.to_datetime(["2024-01-01", "2025-10-30"]),
                                "known_from": pd.to_datetime(["2024-01-31", "2025-10-31"])}),
    }
    base.update(tables)
    return base


def test_empty_late_and_short_sources_are_uncovered():
    gaps = uncovered_indicators(_store(), "2025-11-01")
    assert "care_proceedings_weeks" not in gaps and "days_since_last_visit" not in gaps
    assert "no allocations records" in gaps["team_caseload"]  # neither allocations nor a roster
    gaps = uncovered_indicators(_store(care_proceedings=pd.DataFrame({"application_date": pd.to_datetime([])})),
                                "2025-11-01")
    assert "care_proceedings_weeks" in gaps and "care_proceedings_over_26w" in gaps
    # the latest record is known only after the as-of date: not covered then
    late = _store(visits=pd.DataFrame({"visit_date": pd.to_datetime(["2024-01-01", "2025-10-30"]),
                                       "known_from": pd.to_datetime(["2024-01-31", "2025-12-01"])}))
    assert "more than" not in uncovered_indicators(late, "2025-11-01").get("visit_overdue", "")
    assert "visit_overdue" in uncovered_indicators(late, "2025-11-01")
    # visit records that start two months before: "days since the last visit" would be capped
    short = _store(visits=pd.DataFrame({"visit_date": pd.to_datetime(["2025-09-01", "2025-10-30"])}))
    assert "look" in uncovered_indicators(short, "2025-11-01")["days_since_last_visit"]


def test_team_caseload_is_covered_by_the_allocations_without_a_roster():
    """A store built from the returns has no workers roster: the team's caseload is derived from
    the workers holding its open cases, so allocations alone cover it; a roster alone does not
    (no case is in a team without an allocation)."""
    allocations = pd.DataFrame({"start_date": pd.to_datetime(["2024-05-01", "2025-10-10"])})
    workers = pd.DataFrame({"start_date": pd.to_datetime(["2020-01-01"])})
    assert "team_caseload" not in uncovered_indicators(_store(allocations=allocations), "2025-11-01")
    assert "team_caseload" in uncovered_indicators(_store(workers=workers), "2025-11-01")
    stale = pd.DataFrame({"start_date": pd.to_datetime(["2024-05-01"])})
    assert "92 days" in uncovered_indicators(_store(allocations=stale, workers=workers),
                                             "2025-11-01")["team_caseload"]


def test_coverage_table_by_month():
    cov = source_coverage(_store(), ["2023-03-01", "2025-11-01"], ["care_proceedings_weeks", "visit_overdue"])
    assert cov.loc["care_proceedings_weeks"].tolist() == [True, True]
    assert cov.loc["visit_overdue"].tolist() == [False, True]  # 2023: no visit records yet


@pytest.fixture(scope="module")
def guarded(synth_la, synth_caseload, logistic_model):
    """The synthetic LA's worklist when its care proceedings table arrived empty."""
    from worklist_helpers import policy

    from driftflag.casemodel.schema import TABLES
    from driftflag.casemodel.store import CaseStore
    from driftflag.indicators import load_registry
    from driftflag.worklist.caseload import score_caseload
    from driftflag.worklist.sampling import sample_worklist

    tables = dict(synth_la.store.tables)
    tables["care_proceedings"] = TABLES["care_proceedings"].empty()
    store = CaseStore(tables=tables)
    scored, contrib = score_caseload(store, "2025-11", logistic_model, caseload=synth_caseload)
    wl = sample_worklist(scored, policy(size=40), "2025-11", store["audits"], contributions=contrib,
                         registry=load_registry(), model_label="test")
    return scored, contrib, wl


def test_uncovered_indicator_is_not_a_model_input_nor_a_reason(guarded, synth_caseload):
    scored, contrib, wl = guarded
    assert "care_proceedings_weeks" in scored.attrs["not_available"]
    # the snapshot had values; the guard blanked them before scoring
    assert synth_caseload["care_proceedings_weeks"].notna().any()
    assert scored["care_proceedings_weeks"].isna().all()
    assert not scored["care_proceedings_over_26w"].astype("boolean").fillna(False).any()
    groups = wl.frame[[f"reason_{k}_group" for k in (1, 2, 3)]].to_numpy().ravel()
    assert "proceedings" not in set(groups)
    assert not wl.frame["selection_reason"].str.contains("care proceedings").any()


def test_uncovered_indicator_reads_not_available(guarded, tmp_path):
    from driftflag.worklist.outputs import NOT_AVAILABLE, display_frame

    _, _, wl = guarded
    disp = display_frame(wl.frame, wl.design["not_available"], wl.month)
    assert (disp["Weeks in proceedings"] == NOT_AVAILABLE).all()
    wl.write(tmp_path / "out")
    html = (tmp_path / "out" / "worklist.html").read_text()
    assert "Not available this month" in html and "care proceedings" in html


def test_every_case_has_a_first_reason_in_words(guarded):
    from driftflag.worklist.sampling import NO_REASON

    _, _, wl = guarded
    first = wl.frame["reason_1"].astype("str")
    assert (first != "").all()
    random_without = wl.frame[(wl.frame["selection_part"] == "random") & first.str.startswith(NO_REASON)]
    assert random_without["reason_1"].str.contains("random control").all()
