"""Row numbers of the Annex A repeats held as numbers (``_common.row_numbers``) give back exactly
the texts staged, wherever texts are made of them again: the rows expanded (``row_texts``), the
duplicates report (``_duplicates.ranked_texts``) and frames stacked with rows held as texts
(``_dedup._stack``). The oracle is always the staged texts."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from driftflag.ingest._common import STR_DTYPE, row_numbers, row_texts
from driftflag.ingest._dedup import _stack
from driftflag.ingest._duplicates import ranked_texts

plain = st.integers(-5, 2**31 + 5).map(str)
odd = st.sampled_from(["007", "+5", " 5", "5 ", "1e3", "", "12.0", "٣", "2147483648", "-0", "x"])
row_lists = st.lists(st.one_of(plain, plain, plain, odd, st.none()), min_size=0, max_size=30)


@settings(max_examples=300, deadline=None)
@given(rows=row_lists)
def test_numbers_give_back_the_staged_texts(rows) -> None:
    staged = pd.Series(rows, dtype=STR_DTYPE, index=pd.RangeIndex(len(rows)) + 3)
    held = row_numbers(staged)
    if held.dtype.kind in "iu":  # held as numbers: only when every text is one written plainly
        assert held.dtype == np.int32
        assert all(r is not None and r == str(int(r)) for r in rows)
    else:
        assert held is staged
    back = row_texts(held)
    pd.testing.assert_series_equal(back, staged)
    assert back.array._pa_array.type == staged.array._pa_array.type


@settings(max_examples=200, deadline=None)
@given(parts=st.lists(st.lists(st.one_of(plain, odd), min_size=1, max_size=20), min_size=1, max_size=4))
def test_report_ranks_rows_held_as_numbers_as_their_texts(parts) -> None:
    staged = [pd.Series(p, dtype=STR_DTYPE) for p in parts]
    want_ranks, want_names = ranked_texts(staged)
    got_ranks, got_names = ranked_texts([row_numbers(s) for s in staged])
    np.testing.assert_array_equal(got_ranks, want_ranks)
    assert list(got_names) == list(want_names)


@settings(max_examples=200, deadline=None)
@given(parts=st.lists(st.lists(st.one_of(plain, odd), min_size=1, max_size=10), min_size=1, max_size=4))
def test_stacked_with_rows_held_as_texts(parts) -> None:
    staged = [pd.DataFrame({"_source_row": pd.Series(p, dtype=STR_DTYPE), "_cls": np.arange(len(p))}) for p in parts]
    held = [f.assign(_source_row=row_numbers(f["_source_row"])) for f in staged]
    got = _stack(held)
    want = _stack(staged)
    pd.testing.assert_series_equal(row_texts(got["_source_row"]), want["_source_row"])


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.one_of(st.integers(0, 300), st.integers(0, 2**31 - 1), st.integers(-5, -1)), max_size=40))
def test_number_codes_factorise(values) -> None:
    """``_duplicates._number_codes`` (a table of every number when it is small, else factorising)
    gives codes into its distinct values that give back every value, each distinct once."""
    from driftflag.ingest._duplicates import _number_codes

    v = np.array(values, dtype=np.int32)
    codes, distinct = _number_codes(v)
    assert codes.dtype == np.int32
    np.testing.assert_array_equal(distinct[codes], v)
    assert len(set(distinct.tolist())) == len(distinct) == len(set(values))
