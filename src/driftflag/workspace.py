"""The workspace every stage shares: a folder, an MLflow tracking URI and a registry URI.

Resolved once at the entry point (the CLI's ``--workspace``, a pipeline's ``workspace:``, or a
notebook) and passed down to every stage, so a team server named by ``tracking_uri`` is the
one every stage writes to.

The folder is, in order: the argument, the ``DRIFTFLAG_WORKSPACE`` environment variable,
``./driftflag-workspace`` under the current folder. The URIs are, in order: the arguments,
``DRIFTFLAG_TRACKING_URI`` / ``DRIFTFLAG_REGISTRY_URI`` (the registry defaults to the tracking
URI), the folder's own SQLite store ``sqlite:///<folder>/mlflow.db``: always explicit, never
MLflow's ``./mlruns`` (refused by MLflow 3.14+, ``ml-anchors-and-tooling.md`` §4.4). driftflag's
own variables, not MLflow's ``MLFLOW_TRACKING_URI``: MLflow sets that one itself whenever a URI
is chosen in the process, so it cannot say what the user asked for.

This is the one workspace type: :mod:`driftflag.tracking` re-exports it and uses it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from driftflag._telemetry import disable_telemetry

__all__ = ["DEFAULT_WORKSPACE", "ENV_REGISTRY_URI", "ENV_TRACKING_URI", "ENV_WORKSPACE", "Workspace",
           "artifact_root", "resolve_workspace", "tracking_uri"]

ENV_WORKSPACE = "DRIFTFLAG_WORKSPACE"
ENV_TRACKING_URI = "DRIFTFLAG_TRACKING_URI"
ENV_REGISTRY_URI = "DRIFTFLAG_REGISTRY_URI"
DEFAULT_WORKSPACE = "driftflag-workspace"


def resolve_workspace(option: str | Path | None = None, *, create: bool = True) -> Path:
    """The absolute workspace folder (created with ``artifacts/`` unless ``create=False``).
    Switches MLflow's usage telemetry off (:func:`driftflag._telemetry.disable_telemetry`)."""
    disable_telemetry()
    chosen = option or os.environ.get(ENV_WORKSPACE) or Path.cwd() / DEFAULT_WORKSPACE
    path = Path(chosen).expanduser().resolve()
    if create:
        (path / "artifacts").mkdir(parents=True, exist_ok=True)
    return path


def tracking_uri(workspace: str | Path) -> str:
    """``sqlite:///<absolute workspace>/mlflow.db`` (four slashes before an absolute POSIX path)."""
    disable_telemetry()
    db = (Path(workspace).resolve() / "mlflow.db").as_posix()
    return f"sqlite:///{db.lstrip('/')}" if os.name == "nt" else f"sqlite:///{db}"


def artifact_root(workspace: str | Path) -> str:
    """``file://`` URI of the workspace's artifact folder, given to every experiment."""
    return (Path(workspace).resolve() / "artifacts").as_uri()


@dataclass(frozen=True)
class Workspace:
    """Where models, runs and the registry live (a value object; build it with :meth:`resolve`)."""

    path: Path
    tracking_uri: str
    registry_uri: str

    @classmethod
    def resolve(cls, folder: str | Path | Workspace | None = None, *, tracking_uri: str | None = None,
                registry_uri: str | None = None, create: bool = True) -> Workspace:
        """The workspace at ``folder`` with its URIs resolved (see the module docstring); the
        folder is created with ``artifacts/`` unless ``create=False``. A :class:`Workspace` is
        returned as it is."""
        if isinstance(folder, Workspace):
            return folder
        path = resolve_workspace(folder, create=create)
        env_track = os.environ.get(ENV_TRACKING_URI)
        track = tracking_uri or env_track or _own_uri(path)
        reg = registry_uri or os.environ.get(ENV_REGISTRY_URI) or tracking_uri or env_track \
            or _own_uri(path)
        return cls(path=path, tracking_uri=track, registry_uri=reg)

    @property
    def folder(self) -> Path:
        """The workspace folder (the same as :attr:`path`)."""
        return self.path

    @property
    def local(self) -> bool:
        """True when runs and the registry are the folder's own SQLite store."""
        own = _own_uri(self.path)
        return self.tracking_uri == own and self.registry_uri == own

    @property
    def artifact_location(self) -> str | None:
        """Where new experiments keep artifacts: the folder's ``artifacts/`` unless a tracking
        server stores them (``http(s)://``: the server's ``--artifacts-destination``)."""
        if urlparse(self.tracking_uri).scheme in ("http", "https", "databricks"):
            return None
        return artifact_root(self.path)

    def __fspath__(self) -> str:
        return str(self.path)

    def __str__(self) -> str:
        return str(self.path) if self.local else f"{self.path} (MLflow at {self.tracking_uri})"


_own_uri = tracking_uri
