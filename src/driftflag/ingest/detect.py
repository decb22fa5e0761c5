"""Which return each file is, from its content (magic bytes, XML root, header row), not its name.

``driftflag ingest`` takes files and folders; folders are walked (sorted, hidden files and
``truth/`` skipped) and every ``.csv``, ``.xml``, ``.xlsx``/``.xlsm`` and ``.parquet`` file in
them is detected. A file named explicitly that is none of the formats stops the run
(:class:`~driftflag.errors.SourceFileError`); inside a folder, files of other types (``.md``,
``.json``) are ignored.
"""

from __future__ import annotations

import csv
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from driftflag._text import shown
from driftflag.casemodel.schema import TABLES
from driftflag.errors import ConfigError, SourceFileError
from driftflag.ingest._common import nul_reason, year_from_label
from driftflag.ingest._tabular import OLE_MAGIC, XLSX_MAGIC, norm_header
from driftflag.ingest.annex_a import is_annex_a_header, list_name
from driftflag.ingest.audit_log import is_audit_header

logger = logging.getLogger(__name__)

Format = Literal["ssda903", "cin", "annex-a", "audits", "canonical"]
FORMATS: tuple[str, ...] = ("auto", "ssda903", "cin", "annex-a", "audits", "canonical")
_EXTENSIONS = {".csv", ".xml", ".xlsx", ".xlsm", ".parquet"}

#: 903 table recognised by the columns only it has (normalised header names).
_903_SIGNATURES: tuple[tuple[str, frozenset[str]], ...] = (
    ("sw_episodes", frozenset({"swid", "swdecom"})),
    ("oc3", frozenset({"intouch", "activ", "accom"})),
    ("oc2", frozenset({"convicted", "healthcheck"})),
    ("ad1", frozenset({"dateint", "datematch"})),
    ("placed_adoption", frozenset({"dateplaced"})),
    ("prev_perm", frozenset({"prevperm"})),
    ("episodes", frozenset({"decom", "rne"})),
    ("missing", frozenset({"misstart"})),
    ("reviews", frozenset({"review"})),
    ("uasc", frozenset({"duc"})),
    ("header", frozenset({"sex", "dob", "ethnic"})),
)


@dataclass(frozen=True)
class SourceFile:
    """One input file and what it holds."""

    path: Path
    format: Format
    table: str | None = None  # 903 table or canonical table
    year: int | None = None  # collection year from a ``2025-26`` label in the path


def _header_row(path: Path) -> list[str]:
    with open(path, "rb") as fh:
        raw = fh.read(64 * 1024)
    text = raw.decode("utf-8-sig", errors="replace")
    # The first physical line only: a stray quote must not pull later lines into the header.
    line = re.split(r"\r\n|\r|\n", text, maxsplit=1)[0]
    try:
        first = next(csv.reader([line]), [])
    except csv.Error:
        return []
    return first


_DATA_LIKE = re.compile(r"^[\d\s./:+-]+$")


def _describe_header(header: list[str]) -> str:
    """The first row for an error message: its column names, or only its width when it holds
    data (a file without a header row would otherwise print a child's record)."""
    cells = [h.strip() for h in header]
    if not any(cells):
        return "no header row"
    if any(_DATA_LIKE.match(c) for c in cells if c):
        return f"the first row holds values, not column names ({len(cells)} columns)"
    return "header row: " + ", ".join(shown(c) for c in cells[:6]) + (", …" if len(cells) > 6 else "")


def _903_table(header: list[str]) -> str | None:
    norms = {norm_header(c) for c in header}
    if "child" not in norms:
        return None
    for table, sig in _903_SIGNATURES:
        if sig <= norms:
            return table
    return None


def _canonical_table(path: Path, header: list[str] | None) -> str | None:
    stem = path.stem.strip().lower()
    if stem not in TABLES:
        return None
    if header is None:
        return stem
    cols = {c.strip() for c in header}
    return stem if set(TABLES[stem].key) <= cols else None


