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


ASCII_TEXT = st.text(st.sampled_from(list("ab1/-: ") + ["\t", "\n", "\r", "\x0b", "\x1c", "\x1f"]), max_size=7)
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
    for dirty in (["a", ""], [" a"], ["a "], ["a  b"], ["a\tb"], ["é"], ["a\xa0b"]):
        assert not rules._clean_already(pd.Series(dirty, dtype="str")), dirty
    assert not rules._clean_already(pd.Series(["C1"], dtype=object))
