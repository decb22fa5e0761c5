"""Small random case stores for property tests, built with hypothesis.

Dates cluster around an anchor date chosen among awkward ones (29 February, Christmas, Easter,
the one-off bank holidays of 2022-2023) so that boundaries are hit often: episodes that start or
end on the as-of date, windows that open on a bank holiday, month-end clipping. Records are
deliberately untidy in the ways real data is (overlapping plans, open ends, missing codes,
same-day events), because the fast and the reference implementation must agree on those too.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

import pandas as pd
from hypothesis import strategies as st

from driftflag.casemodel import CaseStore
from driftflag.casemodel.schema import TABLE_ORDER, TABLES, conform

ANCHORS = (
    date(2024, 2, 29), date(2023, 12, 25), date(2024, 3, 29), date(2022, 9, 19),
    date(2023, 5, 8), date(2025, 8, 31), date(2024, 12, 31), date(2023, 3, 1),
)
TEAMS = ("Team A", "Team B", "Team C")
WORKERS = ("W1", "W2", "W3", "W4", "W5")


def _ts(d: date | None):
    return pd.NaT if d is None else pd.Timestamp(d)


class _Ids:
    def __init__(self):
        self.n: dict[str, int] = {}

    def __call__(self, prefix: str) -> str:
        self.n[prefix] = self.n.get(prefix, 0) + 1
        return f"{prefix}{self.n[prefix]:04d}"


@st.composite
def maybe_end(draw, start: date, longest: int = 500):
    if draw(st.booleans()):
        return None
    return start + timedelta(days=draw(st.integers(0, longest)))


@st.composite
def child_events(draw, cid: str, anchor: date, ids: _Ids, tables: dict[str, list]):
    day = lambda lo=-800, hi=120: anchor + timedelta(days=draw(st.integers(lo, hi)))  # noqa: E731
    tables["children"].append({
        "child_id": cid,
        "sex": draw(st.sampled_from(["M", "F", "U", None])),
        "date_of_birth": _ts(day(-6500, 200)),
        "ethnicity": draw(st.sampled_from(["WBRI", "BAFR", "CHNE", "REFU", "MWBC", None])),
        "disability": draw(st.sampled_from([True, False, None])),
        "uasc": draw(st.sampled_from([True, False, None])),
        "uasc_ceased_date": _ts(draw(st.sampled_from([None, day()]))),
    })
    for _ in range(draw(st.integers(0, 3))):
        s = day()
        e = draw(maybe_end(s, 400))
        tables["referrals"].append({
            "referral_id": ids("R"), "child_id": cid, "referral_date": _ts(s),
            "referral_source": draw(st.sampled_from(["5D", "6", "2A", None])),
            "closure_date": _ts(e),
            "closure_reason": None if e is None else draw(st.sampled_from(["RC9", "RC7", None])),
        })
    for _ in range(draw(st.integers(0, 2))):
        s = day()
        tables["assessments"].append({"assessment_id": ids("A"), "child_id": cid, "start_date": _ts(s),
                                      "authorisation_date": _ts(draw(maybe_end(s, 120)))})
    for _ in range(draw(st.integers(0, 2))):
        s = day()
        tables["section47"].append({
            "s47_id": ids("S"), "child_id": cid, "start_date": _ts(s),
            "icpc_date": _ts(draw(maybe_end(s, 40))),
            "icpc_not_required": draw(st.sampled_from([True, False, None])),
        })
    for _ in range(draw(st.integers(0, 2))):
        s = day()
        tables["cin_plans"].append({"cin_plan_id": ids("CIN"), "child_id": cid, "start_date": _ts(s),
                                    "end_date": _ts(draw(maybe_end(s)))})
    for _ in range(draw(st.integers(0, 3))):
        s = day(-900, 60)
        pid = ids("CP")
        tables["cp_plans"].append({
            "cp_plan_id": pid, "child_id": cid, "start_date": _ts(s),
            "end_date": _ts(draw(maybe_end(s, 900))),
            "initial_category": draw(st.sampled_from(["NEG", "EMO", "PHY", None])),
            "latest_category": "NEG",
            "number_of_previous_cpp": draw(st.sampled_from([None, None, 0, 1, 2])),
        })
        for r in sorted({s + timedelta(days=draw(st.integers(60, 700))) for _ in range(draw(st.integers(0, 3)))}):
            tables["cp_reviews"].append({"cp_plan_id": pid, "child_id": cid, "review_date": _ts(r)})
    # looked-after episodes, chained as the 903 does (with the odd gap)
    n_ep = draw(st.integers(0, 4))
    if n_ep:
        s = day(-900, 60)
        for k in range(n_ep):
            last = k == n_ep - 1
            e = draw(maybe_end(s, 400)) if last else s + timedelta(days=draw(st.integers(0, 400)))
            tables["lac_episodes"].append({
                "episode_id": ids("EP"), "child_id": cid, "decom": _ts(s),
                "rne": "S" if k == 0 else draw(st.sampled_from(["P", "L", "T", "B", "U", "S"])),
                "ls": draw(st.sampled_from(["C1", "C2", "V2", "E1"])),
                "place": draw(st.sampled_from(["U1", "K2", "P1", "A3", "Z11", "H5"])),
                "dec": _ts(e),
                "pl_distance": draw(st.sampled_from([None, 3.0, 20.0, 20.5, 45.0])),
                "placement_in_la": draw(st.sampled_from([True, False, None])),
            })
            if e is None:
                break
            s = e + timedelta(days=draw(st.sampled_from([0, 0, 0, 1, 30])))
    for r in sorted({day() for _ in range(draw(st.integers(0, 3)))}):
        tables["lac_reviews"].append({"child_id": cid, "review_date": _ts(r)})
    for _ in range(draw(st.integers(0, 4))):
        s = day(-400, 30)
        tables["missing_episodes"].append({
            "missing_id": ids("M"), "child_id": cid, "missing_type": draw(st.sampled_from(["M", "A"])),
            "start_date": _ts(s), "end_date": _ts(draw(maybe_end(s, 6))),
            "rhi_offered": draw(st.sampled_from([True, False, None])),
            "rhi_accepted": draw(st.sampled_from([True, False, None])),
            # an interview reported by a later Annex A extract: known only from then
            "rhi_known_from": _ts(draw(st.sampled_from([None, s + timedelta(days=20),
                                                        s + timedelta(days=120)]))),
        })
    for _ in range(draw(st.integers(0, 1))):
        s = day()
        tables["pre_proceedings"].append({"pp_id": ids("PP"), "child_id": cid, "start_date": _ts(s),
                                          "decision_date": _ts(draw(maybe_end(s, 250)))})
    for _ in range(draw(st.integers(0, 1))):
        s = day()
        tables["care_proceedings"].append({"proceedings_id": ids("PR"), "child_id": cid,
                                           "application_date": _ts(s),
                                           "final_order_date": _ts(draw(maybe_end(s, 400)))})
    for _ in range(draw(st.integers(0, 6))):
        tables["visits"].append({"visit_id": ids("V"), "child_id": cid, "visit_date": _ts(day(-200, 60)),
                                 "visit_type": "CP"})
    for _ in range(draw(st.integers(0, 3))):
        s = day(-500, 60)
        tables["allocations"].append({
            "allocation_id": ids("AL"), "child_id": cid, "team": draw(st.sampled_from(TEAMS)),
            "worker_id": draw(st.sampled_from(WORKERS)), "start_date": _ts(s),
            "end_date": _ts(draw(maybe_end(s, 400))),
        })
    # 903 social worker episodes (a full history): a looked-after child's worker changes
    # come from them (the reference and the fast path must agree on when)
    for _ in range(draw(st.integers(0, 2))):
        s = day(-500, 60)
        tables["sw_episodes"].append({
            "sw_episode_id": ids("SW"), "child_id": cid, "worker_id": draw(st.sampled_from(WORKERS)),
            "start_date": _ts(s), "end_date": _ts(draw(maybe_end(s, 400))),
        })


def empty_tables() -> dict[str, list]:
    return {name: [] for name in TABLES}


@cache
def _empty(name: str) -> pd.DataFrame:
    return TABLES[name].empty()


def to_store(tables: dict[str, list]) -> CaseStore:
    """Rows (dicts) per table as a conformed case store; each table is conformed once."""
    frames = {}
    for name in TABLE_ORDER:
        rows = tables.get(name)
        frames[name] = (conform(pd.DataFrame(rows, columns=TABLES[name].column_names), TABLES[name])
                        if rows else _empty(name))
    return CaseStore(tables=frames)


#: Tables whose rows may be known after their event date in a random store. The per-row facts
#: (re-referral, previous plans, period of care, worker change) assume earlier rows are known
#: no later than later ones, so referrals, CP plans, looked-after episodes and allocations keep
#: their event date (as full histories and Annex A allocations do).
LATE_TABLES: dict[str, str] = {
    "visits": "visit_date", "cp_reviews": "review_date", "lac_reviews": "review_date",
    "missing_episodes": "start_date", "pre_proceedings": "start_date",
    "care_proceedings": "application_date", "assessments": "start_date", "section47": "start_date",
    "cin_plans": "start_date",
}


@st.composite
def late_knowledge(draw, tables: dict[str, list]) -> None:
    """Give some rows a ``known_from`` after their event date (as a snapshot source would):
    the same offset for a whole table (an extract lag) or one per row."""
    for name, col in LATE_TABLES.items():
        mode = draw(st.sampled_from(["event", "event", "lag", "rows"]))
        if mode == "event":
            continue
        lag = draw(st.integers(0, 90))
        for r in tables[name]:
            if r.get(col) is None or r[col] is pd.NaT:
                continue
            days = lag if mode == "lag" else draw(st.sampled_from([0, 0, 1, 15, 45, 120]))
            r["known_from"] = r[col] + pd.Timedelta(days=days)


@st.composite
def random_store(draw, max_children: int = 4):
    """(store, anchor date): a few children with untidy records around an awkward date; some
    tables known late (``known_from`` after the event) in about half the stores."""
    anchor = draw(st.sampled_from(ANCHORS))
    ids = _Ids()
    tables = empty_tables()
    for i in range(draw(st.integers(1, max_children))):
        draw(child_events(f"C{i + 1:02d}", anchor, ids, tables))
    if draw(st.booleans()):
        draw(late_knowledge(tables))
    # no workforce roster in some stores (built from the returns: team caseload falls back to
    # the workers holding an open case)
    for w in (WORKERS if draw(st.integers(0, 3)) else ()):
        s = anchor + timedelta(days=draw(st.integers(-1500, 60)))
        tables["workers"].append({"worker_id": w, "team": draw(st.sampled_from(TEAMS)),
                                  "start_date": _ts(s), "end_date": _ts(draw(maybe_end(s, 1500)))})
    return to_store(tables), anchor


def event_dates(store: CaseStore) -> list[date]:
    """Every date in the store (as-of candidates that hit boundaries)."""
    out: set[date] = set()
    for name, df in store.tables.items():
        for col in TABLES[name].columns:
            if col.kind == "date":
                out.update(pd.Timestamp(v).date() for v in df[col.name].dropna())
    return sorted(out)


@st.composite
def as_of_for(draw, store: CaseStore, anchor: date):
    """An as-of date: an event date give or take a day, or a day near the anchor."""
    dates = event_dates(store)
    if dates and draw(st.booleans()):
        return draw(st.sampled_from(dates)) + timedelta(days=draw(st.sampled_from([-1, 0, 0, 1])))
    return anchor + timedelta(days=draw(st.integers(-60, 60)))


def synth_store(seed: int, children: int = 80, years: int = 3) -> CaseStore:
    """A small synthetic LA (the stage-1 simulator), cached per seed by the suite's cache."""
    from synthetic_la_cache import synthetic_la

    return synthetic_la(children=children, years=years, seed=seed).store


