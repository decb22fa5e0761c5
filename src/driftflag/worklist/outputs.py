"""The worklist as a QA lead uses it: an Excel workbook, a CSV and an HTML page.

Workbook (``worklist.xlsx``):

* **Summary**: the human-decision notice, one instruction in plain English, the month,
  policy, model and registry versions, the audit dates accepted, the indicators not available
  this month, and counts by selection reason, service and team.
* **About the sample**: what an inclusion probability is and how this month's were worked out.
* **One sheet per team** (in natural order: Team 3 before Team 10): one row per case; who the
  case is, why it was selected and its top three reasons, frozen on screen; beside them the
  yellow audit columns (grade, drift found, actions set, auditor, audit date, moderator grade,
  notes), the only cells that can be edited, with drop-downs on the council's grading scale;
  then risk, key indicator values and the inclusion probability; a hidden last column with the
  worklist month (so one team's sheet copied into a new workbook can be imported). Printed
  landscape, one page wide, header row repeated.
* a hidden **_worklist** sheet naming the month, policy and grades, read back by ``audits import``.

Same inputs give byte-identical files: rows sorted, the workbook's created date fixed to the
worklist month, no timestamps anywhere (xlsxwriter writes fixed zip entry dates).

Values come from the returns: the workbook writes them as strings (never formulas), the HTML
escapes them, and the CSV neutralises text cells that a spreadsheet would run as a formula
(:func:`driftflag._text.people_csv`).
"""

from __future__ import annotations

import hashlib
import html as _html
import io
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from driftflag import HUMAN_DECISION_NOTICE
from driftflag._atomic import staged_dir
from driftflag._text import people_csv
from driftflag.casemodel.codes import AUDIT_GRADES
from driftflag.worklist.policy import SERVICE_LABELS

__all__ = [
    "AUDIT_COLUMNS",
    "DISPLAY_COLUMNS",
    "FROZEN_COLUMNS",
    "INSTRUCTION",
    "MONTH_COLUMN",
    "REQUIRED_AUDIT_COLUMNS",
    "audit_date_bounds",
    "method_words",
    "natural_key",
    "META_SHEET",
    "display_frame",
    "render_html",
    "write_all",
    "write_csv",
    "write_excel",
]

META_SHEET = "_worklist"
#: Shown for a case whose team is not recorded (never "nan").
NO_TEAM = "No team recorded"
YES_NO = ("Yes", "No")

PART_LABELS = {
    "reaudit": "Re-audit",
    "previously_audited": "Previously audited (Ofsted)",
    "thematic": "Thematic",
    "highest_risk": "Highest risk",
    "rule_flagged": "Rule-flagged",
    "random": "Random control",
}

#: (header, source column, how to show it) for the case columns, in order.
_KEY_INDICATORS: tuple[tuple[str, str, str], ...] = (
    ("Days since last visit", "days_since_last_visit", "int"),
    ("Months on CP plan", "cp_plan_days", "months"),
    ("Missing episodes (90 days)", "missing_episodes_90d", "int"),
    ("Placements (12 months)", "placements_12m", "int"),
    ("Weeks in PLO", "plo_weeks", "int"),
    ("Weeks in proceedings", "care_proceedings_weeks", "int"),
    ("Worker changes (12 months)", "worker_changes_12m", "int"),
)

#: Indicators that apply to every open case: a blank one means its source had nothing known for
#: the case by the as-of date (knowledge dates), shown as :data:`NOT_AVAILABLE`, never a value.
ALWAYS_APPLIES: frozenset[str] = frozenset({"days_since_last_visit", "worker_changes_12m"})
NOT_AVAILABLE = "not available"

#: Columns the auditor fills in, read back by ``driftflag audits import``; placed beside the
#: reasons so a practice manager sees why the case is there while grading it.
AUDIT_COLUMNS: tuple[str, ...] = ("Grade", "Drift found", "Actions set", "Auditor", "Audit date",
                                  "Moderator grade", "Notes")
