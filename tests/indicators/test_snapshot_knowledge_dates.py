"""Leakage through knowledge dates: the snapshot on D is what the council could have known on D.

A small synthetic LA writes its returns (903 and CIN census per collection year, one Annex A per
month end). Two stores are ingested from them:

* the *full* store, from every return (as the demo does on its extract date);
* the store *as held on D*, from the returns a council would have had on D: the 903 and CIN
  census for the collection years ending by D and the Annex A extracts dated on or before D.

The snapshot on D must be the same from both, indicator by indicator. Before knowledge dates
the full store dated the 2026 Annex A's allocations and visits back to each row's event date
(a child's 2026 worker appeared in 2023) and the 2025-26 PLO block showed earlier months the
pre-proceedings of only those children still open in 2025-26.

D is a collection-year end (31 March): the 903 and CIN census are full histories known from
their event dates, so the returns for the years ending by D hold exactly what was known by D
(a year ending after D would not exist yet; its events are all dated after D). Annex A
snapshots are known from their extract dates, so any D works for them: the second test takes D
in the middle of a month and of a collection year and leaves out only the later Annex A
extracts (the 903 and CIN census being full histories known from their event dates, a council
running them on D would hold the same rows up to D).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from driftflag.casemodel import CaseStore
from driftflag.indicators import load_registry, snapshot
from driftflag.ingest.detect import detect_sources
from driftflag.ingest.run import annex_extract_date, build

REG = load_registry()
FULL_EXTRACT = date(2026, 3, 31)
pytestmark = pytest.mark.slow


#: The month-end Annex A extracts the LA gets: the last 13, 2025-03-31 to 2026-03-31. The
#: number of extracts changes only which Annex A files are written (the 903, CIN census and
#: canonical store are the same, tests/synth/test_synth_end_to_end.py). Each D below still has
#: later extracts that must not leak (all 13 for 2024-03-31, 12 for 2025-03-31, 11 for the
#: mid-year date) and, but for 2024-03-31, extracts held on D (2025-03-31's own, dated on D;
#: 2025-03-31 and 2025-04-30 for the mid-year date); every extract is one more unit ingested in
#: each store, and 24 made this the slowest indicator module.
ANNEX_A_MONTHS = 13
FIRST_EXTRACT = date(2025, 3, 31)
MID_YEAR = date(2025, 5, 15)


@pytest.fixture(scope="module")
def la(synthetic_la_dir) -> Path:
    la = synthetic_la_dir(children=300, years=3, seed=11, annex_a_months=ANNEX_A_MONTHS)
    extracts = sorted({annex_extract_date(p, FULL_EXTRACT) for p in (la / "annex_a").iterdir()})
    assert extracts[0] == FIRST_EXTRACT and len(extracts) == ANNEX_A_MONTHS
    return la


def _ingest(paths: list[Path], extract: date) -> CaseStore:
    store, _acc, _issues, _dups = build(detect_sources(paths), extract_date=extract)
    return store


@pytest.fixture(scope="module")
def full_store(la: Path) -> CaseStore:
    return _ingest([la / "ssda903", la / "cin_census", la / "annex_a"], FULL_EXTRACT)


def _annex_a_by(la: Path, d: date) -> list[Path]:
    return sorted(p for p in (la / "annex_a").iterdir() if annex_extract_date(p, FULL_EXTRACT) <= d)


def _returns_by(la: Path, d: date) -> list[Path]:
    """903 year folders and CIN census files for the collection years ending by ``d``."""
    from driftflag.casemodel.codes import collection_year_of

    last = collection_year_of(d) if (d.month, d.day) == (3, 31) else collection_year_of(d) - 1
    years = [p for p in sorted((la / "ssda903").iterdir()) if int(p.name[:4]) + 1 <= last]
    cin = [p for p in sorted((la / "cin_census").iterdir()) if int(p.stem[-7:-3]) + 1 <= last]
    return years + cin


def _compare(full: pd.DataFrame, held: pd.DataFrame) -> dict[str, int]:
    """Columns that differ -> number of children (rows must be the same children)."""
    assert list(full["child_id"]) == list(held["child_id"]), "different open children"
    out = {}
    for col in full.columns:
        a, b = full[col].astype(object), held[col].astype(object)
        same = (a == b) | (a.isna() & b.isna())
        if not same.all():
            out[col] = int((~same).sum())
    return out


@pytest.mark.parametrize("d", [date(2025, 3, 31), date(2024, 3, 31)])
def test_store_as_held_on_a_year_end_gives_the_same_snapshot(la, full_store, d):
    held_extracts = _annex_a_by(la, d)
    # 2025-03-31 holds its own extract (dated on D), 2024-03-31 none; both have later ones
    assert bool(held_extracts) == (d >= FIRST_EXTRACT)
    assert len(held_extracts) < len(list((la / "annex_a").iterdir()))
    held = _ingest(_returns_by(la, d) + held_extracts, d)
    a = snapshot(full_store, d, registry=REG)
    b = snapshot(held, d, registry=REG)
    assert len(a) > 30
    assert _compare(a, b) == {}


def test_later_annex_a_extracts_change_nothing_on_a_mid_year_date(la, full_store):
    d = MID_YEAR
    held_extracts = _annex_a_by(la, d)
    assert held_extracts and len(held_extracts) < len(list((la / "annex_a").iterdir()))
    held = _ingest([la / "ssda903", la / "cin_census", *held_extracts], FULL_EXTRACT)
    a = snapshot(full_store, d, registry=REG)
    assert len(a) > 30 and a["worker_id"].notna().mean() > 0.8
    assert _compare(a, snapshot(held, d, registry=REG)) == {}


def test_snapshot_features_are_not_available_before_their_first_extract(la, full_store):
    """With Annex A extracts from 2025-03-31 only, a month before it has no allocation or
    visit known: those features are missing for every open child, never a value. A looked-after
    child's worker changes come from the 903 social worker episodes, a full history known from
    each episode's start: those are known."""
    s = snapshot(full_store, date(2025, 3, 1), registry=REG)
    assert len(s) > 30
    assert s["worker_id"].isna().all() and s["team"].isna().all()
    for col in ("days_since_last_visit", "visit_overdue"):
        assert s[col].isna().all(), col
    lac = (s["service"] == "LAC").to_numpy()
    assert s.loc[~lac, "worker_changes_12m"].isna().all()
    assert s.loc[lac, "worker_changes_12m"].notna().any()
    later = snapshot(full_store, date(2025, 6, 1), registry=REG)
    for col in ("worker_id", "days_since_last_visit", "worker_changes_12m"):
        assert later[col].notna().mean() > 0.8, col


def test_pre_proceedings_known_only_from_the_first_census_carrying_them(full_store):
    pp = full_store["pre_proceedings"]
    assert len(pp)
    assert (pp["known_from"] >= pd.Timestamp("2025-04-01")).all()
    early = pp.loc[pp["start_date"] < pd.Timestamp("2025-04-01")]
    if len(early):
        d = early["start_date"].max().date()
        s = snapshot(full_store, d, registry=REG).set_index("child_id")
        kids = [c for c in early["child_id"] if c in s.index]
        assert s.loc[kids, "plo_weeks"].isna().all()


def test_allocations_are_valid_from_one_extract_to_the_next_change(full_store):
    al = full_store["allocations"]
    assert (al["known_from"] == al["start_date"]).all()
    assert al["start_date"].dt.is_month_end.all()
    ends = al["end_date"].dropna()
    assert ends.dt.is_month_end.all()
    # one open allocation per child at most, and a child's allocations never overlap
    al = al.sort_values(["child_id", "start_date"])
    nxt = al.groupby("child_id")["start_date"].shift(-1)
    assert (al["end_date"].isna() == nxt.isna()).all()
    assert (al["end_date"].dropna() == nxt.dropna()).all()
