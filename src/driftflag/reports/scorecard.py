"""The monthly drift scorecard for QA leads: each indicator's count, rate, trend, target and RAG.

:func:`build_scorecard` computes the end-of-month snapshots of the last 13 months and
aggregates them per service (CIN, CP, LAC and all open cases) and per team; the result, a
:class:`Scorecard`, offers views (:meth:`Scorecard.to_frame`, :meth:`Scorecard.to_html`,
:meth:`Scorecard.to_excel`) and :meth:`Scorecard.write` saves the HTML and xlsx files
atomically. Building never writes; the same store and month give byte-identical files.

The format follows the commissioning-plan scorecard councils use (domain-requirements.md §2.3,
S4:3826-3951): polarity, target, result with a RAG rating, last month, the same month last year,
direction of travel and benchmarks. **RAG** ("percentage of targeted improvement achieved",
S4:3947-3951):

- Green: the target is met or exceeded.
- Green Amber: not met, but 80% or more of the targeted improvement achieved.
- Red Amber: not met, 65-80% achieved.
- Red: not met, less than 65% achieved.

The targeted improvement runs from the baseline (the same month last year) to the target. When
there is no baseline, or the baseline already met the target (so no improvement was targeted),
the result as a percentage of the target is used instead (target / result when smaller is
better). This reproduces Barnet's published ratings for FS/S2, S5, S7, S8, C18 and the other
Green indicators; FS/S11 (target 9.2%, last year 9.2%, result 10.4%) comes out Green Amber here
where Barnet published Red.

Rates use the open caseload of the service (or team) on the month's last day as denominator,
except re-referrals: like DfE's re-referral rate they are a share of the referrals of the 12 months
to the month end (one figure for the council, no service or team split). "How we compare"
(:mod:`driftflag.reports.benchmarks`) sets the council's figures beside England's, its region's
and its statistical neighbours' for the latest published year, each measured as DfE measures
it. The scorecard is management information: aggregates only, small teams' rates suppressed,
and no child-level row is ever shown.
"""

from __future__ import annotations

import base64
import html
import io
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from driftflag import HUMAN_DECISION_NOTICE
from driftflag._atomic import DestinationError, marker_of, write_bytes_atomic, write_marker
from driftflag.casemodel import CaseStore
from driftflag.errors import ConfigError
from driftflag.indicators import Indicator, Registry, day_to_timestamp, load_registry, to_day
from driftflag.month import Month
from driftflag.reports.benchmarks import (
    Comparison,
    CouncilConfig,
    LocalFigure,
    comparison_rows,
    cp_plans_ending_2y_plus,
    load_benchmarks,
    missing_incidents_per_child,
    rereferral_rate,
)

logger = logging.getLogger(__name__)

SERVICE_LEVELS: tuple[str, ...] = ("CIN", "CP", "LAC", "CL", "All")
SERVICE_NAMES: dict[str, str] = {
    "CIN": "Children in need (open CIN episode, no CP plan, not looked after)",
    "CP": "Child protection plans",
    "LAC": "Looked-after children",
    "CL": "Care leavers (903 OC3 record in the last 12 months)",
    "All": "All open cases",
}
UNALLOCATED = "Unallocated"
RAG_RATINGS: tuple[str, ...] = ("Green", "Green Amber", "Red Amber", "Red")
POLARITY_TEXT = {"higher_is_worse": "Smaller is better", "higher_is_better": "Bigger is better",
                 "monitor": "Monitor"}
SUMMARY_TEXT = {"rate": "% of caseload", "mean": "average", "median": "median"}
SHARE_SUMMARY = "average % per child"
#: Decimal places compared for the direction of travel (rates in %, averages of counts).
DOT_DECIMALS = {"rate": 1, "mean": 2, "median": 1}
TREND_MONTHS = 13



# ---- RAG and direction of travel ------------------------------------------------------------
def rag_rating(value: float | None, target: float | None, baseline: float | None,
               polarity: str) -> tuple[str | None, float | None]:
    """(RAG rating, % of targeted improvement achieved) by the rule in the module docstring.

    Returns ``(None, None)`` for Monitor indicators, without a target or without a value.
    """
    if value is None or target is None or polarity == "monitor" or pd.isna(value):
        return None, None
    worse = polarity == "higher_is_worse"
    met = value <= target if worse else value >= target
    if met:
        return "Green", 100.0
    targeted = None if baseline is None or pd.isna(baseline) else (
        baseline - target if worse else target - baseline)
    if targeted is not None and targeted > 0:
        achieved = baseline - value if worse else value - baseline
        pct = 100.0 * achieved / targeted
    elif worse:
        pct = 100.0 * target / value if value > 0 else 0.0
    else:
        pct = 100.0 * value / target if target > 0 else 0.0
    if pct >= 80:
        return "Green Amber", pct
    if pct >= 65:
        return "Red Amber", pct
    return "Red", pct


