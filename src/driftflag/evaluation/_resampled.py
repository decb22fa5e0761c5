"""The metric table's metrics on a bootstrap resample, from row multiplicities, without re-sorting.

Why: a resample of the panel's rows (children drawn with replacement) is the original rows, each
taken ``c`` times (``c = bincount(indices)``). Every metric in the table is a weighted sum over
rows ordered by score, so a row taken ``c`` times is the row once with its weight multiplied by
``c``. The orders (by list, score, label and child; by score alone) are computed once per model
and fold; each replicate is then a few linear passes instead of lexsorts of four keys,
factorisations of child ids and sklearn's sorts (the bootstrap was the largest cost of training).

The figures equal those of :func:`driftflag.evaluation._table._all_metrics` on the resampled rows
up to floating-point summation order (``tests/evaluation/test_eval_resampled.py`` compares them
on random inputs with hypothesis). It assumes what the table guarantees: labels 0/1 and at most
one row per child in each list (the table's rows are unique per fold, month and child).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from driftflag.evaluation._errors import EvaluationError
from driftflag.evaluation._scores import DEFAULT_CALIBRATION_BINS
from driftflag.evaluation._topk import TopKCounts, resolve_k

__all__ = ["ResampledMetrics"]


class ResampledMetrics:
    """One model's rows of one fold, prepared once; :meth:`metrics` scores a resample of them."""

    def __init__(self, y: np.ndarray, s: np.ndarray, w: np.ndarray, lists: np.ndarray,
                 ids: np.ndarray, k: int | float):
        self.y = np.asarray(y, dtype=float)
        self.s = np.asarray(s, dtype=float)
        self.w = np.asarray(w, dtype=float)
        self.k = k
        self.lists = pd.factorize(np.asarray(lists))[0]
        self.n_lists = int(self.lists.max()) + 1 if len(self.lists) else 0
        tb = pd.factorize(np.asarray(ids, dtype=object), sort=True)[0]
        # the two tie cases of top_k_counts: negatives first among tied scores (worst), positives
        # first (best); both orders are also "by list, score descending" for the expected case
        self.order_worst = np.lexsort((tb, self.y, -self.s, self.lists))
        self.order_best = np.lexsort((tb, -self.y, -self.s, self.lists))
        self.order_score = np.argsort(-self.s, kind="stable")
        edges = np.linspace(0.0, 1.0, DEFAULT_CALIBRATION_BINS + 1)
        clipped = np.clip(self.s, 0, 1)
        self.bins = np.clip(np.searchsorted(edges, clipped, side="right") - 1, 0,
                            DEFAULT_CALIBRATION_BINS - 1)
        self.clipped = clipped

    @staticmethod
    def usable(y: np.ndarray) -> bool:
        """Whether the fast path applies: every label 0 or 1 (sklearn's binary metrics)."""
        y = np.asarray(y, dtype=float)
        return bool(np.isin(y, (0.0, 1.0)).all())

    def metrics(self, counts: np.ndarray) -> dict[str, float]:
        """Estimate of every metric of the table on the resample that takes row i ``counts[i]`` times."""
        c = np.asarray(counts, dtype=float)
        wc = self.w * c
        if (wc < 0).any() or np.isnan(wc).any():
            raise EvaluationError("sample weights must be non-negative numbers")
        tk = self.top_k(c)
        out = {"precision_at_k": tk.precision("expected"), "recall_at_k": tk.recall("expected")}
        out["roc_auc"], out["average_precision"] = self._ranking(c, wc)
        present = c > 0
        ys, ws = self.y[present], wc[present]
        out["brier"] = float(np.average((self.s[present] - ys) ** 2, weights=ws))
        out["ece"] = self._ece(present, wc)
        return out

    def top_k(self, c: np.ndarray) -> TopKCounts:
        """:func:`~driftflag.evaluation.top_k_counts` of the resample (lists cut within each)."""
        list_sizes = np.bincount(self.lists, weights=c, minlength=self.n_lists).astype(np.int64)
        k = self.k
        if isinstance(k, (float, np.floating)) and not isinstance(k, bool):
            k_per_list = np.array([resolve_k(float(k), int(m)) if m else 0 for m in list_sizes],
                                  dtype=np.int64)
        else:
            resolve_k(k, int(list_sizes.max()))  # validates k
            k_per_list = np.minimum(int(k), list_sizes)
        yw = self.y * self.w

        def _flagged(order: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            """Copies of each row (in ``order``) on its list, and the rank of its first copy."""
            cc = c[order]
            lo = self.lists[order]
            before = np.cumsum(cc) - cc
            offsets = np.r_[0, np.cumsum(list_sizes)[:-1]]
            rank = before - offsets[lo]
            taken = np.clip(k_per_list[lo] - rank, 0, cc)
            return taken, rank

        taken_w, rank_w = _flagged(self.order_worst)
        taken_b, _ = _flagged(self.order_best)
        ow, ob = self.order_worst, self.order_best

        # expected case: the k-th highest score of each list is the row whose copies span rank k-1
        cc = c[ow]
        lo = self.lists[ow]
        kk = k_per_list[lo]
        at_cut = (cc > 0) & (rank_w <= kk - 1) & (kk - 1 < rank_w + cc)
        thresholds = np.full(self.n_lists, np.nan)
        thresholds[lo[at_cut]] = self.s[ow][at_cut]
        t_row = thresholds[self.lists]
        above = self.s > t_row
        tied = self.s == t_row
        n_above = np.bincount(self.lists, weights=above * c, minlength=self.n_lists)
        n_tied = np.bincount(self.lists, weights=tied * c, minlength=self.n_lists)
        share = np.where(n_tied > 0, (k_per_list - n_above) / np.maximum(n_tied, 1), 0.0)
        p_in = above + tied * share[self.lists]
        straddles = (n_tied > 1) & (n_above + n_tied > k_per_list)
        return TopKCounts(
            tp_worst=float((yw[ow] * taken_w).sum()),
            tp_best=float((yw[ob] * taken_b).sum()),
            tp_expected=float((yw * p_in * c).sum()),
            flagged_worst=float((self.w[ow] * taken_w).sum()),
            flagged_best=float((self.w[ob] * taken_b).sum()),
            flagged_expected=float((self.w * p_in * c).sum()),
            positives=float((yw * c).sum()),
            n_flagged=int(k_per_list.sum()),
            n_tied_at_cut=int(n_tied[straddles].sum()),
        )

    def _ranking(self, c: np.ndarray, wc: np.ndarray) -> tuple[float, float]:
        """ROC AUC and average precision as sklearn computes them (one point per distinct score)."""
        o = self.order_score[wc[self.order_score] > 0]  # sklearn leaves out rows of weight 0
        if len(o) == 0:
            return float("nan"), float("nan")
        y, w, s = self.y[o], wc[o], self.s[o]
        tps_all = np.cumsum(y * w)
        fps_all = np.cumsum((1.0 - y) * w)
        last = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]
        tps, fps = tps_all[last], fps_all[last]
        one_class = len(np.unique(y)) < 2
        auc = float("nan")
        if not one_class:
            fpr = np.r_[0.0, fps] / fps[-1]
            tpr = np.r_[0.0, tps] / tps[-1]
            auc = float(np.trapezoid(tpr, fpr))
        ap = float("nan")
        if (y * w).sum() > 0:
            ps = tps + fps
            precision = np.divide(tps, ps, out=np.zeros_like(tps), where=ps != 0)
            recall = tps / tps[-1]
            ap = float(np.sum(np.diff(np.r_[0.0, recall]) * precision))
        return auc, ap

    def _ece(self, present: np.ndarray, wc: np.ndarray) -> float:
        b, wp = self.bins[present], wc[present]
        n_bins = DEFAULT_CALIBRATION_BINS
        wsum = np.bincount(b, weights=wp, minlength=n_bins)
        filled = wsum > 0
        total = wsum[filled].sum()
        if total <= 0:
            return float("nan")
        mean_p = np.bincount(b, weights=wp * self.clipped[present], minlength=n_bins)[filled] / wsum[filled]
        obs = np.bincount(b, weights=wp * self.y[present], minlength=n_bins)[filled] / wsum[filled]
        return float((wsum[filled] / total * np.abs(obs - mean_p)).sum())
