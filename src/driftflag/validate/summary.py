"""The validation summary people read: counts per table and rule, worst offenders, examples,
and what to fix in the source system. Built once as a plain dict (also saved as JSON), rendered
as HTML (``templates/validation_summary.html``) and in the terminal by the CLI."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

from driftflag.casemodel.store import CaseStore
from driftflag.validate.rules import RULES

EXAMPLES_PER_RULE = 3
WORST_OFFENDERS = 10


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
                "examples": grp.head(EXAMPLES_PER_RULE)[
                    ["source_file", "source_table", "source_row", "column", "value", "message"]
                ].astype(str).to_dict(orient="records"),
            })
    worst = []
    if len(issues):
        w = (issues.groupby(["source_file", "source_table", "column"], sort=True)["_src"].nunique()
             .sort_values(ascending=False, kind="mergesort").head(WORST_OFFENDERS))
        worst = [{"source_file": f, "source_table": t, "column": c, "rows": int(n)} for (f, t, c), n in w.items()]
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


def render_terminal(summary: dict[str, Any], console) -> None:
    """Print the summary with rich tables (used by ``driftflag ingest``)."""
    from rich.table import Table

    t = Table(title="Rows per source file")
    for c in ("file", "format", "rows read", "accepted", "quarantined", "duplicates"):
        t.add_column(c, justify="left" if c in ("file", "format") else "right")
    for f in summary["files"]:
        t.add_row(f["file"], f["format"], f"{f['rows_read']:,}", f"{f['accepted']:,}",
                  f"{f['quarantined']:,}", f"{f['duplicates']:,}")
    console.print(t)
    if summary["by_rule"]:
        r = Table(title="Problems by table and rule")
        for c in ("table", "rule", "level", "rows", "example", "what to fix"):
            r.add_column(c)
        for b in summary["by_rule"]:
            ex = b["examples"][0] if b["examples"] else {}
            r.add_row(b["table"], b["rule"], b["level"], f"{b['rows']:,}",
                      f"{ex.get('source_table', '')} row {ex.get('source_row', '')}: {ex.get('message', '')}",
                      b["fix"])
        console.print(r)
    tot = summary["totals"]
    console.print(
        f"{tot['rows_read']:,} rows read: {tot['accepted']:,} accepted, {tot['quarantined_rows']:,} "
        f"quarantined, {tot['duplicates']:,} duplicates; {tot['warnings']:,} warnings.")
    gx = summary.get("gx")
    if gx:
        console.print(f"Great Expectations: {'all suites passed' if gx['success'] else 'some expectations failed'}"
                      f" ({gx['expectations']} expectations); Data Docs: {gx.get('docs', '')}")
