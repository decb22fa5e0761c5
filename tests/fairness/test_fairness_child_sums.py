"""The bootstrap's group sums from each child's summed cases equal the sums over every case.

``compute_group_stats`` sums each child's cases (months) once and resamples children; the
reference below is the earlier computation, one row per case, each weighing as often as its
child is drawn. Same draws, same metrics, to 1e-12, on random pooled caseloads.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from driftflag.fairness import FairnessConfig
from driftflag.fairness._caseload import prepare_caseload
from driftflag.fairness._metrics import (
    _CHUNK,
    _auc_weighted,
    _metrics_from_sums,
    _quantities,
    _sorted_groups,
    compute_group_stats,
)

DIMS = ("ethnicity", "sex", "age_band", "disability", "ethnicity_by_age")


def _reference(cl, n_bootstrap: int, random_state: int, auc_dims: tuple[str, ...]):
    """Point and bootstrap metrics with one row per case (the computation before)."""
    F = _quantities(cl, None, None)
    nq = F.shape[1]
    point, boot = {}, {}
    rng = np.random.default_rng(random_state)
    n_clusters = int(cl.cluster.max()) + 1
    Ms = []
    done = 0
    while done < n_bootstrap:
        b = min(_CHUNK, n_bootstrap - done)
        idx = rng.integers(0, n_clusters, size=(b, n_clusters))
        Mc = np.stack([np.bincount(row, minlength=n_clusters) for row in idx])
        Ms.append(Mc[:, cl.cluster].astype(float))
        done += b
    M = np.vstack(Ms)
    for dim, cat in cl.groups.items():
        codes = np.asarray(cat.codes)
        ng = len(cat.categories)
        S = np.zeros((ng, nq))
        SB = np.zeros((n_bootstrap, ng, nq))
        for g in range(ng):
            rows = codes == g
            S[g] = F[rows].sum(axis=0)
            SB[:, g, :] = M[:, rows] @ F[rows]
        point[dim] = _metrics_from_sums(S)
        boot[dim] = _metrics_from_sums(SB)
    for d in auc_dims:
        boot[d]["auc"] = np.column_stack([
            _auc_weighted(M[:, rows] * w[None, :], pos, neg, starts, ends)
            for (pos, neg, starts, ends, w, rows) in _sorted_groups(cl, d)])
    return point, boot


def _caseload(seed: int, n_children: int, months: int):
    rng = np.random.default_rng(seed)
    rows = []
    for m in range(months):
        present = rng.random(n_children) < 0.8
        ids = np.flatnonzero(present)
        rows.append(pd.DataFrame({
            "child_id": [f"C{i:04d}" for i in ids],
            "as_of": pd.Timestamp("2025-01-01") + pd.DateOffset(months=m),
            "score": rng.choice([0.1, 0.2, 0.5, 0.9], size=len(ids)) + rng.random(len(ids)) * 0.01,
            "label": np.where(rng.random(len(ids)) < 0.1, np.nan,
                              (rng.random(len(ids)) < 0.3).astype(float)),
            # a child's ethnicity and sex stay; the age band may move between months
            "audit_ethnicity": np.array(["WBRI", "BAFR", "APKN", "MWBC", None],
                                        dtype=object)[ids % 5],
            "audit_sex": np.where(ids % 2 == 0, "F", "M"),
            "audit_age_band": rng.choice(["1-4", "5-9", "10-15", "16-17"], size=len(ids)),
            "audit_disability": ids % 7 == 0,
            "audit_uasc": ids % 13 == 0,
        }))
    return pd.concat(rows, ignore_index=True)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n_children=st.integers(5, 60), months=st.integers(1, 4),
       n_bootstrap=st.integers(1, 230))
def test_child_sums_equal_case_sums(seed, n_children, months, n_bootstrap):
    frame = _caseload(seed, n_children, months)
    cl = prepare_caseload(frame, FairnessConfig(dimensions=DIMS, k=0.2))
    stats = compute_group_stats(cl, n_bootstrap=n_bootstrap, random_state=seed,
                                auc_dimensions=("ethnicity",))
    point, boot = _reference(cl, n_bootstrap, seed, ("ethnicity",))
    for dim in cl.groups:
        for metric, expected in point[dim].items():
            np.testing.assert_allclose(stats.point[dim][metric].to_numpy(), expected,
                                       rtol=1e-12, atol=1e-12, equal_nan=True)
        for metric, expected in boot[dim].items():
            np.testing.assert_allclose(stats.boot[dim][metric], expected, rtol=1e-12,
                                       atol=1e-12, equal_nan=True, err_msg=f"{dim} {metric}")
