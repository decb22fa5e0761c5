"""Typed errors of the monitoring package."""

from __future__ import annotations

from driftflag.errors import DriftflagError


class MonitoringError(DriftflagError):
    """Data drift monitoring cannot run as asked (bad reference, missing columns, no rows)."""
