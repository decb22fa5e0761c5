"""The council's QA audit log (no return carries it): one sheet or CSV, one row per case audit.

Columns (``driftflag synth`` writes them; a council's own log is mapped to these names):
``Audit ID, Child Unique ID, Audit Date, Auditor, Team, Service, Grade, Drift Found,
Selection Reason, Inclusion Probability, Actions Set``. Headers are matched with case, spacing
and punctuation ignored. Values stay text (dates ISO); parsing and checks are done by the rule
engine like every other source.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from driftflag.errors import SourceFileError
from driftflag.ingest._common import one_line
from driftflag.ingest._tabular import (
    READ_PROBLEM_COLUMNS,
    Records,
    csv_records,
    find_header_row,
    norm_header,
    open_workbook,
    records_to_frame,
    sheet_records,
)

AUDIT_COLUMNS: dict[str, str] = {
    "Audit ID": "audit_id",
    "Child Unique ID": "child_id",
    "Audit Date": "audit_date",
    "Auditor": "auditor",
    "Team": "team",
    "Service": "service",
    "Grade": "grade",
    "Drift Found": "drift_found",
    "Selection Reason": "selection_reason",
    "Inclusion Probability": "inclusion_probability",
    "Actions Set": "actions_set",
}
REQUIRED = ("Audit ID", "Child Unique ID", "Audit Date")
_NORM = {norm_header(k): k for k in AUDIT_COLUMNS} | {"childid": "Child Unique ID", "date": "Audit Date"}


def is_audit_header(names: list[str | None]) -> bool:
    """Whether a header row looks like an audit log (an audit id and a grade or audit date)."""
    norms = {norm_header(c) for c in names if c}
    return "auditid" in norms and bool(norms & {"grade", "auditdate"})


def _frame(path: Path, records: Records, label: str) -> pd.DataFrame:
    hdr = find_header_row(records, {"auditid"})
    if hdr is None:
        raise SourceFileError(str(path), f"{one_line(label, 60)}: no header row with an 'Audit ID' column")
    cols: dict[int, str] = {}
    for i, h in enumerate(records[hdr]):
        name = _NORM.get(norm_header(h)) if h else None
        if name and name not in cols.values():
            cols[i] = name
    missing = [c for c in REQUIRED if c not in cols.values()]
    if missing:
        raise SourceFileError(str(path), f"{one_line(label, 60)}: missing required column(s) {', '.join(missing)}")
    df = records_to_frame(records, hdr, cols, source_file=str(path), source_table=label)
    for c in AUDIT_COLUMNS:
        if c not in df.columns:
            df[c] = pd.Series([None] * len(df), dtype=df["_source_file"].dtype, index=df.index)
    return df[[*AUDIT_COLUMNS, "_source_file", "_source_table", "_source_row", *READ_PROBLEM_COLUMNS]]


def read_audit_log(path: Path) -> pd.DataFrame:
    """Read the audit log (``.xlsx``: the sheet holding an ``Audit ID`` header, or ``.csv``).

    Returns the columns of :data:`AUDIT_COLUMNS` (keys, as text) plus ``_source_file``,
    ``_source_table`` and ``_source_row``.

    Raises
    ------
    SourceFileError
        If the file cannot be read or has no sheet with ``Audit ID``, ``Child Unique ID`` and
        ``Audit Date`` columns.
    """
    path = Path(path)
    if path.suffix.lower() == ".csv":
        return _frame(path, csv_records(path), "Audits")
    wb = open_workbook(path)
    try:
        for ws in wb.worksheets:
            records = sheet_records(path, ws)
            if find_header_row(records, {"auditid"}) is not None:
                return _frame(path, records, ws.title)
    finally:
        wb.close()
    raise SourceFileError(str(path), "no sheet with an 'Audit ID' column (not a QA audit log)")
