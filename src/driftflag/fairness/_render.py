"""HTML pack and charts of the fairness report (jinja2 template, matplotlib SVG).

Everything shown comes from the report's suppressed views, so no chart or table can show a
count from 1 to 9 or a rate for a group under 20. Charts are SVG with text kept as text
(``svg.fonttype = "none"``), a fixed ``svg.hashsalt`` and no date, so the same report gives
the same bytes.
"""

from __future__ import annotations

import io
import re
from typing import Any

import numpy as np

from driftflag import HUMAN_DECISION_NOTICE

__all__ = ["render_charts", "render_html"]

CHART_DIMENSIONS = ("ethnicity", "sex", "age_band", "disability", "uasc")
CHART_METRICS = ("precision", "false_negative_rate", "selection_to_need",
                 "observed_to_predicted")
#: Short chart titles (a panel title must fit above its panel).
SHORT = {"selection_rate": "Listed", "precision": "Precision", "false_negative_rate":
         "Missed (FNR)", "false_discovery_rate": "False alarms (FDR)", "selection_to_need":
         "Listed per need", "observed_to_predicted": "Observed / predicted", "auc": "AUC"}
NICE = {
    "base_rate": "Base rate", "selection_rate": "Selection rate", "precision": "Precision",
    "false_discovery_rate": "False discovery rate (FDR)",
    "false_negative_rate": "False negative rate (FNR)",
    "false_positive_rate": "False positive rate", "recall": "Recall",
    "mean_score": "Mean predicted", "observed_to_predicted": "Observed / predicted",
    "selection_to_need": "Listed per need (selection / base rate)", "auc": "AUC",
    "ethnicity": "Ethnicity (DfE major groups)", "ethnicity_detailed": "Ethnicity (detailed codes)",
    "sex": "Sex", "age_band": "Age band", "disability": "Disability", "uasc": "UASC",
    "ethnicity_by_age": "Ethnicity by age band",
}
PSED = (
    "The council must have due regard to the Public Sector Equality Duty (Equality Act 2010 "
    "s149): to eliminate discrimination, advance equality of opportunity and foster good "
    "relations, and to respond to age, disability, ethnicity, faith, gender, language and race "
    "The Children Act 1989 asks that work is sensitive to a child's race, "
    "religion, culture and language. This pack is evidence for that regard; it does "
    "not discharge it."
)
ETHNICITY_CAVEATS = (
    "Recorded ethnicity is not always the child's self-identified ethnicity: recording of "
    "diversity is known to be inconsistent. Refused, not yet obtained and "
    "blank codes are shown as \"Not known\", never dropped; if many children are \"Not "
    "known\", every ethnic comparison is less certain. Chinese children are counted under "
    "\"Other\" as in the DfE children-in-need tables. Population shares are of state-school "
    "pupils (no under-5s), not of all children."
)


def _chart_setup():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.hashsalt": "driftflag-fairness", "svg.fonttype": "none",
                         "font.size": 9})
    return plt


def _svg(fig) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None}, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return _inline(buf.getvalue())


def _inline(svg: str) -> str:
    """The chart as an element of the page: no XML prolog, no DTD or RDF metadata and no
    namespace declarations (an HTML page's parser knows SVG), so the pack names no host outside
    the machine and a council network that blocks outside requests shows it whole."""
    import re

    svg = re.sub(r"<\?xml[^>]*\?>\s*", "", svg)
    svg = re.sub(r"<!DOCTYPE[^>]*>\s*", "", svg)
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)
    return re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", svg)


def _panel_grid(plt, n_panels: int, n_rows: int):
    """A grid of at most two panels a row, tall enough for one label per group."""
    cols = min(2, n_panels)
    rows = -(-n_panels // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.6 * cols + 1.6, rows * (0.42 * n_rows + 1.3)),
                             squeeze=False)
    return fig, axes.ravel()


