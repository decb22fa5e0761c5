"""The month as the web app reads it from the store: the issued worklist, the audits, a case's
indicator history. No Django here: plain functions over the store, so they are tested alone.

The worklist is the one the worklist stage (:func:`driftflag.stages.worklist`, the same function
as ``driftflag worklist``) saved under ``STORE/records/worklists/<month>/``; :func:`make_worklist`
calls that stage. Audits come only from :mod:`driftflag.casemodel.ledger` and the store's
``audits`` table (which overlays the ledger). Read results are cached by file modification time,
so a page never shows a stale worklist and never re-reads an unchanged one.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from driftflag.casemodel import ledger
from driftflag.casemodel.codes import AUDIT_GRADES
from driftflag.errors import StoreError
from driftflag.month import Month
from driftflag.worklist.feedback import worklist_audit_id

#: The indicators charted on a case card over the last 24 months: (column, label, unit).
HISTORY_INDICATORS: tuple[tuple[str, str, str], ...] = (
    ("days_since_last_visit", "Days since the last visit", "days"),
    ("worker_changes_12m", "Changes of social worker in the last 12 months", "changes"),
    ("referrals_12m", "Referrals in the last 12 months", "referrals"),
    ("missing_episodes_90d", "Missing episodes in the last 90 days", "episodes"),
    ("placements_12m", "Placements in the last 12 months", "placements"),
    ("cp_plan_days", "Months on a child protection plan", "months"),
    ("plo_weeks", "Weeks in pre-proceedings (PLO)", "weeks"),
    ("care_proceedings_weeks", "Weeks in care proceedings", "weeks"),
)
HISTORY_MONTHS = 24
NOT_AVAILABLE = "not available"

_lock = threading.Lock()
_cache: dict[tuple, Any] = {}


def _stamp(*paths: Path) -> tuple:
    """What changes when any of ``paths`` changes: modification times, and for a folder the
    files in it (a ledger append adds a segment)."""
    out: list = []
    for p in paths:
        out.append(p.stat().st_mtime_ns if p.exists() else 0)
        if p.is_dir():
            out.append(tuple(sorted(c.name for c in p.iterdir())))
    return tuple(out)


def _cached(key: tuple, paths: Path | tuple[Path, ...], build: Callable[[], Any]) -> Any:
    """``build()`` once per ``key`` and state of ``paths`` (:func:`_stamp`)."""
    stamp = _stamp(*(paths if isinstance(paths, tuple) else (paths,)))
    with _lock:
        hit = _cache.get(key)
        if hit is not None and hit[0] == stamp:
            return hit[1]
    value = build()
    with _lock:
        _cache[key] = (stamp, value)
    return value


def plain(v: Any) -> str:
    """A value as people read it: blanks are "not available", never "nan" or "None"."""
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return NOT_AVAILABLE
    if isinstance(v, bool | np.bool_):
        return "Yes" if v else "No"
    if isinstance(v, float):
        return f"{v:,.0f}" if v == int(v) else f"{v:,.1f}"
    text = str(v).strip()
    return text if text and text.lower() not in ("nan", "none", "nat", "<na>") else NOT_AVAILABLE


def months(store: Path) -> list[str]:
    """Months with an issued worklist in the store, latest first."""
    root = ledger.worklist_dir(store, "x").parent
    if not root.is_dir():
        return []
    return sorted((p.name for p in root.iterdir() if (p / "worklist.parquet").is_file()), reverse=True)


def _worklist_file(store: Path, month: str) -> Path:
    return ledger.worklist_dir(store, month) / "worklist.parquet"


def issued_worklist(store: Path, month: str) -> pd.DataFrame:
    """The worklist issued for ``month`` (the stage's frame), indexed by child id as text."""
    path = _worklist_file(store, month)
    if not path.is_file():
        raise StoreError(f"no worklist has been made for {month}")

    def build() -> pd.DataFrame:
        frame = pd.read_parquet(path)
        frame["child_id"] = frame["child_id"].astype("str")
        return frame.set_index("child_id", drop=False)

    return _cached(("worklist", str(store), month), path, build)


def policy_of(store: Path, month: str) -> dict[str, Any]:
    path = ledger.worklist_dir(store, month) / "policy.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def grades(store: Path, month: str) -> tuple[str, ...]:
    """The council's grading scale for the month's worklist (the policy's), best first."""
    from driftflag.worklist.policy import WorklistPolicy

    pol = policy_of(store, month)
    if not pol:
        return tuple(AUDIT_GRADES)
    return WorklistPolicy.model_validate(pol).grades


def display_rows(store: Path, month: str) -> list[dict[str, str]]:
    """The worklist in the QA lead's words (the workbook's columns), one dict per case, keyed by
    the column heading in lower case with underscores ("Why selected" -> ``why_selected``)."""
    from driftflag.worklist.outputs import display_frame

    frame = issued_worklist(store, month)

    def build() -> list[dict[str, str]]:
        shown = display_frame(frame.reset_index(drop=True), month=month)
        return [{_key(k): (plain(v) if k not in ("Reason 1", "Reason 2", "Reason 3", "Worker") else str(v))
                 for k, v in row.items()} for row in shown.to_dict(orient="records")]

    return _cached(("rows", str(store), month), _worklist_file(store, month), build)


def case_facts(store: Path, month: str, child_id: str) -> dict[str, str] | None:
    """One case's row of :func:`display_rows`, None when the case is not on the month's worklist."""
    return next((r for r in display_rows(store, month) if r["child_id"] == child_id), None)


def _key(heading: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in heading.lower()).strip("_")


def make_worklist(store: Path, month: str, workspace: Path, policy: Path) -> dict[str, Any]:
    """Issue ``month``'s worklist with the worklist stage (as ``driftflag worklist`` does); its
    files go to ``WORKSPACE/web/worklists/<month>/``. Returns the stage's summary."""
    from driftflag import stages
    from driftflag.web.config import web_dir
    from driftflag.workspace import Workspace

    m = str(Month.parse(month))
    result = stages.worklist(Path(store), m, web_dir(workspace) / "worklists" / m,
                             workspace=Workspace.resolve(workspace, create=False), policy=Path(policy))
    return result.summary()


# --- audits --------------------------------------------------------------------------------
def audit_id(month: str, child_id: str) -> str:
    """The id an audit of a worklist case carries: the workbook import's own, so a case audited
    on the web and in a returned workbook is one audit."""
    return worklist_audit_id(month, child_id)


def _ledger_stamp(store: Path) -> Path:
    return ledger.ledger_dir(store)


def current_records(store: Path) -> pd.DataFrame:
    """The ledger's latest record of each audit (with notes and moderator grade)."""
    return _cached(("current", str(store)), _ledger_stamp(store), lambda: ledger.current_records(store))


def history(store: Path) -> pd.DataFrame:
    return _cached(("history", str(store)), _ledger_stamp(store), lambda: ledger.audit_history(store))


def month_audits(store: Path, month: str) -> pd.DataFrame:
    """The current record of every audit of ``month``'s worklist cases, by child id."""
    rec = current_records(store)
    rec = rec[rec["audit_id"].astype("str").str.startswith(worklist_audit_id(month, ""))]
    return rec.set_index(rec["child_id"].astype("str"))


def ingested_audits(store: Path) -> pd.DataFrame:
    """The store's audits table (the council's audit log with the ledger over it)."""
    from driftflag.casemodel import read_store

    return _cached(("audits", str(store)), (Path(store) / "audits.parquet", _ledger_stamp(store)),
                   lambda: read_store(Path(store), tables=["audits"])["audits"])


@dataclass(frozen=True)
class PastAudit:
    """One audit of a child as the case card lists it, in words."""

    date: str
    grade: str
    drift_found: str
    actions_set: str
    auditor: str
    selection: str
    moderator_grade: str
    notes: str
    corrections: int


def past_audits(store: Path, child_id: str) -> list[PastAudit]:
    """Every audit of the child (audit log and ledger), latest first, with corrections counted."""
    return _cached(("past", str(store)), (Path(store) / "audits.parquet", _ledger_stamp(store)),
                   lambda: _past_by_child(store)).get(child_id, [])


def _past_by_child(store: Path) -> dict[str, list[PastAudit]]:
    a = ingested_audits(store).sort_values("audit_date", ascending=False, kind="stable")
    h = history(store)
    cur = h.drop_duplicates("audit_id", keep="last").set_index("audit_id")
    counts = h.groupby("audit_id").size() - 1
    out: dict[str, list[PastAudit]] = {}
    for r in a.itertuples(index=False):
        extra = cur.loc[r.audit_id] if r.audit_id in cur.index else None
        out.setdefault(str(r.child_id), []).append(PastAudit(
            date=pd.Timestamp(r.audit_date).strftime("%d %B %Y").lstrip("0") if pd.notna(r.audit_date) else NOT_AVAILABLE,
            grade=plain(r.grade), drift_found=plain(r.drift_found),
            actions_set="not recorded" if pd.isna(r.actions_set) else plain(r.actions_set),
            auditor=plain(r.auditor), selection=plain(r.selection_reason).capitalize(),
            moderator_grade="" if extra is None or pd.isna(extra["moderator_grade"]) else str(extra["moderator_grade"]),
            notes="" if extra is None or pd.isna(extra["notes"]) else str(extra["notes"]),
            corrections=int(counts.get(r.audit_id, 0))))
    return out


# --- indicator history -----------------------------------------------------------------------
def history_months(month: str) -> list[pd.Timestamp]:
    """The first days of the last 24 months, to the worklist month."""
    return list(pd.date_range(end=Month.parse(month).timestamp(), periods=HISTORY_MONTHS, freq="MS"))


def indicator_history(store: Path, month: str, child_id: str) -> dict[str, list[float | None]]:
    """The child's charted indicators on the first day of each of the last 24 months (to the
    worklist month): ``{indicator: [value or None per month]}``, None where the case was not open
    or the indicator did not apply. Computed once for all the month's worklist cases (one panel)
    and cached, so a case card only looks its child up."""
    by_child = _cached(("panel", str(store), month), _worklist_file(store, month),
                       lambda: _history_by_child(store, month))
    return by_child.get(child_id, {})


def _history_by_child(store: Path, month: str) -> dict[str, dict[str, list[float | None]]]:
    frame = _history_panel(store, month)
    index = pd.DatetimeIndex(history_months(month))
    cols = [c for c in frame.columns if c not in ("child_id", "as_of")]
    out = {}
    for cid, rows in frame.groupby("child_id", sort=False):
        r = rows.set_index("as_of").reindex(index)
        out[str(cid)] = {c: [None if v != v else float(v) for v in r[c].tolist()] for c in cols}
    return out


def _history_panel(store: Path, month: str) -> pd.DataFrame:
    from driftflag.casemodel import read_store
    from driftflag.indicators import panel

    ids = set(issued_worklist(store, month)["child_id"])
    end = Month.parse(month).timestamp()
    start = end - pd.DateOffset(months=HISTORY_MONTHS - 1)
    p = panel(read_store(Path(store)), start, end)
    cols = [c for c, _, _ in HISTORY_INDICATORS if c in p.columns]
    p = p.loc[p["child_id"].astype("str").isin(ids), ["child_id", "as_of", *cols]].copy()
    p["child_id"] = p["child_id"].astype("str")
    if "cp_plan_days" in p:
        p["cp_plan_days"] = pd.to_numeric(p["cp_plan_days"], errors="coerce") / (365.25 / 12)
    for c in cols:
        p[c] = pd.to_numeric(p[c], errors="coerce").astype("float64")
    return p.reset_index(drop=True)


# --- aggregates (the ethics panel's view: no child) ---------------------------------------------
SUPPRESS_BELOW = 5


def _count(n: int) -> str:
    """A count for an aggregate table: small numbers (1 to 4) suppressed, as in the fairness pack."""
    return "fewer than 5" if 0 < n < SUPPRESS_BELOW else f"{n:,}"


def aggregates(store: Path, month: str) -> dict[str, list[tuple[str, str]]]:
    """Counts for the month with no child in them: worklist cases by part of the sample and by
    service, audits by grade and whether drift was found; small numbers suppressed."""
    from driftflag.worklist.outputs import PART_LABELS
    from driftflag.worklist.policy import SERVICE_LABELS

    wl = issued_worklist(store, month)
    audits = month_audits(store, month)
    by_part = wl["selection_part"].astype("str").map(lambda p: PART_LABELS.get(p, p)).value_counts().sort_index()
    by_service = wl["service"].astype("str").map(lambda s: SERVICE_LABELS.get(s, s)).value_counts().sort_index()
    by_grade = audits["grade"].astype("str").value_counts() if len(audits) else pd.Series(dtype=int)
    drift = audits["drift_found"].astype("boolean").map({True: "Yes", False: "No"}).value_counts() \
        if len(audits) else pd.Series(dtype=int)
    return {
        "Cases on the worklist, by part of the sample": [(str(k), _count(int(v))) for k, v in by_part.items()],
        "Cases on the worklist, by service": [(str(k), _count(int(v))) for k, v in by_service.items()],
        "Audits recorded, by grade": [(g, _count(int(by_grade.get(g, 0)))) for g in grades(store, month)],
        "Audits recorded: drift found": [(k, _count(int(drift.get(k, 0)))) for k in ("Yes", "No")],
        "Totals": [("Cases on the worklist", f"{len(wl):,}"), ("Audits recorded", f"{len(audits):,}")],
    }
