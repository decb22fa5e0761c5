"""``driftflag monitor``: a caller of :func:`driftflag.stages.monitor`.

Reference: ``--reference REF.json``, or the ``monitoring/reference.json`` artifact of the model
version behind ``--model`` (an alias such as ``champion``, or a version number) in the MLflow
workspace. Current month: ``--current FEATURES.parquet`` (one row per open case, the model's
inputs plus ``score``), or the store's snapshot on the first day of ``--month`` scored by that
model version.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["monitor"]


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

    from driftflag import HUMAN_DECISION_NOTICE, stages
    from driftflag._text import say
    from driftflag.cli._options import parse_month, resolve_workspace

    console = Console()
    the_month = parse_month(month)
    needs_model = reference is None or current is None  # read from the registry: must exist
    ws = resolve_workspace(workspace, create=not needs_model) if needs_model or log_mlflow else None
    result = stages.monitor(
        the_month, store=store, model=model, out=out, reference=reference, current=current,
        audits=audits, config=config, target=target, log_mlflow=log_mlflow, workspace=ws)
    report = result.report
    say(console, f"data drift monitoring {result.folder.name}: {report.verdict} "
                 f"({len(report.flagged())} of {len(report.features)} inputs flagged)")
    for reason in report.reasons:
        say(console, f"  - {reason}")
    say(console, f"report: {result.folder / 'monitor.html'}")
    if result.run_id:
        say(console, f"logged to MLflow run {result.run_id}")
    say(console, HUMAN_DECISION_NOTICE)