def render_charts(report) -> dict[str, str]:
    """Per main dimension: each group's ratio to the reference group with its interval, on the
    judged metrics, against the fairness band. Panels with nothing to show are left out, so a
    chart never has an empty panel; a dimension with nothing to show has no chart."""
    plt = _chart_setup()
    charts: dict[str, str] = {}
    lo_b, hi_b = report.config.band
    for dim in CHART_DIMENSIONS:
        if dim not in report.dimensions:
            continue
        d = report.disparity(dim)
        ref = report.references[dim]["group"]
        shown = d[d["ratio"].notna() & (d["group"] != ref)]
        metrics = [m for m in CHART_METRICS if (shown["metric"] == m).any()]
        if not metrics:
            continue
        groups = [g for g in d["group"].unique() if g != ref
                  and (shown["group"] == g).any()]
        fig, axes = _panel_grid(plt, len(metrics), len(groups))
        for i, (ax, m) in enumerate(zip(axes, metrics, strict=False)):
            part = shown[shown["metric"] == m]
            y = np.array([groups.index(g) for g in part["group"]])
            v = part["ratio"].to_numpy(dtype=float)
            lo = part["ci_low"].to_numpy(dtype=float)
            hi = part["ci_high"].to_numpy(dtype=float)
            ax.axvspan(lo_b, hi_b, color="#e3f1e3", zorder=0)
            ax.axvline(1.0, color="#888", lw=0.8)
            colour = {"outside band": "#c0504d", "attention": "#d08a00",
                      "within band": "#3a7d3a"}
            cols = [colour.get(j, "#777") for j in part["judgement"]]
            err = np.vstack([np.nan_to_num(np.clip(v - lo, 0, None)),
                             np.nan_to_num(np.clip(hi - v, 0, None))])
            ax.errorbar(v, y, xerr=err, fmt="none", ecolor="#555", capsize=3, zorder=2)
            ax.scatter(v, y, c=cols, zorder=3, s=30)
            for j, g in enumerate(groups):  # say why a row is empty rather than leave it blank
                if g not in set(part["group"]):
                    ax.text(1.0, j, "too few to show", ha="center", va="center", fontsize=8,
                            color="#777", zorder=4)
            ax.set_yticks(np.arange(len(groups)), groups if i % 2 == 0 else [""] * len(groups))
            ax.set_ylim(len(groups) - 0.5, -0.5)
            ax.set_xscale("log")
            ax.set_xlim(0.25, 4)
            ticks = [0.25, 0.5, 1.0, 2.0, 4.0]
            ax.set_xticks(ticks, ["0.25", "0.5", "1.0", "2.0", "4.0"])
            ax.minorticks_off()
            ax.set_title(SHORT[m], fontsize=10)
        for ax in axes[len(metrics):]:
            fig.delaxes(ax)
        fig.suptitle(f"{NICE[dim]}: each group compared with {ref}\n"
                     f"1 = same as {ref}; green band = fairness band {lo_b}-{hi_b}; lines = 95% "
                     f"intervals\ndots: green within band, orange attention, red outside band, "
                     f"grey cannot judge", fontsize=10)
        fig.tight_layout()
        charts[f"disparity_{dim}"] = _svg(fig)
    return charts


# ---- formatting --------------------------------------------------------------------------
def _count(v: Any) -> str:
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return "–"
    if isinstance(v, str):
        return v
    return f"{int(v):,}"


def _pct(v: Any, lo: Any = None, hi: Any = None) -> str:
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return "–"
    s = f"{100 * v:.1f}%"
    if lo is not None and hi is not None and np.isfinite(lo) and np.isfinite(hi):
        s += f" ({100 * lo:.1f}–{100 * hi:.1f})"
    return s


def _num(v: Any, lo: Any = None, hi: Any = None, digits: int = 2) -> str:
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return "–"
    s = f"{v:.{digits}f}"
    if lo is not None and hi is not None and np.isfinite(lo) and np.isfinite(hi):
        s += f" ({lo:.{digits}f}–{hi:.{digits}f})"
    return s


