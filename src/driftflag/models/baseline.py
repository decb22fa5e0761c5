"""The rule baseline: rank cases by how many drift indicators they breach.

This is what a QA lead could do with a spreadsheet, and what every trained model must beat before
it is worth its opacity (triage's simple-rule baselines, ``ml-anchors-and-tooling.md`` §1.6 and
§3.6). Each indicator is *breached* when it is worse than a threshold: a fixed one given by the
caller (e.g. the statutory 26 weeks), or by default the ``threshold_quantile`` of the training
values (weighted inverted-CDF quantiles; ``> q`` for higher-is-worse, ``< 1 - q`` quantile for higher-is-better). The score is the
weighted number of breaches, divided by the largest possible total so it lies in [0, 1].

Weights are all one (``weighting="uniform"``, a plain count) or the univariate log odds ratio
of the outcome given a breach (``weighting="log_odds"``, with ``smoothing`` added to each cell of
the 2x2 table); a breach that goes with *fewer* outcomes gets weight 0, so a breach never lowers
the score and the score stays monotone in every indicator's direction of concern.
"""

from __future__ import annotations

from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

__all__ = ["RuleBaseline", "weighted_quantiles"]

_POLARITIES = ("higher_is_worse", "higher_is_better")


def _exact_sums(w: np.ndarray) -> bool:
    """Whether every partial sum of ``w`` is exact in float64 whatever the order (weights that are
    multiples of 1/1024, e.g. 1 or the graded label's 0.5, with a total far below 2**53)."""
    scaled = w * 1024.0
    return bool(np.all(scaled == np.round(scaled)) and scaled.sum() < 2.0 ** 50)


#: rows per block of :func:`_cell_sums`
_BLOCK_ROWS = 65_536


