"""The web app through Django's test client: the role matrix (role x page x action), the access
log, audit entry into the ledger, sign-in throttling, secure headers and plain words."""

from __future__ import annotations

import pytest
from web_helpers import MONTH, PASSWORD, RAW

from driftflag.casemodel import ledger
from driftflag.web import month_data
from driftflag.web.models import AccessEntry, Assignment

pytestmark = pytest.mark.django_db


def _cases(store, n=3):
    return list(month_data.issued_worklist(store, MONTH).index[:n])


def _assign(people, cids, to="pm1"):
    for c in cids:
        Assignment.objects.create(month=MONTH, child_id=c, auditor=people[to], assigned_by="lead")


def _pages(store):
    c = _cases(store, 1)[0]
    return {
        "worklist": f"/month/{MONTH}/", "all_audits": f"/month/{MONTH}/audits/",
        "export_workbook": f"/month/{MONTH}/workbook.xlsx", "case_card": f"/month/{MONTH}/case/{c}/",
        "my_cases": "/my-cases/", "access_log": "/access-log/", "audit_report": "/audit-report/",
        "aggregates": "/figures/", "scorecard": "/scorecard/", "fairness": "/fairness/",
        "monitoring": "/monitoring/", "models": "/models/", "months": "/months/",
        "model_card": "/models/1/card/",
    }


#: role -> pages (GET) it may open; everything else answers 403. The auditor's case card is
#: checked with the case assigned to them (see test_auditor_sees_only_assigned_cases).
MAY_OPEN = {
    "lead": {"worklist", "all_audits", "export_workbook", "case_card", "access_log", "audit_report",
             "aggregates", "scorecard", "fairness", "months"},
    "pm1": {"my_cases", "case_card"},
    "panel": {"aggregates", "scorecard", "fairness"},
    "ds": {"aggregates", "scorecard", "fairness", "monitoring", "models", "model_card"},
}


@pytest.mark.parametrize("user", sorted(MAY_OPEN))
def test_role_matrix_pages(client, people, month_store, user):
    pages = _pages(month_store)
    _assign(people, _cases(month_store, 1))  # pm1's case card is the first case
    client.force_login(people[user])
    for name, url in pages.items():
        status = client.get(url).status_code
        expected = 200 if name in MAY_OPEN[user] else 403
        assert status == expected, f"{user} GET {name}: {status}, expected {expected}"


@pytest.mark.parametrize("user", sorted(MAY_OPEN))
def test_role_matrix_actions(client, people, month_store, user):
    """POST actions: assign, enter an audit, moderate; each refused with 403 outside its role."""
    c1, c2 = _cases(month_store, 2)
    _assign(people, [c1])
    client.force_login(people[user])
    assign = client.post(f"/month/{MONTH}/assign/", {"case": [c2], "auditor": people["pm2"].pk})
    audit = client.post(f"/month/{MONTH}/case/{c1}/", {"grade": "Good", "drift_found": "No",
                                                       "audit_date": f"{MONTH}-10"})
    moderate = client.post(f"/month/{MONTH}/case/{c1}/moderate/", {"moderator_grade": "Good"})
    assert (assign.status_code == 302) == (user == "lead") and assign.status_code in (302, 403)
    assert (audit.status_code == 302) == (user == "pm1") and audit.status_code in (302, 403)
    assert (moderate.status_code == 302) == (user == "lead") and moderate.status_code in (302, 403)
    audited = set(ledger.current_records(month_store)["child_id"].astype(str))
    assert audited == ({c1} if user == "pm1" else set())


def test_no_page_without_sign_in(client, month_store):
    for name, url in _pages(month_store).items():
        r = client.get(url)
        assert r.status_code == 302 and r["Location"].startswith("/login/"), name


def test_auditor_sees_only_assigned_cases(client, people, month_store):
    mine, theirs = _cases(month_store, 3)[:2], _cases(month_store, 3)[2]
    _assign(people, mine)
    _assign(people, [theirs], to="pm2")
    client.force_login(people["pm1"])
    page = client.get("/my-cases/").content.decode()
    assert all(c in page for c in mine) and theirs not in page
    assert client.get(f"/month/{MONTH}/case/{mine[0]}/").status_code == 200
    assert client.get(f"/month/{MONTH}/case/{theirs}/").status_code == 403
    refused = AccessEntry.objects.filter(username="pm1", action="refused", child_id=theirs)
    assert refused.count() == 1


