"""Where MLflow keeps runs and models: one workspace folder, always an explicit SQLite store.

MLflow's file store (``./mlruns``) is deprecated and refused by MLflow 3.14+
(``ml-anchors-and-tooling.md`` §4.4), and MLflow's own default would write ``mlflow.db`` to
whatever folder the command runs in. driftflag therefore always passes an explicit
``sqlite:///<workspace>/mlflow.db`` tracking URI and an artifact location under
``<workspace>/artifacts``.

The workspace is, in order: the ``--workspace`` option, the ``DRIFTFLAG_WORKSPACE`` environment
variable, ``./driftflag-workspace`` under the current folder. Setting a workspace up also
switches MLflow's usage telemetry off (:func:`driftflag._telemetry.disable_telemetry`).

A team keeps runs and the registry on an MLflow server instead: a :class:`Workspace` names the
tracking and registry URIs, taken from its arguments, else ``DRIFTFLAG_TRACKING_URI`` /
``DRIFTFLAG_REGISTRY_URI`` (the registry defaults to the tracking URI), else the workspace's
SQLite store. Every stage reaches MLflow through :func:`as_workspace`, so every stage honours
them (a pipeline's ``tracking_uri:`` is applied with :func:`tracking_server`). driftflag's own
variables, not MLflow's ``MLFLOW_TRACKING_URI``: MLflow sets that one itself whenever a URI is
chosen in the process, so it cannot say what the user asked for.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from driftflag._telemetry import disable_telemetry

__all__ = ["ENV_REGISTRY_URI", "ENV_TRACKING_URI", "ENV_WORKSPACE", "Workspace", "artifact_root",
           "as_workspace", "resolve_workspace", "tracking_server", "tracking_uri"]

ENV_WORKSPACE = "DRIFTFLAG_WORKSPACE"
ENV_TRACKING_URI = "DRIFTFLAG_TRACKING_URI"
ENV_REGISTRY_URI = "DRIFTFLAG_REGISTRY_URI"
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


@dataclass(frozen=True)
class Workspace:
    """A workspace folder and the MLflow tracking and registry URIs its stages use."""

    folder: Path
    tracking_uri: str
    registry_uri: str

    @property
    def local(self) -> bool:
        """True when runs and the registry are the folder's own SQLite store."""
        own = tracking_uri(self.folder)
        return self.tracking_uri == own and self.registry_uri == own

    @property
    def artifact_location(self) -> str | None:
        """Where new experiments keep artifacts: the folder's ``artifacts/`` unless a tracking
        server stores them (``http(s)://``: the server's ``--artifacts-destination``)."""
        if urlparse(self.tracking_uri).scheme in ("http", "https", "databricks"):
            return None
        return artifact_root(self.folder)

    def __fspath__(self) -> str:
        return str(self.folder)

    def __str__(self) -> str:
        return str(self.folder) if self.local else f"{self.folder} (MLflow at {self.tracking_uri})"


def as_workspace(workspace: Workspace | str | Path | None = None, *, create: bool = False,
                 tracking: str | None = None, registry: str | None = None) -> Workspace:
    """``workspace`` itself, or the workspace of a folder with its URIs resolved (see the module
    docstring). ``tracking`` / ``registry`` override the environment."""
    if isinstance(workspace, Workspace):
        return workspace
    folder = resolve_workspace(workspace, create=create)
    track = tracking or os.environ.get(ENV_TRACKING_URI) or tracking_uri(folder)
    reg = registry or os.environ.get(ENV_REGISTRY_URI) or (tracking or os.environ.get(ENV_TRACKING_URI)) \
        or tracking_uri(folder)
    return Workspace(folder=folder, tracking_uri=track, registry_uri=reg)


@contextlib.contextmanager
def tracking_server(tracking: str | None, registry: str | None = None) -> Iterator[None]:
    """Within the block every stage uses ``tracking`` (and ``registry``, default the same) unless
    told otherwise; ``None`` changes nothing. Used by a pipeline's ``tracking_uri:``."""
    if not tracking:
        yield
        return
    saved = {k: os.environ.get(k) for k in (ENV_TRACKING_URI, ENV_REGISTRY_URI)}
    os.environ[ENV_TRACKING_URI] = tracking
    os.environ[ENV_REGISTRY_URI] = registry or tracking
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
