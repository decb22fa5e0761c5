"""``driftflag features`` and ``driftflag scorecard``: callers of :func:`driftflag.stages.features`
and :func:`driftflag.stages.scorecard` that print a one-line summary. Registered in
:mod:`driftflag.cli`, which turns a :class:`~driftflag.errors.DriftflagError` into one line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from driftflag import HUMAN_DECISION_NOTICE


def _echo(text: str) -> None:
    from driftflag._text import say
    from driftflag.cli import out

    say(out, text, one_line=True)


def features(
    store: Annotated[Path, typer.Option("--store", help="Case store folder (manifest.json and Parquet tables).")],
    from_month: Annotated[str, typer.Option("--from", help="First month, YYYY-MM (as at its first day).")],
    to_month: Annotated[str, typer.Option("--to", help="Last month, YYYY-MM, inclusive.")],
    out: Annotated[Path, typer.Option("--out", help="Parquet file to write.")],
    registry: Annotated[
        Path | None, typer.Option("--registry", help="Council override of indicator thresholds (YAML).")
    ] = None,
) -> None:
    """Monthly as-of drift indicators: one row per open child on the 1st of each month, to Parquet.

    Only records dated and known on or before each as-of date are used. Protected
    characteristics are kept in audit_* columns, apart from the model features. The coverage
    table (feature x month, share of open cases where each feature is available) is written
    beside the panel as <out>.coverage.csv.
    """
    from driftflag import stages
    from driftflag.cli._options import parse_month

    first, last = parse_month(from_month, "--from"), parse_month(to_month, "--to")
    res = stages.features(store, first, last, out, registry=registry)
    frame = res.panel
    _echo(f"wrote {out}: {len(frame):,} rows ({frame['as_of'].nunique()} monthly snapshots, "
          f"{first.as_of} to {last.as_of}, {frame['child_id'].nunique():,} children); "
          f"indicator registry {res.registry_label}")
    gaps = res.gaps()
    _echo(f"wrote {res.coverage_path}: share of open cases with each feature available, per month"
          + (f"; not available in some months: {', '.join(gaps)}" if gaps else ""))
    _echo(HUMAN_DECISION_NOTICE)


def scorecard(
    store: Annotated[Path, typer.Option("--store", help="Case store folder (manifest.json and Parquet tables).")],
    month: Annotated[str, typer.Option("--month", help="Month to report, YYYY-MM (as at its last day).")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write scorecard_<month>.html and .xlsx into.")],
    registry: Annotated[
        Path | None, typer.Option("--registry", help="Council override of thresholds and targets (YAML).")
    ] = None,
    council: Annotated[
        Path | None, typer.Option("--council", help="Council file (YAML): name, LA code, region and statistical "
                                                    "neighbours' figures for 'How we compare'.")
    ] = None,
) -> None:
    """The monthly drift scorecard for QA leads: each indicator per service and team, with last
    month, the same month last year, direction of travel, target, RAG and benchmarks (HTML and xlsx).

    Aggregates only: no child-level rows.
    """
    from driftflag import stages
    from driftflag.cli._options import parse_month

    period = parse_month(month)
    res = stages.scorecard(store, period, out, registry=registry, council=council)
    card, paths = res.card, res.paths
    services = card.services()
    rated = services[services["rag"].notna()]
    counts = rated["rag"].value_counts()
    summary = ", ".join(f"{counts.get(r, 0)} {r}" for r in ("Green", "Green Amber", "Red Amber", "Red"))
    _echo(f"wrote {paths[0]} and {paths[1].name}: scorecard {period} as at {card.as_of.date()}; "
          f"service-level RAG: {summary}; indicator registry {res.registry_label}")
    for note in card.notes:
        _echo(f"note: {note}")
    _echo(HUMAN_DECISION_NOTICE)


__all__ = ["features", "scorecard"]
