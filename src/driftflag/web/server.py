"""Serving the app and adding users: what ``driftflag serve`` and ``driftflag users add`` call.

Serving migrates the database first (so one command brings a new workspace up) and runs the
app on waitress, a production WSGI server in pure Python, with a thread per request up to
``threads``. Put it behind the council's reverse proxy for HTTPS (docs/web.md).
"""

from __future__ import annotations

from pathlib import Path

from driftflag.errors import ConfigError


def prepare(workspace: Path, store: Path, **options) -> None:
    """Configure Django, migrate its database and create the role groups."""
    from driftflag.casemodel.store import MANIFEST

    if not (Path(store) / MANIFEST).is_file():
        raise ConfigError(f"{store}: not a driftflag case store (run driftflag ingest first, or give --store)")
    from driftflag.web.config import configure

    configure(workspace, store, **options)
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from driftflag.web.roles import ensure_groups

    ensure_groups()


FIRST_USER = "qa-lead"


def first_account() -> tuple[str, str] | None:
    """With no account at all, create the QA lead's (user name, new random password) so a new
    workspace can be opened at once; None when accounts exist. The password is shown once, by
    the caller; change it with ``driftflag users add qa-lead --role qa_lead``."""
    import secrets

    from django.contrib.auth import get_user_model

    from driftflag.web.roles import QA_LEAD, set_role

    model = get_user_model()
    if model.objects.exists():
        return None
    password = secrets.token_urlsafe(12)
    user = model.objects.create_user(FIRST_USER, password=password, first_name="QA", last_name="lead")
    set_role(user, QA_LEAD)
    return FIRST_USER, password


def serve(workspace: Path, store: Path, *, host: str = "127.0.0.1", port: int = 8000, threads: int = 8,
          announce=print, **options) -> None:
    """Serve the app until interrupted (``announce`` shows the first account, when one is made)."""
    import os

    # the names people reach the app by, behind a proxy: $DRIFTFLAG_WEB_HOSTS (comma-separated)
    extra = tuple(h.strip() for h in os.environ.get("DRIFTFLAG_WEB_HOSTS", "").split(",") if h.strip())
    prepare(workspace, store, hosts=(host, "127.0.0.1", "localhost", *extra), **options)
    made = first_account()
    if made:
        announce(f"No accounts yet: created the QA lead's account {made[0]!r} with password {made[1]} "
                 "(shown once; change it with: driftflag users add qa-lead --role qa_lead)")
    from django.core.wsgi import get_wsgi_application
    from waitress import serve as waitress_serve

    waitress_serve(get_wsgi_application(), host=host, port=port, threads=threads, ident="driftflag",
                   clear_untrusted_proxy_headers=True)


def add_user(workspace: Path, store: Path, name: str, role: str, password: str, *, full_name: str = "",
             superuser: bool = False) -> str:
    """Create (or update the password and role of) a user; returns "created" or "updated"."""
    from driftflag.web.roles import ROLES, set_role

    if role not in ROLES:
        raise ConfigError(f"--role must be one of {', '.join(ROLES)}")
    prepare(workspace, store)
    from django.contrib.auth import get_user_model
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    model = get_user_model()
    user = model.objects.filter(username=name).first()
    try:
        validate_password(password, user)
    except ValidationError as e:
        raise ConfigError("password refused: " + " ".join(e.messages)) from e
    outcome = "updated" if user else "created"
    if user is None:
        user = model(username=name)
    user.set_password(password)
    if full_name:
        first, _, last = full_name.partition(" ")
        user.first_name, user.last_name = first, last
    user.is_staff = user.is_superuser = superuser or user.is_superuser
    user.save()
    set_role(user, role)
    return outcome
