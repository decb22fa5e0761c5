"""Model specifications (``models/*.yaml``), validated once when loaded.

A spec says which kind of model to train, on which features, with which hyperparameters, and how
to calibrate it. Two rules are enforced here, before any data is read:

* **Protected characteristics are never model inputs by default** (``docs/data-model.md``,
  "Protected characteristics"). A spec that lists one is refused with
  :class:`~driftflag.models.ProtectedFeatureError` unless the spec names it under
  ``protected_features_allowed`` with a written reason, which then appears in the model card.
  Age is not refused: it is a legitimate driver of drift (teenagers and extra-familial harm,
  ``domain-requirements.md`` §3.4) and is audited in the fairness pack instead.
* **Direction of concern becomes monotone constraints**: an indicator whose polarity is
  ``higher_is_worse`` may only raise the score (+1), ``higher_is_better`` only lower it (-1);
  anything else is unconstrained (0). A QA lead can then trust that a worse indicator never makes
  a case *less* likely to be listed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from driftflag.errors import ConfigError
from driftflag.models._errors import ModelSpecError, ProtectedFeatureError

__all__ = [
    "ALLOWED_HYPERPARAMETERS",
    "CalibrationSpec",
    "ModelKind",
    "ModelSpec",
    "PROTECTED_CHARACTERISTICS",
    "REGISTRY_DEFAULT",
    "is_protected",
    "load_specs",
    "monotone_constraints",
]

ModelKind = Literal["rule_baseline", "logistic_scorecard", "lightgbm"]

#: ``features: registry default`` means the indicator registry's model features.
REGISTRY_DEFAULT = "registry default"

#: Columns of ``children`` that are protected characteristics (docs/data-model.md).
PROTECTED_CHARACTERISTICS = frozenset(
    {"sex", "ethnicity", "disability", "disability_codes", "uasc", "uasc_ceased_date"}
)
# Derived names (ethnicity_group, is_disabled, gender, religion...) and the panel's audit_*
# columns, which stage 3 attaches for fairness audits only.
_PROTECTED_PATTERN = re.compile(
    r"(^audit_)|ethnic|(^|_)sex($|_)|gender|disab|(^|_)uasc($|_)|religio|race|sexual_orientation"
)

#: Hyperparameters each kind accepts; anything else is a typo and is refused.
ALLOWED_HYPERPARAMETERS: dict[str, frozenset[str]] = {
    "rule_baseline": frozenset({"threshold_quantile", "thresholds", "weighting", "smoothing"}),
    "logistic_scorecard": frozenset({"C", "max_iter", "class_weight", "tol"}),
    "lightgbm": frozenset({
        "n_estimators", "learning_rate", "num_leaves", "max_depth", "min_child_samples",
        "min_child_weight", "subsample", "subsample_freq", "colsample_bytree", "reg_alpha",
        "reg_lambda", "min_split_gain", "class_weight",
    }),
}

#: Ceilings that keep LightGBM trees shallow enough to explain.
_LIGHTGBM_LIMITS = {"num_leaves": 31, "max_depth": 6}


def is_protected(feature: str) -> bool:
    """Whether a column name is (or is derived from) a protected characteristic."""
    name = feature.lower()
    return name in PROTECTED_CHARACTERISTICS or bool(_PROTECTED_PATTERN.search(name))


class CalibrationSpec(BaseModel):
    """Post-hoc calibration fitted on the latest ``months`` of each fold's training as-of dates."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: Literal["isotonic", "sigmoid", "none"] = "none"
    months: int = Field(6, ge=1, le=24)


