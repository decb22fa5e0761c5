"""The one top-k: score descending, ties by child_id, against a plain sort."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from driftflag.evaluation import ranking_order, resolve_k, select_top_k, top_k_list

cases = st.lists(st.tuples(st.sampled_from([0.1, 0.5, 0.5, 0.9, 1.0, -2.0]),
                           st.sampled_from(["A", "B", "C10", "C2", "D", "E", "F"])),
                 min_size=0, max_size=30)


def _reference(scores, ids):
    """The obvious definition: sort positions by (-score, child_id as text); stable."""
    return sorted(range(len(scores)), key=lambda i: (-scores[i], str(ids[i])))


@given(cases)
def test_ranking_order_is_score_descending_then_child_id(rows):
    scores = [s for s, _ in rows]
    ids = [c for _, c in rows]
    assert ranking_order(np.array(scores), np.array(ids, dtype=object)).tolist() == _reference(scores, ids)


@given(cases, st.one_of(st.integers(1, 40), st.floats(0.01, 0.99)))
def test_select_top_k_marks_the_first_k_of_the_order(rows, k):
    scores = np.array([s for s, _ in rows])
    ids = np.array([c for _, c in rows], dtype=object)
    mask = select_top_k(scores, ids, k)
    want = set(_reference(list(scores), list(ids))[: resolve_k(k, len(rows))])
    assert set(np.flatnonzero(mask).tolist()) == want


def test_top_k_list_follows_the_same_order():
    got = top_k_list([0.5, 0.9, 0.5, 0.5], ["C", "B", "A", "D"], 3)
    assert got["child_id"].tolist() == ["B", "A", "C"] and got["tied_at_cut"].tolist() == [False, True, True]
