"""Rows waiting to be settled (``ingest._waiting``): held compact, put back exactly as staged.

The oracle is the staged frame itself: any selection of rows of the compact frame, restored,
equals the same selection of the staged frame (values, blanks, dtypes, the Arrow type of the
texts, index), whatever the texts, blanks and integer ranges."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from driftflag.ingest._common import STR_DTYPE
from driftflag.ingest._waiting import compacted, restored

texts = st.one_of(st.none(), st.sampled_from(["annex_a_2025-04-30_list_3.csv", "List 3", "12", "", "é", "z\x1f"]),
                  st.text(max_size=4))
numbers = st.sampled_from([(0, 10), (2016, 2030), (-5, 5), (0, 40_000), (0, 2**40), (-(2**40), 0)])


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(st.tuples(texts, texts, texts, st.integers(0, 2**16)), min_size=0, max_size=40),
       span=numbers, keep=st.lists(st.booleans(), max_size=40), data=st.data())
def test_any_selection_restores_as_staged(rows, span, keep, data) -> None:
    n = len(rows)
    lo, hi = span
    staged = pd.DataFrame({
        "_source_file": pd.Series([r[0] for r in rows], dtype=STR_DTYPE),
        "_source_table": pd.Series([r[1] for r in rows], dtype=STR_DTYPE),
        "_source_row": pd.Series([r[2] for r in rows], dtype=STR_DTYPE),
        "_format": pd.Series(["cin"] * n, dtype=STR_DTYPE),
        "_year": np.array(data.draw(st.lists(st.integers(lo, hi), min_size=n, max_size=n)), dtype=np.int64),
        "_seq": np.array([r[3] for r in rows], dtype=np.int64),
        "_srcid": np.arange(n, dtype=np.int64),
        "child_id": pd.Series([r[0] for r in rows], dtype=STR_DTYPE),
        "_src": pd.Series([r[2] for r in rows], dtype=object),
    }, index=pd.RangeIndex(n) + 7)
    held, staged_as = compacted(staged)
    mask = np.array((keep + [True] * n)[:n], dtype=bool)
    order = np.array(data.draw(st.permutations(range(int(mask.sum())))), dtype=np.intp)
    got = restored(held.loc[mask].iloc[order], staged_as)
    want = staged.loc[mask].iloc[order]
    pd.testing.assert_frame_equal(got, want)
    for c in ("_source_file", "_source_table", "_source_row", "_format"):
        assert got[c].array._pa_array.type == want[c].array._pa_array.type == pa.large_string()
    assert list(got.columns) == list(staged.columns)


def test_held_in_fewer_bytes() -> None:
    """What the module is for: the provenance of many rows of few files in a fraction of the bytes."""
    n = 200_000
    staged = pd.DataFrame({
        "_source_file": pd.Series(np.repeat([f"/returns/cin_census/cin_census_20{y}-{y + 1}.xml" for y in range(16, 26)],
                                            n // 10), dtype=STR_DTYPE),
        "_source_table": pd.Series(["Referral"] * n, dtype=STR_DTYPE),
        "_source_row": pd.Series(np.tile(np.arange(n // 10).astype(str), 10), dtype=STR_DTYPE),
        "_year": np.repeat(np.arange(2017, 2027), n // 10).astype(np.int64),
        "_seq": np.arange(n, dtype=np.int64),
    })
    held, staged_as = compacted(staged)
    assert set(staged_as) == set(staged.columns)
    assert held.memory_usage(deep=True).sum() < staged.memory_usage(deep=True).sum() / 3


def test_other_columns_and_dtypes_are_left_alone() -> None:
    """Only staged texts and 64-bit integers are made compact; objects, floats, categoricals and
    a table without provenance go through as they are."""
    df = pd.DataFrame({"_source_file": pd.Series(["a", None], dtype=object), "_year": [2020.0, 2021.0],
                       "_source_table": pd.Categorical(["x", "y"]), "value": [1, 2]})
    held, staged_as = compacted(df)
    assert staged_as == {}
    assert held is df
    assert restored(df, staged_as) is df
    empty, none = compacted(df.iloc[0:0])
    assert none == {} and len(empty) == 0


@settings(max_examples=100, deadline=None)
@given(chunks=st.lists(st.tuples(st.lists(st.tuples(texts, texts, st.integers(0, 2**40)), min_size=1, max_size=8),
                                 st.sampled_from(["str", "object"])), min_size=1, max_size=5))
def test_held_rows_put_back_as_stacked_as_staged(chunks) -> None:
    """Held Annex A chunks (``_dedup._held_compact``) put back together (``_dedup._held_full``)
    equal the staged chunks stacked as they were (``_dedup._stack``), when chunks were staged
    alike and when one was staged with other dtypes (then each is put back first)."""
    from driftflag.ingest._dedup import _held_compact, _held_full, _stack

    staged = []
    for rows, kind in chunks:
        staged.append(pd.DataFrame({
            "_source_file": pd.Series([r[0] for r in rows], dtype=STR_DTYPE),
            "_source_table": pd.Series([r[1] for r in rows], dtype=STR_DTYPE if kind == "str" else object),
            "_source_row": pd.Series([str(k) for k in range(len(rows))], dtype=STR_DTYPE),
            "_format": pd.Series(["annex-a"] * len(rows), dtype=STR_DTYPE),
            "_read_rule": pd.Series([None] * len(rows), dtype=STR_DTYPE),
            "_year": np.full(len(rows), 2025, dtype=np.int64),
            "_seq": np.array([r[2] for r in rows], dtype=np.int64),
            "child_id": pd.Series([r[1] for r in rows], dtype=STR_DTYPE),
        }))
    held = [_held_compact(c) for c in staged]
    got = _held_full([h for h, _ in held], [s for _, s in held])
    pd.testing.assert_frame_equal(got, _stack(staged))
