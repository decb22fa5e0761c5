"""The signature registry of the Annex A de-duplication, kept sorted by insertion
(``_dedup._register``), against the obvious reference: concatenate, drop what is known, sort."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from driftflag.ingest._dedup import _positions, _register


def _reference(keys, ids, new_keys, new_ids):
    hn = pd.Series(new_keys, index=new_ids)
    if keys is not None and len(keys):
        hn = hn.loc[~np.isin(hn.to_numpy(), keys)]
    hn = hn.loc[~hn.duplicated(keep="first")]
    allk = np.r_[keys if keys is not None else np.zeros(0, np.uint64), hn.to_numpy()]
    alli = np.r_[ids if ids is not None else np.zeros(0, np.int64), hn.index.to_numpy()]
    o = np.argsort(allk, kind="stable")
    return allk[o], alli[o]


small_hashes = st.lists(st.integers(0, 40), max_size=30)  # few distinct values: many repeats


@settings(max_examples=200, deadline=None)
@given(batches=st.lists(small_hashes, min_size=1, max_size=6), big=st.booleans())
def test_register_matches_sorting_everything_again(batches, big):
    keys = ids = None
    ref_keys = ref_ids = None
    next_id = 0
    for batch in batches:
        # hashes near the top of the uint64 range too (ordering must be unsigned)
        h = np.array([(v * 0x9E3779B97F4A7C15) % 2**64 if big else v for v in batch], dtype=np.uint64)
        new_ids = next_id + np.arange(len(h), dtype=np.int64)
        next_id += len(h)
        if not len(h):
            continue
        keys, ids = _register(keys, ids, h, new_ids)
        ref_keys, ref_ids = _reference(ref_keys, ref_ids, h, new_ids)
        assert keys.dtype == np.uint64 and ids.dtype == np.int64
        np.testing.assert_array_equal(keys, ref_keys)
        np.testing.assert_array_equal(ids, ref_ids)
        assert (np.diff(keys.astype(object)) > 0).all() if len(keys) > 1 else True


@settings(max_examples=200, deadline=None)
@given(keys=st.lists(st.integers(0, 2**64 - 1), max_size=40),
       queries=st.lists(st.integers(0, 2**64 - 1), max_size=40), repeat=st.integers(0, 40),
       signed=st.booleans())
def test_positions_are_numpys_searchsorted(keys, queries, repeat, signed):
    """The lookups in sorted order give numpy's positions in the given order, for keys and
    queries that repeat, fall between, before and after the keys (unsigned hashes near the top
    of the range, and signed codes)."""
    dtype = np.int64 if signed else np.uint64
    fit = (lambda v: v - 2**63) if signed else (lambda v: v)
    k = np.sort(np.array([fit(v) for v in keys], dtype=dtype))
    q = np.array([fit(v) for v in queries] + [fit(v) for v in keys[:repeat]] * 2, dtype=dtype)
    got = _positions(k, q)
    np.testing.assert_array_equal(got, np.searchsorted(k, q))