def _p(v: Any) -> str:
    if v is None:
        return "–"
    return "<0.001" if v < 0.001 else f"{v:.3f}"


def _nn(v):
    return None if v is None or (isinstance(v, float) and np.isnan(v)) else v


def _group_table(report, dim: str) -> dict[str, Any]:
    t = report.by_group(dim)
    cols = ["Group", "Open cases", "With outcome", "On worklist", "Base rate", "Selection rate",
            "Precision", "FDR", "FNR", "FPR", "Recall", "Mean predicted", "Observed / predicted",
            "Listed per need"]
    rows = []
    for _, r in t.iterrows():
        def rate(m, r=r):
            return _pct(_nn(r[m]), _nn(r[f"{m}_low"]), _nn(r[f"{m}_high"]))
        rows.append([r["group"], _count(r["n"]), _count(r["n_positive"]), _count(r["n_selected"]),
                     rate("base_rate"), rate("selection_rate"), rate("precision"),
                     rate("false_discovery_rate"), rate("false_negative_rate"),
                     rate("false_positive_rate"), rate("recall"), rate("mean_score"),
                     _num(_nn(r["observed_to_predicted"]), _nn(r["observed_to_predicted_low"]),
                          _nn(r["observed_to_predicted_high"])),
                     _num(_nn(r["selection_to_need"]), _nn(r["selection_to_need_low"]),
                          _nn(r["selection_to_need_high"]))]
                    + ([_num(_nn(r["auc"]), _nn(r["auc_low"]), _nn(r["auc_high"]))]
                       if "auc" in t.columns else []))
    if "auc" in t.columns:
        cols.append("AUC")
    return {"columns": cols, "rows": rows}


def _disparity_table(report, dim: str) -> dict[str, Any]:
    """Each group's ratio to the reference with its interval and the judgement in words."""
    d = report.disparity(dim)
    metrics = [m for m in ("precision", "false_negative_rate", "false_discovery_rate",
                           "selection_to_need", "observed_to_predicted", "selection_rate",
                           "auc") if (d["metric"] == m).any()]
    cols = ["Group"] + [NICE[m] for m in metrics]
    rows = []
    for g in d["group"].unique():
        row = [g]
        for m in metrics:
            r = d[(d["group"] == g) & (d["metric"] == m)].iloc[0]
            text = _cell(r)["text"]
            row.append(text if r["judged"] or r["judgement"] in ("reference", "cannot judge")
                       else f"{_num(r['ratio'], _nn(r['ci_low']), _nn(r['ci_high']))} "
                            f"(shown, not judged)")
        rows.append(row)
    return {"columns": cols, "rows": rows}


def _plain_summary(report) -> list[str]:
    v = report.verdict
    s = report.summary
    out = [
        (f"Over the {ev['n_months']} months judged, the monthly lists held "
         f"{_count(s['on_worklist'])} places out of {_count(s['open_cases'])} open cases "
         f"counted month by month. "
         if (ev := report.config.evidence) and ev.get("n_months") else
         f"This month {_count(s['on_worklist'])} of {_count(s['open_cases'])} open cases were "
         f"put on the audit worklist. ")
        + "A place on the list means a practice manager looks at the case; it decides nothing "
          "about the family.",
        {"pass": "We found no sign that the list treats groups of children unfairly, among the "
                 "groups large enough to judge.",
         "attention": "Some differences between groups need the panel's attention; they may be "
                      "chance or may have a good reason, and the panel should ask.",
         "insufficient evidence": "The numbers are too few to judge some of the main groups on "
                                  "some of the main measures (listed below), so this pack cannot "
                                  "say the list is fair. It does not say it is unfair either.",
         "fail": "For at least one group the list is clearly worse than for the reference "
                 "group, beyond what chance would explain. The panel should not approve the "
                 "model until this is understood."}[v.status],
        "Where a group has too few children, its figures are hidden (shown as \"<"
        f"{report.config.suppression_limit}\" or \"–\") to protect the children and because "
        "such small numbers cannot show anything reliable.",
    ]
    return out


