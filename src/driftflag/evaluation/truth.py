"""How well a ranking finds *true* drift, on a synthetic LA whose truth is known.

A label (a future milestone, an audit finding) is a noisy stand-in for what QA leads want ranked:
the cases an audit this month would find drifting. The synthetic LA writes that truth beside its
returns (``truth/drift_monthly.parquet``: ``child_id``, ``as_of``, ``p_drift``, the probability
that an audit this month finds drift). These metrics judge a scored panel against it:

* **expected AUC against p_drift**: every child-month is a positive with weight ``p`` and a
  negative with weight ``1 - p``; the AUC a model would get, on average, against the findings of
  audits of every open case. Pairs of a child-month with itself are left out (an audit has one
  finding). The **best achievable** is the same computed with ``p_drift`` as the score: no ranking
  can do better on average, and it is well below 1 because drift is a probability, not a fact.
* **top-k mean true drift** per month: the mean ``p_drift`` of the model's k highest scores,
  against the best possible k (the k highest ``p_drift``), all open cases, and a random sample of
  k (what the worklist's random control sample finds).
* **capture of achievable lift** per month: ``(top_k - all_open) / (best_k - all_open)``, the
  share of the improvement over auditing at random that the list achieves; averaged over the
  last months (6 by default) as the headline.

Ties in the score are broken at random *in expectation*: tied cases straddling the k-th place each
count with the share of places left, so a coarse score (the rule baseline) is judged fairly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from driftflag.evaluation._errors import EvaluationError

__all__ = [
    "TruthReport",
    "expected_auc",
    "monthly_top_k_truth",
    "read_truth",
    "top_k_mean",
    "truth_report",
]

#: Cases on the monthly list the headline figures judge (the worklist's default length).
DEFAULT_K = 40
#: Months at the end of the scored panel over which capture of achievable lift is averaged.
DEFAULT_LAST_MONTHS = 6


def expected_auc(scores, p_drift) -> float:
    """Expected AUC of ``scores`` against outcomes drawn with probabilities ``p_drift``.

    ``sum_{i != j} p_i (1 - p_j) K(s_i, s_j) / sum_{i != j} p_i (1 - p_j)`` with ``K`` = 1 when
    ``s_i > s_j`` and 1/2 on a tie. O(n log n): group equal scores, then count negative weight
    below each group; the self-pairs (a tie of a row with itself) are taken out at the end.
    NaN when there is no positive or no negative weight.
    """
    s = np.asarray(scores, dtype=float).ravel()
    p = np.asarray(p_drift, dtype=float).ravel()
    if len(s) != len(p):
        raise EvaluationError(f"scores has {len(s)} rows but p_drift has {len(p)}")
    if len(s) == 0:
        raise EvaluationError("no rows to evaluate")
    if np.isnan(s).any() or np.isnan(p).any() or (p < 0).any() or (p > 1).any():
        raise EvaluationError("scores and p_drift must be numbers, p_drift within [0, 1]")
    values, inverse = np.unique(s, return_inverse=True)
    pos = np.bincount(inverse, weights=p, minlength=len(values))
    neg = np.bincount(inverse, weights=1.0 - p, minlength=len(values))
    neg_below = np.concatenate([[0.0], np.cumsum(neg)[:-1]])
    self_pairs = float(np.sum(p * (1.0 - p)))
    num = float(np.sum(pos * neg_below) + 0.5 * np.sum(pos * neg)) - 0.5 * self_pairs
    den = float(pos.sum() * neg.sum()) - self_pairs
    if den <= 0:
        return float("nan")
    return num / den


def top_k_mean(scores, p_drift, k: int) -> float:
    """Mean ``p_drift`` of the ``k`` highest scores, ties at the cut shared in expectation."""
    s = np.asarray(scores, dtype=float).ravel()
    p = np.asarray(p_drift, dtype=float).ravel()
    n = len(s)
    if n == 0:
        return float("nan")
    k = min(int(k), n)
    if k <= 0:
        raise EvaluationError("k must be at least 1")
    order = np.argsort(-s, kind="stable")
    cut = s[order[k - 1]]
    above = s > cut
    tied = s == cut
    n_above = int(above.sum())
    share = (k - n_above) / int(tied.sum())
    return float((p[above].sum() + share * p[tied].sum()) / k)


def monthly_top_k_truth(scored: pd.DataFrame, k: int = DEFAULT_K, random_state: int = 0) -> pd.DataFrame:
    """Per month: ``n_open``, ``top_k``, ``best_k``, ``all_open``, ``random_k`` and ``capture``.

    ``scored`` has ``as_of``, ``score`` and ``p_drift`` (one row per open child-month). ``random_k``
    is one draw of k cases, as the worklist's control sample would be; ``capture`` is NaN in a
    month where the best k are no better than all open cases.
    """
    rng = np.random.default_rng(random_state)
    rows = []
    for month, g in scored.groupby("as_of", sort=True):
        s, p = g["score"].to_numpy(float), g["p_drift"].to_numpy(float)
        kk = min(k, len(g))
        top, best, mean = top_k_mean(s, p, kk), top_k_mean(p, p, kk), float(p.mean())
        rand = float(p[rng.choice(len(p), kk, replace=False)].mean())
        lift = best - mean
        rows.append({"as_of": month, "n_open": len(g), "top_k": top, "best_k": best,
                     "all_open": mean, "random_k": rand,
                     "capture": (top - mean) / lift if lift > 1e-12 else float("nan")})
    return pd.DataFrame(rows, columns=["as_of", "n_open", "top_k", "best_k", "all_open", "random_k",
                                       "capture"])


@dataclass(frozen=True)
class TruthReport:
    """A scored panel judged against the truth: a few headline figures and the monthly table."""

    expected_auc: float
    best_auc: float
    capture: float
    top_k: float
    best_k: float
    all_open: float
    random_k: float
    k: int
    months: tuple[str, ...]
    n_rows: int
    n_unmatched: int
    monthly: pd.DataFrame

    def metrics(self, prefix: str = "truth_") -> dict[str, float]:
        """The headline figures as a flat dict for MLflow and reports (a handful, not hundreds)."""
        return {f"{prefix}expected_auc": self.expected_auc, f"{prefix}best_auc": self.best_auc,
                f"{prefix}top{self.k}_capture": self.capture,
                f"{prefix}top{self.k}_mean_drift": self.top_k,
                f"{prefix}best{self.k}_mean_drift": self.best_k,
                f"{prefix}all_open_mean_drift": self.all_open,
                f"{prefix}random{self.k}_mean_drift": self.random_k}


def truth_report(
    scores: pd.DataFrame,
    truth: pd.DataFrame,
    *,
    k: int = DEFAULT_K,
    last_months: int = DEFAULT_LAST_MONTHS,
    random_state: int = 0,
) -> TruthReport:
    """Judge ``scores`` (``child_id``, ``as_of``, ``score``) against ``truth`` (``child_id``,
    ``as_of``, ``p_drift``).

    Child-months scored but absent from the truth are counted in ``n_unmatched`` and left out
    (the truth covers open CIN episodes; a store may count a few more as open). The AUCs pool
    every matched month; the top-k figures are the means over the last ``last_months`` months.
    """
    need_s, need_t = {"child_id", "as_of", "score"}, {"child_id", "as_of", "p_drift"}
    if need_s - set(scores.columns) or need_t - set(truth.columns):
        raise EvaluationError("scores need child_id, as_of, score; truth needs child_id, as_of, p_drift")
    left = scores[["child_id", "as_of", "score"]].assign(
        child_id=lambda d: d["child_id"].astype(str), as_of=lambda d: pd.to_datetime(d["as_of"]))
    right = truth[["child_id", "as_of", "p_drift"]].assign(
        child_id=lambda d: d["child_id"].astype(str), as_of=lambda d: pd.to_datetime(d["as_of"]))
    m = left.merge(right.drop_duplicates(["child_id", "as_of"]), on=["child_id", "as_of"], how="inner")
    if m.empty:
        raise EvaluationError("no scored child-month is in the truth panel: check the as-of dates")
    monthly = monthly_top_k_truth(m, k=k, random_state=random_state)
    tail = monthly.tail(last_months)
    return TruthReport(
        expected_auc=expected_auc(m["score"], m["p_drift"]),
        best_auc=expected_auc(m["p_drift"], m["p_drift"]),
        capture=float(tail["capture"].mean()), top_k=float(tail["top_k"].mean()),
        best_k=float(tail["best_k"].mean()), all_open=float(tail["all_open"].mean()),
        random_k=float(tail["random_k"].mean()), k=k,
        months=tuple(pd.Timestamp(x).date().isoformat() for x in tail["as_of"]),
        n_rows=len(m), n_unmatched=len(left) - len(m), monthly=monthly,
    )


def read_truth(truth_dir: Path) -> pd.DataFrame | None:
    """The synthetic LA's monthly truth (``<truth_dir>/drift_monthly.parquet``), or None when the
    folder holds none (a real council's data has no truth)."""
    path = Path(truth_dir) / "drift_monthly.parquet"
    if not path.is_file():
        return None
    return pd.read_parquet(path, columns=["child_id", "as_of", "p_drift"])
