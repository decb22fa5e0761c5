"""Temporal validation splits (Timechop style): pure dates in, frozen splits out.

A model trained on monthly snapshots must never learn from a label it could not have known when
the worklist it is tested on was made. The label of as-of date ``t`` covers ``(t, t + H]``
(``H`` = ``label_timespan_months``), so it is known only at ``t + H``. Every training as-of date
therefore satisfies ``t + H <= first test as-of date`` (the training label windows close at or
before the moment the first test worklist is made), as triage's Timechop does
(``ml-anchors-and-tooling.md`` §1.3; ``style-guide.md`` §3).

Splits walk **back from the end of the data**, so the newest data is always a test fold: the last
test as-of date is the latest month start whose label window ends by ``feature_end``.

Worked example (followed in the comments below)::

    feature_start=2021-04-01, feature_end=2026-03-31, label_timespan_months=6,
    test_span_months=1, n_folds=3 (update_every_months defaults to test_span_months = 1)

    last test as-of = latest month start t with t + 6 months <= 2026-03-31  -> 2025-09-01
    fold 2 (newest): test [2025-09-01]; train 2021-04-01 .. 2025-03-01 (2025-03-01 + 6m = 2025-09-01)
    fold 1:          test [2025-08-01]; train 2021-04-01 .. 2025-02-01
    fold 0 (oldest): test [2025-07-01]; train 2021-04-01 .. 2025-01-01
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from driftflag.errors import ConfigError

__all__ = [
    "Split",
    "TemporalConfig",
    "add_months",
    "describe_splits",
    "month_starts",
    "splits_table",
    "temporal_splits",
]


def add_months(d: date, months: int) -> date:
    """``d`` moved by whole calendar months; the day is clipped to the month's length."""
    m0 = d.year * 12 + (d.month - 1) + months
    year, month = divmod(m0, 12)
    month += 1
    days = [31, 29 if (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)) else 28,
            31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    return date(year, month, min(d.day, days))


def _first_month_start_on_or_after(d: date) -> date:
    return d if d.day == 1 else add_months(date(d.year, d.month, 1), 1)


def month_starts(start: date, end: date) -> list[date]:
    """Month starts in ``[start, end]`` (both inclusive)."""
    out = []
    t = _first_month_start_on_or_after(start)
    while t <= end:
        out.append(t)
        t = add_months(t, 1)
    return out


@dataclass(frozen=True)
class Split:
    """One temporal fold: training as-of dates, test as-of dates, and when their labels close.

    ``label_window_end`` is the end of the last test as-of date's label window (the latest date
    any label of this split reads); ``train_label_end`` that of the last training as-of date, which
    is never after ``test_as_of[0]``.
    """

    fold: int
    train_as_of: tuple[date, ...]
    test_as_of: tuple[date, ...]
    label_timespan_months: int

    @property
    def train_label_end(self) -> date:
        return add_months(self.train_as_of[-1], self.label_timespan_months)

    @property
    def label_window_end(self) -> date:
        return add_months(self.test_as_of[-1], self.label_timespan_months)

    @property
    def name(self) -> str:
        """A stable fold label for tables and MLflow keys: the first test month."""
        return self.test_as_of[0].strftime("%Y-%m")

    def calibration_slice(self, months: int) -> tuple[tuple[date, ...], tuple[date, ...]]:
        """Split the training as-of dates into (fit, calibrate): the last ``months`` calibrate.

        The calibration slice is *later* than the fitting slice, so a calibrator sees the most
        recent behaviour before the test fold, and its labels still close before the test fold.
        """
        if months <= 0:
            return self.train_as_of, ()
        if months >= len(self.train_as_of):
            raise ConfigError(
                f"fold {self.name}: a {months}-month calibration slice leaves no training months "
                f"(only {len(self.train_as_of)} training as-of dates)"
            )
        return self.train_as_of[:-months], self.train_as_of[-months:]


class TemporalConfig(BaseModel):
    """How to cut monthly snapshots into training and test folds.

    ``feature_start``: the first date an as-of date may take (snapshots need history before it).
    ``feature_end``: the last date with data (the extract date), inclusive; labels must end by it.
    ``label_timespan_months``: ``H``, the label window ``(as_of, as_of + H]``.
    ``test_span_months``: monthly test as-of dates per fold (1 = one worklist month per fold).
    ``n_folds``: at least 3, so a model's record is never judged on one or two months.
    ``update_every_months``: step between folds (defaults to ``test_span_months``: folds do not
    overlap). ``max_training_history_months``: cap on how far back training as-of dates reach.
    ``min_training_as_of``: folds with fewer training months are refused.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    feature_start: date
    feature_end: date
    label_timespan_months: int = Field(6, ge=1, le=36)
    test_span_months: int = Field(1, ge=1, le=24)
    n_folds: int = Field(3, ge=3, le=60)
    training_as_of_freq: Literal["MS"] = "MS"
    update_every_months: int | None = Field(None, ge=1, le=24)
    max_training_history_months: int | None = Field(None, ge=1)
    min_training_as_of: int = Field(6, ge=1)

    @model_validator(mode="after")
    def _splits_fit_in_the_data(self) -> TemporalConfig:
        if self.feature_start >= self.feature_end:
            raise ValueError(
                f"feature_start ({self.feature_start}) must be before feature_end ({self.feature_end})"
            )
        splits = _compute(self)
        oldest = splits[0]
        if len(oldest.train_as_of) < self.min_training_as_of:
            raise ValueError(
                f"the oldest of {self.n_folds} folds (test from {oldest.test_as_of[0]}) has "
                f"{len(oldest.train_as_of)} training as-of dates, fewer than min_training_as_of="
                f"{self.min_training_as_of}: move feature_start earlier, shorten "
                f"label_timespan_months or test_span_months, or ask for fewer folds"
            )
        return self

    @property
    def step_months(self) -> int:
        return self.update_every_months or self.test_span_months

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> TemporalConfig:
        """Validate a mapping, turning pydantic's error into a one-line :class:`ConfigError`."""
        try:
            return cls.model_validate(data)
        except ValidationError as e:
            first = e.errors()[0]
            loc = ".".join(str(p) for p in first["loc"]) or "temporal"
            raise ConfigError(f"temporal config: {loc}: {first['msg']}") from e

    @classmethod
    def from_yaml(cls, path: Path, section: str | None = None) -> TemporalConfig:
        """Read the config from YAML (optionally one section of a larger file)."""
        import yaml

        with Path(path).open(encoding="utf-8") as fh:
            data = yaml.safe_load(fh) or {}
        if section is not None:
            if section not in data:
                raise ConfigError(f"{path}: no '{section}' section")
            data = data[section]
        return cls.from_mapping(data)


