"""``_dedup.ValueCodes``: the codes a twin is checked by. Equal codes must mean equal values
(never a false twin, even when hashes collide); equal values of one dtype must get equal codes
in every extract (twins are found), blanks equal to blanks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from driftflag.ingest import _dedup
from driftflag.ingest._dedup import ValueCodes

POOL = {
    "str": ["a", "b", "B", "", "é", "a ", "1"],
    "boolean": [True, False],
    "Int64": [0, 1, 2, -1],
    "datetime64[ns]": [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-02"), pd.Timestamp("1999-12-31 00:00:01")],
}


def _column(kind: str, picks: list[int | None]) -> pd.Series:
    pool = POOL[kind]
    vals = [None if p is None else pool[p % len(pool)] for p in picks]
    if kind == "datetime64[ns]":
        return pd.Series(pd.to_datetime(vals), dtype=kind)
    return pd.Series(vals, dtype=kind)


extract = st.tuples(st.sampled_from(list(POOL)), st.lists(st.one_of(st.none(), st.integers(0, 6)), max_size=12))


def _cells(extracts):
    """Every cell as (dtype, value or None, code), encoding extract by extract."""
    codes = ValueCodes()
    out = []
    for kind, picks in extracts:
        col = _column(kind, picks)
        got = codes.encode(pd.DataFrame({"v": col}), ["v"])[:, 0]
        for value, code in zip(col.astype(object), got, strict=True):
            out.append((kind, None if pd.isna(value) else value, int(code)))
    return out


@settings(max_examples=200, deadline=None)
@given(extracts=st.lists(extract, min_size=1, max_size=5))
def test_codes_equal_exactly_when_values_equal(extracts) -> None:
    cells = _cells(extracts)
    for ka, va, ca in cells:
        for kb, vb, cb in cells:
            same = (va is None and vb is None) or (va is not None and vb is not None and ka == kb and va == vb
                                                    and type(va) is type(vb))
            assert (ca == cb) == same, (ka, va, ca, kb, vb, cb)


@settings(max_examples=150, deadline=None)
@given(extracts=st.lists(extract, min_size=1, max_size=5), buckets=st.sampled_from([1, 2, 3]))
def test_colliding_hashes_never_make_different_values_equal(extracts, buckets) -> None:
    """With a hash of one to three values every other value collides: codes stay sound (equal
    codes, equal values) and equal values in one extract still share a code."""
    def weak(values, **_kw):
        return np.array([hash(str(v)) % buckets for v in values], dtype=np.uint64)

    with pytest.MonkeyPatch.context() as m:
        m.setattr(_dedup.pd.util, "hash_array", weak)
        cells = _cells(extracts)
    for ka, va, ca in cells:
        for kb, vb, cb in cells:
            if ca == cb:
                assert (va is None and vb is None) or (ka == kb and va == vb and type(va) is type(vb))
    at = 0
    for _kind, picks in extracts:  # within one extract, equal values share a code
        mine = cells[at:at + len(picks)]
        at += len(picks)
        for _, va, ca in mine:
            for _, vb, cb in mine:
                assert (ca == cb) == (va == vb if va is not None and vb is not None else va is vb)


@pytest.mark.parametrize("kind", list(POOL))
def test_blank_is_minus_one_and_values_are_not(kind) -> None:
    got = ValueCodes().encode(pd.DataFrame({"v": _column(kind, [None, 0, 1, None])}), ["v"])[:, 0]
    assert got[0] == got[3] == -1
    assert (got[1:3] >= 0).all() and got[1] != got[2]
