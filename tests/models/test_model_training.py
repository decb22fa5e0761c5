"""train_models on a small synthetic LA's feature panel: folds, baseline comparison, no leakage."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from driftflag.models import ModelSpec, TemporalConfig, load_specs
from driftflag.models.training import prepare_features, train_models

pytestmark = pytest.mark.slow
MODELS_DIR = Path(__file__).resolve().parents[2] / "models"


CFG = TemporalConfig(feature_start=date(2023, 4, 1), feature_end=date(2026, 3, 31), n_folds=3)


@pytest.fixture(scope="module")
def panel_and_labels(synthetic_la):
    from driftflag.indicators import panel
    from driftflag.targets import future_drift

    res = synthetic_la(children=800, years=4, seed=3)
    p = panel(res.store, "2023-04-01", "2026-03-01")
    return p, future_drift(res.store, cohort=p[["child_id", "as_of"]])


@pytest.fixture(scope="module")
def trained(panel_and_labels):
    from driftflag.indicators import load_registry

    p, labels = panel_and_labels
    specs = load_specs(MODELS_DIR, ["rule_baseline", "logistic_scorecard", "lightgbm"])
    return train_models(p, labels, specs, CFG, registry=load_registry(), k=10, n_boot=20), p


#: A synthetic LA starts from nothing: nobody has left care in its first years, so the care
#: leaver indicators (903 OC3, from the 17th birthday after leaving care) have no records in the
#: early training months of a 4-year LA and are dropped for coverage, as they should be.
CARE_LEAVER = {"care_leaver_not_in_touch", "care_leaver_unsuitable_accommodation"}


def test_attrs_change_nothing_and_refit_false_only_skips_the_final_fits(panel_and_labels, trained):
    """Training reads a view of the panel without its ``attrs`` (pandas deep-copies them into every
    slice): the same results as from a panel without them, and the caller's panel keeps them.
    ``refit=False`` gives the same folds and no final models."""
    import pandas as pd

    from driftflag.indicators import load_registry

    p, labels = panel_and_labels
    result, _ = trained
    assert p.attrs.get("coverage"), "the panel should carry its coverage table"
    bare = p.copy()
    bare.attrs = {}
    specs = load_specs(MODELS_DIR, ["rule_baseline", "logistic_scorecard", "lightgbm"])
    again = train_models(bare, labels, specs, CFG, registry=load_registry(), k=10, n_boot=20,
                         refit=False)
    assert again.final_models == {}
    pd.testing.assert_frame_equal(again.predictions, result.predictions, check_exact=True)
    pd.testing.assert_frame_equal(again.open_case_scores, result.open_case_scores, check_exact=True)
    pd.testing.assert_frame_equal(again.metric_table.frame, result.metric_table.frame, check_exact=True)
    assert p.attrs.get("coverage")


def test_a_full_history_covers_every_training_month(trained):
    result, _ = trained
    dropped = result.meta["dropped_features"]
    assert set(dropped) <= CARE_LEAVER, dropped
    assert result.meta["coverage_reference_month"] == "2026-03-01"


def test_features_whose_source_starts_late_are_left_out_and_named(panel_and_labels):
    """Visits known only from 2025 (as with Annex A extracts from 2025): training months before
    see none, so the visit features are dropped, named, and absent from every model."""
    from driftflag.indicators import load_registry

    p, labels = panel_and_labels
    p = p.copy()
    early = p["as_of"] < "2025-01-01"
    p.loc[early, ["days_since_last_visit", "visit_overdue"]] = None
    specs = load_specs(MODELS_DIR, ["rule_baseline", "logistic_scorecard"])
    result = train_models(p, labels, specs, CFG, registry=load_registry(), k=10, n_boot=10,
                          refit=False)
    assert set(result.meta["dropped_features"]) - CARE_LEAVER == {"days_since_last_visit",
                                                                   "visit_overdue"}
    assert "none on 2023-04-01" in result.meta["dropped_features"]["visit_overdue"]
    for names in result.meta["features_by_spec"].values():
        assert not any(n.startswith(("days_since_last_visit", "visit_overdue")) for n in names)


def test_every_model_is_scored_on_every_fold_next_to_the_baseline(trained):
    result, _ = trained
    frame = result.metric_table.to_frame()
    assert set(frame["model"]) == {"rule_baseline", "logistic_scorecard", "lightgbm"}
    assert set(frame["fold"]) == {"2025-07", "2025-08", "2025-09", "pooled"}
    assert result.baseline == "rule_baseline"
    assert set(result.final_models) == {"rule_baseline", "logistic_scorecard", "lightgbm"}
    auc = result.metric_table.value("lightgbm", "roc_auc")
    assert auc > 0.6


def test_test_rows_are_only_test_months(trained):
    result, _ = trained
    for split in result.splits:
        rows = result.predictions[result.predictions["fold"] == split.name]
        assert set(rows["as_of"].dt.date) <= set(split.test_as_of)


def test_protected_audit_columns_are_never_features(trained):
    result, _ = trained
    for names in result.meta["features_by_spec"].values():
        assert not any(n.startswith("audit_") for n in names)


def test_prepare_features_one_hot_is_stable(trained):
    _, p = trained
    X1, cats = prepare_features(p.iloc[:50], ["cp_category", "visit_overdue"])
    X2, _ = prepare_features(p.iloc[50:60], ["cp_category", "visit_overdue"], cats)
    assert list(X1.columns) == list(X2.columns)
    assert X1["visit_overdue"].dtype == "float64"


def test_a_spec_with_a_protected_feature_is_refused_before_training():
    from driftflag.models import ProtectedFeatureError

    with pytest.raises(ProtectedFeatureError, match="audit_ethnicity"):
        ModelSpec(name="m", kind="lightgbm", features=["audit_ethnicity"])
