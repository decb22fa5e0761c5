"""Minimal SSDA903 (children looked after) reader: CSV tables into string-valued DataFrames.

Columns and table names follow ``data-standards.md`` §2.1 (csc-validator-be-903
``lac_validator/config.py``). Nothing is validated here: every value stays the string written in
the file (stripped; blank becomes missing), and every data row is kept with its file and 1-based
row number (``_source_file``, ``_source_row``) so the validation stage can quarantine it with a
reason. Only files that cannot be read at all raise :class:`~driftflag.errors.SourceFileError`.

Layout of a synthetic LA (one folder per collection year, label ``2025-26`` for the year ending
31 March 2026)::

    ssda903/2025-26/header.csv, episodes.csv, uasc.csv, missing.csv, reviews.csv
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from driftflag.casemodel.codes import SSDA903_COLUMNS, SSDA903_MORE_COLUMNS
from driftflag.errors import SourceFileError
from driftflag.ingest._common import STR_DTYPE, keep_latest_year, year_from_label
from driftflag.ingest._tabular import (
    add_problem_columns,
    decode_text,
    parse_csv,
    problem_text,
    width_problem,
)

logger = logging.getLogger(__name__)

#: Every column of the tables read, in the order of data-standards.md §2.1.
TABLE_COLUMNS_903: dict[str, tuple[str, ...]] = {**SSDA903_COLUMNS, **SSDA903_MORE_COLUMNS}

#: Columns without which a table is unusable (a file lacking one raises SourceFileError).
#: Other known columns missing from a file are added as all-missing columns.
REQUIRED_COLUMNS_903: dict[str, tuple[str, ...]] = {
    "header": ("CHILD", "SEX", "DOB", "ETHNIC"),
    "episodes": ("CHILD", "DECOM", "RNE", "LS", "PLACE", "DEC", "REC"),
    "uasc": ("CHILD", "DUC"),
    "missing": ("CHILD", "MISSING", "MIS_START", "MIS_END"),
    "reviews": ("CHILD", "REVIEW"),
    "sw_episodes": ("CHILD", "SW_ID", "SW_DECOM"),
    "oc3": ("CHILD", "DOB", "IN_TOUCH"),
    "oc2": ("CHILD",),
    "ad1": ("CHILD", "DATE_INT"),
    "placed_adoption": ("CHILD", "DATE_PLACED"),
    "prev_perm": ("CHILD", "PREV_PERM"),
}

#: Tables every year folder must hold; the others are read when present.
REQUIRED_TABLES_903: tuple[str, ...] = ("header", "episodes")

#: Record keys for combining years: a key found in several years keeps the latest year's rows.
DEDUPE_KEYS_903: dict[str, tuple[str, ...]] = {
    "header": ("CHILD",),
    "episodes": ("CHILD", "DECOM"),
    "uasc": ("CHILD",),
    "missing": ("CHILD", "MIS_START", "MISSING"),
    "reviews": ("CHILD", "REVIEW"),
    "sw_episodes": ("CHILD", "SW_DECOM"),
    "oc3": ("CHILD",),
    "oc2": ("CHILD",),
    "ad1": ("CHILD", "DATE_INT"),
    "placed_adoption": ("CHILD", "DATE_PLACED"),
    "prev_perm": ("CHILD",),
}

#: File names (normalised: lower case, no punctuation) the DfE and the validators use for the
#: tables whose driftflag name differs (``SWEpisodes.csv``, ``PlacedAdoption.csv``...).
TABLE_FILE_ALIASES: dict[str, str] = {
    "swepisodes": "sw_episodes", "socialworkerepisodes": "sw_episodes", "placedadoption": "placed_adoption",
    "prevperm": "prev_perm", "previouspermanence": "prev_perm", "careleavers": "oc3",
}

_MSG_MISSING_FILE = "required table '{table}' not found (expected {table}.csv)"
_MSG_MISSING_COLUMNS = "missing required column(s) {columns}"
_MSG_DUPLICATE_COLUMNS = "duplicate column(s) {columns} after normalising header names"
_MSG_EMPTY = "file is empty (no header row)"
_MSG_NOT_FOLDER = "not a folder"
_MSG_NO_YEARS = "no collection-year folders (named like 2025-26) found"

_WS_RE = re.compile(r"\s+")


def _normalise_column(name: str) -> str:
    """``" place provider "`` -> ``"PLACE_PROVIDER"``; ``"\\ufeffChild"`` -> ``"CHILD"``."""
    return _WS_RE.sub("_", name.replace("\ufeff", "").strip()).upper()


def read_903_csv(path: Path, table: str) -> pd.DataFrame:
    """Read one 903 CSV table into a string-valued DataFrame.

    Header names are matched case-insensitively with surrounding whitespace ignored (inner runs
    of whitespace become ``_``). Values are stripped; blanks become missing. Known columns
    absent from the file are added empty; unknown columns are kept.

    Every non-blank physical line after the header is one row (903 values never hold a
    newline), so ``len(df)`` is the number of data lines a person counts in the file and
    ``_source_row`` is the line's position after the header (wholly blank lines are skipped
    but counted). A line that cannot be read as written keeps its values and carries the
    ``_read_*`` columns (:data:`~driftflag.ingest._tabular.READ_PROBLEM_COLUMNS`), so the rule
    engine quarantines it: an unbalanced quote (read on its own; the lines after it are read
    normally instead of vanishing into one value), fewer fields than the header (a truncated
    file; never padded silently) or values beyond the header (also kept, joined by commas, in
    ``_extra_fields``).

    Raises
    ------
    SourceFileError
        If the file cannot be decoded (a NUL byte: its offset and line are named), is empty,
        repeats a column or lacks a required column.
    """
    path = Path(path)
    parsed = parse_csv(decode_text(path), multiline_values=False)
    records = parsed.rows
    if not records or not any(records[0]) or 0 in parsed.problems:
        raise SourceFileError(str(path), _MSG_EMPTY if not records or not any(records[0])
                              else "the header row has an unbalanced quote")
    header = [c or "" for c in records[0]]
    columns = [_normalise_column(c) for c in header]
    dupes = sorted({c for c in columns if c and columns.count(c) > 1})
    if dupes:
        raise SourceFileError(str(path), _MSG_DUPLICATE_COLUMNS.format(columns=", ".join(dupes)))
    required = REQUIRED_COLUMNS_903.get(table, ())
    missing = [c for c in required if c not in columns]
    if missing:
        raise SourceFileError(str(path), _MSG_MISSING_COLUMNS.format(columns=", ".join(missing)))
    # An unnamed trailing column (a trailing comma on the header line) is dropped if it is empty.
    columns = [c or f"_unnamed_{i + 1}" for i, c in enumerate(columns)]

    width = len(columns)
    named = max((i + 1 for i, c in enumerate(header) if c), default=0)
    base = parsed.numbers[0]
    rows: list[list[str | None]] = []
    row_numbers: list[int] = []
    extras: list[str | None] = []
    problems: list[tuple[str, str, str, str] | None] = []
    any_extra = False
    for i in range(1, len(records)):
        rec = records[i]
        problem = parsed.problems.get(i)
        if problem is None and not any(rec):
            continue
        if problem is None:
            problem = width_problem(rec, named)
        line = parsed.numbers[i]
        problems.append(problem_text(problem, line, columns, named) if problem else None)
        values = rec[:width]
        if len(values) < width:
            values = values + [None] * (width - len(values))
        extra = ",".join(c or "" for c in rec[width:]).strip(", ") if len(rec) > width else ""
        any_extra = any_extra or bool(extra)
        extras.append(extra or None)
        rows.append(values)
        row_numbers.append(line - base)

    df = pd.DataFrame.from_records(rows, columns=columns) if rows else pd.DataFrame(columns=columns)
    for c in [c for c in df.columns if c.startswith("_unnamed_")]:
        if df[c].isna().all():
            df = df.drop(columns=c)
    for c in TABLE_COLUMNS_903.get(table, ()):
        if c not in df.columns:
            df[c] = None
    known = [c for c in TABLE_COLUMNS_903.get(table, ()) if c in df.columns]
    df = df[known + [c for c in df.columns if c not in known]].astype(STR_DTYPE)
    if any_extra:
        df["_extra_fields"] = pd.Series(extras, dtype=STR_DTYPE)
    df["_source_file"] = pd.Series([str(path)] * len(df), dtype=STR_DTYPE)
    df["_source_row"] = pd.Series(row_numbers, dtype="int64")
    add_problem_columns(df, problems)
    return df


def _find_table_files(folder: Path) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for p in sorted(folder.iterdir()):
        if not p.is_file() or p.suffix.lower() != ".csv":
            continue
        table = p.stem.strip().lower()
        table = TABLE_FILE_ALIASES.get(re.sub(r"[^a-z0-9]", "", table), table)
        if table in TABLE_COLUMNS_903:
            if table in found:
                raise SourceFileError(str(p), f"two files for table '{table}' ({found[table].name})")
            found[table] = p
    return found


def read_903_folder(path: Path) -> dict[str, pd.DataFrame]:
    """Read the 903 CSV tables in one folder (one collection year).

    Reads whichever of the tables of :data:`TABLE_COLUMNS_903` are present (file names matched
    case-insensitively, ``.csv``; ``SWEpisodes.csv`` and the other DfE names too). ``header`` and
    ``episodes`` are required. A folder holding one XML file (root ``<EXPSSDA903>``) and no
    tables is read as the XML form (:func:`driftflag.ingest.ssda903_xml.read_903_xml`).
    Each table is as described in :func:`read_903_csv`.

    Raises
    ------
    SourceFileError
        If the folder does not exist, a required table is missing, or a file cannot be read.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise SourceFileError(str(folder), _MSG_NOT_FOLDER)
    files = _find_table_files(folder)
    xmls = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".xml")
    if xmls and not files:  # the year's return as one XML file (root <EXPSSDA903>)
        from driftflag.ingest.ssda903_xml import read_903_xml

        if len(xmls) > 1:
            raise SourceFileError(str(xmls[1]), f"two 903 XML files for one collection year ({xmls[0].name})")
        tables = read_903_xml(xmls[0])
        return {t: df for t, df in tables.items() if len(df) or t in REQUIRED_TABLES_903}
    for table in REQUIRED_TABLES_903:
        if table not in files:
            raise SourceFileError(str(folder), _MSG_MISSING_FILE.format(table=table))
    tables = {table: read_903_csv(p, table) for table, p in files.items()}
    logger.debug("903 %s: %s", folder, {t: len(df) for t, df in tables.items()})
    return tables


