"""Shared fixtures for the ingest tests: small synthetic LAs written in the real formats."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
EXTERNAL = REPO_ROOT / ".." / "shared" / "fixtures" / "external"
EXTRACT = "2026-03-31"


def _make_la(**kw) -> Path:
    from synthetic_la_cache import synthetic_la_dir

    # a year of monthly Annex A extracts is enough for the ingest tests (and keeps them fast);
    # the folder is the suite's shared copy: tests read it and write elsewhere
    return synthetic_la_dir(**{"annex_a_months": 12, **kw})


@pytest.fixture(scope="session")
def clean_la() -> Path:
    """A small clean synthetic LA (returns + its canonical store)."""
    return _make_la(children=500, years=3, seed=3)


@pytest.fixture(scope="session")
def messy_la() -> Path:
    """A small synthetic LA with injected faults and their ledger. Two Annex A extracts: the
    workbook of 31 March 2026, where its Annex A faults are, and the CSV exports of each list a
    month before; the ten earlier exports of a year's series had no fault and were most of
    each ingest of this LA (the number of extracts changes no other file, see
    tests/synth/test_synth_end_to_end.py)."""
    return _two_extracts(_make_la(children=400, years=3, seed=4, messy=0.04, annex_a_months=2))


@pytest.fixture(scope="session")
def tiny_la() -> Path:
    """A tiny clean synthetic LA (200 children, 2 years): the seed files of the hostile-input
    and fuzz tests, small so every mutated ingest takes a fraction of a second. Two Annex A
    extracts, a workbook and CSV exports: what its tests read (they took the workbook, the
    last month's exports or the whole folder)."""
    return _two_extracts(_make_la(children=200, years=2, seed=3, annex_a_months=2))


def _two_extracts(la: Path) -> Path:
    names = sorted(p.name for p in (la / "annex_a").iterdir())
    assert names[-1] == "annex_a_2026-03-31.xlsx" and len(names) == 8, names
    assert all(n.startswith("annex_a_2026-02-28_list_") and n.endswith(".csv") for n in names[:-1]), names
    return la


@pytest.fixture(scope="session")
def messy_ingest(messy_la: Path):
    """The messy LA's returns ingested in one process (``DRIFTFLAG_READ_AHEAD=0``), once per
    session (``ingested_once.py``): the fault-ledger tests judge it, the read-ahead test
    compares a store read ahead with it. Read-only."""
    from datetime import date, datetime

    from ingested_once import ingested_once

    return ingested_once([messy_la / f for f in ("ssda903", "cin_census", "annex_a", "audits")],
                         extract_date=date(2026, 3, 31), created_at=datetime(2026, 4, 1, 9, 0))
