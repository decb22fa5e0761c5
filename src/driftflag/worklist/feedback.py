"""The audit feedback loop: keep each worklist in the store, import completed workbooks, report.

* :func:`save_worklist` stores a worklist and its inclusion probabilities under
  ``STORE/records/worklists/<month>/worklist.parquet`` (atomically; ``records/`` survives every
  re-ingest), so imports can check a case was on that month's worklist and later evaluation can
  weight audits by ``1 / inclusion_probability``.
* :func:`import_audits` reads a completed workbook, validates every row (grade in the allowed
  set, drift found Yes/No, auditor named, date inside the month, case on that worklist, not
  already imported, not twice in the workbook) and appends the audits to the store's audit
  ledger (:mod:`driftflag.casemodel.ledger`, append-only, kept across re-ingests). Any rejected
  row rejects the whole import (never half-imports): the store is left byte-for-byte unchanged
  and :class:`AuditImportError` lists every problem by sheet, row, column and value. With
  ``corrections=True`` an already imported audit may be imported again: the new grade is a new
  ledger record superseding the old one, never an overwrite.
* :func:`audits_report` compares audit findings across the parts of the sample (highest risk,
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
from driftflag.worklist.outputs import AUDIT_COLUMNS, META_SHEET, YES_NO
from driftflag.worklist.sampling import month_start

logger = logging.getLogger(__name__)

__all__ = [
    "AuditImportError",
    "AuditReport",
    "ImportResult",
    "RowProblem",
    "audits_report",
    "import_audits",
    "load_worklist",
    "save_worklist",
]

WORKLISTS_DIR = "worklists"  # the folder of stores written before records/ (read, never written)
_GRADE_ORDER = {g: i for i, g in enumerate(AUDIT_GRADES)}  # Good < Requires improvement < Inadequate


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


@dataclass
class ImportResult:
    """What an import appended and skipped."""

    month: str
    imported: pd.DataFrame
    not_audited: int


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
    return str(v).strip()


def _read_workbook(path: Path) -> tuple[str, list[tuple[str, int, dict[str, Any]]]]:
    """(month, [(sheet, excel row number, {header: value})]) from a completed workbook."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, data_only=True, read_only=True)
    except FileNotFoundError as e:
        raise SchemaError(f"{path}: workbook not found") from e
    except Exception as e:  # openpyxl raises several types for a file that is not xlsx
        raise SchemaError(f"{path}: not an Excel workbook ({e.__class__.__name__})") from e
    try:
        if META_SHEET not in wb.sheetnames:
            raise SchemaError(f"{path}: not a driftflag worklist workbook (no {META_SHEET} sheet)")
        meta = {str(r[0]): _cell_text(r[1]) for r in wb[META_SHEET].iter_rows(values_only=True) if r[0]}
        month = meta.get("month", "")
        rows: list[tuple[str, int, dict[str, Any]]] = []
        for name in wb.sheetnames:
            if name in ("Summary", META_SHEET):
                continue
            it = wb[name].iter_rows(values_only=True)
            header = [_cell_text(h) for h in next(it, ())]
            absent = [c for c in ("Child ID", *AUDIT_COLUMNS) if c not in header]
            if absent:
                raise SchemaError(f"{path}: sheet {name!r} lacks column(s) {', '.join(absent)}")
            for i, values in enumerate(it, start=2):
                rec = dict(zip(header, values, strict=False))
                if all(v is None or _cell_text(v) == "" for v in values):
                    continue
                rows.append((name, i, rec))
    finally:
        wb.close()
    return month, rows


def _parse_date(v: Any) -> pd.Timestamp | None:
    if isinstance(v, datetime):
        return pd.Timestamp(v).normalize()
    if isinstance(v, date):
        return pd.Timestamp(v)
    try:
        return pd.Timestamp(str(v).strip()).normalize()
    except (ValueError, TypeError):
        return None


def _yes_no(v: Any) -> bool | None:
    if isinstance(v, bool):
        return v
    t = _cell_text(v).lower()
    return {"yes": True, "y": True, "true": True, "no": False, "n": False, "false": False}.get(t)


