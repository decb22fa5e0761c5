"""The web tests' Django set-up and their one shared month.

Django is configured here, once, from a throwaway workspace (``driftflag.web.config``); the
database is SQLite unless ``$DATABASE_URL`` names PostgreSQL (``.ci/web_postgres.sh`` runs the
same tests a second time that way). pytest-django creates and removes the test database.
The month (a 400-child synthetic LA, the rule baseline registered, the worklist issued by the
stage) is built once per session; a test that records audits works on its own copy of the store.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from web_helpers import MONTH, PASSWORD, USERS, build_month, copy_store

from driftflag.web.config import configure

os.environ.setdefault("DRIFTFLAG_DB_CONN_MAX_AGE", "0")  # the live server's threads keep no connection
_BOOT = Path(tempfile.mkdtemp(prefix="driftflag-web-boot-"))
configure(_BOOT / "workspace", _BOOT / "store")


@pytest.fixture(scope="session")
def web_month(tmp_path_factory, synthetic_la) -> dict[str, Path]:
    return build_month(tmp_path_factory.mktemp("web"), synthetic_la(children=400, years=3, seed=3))


@pytest.fixture()
def month_store(tmp_path, web_month, settings) -> Path:
    """A copy of the month's store, served by the app for this test."""
    store = copy_store(web_month["store"], tmp_path / "store")
    settings.DRIFTFLAG_STORE = store
    settings.DRIFTFLAG_WORKSPACE = web_month["workspace"]
    settings.DRIFTFLAG_REPORTS = tmp_path
    return store


@pytest.fixture(scope="session")
def password_hash() -> str:
    """PASSWORD hashed once by the app's own hasher (PBKDF2, a million rounds: about 0.25 s of
    CPU a hash). Every test user stores this hash, so signing in still checks the password the
    way the app does; only the hashing of the same password for each user of each test is saved."""
    from django.contrib.auth.hashers import make_password

    return make_password(PASSWORD)


@pytest.fixture()
def people(db, password_hash):
    """One user of each role (two auditors), by user name, each with PASSWORD."""
    from django.contrib.auth import get_user_model

    from driftflag.web.roles import set_role

    made = {}
    for name, role in USERS.items():
        u = get_user_model().objects.create_user(name, first_name=name.upper())
        u.password = password_hash
        u.save(update_fields=["password"])
        set_role(u, role)
        made[name] = u
    return made


@pytest.fixture()
def month_id() -> str:
    return MONTH
