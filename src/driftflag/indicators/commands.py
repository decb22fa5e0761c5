"""``driftflag features`` and ``driftflag scorecard``: thin command-line shells over the library.

Each function parses its options, makes one library call, writes the result and prints a
one-line summary; errors a user can fix are reported by :func:`driftflag.cli._fail` as one line
(exit code 2). They are plain typer-annotated functions, registered in :mod:`driftflag.cli`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer

from driftflag import HUMAN_DECISION_NOTICE
from driftflag.errors import ConfigError, DriftflagError

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def month_start(value: str, option: str):
    """``YYYY-MM`` as the first day of that month (a Timestamp)."""
    import pandas as pd

    m = _MONTH.match(value.strip()) if isinstance(value, str) else None
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ConfigError(f"{option} {value!r} is not a month (YYYY-MM)")
    return pd.Timestamp(int(m.group(1)), int(m.group(2)), 1)


def _fail(err: Exception) -> None:
    from driftflag.cli import _fail as cli_fail

    cli_fail(err)


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
    from driftflag.casemodel import read_store
    from driftflag.indicators import load_registry, panel
    from driftflag.indicators._snapshot import write_panel
    from driftflag.indicators.coverage import feature_coverage, write_coverage

    try:
        start = month_start(from_month, "--from")
        end = month_start(to_month, "--to")
        if end < start:
            raise ConfigError(f"--to {to_month} is before --from {from_month}")
        reg = load_registry(registry)
        case_store = read_store(store)
        frame = panel(case_store, start, end, freq="MS", registry=reg)
        write_panel(frame, out, registry=reg)
        coverage = feature_coverage(frame, reg.model_features())
        cov_path = coverage_path(out)
        write_coverage(coverage, cov_path)
    except DriftflagError as e:
        _fail(e)
        return
    months = frame["as_of"].nunique()
    _echo(f"wrote {out}: {len(frame):,} rows ({months} monthly snapshots, {start.date()} to "
          f"{end.date()}, {frame['child_id'].nunique():,} children); indicator registry {reg.label}")
    shares = coverage.drop(index="open_cases", errors="ignore")
    gaps = [f for f in shares.index if shares.loc[f].max() > 0 and (shares.loc[f] == 0).any()]
    _echo(f"wrote {cov_path}: share of open cases with each feature available, per month"
          + (f"; not available in some months: {', '.join(gaps)}" if gaps else ""))
    _echo(HUMAN_DECISION_NOTICE)


def coverage_path(panel_path: Path) -> Path:
    """Where the coverage table of a panel file is written: ``<panel>.coverage.csv``."""
    panel_path = Path(panel_path)
    return panel_path.with_name(panel_path.stem + ".coverage.csv")


def scorecard(
    store: Annotated[Path, typer.Option("--store", help="Case store folder (manifest.json and Parquet tables).")],
    month: Annotated[str, typer.Option("--month", help="Month to report, YYYY-MM (as at its last day).")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write scorecard_<month>.html and .xlsx into.")],
    registry: Annotated[
        Path | None, typer.Option("--registry", help="Council override of thresholds and targets (YAML).")
    ] = None,
) -> None:
    """The monthly drift scorecard for QA leads: each indicator per service and team, with last
    month, the same month last year, direction of travel, target, RAG and benchmarks (HTML and xlsx).

    Aggregates only: no child-level rows.
    """
    from driftflag.casemodel import read_store
    from driftflag.indicators import load_registry
    from driftflag.reports.scorecard import build_scorecard, parse_month

    try:
        period = parse_month(month)
        reg = load_registry(registry)
        card = build_scorecard(read_store(store), period, registry=reg)
        paths = card.write(out)
    except DriftflagError as e:
        _fail(e)
        return
    services = card.services()
    rated = services[services["rag"].notna()]
    counts = rated["rag"].value_counts()
    summary = ", ".join(f"{counts.get(r, 0)} {r}" for r in ("Green", "Green Amber", "Red Amber", "Red"))
    _echo(f"wrote {paths[0]} and {paths[1].name}: scorecard {period} as at {card.as_of.date()}; "
          f"service-level RAG: {summary}; indicator registry {reg.label}")
    for note in card.notes:
        _echo(f"note: {note}")
    _echo(HUMAN_DECISION_NOTICE)


__all__ = ["coverage_path", "features", "month_start", "scorecard"]
