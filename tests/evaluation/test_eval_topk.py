"""Top-k metrics: hand-worked tie cases, and agreement with sklearn on random untied inputs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import precision_score, recall_score

from driftflag.evaluation import (
    EvaluationError,
    precision_at_k,
    recall_at_k,
    resolve_k,
    top_k_counts,
    top_k_list,
)


def test_hand_worked_tie_at_the_cut():
    # scores .9 | .5 .5 .5 | .1 ; labels 1 | 1 0 0 | 1 ; k = 2
    # one slot left for three cases tied at .5, one of them positive.
    # worst: a negative takes it -> 1/2; best: the positive -> 2/2; expected: (1 + 1/3)/2 = 2/3
    p = precision_at_k([1, 1, 0, 0, 1], [0.9, 0.5, 0.5, 0.5, 0.1], 2)
    assert (p.worst, p.best) == (0.5, 1.0)
    assert p.expected == pytest.approx(2 / 3)
    assert p.k == 2 and p.n_tied_at_cut == 3
    # recall: 3 positives. worst 1/3, best 2/3, expected (4/3)/3
    r = recall_at_k([1, 1, 0, 0, 1], [0.9, 0.5, 0.5, 0.5, 0.1], 2)
    assert (r.worst, r.best) == (pytest.approx(1 / 3), pytest.approx(2 / 3))
    assert r.expected == pytest.approx(4 / 9)


def test_all_scores_tied_gives_base_rate_as_expected():
    # 10 cases all tied, 3 positive, k=4: worst 1/4 (3 negatives... 7 negatives fill all 4 -> 0/4)
    y = [1, 1, 1, 0, 0, 0, 0, 0, 0, 0]
    p = precision_at_k(y, [0.3] * 10, 4)
    assert p.worst == 0.0
    assert p.best == 0.75
    assert p.expected == pytest.approx(0.3)


def test_no_ties_all_cases_agree():
    p = precision_at_k([1, 0, 1, 0], [0.4, 0.3, 0.2, 0.1], 2)
    assert p.worst == p.best == p.expected == 0.5
    assert p.n_tied_at_cut == 0


def test_tie_entirely_inside_the_list_is_not_arbitrary():
    # .9 .9 | .1 with k = 2: both tied cases are listed whatever the order
    p = precision_at_k([1, 0, 0], [0.9, 0.9, 0.1], 2)
    assert p.worst == p.best == p.expected == 0.5
    assert p.n_tied_at_cut == 0


def test_share_k_rounds_up_and_applies_within_each_list():
    assert resolve_k(0.05, 30) == 2
    assert resolve_k(0.5, 4) == 2
    assert resolve_k(10, 4) == 4
    # two months of 4 cases, top 25% = 1 per month; month A's top is positive, month B's is not
    y = [1, 0, 0, 0, 0, 1, 1, 1]
    s = [0.9, 0.1, 0.2, 0.3, 0.9, 0.1, 0.2, 0.3]
    months = ["A"] * 4 + ["B"] * 4
    p = precision_at_k(y, s, 0.25, list_ids=months)
    assert p.k == 2 and p.expected == 0.5
    r = recall_at_k(y, s, 0.25, list_ids=months)
    assert r.expected == pytest.approx(1 / 4)


def test_weights_count_cases_in_k_but_weight_in_rates():
    # k = 2 cases; weights 1 and 3 on the listed cases; the heavy one is positive -> 3/4
    p = precision_at_k([0, 1, 1], [0.9, 0.8, 0.1], 2, sample_weight=[1, 3, 5])
    assert p.expected == pytest.approx(0.75)
    r = recall_at_k([0, 1, 1], [0.9, 0.8, 0.1], 2, sample_weight=[1, 3, 5])
    assert r.expected == pytest.approx(3 / 8)


@pytest.mark.parametrize("bad", [0, -1, 0.0, 1.0, 1.5, True, "5"])
def test_bad_k_is_refused(bad):
    with pytest.raises(EvaluationError):
        precision_at_k([1, 0], [0.2, 0.1], bad)


def test_length_mismatch_is_refused():
    with pytest.raises(EvaluationError, match="2 rows but scores has 3"):
        precision_at_k([1, 0], [0.2, 0.1, 0.3], 1)


def test_top_k_list_orders_by_score_then_child_id_and_marks_the_arbitrary_cut():
    out = top_k_list([0.5, 0.9, 0.5, 0.5, 0.1], ["c", "z", "a", "b", "d"], 3)
    assert out["child_id"].tolist() == ["z", "a", "b"]
    assert out["rank"].tolist() == [1, 2, 3]
    assert out["tied_at_cut"].tolist() == [False, True, True]
    assert not top_k_list([0.5, 0.4], ["a", "b"], 1)["tied_at_cut"].any()


@settings(max_examples=60, deadline=None)
@given(
    data=st.lists(st.tuples(st.booleans(), st.floats(0, 1, allow_nan=False)), min_size=2, max_size=60,
                  unique_by=lambda t: t[1]),
    k=st.integers(1, 60),
)
def test_untied_scores_match_sklearn(data, k):
    y = np.array([int(a) for a, _ in data])
    s = np.array([b for _, b in data])
    k = min(k, len(y))
    flagged = np.zeros(len(y), int)
    flagged[np.argsort(-s)[:k]] = 1
    p = precision_at_k(y, s, k)
    assert p.worst == p.best == pytest.approx(p.expected)
    assert p.expected == pytest.approx(precision_score(y, flagged, zero_division=0))
    if y.sum():
        assert recall_at_k(y, s, k).expected == pytest.approx(recall_score(y, flagged))


@settings(max_examples=60, deadline=None)
@given(
    y=st.lists(st.integers(0, 1), min_size=1, max_size=40),
    levels=st.integers(1, 4),
    k=st.integers(1, 40),
    seed=st.integers(0, 10_000),
)
def test_tied_scores_bracket_the_mean_of_random_tie_breaks(y, levels, k, seed):
    """worst <= expected <= best, and expected equals the mean over every random tie-break."""
    rng = np.random.default_rng(seed)
    y = np.array(y)
    s = rng.integers(0, levels, len(y)).astype(float)  # few levels -> many ties
    k = min(k, len(y))
    p = precision_at_k(y, s, k)
    assert p.worst - 1e-12 <= p.expected <= p.best + 1e-12
    # exact mean over random permutations via the hypergeometric expectation, checked by simulation
    sims = []
    for _ in range(400):
        jitter = rng.random(len(y))
        order = np.lexsort((jitter, -s))[:k]
        sims.append(y[order].mean())
    assert np.mean(sims) == pytest.approx(p.expected, abs=0.08)
    c = top_k_counts(y, s, k)
    assert c.n_flagged == k
