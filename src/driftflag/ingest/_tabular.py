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
import logging
import os
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from operator import itemgetter
from pathlib import Path

import pandas as pd

from driftflag.errors import ConfigError, SourceFileError
from driftflag.ingest._common import STR_DTYPE, constant_text, nul_reason, one_line

logger = logging.getLogger(__name__)

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


@dataclass(frozen=True)
class RowProblem:
    """Why one physical row could not be read as written (it is quarantined, never dropped).

    ``field`` is the 0-based position of the offending field, or None for the row as a whole.
    """

    rule: str
    field: int | None
    value: str


@dataclass
class Records:
    """The rows of one sheet or CSV file as text cells, with where each came from.

    ``numbers[i]`` is the physical line (CSV) or sheet row (xlsx) of ``rows[i]``, 1-based, so
    ``_source_row`` can name the line a person finds in the file. ``problems`` holds the rows
    that could not be read as written (an unbalanced quote), by index into ``rows``. CSV rows
    are also checked against the header's width when turned into a frame (``kind == "csv"``).
    """

    rows: list[list[str | None]]
    numbers: list[int]
    problems: dict[int, RowProblem] = field(default_factory=dict)
    kind: str = "csv"

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i):
        return self.rows[i]

    def __iter__(self):
        return iter(self.rows)


#: Default limits on an xlsx workbook's zip members, checked before anything is decompressed.
#: Override with the environment variables below (e.g. for a very large Annex A).
XLSX_MAX_MEMBER_MIB = 200
XLSX_MAX_RATIO = 100
XLSX_MAX_MEMBERS = 10_000
ENV_XLSX_MAX_MEMBER_MIB = "DRIFTFLAG_XLSX_MAX_MEMBER_MIB"
ENV_XLSX_MAX_RATIO = "DRIFTFLAG_XLSX_MAX_RATIO"
#: Members smaller than this are not checked for their ratio (tiny XML compresses very well).
_RATIO_MIN_BYTES = 1 << 20


def _limit(env: str, default: int) -> int:
    raw = os.environ.get(env)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError as e:
        raise ConfigError(f"{env}={raw!r} is not a whole number") from e
    if value <= 0:
        raise ConfigError(f"{env}={raw!r} must be positive")
    return value


def check_zip_limits(path: Path) -> None:
    """Refuse a workbook whose zip members are too large or compress suspiciously well.

    The declared sizes in the zip directory are checked before the workbook is decompressed,
    so a 46 MiB sheet or a zip bomb is refused in milliseconds instead of after a minute and
    hundreds of MB. Python's zip reader never returns more than the declared size, so a member
    lying about its size fails its CRC check (a damaged-file error) instead of growing.
    """
    max_member = _limit(ENV_XLSX_MAX_MEMBER_MIB, XLSX_MAX_MEMBER_MIB)
    max_ratio = _limit(ENV_XLSX_MAX_RATIO, XLSX_MAX_RATIO)
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as e:
        raise SourceFileError(str(path), f"not a readable xlsx workbook (truncated or damaged: {type(e).__name__})") from e
    if len(infos) > XLSX_MAX_MEMBERS:
        raise SourceFileError(str(path), f"workbook has {len(infos)} zip members (limit {XLSX_MAX_MEMBERS}); not an Excel workbook")
    for info in infos:
        name = one_line(info.filename, 80)
        if info.file_size > max_member * (1 << 20):
            raise SourceFileError(
                str(path), f"workbook member {name} is {info.file_size / (1 << 20):.0f} MiB uncompressed, above the "
                f"limit of {max_member} MiB (set {ENV_XLSX_MAX_MEMBER_MIB} to raise it)")
        if info.file_size >= _RATIO_MIN_BYTES and info.file_size > max_ratio * max(info.compress_size, 1):
            ratio = info.file_size / max(info.compress_size, 1)
            raise SourceFileError(
                str(path), f"workbook member {name} expands {ratio:.0f} times (limit {max_ratio}): refused as a "
                f"possible zip bomb (set {ENV_XLSX_MAX_RATIO} to raise it)")


