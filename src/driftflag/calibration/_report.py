"""The calibration report: generated-versus-target figures for one collection year of an LA.

:func:`calibration_report` reads the LA's written return files, computes every measure in
:data:`~driftflag.calibration._metrics.TARGETS` and returns a :class:`CalibrationReport`;
:func:`render_report` turns it into a ``rich`` table. Building a report never writes a file.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd
from rich.table import Table
from rich.text import Text

from driftflag.calibration import _metrics as m
from driftflag.calibration._inputs import CalibrationInputs, choose_year, load_inputs
from driftflag.ingest import year_label

logger = logging.getLogger(__name__)

_EPS = 1e-9
_SOURCE_PREFIX = "data-standards.md "


@dataclass(frozen=True)
class CalibrationItem:
    """One generated figure against its national target.

    ``value`` and ``target`` are in ``unit`` (percent for shares); ``low``/``high`` are the
    inclusive tolerance bounds. ``value`` is None when it could not be computed (``note`` says
    why); such an item is out of tolerance.
    """

    key: str
    label: str
    value: float | None
    target: float
    low: float
    high: float
    unit: str
    numerator: float
    denominator: float
    source: str
    note: str = ""

    @property
    def within(self) -> bool:
        """True when the value is computed and ``low <= value <= high``."""
        if self.value is None or math.isnan(self.value):
            return False
        return self.low - _EPS <= self.value <= self.high + _EPS


@dataclass(frozen=True)
class CalibrationReport:
    """Every calibration figure of one LA folder for one collection year."""

    la_dir: Path
    year: int
    items: tuple[CalibrationItem, ...]
    years_903: tuple[int, ...] = ()
    years_cin: tuple[int, ...] = ()
    unreadable_dates: dict[str, int] = field(default_factory=dict)

    @property
    def year_label(self) -> str:
        """``"2025-26"`` for collection year 2026."""
        return year_label(self.year)

    @property
    def out_of_tolerance(self) -> list[CalibrationItem]:
        return [i for i in self.items if not i.within]

    @property
    def all_within_tolerance(self) -> bool:
        return not self.out_of_tolerance

    def __getitem__(self, key: str) -> CalibrationItem:
        for item in self.items:
            if item.key == key:
                return item
        raise KeyError(key)

    def to_frame(self) -> pd.DataFrame:
        """One row per item: the item's fields plus ``within``."""
        rows = [{**asdict(i), "within": i.within} for i in self.items]
        cols = [f for f in CalibrationItem.__dataclass_fields__] + ["within"]
        return pd.DataFrame(rows, columns=cols)

    def to_dict(self) -> dict:
        """A JSON-serialisable summary (paths as strings, NaN as None)."""
        def clean(v: object) -> object:
            if isinstance(v, float) and math.isnan(v):
                return None
            return v

        return {
            "la_dir": str(self.la_dir),
            "collection_year": self.year,
            "collection_year_label": self.year_label,
            "years_903": list(self.years_903),
            "years_cin": list(self.years_cin),
            "unreadable_dates": dict(self.unreadable_dates),
            "all_within_tolerance": self.all_within_tolerance,
            "n_out_of_tolerance": len(self.out_of_tolerance),
            "items": [
                {k: clean(v) for k, v in {**asdict(i), "within": i.within}.items()}
                for i in self.items
            ],
        }


_ETHNIC_GROUPS = {
    "cla_ethnicity_white": "White",
    "cla_ethnicity_mixed": "Mixed",
    "cla_ethnicity_black": "Black",
    "cla_ethnicity_asian": "Asian",
    "cla_ethnicity_other": "Other",
}


def _measures(inp: CalibrationInputs) -> dict[str, Callable[[int], m.Measure]]:
    measures: dict[str, Callable[[int], m.Measure]] = {
        "rereferral_12m": lambda y: m.rereferral_12m(inp.referrals, y),
        "cp_ending_2y_plus": lambda y: m.cp_ending_2y_plus(inp.cp_plans, y),
        "cp_ending_1_2y": lambda y: m.cp_ending_1_2y(inp.cp_plans, y),
        "cp_initial_neglect": lambda y: m.cp_initial_category_share(inp.cp_plans, y, "NEG"),
        "cp_initial_emotional": lambda y: m.cp_initial_category_share(inp.cp_plans, y, "EMO"),
        "cla_missing_share": lambda y: m.cla_missing_share(inp.episodes, inp.missing, y),
        "cla_missing_mean_incidents": lambda y: m.cla_missing_mean_incidents(inp.episodes, inp.missing, y),
        "cla_3plus_placements_2y": lambda y: m.cla_3plus_placements_2y(inp.episodes, y, inp.years_903),
        "care_proceedings_mean_weeks": lambda y: m.care_proceedings_mean_weeks(inp.episodes, y),
        "care_proceedings_within_26w": lambda y: m.care_proceedings_within_26w(inp.episodes, y),
    }
    for key, group in _ETHNIC_GROUPS.items():
        measures[key] = lambda y, g=group: m.cla_ethnicity_share(inp.episodes, inp.header, y, g)
    return measures