def test_audit_entry_validation_and_ledger(client, people, month_store):
    (cid,) = _cases(month_store, 1)
    _assign(people, [cid])
    client.force_login(people["pm1"])
    url = f"/month/{MONTH}/case/{cid}/"
    bad = client.post(url, {"grade": "Brilliant", "drift_found": "", "audit_date": "2025-01-01"})
    text = bad.content.decode()
    assert bad.status_code == 400
    assert "Choose a grade on the council&#x27;s scale" in text
    assert "Say whether you found drift" in text
    assert "must be between 1 March 2026 and 30 April 2026" in text
    assert not len(ledger.audit_history(month_store))  # nothing half-saved
    not_a_date = client.post(url, {"grade": "Good", "drift_found": "No", "audit_date": "31/02/2026"})
    assert "is not a date" in not_a_date.content.decode()
    ok = client.post(url, {"grade": "Requires improvement", "drift_found": "Yes", "actions_set": "Yes",
                           "audit_date": "2026-03-20", "notes": "Plan not reviewed."})
    assert ok.status_code == 302
    again = client.post(url, {"grade": "Requires improvement", "drift_found": "Yes", "actions_set": "Yes",
                              "audit_date": "2026-03-20", "notes": "Plan not reviewed."})
    assert again.status_code == 302
    fix = client.post(url, {"grade": "Inadequate", "drift_found": "Yes", "actions_set": "Yes",
                            "audit_date": "2026-03-21"})
    assert fix.status_code == 302
    h = ledger.audit_history(month_store)
    assert list(h["grade"]) == ["Requires improvement", "Inadequate"]  # the repeat added nothing
    assert h["supersedes"].iloc[1] == h["record_id"].iloc[0]
    assert set(h["source"]) == {"web"} and set(h["recorded_by"]) == {"pm1"}
    assert h["audit_id"].iloc[0] == f"WL{MONTH}-{cid}"  # the id a returned workbook gives it
    actions = list(AccessEntry.objects.filter(child_id=cid).order_by("at", "id").values_list("action", flat=True))
    assert actions.count("audit not saved") == 2
    assert "audit recorded" in actions and "audit unchanged" in actions and "audit corrected" in actions


def test_moderation_is_a_ledger_record(client, people, month_store):
    (cid,) = _cases(month_store, 1)
    _assign(people, [cid])
    client.force_login(people["pm1"])
    client.post(f"/month/{MONTH}/case/{cid}/", {"grade": "Good", "drift_found": "No", "audit_date": "2026-03-05"})
    client.force_login(people["lead"])
    client.post(f"/month/{MONTH}/case/{cid}/moderate/", {"moderator_grade": "Requires improvement"})
    cur = ledger.current_records(month_store)
    assert cur["moderator_grade"].tolist() == ["Requires improvement"] and cur["grade"].tolist() == ["Good"]
    assert "Requires improvement" in client.get(f"/month/{MONTH}/audits/").content.decode()


def test_ledger_after_web_entry_equals_audits_report(client, people, month_store):
    """A month of web entry: every audit recorded is what ``driftflag audits report`` counts."""
    from driftflag.worklist.feedback import audits_report

    cids = _cases(month_store, 5)
    _assign(people, cids)

    def counted():
        r = audits_report(month_store, "2026-03", "2026-04")
        return dict(zip(r.estimates["measure"], r.estimates["value"], strict=True))["audits"], \
            int(r.by_part["drift_found"].sum())

    before = counted()  # the council's own audit log has audits in these months too
    client.force_login(people["pm1"])
    for i, c in enumerate(cids):
        client.post(f"/month/{MONTH}/case/{c}/", {"grade": "Good" if i % 2 else "Inadequate",
                                                  "drift_found": "Yes" if i % 2 == 0 else "No",
                                                  "audit_date": f"2026-04-0{i + 1}"})
    client.post(f"/month/{MONTH}/case/{cids[0]}/", {"grade": "Requires improvement", "drift_found": "Yes",
                                                    "audit_date": "2026-04-01"})  # a correction
    after = counted()
    assert len(ledger.current_records(month_store)) == 5 and len(ledger.audit_history(month_store)) == 6
    assert after[0] - before[0] == 5 and after[1] - before[1] == 3
    client.force_login(people["lead"])
    page = client.get("/audit-report/?from=2026-03&to=2026-04").content.decode()
    assert "Drift found, by part of the sample" in page


