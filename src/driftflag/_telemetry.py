"""Usage telemetry off: driftflag works on children's records and never calls out.

MLflow 3.2+ sends anonymous usage data by default and decides whether to when ``mlflow`` is
first imported (``MLFLOW_DISABLE_TELEMETRY``, or the cross-tool ``DO_NOT_TRACK``; MLflow's
"Usage Tracking" page). Great Expectations sends analytics unless ``GX_ANALYTICS_ENABLED`` is
false. :func:`disable_telemetry` is called by every driftflag entry point and workspace setup
before MLflow or GX is imported; nothing happens at import time.
"""

from __future__ import annotations

import os
import sys

__all__ = ["NO_TELEMETRY", "disable_telemetry"]

#: The environment that switches usage telemetry off (forced, not defaulted: a shell setting
#: cannot turn it back on for driftflag).
NO_TELEMETRY: dict[str, str] = {
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "GX_ANALYTICS_ENABLED": "false",
}


def disable_telemetry() -> None:
    """Set :data:`NO_TELEMETRY`; if MLflow was imported already, drop its telemetry client."""
    os.environ.update(NO_TELEMETRY)
    telemetry = sys.modules.get("mlflow.telemetry")
    if telemetry is not None and hasattr(telemetry, "set_telemetry_client"):
        telemetry.set_telemetry_client()  # re-reads the switch: no client from now on
