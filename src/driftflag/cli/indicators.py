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
    store: Annotated[list[Path], typer.Option(
        "--store", help="Case store folder (manifest.json and Parquet tables); with --engine spark, "
                        "give one --store per council of the pool.")],
    from_month: Annotated[str, typer.Option("--from", help="First month, YYYY-MM (as at its first day).")],
    to_month: Annotated[str, typer.Option("--to", help="Last month, YYYY-MM, inclusive.")],
    out: Annotated[Path, typer.Option("--out", help="Parquet file to write (a folder with --engine spark).")],
    registry: Annotated[
        Path | None, typer.Option("--registry", help="Council override of indicator thresholds (YAML).")
    ] = None,
    engine: Annotated[str, typer.Option(
        "--engine", help="pandas (one store, in memory) or spark (a pool of stores; pip install "
                         "'driftflag[spark]'; see docs/spark.md).")] = "pandas",
    la_code: Annotated[list[str] | None, typer.Option(
        "--la-code", help="With --engine spark: the LA code of each --store, in the same order "
                          "(default: each store's manifest la_code).")] = None,
    spark_master: Annotated[str | None, typer.Option(
        "--spark-master", help="With --engine spark: the Spark master (default: the active session, "
                               "else local[*]).")] = None,
) -> None:
    """Monthly as-of drift indicators: one row per open child on the 1st of each month, to Parquet.

    Only records dated and known on or before each as-of date are used. Protected
    characteristics are kept in audit_* columns, apart from the model features. The coverage
    table (feature x month, share of open cases where each feature is available) is written
    beside the panel as <out>.coverage.csv (inside the folder, with --engine spark).
    """
    from driftflag import stages
    from driftflag.cli._options import parse_month
    from driftflag.errors import ConfigError

    first, last = parse_month(from_month, "--from"), parse_month(to_month, "--to")
    if engine not in ("pandas", "spark"):
        raise ConfigError(f"--engine {engine!r}: choose pandas or spark")
    if engine == "spark":
        _spark_features(store, first, last, out, registry, la_code, spark_master)
        return
    if len(store) != 1 or la_code:
        raise ConfigError("the pandas engine reads one --store (and no --la-code); "
                          "pool several councils with --engine spark")
    res = stages.features(store[0], first, last, out, registry=registry)
    frame = res.panel
    _echo(f"wrote {out}: {len(frame):,} rows ({frame['as_of'].nunique()} monthly snapshots, "
          f"{first.as_of} to {last.as_of}, {frame['child_id'].nunique():,} children); "
          f"indicator registry {res.registry_label}")
    gaps = res.gaps()
    _echo(f"wrote {res.coverage_path}: share of open cases with each feature available, per month"
          + (f"; not available in some months: {', '.join(gaps)}" if gaps else ""))
    _echo(HUMAN_DECISION_NOTICE)


def _spark_features(stores, first, last, out, registry, la_codes, master) -> None:
    """``--engine spark``: the pool's panel written by Spark (:mod:`driftflag.spark`)."""
    from driftflag.spark import require_pyspark

    require_pyspark()
    from driftflag.spark import spark_features

    res = spark_features(stores, first, last, out, la_codes=la_codes or None, registry=registry,
                         master=master)
    _echo(f"wrote {res.panel_path}: {res.rows:,} rows ({res.months} monthly snapshots, {first.as_of} "
          f"to {last.as_of}, {res.children:,} children of {len(res.la_codes)} councils: "
          f"{', '.join(res.la_codes)}); indicator registry {res.registry_label}")
    _echo(f"wrote {res.coverage_path}: share of open cases with each feature available, per month, "
          "over the pool")
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
