"""How we compare: the council's figures measured as DfE measures them, beside the shipped
England and regional figures; statistical neighbours only from the council's own file."""

from __future__ import annotations

from datetime import date, timedelta

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from driftflag.errors import ConfigError
from driftflag.reports.benchmarks import (
    CouncilConfig,
    cp_plans_ending_2y_plus,
    load_benchmarks,
    missing_incidents_per_child,
    rereferral_rate,
)
from driftflag.reports.scorecard import build_scorecard

END = pd.Timestamp("2025-11-30")


# ---- slow, obviously correct references ---------------------------------------------------------
def _known(row, end) -> bool:
    k = row.get("known_from")
    return k is None or pd.isna(k) or k <= end


def ref_rereferral(rows: list[dict], end: pd.Timestamp) -> tuple[int, int]:
    """(re-referrals, referrals) of the 12 months to ``end``, one referral at a time."""
    start = end - pd.DateOffset(years=1)
    pairs = {(r["child_id"], r["referral_date"]) for r in rows if _known(r, end) and r["referral_date"] <= end}
    n = k = 0
    for child, d in pairs:
        if not (start < d <= end):
            continue
        n += 1
        if any(c == child and d - timedelta(days=365) <= p < d for c, p in pairs):
            k += 1
    return k, n


def ref_cp_ending(rows: list[dict], end: pd.Timestamp) -> tuple[int, int]:
    start = end - pd.DateOffset(years=1)
    n = k = 0
    for r in rows:
        e, s = r.get("end_date"), r.get("start_date")
        if not _known(r, end) or e is None or s is None or not (start < e <= end) or e < s:
            continue
        n += 1
        k += (e - s).days >= 730
    return k, n


_days = st.integers(min_value=0, max_value=1400).map(lambda d: pd.Timestamp(date(2022, 6, 1) + timedelta(days=d)))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("ABCDE"), _days, st.one_of(st.none(), _days)), max_size=30))
def test_rereferral_rate_matches_the_reference(refs):
    rows = [{"child_id": c, "referral_date": d, "known_from": k} for c, d, k in refs]
    k, n = ref_rereferral(rows, END)
    got = rereferral_rate(pd.DataFrame(rows, columns=["child_id", "referral_date", "known_from"]), END)
    if n == 0:
        assert got.value is None
    else:
        assert (got.count, got.out_of) == (k, n)
        assert got.value == pytest.approx(100.0 * k / n)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_days, st.one_of(st.none(), _days), st.one_of(st.none(), _days)), max_size=30))
def test_cp_plans_ending_matches_the_reference(plans):
    rows = [{"child_id": "A", "start_date": s, "end_date": e, "known_from": k} for s, e, k in plans]
    k, n = ref_cp_ending(rows, END)
    frame = pd.DataFrame(rows, columns=["child_id", "start_date", "end_date", "known_from"])
    for c in ("start_date", "end_date", "known_from"):
        frame[c] = pd.to_datetime(frame[c])
    got = cp_plans_ending_2y_plus(frame, END)
    assert (got.value is None) == (n == 0)
    if n:
        assert (got.count, got.out_of) == (k, n)


def test_missing_incidents_per_child_who_went_missing():
    lac = pd.DataFrame({"child_id": ["A", "B", "C"],
                        "decom": pd.to_datetime(["2020-01-01", "2025-03-01", "2025-11-01"]),
                        "dec": pd.to_datetime(["2024-12-15", None, None]),
                        "known_from": pd.to_datetime([None, None, "2025-12-02"])})
    missing = pd.DataFrame({
        "child_id": ["A", "A", "B", "B", "B", "C", "B"],
        "missing_type": ["M", "M", "M", "A", "M", "M", "M"],
        "start_date": pd.to_datetime(["2024-12-10", "2024-11-01", "2025-05-01", "2025-06-01", "2025-07-01",
                                      "2025-11-10", "2025-11-29"]),
        "known_from": pd.to_datetime([None, None, None, None, None, None, "2025-12-01"])})
    got = missing_incidents_per_child(lac, missing, END)
    # A: looked after until 15 Dec 2024 (in the year), one incident in the year (10 Dec 2024);
    # B: two "missing" (the "away" and the one known in December do not count); C is known
    # only in December
    assert (got.count, got.out_of) == (3, 2) and got.value == 1.5


# ---- the scorecard ------------------------------------------------------------------------------
def referral_store():
    from indicators.stores import make_store

    refs = [("A", "2024-03-01"), ("A", "2025-02-01"), ("B", "2025-06-01"), ("C", "2023-10-01"),
            ("C", "2025-09-01"), ("D", "2025-10-01"), ("D", "2025-10-15")]
    rows = [{"child_id": c, "referral_date": d} for c, d in refs]
    rows.append({"child_id": "E", "referral_date": "2025-11-20", "known_from": "2025-12-05"})
    plans = [{"child_id": "A", "start_date": "2023-01-10", "end_date": "2025-03-01"},   # 2 years+
             {"child_id": "B", "start_date": "2025-06-20", "end_date": "2025-10-20"},
             {"child_id": "D", "start_date": "2025-10-16"},
             # ended before the year: not counted, but shows the plan records reach a year back
             {"child_id": "C", "start_date": "2022-05-01", "end_date": "2024-06-01"}]
    return make_store(referrals=rows, cp_plans=plans)


