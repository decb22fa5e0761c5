"""``driftflag serve`` and ``driftflag users add``: the web app of the audit month.

:mod:`driftflag.cli` registers them. A password is never an argument (it would sit in the shell
history and the process list): ``users add`` reads it from ``$DRIFTFLAG_PASSWORD`` or standard
input (asked twice, hidden, at a terminal).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from driftflag import HUMAN_DECISION_NOTICE
from driftflag.errors import ConfigError

__all__ = ["PASSWORD_ENV", "serve", "users_add"]

PASSWORD_ENV = "DRIFTFLAG_PASSWORD"
_WS = typer.Option("--workspace", help="Workspace folder (default ./driftflag-workspace or $DRIFTFLAG_WORKSPACE); "
                   "the web app's database (SQLite) is kept in it unless $DATABASE_URL names another.")
_STORE = typer.Option("--store", help="Case store folder (its records/ hold the worklists and the audit ledger).")


def serve(
    store: Annotated[Path, _STORE],
    workspace: Annotated[Path | None, _WS] = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")] = 8000,
    reports: Annotated[Path | None, typer.Option(
        "--reports", help="Folder holding the scorecard, fairness pack and monitoring outputs (default: the "
        "store's parent folder).")] = None,
    policy: Annotated[Path, typer.Option("--policy", help="Sampling policy for worklists made on the web.")]
    = Path("pipelines/monthly_audit.yaml"),
    mlflow_url: Annotated[str | None, typer.Option("--mlflow-url", help="Address of the MLflow UI to link to.")] = None,
    threads: Annotated[int, typer.Option("--threads", min=1, max=64, help="Requests served at once.")] = 8,
) -> None:
    """Serve the audit month on the web: worklist, case cards and audit entry behind a login.

    With no account yet, the QA lead's account (qa-lead) is made and its password shown once."""
    from driftflag.cli._options import resolve_workspace
    from driftflag.web.server import serve as run

    ws = resolve_workspace(workspace, create=False)
    typer.echo(f"driftflag web app on http://{host}:{port}/ (store {store}, workspace {ws.path}); Ctrl+C stops it")
    typer.echo(HUMAN_DECISION_NOTICE)
    run(ws.path, store, host=host, port=port, threads=threads, reports=reports, policy=policy,
        mlflow_url=mlflow_url, announce=typer.echo)


def _password() -> str:
    given = os.environ.get(PASSWORD_ENV)
    if given:
        return given
    if sys.stdin is not None and sys.stdin.isatty():
        import getpass

        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password again: "):
            raise ConfigError("the two passwords differ; nothing was changed")
        return first
    line = sys.stdin.readline() if sys.stdin is not None else ""
    if not line.strip():
        raise ConfigError(f"no password: give it on standard input or in ${PASSWORD_ENV}")
    return line.rstrip("\r\n")


def users_add(
    name: Annotated[str, typer.Argument(help="User name (what the person signs in with).")],
    role: Annotated[str, typer.Option("--role", help="qa_lead, auditor, ethics_panel or data_scientist.")],
    store: Annotated[Path, _STORE],
    workspace: Annotated[Path | None, _WS] = None,
    full_name: Annotated[str, typer.Option("--full-name", help="Name shown on audits (default: the user name).")] = "",
    superuser: Annotated[bool, typer.Option("--superuser", help="May also use the admin pages.")] = False,
) -> None:
    """Create a web user with a role, or change an existing user's password and role. The password
    is read from standard input or $DRIFTFLAG_PASSWORD, never from an argument."""
    from driftflag.cli._options import resolve_workspace
    from driftflag.web.server import add_user

    ws = resolve_workspace(workspace, create=False)
    outcome = add_user(ws.path, store, name, role, _password(), full_name=full_name, superuser=superuser)
    typer.echo(f"{outcome} user {name} ({role})")
