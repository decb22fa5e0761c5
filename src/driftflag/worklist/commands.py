"""Typer-annotated command functions for ``driftflag worklist`` and ``driftflag audits``.

``cli.py`` registers them (``app.command("worklist")(worklist)``; an ``audits`` sub-app with
``import`` and ``report``). Each parses options, makes library calls, prints a short summary
and turns a :class:`~driftflag.errors.DriftflagError` into one error line via ``cli._fail``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from driftflag import HUMAN_DECISION_NOTICE
from driftflag.errors import ConfigError, DriftflagError

__all__ = ["audits_import", "audits_report", "load_model", "worklist"]

DEFAULT_POLICY = Path("pipelines/monthly_audit.yaml")


def _fail(err: Exception) -> None:
    from driftflag.cli import _fail as cli_fail

    cli_fail(err)


def load_model(model: str | None, *, workspace: Path | None, target: str, version: str | None) -> tuple[Any, str]:
    """The model to score with and a line saying which model it is and why it is in use.

    Models load only from the workspace's registry (:func:`driftflag.tracking.load_model`):
    ``model`` or ``version`` names a registered version or alias; without either, the champion
    (the rule baseline until a model passes the promotion gate). A model file is refused: opening
    one can run any code in it.
    """
    from driftflag.tracking import load_model as load_registered

    if model and version and model != version:
        raise ConfigError("give --model or --version, not both")
    loaded = load_registered(workspace, target, model or version)
    return loaded.pipeline, loaded.label


def run_worklist(
    store: Path,
    month: str,
    out: Path,
    *,
    policy: Path | Any = DEFAULT_POLICY,
    model: str | None = None,
    version: str | None = None,
    target: str = "future_drift",
    workspace: Path | None = None,
    pseudonym_key_file: Path | None = None,
):
    """Score, explain, sample and write one month's worklist; returns (worklist, key or None).

    The library call behind ``driftflag worklist`` and the pipelines' ``worklist`` step;
    ``policy`` is a policy file (or a pipeline file holding one) or a ``WorklistPolicy``.
    """
    from driftflag.casemodel import read_store
    from driftflag.indicators import load_registry
    from driftflag.worklist.caseload import score_caseload
    from driftflag.worklist.feedback import save_worklist
    from driftflag.worklist.month_scores import write_month_scores
    from driftflag.worklist.policy import WorklistPolicy
    from driftflag.worklist.predicts import model_with_target_words
    from driftflag.worklist.pseudonymise import load_pseudonym_key
    from driftflag.worklist.sampling import sample_worklist

    pol = policy if isinstance(policy, WorklistPolicy) else WorklistPolicy.from_yaml(policy)
    key = load_pseudonym_key(pseudonym_key_file)
    fitted, label = load_model(model, workspace=workspace, target=target, version=version)
    label = model_with_target_words(label, workspace=workspace)  # what "highest risk" means
    cs = read_store(store)
    scored, contrib = score_caseload(cs, month, fitted, rule_flags=pol.rule_flags)
    wl = sample_worklist(scored, pol, month, cs["audits"], contributions=contrib,
                         registry=load_registry(), model_label=label)
    wl.write(out, pseudonym_key=key)
    write_month_scores(scored, out, label)  # child-level, not for sharing: for checking the list
    save_worklist(wl, store)
    return wl, key


def worklist(
    store: Annotated[Path, typer.Option("--store", help="Case store folder.")],
    month: Annotated[str, typer.Option("--month", help="Worklist month, e.g. 2025-11 (as of its first day).")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write the worklist to.")],
    policy: Annotated[Path, typer.Option("--policy", help="Sampling policy YAML.")] = DEFAULT_POLICY,
    model: Annotated[str | None, typer.Option("--model", help="Registered version or alias, e.g. champion or 3 "
                                               "(default: the champion; model files are not loaded).")] = None,
    version: Annotated[str | None, typer.Option("--version", help="Registered model version instead of the champion.")] = None,
    target: Annotated[str, typer.Option("--target", help="Target whose registered model to use.")] = "future_drift",
    workspace: Annotated[Path | None, typer.Option("--workspace", help="MLflow workspace folder.")] = None,
    pseudonym_key_file: Annotated[Path | None, typer.Option(
        "--pseudonym-key-file", help="Key for the shared copy (else $DRIFTFLAG_PSEUDONYM_KEY).")] = None,
) -> None:
    """Score every open case, explain each score and sample the month's audit worklist."""
    try:
        wl, key = run_worklist(store, month, out, policy=policy, model=model, version=version,
                               target=target, workspace=workspace,
                               pseudonym_key_file=pseudonym_key_file)
    except DriftflagError as e:
        _fail(e)
        return
    s = wl.summary()
    typer.echo(f"worklist {s['month']}: {s['cases']} cases from {s['open_cases']} open "
               f"({', '.join(f'{k} {v}' for k, v in s['by_part'].items())}); "
               f"inclusion probabilities {s['inclusion_probability_method']}")
    typer.echo(f"wrote {out}/worklist.xlsx, worklist.csv, worklist.html"
               + (", shared/ (pseudonymised)" if key else "; no pseudonymisation key, so no shared copy"))
    typer.echo(HUMAN_DECISION_NOTICE)


def audits_import(
    workbook: Annotated[Path, typer.Argument(help="The completed worklist workbook.")],
    store: Annotated[Path, typer.Option("--store", help="Case store folder.")],
    corrections: Annotated[bool, typer.Option(
        "--corrections", help="Kept for old scripts: a changed grade is always recorded as a "
        "correction (a new ledger record superseding the old one; nothing is overwritten).")] = True,
    month: Annotated[str | None, typer.Option(
        "--month", help="Worklist month, for a workbook that names none (normally read from it).")] = None,
) -> None:
    """Import audits from a returned worklist workbook, part of one, or one team's sheet (any
    number of times: each case is recorded once and corrections are kept as history)."""
    from driftflag.worklist.feedback import import_audits

    try:
        res = import_audits(workbook, store, corrections=corrections, month=month)
    except DriftflagError as e:
        _fail(e)
        return
    typer.echo(res.summary())


def audits_report(
    store: Annotated[Path, typer.Option("--store", help="Case store folder.")],
    month_from: Annotated[str, typer.Option("--from", help="First month, e.g. 2025-06.")],
    month_to: Annotated[str, typer.Option("--to", help="Last month, e.g. 2025-11.")],
    out: Annotated[Path | None, typer.Option("--out", help="Folder to write the report to as HTML and "
                                             "a printable workbook.")] = None,
) -> None:
    """Drift findings by part of the sample, weighted precision, flag/grade agreement, optimism."""
    from driftflag.worklist.feedback import audits_report as build_report

    try:
        rep = build_report(store, month_from, month_to)
    except DriftflagError as e:
        _fail(e)
        return
    typer.echo(rep.to_text())
    if out is not None:
        typer.echo("wrote " + ", ".join(str(p) for p in rep.write(out)))
