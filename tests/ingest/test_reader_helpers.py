"""Two helpers of the return readers as the CIN census reader uses them: ``text_array`` (a text
column built by pyarrow) gives what ``pd.array(list, dtype=STR_DTYPE)`` gave, also from the tuples
the reader's transposed rows are; ``cyclic_gc_paused`` leaves the collector as it found it, also
when the block fails."""

from __future__ import annotations

import gc

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from driftflag.ingest._common import STR_DTYPE, cyclic_gc_paused
from driftflag.ingest._tabular import text_array

CELLS = st.lists(st.one_of(st.none(), st.text(st.characters(blacklist_categories=("Cs",)), max_size=8)), max_size=30)


@settings(max_examples=200, deadline=None)
@given(CELLS, st.booleans())
def test_text_array_is_pandas_conversion(cells, as_tuple) -> None:
    values = tuple(cells) if as_tuple else cells
    got, want = pd.Series(text_array(values)), pd.Series(pd.array(list(cells), dtype=STR_DTYPE))
    assert got.dtype == want.dtype == STR_DTYPE
    pd.testing.assert_series_equal(got, want, check_exact=True)
    assert got.array._pa_array.type == want.array._pa_array.type
    assert [None if pd.isna(v) else v for v in got] == list(cells)


def test_collector_paused_then_restored() -> None:
    assert gc.isenabled()
    with cyclic_gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ValueError), cyclic_gc_paused():
        raise ValueError("a reader failed")
    assert gc.isenabled()


def test_collector_left_off_when_it_was_off() -> None:
    gc.disable()
    try:
        with cyclic_gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