class ModelSpec(BaseModel):
    """One model specification. Load with :meth:`from_yaml`; the only reader of ``models/*.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    kind: ModelKind
    description: str = ""
    features: list[str] | Literal["registry default"] = REGISTRY_DEFAULT
    exclude_features: list[str] = Field(default_factory=list)
    hyperparameters: dict[str, Any] = Field(default_factory=dict)
    protected_features_allowed: dict[str, str] = Field(default_factory=dict)
    monotone: bool = True
    calibration: CalibrationSpec = CalibrationSpec()
    random_state: int = 0

    @field_validator("protected_features_allowed")
    @classmethod
    def _reasons_are_written(cls, v: dict[str, str]) -> dict[str, str]:
        for feature, reason in v.items():
            if len(reason.strip()) < 20:
                raise ValueError(
                    f"the reason for allowing {feature!r} must be written out (at least 20 "
                    f"characters: why it is needed and who approved it)"
                )
        return v

    @model_validator(mode="after")
    def _check(self) -> ModelSpec:
        allowed = ALLOWED_HYPERPARAMETERS[self.kind]
        unknown = sorted(set(self.hyperparameters) - allowed)
        if unknown:
            raise ValueError(
                f"hyperparameter(s) {', '.join(unknown)} not allowed for kind {self.kind}; "
                f"allowed: {', '.join(sorted(allowed))}"
            )
        if self.kind == "lightgbm":
            for key, ceiling in _LIGHTGBM_LIMITS.items():
                value = self.hyperparameters.get(key)
                if value is not None and (value > ceiling or value <= 0):
                    raise ValueError(f"lightgbm {key} must be in 1..{ceiling} (shallow, explainable trees); got {value}")
        if self.features != REGISTRY_DEFAULT:
            self.check_protected(self.features)
        return self

    def check_protected(self, features: Iterable[str]) -> None:
        """Raise :class:`ProtectedFeatureError` for the first protected feature not allowed."""
        for f in features:
            if is_protected(f) and f not in self.protected_features_allowed:
                raise ProtectedFeatureError(f, self.name)

    def resolve_features(self, registry_default: Iterable[str]) -> list[str]:
        """The feature list to train on: explicit, or the registry default minus exclusions."""
        feats = list(registry_default) if self.features == REGISTRY_DEFAULT else list(self.features)
        feats = [f for f in feats if f not in set(self.exclude_features)]
        if not feats:
            raise ModelSpecError(f"model spec {self.name!r}: no features left to train on")
        self.check_protected(feats)
        return feats

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], source: str = "model spec") -> ModelSpec:
        """Validate a mapping; a pydantic error becomes one-line :class:`ModelSpecError`."""
        try:
            return cls.model_validate(dict(data))
        except ValidationError as e:
            first = e.errors()[0]
            loc = ".".join(str(p) for p in first["loc"]) or "spec"
            msg = first["msg"].removeprefix("Value error, ")
            raise ModelSpecError(f"{source}: {loc}: {msg}") from e

    @classmethod
    def from_yaml(cls, path: Path) -> ModelSpec:
        """Read one ``models/*.yaml`` file."""
        import yaml

        path = Path(path)
        try:
            with path.open(encoding="utf-8") as fh:
                data = yaml.safe_load(fh)
        except (OSError, yaml.YAMLError) as e:
            raise ModelSpecError(f"{path}: cannot read model spec: {e}") from e
        if not isinstance(data, dict):
            raise ModelSpecError(f"{path}: a model spec must be a mapping")
        return cls.from_mapping(data, source=str(path))


def load_specs(folder: Path, names: Iterable[str] | None = None) -> list[ModelSpec]:
    """Every ``*.yaml`` spec in ``folder`` (sorted by file name), or only the named ones."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ConfigError(f"model spec folder {folder} does not exist")
    specs = [ModelSpec.from_yaml(p) for p in sorted(folder.glob("*.yaml"))]
    if names is not None:
        wanted = list(names)
        by_name = {s.name: s for s in specs}
        missing = [n for n in wanted if n not in by_name]
        if missing:
            raise ModelSpecError(
                f"no model spec named {', '.join(missing)} in {folder} (have {', '.join(sorted(by_name))})"
            )
        specs = [by_name[n] for n in wanted]
    return specs


def _polarity_of(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return getattr(value, "polarity", None)


def monotone_constraints(feature_names: Iterable[str], polarity: Mapping[str, Any]) -> list[int]:
    """+1 for higher_is_worse, -1 for higher_is_better, 0 otherwise, in feature order.

    ``polarity`` maps a feature to its polarity string or to a registry entry with a
    ``polarity`` attribute.
    """
    out = []
    for f in feature_names:
        p = _polarity_of(polarity.get(f))
        out.append(1 if p == "higher_is_worse" else -1 if p == "higher_is_better" else 0)
    return out
