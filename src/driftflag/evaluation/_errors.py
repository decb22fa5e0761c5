"""Typed errors of the evaluation package."""

from __future__ import annotations

from driftflag.errors import DriftflagError


class EvaluationError(DriftflagError):
    """Inputs to a metric cannot be evaluated (mismatched lengths, bad k, no rows)."""
