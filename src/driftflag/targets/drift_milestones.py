"""The ``drift_milestones`` label: plans and clocks running on (visits included), repeat missing
without return home interviews, placement moves, repeat plans.

``future_drift`` counts a clock milestone on the day the clock *passes* its limit, so a plan already
past 18 months on the as-of date is a negative: exactly the cases an audit would find drifting. A
QA lead's question is whether the case *is* running on, so here a clock counts while it runs past
its limit at any time in the window ``(as_of, as_of + H]`` (passed before and still open after the
as-of date, or passing within the window):

================================  =================================================================
``cp_plan_running_18m``           a CP plan open past 18 months in the window
``pre_proceedings_running_16w``   PLO pre-proceedings open past 16 weeks without a decision
``care_proceedings_running_26w``  care proceedings open past 26 weeks without a final order
``missing_without_rhi``           at least 2 missing episodes in the window whose return home
                                  interview was not offered (the repeat missing that went unheard)
``visits_out_of_time``            a statutory visit in the window comes more than three times its interval
                                  after the child's previous visit (CP 14 days, CIN 28 days, looked
                                  after 42 days: the visiting clock running on)
``third_placement_12m``           a 3rd placement within 12 months starts in the window
``repeat_cp_plan``                a second or subsequent CP plan starts in the window
================================  =================================================================

The thresholds are :class:`~driftflag.targets.TargetConfig`'s (``missing_min_episodes`` is not used:
2 unheard episodes are already repeat missing that nobody followed up).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from driftflag.casemodel.store import CaseStore
from driftflag.targets.future_drift import TargetConfig, future_drift

__all__ = ["DRIFT_MILESTONES", "GRADE_CAP", "MILESTONE_WEIGHTS", "MISSING_WITHOUT_RHI_MIN", "VISIT_INTERVAL_DAYS",
           "drift_milestones", "milestone_grade"]

DRIFT_MILESTONES: tuple[str, ...] = (
    "cp_plan_running_18m", "pre_proceedings_running_16w", "care_proceedings_running_26w",
    "missing_without_rhi", "visits_out_of_time", "third_placement_12m", "repeat_cp_plan",
)
#: Statutory visiting intervals in days by visit type (indicators.yaml ``visit_overdue``: CP 10 and
#: CIN 20 working days, looked after 42 days); a gap over three times the interval is out of time.
VISIT_INTERVAL_DAYS = {"CP": 14, "CIN": 28, "LAC": 42}
VISIT_LATE_FACTOR = 3
#: Distinct milestones in the window at which the graded label reaches 1 (``milestone_grade``).
GRADE_CAP = 2
#: What each milestone counts for in the graded label: 1, except a milestone most cases reach
#: nationally, which counts for the share of cases that do *not* reach it. Care proceedings past
#: 26 weeks: only 36% of care and supervision cases finished within 26 weeks in April-June 2025
#: (MoJ Family Court Statistics Quarterly, data-standards.md section 6.3), so running past the limit
#: is what most proceedings do and says less about the case than a milestone few cases reach. CP
#: plans past 18 months (under a third of plans ending in 2025 lasted over a year, DfE D7) and the
#: others count 1; PLO has no national figure (domain-requirements.md section 1.3).
MILESTONE_WEIGHTS: dict[str, float] = {name: 1.0 for name in DRIFT_MILESTONES} | {
    "care_proceedings_running_26w": 0.36,
}
#: Missing episodes without a return home interview offered, in the window, that make a milestone.
MISSING_WITHOUT_RHI_MIN = 2


def _running(rows: pd.DataFrame, clocks: pd.DataFrame, start: str, end: str,
             limit: pd.DateOffset) -> np.ndarray:
    """Rows whose child has a clock open past ``limit`` at some time in ``(as_of, window_end]``."""
    c = clocks[["child_id", start, end]].dropna(subset=[start])
    c = c.assign(child_id=c["child_id"].astype(str), passes=c[start] + limit)
    m = rows[["_row", "child_id", "as_of", "window_end"]].merge(c, on="child_id", how="inner")
    # past the limit somewhere in the window: it passes by the window's end, and is still open
    # after both the as-of date and the moment it passed
    after = np.maximum(m["passes"], m["as_of"])
    hit = (m["passes"] <= m["window_end"]) & (m[end].isna() | (m[end] > after))
    return np.bincount(m.loc[hit, "_row"].to_numpy(), minlength=len(rows)) > 0


def drift_milestones(store: CaseStore, cohort: pd.DataFrame, config: TargetConfig | None = None) -> pd.DataFrame:
    """``child_id``, ``as_of``, ``label`` and one 0/1 column per milestone, for each cohort row."""
    cfg = config or TargetConfig()
    rows = cohort[["child_id", "as_of"]].drop_duplicates().reset_index(drop=True).copy()
    rows["child_id"] = rows["child_id"].astype(str)
    rows["as_of"] = pd.to_datetime(rows["as_of"]).astype("datetime64[ns]")
    rows["window_end"] = rows["as_of"] + pd.DateOffset(months=cfg.horizon_months)
    rows["_row"] = np.arange(len(rows))
    hits = {
        "cp_plan_running_18m": _running(rows, store["cp_plans"], "start_date", "end_date",
                                        pd.DateOffset(months=cfg.cp_plan_months)),
        "pre_proceedings_running_16w": _running(rows, store["pre_proceedings"], "start_date",
                                                "decision_date",
                                                pd.DateOffset(weeks=cfg.pre_proceedings_weeks)),
        "care_proceedings_running_26w": _running(rows, store["care_proceedings"], "application_date",
                                                 "final_order_date",
                                                 pd.DateOffset(weeks=cfg.care_proceedings_weeks)),
    }
    mis = store["missing_episodes"]
    unheard = mis[~mis["rhi_offered"].astype("boolean").fillna(False).astype(bool)]
    m = rows.merge(unheard[["child_id", "start_date"]].astype({"child_id": "str"}), on="child_id")
    m = m[(m["start_date"] > m["as_of"]) & (m["start_date"] <= m["window_end"])]
    hits["missing_without_rhi"] = np.bincount(m["_row"].to_numpy(), minlength=len(rows)) >= \
        MISSING_WITHOUT_RHI_MIN
    v = store["visits"][["child_id", "visit_date", "visit_type"]].dropna(subset=["visit_date"])
    v = v.assign(child_id=v["child_id"].astype(str)).sort_values(["child_id", "visit_date"], kind="stable")
    gap = (v["visit_date"] - v.groupby("child_id", sort=False)["visit_date"].shift(1)).dt.days
    limit = v["visit_type"].map(VISIT_INTERVAL_DAYS).astype("float64") * VISIT_LATE_FACTOR
    late = v[(gap > limit).fillna(False).to_numpy(bool)]
    m = rows.merge(late[["child_id", "visit_date"]], on="child_id")
    m = m[(m["visit_date"] > m["as_of"]) & (m["visit_date"] <= m["window_end"])]
    hits["visits_out_of_time"] = np.bincount(m["_row"].to_numpy(), minlength=len(rows)) > 0
    events = future_drift(store, cohort=rows[["child_id", "as_of"]], config=cfg.model_copy(
        update={"milestones": ("third_placement_12m", "repeat_cp_plan")}))
    events = rows[["child_id", "as_of"]].merge(events, on=["child_id", "as_of"], how="left")
    for name in ("third_placement_12m", "repeat_cp_plan"):
        hits[name] = events[name].fillna(0).to_numpy().astype(bool)
    label = np.zeros(len(rows), dtype=bool)
    for name in DRIFT_MILESTONES:
        rows[name] = hits[name].astype("int8")
        label |= hits[name]
    rows["label"] = label.astype("int8")
    out = rows[["child_id", "as_of", "label", *DRIFT_MILESTONES]]
    return out.sort_values(["as_of", "child_id"], kind="stable").reset_index(drop=True)


def milestone_grade(labels: pd.DataFrame, cap: int = GRADE_CAP,
                    weights: dict[str, float] | None = None) -> pd.Series:
    """The graded label: the distinct drift milestones in the window, each counted by its weight
    (:data:`MILESTONE_WEIGHTS`), ``min(sum, cap) / cap``.

    Why a grade: "any milestone" is positive for most of the most drifting cases (about three in
    four of the top tenth of true drift on the synthetic LA), so it cannot order the few dozen cases
    a monthly list is made of; two milestones at once (a clock running on *and* visits out of time)
    separate them. Why weights: a milestone most cases reach (care proceedings past 26 weeks) made
    long proceedings fill the top of the list on its own, ahead of children moved and missing
    (benchmarks/README.md, "Issue 12"). ``labels`` is :func:`drift_milestones`' output.
    """
    if cap < 1:
        raise ValueError(f"cap must be at least 1, got {cap}")
    w = MILESTONE_WEIGHTS if weights is None else weights
    n = sum(labels[name].astype("float64").to_numpy() * float(w.get(name, 1.0)) for name in DRIFT_MILESTONES)
    return pd.Series(np.minimum(n, cap) / cap, index=labels.index, dtype="float64", name="grade")
