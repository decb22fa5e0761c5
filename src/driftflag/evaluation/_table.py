"""``MetricTable``: every model's metrics per test fold and pooled, computed once, with views.

Built from a tidy frame of test-set predictions, one row per (model, fold, as_of, child_id)::

    model | fold | as_of | child_id | y_true | score [| weight]

All models must be scored on the same rows (the same test cases), which makes the comparison
*paired*: each bootstrap resample is drawn once per fold and used for every model, so the
interval of "model minus baseline" accounts for the two being scored on the same children.

Top-k metrics cut the list **within each month** (``as_of``) of a fold, as the monthly worklist
is cut, and sum the counts over months. "Pooled" pools every fold's rows (children that appear in
several folds are one cluster in the bootstrap).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from driftflag.evaluation._bootstrap import resample_indices
from driftflag.evaluation._errors import EvaluationError
from driftflag.evaluation._resampled import ResampledMetrics
from driftflag.evaluation._scores import (
    average_precision,
    brier_score,
    expected_calibration_error,
    roc_auc,
)
from driftflag.evaluation._topk import top_k_counts

__all__ = ["MetricTable", "POOLED", "METRICS"]

#: Fold label of the metrics computed over all folds together.
POOLED = "pooled"

#: Metrics in the table, in display order.
METRICS = (
    "precision_at_k",
    "recall_at_k",
    "roc_auc",
    "average_precision",
    "brier",
    "ece",
)

_REQUIRED = ("model", "fold", "child_id", "y_true", "score")


def _all_metrics(y, s, w, lists, ids, k) -> dict[str, tuple[float, float, float]]:
    """(estimate, worst, best) per metric; worst/best equal the estimate outside top-k."""
    c = top_k_counts(y, s, k, sample_weight=w, list_ids=lists, tiebreak_ids=ids)
    out = {
        "precision_at_k": (c.precision("expected"), c.precision("worst"), c.precision("best")),
        "recall_at_k": (c.recall("expected"), c.recall("worst"), c.recall("best")),
    }
    for name, fn in (("roc_auc", roc_auc), ("average_precision", average_precision),
                     ("brier", brier_score), ("ece", expected_calibration_error)):
        v = fn(y, np.clip(s, 0, 1) if name == "ece" else s, w)
        out[name] = (v, v, v)
    return out


@dataclass(frozen=True)
class MetricTable:
    """Metrics with bootstrap intervals per model and fold; build with :meth:`from_predictions`.

    ``frame`` is the long table (one row per model, fold and metric) that every view reads.
    """

    frame: pd.DataFrame
    k: int | float
    baseline: str | None
    n_boot: int
    alpha: float
    meta: dict = field(default_factory=dict)

    @classmethod
    def from_predictions(
        cls,
        predictions: pd.DataFrame,
        *,
        k: int | float,
        baseline: str | None = None,
        n_boot: int = 200,
        alpha: float = 0.05,
        random_state: int = 0,
    ) -> MetricTable:
        """Compute every metric for every model, per fold and pooled, with paired bootstrap CIs.

        ``weight`` (optional) holds sample weights, e.g. inverse-probability weights of audit
        labels. ``as_of`` (optional) names the monthly list each row belongs to.
        """
        missing = [c for c in _REQUIRED if c not in predictions.columns]
        if missing:
            raise EvaluationError(f"predictions lack column(s): {', '.join(missing)}")
        df = predictions.copy()
        if "as_of" not in df.columns:
            df["as_of"] = "all"
        if "weight" not in df.columns:
            df["weight"] = 1.0
        df["fold"] = df["fold"].astype(str)
        models = sorted(df["model"].astype(str).unique())
        if baseline is not None and baseline not in models:
            raise EvaluationError(f"baseline {baseline!r} is not among the models {models}")
        keys = ["fold", "as_of", "child_id"]
        wide = df.pivot_table(index=keys, columns="model", values="score", aggfunc="first")
        if wide.isna().any().any():
            raise EvaluationError("every model must be scored on the same rows (fold, as_of, child_id)")
        first = df.drop_duplicates(keys).set_index(keys).loc[wide.index]
        rows: list[dict] = []
        folds = sorted(wide.index.get_level_values("fold").unique())
        for fold in [*folds, POOLED]:
            mask = np.ones(len(wide), bool) if fold == POOLED else \
                (wide.index.get_level_values("fold") == fold)
            y = first["y_true"].to_numpy(float)[mask]
            w = first["weight"].to_numpy(float)[mask]
            fold_ids = wide.index.get_level_values("fold").to_numpy()[mask]
            as_of = wide.index.get_level_values("as_of").astype(str).to_numpy()[mask]
            lists = pd.factorize(pd.Series(fold_ids).astype(str) + "|" + as_of)[0]
            ids = wide.index.get_level_values("child_id").astype(str).to_numpy()[mask]
            scores = {m: wide[m].to_numpy(float)[mask] for m in models}
            point = {m: _all_metrics(y, scores[m], w, lists, ids, k) for m in models}
            draws = {m: {name: [] for name in METRICS} for m in models}
            fast = ResampledMetrics.usable(y)
            prepared = {m: ResampledMetrics(y, scores[m], w, lists, ids, k) for m in models} if fast else {}
            for idx in resample_indices(y, ids, n_boot=n_boot, random_state=random_state):
                counts = np.bincount(idx, minlength=len(y)) if fast else None
                for m in models:
                    try:
                        if fast:
                            est = prepared[m].metrics(counts)
                        else:
                            res = _all_metrics(y[idx], scores[m][idx], w[idx], lists[idx], ids[idx], k)
                            est = {name: res[name][0] for name in METRICS}
                    except EvaluationError:
                        est = {name: np.nan for name in METRICS}
                    for name in METRICS:
                        draws[m][name].append(est[name])
            q = (alpha / 2, 1 - alpha / 2)
            for m in models:
                for name in METRICS:
                    d = np.asarray(draws[m][name], float)
                    lo, hi = _interval(d, q)
                    est, worst, best = point[m][name]
                    row = {"model": m, "fold": fold, "metric": name, "estimate": est,
                           "low": lo, "high": hi, "worst": worst, "best": best,
                           "n": int(mask.sum()), "n_positive": int((y > 0).sum()),
                           "base_rate": float(np.average(y, weights=w)) if w.sum() > 0 else np.nan,
                           "diff_vs_baseline": np.nan, "diff_low": np.nan, "diff_high": np.nan}
                    if baseline is not None and m != baseline:
                        base = np.asarray(draws[baseline][name], float)
                        row["diff_vs_baseline"] = est - point[baseline][name][0]
                        row["diff_low"], row["diff_high"] = _interval(d - base, q)
                    rows.append(row)
        frame = pd.DataFrame(rows)
        return cls(frame=frame, k=k, baseline=baseline, n_boot=n_boot, alpha=alpha,
                   meta={"folds": folds, "models": models, "random_state": random_state})

    def to_frame(self) -> pd.DataFrame:
        """The long table: model, fold, metric, estimate, low, high, worst, best, counts, diffs."""
        return self.frame.copy()

    def compare(self, model: str, baseline: str | None = None) -> pd.DataFrame:
        """Model and baseline side by side: one row per (fold, metric)."""
        baseline = baseline or self.baseline
        if baseline is None:
            raise EvaluationError("no baseline given")
        cols = ["fold", "metric", "estimate", "low", "high"]
        a = self.frame[self.frame["model"] == model][[*cols, "diff_vs_baseline", "diff_low", "diff_high"]]
        b = self.frame[self.frame["model"] == baseline][cols]
        if a.empty or b.empty:
            raise EvaluationError(f"unknown model {model!r} or baseline {baseline!r}")
        out = a.merge(b, on=["fold", "metric"], suffixes=(f"_{model}", f"_{baseline}"))
        return out.reset_index(drop=True)

    def value(self, model: str, metric: str, fold: str = POOLED, column: str = "estimate") -> float:
        """One number from the table, e.g. the pooled precision@k lower bound."""
        sel = self.frame[(self.frame["model"] == model) & (self.frame["metric"] == metric)
                         & (self.frame["fold"] == fold)]
        if sel.empty:
            raise EvaluationError(f"no {metric} for model {model!r} fold {fold!r}")
        return float(sel[column].iloc[0])

    def to_metrics_dict(self, model: str) -> dict[str, float]:
        """Flat ``{"<metric>.<fold>[.low|.high|.worst|.best|.diff...]": value}`` for logging."""
        out: dict[str, float] = {}
        for r in self.frame[self.frame["model"] == model].itertuples(index=False):
            stem = f"{r.metric}.{r.fold}"
            for col in ("estimate", "low", "high", "worst", "best", "diff_vs_baseline",
                        "diff_low", "diff_high"):
                v = getattr(r, col)
                if v is not None and not (isinstance(v, float) and np.isnan(v)):
                    out[stem if col == "estimate" else f"{stem}.{col}"] = float(v)
        return out

    def models(self) -> Sequence[str]:
        """Models in the table."""
        return tuple(self.meta.get("models", ()))


def _interval(draws: np.ndarray, q: tuple[float, float]) -> tuple[float, float]:
    d = draws[~np.isnan(draws)]
    if len(d) == 0:
        return float("nan"), float("nan")
    lo, hi = np.quantile(d, q)
    return float(lo), float(hi)
