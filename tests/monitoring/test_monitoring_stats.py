"""The statistics, checked against hand calculations and scipy's exact versions."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import false_discovery_control, ks_2samp

from driftflag.monitoring import benjamini_hochberg, psi
from driftflag.monitoring._stats import (
    SKETCH_PERCENTILES,
    bin_counts,
    chi2_counts,
    ks_against_sketch,
    quantile_edges,
    two_proportion,
)


def test_psi_by_hand():
    # shares 0.5/0.5 -> 0.25/0.75: (0.25-0.5) ln(0.5) + (0.75-0.5) ln(1.5)
    expected = -0.25 * np.log(0.5) + 0.25 * np.log(1.5)
    assert psi([50, 50], [25, 75]) == pytest.approx(expected)
    assert psi([10, 20, 30], [1, 2, 3]) == pytest.approx(0.0)
    assert psi([10, 0], [0, 10]) > 10  # empty bins are floored, so finite but very large
    assert np.isfinite(psi([10, 0], [0, 10]))


def test_decile_edges_have_open_ends_and_collapse_on_ties():
    x = np.arange(1, 101, dtype=float)
    edges = quantile_edges(x, 10)
    assert len(edges) == 9
    counts = bin_counts(np.array([-1e9, 5.0, 1e9]), edges)
    assert counts.tolist()[0] == 2 and counts.tolist()[-1] == 1 and counts.sum() == 3
    mostly_zero = np.r_[np.zeros(95), np.arange(1, 6)]
    assert quantile_edges(mostly_zero, 10).tolist() == [0.0]


def test_benjamini_hochberg_matches_scipy_and_skips_nan():
    p = np.array([0.01, 0.04, 0.03, 0.2, np.nan, 0.001])
    got = benjamini_hochberg(p)
    assert np.isnan(got[4])
    ok = ~np.isnan(p)
    np.testing.assert_allclose(got[ok], false_discovery_control(p[ok], method="bh"))


@pytest.mark.parametrize("shift", [0.0, 0.15, 0.4])
@pytest.mark.parametrize("kind", ["normal", "whole_days", "atom"])
def test_ks_from_the_percentile_sketch_matches_exact_ks(kind, shift):
    rng = np.random.default_rng(7)
    if kind == "normal":
        ref, cur = rng.normal(size=6000), rng.normal(shift, 1, size=600)
    elif kind == "whole_days":
        ref, cur = np.round(rng.exponential(20, 6000)), np.round(rng.exponential(20 * (1 + shift), 600))
    else:
        ref = np.where(rng.random(6000) < 0.4, 0.1, rng.random(6000))
        cur = np.where(rng.random(600) < 0.4 - shift / 2, 0.1, rng.random(600))
    d, p = ks_against_sketch(np.percentile(ref, SKETCH_PERCENTILES), len(ref), cur)
    exact = ks_2samp(ref, cur)
    assert d == pytest.approx(exact.statistic, abs=0.012)
    assert (p < 0.05) == (exact.pvalue < 0.05) or abs(exact.pvalue - 0.05) < 0.03


def test_chi2_pools_sparse_cells_and_detects_a_change():
    stat, p = chi2_counts(np.array([900, 90, 9, 1]), np.array([90, 9, 1, 0]))
    assert p > 0.5
    _, p2 = chi2_counts(np.array([900, 100]), np.array([50, 50]))
    assert p2 < 1e-6
    assert chi2_counts(np.array([10]), np.array([5])) == (0.0, 1.0)


def test_two_proportion():
    assert two_proportion(10, 100, 10, 100) == pytest.approx(1.0)
    assert two_proportion(100, 1000, 40, 100) < 1e-6
    assert two_proportion(0, 0, 1, 10) == 1.0
