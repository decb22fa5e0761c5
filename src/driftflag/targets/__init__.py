"""What the models learn to predict: audit findings, drift milestones, the revolving door.

Features look back from an as-of date; targets look forward from it (``style-guide.md`` §6.3).
A label of as-of date ``t`` reads only events dated in ``(t, t + H]``.
"""

from driftflag.targets.audit import AuditTargetConfig, audit_finding
from driftflag.targets.choice import (
    MIN_AUDIT_FINDINGS,
    MIN_AUDITS,
    TARGETS,
    LabelSet,
    audit_labels,
    build_labels,
    describe_target,
    target_horizon_months,
)
from driftflag.targets.drift_milestones import DRIFT_MILESTONES, drift_milestones
from driftflag.targets.future_drift import (
    CLOCK_MILESTONES,
    MILESTONES,
    TargetConfig,
    future_drift,
    milestone_events,
    open_cases,
)

__all__ = [
    "CLOCK_MILESTONES",
    "DRIFT_MILESTONES",
    "MILESTONES",
    "MIN_AUDITS",
    "MIN_AUDIT_FINDINGS",
    "TARGETS",
    "AuditTargetConfig",
    "LabelSet",
    "TargetConfig",
    "audit_finding",
    "audit_labels",
    "build_labels",
    "describe_target",
    "drift_milestones",
    "future_drift",
    "milestone_events",
    "open_cases",
    "target_horizon_months",
]
