"""Log one training run to MLflow and register it as the ``challenger``.

``tracking`` is the only driftflag package that imports MLflow, and only inside functions.
What a run holds: the config, the data manifest and its SHA-256, the training data as an MLflow
dataset input (digest, schema and row count; no row), the split plan, the spec's parameters, at
most :data:`~driftflag.tracking.run_metrics.MAX_METRIC_KEYS` metric keys (each fold as a step,
one pooled summary with intervals: :mod:`driftflag.tracking.run_metrics`), ROC /
precision-recall and calibration plots, the model card (markdown and HTML) and the model: the
complete scoring pipeline (feature encoding included) with a signature over the raw snapshot
columns and a *synthetic* input example. The registered version's description carries the gate
decision and the card's summary. Nothing child-level is logged: plots are drawn from aggregate
curves, and the input example is drawn at random inside each feature's range or vocabulary,
never copied from a case.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from driftflag._telemetry import disable_telemetry
from driftflag.tracking._errors import TrackingError
from driftflag.tracking._workspace import Workspace, as_workspace
from driftflag.tracking.model_card import ModelCard, label_window_months, render_model_card

__all__ = ["EXPERIMENT_KIND_ML", "EXPERIMENT_KIND_TAG", "RunResult", "experiment_id", "log_training_run",
           "manifest_sha256", "model_name", "synthetic_input_example", "use_workspace"]

logger = logging.getLogger(__name__)

CHALLENGER = "challenger"
#: version tag holding the model card's summary (the version description repeats it)
CARD_SUMMARY_TAG = "driftflag.card_summary"


def model_name(target: str) -> str:
    """Registered model name for a target: ``driftflag-<target>``."""
    return f"driftflag-{target.replace('_', '-')}"


def manifest_sha256(manifest: Mapping[str, Any]) -> str:
    """SHA-256 of the manifest as canonical JSON (sorted keys), identifying the training data."""
    text = json.dumps(manifest, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def synthetic_input_example(
    feature_names: Sequence[str],
    feature_ranges: Mapping[str, tuple[float, float]] | None = None,
    *,
    n_rows: int = 5,
    random_state: int = 0,
) -> pd.DataFrame:
    """Made-up rows for MLflow's input example: uniform draws inside each feature's range.

    Ranges default to [0, 1]; the values describe no child.
    """
    rng = np.random.default_rng(random_state)
    ranges = feature_ranges or {}
    data = {}
    for f in feature_names:
        lo, hi = ranges.get(f, (0.0, 1.0))
        data[f] = np.round(rng.uniform(float(lo), float(hi), n_rows), 3)
    return pd.DataFrame(data)


def use_workspace(workspace: Workspace | Path):
    """Point MLflow at the workspace's tracking and registry URIs and return a client.

    Sets the process's tracking and registry URIs explicitly (the workspace's SQLite store
    unless a tracking server is configured, see :class:`~driftflag.tracking.Workspace`), so
    nothing falls back to ``./mlruns`` or a ``mlflow.db`` in the current folder.
    """
    disable_telemetry()
    import mlflow
    from mlflow import MlflowClient

    ws = as_workspace(workspace)
    mlflow.set_tracking_uri(ws.tracking_uri)
    mlflow.set_registry_uri(ws.registry_uri)
    return MlflowClient(tracking_uri=ws.tracking_uri, registry_uri=ws.registry_uri)


#: MLflow 3 opens a new experiment in GenAI mode unless told its kind (the UI's experiment type)
EXPERIMENT_KIND_TAG = "mlflow.experimentKind"
EXPERIMENT_KIND_ML = "custom_model_development"


def experiment_id(client, name: str, workspace: Workspace | Path) -> str:
    """The id of experiment ``name``, created as a machine-learning experiment with its
    artifacts in the workspace (or on the tracking server) if it does not exist yet."""
    exp = client.get_experiment_by_name(name)
    if exp is None:
        return client.create_experiment(name, artifact_location=as_workspace(workspace).artifact_location,
                                         tags={EXPERIMENT_KIND_TAG: EXPERIMENT_KIND_ML})
    if (exp.tags or {}).get(EXPERIMENT_KIND_TAG) is None:  # created before driftflag set it
        client.set_experiment_tag(exp.experiment_id, EXPERIMENT_KIND_TAG, EXPERIMENT_KIND_ML)
    return exp.experiment_id



def _trusted_types(model: Any) -> list[str] | None:
    """Types skops must be told to trust to reload this model; all must be in the fixed list.

    MLflow 3 saves scikit-learn models with skops. driftflag reloads them trusting only
    :data:`~driftflag.tracking.loading.TRUSTED_MODEL_TYPES`, so a model needing anything else
    is refused here, before it is registered, rather than found unloadable at worklist time.
    """
    try:
        import skops.io  # noqa: F401
    except ImportError:  # pragma: no cover - skops is a dependency
        raise TrackingError("skops is not installed: models cannot be saved safely") from None
    from driftflag.tracking.loading import TRUSTED_MODEL_TYPES, untrusted_types

    needed = untrusted_types(model)
    extra = sorted(set(needed) - set(TRUSTED_MODEL_TYPES))
    if extra:
        raise TrackingError(f"the model holds types driftflag does not trust when loading: {', '.join(extra)}")
    return needed or None


@dataclass(frozen=True)
class RunResult:
    """Identifiers of a logged run and the model version it registered."""

    run_id: str
    registered_name: str
    version: str
    model_uri: str


def _plots(y_true: np.ndarray, scores: np.ndarray, sample_weight=None):
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from sklearn.metrics import precision_recall_curve, roc_curve

    from driftflag.evaluation import reliability_curve

    figs = {}
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 4))
    if len(np.unique(y_true)) == 2:
        fpr, tpr, _ = roc_curve(y_true, scores, sample_weight=sample_weight)
        ax1.plot(fpr, tpr)
        prec, rec, _ = precision_recall_curve(y_true, scores, sample_weight=sample_weight)
        ax2.plot(rec, prec)
    ax1.plot([0, 1], [0, 1], "--", color="grey")
    ax1.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC (pooled test folds)")
    ax2.set(xlabel="recall", ylabel="precision", title="Precision-recall (pooled test folds)")
    fig.tight_layout()
    figs["plots/roc_pr.png"] = fig
    curve = reliability_curve(y_true, np.clip(scores, 0, 1), sample_weight).dropna()
    fig2, ax = plt.subplots(figsize=(4.5, 4))
    ax.plot([0, 1], [0, 1], "--", color="grey")
    ax.plot(curve["mean_predicted"], curve["observed_rate"], "o-")
    ax.set(xlabel="mean predicted", ylabel="observed rate", title="Calibration (10 equal-width bins)")
    fig2.tight_layout()
    figs["plots/calibration.png"] = fig2
    return figs, plt


@functools.cache
def _summary_dataset_class():
    """A MLflow dataset that is only a summary: digest, schema and shape, never a row."""
    from mlflow.data.meta_dataset import MetaDataset

    class TrainingDataSummary(MetaDataset):
        def __init__(self, source, name, digest, schema, n_rows):
            self._n_rows = n_rows
            super().__init__(source=source, name=name, digest=digest, schema=schema)

        @property
        def profile(self):
            n_cols = len(self.schema.inputs) if self.schema is not None else None
            return {"num_rows": self._n_rows,
                    "num_elements": self._n_rows * n_cols if self._n_rows is not None and n_cols else None}

        def to_dict(self):
            return {**super().to_dict(), "profile": json.dumps(self.profile)}

    return TrainingDataSummary


def _training_dataset(digest: str, data_manifest: Mapping[str, Any], signature):
    """The training data as MLflow sees it (``log_input``): the manifest's digest, the model's
    input schema and the number of rows; no row of it."""
    from mlflow.data.code_dataset_source import CodeDatasetSource

    rows = data_manifest.get("rows")
    source = CodeDatasetSource(tags={"driftflag.data_manifest_sha256": digest,
                                     "driftflag.source": "case store feature panel"})
    return _summary_dataset_class()(source=source, name="training panel", digest=digest[:16],
                                    schema=signature.inputs, n_rows=int(rows) if rows is not None else None)


def log_training_run(
    *,
    workspace: Workspace | Path,
    target: str,
    spec: Any,
    model: Any,
    feature_names: Sequence[str],
    metric_table: Any,
    model_label: str,
    split_plan: Sequence[Mapping[str, Any]],
    data_manifest: Mapping[str, Any],
    config: Mapping[str, Any],
    test_y: np.ndarray,
    test_scores: np.ndarray,
    test_weight: np.ndarray | None = None,
    data_summary: str = "",
    feature_ranges: Mapping[str, tuple[float, float]] | None = None,
    fairness: Sequence[Mapping[str, Any]] | None = None,
    run_name: str | None = None,
    predicts: str | None = None,
    predicts_note: str = "",
    truth_metrics: Mapping[str, float] | None = None,
) -> RunResult:
    """Log a trained model with its evaluation, register it, and alias it ``challenger``.

    ``spec`` is a :class:`~driftflag.models.ModelSpec`; ``metric_table`` a
    :class:`~driftflag.evaluation.MetricTable` holding ``model_label`` (and its baseline);
    ``test_y`` / ``test_scores`` the pooled test labels and scores, used only for aggregate plots.
    ``predicts``: the label the model learnt (``targets.TARGETS``; default ``target``), with
    ``predicts_note`` saying why when it differs; ``truth_metrics``: a few figures against a
    synthetic LA's true drift probability (``TruthReport.metrics()``), logged as metrics.
    """
    disable_telemetry()
    import mlflow
    import mlflow.sklearn
    from mlflow.models import infer_signature

    from driftflag.models.encoding import as_scoring_pipeline
    from driftflag.tracking.registry import describe_version, move_alias
    from driftflag.tracking.run_metrics import fold_series, summary_metrics, truth_summary

    ws = as_workspace(workspace, create=True)
    client = use_workspace(ws)
    name = model_name(target)
    exp_id = experiment_id(client, name, ws)
    digest = manifest_sha256(data_manifest)
    frame = metric_table.to_frame()
    try:  # the registered artefact scores a raw snapshot: its encoding travels with it
        artefact = as_scoring_pipeline(model)
    except Exception as e:  # noqa: BLE001 - a model without feature names cannot be served
        raise TrackingError(f"model cannot be registered: {e}") from e
    encoder = artefact.named_steps["encode"]
    example = encoder.example(feature_ranges, random_state=spec.random_state)
    try:
        example_out = artefact.predict_proba(example)[:, 1]
    except Exception as e:  # noqa: BLE001 - any failure here means the model cannot be served
        raise TrackingError(f"model cannot score the synthetic input example: {e}") from e
    signature = infer_signature(example, example_out)
    import sklearn

    pip_reqs = [f"scikit-learn=={sklearn.__version__}"]
    if spec.kind == "lightgbm":
        import lightgbm

        pip_reqs.append(f"lightgbm=={lightgbm.__version__}")
    series, folds = fold_series(metric_table, model_label)

    with mlflow.start_run(experiment_id=exp_id, run_name=run_name or spec.name) as run:
        run_id = run.info.run_id
        mlflow.set_tags({"driftflag.target": target, "driftflag.predicts": predicts or target,
                         "driftflag.spec": spec.name,
                         "driftflag.kind": spec.kind, "driftflag.data_manifest_sha256": digest,
                         "driftflag.k": str(metric_table.k),
                         "driftflag.label_months": str(label_window_months(list(split_plan)) or ""),
                         "driftflag.folds": ",".join(f"{i}={f}" for i, f in enumerate(folds))})
        params = {"kind": spec.kind, "n_features": len(feature_names), "k": metric_table.k,
                  "random_state": spec.random_state, "calibration": spec.calibration.method,
                  **{f"hp.{k}": v for k, v in spec.hyperparameters.items()}}
        mlflow.log_params({k: str(v)[:500] for k, v in params.items()})
        mlflow.log_input(_training_dataset(digest, data_manifest, signature), context="training")
        mlflow.log_dict(dict(config), "config.json")
        mlflow.log_dict(spec.model_dump(mode="json"), "model_spec.json")
        mlflow.log_dict({"sha256": digest, "manifest": dict(data_manifest)}, "data_manifest.json")
        mlflow.log_dict({"splits": list(split_plan)}, "split_plan.json")
        mlflow.log_dict({"features": list(feature_names)}, "features.json")
        for step in sorted({st for _, _, st in series}):
            mlflow.log_metrics({k: v for k, v, st in series if st == step}, step=step)
        mlflow.log_metrics(summary_metrics(metric_table, model_label) | truth_summary(truth_metrics))
        mlflow.log_text(frame.to_csv(index=False), "metrics/metric_table.csv")
        figs, plt = _plots(np.asarray(test_y, float), np.asarray(test_scores, float), test_weight)
        for path, fig in figs.items():
            mlflow.log_figure(fig, path)
            plt.close(fig)
        card = ModelCard(
            registered_name=name, spec_name=spec.name, kind=spec.kind, target=target,
            run_id=run_id, features=list(feature_names), hyperparameters=spec.hyperparameters,
            metric_frame=frame, model_label=model_label, baseline_label=metric_table.baseline,
            k=metric_table.k, splits=list(split_plan), data_summary=data_summary or "see data manifest",
            data_manifest_sha256=digest, description=spec.description,
            calibration=spec.calibration.method, random_state=spec.random_state,
            protected_features_allowed=spec.protected_features_allowed, fairness=fairness,
            predicts=predicts, predicts_note=predicts_note, truth_metrics=truth_metrics,
        )
        md, html = render_model_card(card)
        mlflow.log_text(md, "model_card.md")
        mlflow.log_text(html, "model_card.html")
        info = mlflow.sklearn.log_model(
            artefact, name="model", signature=signature, input_example=example,
            registered_model_name=name, pip_requirements=pip_reqs,
            await_registration_for=60, skops_trusted_types=_trusted_types(artefact),
        )
    version = str(info.registered_model_version)
    client.set_model_version_tag(name, version, "driftflag.spec", spec.name)
    client.set_model_version_tag(name, version, "driftflag.kind", spec.kind)
    client.set_model_version_tag(name, version, "driftflag.run_id", run_id)
    client.set_model_version_tag(name, version, CARD_SUMMARY_TAG, card.summary()[:4900])
    move_alias(client, name, CHALLENGER, version)
    describe_version(client, name, version)
    logger.info("logged run %s as %s version %s (challenger)", run_id, name, version)
    return RunResult(run_id=run_id, registered_name=name, version=version, model_uri=info.model_uri)
