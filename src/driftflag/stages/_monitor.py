"""The monitor stage: data drift monitoring of a model's inputs and scores for one month.

Reference: a training reference JSON, or the ``monitoring/reference.json`` artifact of the model
version behind ``model`` (an alias such as ``champion``, or a version number) in the workspace.
Current month: a table of the model's inputs plus ``score`` (one row per open case), or the
store's snapshot on the month's first day scored by that model version.

(Moved here from ``driftflag.monitoring.commands``; the command and the pipeline step call it.)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from driftflag.month import Month
from driftflag.stages._uris import honours_workspace
from driftflag.workspace import Workspace

if TYPE_CHECKING:
    from driftflag.monitoring import MonitorConfig, MonitorReport

#: Where stage 4 logs the training reference in the model's run (``Reference.to_json()``).
REFERENCE_ARTIFACT = "monitoring/reference.json"


def _model_version(workspace: Path, target: str, model: str):
    """(registered name, version, run id) of ``model`` (alias or version number)."""
    from driftflag.monitoring import MonitoringError
    from driftflag.tracking import TrackingError, in_use, model_name

    try:
        use = in_use(workspace, target, model)  # the one registry lookup
    except TrackingError as e:
        raise MonitoringError(f"no model {model_name(target)}@{model} in workspace {workspace}: train and "
                              "promote one, or give --reference and --current") from e
    return use.name, use.version, use.run_id


def _logged_reference(run_id: str, name: str, version: str):
    import mlflow.artifacts
    from mlflow.exceptions import MlflowException

    from driftflag.monitoring import MonitoringError, Reference

    try:
        text = mlflow.artifacts.load_text(f"runs:/{run_id}/{REFERENCE_ARTIFACT}")
    except (MlflowException, OSError) as e:
        raise MonitoringError(f"{name} version {version} has no training reference "
                              f"({REFERENCE_ARTIFACT} in run {run_id}); give --reference REF.json") from e
    return Reference.from_json(text, source=f"{name} v{version}:{REFERENCE_ARTIFACT}")


def _scored_snapshot(store: Path | None, as_of, name: str, version: str, features: list[str],
                     workspace: Path | None = None, target: str = "future_drift"):
    from driftflag.casemodel.store import read_store
    from driftflag.indicators import snapshot
    from driftflag.monitoring import MonitoringError

    if store is None:
        raise MonitoringError("give --store (to snapshot and score the month) or --current FEATURES.parquet")
    snap = snapshot(read_store(store), as_of)
    try:
        from driftflag.tracking import load_model

        # only from the workspace's registry, trusting the fixed list of model types; the
        # model carries its feature encoding, so it scores the raw snapshot
        loaded = load_model(workspace, target, version)
        return snap.assign(score=loaded.pipeline.predict_proba(snap)[:, 1])
    except Exception as e:  # noqa: BLE001 - any failure means the month cannot be scored
        raise MonitoringError(f"cannot score the {as_of.date()} snapshot with {name} v{version} ({e}); "
                              "give --current FEATURES.parquet with a score column") from e


def _read_table(path: Path):
    import pandas as pd

    from driftflag.monitoring import MonitoringError

    try:
        return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    except (OSError, ValueError) as e:
        raise MonitoringError(f"{path}: cannot read ({e})") from e


@dataclass(frozen=True)
class MonitorResult:
    """The month's monitoring report, the folder it was written to and the MLflow run (or None)."""

    report: MonitorReport
    folder: Path
    run_id: str | None


@honours_workspace
def monitor(
    month: Month | str,
    *,
    workspace: Workspace | None,
    store: Path | None = None,
    model: str = "champion",
    out: Path = Path("reports/monitor"),
    reference: Path | None = None,
    current: Path | None = None,
    audits: Path | None = None,
    config: Path | MonitorConfig | None = None,
    target: str = "future_drift",
    log_mlflow: bool = True,
) -> MonitorResult:
    """Monitor one month; prints nothing. ``workspace`` may be None only with both
    ``reference`` and ``current`` and without ``log_mlflow``.

    The library call behind ``driftflag monitor`` and the pipelines' ``monitor`` step.
    ``config`` is a YAML path or a ``MonitorConfig``; without it, the registry's defaults.
    """
    from driftflag.monitoring import MonitorConfig, kinds_from_registry, load_reference
    from driftflag.monitoring import monitor as run_monitor

    month = Month.parse(month)
    as_of = month.timestamp()
    label = str(month)
    if isinstance(config, MonitorConfig):
        cfg = config
    elif config is not None:
        cfg = MonitorConfig.from_yaml(config)
    else:
        from driftflag.indicators import load_registry

        cfg = MonitorConfig(kinds=kinds_from_registry(load_registry()))
    run_id = name = version = None
    ws = None
    if reference is None or current is None or log_mlflow:
        from driftflag.tracking import resolve_workspace

        ws = resolve_workspace(workspace.path if workspace is not None else None)
    if reference is None or current is None:
        name, version, run_id = _model_version(ws, target, model)
    ref = load_reference(reference) if reference is not None else _logged_reference(run_id, name, version)
    cur = _read_table(current) if current is not None else \
        _scored_snapshot(store, as_of, name, version, list(ref.features), ws, target)
    aud = _read_table(audits) if audits is not None else None
    report = run_monitor(cur, ref, cfg, audits=aud, month=label)
    dest = report.write(Path(out) / label)
    rid = None
    if log_mlflow:
        from driftflag.tracking import as_workspace, use_workspace

        # a run of its own in the monitoring experiment, tagged with the model it watched: the
        # model's training run keeps its own few metric keys (issue 14: <= 40 per run)
        rid = report.log_to_mlflow(as_workspace(ws).tracking_uri)
        if name is not None:
            client = use_workspace(ws)
            for key, value in (("driftflag.model", name), ("driftflag.model_version", version),
                               ("driftflag.model_run_id", run_id)):
                client.set_tag(rid, key, str(value))
    return MonitorResult(report=report, folder=dest, run_id=rid)


