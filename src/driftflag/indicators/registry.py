"""The indicator registry: what each drift indicator means, its thresholds and their sources.

The registry is a versioned YAML file shipped with driftflag (``driftflag/data/indicators.yaml``)
loaded into frozen pydantic models. A council overrides thresholds and scorecard targets with its
own YAML file::

    version: "Barnet QA framework 2026-01"     # names the override in every output
    indicators:
      plo_over_16w:
        thresholds:
          weeks: 12                               # a bare number: source "council override"
      cp_review_overdue:
        thresholds:
          review_interval_months: {value: 6, source: "Barnet CP procedures 2025 §4.2"}
        target: {value: 0, source: "Barnet QA framework 2026"}

The override can neither add nor remove indicators: an unknown indicator id, threshold name or
key is refused with a message naming it (:class:`~driftflag.errors.ConfigError`).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from driftflag.errors import ConfigError

Polarity = Literal["higher_is_worse", "higher_is_better", "monitor"]
Unit = Literal[
    "days", "weeks", "working_days", "count", "flag", "share", "category", "cases_per_worker",
]
Service = Literal["CIN", "CP", "LAC", "CL"]
Family = Literal["child_protection", "front_door", "missing", "legal", "looked_after", "context"]
OutcomeArea = Literal["family_help", "family_network", "safe", "stable_home", "workforce", "leaders"]
ScorecardSummary = Literal["rate", "mean", "median", "none"]

#: Printed after a threshold, target or benchmark that is a default not confirmed by the
#: reference material (domain-requirements.md §6 lists what the seeds do not contain).
CONFIRM_MARK = "[council to confirm]"

_UNKNOWN_ID = "{where}: unknown indicator id {key!r} (the registry has no such indicator)"
_UNKNOWN_THRESHOLD = "{where}: unknown threshold {key!r} for {ind} (known: {known})"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Threshold(_Frozen):
    """A number an indicator compares against, with where it comes from."""

    value: float
    unit: str
    source: str = Field(min_length=1)
    confirm: bool = False

    @property
    def citation(self) -> str:
        return f"{self.source} {CONFIRM_MARK}" if self.confirm else self.source


class Target(_Frozen):
    """Scorecard target for the indicator's headline figure (a rate in % or a value in the unit)."""

    value: float
    source: str = Field(min_length=1)
    confirm: bool = False

    @property
    def citation(self) -> str:
        return f"{self.source} {CONFIRM_MARK}" if self.confirm else self.source


class Benchmark(_Frozen):
    """A comparator figure (England, London, statistical neighbours) for the scorecard."""

    name: str
    value: float
    period: str
    source: str
    note: str | None = None


