"""Messages built only for the reported rows equal the whole column of messages, masked."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from driftflag.ingest._common import STR_DTYPE
from driftflag.validate.rules import _q


def _eager_q(v: pd.Series) -> pd.Series:
    return "'" + v.astype("str").fillna("") + "'"


@settings(max_examples=100, deadline=None)
@given(values=st.lists(st.tuples(st.one_of(st.none(), st.text(max_size=5)),
                                 st.one_of(st.none(), st.text(max_size=5)), st.booleans()), max_size=25))
def test_lazy_messages_equal_the_eager_ones(values: list[tuple]) -> None:
    a = pd.Series([v[0] for v in values], dtype=STR_DTYPE)
    b = pd.Series([v[1] for v in values], dtype=STR_DTYPE)
    year = pd.Series(np.arange(len(values)) + 2020).astype(str)
    mask = np.array([v[2] for v in values], dtype=bool)
    lazy = "end " + _q(a) + " is before " + "start" + " " + _q(b) + " of year " + year
    eager = "end " + _eager_q(a) + " is before " + "start" + " " + _eager_q(b) + " of year " + year
    got, want = lazy[mask], eager[mask]
    assert list(np.asarray(got, dtype=object)) == list(np.asarray(want, dtype=object))
    assert list(pd.Series(got).index) == list(want.index)
