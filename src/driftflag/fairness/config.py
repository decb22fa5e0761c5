"""Configuration of the fairness audit (issue 7): groups, reference groups, band, suppression.

The fairness band is aequitas's ``tau = 0.8`` rule (0.8-1.25), the groups are the DfE major
ethnic groups, sex, age band, disability and UASC, and the suppression limits follow DfE/ONS
small-number practice (counts 1-9 hidden, rates for groups under 20 not shown).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "DIMENSIONS",
    "METRICS",
    "FairnessConfig",
    "VerdictTolerances",
]

#: Every grouping the report can show, in the order of the report.
DIMENSIONS: tuple[str, ...] = (
    "ethnicity",           # DfE major groups, "Not known" shown
    "ethnicity_detailed",  # the 20 DfE codes where numbers allow
    "sex",
    "age_band",
    "disability",
    "uasc",
    "ethnicity_by_age",
)

#: Group metrics, at the worklist threshold and on the scores.
METRICS: tuple[str, ...] = (
    "base_rate",
    "selection_rate",
    "precision",
    "false_discovery_rate",
    "false_negative_rate",
    "false_positive_rate",
    "recall",
    "mean_score",
    "observed_to_predicted",
    "selection_to_need",
)

Metric = Literal[
    "base_rate", "selection_rate", "precision", "false_discovery_rate", "false_negative_rate",
    "false_positive_rate", "recall", "mean_score", "observed_to_predicted", "selection_to_need",
]
Dimension = Literal[
    "ethnicity", "ethnicity_detailed", "sex", "age_band", "disability", "uasc", "ethnicity_by_age",
]


class VerdictTolerances(BaseModel):
    """How each (group, metric) disparity is judged, and how the judgements make the verdict.

    Every judged ratio (group / reference group) gets one of four outcomes:

    * **outside band**: the whole interval lies outside the band (0.8-1.25 by default);
    * **attention**: the estimate lies outside the band but the interval reaches into it;
    * **within band**: the estimate lies inside the band and the numbers are precise enough;
    * **cannot judge**: too few children (or the figure is hidden as a small number), or the
      *detectable ratio* (the smallest ratio the interval could tell from 1, from the bootstrap
      spread of the log ratio: ``exp(z * sd)``) is beyond the band: such numbers could not see
      a disparity the size of the band, so "within band" would claim more than they show.

    ``judged_metrics`` are judged for every group of every dimension in ``dimensions``;
    ``main_metrics`` for the ``main_groups`` must all be judged, or the verdict is
    "insufficient evidence" (never "pass"), saying which evidence is missing. Calibration by
    group (observed / predicted on every labelled open case) is what catches a label biased
    against a group; selection per need (selection rate / base rate) whether a group is listed
    more often per case with the outcome; the error rates (FNR: drifting cases missed;
    precision/FDR: listed cases that were drifting or not) whether the list serves a group worse.
    The worklist selection tests (group against the rest of the caseload) count too: a group
    listed significantly more or less often (``selection_alpha``) with a rate ratio outside the
    band is "attention" (it may be explained by need, which the panel should check).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    dimensions: tuple[Dimension, ...] = ("ethnicity", "sex", "age_band", "disability", "uasc")
    judged_metrics: tuple[Metric, ...] = (
        "precision", "false_discovery_rate", "false_negative_rate", "selection_to_need",
        "observed_to_predicted",
    )
    main_metrics: tuple[Metric, ...] = (
        "precision", "false_negative_rate", "selection_to_need", "observed_to_predicted",
    )
    main_groups: dict[str, tuple[str, ...]] = Field(default_factory=lambda: {
        "ethnicity": ("White", "Mixed", "Asian", "Black")})
    selection_alpha: float = Field(0.05, gt=0, lt=1)
    min_labelled: int = Field(50, ge=1)
    min_positives: int = Field(10, ge=1)
    #: the prior-history check (recall among children who later entered care) warns, as
    #: attention, when a group's recall ratio is below the band with at least this many children.
    min_entered_care: int = Field(20, ge=1)
    #: a proxy AUC above this for any ethnic group makes the verdict "attention".
    proxy_auc_attention: float = Field(0.75, gt=0.5, le=1.0)


