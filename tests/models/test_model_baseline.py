"""RuleBaseline: scikit-learn conformance and the behaviour a QA lead relies on."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import parametrize_with_checks

from driftflag.models.baseline import RuleBaseline

# No check is skipped. Two tags narrow what is checked, on purpose: multi_class=False (a drift
# flag is binary; multiclass targets raise sklearn's standard message) and poor_score=True (a
# breach count is a ranking rule, so the "training accuracy > 0.83" check does not apply).


@parametrize_with_checks([RuleBaseline(), RuleBaseline(weighting="uniform")])
def test_sklearn_conformance(estimator, check):
    check(estimator)


def _data(seed=0, n=400):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({
        "cp_plan_months": rng.gamma(2, 4, n),
        "visits_on_time_share": rng.random(n),
        "noise": rng.random(n),
    })
    logit = -2 + 0.25 * X["cp_plan_months"] - 2 * X["visits_on_time_share"]
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y


def test_learns_thresholds_and_direction_from_polarity():
    X, y = _data()
    est = RuleBaseline(polarity={"visits_on_time_share": "higher_is_better"}).fit(X, y)
    np.testing.assert_allclose(est.thresholds_[0], np.quantile(X["cp_plan_months"], 0.8, method="inverted_cdf"))
    np.testing.assert_allclose(est.thresholds_[1], np.quantile(X["visits_on_time_share"], 0.2, method="inverted_cdf"))
    assert est.signs_.tolist() == [1.0, -1.0, 1.0]
    assert est.weights_[0] > est.weights_[2] and est.weights_[1] > est.weights_[2]
    assert (est.weights_ >= 0).all()


def test_fixed_thresholds_override_learnt_ones():
    X, y = _data()
    est = RuleBaseline(thresholds={"cp_plan_months": 18.0}, weighting="uniform",
                       polarity={"visits_on_time_share": "higher_is_better"}).fit(X, y)
    assert est.thresholds_[0] == 18.0
    # uniform weights: the score is the share of the 3 indicators breached
    row = pd.DataFrame({"cp_plan_months": [19.0], "visits_on_time_share": [1.0], "noise": [0.0]})
    assert est.predict_proba(row)[0, 1] == pytest.approx(1 / 3)


def test_score_is_monotone_in_each_indicators_direction_of_concern():
    X, y = _data()
    est = RuleBaseline(polarity={"visits_on_time_share": "higher_is_better"}).fit(X, y)
    base = X.iloc[[0]].copy()
    worse = base.copy()
    worse["cp_plan_months"] = 1000.0
    worse["visits_on_time_share"] = -1.0
    assert est.predict_proba(worse)[0, 1] >= est.predict_proba(base)[0, 1]
    p = est.predict_proba(X)[:, 1]
    assert ((p >= 0) & (p <= 1)).all()


def test_not_fitted_and_clone():
    with pytest.raises(NotFittedError):
        RuleBaseline().predict_proba(np.zeros((1, 2)))
    est = RuleBaseline(threshold_quantile=0.9)
    assert clone(est).get_params()["threshold_quantile"] == 0.9


def test_bad_parameters_are_refused_with_sklearns_message():
    X, y = _data()
    with pytest.raises(ValueError, match="'threshold_quantile' parameter of RuleBaseline"):
        RuleBaseline(threshold_quantile=1.5).fit(X, y)
    with pytest.raises(ValueError, match="polarity values"):
        RuleBaseline(polarity={"noise": "sideways"}).fit(X, y)
