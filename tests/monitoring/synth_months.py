"""Monthly model-input frames from the seeded synthetic LA, with and without a recording change.

Features come from stage 3's :func:`driftflag.indicators.panel` (one row per open case per month);
the score is a fixed logistic stand-in for the champion model, so monitoring is tested before the
real model exists.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from driftflag.casemodel import CaseStore
from driftflag.indicators import load_registry, panel
from synthetic_la_cache import synthetic_la

#: The reference (training) months, stacked, and the month monitored.
REFERENCE_START, REFERENCE_END = "2024-10-01", "2025-09-01"
CURRENT = "2025-12-01"
#: A recording change: from the day after the last reference month, 60% of missing episodes are
#: never entered, so the current month's 90-day window is wholly affected.
RECORDING_CHANGE_FROM = "2025-09-02"


def la(children: int = 10_000, seed: int = 1) -> CaseStore:
    return synthetic_la(children=children, years=6, seed=seed).store


def features() -> list[str]:
    return load_registry().model_features()


def stand_in_score(frame: pd.DataFrame) -> np.ndarray:
    """A deterministic stand-in for the model: higher for long plans, missing episodes, churn."""
    def num(col: str) -> np.ndarray:
        return pd.to_numeric(frame[col], errors="coerce").fillna(0).to_numpy(float)

    logit = (-2.5 + 0.002 * num("cp_plan_days") + 0.35 * np.minimum(num("missing_episodes_90d"), 4)
             + 0.25 * np.minimum(num("worker_changes_12m"), 3)
             + 0.5 * frame["visit_overdue"].fillna(False).astype(bool).to_numpy())
    return 1 / (1 + np.exp(-logit))


def drop_missing_episodes(store: CaseStore, *, after: str = RECORDING_CHANGE_FROM, share: float = 0.6,
                          by_child: bool = True, seed: int = 0) -> CaseStore:
    """The same LA with ``share`` of missing episodes starting on or after ``after`` never entered.

    ``by_child=True`` (the default): the episodes of ``share`` of children go unrecorded, as when
    notifications from the authorities hosting out-of-area placements stop arriving.
    ``by_child=False``: each episode is dropped independently (a thinning of the records).
    """
    tables = dict(store.tables)
    ms = tables["missing_episodes"]
    rng = np.random.default_rng(seed)
    late = (ms["start_date"] >= pd.Timestamp(after)).to_numpy()
    if by_child:
        kids = np.sort(ms["child_id"].unique())
        lost = set(kids[rng.random(len(kids)) < share])
        hit = ms["child_id"].isin(lost).to_numpy()
    else:
        hit = rng.random(len(ms)) < share
    tables["missing_episodes"] = ms.loc[~(late & hit)].reset_index(drop=True)
    return CaseStore.from_frames(tables)


def rhi_recorded_as_not_offered(store: CaseStore, *, after: str = RECORDING_CHANGE_FROM) -> CaseStore:
    """The same LA with every return home interview recorded as not offered on episodes from
    ``after`` (a new form defaulting to "No"). A blank interview is "not recorded" and leaves the
    episode out of ``rhi_offered_share``; a recorded "No" moves the share."""
    tables = dict(store.tables)
    ms = tables["missing_episodes"].copy()
    late = ms["start_date"] >= pd.Timestamp(after)
    ms.loc[late, ["rhi_offered", "rhi_accepted"]] = False
    tables["missing_episodes"] = ms
    return CaseStore.from_frames(tables)


def months(store: CaseStore, start: str, end: str) -> pd.DataFrame:
    """Stacked monthly snapshots with the stand-in score."""
    p = panel(store, start, end)
    return p.assign(score=stand_in_score(p))


def reference_frame(store: CaseStore) -> pd.DataFrame:
    return months(store, REFERENCE_START, REFERENCE_END)


def current_frame(store: CaseStore, current: str = CURRENT) -> pd.DataFrame:
    return months(store, current, current)