def truncate(store: CaseStore, as_of: date) -> CaseStore:
    """The store as a council would have held it on ``as_of``: later rows removed, later end
    dates blanked along with what is recorded at the end (closure reason, RHI, outcomes...)."""
    D = pd.Timestamp(as_of)
    t = {name: df.copy() for name, df in store.tables.items()}

    def drop_after(name, col):
        t[name] = t[name][~(t[name][col] > D)].reset_index(drop=True)

    def blank_after(name, col, *also):
        late = t[name][col] > D
        t[name].loc[late, col] = pd.NaT
        for c in also:
            t[name].loc[late, c] = None

    for name, col in (("referrals", "referral_date"), ("assessments", "start_date"),
                      ("section47", "start_date"), ("cin_plans", "start_date"),
                      ("cp_plans", "start_date"), ("cp_reviews", "review_date"),
                      ("lac_episodes", "decom"), ("lac_reviews", "review_date"),
                      ("missing_episodes", "start_date"), ("pre_proceedings", "start_date"),
                      ("care_proceedings", "application_date"), ("visits", "visit_date"),
                      ("allocations", "start_date"), ("workers", "start_date"),
                      ("audits", "audit_date"), ("sw_episodes", "start_date")):
        drop_after(name, col)
    for name in t:  # rows not yet known (a snapshot taken after as_of)
        if "known_from" in t[name].columns and name != "children":
            t[name] = t[name][~(t[name]["known_from"] > D)].reset_index(drop=True)
    blank_after("referrals", "closure_date", "closure_reason")
    blank_after("sw_episodes", "end_date", "end_reason")
    blank_after("assessments", "authorisation_date", "requires_support")
    blank_after("section47", "icpc_date", "icpc_resulted_in_plan")
    blank_after("cin_plans", "end_date")
    blank_after("cp_plans", "end_date")
    blank_after("lac_episodes", "dec", "rec", "reason_place_change")
    blank_after("missing_episodes", "end_date", "rhi_offered", "rhi_accepted")
    blank_after("pre_proceedings", "decision_date", "outcome", "court_application_date")
    blank_after("care_proceedings", "final_order_date", "final_order")
    blank_after("allocations", "end_date", "end_reason")
    blank_after("workers", "end_date")
    blank_after("children", "uasc_ceased_date")
    return CaseStore.from_frames(t)


