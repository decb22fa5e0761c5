"""``reports/index.html``: one page linking every output of a run, with a short guide per user.

The page lists only files that exist, with their paths relative to the page, so it can be
opened from disk or served. It holds no child-level data.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass
from pathlib import Path

from driftflag import HUMAN_DECISION_NOTICE
from driftflag._atomic import write_bytes_atomic


@dataclass(frozen=True)
class Link:
    audience: str
    title: str
    path: Path
    what: str


GUIDES: dict[str, str] = {
    "Quality-assurance lead": (
        "Open the worklist workbook: one sheet per team, the reasons each case was picked, and "
        "yellow columns for the auditor's grade. Hand each team's sheet to its practice manager "
        "and ask for it back when the audits are done; part-finished sheets can come back as "
        "often as they like and are imported the same way. The scorecard shows this month's "
        "drift indicators against last month and last year."),
    "Data scientist": (
        "The validation summary says what was quarantined from the returns and why. Compare the "
        "models in MLflow (<code>mlflow ui --backend-store-uri sqlite:///WORKSPACE/mlflow.db</code>; "
        "the database is not a page, so it is not linked here) or with <code>driftflag models "
        "list</code>; the monitoring report says whether inputs have shifted since training and "
        "whether to retrain."),
    "Ethics panel": (
        "The fairness pack gives the verdict first, then the figures by ethnicity, sex, age band, "
        "disability and UASC with intervals, small numbers suppressed. The model card says what "
        "the model is for and what it must not be used for."),
}


def build_index(out: Path, links: list[Link], *, title: str = "driftflag outputs") -> Path:
    """Write the index page to ``out`` atomically; links to missing files are left out."""
    out = Path(out)
    base = out.parent.resolve()
    sections = []
    for audience, guide in GUIDES.items():
        items = []
        for link in links:
            if link.audience != audience or not Path(link.path).exists():
                continue
            rel = os.path.relpath(Path(link.path).resolve(), base)
            items.append(f'<li><a href="{html.escape(rel)}">{html.escape(link.title)}</a>'
                         f' - {html.escape(link.what)}</li>')
        if items:
            sections.append(f"<section><h2>{html.escape(audience)}</h2><p>{guide}</p>"
                            f"<ul>{''.join(items)}</ul></section>")
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;
line-height:1.45}} .notice{{background:#fff4ce;border-left:4px solid #c90;padding:.6rem 1rem}}
h2{{margin-top:2rem}} code{{background:#f3f3f3;padding:0 .2rem}}</style></head>
<body><h1>{html.escape(title)}</h1>
<p class="notice"><strong>{html.escape(HUMAN_DECISION_NOTICE)}</strong></p>
{''.join(sections) or '<p>No outputs found yet.</p>'}
</body></html>
"""
    write_bytes_atomic(out, page.encode("utf-8"))
    return out


def demo_links(root: Path, month: str) -> list[Link]:
    """The outputs `make demo` produces under ``root`` (reports/demo)."""
    r = Path(root)
    m = r / "month"
    return [
        Link("Quality-assurance lead", f"Audit worklist {month} (Excel)", m / "worklist" / "worklist.xlsx",
             "the month's cases to audit, by team, with reasons and audit columns"),
        Link("Quality-assurance lead", f"Audit worklist {month} (web page)", m / "worklist" / "worklist.html",
             "sortable list and a card per case with its contributions chart"),
        Link("Quality-assurance lead", f"Drift scorecard {month}", m / "scorecard" / f"scorecard_{month}.html",
             "each indicator: this month, last month, last year, direction of travel, RAG"),
        Link("Quality-assurance lead", "Drift scorecard (Excel)", m / "scorecard" / f"scorecard_{month}.xlsx",
             "the same figures as a workbook"),
        Link("Data scientist", "Validation summary of the returns", r / "store" / "validation" / "summary.html",
             "rows read, accepted, quarantined and duplicated, by file and rule"),
        Link("Data scientist", "Great Expectations Data Docs",
             r / "store" / "gx" / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html",
             "the expectation suites and their results per canonical table"),
        Link("Data scientist", f"Data drift monitoring {month}", m / "monitoring" / month / "monitor.html",
             "input and score shifts against the training reference: stable, watch or retrain"),
        Link("Ethics panel", "Fairness pack", r / "fairness" / "fairness.html",
             "verdict, group metrics with intervals, disparities, who is on the worklist, checks"),
        Link("Ethics panel", "Fairness figures (JSON)", r / "fairness" / "fairness.json",
             "every figure in the pack, already suppressed"),
        *([Link("Ethics panel", "Model card of the model in use", card,
                "what the model is for, what it must not be used for, its figures")]
          if (card := champion_card(r / "workspace")) is not None else []),
    ]


def champion_card(workspace: Path, target: str = "future_drift") -> Path | None:
    """The model card page of the registered model in use (None without a workspace or model)."""
    if not (Path(workspace) / "mlflow.db").is_file():
        return None
    try:
        from driftflag.tracking import show

        run_id = str(show(Path(workspace), target).get("run_id", ""))
    except Exception:  # noqa: BLE001 - no registered model yet: the index simply has no card link
        return None
    found = sorted(Path(workspace).glob(f"artifacts/*/{run_id}/artifacts/model_card.html")) + sorted(
        Path(workspace).glob(f"artifacts/{run_id}/artifacts/model_card.html"))
    return found[0] if run_id and found else None
