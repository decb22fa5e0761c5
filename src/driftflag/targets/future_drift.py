"""The ``future_drift`` label: does a drift milestone happen in the next H months?

For a case open at as-of date ``t`` the label is 1 when at least one configured milestone
happens in the half-open window ``(t, t + H]`` (``H = horizon_months``; events *on* ``t`` were
known when the worklist was made and belong to the features). The milestones, with their sources
in ``../shared/reference/domain-requirements.md`` §1:

==========================  ======================================================================
``repeat_cp_plan``          a CP plan starts that is a second or subsequent plan
                            (``number_of_previous_cpp >= 1``; §1.2 "Second or subsequent CP plan")
``re_referral``             a referral within 365 days of the child's previous referral (§1.1;
                            the same rule as the calibration report)
``missing_episodes``        at least 3 missing episodes start in the window (§1.4; no national
                            definition of "repeat missing", §6, so the count is configurable)
``cp_plan_18m``             an open CP plan passes 18 months (§1.2, LSCB threshold)
``pre_proceedings_16w``     PLO pre-proceedings pass 16 weeks without a decision (§1.3)
``care_proceedings_26w``    care proceedings pass 26 weeks without a final order (§1.3, Children
                            and Families Act 2014)
``third_placement_12m``     a placement starts that is the 3rd (or later) within 12 months (§1.5)
==========================  ======================================================================

Each milestone is computed for all cases at once from a table of *milestone events*
``(child_id, date)`` (:func:`milestone_events`), then matched to the cohort with one merge.

**Nearly determined.** The three clock milestones (``cp_plan_18m``, ``pre_proceedings_16w``,
``care_proceedings_26w``) are almost known at ``t``: a plan at 17 months on ``t`` will pass 18
unless it ends within a month. ``nearly_<milestone>`` marks rows where the clock, running on
``t``, reaches its limit within ``near_months`` of ``t`` (and inside the window);
``nearly_determined`` is any of them. An ablation that drops those rows shows how much of a model's
skill is just reading the clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from driftflag.casemodel.codes import RNE_PLACEMENT_CHANGE
from driftflag.casemodel.store import CaseStore
from driftflag.errors import ConfigError

__all__ = ["CLOCK_MILESTONES", "MILESTONES", "TargetConfig", "future_drift", "milestone_events",
           "open_cases"]

Milestone = Literal[
    "repeat_cp_plan", "re_referral", "missing_episodes", "cp_plan_18m", "pre_proceedings_16w",
    "care_proceedings_26w", "third_placement_12m",
]
MILESTONES: tuple[str, ...] = Milestone.__args__  # type: ignore[attr-defined]
CLOCK_MILESTONES: tuple[str, ...] = ("cp_plan_18m", "pre_proceedings_16w", "care_proceedings_26w")


class TargetConfig(BaseModel):
    """Which milestones make up ``future_drift``, and their thresholds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    horizon_months: int = Field(6, ge=1, le=36)
    milestones: tuple[Milestone, ...] = MILESTONES
    re_referral_days: int = Field(365, ge=1)
    missing_min_episodes: int = Field(3, ge=1)
    cp_plan_months: int = Field(18, ge=1)
    pre_proceedings_weeks: int = Field(16, ge=1)
    care_proceedings_weeks: int = Field(26, ge=1)
    placements_min: int = Field(3, ge=2)
    placements_window_months: int = Field(12, ge=1)
    near_months: int = Field(1, ge=0)


def _month_offset(months: int) -> pd.DateOffset:
    return pd.DateOffset(months=months)


def open_cases(store: CaseStore, as_of_dates: Iterable[date | pd.Timestamp]) -> pd.DataFrame:
    """``(child_id, as_of)`` for children with a CIN episode or a looked-after episode open on ``as_of``.

    A referral is open on ``t`` when ``referral_date <= t`` and it has not closed by ``t``
    (``closure_date`` blank or after ``t``); the same for looked-after episodes (``decom``/``dec``).
    """
    dates = pd.DatetimeIndex(sorted({pd.Timestamp(d) for d in as_of_dates})).astype("datetime64[ns]")
    spans = pd.concat([
        store["referrals"][["child_id", "referral_date", "closure_date"]].set_axis(
            ["child_id", "start", "end"], axis=1),
        store["lac_episodes"][["child_id", "decom", "dec"]].set_axis(["child_id", "start", "end"], axis=1),
    ], ignore_index=True)
    cross = spans.merge(pd.DataFrame({"as_of": dates}), how="cross")
    open_ = (cross["start"] <= cross["as_of"]) & (cross["end"].isna() | (cross["end"] > cross["as_of"]))
    out = cross.loc[open_, ["child_id", "as_of"]].drop_duplicates()
    return out.sort_values(["as_of", "child_id"], kind="stable").reset_index(drop=True)


def _clock_events(df: pd.DataFrame, start: str, end: str, limit: pd.DateOffset) -> pd.DataFrame:
    """The date a running clock passes ``limit`` while still open, with the clock's start."""
    passes = df[start] + limit
    still_open = df[end].isna() | (df[end] > passes)
    return pd.DataFrame({"child_id": df.loc[still_open, "child_id"], "date": passes[still_open],
                         "started": df.loc[still_open, start]})


