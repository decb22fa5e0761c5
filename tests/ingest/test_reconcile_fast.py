"""``reconcile.key_id`` and ``reconcile.within_file`` take shortcuts (dates formatted from numpy's
calendar units and joined by pyarrow; exact duplicates looked for only among rows sharing a key);
the plain pandas expressions they replaced are kept here as the obviously-correct references."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from driftflag.ingest import reconcile as rc

TEXTS = st.one_of(st.none(), st.sampled_from(["C1", "C2", "", " x ", "é", "a:b", "nan", "None", "\u00a0"]),
                  st.text(max_size=6))
DATES = st.one_of(st.none(), st.datetimes(min_value=pd.Timestamp("1678-01-01").to_pydatetime(),
                                          max_value=pd.Timestamp("2261-12-31").to_pydatetime()),
                  st.sampled_from([pd.Timestamp("2024-02-29"), pd.Timestamp("1999-12-31 23:59:59"),
                                   pd.Timestamp("2000-01-01")]))


def key_id_reference(child: pd.Series, when: pd.Series, extra: pd.Series | None = None) -> pd.Series:
    s = child.astype("str") + ":" + when.dt.strftime("%Y%m%d")
    if extra is not None:
        s = s + ":" + extra.astype("str")
    return s


def _text(values: list) -> pd.Series:
    return pd.Series(values, dtype="str")


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(TEXTS, DATES, TEXTS), max_size=25), st.booleans(), st.sampled_from(["ns", "us", "s"]))
def test_key_id_is_the_pandas_expression(rows, with_extra, unit):
    child = _text([r[0] for r in rows])
    when = pd.Series(pd.to_datetime([r[1] for r in rows]), dtype="datetime64[ns]").astype(f"datetime64[{unit}]")
    extra = _text([r[2] for r in rows]) if with_extra else None
    got = rc.key_id(child, when, extra)
    want = key_id_reference(child, when, extra)
    pd.testing.assert_series_equal(got, want)
    assert type(got.array) is type(want.array)


def test_key_id_keeps_index_and_names_and_odd_inputs():
    idx = pd.Index([5, 3, 9])
    child = pd.Series(["A", None, "B"], dtype="str", index=idx, name="child_id")
    when = pd.Series(pd.to_datetime(["2024-01-02", "2024-03-04", None]), index=idx, name="start_date")
    pd.testing.assert_series_equal(rc.key_id(child, when), key_id_reference(child, when))
    same = pd.Series(pd.to_datetime(["2024-01-02", "2024-03-04", None]), index=idx, name="child_id")
    pd.testing.assert_series_equal(rc.key_id(child, same), key_id_reference(child, same))
    # a time-zone-aware column and a year pandas cannot write with four digits: pandas' own path
    tz = when.dt.tz_localize("Europe/London")
    pd.testing.assert_series_equal(rc.key_id(child, tz), key_id_reference(child, tz))
    old = pd.Series(np.array(["0999-05-06", "2024-01-01", "NaT"], dtype="datetime64[s]"), index=idx)
    pd.testing.assert_series_equal(rc.key_id(child, old), key_id_reference(child, old))
    assert rc.key_id(child, when).tolist()[0] == "A:20240102"


def within_file_reference(table: str, df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    if df.empty:
        z = np.zeros(0, dtype=bool)
        return z, z
    where = ["_source_file", "_source_table"]
    exact = df.duplicated(subset=where + rc._value_columns(df), keep="first").to_numpy()
    key = [k for k in rc.NATURAL_KEYS[table] if k in df.columns]
    clash = df.duplicated(subset=where + key, keep="first").to_numpy() & ~exact
    if table in rc.REPEATS_OK_ANNEX:
        clash &= (df["_format"] != "annex-a").to_numpy()
    return exact, clash


ROW = st.tuples(st.sampled_from(["f1", "f2"]), st.sampled_from(["List 3", "List 6"]),
                st.sampled_from(["C1", "C2", None]), st.sampled_from([None, "2024-01-01", "2024-02-01"]),
                st.sampled_from([None, "CIN", "CP"]), st.sampled_from([None, True, False]),
                st.sampled_from([None, 1.5, 2.0]), st.sampled_from(["annex-a", "cin"]), st.integers(0, 3))


def _frame(rows: list) -> pd.DataFrame:
    cols = list(zip(*rows, strict=True)) if rows else [[]] * 9
    return pd.DataFrame({
        "_source_file": pd.Series(cols[0], dtype="str"), "_source_table": pd.Series(cols[1], dtype="str"),
        "child_id": pd.Series(cols[2], dtype="str"),
        "visit_date": pd.Series(pd.to_datetime(list(cols[3])), dtype="datetime64[ns]"),
        "visit_type": pd.Series(cols[4], dtype="str"), "seen_alone": pd.Series(cols[5], dtype="boolean"),
        "score": pd.Series(cols[6], dtype="float64"), "_format": pd.Series(cols[7], dtype="str"),
        "_seq": pd.Series(cols[8], dtype="int64"),
    })


@settings(max_examples=200, deadline=None)
@given(st.lists(ROW, max_size=30), st.sampled_from(["visits", "referrals", "children"]))
def test_within_file_is_the_pandas_duplicated(rows, table):
    df = _frame(rows)
    if table == "referrals":
        df = df.rename(columns={"visit_date": "referral_date"})
    got = rc.within_file(table, df)
    want = within_file_reference(table, df)
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])
    assert got[0].dtype == bool and got[1].dtype == bool


def test_within_file_finds_both_kinds():
    rows = [("f", "L", "C1", "2024-01-01", "CIN", None, None, "cin", 0),
            ("f", "L", "C1", "2024-01-01", "CIN", None, None, "cin", 1),   # exact repeat (_seq differs)
            ("f", "L", "C1", "2024-01-01", "CIN", True, None, "cin", 2),   # same key, other value
            ("g", "L", "C1", "2024-01-01", "CIN", True, None, "cin", 3)]   # other file
    exact, clash = rc.within_file("visits", _frame(rows))
    assert exact.tolist() == [False, True, False, False]
    assert clash.tolist() == [False, False, True, False]
