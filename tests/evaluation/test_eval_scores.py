"""Ranking and calibration metrics against sklearn, with and without weights."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.calibration import calibration_curve
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from driftflag.evaluation import (
    average_precision,
    brier_score,
    expected_calibration_error,
    reliability_curve,
    roc_auc,
)

cases = st.integers(0, 10_000).map(lambda seed: np.random.default_rng(seed))


@settings(max_examples=40, deadline=None)
@given(rng=cases, n=st.integers(5, 200), weighted=st.booleans())
def test_ranking_metrics_match_sklearn(rng, n, weighted):
    y = rng.integers(0, 2, n)
    s = rng.random(n)
    w = rng.uniform(0.5, 5, n) if weighted else None
    if len(np.unique(y)) < 2:
        assert np.isnan(roc_auc(y, s, w))
        return
    assert roc_auc(y, s, w) == pytest.approx(roc_auc_score(y, s, sample_weight=w))
    assert average_precision(y, s, w) == pytest.approx(average_precision_score(y, s, sample_weight=w))
    assert brier_score(y, s, w) == pytest.approx(brier_score_loss(y, s, sample_weight=w))


def test_ece_hand_worked():
    # bin [0.1,0.2): p=.1,.1 y=0,1 -> gap |.5-.1| = .4, weight 2
    # bin [0.9,1.0]: p=.9,.9 y=1,1 -> gap |1-.9| = .1, weight 2
    # ECE = .5*.4 + .5*.1 = .25
    assert expected_calibration_error([0, 1, 1, 1], [0.1, 0.1, 0.9, 0.9]) == pytest.approx(0.25)
    # weighting the first case 3 times: bin 1 observed 1/4, gap .15, weight 4 of 6
    assert expected_calibration_error([0, 1, 1, 1], [0.1, 0.1, 0.9, 0.9], [3, 1, 1, 1]) == \
        pytest.approx(4 / 6 * 0.15 + 2 / 6 * 0.1)


def test_probability_one_lands_in_the_last_bin():
    curve = reliability_curve([1, 0], [1.0, 0.0], n_bins=4)
    assert curve["n"].tolist() == [1, 0, 0, 1]


def test_reliability_curve_matches_sklearn_uniform_bins():
    rng = np.random.default_rng(3)
    s = rng.random(500)
    y = (rng.random(500) < s).astype(int)
    ours = reliability_curve(y, s, n_bins=5).dropna()
    prob_true, prob_pred = calibration_curve(y, s, n_bins=5, strategy="uniform")
    np.testing.assert_allclose(ours["observed_rate"], prob_true)
    np.testing.assert_allclose(ours["mean_predicted"], prob_pred)
