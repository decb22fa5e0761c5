"""A month's Annex A as CSV exports of each list is ingested like that month's workbook: the
lists of one extract are staged together, so the allocation as at the extract is chosen across
them (read one by one, list 3 alone dated a referral's worker at the extract)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from driftflag.casemodel.store import read_store
from driftflag.errors import SourceFileError
from driftflag.ingest.detect import detect_sources
from driftflag.ingest.run import build
from driftflag.synth.writers.annex_a import write_annex_a_csv, write_annex_a_series

EXTRACT = date(2026, 3, 31)
DATES = [pd.Timestamp(d) for d in ("2025-11-30", "2025-12-31", "2026-01-31", "2026-03-31")]


def _tables(folder) -> dict[str, pd.DataFrame]:
    store, acc, _issues, _dups = build(detect_sources([folder]), extract_date=EXTRACT)
    assert (acc["rows_read"] == acc["accepted"] + acc["quarantined"] + acc["duplicates"]).all()
    out = {}
    for t in ("allocations", "visits", "children", "referrals"):
        df = store[t].drop(columns=[c for c in store[t].columns if c.endswith("_id") and c != "child_id"
                                    and c != "worker_id"])
        out[t] = df.sort_values(list(df.columns), kind="mergesort").reset_index(drop=True).astype(str)
    return out


@pytest.mark.slow
def test_csv_exports_of_each_month_ingest_like_the_workbooks(tiny_la, tmp_path):
    store = read_store(tiny_la / "canonical")
    write_annex_a_series(store, tmp_path / "csv", DATES)
    write_annex_a_series(store, tmp_path / "xlsx", DATES, history="xlsx")
    assert len(list((tmp_path / "csv" / "annex_a").glob("*.csv"))) == 3 * 7
    got, want = _tables(tmp_path / "csv" / "annex_a"), _tables(tmp_path / "xlsx" / "annex_a")
    assert len(want["allocations"]) > 20 and want["allocations"]["start_date"].nunique() == len(DATES)
    for t in want:
        pd.testing.assert_frame_equal(got[t], want[t], obj=t)


def test_a_list_exported_twice_for_one_extract_is_one_line(tiny_la, tmp_path):
    store = read_store(tiny_la / "canonical")
    paths = write_annex_a_csv(store, tmp_path, "2026-01-31")
    copy = tmp_path / "annex_a" / "annex_a_2026-01-31_list_3 (copy).csv"
    copy.write_bytes(paths[0].read_bytes())
    with pytest.raises(SourceFileError) as e:
        build(detect_sources([tmp_path / "annex_a"]), extract_date=EXTRACT)
    assert "\n" not in str(e.value) and "List 3 of the Annex A extract of 2026-01-31 is also in" in str(e.value)
