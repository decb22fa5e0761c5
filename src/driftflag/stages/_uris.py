"""A stage called with a :class:`~driftflag.workspace.Workspace` whose runs or registry are not the
folder's own SQLite store (a team's MLflow server) uses those URIs for everything it does.

The tracking layer below takes workspace folders and reads the URIs from driftflag's own
environment variables (:func:`driftflag.tracking.tracking_server`), so a notebook that builds
``Workspace.resolve("ws", tracking_uri="http://...")`` and calls a stage reaches the server, not
the folder's ``mlflow.db``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from driftflag.workspace import Workspace

F = TypeVar("F", bound=Callable[..., Any])


def honours_workspace(stage: F) -> F:
    """Run ``stage`` with its ``workspace`` argument's URIs in force."""
    signature = inspect.signature(stage)

    @functools.wraps(stage)
    def run(*args: Any, **kwargs: Any) -> Any:
        from driftflag.tracking import tracking_server

        ws = signature.bind_partial(*args, **kwargs).arguments.get("workspace")
        if isinstance(ws, Workspace) and not ws.local:
            with tracking_server(ws.tracking_uri, ws.registry_uri):
                return stage(*args, **kwargs)
        return stage(*args, **kwargs)

    return run  # type: ignore[return-value]
