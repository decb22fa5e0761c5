"""Scan the files driftflag writes for people for what must never reach them.

Every HTML page, workbook and CSV under a folder is read as a person would see it and checked
for: a missing-value marker ("nan", "NaN", "None", "NaT", "<NA>"), a raw code-list value where
words belong ("FOSTERING", "C1", "WBRI"), an "Empty DataFrame" dump, and any reference to a
host outside the machine (a stylesheet, script, image or link that would make the browser ask
the internet for something: blank pages on a council network, and a request that tells a
third party the page was opened). ``python scripts/scan_people_files.py reports/demo`` runs it
on the demo; the tests run it on small outputs.

Inputs are not outputs: the council's own extracts (the ``la/`` folder of the demo) and the
stores' data files are skipped, and so is the MLflow tracking folder's internal state.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

__all__ = ["Finding", "code_values", "scan_folder", "scan_html", "scan_text_cells"]

#: Missing-value markers pandas and Python print (whole words, case as printed).
MISSING_MARKERS = re.compile(r"(?<![\w/-])(nan|NaN|None|NaT|<NA>|n/a|N/A|Empty DataFrame)(?![\w/-])")
#: Any URL with a host: ``https://host``, ``http://host`` or protocol-relative ``//host`` in an
#: attribute or ``url(...)``.
_URL = re.compile(r"""(?:(?:https?:)?//)([A-Za-z0-9.-]+\.[A-Za-z]{2,}|localhost|127\.0\.0\.1)""")
_LOCAL_HOSTS = {"localhost", "127.0.0.1"}
#: XML namespace identifiers are names, not requests (``xmlns="http://www.w3.org/2000/svg"``).
_NAMESPACE = re.compile(r"""(?:xmlns(?::\w+)?|rdf:resource)=["']https?://[^"']+["']""")
#: Folders that hold inputs or internal state, not pages for people.
SKIP_PARTS = frozenset({"la", "quarantine", ".git", "mlruns", "__pycache__"})


@dataclass(frozen=True)
class Finding:
    """One thing a person must not see, and where."""

    path: str
    where: str
    kind: str
    text: str

    def __str__(self) -> str:
        return f"{self.path} {self.where}: {self.kind}: {self.text}"


def code_values() -> frozenset[str]:
    """Code-list values that are never words: shown to a person they are a raw code.

    Short codes that are also ordinary words or abbreviations people use (CIN, CP, LAC, A4)
    are left out: the scan must not cry wolf.
    """
    from driftflag.casemodel import codes

    out: set[str] = set()
    for name in ("LEGAL_STATUS_CODES", "CATEGORY_OF_ABUSE_CODES", "ETHNICITY_CODES", "PRIMARY_NEED_CODES",
                 "REASON_PLACE_CHANGE_CODES", "SW_REASON_CODES", "CLOSURE_REASON_CODES",
                 "REFERRAL_SOURCE_CODES"):
        out.update(str(c) for c in getattr(codes, name, ()))
    out.update(str(k) for k in getattr(codes, "ANNEX_A_PERMANENCE_PLAN", {}))
    out -= {"OTHER", "OTHERS"}
    return frozenset(c for c in out if len(c) >= 2 and not c.isdigit())


_NO_CODES = re.compile(r"(?!x)x")  # matches nothing
#: A code cited as a reference, not shown as a value: a DfE table ("DfE C1"), an Annex A list
#: ("Annex A L3"), or a code given after its words in a definition ("interim care order (LS C1)",
#: "reason RC9", "referral source 5D").
_CITED = re.compile(r"(?:DfE|Annex A|\(LS|reason|source|EES)\s+$")


def _code_pattern(values: Iterable[str]) -> re.Pattern[str]:
    alts = "|".join(sorted((re.escape(v) for v in values), key=len, reverse=True))
    return re.compile(rf"(?<![\w-])({alts})(?![\w-])")


def scan_text_cells(cells: Iterable[tuple[str, str]], path: str, codes: re.Pattern[str]) -> Iterator[Finding]:
    """Findings in ``(where, text)`` pairs a person reads (workbook cells, CSV cells, page text)."""
    for where, text in cells:
        if not text:
            continue
        for m in MISSING_MARKERS.finditer(text):
            yield Finding(path, where, "missing-value marker", _around(text, m))
        for m in codes.finditer(text):
            if not _CITED.search(text[max(m.start() - 12, 0):m.start()]):
                yield Finding(path, where, "raw code", _around(text, m))
        for m in _URL.finditer(text):
            if m.group(1) not in _LOCAL_HOSTS:
                yield Finding(path, where, "outside host", m.group(1))


def _around(text: str, m: re.Match) -> str:
    a, b = max(m.start() - 30, 0), min(m.end() + 30, len(text))
    return " ".join(text[a:b].split())


class _Visible(HTMLParser):
    """The text of a page a person reads (not its scripts or styles), with line numbers."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.skip = 0
        self.text: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1
        for k, v in attrs:
            if k in ("title", "alt", "aria-label") and v:
                self.text.append((f"line {self.getpos()[0]}", v))

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip and data.strip():
            self.text.append((f"line {self.getpos()[0]}", data))


def scan_html(source: str, path: str, codes: re.Pattern[str]) -> list[Finding]:
    """Findings in one page: its visible text, and outside hosts anywhere in its source."""
    parser = _Visible()
    parser.feed(source)
    found = [f for f in scan_text_cells(parser.text, path, codes) if f.kind != "outside host"]
    plain = _NAMESPACE.sub("", source)
    for lineno, line in enumerate(plain.splitlines(), start=1):
        for m in _URL.finditer(line):
            if m.group(1) not in _LOCAL_HOSTS:
                found.append(Finding(path, f"line {lineno}", "outside host", m.group(1)))
    return found


def _xlsx_cells(path: Path) -> Iterator[tuple[str, str]]:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        for ws in wb.worksheets:
            if ws.sheet_state != "visible":
                continue
            for row in ws.iter_rows():
                for c in row:
                    if c.value is not None and not isinstance(c.value, int | float):
                        yield f"{ws.title}!{c.coordinate}", str(c.value)
    finally:
        wb.close()


def _csv_cells(path: Path) -> Iterator[tuple[str, str]]:
    text = path.read_text(encoding="utf-8", errors="replace")
    for i, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        for j, v in enumerate(row, start=1):
            yield f"row {i} column {j}", v


def people_files(root: Path) -> list[Path]:
    """The HTML pages, workbooks and CSVs under ``root`` written for people."""
    out = []
    for p in sorted(Path(root).rglob("*")):
        if not p.is_file() or p.suffix.lower() not in (".html", ".htm", ".xlsx", ".csv"):
            continue
        if SKIP_PARTS & set(p.relative_to(root).parts[:-1]):
            continue
        out.append(p)
    return out


def scan_folder(root: Path | str) -> list[Finding]:
    """Every finding in every file for people under ``root``."""
    root = Path(root)
    codes = _code_pattern(code_values())
    found: list[Finding] = []
    for p in people_files(root):
        rel = str(p.relative_to(root))
        # the Data Docs document the code lists themselves: codes there are the point
        pattern = _NO_CODES if "data_docs" in p.relative_to(root).parts else codes
        try:
            if p.suffix.lower() in (".html", ".htm"):
                found += scan_html(p.read_text(encoding="utf-8", errors="replace"), rel, pattern)
            elif p.suffix.lower() == ".xlsx":
                found += scan_text_cells(_xlsx_cells(p), rel, pattern)
            else:
                found += scan_text_cells(_csv_cells(p), rel, pattern)
        except Exception as e:  # noqa: BLE001 - a file that cannot be read is itself a finding
            found.append(Finding(rel, "file", "unreadable", e.__class__.__name__))
    return found
