"""The explanation adapter: one shape for both models, additive, and agreeing with LightGBM."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from driftflag.worklist.explain import ExplainError, _normalise_shap, explain, model_margin


def _treeshap(booster, X):
    """The reference: shap's TreeSHAP (tree_path_dependent, raw margin) for the positive class."""
    import warnings

    import shap

    explainer = shap.TreeExplainer(booster, feature_perturbation="tree_path_dependent")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        raw = explainer.shap_values(X)
    return _normalise_shap(raw, explainer.expected_value, *X.shape)


def test_lightgbm_contributions_agree_with_shap_treeshap(lgbm_model, feature_frame):
    X, _ = feature_frame
    c = explain(lgbm_model, X)
    assert c.attrs["model_kind"] == "lightgbm"
    assert list(c.columns) == [*X.columns, "base_value"]
    values, base = _treeshap(lgbm_model.named_steps["model"].booster_, X)
    assert np.abs(c[X.columns].to_numpy() - values).max() <= 1e-6
    assert np.abs(c["base_value"].to_numpy() - base).max() <= 1e-6


def test_lightgbm_contributions_agree_with_shap_on_a_deep_model_with_missing_values():
    """An unconstrained, deeper model with missing values and ties: the worklist's
    explanations (LightGBM's own) equal shap's TreeSHAP to 1e-6 there too."""
    import pandas as pd
    from lightgbm import LGBMClassifier

    rng = np.random.default_rng(7)
    X = pd.DataFrame(rng.integers(0, 6, (3000, 8)).astype(float), columns=[f"f{i}" for i in range(8)])
    X[rng.random(X.shape) < 0.2] = np.nan
    y = ((X["f0"].fillna(2) + X["f3"].fillna(1) * rng.random(3000)) > 4).astype(int)
    model = LGBMClassifier(n_estimators=60, num_leaves=31, max_depth=-1, deterministic=True,
                           force_row_wise=True, n_jobs=1, verbose=-1, random_state=0).fit(X, y)
    c = explain(model, X)
    values, base = _treeshap(model.booster_, X)
    assert np.abs(c[X.columns].to_numpy() - values).max() <= 1e-6
    assert np.abs(c["base_value"].to_numpy() - base).max() <= 1e-6
    total = c[X.columns].sum(axis=1) + c["base_value"]
    assert np.abs(total.to_numpy() - model_margin(model, X)).max() <= 1e-6


@pytest.mark.parametrize("which", ["lgbm_model", "logistic_model"])
def test_contributions_add_up_to_the_margin(which, request, feature_frame):
    model = request.getfixturevalue(which)
    X, _ = feature_frame
    c = explain(model, X)
    total = c.drop(columns="base_value").sum(axis=1) + c["base_value"]
    assert np.abs(total.to_numpy() - model_margin(model, X)).max() <= 1e-6
    # and the margin is the model's probability on the log-odds scale
    p = model.predict_proba(X)[:, 1]
    assert np.abs(1 / (1 + np.exp(-total.to_numpy())) - p).max() <= 1e-6


def test_logistic_contributions_are_coef_times_standardised_value(logistic_model, feature_frame):
    X, _ = feature_frame
    c = explain(logistic_model, X)
    z = logistic_model[:-1].transform(X)
    coef = logistic_model.named_steps["model"].coef_[0]
    assert np.allclose(c[X.columns].to_numpy(), z * coef, atol=1e-12)
    assert np.allclose(c["base_value"], logistic_model.named_steps["model"].intercept_[0])


def test_calibrated_model_is_explained_through_the_model_it_calibrates(logistic_model, feature_frame):
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.frozen import FrozenEstimator

    X, y = feature_frame
    cal = CalibratedClassifierCV(FrozenEstimator(logistic_model), method="sigmoid").fit(X, y)
    a, b = explain(cal, X), explain(logistic_model, X)
    assert np.allclose(a.to_numpy(), b.to_numpy())


@pytest.mark.parametrize("shape", ["list", "3d", "2d"])
def test_every_shap_output_shape_is_normalised(shape):
    v = np.arange(12, dtype=float).reshape(4, 3)
    raw = {"list": [-v, v], "3d": np.stack([-v, v], axis=2), "2d": v}[shape]
    expected = {"list": [-0.5, 0.5], "3d": np.array([-0.5, 0.5]), "2d": 0.5}[shape]
    out, base = _normalise_shap(raw, expected, 4, 3)
    assert np.array_equal(out, v) and base == 0.5


