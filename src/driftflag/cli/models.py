"""``driftflag train`` and ``driftflag models ...``: callers of the stage API and the registry.

Each parses options, makes one library call and renders; :mod:`driftflag.cli` registers them and
turns a :class:`~driftflag.errors.DriftflagError` into one line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from driftflag._text import cell, say

__all__ = ["models_list", "models_promote", "models_rollback", "models_show", "train"]

_WS = typer.Option("--workspace", help="MLflow workspace folder (default $DRIFTFLAG_WORKSPACE "
                   "or ./driftflag-workspace).")
_TARGET = typer.Option("--target", help="Target whose registered model to use.")


def train(
    store: Annotated[Path, typer.Option("--store", help="Case store folder (canonical Parquet tables).")],
    pipeline: Annotated[
        Path, typer.Option("--pipeline", help="Pipeline file whose `train` step holds the training config.")
    ] = Path("pipelines/train.yaml"),
    set_: Annotated[list[str] | None, typer.Option("--set", help="Override NAME=VALUE in the pipeline file.")] = None,
    workspace: Annotated[Path | None, _WS] = None,
) -> None:
    """Train every model spec over temporal folds and log each run to MLflow.

    The rule baseline becomes the champion on a fresh workspace; the best other model becomes
    the challenger, judged by `driftflag models promote`.
    """
    from rich.console import Console
    from rich.table import Table

    from driftflag import HUMAN_DECISION_NOTICE, stages
    from driftflag.cli._options import resolve_workspace
    from driftflag.cli._progress import StepLines
    from driftflag.models.splits import splits_table
    from driftflag.pipeline.steps import train_params_from_pipeline

    out = Console(width=max(Console().width, 130))
    params = train_params_from_pipeline(pipeline, set_ or [], store=store)
    ws = resolve_workspace(workspace)
    from driftflag.cli import quiet_mlflow

    quiet_mlflow()
    with StepLines(Console(stderr=True), "training") as lines:
        cfg = params.training_config()
        run = stages.train(params.store, cfg, models_dir=params.models_dir, workspace=ws,
                           progress=lines.step)
        lines.step("training: done")
    out.print(splits_table(run.result.splits))
    table = Table(title=f"{run.model_name}: pooled over the test folds (k = {cfg.k})",
                  title_justify="left")
    frame = run.summary_frame()
    for col in frame.columns:
        table.add_column(col, justify="left" if col in ("model", "version") else "right")
    for _, r in frame.iterrows():
        table.add_row(*[cell(v, digits=3) for v in r.tolist()])
    out.print(table)
    say(out, run.aliases_line())
    out.print(HUMAN_DECISION_NOTICE, style="dim")


def models_list(
    target: Annotated[str, _TARGET] = "future_drift",
    workspace: Annotated[Path | None, _WS] = None,
) -> None:
    """List registered model versions with their aliases and headline metrics."""
    from rich.console import Console

    from driftflag.cli._options import resolve_workspace
    from driftflag.tracking import list_versions

    df = list_versions(resolve_workspace(workspace, create=False).path, target)
    from rich.table import Table

    table = Table(title=f"registered versions of driftflag-{target.replace('_', '-')}", title_justify="left")
    for col in df.columns:
        table.add_column(str(col))
    for row in df.itertuples(index=False):
        table.add_row(*[cell(v, digits=3) for v in row])
    Console(width=max(Console().width, 130)).print(table)


def models_show(
    version: Annotated[str | None, typer.Argument(help="Version number or alias (default: champion).")] = None,
    target: Annotated[str, _TARGET] = "future_drift",
    workspace: Annotated[Path | None, _WS] = None,
) -> None:
    """Show which model is in use and why, its gate decisions and its model card."""
    from rich.console import Console

    from driftflag.cli._options import resolve_workspace
    from driftflag.tracking import show

    info = show(resolve_workspace(workspace, create=False).path, target, version)
    from rich.text import Text

    Console(soft_wrap=True).print(Text(info["model_card"]))  # plain text: no markup or highlighting


def models_promote(
    version: Annotated[str | None, typer.Argument(help="Version number or alias (default: challenger).")] = None,
    target: Annotated[str, _TARGET] = "future_drift",
    ece_max: Annotated[float, typer.Option("--ece-max", help="Largest calibration error allowed.")] = 0.1,
    workspace: Annotated[Path | None, _WS] = None,
) -> None:
    """Make a version the champion if it passes the promotion gate."""
    from rich.console import Console

    from driftflag import stages
    from driftflag.cli._options import resolve_workspace

    out = Console()
    gate = stages.promote(resolve_workspace(workspace, create=False), target=target,
                          version=version, ece_max=ece_max).gate
    for check, ok in gate.checks.items():
        say(out, f"{check}: {'pass' if ok else 'not run' if ok is None else 'FAIL'}")
    say(out, gate.summary)
    if gate.promoted:
        say(out, f"v{gate.version} is now champion")
    else:
        say(out, f"v{gate.version} not promoted: " + "; ".join(gate.reasons))
        raise typer.Exit(code=1)


def models_rollback(
    target: Annotated[str, _TARGET] = "future_drift",
    workspace: Annotated[Path | None, _WS] = None,
) -> None:
    """Point champion back at the version it replaced."""
    from rich.console import Console

    from driftflag.cli._options import resolve_workspace
    from driftflag.tracking import rollback

    v = rollback(resolve_workspace(workspace, create=False).path, target)
    Console().print(f"champion is v{v} again")
