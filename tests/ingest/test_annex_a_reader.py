"""Annex A reader and format detection: tolerant headers and labels, content-based detection,
one-line errors for unreadable workbooks."""

from __future__ import annotations

from datetime import datetime

import openpyxl
import pandas as pd
import pytest

from driftflag.casemodel import codes
from driftflag.errors import SourceFileError
from driftflag.ingest.annex_a import read_annex_a
from driftflag.ingest.audit_log import read_audit_log
from driftflag.ingest.detect import detect_file
from driftflag.ingest.to_canonical import SEX_WORDS, label_to_code, yes_no


def test_ethnicity_labels_codes_and_words_all_map_to_the_code():
    s = pd.Series(["a) WBRI", "WBRI", " wbri ", "White British", "white  british", "s) NOBT", "XXXX", None],
                  dtype="str")
    got = label_to_code(s, codes.ETHNICITY_CODES, codes.ETHNICITY_LABELS).tolist()
    assert got[:6] == ["WBRI"] * 5 + ["NOBT"]
    assert got[6] == "XXXX" and pd.isna(got[7])


def test_other_label_forms():
    src = label_to_code(pd.Series(["a) 1A: Individual", "p1) 5D: LA services", "6"], dtype="str"),
                        codes.REFERRAL_SOURCE_CODES, codes.REFERRAL_SOURCE_LABELS)
    assert src.tolist() == ["1A", "5D", "6"]
    need = label_to_code(pd.Series(["N1 - Abuse or neglect", "Low income"], dtype="str"),
                         codes.PRIMARY_NEED_CODES, codes.PRIMARY_NEED_LABELS)
    assert need.tolist() == ["N1", "N7"]
    sex = label_to_code(pd.Series(["b) Female", "Female", "a) Male", "c) Not stated/recorded"], dtype="str"),
                        codes.SEX_CODES, words=SEX_WORDS)
    assert sex.tolist() == ["F", "F", "M", "U"]
    assert yes_no(pd.Series(["a) Yes", "No", "c) Unknown", "Y"], dtype="str")).tolist()[:2] == ["true", "false"]


def _workbook(path, header, rows, title="List 7"):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def test_header_variants_excel_dates_and_formulas(tmp_path):
    f = _workbook(tmp_path / "a.xlsx",
                  ["Child  unique id", "gender", "ETHNICITY", "date of birth", "Age",
                   "Child Protection Plan Start Date", "Number of Previous Child Protection Plans"],
                  [["C1", "Female", "a) WBRI", datetime(2015, 1, 25), 6, datetime(2024, 5, 1), "=1+1"]])
    df = read_annex_a(f)["List 7"]
    row = df.iloc[0]
    assert row["Child Unique ID"] == "C1" and row["Age of Child (Years)"] == "6"
    assert row["Date of Birth"] == "2015-01-25" and row["Child Protection Plan Start Date"] == "2024-05-01"
    # openpyxl wrote no cached value for the formula: read as blank, never as the formula text
    assert pd.isna(row["Number of Previous Child Protection Plans"])
    assert row["_source_row"] == "1" and row["_source_table"] == "List 7"


def test_csv_export_of_a_list(tmp_path):
    f = tmp_path / "list_3.csv"
    f.write_text("Child Unique ID,Gender,Ethnicity,Date of Birth,Age,Date of referral\nC9,Male,WBRI,01/01/2010,15,02/03/2025\n")
    assert detect_file(f).format == "annex-a"
    assert read_annex_a(f)["List 3"].loc[0, "Date of referral"] == "02/03/2025"


def test_detection_is_by_content_not_name(tmp_path):
    f = tmp_path / "data.txt.csv"
    f.write_text("CHILD,DECOM,RNE,LS,PLACE,DEC,REC\n")
    assert (detect_file(f).format, detect_file(f).table) == ("ssda903", "episodes")
    x = tmp_path / "export.csv"
    x.write_text("<Message><Children/></Message>")
    assert detect_file(x).format == "cin"
    a = _workbook(tmp_path / "qa.xlsx", ["Audit ID", "Child Unique ID", "Audit Date", "Grade"],
                  [["A1", "C1", datetime(2025, 1, 1), "Good"]], title="Sheet1")
    assert detect_file(a).format == "audits"
    assert read_audit_log(a).loc[0, "Audit Date"] == "2025-01-01"


@pytest.mark.parametrize(("content", "message"), [
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "encrypted or legacy .xls workbook"),
    (b"PK\x03\x04truncated", "not a readable xlsx workbook"),
    (b"hello,world\n1,2\n", "not a recognised return"),
    (b"", "file is empty"),
])
def test_unreadable_files_raise_one_line_naming_the_file(tmp_path, content, message):
    f = tmp_path / "annex_a.xlsx"
    f.write_bytes(content)
    with pytest.raises(SourceFileError) as e:
        detect_file(f)
        read_annex_a(f)
    assert str(e.value).startswith(str(f)) and message in str(e.value) and "\n" not in str(e.value)


def test_list_without_child_id_is_refused(tmp_path):
    f = _workbook(tmp_path / "a.xlsx", ["Gender", "Ethnicity", "Date of Birth"], [["Male", "WBRI", "x"]])
    with pytest.raises(SourceFileError, match="List 7: missing required column"):
        read_annex_a(f)
