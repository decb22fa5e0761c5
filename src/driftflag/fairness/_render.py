"""HTML pack and charts of the fairness report (jinja2 template, matplotlib SVG).

Everything shown comes from the report's suppressed views, so no chart or table can show a
count from 1 to 9 or a rate for a group under 20. Charts are SVG with text kept as text
(``svg.fonttype = "none"``), a fixed ``svg.hashsalt`` and no date, so the same report gives
the same bytes.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np

from driftflag import HUMAN_DECISION_NOTICE

__all__ = ["render_charts", "render_html"]

CHART_DIMENSIONS = ("ethnicity", "sex", "age_band", "disability", "uasc")
CHART_METRICS = ("selection_rate", "precision", "false_negative_rate", "false_discovery_rate")
NICE = {
    "base_rate": "Base rate", "selection_rate": "Selection rate", "precision": "Precision",
    "false_discovery_rate": "False discovery rate (FDR)",
    "false_negative_rate": "False negative rate (FNR)",
    "false_positive_rate": "False positive rate", "recall": "Recall",
    "mean_score": "Mean predicted", "observed_to_predicted": "Observed / predicted",
    "selection_to_need": "Listed per need (selection / base rate)",
    "ethnicity": "Ethnicity (DfE major groups)", "ethnicity_detailed": "Ethnicity (detailed codes)",
    "sex": "Sex", "age_band": "Age band", "disability": "Disability", "uasc": "UASC",
    "ethnicity_by_age": "Ethnicity by age band",
}
PSED = (
    "The council must have due regard to the Public Sector Equality Duty (Equality Act 2010 "
    "s149): to eliminate discrimination, advance equality of opportunity and foster good "
    "relations, and to respond to age, disability, ethnicity, faith, gender, language and race "
    "(S4:498-503). The Children Act 1989 asks that work is sensitive to a child's race, "
    "religion, culture and language (S4:488). This pack is evidence for that regard; it does "
    "not discharge it."
)
ETHNICITY_CAVEATS = (
    "Recorded ethnicity is not always the child's self-identified ethnicity: recording of "
    "diversity is known to be inconsistent (S4:504, S4:719). Refused, not yet obtained and "
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
    return buf.getvalue()


def render_charts(report) -> dict[str, str]:
    """Group metrics with intervals and disparity bars inside the band, per main dimension."""
    plt = _chart_setup()
    charts: dict[str, str] = {}
    lo_b, hi_b = report.config.band
    for dim in CHART_DIMENSIONS:
        if dim not in report.dimensions:
            continue
        t = report.by_group(dim)
        # one row per group whose selection rate may be shown; other metrics plotted where shown
        rows = t[t["selection_rate"].notna()].reset_index(drop=True)
        if rows.empty:
            continue
        fig, axes = plt.subplots(1, len(CHART_METRICS), figsize=(11, 0.4 * len(rows) + 1.4),
                                 sharey=True)
        for ax, m in zip(axes, CHART_METRICS, strict=True):
            shown = rows[rows[m].notna()]
            y = shown.index.to_numpy()
            v = shown[m].to_numpy(dtype=float)
            lo = shown[f"{m}_low"].to_numpy(dtype=float)
            hi = shown[f"{m}_high"].to_numpy(dtype=float)
            err = np.vstack([np.nan_to_num(v - lo), np.nan_to_num(hi - v)])
            ax.errorbar(v, y, xerr=err, fmt="o", color="#1f4e79", ecolor="#7f9fbf", capsize=3)
            ax.set_yticks(np.arange(len(rows)), rows["group"].tolist())
            ax.set_xlim(0, 1)
            ax.set_title(NICE[m])
            ax.grid(axis="x", color="#ddd")
        axes[0].invert_yaxis()
        fig.suptitle(f"{NICE[dim]}: rates with 95% intervals (groups too small are not shown)")
        charts[f"metrics_{dim}"] = _svg(fig)

        d = report.disparity(dim)
        fig, axes = plt.subplots(1, len(CHART_METRICS), figsize=(11, 0.4 * len(rows) + 1.4),
                                 sharey=True)
        groups = [g for g in rows["group"] if g != report.references[dim]["group"]]
        for ax, m in zip(axes, CHART_METRICS, strict=True):
            part = d[(d["metric"] == m) & d["group"].isin(groups) & d["ratio"].notna()]
            y = np.array([groups.index(g) for g in part["group"]])
            v = part["ratio"].to_numpy(dtype=float)
            lo = part["ci_low"].to_numpy(dtype=float)
            hi = part["ci_high"].to_numpy(dtype=float)
            ax.axvspan(lo_b, hi_b, color="#e3f1e3", zorder=0)
            ax.axvline(1.0, color="#888", lw=0.8)
            if len(part):
                inside = (v >= lo_b) & (v <= hi_b)
                ax.barh(y, v - 1.0, left=1.0, color=np.where(inside, "#6a9f6a", "#c0504d"),
                        height=0.5)
                err = np.vstack([np.nan_to_num(v - lo), np.nan_to_num(hi - v)])
                ax.errorbar(v, y, xerr=err, fmt="none", ecolor="#333", capsize=3)
            ax.set_yticks(np.arange(len(groups)), groups)
            ax.set_xscale("log")
            ax.set_xlim(0.25, 4)
            ticks = [0.25, 0.5, lo_b, 1.0, hi_b, 2.0, 4.0]
            ax.set_xticks(ticks, [f"{x:.2f}" for x in ticks])
            ax.minorticks_off()
            ax.set_title(NICE[m])
        axes[0].invert_yaxis()
        fig.suptitle(f"{NICE[dim]}: ratio to {report.references[dim]['group']} with 95% "
                     f"interval; green band = fairness band {lo_b}-{hi_b}")
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
                          _nn(r["selection_to_need_high"]))])
    return {"columns": cols, "rows": rows}


def _disparity_table(report, dim: str) -> dict[str, Any]:
    d = report.disparity(dim)
    metrics = ["false_negative_rate", "false_discovery_rate", "precision", "selection_rate",
               "selection_to_need", "false_positive_rate", "observed_to_predicted"]
    cols = ["Group"] + [NICE[m] for m in metrics]
    rows = []
    for g in d["group"].unique():
        row = [g]
        for m in metrics:
            r = d[(d["group"] == g) & (d["metric"] == m)].iloc[0]
            if r["judgement"] == "reference":
                row.append("reference")
            elif _nn(r["ratio"]) is None:
                row.append("–")
            else:
                mark = "" if r["judgement"] == "within band" else (
                    " ✖" if "whole" in r["judgement"] else " !")
                row.append(_num(r["ratio"], _nn(r["ci_low"]), _nn(r["ci_high"])) + mark)
        rows.append(row)
    return {"columns": cols, "rows": rows}


def _plain_summary(report) -> list[str]:
    v = report.verdict
    s = report.summary
    out = [
        f"This month {s['on_worklist']} of {s['open_cases']} open cases were put on the audit "
        f"worklist. A place on the list means a practice manager looks at the case; it decides "
        f"nothing about the family.",
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
            "metrics_chart": charts.get(f"metrics_{dim}"),
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
    card = report.config.model_card
    card_html = None
    if card:
        if card.lstrip().startswith("<"):
            card_html = card
        else:
            import html as _html

            card_html = "<pre class=\"card\">" + _html.escape(card) + "</pre>"
    return tpl.render(
        notice=HUMAN_DECISION_NOTICE, report=report, verdict=report.verdict,
        summary=report.summary, plain=_plain_summary(report), psed=PSED,
        caveats=ETHNICITY_CAVEATS, which_error=WHICH_ERROR_MATTERS, sections=sections,
        caseload_tables=caseload_tables, nice=NICE, pop=pop, pop_table=pop_table, ph=ph,
        ph_table=ph_table, mit=mit, mit_table=mit_table, proxy=report.proxy,
        proxy_rows=proxy_rows, card_html=card_html, band=report.config.band,
        limit=report.config.suppression_limit, min_rates=report.config.min_group_for_rates,
        charts_used=sorted(charts),
    )


