"""The reader defects of issue 11, each rebuilt from real-format files: a stale xlsx
``<dimension>``, an unbalanced quote, a truncated CSV, a ``31/12/9999`` placeholder date, text
after an XML processing instruction, a NUL byte and oversized workbook members. Each must give a
quarantined row naming file, row, column and value, or one clear line; never a silent loss."""

from __future__ import annotations

import io
import random
import re
import shutil
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from xlsx_edits import rewrite_sheet, small_audit_log, stale_dimension

from driftflag.errors import SourceFileError
from driftflag.ingest import read_903_csv, read_annex_a, read_audit_log, read_cin_census
from driftflag.ingest._tabular import parse_csv
from driftflag.ingest.detect import detect_file, detect_sources
from driftflag.ingest.run import build

EXTRACT = date(2026, 3, 31)


def data_lines(path: Path) -> int:
    """Non-blank physical lines after the header: what a person counts as rows."""
    lines = re.split(r"\r\n|\r|\n", path.read_text(encoding="utf-8-sig"))
    return sum(1 for x in lines[1:] if x.strip(" ,"))


def accounting(files: list[Path]) -> tuple[pd.DataFrame, pd.DataFrame]:
    _store, acc, issues, _dups = build(detect_sources(files), extract_date=EXTRACT)
    assert (acc["rows_read"] == acc["accepted"] + acc["quarantined"] + acc["duplicates"]).all()
    return acc.set_index("file"), issues


# --- xlsx ------------------------------------------------------------------------------------

def test_stale_dimension_annex_a_reads_every_row(tiny_la, tmp_path):
    src = next((tiny_la / "annex_a").glob("*.xlsx"))
    stale = stale_dimension(src, tmp_path / "annex_a_2026-03-31.xlsx")
    want = {k: len(v) for k, v in read_annex_a(src).items()}
    got = {k: len(v) for k, v in read_annex_a(stale).items()}
    assert got == want and sum(got.values()) > 100
    acc, _ = accounting([stale])
    assert acc.loc[str(stale), "rows_read"] == sum(want.values())


def test_stale_dimension_audit_log_reads_every_row(tiny_la, tmp_path):
    src = tiny_la / "audits" / "qa_audit_log.xlsx"
    stale = stale_dimension(src, tmp_path / "qa_audit_log.xlsx")
    assert detect_file(stale).format == "audits"  # the header is found despite the dimension
    assert len(read_audit_log(stale)) == len(read_audit_log(src)) > 10


def test_rows_out_of_order_in_sheet_xml_stop_with_one_line(tmp_path):
    ok = small_audit_log(tmp_path / "ok.xlsx", ["01/02/2026"] * 3)
    # openpyxl would skip a row numbered before the one above it
    bad = rewrite_sheet(ok, tmp_path / "bad.xlsx", lambda d: d.replace(b'r="4"', b'r="2"'))
    with pytest.raises(SourceFileError) as e:
        read_audit_log(bad)
    assert "\n" not in str(e.value) and str(e.value).startswith(f"{bad}: sheet 'Audits': row 2")


