"""The ``audit_finding`` label: what a practice manager found when the case was audited.

Audit outcomes are the closest thing to ground truth about drift, but audited cases are not a
random sample: targeted audits pick cases a rule already suspected. Each audit carries its
``selection_reason`` and, where known, the ``inclusion_probability`` of being picked that month;
``ipw = 1 / inclusion_probability`` (Horvitz-Thompson) lets metrics and training weight audited
cases back to the whole caseload. Audits without a known probability get ``ipw`` NaN and are
reported, never silently given weight 1.

The label is attached to ``as_of`` = the first day of the audit's month, the monthly snapshot
the worklist would have been built from; the finding itself is dated after it.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from driftflag.casemodel.store import CaseStore

__all__ = ["AuditTargetConfig", "audit_finding"]


class AuditTargetConfig(BaseModel):
    """Which audit outcomes count as a finding, and which audits to keep.

    ``positive``: ``drift_found`` (the auditor recorded drift or delay), ``inadequate`` (graded
    Inadequate) or ``either``. ``selection_reasons``: keep only these (e.g. ``["random"]`` for an
    unbiased evaluation set); ``None`` keeps all.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    positive: Literal["drift_found", "inadequate", "either"] = "drift_found"
    selection_reasons: tuple[Literal["random", "targeted", "thematic", "re-audit"], ...] | None = None


def audit_finding(store: CaseStore, config: AuditTargetConfig | None = None) -> pd.DataFrame:
    """One row per audit: ``audit_id``, ``child_id``, ``audit_date``, ``as_of``, ``label``,
    ``selection_reason``, ``inclusion_probability``, ``ipw``; sorted by date then child."""
    cfg = config or AuditTargetConfig()
    a = store["audits"]
    if cfg.selection_reasons is not None:
        a = a[a["selection_reason"].isin(cfg.selection_reasons)]
    drift = a["drift_found"].fillna(False).astype(bool).to_numpy()
    inadequate = (a["grade"] == "Inadequate").to_numpy()
    label = {"drift_found": drift, "inadequate": inadequate, "either": drift | inadequate}[cfg.positive]
    p = a["inclusion_probability"].astype("float64").to_numpy()
    with np.errstate(divide="ignore"):
        ipw = np.where((p > 0) & ~np.isnan(p), 1.0 / p, np.nan)
    out = pd.DataFrame({
        "audit_id": a["audit_id"].to_numpy(),
        "child_id": a["child_id"].astype("str").to_numpy(),
        "audit_date": a["audit_date"].to_numpy(),
        "as_of": a["audit_date"].dt.to_period("M").dt.to_timestamp().astype("datetime64[ns]").to_numpy(),
        "label": label.astype("int8"),
        "selection_reason": a["selection_reason"].to_numpy(),
        "inclusion_probability": p,
        "ipw": ipw,
    })
    return out.sort_values(["audit_date", "child_id", "audit_id"], kind="stable").reset_index(drop=True)
