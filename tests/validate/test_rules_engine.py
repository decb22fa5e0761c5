"""Row-level rules: each rule fires on the value it is about, with file, row and a message."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from driftflag.casemodel.schema import TABLES
from driftflag.ingest.to_canonical import part
from driftflag.validate.rules import RULES, check_table, parse_dates

EXTRACT = pd.Timestamp("2026-03-31")


def _staged(rows: list[dict], fmt: str = "ssda903", year: int = 2026) -> pd.DataFrame:
    df = pd.DataFrame(rows).astype("str")
    df["_source_file"] = "f.csv"
    df["_source_table"] = "episodes"
    df["_source_row"] = [str(i + 1) for i in range(len(df))]
    return part(df, {c: c for c in rows[0]}, fmt=fmt, year=year)


def test_dates_in_every_format_and_impossible_dates():
    s = pd.Series(["01/02/2024", "2024-02-01", "2024-02-01 00:00:00", "45323", "31/02/2024", "2024-13-01",
                   "n/a", None], dtype="str")
    got = parse_dates(s)
    assert got[:4].tolist() == [pd.Timestamp("2024-02-01")] * 4
    assert got[4:].isna().all()


def test_episode_rules():
    rows = [
        {"child_id": "1", "decom": "01/05/2025", "rne": "S", "ls": "C2", "place": "U1", "dec": "", "rec": ""},
        {"child_id": "", "decom": "01/05/2025", "rne": "S", "ls": "C2", "place": "U1", "dec": "", "rec": ""},
        {"child_id": "3", "decom": "31/02/2025", "rne": "S", "ls": "C2", "place": "U1", "dec": "", "rec": ""},
        {"child_id": "4", "decom": "01/05/2025", "rne": "S", "ls": "C9", "place": "U1", "dec": "", "rec": ""},
        {"child_id": "5", "decom": "01/05/2025", "rne": "S", "ls": "C2", "place": "U1", "dec": "01/04/2025", "rec": "E2"},
        {"child_id": "6", "decom": "01/05/2026", "rne": "S", "ls": "C2", "place": "U1", "dec": "", "rec": ""},
        {"child_id": "7", "decom": "01/05/2025", "rne": "s", "ls": " c2 ", "place": "Z1", "dec": "", "rec": "XX"},
    ]
    typed, issues = check_table(TABLES["lac_episodes"], _staged(rows), extract_date=EXTRACT)
    got = pd.concat(issues)[["source_row", "column", "rule"]].values.tolist()
    assert sorted(got) == sorted([
        ["2", "child_id", "blank_id"], ["3", "decom", "unparseable_date"], ["4", "ls", "unknown_code"],
        ["5", "dec", "date_order"], ["6", "decom", "after_extract_date"], ["7", "rec", "unknown_optional_code"],
        ["7", "place", "place_code_year"],
    ])
    assert typed.loc[6, ["rne", "ls"]].tolist() == ["S", "C2"]  # whitespace and case tolerated
    assert pd.isna(typed.loc[6, "rec"])  # a warning blanks the optional value
    msg = pd.concat(issues).set_index("rule").loc["unknown_code", "message"]
    assert msg == "ls 'C9' is not in the LEGAL_STATUS_CODES code list"


def test_every_rule_has_a_level_and_a_fix():
    for r in RULES.values():
        assert r.level in ("error", "warning") and r.fix and r.description


# --- dates: the vectorised parser against a slow obviously-correct reference -------------------

def reference_date(v: str | None) -> pd.Timestamp | None:
    """One value at a time with ``datetime.strptime``: dd/mm/yyyy, then an ISO date (time
    ignored), an Excel serial day, dd-mm-yyyy or dd.mm.yyyy; years outside 1678-2261 are no date."""
    import re
    from datetime import datetime, timedelta

    if v is None:
        return None
    got = None
    for fmt, text in (("%d/%m/%Y", v),
                      ("%Y-%m-%d", v[:10] if re.match(r"^\d{4}-\d{2}-\d{2}", v) else None),
                      ("%d/%m/%Y", re.sub(r"[-.]", "/", v) if re.fullmatch(r"\d{1,2}[-.]\d{1,2}[-.]\d{4}", v) else None)):
        if text is None:
            continue
        try:
            got = datetime.strptime(text, fmt)
            break
        except ValueError:
            continue
    if got is None and re.fullmatch(r"\d{4,5}(\.0+)?", v) and not re.match(r"^\d{4}-\d{2}-\d{2}", v):
        got = datetime(1899, 12, 30) + timedelta(days=int(float(v)))
    if got is None or not 1678 <= got.year <= 2261:
        return None
    return pd.Timestamp(got)


_YEARS = st.sampled_from(["1600", "1677", "1678", "1900", "2024", "2261", "2262", "9999", "10000", "999", "24"])
_DATE_TEXT = st.one_of(
    st.builds(lambda d, m, y, sep: f"{d}{sep}{m}{sep}{y}", st.integers(0, 40).map(str),
              st.integers(0, 14).map(lambda m: f"{m:02d}"), _YEARS, st.sampled_from(["/", "-", "."])),
    st.builds(lambda y, m, d, t: f"{y}-{m:02d}-{d:02d}{t}", _YEARS, st.integers(0, 14), st.integers(0, 40),
              st.sampled_from(["", " 00:00:00", "T12:30", "x"])),
    st.integers(0, 120000).map(str),
    st.text(alphabet="0123456789/-. ", max_size=12),
    st.none(),
)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(_DATE_TEXT, min_size=1, max_size=12))
def test_parse_dates_matches_the_reference_and_never_raises(values):
    got = parse_dates(pd.Series(values, dtype="str"))
    want = [reference_date(v) for v in values]
    assert [None if pd.isna(g) else g for g in got] == want


def test_out_of_range_dates_have_their_own_rule():
    rows = [{"child_id": "1", "decom": "01/05/2025", "rne": "S", "ls": "C2", "place": "U1", "dec": "31/12/9999",
             "rec": "E2"},
            {"child_id": "2", "decom": "1600-01-01", "rne": "S", "ls": "C2", "place": "U1", "dec": "", "rec": ""}]
    _typed, issues = check_table(TABLES["lac_episodes"], _staged(rows), extract_date=EXTRACT)
    got = pd.concat(issues)
    assert sorted(got[["source_row", "column", "value", "rule"]].values.tolist()) == [
        ["1", "dec", "31/12/9999", "date_out_of_range"], ["2", "decom", "1600-01-01", "date_out_of_range"]]
    assert set(got["message"]) == {"dec '31/12/9999' is outside the years 1678-2261",
                                   "decom '1600-01-01' is outside the years 1678-2261"}



def test_reader_problems_become_error_issues_naming_column_and_value():
    rows = [{"child_id": "1", "decom": "01/05/2025", "rne": "S", "ls": "C2", "place": "U1"},
            {"child_id": "2", "decom": "01/05/2025", "rne": "S", "ls": "C2", "place": "U1"}]
    staged = _staged(rows)
    staged["_read_rule"] = pd.Series([None, "short_row"], dtype="str")
    staged["_read_column"] = pd.Series([None, "DEC"], dtype="str")
    staged["_read_value"] = pd.Series([None, "5 of 7 fields"], dtype="str")
    staged["_read_message"] = pd.Series([None, "line 3 has 5 of 7 fields"], dtype="str")
    _typed, issues = check_table(TABLES["lac_episodes"], staged, extract_date=EXTRACT)
    got = pd.concat(issues)
    assert got[["source_row", "column", "value", "rule", "level"]].values.tolist() == [
        ["2", "DEC", "5 of 7 fields", "short_row", "error"]]


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.lists(_DATE_TEXT, min_size=1, max_size=8), st.integers(2, 5))
def test_dates_parsed_once_per_distinct_text_equal_the_reference(values, repeat):
    """Columns with repeated dates take the per-distinct path (each text parsed once)."""
    from driftflag.validate.rules import _date_out_of_range_each, date_out_of_range

    s = pd.Series(values * repeat, dtype="str")
    got = parse_dates(s)
    assert str(got.dtype) == "datetime64[ns]"
    assert [None if pd.isna(g) else g for g in got] == [reference_date(v) for v in values * repeat]
    assert date_out_of_range(s).tolist() == _date_out_of_range_each(s).tolist()


_TEXTS = st.one_of(st.none(), st.sampled_from(["", " ", "\xa0", "a  b", " Good ", "x\xa0\xa0y", "\t", "Team 1"]),
                   st.text(alphabet=" \xa0\tab\n", max_size=6))


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.lists(_TEXTS, min_size=1, max_size=8), st.integers(1, 4), st.sampled_from(["str", "object"]))
def test_clean_text_once_per_distinct_text_equals_cleaning_each(values, repeat, dtype):
    from driftflag.validate.rules import _clean_text_each, clean_text

    s = pd.Series(values * repeat, dtype=dtype, index=range(10, 10 + len(values) * repeat))
    got, want = clean_text(s), _clean_text_each(s.astype("str") if dtype == "object" else s)
    pd.testing.assert_series_equal(got, want)
