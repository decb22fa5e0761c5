"""``lexsort_order`` (``ingest/_common.py``: integer keys shifted and packed into one number,
one stable sort) is ``np.lexsort`` of the same keys, first key first: on random keys of any
sign and range, ties and all (the settling of Annex A repeats and reconcile's precedence order
rely on the very same permutation)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from driftflag.ingest._common import lexsort_order

BOUNDS = st.sampled_from([(0, 1), (-3, 3), (0, 200_000), (2**31 - 9, 2**31 - 1), (-(2**31), -(2**31) + 9),
                         (-(2**40), 2**40), (-(2**62), 2**62)])


@settings(max_examples=200, deadline=None)
@given(st.lists(BOUNDS, min_size=1, max_size=5).flatmap(
    lambda bounds: st.tuples(st.just(bounds), st.lists(st.tuples(*[st.integers(lo, hi) for lo, hi in bounds]),
                                                       max_size=50))))
def test_lexsort_order_is_lexsort(case) -> None:
    bounds, rows = case
    keys = [np.array([r[j] for r in rows], dtype=np.int64) for j in range(len(bounds))]
    np.testing.assert_array_equal(lexsort_order(keys), np.lexsort(keys[::-1]))


def _narrow(k: np.ndarray, unsigned: bool) -> np.ndarray:
    """``k`` in the narrowest integer type holding its values (unsigned when asked and possible)."""
    kinds = ([np.uint8, np.uint16, np.uint32] if unsigned and (not len(k) or k.min() >= 0) else []) + \
        [np.int8, np.int16, np.int32, np.int64]
    for t in kinds:
        if not len(k) or (np.iinfo(t).min <= k.min() and k.max() <= np.iinfo(t).max):
            return k.astype(t)
    return k


@settings(max_examples=200, deadline=None)
@given(st.lists(BOUNDS, min_size=1, max_size=5).flatmap(
    lambda bounds: st.tuples(st.just(bounds), st.lists(st.tuples(*[st.integers(lo, hi) for lo, hi in bounds]),
                                                       max_size=50), st.booleans())))
def test_lexsort_order_of_narrow_keys_is_lexsort(case) -> None:
    """Keys as the ingest passes them (years in 16 bits, ranks and ids in 32, flags unsigned):
    packed in 32 or 64 bits, the same permutation as ``np.lexsort``."""
    bounds, rows, unsigned = case
    keys = [_narrow(np.array([r[j] for r in rows], dtype=np.int64), unsigned) for j in range(len(bounds))]
    np.testing.assert_array_equal(lexsort_order(keys), np.lexsort(keys[::-1]))
