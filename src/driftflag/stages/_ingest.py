"""The ingest stage: read returns into the canonical case store, validate, quarantine bad rows."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from driftflag.ingest.run import IngestResult

_ROW_COLUMNS = {"rows_read": "read", "accepted": "accepted", "quarantined": "quarantined",
                "duplicates": "duplicates"}


def ingest(
    paths: Sequence[Path],
    store: Path,
    *,
    extract_date: date,
    created_at: datetime | None = None,
    format: str = "auto",
    great_expectations: bool = True,
    progress: Callable[[str, int, int], None] | None = None,
) -> IngestResult:
    """Ingest ``paths`` (files or folders of returns) into the case store at ``store``, replaced
    atomically. ``created_at`` (recorded in the manifest) defaults to midnight of the extract
    date, so the same inputs give a byte-identical store. Prints nothing."""
    from driftflag.ingest.run import ingest as run_ingest

    return run_ingest([Path(p) for p in paths], Path(store), extract_date=extract_date,
                      created_at=created_at or datetime.combine(extract_date, time(0, 0)),
                      format=format, run_gx=great_expectations, progress=progress)


def row_totals(result: IngestResult) -> dict[str, int] | None:
    """Rows read, accepted, quarantined and duplicates over every file (read = the other three),
    or None when the accounting table lacks them."""
    acc = getattr(result, "accounting", None)
    if acc is None or not set(_ROW_COLUMNS) <= set(getattr(acc, "columns", [])):
        return None
    tot = acc[list(_ROW_COLUMNS)].sum()
    return {v: int(tot[k]) for k, v in _ROW_COLUMNS.items()}
