"""Typed errors of the models package."""

from __future__ import annotations

from driftflag.errors import ConfigError, DriftflagError


class ModelSpecError(ConfigError):
    """A model specification (``models/*.yaml``) is invalid or asks for something not allowed."""


class ProtectedFeatureError(ModelSpecError):
    """A protected characteristic was requested as a model input without a written reason.

    Carries the feature and the spec so the message says exactly what to add.
    """

    def __init__(self, feature: str, spec_name: str):
        self.feature = feature
        self.spec_name = spec_name
        super().__init__(
            f"model spec {spec_name!r}: feature {feature!r} is a protected characteristic and is "
            f"never a model input by default; to use it, add it under "
            f"'protected_features_allowed' with a written reason, e.g. "
            f"protected_features_allowed: {{{feature}: \"<why, and who approved it>\"}}"
        )


class TrainingError(DriftflagError):
    """Models could not be trained on the data given (no rows, one class, missing features)."""
