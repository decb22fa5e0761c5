"""The workspace every stage shares: a folder, an MLflow tracking URI and a registry URI.

Resolved once at the entry point (the CLI's ``--workspace``, a pipeline's ``workspace:``, or a
notebook) and passed down to every stage, so a team server named by ``tracking_uri`` is the
one every stage writes to. Without URIs the workspace's own SQLite file is both.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DEFAULT_WORKSPACE", "ENV_WORKSPACE", "Workspace"]

ENV_WORKSPACE = "DRIFTFLAG_WORKSPACE"
DEFAULT_WORKSPACE = "driftflag-workspace"


def _sqlite_uri(folder: Path) -> str:
    db = (folder / "mlflow.db").as_posix()
    return f"sqlite:///{db.lstrip('/')}" if os.name == "nt" else f"sqlite:///{db}"


@dataclass(frozen=True)
class Workspace:
    """Where models, runs and the registry live (a value object; build it with :meth:`resolve`)."""

    path: Path
    tracking_uri: str
    registry_uri: str

    @classmethod
    def resolve(cls, folder: str | Path | Workspace | None = None, *, tracking_uri: str | None = None,
                registry_uri: str | None = None, create: bool = True) -> Workspace:
        """The workspace at ``folder`` (default ``$DRIFTFLAG_WORKSPACE`` or
        ``./driftflag-workspace``), made absolute; created with ``artifacts/`` unless
        ``create=False``. ``tracking_uri`` defaults to the folder's ``mlflow.db``;
        ``registry_uri`` to the tracking URI."""
        if isinstance(folder, Workspace):
            return folder
        chosen = folder or os.environ.get(ENV_WORKSPACE) or Path.cwd() / DEFAULT_WORKSPACE
        path = Path(chosen).expanduser().resolve()
        if create:
            (path / "artifacts").mkdir(parents=True, exist_ok=True)
        uri = tracking_uri or _sqlite_uri(path)
        return cls(path=path, tracking_uri=uri, registry_uri=registry_uri or uri)