def detect_file(path: Path, format: str = "auto") -> SourceFile:
    """Detect the format of one file; raise SourceFileError when it is none of them."""
    path = Path(path)
    if format not in FORMATS:
        raise ConfigError(f"--format {format!r} is not one of {', '.join(FORMATS)}")
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError as e:
        raise SourceFileError(str(path), f"cannot read file ({e.strerror or e})") from e
    year = year_from_label(str(path.parent.name)) or year_from_label(path.name)
    if not head:
        raise SourceFileError(str(path), "file is empty")
    if head.startswith(b"PAR1"):
        table = _canonical_table(path, None)
        if table is None or format not in ("auto", "canonical"):
            raise SourceFileError(str(path), "Parquet file is not a canonical table (name it like lac_episodes.parquet)")
        return SourceFile(path, "canonical", table)
    if head.startswith(OLE_MAGIC):
        raise SourceFileError(str(path), "encrypted or legacy .xls workbook; save it as an unprotected .xlsx")
    if head.startswith(XLSX_MAGIC):
        return _detect_workbook(path, format, year)
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"<"):
        from driftflag.ingest.ssda903_xml import ROOT, XML_TABLE, xml_root

        if xml_root(path) == ROOT:  # the 903 as XML (root <EXPSSDA903>)
            if format not in ("auto", "ssda903"):
                raise SourceFileError(str(path), f"an SSDA903 XML file (root <{ROOT}>), not {format}")
            return SourceFile(path, "ssda903", XML_TABLE, year)
        if format not in ("auto", "cin"):
            raise SourceFileError(str(path), f"an XML file, not {format}")
        return SourceFile(path, "cin", None, year)
    reason = nul_reason(head)
    if reason:
        raise SourceFileError(str(path), f"not a recognised return: {reason}")
    header = _header_row(path)
    if format in ("auto", "ssda903"):
        table = _903_table(header)
        if table is not None:
            return SourceFile(path, "ssda903", table, year)
        if format == "ssda903":
            raise SourceFileError(str(path), "not an SSDA903 table (no CHILD column with a known table's columns)")
    if format in ("auto", "audits") and is_audit_header(header):
        return SourceFile(path, "audits", None, year)
    if format in ("auto", "annex-a") and (is_annex_a_header(header) or format == "annex-a"):
        return SourceFile(path, "annex-a", list_name(path.stem), year)
    if format in ("auto", "canonical"):
        table = _canonical_table(path, header)
        if table is not None:
            return SourceFile(path, "canonical", table, year)
    raise SourceFileError(str(path), f"not a recognised return ({_describe_header(header)})")


def _detect_workbook(path: Path, format: str, year: int | None) -> SourceFile:
    from driftflag.ingest._tabular import open_workbook

    if format not in ("auto", "annex-a", "audits"):
        raise SourceFileError(str(path), f"an xlsx workbook, not {format}")
    wb = open_workbook(path)
    try:
        names = list(wb.sheetnames)
        if format in ("auto", "annex-a") and any(list_name(n) for n in names):
            return SourceFile(path, "annex-a", None, year)
        if format in ("auto", "audits"):
            for ws in wb.worksheets:
                try:
                    if hasattr(ws, "reset_dimensions"):
                        ws.reset_dimensions()  # a stale <dimension ref="A1"/> would hide the header
                    rows = list(ws.iter_rows(min_row=1, max_row=10, values_only=True))
                except Exception as e:
                    raise SourceFileError(str(path), f"sheet '{ws.title}' cannot be read ({type(e).__name__})") from e
                if any(is_audit_header([str(c) if c is not None else None for c in r]) for r in rows):
                    return SourceFile(path, "audits", None, year)
    finally:
        wb.close()
    raise SourceFileError(str(path), "workbook is neither Annex A (sheets named 'List 1'...) nor a QA audit log")


def detect_sources(paths: list[Path], format: str = "auto") -> list[SourceFile]:
    """Every source file under ``paths`` with its format, in a stable (sorted) order.

    Raises
    ------
    SourceFileError
        If a path does not exist, a file named explicitly or a return-type file in a folder is
        not recognised, or nothing was found.
    """
    found: list[SourceFile] = []
    seen: set[Path] = set()
    for p in paths:
        p = Path(p)
        if not p.exists():
            raise SourceFileError(str(p), "no such file or folder")
        files = [p] if p.is_file() else _walk(p)
        for f in files:
            key = f.resolve()
            if key in seen:
                continue
            seen.add(key)
            found.append(detect_file(f, format))
    if not found:
        raise SourceFileError(", ".join(str(p) for p in paths), "no return files found")
    return found


def _walk(folder: Path) -> list[Path]:
    out = []
    for f in sorted(folder.rglob("*")):
        rel = f.relative_to(folder).parts
        if any(part.startswith(".") or part in ("truth", "quarantine", "gx") for part in rel):
            continue
        if f.is_file() and f.suffix.lower() in _EXTENSIONS:
            out.append(f)
    return out
