"""Typed errors of the tracking package."""

from __future__ import annotations

from driftflag.errors import DriftflagError


class TrackingError(DriftflagError):
    """The MLflow workspace, a run or the model registry cannot do what was asked."""
