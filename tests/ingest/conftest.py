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
    """A small synthetic LA with injected faults and their ledger."""
    return _make_la(children=400, years=3, seed=4, messy=0.04)


@pytest.fixture(scope="session")
def tiny_la() -> Path:
    """A tiny clean synthetic LA (200 children, 2 years): the seed files of the hostile-input
    and fuzz tests, small so every mutated ingest takes a fraction of a second."""
    return _make_la(children=200, years=2, seed=3)


@pytest.fixture(scope="session")
def messy_ingest(messy_la: Path):
    """The messy LA ingested in this process (``la_returns.every_kind_of_return``: every file
    with an injected fault), once per session (``ingested_once.py``); read-only."""
    from datetime import date, datetime

    from ingested_once import ingested_once
    from la_returns import assert_every_faulty_file_is_read, every_kind_of_return

    paths = every_kind_of_return(messy_la)
    assert_every_faulty_file_is_read(messy_la, paths)
    return ingested_once(paths, extract_date=date(2026, 3, 31), created_at=datetime(2026, 4, 1, 9, 0))
