"""Annex A and QA audit log writers: sheets, exact headers, labels, Excel dates, content."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from driftflag.casemodel import codes
from driftflag.synth.writers import write_annex_a, write_audit_log
from driftflag.synth.writers.annex_a import COLUMNS, DATE_COLUMNS, SHEETS
from driftflag.synth.writers.audit_log import COLUMNS as AUDIT_COLUMNS

from .data_for_test import small_store

EXTRACT = datetime(2026, 3, 31)
EXTERNAL = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "external"
YES_NO = set(codes.ANNEX_A_YES_NO.values()) | {None}


@pytest.fixture(scope="module")
def paths(tmp_path_factory) -> tuple[Path, Path]:
    out = tmp_path_factory.mktemp("annex")
    store = small_store()
    a = write_annex_a(store, out, "2026-03-31")
    b = write_audit_log(store, out)
    assert a == out / "annex_a" / "annex_a_2026-03-31.xlsx"
    assert b == out / "audits" / "qa_audit_log.xlsx"
    return a, b


@pytest.fixture(scope="module")
def book(paths):
    wb = openpyxl.load_workbook(paths[0])
    yield wb
    wb.close()


def frame(book, sheet: str) -> pd.DataFrame:
    rows = list(book[sheet].iter_rows(values_only=True))
    return pd.DataFrame(rows[1:], columns=rows[0])


def test_sheets_and_exact_headers(book):
    assert book.sheetnames == ["List 3", "List 4", "List 5", "List 6", "List 7", "List 8",
                               "List 9"]
    for name in SHEETS:
        header = [c.value for c in next(book[name].iter_rows(min_row=1, max_row=1))]
        assert tuple(header) == COLUMNS[name]
        assert header[:5] == ["Child Unique ID", "Gender", "Ethnicity", "Date of Birth",
                              "Age of Child (Years)"]


@pytest.mark.skipif(not (EXTERNAL / "annex_a").is_dir(), reason="external fixtures absent")
def test_same_sheet_names_as_the_external_template():
    wb = openpyxl.load_workbook(EXTERNAL / "annex_a" / "Annex_A.xlsx", read_only=True)
    assert set(SHEETS) <= set(wb.sheetnames)
    wb.close()


def test_dates_are_excel_dates_and_never_after_the_extract(book):
    for name in SHEETS:
        ws = book[name]
        header = [c.value for c in ws[1]]
        for col in DATE_COLUMNS[name]:
            j = header.index(col) + 1
            for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                if cell.value is None:
                    continue
                assert isinstance(cell.value, datetime), (name, col, cell.value)
                assert cell.number_format == "dd/mm/yyyy"
                assert cell.value <= EXTRACT, (name, col, cell.value)


def test_labels(book):
    for name in SHEETS:
        df = frame(book, name)
        assert set(df["Gender"]) <= set(codes.ANNEX_A_GENDER_LABEL.values())
        assert set(df["Ethnicity"]) <= set(codes.ANNEX_A_ETHNICITY_LABEL.values())
        if name != "List 3":
            assert set(df["Does the Child have a Disability"]) <= YES_NO
    l7 = frame(book, "List 7")
    assert set(l7["Initial Category of Abuse"]) <= set(codes.ANNEX_A_ABUSE_LABEL.values())
    l6 = frame(book, "List 6")
    assert set(l6["Case Status"]) <= set(codes.ANNEX_A_CASE_STATUS.values())
    l8 = frame(book, "List 8")
    assert set(l8["What is the permanence plan for this child?"]) <= set(
        codes.ANNEX_A_PERMANENCE_PLAN.values())


def test_list3_referrals(book):
    l3 = frame(book, "List 3")
    assert l3["Child Unique ID"].tolist() == ["C001", "C004", "C005"]
    r = l3.iloc[0]
    assert r["Date of referral"] == datetime(2025, 12, 1)
    assert r["Referral Source"] == "q) 6: Police"
    assert r["Referral NFA?"] == "b) No"
    assert r["Number of Referrals in Last 12 Months"] == 0  # previous one was 13 months before
    assert (r["Allocated Team"], r["Allocated Worker"]) == ("CP Team 1", "Sam Jones")
    c5 = l3.iloc[2]  # unborn at the extract date: no date of birth, no age
    assert pd.isna(c5["Date of Birth"]) and pd.isna(c5["Age of Child (Years)"])


def test_list6_and_list7(book):
    l6 = frame(book, "List 6").set_index(["Child Unique ID", "CIN Start Date"])
    closed = l6.loc[("C001", datetime(2024, 11, 1))]
    assert closed["Case Status"] == "e) Closed episode"
    assert closed["CIN Closure Date"] == datetime(2025, 10, 1)
    assert closed["Reason for Closure"].startswith("RC7 - ")
    assert l6.loc[("C002", datetime(2023, 5, 1)), "Case Status"] == "a) Looked after child"
    assert l6.loc[("C004", datetime(2025, 4, 10)), "Case Status"] == "b) Child Protection plan"
    c5 = l6.loc[("C005", datetime(2026, 2, 1))]
    assert pd.isna(c5["CIN Closure Date"]) and pd.isna(c5["Reason for Closure"])
    l7 = frame(book, "List 7").set_index("Child Unique ID")
    c1 = l7.loc["C001"]
    assert c1["Child Protection Plan Start Date"] == datetime(2024, 11, 25)
    assert c1["Child Protection Plan End Date"] == datetime(2025, 8, 20)
    assert (c1["Initial Category of Abuse"], c1["Latest Category of Abuse"]) == (
        "a) Neglect", "d) Emotional abuse")
    assert c1["Date of latest review conference"] == datetime(2025, 7, 20)
    assert c1["Date of the Last Statutory Visit"] == datetime(2025, 6, 10)
    assert c1["Was the Child Seen Alone?"] == "b) No"
    c4 = l7.loc["C004"]
    assert pd.isna(c4["Child Protection Plan End Date"])
    assert c4["Date of the Last Statutory Visit"] == datetime(2026, 3, 1)  # not the 20/04 visit
    assert c4["Number of Previous Child Protection Plans"] == 1


def test_list8_children_looked_after(book):
    l8 = frame(book, "List 8").set_index("Child Unique ID")
    assert sorted(l8.index) == ["C002", "C003"]
    c2 = l8.loc["C002"]
    assert c2["Date Started to be Looked After"] == datetime(2023, 6, 1)
    assert c2["Start date of current legal status"] == datetime(2024, 2, 1)
    assert c2["Child's Legal Status"] == "C2: FCO"
    assert c2["Number of Placements in the Last 12 months"] == 2
    assert c2["Start Date of Most Recent Placement"] == datetime(2025, 7, 1)
    assert c2["Placement Type"].startswith("p1) K3")
    assert c2["Placement Provider"] == "e) PR4: Private provision"
    assert c2["Date of Latest Statutory Review"] == datetime(2025, 11, 1)
    assert pd.isna(c2["Date Ceased to be Looked After"])
    c3 = l8.loc["C003"]
    missing = [c for c in COLUMNS["List 8"] if "'Missing'" in c][0]
    absent = [c for c in COLUMNS["List 8"] if "'Absent'" in c][0]
    assert (c3[missing], c3[absent]) == (1, 1)
    assert c3["Was the child offered a Return Interview after their last missing episode (Y/N)?"] \
        == "a) Yes"
    assert c3["Date of Latest Statutory Review"] == datetime(2025, 2, 1)  # not 01/05/2026


def test_list9_care_leavers(book):
    l9 = frame(book, "List 9")
    assert l9["Child Unique ID"].tolist() == ["C007"]
    assert l9.iloc[0]["Eligibility Category"] == "b) Former relevant child"
    assert l9.iloc[0]["Age of Child (Years)"] == 18


def test_audit_log(paths):
    wb = openpyxl.load_workbook(paths[1])
    assert wb.sheetnames == ["Audits"]
    rows = list(wb["Audits"].iter_rows(values_only=True))
    assert tuple(rows[0]) == AUDIT_COLUMNS
    assert [r[0] for r in rows[1:]] == ["AU1", "AU2", "AU3"]
    assert rows[1][2] == datetime(2025, 6, 1)
    assert wb["Audits"]["C2"].number_format == "dd/mm/yyyy"
    assert rows[1][7:] == ("Yes", "random", 0.05, "Yes")
    assert rows[2][9] is None
    wb.close()


# --- the monthly series: latest workbook, earlier months as CSV exports ----------------------

def _as_read(lists: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Annex A lists as read, dates parsed (xlsx gives ISO text, a CSV export dd/mm/yyyy)."""
    out = {}
    for name, df in lists.items():
        df = df.drop(columns=["_source_file"]).copy()
        for c in df.columns:
            if "date" in c.lower():
                iso = pd.to_datetime(df[c], format="%Y-%m-%d", errors="coerce")
                dmy = pd.to_datetime(df[c], format="%d/%m/%Y", errors="coerce")
                df[c] = iso.fillna(dmy).dt.strftime("%Y-%m-%d")
        out[name] = df.astype(object).where(df.notna(), None)
    return out