GLOSSARY: tuple[tuple[str, str], ...] = (
    ("Worklist", "The cases put forward each month for a practice manager to audit. Being on it "
                 "decides nothing about a child or family."),
    ("Back-test", "The lists the model would have made in past months, made only from what was "
                  "known before each month, so that we can compare them with what happened."),
    ("Outcome", "Whether the child's plan drifted (a drift milestone) in the six months after "
                "the month of the list."),
    ("Reference group", "The group the others are compared with (White for ethnicity, the "
                        "largest group otherwise)."),
    ("Ratio", "A group's figure divided by the reference group's. 1 means the same; 1.5 means "
              "half as much again; 0.5 means half."),
    ("Fairness band", "Ratios between 0.8 and 1.25 are treated as no important difference (the "
                      "four-fifths rule used by fairness audits)."),
    ("95% interval", "The range the true ratio probably lies in, given how many children there "
                     "are. Few children give a wide range."),
    ("Detectable ratio", "The smallest difference these numbers could tell from chance. If it is "
                         "bigger than the band, the group cannot be judged yet."),
    ("Within band", "The ratio lies inside the band and the numbers are precise enough to say so."),
    ("Attention", "The ratio lies outside the band, but the interval still reaches into it: "
                  "the panel should ask why."),
    ("Outside band", "The whole interval lies outside the band: a real difference, not chance."),
    ("Cannot judge", "Too few children (or too few with the outcome) to say either way."),
    ("Precision", "Of the listed cases, the share that did drift."),
    ("False negative rate (FNR), missed", "Of the cases that drifted, the share that were not "
                                          "listed."),
    ("False discovery rate (FDR), false alarms", "Of the listed cases, the share that did not "
                                                 "drift."),
    ("Listed per need", "How often a group's cases were listed, divided by how often they "
                        "drifted: are groups listed in proportion to their need?"),
    ("Observed / predicted (calibration)", "How many of a group's cases drifted, divided by how "
                                           "many the model expected. Above 1: the model "
                                           "under-estimates the group's risk; below 1: it "
                                           "over-estimates it. This is what shows a biased "
                                           "record against a group."),
    ("AUC", "How well the scores put a group's drifting cases above its other cases (0.5 is "
            "chance, 1 is perfect)."),
    ("UASC", "Unaccompanied asylum-seeking children."),
    ("<10", "A count from 1 to 9, hidden to protect the children."),
    ("hidden", "A count of 10 or more, hidden because with the totals it would give a \"<10\" "
               "count away; a group's rates are not shown when one of its counts is hidden."),
)

_OUTCOME_CLASS = {"within band": "ok", "attention": "warn", "outside band": "bad",
                  "cannot judge": "unknown", "reference": "ref"}


def _cell(r) -> dict[str, str]:
    j = r["judgement"]
    if j == "reference":
        return {"text": "reference", "cls": "ref"}
    if j == "cannot judge":
        det = _nn(r["detectable_ratio"])
        why = (f"could detect only beyond {det:.2f}" if det is not None
               else "too few to show")
        return {"text": f"cannot judge ({why})", "cls": "unknown"}
    return {"text": f"{j}: {_num(r['ratio'], _nn(r['ci_low']), _nn(r['ci_high']))}",
            "cls": _OUTCOME_CLASS[j]}


