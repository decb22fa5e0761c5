"""Options every command parses the same way, once, at the entry point."""

from __future__ import annotations

from pathlib import Path

from driftflag.errors import ConfigError
from driftflag.month import Month
from driftflag.workspace import ENV_WORKSPACE, Workspace

NO_WORKSPACE = ("no workspace at {path}: train a model first (driftflag train), or give "
                "--workspace (or ${env}) naming the folder that holds mlflow.db")


def parse_month(value: str, option: str = "--month") -> Month:
    """``--month YYYY-MM`` as a :class:`~driftflag.month.Month` (one line for anything else)."""
    return Month.parse(value, option)


def resolve_workspace(option: Path | None, *, create: bool = True,
                      tracking_uri: str | None = None) -> Workspace:
    """The workspace of ``--workspace`` (or ``$DRIFTFLAG_WORKSPACE``, or ./driftflag-workspace).

    A command that only reads the registry (``create=False``) refuses a folder that holds no
    workspace (unless runs and registry are on a server), in one line, instead of creating an empty one and failing later.
    """
    ws = Workspace.resolve(option, create=create, tracking_uri=tracking_uri)
    if not create and ws.local and not (ws.path / "mlflow.db").is_file():
        raise ConfigError(NO_WORKSPACE.format(path=ws.path, env=ENV_WORKSPACE))
    return ws