def test_assignment_and_access_log_export(client, people, month_store):
    cids = _cases(month_store, 3)
    client.force_login(people["lead"])
    assert client.get(f"/month/{MONTH}/").status_code == 200
    r = client.post(f"/month/{MONTH}/assign/", {"case": cids, "auditor": people["pm1"].pk})
    assert r.status_code == 302
    assert set(Assignment.objects.filter(auditor=people["pm1"]).values_list("child_id", flat=True)) == set(cids)
    bogus = client.post(f"/month/{MONTH}/assign/", {"case": ["not-a-case"], "auditor": people["pm1"].pk})
    assert bogus.status_code == 302 and not Assignment.objects.filter(child_id="not-a-case").exists()
    client.get(f"/month/{MONTH}/case/{cids[0]}/")
    csv = client.get("/access-log/?format=csv")
    assert csv["Content-Type"].startswith("text/csv")
    body = csv.content.decode()
    assert body.splitlines()[0] == '"When","User","Role","Action","Month","Child ID","Page","Detail"'
    assert body.count('"assigned case"') == 3 and '"viewed case card"' in body and '"viewed worklist"' in body


def test_sign_in_throttled_and_logged(client, people):
    for _ in range(5):
        r = client.post("/login/", {"username": "pm1", "password": "wrong password"})
        assert r.status_code == 401
    r = client.post("/login/", {"username": "pm1", "password": PASSWORD})
    assert r.status_code == 429 and "Too many failed sign-ins" in r.content.decode()
    assert AccessEntry.objects.filter(username="pm1", action="sign-in failed").count() == 5
    other = client.post("/login/", {"username": "pm2", "password": PASSWORD}, REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 302  # another name from another address is not held up


def test_csrf_enforced(people, month_store):
    from django.test import Client

    c = Client(enforce_csrf_checks=True)
    c.force_login(people["lead"])
    r = c.post(f"/month/{MONTH}/assign/", {"case": _cases(month_store, 1), "auditor": people["pm1"].pk})
    assert r.status_code == 403 and not Assignment.objects.exists()


def test_secure_headers_and_session_expiry(client, people, month_store, settings):
    client.force_login(people["lead"])
    r = client.get(f"/month/{MONTH}/")
    csp = r["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script" not in csp and "frame-ancestors 'none'" in csp
    assert r["X-Frame-Options"] == "DENY" and r["X-Content-Type-Options"] == "nosniff"
    assert r["Cache-Control"] == "no-store" and r["Referrer-Policy"] == "same-origin"
    assert settings.SESSION_COOKIE_AGE == 30 * 60 and settings.SESSION_SAVE_EVERY_REQUEST
    assert client.session.get_expire_at_browser_close()
    html = r.content.decode()
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org/2000/svg", "")


def test_every_page_has_the_notice_and_plain_words(client, people, month_store):
    cids = _cases(month_store, 12)
    _assign(people, cids)
    client.force_login(people["pm1"])
    client.post(f"/month/{MONTH}/case/{cids[0]}/", {"grade": "Good", "drift_found": "No", "audit_date": "2026-03-03"})
    from driftflag import HUMAN_DECISION_NOTICE

    seen = 0
    for user, pages in (("pm1", ["/my-cases/", *[f"/month/{MONTH}/case/{c}/" for c in cids]]),
                        ("lead", [f"/month/{MONTH}/", f"/month/{MONTH}/audits/", "/access-log/", "/audit-report/",
                                  "/months/", "/figures/"]),
                        ("panel", ["/", "/figures/", "/fairness/"]), ("ds", ["/models/", "/monitoring/"])):
        client.force_login(people[user])
        for url in pages:
            r = client.get(url, follow=True)
            html = r.content.decode()
            assert r.status_code == 200, url
            assert HUMAN_DECISION_NOTICE in html, url
            text = html.split("<main>", 1)[1]
            assert not RAW.search(text), f"{url}: {RAW.search(text).group(0)!r} shown"
            seen += 1
    assert seen == 24


def test_case_card_charts_are_inline_svg(client, people, month_store):
    cid = _cases(month_store, 1)[0]
    client.force_login(people["lead"])
    html = client.get(f"/month/{MONTH}/case/{cid}/").content.decode()
    assert html.count("<svg") >= 1 and "The last 24 months" in html and "<img" not in html


def test_expired_session_signs_out(client, people, month_store):
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    client.force_login(people["lead"])
    assert client.get(f"/month/{MONTH}/").status_code == 200
    Session.objects.update(expire_date=timezone.now() - timezone.timedelta(seconds=1))
    r = client.get(f"/month/{MONTH}/")
    assert r.status_code == 302 and r["Location"].startswith("/login/")


@pytest.mark.slow
def test_qa_lead_makes_a_month_with_the_worklist_stage(client, people, month_store, settings, tmp_path):
    """The button calls the worklist stage (as ``driftflag worklist`` does): the month's worklist
    is issued into the store and opens at once."""
    policy = tmp_path / "policy.yaml"
    policy.write_text("name: web\nsize: 8\nshares: {highest_risk: 0.5, rule_flagged: 0.25, random: 0.25}\n"
                      "strata: [service]\nseed: 3\nsimulations: 200\n")
    settings.DRIFTFLAG_POLICY = policy
    client.force_login(people["lead"])
    r = client.post("/months/make/", {"month": "2026-02"})
    assert r.status_code == 302 and r["Location"] == "/month/2026-02/"
    assert "2026-02" in month_data.months(month_store)
    assert len(month_data.issued_worklist(month_store, "2026-02")) == 8
    assert AccessEntry.objects.filter(action="made worklist", month="2026-02").count() == 1
    assert client.get("/month/2026-02/").status_code == 200
    bad = client.post("/months/make/", {"month": "Feb 2026"}, follow=True)
    assert "Give the month as year-month" in bad.content.decode()


def test_unknown_month_or_case_is_a_plain_404(client, people, month_store):
    client.force_login(people["lead"])
    for url in ("/month/1999-01/", f"/month/{MONTH}/case/not-a-child/", "/month/13-2026/"):
        r = client.get(url)
        assert r.status_code == 404 and "There is nothing at this address" in r.content.decode(), url


def test_web_and_workbook_are_one_ledger(client, people, month_store, tmp_path):
    """An audit entered on the web and the same case returned in the exported workbook are one
    audit: the workbook's grade is recorded as a correction of the web record, not a second audit."""
    import io

    from openpyxl import load_workbook

    from driftflag.worklist.feedback import import_audits

    (cid,) = _cases(month_store, 1)
    _assign(people, [cid])
    client.force_login(people["pm1"])
    client.post(f"/month/{MONTH}/case/{cid}/", {"grade": "Good", "drift_found": "No", "audit_date": "2026-03-09"})
    client.force_login(people["lead"])
    book = load_workbook(io.BytesIO(client.get(f"/month/{MONTH}/workbook.xlsx").content))
    for ws in book.worksheets:
        header = [c.value for c in ws[1]]
        if "Child ID" not in header:
            continue
        for row in ws.iter_rows(min_row=2):
            if str(row[header.index("Child ID")].value) == cid:
                for col, value in (("Grade", "Inadequate"), ("Drift found", "Yes"), ("Auditor", "PM1"),
                                   ("Audit date", "2026-03-09")):
                    row[header.index(col)].value = value
    path = tmp_path / "returned.xlsx"
    book.save(path)
    result = import_audits(path, month_store)
    assert result.corrected == 1 and len(result.imported) == 1
    h = ledger.audit_history(month_store)
    assert list(h["source"]) == ["web", "workbook returned.xlsx"] and h["audit_id"].nunique() == 1
    assert ledger.current_records(month_store)["grade"].tolist() == ["Inadequate"]
