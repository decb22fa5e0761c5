"""The audit ledger: append-only, corrections supersede, the current view is the latest record
per audit, and ingested audits are overlaid (compared with a slow reference under hypothesis)."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from driftflag.casemodel import TABLES, conform, ledger
from driftflag.errors import StoreError

GRADES = ["Good", "Requires improvement", "Inadequate"]


def audits(rows: list[tuple[str, str]]) -> pd.DataFrame:
    """Canonical audit rows from (audit_id, grade) pairs."""
    return conform(pd.DataFrame({
        "audit_id": [a for a, _ in rows], "child_id": [f"C{a}" for a, _ in rows],
        "audit_date": pd.Timestamp("2025-11-05"), "auditor": "PM1", "team": "Team A", "service": "CIN",
        "grade": [g for _, g in rows], "drift_found": [g != "Good" for _, g in rows],
        "selection_reason": "random", "inclusion_probability": 0.25, "actions_set": False,
    }), TABLES["audits"])


def test_append_and_correct(tmp_path):
    first = ledger.append_audits(tmp_path, audits([("A1", "Good"), ("A2", "Good")]), source="wb1.xlsx",
                                 recorded_by="PM1", recorded_at=datetime(2025, 11, 30, tzinfo=UTC))
    seg1 = (ledger.ledger_dir(tmp_path) / "000001.parquet").read_bytes()
    fix = ledger.append_audits(tmp_path, audits([("A2", "Inadequate")]), source="wb2.xlsx", recorded_by="QA lead")
    assert first["supersedes"].isna().all()
    assert fix["supersedes"].tolist() == [first.loc[1, "record_id"]]
    h = ledger.audit_history(tmp_path)
    assert h["audit_id"].tolist() == ["A1", "A2", "A2"]
    assert h["recorded_by"].tolist() == ["PM1", "PM1", "QA lead"]
    assert h["recorded_at"].iloc[0] == "2025-11-30T00:00:00+00:00"
    cur = ledger.current_audits(tmp_path).set_index("audit_id")
    assert cur.loc["A2", "grade"] == "Inadequate" and cur.loc["A1", "grade"] == "Good"
    assert (ledger.ledger_dir(tmp_path) / "000001.parquet").read_bytes() == seg1  # never rewritten


def test_no_ledger_is_an_empty_history(tmp_path):
    assert len(ledger.audit_history(tmp_path)) == 0
    assert list(ledger.current_audits(tmp_path).columns) == list(ledger.AUDIT_COLUMNS)


def test_a_busy_segment_number_is_never_overwritten(tmp_path, monkeypatch):
    monkeypatch.setattr(ledger, "_segments", lambda _p: [])  # as if another run had not been seen
    ledger.append_audits(tmp_path, audits([("A1", "Good")]), source="a")
    one = (ledger.ledger_dir(tmp_path) / "000001.parquet").read_bytes()
    ledger.append_audits(tmp_path, audits([("A1", "Inadequate")]), source="b")
    assert (ledger.ledger_dir(tmp_path) / "000001.parquet").read_bytes() == one
    assert (ledger.ledger_dir(tmp_path) / "000002.parquet").is_file()


def test_one_append_names_each_audit_once(tmp_path):
    with pytest.raises(StoreError, match="A1 appears twice"):
        ledger.append_audits(tmp_path, audits([("A1", "Good"), ("A1", "Inadequate")]), source="x")
    assert not ledger.ledger_dir(tmp_path).exists() or not any(ledger.ledger_dir(tmp_path).iterdir())


def test_a_damaged_segment_is_one_clear_error(tmp_path):
    ledger.ledger_dir(tmp_path).mkdir(parents=True)
    (ledger.ledger_dir(tmp_path) / "000001.parquet").write_bytes(b"not parquet")
    with pytest.raises(StoreError, match=r"000001.parquet: audit ledger segment cannot be read") as e:
        ledger.current_audits(tmp_path)
    assert "\n" not in str(e.value)


def reference_view(ingested: list[tuple[str, str]], appends: list[list[tuple[str, str]]]) -> dict[str, str]:
    """Obviously correct: replay every append in order; the last word on an audit wins."""
    view = dict(ingested)
    for batch in appends:
        for audit_id, grade in batch:
            view[audit_id] = grade
    return view


ids = st.sampled_from([f"A{i}" for i in range(6)])
batch = st.lists(st.tuples(ids, st.sampled_from(GRADES)), max_size=4, unique_by=lambda t: t[0])


@settings(max_examples=15, deadline=None)
@given(ingested=st.lists(st.tuples(st.sampled_from(["A0", "A1", "L1", "L2"]), st.sampled_from(GRADES)),
                         max_size=4, unique_by=lambda t: t[0]),
       appends=st.lists(batch, max_size=4))
def test_current_view_matches_a_replay(ingested, appends):
    with tempfile.TemporaryDirectory() as d:
        for b in appends:
            ledger.append_audits(Path(d), audits(b), source="test")
        got = ledger.with_ledger(audits(ingested), Path(d))
        assert not got["audit_id"].duplicated().any()
        assert dict(zip(got["audit_id"], got["grade"], strict=True)) == reference_view(ingested, appends)
        assert len(ledger.audit_history(Path(d))) == sum(len(b) for b in appends)  # nothing dropped
