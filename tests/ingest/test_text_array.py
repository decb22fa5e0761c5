"""``_tabular.text_array`` (texts built by pyarrow) equals pandas' own ``pd.array(values,
dtype=STR_DTYPE)``, the obviously-correct reference, on random lists of texts and blanks."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from driftflag.ingest._common import STR_DTYPE
from driftflag.ingest._tabular import text_array


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=12)), max_size=40))
def test_text_array_equals_pandas(values) -> None:
    got, want = pd.Series(text_array(values)), pd.Series(pd.array(values, dtype=STR_DTYPE))
    assert got.dtype == want.dtype
    pd.testing.assert_series_equal(got, want)


def test_text_array_falls_back_on_other_values() -> None:
    values = ["a", None, 3]
    pd.testing.assert_series_equal(pd.Series(text_array(values)), pd.Series(pd.array(values, dtype=STR_DTYPE)))