def milestone_events(store: CaseStore, cfg: TargetConfig) -> dict[str, pd.DataFrame]:
    """For each configured milestone, the ``(child_id, date)`` rows on which it happens.

    Count milestones (``missing_episodes``) return the start date of *every* episode; the count
    in the window is taken when matching to as-of dates. Clock milestones carry ``started``.
    """
    out: dict[str, pd.DataFrame] = {}
    want = set(cfg.milestones)
    if "repeat_cp_plan" in want:
        cp = store["cp_plans"]
        repeat = cp["number_of_previous_cpp"].fillna(0).astype("int64") >= 1
        out["repeat_cp_plan"] = pd.DataFrame({"child_id": cp.loc[repeat, "child_id"],
                                              "date": cp.loc[repeat, "start_date"]})
    if "re_referral" in want:
        ref = store["referrals"].sort_values(["child_id", "referral_date"], kind="stable")
        prev = ref.groupby("child_id", sort=False)["referral_date"].shift(1)
        gap = (ref["referral_date"] - prev).dt.days
        hit = gap.notna() & (gap <= cfg.re_referral_days)
        out["re_referral"] = pd.DataFrame({"child_id": ref.loc[hit, "child_id"],
                                           "date": ref.loc[hit, "referral_date"]})
    if "missing_episodes" in want:
        mis = store["missing_episodes"]
        out["missing_episodes"] = pd.DataFrame({"child_id": mis["child_id"], "date": mis["start_date"]})
    if "cp_plan_18m" in want:
        out["cp_plan_18m"] = _clock_events(store["cp_plans"], "start_date", "end_date",
                                           _month_offset(cfg.cp_plan_months))
    if "pre_proceedings_16w" in want:
        out["pre_proceedings_16w"] = _clock_events(store["pre_proceedings"], "start_date",
                                                   "decision_date",
                                                   pd.DateOffset(weeks=cfg.pre_proceedings_weeks))
    if "care_proceedings_26w" in want:
        out["care_proceedings_26w"] = _clock_events(store["care_proceedings"], "application_date",
                                                    "final_order_date",
                                                    pd.DateOffset(weeks=cfg.care_proceedings_weeks))
    if "third_placement_12m" in want:
        ep = store["lac_episodes"]
        starts = ep.loc[ep["rne"].isin(RNE_PLACEMENT_CHANGE | {"S"}), ["child_id", "decom"]]
        starts = starts.sort_values(["child_id", "decom"], kind="stable").reset_index(drop=True)
        # the placement (placements_min - 1) starts earlier, within the window, makes this the Nth
        lag = starts.groupby("child_id", sort=False)["decom"].shift(cfg.placements_min - 1)
        hit = lag.notna() & (lag > starts["decom"] - _month_offset(cfg.placements_window_months))
        out["third_placement_12m"] = pd.DataFrame({"child_id": starts.loc[hit, "child_id"],
                                                   "date": starts.loc[hit, "decom"]})
    return {k: v.reset_index(drop=True) for k, v in out.items()}


def future_drift(
    store: CaseStore,
    as_of_dates: Iterable[date | pd.Timestamp] | None = None,
    *,
    cohort: pd.DataFrame | None = None,
    config: TargetConfig | None = None,
    horizon_months: int | None = None,
) -> pd.DataFrame:
    """Label each open case: did a drift milestone happen in ``(as_of, as_of + H]``?

    Give either ``as_of_dates`` (the cohort is :func:`open_cases`) or ``cohort`` (a frame with
    ``child_id`` and ``as_of``, e.g. the feature panel's rows, so labels join it exactly).
    Returns ``child_id``, ``as_of``, ``window_end``, ``label`` (0/1), one 0/1 column per milestone,
    ``nearly_<clock milestone>`` and ``nearly_determined``. ``horizon_months`` overrides the
    config's for convenience.
    """
    cfg = config or TargetConfig()
    if horizon_months is not None:
        cfg = cfg.model_copy(update={"horizon_months": horizon_months})
    if cohort is None:
        if as_of_dates is None:
            raise ConfigError("future_drift needs as_of_dates or a cohort")
        cohort = open_cases(store, as_of_dates)
    missing = {"child_id", "as_of"} - set(cohort.columns)
    if missing:
        raise ConfigError(f"cohort lacks column(s): {', '.join(sorted(missing))}")
    rows = cohort[["child_id", "as_of"]].drop_duplicates().reset_index(drop=True).copy()
    rows["child_id"] = rows["child_id"].astype("str")
    rows["as_of"] = pd.to_datetime(rows["as_of"]).astype("datetime64[ns]")
    rows["window_end"] = rows["as_of"] + _month_offset(cfg.horizon_months)
    rows["_row"] = np.arange(len(rows))
    near_end = rows["as_of"] + _month_offset(cfg.near_months)
    events = milestone_events(store, cfg)
    label = np.zeros(len(rows), dtype=bool)
    near_any = np.zeros(len(rows), dtype=bool)
    for name in cfg.milestones:
        ev = events[name]
        m = rows.merge(ev, on="child_id", how="inner")
        in_window = (m["date"] > m["as_of"]) & (m["date"] <= m["window_end"])
        m = m[in_window]
        counts = np.bincount(m["_row"].to_numpy(), minlength=len(rows))
        need = cfg.missing_min_episodes if name == "missing_episodes" else 1
        hit = counts >= need
        rows[name] = hit.astype("int8")
        label |= hit
        if name in CLOCK_MILESTONES:
            # the clock is running on as_of (started by then) and passes within near_months
            near = m[(m["started"] <= m["as_of"]) & (m["date"] <= near_end.iloc[m["_row"]].to_numpy())]
            flag = np.bincount(near["_row"].to_numpy(), minlength=len(rows)) > 0
            rows[f"nearly_{name}"] = flag.astype("int8")
            near_any |= flag
    rows["label"] = label.astype("int8")
    rows["nearly_determined"] = near_any.astype("int8")
    ordered = ["child_id", "as_of", "window_end", "label", *cfg.milestones,
               *[f"nearly_{c}" for c in CLOCK_MILESTONES if c in cfg.milestones], "nearly_determined"]
    return rows[ordered].sort_values(["as_of", "child_id"], kind="stable").reset_index(drop=True)