def achieved_words(pct: float | None) -> str:
    """The RAG's "% of targeted improvement achieved" in words a QA lead reads beside the rating.

    A negative share ("-37%") means the result moved away from the target since last year: say so.
    """
    if pct is None or pd.isna(pct):
        return ""
    if pct < 0:
        return "further from target than last year"
    return f"{0.0 if abs(pct) < 0.5 else pct:.0f}% of the way to target"


def direction_of_travel(value: float | None, before: float | None, polarity: str,
                        decimals: int = 1) -> str:
    """Improving / Worsening / Same (Up / Down / Same for Monitor), or "not available" without a
    comparator (a person reads it: never "n/a").

    Values equal when rounded to ``decimals`` places are the Same.
    """
    if value is None or before is None or pd.isna(value) or pd.isna(before):
        return NOT_AVAILABLE
    a, b = round(float(value), decimals), round(float(before), decimals)
    if a == b:
        return "Same"
    if polarity == "monitor":
        return "Up" if a > b else "Down"
    better = a < b if polarity == "higher_is_worse" else a > b
    return "Improving" if better else "Worsening"


# ---- aggregation ---------------------------------------------------------------------------
#: Rates whose denominator is not the open caseload: re-referrals are a share of the referrals of
#: the 12 months to the month end (DfE's re-referral rate), computed from the referrals
#: (:func:`driftflag.reports.benchmarks.rereferral_rate`) for the council as a whole.
DENOMINATORS: dict[str, str] = {"rereferral_12m": "referrals in the 12 months to the month end"}
#: Scorecard indicators that are a measure of "How we compare" (benchmarks.yaml), measured alike.
INDICATOR_MEASURES: dict[str, str] = {"rereferral_12m": "rereferral_12m",
                                      "placed_out_of_area": "cla_placed_out_of_area"}
#: A team with fewer open cases than this in a service has its rates suppressed: one case makes
#: a 100% rate and a Red rating that says nothing about the team.
SMALL_TEAM_CASES = 5
NOT_AVAILABLE = "not available"


def _summarise(df: pd.DataFrame, keys: list[str], ind: Indicator) -> pd.DataFrame:
    """Count, denominator and headline value of one indicator per group."""
    col = df[ind.column]
    g = df.assign(_v=col.astype("Float64").astype(float)).groupby(keys, sort=True, dropna=False)["_v"]
    out = pd.DataFrame({"caseload": g.size(), "known": g.count()})
    if ind.scorecard == "rate":
        out["count"] = g.sum()
        out["value"] = np.where(out["caseload"] > 0, 100.0 * out["count"] / out["caseload"], np.nan)
    else:
        out["count"] = g.count()
        out["value"] = g.mean() if ind.scorecard == "mean" else g.median()
        if ind.unit == "share":
            out["value"] = 100.0 * out["value"]
    return out.reset_index()


def _months(month: pd.Period) -> list[pd.Period]:
    return [month - k for k in range(TREND_MONTHS - 1, -1, -1)]


def _month_end(p: pd.Period) -> pd.Timestamp:
    return p.to_timestamp(how="end").normalize()


