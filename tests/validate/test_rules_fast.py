"""Shortcuts of the row rules, each against its obviously-correct reference on random columns:
``clean_text`` hands back a column it can tell is clean from its bytes (``_clean_already``)."""

from __future__ import annotations

import re

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from driftflag.validate import rules


def clean_reference(texts: list) -> list:
    """Python's own cleaning of a column: strip (NBSP as a space), collapse whitespace runs
    in every text once some text holds one, blank -> missing."""
    stripped = [None if t is None else t.replace("\xa0", " ").strip() for t in texts]
    collapse = any(t is not None and re.search(r"\s{2,}", t) for t in stripped)
    return [None if t is None else (re.sub(r"\s+", " ", t) if collapse else t) or None for t in stripped]


ASCII_TEXT = st.text(st.sampled_from(list("ab1/-: ") + ["\t", "\n", "\r", "\x0b", "\x1c", "\x1f", "\x01", "\x7f"]),
                     max_size=7)
ANY_TEXT = st.one_of(ASCII_TEXT, st.text(st.sampled_from(list("ab ") + ["\xa0", "\u2007", "é", "\x85"]), max_size=5))
COLUMN = st.lists(st.one_of(st.none(), st.sampled_from(["C1", "C 2", "", " ", "A  B", "2024-01-01", "nan"]),
                            ASCII_TEXT, ANY_TEXT), max_size=20)


def _column(texts: list, pieces: int, start: int) -> pd.Series:
    """``texts`` as a ``str`` column, stored in ``pieces`` pyarrow chunks and sliced from ``start``
    (a slice and several chunks are what concatenated or filtered columns hold)."""
    head = [f"pad{i}" for i in range(start)]
    full = head + texts
    if pieces > 1 and len(full) > 1:
        cut = len(full) // 2
        s = pd.concat([pd.Series(full[:cut], dtype="str"), pd.Series(full[cut:], dtype="str")], ignore_index=True)
    else:
        s = pd.Series(full, dtype="str")
    out = s.iloc[start:]
    return out.set_axis(range(7, 7 + len(out)))


@settings(max_examples=300, deadline=None)
@given(COLUMN, st.integers(1, 2), st.integers(0, 3))
def test_clean_text_is_the_obvious_cleaning(texts, pieces, start):
    s = _column(texts, pieces, start)
    got = rules.clean_text(s)
    assert str(got.dtype) == str(s.dtype)
    assert list(got.index) == list(s.index)
    assert got.name == s.name
    assert [None if pd.isna(v) else v for v in got] == clean_reference(texts)


@settings(max_examples=300, deadline=None)
@given(COLUMN, st.integers(1, 2), st.integers(0, 3))
def test_clean_already_only_when_cleaning_changes_nothing(texts, pieces, start):
    s = _column(texts, pieces, start)
    if rules._clean_already(s):
        assert [None if pd.isna(v) else v for v in s] == clean_reference(texts)


def test_clean_already_says_yes_and_no():
    assert rules._clean_already(pd.Series(["C1", None, "Team 2", "01/02/2024"], dtype="str"))
    assert rules._clean_already(pd.Series([None, None], dtype="str"))
    assert rules._clean_already(pd.Series(["a\x7f", "\x7f"], dtype="str"))  # DEL is no whitespace
    for dirty in (["a", ""], [""], ["", None], [" a"], ["a "], ["a  b"], ["a\tb"], ["é"], ["a\xa0b"], ["\x1f"]):
        assert not rules._clean_already(pd.Series(dirty, dtype="str")), dirty
    assert not rules._clean_already(pd.Series(["C1"], dtype=object))


# --- dates: parsed and checked for a placeholder year from one factorisation ----------------------

_DATE = st.one_of(st.none(), st.sampled_from(["01/02/2024", "1/2/2024", "31/02/2024", "31/12/9999", "2024-02-29",
                                             "2024-02-29T10:00", "45000", "45000.0", "01-02-2024", "01.02.1600",
                                             "0999-01-01", "x", "", " 01/02/2024 ", "１/２/２０２４"]),
                  st.text(st.sampled_from("0123456789/-. T:x"), max_size=12))


@settings(max_examples=200, deadline=None)
@given(st.lists(_DATE, max_size=20), st.integers(0, 3))
def test_dates_and_out_of_range_is_each_rule_on_every_row(values, start):
    s = pd.Series(values, dtype="str", index=range(start, start + len(values)))
    dates, far = rules.dates_and_out_of_range(s)
    want_dates = rules._parse_dates_each(s).astype("datetime64[ns]")
    want_far = rules._date_out_of_range_each(s)
    blank = s.isna().to_numpy()
    assert str(dates.dtype) == "datetime64[ns]" and far.dtype == bool
    assert dates.to_numpy()[~blank].tolist() == want_dates.to_numpy()[~blank].tolist()
    assert dates.isna().to_numpy()[blank].all()
    assert far.to_numpy().tolist() == (want_far.to_numpy() & ~blank).tolist()
    pd.testing.assert_series_equal(dates, rules.parse_dates(s))
    pd.testing.assert_series_equal(far, rules.date_out_of_range(s))


# --- yes/no: read from the distinct texts ---------------------------------------------------------

_YES_NO = st.one_of(st.none(), st.sampled_from(["true", "TRUE", " yes ", "Y", "n", "0", "1", "t", "F", "no",
                                               "maybe", "", "nan", "ｙｅｓ", "\u212a"]),
                    st.text(st.sampled_from("yesnotrufalYESNO 10\t"), max_size=5))


@settings(max_examples=200, deadline=None)
@given(st.lists(_YES_NO, max_size=30), st.integers(0, 3), st.sampled_from(["str", "object"]))
def test_parse_bools_is_reading_every_row(values, start, dtype):
    s = pd.Series(values, dtype=dtype, index=range(start, start + len(values)), name="seen")
    if dtype == "object":
        s = s.astype("str")
    val, bad = rules.parse_bools(s)
    # the expression parse_bools was, row by row
    low = s.str.lower().str.strip()
    want = pd.Series(pd.NA, index=s.index, dtype="boolean")
    want[low.isin(rules._TRUE).fillna(False).to_numpy()] = True
    want[low.isin(rules._FALSE).fillna(False).to_numpy()] = False
    pd.testing.assert_series_equal(val, want)
    pd.testing.assert_series_equal(bad, s.notna() & want.isna(), check_names=False)


def test_no_issues_is_an_empty_issue_frame_each_time():
    a, b = rules._no_issues(), rules._no_issues()
    pd.testing.assert_frame_equal(a, pd.DataFrame(columns=[*rules.ISSUE_COLUMNS, "_src"]))
    del a["table"]  # a caller changing its frame changes no other
    assert list(rules._no_issues().columns) == [*rules.ISSUE_COLUMNS, "_src"] and b is not a
