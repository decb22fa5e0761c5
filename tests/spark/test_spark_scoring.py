"""Scores of a pooled caseload from the champion's Spark UDF equal the worklist's scores (to 1e-12)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.slow

MONTH = "2025-11"


@pytest.fixture(scope="module")
def champion_workspace(tmp_path_factory, pool):
    """A workspace whose registry holds a logistic model fitted on one council's caseload,
    aliased champion (as ``driftflag train`` and ``promote`` would leave it)."""
    from datetime import date

    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from driftflag.casemodel import read_store
    from driftflag.evaluation import MetricTable
    from driftflag.indicators import load_registry
    from driftflag.models import ModelSpec, TemporalConfig, describe_splits, temporal_splits
    from driftflag.tracking import CHAMPION, log_training_run, use_workspace
    from driftflag.worklist.caseload import build_caseload, model_matrix

    cl = build_caseload(read_store(pool[1].path), "2025-06")
    feats = [f for f in load_registry().model_features()
             if pd.api.types.is_numeric_dtype(cl[f]) or str(cl[f].dtype) == "boolean"]
    X = model_matrix(cl, feats + ["cp_category=NEG"])
    y = (cl["service"].astype(str).to_numpy() == "CP") ^ (np.arange(len(cl)) % 7 == 0)
    model = Pipeline([("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
                      ("scale", StandardScaler()), ("model", LogisticRegression(max_iter=500))]).fit(X, y)
    score = model.predict_proba(X)[:, 1]
    preds = pd.DataFrame({"model": "logistic_scorecard", "fold": "2025-06",
                          "child_id": [f"C{i}" for i in range(len(y))], "y_true": y.astype(int), "score": score})
    ws = tmp_path_factory.mktemp("ws") / "ws"
    res = log_training_run(
        workspace=ws, target="future_drift",
        spec=ModelSpec(name="logistic_scorecard", kind="logistic_scorecard", features=list(X.columns)),
        model=model, feature_names=list(X.columns),
        metric_table=MetricTable.from_predictions(preds, k=20, n_boot=5), model_label="logistic_scorecard",
        split_plan=describe_splits(temporal_splits(TemporalConfig(feature_start=date(2023, 4, 1),
                                                                  feature_end=date(2026, 3, 31)))),
        data_manifest={"store": "synthetic"}, config={}, test_y=y.astype(int), test_scores=score,
        feature_ranges={c: (float(np.nanmin(X[c])), float(np.nanmax(X[c]))) for c in X.columns})
    client = use_workspace(ws)
    client.set_registered_model_alias(res.registered_name, CHAMPION, res.version)
    return ws


def test_spark_udf_scores_equal_the_worklist_scores(spark, pool, pool_panel, champion_workspace):
    from driftflag.casemodel import read_store
    from driftflag.spark import score_pool
    from driftflag.tracking import load_model
    from driftflag.worklist.caseload import score_caseload

    got = score_pool(spark, pool, MONTH, workspace=champion_workspace, panel=pool_panel[0]).toPandas()
    loaded = load_model(champion_workspace, "future_drift")
    assert set(got["model_version"]) == {loaded.version}
    for s in pool:
        scored, _ = score_caseload(read_store(s.path), MONTH, loaded.pipeline)
        mine = got[got["la_code"] == s.la_code].set_index("child_id")
        assert sorted(mine.index) == sorted(scored["child_id"].astype(str))
        assert (pd.to_datetime(mine["as_of"]) == pd.Timestamp("2025-11-01")).all()
        expected = scored.set_index(scored["child_id"].astype(str))["score"]
        # the same model on the same rows: equal up to the last bit or two of a double (the
        # linear algebra sums in blocks that depend on how many rows a batch holds: the worklist
        # scores the whole caseload at once, Spark an Arrow batch at a time)
        np.testing.assert_allclose(mine.loc[expected.index, "score"].to_numpy(), expected.to_numpy(),
                                   rtol=1e-12, atol=0)
        assert expected.std() > 0.01  # the model ranks cases: equal scores would prove little


def test_training_sample_is_drawn_by_child(pool_panel):
    """A training sample is drawn on Spark by child (every month of a sampled child), reproducibly."""
    from driftflag.spark import training_sample

    panel, full_panel = pool_panel
    a = training_sample(panel, 0.5, seed=3)
    pd.testing.assert_frame_equal(a, training_sample(panel, 0.5, seed=3))
    assert not a.equals(training_sample(panel, 0.5, seed=4))
    assert set(a["la_code"]) == {"201", "202", "203"}
    months = a.groupby(["la_code", "child_id"])["as_of"].nunique()
    full = full_panel.groupby(["la_code", "child_id"])["as_of"].nunique()
    assert (months == full.loc[months.index]).all()  # a sampled child keeps all its months
    assert 0.3 < len(months) / len(full) < 0.7
