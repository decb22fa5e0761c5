"""``_dedup._category`` and ``_dedup._earliest`` against the expression it replaced, ``s.astype(object).astype("category")``:
the same categories (texts, order, dtype) and codes for Arrow, object and categorical texts."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from driftflag.ingest._dedup import _category

texts = st.lists(st.one_of(st.none(), st.sampled_from(["a", "B", "", " b", "list 3", "é", "z\x1f"]), st.text(max_size=4)),
                 max_size=30)


@settings(max_examples=200, deadline=None)
@given(values=texts, kind=st.sampled_from(["str", "object", "category"]))
def test_category_matches_through_objects(values, kind) -> None:
    s = pd.Series(values, dtype=kind if kind != "category" else "str")
    if kind == "category":
        s = s.astype("category").cat.add_categories(["unused"])  # unused categories are dropped too
    want = s.astype(object).astype("category")
    got = _category(s)
    pd.testing.assert_series_equal(got, want)
    assert got.cat.categories.dtype == want.cat.categories.dtype
    assert list(got.cat.categories) == list(want.cat.categories)


@settings(max_examples=200, deadline=None)
@given(runs=st.lists(st.lists(st.one_of(st.none(), st.integers(0, 10**6)), min_size=1, max_size=5), min_size=1,
                     max_size=12), unit=st.sampled_from(["s", "ns"]))
def test_earliest_matches_groupby_min(runs, unit) -> None:
    """``_dedup._earliest`` against ``groupby(run).min()`` (blanks skipped, all-blank runs blank)."""
    from driftflag.ingest._dedup import _earliest

    values = [None if v is None else pd.Timestamp("2020-01-01") + pd.Timedelta(seconds=v) for r in runs for v in r]
    known = pd.Series(pd.to_datetime(values)).astype(f"datetime64[{unit}]")
    first = np.concatenate([[True] + [False] * (len(r) - 1) for r in runs])
    run = np.cumsum(first) - 1
    want = known.groupby(run, sort=True).min().to_numpy()
    got = _earliest(known, first)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
