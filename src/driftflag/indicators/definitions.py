"""One small vectorised function per indicator, named as in the registry.

Each function takes the state of the case store on the as-of date (:class:`AsOf`: the open
children in ``x.kids`` and shared look-ups such as the open plan ``x.cp``) and the indicator's
thresholds (``th``, from the registry, possibly overridden by the council), and returns one value
per child: a float (``NaN`` where the indicator does not apply), a 1.0/0.0/NaN flag, or an object
array of codes for categories. The meaning of each indicator, in practice language, is its
``definition`` in ``driftflag/data/indicators.yaml``; the comments here say how it is computed.

Windows: "in the last N days" is ``(as_of - N, as_of]`` and "in the last N months" is
``(as_of - N calendar months, as_of]`` (see :mod:`driftflag.indicators._dates`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from driftflag.casemodel.codes import RNE_PLACEMENT_CHANGE
from driftflag.casemodel.derived import PERMANENCE_PLANS as _PERMANENCE_PLANS
from driftflag.casemodel.derived import permanence_plan_codes
from driftflag.indicators._dates import NONE, OPEN, add_months
from driftflag.indicators._snapshot import AsOf, Coded, Events, take

Thresholds = Mapping[str, float]
Definition = Callable[[AsOf, Thresholds], np.ndarray]

#: Indicator id -> function. Filled by :func:`indicator`; the registry YAML must match it.
DEFINITIONS: dict[str, Definition] = {}

#: Families of indicators, as in the issue (each registry indicator names one).
FEATURE_GROUPS: dict[str, str] = {
    "child_protection": "Child protection",
    "front_door": "Front door",
    "missing": "Missing",
    "legal": "Legal",
    "looked_after": "Looked after",
    "context": "Context and workload",
}

#: Reasons for a new 903 episode that start a new placement (S = new period of care).
RNE_NEW_PLACEMENT: frozenset[str] = frozenset({"S"}) | RNE_PLACEMENT_CHANGE
#: CIN census referral source for early help (a step-up).
EARLY_HELP_SOURCE = "5D"
#: CIN census reason for closure "case closed after assessment, referred to early help".
STEP_DOWN_REASON = "RC9"

AGE_BANDS: tuple[str, ...] = ("Unborn", "Under 1", "1-4", "5-9", "10-15", "16-17", "18+")
PERMANENCE_PLANS: tuple[str, ...] = _PERMANENCE_PLANS


def _memo(fn):
    """Cache a helper's result on the AsOf state (several indicators share each helper)."""
    def wrapper(x: AsOf, *args):
        memo = x.__dict__.setdefault("_memo", {})
        key = (fn.__name__, *args)
        if key not in memo:
            memo[key] = fn(x, *args)
        return memo[key]
    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


def indicator(fn: Definition) -> Definition:
    """Register ``fn`` as the definition of the indicator with the same name."""
    DEFINITIONS[fn.__name__] = fn
    return fn


def _flag(values: np.ndarray, applies: np.ndarray) -> np.ndarray:
    """Boolean ``values`` as 1.0 / 0.0, NaN where the indicator does not apply."""
    return np.where(applies, np.asarray(values, dtype=bool).astype(float), np.nan)


def _where(applies: np.ndarray, values: np.ndarray) -> np.ndarray:
    return np.where(applies, np.asarray(values, dtype=float), np.nan)


def _at(values: np.ndarray, rows: np.ndarray, blank=None) -> np.ndarray:
    """``values[rows]`` with ``blank`` where ``rows`` is -1."""
    return take(values, rows, blank)


# ---- Child protection --------------------------------------------------------------------
@indicator
def cp_plan_days(x: AsOf, th: Thresholds) -> np.ndarray:
    return _where(x.on_cp, x.day - x.cp_start)


@indicator
def cp_plan_over_18m(x: AsOf, th: Thresholds) -> np.ndarray:
    return _flag(x.cp_start <= x.months_back(th["months"]), x.on_cp)


@indicator
def cp_plan_over_24m(x: AsOf, th: Thresholds) -> np.ndarray:
    return _flag(x.cp_start <= x.months_back(th["months"]), x.on_cp)


@_memo
def _previous_plans(x: AsOf) -> np.ndarray:
    plans = x.t["cp_plans"]
    recorded = take(plans["previous_recorded"], x.cp, np.nan)
    in_store = plans.count_before(take(plans.child, x.cp, np.int64(0)), take(plans.start, x.cp, NONE))
    return np.where(np.isnan(recorded), in_store, recorded)


