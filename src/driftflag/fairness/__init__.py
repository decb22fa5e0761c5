"""Fairness audit of the worklist and its scores, for an ethics panel.

Built on a generic *scored caseload* (one row per open case, or per open case and month for a
pooled back-test: ``child_id``, ``score``, ``selected`` or a ``k``, ``label``, audit columns):
:func:`build_fairness_report` returns a :class:`FairnessReport` whose views are already
suppressed for small numbers. :mod:`driftflag.fairness.backtest` builds the back-test caseload
of a model version; :func:`driftflag.stages.fairness_verdict` answers the promotion
gate. Flags prompt an audit by a person; the report helps a panel judge whether the list treats
groups of children fairly. It decides nothing itself.
"""

from driftflag.fairness._caseload import AGE_BANDS, select_top_k
from driftflag.fairness._errors import FairnessConfigError, ScoredCaseloadError
from driftflag.fairness._report import (
    DISPARITY_METRICS,
    OUTCOMES,
    VERDICTS,
    WHICH_ERROR_MATTERS,
    FairnessReport,
    Verdict,
    build_fairness_report,
)
from driftflag.fairness.config import DIMENSIONS, METRICS, FairnessConfig, VerdictTolerances
from driftflag.fairness.population import load_population_shares

__all__ = [
    "AGE_BANDS",
    "DIMENSIONS",
    "DISPARITY_METRICS",
    "METRICS",
    "OUTCOMES",
    "VERDICTS",
    "WHICH_ERROR_MATTERS",
    "FairnessConfig",
    "FairnessConfigError",
    "FairnessReport",
    "ScoredCaseloadError",
    "Verdict",
    "VerdictTolerances",
    "build_fairness_report",
    "load_population_shares",
    "select_top_k",
]
