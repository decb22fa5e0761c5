"""The statistics behind the monitor, each small enough to check by hand.

All work on aggregates (bin counts, a percentile sketch), never on a stored copy of the
reference rows: the reference can then be logged to MLflow with no child-level data in it.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "benjamini_hochberg", "bin_counts", "chi2_counts", "ks_against_sketch", "psi",
    "ks_pvalue", "quantile_edges", "two_proportion",
]

#: Percentiles kept in the reference sketch for the KS test. 1-99, not 0 and 100: the extremes
#: would be single children's values.
SKETCH_PERCENTILES = np.arange(1, 100, dtype=float)


def quantile_edges(values: np.ndarray, bins: int) -> np.ndarray:
    """Inner edges of ``bins`` equal-frequency bins (deciles for 10); duplicates dropped.

    The outer bins are open (``-inf`` and ``+inf``), so a current value outside the reference
    range still lands in a bin. Heavily tied data (a count that is mostly 0) gives fewer bins.
    """
    if len(values) == 0:
        return np.array([], dtype=float)
    qs = np.quantile(values, np.arange(1, bins) / bins)
    return np.unique(qs)


def bin_counts(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts in the bins ``(-inf, e1], (e1, e2], ..., (ek, inf)``: ``len(edges) + 1`` of them."""
    idx = np.searchsorted(np.asarray(edges, dtype=float), values, side="left")
    return np.bincount(idx, minlength=len(edges) + 1)


def psi(reference: np.ndarray, current: np.ndarray, floor: float = 1e-4) -> float:
    """Population stability index of two count (or share) vectors over the same bins.

    ``sum((c - r) * ln(c / r))`` with the shares floored at ``floor`` so that an empty bin gives a
    large but finite value. 0 when either side is empty (nothing to compare).
    """
    r = np.asarray(reference, dtype=float)
    c = np.asarray(current, dtype=float)
    if r.sum() <= 0 or c.sum() <= 0:
        return 0.0
    r = np.clip(r / r.sum(), floor, None)
    c = np.clip(c / c.sum(), floor, None)
    return float(np.sum((c - r) * np.log(c / r)))


def chi2_counts(reference: np.ndarray, current: np.ndarray, min_expected: float = 5.0) -> tuple[float, float]:
    """Chi-squared test of homogeneity of two count vectors (2 x k table): ``(statistic, p)``.

    Cells whose expected current count is below ``min_expected`` are pooled into one cell (and
    that cell into the smallest other one if it is still too small), the usual validity rule. With
    fewer than two cells left there is nothing to test: ``(0.0, 1.0)``.
    """
    from scipy.stats import chi2_contingency

    r = np.asarray(reference, dtype=float)
    c = np.asarray(current, dtype=float)
    if r.sum() <= 0 or c.sum() <= 0:
        return 0.0, 1.0
    expected = (r + c) * c.sum() / (r.sum() + c.sum())
    small = expected < min_expected
    cols_r, cols_c = list(r[~small]), list(c[~small])
    if small.any():
        pr, pc = r[small].sum(), c[small].sum()
        pe = expected[small].sum()
        if pe < min_expected and cols_r:
            j = int(np.argmin(np.add(cols_r, cols_c)))
            cols_r[j] += pr
            cols_c[j] += pc
        else:
            cols_r.append(pr)
            cols_c.append(pc)
    table = np.array([cols_r, cols_c])
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        return 0.0, 1.0
    res = chi2_contingency(table, correction=False)
    return float(res.statistic), float(res.pvalue)


def _sketch_cdf(quantiles: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reference CDF at ``x`` and just below ``x``, from the percentile sketch.

    Linear between distinct percentile values. A value held by several percentiles is an atom
    (many children with the same number of days, say): the CDF jumps there, from the lowest of
    those percentiles (less one) to the highest. Below the 1st percentile it is 0, above the 99th 1.
    """
    q = np.asarray(quantiles, dtype=float)
    p = SKETCH_PERCENTILES / 100.0
    uq, first = np.unique(q, return_index=True)
    _, last_rev = np.unique(q[::-1], return_index=True)
    right = p[len(q) - 1 - last_rev]                        # highest percentile at each value
    ties = (len(q) - 1 - last_rev) - first
    left = np.where(ties > 0, np.clip(p[first] - 0.01, 0, None), p[first])
    i = np.searchsorted(uq, x, side="right") - 1
    inside = (i >= 0) & (i < len(uq) - 1)
    ii = np.clip(i, 0, len(uq) - 2) if len(uq) > 1 else np.zeros_like(i)
    exact = (i >= 0) & (uq[np.clip(i, 0, None)] == x)
    hi = np.where(i < 0, 0.0, np.where(x > uq[-1], 1.0, right[np.clip(i, 0, None)]))
    if len(uq) > 1:
        frac = (x - uq[ii]) / (uq[ii + 1] - uq[ii])
        between = right[ii] + frac * (left[ii + 1] - right[ii])
        hi = np.where(inside & ~exact, between, hi)
    lo = np.where(exact, left[np.clip(i, 0, None)], hi)
    return hi, lo


def ks_against_sketch(quantiles: np.ndarray, n_reference: int, current: np.ndarray) -> tuple[float, float]:
    """Two-sample Kolmogorov-Smirnov test with the reference held as a percentile sketch.

    The statistic is ``max |F_current - F_reference|`` over the current values (both sides of each
    jump), with ``F_reference`` interpolated from the 1st-99th percentiles, so it matches the
    exact two-sample statistic to within about one percentile. The p-value is the exact
    one-sample KS distribution at the effective size ``n m / (n + m)``, as scipy's asymptotic
    two-sample test does. Ties (whole days) make it conservative, not liberal.
    """
    x = np.sort(np.asarray(current, dtype=float))
    n = len(x)
    if n == 0 or n_reference == 0:
        return 0.0, 1.0
    f_ref, f_ref_lo = _sketch_cdf(quantiles, x)
    ecdf_hi = np.searchsorted(x, x, side="right") / n
    ecdf_lo = np.searchsorted(x, x, side="left") / n
    d = float(max(np.max(np.abs(ecdf_hi - f_ref)), np.max(np.abs(ecdf_lo - f_ref_lo))))
    return d, ks_pvalue(d, n_reference, n)


def ks_pvalue(d: float, n_reference: int, n_current: int) -> float:
    """P-value of a two-sample KS statistic ``d`` at the effective size ``n m / (n + m)``."""
    from scipy.stats import kstwo

    if n_reference <= 0 or n_current <= 0:
        return 1.0
    n_eff = max(1, int(round(n_current * n_reference / (n_current + n_reference))))
    return float(kstwo.sf(d, n_eff))


def two_proportion(k1: int, n1: int, k2: int, n2: int) -> float:
    """Two-sided p-value that two proportions ``k1/n1`` and ``k2/n2`` are equal (pooled z-test)."""
    from scipy.stats import norm

    if n1 == 0 or n2 == 0:
        return 1.0
    pooled = (k1 + k2) / (n1 + n2)
    se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 1.0
    z = (k2 / n2 - k1 / n1) / se
    return float(2 * norm.sf(abs(z)))


def benjamini_hochberg(pvalues: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (NaN stays NaN and is not counted as a test)."""
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if m == 0:
        return out
    pv = p[ok]
    order = np.argsort(pv, kind="stable")
    ranked = pv[order] * m / np.arange(1, m + 1)
    adj = np.minimum.accumulate(ranked[::-1])[::-1]
    res = np.empty(m)
    res[order] = np.clip(adj, 0, 1)
    out[ok] = res
    return out