_ID_COLUMN = {name: t.key[0] for name, t in TABLES.items() if len(t.key) == 1}


def make_store(**tables: list[dict]) -> CaseStore:
    """A hand-written store: ``make_store(cp_plans=[{"child_id": "A", "start_date": "2024-01-31"}])``.

    Dates may be ISO strings; single-column keys (``cp_plan_id``...) are filled in when absent,
    and a ``children`` row (born 2015-06-01) is added for every child that has none.
    """
    out = empty_tables()
    ids = _Ids()
    seen: set[str] = set()
    for name, rows in tables.items():
        t = TABLES[name]
        for row in rows:
            row = dict(row)
            key = _ID_COLUMN.get(name)
            if key and key != "child_id" and key not in row:
                row[key] = ids(key.upper()[:3])
            for col in t.columns:
                if col.kind == "date" and isinstance(row.get(col.name), str):
                    row[col.name] = pd.Timestamp(row[col.name])
            out[name].append(row)
            if "child_id" in row:
                seen.add(row["child_id"])
    have = {r["child_id"] for r in out["children"]}
    for cid in sorted(seen - have):
        out["children"].append({"child_id": cid, "sex": "F", "date_of_birth": pd.Timestamp("2015-06-01"),
                                "ethnicity": "WBRI", "disability": False, "uasc": False})
    return to_store(out)
