"""``driftflag ingest``: a caller of :func:`driftflag.stages.ingest` (registered in :mod:`driftflag.cli`).

Parse options, make one stage call, render the summary with rich. A file that cannot be read at
all stops the run with one line naming the file and the problem (exit 2) and the store is left as
it was. File names and values are printed as plain text, never as rich markup (:mod:`driftflag._text`).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from driftflag.errors import ConfigError


def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Return files or folders (903 CSV, CIN census XML, "
                                                     "Annex A xlsx/CSV, QA audit log, canonical Parquet/CSV).")],
    store: Annotated[Path, typer.Option("--store", help="Case store folder to write (replaced atomically).")],
    format: Annotated[str, typer.Option("--format", help="auto|ssda903|cin|annex-a|audits|canonical")] = "auto",
    extract_date: Annotated[str | None, typer.Option(
        "--extract-date", help="Date the data were extracted, YYYY-MM-DD (default: today). "
                               "No event may be after it.")] = None,
    gx: Annotated[bool, typer.Option("--gx/--no-gx", help="Run the Great Expectations suites and "
                                                          "write Data Docs under STORE/gx.")] = True,
) -> None:
    """Read returns into the canonical case store, validate them and quarantine bad rows."""
    from driftflag import stages
    from driftflag._text import say, single_line
    from driftflag.validate.summary import render_terminal

    err = Console(stderr=True)
    out = Console()
    try:
        extract = date.fromisoformat(extract_date) if extract_date else date.today()
    except ValueError as e:
        raise ConfigError(f"--extract-date {extract_date!r} is not a date (YYYY-MM-DD)") from e
    from driftflag.cli._progress import StepLines
    from driftflag.pipeline.steps import tenths

    # no line before the work starts: input refused up front stays one line, the error
    with StepLines(err, "ingest") as lines:
        due = tenths()

        def step(msg: str, i: int, n: int) -> None:
            if due(i, n):
                lines.step(f"{single_line(msg, 80)} ({i}/{max(n, 1)})")

        result = stages.ingest(paths, store, extract_date=extract,
                               created_at=datetime.now().replace(microsecond=0), format=format,
                               great_expectations=gx, progress=step)
        lines.step("ingest: done")
    import json

    summary = json.loads((result.store_path / "validation" / "summary.json").read_text())
    render_terminal(summary, out)
    say(out, f"Case store written to {result.store_path}; validation summary: "
             f"{result.store_path / 'validation' / 'summary.html'}")
