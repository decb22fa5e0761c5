"""Which MLflow store a stage uses, summary names read from any run, and older registered versions."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from driftflag.tracking import (
    ENV_REGISTRY_URI,
    ENV_TRACKING_URI,
    Workspace,
    as_workspace,
    tracking_server,
    tracking_uri,
)
from driftflag.tracking.run_metrics import summary_figures


@pytest.fixture(autouse=True)
def _no_server_env(monkeypatch):
    monkeypatch.delenv(ENV_TRACKING_URI, raising=False)
    monkeypatch.delenv(ENV_REGISTRY_URI, raising=False)


def test_a_folder_means_its_own_sqlite_store_unless_a_server_is_named(tmp_path, monkeypatch):
    ws = as_workspace(tmp_path / "ws")
    assert ws.local and ws.tracking_uri == ws.registry_uri == tracking_uri(tmp_path / "ws")
    assert ws.artifact_location == (tmp_path / "ws" / "artifacts").resolve().as_uri()
    monkeypatch.setenv(ENV_TRACKING_URI, "http://mlflow.internal:5000")
    ws = as_workspace(tmp_path / "ws")
    assert not ws.local and ws.tracking_uri == ws.registry_uri == "http://mlflow.internal:5000"
    assert ws.artifact_location is None  # the server's artifact store
    monkeypatch.setenv(ENV_REGISTRY_URI, "postgresql://registry/db")
    assert as_workspace(tmp_path / "ws").registry_uri == "postgresql://registry/db"
    explicit = as_workspace(tmp_path / "ws", tracking="http://other:5000", registry="http://other:5000")
    assert explicit.tracking_uri == explicit.registry_uri == "http://other:5000"
    assert as_workspace(explicit) is explicit and os.fspath(explicit) == str(explicit.folder)


def test_tracking_server_applies_only_inside_the_block(tmp_path, monkeypatch):
    with tracking_server("http://a:5000"):
        assert as_workspace(tmp_path).tracking_uri == "http://a:5000"
        assert as_workspace(tmp_path).registry_uri == "http://a:5000"
    assert as_workspace(tmp_path).local and ENV_TRACKING_URI not in os.environ
    monkeypatch.setenv(ENV_TRACKING_URI, "http://b:5000")
    with tracking_server("http://a:5000"):
        assert as_workspace(tmp_path).tracking_uri == "http://a:5000"
    assert os.environ[ENV_TRACKING_URI] == "http://b:5000" and ENV_REGISTRY_URI not in os.environ
    with tracking_server(None):
        assert as_workspace(tmp_path).tracking_uri == "http://b:5000"


def test_summary_names_are_read_from_runs_logged_before_and_after():
    old = {"precision_at_k.pooled": 0.4, "precision_at_k.pooled.low": 0.3, "precision_at_k.pooled.high": 0.5,
           "precision_at_k.pooled.diff_low": 0.01, "roc_auc.pooled.low": 0.6, "ece.pooled": 0.02,
           "roc_auc.2025-07": 0.9, "truth_expected_auc": 0.7}
    assert summary_figures(old) == {"precision_at_k": 0.4, "precision_at_k_lo": 0.3, "precision_at_k_hi": 0.5,
                                    "precision_at_k_vs_baseline_lo": 0.01, "roc_auc_lo": 0.6, "ece": 0.02,
                                    "truth_expected_auc": 0.7}
    new = {"precision_at_k": 0.4, "precision_at_k_lo": 0.3, "fold/roc_auc": 0.8, "ece": 0.02}
    assert summary_figures(new) == {"precision_at_k": 0.4, "precision_at_k_lo": 0.3, "ece": 0.02}


@pytest.mark.slow
def test_a_version_registered_before_the_encoding_travelled_with_the_model_still_scores(tmp_path):
    """As driftflag registered models before: a bare pipeline fitted on the one-hot model
    matrix. ``load_model`` gives it the encoder its column names describe."""
    import mlflow
    import mlflow.sklearn
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    from driftflag.models.encoding import FeatureEncoder
    from driftflag.tracking import load_model, model_name, use_workspace
    from driftflag.tracking.runs import experiment_id

    rng = np.random.default_rng(1)
    raw = pd.DataFrame({"days": rng.normal(size=300), "cp_category": rng.choice(["NEG", "EMO"], 300)})
    X = FeatureEncoder(["days", "cp_category"]).fit(raw).transform(raw)
    y = (X["days"] + X["cp_category=NEG"] + rng.normal(size=300) > 0.5).astype(int)
    old = Pipeline([("impute", SimpleImputer()), ("model", LogisticRegression())]).fit(X, y)
    ws = as_workspace(tmp_path / "ws", create=True)
    client = use_workspace(ws)
    name = model_name("future_drift")
    with mlflow.start_run(experiment_id=experiment_id(client, name, ws)):
        info = mlflow.sklearn.log_model(old, name="model", registered_model_name=name,
                                        serialization_format="skops", skops_trusted_types=["numpy.dtype"])
    client.set_registered_model_alias(name, "champion", str(info.registered_model_version))
    loaded = load_model(ws, "future_drift")
    assert isinstance(loaded.pipeline.named_steps["encode"], FeatureEncoder)
    np.testing.assert_array_equal(loaded.pipeline.predict_proba(raw), old.predict_proba(X))
    assert loaded.features == ["days", "cp_category"]


def test_a_workspace_prints_as_its_folder_or_says_which_server(tmp_path):
    local = Workspace(path=tmp_path, tracking_uri=tracking_uri(tmp_path), registry_uri=tracking_uri(tmp_path))
    assert str(local) == str(tmp_path)
    remote = Workspace(path=tmp_path, tracking_uri="http://s:5000", registry_uri="http://s:5000")
    assert str(remote).endswith("(MLflow at http://s:5000)")
