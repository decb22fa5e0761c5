"""Reading spreadsheet-like sources (xlsx sheets, CSV exports) into string-valued frames.

Annex A and the QA audit log arrive as workbooks edited by hand, or as CSV exports of them, so
both readers share this: find the header row, match header names tolerantly, turn every cell
into the string a person would read (Excel dates as ISO ``YYYY-MM-DD``), keep each row's
position, and raise :class:`~driftflag.errors.SourceFileError` only when the file cannot be read
at all.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path

import pandas as pd

from driftflag.errors import SourceFileError
from driftflag.ingest._common import STR_DTYPE

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
#: Rows scanned for the header row (councils sometimes put a title above the table).
HEADER_SCAN_ROWS = 10
XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"


def norm_header(name: object) -> str:
    """``" Date of  Referral "`` -> ``"dateofreferral"``: case, spacing and punctuation ignored."""
    return _NON_ALNUM.sub("", str(name).replace("\ufeff", "").lower()) if name is not None else ""


def cell_text(v: object) -> str | None:
    """The text of one cell: dates ISO, whole floats without ``.0``, blanks None."""
    if v is None:
        return None
    if isinstance(v, datetime):
        return v.date().isoformat() if v.time() == time(0) else v.isoformat(sep=" ")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if v != v:  # NaN
            return None
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    s = str(v).strip()
    return s or None


def _sheet_rows(ws) -> Iterator[tuple]:
    yield from ws.iter_rows(values_only=True)


def open_workbook(path: Path):
    """Open an xlsx workbook read-only with cached formula values, or raise SourceFileError."""
    import openpyxl

    try:
        head = Path(path).read_bytes()[:8]
    except OSError as e:
        raise SourceFileError(str(path), f"cannot read file ({e.strerror or e})") from e
    if head.startswith(OLE_MAGIC):
        raise SourceFileError(str(path), "encrypted or legacy .xls workbook; save it as an unprotected .xlsx")
    if not head.startswith(XLSX_MAGIC):
        raise SourceFileError(str(path), "not an xlsx workbook")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, IndexError, EOFError) as e:
        raise SourceFileError(str(path), f"not a readable xlsx workbook (truncated or damaged: {type(e).__name__})") from e
    except Exception as e:  # openpyxl raises many types on damaged files
        raise SourceFileError(str(path), f"not a readable xlsx workbook ({type(e).__name__})") from e


def sheet_records(path: Path, ws) -> list[list[str | None]]:
    """Every row of a sheet as text cells (damaged sheet XML raises SourceFileError)."""
    try:
        return [[cell_text(v) for v in row] for row in _sheet_rows(ws)]
    except SourceFileError:
        raise
    except Exception as e:
        raise SourceFileError(str(path), f"sheet '{ws.title}' cannot be read ({type(e).__name__})") from e


def csv_records(path: Path) -> list[list[str | None]]:
    """Every row of a CSV file as text cells (UTF-8 with or without BOM, else Windows-1252)."""
    try:
        raw = Path(path).read_bytes()
    except OSError as e:
        raise SourceFileError(str(path), f"cannot read file ({e.strerror or e})") from e
    if b"\x00" in raw:
        raise SourceFileError(str(path), "not a text CSV file (contains NUL bytes)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    try:
        csv.field_size_limit(1 << 30)
        return [[c.strip() or None for c in rec] for rec in csv.reader(io.StringIO(text, newline=""))]
    except csv.Error as e:
        raise SourceFileError(str(path), f"not a readable CSV file ({e})") from e


def find_header_row(records: list[list[str | None]], must_match: set[str]) -> int | None:
    """Index of the first of the first rows holding a header named like one of ``must_match``
    (normalised names), or None."""
    for i, rec in enumerate(records[:HEADER_SCAN_ROWS]):
        if any(norm_header(c) in must_match for c in rec if c):
            return i
    return None


def records_to_frame(
    records: list[list[str | None]],
    header_row: int,
    columns: dict[int, str],
    *,
    source_file: str,
    source_table: str,
) -> pd.DataFrame:
    """Frame of the rows after ``header_row``, keeping columns ``{position: canonical name}``.

    Wholly blank rows are skipped (not records); ``_source_row`` is the data row number after
    the header (1 = first row under it), as in the 903 reader, so it matches the messy ledger.
    """
    names = list(columns.values())
    positions = list(columns)
    data: dict[str, list] = {n: [] for n in names}
    rows: list[int] = []
    for n, rec in enumerate(records[header_row + 1:], start=1):
        if not any(c for c in rec):
            continue
        width = len(rec)
        for pos, name in zip(positions, names, strict=True):
            data[name].append(rec[pos] if pos < width else None)
        rows.append(n)
    df = pd.DataFrame({n: pd.array(v, dtype=STR_DTYPE) for n, v in data.items()}, columns=names)
    df["_source_file"] = pd.Series([source_file] * len(df), dtype=STR_DTYPE)
    df["_source_table"] = pd.Series([source_table] * len(df), dtype=STR_DTYPE)
    df["_source_row"] = pd.Series([str(r) for r in rows], dtype=STR_DTYPE)
    return df
