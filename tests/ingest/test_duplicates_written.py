"""``write_duplicates`` (``ingest/_duplicates.py``) makes each column's texts in Arrow from the category codes: on random
reports (any texts, some columns categorical, one or several row groups) the file holds what
writing the text columns with pandas held, byte for byte when it is one row group."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from driftflag.casemodel.store import _write_parquet
from driftflag.ingest import _duplicates
from driftflag.ingest._common import lexsort_order

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=6)
ROWS = st.lists(st.tuples(TEXT, TEXT, TEXT, TEXT, TEXT), min_size=1, max_size=25)


@settings(max_examples=40, deadline=None)
@given(parts=st.lists(ROWS, min_size=1, max_size=3), categorical=st.booleans(), row_group=st.sampled_from([None, 4]))
def test_written_report_is_the_text_columns(tmp_path_factory, parts, categorical, row_group) -> None:
    frames = []
    for k, rows in enumerate(parts):
        df = pd.DataFrame(rows, columns=["table", "_source_file", "_source_table", "_source_row", "reason"]).astype("str")
        if categorical and k % 2 == 0:
            df["_source_file"] = df["_source_file"].astype(object).astype("category")
        frames.append(df)
    report = _duplicates.sorted_report(frames)
    folder = tmp_path_factory.mktemp("dups")
    old = _duplicates.PARQUET_ROW_GROUP
    try:
        if row_group:
            _duplicates.PARQUET_ROW_GROUP = row_group
        _duplicates.write_duplicates(report, folder / "new.parquet")
    finally:
        _duplicates.PARQUET_ROW_GROUP = old
    _write_parquet(report.astype("str"), folder / "old.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(folder / "new.parquet"), pd.read_parquet(folder / "old.parquet"))
    if row_group is None or len(report) <= row_group:
        assert (folder / "new.parquet").read_bytes() == (folder / "old.parquet").read_bytes()


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(1, 6), min_size=1, max_size=5).flatmap(
    lambda sizes: st.tuples(st.just(sizes), st.lists(st.tuples(*[st.integers(0, n - 1) for n in sizes]), max_size=40))),
    st.booleans())
def test_lexsort_order_of_ranks_is_lexsort(case, huge) -> None:
    import numpy as np

    sizes, rows = case
    keys = [np.array([r[k] for r in rows], dtype=np.int32) for k in range(len(sizes))]
    if huge:  # more keys (all ranks 0 here)
        keys = keys + [np.zeros(len(rows), dtype=np.int32)] * 3
    np.testing.assert_array_equal(lexsort_order(keys), np.lexsort(keys[::-1]))