class Indicator(_Frozen):
    """One drift indicator: its meaning, unit, polarity, thresholds and provenance."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    family: Family
    definition: str
    unit: Unit
    polarity: Polarity
    services: tuple[Service, ...] = Field(min_length=1)
    outcome_area: OutcomeArea | None = None
    sources: tuple[str, ...] = Field(min_length=1)
    thresholds: dict[str, Threshold] = Field(default_factory=dict)
    target: Target | None = None
    benchmarks: tuple[Benchmark, ...] = ()
    protected: bool = False
    not_measured: str | None = None
    scorecard: ScorecardSummary = "none"

    @model_validator(mode="after")
    def _consistent(self) -> Indicator:
        if not self.protected and self.outcome_area is None:
            raise ValueError(f"{self.id}: an indicator that is not protected needs an outcome_area")
        if self.protected and self.scorecard != "none":
            raise ValueError(f"{self.id}: protected characteristics are never on the scorecard")
        if self.scorecard == "rate" and self.unit != "flag":
            raise ValueError(f"{self.id}: scorecard 'rate' needs unit 'flag'")
        if self.unit == "category" and self.scorecard != "none":
            raise ValueError(f"{self.id}: a category cannot be summarised on the scorecard")
        if self.target is not None and self.polarity == "monitor":
            raise ValueError(f"{self.id}: a Monitor indicator has no target")
        return self

    @property
    def column(self) -> str:
        """Snapshot column: ``audit_<id>`` for protected characteristics, else the id."""
        return f"audit_{self.id}" if self.protected else self.id

    @property
    def is_flag(self) -> bool:
        return self.unit == "flag"

    def threshold(self, name: str) -> float:
        try:
            return self.thresholds[name].value
        except KeyError:
            raise ConfigError(
                _UNKNOWN_THRESHOLD.format(where="registry", key=name, ind=self.id,
                                          known=", ".join(self.thresholds) or "none")
            ) from None

    @property
    def threshold_values(self) -> dict[str, float]:
        return {k: t.value for k, t in self.thresholds.items()}


class Registry(_Frozen):
    """The versioned set of indicators; ``override`` names the council override applied."""

    version: str
    outcome_areas: dict[OutcomeArea, str]
    indicators: tuple[Indicator, ...]
    override: str | None = None

    @field_validator("indicators")
    @classmethod
    def _unique(cls, v: tuple[Indicator, ...]) -> tuple[Indicator, ...]:
        seen: set[str] = set()
        for ind in v:
            if ind.id in seen:
                raise ValueError(f"duplicate indicator id {ind.id!r}")
            seen.add(ind.id)
        return v

    # --- views ---------------------------------------------------------------------------
    def __getitem__(self, indicator_id: str) -> Indicator:
        for ind in self.indicators:
            if ind.id == indicator_id:
                return ind
        raise KeyError(indicator_id)

    def __contains__(self, indicator_id: object) -> bool:
        return any(ind.id == indicator_id for ind in self.indicators)

    def __iter__(self) -> Iterator[Indicator]:  # type: ignore[override]
        return iter(self.indicators)

    def __len__(self) -> int:
        return len(self.indicators)

    @property
    def ids(self) -> list[str]:
        return [ind.id for ind in self.indicators]

    @property
    def label(self) -> str:
        """Version string shown on outputs: ``2026.1`` or ``2026.1 + override 'Barnet ...'``."""
        return self.version if self.override is None else f"{self.version} + override {self.override!r}"

    def model_features(self) -> list[str]:
        """Snapshot columns a model may use by default: every indicator not flagged protected."""
        return [ind.column for ind in self.indicators if not ind.protected]

    def audit_columns(self) -> list[str]:
        """Snapshot columns holding protected characteristics (``audit_*``), for fairness checks."""
        return [ind.column for ind in self.indicators if ind.protected]

    def feature_groups(self) -> dict[str, list[str]]:
        """Family -> model-feature columns, in registry order."""
        out: dict[str, list[str]] = {}
        for ind in self.indicators:
            if not ind.protected:
                out.setdefault(ind.family, []).append(ind.column)
        return out

    def for_service(self, service: str) -> list[Indicator]:
        return [ind for ind in self.indicators if service in ind.services]


# --- loading ---------------------------------------------------------------------------------
class _ThresholdOverride(_Frozen):
    value: float
    source: str | None = None


def _as_value(v: Any) -> Any:
    """A bare number is short for ``{value: number}``."""
    return {"value": v} if isinstance(v, int | float | str) and not isinstance(v, bool) else v


class _IndicatorOverride(_Frozen):
    thresholds: dict[str, _ThresholdOverride] = Field(default_factory=dict)
    target: _ThresholdOverride | None = None

    @field_validator("thresholds", mode="before")
    @classmethod
    def _bare_thresholds(cls, v: Any) -> Any:
        return {k: _as_value(x) for k, x in v.items()} if isinstance(v, dict) else v

    @field_validator("target", mode="before")
    @classmethod
    def _bare_target(cls, v: Any) -> Any:
        return _as_value(v)


class _Override(_Frozen):
    version: str = Field(min_length=1)
    indicators: dict[str, _IndicatorOverride] = Field(default_factory=dict)


def _one_line(e: ValidationError, where: str) -> str:
    err = e.errors()[0]
    loc = ".".join(str(x) for x in err.get("loc", ()))
    msg = str(err.get("msg", e)).removeprefix("Value error, ")
    if err.get("type") == "extra_forbidden":
        msg = f"unknown key {str(err['loc'][-1])!r}"
    return f"{where}: {loc}: {msg}" if loc else f"{where}: {msg}"


def _read_yaml(path_or_text: Path | str, where: str) -> Any:
    try:
        text = Path(path_or_text).read_text() if isinstance(path_or_text, Path) else path_or_text
    except OSError as e:
        raise ConfigError(f"{where}: cannot read ({e.strerror})") from e
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as e:
        raise ConfigError(f"{where}: not valid YAML ({e.__class__.__name__})") from e


@lru_cache(maxsize=1)
def _default_registry() -> Registry:
    try:
        return Registry.model_validate(_read_yaml(default_registry_text(), "indicators.yaml"))
    except ValidationError as e:
        raise ConfigError(_one_line(e, "indicator registry")) from e


def default_registry_text() -> str:
    """The shipped registry YAML."""
    return resources.files("driftflag").joinpath("data/indicators.yaml").read_text()


def _apply_override(base: dict[str, Any], ov: _Override, where: str) -> dict[str, Any]:
    by_id = {ind["id"]: ind for ind in base["indicators"]}
    for ind_id, change in ov.indicators.items():
        if ind_id not in by_id:
            raise ConfigError(_UNKNOWN_ID.format(where=f"{where}: indicators", key=ind_id))
        ind = by_id[ind_id]
        known = ind.get("thresholds") or {}
        for name, value in change.thresholds.items():
            if name not in known:
                raise ConfigError(_UNKNOWN_THRESHOLD.format(
                    where=f"{where}: indicators.{ind_id}.thresholds", key=name, ind=ind_id,
                    known=", ".join(known) or "none"))
            known[name] = {**known[name], "value": value.value,
                           "source": value.source or f"council override ({ov.version})",
                           "confirm": False}
        if change.target is not None:
            if ind.get("polarity") == "monitor":
                raise ConfigError(f"{where}: indicators.{ind_id}.target: {ind_id} is a Monitor "
                                  "indicator and has no target")
            t = change.target
            ind["target"] = {"value": t.value, "source": t.source or f"council override ({ov.version})",
                             "confirm": False}
    base["override"] = ov.version
    return base


def load_registry(override: Path | str | None = None) -> Registry:
    """The shipped registry, with a council ``override`` YAML file merged in when given.

    The override may change threshold values and targets only (see the module docstring);
    unknown indicator ids, threshold names and keys raise :class:`ConfigError` naming them.
    """
    if override is None:
        return _default_registry()  # frozen, so one parsed copy can be shared
    raw = _read_yaml(default_registry_text(), "indicators.yaml")
    if override is not None:
        path = Path(override)
        where = str(path)
        if not path.is_file():
            raise ConfigError(f"{where}: registry override file not found")
        data = _read_yaml(path, where)
        if not isinstance(data, dict):
            raise ConfigError(f"{where}: an override is a mapping with 'version' and 'indicators'")
        try:
            ov = _Override.model_validate(data)
        except ValidationError as e:
            raise ConfigError(_one_line(e, where)) from e
        raw = _apply_override(raw, ov, where)
    try:
        return Registry.model_validate(raw)
    except ValidationError as e:
        raise ConfigError(_one_line(e, "indicator registry")) from e


__all__ = [
    "Benchmark",
    "CONFIRM_MARK",
    "Indicator",
    "Registry",
    "Target",
    "Threshold",
    "default_registry_text",
    "load_registry",
]
