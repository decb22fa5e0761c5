"""Where MLflow keeps runs and models: one workspace folder, always an explicit SQLite store.

MLflow's file store (``./mlruns``) is deprecated and refused by MLflow 3.14+
(``ml-anchors-and-tooling.md`` §4.4), and MLflow's own default would write ``mlflow.db`` to
whatever folder the command runs in. driftflag therefore always passes an explicit
``sqlite:///<workspace>/mlflow.db`` tracking URI and an artifact location under
``<workspace>/artifacts``.

The workspace is, in order: the ``--workspace`` option, the ``DRIFTFLAG_WORKSPACE`` environment
variable, ``./driftflag-workspace`` under the current folder. Setting a workspace up also
switches MLflow's usage telemetry off (:func:`driftflag._telemetry.disable_telemetry`).
"""

from __future__ import annotations

import os
from pathlib import Path

from driftflag._telemetry import disable_telemetry

__all__ = ["ENV_WORKSPACE", "artifact_root", "resolve_workspace", "tracking_uri"]

ENV_WORKSPACE = "DRIFTFLAG_WORKSPACE"
DEFAULT_WORKSPACE = "driftflag-workspace"


def resolve_workspace(option: str | Path | None = None, *, create: bool = True) -> Path:
    """The absolute workspace folder (created with ``artifacts/`` unless ``create=False``)."""
    disable_telemetry()
    chosen = option or os.environ.get(ENV_WORKSPACE) or Path.cwd() / DEFAULT_WORKSPACE
    path = Path(chosen).expanduser().resolve()
    if create:
        (path / "artifacts").mkdir(parents=True, exist_ok=True)
    return path


def tracking_uri(workspace: Path) -> str:
    """``sqlite:///<absolute workspace>/mlflow.db`` (four slashes before an absolute POSIX path)."""
    disable_telemetry()
    return f"sqlite:///{(Path(workspace).resolve() / 'mlflow.db').as_posix().lstrip('/')}" \
        if os.name == "nt" else f"sqlite:///{(Path(workspace).resolve() / 'mlflow.db').as_posix()}"


def artifact_root(workspace: Path) -> str:
    """``file://`` URI of the workspace's artifact folder, given to every experiment."""
    return (Path(workspace).resolve() / "artifacts").as_uri()
