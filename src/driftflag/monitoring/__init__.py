"""Data drift monitoring of model inputs and scores (not case drift).

>>> from driftflag.monitoring import MonitorConfig, build_reference, monitor   # doctest: +SKIP
>>> ref = build_reference(training_panel, features, "score")   # at training time; aggregates only
>>> ref.write("reference.json")                                 # log beside the model
>>> report = monitor(this_month, ref, MonitorConfig(), audits=None, month="2025-11")
>>> report.verdict, report.reasons                              # stable / watch / retrain, why
>>> report.by_feature()                                         # one row per input
>>> report.write("reports/monitor/2025-11")                     # HTML with charts + JSON
>>> report.log_to_mlflow("sqlite:///ws/mlflow.db", run_id=champion_run_id)
"""

from driftflag.monitoring._config import TEST_BY_KIND, FeatureKind, MonitorConfig
from driftflag.monitoring._errors import MonitoringError
from driftflag.monitoring._mlflow import MONITORING_EXPERIMENT
from driftflag.monitoring._monitor import FEATURE_COLUMNS, MonitorReport, Verdict, monitor
from driftflag.monitoring._reference import (
    REFERENCE_SCHEMA_VERSION,
    FeatureReference,
    PrecisionBaseline,
    Reference,
    build_reference,
    infer_kind,
    kinds_from_registry,
    load_reference,
)
from driftflag.monitoring._stats import benjamini_hochberg, psi

__all__ = [
    "FEATURE_COLUMNS",
    "MONITORING_EXPERIMENT",
    "REFERENCE_SCHEMA_VERSION",
    "TEST_BY_KIND",
    "FeatureKind",
    "FeatureReference",
    "MonitorConfig",
    "MonitorReport",
    "MonitoringError",
    "PrecisionBaseline",
    "Reference",
    "Verdict",
    "benjamini_hochberg",
    "build_reference",
    "infer_kind",
    "kinds_from_registry",
    "load_reference",
    "monitor",
    "psi",
]
