"""Ranking and calibration metrics, all accepting sample weights.

Weights matter because audit labels are a biased sample: targeted audits pick cases a rule
already suspected. Weighting each audited case by ``1 / inclusion_probability`` (Horvitz-Thompson)
estimates what the metric would be over all open cases.

Expected calibration error (ECE) uses **fixed, equal-width bins** on [0, 1] (10 by default, the
last bin closed on the right): ``ECE = sum_b (W_b / W) * |mean_w(y in b) - mean_w(p in b)|``
where ``W_b`` is the weight in bin ``b``. Equal-width bins are chosen over equal-mass bins so
that ECE is comparable between models and months (the bins do not move with the scores); empty
bins contribute nothing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from driftflag.evaluation._errors import EvaluationError

__all__ = [
    "roc_auc",
    "average_precision",
    "brier_score",
    "expected_calibration_error",
    "reliability_curve",
    "DEFAULT_CALIBRATION_BINS",
]

#: Number of equal-width probability bins for ECE and reliability curves.
DEFAULT_CALIBRATION_BINS = 10


def _prepare(y_true, scores, sample_weight):
    y = np.asarray(y_true, dtype=float).ravel()
    s = np.asarray(scores, dtype=float).ravel()
    if len(y) != len(s):
        raise EvaluationError(f"y_true has {len(y)} rows but scores has {len(s)}")
    if len(y) == 0:
        raise EvaluationError("no rows to evaluate")
    w = None if sample_weight is None else np.asarray(sample_weight, dtype=float).ravel()
    if w is not None and len(w) != len(y):
        raise EvaluationError(f"sample_weight has {len(w)} rows, expected {len(y)}")
    return y, s, w


def _one_class(y, w) -> bool:
    mask = np.ones(len(y), bool) if w is None else w > 0
    return len(np.unique(y[mask])) < 2


def roc_auc(y_true, scores, sample_weight=None) -> float:
    """Area under the ROC curve (sklearn's), NaN when only one class is present."""
    from sklearn.metrics import roc_auc_score

    y, s, w = _prepare(y_true, scores, sample_weight)
    if _one_class(y, w):
        return float("nan")
    return float(roc_auc_score(y, s, sample_weight=w))


def average_precision(y_true, scores, sample_weight=None) -> float:
    """Average precision (area under the precision-recall step curve), NaN without positives."""
    from sklearn.metrics import average_precision_score

    y, s, w = _prepare(y_true, scores, sample_weight)
    if (y * (np.ones_like(y) if w is None else w)).sum() <= 0:
        return float("nan")
    return float(average_precision_score(y, s, sample_weight=w))


def brier_score(y_true, scores, sample_weight=None) -> float:
    """Weighted mean squared difference between predicted probability and outcome."""
    y, s, w = _prepare(y_true, scores, sample_weight)
    return float(np.average((s - y) ** 2, weights=w))


def reliability_curve(
    y_true, scores, sample_weight=None, *, n_bins: int = DEFAULT_CALIBRATION_BINS
) -> pd.DataFrame:
    """Per-bin predicted versus observed rates, the data of a calibration plot.

    One row per equal-width bin (empty bins included, with NaN rates): ``bin_lower``,
    ``bin_upper``, ``n`` (cases), ``weight``, ``mean_predicted``, ``observed_rate``.
    """
    y, s, w = _prepare(y_true, scores, sample_weight)
    if n_bins < 1:
        raise EvaluationError(f"n_bins must be at least 1; got {n_bins}")
    if ((s < 0) | (s > 1)).any():
        raise EvaluationError("calibration needs probabilities in [0, 1]")
    w = np.ones_like(y) if w is None else w
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    b = np.clip(np.searchsorted(edges, s, side="right") - 1, 0, n_bins - 1)
    n = np.bincount(b, minlength=n_bins)
    wsum = np.bincount(b, weights=w, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_p = np.bincount(b, weights=w * s, minlength=n_bins) / wsum
        obs = np.bincount(b, weights=w * y, minlength=n_bins) / wsum
    return pd.DataFrame({
        "bin_lower": edges[:-1], "bin_upper": edges[1:], "n": n.astype(np.int64), "weight": wsum,
        "mean_predicted": np.where(wsum > 0, mean_p, np.nan),
        "observed_rate": np.where(wsum > 0, obs, np.nan),
    })


def expected_calibration_error(
    y_true, scores, sample_weight=None, *, n_bins: int = DEFAULT_CALIBRATION_BINS
) -> float:
    """ECE over fixed equal-width bins (see the module docstring for the formula)."""
    curve = reliability_curve(y_true, scores, sample_weight, n_bins=n_bins)
    filled = curve[curve["weight"] > 0]
    total = filled["weight"].sum()
    if total <= 0:
        return float("nan")
    gap = (filled["observed_rate"] - filled["mean_predicted"]).abs()
    return float((filled["weight"] / total * gap).sum())