def _xlsx_with_member(tmp_path: Path, data: bytes) -> Path:
    wb = openpyxl.Workbook()
    wb.active.title = "List 3"
    wb.active.append(["Child Unique ID", "Gender"])
    f = tmp_path / "annex.xlsx"
    wb.save(f)
    with zipfile.ZipFile(f, "a", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/media/big.bin", data)
    return f


def test_oversized_workbook_member_refused_before_parsing(tmp_path, monkeypatch):
    monkeypatch.setenv("DRIFTFLAG_XLSX_MAX_MEMBER_MIB", "1")
    f = _xlsx_with_member(tmp_path, random.Random(0).randbytes(2 << 20))  # 2 MiB, incompressible
    with pytest.raises(SourceFileError) as e:
        read_annex_a(f)
    msg = str(e.value)
    assert "\n" not in msg and "xl/media/big.bin is 2 MiB uncompressed, above the limit of 1 MiB" in msg
    assert "DRIFTFLAG_XLSX_MAX_MEMBER_MIB" in msg


def test_zip_bomb_member_refused(tmp_path):
    f = _xlsx_with_member(tmp_path, b"\0" * (8 << 20))  # 8 MiB of zeros deflate ~1000 times
    with pytest.raises(SourceFileError, match=r"expands \d+ times \(limit 100\): refused as a possible zip bomb"):
        detect_file(f)


def test_limit_setting_must_be_a_number(tmp_path, monkeypatch):
    from driftflag.errors import ConfigError

    monkeypatch.setenv("DRIFTFLAG_XLSX_MAX_RATIO", "lots")
    with pytest.raises(ConfigError, match="DRIFTFLAG_XLSX_MAX_RATIO='lots' is not a whole number"):
        read_annex_a(_xlsx_with_member(tmp_path, b"x"))


# --- 903 CSV ---------------------------------------------------------------------------------

@pytest.fixture
def year_903(tiny_la, tmp_path) -> Path:
    src = sorted((tiny_la / "ssda903").iterdir())[-1]
    d = tmp_path / src.name
    shutil.copytree(src, d)
    return d


def test_unbalanced_quote_quarantines_one_line_and_keeps_the_rest(year_903):
    ep = year_903 / "episodes.csv"
    before, _ = accounting([year_903 / "header.csv", ep])
    lines = ep.read_text().splitlines(keepends=True)
    assert len(lines) > 10
    lines[3] = lines[3].replace(",", ',"', 1)  # data row 3 opens a quote in DECOM it never closes
    ep.write_text("".join(lines))
    acc, issues = accounting([year_903 / "header.csv", ep])
    row = acc.loc[str(ep)]
    assert row["rows_read"] == data_lines(ep) == before.loc[str(ep), "rows_read"]
    assert row["quarantined"] == 1
    assert row["accepted"] + row["duplicates"] == before.loc[str(ep), "accepted"] + before.loc[str(ep), "duplicates"] - 1
    q = issues.loc[issues["rule"] == "unbalanced_quote"].iloc[0]
    assert (q["source_file"], q["source_row"], q["column"], q["level"]) == (str(ep), "3", "DECOM", "error")
    assert q["value"].startswith('"') and "\n" not in q["message"]


def test_truncated_903_csv_quarantines_the_cut_line(year_903):
    ep = year_903 / "episodes.csv"
    text = ep.read_text()
    cut = text.rindex("\n", 0, len(text) - 1) + 12  # 12 characters into the last line
    ep.write_text(text[:cut])
    acc, issues = accounting([year_903 / "header.csv", ep])
    assert acc.loc[str(ep), "rows_read"] == data_lines(ep)
    short = issues.loc[issues["rule"] == "short_row"]
    assert len(short) == 1 and short["source_row"].iloc[0] == str(data_lines(ep))
    assert "may be truncated" in short["message"].iloc[0]


def test_placeholder_date_9999_is_a_quarantined_row_not_an_internal_error(year_903):
    ep = year_903 / "episodes.csv"
    df = pd.read_csv(ep, dtype=str, keep_default_na=False)
    df.loc[0, "DEC"] = "31/12/9999"
    df.loc[1, "DECOM"] = "01/01/1600"
    df.to_csv(ep, index=False)
    acc, issues = accounting([year_903 / "header.csv", ep])
    far = issues.loc[issues["rule"] == "date_out_of_range"]
    assert sorted(zip(far["source_row"], far["column"], far["value"], strict=True)) == [
        ("1", "dec", "31/12/9999"), ("2", "decom", "01/01/1600")]
    assert acc.loc[str(ep), "quarantined"] == 2


def test_nul_byte_is_one_line_naming_offset_and_line(year_903):
    ep = year_903 / "episodes.csv"
    raw = ep.read_bytes()
    at = raw.index(b"\n", raw.index(b"\n") + 1) + 5  # 5 bytes into line 3
    ep.write_bytes(raw[:at] + b"\x00" + raw[at:])
    for call in (lambda: read_903_csv(ep, "episodes"), lambda: detect_file(ep)):
        with pytest.raises(SourceFileError) as e:
            call()
        assert "\n" not in str(e.value) and f"NUL byte at byte offset {at}, line 3" in str(e.value)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(st.text(alphabet=st.sampled_from('ab,"\r\n \ufeff\u2028'), max_size=12), max_size=8))
def test_903_parse_gives_one_record_per_physical_line(lines):
    """Property: without multi-line values, every physical line is exactly one record in order,
    so no stray quote can hide a line (reference: the lines of ``re.split``)."""
    text = "\n".join(lines)
    rec = parse_csv(text, multiline_values=False)
    physical = re.split(r"\r\n|\r|\n", text)
    if physical and physical[-1] == "":
        physical.pop()
    assert rec.numbers == list(range(1, len(physical) + 1))


def test_workbook_csv_export_keeps_a_real_multiline_value_but_not_a_swallowing_quote(tmp_path):
    f = tmp_path / "list_3.csv"
    f.write_text('Child Unique ID,Gender,Notes\nC1,Female,"two\nlines"\nC2,"Male,x\nC3,Female,\nC4,Male,\n')
    df = read_annex_a(f)["List 3"]
    assert df["Child Unique ID"].tolist() == ["C1", "C2", "C3", "C4"]
    assert df["_source_row"].tolist() == ["1", "3", "4", "5"]  # physical lines after the header
    assert pd.isna(df["_read_rule"].iloc[0]) and df["_read_rule"].iloc[2:].isna().all()
    assert df["_read_rule"].iloc[1] == "unbalanced_quote" and df["_read_column"].iloc[1] == "Gender"


# --- CIN census XML --------------------------------------------------------------------------

