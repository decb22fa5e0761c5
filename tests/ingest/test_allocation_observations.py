"""The Annex A allocation observations decided while reading (``ExtractHistory._allocations``),
against the obvious reference it replaced: each child's last observation kept in a frame indexed
by child, rebuilt after every extract."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from driftflag.ingest._dedup import ExtractHistory


class _Reference:
    """The streamed allocation runs as first written (a frame of last observations)."""

    def __init__(self) -> None:
        self.last: pd.DataFrame | None = None
        self.repeated: list[pd.DataFrame] = []

    def add(self, a: pd.DataFrame) -> pd.DataFrame:
        a = a.sort_values(["child_id", "start_date", "_source_file", "_seq"], kind="mergesort")
        child = a["child_id"].astype(object).to_numpy()
        start = a["start_date"].to_numpy()
        who = (a["team"].astype(object).astype(str) + "\x1f" + a["worker_id"].astype(object).astype(str)).to_numpy()
        same_child = np.r_[False, child[1:] == child[:-1]]
        prev_who = np.r_[[None], who[:-1]].astype(object)
        prev_start = np.r_[start[:1], start[:-1]]
        first = ~same_child
        last = self.last
        if last is not None and first.any():
            hit = last.reindex(pd.Index(child[first], dtype=object))
            known = hit["who"].notna().to_numpy()
            idx = np.flatnonzero(first)
            same_child[idx[known]] = True
            prev_who[idx[known]] = hit["who"].to_numpy()[known]
            prev_start[idx[known]] = hit["start"].to_numpy()[known]
        same_day = same_child & (start == prev_start)
        cont = same_child & ((who == prev_who) | same_day)
        ends = ~np.r_[child[1:] == child[:-1], False]
        upd = pd.DataFrame({"who": who[ends], "start": start[ends]}, index=pd.Index(child[ends], dtype=object))
        self.last = upd if last is None else pd.concat([last.loc[~last.index.isin(upd.index)], upd])
        self.repeated.append(a.loc[cont])
        return a.loc[~cont]


def _extract(rows: list[tuple[int, int, str, str | None, int]], month: int) -> pd.DataFrame:
    """One extract's observations: (child, day offset, team, worker, list) per row."""
    n = len(rows)
    return pd.DataFrame({
        "child_id": pd.array([f"C{c}" for c, *_ in rows], dtype="str"),
        "team": pd.array([t for _, _, t, _, _ in rows], dtype="str"),
        "worker_id": pd.array([w for *_, w, _ in rows], dtype="str"),
        "start_date": pd.to_datetime([f"2025-{month:02d}-01"] * n) + pd.to_timedelta([d for _, d, *_ in rows], unit="D"),
        "_source_file": pd.array([f"annex_a_2025-{month:02d}_list_{k}.csv" for *_, k in rows], dtype="str"),
        "_source_table": pd.array([f"List {k}" for *_, k in rows], dtype="str"),
        "_source_row": pd.array([str(i + 2) for i in range(n)], dtype="str"),
        "_seq": np.arange(n, dtype=np.int64),
        "_format": "annex-a",
    })


# an extract has at least one observation (ExtractHistory.add calls with Annex A rows only)
rows = st.lists(st.tuples(st.integers(0, 12), st.integers(0, 1), st.sampled_from(["North", "South", "nan"]),
                          st.sampled_from(["W1", "W2", None]), st.integers(3, 8)), min_size=1, max_size=25)


@settings(max_examples=60, deadline=None)
@given(extracts=st.lists(rows, min_size=1, max_size=6))
def test_allocation_observations_match_the_reference(extracts) -> None:
    hist = ExtractHistory(stream_allocations=True)
    ref = _Reference()
    for month, obs in enumerate(extracts, start=1):
        df = _extract(obs, month)
        got = hist._allocations(df.copy())
        want = ref.add(df.copy())
        pd.testing.assert_frame_equal(got, want)
    got_dups = [d for d in hist.take_duplicates() if len(d)]
    want_dups = [d for d in ref.repeated if len(d)]
    assert len(got_dups) == len(want_dups)
    for g, w in zip(got_dups, want_dups, strict=True):
        assert g["_source_file"].astype(str).tolist() == w["_source_file"].astype(str).tolist()
        assert g["_source_row"].astype(str).tolist() == w["_source_row"].astype(str).tolist()
        assert set(g["reason"].astype(str)) == {"repeated"}
