"""Logging a monitoring report to MLflow: metrics and the report files, aggregates only.

Always against an explicit tracking URI (``sqlite:///.../mlflow.db``); never MLflow's default
``./mlruns`` file store, which MLflow 3.14+ refuses (``ml-anchors-and-tooling.md`` §4.4).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from driftflag.monitoring._errors import MonitoringError

if TYPE_CHECKING:
    from driftflag.monitoring._monitor import MonitorReport

__all__ = ["MONITORING_EXPERIMENT", "log_report"]

#: Experiment for monitoring runs when no model run is given.
MONITORING_EXPERIMENT = "driftflag-monitoring"


def _artifact_location(tracking_uri: str) -> str | None:
    """``<folder of mlflow.db>/artifacts`` for a SQLite store, as driftflag's workspace lays out."""
    if tracking_uri.startswith("sqlite:///"):
        return (Path(tracking_uri[len("sqlite:///"):]).parent / "artifacts").resolve().as_uri()
    return None


def log_report(report: MonitorReport, tracking_uri: str, *, run_id: str | None = None,
               experiment: str | None = None) -> str:
    """Log the report to run ``run_id`` (e.g. the champion's training run) or to a new run in
    ``experiment`` (default ``driftflag-monitoring``); returns the run id.

    Metrics carry the month as a step (``YYYYMM``) so monthly values form a series on one run.
    A new experiment keeps its artifacts beside a SQLite store (``<folder>/artifacts``), never in
    MLflow's default ``./mlruns``.
    """
    import time

    from driftflag._telemetry import disable_telemetry

    disable_telemetry()
    from mlflow import MlflowClient
    from mlflow.entities import Metric

    if not tracking_uri or tracking_uri.startswith(("file:", "./", "mlruns")) or "://" not in tracking_uri:
        raise MonitoringError(f"tracking URI {tracking_uri!r} must be explicit, e.g. sqlite:///path/mlflow.db")
    client = MlflowClient(tracking_uri=tracking_uri)
    step = int(report.month.replace("-", "")[:6]) if report.month[:7].replace("-", "").isdigit() else 0
    metrics = report.metrics()
    if run_id is None:
        name = experiment or MONITORING_EXPERIMENT
        exp = client.get_experiment_by_name(name)
        exp_id = exp.experiment_id if exp is not None else client.create_experiment(
            name, artifact_location=_artifact_location(tracking_uri),
            tags={"mlflow.experimentKind": "custom_model_development"})  # not MLflow 3's GenAI mode
        run = client.create_run(exp_id, run_name=f"monitor {report.month}".strip(),
                                tags={"driftflag.kind": "data_drift_monitoring"})
        run_id = run.info.run_id
        owns = True
    else:
        owns = False
    ts = int(time.time() * 1000)
    client.log_batch(run_id, metrics=[Metric(k, float(v), ts, step) for k, v in metrics.items()])
    prefix = f"monitoring/{report.month or 'current'}"
    client.set_tag(run_id, f"driftflag.monitor.{report.month or 'current'}.verdict", report.verdict)
    with tempfile.TemporaryDirectory() as d:
        out = report.write(Path(d) / "report")
        client.log_artifacts(run_id, str(out), artifact_path=prefix)
    if owns:
        client.set_terminated(run_id)
    return run_id