#: Audit columns an import needs on a sheet (older workbooks have no moderator grade).
REQUIRED_AUDIT_COLUMNS: tuple[str, ...] = ("Grade", "Drift found", "Actions set", "Auditor", "Audit date")
#: The last column of every team sheet: the worklist month, so one team's sheet copied into a new
#: workbook can still be imported.
MONTH_COLUMN = "Worklist month"
#: The case columns frozen on screen (with the header row): who the case is and why it is listed.
FROZEN_COLUMNS: tuple[str, ...] = ("Child ID", "Team", "Service", "Worker", "Selection",
                                   "Reason 1", "Reason 2", "Reason 3")

DISPLAY_COLUMNS: tuple[str, ...] = (
    *FROZEN_COLUMNS, *AUDIT_COLUMNS, "Why selected", "Risk score", "Risk percentile",
    *(h for h, _, _ in _KEY_INDICATORS), "Inclusion probability", MONTH_COLUMN,
)

_WIDTHS = {"Child ID": 11, "Team": 16, "Service": 12, "Worker": 14, "Selection": 12,
           "Why selected": 50, "Reason 1": 30, "Reason 2": 30, "Reason 3": 30, "Notes": 36,
           "Grade": 16, "Moderator grade": 16, "Drift found": 9, "Actions set": 9,
           "Audit date": 12, "Auditor": 16, MONTH_COLUMN: 10}

#: The one instruction on the Summary sheet, in plain English.
INSTRUCTION = ("Fill in the yellow columns on each team's sheet (grade, drift found, actions set, "
               "auditor and audit date; notes and a moderator's grade if you have them), save the "
               "workbook and send it back to the QA lead; part-finished workbooks and single team "
               "sheets can be sent back as often as you like.")

#: What an inclusion probability is, for the "About the sample" sheet and the HTML page.
PROBABILITY_TEXT = (
    "Each case's inclusion probability is the chance that the sampling policy would have put it on "
    "this month's list. Cases chosen for certain (the highest risk, rule breaches, re-audits and "
    "thematic pulls) have probability 1. Cases in the random control sample have a small "
    "probability; when findings are added up, each random case stands for 1 / probability cases "
    "like it, so the audit results give a fair picture of practice across the whole caseload.")
METHOD_TEXT = {
    "exact": "Worked out exactly from the policy (every case had a known, fixed chance).",
    "simulated": ("Estimated by drawing the month's list {n} times with the same policy and counting "
                  "how often each case was chosen (the caps per team and worker make an exact "
                  "calculation impractical); accurate to about one percentage point."),
}


def method_words(method: str) -> str:
    """The inclusion-probability method in plain English ("simulated (n=2000)" explained)."""
    m = str(method)
    if m.startswith("simulated"):
        n = "".join(ch for ch in m if ch.isdigit()) or "many"
        return METHOD_TEXT["simulated"].format(n=f"{int(n):,}" if n.isdigit() else n)
    return METHOD_TEXT.get(m, m)