def find_903_year_folders(root: Path) -> dict[int, Path]:
    """Collection-year folders (``2025-26`` -> 2026) under ``root`` or ``root/ssda903``."""
    root = Path(root)
    if (root / "ssda903").is_dir():
        root = root / "ssda903"
    if not root.is_dir():
        raise SourceFileError(str(root), _MSG_NOT_FOLDER)
    years: dict[int, Path] = {}
    for p in sorted(root.iterdir()):
        year = year_from_label(p.name) if p.is_dir() else None
        if year is None:
            continue
        if year in years:
            raise SourceFileError(str(p), f"two folders for collection year {year} ({years[year].name})")
        years[year] = p
    return dict(sorted(years.items()))


def read_903_years(root: Path, years: Iterable[int] | None = None) -> dict[str, pd.DataFrame]:
    """Read and combine the collection-year folders of an LA's 903 returns.

    ``root`` is the ``ssda903`` folder (or the LA folder holding it); ``years`` limits the
    collection years read (default: every year folder found). Each table gains an integer
    ``collection_year`` column. Records continuing across years are resubmitted each year, so
    for each key in :data:`DEDUPE_KEYS_903` (episodes: ``CHILD, DECOM``; missing:
    ``CHILD, MIS_START, MISSING``; reviews: ``CHILD, REVIEW``; header and uasc: ``CHILD``) only
    the rows of the latest year holding that key are kept (rows with a blank key part are always
    kept; see :func:`~driftflag.ingest._common.keep_latest_year`). The number of rows dropped
    per table is in ``df.attrs["dropped_resubmitted"]``.

    Raises
    ------
    SourceFileError
        If there are no year folders or any year cannot be read.
    """
    folders = find_903_year_folders(root)
    if years is not None:
        chosen = set(years)
        folders = {y: p for y, p in folders.items() if y in chosen}
    if not folders:
        raise SourceFileError(str(root), _MSG_NO_YEARS)
    per_table: dict[str, list[pd.DataFrame]] = {}
    for year, folder in folders.items():
        for table, df in read_903_folder(folder).items():
            df.insert(0, "collection_year", year)
            per_table.setdefault(table, []).append(df)
    combined: dict[str, pd.DataFrame] = {}
    for table, frames in per_table.items():
        df = pd.concat(frames, ignore_index=True)
        combined[table] = keep_latest_year(df, list(DEDUPE_KEYS_903[table]))
        logger.debug(
            "903 %s: %d rows, %d dropped as resubmitted",
            table, len(combined[table]), combined[table].attrs["dropped_resubmitted"],
        )
    return combined
