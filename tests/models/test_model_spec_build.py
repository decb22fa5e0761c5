"""Model specs (models/*.yaml) and the pipelines built from them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from driftflag.models import (
    ModelSpec,
    ModelSpecError,
    ProtectedFeatureError,
    build,
    calibrate,
    is_protected,
    load_specs,
    monotone_constraints,
    odds_ratio_table,
)

MODELS_DIR = Path(__file__).resolve().parents[2] / "models"
FEATURES = ["cp_plan_months", "visits_on_time_share", "missing_episodes_90d"]
POLARITY = {"cp_plan_months": "higher_is_worse", "visits_on_time_share": "higher_is_better",
            "missing_episodes_90d": "higher_is_worse"}


def _data(n=600, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"cp_plan_months": rng.gamma(2, 5, n), "visits_on_time_share": rng.random(n),
                      "missing_episodes_90d": rng.poisson(0.5, n).astype(float)})
    logit = -2 + 0.12 * X.cp_plan_months - 1.5 * X.visits_on_time_share + 0.5 * X.missing_episodes_90d
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y


def test_the_three_shipped_specs_load():
    specs = {s.name: s for s in load_specs(MODELS_DIR)}
    assert set(specs) >= {"rule_baseline", "logistic_scorecard", "lightgbm"}
    lgb = specs["lightgbm"].hyperparameters
    assert lgb["num_leaves"] <= 15 and lgb["max_depth"] <= 4
    assert lgb["n_estimators"] == 200 and lgb["learning_rate"] == 0.05
    assert specs["logistic_scorecard"].calibration.method == "sigmoid"


def test_protected_feature_is_refused_with_what_to_add():
    with pytest.raises(ProtectedFeatureError) as err:
        ModelSpec(name="m", kind="lightgbm", features=["cp_plan_months", "ethnicity"])
    assert err.value.feature == "ethnicity"
    assert "protected_features_allowed: {ethnicity:" in str(err.value)
    for name in ("audit_ethnicity_group", "is_disabled", "sex", "uasc"):
        assert is_protected(name)
    assert not is_protected("age_years") and not is_protected("cp_plan_months")


def test_protected_feature_allowed_only_with_a_written_reason():
    reason = "Panel minute 2026-02: needed to test masking of neglect by disability"
    spec = ModelSpec(name="m", kind="lightgbm", features=["disability", "cp_plan_months"],
                     protected_features_allowed={"disability": reason})
    assert spec.resolve_features([]) == ["disability", "cp_plan_months"]
    with pytest.raises(ModelSpecError, match="must be written out"):
        ModelSpec.from_mapping({"name": "m", "kind": "lightgbm",
                                "protected_features_allowed": {"disability": "ok"}})


def test_registry_default_is_checked_when_resolved():
    spec = ModelSpec(name="m", kind="rule_baseline", exclude_features=["noise"])
    assert spec.resolve_features(["a", "noise", "b"]) == ["a", "b"]
    with pytest.raises(ProtectedFeatureError):
        spec.resolve_features(["a", "ethnicity"])


@pytest.mark.parametrize("data, message", [
    ({"name": "m", "kind": "forest"}, "kind: Input should be"),
    ({"name": "m", "kind": "lightgbm", "hyperparameters": {"num_leafs": 8}},
     "hyperparameter(s) num_leafs not allowed for kind lightgbm"),
    ({"name": "m", "kind": "lightgbm", "hyperparameters": {"num_leaves": 255}},
     "lightgbm num_leaves must be in 1..31"),
    ({"name": "m", "kind": "lightgbm", "colour": "red"}, "colour: Extra inputs are not permitted"),
])
def test_bad_specs_are_refused_in_one_line(data, message):
    with pytest.raises(ModelSpecError) as err:
        ModelSpec.from_mapping(data, source="models/x.yaml")
    assert message in str(err.value)
    assert str(err.value).startswith("models/x.yaml: ")


def test_monotone_constraints_from_polarity():
    assert monotone_constraints(FEATURES + ["age_years"], POLARITY) == [1, -1, 1, 0]


@pytest.mark.parametrize("name", ["rule_baseline", "logistic_scorecard", "lightgbm"])
def test_each_spec_builds_a_pipeline_that_ranks(name):
    from driftflag.evaluation import roc_auc

    spec = ModelSpec.from_yaml(MODELS_DIR / f"{name}.yaml")
    X, y = _data()
    pipe = build(spec, FEATURES, POLARITY).fit(X, y)
    p = pipe.predict_proba(X)[:, 1]
    assert roc_auc(y, p) > 0.65
    assert pipe.steps[-1][0] == "model"


def test_lightgbm_is_deterministic_and_monotone():
    spec = ModelSpec.from_yaml(MODELS_DIR / "lightgbm.yaml")
    X, y = _data()
    p1 = build(spec, FEATURES, POLARITY).fit(X, y).predict_proba(X)[:, 1]
    pipe = build(spec, FEATURES, POLARITY).fit(X, y)
    np.testing.assert_array_equal(p1, pipe.predict_proba(X)[:, 1])
    assert pipe.named_steps["model"].get_params()["monotone_constraints"] == [1, -1, 1]
    grid = X.iloc[:50].copy()
    lower = pipe.predict_proba(grid)[:, 1]
    grid["cp_plan_months"] += 10
    grid["visits_on_time_share"] -= 0.3
    assert (pipe.predict_proba(grid)[:, 1] >= lower - 1e-12).all()


def test_odds_ratio_table_is_per_natural_unit():
    spec = ModelSpec.from_yaml(MODELS_DIR / "logistic_scorecard.yaml")
    X, y = _data(n=3000)
    pipe = build(spec, FEATURES, POLARITY).fit(X, y)
    table = odds_ratio_table(pipe, FEATURES, units={"cp_plan_months": "month"},
                             steps={"cp_plan_months": 6})
    row = table.set_index("feature").loc["cp_plan_months"]
    coef = pipe.named_steps["model"].coef_[0][0] / pipe.named_steps["scale"].scale_[0]
    assert row.odds_ratio_per_step == pytest.approx(np.exp(6 * coef))
    assert row.unit == "month" and row.direction == "raises"
    assert table.set_index("feature").loc["visits_on_time_share"].direction == "lowers"
    # true effect is exp(0.12) per month; the L2 fit recovers it roughly
    assert 1.05 < np.exp(coef) < 1.2


def test_calibrate_on_a_later_slice_keeps_the_ranking():
    spec = ModelSpec.from_yaml(MODELS_DIR / "lightgbm.yaml")
    X, y = _data(n=1200)
    fitted = build(spec, FEATURES, POLARITY).fit(X.iloc[:800], y[:800])
    cal = calibrate(fitted, X.iloc[800:], y[800:], "sigmoid")
    raw = fitted.predict_proba(X.iloc[:50])[:, 1]
    new = cal.predict_proba(X.iloc[:50])[:, 1]
    assert np.array_equal(np.argsort(raw, kind="stable"), np.argsort(new, kind="stable"))
