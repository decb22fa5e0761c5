"""The validation summary people read: counts per table and rule, worst offenders, examples,
and what to fix in the source system. Built once as a plain dict (also saved as JSON), rendered
as HTML (``templates/validation_summary.html``) and in the terminal by the CLI.

An example names only what is needed to fix the return: file, table or list, row, column, the
offending value and the rule's message; never the rest of the child's row. Values are shown
one line and bounded (:func:`driftflag._text.shown`), so a value that swallowed the rest of a
file (an unbalanced quote) cannot print other children's rows, and nothing is read as markup.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

from driftflag._text import is_missing, shown, single_line
from driftflag.casemodel.store import CaseStore
from driftflag.validate.rules import RULES

EXAMPLES_PER_RULE = 3
WORST_OFFENDERS = 10
#: The fields of an example (the identifiers needed to find and fix the row).
EXAMPLE_FIELDS = ("source_file", "source_table", "source_row", "column", "value", "message")
MESSAGE_LIMIT = 200


def example(issue: dict[str, Any]) -> dict[str, str]:
    """One issue as shown to people: :data:`EXAMPLE_FIELDS` only, each one bounded line; the
    value inside the message is replaced by its shown form."""
    raw = issue.get("value")
    value = shown(raw)
    message = str(issue.get("message", ""))
    if isinstance(raw, str) and raw and raw != value:
        message = message.replace(raw, value)
    out = {k: "" if is_missing(issue.get(k)) else single_line(issue[k], 300)
           for k in ("source_file", "source_table", "source_row", "column")}
    return {**out, "value": value, "message": single_line(message, MESSAGE_LIMIT)}


def build_summary(store: CaseStore, accounting: pd.DataFrame, issues: pd.DataFrame,
                  duplicates: pd.DataFrame, *, extract_date: date) -> dict[str, Any]:
    """Summary of one ingest as JSON-ready data (no I/O)."""
    by_rule = []
    if len(issues):
        g = issues.groupby(["table", "rule", "level"], sort=True)
        for (table, rule, level), grp in g:
            r = RULES[rule]
            by_rule.append({
                "table": table, "rule": rule, "level": level, "issues": int(len(grp)),
                "rows": int(grp["_src"].nunique()), "description": r.description, "fix": r.fix,
                "examples": [example(r) for r in grp.head(EXAMPLES_PER_RULE)[list(EXAMPLE_FIELDS)]
                             .astype(object).to_dict(orient="records")],
            })
    worst = []
    if len(issues):
        w = (issues.groupby(["source_file", "source_table", "column"], sort=True)["_src"].nunique()
             .sort_values(ascending=False, kind="mergesort").head(WORST_OFFENDERS))
        worst = [{"source_file": single_line(f, 300), "source_table": single_line(t, 100),
                  "column": single_line(c, 100), "rows": int(n)} for (f, t, c), n in w.items()]
    dup_counts = (duplicates.groupby(["table", "reason"]).size().reset_index(name="rows").to_dict(orient="records")
                  if len(duplicates) else [])
    errors = issues.loc[issues["level"] == "error"] if len(issues) else issues
    return {
        "extract_date": extract_date.isoformat(),
        "row_counts": store.row_counts(),
        "files": accounting.to_dict(orient="records"),
        "by_rule": by_rule,
        "worst_offenders": worst,
        "duplicates": dup_counts,
        "totals": {
            "rows_read": int(accounting["rows_read"].sum()) if len(accounting) else 0,
            "accepted": int(accounting["accepted"].sum()) if len(accounting) else 0,
            "quarantined_rows": int(accounting["quarantined"].sum()) if len(accounting) else 0,
            "duplicates": int(accounting["duplicates"].sum()) if len(accounting) else 0,
            "errors": int(len(errors)),
            "warnings": int((issues["level"] == "warning").sum()) if len(issues) else 0,
        },
    }


def render_html(summary: dict[str, Any]) -> str:
    """The summary as a self-contained HTML page."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("driftflag", "templates"), autoescape=True,
        keep_trailing_newline=True,
    )
    from driftflag import HUMAN_DECISION_NOTICE

    return env.get_template("validation_summary.html").render(s=summary, notice=HUMAN_DECISION_NOTICE)


def example_line(ex: dict[str, Any]) -> str:
    """An example in one line: ``file, table row N, column C: message``."""
    from pathlib import PurePath

    if not ex:
        return ""
    where = PurePath(str(ex.get("source_file", ""))).name
    return single_line(f"{where}, {ex.get('source_table', '')} row {ex.get('source_row', '')}, "
                       f"column {ex.get('column', '')}: {ex.get('message', '')}", 300)


def render_terminal(summary: dict[str, Any], console) -> None:
    """Print the summary with rich tables (used by ``driftflag ingest``).

    Every cell is a :class:`rich.text.Text` (:func:`driftflag._text.cell`): file names and
    values are never read as markup. File paths fold rather than being cut, so the file to fix
    can be read in full.
    """
    from rich.table import Table

    from driftflag._text import cell, say

    t = Table(title="Rows per source file")
    for c in ("file", "format", "rows read", "accepted", "quarantined", "duplicates"):
        t.add_column(c, justify="left" if c in ("file", "format") else "right",
                     overflow="fold" if c == "file" else "ellipsis")
    for f in summary["files"]:
        t.add_row(cell(f["file"], limit=300), cell(f["format"]), f"{f['rows_read']:,}", f"{f['accepted']:,}",
                  f"{f['quarantined']:,}", f"{f['duplicates']:,}")
    console.print(t)
    if summary["by_rule"]:
        r = Table(title="Problems by table and rule")
        for c in ("table", "rule", "level", "rows", "example", "what to fix"):
            r.add_column(c)
        for b in summary["by_rule"]:
            ex = b["examples"][0] if b["examples"] else {}
            r.add_row(cell(b["table"]), cell(b["rule"]), cell(b["level"]), f"{b['rows']:,}",
                      cell(example_line(ex), limit=300), cell(b["fix"], limit=300))
        console.print(r)
    tot = summary["totals"]
    say(console, f"{tot['rows_read']:,} rows read: {tot['accepted']:,} accepted, {tot['quarantined_rows']:,} "
                 f"quarantined, {tot['duplicates']:,} duplicates; {tot['warnings']:,} warnings.")
    gx = summary.get("gx")
    if gx:
        say(console, f"Great Expectations: {'all suites passed' if gx['success'] else 'some expectations failed'}"
                     f" ({gx['expectations']} expectations); Data Docs: {gx.get('docs', '')}")
