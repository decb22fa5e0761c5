"""Shortcuts of the staging (:mod:`driftflag.ingest.to_canonical`), each against the plain pandas
expression it replaced, on random columns (labels, codes, blanks, odd and non-ASCII texts)."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from driftflag.casemodel import codes
from driftflag.ingest import to_canonical as tc
from driftflag.ingest._common import STR_DTYPE

_LABELS = [*codes.ETHNICITY_LABELS.values(), *codes.ETHNICITY_CODES, "a) WBRI", " wbri ", "White  British",
           "b) Female", "Female", "M", "1", "0", "c) Unknown", "Y", "yes", "No", "N1 - Abuse or neglect",
           "a) 1A: Individual", "nan", "None", "", " ", "é", "\xa0Yes"]
_TEXT = st.one_of(st.none(), st.sampled_from(_LABELS), st.text(max_size=6))
_LISTS = [(codes.ETHNICITY_CODES, codes.ETHNICITY_LABELS, None), (codes.SEX_CODES, None, tc.SEX_WORDS),
          (codes.REFERRAL_SOURCE_CODES, codes.REFERRAL_SOURCE_LABELS, None),
          (codes.CATEGORY_OF_ABUSE_CODES, codes.ANNEX_A_ABUSE_LABEL, tc._ABUSE_WORDS),
          (codes.PRIMARY_NEED_CODES, codes.PRIMARY_NEED_LABELS, None), (("true", "false"), None, tc.YES_NO_WORDS)]


def _reference_map(s: pd.Series, one) -> pd.Series:
    """What ``label_to_code`` did: a dict of the distinct values through ``Series.map``."""
    uniq = pd.unique(s.dropna())
    return s.map({u: one(str(u)) for u in uniq}).astype(STR_DTYPE)


def _column(values: list, start: int, dtype: str) -> pd.Series:
    return pd.Series(values, dtype=dtype, index=range(start, start + len(values)), name="Ethnicity")


@settings(max_examples=200, deadline=None)
@given(st.lists(_TEXT, max_size=25), st.integers(0, len(_LISTS) - 1), st.integers(0, 4),
       st.sampled_from(["str", "object"]))
def test_label_to_code_is_the_series_map(values, which, start, dtype):
    valid, labels, words = _LISTS[which]
    s = _column(values, start, dtype)
    got = tc.label_to_code(s, valid, labels, words)
    calls = []
    tc.per_distinct_text(s, calls.append)  # each distinct text once
    assert sorted(calls) == sorted({str(v) for v in s.dropna()})

    def one(v: str) -> str:
        return tc.label_to_code(pd.Series([v], dtype="str"), valid, labels, words).iloc[0]

    want = _reference_map(s, one)
    pd.testing.assert_series_equal(got, want)
    assert type(got.array) is type(want.array)


@settings(max_examples=100, deadline=None)
@given(st.lists(_TEXT, max_size=25), st.integers(0, 4))
def test_yes_no_is_the_series_map(values, start):
    s = _column(values, start, "str")
    got = tc.yes_no(s)
    want = _reference_map(s, lambda v: tc.yes_no(pd.Series([v], dtype="str")).fillna("").iloc[0])
    pd.testing.assert_series_equal(got, want.where(want != ""))


def test_label_to_code_examples():
    s = pd.Series(["a) WBRI", None, "White British", "zzz", "a) WBRI"], dtype="str")
    got = tc.label_to_code(s, codes.ETHNICITY_CODES, codes.ETHNICITY_LABELS)
    assert [None if pd.isna(v) else v for v in got] == ["WBRI", None, "WBRI", "zzz", "WBRI"]
    assert got.dtype == STR_DTYPE
    empty = tc.label_to_code(pd.Series([], dtype="str"), codes.SEX_CODES, words=tc.SEX_WORDS)
    assert len(empty) == 0 and empty.dtype == STR_DTYPE
    blank = tc.label_to_code(pd.Series([None, None], dtype="str"), codes.SEX_CODES, words=tc.SEX_WORDS)
    assert blank.isna().all() and blank.dtype == STR_DTYPE


# --- part: the frame made once ------------------------------------------------------------------

def part_reference(df: pd.DataFrame, columns, *, fmt: str, year: int, extra=None) -> pd.DataFrame:
    """The part as it was made: a frame of the canonical columns, then provenance added column
    by column."""
    import numpy as np

    from driftflag.ingest._common import constant_text
    from driftflag.ingest._tabular import READ_PROBLEM_COLUMNS

    n = len(df)
    out = {}
    for name, src in {**columns, **(extra or {})}.items():
        if isinstance(src, pd.Series):
            out[name] = src.reset_index(drop=True).astype(STR_DTYPE)
        elif src in df.columns:
            out[name] = df[src].reset_index(drop=True).astype(STR_DTYPE)
        elif isinstance(src, str) and src.startswith("="):
            out[name] = constant_text(src[1:], n)
        else:
            out[name] = constant_text(None, n)
    res = pd.DataFrame(out)
    sf = df["_source_file"].reset_index(drop=True).astype(STR_DTYPE)
    st_ = df["_source_table"].reset_index(drop=True).astype(STR_DTYPE)
    sr = df["_source_row"].reset_index(drop=True).astype(str).astype(STR_DTYPE)
    res["_source_file"] = sf
    res["_source_table"] = st_
    res["_source_row"] = sr
    for c in READ_PROBLEM_COLUMNS:
        if c in df.columns:
            res[c] = df[c].reset_index(drop=True).astype(STR_DTYPE)
    res["_src"] = (sf + "\x1f" + st_ + "\x1f" + sr).astype(STR_DTYPE)  # a blank part: a blank
    res["_format"] = fmt
    res["_year"] = np.int64(year)
    res["_seq"] = np.arange(n, dtype=np.int64)
    return res


def assert_same_frame(got: pd.DataFrame, want: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    for c in want.columns:
        assert type(got[c].array) is type(want[c].array), c
        if hasattr(want[c].array, "_pa_array"):
            assert got[c].array._pa_array.type == want[c].array._pa_array.type, c


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_TEXT, _TEXT, st.one_of(st.integers(1, 99), st.text(max_size=3))), max_size=15),
       st.integers(0, 5), st.booleans(), st.booleans(), st.sampled_from(["str", "object"]))
def test_part_is_the_frame_made_column_by_column(rows, start, problems, with_extra, dtype):
    from driftflag.ingest._tabular import READ_PROBLEM_COLUMNS

    n = len(rows)
    idx = range(start, start + n)
    df = pd.DataFrame({"A": pd.Series([r[0] for r in rows], dtype=dtype, index=idx),
                       "B": pd.Series([r[1] for r in rows], dtype="str", index=idx),
                       "_source_file": pd.Series(["f.csv"] * n, dtype="str", index=idx),
                       "_source_table": pd.Series([r[1] for r in rows], dtype="str", index=idx),
                       "_source_row": pd.Series([r[2] for r in rows], dtype=object, index=idx)}, index=idx)
    if problems:
        for c in READ_PROBLEM_COLUMNS:
            df[c] = pd.Series([r[0] for r in rows], dtype="str", index=idx)
    series = pd.Series([r[1] for r in rows], dtype="str", index=range(100, 100 + n))
    columns = {"child_id": "A", "sex": series, "visit_type": "=CIN", "gone": "Nope", "b": "B"}
    extra = {"_ref_date": "B", "_source_file": "A"} if with_extra else None
    got = tc.part(df, columns, fmt="annex-a", year=2026, extra=extra)
    assert_same_frame(got, part_reference(df, columns, fmt="annex-a", year=2026, extra=extra))


# --- the allocation observed at an extract ------------------------------------------------------

def allocation_reference(lists, extract, fmt, year):
    """The allocation observation as it was found: the whole frame sorted, de-duplicated by
    child and sorted back."""
    from driftflag.validate.rules import parse_dates

    rows = []
    for rank, (name, (event, end)) in enumerate(reversed(list(tc._ALLOCATION_ROWS.items()))):
        df = lists.get(name)
        if df is None or "Allocated Team" not in df or not len(df):
            continue
        df = df.reset_index(drop=True)
        ok = df["Allocated Team"].notna() & df["Allocated Worker"].notna() & df["Child Unique ID"].notna()
        keep = [c for c in (*tc._ALLOCATION_COLUMNS, event, end) if c and c in df.columns]
        a = df.loc[ok, list(dict.fromkeys(keep))].reset_index(drop=True)
        ev = parse_dates(a[event].astype("str")) if event in a else pd.Series(pd.NaT, index=a.index)
        ended = parse_dates(a[end].astype("str")) if end and end in a else pd.Series(pd.NaT, index=a.index)
        a["_open"] = (end is not None) & ended.isna()
        a["_when"] = ended.fillna(ev)
        a["_rank"] = rank
        rows.append(a)
    if not rows:
        return None
    a = pd.concat(rows, ignore_index=True)
    a = a.sort_values(["_open", "_rank", "_when"], ascending=[False, True, False], kind="mergesort",
                      na_position="last")
    a = a.drop_duplicates("Child Unique ID").sort_values(["_source_table", "_source_row"], kind="mergesort")
    return tc.part(a.reset_index(drop=True),
                   {"child_id": "Child Unique ID", "team": "Allocated Team", "worker_id": "Allocated Worker",
                    "start_date": "=" + extract.strftime("%Y-%m-%d")}, fmt=fmt, year=year)


_DAY = st.one_of(st.none(), st.sampled_from(["01/02/2025", "01/02/2025", "15/06/2024", "31/02/2024", "x",
                                             "2024-01-01", "31/12/9999", "28/02/2026"]))
_ALLOC_ROW = st.tuples(st.sampled_from(["C1", "C2", "C3", "C4", None]), st.sampled_from(["T1", "T2", None]),
                       st.sampled_from(["W1", "W2", None]), _DAY, _DAY, st.integers(1, 30))


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.sampled_from(list(tc._ALLOCATION_ROWS) + ["List 9"]),
                       st.lists(_ALLOC_ROW, max_size=10), max_size=6), st.booleans(),
       st.sets(st.sampled_from(list(tc._ALLOCATION_ROWS))))
def test_allocation_as_at_extract_is_the_whole_frame_sorted(spec, shuffled_rows, without_problems):
    from driftflag.ingest._tabular import READ_PROBLEM_COLUMNS

    lists = {}
    for name, rows in spec.items():
        event, end = tc._ALLOCATION_ROWS.get(name, ("Date of referral", None))
        n = len(rows)
        df = pd.DataFrame({
            "Child Unique ID": pd.Series([r[0] for r in rows], dtype="str"),
            "Allocated Team": pd.Series([r[1] for r in rows], dtype="str"),
            "Allocated Worker": pd.Series([r[2] for r in rows], dtype="str"),
            event: pd.Series([r[3] for r in rows], dtype="str"),
            "_source_file": pd.Series(["f.csv"] * n, dtype="str"),
            "_source_table": pd.Series([name] * n, dtype="str"),
            "_source_row": pd.Series([str(r[5] if shuffled_rows else i + 1) for i, r in enumerate(rows)],
                                     dtype="str"),
        })
        if end:
            df[end] = pd.Series([r[4] for r in rows], dtype="str")
        if name not in without_problems:  # a list without them: the others' are kept
            for c in READ_PROBLEM_COLUMNS:
                df[c] = pd.Series([None if i % 3 else "short_row" for i in range(n)], dtype="str")
        lists[name] = df
    ex = pd.Timestamp("2026-02-28")
    got = tc._allocation_as_at_extract(lists, ex, "annex-a", 2026)
    want = allocation_reference(lists, ex, "annex-a", 2026)
    if want is None:
        assert got is None
    else:
        assert_same_frame(got, want)


# --- the rows of a list with a date filled: only the columns the part reads ------------------------

def _present_reference(df: pd.DataFrame, col: str, *used: str) -> pd.DataFrame:
    return df.loc[df[col].notna()].reset_index(drop=True)


_CELL = st.one_of(st.none(), st.sampled_from(["01/02/2025", "a) Yes", "No", "C1", "x", " "]))


@settings(max_examples=25, deadline=None)
@given(st.lists(st.lists(_CELL, min_size=1, max_size=1), max_size=8), st.data())
def test_stage_annex_a_is_the_same_with_whole_rows_filtered(rows, data):
    """Every list staged as by filtering whole rows (what ``_present`` did): the parts read no
    column that ``_present`` leaves out."""
    import pytest

    from driftflag.ingest._tabular import READ_PROBLEM_COLUMNS
    from driftflag.ingest.annex_a import ANNEX_A_COLUMNS

    lists = {}
    for name in ("List 3", "List 4", "List 5", "List 6", "List 7", "List 8"):
        n = len(rows)
        frame = {c: pd.Series([data.draw(_CELL) for _ in range(n)], dtype="str") for c in ANNEX_A_COLUMNS[name]}
        frame["Child Unique ID"] = pd.Series([f"C{i % 3}" for i in range(n)], dtype="str")
        frame.update({"_source_file": pd.Series(["f"] * n, dtype="str"),
                      "_source_table": pd.Series([name] * n, dtype="str"),
                      "_source_row": pd.Series([str(i + 1) for i in range(n)], dtype="str")})
        frame.update({c: pd.Series([None] * n, dtype="str") for c in READ_PROBLEM_COLUMNS})
        lists[name] = pd.DataFrame(frame)
    ex = pd.Timestamp("2026-02-28")
    got = tc.stage_annex_a(lists, 2026, ex)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(tc, "_present", _present_reference)
        want = tc.stage_annex_a(lists, 2026, ex)
    assert list(got) == list(want)
    for t in want:
        assert_same_frame(got[t], want[t])
