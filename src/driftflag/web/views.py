"""The pages. Each view checks the role matrix (:mod:`driftflag.web.roles`) before reading
anything, writes every look at a child-level page and every change to the access log, and reads
or writes the month only through :mod:`driftflag.web.month_data` and
:mod:`driftflag.web.audit_entry` (the stage API and the audit ledger underneath)."""

from __future__ import annotations

import functools
import re
import time
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, get_user_model, login, logout
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from driftflag import HUMAN_DECISION_NOTICE
from driftflag.errors import DriftflagError
from driftflag.web import audit_entry, month_data, roles, security
from driftflag.web.charts import sparkline
from driftflag.web.models import AccessEntry, Assignment

MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
#: Navigation: (page in the role matrix, url name, words).
NAV = (("worklist", "months", "Months and worklists"), ("my_cases", "my_cases", "My cases"),
       ("access_log", "access_log", "Access log"), ("audit_report", "audit_report", "Audit report"),
       ("scorecard", "scorecard", "Scorecard"), ("fairness", "fairness", "Fairness pack"),
       ("aggregates", "aggregates", "Figures for the month"), ("models", "models", "Models"),
       ("monitoring", "monitoring", "Monitoring"))


def _store() -> Path:
    return settings.DRIFTFLAG_STORE


def page_context(request) -> dict:
    """What every page shows: the notice, who is signed in, and the links their role allows."""
    user = getattr(request, "user", None)
    role = roles.role_of(user) if user is not None else None
    nav = [(url, words) for page, url, words in NAV if role in roles.MATRIX[page]]
    return {"notice": HUMAN_DECISION_NOTICE, "role_name": roles.ROLES.get(role or "", ""), "nav": nav,
            "oidc": "mozilla_django_oidc" in settings.INSTALLED_APPS}


def log(request, action: str, *, month: str = "", child_id: str = "", detail: str = "") -> None:
    """One access-log entry: who (the signed-in user and role), when, what."""
    user = request.user
    AccessEntry.objects.create(
        username=user.get_username() if user.is_authenticated else "(not signed in)",
        role=roles.ROLES.get(roles.role_of(user) or "", ""), action=action, month=month,
        child_id=child_id, path=request.path[:300], detail=detail[:500])


def forbidden(request, page: str, **where) -> HttpResponse:
    log(request, "refused", detail=f"{page.replace('_', ' ')} is not open to this role or person", **where)
    return render(request, "web/forbidden.html", status=403)


