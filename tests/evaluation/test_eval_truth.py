"""Metrics against the simulator's truth: vectorised figures against slow, obvious references."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from driftflag.evaluation import EvaluationError, expected_auc, top_k_mean, truth_report


def _expected_auc_pairwise(s, p) -> float:
    """Every ordered pair of distinct child-months: i positive (weight p_i), j negative (1 - p_j)."""
    num = den = 0.0
    for i, j in itertools.permutations(range(len(s)), 2):
        w = p[i] * (1 - p[j])
        den += w
        num += w * (1.0 if s[i] > s[j] else 0.5 if s[i] == s[j] else 0.0)
    return num / den if den > 0 else float("nan")


def _top_k_mean_by_enumeration(s, p, k) -> float:
    """Average over every random tie-break: each permutation order of tied scores, exhaustively."""
    order = sorted(range(len(s)), key=lambda i: -s[i])
    cut = s[order[k - 1]]
    above = [i for i in range(len(s)) if s[i] > cut]
    tied = [i for i in range(len(s)) if s[i] == cut]
    picks = list(itertools.combinations(tied, k - len(above)))
    return float(np.mean([(sum(p[i] for i in above) + sum(p[i] for i in c)) / k for c in picks]))


scores = st.lists(st.integers(0, 4), min_size=2, max_size=9)  # few values: many ties


@settings(max_examples=80, deadline=None)
@given(s=scores, seed=st.integers(0, 10_000))
def test_expected_auc_matches_the_pairwise_reference(s, seed):
    rng = np.random.default_rng(seed)
    p = rng.random(len(s)).round(2)
    p[rng.random(len(s)) < 0.2] = 0.0
    ref = _expected_auc_pairwise(s, p)
    got = expected_auc(s, p)
    if np.isnan(ref):
        assert np.isnan(got)
    else:
        assert got == pytest.approx(ref, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(s=scores, seed=st.integers(0, 10_000), k=st.integers(1, 9))
def test_top_k_mean_matches_every_tie_break(s, seed, k):
    k = min(k, len(s))
    p = np.random.default_rng(seed).random(len(s))
    assert top_k_mean(s, p, k) == pytest.approx(_top_k_mean_by_enumeration(s, p, k))


def test_best_auc_is_the_ceiling_and_a_constant_score_is_half():
    rng = np.random.default_rng(0)
    p = rng.beta(1, 4, 500)
    best = expected_auc(p, p)
    assert 0.5 < best < 1
    assert expected_auc(rng.random(500), p) < best
    assert expected_auc(np.zeros(500), p) == pytest.approx(0.5)
    # a certain truth (0/1) makes the expected AUC the ordinary AUC
    assert expected_auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == pytest.approx(0.75)


def test_expected_auc_rejects_bad_input():
    with pytest.raises(EvaluationError):
        expected_auc([0.1, 0.2], [0.5])
    with pytest.raises(EvaluationError):
        expected_auc([0.1, 0.2], [0.5, 1.5])


def test_truth_report_capture_runs_from_all_open_to_best():
    months = pd.to_datetime(["2025-01-01", "2025-02-01"])
    rng = np.random.default_rng(1)
    rows = [{"child_id": f"C{i}", "as_of": m, "p_drift": rng.random()} for m in months for i in range(100)]
    truth = pd.DataFrame(rows)
    perfect = truth.rename(columns={"p_drift": "score"})
    flat = perfect.assign(score=0.0)
    extra = pd.DataFrame({"child_id": ["X"], "as_of": [months[0]], "score": [9.0]})
    best = truth_report(pd.concat([perfect, extra]), truth, k=10)
    assert best.capture == pytest.approx(1.0)
    assert best.expected_auc == pytest.approx(best.best_auc)
    assert best.n_unmatched == 1 and best.n_rows == 200
    none = truth_report(flat, truth, k=10)
    assert none.capture == pytest.approx(0.0, abs=1e-12)
    assert none.top_k == pytest.approx(none.all_open)
    assert set(none.metrics()) >= {"truth_expected_auc", "truth_best_auc", "truth_top10_capture"}
    assert len(none.monthly) == 2 and none.months == ("2025-01-01", "2025-02-01")
