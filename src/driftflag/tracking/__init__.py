"""Experiment tracking and the model registry (MLflow, always an explicit SQLite store).

The only driftflag package that talks to MLflow; MLflow is imported inside functions so that
importing driftflag stays fast and touches nothing.
"""

from driftflag.tracking._errors import TrackingError
from driftflag.tracking._workspace import (
    ENV_REGISTRY_URI,
    ENV_TRACKING_URI,
    ENV_WORKSPACE,
    Workspace,
    artifact_root,
    as_workspace,
    resolve_workspace,
    tracking_server,
    tracking_uri,
)
from driftflag.tracking.loading import (
    TRUSTED_MODEL_TYPES,
    LoadedModel,
    check_model_ref,
    load_model,
    load_registered_model,
)
from driftflag.tracking.model_card import ModelCard, render_model_card
from driftflag.tracking.registry import (
    CHALLENGER,
    CHAMPION,
    GateResult,
    InUse,
    aliases,
    decisions,
    describe_version,
    in_use,
    list_versions,
    move_alias,
    promote,
    resolve_version,
    rollback,
    settle_after_training,
    show,
)
from driftflag.tracking.runs import (
    RunResult,
    experiment_id,
    log_training_run,
    manifest_sha256,
    model_name,
    synthetic_input_example,
    use_workspace,
)

__all__ = [
    "CHALLENGER",
    "CHAMPION",
    "ENV_REGISTRY_URI",
    "ENV_TRACKING_URI",
    "ENV_WORKSPACE",
    "GateResult",
    "InUse",
    "LoadedModel",
    "ModelCard",
    "RunResult",
    "TRUSTED_MODEL_TYPES",
    "TrackingError",
    "Workspace",
    "aliases",
    "artifact_root",
    "as_workspace",
    "check_model_ref",
    "decisions",
    "describe_version",
    "experiment_id",
    "in_use",
    "list_versions",
    "load_model",
    "load_registered_model",
    "log_training_run",
    "manifest_sha256",
    "model_name",
    "move_alias",
    "promote",
    "render_model_card",
    "resolve_version",
    "resolve_workspace",
    "rollback",
    "settle_after_training",
    "show",
    "synthetic_input_example",
    "tracking_server",
    "tracking_uri",
    "use_workspace",
]