def _cell_sums(breach: np.ndarray, pos: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per column, the weight of breached positives, breached negatives, unbreached positives and
    unbreached negatives. Only for weights whose sums are exact in any order (:func:`_exact_sums`):
    then summing a block of rows at a time gives the same numbers as one sum over every row."""
    out = [np.zeros(breach.shape[1]) for _ in range(4)]
    for i in range(0, len(breach), _BLOCK_ROWS):
        bk, pk, wk = breach[i:i + _BLOCK_ROWS], pos[i:i + _BLOCK_ROWS], w[i:i + _BLOCK_ROWS]
        bp, bn = bk[pk], bk[~pk]
        wp, wn = wk[pk][:, None], wk[~pk][:, None]
        for acc, part in zip(out, ((wp * bp).sum(0), (wn * bn).sum(0), (wp * ~bp).sum(0),
                                   (wn * ~bn).sum(0)), strict=True):
            acc += part
    return tuple(out)


def _has_negative_zero(col: np.ndarray) -> bool:
    return bool(np.any(np.signbit(col) & (col == 0)))


def weighted_quantiles(X: np.ndarray, q: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``np.quantile(X[:, j], q[j], method="inverted_cdf", weights=w)`` for every column ``j``.

    Why: numpy sorts each column with its row order to accumulate weights (6% of a training
    run). When every partial sum of the weights is exact, the answer depends on the values only:
    the smallest value ``v`` whose cumulative share ``W(<= v) / W`` reaches ``q``. Unit weights
    then need one order statistic (a sort; the position is the same ``searchsorted`` numpy does
    on ``k / n``); integer-valued columns a ``bincount`` of the weights per value. Anything else is
    numpy's own call. ``tests/models/test_model_baseline_speed.py`` compares with numpy.
    """
    n, f = X.shape
    out = np.empty(f)
    unit = bool(np.all(w == 1.0))
    exact = unit or _exact_sums(w)
    unit_cdf = np.arange(1, n + 1, dtype=np.float64) / n if unit else None
    for j in range(f):
        col = X[:, j]
        qj = np.float64(q[j])
        if unit:
            i = min(int(np.searchsorted(unit_cdf, qj, side="left")), n - 1)
            # the i-th order statistic; a sort finds it 10-20x faster than a partition on the
            # columns indicators make (mostly one repeated value: a flag, a count that is
            # mostly 0), where introselect degrades. Signed zeros stay with the partition: which
            # of -0.0 and 0.0 lands at i is each algorithm's own affair
            out[j] = np.partition(col, i)[i] if _has_negative_zero(col) else np.sort(col)[i]
            continue
        if exact and np.isfinite(col).all():
            lo, hi = col.min(), col.max()
            if hi - lo < 4 * n + 1024 and np.all(col == np.round(col)):
                cum = np.cumsum(np.bincount((col - lo).astype(np.int64), weights=w))
                if cum[-1] > 0:
                    i = int(np.searchsorted(cum / cum[-1], qj, side="left"))
                    out[j] = lo + min(i, len(cum) - 1)
                    continue
        out[j] = np.quantile(col, qj, method="inverted_cdf", weights=w)
    return out


class RuleBaseline(ClassifierMixin, BaseEstimator):
    """Weighted count of breached drift indicators, as a scikit-learn binary classifier.

    Parameters
    ----------
    threshold_quantile : float in (0, 1), default 0.8
        Training quantile that a higher-is-worse indicator must exceed to count as breached
        (higher-is-better indicators must fall below the ``1 - threshold_quantile`` quantile).
    thresholds : dict of {feature name: float} or None
        Fixed thresholds that override the learnt ones (names as in ``feature_names_in_``, or
        ``"x0"``, ``"x1"``... for arrays).
    polarity : dict of {feature name: "higher_is_worse" | "higher_is_better"} or None
        Direction of concern of each indicator; unnamed indicators are higher-is-worse.
    weighting : {"log_odds", "uniform"}, default "log_odds"
    smoothing : float >= 0, default 0.5
        Added to each cell of the breach-by-outcome table before taking log odds.

    Attributes
    ----------
    thresholds_ : ndarray of shape (n_features,)
    signs_ : ndarray of shape (n_features,), +1 for higher-is-worse, -1 for higher-is-better
    weights_ : ndarray of shape (n_features,), non-negative
    classes_ : ndarray of shape (2,)
    """

    _parameter_constraints: dict = {
        "threshold_quantile": [Interval(Real, 0, 1, closed="neither")],
        "thresholds": [dict, None],
        "polarity": [dict, None],
        "weighting": [StrOptions({"log_odds", "uniform"})],
        "smoothing": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(self, threshold_quantile=0.8, thresholds=None, polarity=None,
                 weighting="log_odds", smoothing=0.5):
        self.threshold_quantile = threshold_quantile
        self.thresholds = thresholds
        self.polarity = polarity
        self.weighting = weighting
        self.smoothing = smoothing

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        # a count of breaches ranks cases; it is not meant to classify well at a 0.5 cut, so the
        # sklearn check that training accuracy exceeds 0.83 does not apply
        tags.classifier_tags.poor_score = True
        return tags

    def _names(self) -> list[str]:
        if hasattr(self, "feature_names_in_"):
            return [str(n) for n in self.feature_names_in_]
        return [f"x{i}" for i in range(self.n_features_in_)]

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Learn thresholds and weights from training indicators ``X`` and outcome ``y``."""
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        y_type = type_of_target(y, input_name="y", raise_unknown=True)
        if y_type not in ("binary", "unary"):
            raise ValueError(
                f"Only binary classification is supported. The type of the target is {y_type}."
            )
        self.classes_, y_enc = np.unique(y, return_inverse=True)
        sw = _check_sample_weight(sample_weight, X, dtype=np.float64)
        names = self._names()
        polarity = self.polarity or {}
        unknown = [p for p in polarity.values() if p not in _POLARITIES]
        if unknown:
            raise ValueError(f"polarity values must be one of {_POLARITIES}; got {unknown}")
        self.signs_ = np.array([-1.0 if polarity.get(n) == "higher_is_better" else 1.0 for n in names])
        q = np.where(self.signs_ > 0, self.threshold_quantile, 1 - self.threshold_quantile)
        # inverted-CDF quantiles accept weights and treat weight 2 exactly like a repeated row
        learnt = weighted_quantiles(X, q, sw)
        fixed = self.thresholds or {}
        self.thresholds_ = np.array([float(fixed.get(n, learnt[j])) for j, n in enumerate(names)])
        breach = self._breaches(X)
        if self.weighting == "uniform" or len(self.classes_) < 2:
            self.weights_ = np.ones(X.shape[1])
        else:
            pos = y_enc == 1
            s = self.smoothing
            if _exact_sums(sw):
                # sums of such weights are exact in any order: each cell sums only its own rows,
                # a block of rows at a time (a float matrix of every row was 0.25 GB at 150,000
                # children, the largest allocation of the final fit)
                a, b, c, d = (v + s for v in _cell_sums(breach, pos, sw))
            else:  # arbitrary weights: the sums in their original order, to the last bit
                a = (sw[:, None] * breach * pos[:, None]).sum(0) + s
                b = (sw[:, None] * breach * ~pos[:, None]).sum(0) + s
                c = (sw[:, None] * ~breach * pos[:, None]).sum(0) + s
                d = (sw[:, None] * ~breach * ~pos[:, None]).sum(0) + s
            with np.errstate(divide="ignore", invalid="ignore"):
                lor = np.log(a) + np.log(d) - np.log(b) - np.log(c)
            self.weights_ = np.clip(np.nan_to_num(lor, nan=0.0, posinf=0.0, neginf=0.0), 0, None)
        return self

    def _breaches(self, X: np.ndarray) -> np.ndarray:
        # sign * (x - t) > 0, as comparisons: x - t of two floats is 0 exactly when x == t and
        # has the sign of the true difference, so ``x > t`` (or ``x < t``) is the same test
        out = self.thresholds_ < X
        worse_low = self.signs_ < 0
        if worse_low.any():
            out[:, worse_low] = X[:, worse_low] < self.thresholds_[worse_low]
        return out

    def breaches(self, X) -> np.ndarray:
        """Boolean matrix: which indicator each case breaches (the reasons behind its score)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return self._breaches(X)

    def breach_score(self, X) -> np.ndarray:
        """Weighted number of breached indicators (the raw ranking score)."""
        return self.breaches(X) @ self.weights_

    def decision_function(self, X) -> np.ndarray:
        """Weighted breaches minus half the maximum: positive exactly when ``predict`` flags.

        Centred so that scikit-learn's convention (``predict`` is the positive class where the
        decision function is > 0) holds; the ranking is that of :meth:`breach_score`.
        """
        return self.breach_score(X) - self.weights_.sum() / 2

    def predict_proba(self, X) -> np.ndarray:
        """``[1 - p, p]`` with ``p`` = weighted breaches over the maximum possible, in [0, 1].

        ``p`` is a *ranking score*, not a calibrated probability: it grows with every breach.
        """
        score = self.breach_score(X)
        total = self.weights_.sum()
        p = score / total if total > 0 else np.zeros_like(score)
        if len(self.classes_) == 1:
            return np.ones((len(p), 1))
        return np.column_stack([1 - p, p])

    def predict(self, X) -> np.ndarray:
        """The positive class when more than half the weighted indicators are breached."""
        proba = self.predict_proba(X)
        if proba.shape[1] == 1:
            return np.full(len(proba), self.classes_[0])
        return self.classes_[(proba[:, 1] > 0.5).astype(int)]