def test_series_writes_latest_workbook_and_csv_exports_that_read_the_same(tmp_path):
    from driftflag.ingest import read_annex_a
    from driftflag.synth.writers.annex_a import write_annex_a_series

    store = small_store()
    dates = [pd.Timestamp("2025-12-31"), pd.Timestamp("2026-01-31"), pd.Timestamp("2026-03-31")]
    csv_la, xlsx_la = tmp_path / "csv", tmp_path / "xlsx"
    written = write_annex_a_series(store, csv_la, dates)
    write_annex_a_series(store, xlsx_la, dates, history="xlsx")
    names = sorted(p.name for p in (csv_la / "annex_a").iterdir())
    assert names == sorted([f"annex_a_{d}_list_{n}.csv" for d in ("2025-12-31", "2026-01-31")
                            for n in range(3, 10)] + ["annex_a_2026-03-31.xlsx"])
    assert sorted(p.name for p in written) == names
    for d in ("2025-12-31", "2026-01-31"):
        from_csv: dict[str, pd.DataFrame] = {}
        for n in range(3, 10):
            from_csv.update(read_annex_a(csv_la / "annex_a" / f"annex_a_{d}_list_{n}.csv"))
        from_xlsx = read_annex_a(xlsx_la / "annex_a" / f"annex_a_{d}.xlsx")
        a, b = _as_read(from_csv), _as_read(from_xlsx)
        assert sorted(a) == sorted(b) == list(SHEETS)
        assert sum(len(v) for v in a.values()) > 0
        for name in SHEETS:
            pd.testing.assert_frame_equal(a[name], b[name], check_dtype=False)
    latest = tmp_path / "csv" / "annex_a" / "annex_a_2026-03-31.xlsx"
    assert latest.read_bytes() == (xlsx_la / "annex_a" / "annex_a_2026-03-31.xlsx").read_bytes()