@dataclass
class Scorecard:
    """One month's drift scorecard (aggregates only).

    ``rows`` has one row per (level, service, team, indicator): this month's count, caseload and
    value, last month's and last year's values, directions of travel, target, RAG and benchmarks.
    ``trend`` holds the 13 monthly values per service and indicator; ``caseloads`` the open
    caseload per service and month.
    """

    month: pd.Period
    as_of: pd.Timestamp
    registry: Registry
    rows: pd.DataFrame
    trend: pd.DataFrame
    caseloads: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    comparison: list[Comparison] = field(default_factory=list)
    council: CouncilConfig | None = None

    def to_frame(self) -> pd.DataFrame:
        return self.rows.copy()

    def services(self) -> pd.DataFrame:
        return self.rows[self.rows["level"] == "service"].reset_index(drop=True)

    def teams(self) -> pd.DataFrame:
        return self.rows[self.rows["level"] == "team"].reset_index(drop=True)

    # --- renderings -------------------------------------------------------------------------
    def to_html(self) -> str:
        from jinja2 import Environment, PackageLoader, select_autoescape

        env = Environment(loader=PackageLoader("driftflag", "templates"),
                          autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
        env.filters["fmt"] = _fmt
        env.filters["pct"] = lambda v: "" if v is None or pd.isna(v) else f"{0.0 if abs(v) < 0.5 else v:.0f}%"
        env.filters["achieved"] = achieved_words
        charts = _sparklines(self.trend, self.registry)
        services = self.services()
        sections = []
        for svc in SERVICE_LEVELS:
            rows = services[services["service"] == svc]
            if rows.empty:
                continue
            sections.append({
                "service": svc, "name": SERVICE_NAMES[svc],
                "rows": [dict(r, chart=charts.get((svc, r["indicator_id"]), ""))
                         for r in _records(rows)],
            })
        return env.get_template("scorecard.html").render(
            card=self, sections=sections, team_sections=self._team_sections(),
            caseloads=self._caseload_table(), definitions=self._definitions(),
            comparison=self.comparison, benchmarks=load_benchmarks(),
            notice=HUMAN_DECISION_NOTICE, rag_ratings=RAG_RATINGS, polarity_text=POLARITY_TEXT,
            small_team=SMALL_TEAM_CASES,
        )

    def _caseload_table(self) -> list[dict]:
        c = self.caseloads
        out = []
        for svc in SERVICE_LEVELS:
            s = c[c["service"] == svc].set_index("month")["caseload"]
            out.append({"service": svc, "name": SERVICE_NAMES[svc],
                        "now": int(s.get(str(self.month), 0)),
                        "last_month": int(s.get(str(self.month - 1), 0)),
                        "last_year": int(s.get(str(self.month - 12), 0))})
        return out

    def _team_sections(self) -> list[dict]:
        teams = self.teams()
        sections = []
        for svc in ("CIN", "CP", "LAC", "CL"):
            t = teams[teams["service"] == svc]
            if t.empty:
                continue
            ids = [ind.id for ind in self.registry.for_service(svc)
                   if ind.scorecard == "rate" and ind.id in set(t["indicator_id"])]
            labels = {ind.id: ind.label for ind in self.registry}
            table = []
            for team, g in sorted(t.groupby("team", sort=False), key=lambda kv: natural_order(kv[0])):
                cells = {r["indicator_id"]: r for r in _records(g)}
                table.append({
                    "team": team, "caseload": int(g["caseload"].iloc[0]),
                    "cells": [{k: cells[i][k] for k in ("value", "count", "rag", "status")} for i in ids],
                })
            sections.append({"service": svc, "name": SERVICE_NAMES[svc],
                             "columns": [{"id": i, "label": labels[i]} for i in ids], "rows": table})
        return sections

    def _definitions(self) -> list[dict]:
        return [
            {"id": ind.id, "label": ind.label, "definition": ind.definition,
             "polarity": POLARITY_TEXT[ind.polarity], "summary": SUMMARY_TEXT[ind.scorecard],
             "thresholds": [f"{k} = {_fmt(t.value)} {t.unit}: {t.citation}" for k, t in ind.thresholds.items()],
             "target": None if ind.target is None else f"{_fmt(ind.target.value)}: {ind.target.citation}",
             "sources": "; ".join(ind.sources), "not_measured": ind.not_measured}
            for ind in self.registry if ind.scorecard != "none"
        ]

    def to_excel(self) -> bytes:
        """The scorecard as an xlsx workbook (bytes; deterministic)."""
        import xlsxwriter

        buf = io.BytesIO()
        # team names come from the returns: text is always written as text, never a formula
        wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_numbers": False,
                                       "strings_to_formulas": False, "strings_to_urls": False,
                                       "nan_inf_to_errors": False})
        wb.set_properties({"title": f"driftflag drift scorecard {self.month}",
                           "created": datetime(self.as_of.year, self.as_of.month, self.as_of.day),
                           "comments": HUMAN_DECISION_NOTICE})
        bold = wb.add_format({"bold": True, "text_wrap": True, "valign": "top"})
        wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        num = wb.add_format({"num_format": "0.0"})
        rag_fmt = {
            "Green": wb.add_format({"bg_color": "#1a7f37", "font_color": "#ffffff"}),
            "Green Amber": wb.add_format({"bg_color": "#9acd32"}),
            "Red Amber": wb.add_format({"bg_color": "#f0a030"}),
            "Red": wb.add_format({"bg_color": "#c62828", "font_color": "#ffffff"}),
        }

        def sheet(name: str, frame: pd.DataFrame, widths: dict[str, int] | None = None):
            ws = wb.add_worksheet(name)
            ws.freeze_panes(1, 0)
            for j, col in enumerate(frame.columns):
                ws.write(0, j, HEADINGS.get(col, col), bold)
                ws.set_column(j, j, (widths or {}).get(col, 14))
            ws.set_landscape()
            ws.set_paper(9)
            ws.fit_to_pages(1, 0)
            ws.repeat_rows(0)
            for i, rec in enumerate(frame.itertuples(index=False), start=1):
                for j, v in enumerate(rec):
                    col = frame.columns[j]
                    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
                        continue  # an empty cell: "Why no result" says why
                    if col == "rag" and v in rag_fmt:
                        ws.write_string(i, j, v, rag_fmt[v])
                    elif isinstance(v, bool | np.bool_):
                        ws.write_boolean(i, j, bool(v))
                    elif isinstance(v, int | float | np.integer | np.floating):
                        ws.write_number(i, j, float(v), num if isinstance(v, float | np.floating) else None)
                    else:
                        ws.write_string(i, j, str(v))
            return ws

        about = pd.DataFrame({"item": [
            "Scorecard", "As at", "Indicator registry", "Notice", "Data", "RAG rule",
        ] + [f"Note {i + 1}" for i in range(len(self.notes))], "detail": [
            f"driftflag drift scorecard, {self.month}", self.as_of.date().isoformat(),
            self.registry.label, HUMAN_DECISION_NOTICE,
            "Aggregate management information: counts and rates of open cases; no child-level rows.",
            "Green: target met. Green Amber: 80% or more of the targeted improvement achieved. "
            "Red Amber: 65-80%. Red: under 65% (S4:3947-3951). Baseline: same month last year.",
        ] + self.notes})
        sheet("About", about, {"item": 20, "detail": 110})
        cols = ["service", "label", "polarity", "summary", "denominator", "count", "caseload", "value", "status",
                "last_month", "last_year", "dot_month", "dot_year", "target", "rag",
                "pct_targeted_improvement", "benchmarks", "target_source"]
        named = {"service": lambda f: f.assign(service=f["service"].map(SERVICE_NAMES).fillna(f["service"]))}
        compare = self.comparison_frame()
        ws = sheet("How we compare", compare)
        for j, width in enumerate((40, 24, 22, 16, 30, 40, 60, 90)):
            ws.set_column(j, j, width, wrap)
        sheet("By service", named["service"](self.services())[cols],
              {"label": 45, "benchmarks": 45, "target_source": 45, "service": 28})
        sheet("By team", named["service"](self.teams())[["service", "team"] + cols[1:]],
              {"label": 45, "team": 28, "service": 28})
        trend = self.trend.pivot_table(index=["service", "indicator_id"], columns="month",
                                       values="value", sort=True, dropna=False).reset_index()
        trend.columns = [str(c) for c in trend.columns]
        labels = {ind.id: ind.label for ind in self.registry}
        trend.insert(1, "label", trend.pop("indicator_id").map(labels))
        sheet("Trend", trend)
        sheet("Caseloads", self.caseloads.pivot_table(index="service", columns="month", values="caseload",
                                                      sort=True).reset_index().rename(columns=str))
        defs = pd.DataFrame([{**d, "thresholds": "\n".join(d["thresholds"])} for d in self._definitions()])
        ws = sheet("Definitions", defs, {"definition": 80, "thresholds": 60, "sources": 40, "label": 35})
        ws.set_column(0, len(defs.columns), None, wrap)
        wb.close()
        return buf.getvalue()

    def comparison_frame(self) -> pd.DataFrame:
        """"How we compare" as a table of words and numbers (the xlsx sheet)."""
        region = self.council.region if self.council and self.council.region else "Region"
        return pd.DataFrame([{
            "Measure": c.label, "This council": c.council_text(), "Out of": c.out_of_text(),
            "England": c.england, region: c.region, "Statistical neighbours": c.neighbours,
            "Definition": c.definition, "Sources": c.sources} for c in self.comparison],
            columns=["Measure", "This council", "Out of", "England", region, "Statistical neighbours",
                     "Definition", "Sources"])

    def write(self, out_dir: Path) -> list[Path]:
        """Write ``scorecard_<month>.html`` and ``.xlsx`` into ``out_dir`` (atomically)."""
        out_dir = Path(out_dir)
        html = out_dir / f"scorecard_{self.month}.html"
        xlsx = out_dir / f"scorecard_{self.month}.xlsx"
        ours = _scorecards_written(out_dir)
        for f in (html, xlsx):
            if f.exists() and f.name not in ours:
                # a shared folder: people's files sit beside the scorecards and are never replaced
                raise DestinationError(f"{f}: exists and was not written by driftflag's scorecard; "
                                       "move it away or choose another --out (nothing was written)")
        write_bytes_atomic(html, self.to_html().encode("utf-8"))
        write_bytes_atomic(xlsx, self.to_excel())
        write_marker(out_dir, SCORECARD_KIND, contents=sorted(ours | {html.name, xlsx.name}))
        return [html, xlsx]


