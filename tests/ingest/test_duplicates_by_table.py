"""The duplicates report sorted table by table as the ingest settles
(``ingest/_duplicates.py: TableByTable``) is the report of every entry sorted at once
(``sorted_report``, itself tested against the obvious text sort): on random entries (several
tables per frame or one, some columns categorical, a blank now and then), whichever table is
settled when, in a thread or not."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from driftflag.ingest._duplicates import ENTRY_COLUMNS, TableByTable, sorted_report

TABLES = st.sampled_from(["children", "visits", "referrals", "allocations"])
TEXT = st.sampled_from(["a", "b", "List 3", "List 10", "10", "9", "x/y.csv", "é", "Z"])
ROW = st.tuples(TABLES, TEXT, TEXT, TEXT, st.sampled_from(["repeated", "resubmitted", "duplicate_row"]))


def _frame(rows: list[tuple], categorical: bool, blank: bool) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=ENTRY_COLUMNS).astype("str")
    if categorical:
        for c in ("table", "_source_file", "reason"):
            df[c] = df[c].astype(object).astype("category")
    if blank:
        df.loc[df.index[0], "_source_row"] = None
    return df


@settings(max_examples=80, deadline=None)
@given(parts=st.lists(st.tuples(st.lists(ROW, min_size=0, max_size=25), st.booleans(),
                                st.integers(0, 30)), min_size=0, max_size=6),
       background=st.booleans(), eager=st.booleans(), seed=st.integers(0, 2**16))
def test_table_by_table_is_the_whole_sort(parts, background, eager, seed) -> None:
    frames = [_frame(rows, cat, blank == 0 and len(rows) > 0) for rows, cat, blank in parts]
    want = sorted_report(frames)
    book = TableByTable(background=background)
    last = {}  # each table's last frame: a table is settled once its entries are all in
    for k, f in enumerate(frames):
        for t in f["table"].astype(str).unique():
            last[t] = k
    for k, f in enumerate(frames):
        book.add(f)
        if eager:
            for t in sorted(t for t, at in last.items() if at == k):
                book.settled(t)
    if not eager:  # some tables settled in a random order, the others left to report()
        rng = np.random.default_rng(seed)
        for t in rng.permutation(sorted(last))[: rng.integers(0, len(last) + 1)]:
            book.settled(str(t))
    got = book.report()
    pd.testing.assert_frame_equal(got, want)


def test_entries_after_settling_are_refused() -> None:
    book = TableByTable(background=False)
    book.add(_frame([("visits", "f.csv", "List 3", "1", "repeated")], False, False))
    book.settled("visits")
    book.add(_frame([("visits", "f.csv", "List 3", "2", "repeated")], False, False))
    with pytest.raises(ValueError, match="after it was settled"):
        book.report()
