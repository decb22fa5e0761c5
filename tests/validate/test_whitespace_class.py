"""``rules.PY_WHITESPACE_RE2`` is Python's ``\\s`` spelled out for pyarrow's RE2: the same
characters, code point by code point; and the whitespace-run test built on it answers what
Python's ``re`` answers on random texts."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from driftflag.validate import rules


def test_class_is_pythons_whitespace_at_every_code_point() -> None:
    points = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]  # surrogates are not UTF-8
    chars = [chr(c) for c in points]
    want = np.array([re.fullmatch(r"\s", ch) is not None for ch in chars])
    got = pc.match_substring_regex(pa.array(chars, type=pa.large_string()),
                                   "^" + rules.PY_WHITESPACE_RE2 + "$").to_numpy(zero_copy_only=False)
    assert want.sum() == 29  # the characters Python 3.11 counts as whitespace
    np.testing.assert_array_equal(got, want)


SPACES = st.sampled_from([" ", "\t", "\n", "\x0b", "\x1f", "\x85", "\xa0", "\u2007", "\u3000", "\u200b"])
TEXTS = st.lists(st.one_of(st.none(), st.text(st.one_of(SPACES, st.sampled_from("ab1/")), max_size=6)), max_size=12)


@settings(max_examples=200, deadline=None)
@given(TEXTS)
def test_whitespace_run_is_pythons_answer(texts) -> None:
    s = pd.Series(texts, dtype="str")
    want = any(t is not None and re.search(r"\s{2,}", t) for t in texts)
    assert rules._has_whitespace_run(s) == want
    assert rules._has_whitespace_run(s.astype(object)) == want


@settings(max_examples=100, deadline=None)
@given(TEXTS)
def test_clean_text_is_the_obvious_cleaning(texts) -> None:
    # as before the RE2 test: inner whitespace is collapsed in every text of the column once
    # some text holds a run of it
    stripped = [None if t is None else t.replace("\xa0", " ").strip() for t in texts]
    collapse = any(t is not None and re.search(r"\s{2,}", t) for t in stripped)
    want = [None if t is None else (re.sub(r"\s+", " ", t) if collapse else t) or None for t in stripped]
    got = rules._clean_text_each(pd.Series(texts, dtype="str"))
    assert [None if pd.isna(v) else v for v in got] == want