SCORECARD_KIND = "scorecard"
#: Column headings of the workbook in words.
HEADINGS: dict[str, str] = {
    "service": "Service", "team": "Team", "label": "Indicator", "polarity": "Polarity",
    "summary": "Measure", "denominator": "Out of", "count": "Count", "caseload": "Caseload",
    "value": "Result", "status": "Why no result", "last_month": "Last month",
    "last_year": "Same month last year", "dot_month": "Direction vs last month",
    "dot_year": "Direction vs last year", "target": "Target", "rag": "RAG",
    "pct_targeted_improvement": "% of targeted improvement", "benchmarks": "Benchmarks",
    "target_source": "Target source", "item": "Item", "detail": "Detail", "definition": "Definition",
    "thresholds": "Thresholds", "sources": "Sources", "not_measured": "Does not measure", "id": "Id",
}


def natural_order(text: str) -> tuple:
    """Sort key that puts "Team 3" before "Team 10" (numbers compared as numbers)."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p.casefold())
                 for p in re.split(r"(\d+)", str(text)) if p)


def _scorecards_written(out_dir: Path) -> set[str]:
    """Scorecard files driftflag wrote into ``out_dir`` (its marker's list). A folder holding
    another kind of driftflag output is refused: the scorecard goes into a folder of its own or a
    folder of people's files, never into a worklist or a store."""
    m = marker_of(out_dir) if out_dir.is_dir() else None
    if m is None:
        return set()
    if m.get("kind") != SCORECARD_KIND:
        raise DestinationError(f"{out_dir}: holds a driftflag {m.get('kind', 'output')}; write the "
                               "scorecard to another folder (nothing was written)")
    return {str(x) for x in m.get("contents", [])}


def _records(df: pd.DataFrame) -> list[dict]:
    """Rows as dicts with missing values (NaN, NA) as None, for templates."""
    return [{k: (None if not isinstance(v, list | tuple) and pd.isna(v) else v) for k, v in r.items()}
            for r in df.to_dict("records")]


def _fmt(v) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return ""
    if isinstance(v, int | np.integer):
        return f"{int(v):,}"
    f = float(v)
    return f"{f:,.0f}" if f == round(f) and abs(f) >= 100 else f"{f:,.1f}"


def _benchmark_texts(council: CouncilConfig | None) -> dict[str, str]:
    """Indicator id -> its published comparators, for the indicators measured as DfE does."""
    rows = {c.measure: c for c in comparison_rows({}, council)}
    out = {}
    for ind_id, measure in INDICATOR_MEASURES.items():
        c = rows[measure]
        text = f"England {c.england}"
        if council and council.region and not c.region.startswith("not available"):
            text += f"; {council.region} {c.region}"
        out[ind_id] = text + " (see How we compare)"
    return out


def parse_month(month: str | Month) -> pd.Period:
    """``YYYY-MM`` (:meth:`driftflag.month.Month.parse`) as a pandas monthly Period."""
    return pd.Period(str(Month.parse(month)), freq="M")


def build_scorecard(store: CaseStore, month: str | pd.Period, *,
                    registry: Registry | None = None, council: CouncilConfig | dict | None = None) -> Scorecard:
    """The scorecard of ``month`` ("YYYY-MM"), measured as at the month's last day.

    Uses the end-of-month snapshots of that month and the 12 before it (for last month, the same
    month last year and the trend charts). ``council`` (:class:`CouncilConfig`) names the
    council's LA code, region and statistical neighbours for "How we compare".
    """
    council = CouncilConfig.parse(council)
    from driftflag.indicators import Prepared, last_record_day

    registry = registry or load_registry()
    month = parse_month(month) if isinstance(month, (str, Month)) else month
    last = last_record_day(store)
    first_day = month.to_timestamp(how="start")
    if last is None:
        raise ConfigError("the case store holds no dated records")
    if to_day(first_day) > last:
        raise ConfigError(f"month {month} starts after the last record in the store "
                          f"({day_to_timestamp(last).date()})")
    months = _months(month)
    ends = [_month_end(m) for m in months]
    prep = Prepared.from_store(store, registry, as_of_days=[to_day(e) for e in ends])
    df = prep.frame(ends)
    month_of = {e: str(m) for m, e in zip(months, ends, strict=True)}
    df["month"] = df["as_of"].map(month_of)
    if not (df["month"] == str(month)).any():
        raise ConfigError(f"no case is open on {_month_end(month).date()}: nothing to report for {month}")
    df["team"] = df["team"].fillna(UNALLOCATED)
    notes = []
    if to_day(_month_end(month)) > last:
        notes.append(f"The store's last record is dated {day_to_timestamp(last).date()}, before the "
                     f"end of {month}: this month's figures are as at that date's records.")
    gaps = _coverage_gaps(store, months, registry)
    for m, g in gaps.items():
        if g and m == str(month):
            notes.append("Not available this month (their sources have no records for it): "
                         + "; ".join(f"{registry[k].label} ({v})" for k, v in sorted(g.items()) if k in registry))
    referrals = {str(m): _rereferrals(store, _month_end(m)) for m in months}
    rows, trend, caseloads = _aggregate(df, registry, month, gaps, referrals=referrals,
                                        benchmarks=_benchmark_texts(council))
    gap_now = gaps.get(str(month), {})
    unrecorded = sorted({r["label"] for r in rows.to_dict("records") if r["status"] == NOT_AVAILABLE
                         and r["indicator_id"] not in gap_now and r["indicator_id"] not in DENOMINATORS})
    if unrecorded:
        notes.append("Not available this month (no open case has them recorded): " + "; ".join(unrecorded))
    comparison = comparison_rows(_local_figures(store, month, rows, referrals[str(month)], gap_now), council)
    logger.info("scorecard %s: %d rows", month, len(rows))
    return Scorecard(month=month, as_of=_month_end(month), registry=registry, rows=rows,
                     trend=trend, caseloads=caseloads, notes=notes, comparison=comparison,
                     council=council)


def _covered(store, end: pd.Timestamp, *sources) -> str | None:
    """Why the first of ``sources`` (table, date column, days of history) that does not cover
    ``end`` fails, or None (:func:`driftflag.indicators.sources.source_gap`)."""
    from driftflag.indicators.sources import Source, source_gap

    for table, column, days in sources:
        why = source_gap(store, Source(table, column, days), end)
        if why:
            return why
    return None


def _rereferrals(store, end: pd.Timestamp) -> LocalFigure:
    """The re-referral rate of the 12 months to ``end``: the referrals must reach two years back
    (the year and each referral's look-back)."""
    why = _covered(store, end, ("referrals", "referral_date", 730))
    return LocalFigure(None, why=why) if why else rereferral_rate(store["referrals"], end)


def _local_figures(store, month: pd.Period, rows: pd.DataFrame, rereferral: LocalFigure,
                   gaps: dict[str, str]) -> dict[str, LocalFigure]:
    """The council's figure for each measure of "How we compare", as at ``month``'s end."""
    end = _month_end(month)
    out = {"rereferral_12m": rereferral}
    why = _covered(store, end, ("cp_plans", "end_date", 365))
    out["cp_ending_2y_plus"] = LocalFigure(None, why=why) if why else cp_plans_ending_2y_plus(store["cp_plans"], end)
    why = _covered(store, end, ("missing_episodes", "start_date", 365), ("lac_episodes", "decom", 0))
    out["cla_missing_incidents"] = LocalFigure(None, why=why) if why else missing_incidents_per_child(
        store["lac_episodes"], store["missing_episodes"], end)
    lac = rows[(rows["level"] == "service") & (rows["service"] == "LAC")
               & (rows["indicator_id"] == "placed_out_of_area")]
    if lac.empty or pd.isna(lac["value"].iloc[0]):
        why = ("no children looked after" if lac.empty else
               gaps.get("placed_out_of_area", "no child looked after has a placement location recorded"))
        out["cla_placed_out_of_area"] = LocalFigure(None, why=why)
    else:
        r = lac.iloc[0]
        out["cla_placed_out_of_area"] = LocalFigure(float(r["value"]), int(r["count"]), int(r["caseload"]))
    return out


def _coverage_gaps(store, months: list[pd.Period], registry: Registry) -> dict[str, dict[str, str]]:
    """``{month: {indicator: why}}``: indicators whose sources do not cover the month's end
    (:func:`driftflag.indicators.sources.uncovered_indicators`)."""
    from driftflag.indicators.sources import uncovered_indicators

    ids = [ind.id for ind in registry]
    return {str(m): uncovered_indicators(store, _month_end(m), ids) for m in months}


def _referral_rows(referrals: dict[str, LocalFigure]) -> tuple[pd.DataFrame, dict[str, str]]:
    """The re-referral rate per month as scorecard rows (service "All"), and why a month's is
    not available."""
    part = pd.DataFrame([{"level": "service", "service": "All", "team": "", "month": m,
                          "caseload": f.out_of, "count": f.count if f.value is not None else np.nan,
                          "value": np.nan if f.value is None else f.value}
                         for m, f in referrals.items()])
    return part, {m: f.why for m, f in referrals.items() if f.value is None}


def _unrecorded(long: pd.DataFrame) -> np.ndarray:
    """Rows of an indicator that no open case of the month has a value for (its field is not
    recorded at all), at every level."""
    if "known" not in long.columns:
        return np.zeros(len(long), dtype=bool)
    svc = long[(long["level"] == "service") & long["known"].notna()]
    totals = svc.groupby(["indicator_id", "month"])[["known", "caseload"]].sum()
    empty = totals[(totals["known"] == 0) & (totals["caseload"] > 0)].index
    return pd.MultiIndex.from_frame(long[["indicator_id", "month"]]).isin(empty)


def _aggregate(df: pd.DataFrame, registry: Registry, month: pd.Period,
               gaps: dict[str, dict[str, str]] | None = None, *,
               referrals: dict[str, LocalFigure] | None = None, benchmarks: dict[str, str] | None = None):
    everyone = df.assign(service="All")
    both = pd.concat([df, everyone], ignore_index=True)
    caseloads = both.groupby(["service", "month"]).size().rename("caseload").reset_index()
    frames = []
    gaps = {m: dict(g) for m, g in (gaps or {}).items()}
    for ind in registry:
        if ind.scorecard == "none":
            continue
        if ind.id in DENOMINATORS and referrals is not None:
            part, missing = _referral_rows(referrals)
            part["indicator_id"] = ind.id
            frames.append(part)
            for m, why in missing.items():
                gaps.setdefault(m, {})[ind.id] = why
            continue
        all_services = set(ind.services) == {"CIN", "CP", "LAC"}
        svc = _summarise(both if all_services else df, ["service", "month"], ind)
        svc = svc[svc["service"].isin(list(ind.services) + (["All"] if all_services else []))]
        svc.insert(0, "level", "service")
        svc.insert(2, "team", "")
        team = _summarise(df, ["service", "team", "month"], ind)
        team = team[team["service"].isin(ind.services)]
        team.insert(0, "level", "team")
        for part in (svc, team):
            part["indicator_id"] = ind.id
        frames += [svc, team]
    long = pd.concat(frames, ignore_index=True)
    uncovered = np.array([i in gaps.get(m, {}) for i, m in zip(long["indicator_id"], long["month"], strict=True)],
                         dtype=bool)
    # a field no open case in the council has recorded this month (the 903 holds no placement
    # location) is not a 0.0% rate; a team or service where it merely does not apply (no open
    # assessment) keeps its real 0%
    uncovered = uncovered | _unrecorded(long)
    long.loc[uncovered, ["value", "count"]] = np.nan  # not available: never a real 0.0%
    small = (long["level"] == "team").to_numpy() & (long["caseload"].to_numpy() < SMALL_TEAM_CASES)
    long.loc[small, "value"] = np.nan
    long["status"] = np.where(uncovered, NOT_AVAILABLE,
                              np.where(small, f"fewer than {SMALL_TEAM_CASES} cases", ""))
    long = long.drop(columns=["known"], errors="ignore")
    trend = long[long["level"] == "service"][["service", "indicator_id", "month", "value"]]

    key = ["level", "service", "team", "indicator_id"]
    now = long[long["month"] == str(month)].set_index(key)
    prev = long[long["month"] == str(month - 1)].set_index(key)["value"]
    year = long[long["month"] == str(month - 12)].set_index(key)["value"]
    rows = now.assign(last_month=prev.reindex(now.index), last_year=year.reindex(now.index))
    rows = rows.reset_index().drop(columns="month")
    info = {ind.id: ind for ind in registry}
    records = []
    for r in rows.to_dict("records"):
        ind = info[r["indicator_id"]]
        value = None if pd.isna(r["value"]) else float(r["value"])
        last_year = None if pd.isna(r["last_year"]) else float(r["last_year"])
        target = None if ind.target is None else ind.target.value
        rag, pct = rag_rating(value, target, last_year, ind.polarity)
        if r["status"]:
            rag, pct = None, None
        records.append({
            **r,
            "label": ind.label, "polarity": POLARITY_TEXT[ind.polarity],
            "summary": "% of referrals" if ind.id in DENOMINATORS and referrals is not None else
            SHARE_SUMMARY if ind.unit == "share" else SUMMARY_TEXT[ind.scorecard],
            "unit": ind.unit,
            "dot_month": NOT_AVAILABLE if r["status"] == NOT_AVAILABLE else direction_of_travel(
                value, r["last_month"], ind.polarity, DOT_DECIMALS[ind.scorecard]),
            "dot_year": NOT_AVAILABLE if r["status"] == NOT_AVAILABLE else direction_of_travel(
                value, last_year, ind.polarity, DOT_DECIMALS[ind.scorecard]),
            "denominator": DENOMINATORS[ind.id] if ind.id in DENOMINATORS and referrals is not None
            else "open cases",
            "target": target, "rag": rag, "pct_targeted_improvement": pct,
            "target_source": None if ind.target is None else ind.target.citation,
            "benchmarks": (benchmarks or {}).get(ind.id, "") if r["level"] == "service" else "",
        })
    order = {ind.id: i for i, ind in enumerate(registry)}
    svc_order = {s: i for i, s in enumerate(SERVICE_LEVELS)}
    out = pd.DataFrame(records)
    out["count"] = out["count"].astype("Int64")
    out["caseload"] = out["caseload"].astype(int)
    out = out.sort_values(
        ["level", "service", "team", "indicator_id"],
        key=lambda s: s.map(svc_order) if s.name == "service" else (
            s.map(order) if s.name == "indicator_id" else (
                s.map(lambda t: natural_order(t)) if s.name == "team" else s)),
        kind="stable").reset_index(drop=True)
    columns = ["level", "service", "team", "indicator_id", "label", "polarity", "summary", "unit",
               "count", "caseload", "value", "status", "denominator", "last_month", "last_year", "dot_month",
               "dot_year", "target", "rag", "pct_targeted_improvement", "benchmarks", "target_source"]
    return out[columns], trend.reset_index(drop=True), caseloads


# ---- charts --------------------------------------------------------------------------------
def _sparklines(trend: pd.DataFrame, registry: Registry) -> dict[tuple[str, str], str]:
    """Small inline SVG trend charts, one per (service, indicator); deterministic output."""
    import matplotlib
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    out: dict[tuple[str, str], str] = {}
    colour = {"higher_is_worse": "#8a3b12", "higher_is_better": "#1f5f99", "monitor": "#555555"}
    info = {ind.id: ind for ind in registry}
    with matplotlib.rc_context({"svg.hashsalt": "driftflag", "svg.fonttype": "none",
                                "path.simplify": False}):
        for (svc, ind_id), g in trend.groupby(["service", "indicator_id"], sort=True):
            g = g.sort_values("month")
            y = g["value"].to_numpy(dtype=float)
            if np.all(np.isnan(y)):
                continue
            fig = Figure(figsize=(1.6, 0.36), dpi=72)
            FigureCanvasSVG(fig)
            ax = fig.add_axes((0.02, 0.1, 0.96, 0.8))
            x = np.arange(len(y))
            ax.plot(x, y, color=colour[info[ind_id].polarity], linewidth=1.2)
            ax.plot(x[-1:], y[-1:], "o", color=colour[info[ind_id].polarity], markersize=2.5)
            ax.set_xlim(-0.5, len(y) - 0.5)
            ax.axis("off")
            buf = io.StringIO()
            fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None},
                        transparent=True)
            svg = buf.getvalue()
            svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.S)
            uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
            label = f"{info[ind_id].label}: last {len(y)} months"
            out[(svc, ind_id)] = f'<img src="{uri}" alt="{html.escape(label)}" width="115" height="26">'
    return out


__all__ = [
    "RAG_RATINGS",
    "SERVICE_LEVELS",
    "Scorecard",
    "build_scorecard",
    "direction_of_travel",
    "parse_month",
    "rag_rating",
]
