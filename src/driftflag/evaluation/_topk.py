"""Top-k worklist metrics with explicit tie handling (triage semantics).

A worklist is the k highest-scoring open cases of one month. When the k-th score is shared by
several cases, which of them make the list is arbitrary, so precision@k and recall@k are
reported three ways, as DSSG triage does (``ml-anchors-and-tooling.md`` §1.5):

* **worst**: among the cases tied at the cut, those without the outcome are taken first
  (positives last), the pessimistic figure a QA lead should plan with;
* **best**: positives first;
* **expected**: every tied case is equally likely to be taken (each of the ``m`` tied cases is
  in the list with probability ``r / m`` where ``r`` slots are left), the mean over random
  tie-breaks.

With ``list_ids`` the cut is applied *within* each list (one list per month, or per team), as
triage's subsets do, and counts are summed over lists (a micro-average: total flagged cases that
had the outcome over total flagged cases).

Sample weights (e.g. inverse-probability weights ``1 / inclusion_probability`` for audit labels)
weight each case's contribution to numerators and denominators; ``k`` always counts cases, not
weight. For weighted data the "expected" precision is the ratio of expected weighted counts, which
equals the expected precision exactly when weights are equal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from driftflag.evaluation._errors import EvaluationError

__all__ = ["TopKCounts", "TopKResult", "precision_at_k", "recall_at_k", "top_k_list", "resolve_k", "top_k_counts"]

_CASES = ("worst", "best", "expected")


def resolve_k(k: int | float, n: int) -> int:
    """Number of cases on a list of ``n``: an int is a count, a float in (0, 1) a share of ``n``.

    A share is rounded up (``ceil``) so that a 5% list of 30 cases holds 2 cases, never 0; a count
    larger than the list is capped at ``n``.
    """
    if isinstance(k, bool):
        raise EvaluationError(f"k must be a positive count or a share in (0, 1); got {k!r}")
    if isinstance(k, (int, np.integer)):
        if k < 1:
            raise EvaluationError(f"k must be at least 1; got {k}")
        return int(min(k, n))
    if isinstance(k, (float, np.floating)) and 0.0 < k < 1.0:
        return int(min(n, math.ceil(k * n - 1e-9)))
    raise EvaluationError(f"k must be a positive count or a share in (0, 1); got {k!r}")


@dataclass(frozen=True)
class TopKCounts:
    """Weighted counts behind precision@k / recall@k under the three tie cases.

    ``tp_*`` is the weight of flagged cases with the outcome; ``flagged_*`` the weight of flagged
    cases (identical across cases when unweighted); ``positives`` the weight of all cases with the
    outcome; ``n_flagged`` the number of cases flagged; ``n_tied_at_cut`` how many cases shared the
    k-th score of some list (0 means the three cases agree).
    """

    tp_worst: float
    tp_best: float
    tp_expected: float
    flagged_worst: float
    flagged_best: float
    flagged_expected: float
    positives: float
    n_flagged: int
    n_tied_at_cut: int

    def precision(self, case: str = "expected") -> float:
        """Precision among flagged cases for ``case`` ∈ {worst, best, expected} (NaN if none)."""
        _check_case(case)
        den = getattr(self, f"flagged_{case}")
        return float(getattr(self, f"tp_{case}") / den) if den > 0 else float("nan")

    def recall(self, case: str = "expected") -> float:
        """Share of all cases with the outcome that were flagged (NaN if there are none)."""
        _check_case(case)
        return float(getattr(self, f"tp_{case}") / self.positives) if self.positives > 0 else float("nan")


@dataclass(frozen=True)
class TopKResult:
    """A top-k metric under the three tie cases; ``worst <= expected <= best`` when unweighted."""

    worst: float
    best: float
    expected: float
    k: int
    n_tied_at_cut: int

    def __float__(self) -> float:
        return float(self.expected)


def _check_case(case: str) -> None:
    if case not in _CASES:
        raise EvaluationError(f"tie case must be one of {', '.join(_CASES)}; got {case!r}")


def _as_arrays(y_true, scores, sample_weight, list_ids, tiebreak_ids):
    y = np.asarray(y_true, dtype=float).ravel()
    s = np.asarray(scores, dtype=float).ravel()
    n = len(y)
    if len(s) != n:
        raise EvaluationError(f"y_true has {n} rows but scores has {len(s)}")
    if n == 0:
        raise EvaluationError("no rows to evaluate")
    if np.isnan(s).any() or np.isnan(y).any():
        raise EvaluationError("scores and labels must not be missing")
    w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=float).ravel()
    if len(w) != n:
        raise EvaluationError(f"sample_weight has {len(w)} rows, expected {n}")
    if (w < 0).any() or np.isnan(w).any():
        raise EvaluationError("sample weights must be non-negative numbers")
    lists = np.zeros(n, dtype=np.int64) if list_ids is None else pd.factorize(np.asarray(list_ids))[0]
    if tiebreak_ids is None:
        tb = np.arange(n)
    else:
        tb = pd.factorize(np.asarray(tiebreak_ids, dtype=object), sort=True)[0]
        if len(tb) != n:
            raise EvaluationError(f"tiebreak_ids has {len(tb)} rows, expected {n}")
    return y, s, w, lists, tb


def top_k_counts(
    y_true,
    scores,
    k: int | float,
    *,
    sample_weight=None,
    list_ids=None,
    tiebreak_ids=None,
) -> TopKCounts:
    """Weighted counts of flagged cases (and positives among them) under each tie case.

    Vectorised over lists: rows are ordered by list, score descending, then label (ascending for
    worst case, descending for best) and finally ``tiebreak_ids`` (e.g. ``child_id``) so that the
    choice *within* a class is reproducible when weights differ.
    """
    y, s, w, lists, tb = _as_arrays(y_true, scores, sample_weight, list_ids, tiebreak_ids)
    list_sizes = np.bincount(lists)
    if isinstance(k, (float, np.floating)) and not isinstance(k, bool):
        k_per_list = np.array([resolve_k(float(k), int(m)) for m in list_sizes])
    else:
        resolve_k(k, int(list_sizes.max()))  # validates k
        k_per_list = np.minimum(int(k), list_sizes)
    k_row = k_per_list[lists]
    yw = y * w

    def _selected(label_key: np.ndarray) -> np.ndarray:
        order = np.lexsort((tb, label_key, -s, lists))
        rank = np.empty(len(y), dtype=np.int64)
        sorted_lists = lists[order]
        starts = np.r_[0, np.flatnonzero(np.diff(sorted_lists)) + 1]
        first = np.repeat(starts, np.diff(np.r_[starts, len(y)]))
        rank[order] = np.arange(len(y)) - first
        return rank < k_row

    sel_worst = _selected(y)       # negatives before positives among ties
    sel_best = _selected(-y)       # positives first

    # Expected case: threshold t = k-th highest score of each list.
    order = np.lexsort((-s, lists))
    s_sorted = s[order]
    starts = np.r_[0, np.cumsum(list_sizes)[:-1]]
    thresholds = s_sorted[starts + np.maximum(k_per_list - 1, 0)]
    t_row = thresholds[lists]
    above = s > t_row
    tied = s == t_row
    n_above = np.bincount(lists, weights=above, minlength=len(list_sizes))
    n_tied = np.bincount(lists, weights=tied, minlength=len(list_sizes))
    share = np.where(n_tied > 0, (k_per_list - n_above) / np.maximum(n_tied, 1), 0.0)
    p_in = above + tied * share[lists]
    # only count lists whose tie group straddles the cut
    straddles = (n_tied > 1) & (n_above + n_tied > k_per_list)
    n_tied_at_cut = int(n_tied[straddles].sum())

    return TopKCounts(
        tp_worst=float(yw[sel_worst].sum()),
        tp_best=float(yw[sel_best].sum()),
        tp_expected=float((yw * p_in).sum()),
        flagged_worst=float(w[sel_worst].sum()),
        flagged_best=float(w[sel_best].sum()),
        flagged_expected=float((w * p_in).sum()),
        positives=float(yw.sum()),
        n_flagged=int(k_per_list.sum()),
        n_tied_at_cut=n_tied_at_cut,
    )


def precision_at_k(
    y_true, scores, k: int | float, *, sample_weight=None, list_ids=None, tiebreak_ids=None
) -> TopKResult:
    """Share of the top-k cases that had the outcome, under worst / best / expected tie-breaking.

    Example: scores ``[.9, .5, .5, .5, .1]``, labels ``[1, 1, 0, 0, 1]``, ``k=2``: the 2nd slot
    goes to one of three cases tied at .5 (one positive). Worst case 1/2, best case 2/2, expected
    ``(1 + 1/3) / 2 = 2/3``.
    """
    c = top_k_counts(y_true, scores, k, sample_weight=sample_weight, list_ids=list_ids,
                     tiebreak_ids=tiebreak_ids)
    return TopKResult(c.precision("worst"), c.precision("best"), c.precision("expected"),
                      c.n_flagged, c.n_tied_at_cut)


def recall_at_k(
    y_true, scores, k: int | float, *, sample_weight=None, list_ids=None, tiebreak_ids=None
) -> TopKResult:
    """Share of all cases with the outcome that the top-k list catches (same tie cases)."""
    c = top_k_counts(y_true, scores, k, sample_weight=sample_weight, list_ids=list_ids,
                     tiebreak_ids=tiebreak_ids)
    return TopKResult(c.recall("worst"), c.recall("best"), c.recall("expected"),
                      c.n_flagged, c.n_tied_at_cut)


def ranking_order(scores, child_ids) -> np.ndarray:
    """Row positions in list order: score descending, ties by ``child_id`` ascending (as text).

    The one definition of "the top of the list" (triage semantics): the worklist, the fairness
    back-test and the metrics all rank with it, so the same scores always give the same list.
    """
    s = np.asarray(scores, dtype=float).ravel()
    ids = np.asarray(child_ids, dtype=object).ravel()
    if len(s) != len(ids):
        raise EvaluationError(f"scores has {len(s)} rows but child_ids has {len(ids)}")
    id_rank = pd.factorize(ids.astype(str), sort=True)[0]
    return np.lexsort((id_rank, -s))


def select_top_k(scores, child_ids, k: int | float) -> np.ndarray:
    """The top-k list as a boolean mask over the rows (:func:`ranking_order`, :func:`resolve_k`)."""
    order = ranking_order(scores, child_ids)
    mask = np.zeros(len(order), dtype=bool)
    mask[order[: resolve_k(k, len(order))]] = True
    return mask


def top_k_list(scores, child_ids, k: int | float) -> pd.DataFrame:
    """The worklist: the k highest scores, ordered by score descending then ``child_id`` ascending.

    The ``child_id`` tie-break makes the list reproducible; ``tied_at_cut`` marks cases whose
    score equals the last listed score while other cases with that score were left off, so a
    reader can see where the cut was arbitrary. Columns: ``rank`` (1-based), ``child_id``,
    ``score``, ``tied_at_cut``.
    """
    s = np.asarray(scores, dtype=float).ravel()
    ids = np.asarray(child_ids, dtype=object).ravel()
    if len(s) != len(ids):
        raise EvaluationError(f"scores has {len(s)} rows but child_ids has {len(ids)}")
    if len(s) == 0:
        return pd.DataFrame({"rank": pd.Series([], dtype="int64"), "child_id": pd.Series([], dtype="str"),
                             "score": pd.Series([], dtype="float64"),
                             "tied_at_cut": pd.Series([], dtype="bool")})
    kk = resolve_k(k, len(s))
    order = ranking_order(s, ids)[:kk]
    cut = s[order[-1]]
    n_at_cut = int((s == cut).sum())
    n_listed_at_cut = int((s[order] == cut).sum())
    tied = (s[order] == cut) & (n_at_cut > n_listed_at_cut)
    return pd.DataFrame({
        "rank": np.arange(1, kk + 1, dtype=np.int64),
        "child_id": ids[order].astype(str),
        "score": s[order],
        "tied_at_cut": tied,
    })
