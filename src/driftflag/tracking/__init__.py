"""Experiment tracking and the model registry (MLflow, always an explicit SQLite store).

The only driftflag package that talks to MLflow; MLflow is imported inside functions so that
importing driftflag stays fast and touches nothing.
"""

from driftflag.tracking._errors import TrackingError
from driftflag.tracking._workspace import (
    ENV_WORKSPACE,
    artifact_root,
    resolve_workspace,
    tracking_uri,
)
from driftflag.tracking.loading import TRUSTED_MODEL_TYPES, check_model_ref, load_registered_model
from driftflag.tracking.model_card import ModelCard, render_model_card
from driftflag.tracking.registry import (
    CHALLENGER,
    CHAMPION,
    GateResult,
    InUse,
    aliases,
    decisions,
    in_use,
    list_versions,
    promote,
    resolve_version,
    rollback,
    settle_after_training,
    show,
)
from driftflag.tracking.runs import (
    RunResult,
    log_training_run,
    manifest_sha256,
    model_name,
    synthetic_input_example,
    use_workspace,
)

__all__ = [
    "CHALLENGER",
    "CHAMPION",
    "ENV_WORKSPACE",
    "GateResult",
    "InUse",
    "ModelCard",
    "RunResult",
    "TRUSTED_MODEL_TYPES",
    "TrackingError",
    "aliases",
    "artifact_root",
    "check_model_ref",
    "decisions",
    "in_use",
    "list_versions",
    "load_registered_model",
    "log_training_run",
    "manifest_sha256",
    "model_name",
    "promote",
    "render_model_card",
    "resolve_version",
    "resolve_workspace",
    "rollback",
    "settle_after_training",
    "show",
    "synthetic_input_example",
    "tracking_uri",
    "use_workspace",
]
