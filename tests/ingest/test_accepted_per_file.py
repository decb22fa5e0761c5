"""The accounting's accepted source rows per file (``run._accepted_per_file``) against the
obvious computation it replaced: every accepted row's provenance in one frame, each row's
``_src`` text given or rebuilt from file, list and row, one row per source row number, the rows
an error names left out, counted per file."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from driftflag.ingest import to_canonical as tc
from driftflag.ingest.run import _accepted_per_file

FILES = ["a.xlsx", "b.xml", "c\x1fodd.csv"]  # a separator inside a name too
LISTS = ["List 1", "Header"]
ROWS = ["2", "3", "10", "1\x1f2", "x"]


def _reference(accepted: dict[str, pd.DataFrame], bad: pd.Index) -> dict[str, int]:
    won = pd.concat([df for df in accepted.values()], ignore_index=True)
    won = won.drop_duplicates("_srcid")
    rebuilt = tc.source_key(won["_source_file"], won["_source_table"], won["_source_row"])
    src = won["_src"].where(won["_src"].notna(), rebuilt) if "_src" in won.columns else rebuilt
    won = won.loc[~src.astype(object).isin(bad)]
    return {k: int(v) for k, v in won["_source_file"].value_counts().items() if v}


@st.composite
def accepted_tables(draw):
    n_sources = draw(st.integers(1, 12))
    # each source row: its provenance, and its text as given (sometimes not the rebuilt one)
    prov = [(draw(st.sampled_from(FILES)), draw(st.sampled_from(LISTS)), draw(st.sampled_from(ROWS)))
            for _ in range(n_sources)]
    tables = {}
    for t in range(draw(st.integers(1, 3))):
        ids = draw(st.lists(st.integers(0, n_sources - 1), max_size=15))
        df = pd.DataFrame({
            "_source_file": pd.array([prov[i][0] for i in ids], dtype="str"),
            "_source_table": pd.array([prov[i][1] for i in ids], dtype="str"),
            "_source_row": pd.array([prov[i][2] for i in ids], dtype="str"),
            "_srcid": np.asarray(ids, dtype=np.int64),
        })
        if draw(st.booleans()):  # some tables keep their texts (blank for some rows)
            own = draw(st.booleans())
            df["_src"] = [None if draw(st.booleans()) else
                          (f"own{i}" if own else "\x1f".join(prov[i])) for i in ids]
        tables[f"t{t}"] = df
    every = ["\x1f".join(p) for p in prov] + [f"own{i}" for i in range(n_sources)] + ["nothing"]
    bad = pd.Index(draw(st.lists(st.sampled_from(every), max_size=6, unique=True)), dtype=object)
    return tables, bad


@settings(max_examples=300, deadline=None)
@given(accepted_tables())
def test_accepted_rows_per_file_as_the_whole_frame_gives_them(case):
    tables, bad = case
    got = {k: int(v) for k, v in _accepted_per_file(tables, bad).items() if v}
    assert got == _reference(tables, bad)


def test_an_error_naming_a_rebuilt_text_removes_its_row():
    df = pd.DataFrame({"_source_file": ["a.xlsx", "a.xlsx"], "_source_table": ["List 1"] * 2,
                       "_source_row": ["2", "3"], "_srcid": np.array([0, 1])})
    got = _accepted_per_file({"children": df}, pd.Index(["a.xlsx\x1fList 1\x1f3"], dtype=object))
    assert int(got["a.xlsx"]) == 1
