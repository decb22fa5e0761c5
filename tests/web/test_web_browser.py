"""The browser walk: Playwright driving Debian's chromium (headless, nothing downloaded) against
a live server: the QA lead signs in, opens the month, assigns three cases; the auditor sees
exactly those three, submits a bad date (a clear message) then a good grade; the QA lead sees
it; the ethics panel gets 403 on a case card; the access log holds each step.

Skipped only when /usr/bin/chromium is missing (``make test`` installs the Debian package first),
and then failed instead when ``DRIFTFLAG_REQUIRE_BROWSER`` is set (``.ci/run`` sets it).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from web_helpers import MONTH, PASSWORD

from driftflag.casemodel import ledger
from driftflag.web import month_data

CHROMIUM = Path(os.environ.get("DRIFTFLAG_CHROMIUM", "/usr/bin/chromium"))
SHOTS = os.environ.get("DRIFTFLAG_WEB_SCREENSHOTS")  # a folder: keep a screenshot of every page

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture()
def browser():
    if not CHROMIUM.is_file() and not shutil.which("chromium"):
        why = f"no chromium at {CHROMIUM} (Debian package chromium; make test installs it)"
        if os.environ.get("DRIFTFLAG_REQUIRE_BROWSER"):
            pytest.fail(why + " but DRIFTFLAG_REQUIRE_BROWSER is set")
        pytest.skip(why)
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM if CHROMIUM.is_file() else shutil.which("chromium")),
                              headless=True, args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


def _sign_in(browser, base: str, user: str):
    ctx = browser.new_context(java_script_enabled=False)  # the pages work without JavaScript
    page = ctx.new_page()
    page.goto(f"{base}/login/")
    page.fill("#username", user)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    return page


def _shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def _steps() -> list[tuple[str, str, str]]:
    """The access log, read on a connection closed straight after: under Playwright's event loop
    the ORM opens a connection of its own, which would otherwise outlive the test database."""
    from django.db import connections

    from driftflag.web.models import AccessEntry

    try:
        return list(AccessEntry.objects.order_by("at", "id").values_list("username", "action", "child_id"))
    finally:
        connections.close_all()


def test_the_month_in_a_browser(browser, live_server, people, month_store):
    base = live_server.url
    cases = list(month_data.issued_worklist(month_store, MONTH).index)
    chosen = cases[:3]

    lead = _sign_in(browser, base, "lead")
    assert lead.url.endswith("/months/")
    _shot(lead, "01-months")
    lead.click(f"text=Open the {MONTH} worklist")
    assert f"Worklist for {MONTH}" in lead.inner_text("h1")
    for c in chosen:
        lead.check(f"#case-{c}")
    lead.select_option("#auditor", label="PM1")
    lead.click("text=Assign")
    assert "3 cases assigned to PM1" in lead.inner_text("main")
    _shot(lead, "02-worklist")

    pm = _sign_in(browser, base, "pm1")
    assert pm.url.endswith("/my-cases/")
    listed = [a.inner_text() for a in pm.query_selector_all("table a")]
    assert sorted(listed) == sorted(chosen)
    _shot(pm, "03-my-cases")
    pm.click(f"text={chosen[0]}")
    pm.select_option("#grade", "Good")
    pm.check("input[name=drift_found][value=No]")
    pm.fill("#audit_date", "2025-12-01")
    pm.click("text=Save the audit")
    message = pm.inner_text("[role=alert]")
    assert "The audit was not saved" in message and "must be between 1 March 2026 and 30 April 2026" in message
    _shot(pm, "04-bad-date")
    assert not len(ledger.audit_history(month_store))
    pm.fill("#audit_date", "2026-03-18")
    pm.fill("#notes", "Plan reviewed on time.")
    pm.click("text=Save the audit")
    assert "Audit recorded." in pm.inner_text("main")
    _shot(pm, "05-case-card")
    rec = ledger.current_records(month_store)
    assert rec["child_id"].astype(str).tolist() == [chosen[0]] and rec["grade"].tolist() == ["Good"]

    lead.goto(f"{base}/month/{MONTH}/audits/")
    row = lead.inner_text("tbody")
    assert chosen[0] in row and "Good" in row and "pm1" in row
    _shot(lead, "06-audits")

    panel = _sign_in(browser, base, "panel")
    response = panel.goto(f"{base}/month/{MONTH}/case/{chosen[0]}/")
    assert response.status == 403
    _shot(panel, "07-ethics-403")
    panel.goto(f"{base}/figures/")
    assert "no child is shown here" in panel.inner_text("main")
    _shot(panel, "08-figures")

    lead.goto(f"{base}/access-log/")
    _shot(lead, "09-access-log")
    steps = _steps()
    expected = [("lead", "signed in", ""), ("lead", "viewed worklist", ""),
                *[("lead", "assigned case", c) for c in chosen], ("pm1", "signed in", ""),
                ("pm1", "viewed my cases", ""), ("pm1", "viewed case card", chosen[0]),
                ("pm1", "audit not saved", chosen[0]), ("pm1", "audit recorded", chosen[0]),
                ("lead", "viewed audits", ""), ("panel", "signed in", ""), ("panel", "refused", chosen[0])]
    it = iter(steps)
    missing = [s for s in expected if not any(s == got for got in it)]
    assert not missing, f"access log lacks, in order: {missing}"
    page_text = lead.inner_text("table")
    assert "audit recorded" in page_text and "refused" in page_text
