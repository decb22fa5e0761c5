"""``driftflag fairness``: a caller of :func:`driftflag.stages.fairness` (the ethics-panel pack
from the model version's out-of-sample back-test)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["fairness"]


def fairness(
    store: Annotated[Path, typer.Option("--store", help="Case store folder.")],
    model: Annotated[str, typer.Option("--model", help="champion or a model version.")] = "champion",
    months: Annotated[int, typer.Option("--months", help="Back-test months to pool.")] = 12,
    k: Annotated[int, typer.Option("--k", help="Cases on each monthly list.")] = 40,
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("reports/fairness"),
    n_bootstrap: Annotated[int, typer.Option("--bootstrap", help="Bootstrap replicates.")] = 1000,
    population: Annotated[Path | None, typer.Option(
        "--population", help="CSV group,share replacing England's pupil shares.")] = None,
    workspace: Annotated[Path | None, typer.Option("--workspace", help="MLflow workspace.")] = None,
) -> None:
    """Write the ethics-panel fairness pack (HTML + JSON + charts) from the model's back-test."""
    from driftflag import HUMAN_DECISION_NOTICE, stages
    from driftflag.cli._options import resolve_workspace

    report = stages.fairness(store, out, workspace=resolve_workspace(workspace, create=False),
                             model=model, k=k, months=months, n_bootstrap=n_bootstrap,
                             population=population)
    typer.echo(HUMAN_DECISION_NOTICE)
    typer.echo(f"fairness verdict: {report.verdict.status}")
    for r in report.verdict.reasons:
        typer.echo(f"  - {r}")
    typer.echo(f"written to {out}")
