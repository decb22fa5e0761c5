"""Deterministic, fast xlsx output: xlsxwriter builds the workbook, rows are spliced in.

xlsxwriter writes every part of the package (content types, workbook, styles with the
``dd/mm/yyyy`` date format, document properties with a fixed creation date, the header row of
each sheet). Writing 1-2 million data cells through its per-cell API takes ~4 microseconds a
cell, too slow for the benchmark LA, so the data rows are generated here as SpreadsheetML
``<row>`` elements with whole-column string operations (inline strings, numbers, and dates as
serial numbers with the date style) and inserted into each worksheet's ``<sheetData>`` before
the zip is written. The zip entries keep xlsxwriter's fixed 1980-01-01 timestamps, so the same
sheets give byte-identical files.

A sheet is an :class:`XlsxSheet`: an object frame whose cells are ``str`` (text; ``""`` is an
empty cell), ``int``/``float`` numbers (NaN is empty) or, in the columns listed in
``date_columns``, Excel serial day numbers (see :func:`._common.excel_serials`) written as real
date cells. A ``str`` in a date column (e.g. an injected unparseable date) is written as text.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter

#: Workbook creation date written into docProps/core.xml (never the wall clock).
FIXED_CREATED = datetime(2000, 1, 1, 0, 0, 0)
DATE_FORMAT = "dd/mm/yyyy"
#: zlib level for the zip entries: 1 is ~3x faster than the default 6 for ~25% larger files.
_ZLIB_LEVEL = 1
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass
class XlsxSheet:
    """One worksheet: ``frame`` holds the data rows under the canonical column names;
    ``header`` is what row 1 shows (a messy header variant may differ from the column names)."""

    name: str
    frame: pd.DataFrame
    date_columns: tuple[str, ...] = ()
    header: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.header:
            self.header = [str(c) for c in self.frame.columns]


def column_letter(i: int) -> str:
    """0-based column index -> Excel letters (0 -> A, 26 -> AA)."""
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def _escape(values: pd.Series) -> pd.Series:
    joined = "".join(values.tolist())  # one C-level pass instead of a regex per value
    if not ("&" in joined or "<" in joined or ">" in joined or _ILLEGAL_XML.search(joined)):
        return values
    values = values.str.replace(_ILLEGAL_XML, "", regex=True)
    values = values.str.replace("&", "&amp;", regex=False).str.replace("<", "&lt;", regex=False)
    return values.str.replace(">", "&gt;", regex=False)


def _number_text(values: np.ndarray) -> np.ndarray:
    """Shortest round-trip text of numbers (integral floats without a trailing ``.0``)."""
    f = values.astype(float)
    out = np.empty(len(f), dtype=object)
    integral = np.isfinite(f) & (f == np.round(f)) & (np.abs(f) < 2**53)
    out[integral] = f[integral].astype(np.int64).astype(str)
    rest = ~integral
    out[rest] = [repr(float(x)) for x in f[rest]]
    return out


def _cells(values: np.ndarray, ref_prefix: str, rows: np.ndarray, date_style: int | None) -> np.ndarray:
    """``<c>`` elements for one column (``""`` where the cell is empty)."""
    n = len(values)
    out = np.full(n, "", dtype=object)
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind == "string":  # text (and blanks): the common case, no per-cell type test
        is_str = (values != "") & ~pd.isna(values)
        is_num = np.zeros(n, dtype=bool)
    elif kind in ("floating", "integer", "mixed-integer-float", "empty"):
        is_str = np.zeros(n, dtype=bool)
        is_num = ~pd.isna(values)
    else:
        is_str = np.fromiter((type(v) is str for v in values), dtype=bool, count=n)
        is_num = np.fromiter(
            (type(v) is not str and v is not None and v is not pd.NA and v == v for v in values),
            dtype=bool, count=n,
        )
        is_str &= values != ""
    if is_str.any():
        txt = _escape(pd.Series(values[is_str], dtype=object)).tolist()
        out[is_str] = [f'<c r="{ref_prefix}{r}" t="inlineStr"><is><t xml:space="preserve">{t}'
                       "</t></is></c>" for r, t in zip(rows[is_str], txt, strict=True)]
    if is_num.any():
        style = "" if date_style is None else f' s="{date_style}"'
        out[is_num] = [f'<c r="{ref_prefix}{r}"{style}><v>{v}</v></c>'
                       for r, v in zip(rows[is_num], _number_text(values[is_num]), strict=True)]
    return out


def _sheet_rows(sheet: XlsxSheet, date_style: int) -> str:
    df = sheet.frame
    n = len(df)
    if n == 0:
        return ""
    rows = (np.arange(n) + 2).astype(str).astype(object)
    parts = ['<row r="' + rows + '">']
    for j, col in enumerate(df.columns):
        style = date_style if col in sheet.date_columns else None
        parts.append(_cells(df[col].to_numpy(dtype=object), column_letter(j), rows, style))
    parts.append(np.full(n, "</row>", dtype=object))
    return "".join(["".join(r) for r in zip(*parts, strict=True)])


def write_workbook(path: Path, sheets: list[XlsxSheet], *, created: datetime = FIXED_CREATED) -> Path:
    """Write ``sheets`` to ``path`` and return it."""
    path = Path(path)
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_numbers": False,
                                   "strings_to_formulas": False, "strings_to_urls": False})
    wb.set_properties({"created": created})
    date_fmt = wb.add_format({"num_format": DATE_FORMAT})
    for sheet in sheets:
        ws = wb.add_worksheet(sheet.name)
        for j, name in enumerate(sheet.header):
            ws.write_string(0, j, name)
        ncol = max(len(sheet.header), 1)
        # Touch the last data row so the dimension covers the spliced rows, and register the
        # date format so it gets an xf index; the cell itself is replaced below.
        ws.write_blank(len(sheet.frame), ncol - 1, None, date_fmt)
    wb.close()
    date_style = date_fmt.xf_index

    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            m = re.fullmatch(r"xl/worksheets/sheet(\d+)\.xml", info.filename)
            if m:
                sheet = sheets[int(m.group(1)) - 1]
                text = data.decode("utf-8")
                # Drop xlsxwriter's placeholder rows after the header, then splice ours in.
                head, sep, rest = text.partition("</row>")
                tail = rest[rest.index("</sheetData>"):] if "</sheetData>" in rest else rest
                text = head + sep + _sheet_rows(sheet, date_style) + tail
                data = text.encode("utf-8")
            zi = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = info.external_attr
            dst.writestr(zi, data, compresslevel=_ZLIB_LEVEL)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(out.getvalue())  # the caller stages the whole LA folder atomically
    return path