def _compute(cfg: TemporalConfig) -> list[Split]:
    """The splits, or ``ValueError`` (raised inside the validator) if they do not fit."""
    H = cfg.label_timespan_months
    # e.g. last_test = latest month start with t + 6m <= 2026-03-31 -> 2025-09-01
    candidates = month_starts(cfg.feature_start, cfg.feature_end)
    usable = [t for t in candidates if add_months(t, H) <= cfg.feature_end]
    if not usable:
        raise ValueError(
            f"no as-of date between {cfg.feature_start} and {cfg.feature_end} has a complete "
            f"{H}-month label window"
        )
    last_test = usable[-1]
    step = cfg.update_every_months or cfg.test_span_months
    splits: list[Split] = []
    for i in range(cfg.n_folds):  # i = 0 is the newest fold
        # e.g. fold i=0: test_end = 2025-09-01; i=1: 2025-08-01; i=2: 2025-07-01
        test_end = add_months(last_test, -i * step)
        test = tuple(add_months(test_end, -j) for j in range(cfg.test_span_months - 1, -1, -1))
        # e.g. test [2025-09-01] -> last training as-of 2025-09-01 - 6m = 2025-03-01
        last_train = add_months(test[0], -H)
        first_train = cfg.feature_start
        if cfg.max_training_history_months is not None:
            first_train = max(first_train, add_months(last_train, -(cfg.max_training_history_months - 1)))
        train = tuple(month_starts(first_train, last_train))
        if test[0] < cfg.feature_start or not train:
            raise ValueError(
                f"fold {cfg.n_folds - i} of {cfg.n_folds} (test from {test[0]}) has no training "
                f"as-of date on or after feature_start {cfg.feature_start} whose "
                f"{H}-month label window closes by {test[0]}"
            )
        splits.append(Split(fold=0, train_as_of=train, test_as_of=test, label_timespan_months=H))
    splits.reverse()
    return [Split(fold=n, train_as_of=s.train_as_of, test_as_of=s.test_as_of,
                  label_timespan_months=H) for n, s in enumerate(splits)]


def temporal_splits(cfg: TemporalConfig) -> list[Split]:
    """The folds of ``cfg``, oldest first (``fold`` 0), computed walking back from the data end.

    Pure: depends on the config only. A config that cannot be split was already refused when it
    was built, so this never fails on a valid ``TemporalConfig``.
    """
    return _compute(cfg)


def describe_splits(splits: list[Split], calibration_months: int = 0) -> list[dict[str, Any]]:
    """One dict per fold (ISO dates), for logging to MLflow or printing.

    With ``calibration_months`` (a spec's calibration slice), each fold also names the months the
    model was fitted on (``fit_*``) and the later months its calibrator learnt from
    (``calibration_*``; blank without calibration), so a model card shows that fitting,
    calibration and test months never overlap.
    """
    rows = []
    for s in splits:
        fit, cal = s.calibration_slice(calibration_months)
        rows.append({
            "fold": s.fold,
            "name": s.name,
            "train_first_as_of": s.train_as_of[0].isoformat(),
            "train_last_as_of": s.train_as_of[-1].isoformat(),
            "n_train_as_of": len(s.train_as_of),
            "train_label_end": s.train_label_end.isoformat(),
            "fit_first_as_of": fit[0].isoformat(),
            "fit_last_as_of": fit[-1].isoformat(),
            "n_fit_as_of": len(fit),
            "calibration_first_as_of": cal[0].isoformat() if cal else "",
            "calibration_last_as_of": cal[-1].isoformat() if cal else "",
            "n_calibration_as_of": len(cal),
            "test_first_as_of": s.test_as_of[0].isoformat(),
            "test_last_as_of": s.test_as_of[-1].isoformat(),
            "n_test_as_of": len(s.test_as_of),
            "label_window_end": s.label_window_end.isoformat(),
        })
    return rows


def splits_table(splits: list[Split]):
    """A ``rich`` table of the folds, for the CLI to print."""
    from rich.table import Table

    table = Table(title="Temporal validation folds (labels close before each test month)")
    rows = describe_splits(splits)
    for col in ("fold", "train_first_as_of", "train_last_as_of", "n_train_as_of",
                "train_label_end", "test_first_as_of", "test_last_as_of", "label_window_end"):
        table.add_column(col)
    from driftflag._text import cell

    for r in rows:
        table.add_row(*(cell(r[c]) for c in (
            "fold", "train_first_as_of", "train_last_as_of", "n_train_as_of", "train_label_end",
            "test_first_as_of", "test_last_as_of", "label_window_end")))
    return table