def _month_bounds(month: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    start = pd.Timestamp(f"{month}-01")
    return start, start + pd.offsets.MonthEnd(0)


def audit_date_bounds(month: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Audit dates accepted for a month's worklist: from its first day to the end of the
    following month (audits of a March list are often finished in April)."""
    start = pd.Timestamp(f"{month}-01")
    return start, start + pd.offsets.MonthEnd(2)


def _teams(frame: pd.DataFrame) -> pd.Series:
    team = frame["team"].astype("object")
    return team.where(team.notna(), NO_TEAM).astype("str")


def natural_key(text: str) -> tuple:
    """Sort key that puts "Team 3" before "Team 10" (numbers compared as numbers)."""
    import re

    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p.casefold())
                 for p in re.split(r"(\d+)", str(text)) if p != "")


def display_frame(frame: pd.DataFrame, not_available: dict[str, str] | None = None,
                  month: str | None = None) -> pd.DataFrame:
    """The worklist in the QA lead's words: one row per case, the columns of the workbook.

    ``not_available``: indicators whose sources do not cover the month (shown as
    :data:`NOT_AVAILABLE`, never a number)."""
    n = len(frame)
    gaps = set(not_available or {})

    def col(name: str) -> pd.Series:
        return frame[name] if name in frame.columns else pd.Series([pd.NA] * n, index=frame.index)

    worker = col("worker_name").astype("object")
    worker = worker.where(worker.notna(), col("worker_id").astype("object")) if "worker_id" in frame else worker
    out = {
        "Child ID": frame["child_id"].astype("str"),
        "Team": _teams(frame),
        "Service": frame["service"].astype("str").map(lambda s: SERVICE_LABELS.get(s, s)),
        "Worker": worker.astype("object").where(worker.notna(), "").astype("str"),
        "Risk score": frame["score"].astype(float).round(3),
        "Risk percentile": frame["risk_percentile"].astype(float).round(1),
    }
    for header, src, how in _KEY_INDICATORS:
        v = pd.to_numeric(col(src), errors="coerce").astype("float64")
        if how == "months":
            v = np.floor(v / (365.25 / 12))
        out[header] = v.round(0).astype("Int64")
        if src in gaps:
            out[header] = pd.Series(NOT_AVAILABLE, index=frame.index, dtype="object")
        elif src in ALWAYS_APPLIES:
            # blank only when the source (an Annex A snapshot) has nothing known for the case
            out[header] = out[header].astype("object").where(out[header].notna(), NOT_AVAILABLE)
    out["Selection"] = frame["selection_part"].map(PART_LABELS).astype("str")
    out["Why selected"] = frame["selection_reason"].astype("str")
    for k in (1, 2, 3):
        r = col(f"reason_{k}").astype("object")
        out[f"Reason {k}"] = r.where(r.notna(), "").astype("str")
    out["Inclusion probability"] = frame["inclusion_probability"].astype(float).round(6)
    for c in AUDIT_COLUMNS:
        out[c] = ""
    out[MONTH_COLUMN] = month or (str(frame["month"].iloc[0]) if "month" in frame.columns and n else "")
    return pd.DataFrame(out, index=frame.index)[list(DISPLAY_COLUMNS)].reset_index(drop=True)


#: Excel's rules for a sheet name: at most 31 characters (UTF-16 code units), none of
#: ``[]:*?/\\`` nor control characters, not starting or ending with an apostrophe, not "History"
#: (reserved), unique ignoring case.
SHEET_NAME_MAX = 31
_SHEET_FORBIDDEN = frozenset("[]:*?/\\")
_RESERVED_SHEETS = frozenset({"summary", "about the sample", META_SHEET.lower(), "history"})


def _cut(name: str, units: int) -> str:
    """The longest start of ``name`` within ``units`` UTF-16 code units (Excel's count)."""
    out, n = [], 0
    for ch in name:
        n += 2 if ord(ch) > 0xFFFF else 1
        if n > units:
            break
        out.append(ch)
    return "".join(out)


def _tidy(name: str) -> str:
    """No spaces or apostrophes at either end (cutting can expose either)."""
    while name != name.strip().strip("'"):
        name = name.strip().strip("'")
    return name


def _sheet_base(team: str) -> str:
    """``team`` made a valid sheet name on its own (before de-duplication)."""
    clean = "".join("-" if ch in _SHEET_FORBIDDEN or not (ch.isprintable() or ch == " ") else ch
                    for ch in str(team))
    return _tidy(_cut(_tidy(" ".join(clean.split())), SHEET_NAME_MAX)) or "Team"


def _taken(name: str, used: set[str]) -> bool:
    return name.lower() in used or name.casefold() in used or name.upper().lower() in used


def _sheet_names(teams: list[str]) -> dict[str, str]:
    """Excel-safe, unique sheet names, one per team (see :data:`SHEET_NAME_MAX`).

    Cutting a name to 31 characters can leave an apostrophe at its end (Excel refuses the
    workbook) or make two teams collide, so names are tidied after cutting and a clash gets a
    ``(2)``-style suffix that keeps the name within the limit.
    """
    names: dict[str, str] = {}
    used: set[str] = set(_RESERVED_SHEETS)
    for t in teams:
        base = _sheet_base(t)
        name, i = base, 2
        while _taken(name, used):
            suffix = f" ({i})"
            name = (_tidy(_cut(base, SHEET_NAME_MAX - len(suffix))) or "Team") + suffix
            i += 1
        used.update({name.lower(), name.casefold(), name.upper().lower()})
        names[t] = name
    return names


def _summary_tables(frame: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    def counts(col: pd.Series, label: str, key=None) -> pd.DataFrame:
        c = col.value_counts()
        c = c.reindex(sorted(c.index, key=key or natural_key))
        return pd.DataFrame({label: c.index.astype("str"), "Cases": c.to_numpy(dtype=np.int64)})

    return [
        ("Cases by selection reason", counts(frame["selection_part"].map(PART_LABELS), "Selection")),
        ("Cases by service", counts(frame["service"].map(lambda s: SERVICE_LABELS.get(s, s)), "Service")),
        ("Cases by team", counts(_teams(frame), "Team")),
    ]


def _not_available(wl) -> dict[str, str]:
    return dict((getattr(wl, "design", None) or {}).get("not_available") or {})


def _facts(wl) -> list[tuple[str, str]]:
    d = wl.design
    gaps = _not_available(wl)
    facts = [
        ("Month", wl.month),
        ("As of", f"{wl.month}-01"),
        ("Sampling policy", wl.policy.name),
        ("Model", d.get("model_words") or wl.model_label),
        ("Indicator registry", wl.registry_label or "not recorded"),
        ("Cases on the worklist", str(len(wl.frame))),
        ("Open cases", str(d.get("open_cases", "not recorded"))),
        ("Excluded (audited recently)", str(d.get("excluded_recently_audited", "not recorded"))),
        ("Audit dates accepted", "{} to {}".format(*(t.strftime("%d %B %Y").lstrip("0")
                                                    for t in audit_date_bounds(wl.month)))),
    ]
    if gaps:
        facts.append(("Not available this month", "; ".join(
            f"{k.replace('_', ' ')} ({v})" for k, v in sorted(gaps.items()))))
    return facts


def _team_sheets_text(n: int) -> str:
    """What the team sheets are: one per team with cases on the list, for its practice manager."""
    return (f"{n} team sheet{'s' if n != 1 else ''}, one for each team with cases on this list (in "
            "natural order: Team 2 before Team 10); a team without cases has none. Each can be "
            "handed to the team's practice manager on its own and imported back on its own.")


def _grades(wl) -> tuple[str, ...]:
    pol = getattr(wl, "policy", None)
    return tuple(getattr(pol, "grades", None) or AUDIT_GRADES)


def _write_about_sheet(wb, wl, bold, wrap) -> None:
    """The "About the sample" sheet: inclusion probabilities and how they were worked out."""
    ws = wb.add_worksheet("About the sample")
    ws.set_column(0, 0, 30)
    ws.set_column(1, 1, 100, wrap)
    ws.write(0, 0, "About the sample", wb.add_format({"bold": True, "font_size": 14}))
    method = str(wl.design.get("inclusion_probability_method", "") or
                 (wl.frame["inclusion_probability_method"].iloc[0] if len(wl.frame) else ""))
    rows = [("Inclusion probability", PROBABILITY_TEXT),
            ("How they were worked out", method_words(method) if method else "not recorded"),
            ("Grading scale", ", ".join(_grades(wl)) + " (best first)."),
            ("Audit dates", "An audit date from the first day of the month to the end of the "
                            "following month is accepted."),
            ("Model reference (for the data scientist)", str(wl.design.get("model_reference") or wl.model_label))]
    for i, (k, v) in enumerate(rows, start=2):
        ws.write(i, 0, k, bold)
        ws.write_string(i, 1, v, wrap)
        ws.set_row(i, 15 * max(1, len(v) // 95 + 1))
    ws.protect("", {"select_locked_cells": True, "select_unlocked_cells": True})
    ws.set_landscape()
    ws.fit_to_pages(1, 0)


def write_excel(wl, path: Path, *, frame: pd.DataFrame | None = None) -> Path:
    """Write the workbook to ``path`` (see the module docstring).

    Each team sheet is set up to be filled in and printed: the audit columns beside the reasons,
    the header row and the columns up to the reasons frozen, everything but the audit cells
    protected (no password: it prevents slips, not a determined user), drop-downs on the
    council's grading scale, audit dates accepted to the end of the following month, landscape
    and one page wide with the header repeated on each printed page.
    """
    import xlsxwriter

    frame = wl.frame if frame is None else frame
    disp = display_frame(frame, _not_available(wl), wl.month)
    start, _ = _month_bounds(wl.month)
    first_day, last_day = audit_date_bounds(wl.month)
    grades = _grades(wl)
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_numbers": False,
                                   "strings_to_formulas": False, "strings_to_urls": False})
    wb.set_properties({"title": f"driftflag audit worklist {wl.month}", "author": "driftflag",
                       "comments": HUMAN_DECISION_NOTICE,
                       "created": datetime(start.year, start.month, 1)})
    bold = wb.add_format({"bold": True})
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True,
                          "valign": "top"})
    audit_head = wb.add_format({"bold": True, "bg_color": "#FFE699", "border": 1, "text_wrap": True,
                                "valign": "top"})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    top = wb.add_format({"valign": "top"})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd", "valign": "top", "bg_color": "#FFF2CC",
                              "border": 1, "border_color": "#BFBFBF", "locked": False})
    audit_cell = wb.add_format({"valign": "top", "bg_color": "#FFF2CC", "text_wrap": True,
                                "border": 1, "border_color": "#BFBFBF", "locked": False})
    notice = wb.add_format({"bold": True, "text_wrap": True, "font_color": "#9C0006", "bg_color": "#FFC7CE"})

    ws = wb.add_worksheet("Summary")
    ws.set_column(0, 0, 34)
    ws.set_column(1, 1, 70)
    ws.write(0, 0, f"Case audit worklist {wl.month}", wb.add_format({"bold": True, "font_size": 14}))
    ws.merge_range(1, 0, 1, 1, HUMAN_DECISION_NOTICE, notice)
    ws.set_row(1, 45)
    ws.write(3, 0, "What to do", bold)
    ws.write_string(3, 1, INSTRUCTION, wrap)
    ws.set_row(3, 75)
    r = 5
    teams = sorted(disp["Team"].unique().tolist(), key=natural_key)
    for k, v in [*_facts(wl), ("Team sheets", _team_sheets_text(len(teams)))]:
        ws.write(r, 0, k, bold)
        ws.write_string(r, 1, v, wrap)
        r += 1
    for title, table in _summary_tables(frame):
        r += 1
        ws.write(r, 0, title, bold)
        r += 1
        ws.write_row(r, 0, list(table.columns), head)
        for row in table.itertuples(index=False):
            r += 1
            ws.write_string(r, 0, str(row[0]))
            ws.write_number(r, 1, int(row[1]))
        r += 1
        ws.write(r, 0, "Total", bold)
        ws.write_number(r, 1, int(table["Cases"].sum()), bold)
        r += 1
    ws.protect("", {"select_locked_cells": True, "select_unlocked_cells": True})
    ws.set_portrait()
    ws.fit_to_pages(1, 0)
    _write_about_sheet(wb, wl, bold, wrap)

    audit_set = set(AUDIT_COLUMNS)
    cols = list(disp.columns)
    wrapped = {"Why selected", "Reason 1", "Reason 2", "Reason 3", "Team", "Selection"}
    for team, sheet in _sheet_names(teams).items():
        rows = disp[disp["Team"] == team]
        ws = wb.add_worksheet(sheet)
        for j, c in enumerate(cols):
            ws.write(0, j, c, audit_head if c in audit_set else head)
            values = rows[c]
            longest = max([len(c)] + [len(str(v)) for v in values.head(200)])
            width = _WIDTHS.get(c, min(max(longest + 2, 9), 40))
            ws.set_column(j, j, width, wrap if c in wrapped else top,
                          {"hidden": True} if c == MONTH_COLUMN else None)
        ws.set_row(0, 32)
        for i, row in enumerate(rows.itertuples(index=False), start=1):
            for j, v in enumerate(row):
                c = cols[j]
                if c in audit_set:
                    ws.write_blank(i, j, None, date_fmt if c == "Audit date" else audit_cell)
                    continue
                fmt = wrap if c in wrapped else top
                if v is pd.NA or (isinstance(v, float) and np.isnan(v)):
                    continue
                if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
                    ws.write_number(i, j, float(v), fmt)
                else:
                    ws.write_string(i, j, str(v), fmt)
        last = max(len(rows), 1)
        ws.freeze_panes(1, len(FROZEN_COLUMNS))
        ws.autofilter(0, 0, last, len(cols) - 1)
        cidx = {c: cols.index(c) for c in AUDIT_COLUMNS}
        scale = ", ".join(grades)
        for c, title in (("Grade", "Audit grade"), ("Moderator grade", "Moderator's grade")):
            ws.data_validation(1, cidx[c], last, cidx[c], {
                "validate": "list", "source": list(grades), "input_title": title,
                "input_message": (f"One of: {scale}" if c == "Grade" else
                                  f"Only if the audit was moderated: {scale}")[:255],
                "error_title": title, "error_message": f"Choose one of: {scale}"[:255]})
        for c in ("Drift found", "Actions set"):
            ws.data_validation(1, cidx[c], last, cidx[c], {"validate": "list", "source": list(YES_NO)})
        span = f"{first_day.strftime('%d %B %Y').lstrip('0')} to {last_day.strftime('%d %B %Y').lstrip('0')}"
        ws.data_validation(1, cidx["Audit date"], last, cidx["Audit date"], {
            "validate": "date", "criteria": "between",
            "minimum": first_day.to_pydatetime(), "maximum": last_day.to_pydatetime(),
            "input_title": "Audit date", "input_message": f"The date the audit was finished ({span})",
            "error_title": "Audit date", "error_message": f"The audit date must be between {span}"})
        ws.protect("", {"autofilter": True, "sort": False, "format_columns": True, "format_rows": True,
                        "select_locked_cells": True, "select_unlocked_cells": True})
        ws.set_landscape()
        ws.set_paper(9)  # A4
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(0)
        ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
        ws.set_header(f"&L&\"Arial,Bold\"Case audit worklist {wl.month}&R{_header_safe(sheet)}")
        ws.set_footer("&LPage &P of &N&R" + _header_safe(HUMAN_DECISION_NOTICE[:120]))
        ws.hide_gridlines(0)
    meta = wb.add_worksheet(META_SHEET)
    for i, (k, v) in enumerate([("month", wl.month), ("policy", wl.policy.name),
                                ("cases", str(len(frame))), ("grades", "|".join(grades)),
                                ("format", "driftflag-worklist-2")]):
        meta.write_string(i, 0, k)
        meta.write_string(i, 1, v)
    meta.hide()
    wb.close()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue())
    return path


