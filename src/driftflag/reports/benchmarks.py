"""How we compare: a council's figures beside England's, its region's and its statistical
neighbours', each measured the way DfE measures it.

The national and regional figures are versioned data (``driftflag/data/benchmarks.yaml``: the
latest published DfE year in driftflag's reference files, each figure with its publication,
year and address). A council's own figure is computed from the case store over the 12 months to
the month end, with DfE's definition, from the records known by that day: a re-referral rate is
a share of the year's referrals (not of the open caseload), plans ending are the plans that
ended in the year. A figure whose source does not cover the year is "not available", never 0.

The council file (:class:`CouncilConfig`) gives the council's LA code, its region and, when it
has them, its statistical neighbours' figures with their source: DfE's statistical-neighbour
list is not in driftflag's reference data, so without the council's own figures the scorecard
says "not available" and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from driftflag.errors import ConfigError

__all__ = [
    "BenchmarkData",
    "Comparison",
    "CouncilConfig",
    "LocalFigure",
    "comparison_rows",
    "cp_plans_ending_2y_plus",
    "load_benchmarks",
    "missing_incidents_per_child",
    "rereferral_rate",
]

#: A re-referral is a referral within this many days of the child's previous one (DfE: 12
#: months; ``d - 365 <= previous < d``, as the calibration measures it).
REREFERRAL_DAYS = 365
#: A plan ending after this many days or more "lasted two years or more" (DfE D7 band).
TWO_YEARS_DAYS = 730
NOT_AVAILABLE = "not available"


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Publication(_Frozen):
    title: str
    year: str
    url: str


class Figure(_Frozen):
    """A published figure: its value, the publication it is from and where in the references."""

    value: float
    publication: str
    cite: str
    derived: bool = False
    derived_from: str | None = None


class Measure(_Frozen):
    id: str
    label: str
    definition: str
    unit: str
    polarity: str
    england: Figure
    regions: dict[str, Figure] = Field(default_factory=dict)


class BenchmarkData(_Frozen):
    """``benchmarks.yaml``: regions, publications and measures with their published figures."""

    version: str
    reference: str
    regions: tuple[str, ...]
    publications: dict[str, Publication]
    measures: tuple[Measure, ...]

    @model_validator(mode="after")
    def _known_names(self) -> BenchmarkData:
        for m in self.measures:
            for f in (m.england, *m.regions.values()):
                if f.publication not in self.publications:
                    raise ValueError(f"{m.id}: unknown publication {f.publication!r}")
            bad = set(m.regions) - set(self.regions)
            if bad:
                raise ValueError(f"{m.id}: unknown region(s) {sorted(bad)}")
        return self

    def measure(self, measure_id: str) -> Measure:
        return next(m for m in self.measures if m.id == measure_id)

    def source_text(self, figure: Figure) -> str:
        """The publication in words, with its address without the scheme (a citation a person
        can type, never a link the page would fetch)."""
        p = self.publications[figure.publication]
        where = p.url.split("://", 1)[-1]
        derived = f"; derived: {figure.derived_from}" if figure.derived else ""
        return f"{p.title}, {p.year} ({where}){derived}"


@cache
def _packaged() -> BenchmarkData:
    text = resources.files("driftflag").joinpath("data/benchmarks.yaml").read_text(encoding="utf-8")
    return BenchmarkData.model_validate(yaml.safe_load(text))


def load_benchmarks(path: Path | None = None) -> BenchmarkData:
    """The shipped figures, or those of ``path`` (a file of the same shape)."""
    if path is None:
        return _packaged()
    try:
        return BenchmarkData.model_validate(yaml.safe_load(Path(path).read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, ValidationError) as e:
        raise ConfigError(f"{path}: not a benchmarks file: {str(e).splitlines()[0]}") from e


class NeighbourFigure(_Frozen):
    value: float
    year: str
    source: str


class StatisticalNeighbours(_Frozen):
    """The council's statistical neighbours and their average figures, with where they came from
    (e.g. DfE's children's services statistical neighbour benchmarking tool, LAIT)."""

    names: tuple[str, ...] = ()
    source: str
    figures: dict[str, NeighbourFigure] = Field(default_factory=dict)


class CouncilConfig(_Frozen):
    """Who the council is, for the comparison: LA code, region, statistical neighbours."""

    name: str
    la_code: str = Field(pattern=r"^\d{3}$", description="DfE three-digit LA code")
    region: str | None = None
    statistical_neighbours: StatisticalNeighbours | None = None

    @model_validator(mode="after")
    def _check(self) -> CouncilConfig:
        data = _packaged()
        if self.region is not None and self.region not in data.regions:
            raise ValueError(f"region {self.region!r} is not one of England's regions: " + ", ".join(data.regions))
        ids = {m.id for m in data.measures}
        if self.statistical_neighbours and set(self.statistical_neighbours.figures) - ids:
            raise ValueError("statistical-neighbour figures for unknown measures: "
                             f"{sorted(set(self.statistical_neighbours.figures) - ids)} (known: {sorted(ids)})")
        return self

    @classmethod
    def parse(cls, value: CouncilConfig | dict | str | Path | None, where: str = "council") -> CouncilConfig | None:
        """A council setting: a mapping, a YAML file holding one (under ``council:`` or at the
        top), or None."""
        if value is None or isinstance(value, CouncilConfig):
            return value
        if isinstance(value, str | Path):
            try:
                raw = yaml.safe_load(Path(value).read_text(encoding="utf-8"))
            except (OSError, yaml.YAMLError) as e:
                raise ConfigError(f"{value}: cannot read the council file: {e}") from e
            where = str(value)
            value = raw.get("council", raw) if isinstance(raw, dict) else raw
        try:
            return cls.model_validate(value)
        except ValidationError as e:
            first = e.errors()[0]
            loc = ".".join(str(x) for x in first["loc"])
            raise ConfigError(f"{where}: {loc + ': ' if loc else ''}{first['msg']}") from e


# ---- the council's own figures, as DfE counts them --------------------------------------------
@dataclass(frozen=True)
class LocalFigure:
    """The council's figure: ``value`` (None when not available, ``why`` says why), the count and
    what it is out of."""

    value: float | None
    count: float = 0
    out_of: float = 0
    why: str = ""


def _known(frame: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    """The rows known by ``end`` (a blank ``known_from`` is known from its event date)."""
    if "known_from" not in frame.columns:
        return frame
    known = pd.to_datetime(frame["known_from"], errors="coerce")
    return frame[(known.isna() | (known <= end)).to_numpy()]


def _dates(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """``frame`` with ``columns`` as datetimes (an empty or hand-made frame may hold objects)."""
    return frame.assign(**{c: pd.to_datetime(frame[c], errors="coerce") for c in columns})


def _year(end: pd.Timestamp) -> pd.Timestamp:
    """The day before the 12 months to ``end`` start (the year is ``(start, end]``)."""
    return end - pd.DateOffset(years=1)


def rereferral_rate(referrals: pd.DataFrame, end) -> LocalFigure:
    """Referrals in the 12 months to ``end`` made within 12 months of the child's previous
    referral, as a share (%) of the referrals in those 12 months (DfE C1).

    Referrals are distinct (child, date) pairs known by ``end``; the previous referral may be
    before the year (so the data must reach a year further back: the caller checks coverage).
    """
    end = pd.Timestamp(end)
    r = _dates(_known(referrals, end), "referral_date")
    r = r.dropna(subset=["child_id", "referral_date"])
    r = r[r["referral_date"] <= end].drop_duplicates(["child_id", "referral_date"])
    r = r.sort_values(["child_id", "referral_date"], kind="stable")
    gap = (r["referral_date"] - r.groupby("child_id", sort=False)["referral_date"].shift(1)).dt.days
    in_year = (r["referral_date"] > _year(end)).to_numpy()
    repeat = (gap <= REREFERRAL_DAYS).fillna(False).to_numpy(dtype=bool) & in_year
    n = int(in_year.sum())
    if n == 0:
        return LocalFigure(None, 0, 0, "no referrals in the 12 months")
    return LocalFigure(100.0 * repeat.sum() / n, int(repeat.sum()), n)


def cp_plans_ending_2y_plus(cp_plans: pd.DataFrame, end) -> LocalFigure:
    """Child protection plans that ended in the 12 months to ``end`` having lasted two years
    (730 days) or more, as a share (%) of the plans that ended then (DfE D7). A plan without a
    start date, or ending before it starts, is left out of both counts."""
    end = pd.Timestamp(end)
    p = _dates(_known(cp_plans, end), "start_date", "end_date")
    p = p[(p["end_date"] > _year(end)).fillna(False).to_numpy(dtype=bool)
          & (p["end_date"] <= end).fillna(False).to_numpy(dtype=bool)].dropna(subset=["start_date"])
    days = (p["end_date"] - p["start_date"]).dt.days
    days = days[days >= 0]
    if days.empty:
        return LocalFigure(None, 0, 0, "no child protection plan ended in the 12 months")
    long = int((days >= TWO_YEARS_DAYS).sum())
    return LocalFigure(100.0 * long / len(days), long, len(days))


def missing_incidents_per_child(lac_episodes: pd.DataFrame, missing: pd.DataFrame, end) -> LocalFigure:
    """Missing incidents ("missing", not "away") starting in the 12 months to ``end``, per child
    looked after at some time in those 12 months who went missing at least once (DfE)."""
    end = pd.Timestamp(end)
    start = _year(end)
    e = _dates(_known(lac_episodes, end), "decom", "dec")
    during = (e["decom"] <= end).fillna(False) & (e["dec"].isna() | (e["dec"] > start))
    children = set(e.loc[during.to_numpy(dtype=bool), "child_id"].dropna())
    m = _dates(_known(missing, end), "start_date")
    m = m[((m["missing_type"] == "M") & (m["start_date"] > start) & (m["start_date"] <= end))
          .fillna(False).to_numpy(dtype=bool)]
    m = m[m["child_id"].isin(children)]
    went = m["child_id"].nunique()
    if went == 0:
        return LocalFigure(None, 0, 0, "no looked-after child went missing in the 12 months")
    return LocalFigure(len(m) / went, len(m), went)


# ---- the comparison table --------------------------------------------------------------------
@dataclass(frozen=True)
class Comparison:
    """One row of "How we compare", ready to show (every cell in words or a number)."""

    measure: str
    label: str
    definition: str
    unit: str
    council: LocalFigure
    england: str
    region: str
    neighbours: str
    sources: str

    def council_text(self) -> str:
        return _value(self.council.value, self.unit) if self.council.value is not None else \
            f"{NOT_AVAILABLE} ({self.council.why})"

    def out_of_text(self) -> str:
        if self.council.value is None:
            return ""
        if self.unit == "%":
            return f"{self.council.count:,.0f} of {self.council.out_of:,.0f}"
        return f"{self.council.count:,.0f} incidents, {self.council.out_of:,.0f} children"


def _value(v: float, unit: str) -> str:
    return f"{v:.1f}%" if unit == "%" else f"{v:.1f} {unit}"


def _published(data: BenchmarkData, f: Figure, unit: str) -> str:
    """A published figure with the first year of its publication, e.g. "22.6% (2024-25)"."""
    return f"{_value(f.value, unit)} ({data.publications[f.publication].year.split(' ')[0]})"


def comparison_rows(local: dict[str, LocalFigure], council: CouncilConfig | None,
                    data: BenchmarkData | None = None) -> list[Comparison]:
    """Every measure of ``data``: the council's figure beside England's, the region's and the
    statistical neighbours' (or "not available" and why)."""
    data = data or load_benchmarks()
    rows = []
    for m in data.measures:
        england = _published(data, m.england, m.unit)
        sources = [f"England: {data.source_text(m.england)}"]
        if council is None or council.region is None:
            region = f"{NOT_AVAILABLE}: the council file names no region"
        elif council.region in m.regions:
            f = m.regions[council.region]
            region = _published(data, f, m.unit)
            sources.append(f"{council.region}: {data.source_text(f)}")
        else:
            region = (f"{NOT_AVAILABLE}: the {council.region} figure is not in driftflag's reference "
                      "data")
        sn = council.statistical_neighbours if council else None
        if sn is not None and m.id in sn.figures:
            f = sn.figures[m.id]
            neighbours = f"{_value(f.value, m.unit)} ({f.year})"
            sources.append(f"Statistical neighbours: {f.source}; list: {sn.source}")
        else:
            neighbours = (f"{NOT_AVAILABLE}: DfE's statistical-neighbour figures are not in driftflag's "
                          "reference data; the council file can give them with their source")
        rows.append(Comparison(m.id, m.label, m.definition, m.unit,
                               local.get(m.id, LocalFigure(None, why="not computed")),
                               england, region, neighbours, "; ".join(sources)))
    return rows