def test_cin_text_after_a_processing_instruction_or_entity_is_kept(tmp_path):
    f = tmp_path / "cin_census_2025-26.xml"
    f.write_text(
        '<!DOCTYPE Message [<!ENTITY x "9">]><Message><Children>'
        "<Child><ChildIdentifiers><LAchildID>100<?x?>0001</LAchildID><Sex>F<!-- c --></Sex></ChildIdentifiers></Child>"
        "<Child><ChildIdentifiers><LAchildID>200&x;0002</LAchildID></ChildIdentifiers></Child>"
        "</Children></Message>")
    ids = read_cin_census(f)["ChildIdentifiers"]
    assert ids["LAchildID"].tolist() == ["1000001", "200&x;0002"]  # an unresolved entity stays visible
    assert ids["Sex"].tolist()[0] == "F"


def test_cin_nul_byte_is_one_line(tiny_la, tmp_path):
    src = sorted((tiny_la / "cin_census").iterdir())[-1].read_bytes()
    f = tmp_path / "cin_census_2025-26.xml"
    at = src.index(b"<LAchildID>") + 12
    f.write_bytes(src[:at] + b"\x00" + src[at:])
    with pytest.raises(SourceFileError) as e:
        read_cin_census(f)
    assert "\n" not in str(e.value) and f"NUL byte at byte offset {at}" in str(e.value)


def test_cin_end_date_9999_is_quarantined(tmp_path):
    f = tmp_path / "cin_census_2025-26.xml"
    f.write_text(
        "<Message><Header><CollectionDetails><ReferenceDate>2026-03-31</ReferenceDate></CollectionDetails></Header>"
        "<Children><Child><ChildIdentifiers><LAchildID>A</LAchildID><PersonBirthDate>2015-01-01</PersonBirthDate>"
        "<Sex>F</Sex></ChildIdentifiers><ChildCharacteristics><Ethnicity>WBRI</Ethnicity></ChildCharacteristics>"
        "<CINdetails><CINreferralDate>2025-01-01</CINreferralDate><ReferralSource>1A</ReferralSource>"
        "<PrimaryNeedCode>N1</PrimaryNeedCode><CINclosureDate>9999-12-31</CINclosureDate></CINdetails>"
        "</Child></Children></Message>")
    acc, issues = accounting([f])
    far = issues.loc[issues["rule"] == "date_out_of_range"]
    assert far[["column", "value"]].values.tolist() == [["closure_date", "9999-12-31"]]
    assert acc.loc[str(f), "quarantined"] >= 1


def test_bom_crlf_and_cp1252_903_still_read(tmp_path):
    f = tmp_path / "episodes.csv"
    f.write_bytes(io.BytesIO("\ufeffCHILD,DECOM,RNE,LS,PLACE,DEC,REC\r\n1,01/04/2020,S,C2,U1,,\r\n"
                             "2,01/04/2020,S,C2,U1,,\r\n".encode()).getvalue())
    df = read_903_csv(f, "episodes")
    assert df["CHILD"].tolist() == ["1", "2"] and df["_read_rule"].isna().all()


def test_stray_quote_in_a_header_line_is_one_line(tmp_path):
    """Found by the fuzz run: detection quoted the header 'row' a stray quote had pulled the
    next lines into."""
    f = tmp_path / "reviews.csv"
    f.write_text('CHILD,DOB,"REVIEW,REVIEW_CODE\n1,01/01/2015,15/04/2025,PN5\n2,01/01/2015,15/04/2025,PN5\n')
    with pytest.raises(SourceFileError) as e:
        detect_file(f)
    assert "\n" not in str(e.value) and "1,01/01/2015" not in str(e.value)


def test_every_line_with_an_unclosed_quote_is_its_own_row():
    """A file of unclosed quotes: each line is one row with its problem, in order (the careful
    path reads each record from at most ``limit`` lines, so this stays linear)."""
    text = "A,B\n" + "\n".join(f'{i},"open' for i in range(300))
    for multiline in (False, True):
        rec = parse_csv(text, multiline_values=multiline)
        assert rec.numbers == list(range(1, 302))
        assert sorted(rec.problems) == list(range(1, 301))
        assert {p.rule for p in rec.problems.values()} == {"unbalanced_quote"}


def test_a_quoted_value_over_more_than_the_line_limit_is_not_one_value():
    from driftflag.ingest._tabular import MAX_LINES_PER_VALUE

    def value_over(lines: int) -> str:
        return 'A,B\n1,"' + "\n".join(["x"] * lines) + '"\n2,y\n'

    ok = parse_csv(value_over(MAX_LINES_PER_VALUE), multiline_values=True)
    assert len(ok.rows) == 3 and not ok.problems and ok.numbers[-1] == MAX_LINES_PER_VALUE + 2
    long = parse_csv(value_over(MAX_LINES_PER_VALUE + 1), multiline_values=True)
    assert [p.rule for p in long.problems.values()] == ["unbalanced_quote"] and long.rows[-1] == ["2", "y"]
    assert len(long.rows) == MAX_LINES_PER_VALUE + 3  # every line kept as a row