def import_audits(workbook: Path | str, store_path: Path | str, *, corrections: bool = False,
                  recorded_by: str | None = None) -> ImportResult:
    """Validate a completed workbook and append its audits to the audit ledger (all or nothing).

    ``corrections``: an audit already in the ledger is recorded again as a correction (a new
    record superseding the old; rows that change nothing are skipped) instead of refused.
    """
    from driftflag.casemodel import read_store
    from driftflag.casemodel.store import ensure_store

    workbook, store_path = Path(workbook), Path(store_path)
    month, rows = _read_workbook(workbook)
    try:
        start = month_start(month)
    except DriftflagError as e:
        raise SchemaError(f"{workbook}: the {META_SHEET} sheet names no valid month ({month!r})") from e
    month = start.strftime("%Y-%m")
    end = start + pd.offsets.MonthEnd(0)
    store = read_store(store_path, tables=["audits"])
    wl = load_worklist(store_path, month).set_index("child_id")
    existing = set(store["audits"]["audit_id"].astype("str"))
    correctable = set(ledger.current_audits(store_path)["audit_id"].astype("str")) if corrections else set()

    problems: list[RowProblem] = []
    records: list[dict[str, Any]] = []
    seen: dict[str, tuple[str, int]] = {}
    not_audited = 0
    for sheet, r, rec in rows:
        cid = _cell_text(rec.get("Child ID"))
        filled = {c: rec.get(c) for c in AUDIT_COLUMNS if _cell_text(rec.get(c)) != ""}
        if not filled or set(filled) == {"Notes"}:
            not_audited += 1
            continue

        def bad(col: str, reason: str, sheet=sheet, r=r, rec=rec) -> None:
            problems.append(RowProblem(sheet, r, col, _cell_text(rec.get(col)), reason))

        n_before = len(problems)
        if cid not in wl.index:
            bad("Child ID", f"this case is not on the {month} worklist")
        elif cid in seen:
            bad("Child ID", f"the case appears twice (also sheet {seen[cid][0]!r} row {seen[cid][1]})")
        audit_id = f"WL{month}-{cid}"
        if audit_id in existing and audit_id not in correctable:
            bad("Child ID", f"the audit of this case for {month} is already in the store (duplicate import"
                + ("" if corrections else "; import with --corrections to record a corrected grade") + ")")
        grade = _cell_text(rec.get("Grade"))
        if grade not in AUDIT_GRADES:
            bad("Grade", f"the grade must be one of {', '.join(AUDIT_GRADES)}")
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
            bad("Audit date", "must be a date (YYYY-MM-DD)")
        elif not (start <= when <= end):
            bad("Audit date", f"must be inside {month} ({start.date()} to {end.date()})")
        seen.setdefault(cid, (sheet, r))
        if len(problems) > n_before:
            continue
        w = wl.loc[cid]
        records.append({
            "audit_id": audit_id, "child_id": cid, "audit_date": when, "auditor": auditor,
            "team": str(w["team"]), "service": str(w["service"]), "grade": grade,
            "drift_found": drift, "selection_reason": str(w["selection_code"]),
            "inclusion_probability": float(w["inclusion_probability"]), "actions_set": actions,
        })
    if problems:
        raise AuditImportError(workbook, problems)
    new = pd.DataFrame.from_records(records, columns=[
        "audit_id", "child_id", "audit_date", "auditor", "team", "service", "grade", "drift_found",
        "selection_reason", "inclusion_probability", "actions_set"])
    if corrections and len(new):
        new = _changed_only(new, store["audits"])
    if len(new):
        ensure_store(store_path)
        ledger.append_audits(store_path, new.sort_values("audit_id", kind="stable"),
                             source=f"workbook {workbook.name}", recorded_by=recorded_by)
    logger.info("imported %d audits for %s (%d rows not audited)", len(new), month, not_audited)
    return ImportResult(month=month, imported=new, not_audited=not_audited)


def _changed_only(new: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    """Rows of ``new`` that differ from the current record of their audit (re-imports that change
    nothing add no correction)."""
    from driftflag.casemodel import TABLES, conform

    fresh = conform(new, TABLES["audits"])
    cur = current.set_index(current["audit_id"].astype("str"))
    keep = []
    for i, row in fresh.iterrows():
        aid = str(row["audit_id"])
        if aid not in cur.index:
            keep.append(i)
            continue
        old = cur.loc[aid]
        if any(not (pd.isna(row[c]) and pd.isna(old[c])) and str(row[c]) != str(old[c]) for c in fresh.columns):
            keep.append(i)
    return new.loc[keep].reset_index(drop=True)


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

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"by_part": self.by_part, "estimates": self.estimates, "agreement": self.agreement,
                "optimism": self.optimism}

    def to_text(self) -> str:
        parts = [f"Audit report {self.period[0]} to {self.period[1]}", HUMAN_DECISION_NOTICE, ""]
        titles = {"by_part": "Drift found, by part of the sample",
                  "estimates": "Estimates (inverse-probability weighted where stated)",
                  "agreement": "Flags against grades", "optimism": "Re-graded cases (over-optimism)"}
        tables = self.tables()
        for k, t in titles.items():
            parts += [t, "-" * len(t), text_table(tables[k]), ""]
        parts += self.notes
        return "\n".join(parts)


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
    fallback = a["selection_reason"].astype("str").map(lambda s: f"{s} (audit log)")
    a["part"] = a["selection_part"].astype("object").where(a["selection_part"].notna(), fallback)
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
    agreement["not good share"] = ((agreement[list(AUDIT_GRADES[1:])].sum(axis=1))
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
    return AuditReport((start.strftime("%Y-%m"), last.strftime("%Y-%m")), by_part, estimates, agreement,
                       optimism, notes)
