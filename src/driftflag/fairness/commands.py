"""CLI function for ``driftflag fairness``, registered by ``cli.py`` (not yet: stage 4/5 wiring).

A thin shell: resolve the model and month, ask the worklist for the scored caseload, make one
library call (:func:`~driftflag.fairness.build_fairness_report`), write, log to the model's
MLflow run, print the verdict. The scored caseload comes from ``driftflag.worklist``
(``scored_caseload(store, model, month)``), which stage 5 provides; until then the command says
so in one line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["fairness", "log_fairness_to_mlflow"]


def log_fairness_to_mlflow(out_dir: Path, run_id: str, workspace: Path, verdict: str) -> None:
    """Log ``fairness.json``/``.html``/charts and the verdict to an existing MLflow run.

    MLflow is imported here (no I/O at import); the workspace's SQLite store is made explicit
    through :func:`driftflag.tracking.use_workspace`.
    """
    from driftflag.tracking import use_workspace

    client = use_workspace(workspace)
    client.log_artifacts(run_id, str(out_dir), artifact_path="fairness")
    client.set_tag(run_id, "fairness_verdict", verdict)


def fairness(
    store: Annotated[Path, typer.Option("--store", help="Case store folder.")],
    model: Annotated[str, typer.Option("--model", help="champion or a model version.")] = "champion",
    month: Annotated[str | None, typer.Option("--month", help="Worklist month, e.g. 2025-11.")] = None,
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("reports/fairness"),
    n_bootstrap: Annotated[int, typer.Option("--bootstrap", help="Bootstrap replicates.")] = 1000,
    population: Annotated[Path | None, typer.Option(
        "--population", help="CSV group,share replacing England's pupil shares.")] = None,
    workspace: Annotated[Path | None, typer.Option("--workspace", help="MLflow workspace.")] = None,
) -> None:
    """Write the ethics-panel fairness pack (HTML + JSON + charts) for one worklist month."""
    from driftflag import HUMAN_DECISION_NOTICE
    from driftflag.errors import DriftflagError
    from driftflag.fairness import FairnessConfig, build_fairness_report

    try:
        try:
            from driftflag.worklist.scored import scored_caseload  # stage 5
        except ImportError as e:
            raise DriftflagError(
                "fairness needs the worklist's scored caseload (driftflag.worklist."
                "scored_caseload), which is not available in this build") from e
        sc = scored_caseload(store, model=model, month=month, workspace=workspace)
        cfg = FairnessConfig(
            feature_columns=tuple(sc.feature_columns), n_bootstrap=n_bootstrap,
            population_shares=population, model_card=sc.model_card,
            model_label=sc.model_label, month=sc.month)
        report = build_fairness_report(sc.frame, cfg)
        report.write(out)
        if sc.run_id and sc.workspace:
            log_fairness_to_mlflow(out, sc.run_id, sc.workspace, report.verdict.status)
    except DriftflagError as err:
        from driftflag.cli import _fail

        _fail(err)
        return
    typer.echo(HUMAN_DECISION_NOTICE)
    typer.echo(f"fairness verdict: {report.verdict.status}")
    for r in report.verdict.reasons:
        typer.echo(f"  - {r}")
    typer.echo(f"written to {out}")
