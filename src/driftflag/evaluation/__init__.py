"""Evaluation of audit-prioritisation models: top-k worklist metrics, calibration, intervals.

Flags prompt an audit by a person; these metrics say how useful a list of k cases would have
been (precision@k: how many listed cases had the outcome; recall@k: how many of the cases with the
outcome were listed), always with tie handling and bootstrap intervals.
"""

from driftflag.evaluation._bootstrap import bootstrap_ci, resample_indices
from driftflag.evaluation._errors import EvaluationError
from driftflag.evaluation._scores import (
    DEFAULT_CALIBRATION_BINS,
    average_precision,
    brier_score,
    expected_calibration_error,
    reliability_curve,
    roc_auc,
)
from driftflag.evaluation._table import METRICS, POOLED, MetricTable
from driftflag.evaluation._topk import (
    TopKCounts,
    TopKResult,
    precision_at_k,
    ranking_order,
    recall_at_k,
    resolve_k,
    select_top_k,
    top_k_counts,
    top_k_list,
)
from driftflag.evaluation.truth import (
    TruthReport,
    expected_auc,
    monthly_top_k_truth,
    read_truth,
    top_k_mean,
    truth_report,
)

__all__ = [
    "DEFAULT_CALIBRATION_BINS",
    "METRICS",
    "POOLED",
    "EvaluationError",
    "MetricTable",
    "TopKCounts",
    "TopKResult",
    "TruthReport",
    "average_precision",
    "bootstrap_ci",
    "expected_auc",
    "brier_score",
    "expected_calibration_error",
    "precision_at_k",
    "ranking_order",
    "read_truth",
    "recall_at_k",
    "reliability_curve",
    "resample_indices",
    "resolve_k",
    "select_top_k",
    "roc_auc",
    "monthly_top_k_truth",
    "top_k_counts",
    "top_k_list",
    "top_k_mean",
    "truth_report",
]