def _decision_summary(report) -> dict[str, Any]:
    """The one-page summary: the main groups on the main metrics, other characteristics in one
    line each, and where the evidence comes from."""
    tol = report.config.tolerances
    main_metrics = list(tol.main_metrics)
    main = None
    if "ethnicity" in report.dimensions:
        d = report.disparity("ethnicity")
        rows = []
        for g in d["group"].unique():
            cells = []
            for m in main_metrics:
                part = d[(d["group"] == g) & (d["metric"] == m)]
                cells.append(_cell(part.iloc[0]) if len(part) else {"text": "–", "cls": ""})
            rows.append({"group": g, "cells": cells})
        main = {"columns": [NICE[m] for m in main_metrics], "rows": rows,
                "reference": report.references["ethnicity"]["group"]}
    others = []
    for dim in tol.dimensions:
        if dim == "ethnicity" or dim not in report.dimensions:
            continue
        d = report.disparity(dim)
        judged = d[d["judged"]]
        counts = judged["judgement"].value_counts()
        flagged = judged[judged["judgement"].isin(["outside band", "attention"])]
        others.append({
            "dim": NICE[dim], "reference": report.references[dim]["group"],
            "within": int(counts.get("within band", 0)),
            "attention": int(counts.get("attention", 0)),
            "outside": int(counts.get("outside band", 0)),
            "unknown": int(counts.get("cannot judge", 0)),
            "flags": [f"{r['group']}: {SHORT.get(r['metric'], r['metric'])} "
                      f"{_num(r['ratio'], _nn(r['ci_low']), _nn(r['ci_high']))} "
                      f"({r['judgement']})" for _, r in flagged.iterrows()],
        })
    return {"main": main, "others": others, "evidence": report.config.evidence}


_CITATION = re.compile(r"\b[\w-]+\.md(?:\s*§?\s*[\d.]*\d)?(?:;\s*|,\s*)?"
                       r"|\bS\d+:\d+(?:-\d+)?(?:,\s*)?")


def _strip_citations(text: str) -> str:
    """Internal source codes ("S4:488", "domain-requirements.md §3.2") mean nothing to a panel;
    parentheses they leave empty go too."""
    return re.sub(r"\s*\(\s*\)", "", _CITATION.sub("", text))


def model_card_html(card: str | None, verdict, label: str) -> str | None:
    """The model card as HTML (Markdown rendered), its fairness section replaced by this pack's
    current result, so the card never shows a stale or missing audit."""
    if not card:
        return None
    import html as _html

    if card.lstrip().startswith("<"):
        body = re.search(r"<body[^>]*>(.*)</body>", card, flags=re.S | re.I)
        body_html = body.group(1) if body else card
    else:
        from markdown_it import MarkdownIt

        body_html = MarkdownIt("commonmark", {"html": False}).enable("table").render(card)
    body_html = re.sub(r"<(/?)h1\b", r"<\1h3", body_html)
    body_html = re.sub(r"<(/?)h2\b", r"<\1h4", body_html)
    body_html = re.sub(r"<(script|style)\b.*?</\1>", "", body_html, flags=re.S | re.I)
    current = (f'<p class="card-fairness"><strong>Fairness audit (this pack): verdict '
               f'"{_html.escape(verdict.status)}"</strong> for {_html.escape(label)}. '
               + " ".join(_html.escape(r) for r in verdict.reasons[:3])
               + " See the decision summary at the top of this pack.</p>")
    pending = re.compile(r"<p[^>]*>(?:(?!</p>).)*not yet run(?:(?!</p>).)*</p>", re.S | re.I)
    if pending.search(body_html):
        body_html = pending.sub(current, body_html, count=1)
    else:
        body_html = current + body_html
    return _strip_citations(body_html)