class FairnessConfig(BaseModel):
    """Everything the fairness audit needs besides the scored caseload.

    ``reference`` maps a dimension to its reference group: ``"largest"`` (the group with most
    open cases, aequitas's ``"maj"``) or a group name, e.g. ``"White"`` for ethnicity or
    ``"White British"`` for the detailed codes. Dimensions not listed use ``"largest"``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    dimensions: tuple[Dimension, ...] = DIMENSIONS
    reference: dict[str, str] = Field(default_factory=lambda: {
        "ethnicity": "White", "ethnicity_detailed": "White British",
    })
    band: tuple[float, float] = (0.8, 1.25)
    suppression_limit: int = Field(10, ge=1, description="Counts 1..limit-1 are shown as '<limit'.")
    min_group_for_rates: int = Field(20, ge=1, description="Rates are not shown for smaller groups.")
    #: detailed ethnicity codes with fewer open cases are pooled into "<major> (other codes)".
    min_detailed_group: int = Field(20, ge=1)
    n_bootstrap: int = Field(1000, ge=0)
    ci_level: float = Field(0.95, gt=0.5, lt=1.0)
    random_state: int = 0
    k: int | float | None = Field(
        None, description="Worklist size (count, or share in (0, 1)); None uses `selected`."
    )
    feature_columns: tuple[str, ...] = ()
    history_features: tuple[str, ...] | None = Field(
        None, description="History-based features; None picks names containing a history_pattern."
    )
    history_patterns: tuple[str, ...] = ("previous", "prior", "referrals_12m", "re_referral")
    population_shares: Path | None = Field(
        None, description="CSV group,share (major ethnic groups); None uses England's pupils."
    )
    child_population: int | None = Field(
        None, ge=1, description="The LA's 0-17 population, for rates per 10,000 children."
    )
    tolerances: VerdictTolerances = Field(default_factory=VerdictTolerances)
    proxy_cv_folds: int = Field(5, ge=2)
    proxy_top_features: int = Field(5, ge=1)
    mitigation: bool = True
    model_card: str | None = Field(None, description="Model card (markdown or HTML) from stage 4.")
    model_label: str = Field("model", description="Model name and version shown in the report.")
    month: str | None = Field(
        None, description="Months shown in the report, e.g. 2025-11 or 2024-10 to 2025-09.")
    evidence: dict | None = Field(
        None, description="Where the evidence comes from (back-test months and why), shown first.")

    @field_validator("band")
    @classmethod
    def _band_ok(cls, v: tuple[float, float]) -> tuple[float, float]:
        lo, hi = v
        if not 0 < lo < 1 < hi:
            raise ValueError(f"band must satisfy 0 < low < 1 < high; got {v}")
        return v

    @field_validator("k")
    @classmethod
    def _k_ok(cls, v):
        if v is None or isinstance(v, bool):
            if isinstance(v, bool):
                raise ValueError("k must be a count or a share")
            return v
        if isinstance(v, int) and v < 1:
            raise ValueError(f"k must be at least 1; got {v}")
        if isinstance(v, float) and not 0 < v < 1:
            raise ValueError(f"a share k must be in (0, 1); got {v}")
        return v

    @model_validator(mode="after")
    def _references_known(self) -> FairnessConfig:
        unknown = set(self.reference) - set(DIMENSIONS)
        if unknown:
            raise ValueError(f"reference given for unknown dimensions: {sorted(unknown)}")
        if self.suppression_limit > self.min_group_for_rates:
            raise ValueError("suppression_limit must not exceed min_group_for_rates")
        return self

    def history_feature_names(self) -> tuple[str, ...]:
        """History-based features: the explicit list, else names matching a pattern."""
        if self.history_features is not None:
            return tuple(self.history_features)
        return tuple(f for f in self.feature_columns
                     if any(p in f.lower() for p in self.history_patterns))
