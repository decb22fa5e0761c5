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
from pathlib import Path

from driftflag.workspace import (
    ENV_REGISTRY_URI,
    ENV_TRACKING_URI,
    ENV_WORKSPACE,
    Workspace,
    artifact_root,
    resolve_workspace,
    tracking_uri,
)

__all__ = ["ENV_REGISTRY_URI", "ENV_TRACKING_URI", "ENV_WORKSPACE", "Workspace", "artifact_root",
           "as_workspace", "resolve_workspace", "tracking_server", "tracking_uri"]


def as_workspace(workspace: Workspace | str | Path | None = None, *, create: bool = False,
                 tracking: str | None = None, registry: str | None = None) -> Workspace:
    """``workspace`` itself, or the workspace of a folder with its URIs resolved (see the module
    docstring). ``tracking`` / ``registry`` override the environment."""
    return Workspace.resolve(workspace, tracking_uri=tracking, registry_uri=registry, create=create)


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
