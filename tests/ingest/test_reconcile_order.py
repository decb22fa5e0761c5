"""``reconcile.order`` and the cross-return fill of ``reconcile.reconcile`` against the pandas
expressions they replaced (sort_values on the five keys; the winners filled through a frame of
objects), on random rows of several returns, years, files and positions."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from driftflag.ingest import reconcile as rc


def _old_order(df: pd.DataFrame) -> pd.DataFrame:
    rank = df["_format"].map(rc.PRECEDENCE).fillna(9).astype(np.int64)
    return (df.assign(_rank=rank, _negyear=-df["_year"])
            .sort_values(["_rank", "_negyear", "_source_file", "_source_table", "_seq"], kind="mergesort")
            .drop(columns=["_rank", "_negyear"]))


def _old_reconcile(table: str, df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    key = list(rc.NATURAL_KEYS[table])
    df = _old_order(df)
    known = rc.row_known_from(table, df)
    df["known_from"] = known.groupby([df[k] for k in key], sort=False, dropna=False).transform("min")
    same_fmt = df.duplicated(subset=key + ["_format"], keep="first").to_numpy()
    first_year = df.groupby(key + ["_format"], sort=False, dropna=False)["_year"].transform("first")
    reason_same = np.where(df["_year"].to_numpy() != first_year.to_numpy(), "resubmitted", "repeated")
    kept = df.loc[~same_fmt]
    dups = [df.loc[same_fmt].assign(reason=reason_same[same_fmt])]
    if kept["_format"].nunique() > 1:
        cross = kept.duplicated(subset=key, keep="first").to_numpy()
        dups.append(kept.loc[cross].assign(reason="other_source"))
        if cross.any():
            filled = kept.groupby(key, sort=False, dropna=False).first()
            winners = kept.loc[~cross].set_index(key)
            cols = [c for c in winners.columns if not c.startswith("_")]
            winners[cols] = filled.loc[winners.index, cols].to_numpy() if len(cols) else winners[cols]
            for c in cols:
                winners[c] = winners[c].astype(kept[c].dtype)
            kept = winners.reset_index()
        else:
            kept = kept.loc[~cross]
    return kept.reset_index(drop=True), pd.concat(dups, ignore_index=True)


FORMATS = ["cin", "ssda903", "annex-a", "canonical", "audits", "odd"]
row = st.fixed_dictionaries({
    "child": st.sampled_from(["A", "B", "C"]),
    "day": st.integers(1, 3),
    "fmt": st.sampled_from(FORMATS),
    "year": st.integers(2022, 2025),
    "file": st.sampled_from(["f1.csv", "f2.xml", "F0.csv", "é.csv", None]),
    "list": st.sampled_from(["List 3", "List 8", "header", None]),
    "seq": st.integers(0, 5),
    "sex": st.sampled_from(["M", "F", None]),
    "dob": st.sampled_from([None, "2015-01-02", "2016-03-04"]),
    "uasc": st.sampled_from([True, False, None]),
})


def _frame(rows: list[dict], categorical: bool) -> pd.DataFrame:
    df = pd.DataFrame({
        "child_id": pd.Series([r["child"] for r in rows], dtype="str"),
        "referral_date": pd.to_datetime([f"2024-01-{r['day']:02d}" for r in rows]),
        "sex": pd.Series([r["sex"] for r in rows], dtype="str"),
        "date_of_birth": pd.to_datetime([r["dob"] for r in rows]),
        "uasc": pd.array([r["uasc"] for r in rows], dtype="boolean"),
        "_format": pd.Series([r["fmt"] for r in rows], dtype="str"),
        "_year": np.array([r["year"] for r in rows], dtype=np.int64),
        "_source_file": pd.Series([r["file"] for r in rows], dtype="str"),
        "_source_table": pd.Series([r["list"] for r in rows], dtype=object),
        "_seq": np.array([r["seq"] for r in rows], dtype=np.int64),
        "_src": pd.Series([f"s{i}" for i in range(len(rows))], dtype=object),
    }, index=pd.RangeIndex(len(rows)) * 3)
    if categorical:  # categories in an order of their own (as merged ghosts' are)
        df["_source_file"] = pd.Categorical(df["_source_file"], categories=["f2.xml", "é.csv", "f1.csv", "F0.csv"])
    return df


@settings(max_examples=100, deadline=None)
@given(rows=st.lists(row, max_size=25), categorical=st.booleans(), blank_years=st.booleans())
def test_order_matches_sort_values(rows, categorical, blank_years) -> None:
    df = _frame(rows, categorical)
    if blank_years:  # nullable years, some blank: sorted last, as sort_values puts them
        df["_year"] = pd.array([None if r["year"] == 2023 else r["year"] for r in rows], dtype="Int64")
    pd.testing.assert_frame_equal(rc.order(df), _old_order(df))


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(row, min_size=1, max_size=25))
def test_reconcile_matches_the_frame_of_objects(rows) -> None:
    table = "children"  # three returns' child records merged: the winner's blanks filled
    df = _frame(rows, False).drop(columns=["referral_date"])
    got_kept, got_dups = rc.reconcile(table, df.copy())
    want_kept, want_dups = _old_reconcile(table, df.copy())
    pd.testing.assert_frame_equal(got_kept, want_kept)
    pd.testing.assert_frame_equal(got_dups, want_dups)
    # the duplicates cut to their provenance (what the ingest asks for): the same rows and reasons
    prov = ["_source_file", "_source_table", "_src"]
    cut_kept, cut_dups = rc.reconcile(table, df.copy(), duplicate_columns=[*prov, "_not_there"])
    pd.testing.assert_frame_equal(cut_kept, want_kept)
    pd.testing.assert_frame_equal(cut_dups, want_dups[[*prov, "reason"]])


key_row = st.fixed_dictionaries({
    "child": st.sampled_from(["A", "B", None, "nan", ""]),
    "day": st.sampled_from([1, 2, None]),
    "fmt": st.sampled_from(FORMATS + [None]),
    "year": st.integers(2022, 2025),
    "file": st.sampled_from(["f1.csv", "f2.xml"]),
    "seq": st.integers(0, 5),
    "source": st.sampled_from(["PA", "PB", None]),
})


@settings(max_examples=100, deadline=None)
@given(rows=st.lists(key_row, min_size=1, max_size=30))
def test_reconcile_by_key_numbers_matches_grouping_by_values(rows) -> None:
    """Referrals (a key of two columns), blank children, dates and return types among them:
    reconcile grouping by numbered keys (``group_ids``) as the pandas groupings by the key's
    values did (``_old_reconcile``)."""
    df = pd.DataFrame({
        "child_id": pd.Series([r["child"] for r in rows], dtype="str"),
        "referral_date": pd.to_datetime([None if r["day"] is None else f"2024-01-0{r['day']}" for r in rows]),
        "referral_source": pd.Series([r["source"] for r in rows], dtype="str"),
        "_format": pd.Series([r["fmt"] for r in rows], dtype="str"),
        "_year": np.array([r["year"] for r in rows], dtype=np.int64),
        "_source_file": pd.Series([r["file"] for r in rows], dtype="str"),
        "_source_table": pd.Series(["t"] * len(rows), dtype="str"),
        "_seq": np.array([r["seq"] for r in rows], dtype=np.int64),
        "_known": pd.to_datetime(["2024-03-01"] * len(rows)),
    })
    got_kept, got_dups = rc.reconcile("referrals", df.copy())
    want_kept, want_dups = _old_reconcile("referrals", df.copy())
    pd.testing.assert_frame_equal(got_kept, want_kept)
    pd.testing.assert_frame_equal(got_dups, want_dups)


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(st.tuples(st.sampled_from(["A", "B", None, ""]), st.sampled_from([1.0, 2.0, None]),
                               st.sampled_from([pd.Timestamp("2024-01-01"), None])), max_size=30))
def test_group_ids_are_groupby_ngroup(rows) -> None:
    """``group_ids`` numbers rows as ``groupby(columns, sort=False, dropna=False).ngroup()``."""
    df = pd.DataFrame({"a": pd.Series([r[0] for r in rows], dtype="str"),
                       "b": pd.Series([r[1] for r in rows], dtype="float64"),
                       "c": pd.to_datetime(pd.Series([r[2] for r in rows], dtype=object))})
    if not len(df):
        return
    want = df.groupby(["a", "b", "c"], sort=False, dropna=False).ngroup().to_numpy()
    np.testing.assert_array_equal(rc.group_ids([df["a"], df["b"], df["c"]]), want)
