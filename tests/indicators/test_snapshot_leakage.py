"""No leakage: a snapshot on ``as_of`` depends only on what was recorded by then.

Two properties, on random untidy stores and small synthetic LAs:

1. Appending any records dated after ``as_of``, to every table (new children, new episodes for
   existing children, reviews of existing plans, allocations, workers), never changes the
   snapshot.
2. Moving the as-of date earlier never reveals later events: the snapshot of the full store on
   ``as_of`` equals the snapshot of the store as the council held it on ``as_of`` (later rows
   removed, later end dates and what is recorded with them blanked).
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from driftflag.casemodel import CaseStore
from driftflag.indicators import load_registry, snapshot

from .stores import (
    _Ids,
    as_of_for,
    child_events,
    empty_tables,
    random_store,
    synth_store,
    to_store,
    truncate,
)

REG = load_registry()
_SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                       HealthCheck.large_base_example])


@st.composite
def later_records(draw, store: CaseStore, as_of: date) -> CaseStore:
    """``store`` plus random rows, in every table, all dated after ``as_of``."""
    existing = sorted(set(store["children"]["child_id"].dropna()))
    after = as_of + timedelta(days=draw(st.integers(1, 400)))
    # events drawn around a date after as_of, then anything not after as_of is dropped
    tables = empty_tables()
    ids = _Ids()
    for cid in existing[:3] + [f"NEW{k}" for k in range(2)]:
        draw(child_events(cid, after + timedelta(days=850), ids, tables))
    for plan_id in store["cp_plans"]["cp_plan_id"].dropna().tolist()[:3]:
        cid = store["cp_plans"].loc[store["cp_plans"]["cp_plan_id"] == plan_id, "child_id"].iloc[0]
        tables["cp_reviews"].append({"cp_plan_id": plan_id, "child_id": cid,
                                     "review_date": pd.Timestamp(after + timedelta(days=draw(st.integers(0, 30))))})
    tables["workers"].append({"worker_id": "LATE1", "team": "Team A", "start_date": pd.Timestamp(after)})
    tables["children"] = [r for r in tables["children"] if r["child_id"] not in existing]
    extra = to_store(tables)
    D = pd.Timestamp(as_of)
    frames = {}
    for name, df in store.tables.items():
        add = extra[name]
        date_cols = [c for c in add.columns if str(add[c].dtype).startswith("datetime")]
        if name != "children" and date_cols:
            first = add[date_cols].min(axis=1)
            add = add[first > D]  # every date of an appended row is after as_of
        # fresh ids so that appended rows never collide with existing keys
        key = [c for c in add.columns if c.endswith("_id") and c not in ("child_id", "referral_id")][:1]
        if key and name not in ("cp_reviews", "children"):
            add = add.assign(**{key[0]: "LATE-" + add[key[0]].astype(str)})
        frames[name] = pd.concat([df, add], ignore_index=True) if len(add) else df
    return CaseStore.from_frames(frames)


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))


@settings(max_examples=50, **_SETTINGS)
@given(data=st.data())
def test_appending_later_records_never_changes_the_snapshot(data):
    store, anchor = data.draw(random_store())
    as_of = data.draw(as_of_for(store, anchor))
    bigger = data.draw(later_records(store, as_of))
    assert sum(len(df) for df in bigger.tables.values()) >= sum(len(df) for df in store.tables.values())
    _same(snapshot(store, as_of, registry=REG), snapshot(bigger, as_of, registry=REG))


@settings(max_examples=50, **_SETTINGS)
@given(data=st.data())
def test_snapshot_equals_snapshot_of_the_store_as_held_then(data):
    store, anchor = data.draw(random_store())
    as_of = data.draw(as_of_for(store, anchor))
    _same(snapshot(store, as_of, registry=REG), snapshot(truncate(store, as_of), as_of, registry=REG))


@settings(max_examples=15, **_SETTINGS)
@given(seed=st.integers(0, 7), offset=st.integers(0, 3 * 365 - 1))
def test_synthetic_la_snapshot_equals_the_la_as_held_then(seed, offset):
    store = synth_store(seed)
    as_of = date(2023, 4, 1) + timedelta(days=offset)
    _same(snapshot(store, as_of, registry=REG), snapshot(truncate(store, as_of), as_of, registry=REG))


def test_moving_as_of_earlier_hides_a_plan_that_starts_later():
    store = synth_store(5)
    plans = store["cp_plans"]
    start = plans["start_date"].max()
    child = plans.loc[plans["start_date"] == start, "child_id"].iloc[0]
    day_before = (start - pd.Timedelta(days=1)).date()
    s = snapshot(store, day_before).set_index("child_id")
    assert child not in s.index or pd.isna(s.loc[child, "cp_plan_days"])
