"""``run.source_row_ids`` against what it replaced: ``pd.factorize`` of the parts' ``_src`` texts
(file, list and row joined by ``to_canonical.source_key``), on random staged parts: several
tables, rows giving parts to several tables, blanks, and names holding the separator."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import example, given, settings
from hypothesis import strategies as st

from driftflag.ingest._common import STR_DTYPE
from driftflag.ingest.run import source_row_ids
from driftflag.ingest.to_canonical import source_key

names = st.sampled_from(["a.csv", "b.xml", "a", "b", "a\x1fb", "b\x1fa", "", None])
rows = st.sampled_from(["1", "2", "10", "a", "b", "a\x1fb", "/Message/Child[1]", None])
part = st.lists(st.tuples(names, names, rows), max_size=15)


def _frame(triples: list[tuple]) -> pd.DataFrame:
    df = pd.DataFrame({c: pd.Series([t[i] for t in triples], dtype=STR_DTYPE)
                       for i, c in enumerate(("_source_file", "_source_table", "_source_row"))})
    df["_src"] = source_key(df["_source_file"], df["_source_table"], df["_source_row"])
    return df


@settings(max_examples=150, deadline=None)
@given(parts=st.lists(part, min_size=1, max_size=4))
@example(parts=[[("a\x1fb", "a", "1")], [("a", "b\x1fa", "1")]])  # two rows, one _src text
def test_source_row_ids_match_factorising_src(parts) -> None:
    frames = [_frame(p) for p in parts]
    ids, files = source_row_ids(frames)
    want = pd.factorize(pd.concat([f["_src"] for f in frames], ignore_index=True).astype(object))[0]
    np.testing.assert_array_equal(ids, want.astype(np.int64))
    assert ids.dtype == np.int64
    assert files.astype(object).tolist() == pd.concat([f["_source_file"] for f in frames],
                                                      ignore_index=True).astype(object).tolist()
