"""Settings of the data drift monitor, validated once at the edge (pydantic, ``extra="forbid"``).

Why these defaults:

* **PSI bands** 0.1 and 0.25 are the usual credit-risk scorecard convention (PSI < 0.1 no
  material input shift, 0.1-0.25 watch, > 0.25 significant shift: Siddiqi, *Credit Risk
  Scorecards*, 2006; Evidently and CapyMOA quote 0.1 / 0.2, ``ml-anchors-and-tooling.md`` §4.3).
* **The test is pinned per column by type** (KS for continuous values, chi-squared for counts,
  codes and yes/no fields) and stored in the reference, because Evidently's automatic choice
  switches method silently at 1,000 reference rows and monthly caseloads straddle that
  (``ml-anchors-and-tooling.md`` §4.3).
* **Benjamini-Hochberg** controls the false discovery rate across the ~40 inputs x 3 tests run
  each month; without it a stable month would raise a few false alarms every time.
* **A test alone never flags**: with thousands of reference rows a trivial difference is
  "significant", so a distribution flag needs both an adjusted p below ``alpha`` and a PSI at or
  above the watch band; recording-change signals need a minimum size as well.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from driftflag.monitoring._errors import MonitoringError

__all__ = ["FeatureKind", "MonitorConfig", "TEST_BY_KIND"]

#: How a model input is summarised and tested. ``count`` is a small non-negative integer (episodes,
#: referrals, moves); its zero share is watched separately because a lapse in recording shows up
#: as more zeros, not as blanks.
FeatureKind = Literal["continuous", "count", "categorical", "boolean"]
#: The statistical test pinned to each kind (stored per column in the reference).
TEST_BY_KIND: dict[str, str] = {
    "continuous": "ks", "count": "chi2", "categorical": "chi2", "boolean": "chi2",
}


class MonitorConfig(BaseModel):
    """Thresholds and choices of :func:`~driftflag.monitoring.monitor`.

    Every field has a default a council can override in ``pipelines/monitor.yaml``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    psi_bins: int = Field(10, ge=2, le=50, description="Quantile bins from the reference (10 = deciles); outer bins open-ended.")
    psi_watch: float = Field(0.10, gt=0, description="PSI at or above this is a moderate input shift (watch).")
    psi_shift: float = Field(0.25, gt=0, description="PSI above this is a significant input shift.")
    psi_floor: float = Field(1e-4, gt=0, lt=0.01, description="Bin share floor so an empty bin gives a finite PSI.")
    alpha: float = Field(0.05, gt=0, lt=0.5, description="False discovery rate (Benjamini-Hochberg) over all input tests.")
    min_rows: int = Field(50, ge=10, description="Fewest values (reference and current) for a test to run.")
    min_expected: float = Field(5.0, gt=0, description="Chi-squared cells expected below this are pooled.")
    count_cap: int = Field(5, ge=2, le=50, description="Counts at or above this share one top bin in the chi-squared test.")
    count_max_distinct: int = Field(25, ge=2, description="A whole-number column with at most this many values (and max <= 100) is a count.")
    missing_rate_watch: float = Field(0.05, gt=0, lt=1, description="Absolute change in the blank share that suggests a recording change.")
    activity_change_watch: float = Field(0.40, gt=0, lt=1, description="Relative change in the share of non-zero counts that suggests a recording change.")
    code_mix_watch: float = Field(0.02, gt=0, lt=1, description="Share of rows with codes new or vanished since the reference that suggests a recording change.")
    retrain_feature_share: float = Field(0.25, gt=0, le=1, description="Share of inputs in significant input shift that calls for retraining.")
    precision_drop_watch: float = Field(0.10, gt=0, lt=1, description="Absolute fall in audited precision worth watching (retrain when also significant).")
    min_audits: int = Field(20, ge=1, description="Fewest audited flagged cases for a precision comparison.")
    kinds: dict[str, FeatureKind] = Field(default_factory=dict, description="Pinned kind per column; others are inferred once, from the reference.")
    group_level: tuple[str, ...] = Field(
        ("team_caseload",),
        description="Inputs measured on a team, not a child: every child in a team shares the value, so "
                    "the test counts distinct values (about one per team and month), not children.")

    @model_validator(mode="after")
    def _bands_ordered(self) -> MonitorConfig:
        if self.psi_watch >= self.psi_shift:
            raise ValueError(f"psi_watch ({self.psi_watch}) must be below psi_shift ({self.psi_shift})")
        return self

    @classmethod
    def from_yaml(cls, path: Path | str) -> MonitorConfig:
        """Read ``pipelines/monitor.yaml`` (the only place YAML is read for monitoring)."""
        import yaml

        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as e:
            raise MonitoringError(f"{path}: cannot read monitoring config ({e})") from e
        if isinstance(data, dict) and "steps" in data:  # a pipeline: its monitor step's config
            steps = [s for s in data["steps"] or [] if isinstance(s, dict) and s.get("kind") == "monitor"]
            data = ((steps[0].get("with") or {}).get("config") if steps else None) or {}
        try:
            return cls.model_validate(data)
        except ValidationError as e:
            first = e.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "config"
            raise MonitoringError(f"{path}: {where}: {first['msg']}") from e
