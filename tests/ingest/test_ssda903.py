"""903 reader: external sample files, header tolerance, row provenance, errors, year dedupe."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from driftflag.errors import SourceFileError
from driftflag.ingest import read_903_csv, read_903_folder, read_903_years

REPO_ROOT = Path(__file__).resolve().parents[2]
EXTERNAL = REPO_ROOT.parent / "shared" / "fixtures" / "external"
EXTERNAL_903 = EXTERNAL / "ssda903"

EPISODE_HEADER = "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN"
HEADER_HEADER = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB"


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _data_rows(path: Path) -> int:
    with path.open(newline="", encoding="utf-8-sig") as f:
        return sum(1 for rec in csv.reader(f) if any(x.strip() for x in rec)) - 1


@pytest.mark.external
@pytest.mark.skipif(not EXTERNAL_903.is_dir(), reason=f"external fixtures absent: {EXTERNAL_903}")
def test_external_903_files_parse_with_every_row():
    tables = read_903_folder(EXTERNAL_903)
    assert set(tables) == {"header", "episodes", "missing", "reviews"}
    for table, df in tables.items():
        path = EXTERNAL_903 / f"{table}.csv"
        assert len(df) == _data_rows(path), table
        assert df["_source_row"].tolist() == list(range(1, len(df) + 1))
        assert (df["_source_file"] == str(path)).all()
    ep = tables["episodes"]
    assert ep.loc[0, ["CHILD", "DECOM", "RNE", "LS", "REC"]].tolist() == [
        "566910", "15/02/2016", "L", "C2", "X1"
    ]
    # blank fields are missing, never empty strings
    assert ep["HOME_POST"].isna().iloc[0]
    assert not (ep.drop(columns="_source_row") == "").any().any()


def test_header_names_tolerate_case_whitespace_and_bom(tmp_path):
    folder = tmp_path / "y"
    _write(folder / "Header.CSV", "\ufeff child , Sex,dob,ETHNIC \n1,M,01/01/2010,WBRI\n")
    _write(folder / "EPISODES.csv", "Child,decom,RNE,LS,PLACE,DEC,REC\n1, 01/04/2020 ,S,C2,U1,,\n")
    tables = read_903_folder(folder)
    assert tables["header"].loc[0, ["CHILD", "SEX", "DOB", "ETHNIC"]].tolist() == [
        "1", "M", "01/01/2010", "WBRI"
    ]
    ep = tables["episodes"]
    assert ep.loc[0, "DECOM"] == "01/04/2020"  # stripped
    assert pd.isna(ep.loc[0, "DEC"]) and pd.isna(ep.loc[0, "URN"])  # blank and absent columns
    assert list(ep.columns[:13]) == EPISODE_HEADER.split(",")


def test_ragged_and_blank_rows_are_kept_with_source_rows(tmp_path):
    path = _write(
        tmp_path / "episodes.csv",
        "CHILD,DECOM,RNE,LS,PLACE,DEC,REC\n"
        "1,01/04/2020,S,C2,U1\n"          # short: kept, marked (never padded silently)
        "\n"                               # blank line: not a record
        "2,01/04/2020,S,C2,U1,,,oops,x\n"  # long: extras kept and marked
        "3,01/04/2020,S,C2,U1,,,,\n",      # trailing empty fields are not values
    )
    df = read_903_csv(path, "episodes")
    assert df["CHILD"].tolist() == ["1", "2", "3"]
    assert df["_source_row"].tolist() == [1, 3, 4]
    assert pd.isna(df.loc[0, "REC"])
    assert df["_extra_fields"].tolist()[1] == "oops,x"
    assert df["_read_rule"].tolist()[:2] == ["short_row", "long_row"] and pd.isna(df.loc[2, "_read_rule"])
    assert df.loc[0, "_read_column"] == "DEC"  # the first missing column
    assert df.loc[1, "_read_value"] == "oops,x"


def test_missing_required_column_names_file_and_column(tmp_path):
    path = _write(tmp_path / "episodes.csv", "CHILD,RNE,LS,PLACE,DEC,REC\n1,S,C2,U1,,\n")
    with pytest.raises(SourceFileError) as e:
        read_903_csv(path, "episodes")
    assert str(e.value) == f"{path}: missing required column(s) DECOM"


def test_missing_required_file(tmp_path):
    _write(tmp_path / "header.csv", HEADER_HEADER + "\n")
    with pytest.raises(SourceFileError, match="required table 'episodes' not found"):
        read_903_folder(tmp_path)


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b"", "file is empty"), (b"\x00\x01binary", r"not a text file \(NUL byte at byte offset 0, line 1\)")],
)
def test_unreadable_file(tmp_path, content, reason):
    path = tmp_path / "episodes.csv"
    path.write_bytes(content)
    with pytest.raises(SourceFileError, match=reason) as e:
        read_903_csv(path, "episodes")
    assert str(path) in str(e.value)


def test_read_903_years_keeps_latest_year_per_record(tmp_path):
    root = tmp_path / "ssda903"
    # 2024-25: child 1's episode open at 31 March (blank DEC); child 2 has a blank DECOM row.
    _write(root / "2024-25" / "episodes.csv", EPISODE_HEADER + "\n"
           "1,01/06/2024,S,C1,N1,U1,PR1,,,,,,\n"
           "2,,S,C1,N1,U1,PR1,,,,,,\n")
    _write(root / "2024-25" / "header.csv", HEADER_HEADER + "\n1,M,01/01/2010,WBRI,,,\n2,F,01/01/2011,WBRI,,,\n")
    # 2025-26: the same episode resubmitted with its end, plus the next one; child 2 again.
    _write(root / "2025-26" / "episodes.csv", EPISODE_HEADER + "\n"
           "1,01/06/2024,S,C1,N1,U1,PR1,01/07/2025,X1,,,,\n"
           "1,01/07/2025,L,C2,N1,U1,PR1,,,,,,\n"
           "2,,S,C1,N1,U1,PR1,,,,,,\n")
    _write(root / "2025-26" / "header.csv", HEADER_HEADER + "\n1,M,01/01/2010,WOTH,,,\n")
    _write(root / "notayear" / "episodes.csv", "junk\n")  # ignored
    t = read_903_years(tmp_path)  # the LA folder works as well as the ssda903 folder
    ep = t["episodes"]
    one = ep[ep["CHILD"] == "1"]
    assert one["collection_year"].tolist() == [2026, 2026]
    assert one["DEC"].tolist()[0] == "01/07/2025"
    assert (ep["CHILD"] == "2").sum() == 2  # blank key: never merged
    assert ep.attrs["dropped_resubmitted"] == 1
    hdr = t["header"].set_index("CHILD")
    assert hdr.loc["1", "ETHNIC"] == "WOTH" and hdr.loc["2", "collection_year"] == 2025
    assert read_903_years(root, years=[2025])["episodes"]["collection_year"].unique().tolist() == [2025]


def test_read_903_years_without_year_folders(tmp_path):
    (tmp_path / "ssda903").mkdir()
    with pytest.raises(SourceFileError, match="no collection-year folders"):
        read_903_years(tmp_path)
