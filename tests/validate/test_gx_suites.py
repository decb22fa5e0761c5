"""Great Expectations suites: expectation counts per table (GX has merged expectations
silently before), a validation run on a tiny store, and nothing written outside STORE/gx."""

from __future__ import annotations

import os
from datetime import date

import pandas as pd
import pytest

from driftflag.casemodel import CaseStore
from driftflag.casemodel.schema import TABLE_ORDER, TABLES

pytest.importorskip("great_expectations")


def test_suites_hold_every_expectation(tmp_path, monkeypatch):
    from driftflag.validate._gx import _context, build_suites, expected_count

    monkeypatch.chdir(tmp_path)
    ctx = _context(tmp_path / "gx")
    suites = build_suites(ctx, date(2026, 3, 31))  # raises if GX merged any expectation
    counts = {t: len(suites[t].expectations) for t in TABLE_ORDER}
    assert counts == {t: expected_count(TABLES[t]) for t in TABLE_ORDER}
    # pinned for two tables, computed by hand from the schema
    # children: 1 column set + 6 dtypes + 3 not-null + 2 code lists + 4 date ranges + 1 date order
    # + 1 unique key = 18 (known_from, the knowledge date, adds a dtype and a date range; so it
    # does on lac_episodes: 23 + 2)
    assert counts["children"] == 18 and counts["lac_episodes"] == 25
    assert sorted(os.listdir(tmp_path)) == ["gx"]


def test_validation_run_and_data_docs(tmp_path, monkeypatch):
    from driftflag.validate._gx import run_suites

    monkeypatch.chdir(tmp_path)
    kids = pd.DataFrame({"child_id": ["1", "2"], "sex": ["M", "F"],
                         "date_of_birth": pd.to_datetime(["2015-01-01", "2016-01-01"])})
    eps = pd.DataFrame({"episode_id": ["e1"], "child_id": ["9"], "decom": pd.to_datetime(["2025-01-01"]),
                        "rne": ["S"], "ls": ["C2"], "place": ["U1"], "dec": pd.to_datetime(["2024-01-01"])})
    store = CaseStore.from_frames({"children": kids, "lac_episodes": eps})
    res = run_suites(store, tmp_path / "store" / "gx", extract_date=date(2026, 3, 31))
    assert res["tables"]["children"]["success"]
    failed = set(res["tables"]["lac_episodes"]["failed"])
    assert "expect_column_pair_values_a_to_be_greater_than_b:" in failed  # dec before decom
    assert "expect_column_values_to_be_in_set:_child_in_store" in failed  # child 9 unknown
    assert not res["success"]
    assert (tmp_path / "store" / res["docs"].removeprefix("store/")).is_file() or res["docs"].endswith("index.html")
    assert sorted(os.listdir(tmp_path)) == ["store"]
