"""Plain CSV exports read by pyarrow give the careful reader's frame (``ingest/_plain_csv.py``).

The oracle is the careful reader itself: ``records_to_frame(csv_records(path), 0, columns)``.
Random files mix what both readers must agree on (quoted values with commas and doubled quotes,
padded values, blank values and wholly blank records, Windows line ends, a BOM) with what only
the careful reader may read (stray quotes, values over two lines, short and long lines, blank
lines, non-ASCII text, control characters); every file the fast reader accepts must give the
same frame, value for value and dtype for dtype.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from driftflag.ingest import annex_a
from driftflag.ingest._plain_csv import read_plain
from driftflag.ingest._tabular import csv_records, records_to_frame

_PLAIN_TEXT = st.text(alphabet="ab 1-/", max_size=6)


def _quote(v: str) -> str:
    return '"' + v.replace('"', '""') + '"'


@st.composite
def _field(draw, messy: bool) -> str:
    kinds = ["plain", "plain", "quoted", "comma", "inner-quote"] + (["odd"] if messy else [])
    kind = draw(st.sampled_from(kinds))
    v = draw(_PLAIN_TEXT)
    if kind == "plain":
        return v
    if kind == "quoted":
        return _quote(v)
    if kind == "comma":
        return _quote(v + ", " + draw(_PLAIN_TEXT))
    if kind == "inner-quote":
        return _quote(v + '"x"')
    # what only the careful reader may read
    return draw(st.sampled_from(['a"b', '"open', 'x"', ' "a"', '"a"b', '"two\nlines"', "caf\u00e9",
                                 "\x1ctab", "\x0b"]))


@st.composite
def _csv(draw) -> tuple[bytes, int]:
    messy = draw(st.integers(0, 3)) == 0  # one file in four may hold what is not plain
    width = draw(st.integers(1, 5))
    header = [f"Col {i}" for i in range(width)]
    lines = [",".join(header)]
    for _ in range(draw(st.integers(0, 12))):
        shape = draw(st.sampled_from(["row"] * 6 + ["blank-record"]
                                     + (["short", "long", "blank-line"] if messy else [])))
        if shape == "blank-record":
            lines.append("," * (width - 1))
        elif shape == "blank-line":
            lines.append("")
        else:
            n = width + {"row": 0, "short": -1, "long": 1}[shape]
            lines.append(",".join(draw(_field(messy)) for _ in range(max(n, 1))))
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    text = eol.join(lines) + (eol if draw(st.booleans()) else "")
    raw = text.encode("utf-8")
    if draw(st.booleans()):
        raw = b"\xef\xbb\xbf" + raw
    return raw, width


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=_csv())
def test_every_plain_file_gives_the_careful_readers_frame(tmp_path: Path, case: tuple[bytes, int]) -> None:
    raw, width = case
    path = tmp_path / "list_3.csv"
    path.write_bytes(raw)
    plain = read_plain(path)
    event("plain" if plain is not None else "left to the careful reader")
    if plain is None:
        return
    records = csv_records(path)
    columns = {i: f"c{i}" for i in range(width)}
    assert plain.head_records(10) == [list(r) for r in records.rows[:10]]
    want = records_to_frame(records, 0, columns, source_file=str(path), source_table="List 3")
    got = plain.frame(columns, source_file=str(path), source_table="List 3")
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    for c in want.columns:
        assert got[c].array._pa_array.type == want[c].array._pa_array.type, c


@pytest.mark.parametrize(("text", "why"), [
    ('a,b\n1,"x"y\n', "a quote closed before the end of its value"),
    ('a,b\n1,x"y\n', "a quote inside an unquoted value"),
    ('a,b\n1, "x"\n', "a space before a quoted value"),
    ('a,b\n1,"x\ny"\n', "a value over two lines"),
    ('a,b\n1,"x\n', "a quote never closed"),
    ("a,b\n1\n", "a short line"),
    ("a,b\n1,2,3\n", "a long line"),
    ("a,b\n\n1,2\n", "a blank line"),
    ("a,b\n1,caf\u00e9\n", "non-ASCII text"),
    ("a,b\r1,2\r", "lone carriage returns"),
    ("a,b,\n1,2,\n", "a blank header cell at the end"),
    ("a,b\n1,\x1c2\n", "a character Python strips and pyarrow does not"),
    ("", "an empty file"),
])
def test_what_is_not_plain_is_left_to_the_careful_reader(tmp_path: Path, text: str, why: str) -> None:
    path = tmp_path / "list_3.csv"
    path.write_bytes(text.encode("utf-8"))
    assert read_plain(path) is None, why


def test_a_plain_file_is_read_by_the_fast_reader(tmp_path: Path) -> None:
    path = tmp_path / "list_3.csv"
    path.write_bytes(b'\xef\xbb\xbfa,b\r\n1,"x, ""y"""\r\n,\r\n  2 ,\r\n')
    plain = read_plain(path)
    assert plain is not None
    df = plain.frame({0: "a", 1: "b"}, source_file="f", source_table="t")
    assert df["a"].tolist() == ["1", "2"]
    assert df["b"].tolist()[0] == 'x, "y"' and pd.isna(df["b"].tolist()[1])
    assert df["_source_row"].tolist() == ["1", "3"]  # the wholly blank record is skipped, counted


def test_an_annex_a_export_reads_the_same_either_way(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    header = ("Child Unique ID,Gender,Ethnicity,Date of Birth,Age of Child (Years),Date of referral,"
              "Referral Source,Referral NFA?,Allocated Team,Allocated Worker")
    rows = ['1001,a) Male,a) WBRI,01/02/2015,10,03/04/2024,"1B) Individual, family",b) No,Team 1,Ann',
            "1002,b) Female,,01/02/2016,9,04/04/2024,3E) Police,a) Yes,,",
            ",,,,,,,,,"]
    path = tmp_path / "annex_a_2024-04-30_list_3.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    fast = annex_a.read_annex_a(path)
    assert annex_a._read_plain_list(path) is not None
    monkeypatch.setattr(annex_a, "_read_plain_list", lambda _p: None)
    slow = annex_a.read_annex_a(path)
    assert fast.keys() == slow.keys() == {"List 3"}
    pd.testing.assert_frame_equal(fast["List 3"], slow["List 3"], check_exact=True)
    assert fast["List 3"]["Referral Source"].iloc[0] == "1B) Individual, family"
