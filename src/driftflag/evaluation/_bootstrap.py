"""Bootstrap confidence intervals that respect repeated children and rare outcomes.

A monthly panel holds the same child in many months, so its rows are not independent: resampling
rows would understate the uncertainty. With ``clusters`` (pass ``child_id``) whole children are
resampled with replacement, taking all of their rows each time (a cluster bootstrap). Resampling
is **stratified** by outcome: clusters (or rows) that ever had the outcome are resampled
separately from those that never did, keeping the number of each fixed, so a rare outcome cannot
vanish from a resample and the base rate stays that of the data. The interval is the percentile
interval of the resampled metric; resamples where the metric is undefined (NaN) are dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np
import pandas as pd

from driftflag.evaluation._errors import EvaluationError

__all__ = ["bootstrap_ci", "resample_indices"]


def _value(result: Any, case: str) -> float:
    if hasattr(result, case):
        return float(getattr(result, case))
    return float(result)


def _ragged_index(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenate ``arange(start, start + length)`` for every pair, without a Python loop."""
    total = int(lengths.sum())
    if total == 0:
        return np.empty(0, dtype=np.int64)
    offsets = np.repeat(starts - np.r_[0, np.cumsum(lengths)[:-1]], lengths)
    return offsets + np.arange(total)


def resample_indices(
    y_true, clusters=None, *, n_boot: int, random_state: int, stratify: bool = True
) -> Iterator[np.ndarray]:
    """Yield ``n_boot`` arrays of row indices, each one stratified cluster-bootstrap resample.

    Shared by :func:`bootstrap_ci` and :class:`~driftflag.evaluation.MetricTable` so that a model
    and its baseline are scored on the *same* resamples (a paired bootstrap of their difference).
    """
    y = np.asarray(y_true, dtype=float).ravel()
    n = len(y)
    codes = np.arange(n) if clusters is None else pd.factorize(np.asarray(clusters, dtype=object))[0]
    if len(codes) != n:
        raise EvaluationError(f"clusters has {len(codes)} rows, expected {n}")
    order = np.argsort(codes, kind="stable")
    n_clusters = int(codes.max()) + 1
    lengths = np.bincount(codes, minlength=n_clusters)
    starts = np.r_[0, np.cumsum(lengths)[:-1]]
    ever_positive = np.bincount(codes, weights=(y > 0), minlength=n_clusters) > 0
    strata = [np.flatnonzero(ever_positive), np.flatnonzero(~ever_positive)] if stratify \
        else [np.arange(n_clusters)]
    strata = [st for st in strata if len(st)]
    rng = np.random.default_rng(random_state)
    for _ in range(n_boot):
        chosen = np.concatenate([st[rng.integers(0, len(st), size=len(st))] for st in strata])
        yield order[_ragged_index(starts[chosen], lengths[chosen])]


def bootstrap_ci(
    metric: Callable[..., Any],
    y_true,
    scores,
    *,
    sample_weight=None,
    clusters=None,
    row_kwargs: Mapping[str, Any] | None = None,
    n_boot: int = 500,
    alpha: float = 0.05,
    random_state: int = 0,
    stratify: bool = True,
    case: str = "expected",
) -> tuple[float, float, float]:
    """Return ``(estimate, low, high)``: the metric on all rows and its (1 - alpha) interval.

    ``metric(y_true, scores, sample_weight=..., **row_kwargs)`` may return a float or a top-k
    result, whose ``case`` attribute (worst / best / expected) is used. ``row_kwargs`` holds other
    per-row arrays the metric needs (e.g. ``{"list_ids": as_of}``); they are resampled with the
    rows. ``clusters`` groups rows that must be resampled together (``child_id``).
    """
    y = np.asarray(y_true, dtype=float).ravel()
    s = np.asarray(scores, dtype=float).ravel()
    n = len(y)
    if n == 0 or len(s) != n:
        raise EvaluationError(f"bootstrap needs equal, non-empty y_true and scores ({n}, {len(s)})")
    if n_boot < 1:
        raise EvaluationError(f"n_boot must be at least 1; got {n_boot}")
    if not 0.0 < alpha < 1.0:
        raise EvaluationError(f"alpha must be in (0, 1); got {alpha}")
    w = None if sample_weight is None else np.asarray(sample_weight, dtype=float).ravel()
    extra = {key: np.asarray(v) for key, v in (row_kwargs or {}).items()}

    def _call(idx: np.ndarray | None) -> float:
        if idx is None:
            return _value(metric(y, s, sample_weight=w, **extra), case)
        kw = {key: v[idx] for key, v in extra.items()}
        return _value(metric(y[idx], s[idx], sample_weight=None if w is None else w[idx], **kw), case)

    estimate = _call(None)

    draws = np.empty(n_boot)
    for b, idx in enumerate(resample_indices(y, clusters, n_boot=n_boot,
                                             random_state=random_state, stratify=stratify)):
        try:
            draws[b] = _call(idx)
        except EvaluationError:
            draws[b] = np.nan
    draws = draws[~np.isnan(draws)]
    if len(draws) == 0:
        return estimate, float("nan"), float("nan")
    low, high = np.quantile(draws, [alpha / 2, 1 - alpha / 2])
    return estimate, float(low), float(high)
