"""Ofsted Annex A reader: the child-level lists 1-10 of an inspection workbook (or CSV exports).

Column names are those of data-standards.md §1 (liia-tools ``la-agg.yml``). Councils vary them,
so headers are matched with case, spacing and punctuation ignored, plus the fallbacks liia-tools
uses (§1.2): any header like ``/child.*id/`` is the child id and ``Age`` is
``Age of Child (Years)``. Sheets are found by name (``List 3``, ``list3``, ``List 3 -
Referrals``); a CSV export is matched to a list by its file name (``list_3.csv``) or, failing
that, by the list whose columns it shares most.

Values stay text: Excel date cells become ISO ``YYYY-MM-DD``, formulas give their cached value
(a formula never calculated reads as blank), whole numbers lose ``.0``. Turning labels such as
``a) WBRI`` / ``WBRI`` / ``White British`` into codes happens in
:mod:`driftflag.ingest.to_canonical`. List 11 (adopters) is not about children in the case model
and is skipped.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pandas as pd

from driftflag.errors import SourceFileError
from driftflag.ingest._common import constant_text
from driftflag.ingest._plain_csv import read_plain
from driftflag.ingest._tabular import (
    HEADER_SCAN_ROWS,
    READ_PROBLEM_COLUMNS,
    Records,
    csv_records,
    find_header_row,
    norm_header,
    open_workbook,
    records_to_frame,
    sheet_records,
)

logger = logging.getLogger(__name__)

COMMON = ("Child Unique ID", "Gender", "Ethnicity", "Date of Birth", "Age of Child (Years)")
TEAM_WORKER = ("Allocated Team", "Allocated Worker")
DISABILITY = "Does the Child have a Disability"
#: List 8: the return home interview after the child's last missing episode (latest only).
RHI_OFFERED = "Was the child offered a Return Interview after their last missing episode (Y/N)?"
RHI_ACCEPTED = "Did the child accept a Return Interview after their last missing episode (Y/N)?"

#: Columns read from each list (others are ignored); data-standards.md §1.
ANNEX_A_COLUMNS: dict[str, tuple[str, ...]] = {
    "List 1": (*COMMON, "Date of Contact", "Contact Source"),
    "List 2": (*COMMON, "Assessment start date", "Assessment completion date"),
    "List 3": (*COMMON, "Date of referral", "Referral Source", "Referral NFA?", *TEAM_WORKER),
    "List 4": (*COMMON, DISABILITY, "Continuous Assessment Start Date",
               "Child Seen During Continuous Assessment",
               "Continuous Assessment Date of Authorisation",
               "Was the child assessed as requiring LA children's social care support?", *TEAM_WORKER),
    "List 5": (*COMMON, DISABILITY, "Strategy discussion initiating Section 47 Enquiry Start Date",
               "Was an Initial Child Protection Conference deemed unnecessary?",
               "Date of Initial Child Protection Conference",
               "Did the Initial Child Protection Conference Result in a Child Protection Plan",
               *TEAM_WORKER),
    "List 6": (*COMMON, DISABILITY, "CIN Start Date", "Primary Need Code", "Date Child Was Last Seen",
               "CIN Closure Date", "Reason for Closure", "Case Status", *TEAM_WORKER),
    "List 7": (*COMMON, DISABILITY, "Child Protection Plan Start Date", "Initial Category of Abuse",
               "Latest Category of Abuse", "Date of the Last Statutory Visit",
               "Was the Child Seen Alone?", "Date of latest review conference",
               "Child Protection Plan End Date", "Number of Previous Child Protection Plans",
               *TEAM_WORKER),
    "List 8": (*COMMON, DISABILITY, "Date Started to be Looked After", "Child's Legal Status",
               "Date of Latest Statutory Review", "Date of Last Social Work Visit",
               "Placement Type", "Placement Location", RHI_OFFERED, RHI_ACCEPTED, *TEAM_WORKER),
    "List 9": (*COMMON, DISABILITY, *TEAM_WORKER),
    "List 10": (*COMMON, DISABILITY, "Date the Child Entered Care"),
}
#: Without these a list cannot be used at all (SourceFileError).
REQUIRED: dict[str, tuple[str, ...]] = {name: ("Child Unique ID",) for name in ANNEX_A_COLUMNS}
SKIPPED_LISTS = ("List 11",)

_ALIASES: dict[str, str] = {
    "age": "Age of Child (Years)",
    "ageofchild": "Age of Child (Years)",
    "gender": "Gender",
    "sex": "Gender",
    "dob": "Date of Birth",
    "disability": DISABILITY,
}
_CHILD_ID_RE = re.compile(r"child.*id|^childid|^id$")
_LIST_RE = re.compile(r"list\s*_?-?\s*(\d{1,2})(?!\d)", re.IGNORECASE)


def list_name(text: str) -> str | None:
    """``"List 3 - Referrals"`` / ``"list_3.csv"`` -> ``"List 3"``; None if no list number."""
    m = _LIST_RE.search(text)
    return f"List {int(m.group(1))}" if m else None


def match_columns(header: list[str | None], wanted: tuple[str, ...]) -> dict[int, str]:
    """Positions of the wanted columns in ``header`` (first match wins; unknown ignored)."""
    by_norm = {norm_header(w): w for w in wanted}
    out: dict[int, str] = {}
    taken: set[str] = set()
    for i, h in enumerate(header):
        if not h:
            continue
        n = norm_header(h)
        name = by_norm.get(n) or _ALIASES.get(n)
        if name is None and "Child Unique ID" in wanted and _CHILD_ID_RE.search(n) and "family" not in n:
            name = "Child Unique ID"
        if name in wanted and name not in taken:
            out[i] = name
            taken.add(name)
    return out


def _frame(path: Path, records: Records, name: str, table_label: str) -> pd.DataFrame:
    wanted = ANNEX_A_COLUMNS[name]
    hdr = find_header_row(records, {norm_header(c) for c in wanted} | set(_ALIASES))
    if hdr is None:
        if not any(any(c for c in r) for r in records):
            return records_to_frame(Records([[]], [1]), 0, {}, source_file=str(path), source_table=table_label).pipe(
                _complete, wanted)
        raise SourceFileError(str(path), f"{table_label}: no header row with Annex A column names")
    cols = match_columns(records[hdr], wanted)
    missing = [c for c in REQUIRED[name] if c not in cols.values()]
    if missing:
        raise SourceFileError(str(path), f"{table_label}: missing required column(s) {', '.join(missing)}")
    df = records_to_frame(records, hdr, cols, source_file=str(path), source_table=table_label)
    return _complete(df, wanted)


def _complete(df: pd.DataFrame, wanted: tuple[str, ...]) -> pd.DataFrame:
    for c in wanted:
        if c not in df.columns:
            df[c] = constant_text(None, len(df)).array
    return df[[*wanted, "_source_file", "_source_table", "_source_row", *READ_PROBLEM_COLUMNS]]


def read_annex_a(path: Path) -> dict[str, pd.DataFrame]:
    """Read an Annex A workbook (``.xlsx``) or one list exported as CSV.

    Returns ``{"List 3": frame, ...}``: the columns of :data:`ANNEX_A_COLUMNS` for that list
    (absent ones all missing), text values, plus ``_source_file``, ``_source_table`` (the list)
    and ``_source_row`` (data row number under the header). Sheets that are not lists 1-10 are
    skipped; a blank sheet gives an empty frame.

    Raises
    ------
    SourceFileError
        If the file is not a readable workbook or CSV, holds no Annex A list, or a list lacks
        ``Child Unique ID``.
    """
    path = Path(path)
    out: dict[str, pd.DataFrame] = {}
    if path.suffix.lower() == ".csv":
        plain = _read_plain_list(path)
        if plain is not None:
            return plain
        records = csv_records(path)
        name = list_name(path.stem) or _best_list(records)
        if name is None or name not in ANNEX_A_COLUMNS:
            raise SourceFileError(str(path), "not an Annex A list (no list number in the name and no Annex A columns)")
        out[name] = _frame(path, records, name, name)
        return out
    wb = open_workbook(path)
    try:
        for ws in wb.worksheets:
            name = list_name(ws.title)
            if name is None or name not in ANNEX_A_COLUMNS:
                logger.info("%s: sheet %r skipped (not an Annex A list 1-10)", path, ws.title)
                continue
            if name in out:
                raise SourceFileError(str(path), f"two sheets for {name}")
            out[name] = _frame(path, sheet_records(path, ws), name, name)
    finally:
        wb.close()
    if not out:
        raise SourceFileError(str(path), "no Annex A list sheets (named like 'List 3') found")
    return out


def _read_plain_list(path: Path) -> dict[str, pd.DataFrame] | None:
    """A plain CSV export (:mod:`driftflag.ingest._plain_csv`) with its header on the first line,
    read as :func:`read_annex_a` reads it; None for any other file (read by the careful reader)."""
    plain = read_plain(path)
    if plain is None:
        return None
    head = plain.head_records(HEADER_SCAN_ROWS)
    name = list_name(path.stem) or _best_list(head)
    if name is None or name not in ANNEX_A_COLUMNS:
        return None
    wanted = ANNEX_A_COLUMNS[name]
    if find_header_row(head, {norm_header(c) for c in wanted} | set(_ALIASES)) != 0:
        return None
    cols = match_columns(head[0], wanted)
    if any(c not in cols.values() for c in REQUIRED[name]):
        return None
    return {name: _complete(plain.frame(cols, source_file=str(path), source_table=name), wanted)}


def _best_list(records: list) -> str | None:
    best, best_n = None, 1
    for rec in records[:10]:
        norms = {norm_header(c) for c in rec if c}
        for name, cols in ANNEX_A_COLUMNS.items():
            n = len(norms & {norm_header(c) for c in cols[5:]})
            if n > best_n or (n == best_n and best is None and n > 1):
                best, best_n = name, n
    return best


def is_annex_a_header(names: list[str | None]) -> bool:
    """Whether a header row looks like an Annex A list (a child id plus a common column)."""
    norms = {norm_header(c) for c in names if c}
    return "childuniqueid" in norms or ({"gender", "ethnicity"} <= norms and any("child" in n for n in norms))
