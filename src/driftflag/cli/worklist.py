"""``driftflag worklist`` and ``driftflag audits``: callers of the stage API.

:mod:`driftflag.cli` registers them (``worklist``; an ``audits`` sub-app with ``import`` and
``report``) and turns a :class:`~driftflag.errors.DriftflagError` into one error line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from driftflag import HUMAN_DECISION_NOTICE

__all__ = ["audits_import", "audits_report", "worklist"]

DEFAULT_POLICY = Path("pipelines/monthly_audit.yaml")  # = driftflag.stages.DEFAULT_POLICY


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
    from driftflag import stages
    from driftflag.cli._options import parse_month, resolve_workspace
    from driftflag.worklist import WorklistPolicy

    the_month = parse_month(month)
    the_policy = WorklistPolicy.from_yaml(policy)
    result = stages.worklist(store, the_month, out, policy=the_policy, model=model,
                             version=version, target=target,
                             workspace=resolve_workspace(workspace, create=False),
                             pseudonym_key_file=pseudonym_key_file)
    s = result.summary()
    typer.echo(f"worklist {s['month']}: {s['cases']} cases from {s['open_cases']} open "
               f"({', '.join(f'{k} {v}' for k, v in s['by_part'].items())}); "
               f"inclusion probabilities {s['inclusion_probability_method']}")
    typer.echo(f"wrote {out}/worklist.xlsx, worklist.csv, worklist.html"
               + (", shared/ (pseudonymised)" if result.shared else "; no pseudonymisation key, so no shared copy"))
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
    from driftflag.cli._options import parse_month
    from driftflag.worklist.feedback import import_audits

    month = None if month is None else str(parse_month(month, "--month"))
    res = import_audits(workbook, store, corrections=corrections, month=month)
    typer.echo(res.summary())


def audits_report(
    store: Annotated[Path, typer.Option("--store", help="Case store folder.")],
    month_from: Annotated[str, typer.Option("--from", help="First month, e.g. 2025-06.")],
    month_to: Annotated[str, typer.Option("--to", help="Last month, e.g. 2025-11.")],
    out: Annotated[Path | None, typer.Option("--out", help="Folder to write the report to as HTML and "
                                             "a printable workbook.")] = None,
) -> None:
    """Drift findings by part of the sample, weighted precision, flag/grade agreement, optimism."""
    from driftflag.cli._options import parse_month
    from driftflag.worklist.feedback import audits_report as build_report

    month_from, month_to = str(parse_month(month_from, "--from")), str(parse_month(month_to, "--to"))

    rep = build_report(store, month_from, month_to)
    typer.echo(rep.to_text())
    if out is not None:
        typer.echo("wrote " + ", ".join(str(p) for p in rep.write(out)))