def test_unknown_model_is_refused(feature_frame):
    from sklearn.tree import DecisionTreeClassifier

    X, y = feature_frame
    with pytest.raises(ExplainError, match="only LightGBM, logistic and rule baseline"):
        explain(DecisionTreeClassifier(max_depth=2).fit(X.fillna(0), y), X.fillna(0))


def test_rule_baseline_contributions_are_its_weighted_breaches(feature_frame):
    """The first champion is the rule baseline: its reasons are the indicators it breaches."""
    from driftflag.models import ModelSpec
    from driftflag.models._build import build

    X, y = feature_frame
    spec = ModelSpec(name="rule_baseline", kind="rule_baseline", features=list(X.columns))
    model = build(spec, list(X.columns), {}).fit(X, y)
    c = explain(model, X)
    assert c.attrs["model_kind"] == "rule_baseline"
    total = c.drop(columns="base_value").sum(axis=1) + c["base_value"]
    assert np.abs(total.to_numpy() - model_margin(model, X)).max() <= 1e-9
    base = model.named_steps["model"]
    breached = base.breaches(model[:-1].transform(X))
    # slow and obvious: each case's contributions, one indicator at a time
    for i in range(0, len(X), max(1, len(X) // 25)):
        for j, col in enumerate(X.columns):
            want = base.weights_[j] if breached[i, j] else 0.0
            assert c.iloc[i][col] == pytest.approx(want)


@pytest.fixture(scope="session")
def rule_model(feature_frame):
    from driftflag.models import ModelSpec
    from driftflag.models._build import build

    X, y = feature_frame
    spec = ModelSpec(name="rule_baseline", kind="rule_baseline", features=list(X.columns))
    return build(spec, list(X.columns), {}).fit(X, y)


@pytest.mark.parametrize("which", ["lgbm_model", "logistic_model", "rule_model"])
def test_explanations_of_some_cases_are_those_of_the_whole_caseload(which, request, feature_frame):
    """CaseExplanations.rows(p) is explain()'s frame at positions p, bit for bit (any positions:
    unsorted, repeated, none), so the worklist may explain only the cases it shows."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from driftflag.worklist.explain import CaseExplanations

    model = request.getfixturevalue(which)
    X, _ = feature_frame
    X = X.set_axis([f"row{i}" for i in range(len(X))])  # an index that is not the positions
    whole = explain(model, X).reset_index(drop=True)
    lazy = CaseExplanations(model, X)
    assert len(lazy) == len(X)
    pd.testing.assert_frame_equal(lazy.frame(), explain(model, X), check_exact=True)

    @settings(max_examples=20, deadline=None)
    @given(st.lists(st.integers(0, len(X) - 1), max_size=60))
    def check(positions):
        got = lazy.rows(positions)
        want = whole.iloc[positions]
        pd.testing.assert_frame_equal(got, want, check_exact=True, check_index_type=False)
        assert np.array_equal(got.to_numpy().view(np.uint64), want.to_numpy().view(np.uint64))
        assert got.attrs["model_kind"] == whole.attrs["model_kind"]

    check()


@pytest.mark.parametrize("which", ["lgbm_model", "logistic_model"])
def test_a_worklist_explained_on_demand_is_the_worklist_explained_in_full(which, request, synth_la,
                                                                           synth_caseload, feature_frame):
    """score_caseload(explain_all=False), as the worklist stage calls it: same rows, reasons and
    contributions as with every case explained."""
    from pathlib import Path

    from driftflag.indicators import load_registry
    from driftflag.worklist.caseload import score_caseload
    from driftflag.worklist.explain import CaseExplanations
    from driftflag.worklist.policy import WorklistPolicy
    from driftflag.worklist.sampling import sample_worklist

    model = request.getfixturevalue(which)
    pol = WorklistPolicy.from_yaml(Path(__file__).resolve().parents[2] / "pipelines" / "monthly_audit.yaml")
    lists = []
    for explain_all in (True, False):
        scored, contrib = score_caseload(synth_la.store, "2025-11", model, caseload=synth_caseload,
                                         explain_all=explain_all)
        assert isinstance(contrib, pd.DataFrame) is explain_all
        assert explain_all or isinstance(contrib, CaseExplanations)
        lists.append(sample_worklist(scored, pol, "2025-11", synth_la.store["audits"], contributions=contrib,
                                     registry=load_registry(), model_label="test"))
    full, lazy = lists
    assert len(full.frame) > 0
    pd.testing.assert_frame_equal(lazy.frame, full.frame, check_exact=True)
    pd.testing.assert_frame_equal(lazy.contributions, full.contributions, check_exact=True)
