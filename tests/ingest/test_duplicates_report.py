"""The duplicates report held as categorical codes (``ingest/_duplicates.py: sorted_report``) lists
the same entries in the same order as the obvious text sort, and ``write_duplicates`` writes
the bytes ``_write_parquet`` wrote for the text columns (the same content in row groups)."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from driftflag.casemodel.store import _write_parquet
from driftflag.ingest import _duplicates, run

TEXT = st.sampled_from(["a", "b", "List 3", "List 10", "10", "9", "x/y.csv", "é"])


def _entries(rows: list[tuple[str, str, str, str, str]], categorical: bool) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["table", "_source_file", "_source_table", "_source_row", "reason"])
    df = df.astype("str")
    if categorical:
        df["_source_file"] = df["_source_file"].astype(object).astype("category")
    return df


def _reference(frames: list[pd.DataFrame]) -> pd.DataFrame:
    dups = pd.concat(frames, ignore_index=True).astype("str")
    dups.columns = list(run.DUPLICATE_COLUMNS)
    return dups.sort_values(list(run.DUPLICATE_COLUMNS), kind="mergesort").reset_index(drop=True)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.tuples(TEXT, TEXT, TEXT, TEXT, TEXT), min_size=1, max_size=30), min_size=1, max_size=4),
       st.booleans())
def test_report_equals_text_sort(parts, categorical) -> None:
    frames = [_entries(p, categorical and k % 2 == 0) for k, p in enumerate(parts)]
    want = _reference(frames)
    got = _duplicates.sorted_report(frames)
    assert all(isinstance(got[c].dtype, pd.CategoricalDtype) for c in got.columns)
    pd.testing.assert_frame_equal(got.astype("str"), want)


@pytest.mark.parametrize("row_group", [None, 7])
def test_written_report_equals_text_columns(tmp_path, monkeypatch, row_group) -> None:
    rows = [(t, f"f{i % 5}.csv", "List 3", str(i), "repeated") for i, t in enumerate(["children", "visits"] * 20)]
    report = _duplicates.sorted_report([_entries(rows, True)])
    if row_group:
        monkeypatch.setattr(_duplicates, "PARQUET_ROW_GROUP", row_group)
    _duplicates.write_duplicates(report, tmp_path / "new.parquet")
    _write_parquet(report.astype("str"), tmp_path / "old.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "new.parquet"), pd.read_parquet(tmp_path / "old.parquet"))
    if row_group is None:  # one row group: the very same bytes
        assert (tmp_path / "new.parquet").read_bytes() == (tmp_path / "old.parquet").read_bytes()
