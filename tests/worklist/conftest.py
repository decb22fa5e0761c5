"""Shared fixtures for the worklist tests: a hand-made caseload, a seeded synthetic LA, models."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from worklist_helpers import make_caseload, policy  # noqa: F401  (re-exported for fixtures)

from driftflag.worklist.policy import WorklistPolicy


@pytest.fixture(scope="session")
def synth_la(synthetic_la):
    return synthetic_la(children=3000, years=6, seed=1)


@pytest.fixture(scope="session")
def synth_caseload(synth_la):
    from driftflag.worklist.caseload import build_caseload

    return build_caseload(synth_la.store, "2025-11")


@pytest.fixture(scope="session")
def feature_frame(synth_la, synth_caseload):
    """Numeric model matrix from the snapshot and a label drawn from the true drift probability."""
    from driftflag.indicators import load_registry
    from driftflag.worklist.caseload import model_matrix

    reg = load_registry()
    cl = synth_caseload
    feats = [f for f in reg.model_features()
             if pd.api.types.is_numeric_dtype(cl[f]) or str(cl[f].dtype) == "boolean"]
    X = model_matrix(cl, feats + ["cp_category=NEG", "cp_category=EMO"])
    dm = synth_la.truth["drift_monthly"]
    p = cl["child_id"].map(dm[dm["as_of"] == "2025-11-01"].set_index("child_id")["p_drift"]).fillna(0.1)
    y = (np.random.default_rng(0).random(len(cl)) < p.to_numpy()).astype(int)
    return X, y


@pytest.fixture(scope="session")
def logistic_model(feature_frame):
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = feature_frame
    return Pipeline([("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
                     ("scale", StandardScaler()), ("model", LogisticRegression(max_iter=1000))]).fit(X, y)


@pytest.fixture(scope="session")
def lgbm_model(feature_frame):
    from lightgbm import LGBMClassifier
    from sklearn.pipeline import Pipeline

    X, y = feature_frame
    return Pipeline([("model", LGBMClassifier(n_estimators=50, num_leaves=7, deterministic=True,
                                              verbose=-1, n_jobs=1, random_state=0))]).fit(X, y)


@pytest.fixture(scope="session")
def store_template(tmp_path_factory, synth_la):
    """The synthetic LA's case store on disk (copy it before changing it)."""
    from datetime import datetime

    from driftflag.casemodel import write_store

    path = tmp_path_factory.mktemp("la") / "store"
    write_store(synth_la.store, path, created_at=datetime(2026, 3, 31))
    return path


@pytest.fixture()
def store_path(tmp_path, store_template):
    import shutil

    dest = tmp_path / "store"
    shutil.copytree(store_template, dest)
    return dest


@pytest.fixture(scope="session")
def synth_worklist(synth_la, synth_caseload, logistic_model):
    from pathlib import Path

    from driftflag.indicators import load_registry
    from driftflag.worklist.caseload import score_caseload
    from driftflag.worklist.sampling import sample_worklist

    root = Path(__file__).resolve().parents[2]
    pol = WorklistPolicy.from_yaml(root / "pipelines" / "monthly_audit.yaml")
    scored, contrib = score_caseload(synth_la.store, "2025-11", logistic_model, caseload=synth_caseload)
    return sample_worklist(scored, pol, "2025-11", synth_la.store["audits"], contributions=contrib,
                           registry=load_registry(), model_label="test logistic")


@pytest.fixture(scope="session")
def registered_workspace(tmp_path_factory, logistic_model, feature_frame):
    """A workspace whose registry holds the logistic model, aliased champion."""
    from datetime import date

    from driftflag.evaluation import MetricTable
    from driftflag.models import ModelSpec, TemporalConfig, describe_splits, temporal_splits
    from driftflag.tracking import CHAMPION, log_training_run, use_workspace

    ws = tmp_path_factory.mktemp("ws") / "ws"
    X, y = feature_frame
    score = logistic_model.predict_proba(X)[:, 1]
    preds = pd.DataFrame({"model": "logistic_scorecard", "fold": "2025-07",
                          "child_id": [f"C{i}" for i in range(len(y))], "y_true": y, "score": score})
    res = log_training_run(
        workspace=ws, target="future_drift",
        spec=ModelSpec(name="logistic_scorecard", kind="logistic_scorecard", features=list(X.columns)),
        model=logistic_model, feature_names=list(X.columns),
        metric_table=MetricTable.from_predictions(preds, k=40, n_boot=20), model_label="logistic_scorecard",
        split_plan=describe_splits(temporal_splits(TemporalConfig(feature_start=date(2021, 4, 1),
                                                                  feature_end=date(2026, 3, 31)))),
        data_manifest={"store": "synthetic"}, config={}, test_y=y, test_scores=score,
        feature_ranges={c: (float(np.nanmin(X[c])), float(np.nanmax(X[c]))) for c in X.columns})
    client = use_workspace(ws)
    client.set_registered_model_alias(res.registered_name, CHAMPION, res.version)
    client.delete_registered_model_alias(res.registered_name, "challenger")
    return ws
