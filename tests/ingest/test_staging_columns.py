"""The staging's column builders equal the pandas expressions they replace (hypothesis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from driftflag.ingest._common import STR_DTYPE, constant_text
from driftflag.ingest.to_canonical import source_key

_TEXT = st.one_of(st.none(), st.text(max_size=8))


@settings(max_examples=80, deadline=None)
@given(rows=st.lists(st.tuples(_TEXT, _TEXT, _TEXT), max_size=30), offset=st.integers(0, 5))
def test_source_key_is_the_joined_text_or_blank(rows: list[tuple], offset: int) -> None:
    index = pd.RangeIndex(offset, offset + len(rows))
    cols = [pd.Series([r[k] for r in rows], dtype=STR_DTYPE, index=index) for k in range(3)]
    want = (cols[0] + "\x1f" + cols[1] + "\x1f" + cols[2]).astype(object)
    got = source_key(*cols)
    assert got.dtype == object and got.index.equals(want.index)
    for a, b in zip(got.tolist(), want.tolist(), strict=True):
        assert (a == b and type(a) is type(b)) or (pd.isna(a) and pd.isna(b) and isinstance(a, float))


@settings(max_examples=30, deadline=None)
@given(text=_TEXT, n=st.integers(0, 50))
def test_constant_text_is_the_repeated_value(text: str | None, n: int) -> None:
    want = pd.Series([text] * n, dtype=STR_DTYPE)
    got = constant_text(text, n)
    pd.testing.assert_series_equal(got, want, check_exact=True)
    assert got.array._pa_array.type == want.array._pa_array.type
    assert np.array_equal(got.isna().to_numpy(), want.isna().to_numpy())