def page(name: str):
    """The view needs a signed-in user whose role the matrix allows on page ``name``."""
    def wrap(view):
        @functools.wraps(view)
        def run(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect(f"{settings.LOGIN_URL}?next={request.path}")
            if not roles.allowed(request.user, name):
                return forbidden(request, name, **{k: v for k, v in kwargs.items() if k in ("month", "child_id")})
            return view(request, *args, **kwargs)
        return run
    return wrap


def _month(month: str) -> str:
    if not MONTH_RE.match(month) or month not in month_data.months(_store()):
        raise Http404("no worklist for that month")
    return month


# --- signing in and out ------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
def sign_in(request):
    error = ""
    nxt = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        nxt = "/"
    if request.method == "POST":
        username = request.POST.get("username", "").strip()[:150]
        address = security.client_address(request)
        if security.throttled(username, address):
            error = ("Too many failed sign-ins for this name or from this computer. Wait 15 minutes "
                     "and try again, or ask the QA lead to check your account.")
            AccessEntry.objects.create(username=username, action="sign-in refused (throttled)", path=request.path)
            return render(request, "web/login.html", {"error": error, "next": nxt}, status=429)
        user = authenticate(request, username=username, password=request.POST.get("password", ""))
        if user is None:
            security.record_failure(username, address)
            AccessEntry.objects.create(username=username, action="sign-in failed", path=request.path)
            error = "That user name and password do not match an account. Check them and try again."
        else:
            login(request, user)
            log(request, "signed in")
            return HttpResponseRedirect(nxt)
    return render(request, "web/login.html", {"error": error, "next": nxt}, status=401 if error else 200)


@require_POST
def sign_out(request):
    if request.user.is_authenticated:
        log(request, "signed out")
    logout(request)
    return redirect(settings.LOGIN_URL)


# --- everyone ----------------------------------------------------------------------------------
@page("home")
def home(request):
    role = roles.role_of(request.user)
    if role == roles.AUDITOR:
        return redirect("my_cases")
    if role == roles.QA_LEAD:
        return redirect("months")
    return render(request, "web/home.html", {"months": month_data.months(_store())})


# --- QA lead -----------------------------------------------------------------------------------
@page("worklist")
def months(request):
    return render(request, "web/months.html", {"months": month_data.months(_store())})


@page("make_worklist")
@require_POST
def make_worklist(request):
    month = request.POST.get("month", "").strip()
    if not MONTH_RE.match(month):
        messages.error(request, "Give the month as year-month, for example 2026-03.")
        return redirect("months")
    try:
        summary = month_data.make_worklist(_store(), month, settings.DRIFTFLAG_WORKSPACE, settings.DRIFTFLAG_POLICY)
    except DriftflagError as e:
        messages.error(request, f"The worklist for {month} could not be made: {e}")
        return redirect("months")
    log(request, "made worklist", month=month, detail=f"{summary['cases']} cases")
    messages.success(request, f"The worklist for {month} has {summary['cases']} cases.")
    return redirect("month", month=month)


def _auditors():
    return get_user_model().objects.filter(groups__name=roles.AUDITOR, is_active=True).order_by("username")


def _who(user) -> str:
    return user.get_full_name() or user.get_username()


@page("worklist")
def month(request, month: str):
    month = _month(month)
    rows = month_data.display_rows(_store(), month)
    assigned = {a.child_id: _who(a.auditor) for a in Assignment.objects.filter(month=month).select_related("auditor")}
    audits = month_data.month_audits(_store(), month)
    for r in rows:
        r["assigned"] = assigned.get(r["child_id"], "")
        r["audit"] = str(audits.loc[r["child_id"], "grade"]) if r["child_id"] in audits.index else ""
    log(request, "viewed worklist", month=month, detail=f"{len(rows)} cases")
    return render(request, "web/month.html", {"month": month, "rows": rows, "auditors": _auditors(),
                                              "audited": len(audits)})


@page("assign")
@require_POST
def assign(request, month: str):
    month = _month(month)
    ids = [c for c in request.POST.getlist("case") if c]
    on_list = set(month_data.issued_worklist(_store(), month).index)
    try:
        auditor = _auditors().get(pk=int(request.POST.get("auditor", "0")))
    except (ValueError, get_user_model().DoesNotExist):
        messages.error(request, "Choose the auditor to give the cases to.")
        return redirect("month", month=month)
    if not ids or any(c not in on_list for c in ids):
        messages.error(request, "Tick the cases to assign (cases on this month's worklist only).")
        return redirect("month", month=month)
    for cid in ids:
        Assignment.objects.update_or_create(month=month, child_id=cid,
                                            defaults={"auditor": auditor, "assigned_by": request.user.get_username()})
        log(request, "assigned case", month=month, child_id=cid, detail=f"to {auditor.get_username()}")
    messages.success(request, f"{len(ids)} case{'s' if len(ids) != 1 else ''} assigned to {_who(auditor)}.")
    return redirect("month", month=month)


@page("export_workbook")
def export_workbook(request, month: str):
    import tempfile

    from driftflag.worklist.outputs import write_excel
    from driftflag.worklist.policy import WorklistPolicy
    from driftflag.worklist.sampling import Worklist

    month = _month(month)
    frame = month_data.issued_worklist(_store(), month).reset_index(drop=True)
    wl = Worklist(frame=frame, month=month, policy=WorklistPolicy.model_validate(month_data.policy_of(_store(), month)),
                  design={})
    with tempfile.TemporaryDirectory() as tmp:
        data = write_excel(wl, Path(tmp) / "worklist.xlsx").read_bytes()
    log(request, "exported workbook", month=month, detail=f"{len(frame)} cases")
    resp = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    resp["Content-Disposition"] = f'attachment; filename="worklist_{month}.xlsx"'
    return resp


@page("all_audits")
def all_audits(request, month: str):
    month = _month(month)
    audits = month_data.month_audits(_store(), month)
    history = month_data.history(_store())
    rows = []
    for cid, r in audits.iterrows():
        n = int((history["audit_id"] == r["audit_id"]).sum())
        rows.append({"child_id": cid, "grade": month_data.plain(r["grade"]),
                     "drift": month_data.plain(r["drift_found"]), "auditor": month_data.plain(r["auditor"]),
                     "date": r["audit_date"].strftime("%Y-%m-%d"),
                     "moderator": "" if r["moderator_grade"] is None or str(r["moderator_grade"]) in ("", "<NA>")
                     else str(r["moderator_grade"]),
                     "recorded_by": r["recorded_by"], "recorded_at": str(r["recorded_at"]).replace("T", " ")[:16],
                     "source": r["source"], "records": n})
    log(request, "viewed audits", month=month, detail=f"{len(rows)} audits")
    return render(request, "web/audits.html", {"month": month, "rows": rows,
                                               "cases": len(month_data.issued_worklist(_store(), month))})


@page("moderate")
@require_POST
def moderate(request, month: str, child_id: str):
    month = _month(month)
    grade = request.POST.get("moderator_grade", "")
    if grade not in month_data.grades(_store(), month):
        messages.error(request, "Choose the moderating grade on the council's scale.")
    else:
        try:
            outcome = audit_entry.moderate(_store(), month, child_id, grade, username=request.user.get_username())
        except LookupError as e:
            messages.error(request, str(e).capitalize() + ".")
        else:
            log(request, "moderated audit", month=month, child_id=child_id, detail=f"{outcome}: {grade}")
            messages.success(request, f"Moderating grade {grade} recorded.")
    return redirect("case", month=month, child_id=child_id)


@page("audit_report")
def audit_report(request):
    from driftflag.worklist.feedback import audits_report

    ms = month_data.months(_store())
    first = request.GET.get("from") or (ms[-1] if ms else "")
    last = request.GET.get("to") or (ms[0] if ms else "")
    report, error = None, ""
    if first and last:
        if not (MONTH_RE.match(first) and MONTH_RE.match(last)):
            error = "Give the months as year-month, for example 2026-03."
        else:
            try:
                report = audits_report(_store(), first, last)
            except DriftflagError as e:
                error = str(e)
    if report is not None and request.GET.get("format") == "xlsx":
        log(request, "exported audit report", detail=f"{first} to {last}")
        resp = HttpResponse(report.to_excel(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        resp["Content-Disposition"] = f'attachment; filename="audits_report_{first}_{last}.xlsx"'
        return resp
    tables = []
    if report is not None:
        for k, t in report.people_tables().items():
            tables.append((report.TITLES[k], [str(c) for c in t.columns],
                           [[month_data.plain(v) if not isinstance(v, str) else v for v in row]
                            for row in t.itertuples(index=False)]))
    return render(request, "web/report.html", {"first": first, "last": last, "tables": tables, "error": error,
                                               "notes": report.notes if report else []})


@page("access_log")
def access_log(request):
    entries = AccessEntry.objects.all()
    who = request.GET.get("user", "").strip()
    child = request.GET.get("child", "").strip()
    if who:
        entries = entries.filter(username=who)
    if child:
        entries = entries.filter(child_id=child)
    if request.GET.get("format") == "csv":
        import pandas as pd

        from driftflag._text import people_csv

        frame = pd.DataFrame.from_records(
            [(e.at.isoformat(timespec="seconds"), e.username, e.role, e.action, e.month, e.child_id, e.path, e.detail)
             for e in entries.order_by("at", "id")],
            columns=["When", "User", "Role", "Action", "Month", "Child ID", "Page", "Detail"])
        log(request, "exported access log", detail=f"{len(frame)} entries")
        resp = HttpResponse(people_csv(frame), content_type="text/csv; charset=utf-8")
        resp["Content-Disposition"] = 'attachment; filename="access_log.csv"'
        return resp
    log(request, "viewed access log")
    return render(request, "web/access_log.html", {"entries": entries[:500], "who": who, "child": child,
                                                   "total": entries.count()})


# --- auditors ----------------------------------------------------------------------------------
@page("my_cases")
def my_cases(request):
    mine = Assignment.objects.filter(auditor=request.user).order_by("-month", "child_id")
    rows = []
    for a in mine:
        facts = month_data.case_facts(_store(), a.month, a.child_id) if a.month in month_data.months(_store()) else None
        audits = month_data.month_audits(_store(), a.month)
        rows.append({"month": a.month, "child_id": a.child_id, "facts": facts or {},
                     "grade": str(audits.loc[a.child_id, "grade"]) if a.child_id in audits.index else ""})
    log(request, "viewed my cases", detail=f"{len(rows)} cases")
    return render(request, "web/my_cases.html", {"rows": rows})


@page("case_card")
@require_http_methods(["GET", "POST"])
def case(request, month: str, child_id: str):
    month = _month(month)
    role = roles.role_of(request.user)
    assigned = Assignment.objects.filter(month=month, child_id=child_id).select_related("auditor").first()
    if role == roles.AUDITOR and (assigned is None or assigned.auditor_id != request.user.pk):
        return forbidden(request, "case_card", month=month, child_id=child_id)
    facts = month_data.case_facts(_store(), month, child_id)
    if facts is None:
        raise Http404("that case is not on the month's worklist")
    scale = month_data.grades(_store(), month)
    errors: dict[str, str] = {}
    entry = audit_entry.Entry()
    if request.method == "POST":
        if role != roles.AUDITOR:
            return forbidden(request, "enter_audit", month=month, child_id=child_id)
        entry = audit_entry.Entry(**{f: request.POST.get(f, "")[:4100] for f in
                                     ("grade", "drift_found", "actions_set", "audit_date", "notes")})
        values, errors = audit_entry.check(entry, month, scale)
        if errors:
            log(request, "audit not saved", month=month, child_id=child_id,
                detail="to fix: " + ", ".join(k.replace("_", " ") for k in errors))
        else:
            outcome = audit_entry.save(_store(), month, child_id, values, auditor=_who(request.user),
                                       username=request.user.get_username())
            log(request, f"audit {outcome}", month=month, child_id=child_id,
                detail=f"grade {values['grade']}, drift found {'yes' if values['drift_found'] else 'no'}")
            words = {"recorded": "Audit recorded.", "corrected": "Audit corrected (the earlier record is kept).",
                     "unchanged": "Nothing changed: the audit was already recorded as it is."}
            messages.success(request, words[outcome])
            return redirect("case", month=month, child_id=child_id)
    log(request, "viewed case card", month=month, child_id=child_id)
    current = month_data.month_audits(_store(), month)
    mine = current.loc[child_id] if child_id in current.index else None
    if mine is not None and not entry.grade and not errors:
        entry = audit_entry.Entry(grade=str(mine["grade"]), drift_found="Yes" if bool(mine["drift_found"]) else "No",
                                  actions_set="" if str(mine["actions_set"]) in ("<NA>", "None", "nan")
                                  else ("Yes" if bool(mine["actions_set"]) else "No"),
                                  audit_date=mine["audit_date"].strftime("%Y-%m-%d"),
                                  notes="" if str(mine["notes"]) in ("<NA>", "None", "nan") else str(mine["notes"]))
    hist = month_data.indicator_history(_store(), month, child_id)
    labels = [d.strftime("%b %Y") for d in month_data.history_months(month)]
    charts = []
    for col, title, unit in month_data.HISTORY_INDICATORS:
        values = hist.get(col) or []
        if all(v is None for v in values):
            continue
        latest = next(v for v in reversed(values) if v is not None)
        charts.append({"title": title, "svg": sparkline(values, labels, title, unit),
                       "latest": month_data.plain(round(latest, 1))})
    first, last = audit_entry.audit_date_bounds(month)
    return render(request, "web/case.html", {
        "month": month, "child_id": child_id, "facts": facts, "charts": charts,
        "chance": _chance(month, child_id),
        "not_charted": [t for c, t, _ in month_data.HISTORY_INDICATORS if t not in {x["title"] for x in charts}],
        "past": month_data.past_audits(_store(), child_id), "scale": scale, "entry": entry, "errors": errors,
        "can_enter": role == roles.AUDITOR, "can_moderate": role == roles.QA_LEAD and mine is not None,
        "assigned": _who(assigned.auditor) if assigned else "", "recorded": mine is not None,
        "date_first": first.strftime("%d %B %Y").lstrip("0"), "date_last": last.strftime("%d %B %Y").lstrip("0"),
    }, status=400 if errors else 200)


def _chance(month: str, child_id: str) -> str:
    p = float(month_data.issued_worklist(_store(), month).loc[child_id, "inclusion_probability"])
    return "certain (chosen on purpose)" if p >= 1 else f"{100 * p:.1f}% (random control sample)"


# --- aggregate pages (no child) -----------------------------------------------------------------
_REPORTS_CACHE: dict[str, tuple[float, list[Path]]] = {}
REPORT_PATTERNS = {"scorecard": "scorecard_*.html", "fairness": "fairness.html", "monitoring": "monitor.html"}


def report_files(kind: str) -> list[Path]:
    """The driftflag outputs of one kind under the reports folder, newest first (looked up once a
    minute: the folder can be large)."""
    hit = _REPORTS_CACHE.get(kind)
    if hit and time.monotonic() - hit[0] < 60:
        return hit[1]
    root = Path(settings.DRIFTFLAG_REPORTS)
    found = []
    if root.is_dir():
        for p in root.rglob(REPORT_PATTERNS[kind]):
            if not any(part in ("workspace", "artifacts", "la", "store") for part in p.relative_to(root).parts[:-1]):
                found.append(p)
    found.sort(key=lambda p: (p.stat().st_mtime, str(p)), reverse=True)
    _REPORTS_CACHE[kind] = (time.monotonic(), found)
    return found


def _report_page(request, kind: str, index: int, asset: str):
    files = report_files(kind)
    if not 0 <= index < len(files):
        raise Http404("no such report")
    target = files[index] if not asset else (files[index].parent / asset).resolve()
    if asset and (files[index].parent.resolve() not in target.parents or target.suffix not in (".png", ".svg")
                  or not target.is_file()):
        raise Http404("no such file")
    types = {".html": "text/html; charset=utf-8", ".png": "image/png", ".svg": "image/svg+xml"}
    return HttpResponse(target.read_bytes(), content_type=types[target.suffix])


def _report_list(request, kind: str, title: str):
    root = Path(settings.DRIFTFLAG_REPORTS)
    files = [(i, str(p.relative_to(root))) for i, p in enumerate(report_files(kind))]
    return render(request, "web/report_list.html", {"kind": kind, "title": title, "files": files})


@page("scorecard")
def scorecard(request, index: int | None = None, asset: str = ""):
    return _report_list(request, "scorecard", "Drift scorecard") if index is None else \
        _report_page(request, "scorecard", index, asset)


@page("fairness")
def fairness(request, index: int | None = None, asset: str = ""):
    return _report_list(request, "fairness", "Fairness pack") if index is None else \
        _report_page(request, "fairness", index, asset)


@page("monitoring")
def monitoring(request, index: int | None = None, asset: str = ""):
    return _report_list(request, "monitoring", "Data drift monitoring") if index is None else \
        _report_page(request, "monitoring", index, asset)


@page("aggregates")
def aggregates(request):
    ms = month_data.months(_store())
    month = request.GET.get("month") or (ms[0] if ms else "")
    tables = month_data.aggregates(_store(), _month(month)) if month else {}
    return render(request, "web/aggregates.html", {"month": month, "months": ms, "tables": tables})


SPEC_WORDS = {"rule_baseline": "Rule baseline", "logistic_scorecard": "Logistic scorecard", "lightgbm": "LightGBM"}


def _figure(v) -> str:
    return month_data.NOT_AVAILABLE if v is None or v != v else f"{float(v):.3f}"


def _run_artifact(run_id: str, name: str) -> Path | None:
    """A run's artifact in the workspace's own artifact store, None when it is not there."""
    if not re.fullmatch(r"[0-9a-f]{32}", str(run_id)):
        return None
    path = Path(settings.DRIFTFLAG_WORKSPACE) / "artifacts" / run_id / "artifacts" / name
    return path if path.is_file() else None


def _dropped_for_coverage(run_id: str) -> list[str]:
    """The inputs the training run left out because too few cases had them (its coverage check)."""
    import json

    path = _run_artifact(run_id, "features_dropped_for_coverage.json")
    if path is None:
        return []
    return [f"{feature_words(k)}: {v}" for k, v in json.loads(path.read_text()).items()]


def feature_words(name: str) -> str:
    from driftflag.indicators.words import feature_words as words

    return words(name)


@page("models")
def model_card(request, version: int):
    from driftflag.tracking import list_versions

    df = list_versions(settings.DRIFTFLAG_WORKSPACE, "future_drift")
    run = df.loc[df["version"] == version, "run_id"]
    path = _run_artifact(str(run.iloc[0]), "model_card.html") if len(run) else None
    if path is None:
        raise Http404("no model card for that version")
    return HttpResponse(path.read_bytes(), content_type="text/html; charset=utf-8")


@page("models")
def models(request):
    from driftflag.tracking import list_versions

    rows, error = [], ""
    try:
        df = list_versions(settings.DRIFTFLAG_WORKSPACE, "future_drift")
        for r in df.itertuples(index=False):
            rows.append({"version": r.version, "aliases": r.aliases or "none",
                         "spec": SPEC_WORDS.get(r.spec, str(r.spec).replace("_", " ").capitalize() or "not recorded"),
                         "precision": _figure(r.precision_at_k), "precision_low": _figure(r.precision_at_k_low),
                         "ece": _figure(r.ece), "gate": r.gate or "not recorded",
                         "card": _run_artifact(r.run_id, "model_card.html") is not None,
                         "dropped": _dropped_for_coverage(r.run_id)})
    except DriftflagError as e:
        error = str(e)
    return render(request, "web/models.html", {"rows": rows, "error": error,
                                               "mlflow_url": settings.DRIFTFLAG_MLFLOW_URL,
                                               "tracking_db": Path(settings.DRIFTFLAG_WORKSPACE) / "mlflow.db"})


def reverse_case(month: str, child_id: str) -> str:
    return reverse("case", kwargs={"month": month, "child_id": child_id})