@indicator
def cp_previous_plans(x: AsOf, th: Thresholds) -> np.ndarray:
    return _where(x.on_cp, _previous_plans(x))


@indicator
def cp_second_or_subsequent(x: AsOf, th: Thresholds) -> np.ndarray:
    return _flag(_previous_plans(x) >= 1, x.on_cp)


def _repeat_within(plans: Events, months: int) -> np.ndarray:
    """Per plan: an earlier-starting plan of the child ended in [start - months, start]."""
    out = np.zeros(plans.n, dtype=bool)
    cutoff = add_months(plans.start, -months) if plans.n else plans.start
    k = 1
    while True:
        prev = plans.prev_same_child(k)
        has = prev >= 0
        if not has.any():
            break
        p = prev[has]
        end = plans.end[p]
        ok = (plans.start[p] < plans.start[has]) & (end <= plans.start[has]) & (end >= cutoff[has])
        out[has] |= ok
        k += 1
    return out


@indicator
def cp_repeat_within_2y(x: AsOf, th: Thresholds) -> np.ndarray:
    months = int(th["months"])
    plans = x.t["cp_plans"]
    rep = x.prep.cached(f"cp_repeat_{months}", lambda: _repeat_within(plans, months))
    return _flag(_at(rep, x.cp, False).astype(bool), x.on_cp)


@indicator
def cp_review_overdue(x: AsOf, th: Thresholds) -> np.ndarray:
    return _flag(x.cp_review_overdue, x.on_cp)


@indicator
def cp_category(x: AsOf, th: Thresholds) -> Coded:
    return Coded(_at(x.t["cp_plans"]["category"], x.cp, np.int64(-1)), x.prep.names["cp_category"])


@indicator
def days_since_last_visit(x: AsOf, th: Thresholds) -> np.ndarray:
    return _where(x.last_visit != NONE, x.day - x.last_visit)


@indicator
def visit_overdue(x: AsOf, th: Thresholds) -> np.ndarray:
    # count from the later of the last visit and the start of the service's current involvement
    over = np.zeros(x.n, dtype=bool)
    lac, cp, cin = (np.flatnonzero(x.service_code == k) for k in (0, 1, 2))
    since = np.maximum(x.last_visit[lac], x.period_start[lac])
    over[lac] = (x.day[lac] - since) > th["lac_days"]
    since = np.maximum(x.last_visit[cp], x.cp_start[cp])
    over[cp] = x.prep.workdays.elapsed(since, x.day[cp]) > th["cp_working_days"]
    # children in need: only those on a CIN plan (not children still being assessed)
    plan = x.t["cin_plans"].open_at(x.kids[cin], x.day[cin])
    applies = x.service_code != 3  # not for care leavers (no statutory visit interval)
    applies[cin] = plan >= 0
    since = np.maximum(x.last_visit[cin], take(x.t["cin_plans"].start, plan, NONE))
    over[cin] = x.prep.workdays.elapsed(since, x.day[cin]) > th["cin_working_days"]
    # visits come from snapshots (Annex A's latest visit): with none known by as_of the
    # indicator is not available rather than "overdue"
    return _flag(over, applies & x.visits_known)


@indicator
def cp_long_plan_without_progress(x: AsOf, th: Thresholds) -> np.ndarray:
    i = np.flatnonzero(x.on_cp & (x.cp_start <= x.months_back(th["months"])))
    kids, day, start = x.kids[i], x.day[i], x.cp_start[i]
    # escalated: PLO pre-proceedings started since the plan started (on or before as_of)
    escalated = x.t["pre_proceedings"].count_window(kids, start - 1, day) > 0
    # a visit gap or worker churn counts only where visits / allocations are known by as_of
    no_visit = (x.prep.workdays.elapsed(np.maximum(x.last_visit[i], start), day)
                > th["visit_gap_working_days"]) & x.visits_known[i]
    missing = x.missing_starts(int(th["missing_window_days"]), i) > 0
    churn = x.worker_changes(12, i) >= th["worker_changes"]
    stuck = x.cp_review_overdue[i] | no_visit | missing | churn
    out = np.zeros(x.n, dtype=bool)
    out[i] = ~escalated & stuck
    return _flag(out, x.on_cp)


# ---- Front door --------------------------------------------------------------------------
@indicator
def referrals_12m(x: AsOf, th: Thresholds) -> np.ndarray:
    return x.t["referrals"].count_window(x.kids, x.months_back(12), x.day).astype(float)


