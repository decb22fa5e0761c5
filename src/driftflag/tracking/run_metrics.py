"""Which metric keys a training run logs: a few dozen a data scientist can chart, not hundreds.

Why: a key per (metric, fold, interval end) gave ~280 one-bar charts. MLflow's own conventions
are a time series per metric (``step``) and one summary value per key. So a run logs

* **per fold, as steps**: ``fold/<metric>`` with ``step`` = the fold's position in time (the
  fold names are in the run's ``driftflag.folds`` tag, ``0=2024-07,1=2024-10,...``);
* **one summary set, pooled over the folds**, with its bootstrap interval: ``<metric>``,
  ``<metric>_lo``, ``<metric>_hi``; the paired difference from the rule baseline for the
  metrics the gate reads (``<metric>_vs_baseline[_lo|_hi]``; recall@k is left out: with a fixed
  k it moves with precision@k); precision@k under worst and best tie-breaking;
* a few figures against a synthetic LA's truth (``truth_*``).

Everything else (each fold's intervals, counts) stays in the run's ``metrics/metric_table.csv``.
:func:`summary_figures` reads a run's metrics under these names, also for runs logged before
(``<metric>.pooled.low`` and so on), so the gate can judge an old champion.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["FOLD_PREFIX", "MAX_METRIC_KEYS", "fold_series", "summary_figures", "summary_metrics",
           "truth_summary"]

#: what a training run may log at most (a test counts the keys of a real run)
MAX_METRIC_KEYS = 40
FOLD_PREFIX = "fold/"
_METRICS = ("precision_at_k", "recall_at_k", "roc_auc", "average_precision", "brier", "ece")
_VS_BASELINE = ("precision_at_k", "roc_auc", "average_precision")
_TIES = ("precision_at_k",)
_TRUTH_KEEP = re.compile(r"^truth_(expected_auc|best_auc|top\d+_capture)$")
_LEGACY = re.compile(r"^(?P<metric>[a-z_]+)\.pooled(?:\.(?P<part>low|high|worst|best|diff_vs_baseline|"
                     r"diff_low|diff_high))?$")
_LEGACY_PART = {None: "", "low": "_lo", "high": "_hi", "worst": "_worst", "best": "_best",
                "diff_vs_baseline": "_vs_baseline", "diff_low": "_vs_baseline_lo",
                "diff_high": "_vs_baseline_hi"}


def _ok(v: Any) -> bool:
    return v is not None and not (isinstance(v, float) and math.isnan(v))


def summary_metrics(table: Any, model: str) -> dict[str, float]:
    """The pooled summary of ``model`` in a :class:`~driftflag.evaluation.MetricTable`."""
    from driftflag.evaluation import POOLED

    frame = table.to_frame()
    rows = frame[(frame["model"] == model) & (frame["fold"] == POOLED)]
    out: dict[str, float] = {}
    for r in rows.itertuples(index=False):
        if r.metric not in _METRICS:
            continue
        cols = {"": r.estimate, "_lo": r.low, "_hi": r.high}
        if r.metric in _VS_BASELINE:
            cols |= {"_vs_baseline": r.diff_vs_baseline, "_vs_baseline_lo": r.diff_low,
                     "_vs_baseline_hi": r.diff_high}
        if r.metric in _TIES:
            cols |= {"_worst": r.worst, "_best": r.best}
        out |= {f"{r.metric}{suffix}": float(v) for suffix, v in cols.items() if _ok(v)}
    return out


def fold_series(table: Any, model: str) -> tuple[list[tuple[str, float, int]], list[str]]:
    """``([(key, value, step), ...], fold names in step order)``: each metric fold by fold."""
    from driftflag.evaluation import POOLED

    frame = table.to_frame()
    rows = frame[(frame["model"] == model) & (frame["fold"] != POOLED)]
    folds = sorted(str(f) for f in rows["fold"].unique())
    step = {f: i for i, f in enumerate(folds)}
    series = [(f"{FOLD_PREFIX}{r.metric}", float(r.estimate), step[str(r.fold)])
              for r in rows.itertuples(index=False) if r.metric in _METRICS and _ok(r.estimate)]
    return series, folds


def truth_summary(truth_metrics: Mapping[str, float] | None) -> dict[str, float]:
    """The few figures against a synthetic LA's truth that a run logs (the card shows them all)."""
    return {k: float(v) for k, v in (truth_metrics or {}).items() if _TRUTH_KEEP.match(k) and _ok(float(v))}


def summary_figures(metrics: Mapping[str, float]) -> dict[str, float]:
    """A run's summary metrics under the current names, whichever driftflag logged them."""
    out = {}
    for k, v in metrics.items():
        m = _LEGACY.match(k)
        if m and m.group("metric") in _METRICS:
            out.setdefault(m.group("metric") + _LEGACY_PART[m.group("part")], float(v))
    out |= {k: float(v) for k, v in metrics.items() if not k.startswith(FOLD_PREFIX) and "." not in k}
    return out