def _header_safe(text: str) -> str:
    """Text for an Excel page header: ``&`` is its control character."""
    return str(text).replace("&", "&&")


def write_csv(wl, path: Path, *, frame: pd.DataFrame | None = None) -> Path:
    """The workbook's columns as one CSV (all teams; UTF-8, ``\\n`` line ends); text cells are
    quoted and those that start like a formula get a leading ``'`` (numbers stay numbers)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    people_csv(display_frame(wl.frame if frame is None else frame, _not_available(wl), wl.month), path)
    return path


def _chart_svg(values: pd.Series, labels: dict[str, str]) -> str:
    """A small horizontal bar chart of the largest log-odds contributions (inline SVG)."""
    v = values[values != 0]
    v = v.reindex(v.abs().sort_values(ascending=False, kind="stable").index)[:6]
    if v.empty:
        return ""
    scale = 110 / max(float(v.abs().max()), 1e-9)
    mid, h = 250, 18
    parts = [f'<svg class="chart" width="380" height="{h * len(v) + 6}" role="img" '
             'aria-label="Largest contributions to the risk score (log-odds)">']
    for i, (name, x) in enumerate(v.items()):
        w = abs(float(x)) * scale
        x0 = mid if x >= 0 else mid - w
        colour = "#c0392b" if x >= 0 else "#2e86c1"
        label = _html.escape(labels.get(str(name), str(name))[:38])
        y = 3 + i * h
        parts.append(f'<text x="{mid - 115}" y="{y + 12}" font-size="11" text-anchor="end">{label}</text>'
                     if x >= 0 else
                     f'<text x="{mid - w - 4}" y="{y + 12}" font-size="11" text-anchor="end">{label}</text>')
        parts.append(f'<rect x="{x0:.1f}" y="{y}" width="{w:.1f}" height="{h - 5}" fill="{colour}">'
                     f'<title>{float(x):+.3f}</title></rect>')
    parts.append(f'<line x1="{mid}" x2="{mid}" y1="0" y2="{h * len(v) + 6}" stroke="#555"/></svg>')
    return "".join(parts)


def render_html(wl, *, frame: pd.DataFrame | None = None, contributions: pd.DataFrame | None = None) -> str:
    """One HTML page: facts, a sortable table of every case and a card per case."""
    import jinja2

    from driftflag.worklist.reasons import GROUP_OF, is_protected_feature

    frame = wl.frame if frame is None else frame
    contributions = wl.contributions if contributions is None else contributions
    disp = display_frame(frame, _not_available(wl), wl.month).drop(columns=[*AUDIT_COLUMNS, MONTH_COLUMN])
    labels: dict[str, str] = {}
    charts = [""] * len(frame)
    if contributions is not None and len(contributions):
        c = contributions.reset_index(drop=True).drop(columns=["base_value"], errors="ignore")
        c = c[[k for k in c.columns if not is_protected_feature(str(k))]]
        grp = [GROUP_OF.get(str(k).split("=")[0], str(k).split("=")[0]) for k in c.columns]
        by_group = c.T.groupby(np.asarray(grp), sort=True).sum().T
        labels = {g: g.replace("_", " ") for g in by_group.columns}
        charts = [_chart_svg(by_group.iloc[i], labels) for i in range(len(by_group))]
    cards = []
    shown = _shown_text(disp)
    for i, row in enumerate(shown.to_dict(orient="records")):
        cards.append({"row": row, "chart": charts[i] if i < len(charts) else ""})
    env = jinja2.Environment(loader=jinja2.PackageLoader("driftflag", "templates"),
                             autoescape=jinja2.select_autoescape(["html"]), keep_trailing_newline=True)
    template = env.get_template("worklist.html")
    return template.render(
        title=f"Case audit worklist {wl.month}", notice=HUMAN_DECISION_NOTICE, facts=_facts(wl),
        columns=list(disp.columns), rows=shown.to_dict(orient="records"),
        cards=cards, tables=[(t, tb.to_dict(orient="records"), list(tb.columns))
                             for t, tb in _summary_tables(frame)],
        probability_text=PROBABILITY_TEXT,
        method_text=method_words(str(wl.design.get("inclusion_probability_method", "") or "")),
        model_reference=str(wl.design.get("model_reference") or wl.model_label),
    )


def _shown_text(disp: pd.DataFrame) -> pd.DataFrame:
    """Every cell as the text a person reads: a measure that does not apply to the case (months
    on a plan for a looked-after child) is an empty cell, never "nan" or "<NA>" (pandas 3 keeps
    missing values missing through ``astype(str)``, so they must be replaced before it)."""
    obj = disp.astype("object")
    return obj.where(obj.notna(), "").map(str)


def write_all(wl, out_dir: Path, *, pseudonym_key: bytes | None = None) -> Path:
    """Write the workbook, CSV, HTML and (with a key) the pseudonymised copy, atomically."""
    from driftflag.worklist.pseudonymise import pseudonymise_frame

    with staged_dir(out_dir, kind="worklist", legacy=("worklist.xlsx", "worklist.csv", "worklist.html", "shared")) as tmp:
        write_excel(wl, tmp / "worklist.xlsx")
        write_csv(wl, tmp / "worklist.csv")
        (tmp / "worklist.html").write_text(render_html(wl), encoding="utf-8")
        if pseudonym_key is not None:
            shared = pseudonymise_frame(wl.frame, pseudonym_key)
            write_excel(wl, tmp / "shared" / "worklist_shared.xlsx", frame=shared)
            write_csv(wl, tmp / "shared" / "worklist_shared.csv", frame=shared)
            (tmp / "shared" / "worklist_shared.html").write_text(
                render_html(wl, frame=shared, contributions=wl.contributions), encoding="utf-8")
    return out_dir


def file_digest(path: Path) -> str:
    """SHA-256 of a file (used by tests and the benchmark to check determinism)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
