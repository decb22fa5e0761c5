"""Shared scored caseloads (built once per session: the synthetic LA takes seconds)."""

from __future__ import annotations

import pytest

from .data_for_test import FEATURES, scored_caseload

BENCH = {"children": 30000, "years": 8, "month": "2025-03-01", "k": 0.1}


@pytest.fixture(scope="session")
def small_scored():
    """A small LA (about 1,800 open cases) with a quarter of cases unlabelled, weighted."""
    return scored_caseload(labelled_share=0.75)


@pytest.fixture(scope="session")
def bench_scored():
    """The benchmark-size LA, unbiased."""
    return scored_caseload(seed=1, **BENCH)


@pytest.fixture(scope="session")
def biased_scored():
    """Same size, generated with --bias label:Black:0.6."""
    return scored_caseload(seed=1, bias="label:Black:0.6", **BENCH)


@pytest.fixture(scope="session")
def small_report(small_scored):
    from driftflag.fairness import FairnessConfig, build_fairness_report

    cfg = FairnessConfig(feature_columns=FEATURES, n_bootstrap=100, random_state=0,
                         model_label="test model v1", month="2025-03")
    return build_fairness_report(small_scored, cfg)
