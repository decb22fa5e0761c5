"""Typed errors of the fairness audit."""

from __future__ import annotations

from driftflag.errors import ConfigError, SchemaError


class FairnessConfigError(ConfigError):
    """A fairness configuration value is not allowed (unknown dimension, bad band, bad file)."""


class ScoredCaseloadError(SchemaError):
    """The scored caseload does not have the columns or values the fairness audit needs.

    Carries the problem so the message names the column.
    """

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(f"scored caseload: {reason}")
