"""As-of snapshots: every indicator for every open child, exactly as it stood on a date.

How it is fast. :class:`Prepared` turns the case store, once, into per-table numpy arrays sorted
by (child, date) with a combined int64 key, plus a few per-row facts that depend only on earlier
rows of the same child (is this referral a re-referral? which period of care does this episode
belong to?). :class:`AsOf` then holds every (child, as-of day) pair to report: each open interval
is expanded over the as-of days it spans, so a monthly :func:`panel` computes all its months in
one vectorised pass, and a :func:`snapshot` is the case of one day. Each indicator is one small
function in :mod:`driftflag.indicators.definitions` made of ``searchsorted`` look-ups on those
arrays.

How it stays honest (no leakage). Only records dated *and known* on or before ``as_of`` are
used (``known_from``, design notes section 2: a row from an Annex A snapshot is known from its
extract date, not from the date it describes). An event
after ``as_of`` is invisible, and an end date after ``as_of`` is unknown, so the episode is still
open. Fields recorded only when something ends (closure reason, return home interview offered,
authorisation) are read only when that end is on or before ``as_of``. The per-row facts computed
in :class:`Prepared` look only at earlier rows, so rows dated after ``as_of`` cannot change them.
Where ``known_from`` is blank the event date stands in for it (a full history).

Rows known later than their event date ("late" rows) are handled by the look-ups of
:class:`Events`. The per-row facts (re-referral, previous plans, period of care, worker change)
assume that a child's earlier rows are known no later than its later rows, which holds for full
histories and for Annex A allocations (each valid from its extract date); the knowledge-date
leakage test checks the whole snapshot on a synthetic LA built from its returns.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

import numpy as np
import pandas as pd

from driftflag.casemodel import CaseStore
from driftflag.errors import SnapshotError
from driftflag.indicators._dates import (
    NONE,
    OPEN,
    WorkingDays,
    add_months,
    days_of,
    normalise_as_of,
    to_day,
    year_of,
)
from driftflag.indicators.registry import Registry, load_registry

logger = logging.getLogger(__name__)

#: Services, most intensive first: a child looked after and on a CP plan is counted as LAC.
SERVICES: tuple[str, ...] = ("LAC", "CP", "CIN", "CL")
#: Leading snapshot columns, before the indicators.
ID_COLUMNS: tuple[str, ...] = ("child_id", "as_of", "service", "team", "worker_id")

_SHIFT = np.int64(32)
_BIAS = np.int64(2**31)


def _key(child: np.ndarray, day: np.ndarray | int) -> np.ndarray:
    return (np.asarray(child, dtype=np.int64) << _SHIFT) + (np.asarray(day, dtype=np.int64) + _BIAS)


class Events:
    """One canonical table as arrays sorted by (child, start, row id).

    ``start`` is the event date (or the start of an interval) and ``end`` the end of an interval
    (:data:`~driftflag.indicators._dates.OPEN` when missing); other columns are in ``cols``.
    Rows without a child or a start date cannot be placed in time and are left out.
    """

    def __init__(self, child: np.ndarray, start: np.ndarray, end: np.ndarray | None = None,
                 tiebreak=None, known: np.ndarray | None = None, **cols: np.ndarray):
        """``tiebreak`` orders rows of one child on the same day (a callable returning one
        sortable value per row, e.g. the rank of the row's id); it is only evaluated when such
        ties exist. Without it, ties keep their order in the table.

        ``known`` is each row's knowledge date (``known_from`` as a day number, NONE for "its
        event date"): a row is visible on day D only when ``start <= D`` and ``known <= D``.
        Rows known later than they happened (*late* rows: snapshot sources, a block collected
        only from some year) are rare, so look-ups first search by start and then step over
        the late rows not yet known."""
        child = np.asarray(child, dtype=np.int64)
        start = np.asarray(start, dtype=np.int64)
        keep = (child >= 0) & (start != NONE)
        n = int(keep.sum())
        rows = np.flatnonzero(keep)
        key = _key(child[rows], start[rows])
        order = np.argsort(key, kind="stable")
        sk = key[order]
        if tiebreak is not None and n > 1 and (sk[1:] == sk[:-1]).any():
            tb = np.asarray(tiebreak() if callable(tiebreak) else tiebreak)[rows]
            order = np.lexsort((tb, key))
            sk = key[order]
        order = rows[order]
        self.child = child[order]
        self.start = start[order]
        self.end = (np.full(n, OPEN, dtype=np.int64) if end is None
                    else np.asarray(end, dtype=np.int64)[order])
        self.cols = {k: np.asarray(v)[order] for k, v in cols.items()}
        self.key = sk
        self.n = n
        kn = self.start if known is None else np.maximum(np.asarray(known, dtype=np.int64)[order], self.start)
        self.known = kn
        self.late = np.flatnonzero(kn > self.start)  # rows known after their start, in key order

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, name: str) -> np.ndarray:
        return self.cols[name]

    # --- look-ups (``kids`` is a sorted or unsorted array of child indices) ----------------
    @property
    def has_late(self) -> bool:
        return len(self.late) > 0

    def _step_back_unknown(self, pos: np.ndarray, kids: np.ndarray, known_by: np.ndarray) -> np.ndarray:
        """Move each row ``pos`` back over the child's rows not yet known on ``known_by``."""
        pos = pos.copy()
        todo = np.flatnonzero(pos >= 0)
        todo = todo[self.known[pos[todo]] > known_by[todo]]
        while len(todo):
            cand = pos[todo] - 1
            ok = cand >= 0
            ok[ok] &= self.child[cand[ok]] == kids[todo[ok]]
            pos[todo[~ok]] = -1
            todo, cand = todo[ok], cand[ok]
            pos[todo] = cand
            todo = todo[self.known[cand] > known_by[todo]]
        return pos

    def last_le(self, kids: np.ndarray, day: int | np.ndarray) -> np.ndarray:
        """Row of each child's latest event dated and known on or before ``day``, or -1."""
        pos = np.searchsorted(self.key, _key(kids, day), side="right") - 1
        ok = pos >= 0
        pos_c = np.where(ok, pos, 0)
        ok &= self.child[pos_c] == kids if self.n else np.zeros(len(kids), bool)
        out = np.where(ok, pos, -1)
        if self.has_late:
            kids = np.asarray(kids, dtype=np.int64)
            out = self._step_back_unknown(out, kids, np.broadcast_to(np.asarray(day, np.int64), kids.shape))
        return out

    def _unknown_in_window(self, kids: np.ndarray, after, upto, mask: np.ndarray | None) -> np.ndarray:
        """Late rows of each child dated in ``(after, upto]`` but not known by ``upto``."""
        kids = np.asarray(kids, dtype=np.int64)
        upto = np.broadcast_to(np.asarray(upto, dtype=np.int64), kids.shape)
        after = np.broadcast_to(np.asarray(after, dtype=np.int64), kids.shape)
        lk = self.key[self.late]
        lo = np.searchsorted(lk, _key(kids, after), side="right")
        hi = np.searchsorted(lk, _key(kids, upto), side="right")
        counts = np.maximum(hi - lo, 0)
        if not counts.any():
            return np.zeros(len(kids), dtype=np.int64)
        pair = np.repeat(np.arange(len(kids)), counts)
        rows = self.late[np.repeat(lo, counts) + (np.arange(len(pair)) - np.repeat(np.cumsum(counts) - counts,
                                                                                   counts))]
        hidden = self.known[rows] > upto[pair]
        if mask is not None:
            hidden &= mask[rows]
        return np.bincount(pair[hidden], minlength=len(kids)).astype(np.int64)

    def count_window(self, kids: np.ndarray, after: int | np.ndarray, upto: int | np.ndarray,
                     cum: np.ndarray | None = None) -> np.ndarray:
        """Events of each child dated in ``(after, upto]`` and known by ``upto``; only rows
        counted by ``cum`` (a ``cumsum`` of a row mask with a leading 0, see :meth:`cumulative`)
        when given."""
        hi = np.searchsorted(self.key, _key(kids, upto), side="right")
        lo = np.searchsorted(self.key, _key(kids, after), side="right")
        if cum is None:
            out = np.maximum(hi - lo, 0)
            mask = None
        else:
            out = np.maximum(cum[hi] - cum[lo], 0)
            mask = np.diff(cum).astype(bool)
        if self.has_late:
            out = out - self._unknown_in_window(kids, after, upto, mask)
        return out

    def count_before(self, rows_child: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Events of the child dated strictly before ``day`` (all of them, any date)."""
        hi = np.searchsorted(self.key, _key(rows_child, day), side="left")
        lo = np.searchsorted(self.key, _key(rows_child, -_BIAS), side="left")
        return hi - lo

    @staticmethod
    def cumulative(mask: np.ndarray) -> np.ndarray:
        return np.concatenate([[0], np.cumsum(mask, dtype=np.int64)])

    def open_mask(self, day: int) -> np.ndarray:
        """Rows open and known on ``day``: started on or before it and not ended by it."""
        return (self.start <= day) & (self.end > day) & (self.known <= day)

    @cached_property
    def _max_end_so_far(self) -> np.ndarray:
        """Per row: the latest end among this and the child's earlier rows (a running maximum
        that restarts at each child, via a per-child offset)."""
        if self.n == 0:
            return self.end.copy()
        offset = self.child << np.int64(42)
        return np.maximum.accumulate(self.end + offset) - offset

    def open_at(self, kids: np.ndarray, days: np.ndarray | int,
                known_by: np.ndarray | int | None = None) -> np.ndarray:
        """Row of each child's latest-starting interval open on its day, or -1.

        Open means ``start <= day < end``. The latest row starting on or before the day is
        usually the open one; when it has ended but an earlier, overlapping row has not (untidy
        data), the rows before it are searched. Only rows known by ``known_by`` (default: the
        day itself) are considered.
        """
        days = np.broadcast_to(np.asarray(days, dtype=np.int64), np.shape(kids))
        if self.has_late:
            return self._open_at_known(np.asarray(kids, dtype=np.int64), days,
                                       days if known_by is None else
                                       np.broadcast_to(np.asarray(known_by, dtype=np.int64), np.shape(kids)))
        r = self.last_le(kids, days)
        if self.n == 0:
            return r
        rc = np.maximum(r, 0)
        found = (r >= 0) & (self.end[rc] > days)
        todo = np.flatnonzero((r >= 0) & ~found & (self._max_end_so_far[rc] > days))
        out = np.where(found, r, -1)
        cand = r[todo] - 1
        while len(todo):
            # an open row exists at or before cand (the running maximum says so): step back
            hit = self.end[cand] > days[todo]
            out[todo[hit]] = cand[hit]
            todo, cand = todo[~hit], cand[~hit] - 1
        return out

    def _open_at_known(self, kids: np.ndarray, days: np.ndarray, known_by: np.ndarray) -> np.ndarray:
        """:meth:`open_at` when some rows are known late: step back over rows that have ended
        or are not yet known, stopping at the child's first row or when no earlier row of the
        child is still open (the running maximum of ends)."""
        pos = np.searchsorted(self.key, _key(kids, days), side="right") - 1
        out = np.full(len(kids), -1, dtype=np.int64)
        todo = np.arange(len(kids))
        cand = pos
        while len(todo):
            ok = cand >= 0
            ok[ok] &= self.child[cand[ok]] == kids[todo[ok]]
            ok[ok] &= self._max_end_so_far[cand[ok]] > days[todo[ok]]
            todo, cand = todo[ok], cand[ok]
            hit = (self.end[cand] > days[todo]) & (self.known[cand] <= known_by[todo])
            out[todo[hit]] = cand[hit]
            todo, cand = todo[~hit], cand[~hit] - 1
        return out

    def rows_upto(self, kids: np.ndarray, days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every (pair, row) with the row's child equal to ``kids[pair]`` and its start on or
        before ``days[pair]``: the pairs' own records, as two aligned index arrays."""
        lo = np.searchsorted(self.key, _key(kids, -_BIAS), side="left")
        hi = np.searchsorted(self.key, _key(kids, days), side="right")
        counts = np.maximum(hi - lo, 0)
        pair = np.repeat(np.arange(len(kids)), counts)
        first = np.repeat(np.cumsum(counts) - counts, counts)
        rows = lo[pair] + (np.arange(len(pair)) - first)
        if self.has_late:
            seen = self.known[rows] <= np.asarray(days, dtype=np.int64)[pair]
            pair, rows = pair[seen], rows[seen]
        return pair, rows

    def prev_same_child(self, k: int = 1) -> np.ndarray:
        """Row ``k`` places earlier for the same child, or -1."""
        r = np.arange(self.n) - k
        ok = r >= 0
        ok[ok] &= self.child[r[ok]] == self.child[ok]
        return np.where(ok, r, -1)


class Coded(NamedTuple):
    """A text column as integer codes (-1 for missing) into ``names``: cheap to index and to turn
    into a pandas ``str`` array at the end."""

    codes: np.ndarray
    names: pd.Index


def coded(s: pd.Series) -> Coded:
    """A string column as :class:`Coded`."""
    codes, uniques = pd.factorize(s.astype("str"))
    return Coded(codes.astype(np.int64), pd.Index(np.asarray(uniques, dtype=object), dtype="str"))


def take(values: np.ndarray, rows: np.ndarray, blank) -> np.ndarray:
    """``values[rows]``, with ``blank`` where ``rows`` is -1 (safe on empty tables)."""
    values = np.asarray(values)
    dtype = object if blank is None else np.result_type(values.dtype, np.asarray(blank).dtype)
    out = np.full(len(rows), blank, dtype=dtype)
    ok = rows >= 0
    if ok.any():
        out[ok] = values[rows[ok]]
    return out


def _is(s: pd.Series, values) -> np.ndarray:
    """Whether each value of a text column is one of ``values`` (missing: False)."""
    return s.astype("str").isin(list(values)).to_numpy(dtype=bool)


def _rank(s: pd.Series) -> np.ndarray:
    """Rank of each value in sorted order (equal values share a rank): an integer tiebreak."""
    return pd.factorize(s.astype("str"), sort=True)[0].astype(np.int64)


def _bools(s: pd.Series) -> np.ndarray:
    """A nullable boolean column as float (1.0, 0.0, NaN)."""
    return s.astype("Float64").to_numpy(dtype=float, na_value=np.nan)


@dataclass
class Prepared:
    """The case store as sorted event arrays, built once and reused for every as-of date."""

    registry: Registry
    child_ids: np.ndarray
    tables: dict[str, Events]
    children: dict[str, np.ndarray]
    names: dict[str, pd.Index]
    team_names: np.ndarray
    worker_names: pd.Index
    workdays: WorkingDays
    last_day: int
    cache: dict = field(default_factory=dict)

    @cached_property
    def child_index(self) -> pd.Index:
        return pd.Index(self.child_ids, dtype="str")

    @cached_property
    def team_index(self) -> pd.Index:
        return pd.Index(self.team_names, dtype="str")

    @classmethod
    def from_store(cls, store: CaseStore, registry: Registry | None = None,
                   as_of_days: Iterable[int] = ()) -> Prepared:
        from driftflag.casemodel.codes import ETHNIC_MAJOR_GROUPS, ethnic_major_group
        from driftflag.indicators.definitions import (
            EARLY_HELP_SOURCE,
            PERMANENCE_PLANS,
            RNE_NEW_PLACEMENT,
            RNE_PLACEMENT_CHANGE,
            STEP_DOWN_REASON,
            permanence_codes,
        )

        registry = registry or load_registry()
        t = store.tables
        # one sorted factorisation of every child_id column gives the child index of each row
        with_ids = [name for name in t if "child_id" in t[name].columns]
        all_ids = pd.concat([t[name]["child_id"].astype("str") for name in with_ids],
                            ignore_index=True)
        all_codes, uniques = pd.factorize(all_ids, sort=True)
        child_ids = np.asarray(uniques.astype(object))
        offsets = np.cumsum([0] + [len(t[name]) for name in with_ids])
        codes_of = {name: all_codes[offsets[i]:offsets[i + 1]].astype(np.int64)
                    for i, name in enumerate(with_ids)}

        def code(name: str, rows: np.ndarray | None = None) -> np.ndarray:
            c = codes_of[name]
            return c if rows is None else c[rows]

        def d(s: pd.Series, missing=NONE) -> np.ndarray:
            return days_of(s, missing)

        def known(df: pd.DataFrame) -> np.ndarray:
            """``known_from`` as day numbers (NONE: known from the event date, also for a
            store written before schema 1.1 without the column)."""
            if "known_from" not in df.columns:
                return np.full(len(df), NONE, dtype=np.int64)
            return d(df["known_from"])

        teams = pd.concat([t["allocations"]["team"].astype("str"), t["workers"]["team"].astype("str")],
                          ignore_index=True)
        team_all, team_uniques = pd.factorize(teams, sort=True)
        team_names = np.asarray(team_uniques, dtype=object)
        n_alloc = len(t["allocations"])
        team_of = {"allocations": team_all[:n_alloc].astype(np.int64),
                   "workers": team_all[n_alloc:].astype(np.int64)}

        r = t["referrals"]
        a = t["assessments"]
        s47 = t["section47"]
        cinp = t["cin_plans"]
        cpp = t["cp_plans"]
        lac = t["lac_episodes"]
        lr = t["lac_reviews"]
        ms = t["missing_episodes"]
        pp = t["pre_proceedings"]
        pr = t["care_proceedings"]
        v = t["visits"]
        al = t["allocations"]
        w = t["workers"]
        ch = t["children"]

        tables: dict[str, Events] = {}
        tables["referrals"] = Events(
            code("referrals"), d(r["referral_date"]), d(r["closure_date"], OPEN),
            tiebreak=lambda: _rank(r["referral_id"]), known=known(r),
            early_help=_is(r["referral_source"], {EARLY_HELP_SOURCE}))
        # step-downs are dated by the closure, so they get their own order
        rc9 = _is(r["closure_reason"], {STEP_DOWN_REASON}) & r["closure_date"].notna().to_numpy()
        tables["step_downs"] = Events(code("referrals", rc9), d(r["closure_date"][rc9]))
        tables["assessments"] = Events(
            code("assessments"), d(a["start_date"]), d(a["authorisation_date"], OPEN),
            tiebreak=lambda: _rank(a["assessment_id"]), known=known(a))
        tables["section47"] = Events(
            code("section47"), d(s47["start_date"]), d(s47["icpc_date"], OPEN),
            tiebreak=lambda: _rank(s47["s47_id"]), known=known(s47),
            not_required=_bools(s47["icpc_not_required"]))
        tables["cin_plans"] = Events(
            code("cin_plans"), d(cinp["start_date"]), d(cinp["end_date"], OPEN),
            tiebreak=lambda: _rank(cinp["cin_plan_id"]), known=known(cinp))
        plan_ids = pd.concat([cpp["cp_plan_id"].astype("str"), t["cp_reviews"]["cp_plan_id"].astype("str")],
                             ignore_index=True)
        plan_codes, plan_uniques = pd.factorize(plan_ids)
        category = coded(cpp["initial_category"])
        tables["cp_plans"] = Events(
            code("cp_plans"), d(cpp["start_date"]), d(cpp["end_date"], OPEN),
            tiebreak=lambda: _rank(cpp["cp_plan_id"]), known=known(cpp),
            plan=plan_codes[:len(cpp)].astype(np.int64), category=category.codes,
            previous_recorded=cpp["number_of_previous_cpp"].astype("Float64").to_numpy(
                dtype=float, na_value=np.nan))
        plans = tables["cp_plans"]
        rv = t["cp_reviews"]
        # review conferences are keyed by the plan's row number rather than by child (a plan id
        # used twice maps to its last row)
        row_of_plan = np.full(len(plan_uniques) + 1, -1, dtype=np.int64)
        row_of_plan[plans["plan"]] = np.arange(plans.n)
        rv_plan = row_of_plan[plan_codes[len(cpp):]]  # code -1 picks the trailing -1
        tables["cp_reviews"] = Events(rv_plan, d(rv["review_date"]), known=known(rv))
        legal = coded(lac["ls"])
        plans_by_age = tuple(permanence_codes(lac["place"], lac["ls"], aged_16_plus=b) for b in (False, True))
        tables["lac_episodes"] = Events(
            code("lac_episodes"), d(lac["decom"]), d(lac["dec"], OPEN),
            tiebreak=lambda: _rank(lac["episode_id"]), known=known(lac),
            rne_s=_is(lac["rne"], {"S"}), rne_move=_is(lac["rne"], RNE_PLACEMENT_CHANGE),
            rne_new=_is(lac["rne"], RNE_NEW_PLACEMENT), ls=legal.codes,
            plan_under_16=plans_by_age[0], plan_16_plus=plans_by_age[1],
            pl_distance=lac["pl_distance"].to_numpy(dtype=float, na_value=np.nan),
            placement_in_la=_bools(lac["placement_in_la"]))
        tables["lac_reviews"] = Events(code("lac_reviews"), d(lr["review_date"]), known=known(lr))
        names = {"cp_category": category.names, "legal_status": legal.names,
                 "permanence_plan": pd.Index(PERMANENCE_PLANS, dtype="str")}
        tables["missing"] = Events(
            code("missing_episodes"), d(ms["start_date"]), d(ms["end_date"], OPEN),
            tiebreak=lambda: _rank(ms["missing_id"]), known=known(ms),
            rhi_offered=_bools(ms["rhi_offered"]), rhi_accepted=_bools(ms["rhi_accepted"]),
            rhi_known=(d(ms["rhi_known_from"]) if "rhi_known_from" in ms.columns
                       else np.full(len(ms), NONE, dtype=np.int64)))
        tables["pre_proceedings"] = Events(
            code("pre_proceedings"), d(pp["start_date"]), d(pp["decision_date"], OPEN),
            tiebreak=lambda: _rank(pp["pp_id"]), known=known(pp))
        tables["care_proceedings"] = Events(
            code("care_proceedings"), d(pr["application_date"]), d(pr["final_order_date"], OPEN),
            tiebreak=lambda: _rank(pr["proceedings_id"]), known=known(pr))
        tables["visits"] = Events(code("visits"), d(v["visit_date"]), known=known(v))
        worker_codes, worker_names = pd.factorize(al["worker_id"].astype("str"))
        tables["allocations"] = Events(
            code("allocations"), d(al["start_date"]), d(al["end_date"], OPEN),
            tiebreak=lambda: _rank(al["allocation_id"]), known=known(al),
            team=team_of["allocations"], worker=worker_codes)
        # 903 social worker episodes: the full, event-dated history of who held a looked-after
        # child's case (a store written before schema 1.2 has none)
        if "sw_episodes" in t:
            sw = t["sw_episodes"]
            tables["sw_episodes"] = Events(
                code("sw_episodes"), d(sw["start_date"]), d(sw["end_date"], OPEN),
                tiebreak=lambda: _rank(sw["sw_episode_id"]), known=known(sw),
                worker=pd.factorize(sw["worker_id"].astype("str"))[0])
        else:
            tables["sw_episodes"] = Events(np.zeros(0, np.int64), np.zeros(0, np.int64), worker=np.zeros(0, np.int64))
        # care leavers (903 OC3): each birthday's record describes the year after it
        cl = t.get("care_leavers")
        if cl is not None and len(cl):
            bday = d(cl["birthday_date"])
            touch = cl["in_touch"].astype("str")
            tables["care_leavers"] = Events(
                code("care_leavers"), bday, add_months(bday, 12), known=known(cl),
                not_in_touch=np.where(touch.isin(["NO", "REFU"]), 1.0,
                                      np.where(touch == "YES", 0.0, np.nan)),
                unsuitable=1.0 - _bools(cl["accommodation_suitable"]))
        else:
            empty = np.zeros(0, np.int64)
            tables["care_leavers"] = Events(empty, empty, empty, not_in_touch=np.zeros(0), unsuitable=np.zeros(0))
        # workers are not per child: child 0 for all, so the "open" masks still apply
        tables["workers"] = Events(np.zeros(len(w), dtype=np.int64), d(w["start_date"]),
                                   d(w["end_date"], OPEN), team=team_of["workers"],
                                   known=known(w))

        # children, aligned with child_ids (children absent from the table get blanks)
        crow = pd.Series(np.arange(len(ch)), index=pd.Index(ch["child_id"].astype(object)))
        crow = crow[~crow.index.duplicated(keep="first")]
        pos = crow.reindex(child_ids).to_numpy()
        have = ~np.isnan(pos)
        pos = np.where(have, pos, 0).astype(np.int64)

        def aligned(values: np.ndarray, blank):
            out = np.asarray(values)[pos] if len(ch) else np.full(len(child_ids), blank, dtype=object)
            return np.where(have, out, blank)

        dob = d(ch["date_of_birth"])
        sex, eth = coded(ch["sex"]), coded(ch["ethnicity"])
        groups = np.array([ethnic_major_group(u) for u in eth.names] + ["Not known"], dtype=object)
        group_names = pd.Index(ETHNIC_MAJOR_GROUPS, dtype="str")
        group_codes = group_names.get_indexer(groups)[eth.codes]  # code -1 (blank): Not known
        children = {
            "dob": aligned(dob, NONE).astype(np.int64),
            "sex": aligned(sex.codes, -1).astype(np.int64),
            "ethnicity": aligned(eth.codes, -1).astype(np.int64),
            "ethnic_group": aligned(group_codes, group_names.get_loc("Not known")).astype(np.int64),
            "disability": aligned(_bools(ch["disability"]), np.nan).astype(float),
            "uasc": aligned(_bools(ch["uasc"]), np.nan).astype(float),
            "uasc_ceased": aligned(d(ch["uasc_ceased_date"], OPEN), OPEN).astype(np.int64),
        }
        names.update({"sex": sex.names, "ethnicity": eth.names, "ethnic_group": group_names})

        # working-day calendar over every year an event or as-of date falls in
        starts = [e.start for e in tables.values() if e.n]
        days = np.concatenate(starts + [np.asarray(list(as_of_days), dtype=np.int64)]) \
            if starts or as_of_days else np.array([0])
        lo = year_of(int(days.min())) if len(days) else 1970
        hi = year_of(int(days.max())) if len(days) else 1970
        # decade bounds, so that stores and panels over similar years share one cached calendar
        workdays = WorkingDays(max(1900, (lo - 1) // 10 * 10), min(2200, (hi + 1) // 10 * 10 + 9))
        return cls(registry=registry, child_ids=child_ids, tables=tables, children=children, names=names,
                   team_names=team_names, worker_names=pd.Index(worker_names, dtype="str"),
                   workdays=workdays, last_day=int(days.max()))

    @cached_property
    def visit_coverage(self) -> tuple[int | None, int | None]:
        """Store-wide facts about the visits table that :attr:`AsOf.visits_known` reads: the
        first day any visit is known (None: no visits) and the first day a visit known after its
        date (a snapshot source) is known (None: a full history only).

        Computed across every child of the store; an engine that computes a store's snapshot in
        parts (:mod:`driftflag.spark`) sets it to the whole store's values so that each part
        gives the rows the whole store would."""
        v = self.tables["visits"]
        if v.n == 0:
            return None, None
        return int(v.known.min()), (int(v.known[v.late].min()) if v.has_late else None)

    def ensure_calendar(self, day: int) -> None:
        y = year_of(day)
        if y + 1 > self.workdays.last_year or y - 1 < self.workdays.first_year:
            self.workdays = WorkingDays(min(self.workdays.first_year, y - 1),
                                        max(self.workdays.last_year, y + 1))

    # --- per-row facts that look only at earlier rows of the same child ------------------
    def cached(self, name: str, fn):
        if name not in self.cache:
            self.cache[name] = fn()
        return self.cache[name]

    def frame(self, as_of_dates) -> pd.DataFrame:
        """Snapshots on each of ``as_of_dates``, stacked (sorted by as_of, then child_id)."""
        days = np.unique(np.asarray([to_day(normalise_as_of(d)) for d in as_of_dates], dtype=np.int64))
        for d in (days.min(initial=0), days.max(initial=0)):
            self.ensure_calendar(int(d))
        return AsOf(self, days).frame()

    def snapshot(self, as_of) -> pd.DataFrame:
        return self.frame([as_of])


class AsOf:
    """The state of the case store on a set of as-of days, for the children open on each.

    Each row of the snapshot is a pair (child, as-of day): ``kids[i]`` is the child index and
    ``day[i]`` the as-of day number, sorted by day then child (so by ``as_of`` then
    ``child_id``). A single snapshot is the case of one day; a panel computes every month in one
    vectorised pass. The cached properties are the look-ups several indicators share (the open
    plan, the current looked-after episode, the last visit...); indicator functions read them
    and return one value per pair.
    """

    def __init__(self, prep: Prepared, days: np.ndarray):
        self.prep = prep
        self.t = prep.tables
        self.registry = prep.registry
        self.days = np.asarray(days, dtype=np.int64)
        # pairs are computed child-major (child, then day): look-ups then search the sorted
        # tables with ascending keys, which is much faster; frame() reorders by day at the end
        n_days = np.int64(max(len(self.days), 1))
        keys = [_open_pairs(self.t[name], self.days, n_days)
                for name in ("referrals", "cin_plans", "cp_plans", "lac_episodes")]
        open_pairs = np.unique(np.concatenate(keys))
        # care leavers with a 903 OC3 record in the last 12 months (the care leaver service)
        pairs = np.union1d(open_pairs, _open_pairs(self.t["care_leavers"], self.days, n_days))
        self._care_leaver_only = ~np.isin(pairs, open_pairs, assume_unique=True)
        self.kids = pairs // n_days
        self.day_index = pairs % n_days
        self.day = self.days[self.day_index] if len(self.days) else np.array([], np.int64)
        self.n = len(self.kids)
        self._months_back: dict[int, np.ndarray] = {}

    # --- dates -------------------------------------------------------------------------------
    def months_back(self, n: float) -> np.ndarray:
        """Each pair's as-of day ``n`` calendar months earlier."""
        n = int(n)
        if n not in self._months_back:
            back = add_months(self.days, -n) if len(self.days) else self.days
            self._months_back[n] = back[self.day_index]
        return self._months_back[n]

    def workdays_elapsed(self, start: np.ndarray) -> np.ndarray:
        return self.prep.workdays.elapsed(start, self.day)

    def threshold(self, indicator_id: str, name: str) -> float:
        return self.registry[indicator_id].threshold(name)

    # --- shared look-ups ----------------------------------------------------------------------
    @cached_property
    def cp(self) -> np.ndarray:
        """Row of the open child protection plan (latest-starting), or -1."""
        return self.t["cp_plans"].open_at(self.kids, self.day)

    @cached_property
    def on_cp(self) -> np.ndarray:
        return self.cp >= 0

    @cached_property
    def cp_start(self) -> np.ndarray:
        return take(self.t["cp_plans"].start, self.cp, NONE)

    @cached_property
    def lac(self) -> np.ndarray:
        """Row of the current looked-after episode (latest-starting open episode), or -1."""
        return self.t["lac_episodes"].open_at(self.kids, self.day)

    @cached_property
    def on_lac(self) -> np.ndarray:
        return self.lac >= 0

    @cached_property
    def period_start(self) -> np.ndarray:
        """Start of the current period of care, or NONE."""
        ps = self.prep.cached("period_start", lambda: _period_start(self.t["lac_episodes"]))
        return take(ps, self.lac, NONE)

    @cached_property
    def service_code(self) -> np.ndarray:
        """0 LAC, 1 CP, 2 CIN (the most intensive open service), 3 CL (a care leaver with no
        other open service)."""
        return np.select([self.on_lac, self.on_cp, self._care_leaver_only], [0, 1, 3], 2)

    @cached_property
    def service(self) -> np.ndarray:
        return np.array(["LAC", "CP", "CIN", "CL"], dtype=object)[self.service_code]

    def care_leaver_record(self, months: int) -> np.ndarray:
        """Row of the care leaver's latest 903 OC3 record known by as_of and made (at a
        birthday) in the last ``months`` months, or -1."""
        cl = self.t["care_leavers"]
        row = cl.last_le(self.kids, self.day)
        recent = take(cl.start, row, NONE) > self.months_back(months)
        return np.where(recent & (row >= 0), row, -1)

    @cached_property
    def last_visit(self) -> np.ndarray:
        """Day of the last statutory visit on or before as_of, or NONE."""
        v = self.t["visits"]
        row = v.last_le(self.kids, self.day)
        return take(v.start, row, NONE)

    @cached_property
    def visits_known(self) -> np.ndarray:
        """Whether the child's visits are known on as_of, decided from the rows known by then:

        - no visit of any child known yet: the source does not cover as_of (not available);
        - some visit known after its date (a snapshot source: Annex A's latest visit): known
          only for a child with a visit known by as_of;
        - otherwise a full history: known, and no visit means none took place.
        """
        first_known, snapshots_by = self.prep.visit_coverage
        if first_known is None:
            return np.zeros(self.n, dtype=bool)
        covered = self.day >= first_known
        if snapshots_by is None:
            return covered
        return covered & ((self.last_visit != NONE) | (self.day < snapshots_by))

    @cached_property
    def allocations_known(self) -> np.ndarray:
        """Whether any allocation of the child is known by as_of."""
        return self.t["allocations"].last_le(self.kids, self.day) >= 0

    @cached_property
    def allocation(self) -> np.ndarray:
        return self.t["allocations"].open_at(self.kids, self.day)

    @cached_property
    def team_code(self) -> np.ndarray:
        return take(self.t["allocations"]["team"], self.allocation, np.int64(-1))

    @cached_property
    def sw_history(self) -> np.ndarray:
        """Looked after on as_of with a 903 social worker episode known by then: the child's
        worker changes come from that full, event-dated history instead of the allocations
        (Annex A's snapshots of the allocated worker)."""
        sw = self.t["sw_episodes"]
        if sw.n == 0:
            return np.zeros(self.n, dtype=bool)
        return self.on_lac & (sw.last_le(self.kids, self.day) >= 0)

    def worker_changes(self, months: int, i: np.ndarray | None = None) -> np.ndarray:
        """Changes of worker in the last ``months`` months (for pairs ``i``, or all): from the
        903 social worker episodes for a looked-after child who has them (:attr:`sw_history`),
        otherwise from the allocations."""
        al = self.t["allocations"]
        cum = self.prep.cached("worker_change_cum", lambda: Events.cumulative(_worker_change(al)))
        i = slice(None) if i is None else i
        out = al.count_window(self.kids[i], self.months_back(months)[i], self.day[i], cum)
        sw = self.t["sw_episodes"]
        if sw.n:
            sw_cum = self.prep.cached("sw_change_cum", lambda: Events.cumulative(_worker_change(sw)))
            from_sw = sw.count_window(self.kids[i], self.months_back(months)[i], self.day[i], sw_cum)
            out = np.where(self.sw_history[i], from_sw, out)
        return out

    def missing_starts(self, days: int, i: np.ndarray | None = None) -> np.ndarray:
        """Missing episodes starting in the last ``days`` days (for pairs ``i``, or all)."""
        i = slice(None) if i is None else i
        day = self.day[i]
        return self.t["missing"].count_window(self.kids[i], day - int(days), day)

    @cached_property
    def cp_review_overdue(self) -> np.ndarray:
        """On a plan and the next review conference is past due (bool; False off a plan)."""
        ind = self.registry["cp_review_overdue"]
        rv = self.t["cp_reviews"]
        i = np.flatnonzero(self.on_cp)
        day = self.day[i]
        last = rv.last_le(self.cp[i], day)  # reviews are keyed by plan row
        due = np.where(last >= 0,
                       add_months(take(rv.start, last, NONE), int(ind.threshold("review_interval_months"))),
                       add_months(self.cp_start[i], int(ind.threshold("first_review_months"))))
        out = np.zeros(self.n, dtype=bool)
        out[i] = day > due
        return out

    # --- the frame ----------------------------------------------------------------------------
    def frame(self) -> pd.DataFrame:
        from driftflag.indicators.definitions import DEFINITIONS

        a = self.allocation
        al = self.t["allocations"]
        worker = take(al["worker"], a, np.int64(-1))
        # rows were computed child-major; the snapshot is sorted by as_of, then child_id
        order = np.lexsort((self.kids, self.day_index)) if self.n else np.array([], np.int64)
        cols: dict[str, object] = {
            "child_id": _text(self.kids[order], self.prep.child_index),
            "as_of": self.day[order].astype("datetime64[D]").astype("datetime64[ns]"),
            "service": _text(np.asarray(self.service_code)[order], _SERVICE_NAMES),
            "team": _text(self.team_code[order], self.prep.team_index),
            "worker_id": _text(worker[order], self.prep.worker_names),
        }
        audit: dict[str, object] = {}
        for ind in self.registry:
            fn = DEFINITIONS.get(ind.id)
            if fn is None:
                raise SnapshotError(f"indicator {ind.id!r} is in the registry but has no definition")
            values = fn(self, ind.threshold_values) if self.n else np.array([], dtype=float)
            if len(values.codes if isinstance(values, Coded) else values) != self.n:
                raise SnapshotError(f"indicator {ind.id!r} returned {len(values)} values for "
                                    f"{self.n} children")
            values = Coded(values.codes[order], values.names) if isinstance(values, Coded) \
                else np.asarray(values)[order]
            (audit if ind.protected else cols)[ind.column] = _typed(values, ind.unit, self.n)
        cols.update(audit)
        return pd.DataFrame(cols)


_SERVICE_NAMES = pd.Index(["LAC", "CP", "CIN", "CL"], dtype="str")


def _text(codes: np.ndarray, names: pd.Index):
    """Strings ``names[codes]`` (missing where the code is -1) as a pandas ``str`` array."""
    codes = np.asarray(codes, dtype=np.int64)
    if len(names) == 0:
        return pd.array([None] * len(codes), dtype="str")
    return names.take(codes, allow_fill=True, fill_value=np.nan).array


def _typed(values, unit: str, n: int):
    if isinstance(values, Coded):
        return _text(values.codes, values.names)
    values = np.asarray(values)
    if len(values) != n:
        raise SnapshotError(f"an indicator returned {len(values)} values for {n} children")
    if unit == "flag":
        f = values.astype(float)
        nan = np.isnan(f)
        return pd.arrays.BooleanArray(np.where(nan, False, f != 0), nan)
    if unit == "category":
        codes, uniques = pd.factorize(values.astype(object))
        return _text(codes, pd.Index(np.asarray(uniques, dtype=object).astype(str), dtype="str"))
    return values.astype(float)


def _open_pairs(ev: Events, days: np.ndarray, n_days: np.int64) -> np.ndarray:
    """Keys ``child * n_days + day_index`` of every (child, as-of day) with a row of ``ev``
    open and known that day (``start <= day < end`` and ``known <= day``): each interval is
    expanded over the days it spans."""
    if ev.n == 0 or len(days) == 0:
        return np.array([], dtype=np.int64)
    k_lo = np.searchsorted(days, ev.known, side="left")   # first day on or after start and known
    k_hi = np.searchsorted(days, ev.end, side="left")     # first day on or after the end
    counts = np.maximum(k_hi - k_lo, 0)
    row = np.repeat(np.arange(ev.n), counts)
    k = np.repeat(k_lo, counts) + (np.arange(len(row)) - np.repeat(np.cumsum(counts) - counts, counts))
    return ev.child[row] * n_days + k.astype(np.int64)


def _period_start(ep: Events) -> np.ndarray:
    """Start of the period of care each episode belongs to: a new period starts at RNE S, at a
    child's first episode, or when the episode starts after the previous one ended (a gap)."""
    prev = ep.prev_same_child(1)
    new = (prev < 0) | ep["rne_s"]
    has_prev = prev >= 0
    gap = np.zeros(ep.n, dtype=bool)
    gap[has_prev] = ep.start[has_prev] > ep.end[prev[has_prev]]
    new |= gap
    first = np.where(new, np.arange(ep.n), 0)
    first = np.maximum.accumulate(first) if ep.n else first
    return ep.start[first]


def _worker_change(al: Events) -> np.ndarray:
    """Allocations that follow an earlier allocation of the same child to a different worker."""
    prev = al.prev_same_child(1)
    out = np.zeros(al.n, dtype=bool)
    has = prev >= 0
    out[has] = al["worker"][has] != al["worker"][prev[has]]
    return out


#: Date columns that record something that happened (not targets, births or planned dates).
_EVENT_DATES: dict[str, tuple[str, ...]] = {
    "referrals": ("referral_date", "closure_date"),
    "assessments": ("start_date", "authorisation_date"),
    "section47": ("start_date", "icpc_date"),
    "cin_plans": ("start_date", "end_date"),
    "cp_plans": ("start_date", "end_date"),
    "cp_reviews": ("review_date",),
    "lac_episodes": ("decom", "dec"),
    "lac_reviews": ("review_date",),
    "missing_episodes": ("start_date", "end_date"),
    "pre_proceedings": ("start_date", "decision_date"),
    "care_proceedings": ("application_date", "final_order_date"),
    "visits": ("visit_date",),
    "allocations": ("start_date", "end_date"),
}


def last_record_day(store: CaseStore) -> int | None:
    """Day number of the latest event date in the store (None for an empty store)."""
    latest = None
    for name, cols in _EVENT_DATES.items():
        for col in cols:
            m = store[name][col].max()
            if pd.notna(m):
                d = to_day(m)
                latest = d if latest is None else max(latest, d)
    return latest


def _check_store(store: CaseStore) -> None:
    if not isinstance(store, CaseStore):
        raise SnapshotError(f"expected a CaseStore, got {type(store).__name__}")


def snapshot(store: CaseStore, as_of, *, registry: Registry | None = None) -> pd.DataFrame:
    """One row per child with a CIN, CP or looked-after episode open on ``as_of``.

    An episode is *open* on ``as_of`` when it started on or before ``as_of`` and has not ended
    by then: ``start <= as_of < end`` (a missing end, or an end after ``as_of``, means still
    open). **An episode ending on the as-of date is closed that day**, and one starting that day
    is open. Only records dated and known (``known_from``, blank meaning the event date) on or
    before ``as_of`` are used. A feature whose source has no row known by ``as_of`` for the child
    is missing ("not available"), never a value.

    Columns: ``child_id``, ``as_of``, ``service`` (the most intensive open service: ``LAC`` >
    ``CP`` > ``CIN``, where CIN is an open CIN episode with or without a plan), ``team`` and
    ``worker_id`` (the current allocation), one column per registry indicator (numeric, boolean
    or text; blank where it does not apply, e.g. ``cp_plan_days`` for a child not on a plan),
    then the protected characteristics as ``audit_*`` columns, kept apart from model features
    (see :meth:`Registry.model_features`). Rows are sorted by ``child_id``.
    """
    _check_store(store)
    ts = normalise_as_of(as_of)
    prep = Prepared.from_store(store, registry, as_of_days=[to_day(ts)])
    return prep.snapshot(ts)


def as_of_dates(start, end, freq: str = "MS") -> list[pd.Timestamp]:
    """The as-of dates of a panel: ``pandas.date_range(start, end, freq=freq)``."""
    s, e = normalise_as_of(start), normalise_as_of(end)
    if e < s:
        raise SnapshotError(f"panel end {e.date()} is before its start {s.date()}")
    try:
        return list(pd.date_range(s, e, freq=freq))
    except ValueError as err:
        raise SnapshotError(f"freq {freq!r} is not a pandas frequency ({err})") from err


def panel(store: CaseStore, start, end, freq: str = "MS", *,
          registry: Registry | None = None) -> pd.DataFrame:
    """Snapshots on every date of ``pandas.date_range(start, end, freq=freq)``, stacked.

    With the default ``freq="MS"`` the as-of dates are the first day of each month from
    ``start`` to ``end`` inclusive. Each month equals ``snapshot(store, that_date)``; the store
    is prepared once. Rows are sorted by ``as_of`` then ``child_id``.

    The coverage table (feature x month: share of open cases where each model feature is
    available, :func:`driftflag.indicators.coverage.feature_coverage`) is returned with it in
    ``frame.attrs["coverage"]`` (as ``{feature: {month: share}}``; ``coverage_of(frame)`` gives
    it as a DataFrame).
    """
    _check_store(store)
    dates = as_of_dates(start, end, freq)
    prep = Prepared.from_store(store, registry, as_of_days=[to_day(d) for d in dates])
    if not dates:
        return prep.snapshot(normalise_as_of(start)).iloc[0:0]
    out = prep.frame(dates)
    from driftflag._memory import release_free_memory
    from driftflag.indicators.coverage import feature_coverage

    # plain nested dicts: pandas compares attrs on concat, which a DataFrame value would break
    out.attrs["coverage"] = feature_coverage(out, prep.registry.model_features()).to_dict(orient="index")
    del prep
    release_free_memory()  # the months' temporaries (see driftflag._memory)
    logger.info("panel %s to %s: %d snapshots, %d rows", dates[0].date(), dates[-1].date(),
                len(dates), len(out))
    return out


def write_panel(frame: pd.DataFrame, path, *, registry: Registry) -> None:
    """Write a snapshot or panel to Parquet atomically, with its provenance in the file metadata:
    the registry version, the as-of dates, and which columns are model features and which are
    audit (protected) columns."""
    import io
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    from driftflag._atomic import write_bytes_atomic

    table = pa.Table.from_pandas(frame, preserve_index=False)
    dates = sorted({str(d.date()) for d in pd.to_datetime(frame["as_of"]).unique()}) if len(frame) else []
    meta = dict(table.schema.metadata or {})
    meta.update({
        b"driftflag.registry": registry.label.encode(),
        b"driftflag.as_of": json.dumps(dates).encode(),
        b"driftflag.model_features": json.dumps(registry.model_features()).encode(),
        b"driftflag.audit_columns": json.dumps(registry.audit_columns()).encode(),
    })
    buf = io.BytesIO()
    pq.write_table(table.replace_schema_metadata(meta), buf, compression="zstd")
    write_bytes_atomic(path, buf.getvalue())


__all__ = ["AsOf", "Coded", "Events", "Prepared", "coded", "take", "last_record_day", "write_panel", "SERVICES", "ID_COLUMNS", "as_of_dates", "panel", "snapshot"]
