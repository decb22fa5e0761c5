"""``records_to_frame`` works column-wise (48 monthly Annex A extracts are a million rows); the
row-by-row version it replaced is kept here as the obviously-correct reference."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from driftflag.ingest._common import STR_DTYPE
from driftflag.ingest._tabular import (
    Records,
    RowProblem,
    add_problem_columns,
    problem_text,
    records_to_frame,
    width_problem,
)


def reference(records: Records, header_row: int, columns: dict[int, str], *, source_file: str,
              source_table: str) -> pd.DataFrame:
    names = list(columns.values())
    positions = list(columns)
    data: dict[str, list] = {n: [] for n in names}
    rows: list[int] = []
    header = records.rows[header_row]
    width = max((i + 1 for i, c in enumerate(header) if c), default=0)
    base = records.numbers[header_row]
    problems = []
    for i in range(header_row + 1, len(records.rows)):
        rec = records.rows[i]
        problem = records.problems.get(i)
        if problem is None and not any(c for c in rec):
            continue
        if problem is None and records.kind == "csv":
            problem = width_problem(rec, width)
        n = records.numbers[i]
        problems.append(problem_text(problem, n, header, width) if problem else None)
        w = len(rec)
        for pos, name in zip(positions, names, strict=True):
            data[name].append(rec[pos] if pos < w else None)
        rows.append(n - base)
    df = pd.DataFrame({n: pd.array(v, dtype=STR_DTYPE) for n, v in data.items()}, columns=names)
    df["_source_file"] = pd.Series([source_file] * len(df), dtype=STR_DTYPE)
    df["_source_table"] = pd.Series([source_table] * len(df), dtype=STR_DTYPE)
    df["_source_row"] = pd.Series([str(r) for r in rows], dtype=STR_DTYPE)
    add_problem_columns(df, problems)
    return df


cell = st.one_of(st.none(), st.sampled_from(["a", "0", "x y", "C1", "01/02/2026"]))


@st.composite
def record_sets(draw):
    header = draw(st.lists(st.one_of(st.none(), st.sampled_from(["Child Unique ID", "Gender", "Date"])),
                           min_size=1, max_size=6))
    body = draw(st.lists(st.lists(cell, max_size=8), max_size=25))
    above = draw(st.integers(0, 2))
    rows = [[None] * draw(st.integers(0, 3)) for _ in range(above)] + [header] + body
    numbers = sorted(draw(st.lists(st.integers(1, 500), min_size=len(rows), max_size=len(rows), unique=True)))
    problems = {}
    for i in draw(st.sets(st.integers(above + 1, len(rows) - 1), max_size=3)) if len(rows) > above + 1 else ():
        problems[i] = RowProblem("unbalanced_quote", draw(st.one_of(st.none(), st.integers(0, 7))), '"x')
    kind = draw(st.sampled_from(["csv", "xlsx"]))
    columns = {p: f"c{p}" for p in sorted(draw(st.sets(st.integers(0, 9), max_size=5)))}
    return Records(rows, numbers, problems if kind == "csv" else {}, kind=kind), above, columns


@settings(max_examples=200, deadline=None)
@given(record_sets())
def test_column_wise_frame_equals_the_row_by_row_reference(case):
    records, header_row, columns = case
    got = records_to_frame(records, header_row, columns, source_file="f.csv", source_table="List 3")
    want = reference(records, header_row, columns, source_file="f.csv", source_table="List 3")
    pd.testing.assert_frame_equal(got, want)
