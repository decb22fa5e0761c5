"""Typed errors. The CLI catches :class:`DriftflagError` in one place and prints one line."""

from __future__ import annotations


class DriftflagError(Exception):
    """Base class of every error driftflag reports to a user as one line."""


class ConfigError(DriftflagError):
    """A configuration or command-line value is not allowed."""


class SchemaError(DriftflagError):
    """A table or file does not have the shape driftflag expects."""


class StoreError(DriftflagError):
    """A case store is missing, incomplete or written by an incompatible version."""


class SourceFileError(DriftflagError):
    """A source file cannot be read at all (wrong format, truncated, missing a required column).

    Carries the file and the problem so the message names both.
    """

    def __init__(self, source: str, reason: str):
        self.source = source
        self.reason = reason
        super().__init__(f"{source}: {reason}")

    def __reduce__(self) -> tuple:
        # rebuilt from its two parts when it crosses processes (the ingest reads ahead in one)
        return type(self), (self.source, self.reason)


class CalibrationError(DriftflagError):
    """Calibration could not be computed from the files given."""


class SnapshotError(DriftflagError):
    """An as-of snapshot or panel cannot be computed as asked (bad dates, unknown indicator)."""