def _rereferrals(refs: Events, months: int) -> np.ndarray:
    """Per referral: the child's previous referral was on or after (date - months)."""
    prev = refs.prev_same_child(1)
    out = np.zeros(refs.n, dtype=bool)
    has = prev >= 0
    cutoff = add_months(refs.start[has], -months)
    out[has] = refs.start[prev[has]] >= cutoff
    return out


@indicator
def rereferral_12m(x: AsOf, th: Thresholds) -> np.ndarray:
    refs = x.t["referrals"]
    months = int(th["months"])
    rr = x.prep.cached(f"rereferral_{months}", lambda: _rereferrals(refs, months))
    last = refs.last_le(x.kids, x.day)
    return _flag(_at(rr, last, False).astype(bool), last >= 0)


@_memo
def _open_assessment(x: AsOf) -> np.ndarray:
    return x.t["assessments"].open_at(x.kids, x.day)


@_memo
def _assessment_working_days(x: AsOf) -> np.ndarray:
    """Working days elapsed since the start of the open assessment (NaN when none is open)."""
    a = _open_assessment(x)
    start = np.where(a >= 0, _at(x.t["assessments"].start, a, NONE), x.day)
    return _where(a >= 0, x.workdays_elapsed(start))


@indicator
def assessment_open_working_days(x: AsOf, th: Thresholds) -> np.ndarray:
    return _assessment_working_days(x)


@indicator
def assessment_over_45wd(x: AsOf, th: Thresholds) -> np.ndarray:
    wd = _assessment_working_days(x)
    return _flag(np.nan_to_num(wd) > th["working_days"], ~np.isnan(wd))


@_memo
def _s47_working_days(x: AsOf, window_months: int, late_after: float) -> np.ndarray:
    s47 = x.t["section47"]
    row = s47.last_le(x.kids, x.day)
    start = np.where(row >= 0, _at(s47.start, row, NONE), x.day)
    row = np.where(start > x.months_back(window_months), row, -1)
    icpc = _at(s47.end, row, OPEN)  # the conference date (OPEN when none)
    held = (row >= 0) & (icpc <= x.day)
    not_req = _at(s47["not_required"], row, np.nan) == 1.0
    wd_to_icpc = x.prep.workdays.elapsed(start, np.where(held, icpc, x.day))
    elapsed = x.workdays_elapsed(start)
    # not required and past the timescale: the enquiry concluded without a conference
    concluded = ~held & not_req & (elapsed > late_after)
    return _where((row >= 0) & ~concluded, np.where(held, wd_to_icpc, elapsed))


@indicator
def s47_to_icpc_working_days(x: AsOf, th: Thresholds) -> np.ndarray:
    late = x.threshold("s47_to_icpc_over_15wd", "working_days")
    return _s47_working_days(x, int(th["window_months"]), late)


@indicator
def s47_to_icpc_over_15wd(x: AsOf, th: Thresholds) -> np.ndarray:
    window = int(x.threshold("s47_to_icpc_working_days", "window_months"))
    wd = _s47_working_days(x, window, th["working_days"])
    return _flag(np.nan_to_num(wd) > th["working_days"], ~np.isnan(wd))


@indicator
def step_ups_12m(x: AsOf, th: Thresholds) -> np.ndarray:
    refs = x.t["referrals"]
    cum = x.prep.cached("step_up_cum", lambda: Events.cumulative(refs["early_help"]))
    return refs.count_window(x.kids, x.months_back(12), x.day, cum).astype(float)


@indicator
def step_downs_12m(x: AsOf, th: Thresholds) -> np.ndarray:
    return x.t["step_downs"].count_window(x.kids, x.months_back(12), x.day).astype(float)


# ---- Missing -----------------------------------------------------------------------------
@indicator
def missing_episodes_90d(x: AsOf, th: Thresholds) -> np.ndarray:
    return x.missing_starts(int(th["window_days"])).astype(float)


@indicator
def missing_episodes_365d(x: AsOf, th: Thresholds) -> np.ndarray:
    return x.missing_starts(int(th["window_days"])).astype(float)


