"""Rewritten computations of model fitting equal the obviously-correct ones (hypothesis).

References: sklearn's ``SimpleImputer`` medians, numpy's weighted ``inverted_cdf`` quantile per
column, and the rule baseline's original breach and log-odds expressions.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.impute import SimpleImputer

from driftflag.models._impute import MedianImputer
from driftflag.models.baseline import RuleBaseline, weighted_quantiles

_SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _matrix(seed: int, n: int, f: int, kind: str, nan_share: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if kind == "int":
        X = rng.integers(-5, 30, (n, f)).astype(float)
    elif kind == "float":
        X = rng.normal(0, 100, (n, f))
    elif kind == "flags":  # an indicator's usual column: one value for most cases
        X = np.where(rng.random((n, f)) < 0.93, 0.0, rng.integers(1, 4, (n, f))).astype(float)
    elif kind == "signed_zeros":
        X = rng.choice([0.0, -0.0, 1.0, -2.5], (n, f))
    else:  # mixed: signed zeros, huge values whose sum overflows (sklearn refuses infinities)
        X = rng.choice([0.0, -0.0, 1.5, 2.0, 7.25, 1.7e308, -1.7e308], (n, f))
    X[rng.random((n, f)) < nan_share] = np.nan
    return X


@_SETTINGS
@given(seed=st.integers(0, 10_000), n=st.integers(1, 40), f=st.integers(1, 5),
       kind=st.sampled_from(["int", "float", "mixed"]), nan_share=st.sampled_from([0.0, 0.3, 0.9, 1.0]),
       keep_empty=st.booleans())
def test_median_imputer_equals_simple_imputer(seed, n, f, kind, nan_share, keep_empty):
    X = _matrix(seed, n, f, kind, nan_share)
    ref = SimpleImputer(strategy="median", keep_empty_features=keep_empty).fit(X)
    got = MedianImputer(strategy="median", keep_empty_features=keep_empty).fit(X)
    np.testing.assert_array_equal(got.statistics_, ref.statistics_)
    np.testing.assert_array_equal(got.transform(X), ref.transform(X))


@_SETTINGS
@given(seed=st.integers(0, 10_000), n=st.integers(1, 40), f=st.integers(1, 5),
       kind=st.sampled_from(["int", "float", "mixed", "flags"]),
       nan_share=st.sampled_from([0.0, 0.3, 0.9, 1.0]), keep_empty=st.booleans(),
       indicator=st.booleans(), frame=st.booleans(), fortran=st.booleans())
def test_median_imputer_transform_equals_simple_imputer(seed, n, f, kind, nan_share, keep_empty,
                                                        indicator, frame, fortran):
    """The masked fill gives sklearn's values, columns and memory layout (a scaler's sums after it
    depend on the layout), for arrays and frames, with or without the missing indicator."""
    import pandas as pd

    X = _matrix(seed, n, f, kind, nan_share)
    X = np.asfortranarray(X) if fortran else X
    fit_on = pd.DataFrame(X, columns=[f"c{j}" for j in range(f)]) if frame else X
    X_new = _matrix(seed + 7, n, f, kind, nan_share)
    score_on = pd.DataFrame(X_new, columns=[f"c{j}" for j in range(f)]) if frame else X_new
    kw = {"strategy": "median", "keep_empty_features": keep_empty, "add_indicator": indicator}
    ref = SimpleImputer(**kw).fit(fit_on)
    got = MedianImputer(**kw).fit(fit_on)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # sklearn's "skipping features" warning
        expected, actual = ref.transform(score_on), got.transform(score_on)
    np.testing.assert_array_equal(actual, expected)
    assert actual.dtype == expected.dtype
    assert actual.flags["C_CONTIGUOUS"] == expected.flags["C_CONTIGUOUS"]
    assert actual.flags["F_CONTIGUOUS"] == expected.flags["F_CONTIGUOUS"]


def _weights(seed: int, n: int, kind: str) -> np.ndarray:
    rng = np.random.default_rng(seed + 1)
    if kind == "unit":
        return np.ones(n)
    if kind == "halves":  # the graded label's rows: weights g and 1 - g in {0.5, 1}
        return rng.choice([0.5, 1.0], n)
    if kind == "with_zeros":
        w = rng.choice([0.0, 0.25, 2.0], n)
        w[0] = 1.0
        return w
    return rng.random(n) * 10 + 1e-3  # arbitrary floats: numpy's own path


@_SETTINGS
@given(seed=st.integers(0, 10_000), n=st.integers(1, 60), f=st.integers(1, 4),
       kind=st.sampled_from(["int", "float", "flags", "signed_zeros"]),
       wkind=st.sampled_from(["unit", "halves", "with_zeros", "float"]),
       q=st.sampled_from([0.8, 0.2, 0.5, 0.01, 0.99, 1 / 3]))
def test_weighted_quantiles_equal_numpy(seed, n, f, kind, wkind, q):
    X = _matrix(seed, n, f, kind, 0.0)
    w = _weights(seed, n, wkind)
    qs = np.where(np.arange(f) % 2 == 0, q, 1 - q)
    ref = np.array([np.quantile(X[:, j], qs[j], method="inverted_cdf", weights=w) for j in range(f)])
    np.testing.assert_array_equal(weighted_quantiles(X, qs, w), ref)


def _reference_fit(model: RuleBaseline, X, y, sw):
    """The rule baseline's fit as first written: numpy quantiles per column, products per cell."""
    q = np.where(model.signs_ > 0, model.threshold_quantile, 1 - model.threshold_quantile)
    thr = np.array([np.quantile(X[:, j], q[j], method="inverted_cdf", weights=sw) for j in range(X.shape[1])])
    breach = (model.signs_ * (X - thr)) > 0
    pos = y == 1
    s = model.smoothing
    a = (sw[:, None] * breach * pos[:, None]).sum(0) + s
    b = (sw[:, None] * breach * ~pos[:, None]).sum(0) + s
    c = (sw[:, None] * ~breach * pos[:, None]).sum(0) + s
    d = (sw[:, None] * ~breach * ~pos[:, None]).sum(0) + s
    with np.errstate(divide="ignore", invalid="ignore"):
        lor = np.log(a) + np.log(d) - np.log(b) - np.log(c)
    return thr, breach, np.clip(np.nan_to_num(lor, nan=0.0, posinf=0.0, neginf=0.0), 0, None)


@_SETTINGS
@given(seed=st.integers(0, 10_000), n=st.integers(2, 60), f=st.integers(1, 4),
       kind=st.sampled_from(["int", "float"]), wkind=st.sampled_from(["unit", "halves", "float"]))
def test_rule_baseline_fit_equals_the_reference(seed, n, f, kind, wkind):
    X = _matrix(seed, n, f, kind, 0.0)
    w = _weights(seed, n, wkind)
    rng = np.random.default_rng(seed + 2)
    y = (rng.random(n) < 0.4).astype(int)
    y[0], y[-1] = 0, 1
    pol = {f"x{j}": "higher_is_better" for j in range(f) if j % 2}
    model = RuleBaseline(polarity=pol).fit(X, y, sample_weight=w)
    thr, breach, weights = _reference_fit(model, X, y, w)
    np.testing.assert_array_equal(model.thresholds_, thr)
    np.testing.assert_array_equal(model._breaches(X), breach)
    np.testing.assert_array_equal(model.weights_, weights)
