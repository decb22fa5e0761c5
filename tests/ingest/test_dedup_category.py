"""``_dedup._category`` against the expression it replaced, ``s.astype(object).astype("category")``:
the same categories (texts, order, dtype) and codes for Arrow, object and categorical texts."""

from __future__ import annotations

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
