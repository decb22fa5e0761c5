"""Which indicators their sources cover on an as-of date: the coverage guard.

The coverage table (:mod:`driftflag.indicators.coverage`) says how many open cases *have* a
value; it cannot tell a true zero from a source that was never loaded. An empty workers table
makes every team's caseload blank, but an empty care proceedings table makes "weeks in care
proceedings" look like nobody is in proceedings, and a visits table that starts in January makes
every case look overdue in February. So each indicator names the store tables it is computed
from, and a table *covers* an as-of date when it holds records known by then that are dated in
the last :data:`RECENT_DAYS` days (the source is being delivered) and, for an indicator with a
look-back window, records dated at least that window before (the window is not cut short).

An uncovered indicator is "not available" for that date everywhere people read it (no value, no
RAG, no direction of travel, no reason on a worklist) and is not a model input.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

__all__ = ["INDICATOR_SOURCES", "RECENT_DAYS", "Source", "source_coverage", "source_gap", "uncovered_indicators"]

#: A source must have records dated within this many days before the as-of date.
RECENT_DAYS = 92


@dataclass(frozen=True)
class Source:
    """A store table an indicator is computed from, its date column and the look-back (days)
    the indicator needs the table to reach back."""

    table: str
    date: str
    history_days: int = 0


_CP = Source("cp_plans", "start_date")
_VISITS = Source("visits", "visit_date", 183)
_REFS = Source("referrals", "referral_date", 365)
_MISSING_90 = Source("missing_episodes", "start_date", 90)
_MISSING_365 = Source("missing_episodes", "start_date", 365)
_LAC = Source("lac_episodes", "decom")
_LAC_365 = Source("lac_episodes", "decom", 365)

#: Indicator id -> the sources it is computed from (indicators not listed come from the
#: children table and the case status, which every store has).
INDICATOR_SOURCES: Mapping[str, tuple[Source, ...]] = {
    "cp_plan_days": (_CP,), "cp_plan_over_18m": (_CP,), "cp_plan_over_24m": (_CP,),
    "cp_previous_plans": (_CP,), "cp_second_or_subsequent": (_CP,), "cp_repeat_within_2y": (_CP,),
    "cp_category": (_CP,), "cp_review_overdue": (_CP, Source("cp_reviews", "review_date")),
    "cp_long_plan_without_progress": (_CP, _VISITS),
    "days_since_last_visit": (_VISITS,), "visit_overdue": (_VISITS,),
    "referrals_12m": (_REFS,), "rereferral_12m": (_REFS,), "step_ups_12m": (_REFS,),
    "step_downs_12m": (_REFS,),
    "assessment_open_working_days": (Source("assessments", "start_date"),),
    "assessment_over_45wd": (Source("assessments", "start_date"),),
    "s47_to_icpc_working_days": (Source("section47", "start_date"),),
    "s47_to_icpc_over_15wd": (Source("section47", "start_date"),),
    "missing_episodes_90d": (_MISSING_90,), "missing_days_90d": (_MISSING_90,),
    "missing_episodes_365d": (_MISSING_365,), "missing_days_365d": (_MISSING_365,),
    "missing_open_now": (_MISSING_90,), "rhi_offered_share": (_MISSING_365,),
    "rhi_accepted_share": (_MISSING_365,),
    "plo_weeks": (Source("pre_proceedings", "start_date"),),
    "plo_over_16w": (Source("pre_proceedings", "start_date"),),
    "care_proceedings_weeks": (Source("care_proceedings", "application_date"),),
    "care_proceedings_over_26w": (Source("care_proceedings", "application_date"),),
    "lac_days": (_LAC,), "placement_moves_12m": (_LAC_365,), "placements_12m": (_LAC_365,),
    "placements_3plus_12m": (_LAC_365,), "placed_out_of_area": (_LAC,),
    "placed_over_20_miles": (_LAC,), "legal_status": (_LAC,), "permanence_plan": (_LAC,),
    "lac_review_overdue": (_LAC, Source("lac_reviews", "review_date")),
    # a team's caseload needs the allocations (they say whose team a case is in); the workers
    # per team come from the roster when there is one, else from the workers holding the
    # team's open cases (definitions.team_caseload): a store built from the returns has no
    # roster and still has a caseload
    "team_caseload": (Source("allocations", "start_date"),),
    "worker_changes_12m": (Source("allocations", "start_date", 365),),
}


def _table_dates(store, table: str, column: str) -> tuple[pd.Series, pd.Series | None]:
    try:
        frame = store[table]
    except (KeyError, TypeError):
        return pd.Series([], dtype="datetime64[ns]"), None
    if frame is None or column not in frame.columns:
        return pd.Series([], dtype="datetime64[ns]"), None
    dates = pd.to_datetime(frame[column], errors="coerce")
    known = pd.to_datetime(frame["known_from"], errors="coerce") if "known_from" in frame.columns else None
    return dates, known


def _why_not(store, source: Source, as_of: pd.Timestamp, cache: dict) -> str | None:
    """None when ``source`` covers ``as_of``; else the reason in words."""
    key = (source.table, source.date)
    if key not in cache:
        cache[key] = _table_dates(store, source.table, source.date)
    dates, known = cache[key]
    usable = dates.notna() & (dates <= as_of)
    if known is not None:
        usable &= known.isna() | (known <= as_of)
    d = dates[usable]
    if d.empty:
        return f"no {source.table.replace('_', ' ')} records known by {as_of.date()}"
    if d.max() <= as_of - pd.Timedelta(days=RECENT_DAYS):
        return (f"no {source.table.replace('_', ' ')} records in the {RECENT_DAYS} days before "
                f"{as_of.date()} (the latest is dated {d.max().date()})")
    if source.history_days and d.min() > as_of - pd.Timedelta(days=source.history_days):
        return (f"{source.table.replace('_', ' ')} records start {d.min().date()}, less than the "
                f"{source.history_days} days the indicator looks back")
    return None


def source_gap(store, source: Source, as_of) -> str | None:
    """Why ``source`` does not cover ``as_of`` (in words), or None when it does: for figures
    computed straight from a table (the scorecard's national comparison) by the same rule."""
    return _why_not(store, source, pd.Timestamp(as_of), {})


def uncovered_indicators(store, as_of, indicators: Iterable[str] | None = None) -> dict[str, str]:
    """``{indicator id: why}`` for the indicators whose sources do not cover ``as_of``."""
    as_of = pd.Timestamp(as_of)
    ids = list(INDICATOR_SOURCES) if indicators is None else [i for i in indicators if i in INDICATOR_SOURCES]
    cache: dict = {}
    out: dict[str, str] = {}
    for ind in ids:
        for source in INDICATOR_SOURCES[ind]:
            why = _why_not(store, source, as_of, cache)
            if why:
                out[ind] = why
                break
    return out


def source_coverage(store, dates: Iterable, indicators: Iterable[str] | None = None) -> pd.DataFrame:
    """Indicator x as-of date: True where the indicator's sources cover the date."""
    days = [pd.Timestamp(d) for d in dates]
    ids = list(INDICATOR_SOURCES) if indicators is None else list(indicators)
    table = {str(d.date()): {i: i not in gaps for i in ids}
             for d in days for gaps in [uncovered_indicators(store, d, ids)]}
    return pd.DataFrame(table, index=pd.Index(ids, name="indicator"), dtype=bool)
