"""Which label a model learns: the target choice, its plain-words meaning, and the audit fall-back.

Four targets, each its own label (``targets/future_drift.py`` holds the milestone definitions):

==================  ===========================================================================
``audit_finding``   would an audit this month find drift? Learnt from recorded audit findings,
                    each weighted by the inverse of its inclusion probability (the worklist's
                    sampling design, random control sample included), so the audited cases stand
                    for the whole caseload. The question QA leads want ranked.
``drift_milestones`` a drift milestone in the next H months (``targets/drift_milestones.py``): plans
                    and clocks running on (CP plan past 18 months, PLO past 16 weeks, proceedings
                    past 26 weeks), repeat missing without return home interviews, a third
                    placement in 12 months, a repeat CP plan.
``drift_milestone_count`` the same milestones, graded: the number of distinct milestones in the
                    window, counted up to 2 (0, 1/2 or 1); care proceedings past 26 weeks, which
                    most proceedings reach nationally, count 0.36 (``MILESTONE_WEIGHTS``). The models learn the grade (a
                    fractional label); the label metrics still use "any milestone". It orders the
                    most drifting cases, where "any milestone" saturates (benchmarks/README.md).
``revolving_door``  a re-referral within 12 months of the previous one in the next H months: the
                    case is closed and comes back (a different failure from drift: the case did not
                    stay open long enough).
``future_drift``    either of the last two (the original combined label, kept for compatibility).
==================  ===========================================================================

A council with too few audits cannot learn the audit target: below :data:`MIN_AUDITS` audits with
a known inclusion probability in the panel, or :data:`MIN_AUDIT_FINDINGS` audits that found
drift, :func:`build_labels` falls back to ``drift_milestones`` and says so. 200 audits is about a
year of a mid-sized council's monthly random and targeted audits (4 + 2 per 1,000 open cases); 30
findings is the usual floor for fitting a handful of weights without the noise deciding them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd

from driftflag.casemodel.store import CaseStore
from driftflag.targets.audit import audit_finding
from driftflag.targets.drift_milestones import (
    GRADE_CAP,
    MILESTONE_WEIGHTS,
    drift_milestones,
    milestone_grade,
)
from driftflag.targets.future_drift import MILESTONES, TargetConfig, future_drift

__all__ = ["MIN_AUDITS", "MIN_AUDIT_FINDINGS", "TARGETS", "LabelSet", "Target", "audit_labels", "build_labels",
           "describe_target", "target_horizon_months"]

Target = Literal["audit_finding", "drift_milestones", "drift_milestone_count", "revolving_door", "future_drift"]
TARGETS: tuple[str, ...] = Target.__args__  # type: ignore[attr-defined]

#: Fewest audits (with a known inclusion probability, matched to the panel) to learn from findings.
MIN_AUDITS = 200
#: Fewest of those audits that found drift.
MIN_AUDIT_FINDINGS = 30
#: An audit finding is about the month it is made in: its label window is one month.
AUDIT_HORIZON_MONTHS = 1

_REVOLVING = ("re_referral",)

_WORDING = {
    "audit_finding": "whether a case audit this month would find drift or delay (learnt from the "
                     "council's recorded audit findings, each weighted by the inverse of its chance "
                     "of being audited)",
    "drift_milestones": "whether, in the next {h} months, a plan, court or visiting clock runs on "
                        "(child protection plan past 18 months, pre-proceedings past 16 weeks, care "
                        "proceedings past 26 weeks, a statutory visit more than three times its interval "
                        "late), the child goes missing twice or more without "
                        "a return home interview, has a third placement in 12 months, or starts a "
                        "repeat child protection plan",
    "drift_milestone_count": "how many of these happen in the next {h} months (none, one, or two or "
                             "more, each counted once; care proceedings past 26 weeks count about a "
                             "third, because most proceedings in England run past it): a plan, court or visiting clock runs on "
                             "(child protection plan past 18 months, pre-proceedings past 16 weeks, "
                             "care proceedings past 26 weeks, a statutory visit more than three times "
                             "its interval late), the child goes missing twice or more without a "
                             "return home interview, has a third placement in 12 months, or starts a "
                             "repeat child protection plan",
    "revolving_door": "whether the case is closed and the child is referred again within 12 months "
                      "of the previous referral, in the next {h} months",
    "future_drift": "whether a drift milestone or a re-referral within 12 months happens in the "
                    "next {h} months (the combined label)",
}


def describe_target(target: str, horizon_months: int = 6) -> str:
    """The target in plain words, for model cards and worklists."""
    text = _WORDING.get(target)
    return text.format(h=horizon_months) if text else target.replace("_", " ")


def target_horizon_months(target: str, horizon_months: int) -> int:
    """How far a label of this target looks ahead: one month for an audit finding."""
    return AUDIT_HORIZON_MONTHS if target == "audit_finding" else horizon_months


@dataclass(frozen=True)
class LabelSet:
    """Labels keyed by ``(child_id, as_of)`` (``label``, ``weight``), and what they mean.

    ``requested`` is the configured target, ``target`` the one actually learnt (they differ after a
    fall-back); ``note`` says why in one line, for the run's log and the model card.
    """

    labels: pd.DataFrame
    requested: str
    target: str
    horizon_months: int
    note: str
    n_audits: int = 0
    n_findings: int = 0

    @property
    def weighted(self) -> bool:
        return self.target == "audit_finding"

    @property
    def graded(self) -> bool:
        """The models learn ``labels["grade"]`` (in [0, 1]) rather than the 0/1 ``label``."""
        return "grade" in self.labels.columns

    @property
    def description(self) -> str:
        return describe_target(self.target, self.horizon_months)


def _drift_labels(store: CaseStore, cohort: pd.DataFrame, horizon: int) -> pd.DataFrame:
    lab = drift_milestones(store, cohort, TargetConfig(horizon_months=horizon))
    return lab[["child_id", "as_of", "label"]].assign(weight=1.0)


def _graded_drift_labels(store: CaseStore, cohort: pd.DataFrame, horizon: int) -> pd.DataFrame:
    lab = drift_milestones(store, cohort, TargetConfig(horizon_months=horizon))
    return lab[["child_id", "as_of", "label"]].assign(weight=1.0, grade=milestone_grade(lab).to_numpy())


def _milestone_labels(store: CaseStore, cohort: pd.DataFrame, milestones, horizon: int) -> pd.DataFrame:
    lab = future_drift(store, cohort=cohort,
                       config=TargetConfig(horizon_months=horizon, milestones=tuple(milestones)))
    return lab[["child_id", "as_of", "label"]].assign(weight=1.0)


def audit_labels(store: CaseStore, cohort: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """One row per audited child-month of ``cohort``: ``label`` (drift found), ``ipw`` (1 / p) and
    ``weight`` (``ipw`` scaled to mean 1).

    Audits without a known inclusion probability cannot be weighted and are left out (their count
    is returned); a child-month audited twice keeps the first audit, as the worklist would count it.
    """
    a = audit_finding(store)
    unknown = int(a["ipw"].isna().sum())
    a = a[a["ipw"].notna()].drop_duplicates(["child_id", "as_of"], keep="first")
    keys = cohort[["child_id", "as_of"]].astype({"child_id": "str"}).assign(
        as_of=lambda d: pd.to_datetime(d["as_of"]).astype("datetime64[ns]")).drop_duplicates()
    m = keys.merge(a[["child_id", "as_of", "label", "ipw"]], on=["child_id", "as_of"], how="inner")
    # Hajek weights: proportional to 1 / p, scaled to mean 1, so a model's regularisation is
    # relative to the number of audits, not to the caseload they stand for
    out = m.assign(weight=m["ipw"] / m["ipw"].mean() if len(m) else m["ipw"])
    out = out[["child_id", "as_of", "label", "weight", "ipw"]]
    return out.sort_values(["as_of", "child_id"], kind="stable").reset_index(drop=True), unknown


def build_labels(
    store: CaseStore,
    cohort: pd.DataFrame,
    target: str,
    *,
    horizon_months: int = 6,
    min_audits: int = MIN_AUDITS,
    min_findings: int = MIN_AUDIT_FINDINGS,
) -> LabelSet:
    """Labels of ``target`` for the ``cohort`` (``child_id``, ``as_of``: the panel's rows)."""
    if target not in TARGETS:
        from driftflag.errors import ConfigError

        raise ConfigError(f"target {target!r} is not one of {', '.join(TARGETS)}")
    if target == "revolving_door":
        return LabelSet(_milestone_labels(store, cohort, _REVOLVING, horizon_months), target, target,
                        horizon_months, "re-referrals after closure")
    if target == "future_drift":
        return LabelSet(_milestone_labels(store, cohort, MILESTONES, horizon_months), target, target,
                        horizon_months, "drift milestones and re-referrals combined")
    if target == "drift_milestone_count":
        return LabelSet(_graded_drift_labels(store, cohort, horizon_months), target, target, horizon_months,
                        f"drift milestones graded by how many happen, up to {GRADE_CAP}; care "
                        f"proceedings past 26 weeks count "
                        f"{MILESTONE_WEIGHTS['care_proceedings_running_26w']:.2f}")
    if target == "audit_finding":
        labels, unknown = audit_labels(store, cohort)
        n, pos = len(labels), int(labels["label"].sum()) if len(labels) else 0
        if n >= min_audits and pos >= min_findings:
            note = f"{n} audits weighted by inverse inclusion probability ({pos} found drift)"
            if unknown:
                note += f"; {unknown} audits without an inclusion probability left out"
            return LabelSet(labels, target, target, AUDIT_HORIZON_MONTHS, note, n, pos)
        note = (f"only {n} usable audits ({pos} found drift), fewer than the {min_audits} audits and "
                f"{min_findings} findings needed: fell back to drift milestones")
        lab = _drift_labels(store, cohort, horizon_months)
        return LabelSet(lab, target, "drift_milestones", horizon_months, note, n, pos)
    lab = _drift_labels(store, cohort, horizon_months)
    return LabelSet(lab, target, "drift_milestones", horizon_months, "drift milestones only")

