"""The audit feedback loop: keep each worklist in the store, import completed workbooks, report.

* :func:`save_worklist` stores a worklist and its inclusion probabilities under
  ``STORE/records/worklists/<month>/worklist.parquet`` (atomically; ``records/`` survives every
  re-ingest), so imports can check a case was on that month's worklist and later evaluation can
  weight audits by ``1 / inclusion_probability``.
* :func:`import_audits` reads a returned workbook, a part of one or a single team's sheet
  copied into a new workbook, and *upserts* each case into the store's audit ledger
  (:mod:`driftflag.casemodel.ledger`, append-only, kept across re-ingests): a first audit is a
  new record, a changed grade a correction superseding the earlier record (kept as history), an
  unchanged row is skipped. Grades are read ignoring case, notes and a moderator's grade are
  kept, audit dates are accepted to the end of the month after the worklist month, rows deleted
  from a team's sheet are reported as missing (never taken as "not audited"). A row that cannot
  be read rejects the import (never half-imports): the store is left byte-for-byte unchanged and
  :class:`AuditImportError` lists every problem by sheet, row, column and value.
* :func:`audits_report` (text, HTML and a printable workbook) compares audit findings across the parts of the sample (highest risk,
  rule-flagged, random control ...), estimates the model's precision on audited cases with
  inverse-probability weights, cross-tabulates flags and grades, and measures over-optimism
  where a case was graded twice (``domain-requirements.md`` §2.4: inspectors found 40% of one
  council's audits over-optimistic).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from driftflag import HUMAN_DECISION_NOTICE
from driftflag._atomic import staged_dir
from driftflag._text import text_table
from driftflag.casemodel import ledger
from driftflag.casemodel.codes import AUDIT_GRADES
from driftflag.errors import DriftflagError, SchemaError, StoreError
from driftflag.worklist.outputs import (
    AUDIT_COLUMNS,
    META_SHEET,
    MONTH_COLUMN,
    NO_TEAM,
    PART_LABELS,
    REQUIRED_AUDIT_COLUMNS,
    YES_NO,
    audit_date_bounds,
)
from driftflag.worklist.sampling import month_start

logger = logging.getLogger(__name__)

__all__ = [
    "AuditImportError",
    "AuditReport",
    "ImportResult",
    "RowProblem",
    "audits_report",
    "import_audits",
    "worklist_audit_id",
    "load_worklist",
    "save_worklist",
]

WORKLISTS_DIR = "worklists"  # the folder of stores written before records/ (read, never written)
_GRADE_ORDER = {g: i for i, g in enumerate(AUDIT_GRADES)}  # Good < Requires improvement < Inadequate


def worklist_audit_id(month: str, child_id: str) -> str:
    """The id of the audit of a worklist case: one per case and month, whichever way it comes back
    (a returned workbook or the web app), so that both land as one audit and a second is a correction."""
    return f"WL{month}-{child_id}"


@dataclass(frozen=True)
class RowProblem:
    """Why one workbook row was rejected."""

    sheet: str
    row: int
    column: str
    value: str
    reason: str

    def __str__(self) -> str:
        return f"sheet {self.sheet!r} row {self.row} column {self.column!r} value {self.value!r}: {self.reason}"


class AuditImportError(DriftflagError):
    """A completed workbook has rows that cannot be imported; nothing was imported."""

    def __init__(self, workbook: Path, problems: list[RowProblem]):
        self.workbook = workbook
        self.problems = problems
        lines = "; ".join(str(p) for p in problems[:20])
        more = f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""
        super().__init__(f"{workbook}: {len(problems)} row problem(s), nothing imported: {lines}{more}")


# --- the stored worklist ------------------------------------------------------------------
def _worklist_path(store_path: Path, month: str) -> Path:
    path = ledger.worklist_dir(store_path, month) / "worklist.parquet"
    older = Path(store_path) / WORKLISTS_DIR / month / "worklist.parquet"
    return older if not path.is_file() and older.is_file() else path


def save_worklist(worklist, store_path: Path | str) -> Path:
    """Store the worklist frame (with inclusion probabilities) under ``STORE/records/worklists/<month>/``.

    A different worklist stored earlier for the month (audits may have been drawn from it) is
    kept under ``previous/NNN/``, never replaced.
    """
    import shutil

    import pyarrow as pa
    import pyarrow.parquet as pq

    from driftflag.casemodel.store import ensure_store

    store_path = Path(store_path)
    ensure_store(store_path)
    keep = [c for c in worklist.frame.columns if not c.startswith("audit_")]  # no protected data
    frame = worklist.frame[keep].copy()
    for c in frame.columns:
        if frame[c].dtype == object:
            frame[c] = frame[c].astype("str")
    dest = ledger.worklist_dir(store_path, worklist.month)
    with staged_dir(dest, kind="issued worklist", legacy=("worklist.parquet", "policy.json"),
                    keep=("previous",)) as tmp:
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), tmp / "worklist.parquet",
                       compression="zstd")
        (tmp / "policy.json").write_text(json.dumps(worklist.policy.model_dump(mode="json"), indent=2,
                                                    sort_keys=True) + "\n")
        issued = [n for n in ("worklist.parquet", "policy.json") if (dest / n).is_file()]
        if issued and any((dest / n).read_bytes() != (tmp / n).read_bytes() for n in issued):
            prev = dest / "previous"
            n = 1 + max((int(p.name) for p in prev.iterdir() if p.name.isdigit()), default=0) \
                if prev.is_dir() else 1
            (prev / f"{n:03d}").mkdir(parents=True)
            for name in issued:
                shutil.copy2(dest / name, prev / f"{n:03d}" / name)
            logger.info("kept the worklist issued earlier for %s as previous/%03d", worklist.month, n)
    return dest / "worklist.parquet"


def load_worklist(store_path: Path | str, month: str) -> pd.DataFrame:
    path = _worklist_path(Path(store_path), month)
    if not path.is_file():
        raise StoreError(f"{store_path}: no worklist stored for {month} ({path.relative_to(store_path)} "
                         "is missing); run `driftflag worklist` for that month first")
    return pd.read_parquet(path)


# --- import ---------------------------------------------------------------------------------
def _cell_text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d")
    if isinstance(v, float) and v != v:
        return ""
    return str(v).strip()


@dataclass(frozen=True)
class _Book:
    """What a returned workbook holds: the month it names (if any), its grades and its rows."""

    month: str
    grades: tuple[str, ...]
    rows: list[tuple[str, int, dict[str, Any]]]
    sheets: tuple[str, ...]


def _read_workbook(path: Path) -> _Book:
    """Every case row of every team sheet in a returned workbook.

    A team sheet is any sheet whose first row has a "Child ID" heading (headings matched
    ignoring case and spaces at either end), so a single team's sheet copied into a new
    workbook, or a workbook with sheets of the manager's own, reads the same. The month comes
    from the hidden ``_worklist`` sheet or, without it, from the hidden "Worklist month" column.
    """
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, data_only=True, read_only=True)
    except FileNotFoundError as e:
        raise SchemaError(f"{path}: workbook not found") from e
    except Exception as e:  # openpyxl raises several types for a file that is not xlsx
        raise SchemaError(f"{path}: not an Excel workbook ({e.__class__.__name__})") from e
    known = {c.lower(): c for c in ("Child ID", "Team", *AUDIT_COLUMNS, MONTH_COLUMN)}
    try:
        meta: dict[str, str] = {}
        if META_SHEET in wb.sheetnames:
            meta = {str(r[0]): _cell_text(r[1]) for r in wb[META_SHEET].iter_rows(values_only=True)
                    if r and r[0] and len(r) > 1}
        rows: list[tuple[str, int, dict[str, Any]]] = []
        sheets = []
        for name in wb.sheetnames:
            if name == META_SHEET:
                continue
            it = wb[name].iter_rows(values_only=True)
            header = [known.get(_cell_text(h).lower(), _cell_text(h)) for h in next(it, ())]
            if "Child ID" not in header:
                continue  # the Summary, "About the sample" or a sheet of the manager's own
            absent = [c for c in REQUIRED_AUDIT_COLUMNS if c not in header]
            if absent:
                raise SchemaError(f"{path}: sheet {name!r} has a Child ID column but no "
                                  f"{', '.join(absent)} column(s); return the sheet as issued")
            sheets.append(name)
            for i, values in enumerate(it, start=2):
                if all(_cell_text(v) == "" for v in values):
                    continue
                rows.append((name, i, dict(zip(header, values, strict=False))))
    finally:
        wb.close()
    months = {_cell_text(rec.get(MONTH_COLUMN)) for _, _, rec in rows} - {""}
    month = meta.get("month", "") or (months.pop() if len(months) == 1 else "")
    if not month and len(months) > 1:
        raise SchemaError(f"{path}: rows from more than one worklist month ({', '.join(sorted(months))}); "
                          "return each month's sheets in their own workbook")
    grades = tuple(g for g in meta.get("grades", "").split("|") if g)
    return _Book(month, grades, rows, tuple(sheets))


def _parse_date(v: Any) -> pd.Timestamp | None:
    if isinstance(v, datetime):
        return pd.Timestamp(v).normalize()
    if isinstance(v, date):
        return pd.Timestamp(v)
    text = str(v).strip()
    for dayfirst in (False, True):  # ISO first, then the UK's 03/04/2026
        try:
            t = pd.to_datetime(text, dayfirst=dayfirst, format="ISO8601" if not dayfirst else None)
            return pd.Timestamp(t).normalize()
        except (ValueError, TypeError):
            continue
    return None


def _yes_no(v: Any) -> bool | None:
    if isinstance(v, bool):
        return v
    t = _cell_text(v).lower()
    return {"yes": True, "y": True, "true": True, "no": False, "n": False, "false": False}.get(t)


def _grade(v: Any, scale: dict[str, str]) -> str | None:
    """The grade in its canonical spelling (case and spaces ignored), None when not on the scale."""
    return scale.get(" ".join(_cell_text(v).lower().split()))


def _infer_month(store_path: Path, ids: set[str]) -> str:
    """The latest stored worklist holding every case of a workbook that names no month."""
    root = ledger.worklist_dir(store_path, "x").parent
    months = sorted((p.name for p in root.iterdir() if (p / "worklist.parquet").is_file()), reverse=True) \
        if root.is_dir() else []
    for m in months:
        listed = set(pd.read_parquet(root / m / "worklist.parquet", columns=["child_id"])["child_id"].astype("str"))
        if ids and ids <= listed:
            return m
    raise SchemaError("the workbook names no worklist month and no stored worklist holds all its cases; "
                      "import it with --month")


@dataclass
class ImportResult:
    """What an import recorded, and what is still to come.

    ``imported``: the new ledger records (first audits and corrections); ``corrected``: how many
    of them supersede an earlier record; ``unchanged``: rows already recorded as they are;
    ``blank``: case rows in the workbook with no audit yet; ``missing``: cases of the teams in
    the workbook that have no row in it (a deleted row: reported, never taken as "not audited");
    ``not_audited``: cases on the month's worklist with no audit recorded after this import.
    """

    month: str
    imported: pd.DataFrame
    not_audited: int
    corrected: int = 0
    unchanged: int = 0
    blank: int = 0
    missing: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["child_id", "team"]))

    def summary(self) -> str:
        first = len(self.imported) - self.corrected
        parts = [f"imported {first} audit{'s' if first != 1 else ''} for {self.month}"]
        if self.corrected:
            parts.append(f"{self.corrected} corrected (earlier records kept as history)")
        if self.unchanged:
            parts.append(f"{self.unchanged} already recorded")
        parts.append(f"{self.not_audited} case{'s' if self.not_audited != 1 else ''} on the worklist "
                     "still to be audited")
        line = "; ".join(parts)
        if len(self.missing):
            ids = ", ".join(self.missing["child_id"].astype("str").head(10))
            more = f" and {len(self.missing) - 10} more" if len(self.missing) > 10 else ""
            line += (f". {len(self.missing)} case(s) of the teams in this workbook have no row in it "
                     f"(deleted?): {ids}{more}")
        return line


def import_audits(workbook: Path | str, store_path: Path | str, *, corrections: bool = True,
                  recorded_by: str | None = None, month: str | None = None) -> ImportResult:
    """Validate a returned workbook (or any part of one) and record its audits in the ledger.

    Audits come back in pieces: a team's sheet, half a workbook, the whole workbook again with
    one grade changed. Each case is *upserted*: a first audit is a new ledger record, a changed
    one a correction superseding the earlier record (kept as history), an unchanged one is
    skipped; blank rows are cases still to audit. A row that cannot be read (no grade on the
    scale, no auditor, a date outside the month and the one after) rejects the import with every
    problem listed by sheet, row, column and value, and the store is left unchanged.

    ``corrections`` is kept for callers of the earlier all-or-nothing import: a changed grade is
    always recorded as a correction now. ``month`` names the worklist month of a workbook that
    carries none (it is otherwise read from the workbook, or found from its cases).
    """
    from driftflag.casemodel import read_store
    from driftflag.casemodel.store import ensure_store

    del corrections  # always on: a correction is a new record, never an overwrite
    workbook, store_path = Path(workbook), Path(store_path)
    book = _read_workbook(workbook)
    ids = {_cell_text(rec.get("Child ID")) for _, _, rec in book.rows} - {""}
    name = month or book.month or _infer_month(store_path, ids)
    try:
        start = month_start(name)
    except DriftflagError as e:
        raise SchemaError(f"{workbook}: the worklist month {name!r} is not a valid month") from e
    month = start.strftime("%Y-%m")
    first_day, last_day = audit_date_bounds(month)
    store = read_store(store_path, tables=["audits"])
    wl = load_worklist(store_path, month).set_index("child_id")
    wl.index = wl.index.astype("str")
    grades = tuple(dict.fromkeys((*book.grades, *AUDIT_GRADES)))
    scale = {g.lower(): g for g in grades}
    scale.update({"ri": "Requires improvement", "requires improvement": "Requires improvement"})
    current = ledger.current_records(store_path).set_index("audit_id")
    ingested = set(store["audits"]["audit_id"].astype("str")) - set(current.index)

    problems: list[RowProblem] = []
    records: dict[str, dict[str, Any]] = {}
    where: dict[str, tuple[str, int]] = {}
    seen: set[str] = set()
    blank = 0
    for sheet, r, rec in book.rows:
        cid = _cell_text(rec.get("Child ID"))

        def bad(col: str, reason: str, sheet=sheet, r=r, rec=rec) -> None:
            problems.append(RowProblem(sheet, r, col, _cell_text(rec.get(col)), reason))

        if cid not in wl.index:
            bad("Child ID", f"this case is not on the {month} worklist")
            continue
        seen.add(cid)
        filled = {c for c in AUDIT_COLUMNS if c in rec and _cell_text(rec.get(c)) != ""}
        if not filled - {"Notes"}:
            blank += 1
            continue
        n_before = len(problems)
        grade = _grade(rec.get("Grade"), scale)
        if grade is None:
            bad("Grade", f"the grade must be one of {', '.join(grades)}")
        moderated = _cell_text(rec.get("Moderator grade"))
        moderator = _grade(moderated, scale) if moderated else None
        if moderated and moderator is None:
            bad("Moderator grade", f"must be one of {', '.join(grades)} or blank")
        drift = _yes_no(rec.get("Drift found"))
        if drift is None:
            bad("Drift found", f"must be {' or '.join(YES_NO)}")
        actions_raw = rec.get("Actions set")
        actions = None if _cell_text(actions_raw) == "" else _yes_no(actions_raw)
        if _cell_text(actions_raw) != "" and actions is None:
            bad("Actions set", f"must be {' or '.join(YES_NO)} or blank")
        auditor = _cell_text(rec.get("Auditor"))
        if not auditor:
            bad("Auditor", "the auditor must be named")
        when = _parse_date(rec.get("Audit date")) if _cell_text(rec.get("Audit date")) else None
        if when is None:
            bad("Audit date", "must be a date (for example 2026-04-03)")
        elif not (first_day <= when <= last_day):
            bad("Audit date", f"must be between {first_day.date()} and {last_day.date()} (the worklist "
                "month and the month after)")
        audit_id = worklist_audit_id(month, cid)
        if audit_id in ingested:
            bad("Child ID", f"an audit {audit_id} came from the council's audit log; correct it there")
        if len(problems) > n_before:
            continue
        w = wl.loc[cid]
        notes = _cell_text(rec.get("Notes"))
        row = {
            "audit_id": audit_id, "child_id": cid, "audit_date": when, "auditor": auditor,
            "team": str(w["team"]), "service": str(w["service"]), "grade": grade,
            "drift_found": drift, "selection_reason": str(w["selection_code"]),
            "inclusion_probability": float(w["inclusion_probability"]), "actions_set": actions,
            "notes": notes or None, "moderator_grade": moderator,
        }
        if cid in records and _signature(records[cid]) != _signature(row):
            s0, r0 = where[cid]
            bad("Child ID", f"the case appears twice with different audits (also sheet {s0!r} row {r0})")
            continue
        records.setdefault(cid, row)
        where.setdefault(cid, (sheet, r))
    if problems:
        raise AuditImportError(workbook, problems)

    new, corrected, unchanged = [], 0, 0
    for cid in sorted(records):
        row = records[cid]
        if row["audit_id"] in current.index:
            if _signature(row) == _signature(current.loc[row["audit_id"]].to_dict()):
                unchanged += 1
                continue
            corrected += 1
        new.append(row)
    frame = pd.DataFrame.from_records(new, columns=[
        "audit_id", "child_id", "audit_date", "auditor", "team", "service", "grade", "drift_found",
        "selection_reason", "inclusion_probability", "actions_set", "notes", "moderator_grade"])
    if len(frame):
        ensure_store(store_path)
        ledger.append_audits(store_path, frame, source=f"workbook {workbook.name}", recorded_by=recorded_by)
    audited = set(current.index) | set(frame["audit_id"])
    outstanding = int(sum(worklist_audit_id(month, c) not in audited for c in wl.index))
    missing = _missing_rows(wl, seen, book)
    logger.info("imported %d audits for %s (%d corrections, %d unchanged, %d blank rows, %d rows missing)",
                len(frame), month, corrected, unchanged, blank, len(missing))
    return ImportResult(month=month, imported=frame, not_audited=outstanding, corrected=corrected,
                        unchanged=unchanged, blank=blank, missing=missing)


def _signature(row: Any) -> tuple:
    """The fields an auditor fills in, normalised, to tell a correction from a re-import."""
    def norm(v: Any) -> str:
        if v is None or (not isinstance(v, str) and pd.isna(v)):
            return ""
        if isinstance(v, datetime | pd.Timestamp | date):
            return pd.Timestamp(v).strftime("%Y-%m-%d")
        if isinstance(v, bool | np.bool_):
            return "yes" if v else "no"
        return str(v).strip()

    return tuple(norm(row.get(c)) for c in ("grade", "drift_found", "actions_set", "auditor", "audit_date",
                                             "notes", "moderator_grade"))


def _missing_rows(wl: pd.DataFrame, seen: set[str], book: _Book) -> pd.DataFrame:
    """Cases of the teams the workbook covers that have no row in it (a row deleted by mistake)."""
    teams_in_book = {_cell_text(rec.get("Team")) for _, _, rec in book.rows} - {""}
    team = wl["team"].astype("object").where(wl["team"].notna(), NO_TEAM).astype("str")
    expected = team[team.isin(teams_in_book)]
    gone = [c for c in expected.index if c not in seen]
    return pd.DataFrame({"child_id": gone, "team": [expected[c] for c in gone]})


# --- report ---------------------------------------------------------------------------------
@dataclass
class AuditReport:
    """Audit findings for a range of months, as tables (each a DataFrame)."""

    period: tuple[str, str]
    by_part: pd.DataFrame
    estimates: pd.DataFrame
    agreement: pd.DataFrame
    optimism: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    moderation: pd.DataFrame = field(default_factory=pd.DataFrame)

    TITLES = {"by_part": "Drift found, by part of the sample",
              "estimates": "Estimates (inverse-probability weighted where stated)",
              "agreement": "Flags against grades", "optimism": "Re-graded cases (over-optimism)",
              "moderation": "Moderated audits (moderator's grade against the auditor's)"}

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"by_part": self.by_part, "estimates": self.estimates, "agreement": self.agreement,
                "optimism": self.optimism, "moderation": self.moderation}

    def people_tables(self) -> dict[str, pd.DataFrame]:
        """Each table as people read it: headings in words, no NaN (a share of nothing is
        "not available"), an empty table one line saying so."""
        out = {}
        for k, t in self.tables().items():
            if t is None or not len(t):
                out[k] = pd.DataFrame({"": ["No audits in this period."]})
                continue
            shown = t.copy().astype("object")
            for c in shown.columns:
                if "share" in str(c) or "rate" in str(c):
                    shown[c] = [_percent(v) for v in t[c]]
            if k == "estimates":
                shown["value"] = [_percent(v) if str(u).startswith("share") else
                                  (f"{int(v):,}" if pd.notna(v) else v) for v, u in zip(t["value"], t["unit"], strict=True)]
                shown["unit"] = t["unit"].astype("str").str.replace("share", "percentage", n=1)
            shown = shown.where(shown.notna(), "not available")
            shown.columns = [str(c).replace("_", " ").capitalize() if str(c) == str(c).lower() else str(c)
                             for c in shown.columns]
            out[k] = shown
        return out

    def to_text(self) -> str:
        parts = [f"Audit report {self.period[0]} to {self.period[1]}", HUMAN_DECISION_NOTICE, ""]
        for k, t in self.people_tables().items():
            title = self.TITLES[k]
            body = t.iloc[0, 0] if list(t.columns) == [""] else text_table(t)
            parts += [title, "-" * len(title), body, ""]
        parts += self.notes
        return "\n".join(parts)

    def to_html(self) -> str:
        """The report as one self-contained HTML page (no outside requests)."""
        import html

        def table(t: pd.DataFrame) -> str:
            if list(t.columns) == [""]:
                return f"<p>{html.escape(str(t.iloc[0, 0]))}</p>"
            head = "".join(f"<th>{html.escape(str(c))}</th>" for c in t.columns)
            rows = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in r) + "</tr>"
                           for r in t.itertuples(index=False))
            return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"

        title = f"Audit report {self.period[0]} to {self.period[1]}"
        body = "".join(f"<h2>{html.escape(self.TITLES[k])}</h2>{table(t)}" for k, t in self.people_tables().items())
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}"
                "</title><style>body{font-family:Arial,Helvetica,sans-serif;margin:1.5em;color:#1b1b1b}"
                "table{border-collapse:collapse;font-size:14px;margin:.5em 0 1.2em}th,td{border:1px solid #bbb;"
                "padding:4px 8px;text-align:left}th{background:#ddebf7}.notice{background:#ffc7ce;color:#9c0006;"
                "padding:.8em 1em;font-weight:bold}@media print{body{margin:0}}</style></head><body>"
                f"<h1>{html.escape(title)}</h1><p class=\"notice\">{html.escape(HUMAN_DECISION_NOTICE)}</p>"
                f"{body}<h2>Notes</h2><ul>{notes or '<li>No notes for this period.</li>'}</ul></body></html>\n")

    def to_excel(self) -> bytes:
        """The report as a formatted, printable workbook: one sheet, a titled block per table."""
        import io

        import xlsxwriter

        buf = io.BytesIO()
        wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False,
                                       "strings_to_urls": False})
        ws = wb.add_worksheet("Audit report")
        h1 = wb.add_format({"bold": True, "font_size": 14})
        h2 = wb.add_format({"bold": True, "font_size": 12})
        head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
        cell = wb.add_format({"border": 1, "text_wrap": True, "valign": "top"})
        notice = wb.add_format({"bold": True, "font_color": "#9C0006", "bg_color": "#FFC7CE", "text_wrap": True})
        ws.set_column(0, 0, 48)
        ws.set_column(1, 8, 16)
        ws.write(0, 0, f"Audit report {self.period[0]} to {self.period[1]}", h1)
        ws.merge_range(1, 0, 1, 5, HUMAN_DECISION_NOTICE, notice)
        ws.set_row(1, 45)
        r = 3
        for k, t in self.people_tables().items():
            ws.write(r, 0, self.TITLES[k], h2)
            r += 1
            if list(t.columns) == [""]:
                ws.write_string(r, 0, str(t.iloc[0, 0]))
                r += 2
                continue
            for j, c in enumerate(t.columns):
                ws.write_string(r, j, str(c), head)
            for row in t.itertuples(index=False):
                r += 1
                for j, v in enumerate(row):
                    if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
                        ws.write_number(r, j, float(v), cell)
                    else:
                        ws.write_string(r, j, str(v), cell)
            r += 2
        for n in self.notes:
            ws.write_string(r, 0, n)
            r += 1
        ws.set_landscape()
        ws.fit_to_pages(1, 0)
        wb.close()
        return buf.getvalue()

    def write(self, out_dir: Path | str) -> list[Path]:
        """Write ``audits_report_<from>_<to>.html`` and ``.xlsx`` into ``out_dir``."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        stem = f"audits_report_{self.period[0]}_{self.period[1]}"
        (out / f"{stem}.html").write_text(self.to_html(), encoding="utf-8")
        (out / f"{stem}.xlsx").write_bytes(self.to_excel())
        return [out / f"{stem}.html", out / f"{stem}.xlsx"]


