"""Care proceedings derived from 903 legal statuses, checked against a per-child reference.

The reference reads the episodes the way a person reading a child's 903 history would: take
the episode covering the as-of date; if it is an interim care order (C1), step back through
the immediately preceding C1 episodes of the same period of care; the proceedings started at
the earliest. ``care_proceedings_weeks`` must agree with it for every child on every date.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from driftflag.casemodel.proceedings import care_proceedings_from_903, with_derived_proceedings
from driftflag.casemodel.schema import CARE_PROCEEDINGS, TABLES, conform

T = pd.Timestamp
LS = ("C1", "C2", "E1", "V2", "L1", "L2", "J1")
REC_END = ("E45", "E41", "E4A", "E13", "E5")


def reference_weeks(episodes: pd.DataFrame, as_of: pd.Timestamp) -> dict[str, float]:
    """Weeks in care proceedings at ``as_of`` per child (slow and obvious; missing = not in them)."""
    out: dict[str, float] = {}
    for child, g in episodes.groupby("child_id"):
        g = g.sort_values("decom", kind="mergesort").reset_index(drop=True)
        past = g.index[g["decom"] <= as_of]
        if len(past) == 0:
            continue
        i = past[-1]
        cur = g.loc[i]
        if pd.notna(cur["dec"]) and cur["dec"] <= as_of:
            continue  # not looked after on the day
        if cur["ls"] != "C1":
            continue
        while i > 0:
            prev, this = g.loc[i - 1], g.loc[i]
            same_period = (this["rne"] != "S" and (pd.isna(prev["rec"]) or prev["rec"] == "X1")
                           and not (pd.notna(prev["dec"]) and prev["dec"] < this["decom"]))
            if not (same_period and prev["ls"] == "C1"):
                break
            i -= 1
        out[child] = (as_of - g.loc[i, "decom"]).days / 7.0
    return out


def derived_weeks(proceedings: pd.DataFrame, as_of: pd.Timestamp) -> dict[str, float]:
    """Weeks read off the derived table the way the indicator does (start <= day < end)."""
    p = proceedings
    open_ = (p["application_date"] <= as_of) & (p["final_order_date"].isna() | (p["final_order_date"] > as_of))
    p = p.loc[open_].sort_values("application_date").drop_duplicates("child_id", keep="last")
    return {c: (as_of - a).days / 7.0 for c, a in zip(p["child_id"], p["application_date"], strict=True)}


@st.composite
def histories(draw):
    """Random 903 histories: runs of episodes with legal status changes, gaps, care endings."""
    rows = []
    for c in range(draw(st.integers(1, 6))):
        day = T("2023-01-01") + pd.Timedelta(days=draw(st.integers(0, 60)))
        n = draw(st.integers(1, 8))
        rne = "S"
        for k in range(n):
            length = draw(st.integers(1, 200))
            ls = draw(st.sampled_from(LS))
            last = k == n - 1
            end_kind = draw(st.sampled_from(("continue", "continue", "continue", "ends", "gap")))
            dec = day + pd.Timedelta(days=length)
            if last and draw(st.booleans()):
                dec, rec = pd.NaT, None
            elif end_kind == "ends" or last:
                rec = draw(st.sampled_from(REC_END))
            else:
                rec = "X1"
            rows.append({"child_id": f"K{c}", "decom": day, "dec": dec, "rne": rne, "ls": ls, "rec": rec})
            if pd.isna(dec):
                break
            if end_kind == "gap" and rec == "X1":
                day = dec + pd.Timedelta(days=draw(st.integers(1, 30)))
                rne = draw(st.sampled_from(("S", "L", "P")))
            elif rec != "X1":
                day = dec + pd.Timedelta(days=draw(st.integers(0, 90)))
                rne = "S"
            else:
                day, rne = dec, draw(st.sampled_from(("L", "P", "T", "B", "U")))
    return pd.DataFrame(rows)


@settings(max_examples=150, deadline=None)
@given(histories(), st.integers(0, 1500))
def test_derived_weeks_agree_with_the_reference(episodes, offset):
    as_of = T("2023-01-01") + pd.Timedelta(days=offset)
    derived = care_proceedings_from_903(episodes)
    assert derived["application_date"].notna().all()
    ends = derived["final_order_date"]
    assert (ends.isna() | (ends >= derived["application_date"])).all()
    assert derived_weeks(derived, as_of) == reference_weeks(episodes, as_of)


def test_orders_come_from_the_next_status_or_the_reason_care_ended():
    e = pd.DataFrame({
        "child_id": ["A"] * 4 + ["B"] * 2 + ["C"] * 2,
        "decom": [T("2024-01-01"), T("2024-02-01"), T("2024-03-01"), T("2024-09-01"),
                  T("2025-01-01"), T("2025-02-01"), T("2024-05-01"), T("2024-06-01")],
        "dec": [T("2024-02-01"), T("2024-03-01"), T("2024-09-01"), pd.NaT,
                T("2025-02-01"), pd.NaT, T("2024-06-01"), T("2025-01-10")],
        "rne": ["S", "L", "P", "L", "S", "L", "S", "L"],
        "ls": ["L1", "C1", "C1", "C2", "V2", "C1", "V2", "C1"],
        "rec": ["X1", "X1", "X1", None, "X1", None, "X1", "E45"],
    })
    got = care_proceedings_from_903(e).set_index("child_id")
    assert got.loc["A", "application_date"] == T("2024-02-01")  # the placement move stays in the run
    assert got.loc["A", "final_order_date"] == T("2024-09-01")
    assert got.loc["A", "final_order"] == "Care order"
    assert pd.isna(got.loc["B", "final_order_date"]) and pd.isna(got.loc["B", "final_order"])
    assert got.loc["C", "final_order"] == "Special guardianship order"
    assert got.loc["C", "proceedings_id"] == "C:20240601:903"
    assert list(care_proceedings_from_903(e).columns) == CARE_PROCEEDINGS.column_names


def test_a_councils_own_record_wins_for_its_children():
    e = conform(pd.DataFrame({"episode_id": ["1", "2"], "child_id": ["A", "B"], "decom": [T("2024-01-01")] * 2,
                              "rne": ["S", "S"], "ls": ["C1", "C1"], "place": ["U1", "U1"]}),
                TABLES["lac_episodes"])
    own = conform(pd.DataFrame({"proceedings_id": ["P1"], "child_id": ["A"],
                                "application_date": [T("2023-12-20")]}), CARE_PROCEEDINGS)
    got = with_derived_proceedings(own, e)
    assert sorted(zip(got["child_id"], got["proceedings_id"], strict=True)) == [("A", "P1"), ("B", "B:20240101:903")]
    assert with_derived_proceedings(None, None).empty


def test_no_episodes_no_proceedings():
    assert care_proceedings_from_903(TABLES["lac_episodes"].empty()).empty
    assert np.array_equal(care_proceedings_from_903(pd.DataFrame()).columns, CARE_PROCEEDINGS.column_names)