def render_html(report, charts: dict[str, str] | None = None) -> str:
    """The panel pack as one HTML page (``templates/fairness.html``)."""
    import jinja2

    charts = charts if charts is not None else render_charts(report)
    env = jinja2.Environment(loader=jinja2.PackageLoader("driftflag", "templates"),
                             autoescape=jinja2.select_autoescape(["html"]),
                             keep_trailing_newline=True)
    tpl = env.get_template("fairness.html")
    from driftflag.fairness._report import WHICH_ERROR_MATTERS

    sections = []
    for dim in report.dimensions:
        sections.append({
            "dim": dim, "title": NICE[dim], "reference": report.references[dim],
            "table": _group_table(report, dim), "disparity": _disparity_table(report, dim),
            "disparity_chart": charts.get(f"disparity_{dim}"),
        })
    rep = report.representation
    caseload_tables = {}
    for dim, blob in rep["against_caseload"].items():
        caseload_tables[dim] = {
            "columns": ["Group", "Open cases", "On worklist", "Selection rate",
                        f"Rate ratio to {blob['reference']}", "p-value", "Finding"],
            "rows": [[r["group"], _count(r["n"]), _count(r["n_selected"]),
                      _pct(_nn(r["selection_rate"])), _num(r["rri_vs_reference"]),
                      _p(r["p_value"]), r["finding"]] for r in blob["rows"]]}
    pop = rep.get("against_population")
    pop_table = None
    if pop:
        pop_table = {
            "columns": ["Group", "Population share", "Open cases", "On worklist",
                        "Caseload RRI", "Worklist RRI", "p-value (worklist vs population)",
                        "Finding"],
            "rows": [[r["group"], _pct(r["population_share"]), _count(r["n"]),
                      _count(r["n_selected"]), _num(r.get("caseload_rri")),
                      _num(r.get("worklist_rri")), _p(r.get("p_value")), r["finding"]]
                     for r in pop["rows"]]}
    ph = report.prior_history
    ph_table = {
        "columns": ["Group", "Mean history contribution (log-odds)",
                    "Later entered care", "Recall among them", "Ratio to reference"],
        "rows": [[r["group"],
                  _num(r.get("history_contribution_mean"), r.get("history_contribution_low"),
                       r.get("history_contribution_high")),
                  _count(r.get("n_entered_care")),
                  _pct(r.get("recall_entered_care"), r.get("recall_entered_care_low"),
                       r.get("recall_entered_care_high")),
                  _num(r.get("recall_ratio_to_reference"))] for r in ph["rows"]]}
    mit = report.mitigation
    mit_table = None
    if mit.get("shown"):
        mit_table = {"columns": ["Strategy", "Group", "On worklist", "Selection rate",
                                 "Precision", "Recall", "Cases that change"],
                     "rows": [[r["strategy"], r["group"], _count(r["n_selected"]),
                               _pct(r["selection_rate"]), _pct(r["precision"]),
                               _pct(r["recall"]),
                               "" if r["cases_changed"] is None else _count(r["cases_changed"])]
                              for r in mit["rows"]]}
    proxy_rows = [[g["group"], _num(g["auc"]) if g["tested"] else "not tested (small numbers)",
                   ", ".join(f["feature"] for f in g["top_features"])]
                  for g in report.proxy.get("groups", [])]
    card_html = model_card_html(report.config.model_card, report.verdict,
                                report.config.model_label)
    return _strip_citations(tpl.render(
        notice=HUMAN_DECISION_NOTICE, report=report, verdict=report.verdict,
        summary=report.summary, plain=_plain_summary(report), psed=PSED,
        caveats=ETHNICITY_CAVEATS, which_error=WHICH_ERROR_MATTERS, sections=sections,
        caseload_tables=caseload_tables, nice=NICE, pop=pop, pop_table=pop_table, ph=ph,
        ph_table=ph_table, mit=mit, mit_table=mit_table, proxy=report.proxy,
        proxy_rows=proxy_rows, card_html=card_html, band=report.config.band,
        limit=report.config.suppression_limit, min_rates=report.config.min_group_for_rates,
        charts_used=sorted(charts), decision=_decision_summary(report), glossary=GLOSSARY,
        evidence=report.config.evidence, power=report.power, count=_count,
    ))