def _per_pair(x: AsOf, pair: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Sum ``values`` (one per (pair, row) combination) over each pair."""
    return np.bincount(pair, weights=values, minlength=x.n)[: x.n] if x.n else np.zeros(0)


@_memo
def _missing_rows(x: AsOf) -> tuple[np.ndarray, np.ndarray]:
    """(pair, row) for every missing episode started on or before the pair's as-of day."""
    return x.t["missing"].rows_upto(x.kids, x.day)


def _missing_days(x: AsOf, window: int) -> np.ndarray:
    """Days in the window on which the child was missing at any point (overlaps count once)."""
    ms = x.t["missing"]
    pair, rows = _missing_rows(x)
    day = x.day[pair]
    start, end = ms.start[rows], ms.end[rows]
    last = np.where(end <= day, end, day)  # not ended by as_of: runs to as_of
    first = np.maximum(start, day - window + 1)
    used = last >= first
    # sweep each pair's episodes in start order, counting only days not already covered: the
    # running maximum of covered ends restarts per pair thanks to a per-pair offset
    offset = pair.astype(np.int64) << np.int64(33)
    ends = np.where(used, last, -(2**31)) + offset
    covered = (np.r_[np.iinfo(np.int64).min // 2, np.maximum.accumulate(ends)[:-1]] - offset
               if len(ends) else ends)
    new_first = np.maximum(first, covered + 1)
    days = np.where(used, np.maximum(last - new_first + 1, 0), 0)
    return _per_pair(x, pair, days.astype(float))


@indicator
def missing_days_90d(x: AsOf, th: Thresholds) -> np.ndarray:
    return _missing_days(x, int(th["window_days"]))


@indicator
def missing_days_365d(x: AsOf, th: Thresholds) -> np.ndarray:
    return _missing_days(x, int(th["window_days"]))


@indicator
def missing_open_now(x: AsOf, th: Thresholds) -> np.ndarray:
    ms = x.t["missing"]
    pair, rows = _missing_rows(x)
    open_now = (ms.end[rows] > x.day[pair]).astype(float)  # started on or before as_of already
    return _flag(_per_pair(x, pair, open_now) > 0, np.ones(x.n, bool))


def _rhi_share(x: AsOf, th: Thresholds, column: str) -> np.ndarray:
    """Share of the due episodes whose interview is recorded (known by the as-of date: from its
    ``rhi_known_from`` when a later extract reported it) with ``column`` true. An episode whose
    interview no source recorded is left out, not counted as "not offered": a store built from
    returns that do not carry it (the 903 alone) must give "not available", not 0%."""
    ms = x.t["missing"]
    pair, rows = _missing_rows(x)
    day, end = x.day[pair], ms.end[rows]
    value, known = ms[column][rows], ms["rhi_known"][rows]
    recorded = ~np.isnan(value) & ((known == NONE) | (known <= day))
    due = (end <= day - int(th["grace_days"])) & (end > day - int(th["window_days"])) & recorded
    n = _per_pair(x, pair, due.astype(float))
    yes = _per_pair(x, pair, (due & (value == 1.0)).astype(float))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, yes / np.where(n > 0, n, 1), np.nan)


@indicator
def rhi_offered_share(x: AsOf, th: Thresholds) -> np.ndarray:
    return _rhi_share(x, th, "rhi_offered")


@indicator
def rhi_accepted_share(x: AsOf, th: Thresholds) -> np.ndarray:
    return _rhi_share(x, th, "rhi_accepted")


# ---- Legal -------------------------------------------------------------------------------
@_memo
def _open_days(x: AsOf, table: str) -> np.ndarray:
    ev = x.t[table]
    row = ev.open_at(x.kids, x.day)
    return _where(row >= 0, x.day - _at(ev.start, row, NONE))


@indicator
def plo_weeks(x: AsOf, th: Thresholds) -> np.ndarray:
    return _open_days(x, "pre_proceedings") / 7.0


@indicator
def plo_over_16w(x: AsOf, th: Thresholds) -> np.ndarray:
    days = _open_days(x, "pre_proceedings")
    return _flag(np.nan_to_num(days) > 7 * th["weeks"], ~np.isnan(days))


@indicator
def care_proceedings_weeks(x: AsOf, th: Thresholds) -> np.ndarray:
    return _open_days(x, "care_proceedings") / 7.0


@indicator
def care_proceedings_over_26w(x: AsOf, th: Thresholds) -> np.ndarray:
    days = _open_days(x, "care_proceedings")
    return _flag(np.nan_to_num(days) > 7 * th["weeks"], ~np.isnan(days))


# ---- Looked after ------------------------------------------------------------------------
@indicator
def lac_days(x: AsOf, th: Thresholds) -> np.ndarray:
    return _where(x.on_lac, x.day - x.period_start)


@indicator
def placement_moves_12m(x: AsOf, th: Thresholds) -> np.ndarray:
    ep = x.t["lac_episodes"]
    cum = x.prep.cached("placement_move_cum", lambda: Events.cumulative(ep["rne_move"]))
    return _where(x.on_lac, ep.count_window(x.kids, x.months_back(12), x.day, cum))


@_memo
def _placements_12m(x: AsOf) -> np.ndarray:
    ep = x.t["lac_episodes"]
    cum = x.prep.cached("new_placement_cum", lambda: Events.cumulative(ep["rne_new"]))
    w = x.months_back(12)
    in_window = ep.count_window(x.kids, w, x.day, cum)
    placed_at_start = ep.open_at(x.kids, w, known_by=x.day) >= 0
    return in_window + placed_at_start


@indicator
def placements_12m(x: AsOf, th: Thresholds) -> np.ndarray:
    return _where(x.on_lac, _placements_12m(x))


@indicator
def placements_3plus_12m(x: AsOf, th: Thresholds) -> np.ndarray:
    return _flag(_placements_12m(x) >= th["placements"], x.on_lac)


@indicator
def placed_out_of_area(x: AsOf, th: Thresholds) -> np.ndarray:
    in_la = _at(x.t["lac_episodes"]["placement_in_la"], x.lac, np.nan).astype(float)
    return np.where(np.isnan(in_la), np.nan, 1.0 - in_la)


@indicator
def placed_over_20_miles(x: AsOf, th: Thresholds) -> np.ndarray:
    miles = _at(x.t["lac_episodes"]["pl_distance"], x.lac, np.nan).astype(float)
    return _flag(np.nan_to_num(miles) > th["miles"], ~np.isnan(miles))


@indicator
def legal_status(x: AsOf, th: Thresholds) -> Coded:
    return Coded(_at(x.t["lac_episodes"]["ls"], x.lac, np.int64(-1)), x.prep.names["legal_status"])


def permanence_codes(place: pd.Series, ls: pd.Series, *, aged_16_plus: bool) -> np.ndarray:
    """Derived permanence plan of each episode (codes into :data:`PERMANENCE_PLANS`); the case
    model has none: :func:`driftflag.casemodel.derived.permanence_plan_codes` holds the rule."""
    return permanence_plan_codes(place.astype(object).to_numpy(), ls.astype(object).to_numpy(),
                                 aged_16_plus)


@indicator
def permanence_plan(x: AsOf, th: Thresholds) -> Coded:
    ep = x.t["lac_episodes"]
    older = _age_years(x) >= 16
    codes = np.where(older, _at(ep["plan_16_plus"], x.lac, np.int64(-1)),
                     _at(ep["plan_under_16"], x.lac, np.int64(-1)))
    return Coded(codes, x.prep.names["permanence_plan"])


@indicator
def lac_review_overdue(x: AsOf, th: Thresholds) -> np.ndarray:
    rv = x.t["lac_reviews"]
    i = np.flatnonzero(x.on_lac)
    kids, day, ps = x.kids[i], x.day[i], x.period_start[i]
    n = rv.count_window(kids, ps - 1, day)  # reviews since the period of care started
    last_day = _at(rv.start, rv.last_le(kids, day), NONE).astype(np.int64)
    due = np.select(
        [n == 0, n == 1],
        [x.prep.workdays.add(ps, int(th["first_review_working_days"])),
         add_months(last_day, int(th["second_review_months"]))],
        add_months(last_day, int(th["review_interval_months"])),
    )
    out = np.zeros(x.n, dtype=bool)
    out[i] = day > due
    return _flag(out, x.on_lac)


# ---- Context and workload ----------------------------------------------------------------
@indicator
def team_caseload(x: AsOf, th: Thresholds) -> np.ndarray:
    tc = x.team_code
    n_teams = len(x.prep.team_names)
    if n_teams == 0 or x.n == 0:
        return np.full(x.n, np.nan)
    # open cases per (as-of day, team), over the children in the snapshot
    has = tc >= 0
    cell = x.day_index * n_teams + np.maximum(tc, 0)
    cases = np.bincount(cell[has], minlength=len(x.days) * n_teams).astype(float)
    # without a workforce roster in post on the day (a store built from the returns: Annex A
    # names each child's allocated worker but lists no staff): the workers holding an open case
    # in the team. Chosen per as-of day, so later roster rows never change an earlier snapshot.
    worker = take(x.t["allocations"]["worker"], x.allocation, np.int64(-1))
    held = has & (worker >= 0)
    n_workers = len(x.prep.worker_names) + 1
    distinct = np.unique(cell[held].astype(np.int64) * n_workers + worker[held])
    workers = np.bincount(distinct // n_workers, minlength=len(x.days) * n_teams).astype(float)
    w = x.t["workers"]
    if w.n:
        staffed = w["team"] >= 0
        for k, day in enumerate(x.days):
            in_post = staffed & (w.start <= day) & (w.end > day)
            if in_post.any():  # the roster says who is in post
                workers[k * n_teams:(k + 1) * n_teams] = np.bincount(w["team"][in_post],
                                                                     minlength=n_teams)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_worker = np.where(workers > 0, cases / np.where(workers > 0, workers, 1), np.nan)
    return np.where(has, per_worker[cell], np.nan)


@indicator
def worker_changes_12m(x: AsOf, th: Thresholds) -> np.ndarray:
    # not available (rather than 0) for a child with no allocation or 903 social worker
    # episode known by as_of; a looked-after child's come from the 903 episodes where present
    return _where(x.allocations_known | x.sw_history, x.worker_changes(12))


def _care_leaver(x: AsOf, col: str, months: float) -> np.ndarray:
    """The care leaver's value of ``col`` on their latest OC3 record of the last ``months``
    months (blank without one: not a care leaver, or no recent birthday record)."""
    row = x.care_leaver_record(int(months))
    return take(x.t["care_leavers"][col], row, np.nan)


@indicator
def care_leaver_not_in_touch(x: AsOf, th: Thresholds) -> np.ndarray:
    return _care_leaver(x, "not_in_touch", th["record_months"])


@indicator
def care_leaver_unsuitable_accommodation(x: AsOf, th: Thresholds) -> np.ndarray:
    return _care_leaver(x, "unsuitable", th["record_months"])


@indicator
def sex(x: AsOf, th: Thresholds) -> Coded:
    return Coded(x.prep.children["sex"][x.kids], x.prep.names["sex"])


@indicator
def ethnicity(x: AsOf, th: Thresholds) -> Coded:
    return Coded(x.prep.children["ethnicity"][x.kids], x.prep.names["ethnicity"])


@indicator
def ethnic_group(x: AsOf, th: Thresholds) -> Coded:
    return Coded(x.prep.children["ethnic_group"][x.kids], x.prep.names["ethnic_group"])


@indicator
def disability(x: AsOf, th: Thresholds) -> np.ndarray:
    return x.prep.children["disability"][x.kids]


@indicator
def uasc(x: AsOf, th: Thresholds) -> np.ndarray:
    flag = x.prep.children["uasc"][x.kids]
    ceased = x.prep.children["uasc_ceased"][x.kids]
    return np.where(np.isnan(flag), np.nan, (flag == 1.0) & (ceased > x.day))


def _ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Year and month*100+day of day numbers."""
    d = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    month = d.astype("datetime64[M]")
    year = month.astype("datetime64[Y]").astype(np.int64) + 1970
    md = (month.astype(np.int64) % 12 + 1) * 100 + (d - month.astype("datetime64[D]")).astype(np.int64) + 1
    return year, md


@_memo
def _age_years(x: AsOf) -> np.ndarray:
    """Completed years on as_of (NaN without a date of birth; negative before birth). A birthday
    on 29 February is reached on 1 March in other years."""
    dob = x.prep.children["dob"][x.kids]
    known = dob != NONE
    by, bmd = _ymd(np.where(known, dob, 0))
    ay, amd = _ymd(x.day)
    years = ay - by - (amd < bmd)
    return np.where(known, years, np.nan).astype(float)


_AGE_BAND_NAMES = pd.Index(AGE_BANDS, dtype="str")


@indicator
def age_band(x: AsOf, th: Thresholds) -> Coded:
    dob = x.prep.children["dob"][x.kids]
    y = np.nan_to_num(_age_years(x), nan=0.0)
    band = np.select([dob > x.day, y < 1, y < 5, y < 10, y < 16, y < 18], [0, 1, 2, 3, 4, 5], 6)
    return Coded(np.where(dob == NONE, -1, band).astype(np.int64), _AGE_BAND_NAMES)


__all__ = [
    "AGE_BANDS",
    "DEFINITIONS",
    "EARLY_HELP_SOURCE",
    "FEATURE_GROUPS",
    "RNE_NEW_PLACEMENT",
    "PERMANENCE_PLANS",
    "STEP_DOWN_REASON",
    "indicator",
    "permanence_codes",
    *sorted(k for k in list(DEFINITIONS)),
]
