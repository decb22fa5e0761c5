"""The monthly audit worklist: sampling with inclusion probabilities, plain-language reasons,
the QA lead's workbook / CSV / HTML, a pseudonymised copy and the audit feedback loop.

Flags prompt an audit by a person; they never decide anything about a family.

>>> from driftflag.worklist import WorklistPolicy, sample_worklist, explain   # doctest: +SKIP
>>> policy = WorklistPolicy.from_yaml("pipelines/monthly_audit.yaml")
>>> wl = sample_worklist(caseload, policy, "2025-11", store["audits"], contributions=contrib)
>>> wl.write("reports/worklist/2025-11")     # xlsx, csv, html, shared/ pseudonymised copy
"""

from driftflag.worklist.explain import ExplainError, explain, model_margin
from driftflag.worklist.policy import WorklistPolicy
from driftflag.worklist.reasons import top_reasons
from driftflag.worklist.sampling import (
    Worklist,
    inclusion_probabilities,
    month_start,
    sample_worklist,
)

__all__ = [
    "ExplainError",
    "Worklist",
    "WorklistPolicy",
    "explain",
    "inclusion_probabilities",
    "model_margin",
    "month_start",
    "sample_worklist",
    "top_reasons",
]