_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row(?=[\s/>])([^>]*)>")
_ROW_NUMBER = re.compile(rb"""(?:^|\s)r\s*=\s*["']([^"']*)["']""")
#: A cell value with text in it: ``<v>3</v>`` or an inline string's ``<t>text</t>``.
_CELL_VALUE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:v|t)(?:\s[^>]*)?>[^<]")
_ERROR_TYPE = re.compile(rb"""\st\s*=\s*["']e["']""")
_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c(?=[\s/>])([^>]*?)(/?)>")
_CELL_REF = re.compile(rb"""(?:^|\s)r\s*=\s*["']([A-Za-z]{1,3})(\d+)["']""")
_ERROR_VALUE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?v(?:\s[^>]*)?>([^<]*)<")


def _column_index(letters: bytes) -> int:
    i = 0
    for ch in letters.upper():
        i = i * 26 + ch - 64
    return i - 1


def _error_cells(row_xml: bytes) -> list[tuple[int, int, str]]:
    """(row, column, text) of the error cells (``t="e"``) with their own reference in a row."""
    out = []
    cells = list(_CELL.finditer(row_xml))
    for k, m in enumerate(cells):
        if m.group(2) or not _ERROR_TYPE.search(m.group(1)):
            continue
        ref = _CELL_REF.search(m.group(1))
        end = cells[k + 1].start() if k + 1 < len(cells) else len(row_xml)
        v = _ERROR_VALUE.search(row_xml, m.end(), end)
        if ref and v and v.group(1).strip():
            out.append((int(ref.group(2)) - 1, _column_index(ref.group(1)),
                        v.group(1).decode("utf-8", "replace").strip()))
    return out


@dataclass(frozen=True)
class SheetRows:
    """What the sheet XML says about its rows, counted without trusting ``<dimension>``."""

    with_values: int
    #: The first row number not after the one before it (rows out of order), or None.
    out_of_order: int | None
    #: Error cells (``#N/A``, ``#REF!``...) as (0-based row, 0-based column, text): calamine
    #: reads them as blanks, so they are put back as the text a person sees in Excel.
    errors: list[tuple[int, int, str]] = field(default_factory=list)


def sheet_row_numbers(path: Path, member: str) -> SheetRows:
    """Count the ``<row>`` elements of a sheet's XML that hold a value, streamed in constant memory.

    A row without ``r`` is numbered as the previous one plus one. A row whose number is not
    after the previous row's is reported: cells without their own reference would then land on
    an earlier row and overwrite it, so such a sheet cannot be read safely.
    """
    n = 0
    prev = 0
    bad: int | None = None
    errors: list[tuple[int, int, str]] = []
    tail = b""
    with zipfile.ZipFile(path) as z, z.open(member) as f:
        while True:
            chunk = f.read(1 << 20)
            buf = tail + chunk
            starts = list(_ROW_TAG.finditer(buf))
            # Only rows whose end is known are counted: keep the last started row for the next chunk.
            done = starts if not chunk else starts[:-1]
            for k, m in enumerate(done):
                end = starts[k + 1].start() if k + 1 < len(starts) else len(buf)
                stop = buf.find(b"sheetData>", m.end(), end)  # the last row ends with sheetData
                end = stop if stop >= 0 else end
                if _CELL_VALUE.search(buf, m.end(), end):
                    n += 1
                r = _ROW_NUMBER.search(m.group(1))
                try:
                    num = int(float(r.group(1))) if r else prev + 1
                except ValueError:
                    num = prev + 1
                if _ERROR_TYPE.search(buf, m.end(), end):
                    errors.extend(_error_cells(buf[m.end():end]))
                if num <= prev and bad is None:
                    bad = num
                prev = num
            if not chunk:
                return SheetRows(n, bad, errors)
            tail = buf[starts[-1].start():] if starts else buf[-4096:]


