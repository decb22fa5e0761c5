"""The audit form's rules and its writes to the audit ledger.

The rules are the workbook import's (:func:`driftflag.worklist.feedback.import_audits`): a grade
on the council's scale, drift found Yes or No, actions set Yes, No or blank, an audit date from
the first day of the worklist month to the end of the month after. Each problem is one message
saying what to fix. A saved audit is a ledger record (source ``web``) with the same audit id a
returned workbook would give the case, so there is one audit per case however it was entered; a
changed audit is a new record superseding the old one (corrections kept as history).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from driftflag.casemodel import ledger
from driftflag.web import month_data
from driftflag.worklist.outputs import audit_date_bounds

YES_NO = {"yes": True, "no": False}


@dataclass(frozen=True)
class Entry:
    """What an auditor typed, as text (the form's fields)."""

    grade: str = ""
    drift_found: str = ""
    actions_set: str = ""
    audit_date: str = ""
    notes: str = ""


def _long(d: pd.Timestamp) -> str:
    return d.strftime("%d %B %Y").lstrip("0")


def check(entry: Entry, month: str, scale: tuple[str, ...]) -> tuple[dict, dict[str, str]]:
    """The audit's values, and for each field that cannot be saved a message saying what to fix."""
    errors: dict[str, str] = {}
    by_lower = {g.lower(): g for g in scale}
    grade = by_lower.get(" ".join(entry.grade.lower().split()))
    if grade is None:
        errors["grade"] = f"Choose a grade on the council's scale: {', '.join(scale)}."
    drift = YES_NO.get(entry.drift_found.strip().lower())
    if drift is None:
        errors["drift_found"] = "Say whether you found drift or delay: Yes or No."
    actions = YES_NO.get(entry.actions_set.strip().lower()) if entry.actions_set.strip() else None
    if entry.actions_set.strip() and actions is None:
        errors["actions_set"] = "Actions set must be Yes, No or left blank."
    first, last = audit_date_bounds(month)
    when = None
    text = entry.audit_date.strip()
    if not text:
        errors["audit_date"] = "Enter the date you completed the audit, for example " \
                               f"{first.strftime('%Y-%m-%d')}."
    else:
        try:
            when = pd.Timestamp(date.fromisoformat(text))
        except ValueError:
            errors["audit_date"] = (f"'{text[:40]}' is not a date: write it as year-month-day, "
                                    f"for example {first.strftime('%Y-%m-%d')}.")
        else:
            if not first <= when <= last:
                errors["audit_date"] = (f"The audit date must be between {_long(first)} and {_long(last)} "
                                        f"(the worklist month and the month after); {_long(when)} is outside.")
    if len(entry.notes) > 4000:
        errors["notes"] = "Notes must be at most 4,000 characters."
    values = {"grade": grade, "drift_found": drift, "actions_set": actions, "audit_date": when,
              "notes": entry.notes.strip() or None}
    return values, errors


def _signature(row: dict) -> tuple:
    def norm(v):
        if v is None or (not isinstance(v, str) and pd.isna(v)):
            return ""
        if isinstance(v, pd.Timestamp | date):
            return pd.Timestamp(v).strftime("%Y-%m-%d")
        return str(v)

    return tuple(norm(row.get(c)) for c in ("grade", "drift_found", "actions_set", "auditor", "audit_date",
                                             "notes", "moderator_grade"))


def save(store: Path, month: str, child_id: str, values: dict, *, auditor: str, username: str) -> str:
    """Record the audit in the ledger; returns "recorded", "corrected" or "unchanged"."""
    wl = month_data.issued_worklist(store, month)
    case = wl.loc[child_id]
    aid = month_data.audit_id(month, child_id)
    current = month_data.current_records(store).set_index("audit_id")
    before = current.loc[aid].to_dict() if aid in current.index else None
    row = {"audit_id": aid, "child_id": child_id, "audit_date": values["audit_date"], "auditor": auditor,
           "team": None if pd.isna(case["team"]) else str(case["team"]), "service": str(case["service"]),
           "grade": values["grade"], "drift_found": values["drift_found"],
           "selection_reason": str(case["selection_code"]),
           "inclusion_probability": float(case["inclusion_probability"]),
           "actions_set": values["actions_set"], "notes": values["notes"],
           "moderator_grade": None if before is None or pd.isna(before.get("moderator_grade"))
           else before["moderator_grade"]}
    if before is not None and _signature(row) == _signature(before):
        return "unchanged"
    ledger.append_audits(store, pd.DataFrame([row]), source="web", recorded_by=username)
    return "recorded" if before is None else "corrected"


def moderate(store: Path, month: str, child_id: str, grade: str, *, username: str) -> str:
    """Record the QA lead's moderating grade on a recorded audit (a new ledger record)."""
    aid = month_data.audit_id(month, child_id)
    current = month_data.current_records(store).set_index("audit_id")
    if aid not in current.index:
        raise LookupError("there is no audit of this case to moderate yet")
    row = current.loc[aid].to_dict()
    if row.get("moderator_grade") == grade:
        return "unchanged"
    row = {k: row[k] for k in (*ledger.AUDIT_COLUMNS, *ledger.EXTRA_COLUMNS) if k != "audit_id"}
    row["audit_id"] = aid
    row["moderator_grade"] = grade
    ledger.append_audits(store, pd.DataFrame([row]), source="web moderation", recorded_by=username)
    return "moderated"