def _percent(v: Any) -> Any:
    """A share as people read it ("13.8%"); missing stays missing (shown "not available")."""
    return v if v is None or pd.isna(v) else f"{100 * float(v):.1f}%"


def _weighted_rate(y: np.ndarray, w: np.ndarray) -> float:
    return float((y * w).sum() / w.sum()) if w.sum() > 0 else float("nan")


def audits_report(store_path: Path | str, month_from: str, month_to: str) -> AuditReport:
    """Findings of the audits dated in ``month_from`` .. ``month_to`` (both inclusive)."""
    from driftflag.casemodel import read_store

    store_path = Path(store_path)
    start, last = month_start(month_from), month_start(month_to)
    if last < start:
        raise SchemaError(f"--from {month_from} is after --to {month_to}")
    end = last + pd.offsets.MonthEnd(0)
    audits = read_store(store_path, tables=["audits"])["audits"]
    a = audits[(audits["audit_date"] >= start) & (audits["audit_date"] <= end)].copy()
    a["month"] = a["audit_date"].dt.strftime("%Y-%m")
    frames = []
    for m in sorted(a["month"].unique()):
        p = _worklist_path(store_path, m)
        if p.is_file():
            w = pd.read_parquet(p, columns=["child_id", "selection_part", "model_flagged", "rule_flagged",
                                            "score"])
            w["month"] = m
            frames.append(w)
    wl = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["child_id", "selection_part", "model_flagged", "rule_flagged", "score", "month"])
    a = a.merge(wl, on=["child_id", "month"], how="left")
    fallback = a["selection_reason"].astype("str").map(lambda s: f"{s.capitalize()} (audit log)")
    words = a["selection_part"].astype("object").map(lambda p: PART_LABELS.get(str(p), str(p)))
    a["part"] = words.where(a["selection_part"].notna(), fallback)
    d = a["drift_found"].astype("boolean").fillna(False).to_numpy(dtype=float)
    pi = a["inclusion_probability"].to_numpy(dtype=float)
    has_pi = np.isfinite(pi) & (pi > 0)
    w = np.where(has_pi, 1 / np.where(has_pi, pi, 1), 0.0)

    g = a.assign(drift=d).groupby("part", sort=True)
    by_part = pd.DataFrame({"audits": g.size(), "drift_found": g["drift"].sum().astype(int),
                            "drift_rate": g["drift"].mean().round(3)}).reset_index()

    est = []
    est.append(("audits", float(len(a)), "count"))
    est.append(("drift rate, unweighted", round(float(d.mean()), 3) if len(a) else np.nan, "share"))
    est.append(("drift prevalence, inverse-probability weighted", round(_weighted_rate(d[has_pi], w[has_pi]), 3)
                if has_pi.any() else np.nan, f"share (n={int(has_pi.sum())} with a probability)"))
    notes: list[str] = []
    for flag, label in (("model_flagged", "model"), ("rule_flagged", "rule")):
        f = a[flag].astype("boolean").fillna(False).to_numpy(dtype=bool) & has_pi
        est.append((f"{label} precision on audited cases, weighted",
                    round(_weighted_rate(d[f], w[f]), 3) if f.any() else np.nan,
                    f"share (n={int(f.sum())} flagged audits)"))
    if a["selection_part"].isna().any():
        notes.append(f"{int(a['selection_part'].isna().sum())} audits have no stored worklist (e.g. the "
                     "council's audit log before driftflag): counted by their recorded selection reason; "
                     "model and rule flags unknown for them.")
    estimates = pd.DataFrame(est, columns=["measure", "value", "unit"])

    known = a[a["selection_part"].notna()]
    flag = known["model_flagged"].astype("boolean").fillna(False).map({True: "model-flagged", False: "not flagged"})
    agreement = pd.crosstab(flag, known["grade"]).reindex(columns=list(AUDIT_GRADES), fill_value=0)
    agreement.index.name = "flag"
    agreement = agreement.reset_index()
    below = [g for g in AUDIT_GRADES if g not in ("Outstanding", "Good")]
    agreement["below good share"] = ((agreement[below].sum(axis=1))
                                     / agreement[list(AUDIT_GRADES)].sum(axis=1).replace(0, np.nan)).round(3)
    if len(known):
        y1 = known["model_flagged"].astype("boolean").fillna(False).to_numpy(dtype=bool)
        y2 = known["drift_found"].astype("boolean").fillna(False).to_numpy(dtype=bool)
        po = float((y1 == y2).mean())
        pe = float(y1.mean() * y2.mean() + (1 - y1.mean()) * (1 - y2.mean()))
        kappa = (po - pe) / (1 - pe) if pe < 1 else float("nan")
        notes.append(f"Agreement between model flag and drift found: {po:.1%} (Cohen's kappa {kappa:.2f}).")

    # over-optimism: the same child graded twice, in date order (re-audits, independent re-grades)
    s = audits.sort_values(["child_id", "audit_date", "audit_id"], kind="stable")
    s = s[s["audit_date"] <= end]
    prev = s.groupby("child_id")[["grade", "drift_found", "audit_date"]].shift(1)
    pairs = s[prev["grade"].notna() & (s["audit_date"] >= start)].copy()
    pairs["earlier"] = prev.loc[pairs.index, "grade"].map(_GRADE_ORDER)
    pairs["later"] = pairs["grade"].map(_GRADE_ORDER)
    n = len(pairs)
    worse = int((pairs["later"] > pairs["earlier"]).sum())
    better = int((pairs["later"] < pairs["earlier"]).sum())
    optimism = pd.DataFrame({
        "measure": ["cases re-graded", "later grade worse (earlier over-optimistic)", "same grade", "later grade better"],
        "cases": [n, worse, n - worse - better, better],
        "share": [1.0 if n else np.nan] + [round(x / n, 3) if n else np.nan for x in (worse, n - worse - better, better)],
    })
    moderation = _moderation(store_path, start, end)
    return AuditReport((start.strftime("%Y-%m"), last.strftime("%Y-%m")), by_part, estimates, agreement,
                       optimism, notes, moderation)


def _moderation(store_path: Path, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Audits with a moderator's grade: how often the moderator graded lower (the auditor was
    over-optimistic), the same or higher."""
    rec = ledger.current_records(store_path)
    rec = rec[(rec["audit_date"] >= start) & (rec["audit_date"] <= end) & rec["moderator_grade"].notna()]
    a = rec["grade"].map(_GRADE_ORDER).astype("float64")
    m = rec["moderator_grade"].map(_GRADE_ORDER).astype("float64")
    n = int((a.notna() & m.notna()).sum())
    worse, better = int((m > a).sum()), int((m < a).sum())
    return pd.DataFrame({
        "measure": ["moderated audits", "moderator graded lower (auditor over-optimistic)", "same grade",
                    "moderator graded higher"],
        "cases": [n, worse, n - worse - better, better],
        "share": [1.0 if n else np.nan] + [round(x / n, 3) if n else np.nan for x in (worse, n - worse - better, better)],
    })
