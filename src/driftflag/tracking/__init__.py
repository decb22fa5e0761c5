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
from driftflag.tracking.model_card import ModelCard, render_model_card
from driftflag.tracking.registry import (
    CHALLENGER,
    CHAMPION,
    GateResult,
    list_versions,
    promote,
    rollback,
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
    "ModelCard",
    "RunResult",
    "TrackingError",
    "artifact_root",
    "list_versions",
    "log_training_run",
    "manifest_sha256",
    "model_name",
    "promote",
    "render_model_card",
    "resolve_workspace",
    "rollback",
    "show",
    "synthetic_input_example",
    "tracking_uri",
    "use_workspace",
]
