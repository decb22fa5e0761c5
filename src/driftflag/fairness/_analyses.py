"""The checks specific to children's social care: prior history, proxies, mitigation, tests.

* **Prior history** (``domain-requirements.md`` §3.2): Black and Asian children enter
  care with less recorded prior help, so features built on service history score them lower.
  We report the mean log-odds contribution of history features by group and recall among the
  children who later entered care.
* **Proxy check**: if the model's own features predict ethnicity well, removing ethnicity from
  the features did not remove it from the model.
* **Mitigation as analysis only**: what group-specific thresholds would change, with a
  deterministic rule (fairlearn's ``ThresholdOptimizer`` randomises at the threshold, which is
  indefensible on a worklist, ``ml-anchors-and-tooling.md`` §4.1). Never applied to the list.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from driftflag.fairness._caseload import Caseload

__all__ = ["mitigation_table", "proxy_check", "selection_test", "population_test"]


def selection_test(sel_g: int, n_g: int, sel_all: int, n_all: int) -> float:
    """p-value that a group is listed at the same rate as the rest of the caseload.

    Chi-squared on the 2x2 table (group vs rest, listed vs not), Fisher's exact test when an
    expected cell is under 5, as the councils' disproportionality tool does (chi-squared).
    """
    from scipy.stats import chi2_contingency, fisher_exact

    a, b = sel_g, n_g - sel_g
    c, d = sel_all - sel_g, (n_all - n_g) - (sel_all - sel_g)
    table = np.array([[a, b], [c, d]], dtype=float)
    if (table.sum(axis=0) == 0).any() or (table.sum(axis=1) == 0).any():
        return float("nan")
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    if (expected < 5).any():
        return float(fisher_exact(table.astype(int))[1])
    return float(chi2_contingency(table, correction=True)[1])


def population_test(count_g: int, total: int, share_g: float) -> float:
    """Two-sided exact binomial p-value that the group's share of a list equals its population
    share."""
    from scipy.stats import binomtest

    if total <= 0:
        return float("nan")
    return float(binomtest(int(count_g), int(total), float(share_g)).pvalue)


def proxy_check(cl: Caseload, features: tuple[str, ...], groups: pd.Categorical, *,
                folds: int, min_group: int, top: int, random_state: int,
                rows: np.ndarray | None = None) -> dict:
    """Cross-validated AUC with which the model's features predict each ethnic group.

    One multinomial logistic regression on standardised, median-imputed features, stratified
    ``folds``-fold CV with ``random_state``; each group's AUC is one-vs-rest on its predicted
    probability. The features carrying most of it are the largest standardised coefficients of
    that group's class in a fit on all cases. Groups with fewer than ``min_group`` cases are
    pooled into one class for fitting and not reported.
    """
    if not features:
        return {"available": False, "note": "no model features were given; proxy check not run",
                "groups": []}
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rows = np.arange(cl.n) if rows is None else np.asarray(rows)
    X = cl.frame[list(features)].iloc[rows].apply(pd.to_numeric, errors="coerce").to_numpy(
        dtype=float)
    recorded = ~np.isnan(X).all(axis=0)  # a never-recorded input says nothing about ethnicity
    X = X[:, recorded]
    features = tuple(f for f, ok in zip(features, recorded, strict=True) if ok)
    labels = np.asarray(groups.astype(str))[rows]
    counts = pd.Series(labels).value_counts()
    big = [str(g) for g in groups.categories if counts.get(str(g), 0) >= max(min_group, folds)]
    out = [{"group": str(g), "tested": False, "auc": None, "top_features": []}
           for g in groups.categories]
    if len(big) < 2:
        return {"available": True, "folds": folds, "groups": out,
                "note": "too few groups large enough to test"}
    y = np.where(np.isin(labels, big), labels, "(small groups)")
    keep = pd.Series(y).map(pd.Series(y).value_counts()).to_numpy() >= folds
    X, y = X[keep], y[keep]

    def model():
        return make_pipeline(SimpleImputer(strategy="median"), StandardScaler(),
                             LogisticRegression(max_iter=1000))

    from threadpoolctl import threadpool_limits

    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=random_state)
    with threadpool_limits(1):  # small problem: threads only contend with each other
        proba = cross_val_predict(model(), X, y, cv=cv, method="predict_proba")
        fitted = model().fit(X, y)
    classes = list(fitted[-1].classes_)
    for rec in out:
        g = rec["group"]
        if g not in big:
            continue
        j = classes.index(g)
        coef = fitted[-1].coef_[j] if fitted[-1].coef_.shape[0] > 1 else fitted[-1].coef_[0]
        order = np.argsort(-np.abs(coef), kind="stable")[:top]
        rec.update(tested=True, auc=float(roc_auc_score(y == g, proba[:, j])),
                   top_features=[{"feature": features[i], "coefficient": float(coef[i])}
                                 for i in order])
    return {"available": True, "folds": folds, "groups": out, "note": ""}


def _equal_recall_k(order_by_group: dict[str, np.ndarray], y: np.ndarray, w: np.ndarray,
                    k: int) -> dict[str, int]:
    """Cases to take from each group (in its own score order) so estimated recall is equal.

    For a target recall r each group needs the shortest prefix of its ranking reaching r; the
    largest r whose prefixes fit in k is chosen (bisection over the achievable recalls).
    """
    curves = {}
    for g, idx in order_by_group.items():
        pos = np.cumsum(w[idx] * y[idx])
        total = pos[-1] if len(pos) else 0.0
        curves[g] = pos / total if total > 0 else None
    candidates = np.unique(np.concatenate([c for c in curves.values() if c is not None] or
                                          [np.zeros(1)]))

    def need(r: float) -> dict[str, int]:
        return {g: (0 if c is None or r <= 0 else int(np.searchsorted(c, r - 1e-12) + 1))
                for g, c in curves.items()}

    lo, hi = 0, len(candidates) - 1
    best = {g: 0 for g in curves}
    while lo <= hi:
        mid = (lo + hi) // 2
        take = need(float(candidates[mid]))
        if sum(take.values()) <= k:
            best, lo = take, mid + 1
        else:
            hi = mid - 1
    return best


def mitigation_table(cl: Caseload, groups: pd.Categorical) -> pd.DataFrame:
    """Per strategy and group: cases listed, selection rate, precision and recall (unsuppressed).

    Strategies, all with the same list size k: ``as listed`` (one threshold, the production
    list); ``equal selection rate`` (each group listed in proportion to its open cases, largest
    remainder); ``equal recall`` (group thresholds giving each group about the same share of its
    drifting cases). Unfilled places go to the highest remaining scores; ties by ``child_id``.
    """
    k = int(cl.selected.sum())
    n = cl.n
    labels = np.asarray(groups.astype(str))
    ids = cl.frame["child_id"].to_numpy(dtype=str)
    id_rank = pd.factorize(ids, sort=True)[0]
    global_order = np.lexsort((id_rank, -cl.score))
    y = np.where(cl.labelled, cl.label, 0.0)
    w = cl.weight
    cats = [str(c) for c in groups.categories]
    order_by_group = {g: global_order[labels[global_order] == g] for g in cats}

    def fill(take: dict[str, int]) -> np.ndarray:
        sel = np.zeros(n, dtype=bool)
        for g, t in take.items():
            sel[order_by_group[g][:t]] = True
        rest = global_order[~sel[global_order]][: max(0, k - int(sel.sum()))]
        sel[rest] = True
        return sel

    sizes = np.array([len(order_by_group[g]) for g in cats], dtype=float)
    quota = k * sizes / sizes.sum()
    base = np.floor(quota).astype(int)
    rem = k - base.sum()
    base[np.argsort(-(quota - base), kind="stable")[:rem]] += 1
    strategies = {
        "as listed": cl.selected,
        "equal selection rate": fill(dict(zip(cats, base.tolist(), strict=True))),
        "equal recall": fill(_equal_recall_k(order_by_group, y, w, k)),
    }
    rows = []
    for name, sel in strategies.items():
        changed = int((sel != cl.selected).sum() // 2)
        tot_tp = float((w * y * sel).sum())
        for g in [*cats, "All"]:
            m = np.ones(n, dtype=bool) if g == "All" else labels == g
            wl = w[m]
            rows.append({
                "strategy": name, "group": g, "n": int(m.sum()),
                "n_selected": int(sel[m].sum()),
                "n_selected_labelled": int((sel & m & cl.labelled).sum()),
                "n_tp": int((sel & m & cl.labelled & (y == 1)).sum()),
                "n_positive": int((m & cl.labelled & (y == 1)).sum()),
                "selection_rate": float(sel[m].mean()) if m.any() else np.nan,
                "precision": float((wl * y[m] * sel[m]).sum() / (wl * sel[m]).sum())
                if (wl * sel[m]).sum() > 0 else np.nan,
                "recall": float((wl * y[m] * sel[m]).sum() / (wl * y[m]).sum())
                if (wl * y[m]).sum() > 0 else np.nan,
                "cases_changed": changed, "overall_tp_weight": tot_tp,
                "w_selected": float((wl * sel[m]).sum()),
                "w_tp": float((wl * y[m] * sel[m]).sum()),
                "w_positive": float((wl * y[m]).sum()),
            })
    return pd.DataFrame(rows)


def pooled_mitigation_table(cl: Caseload, groups: pd.Categorical) -> pd.DataFrame:
    """:func:`mitigation_table` of a back-test: each strategy applied to each month's list (of
    that month's size), counts summed over the months and rates recomputed from the sums.

    Without periods (one month) it is :func:`mitigation_table` itself."""
    periods = np.unique(cl.period)
    if len(periods) <= 1:
        return mitigation_table(cl, groups)
    parts = []
    for p in periods:
        idx = np.flatnonzero(cl.period == p)
        sub = Caseload(cl.frame.iloc[idx].reset_index(drop=True),
                       {"_": groups[idx]})
        parts.append(mitigation_table(sub, groups[idx]))
    both = pd.concat(parts, ignore_index=True)
    keys = ["strategy", "group"]
    summed = both.groupby(keys, sort=False)[[
        "n", "n_selected", "n_selected_labelled", "n_tp", "n_positive", "cases_changed",
        "overall_tp_weight", "w_selected", "w_tp", "w_positive"]].sum().reset_index()
    with np.errstate(all="ignore"):
        summed["selection_rate"] = summed["n_selected"] / summed["n"].where(summed["n"] > 0)
        summed["precision"] = summed["w_tp"] / summed["w_selected"].where(
            summed["w_selected"] > 0)
        summed["recall"] = summed["w_tp"] / summed["w_positive"].where(summed["w_positive"] > 0)
    return summed
