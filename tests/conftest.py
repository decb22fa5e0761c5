"""Suite-wide guard: no test may create MLflow's ``./mlruns`` file store in the working folder
(driftflag always gives MLflow an explicit SQLite store and artifact location)."""

from __future__ import annotations

from pathlib import Path

import pytest

_MLRUNS = Path.cwd() / "mlruns"
_EXISTED = _MLRUNS.exists()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not _EXISTED and _MLRUNS.exists():
        session.exitstatus = 1
        print(f"\nFAILED: a test created {_MLRUNS} (MLflow's default file store); "
              "every MLflow use must get an explicit SQLite tracking URI and artifact location")
