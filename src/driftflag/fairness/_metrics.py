"""Group metrics at the worklist threshold and on the scores, with vectorised bootstrap intervals.

Point estimates come from fairlearn's :class:`~fairlearn.metrics.MetricFrame` (one per dimension
for selection, over all open cases, and one for the label-based metrics, over labelled cases).
The bootstrap does **not** call fairlearn 1,000 times: it resamples children once into a
multiplicity matrix ``M`` (replicates x cases) and gets every group's weighted sums for every
replicate as one matrix product ``M @ X``, where ``X`` holds the per-case quantities behind the
metrics spread over one-hot group columns. The same sums on the full data reproduce the
MetricFrame point estimates (checked on every build), so the intervals and the estimates are
the same statistics.

The worklist is held fixed across replicates (an interval conditional on the lists actually
produced). Children are resampled as clusters, not rows: in a pooled back-test one child appears
in many monthly caseloads, and its rows move together, so repeated children do not make the
intervals narrower than the evidence (``design-notes.md`` section 3).

AUC by group (how well the scores rank a group's cases with the outcome above those without)
is computed from the same multiplicities on pre-sorted scores (:func:`group_auc`).

fairlearn's ``false_negative_rate`` returns 0 for a group with no positives (a degenerate group,
``ml-anchors-and-tooling.md`` §4.1); here every undefined rate is NaN and shown as such.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from driftflag.fairness._caseload import Caseload
from driftflag.fairness._errors import ScoredCaseloadError

__all__ = ["GroupStats", "check_against_metric_frames", "compute_group_stats", "metric_frames"]

# Per-case quantities summed by group (columns of X before one-hot spreading).
_Q = ("n", "n_selected", "w_labelled", "w_positive", "w_selected", "w_tp", "w_score",
      "n_labelled", "n_positive", "n_selected_labelled", "n_tp", "n_fp", "history_contrib",
      "n_history", "n_entered_care",
      "n_entered_care_selected")
_QI = {q: i for i, q in enumerate(_Q)}
_CHUNK = 100


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den > 0 else float("nan")


# Light weighted metric functions for MetricFrame (numpy only: sklearn's validation costs ~1 ms a
# call, which over ~100 groups x 8 metrics dominated a report). Tests check them against
# sklearn's precision_score / recall_score and fairlearn's rate functions.
def _base_rate(y_true, y_pred, sample_weight):
    w = np.asarray(sample_weight, dtype=float)
    return _ratio(float(w @ np.asarray(y_true, dtype=float)), float(w.sum()))


def _precision(y_true, y_pred, sample_weight):
    w = np.asarray(sample_weight, dtype=float)
    p = np.asarray(y_pred, dtype=float)
    return _ratio(float((w * p) @ np.asarray(y_true, dtype=float)), float(w @ p))


def _fdr(y_true, y_pred, sample_weight):
    return 1.0 - _precision(y_true, y_pred, sample_weight)


def _recall(y_true, y_pred, sample_weight):
    w = np.asarray(sample_weight, dtype=float)
    y = np.asarray(y_true, dtype=float)
    return _ratio(float((w * y) @ np.asarray(y_pred, dtype=float)), float(w @ y))


def _fnr(y_true, y_pred, sample_weight):
    return 1.0 - _recall(y_true, y_pred, sample_weight)


def _fpr(y_true, y_pred, sample_weight):
    w = np.asarray(sample_weight, dtype=float)
    neg = 1.0 - np.asarray(y_true, dtype=float)
    return _ratio(float((w * neg) @ np.asarray(y_pred, dtype=float)), float(w @ neg))


def metric_frames(cl: Caseload, dimension: str):
    """The two fairlearn MetricFrames of one dimension: (all open cases, labelled cases).

    The first holds ``selection_rate`` over every open case; the second the label-based
    metrics with the cases' ``sample_weight``. Every metric here is a ratio of weighted counts,
    so MetricFrame is given the *sufficient statistics*: one row per (group, label, listed)
    cell carrying the summed weight (and summed weighted score). The results are exactly the
    row-level weighted metrics (tests compare with a MetricFrame on the raw rows) at a
    thousandth of the cost: fairlearn re-stacks every argument row by row for each metric and
    group, which took seconds per report on a real caseload.
    """
    from fairlearn.metrics import MetricFrame

    g = np.asarray(cl.groups[dimension].astype(str))
    sel = cl.selected.astype(int)
    cells = pd.DataFrame({"group": g, "sel": sel}).groupby(["group", "sel"], sort=True).size()
    cells = cells.reset_index(name="count")
    mf_all = MetricFrame(
        metrics={"selection_rate": _weighted_selection_rate},
        y_true=np.zeros(len(cells), dtype=int), y_pred=cells["sel"].to_numpy(),
        sensitive_features=pd.Series(cells["group"].to_numpy(), name=dimension),
        sample_params={"selection_rate": {"sample_weight": cells["count"].to_numpy(float)}})
    lab = cl.labelled
    if not lab.any():
        return mf_all, None
    frame = pd.DataFrame({"group": g[lab], "y": cl.label[lab].astype(int), "sel": sel[lab],
                          "w": cl.weight[lab], "ws": cl.weight[lab] * cl.predicted[lab]})
    agg = frame.groupby(["group", "y", "sel"], sort=True)[["w", "ws"]].sum().reset_index()
    w = agg["w"].to_numpy(float)
    ws = agg["ws"].to_numpy(float)
    metrics = {
        "base_rate": _base_rate, "precision": _precision, "false_discovery_rate": _fdr,
        "recall": _recall, "false_negative_rate": _fnr, "false_positive_rate": _fpr,
        "mean_score": _mean_score_from_sums, "observed_to_predicted": _obs_to_pred_from_sums,
    }
    params = {m: {"sample_weight": w} for m in metrics}
    params["mean_score"] = {"sample_weight": w, "weighted_score": ws}
    params["observed_to_predicted"] = {"sample_weight": w, "weighted_score": ws}
    mf_lab = MetricFrame(metrics=metrics, y_true=agg["y"].to_numpy(), y_pred=agg["sel"].to_numpy(),
                         sensitive_features=pd.Series(agg["group"].to_numpy(), name=dimension),
                         sample_params=params)
    return mf_all, mf_lab


def _weighted_selection_rate(y_true, y_pred, sample_weight):
    w = np.asarray(sample_weight, dtype=float)
    return _ratio(float(w @ np.asarray(y_pred, dtype=float)), float(w.sum()))


def _mean_score_from_sums(y_true, y_pred, sample_weight, weighted_score):
    return _ratio(float(np.sum(weighted_score)), float(np.sum(sample_weight)))


def _obs_to_pred_from_sums(y_true, y_pred, sample_weight, weighted_score):
    return _ratio(_base_rate(y_true, y_pred, sample_weight),
                  _mean_score_from_sums(y_true, y_pred, sample_weight, weighted_score))


def _quantities(cl: Caseload, history_contrib: np.ndarray | None,
                entered_care: np.ndarray | None) -> np.ndarray:
    """Per-case quantities (cases x len(_Q)) whose group sums give every metric."""
    n = cl.n
    sel = cl.selected.astype(float)
    w = cl.weight
    y = np.where(cl.labelled, cl.label, 0.0)
    F = np.zeros((n, len(_Q)))
    F[:, _QI["n"]] = 1.0
    F[:, _QI["n_selected"]] = sel
    F[:, _QI["w_labelled"]] = w
    F[:, _QI["w_positive"]] = w * y
    F[:, _QI["w_selected"]] = w * sel
    F[:, _QI["w_tp"]] = w * y * sel
    F[:, _QI["w_score"]] = w * cl.predicted
    F[:, _QI["n_labelled"]] = cl.labelled
    F[:, _QI["n_positive"]] = cl.labelled & (y == 1)
    F[:, _QI["n_selected_labelled"]] = cl.labelled & cl.selected
    F[:, _QI["n_tp"]] = cl.labelled & cl.selected & (y == 1)
    F[:, _QI["n_fp"]] = cl.labelled & cl.selected & (y == 0)
    if history_contrib is not None:
        ok = ~np.isnan(history_contrib)
        F[:, _QI["history_contrib"]] = np.where(ok, history_contrib, 0.0)
        F[:, _QI["n_history"]] = ok
    if entered_care is not None:
        F[:, _QI["n_entered_care"]] = entered_care
        F[:, _QI["n_entered_care_selected"]] = entered_care & cl.selected
    return F


def _metrics_from_sums(S: np.ndarray) -> dict[str, np.ndarray]:
    """Every metric from group sums ``S[..., q]`` (any leading shape); NaN where undefined."""
    def q(name):
        return S[..., _QI[name]]

    def div(a, b):
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(b > 0, a / np.where(b > 0, b, 1.0), np.nan)

    base = div(q("w_positive"), q("w_labelled"))
    prec = div(q("w_tp"), q("w_selected"))
    rec = div(q("w_tp"), q("w_positive"))
    mean_score = div(q("w_score"), q("w_labelled"))
    out = {
        "base_rate": base,
        "selection_rate": div(q("n_selected"), q("n")),
        "precision": prec,
        "false_discovery_rate": 1.0 - prec,
        "recall": rec,
        "false_negative_rate": 1.0 - rec,
        "false_positive_rate": div(q("w_selected") - q("w_tp"), q("w_labelled") - q("w_positive")),
        "mean_score": mean_score,
        "observed_to_predicted": div(base, mean_score),
        "selection_to_need": div(div(q("n_selected"), q("n")), base),
        "history_contrib_mean": div(q("history_contrib"), q("n_history")),
        "recall_entered_care": div(q("n_entered_care_selected"), q("n_entered_care")),
    }
    return out


@dataclass(frozen=True)
class GroupStats:
    """Sums and metrics of every group of every dimension, full data and bootstrap replicates.

    ``point[dim]`` is a DataFrame indexed by group (counts and metrics); ``boot[dim][metric]``
    an array (replicates x groups).
    """

    point: dict[str, pd.DataFrame]
    boot: dict[str, dict[str, np.ndarray]]
    n_bootstrap: int


def compute_group_stats(cl: Caseload, *, n_bootstrap: int, random_state: int,
                        history_contrib: np.ndarray | None = None,
                        entered_care: np.ndarray | None = None,
                        auc_dimensions: tuple[str, ...] = ()) -> GroupStats:
    """Group sums for every dimension on the data and on ``n_bootstrap`` resamples of children.

    One design matrix ``X`` (children x groups*quantities over all dimensions: each child's
    cases summed, as the bootstrap resamples children) is built once; the replicates' sums are
    ``M @ X`` in chunks of 100 replicates, with ``M`` the multiplicity of each child in each
    resample (drawn with ``numpy.random.default_rng(random_state)``). Summing a child's months
    first makes ``X`` as many times smaller as there are months pooled (12 in the back-test).
    """
    F = _quantities(cl, history_contrib, entered_care)
    nq = F.shape[1]
    n_clusters = int(cl.cluster.max()) + 1 if cl.n else 0
    cluster = np.asarray(cl.cluster, dtype=np.int64)
    blocks, slices, names = [], {}, {}
    col = 0
    for dim, cat in cl.groups.items():
        codes = np.asarray(cat.codes, dtype=np.int64)
        if (codes < 0).any():
            raise ScoredCaseloadError(f"group of dimension {dim} is missing on some rows")
        ng = len(cat.categories)
        # each (child, group, quantity) cell sums that child's cases, in row order
        cell = (cluster * (ng * nq) + codes * nq)[:, None] + np.arange(nq)[None, :]
        X = np.bincount(cell.ravel(), weights=F.ravel(), minlength=n_clusters * ng * nq)
        blocks.append(X.reshape(n_clusters, ng * nq))
        slices[dim] = slice(col, col + ng * nq)
        names[dim] = list(cat.categories)
        col += ng * nq
    X = np.hstack(blocks) if blocks else np.zeros((n_clusters, 0))
    sums_full = np.ones(n_clusters) @ X
    point: dict[str, pd.DataFrame] = {}
    for dim, sl in slices.items():
        S = sums_full[sl].reshape(len(names[dim]), nq)
        frame = pd.DataFrame(S, index=pd.Index(names[dim], name="group"), columns=list(_Q))
        for m, v in _metrics_from_sums(S).items():
            frame[m] = v
        point[dim] = frame

    auc_dims = [d for d in auc_dimensions if d in cl.groups]
    sorted_groups = {d: _sorted_groups(cl, d) for d in auc_dims}
    for d in auc_dims:
        point[d]["auc"] = [_auc_weighted(w[None, :], pos, neg, starts, ends)[0]
                           for (pos, neg, starts, ends, w, _rows) in sorted_groups[d]]

    boot: dict[str, dict[str, np.ndarray]] = {dim: {} for dim in slices}
    if n_bootstrap > 0:
        rng = np.random.default_rng(random_state)
        parts: list[np.ndarray] = []
        auc_parts: dict[str, list[np.ndarray]] = {d: [] for d in auc_dims}
        done = 0
        while done < n_bootstrap:
            b = min(_CHUNK, n_bootstrap - done)
            idx = rng.integers(0, n_clusters, size=(b, n_clusters))
            flat = (idx + (np.arange(b) * n_clusters)[:, None]).ravel()
            Mc = np.bincount(flat, minlength=b * n_clusters).reshape(b, n_clusters)
            parts.append(Mc.astype(float) @ X)
            for d in auc_dims:
                # each case weighs as often as its child is drawn
                auc_parts[d].append(np.column_stack([
                    _auc_weighted(Mc[:, cluster[rows]] * w[None, :], pos, neg, starts, ends)
                    for (pos, neg, starts, ends, w, rows) in sorted_groups[d]]))
            done += b
        SB = np.vstack(parts)
        for dim, sl in slices.items():
            S = SB[:, sl].reshape(n_bootstrap, len(names[dim]), nq)
            boot[dim] = _metrics_from_sums(S)
        for d in auc_dims:
            boot[d]["auc"] = np.vstack(auc_parts[d])
    return GroupStats(point=point, boot=boot, n_bootstrap=n_bootstrap)


def _sorted_groups(cl: Caseload, dim: str):
    """Per group of ``dim``: labelled rows sorted by score, with tie blocks, for :func:`_auc`."""
    out = []
    codes = np.asarray(cl.groups[dim].codes)
    for j in range(len(cl.groups[dim].categories)):
        rows = np.flatnonzero((codes == j) & cl.labelled)
        rows = rows[np.argsort(cl.score[rows], kind="stable")]
        s = cl.score[rows]
        y = cl.label[rows]
        new = np.r_[True, s[1:] != s[:-1]] if len(s) else np.zeros(0, dtype=bool)
        block = np.cumsum(new) - 1
        first = np.flatnonzero(new)
        last = np.r_[first[1:] - 1, len(s) - 1] if len(s) else first
        out.append((y == 1, y == 0, first[block], last[block], cl.weight[rows], rows))
    return out


def _auc_weighted(W: np.ndarray, pos: np.ndarray, neg: np.ndarray, starts: np.ndarray,
                  ends: np.ndarray) -> np.ndarray:
    """Weighted AUC for each row of ``W`` (replicates x sorted cases); ties count one half.

    AUC = sum over positives of w * (negative weight below + half the tied negative weight),
    divided by (positive weight x negative weight): the Mann-Whitney statistic.
    """
    if W.shape[1] == 0:
        return np.full(W.shape[0], np.nan)
    wn = W * neg[None, :]
    wp = W * pos[None, :]
    cn = np.cumsum(wn, axis=1)
    cn0 = np.hstack([np.zeros((W.shape[0], 1)), cn])
    below = cn0[:, starts]
    tied = cn0[:, ends + 1] - below
    num = (wp * (below + 0.5 * tied)).sum(axis=1)
    den = wp.sum(axis=1) * wn.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def check_against_metric_frames(stats: GroupStats, frames: dict) -> None:
    """Raise if the vectorised sums disagree with fairlearn's MetricFrame (a programming error)."""
    for dim, (mf_all, mf_lab) in frames.items():
        p = stats.point[dim]
        a = mf_all.by_group["selection_rate"].reindex(p.index)
        if not np.allclose(a.to_numpy(float), p["selection_rate"].to_numpy(), equal_nan=True):
            raise AssertionError(f"selection rate of {dim} disagrees with MetricFrame")
        if mf_lab is None:
            continue
        for m in ("base_rate", "precision", "recall", "false_positive_rate", "mean_score"):
            v = mf_lab.by_group[m].reindex(p.index).to_numpy(float)
            mine = p[m].to_numpy()
            if not np.allclose(v, mine, equal_nan=True, rtol=1e-9, atol=1e-12):
                raise AssertionError(f"{m} of {dim} disagrees with MetricFrame")

