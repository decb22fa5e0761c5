"""What the models learn to predict: future drift milestones and audit findings.

Features look back from an as-of date; targets look forward from it (``style-guide.md`` §6.3).
A label of as-of date ``t`` reads only events dated in ``(t, t + H]``.
"""

from driftflag.targets.audit import AuditTargetConfig, audit_finding
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
    "MILESTONES",
    "AuditTargetConfig",
    "TargetConfig",
    "audit_finding",
    "future_drift",
    "milestone_events",
    "open_cases",
]
