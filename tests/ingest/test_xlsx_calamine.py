"""Workbooks are read with python-calamine: what openpyxl read cell by cell, calamine must read
too (the slow reference below), and the sheet XML still vouches for every row with a value.

Each case rebuilds a real defect: a title above the table and a blank first column, error cells
(``#N/A`` from a lookup), two rows whose cells claim the same reference (calamine would keep
one), and rows out of order."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from xlsx_edits import rewrite_sheet, small_audit_log

from driftflag.errors import SourceFileError
from driftflag.ingest import read_annex_a, read_audit_log
from driftflag.ingest._tabular import cell_text, open_workbook, sheet_records


def reference_rows(path: Path, title: str) -> list[list[str | None]]:
    """The slow obviously-correct reading: openpyxl (not read-only), every cell as text."""
    wb = openpyxl.load_workbook(path, data_only=True)
    ws = wb[title]
    return [[cell_text(c.value) for c in row] for row in ws.iter_rows(min_row=1, min_col=1)]


def trimmed(rows: list[list[str | None]]) -> list[list[str | None]]:
    """Rows without trailing blank cells, and without trailing blank rows."""
    out = [list(r) for r in rows]
    for r in out:
        while r and r[-1] is None:
            r.pop()
    while out and not out[-1]:
        out.pop()
    return out


def _records(path: Path):
    wb = open_workbook(path)
    try:
        return sheet_records(path, wb.worksheets[0])
    finally:
        wb.close()


cells = st.one_of(
    st.none(),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False, width=64, min_value=-1e12, max_value=1e12),
    st.booleans(),
    st.dates(min_value=date(1901, 1, 1), max_value=date(2099, 12, 31)),
    st.datetimes(min_value=datetime(1901, 1, 1), max_value=datetime(2099, 12, 31)).map(
        lambda d: d.replace(second=0, microsecond=0)),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(grid=st.lists(st.lists(cells, min_size=1, max_size=5), min_size=1, max_size=8),
       top=st.integers(0, 3), left=st.integers(0, 2))
def test_calamine_reads_what_openpyxl_reads(tmp_path, grid, top, left):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "List 3"
    for i, row in enumerate(grid):
        for j, v in enumerate(row):
            if v is not None:
                ws.cell(row=top + i + 1, column=left + j + 1, value=v)
    f = tmp_path / "grid.xlsx"
    wb.save(f)
    rec = _records(f)
    assert rec.numbers == list(range(1, len(rec.rows) + 1))  # positions are the sheet's own rows
    assert trimmed(rec.rows) == trimmed(reference_rows(f, "List 3"))


def test_title_rows_and_blank_first_column_keep_sheet_positions(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Audits"
    ws["B1"] = "QA audits 2025-26"
    for i, row in enumerate([["Audit ID", "Child Unique ID", "Audit Date"], ["A1", "C1", date(2026, 2, 1)],
                             [None, None, None], ["A2", "C2", "03/02/2026"], ["A3", "C3", 46054]]):
        for j, v in enumerate(row):
            ws.cell(row=3 + i, column=2 + j, value=v)
    f = tmp_path / "audits.xlsx"
    wb.save(f)
    df = read_audit_log(f)
    assert df["Audit ID"].tolist() == ["A1", "A2", "A3"]
    assert df["_source_row"].tolist() == ["1", "3", "4"]  # data rows under the header, blank row counted
    assert df["Audit Date"].tolist() == ["2026-02-01", "03/02/2026", "46054"]  # text stays as written


def _error_workbook(tmp_path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "List 3"
    ws.append(["Child Unique ID", "Date of referral", "Allocated Worker"])
    ws.append(["C1", date(2025, 5, 1), "Ann"])
    ws.append(["C2", date(2025, 5, 2), "Bo"])
    ok = tmp_path / "ok.xlsx"
    wb.save(ok)

    def edit(data: bytes) -> bytes:
        # a lookup that failed: the date of C2 is #N/A, and a row holding only an error
        data = re.sub(rb'<c r="B3"[^>]*>.*?</c>', b'<c r="B3" t="e"><v>#N/A</v></c>', data)
        return data.replace(b"</sheetData>", b'<row r="4"><c r="A4" t="e"><v>#REF!</v></c></row></sheetData>')

    return rewrite_sheet(ok, tmp_path / "annex_a_2025-05-31.xlsx", edit)


def test_error_cells_are_read_as_their_text_not_blanks(tmp_path):
    f = _error_workbook(tmp_path)
    rows = trimmed(_records(f).rows)
    assert rows[2] == ["C2", "#N/A", "Bo"] and rows[3] == ["#REF!"]
    lst = read_annex_a(f)["List 3"]
    assert lst["Date of referral"].fillna("").tolist() == ["2025-05-01", "#N/A", ""]
    assert lst["Child Unique ID"].tolist() == ["C1", "C2", "#REF!"]  # kept, so the checks can quarantine it


def test_cells_claiming_the_same_reference_stop_the_read(tmp_path):
    ok = small_audit_log(tmp_path / "ok.xlsx", ["01/02/2026"] * 3)
    # row 4's cells claim row 3's references: calamine would keep one of the two rows
    bad = rewrite_sheet(ok, tmp_path / "bad.xlsx",
                        lambda d: re.sub(rb'(<c r="[A-C])4"', rb'\g<1>3"', d))
    with pytest.raises(SourceFileError) as e:
        read_audit_log(bad)
    msg = str(e.value)
    assert "\n" not in msg and msg == f"{bad}: sheet 'Audits' holds 4 rows with values but only 3 could be read (damaged sheet XML)"


def test_duplicate_row_numbers_without_cell_references_stop_the_read(tmp_path):
    ok = small_audit_log(tmp_path / "ok.xlsx", [timedelta(hours=i) for i in range(1, 4)])

    def edit(data: bytes) -> bytes:
        data = re.sub(rb'<c r="[A-Z]+\d+"', b"<c", data)  # cells placed by their row alone
        return data.replace(b'<row r="4"', b'<row r="3"')

    bad = rewrite_sheet(ok, tmp_path / "bad.xlsx", edit)
    with pytest.raises(SourceFileError, match=r"sheet 'Audits': row 3 comes after a later row"):
        read_audit_log(bad)


def test_damaged_sheet_xml_is_one_line(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "List 3"
    wb.active.append(["Child Unique ID", "Gender"])
    wb.active.append(["C1", "a) Male"])
    ok = tmp_path / "ok.xlsx"
    wb.save(ok)
    bad = rewrite_sheet(ok, tmp_path / "bad.xlsx", lambda d: d[: len(d) // 2])
    with pytest.raises(SourceFileError) as e:
        read_annex_a(bad)
    assert "\n" not in str(e.value) and str(e.value).startswith(f"{bad}: sheet 'List 3' cannot be read")


def test_chart_sheets_are_not_read_as_tables(tmp_path):
    import xlsxwriter

    f = tmp_path / "audits.xlsx"
    wb = xlsxwriter.Workbook(str(f))
    chart_sheet = wb.add_chartsheet("Chart1")  # first, as a council's summary chart often is
    ws = wb.add_worksheet("Audits")
    ws.write_row(0, 0, ["Audit ID", "Child Unique ID", "Audit Date"])
    ws.write_row(1, 0, ["A1", "C1", "01/02/2026"])
    chart = wb.add_chart({"type": "line"})
    chart.add_series({"values": "=Audits!$A$2:$A$2"})
    chart_sheet.set_chart(chart)
    wb.close()
    book = open_workbook(f)
    assert book.sheetnames == ["Chart1", "Audits"] and [w.title for w in book.worksheets] == ["Audits"]
    assert read_audit_log(f)["Audit ID"].tolist() == ["A1"]
