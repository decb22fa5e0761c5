"""The web app's plain parts: the audit form's rules, the inline charts, the CLI's accounts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from web_helpers import MONTH

from driftflag.web.audit_entry import Entry, check
from driftflag.web.charts import sparkline

SCALE = ("Outstanding", "Good", "Requires improvement", "Inadequate")


@pytest.mark.parametrize(("entry", "fields"), [
    (Entry("good", "yes", "", "2026-03-01"), set()),
    (Entry("Requires  Improvement", "No", "No", "2026-04-30"), set()),
    (Entry("Great", "yes", "", "2026-03-01"), {"grade"}),
    (Entry("Good", "maybe", "", "2026-03-01"), {"drift_found"}),
    (Entry("Good", "yes", "perhaps", "2026-03-01"), {"actions_set"}),
    (Entry("Good", "yes", "", "2026-02-28"), {"audit_date"}),
    (Entry("Good", "yes", "", "2026-05-01"), {"audit_date"}),
    (Entry("Good", "yes", "", "01/03/2026"), {"audit_date"}),
    (Entry("", "", "", ""), {"grade", "drift_found", "audit_date"}),
])
def test_audit_form_rules(entry, fields):
    values, errors = check(entry, MONTH, SCALE)
    assert set(errors) == fields
    if not fields:
        assert values["grade"] in SCALE and isinstance(values["drift_found"], bool)


def test_every_message_says_what_to_fix():
    _, errors = check(Entry("x", "x", "x", "2020-01-01"), MONTH, SCALE)
    assert "Outstanding, Good, Requires improvement, Inadequate" in errors["grade"]
    assert "Yes or No" in errors["drift_found"]
    assert "1 March 2026 and 30 April 2026" in errors["audit_date"]


def test_sparkline_gaps_and_escaping():
    svg = str(sparkline([1, 2, None, 4, float("nan"), 6], ["Jan <b>", "", "", "", "", "Jun"], "A & B", "days"))
    assert svg.startswith("<svg") and "<script" not in svg
    assert svg.count("<polyline") == 1  # [1, 2] is a line; 4 and 6 stand alone as dots
    assert svg.count('r="2.5"') == 2
    assert "A &amp; B" in svg and "Jan &lt;b&gt;" in svg and "latest 6 days" in svg
    empty = str(sparkline([None] * 24, ["a"] * 24, "t", "days"))
    assert "not available in these months" in empty


def _cli(args, *, stdin="", env=None):
    e = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DRIFTFLAG_PASSWORD")}
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "driftflag.cli", *args], input=stdin, capture_output=True,
                          text=True, env=e, timeout=120)


@pytest.mark.slow
def test_users_add_reads_the_password_never_an_argument(tmp_path, web_month):
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "mlflow.db").write_bytes((web_month["workspace"] / "mlflow.db").read_bytes())
    base = ["users", "add", "amira", "--store", str(web_month["store"]), "--workspace", str(ws)]
    r = _cli([*base, "--role", "auditor"], stdin="a-long-enough-password-1\n")
    assert r.returncode == 0 and r.stdout.strip() == "created user amira (auditor)", r.stderr
    r = _cli([*base, "--role", "qa_lead"], env={"DRIFTFLAG_PASSWORD": "another-long-password-2"})
    assert r.returncode == 0 and "updated user amira (qa_lead)" in r.stdout
    short = _cli([*base, "--role", "auditor"], stdin="short\n")
    assert short.returncode == 2 and "password refused" in short.stderr and "Traceback" not in short.stderr
    none = _cli([*base, "--role", "auditor"], stdin="")
    assert none.returncode == 2 and "no password" in none.stderr
    bad_role = _cli([*base, "--role", "boss"], stdin="a-long-enough-password-1\n")
    assert bad_role.returncode == 2 and "qa_lead, auditor, ethics_panel, data_scientist" in bad_role.stderr
    assert _cli([*base, "--role", "auditor", "--password", "x"]).returncode != 0  # no such option
    assert (ws / "web" / "web.sqlite3").is_file()
    assert oct((ws / "web" / "secret_key").stat().st_mode & 0o777) == "0o600"


@pytest.mark.django_db
def test_first_account_only_when_there_is_none():
    from django.contrib.auth import authenticate

    from driftflag.web.roles import QA_LEAD, role_of
    from driftflag.web.server import first_account

    name, password = first_account()
    assert role_of(authenticate(username=name, password=password)) == QA_LEAD
    assert first_account() is None


def test_settings_from_database_url(tmp_path, monkeypatch):
    from driftflag.web.config import database

    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@127.0.0.1:5433/driftflag")
    db = database(tmp_path)
    assert db["ENGINE"] == "django.db.backends.postgresql" and db["PORT"] == 5433 and db["NAME"] == "driftflag"
    monkeypatch.delenv("DATABASE_URL")
    db = database(tmp_path)
    assert db["ENGINE"].endswith("sqlite3") and Path(db["NAME"]) == tmp_path / "web" / "web.sqlite3"