def compute_items(inputs: CalibrationInputs, year: int) -> tuple[CalibrationItem, ...]:
    """Every measure of :data:`TARGETS` for ``year``, in report order."""
    measures = _measures(inputs)
    items = []
    for key, t in m.TARGETS.items():
        res = measures[key](year)
        items.append(
            CalibrationItem(
                key=key, label=t.label, value=res.value, target=t.target, low=t.low, high=t.high,
                unit=t.unit, numerator=res.numerator, denominator=res.denominator,
                source=t.source, note=res.note,
            )
        )
    return tuple(items)


def calibration_report(la_dir: Path, year: int | None = None) -> CalibrationReport:
    """Compare an LA folder's return files with England's national figures.

    Parameters
    ----------
    la_dir
        A synthetic (or real) LA folder holding ``ssda903/<label>/`` and
        ``cin_census/cin_census_<label>.xml``.
    year
        Collection year to check, named by the year it ends (2026 = 2025-26). Default: the
        latest year for which both a 903 return and a CIN census are present.

    Raises
    ------
    CalibrationError
        If the folder or a return is missing, or ``year`` is not present.
    SourceFileError
        If a return file cannot be read at all.
    """
    la_dir = Path(la_dir)
    year, years_903, years_cin = choose_year(la_dir, year)
    inputs = load_inputs(la_dir, year, years_903, years_cin)
    items = compute_items(inputs, year)
    report = CalibrationReport(
        la_dir=la_dir, year=year, items=items, years_903=inputs.years_903,
        years_cin=inputs.years_cin, unreadable_dates=dict(inputs.unreadable_dates),
    )
    logger.info("calibration %s %s: %d of %d out of tolerance", la_dir, report.year_label,
                len(report.out_of_tolerance), len(items))
    return report


def _fmt(value: float | None, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "not available"
    return f"{value:.1f}%" if unit == "%" else f"{value:.1f}"  # the label names other units


def _count(v: float) -> str:
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}"


def render_report(report: CalibrationReport) -> Table:
    """A ``rich`` table of the report: one row per figure, ✓/✗, and a footer count."""
    start_year = report.year - 1
    table = Table(
        title=Text(  # a folder name is not markup
            f"Calibration of {report.la_dir.name or report.la_dir} against England, "
            f"collection year {report.year_label} (1 Apr {start_year} - 31 Mar {report.year})"
        ),
        title_justify="left",
    )
    table.add_column("", justify="center", no_wrap=True)
    table.add_column("Measure")
    table.add_column("Value", justify="right", no_wrap=True)
    table.add_column("Target", justify="right", no_wrap=True)
    table.add_column("Tolerance", justify="right", no_wrap=True)
    table.add_column("n / N", justify="right", no_wrap=True)
    table.add_column("Source (§)")
    for item in report.items:
        mark = Text("✓", style="green") if item.within else Text("✗", style="bold red")
        label = item.label + (f" ({item.note})" if item.note else "")
        if item.unit == "%":
            rng = f"{item.low:.1f}-{item.high:.1f}%"
        else:
            rng = f"{item.low:.1f}-{item.high:.1f}"
        if item.unit == "%":
            counts = f"{_count(item.numerator)} / {_count(item.denominator)}"
        else:
            counts = f"N = {_count(item.denominator)}"
        table.add_row(
            mark, label, _fmt(item.value, item.unit), _fmt(item.target, item.unit), rng,
            counts, item.source.removeprefix(_SOURCE_PREFIX),
        )
    n_out = len(report.out_of_tolerance)
    n = len(report.items)
    if n_out:
        keys = ", ".join(i.key for i in report.out_of_tolerance)
        table.caption = f"{n_out} of {n} figures out of tolerance: {keys}"
        table.caption_style = "bold red"
    else:
        table.caption = f"All {n} figures within tolerance (0 out of tolerance)"
        table.caption_style = "green"
    table.caption += "\nSources: sections of shared/reference/data-standards.md"
    table.caption_justify = "left"
    return table
