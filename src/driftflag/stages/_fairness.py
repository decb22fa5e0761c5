"""The fairness stage: the pack of a model version (written and logged) and the promotion gate's
verdict, from the version's out-of-sample back-test (:mod:`driftflag.fairness.backtest`): every
monthly list its recipe would have made over the newest 12 months with known outcomes, pooled,
plus every open case of those months for calibration and AUC by group.

(Moved here from ``driftflag.fairness.commands``; the command and the pipeline step call it.)
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from driftflag.stages._uris import honours_workspace
from driftflag.workspace import Workspace

if TYPE_CHECKING:
    from driftflag.fairness import FairnessReport, Verdict


@honours_workspace
def fairness(store: Path, out: Path | None, *, workspace: Workspace, model: str = "champion",
             target: str = "future_drift", k: int = 40, months: int = 12, n_bootstrap: int = 1000,
             population: Path | None = None) -> FairnessReport:
    """The fairness pack of ``model`` (``champion`` or a version) written to ``out`` and logged to
    the version's MLflow run. Prints nothing; returns the report (``report.verdict``)."""
    return fairness_pack(store, out, workspace=workspace.path,
                         version=None if model == "champion" else model, target=target, k=k,
                         months=months, n_bootstrap=n_bootstrap, population=population)


def fairness_pack(store: Path, out: Path | None, *, workspace: Path | None = None,
                  version: str | None = None, target: str = "future_drift", k: int | float = 40,
                  months: int = 12, n_bootstrap: int = 1000, population: Path | None = None,
                  log_mlflow: bool = True) -> FairnessReport:
    """Build the fairness pack of a model version (default: the champion) from its back-test;
    write it to ``out`` (unless None) and log it and its verdict to the version's MLflow run.

    Returns the :class:`~driftflag.fairness.FairnessReport`.
    """
    from driftflag.fairness import FairnessConfig, build_fairness_report
    from driftflag.fairness.backtest import backtest_caseload

    bt = backtest_caseload(store, workspace=workspace, version=version, target=target,
                           months=months)
    cfg = FairnessConfig(
        feature_columns=tuple(bt.feature_columns), n_bootstrap=n_bootstrap, k=k,
        population_shares=population, model_card=bt.model_card, model_label=bt.model_label,
        month=f"{bt.months[0]} to {bt.months[-1]}", evidence=bt.evidence)
    report = build_fairness_report(bt.frame, cfg)
    if out is not None:
        report.write(out)
    if log_mlflow and bt.run_id and out is not None:
        from driftflag.tracking import resolve_workspace

        log_fairness_to_mlflow(out, bt.run_id, resolve_workspace(workspace, create=False),
                               report.verdict.status)
    return report


def fairness_verdict(store: Path, version: str, *, workspace: Path | None = None,
                     target: str = "future_drift", k: int | float = 40, months: int = 12,
                     n_bootstrap: int = 1000, out: Path | None = None) -> Verdict:
    """The fairness verdict of a model version (a challenger), for the promotion gate.

    ``verdict.gate_ok`` is what the gate passes as ``fairness_ok``: False when the verdict is
    "fail" (the gate refuses), True on "pass", None on "attention" or "insufficient evidence"
    (the panel decides; ``require_fairness=True`` makes the gate refuse those too). The verdict
    is also tagged on the version's run (``fairness_verdict``).
    """
    report = fairness_pack(store, out, workspace=workspace, version=version, target=target,
                           k=k, months=months, n_bootstrap=n_bootstrap,
                           log_mlflow=out is not None)
    if out is None:
        _tag_verdict(workspace, target, version, report.verdict.status)
    return report.verdict


def _tag_verdict(workspace: Path | None, target: str, version: str, status: str) -> None:
    from driftflag.tracking import model_name, resolve_workspace, use_workspace

    client = use_workspace(resolve_workspace(workspace, create=False))
    mv = client.get_model_version(model_name(target), str(version))
    client.set_tag(mv.run_id, "fairness_verdict", status)


def log_fairness_to_mlflow(out_dir: Path, run_id: str, workspace: Path, verdict: str) -> None:
    """Log ``fairness.json``/``.html``/charts and the verdict to an existing MLflow run.

    MLflow is imported here (no I/O at import); the workspace's SQLite store is made explicit
    through :func:`driftflag.tracking.use_workspace`.
    """
    from driftflag.tracking import use_workspace

    client = use_workspace(workspace)
    client.log_artifacts(run_id, str(out_dir), artifact_path="fairness")
    client.set_tag(run_id, "fairness_verdict", verdict)