def _sheet_members(path: Path) -> dict[str, str]:
    """Sheet name -> its XML member (``xl/worksheets/sheet1.xml``), from the workbook's own
    relationships; sheets whose part cannot be found are left out."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        book = "xl/workbook.xml"
        if "_rels/.rels" in names:
            for rel in etree.fromstring(z.read("_rels/.rels"), parser):
                if str(rel.get("Type", "")).endswith("/officeDocument"):
                    book = str(rel.get("Target", book)).lstrip("/")
        folder = book.rsplit("/", 1)[0] + "/" if "/" in book else ""
        rels_name = f"{folder}_rels/{book.rsplit('/', 1)[-1]}.rels"
        targets: dict[str, str] = {}
        if rels_name in names:
            for rel in etree.fromstring(z.read(rels_name), parser):
                target = str(rel.get("Target", ""))
                targets[str(rel.get("Id"))] = target.lstrip("/") if target.startswith("/") else folder + target
        out: dict[str, str] = {}
        for el in etree.fromstring(z.read(book), parser).iter("{*}sheet"):
            rid = next((v for k, v in el.attrib.items() if k.endswith("}id")), None)
            member = targets.get(str(rid))
            if member in names:
                out[str(el.get("name"))] = member
    return out


class Sheet:
    """One worksheet of a :class:`Workbook` (read in full, with calamine, when first used)."""

    def __init__(self, book: Workbook, title: str):
        self.book, self.title = book, title

    def values(self) -> list[list]:
        """Every row from row 1 and column A (blank rows and columns before the data kept, so
        positions are the sheet's own), cells as calamine gives them (``""`` when empty)."""
        try:
            return self.book.calamine.get_sheet_by_name(self.title).to_python(skip_empty_area=False)
        except Exception as e:  # calamine raises its own types (XmlError, ZipError...) on damaged sheets
            raise SourceFileError(str(self.book.path), f"sheet '{one_line(self.title, 60)}' cannot be read "
                                  f"({type(e).__name__})") from e

    def reset_dimensions(self) -> None:
        """Nothing to reset: calamine never trusts ``<dimension>`` (kept for callers written for openpyxl)."""

    def iter_rows(self, min_row: int = 1, max_row: int | None = None, values_only: bool = True):
        """Rows ``min_row``..``max_row`` (1-based) as tuples, blanks None (openpyxl's shape).
        calamine's own exception types pass through, for the caller to name."""
        rows = self.book.calamine.get_sheet_by_name(self.title).to_python(skip_empty_area=False)
        for row in rows[min_row - 1:max_row]:
            yield tuple(None if v == "" else v for v in row)


class Workbook:
    """An xlsx workbook opened with python-calamine (Rust), 10-20 times faster than openpyxl
    cell by cell. ``sheetnames``, ``worksheets``, ``close`` as in openpyxl so callers need not care."""

    def __init__(self, path: Path, calamine):
        self.path, self.calamine = Path(path), calamine
        self.sheetnames: list[str] = list(calamine.sheet_names)
        # Chart and macro sheets hold no rows (openpyxl's ``worksheets`` left them out too).
        kinds = {m.name: str(m.typ) for m in getattr(calamine, "sheets_metadata", [])}
        self.worksheets = [Sheet(self, n) for n in self.sheetnames
                           if kinds.get(n, "WorkSheet").endswith("WorkSheet")]
        self._members: dict[str, str] | None = None

    def member(self, title: str) -> str | None:
        """The XML member holding sheet ``title`` (None when the workbook does not say)."""
        if self._members is None:
            try:
                self._members = _sheet_members(self.path)
            except Exception as e:  # damaged workbook.xml or relationships: lxml, zipfile, KeyError
                raise SourceFileError(str(self.path), "the workbook's list of sheets cannot be read "
                                      f"(damaged file: {type(e).__name__})") from e
        return self._members.get(title)

    def close(self) -> None:
        close = getattr(self.calamine, "close", None)
        if close is not None:
            close()


def open_workbook(path: Path) -> Workbook:
    """Open an xlsx workbook (formulas give their cached values), or raise SourceFileError.

    The zip members' declared sizes are checked first (:func:`check_zip_limits`), so a zip bomb
    is refused before anything is decompressed.
    """
    from python_calamine import CalamineWorkbook

    try:
        head = Path(path).read_bytes()[:8]
    except OSError as e:
        raise SourceFileError(str(path), f"cannot read file ({e.strerror or e})") from e
    if head.startswith(OLE_MAGIC):
        raise SourceFileError(str(path), "encrypted or legacy .xls workbook; save it as an unprotected .xlsx")
    if not head.startswith(XLSX_MAGIC):
        raise SourceFileError(str(path), "not an xlsx workbook")
    check_zip_limits(Path(path))
    try:
        return Workbook(Path(path), CalamineWorkbook.from_path(str(path)))
    except Exception as e:  # calamine raises its own types (ZipError, XmlError, PasswordError...)
        raise SourceFileError(str(path), f"not a readable xlsx workbook (truncated or damaged: {type(e).__name__})") from e


def _blank(v: object) -> bool:
    return v is None or (isinstance(v, str) and v == "")


def sheet_records(path: Path, ws: Sheet) -> Records:
    """Every row of a sheet as text cells (a damaged sheet raises SourceFileError).

    calamine places each cell by its own reference and ignores ``<dimension>`` (a stale ``A1``
    made openpyxl read 0 of 612 rows). The rows that hold a value are then counted against the
    ``<row>`` elements holding one in the sheet XML, so a row that could not be read stops the
    read with one line instead of vanishing; rows out of order in the XML stop it too.
    """
    title = one_line(ws.title, 60)
    values = ws.values()
    member = ws.book.member(ws.title)
    if member is None:
        raise SourceFileError(str(path), f"sheet '{title}' cannot be located in the workbook (damaged file)")
    try:
        xml = sheet_row_numbers(Path(path), member)
    except (zipfile.BadZipFile, KeyError, OSError, EOFError, ValueError) as e:
        raise SourceFileError(str(path), f"sheet '{title}' cannot be read ({type(e).__name__})") from e
    if xml.out_of_order is not None:
        raise SourceFileError(str(path), f"sheet '{title}': row {xml.out_of_order} comes after a later row in the "
                              "sheet XML (damaged or hand-edited file; open and save it in Excel)")
    for r, c, text in xml.errors:
        while len(values) <= r:
            values.append([])
        if len(values[r]) <= c:
            values[r] = [*values[r], *[""] * (c + 1 - len(values[r]))]
        if _blank(values[r][c]):
            values[r][c] = text
    read = sum(1 for row in values if not all(_blank(v) for v in row))
    if read < xml.with_values:
        raise SourceFileError(str(path), f"sheet '{title}' holds {xml.with_values} rows with values but only {read} "
                              "could be read (damaged sheet XML)")
    rows = [[cell_text(v) for v in row] for row in values]
    return Records(rows, list(range(1, len(rows) + 1)), kind="xlsx")


def decode_text(path: Path) -> str:
    """The text of a CSV file (UTF-8 with or without BOM, else Windows-1252); NUL bytes refused."""
    try:
        raw = Path(path).read_bytes()
    except OSError as e:
        raise SourceFileError(str(path), f"cannot read file ({e.strerror or e})") from e
    reason = nul_reason(raw)
    if reason:
        raise SourceFileError(str(path), reason)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        logger.warning("%s is not UTF-8; reading it as Windows-1252", path)
        return raw.decode("cp1252", errors="replace")


_NEWLINE = re.compile(r"\r\n|\r|\n")


def _physical_lines(text: str) -> list[str]:
    lines = _NEWLINE.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _read_alone(line: str) -> tuple[list[str], RowProblem]:
    """A line whose quotes do not balance, read on its own (the quote runs to the line's end)."""
    try:
        fields = next(csv.reader([line]), [])
    except csv.Error:
        fields = line.split(",")
    q = line.find('"')
    pos = line[:q].count(",") if q >= 0 else None
    return fields, RowProblem("unbalanced_quote", pos, one_line(line[q:] if q >= 0 else line, 80))


#: Most physical lines one quoted value of a workbook export may span (free text); beyond it the
#: opening line is read on its own. Also bounds the work a stray quote can cause to this many
#: lines per line of the file.
MAX_LINES_PER_VALUE = 100


class _LineFeed:
    """The file's lines for ``csv.reader``, refusing to give one record more than ``limit``
    lines (the reader then reports an unclosed quote instead of reading to the end)."""

    def __init__(self, lines: list[str], start: int, limit: int):
        self.lines, self.pos, self.limit, self.pulled = lines, start, limit, 0

    def __iter__(self) -> _LineFeed:
        return self

    def __next__(self) -> str:
        if self.pos >= len(self.lines) or self.pulled >= self.limit:
            raise StopIteration
        self.pulled += 1
        self.pos += 1
        return self.lines[self.pos - 1] + "\n"


def parse_csv(text: str, *, multiline_values: bool) -> Records:
    """Split CSV text into records, one per physical line unless a value legitimately spans lines.

    A quoted value may hold a newline only when ``multiline_values`` (free text in a workbook
    export), over at most :data:`MAX_LINES_PER_VALUE` lines, and only when its record closes
    before the end of the file with the width of the widest single-line record so far (a stray
    quote closed by another one lines later almost never gives that width). Otherwise the
    opening line is a record of its own with an ``unbalanced_quote`` problem and reading
    restarts on the next line: one stray quote can no longer swallow the rest of the file into
    one value, and the work stays linear in the file's length. Wholly blank lines are kept as
    empty records (callers skip them) so positions stay physical line numbers.
    """
    csv.field_size_limit(1 << 30)
    lines = _physical_lines(text)
    limit = MAX_LINES_PER_VALUE if multiline_values else 1
    rows: list[list[str | None]] = []
    numbers: list[int] = []
    problems: dict[int, RowProblem] = {}
    widest = 0
    n = len(lines)
    # Fast path (C-level): when the file has as many records as lines, each record is one line.
    i = 0
    reader = csv.reader(io.StringIO("".join(x + "\n" for x in lines), newline=""), strict=True)
    try:
        recs = list(reader)
    except csv.Error:
        recs = []
    if recs and len(recs) == reader.line_num == n:
        return Records([[c.strip() or None for c in rec] for rec in recs], list(range(1, n + 1)), {}, kind="csv")
    # Careful path from there on: each record may pull at most ``limit`` lines.
    while i < n:
        feed = _LineFeed(lines, i, limit)
        reader = csv.reader(feed, strict=True)
        broken: int | None = None
        while True:
            first = feed.pos
            feed.pulled = 0
            try:
                rec = next(reader)
            except StopIteration:
                break
            except csv.Error:
                broken = first
                break
            span = feed.pos - first
            if span > 1 and len(rec) != widest:
                broken = first
                break
            if span == 1:
                widest = max(widest, len(rec))
            rows.append([c.strip() or None for c in rec])
            numbers.append(first + 1)
        if broken is None:
            break
        fields, problem = _read_alone(lines[broken])
        problems[len(rows)] = problem
        rows.append([c.strip() or None for c in fields])
        numbers.append(broken + 1)
        i = broken + 1
    return Records(rows, numbers, problems, kind="csv")


def csv_records(path: Path) -> Records:
    """Every record of a CSV export of a workbook (quoted values may span lines)."""
    return parse_csv(decode_text(path), multiline_values=True)


def find_header_row(records: list[list[str | None]], must_match: set[str]) -> int | None:
    """Index of the first of the first rows holding a header named like one of ``must_match``
    (normalised names), or None."""
    for i, rec in enumerate(records[:HEADER_SCAN_ROWS]):
        if any(norm_header(c) in must_match for c in rec if c):
            return i
    return None


#: Columns a reader adds to say why a row could not be read as written (None when it could);
#: staging carries them onto every part and the rule engine quarantines the row.
READ_PROBLEM_COLUMNS = ("_read_rule", "_read_column", "_read_value", "_read_message")


def width_problem(rec: list, width: int) -> RowProblem | None:
    """``short_row`` when a CSV record has fewer fields than its header (a truncated file or a
    lost delimiter: padding it would invent blanks), ``long_row`` when it has values beyond the
    header (they belong to no column). Trailing empty fields are not values."""
    n = len(rec)
    if n == width:
        return None
    if n < width:
        return RowProblem("short_row", n, f"{n} of {width} fields")
    if any(c is not None and str(c).strip() for c in rec[width:]):
        return RowProblem("long_row", width, one_line(",".join(str(c or "") for c in rec[width:]), 80))
    return None


def problem_text(problem: RowProblem, line: int, header: list, width: int) -> tuple[str, str, str, str]:
    """(rule, column, value, message) of a read problem, for the ``_read_*`` columns."""
    pos = problem.field
    column = (str(header[pos]) if pos is not None and pos < len(header) and header[pos]
              else f"column {pos + 1}" if pos is not None else "row")
    column = one_line(column, 60)
    if problem.rule == "unbalanced_quote":
        msg = (f"line {line}: a quote opened in {column} is not closed on this line; the line was read "
               "on its own so the lines after it are kept")
    elif problem.rule == "short_row":
        msg = f"line {line} has {problem.value} of the header (the file may be truncated); {column} onwards are missing"
    else:
        msg = f"line {line} has values beyond the header's {width} columns: {problem.value}"
    return problem.rule, column, problem.value, msg


def records_to_frame(
    records: Records,
    header_row: int,
    columns: dict[int, str],
    *,
    source_file: str,
    source_table: str,
) -> pd.DataFrame:
    """Frame of the rows after ``header_row``, keeping columns ``{position: canonical name}``.

    Wholly blank rows are skipped (not records); ``_source_row`` is the data row number after
    the header (1 = the line or sheet row just under it), as in the 903 reader, so it matches the
    messy ledger and a person can find the row. Rows that could not be read as written (see
    :class:`Records`; CSV rows are checked against the header's width) carry the
    :data:`READ_PROBLEM_COLUMNS`.
    """
    names = list(columns.values())
    positions = list(columns)
    all_rows = records.rows
    header = all_rows[header_row]
    width = max((i + 1 for i, c in enumerate(header) if c), default=0)
    base = records.numbers[header_row]
    # Column-wise, with the per-row work left to C (any, len, itemgetter, zip): 48 monthly
    # extracts of a large council are over a million rows.
    read_problems = records.problems
    keep = [i for i in range(header_row + 1, len(all_rows)) if any(all_rows[i]) or i in read_problems]
    kept = [all_rows[i] for i in keep]
    problems: list[tuple[str, str, str, str] | None] = [None] * len(kept)
    lengths = list(map(len, kept))
    check = {k for k, n in enumerate(lengths) if n != width} if records.kind == "csv" else set()
    if read_problems:
        check.update(k for k, i in enumerate(keep) if i in read_problems)
    for k in sorted(check):
        problem = read_problems.get(keep[k])
        if problem is None and records.kind == "csv":
            problem = width_problem(kept[k], width)
        if problem:
            problems[k] = problem_text(problem, records.numbers[keep[k]], header, width)
    need = max(positions) + 1 if positions else 0
    for k, n in enumerate(lengths):
        if n < need:
            kept[k] = [*kept[k], *[None] * (need - n)]
    if len(positions) == 1:
        picked = [[rec[positions[0]] for rec in kept]]
    elif positions and kept:
        picked = [list(c) for c in zip(*map(itemgetter(*positions), kept), strict=True)]
    else:
        picked = [[] for _ in positions]
    data = dict(zip(names, picked, strict=True))
    numbers = records.numbers
    rows = [numbers[i] - base for i in keep]
    df = pd.DataFrame({n: text_array(v) for n, v in data.items()}, columns=names)
    df["_source_file"] = constant_text(source_file, len(df)).array
    df["_source_table"] = constant_text(source_table, len(df)).array
    df["_source_row"] = pd.Series([str(r) for r in rows], dtype=STR_DTYPE)
    add_problem_columns(df, problems)
    return df


def text_array(values: list | tuple) -> pd.api.extensions.ExtensionArray:
    """``pd.array(values, dtype=STR_DTYPE)`` for a list of texts and Nones, built by pyarrow
    (three times faster: 48 monthly extracts are millions of cells); any other value falls
    back to pandas' own conversion."""
    import pyarrow as pa

    try:
        arr = pa.array(values, type=pa.large_string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pd.array(values, dtype=STR_DTYPE)
    return pd.array(arr, dtype=STR_DTYPE)


def add_problem_columns(df: pd.DataFrame, problems: list[tuple[str, str, str, str] | None]) -> None:
    """Add :data:`READ_PROBLEM_COLUMNS` to ``df`` (one entry per row, None when read cleanly)."""
    for k, col in enumerate(READ_PROBLEM_COLUMNS):
        df[col] = pd.Series([p[k] if p else None for p in problems], dtype=STR_DTYPE, index=df.index)
