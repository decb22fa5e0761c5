"""CLI function for ``driftflag monitor``, registered by ``cli.py`` (a thin shell over the library).

Reference: ``--reference REF.json``, or the ``monitoring/reference.json`` artifact of the model
version behind ``--model`` (an alias such as ``champion``, or a version number) in the MLflow
workspace. Current month: ``--current FEATURES.parquet`` (one row per open case, the model's
inputs plus ``score``), or the store's snapshot on the first day of ``--month`` scored by that
model version.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

__all__ = ["REFERENCE_ARTIFACT", "monitor"]

#: Where stage 4 logs the training reference in the model's run (``Reference.to_json()``).
REFERENCE_ARTIFACT = "monitoring/reference.json"


def _month_start(month: str):
    import pandas as pd

    from driftflag.monitoring._errors import MonitoringError

    try:
        ts = pd.Timestamp(f"{month}-01") if len(month) == 7 else pd.Timestamp(month)
    except ValueError as e:
        raise MonitoringError(f"--month {month!r} is not a month (YYYY-MM)") from e
    return ts.normalize().replace(day=1)


def _model_version(workspace: Path, target: str, model: str):
    """(registered name, version, run id) of ``model`` (alias or version number)."""
    from driftflag.monitoring._errors import MonitoringError
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

    from driftflag.monitoring._errors import MonitoringError
    from driftflag.monitoring._reference import Reference

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
    from driftflag.monitoring._errors import MonitoringError

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

    from driftflag.monitoring._errors import MonitoringError

    try:
        return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    except (OSError, ValueError) as e:
        raise MonitoringError(f"{path}: cannot read ({e})") from e


def run_monitoring(
    month: str,
    *,
    store: Path | None = None,
    model: str = "champion",
    out: Path = Path("reports/monitor"),
    reference: Path | None = None,
    current: Path | None = None,
    audits: Path | None = None,
    config: Path | Any | None = None,
    target: str = "future_drift",
    workspace: Path | None = None,
    log_mlflow: bool = True,
):
    """Monitor one month; returns (report, report folder, MLflow run id or None).

    The library call behind ``driftflag monitor`` and the pipelines' ``monitor`` step.
    ``config`` is a YAML path or a ``MonitorConfig``; without it, the registry's defaults.
    """
    from driftflag.monitoring._config import MonitorConfig
    from driftflag.monitoring._monitor import monitor as run_monitor
    from driftflag.monitoring._reference import kinds_from_registry, load_reference

    as_of = _month_start(month)
    label = as_of.strftime("%Y-%m")
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

        ws = resolve_workspace(workspace)
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
        from driftflag.tracking import as_workspace

        rid = report.log_to_mlflow(as_workspace(ws).tracking_uri, run_id=run_id)
    return report, dest, rid


def monitor(
    month: Annotated[str, typer.Option("--month", help="Month to monitor, YYYY-MM (as at its first day).")],
    store: Annotated[Path | None, typer.Option("--store", help="Case store folder (not needed with --current).")] = None,
    model: Annotated[str, typer.Option("--model", help="Model alias (champion, challenger) or version.")] = "champion",
    out: Annotated[Path, typer.Option("--out", help="Report folder; the month is a subfolder.")] = Path("reports/monitor"),
    reference: Annotated[Path | None, typer.Option("--reference", help="Training reference JSON (else the model's logged one).")] = None,
    current: Annotated[Path | None, typer.Option("--current", help="This month's inputs and score (Parquet/CSV) instead of scoring the store.")] = None,
    audits: Annotated[Path | None, typer.Option("--audits", help="Audit grades of flagged cases: columns flagged, drift_found.")] = None,
    config: Annotated[Path | None, typer.Option("--config", help="Monitoring config YAML.")] = None,
    target: Annotated[str, typer.Option("--target", help="Target whose registered model to use.")] = "future_drift",
    workspace: Annotated[Path | None, typer.Option("--workspace", help="MLflow workspace folder.")] = None,
    log_mlflow: Annotated[bool, typer.Option("--mlflow/--no-mlflow", help="Log metrics and report to MLflow.")] = True,
) -> None:
    """Data drift monitoring of the model's inputs and scores for one month: stable, watch or retrain."""
    from rich.console import Console

    from driftflag import HUMAN_DECISION_NOTICE
    from driftflag._text import say
    from driftflag.errors import DriftflagError

    console = Console()
    try:
        report, dest, rid = run_monitoring(
            month, store=store, model=model, out=out, reference=reference, current=current,
            audits=audits, config=config, target=target, workspace=workspace, log_mlflow=log_mlflow)
        label = dest.name
        say(console, f"data drift monitoring {label}: {report.verdict} "
                     f"({len(report.flagged())} of {len(report.features)} inputs flagged)")
        for reason in report.reasons:
            say(console, f"  - {reason}")
        say(console, f"report: {dest / 'monitor.html'}")
        if rid:
            say(console, f"logged to MLflow run {rid}")
        say(console, HUMAN_DECISION_NOTICE)
    except DriftflagError as e:
        from driftflag.cli import _fail

        _fail(e)