def test_rereferrals_are_a_share_of_the_years_referrals_not_of_open_cases():
    card = build_scorecard(referral_store(), "2025-11", council={"name": "Test", "la_code": "999",
                                                                 "region": "North East"})
    rows = card.to_frame()
    rr = rows[rows["indicator_id"] == "rereferral_12m"]
    # one row, for the council as a whole: no service or team split of a referral measure
    assert list(zip(rr["level"], rr["service"], strict=True)) == [("service", "All")]
    row = rr.iloc[0]
    # 5 referrals in the year (E's is known only in December); A (337 days) and D (14 days) repeat
    assert (row["count"], row["caseload"], row["value"]) == (2, 5, 40.0)
    assert row["denominator"] == "referrals in the 12 months to the month end"
    assert row["summary"] == "% of referrals"
    assert row["benchmarks"].startswith("England 22.6% (2024-25); North East 20.7%")
    compare = {c.measure: c for c in card.comparison}
    assert compare["rereferral_12m"].council.value == 40.0
    plans = compare["cp_ending_2y_plus"]
    assert (plans.council.count, plans.council.out_of) == (1, 2) and plans.region == "2.2% (2024-25)"
    assert compare["cla_missing_incidents"].council.value is None  # no missing records: never 0
    assert "North East figure is not in" in compare["cla_missing_incidents"].region
    assert all(c.neighbours.startswith("not available") for c in card.comparison)


def test_rereferrals_not_available_when_referrals_do_not_reach_two_years_back():
    from indicators.stores import make_store

    store = make_store(referrals=[{"child_id": "A", "referral_date": "2025-01-03"},
                                  {"child_id": "A", "referral_date": "2025-11-03"}])
    card = build_scorecard(store, "2025-11")
    row = card.services().set_index("indicator_id").loc["rereferral_12m"]
    assert pd.isna(row["value"]) and row["status"] == "not available" and pd.isna(row["rag"])
    assert "730 days" in {c.measure: c for c in card.comparison}["rereferral_12m"].council.why


def test_no_old_single_la_figures_and_the_comparison_is_on_the_page_and_in_the_workbook(tmp_path):
    card = build_scorecard(referral_store(), "2025-11", council={
        "name": "Test", "la_code": "999", "region": "East Midlands",
        "statistical_neighbours": {"source": "council's own list", "names": ["P", "Q"],
                                   "figures": {"rereferral_12m": {"value": 19.5, "year": "2024-25",
                                                                  "source": "LAIT extract"}}}})
    assert not card.services()["benchmarks"].str.contains("2014/15").any()
    html = card.to_html()
    assert "How we compare" in html and "24.7% (2024-25)" in html  # East Midlands re-referrals
    assert "19.5% (2024-25)" in html and "LAIT extract" in html
    assert "https://" not in html  # publications cited by title and address, never a link
    paths = card.write(tmp_path)
    wb = openpyxl.load_workbook(paths[1])
    ws = wb["How we compare"]
    header = [c.value for c in ws[1]]
    assert header[:6] == ["Measure", "This council", "Out of", "England", "East Midlands", "Statistical neighbours"]
    assert ws.cell(2, 2).value == "40.0%" and ws.cell(2, 3).value == "2 of 5"
    assert [c.value for c in wb["About"][1]] == ["Item", "Detail"]


def test_council_file_is_checked(tmp_path):
    with pytest.raises(ConfigError, match="region"):
        CouncilConfig.parse({"name": "X", "la_code": "999", "region": "Wessex"})
    with pytest.raises(ConfigError, match="la_code"):
        CouncilConfig.parse({"name": "X", "la_code": "E09000003"})
    with pytest.raises(ConfigError, match="unknown measures"):
        CouncilConfig.parse({"name": "X", "la_code": "999", "statistical_neighbours": {
            "source": "s", "figures": {"visits": {"value": 1, "year": "2025", "source": "s"}}}})
    f = tmp_path / "council.yaml"
    f.write_text("council:\n  name: X\n  la_code: '302'\n  region: London\n")
    assert CouncilConfig.parse(f).region == "London"


def test_shipped_figures_are_cited_and_versioned():
    data = load_benchmarks()
    assert data.version and data.reference.startswith("shared/reference/data-standards.md")
    assert {m.id for m in data.measures} == {"rereferral_12m", "cp_ending_2y_plus", "cla_placed_out_of_area",
                                             "cla_missing_incidents"}
    for m in data.measures:
        for f in (m.england, *m.regions.values()):
            pub = data.publications[f.publication]
            assert pub.url.startswith("https://explore-education-statistics.service.gov.uk/")
            assert "2025" in pub.title and f.cite.startswith("DS §6")
            assert f.derived == (f.derived_from is not None)


def test_a_field_no_case_has_recorded_is_not_available_not_zero():
    """The 903 has no placement location: "placed outside the boundary" is not a 0.0% rate."""
    from indicators.stores import make_store

    def store(in_la):
        eps = [{"child_id": c, "decom": "2025-01-01", "rne": "S", "ls": "C2", "place": "U1",
                "placement_in_la": v} for c, v in zip("AB", in_la, strict=True)]
        eps.append({"child_id": "C", "decom": "2025-11-20", "rne": "S", "ls": "C2", "place": "U1"})
        return make_store(lac_episodes=eps)

    card = build_scorecard(store([None, None]), "2025-11")
    row = card.services().set_index(["service", "indicator_id"]).loc[("LAC", "placed_out_of_area")]
    assert pd.isna(row["value"]) and row["status"] == "not available" and row["caseload"] == 3
    assert any("no open case has them recorded" in n and "Placed outside" in n for n in card.notes)
    out = {c.measure: c for c in card.comparison}["cla_placed_out_of_area"]
    assert out.council.value is None and "placement location" in out.council.why
    card = build_scorecard(store([False, True]), "2025-11")
    row = card.services().set_index(["service", "indicator_id"]).loc[("LAC", "placed_out_of_area")]
    # C (not recorded) counts as not outside, as DfE's denominator is every child looked after
    assert row["value"] == pytest.approx(100 / 3)
    assert {c.measure: c for c in card.comparison}["cla_placed_out_of_area"].council.out_of == 3
