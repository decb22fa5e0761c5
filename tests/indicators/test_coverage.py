"""The coverage table (feature x month) and the rule that keeps training to covered features."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from driftflag.indicators import load_registry, panel
from driftflag.indicators.coverage import (
    COVERAGE_MIN_RATIO,
    coverage_of,
    covered_features,
    feature_coverage,
)

from .stores import make_store

MONTHS = pd.date_range("2024-01-01", periods=6, freq="MS")


def _panel(n: int = 40) -> pd.DataFrame:
    """``always``: every case; ``late``: only from the 4th month (a source starting then);
    ``rare``: one case in ten every month (a feature that applies to few)."""
    rows = []
    for k, m in enumerate(MONTHS):
        for i in range(n):
            rows.append({"child_id": f"C{i}", "as_of": m, "always": 1.0,
                         "late": float(i) if k >= 3 else np.nan,
                         "rare": 1.0 if i % 10 == 0 else np.nan})
    return pd.DataFrame(rows)


def test_coverage_is_the_share_of_open_cases_with_a_value_each_month():
    cov = feature_coverage(_panel(), ["always", "late", "rare"])
    assert list(cov.columns) == [str(m.date()) for m in MONTHS]
    assert (cov.loc["always"] == 1.0).all()
    assert list(cov.loc["late"]) == [0, 0, 0, 1, 1, 1]
    assert np.allclose(cov.loc["rare"], 0.1)
    assert (cov.loc["open_cases"] == 40).all()


def test_a_feature_missing_in_the_training_months_is_dropped_and_says_why():
    d = covered_features(_panel(), ["always", "late", "rare"], MONTHS[:4])
    assert d.kept == ["always", "rare"]
    assert set(d.dropped) == {"late"}
    assert "25% of open cases" in d.dropped["late"] and "none on 2024-01-01" in d.dropped["late"]
    assert d.reference_month == "2024-06-01" and d.min_ratio == COVERAGE_MIN_RATIO
    # trained only where the source covers: kept
    assert covered_features(_panel(), ["late"], MONTHS[3:5]).kept == ["late"]


def test_a_rare_feature_with_an_empty_month_in_a_small_council_is_kept():
    p = _panel(n=20)
    p.loc[(p["as_of"] == MONTHS[0]), "rare"] = np.nan  # 2 cases expected: too few to judge
    assert covered_features(p, ["rare"], MONTHS[:4]).kept == ["rare"]


def test_panel_returns_its_coverage_table():
    store = make_store(cp_plans=[{"child_id": "A", "start_date": "2024-01-15"}],
                       referrals=[{"child_id": "B", "referral_date": "2023-12-01"}],
                       visits=[{"child_id": "A", "visit_date": "2024-02-20", "visit_type": "CP",
                                "known_from": "2024-02-29"}])
    reg = load_registry()
    p = panel(store, "2024-01-01", "2024-04-01", registry=reg)
    cov = coverage_of(p)
    assert cov is not None
    pd.testing.assert_frame_equal(cov, feature_coverage(p, reg.model_features()), check_names=False)
    # the visit is known from the extract of 29 February: not available before March
    assert list(cov.loc["days_since_last_visit"]) == [0.0, 0.0, 0.5, 0.5]
    assert list(cov.loc["open_cases"]) == [1.0, 2.0, 2.0, 2.0]


@pytest.mark.parametrize("months", [[], ["2030-01-01"]])
def test_no_training_months_keeps_everything(months):
    assert covered_features(_panel(), ["late"], months).kept == ["late"]
