"""The training reference: what each model input and the score looked like when the model learnt.

A :class:`Reference` holds aggregates only (bin edges and counts, code counts, a percentile
sketch, blank counts), so it can be logged as a JSON artifact beside the model at training time
and read back months later, with no child-level row in it. The bins and the test for each column
are fixed here, once, so every month is compared on the same footing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from driftflag._atomic import write_bytes_atomic
from driftflag.monitoring._config import TEST_BY_KIND, FeatureKind, MonitorConfig
from driftflag.monitoring._errors import MonitoringError
from driftflag.monitoring._stats import SKETCH_PERCENTILES, bin_counts, quantile_edges

__all__ = [
    "FeatureReference", "PrecisionBaseline", "REFERENCE_SCHEMA_VERSION", "Reference",
    "build_reference", "infer_kind", "kinds_from_registry", "load_reference", "precision_of",
]

REFERENCE_SCHEMA_VERSION = 1

#: Registry units (``driftflag/data/indicators.yaml``) and the kind each is monitored as.
_KIND_BY_UNIT: dict[str, FeatureKind] = {
    "count": "count", "flag": "boolean", "category": "categorical", "days": "continuous",
    "weeks": "continuous", "working_days": "continuous", "share": "continuous",
    "cases_per_worker": "continuous",
}


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FeatureReference(_Frozen):
    """One column in the reference: its pinned kind and test, and its aggregates."""

    name: str
    kind: FeatureKind
    test: str
    n_rows: int = Field(ge=0)
    n_missing: int = Field(ge=0)
    edges: list[float] | None = None        # numeric: inner PSI bin edges (open outer bins)
    bin_counts: list[int] | None = None     # numeric: counts in the PSI bins
    quantiles: list[float] | None = None    # continuous: 1st-99th percentiles, for the KS test
    count_values: list[int] | None = None   # count: rows with 0, 1, ..., cap-1, >= cap
    categories: dict[str, int] | None = None  # categorical / boolean: rows per code
    n_groups: int | None = None             # group-level inputs: distinct values (teams x months)
    n_zero: int | None = None               # non-negative numeric: rows recorded as 0

    @property
    def n_recorded(self) -> int:
        return self.n_rows - self.n_missing

    @property
    def missing_rate(self) -> float:
        return self.n_missing / self.n_rows if self.n_rows else float("nan")


class PrecisionBaseline(_Frozen):
    """Precision of the model's flags at training time: share of audited flagged cases found drifting."""

    precision: float = Field(ge=0, le=1)
    n: int = Field(ge=1)
    source: str = "training audits"


class Reference(_Frozen):
    """Aggregated training reference for data drift monitoring (JSON-serialisable)."""

    schema_version: int = REFERENCE_SCHEMA_VERSION
    label: str = ""
    n_rows: int
    psi_bins: int
    count_cap: int
    features: dict[str, FeatureReference]
    score: FeatureReference | None = None
    precision: PrecisionBaseline | None = None

    def to_json(self) -> str:
        """Indented JSON (what :meth:`write` stores and MLflow logs)."""
        return self.model_dump_json(indent=1)

    def write(self, path: Path | str) -> Path:
        """Write the JSON atomically; returns the path."""
        path = Path(path)
        write_bytes_atomic(path, self.to_json().encode("utf-8"))
        return path

    @classmethod
    def from_json(cls, text: str | bytes, source: str = "reference") -> Reference:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise MonitoringError(f"{source}: not JSON ({e.msg} at line {e.lineno})") from e
        version = data.get("schema_version") if isinstance(data, dict) else None
        if version != REFERENCE_SCHEMA_VERSION:
            raise MonitoringError(f"{source}: reference schema version {version!r}, this driftflag "
                                  f"reads {REFERENCE_SCHEMA_VERSION}")
        try:
            return cls.model_validate(data)
        except ValidationError as e:
            first = e.errors()[0]
            raise MonitoringError(f"{source}: {'.'.join(map(str, first['loc']))}: {first['msg']}") from e


def load_reference(path: Path | str) -> Reference:
    """Read a reference JSON written by :meth:`Reference.write` (or logged at training time)."""
    path = Path(path)
    try:
        text = path.read_bytes()
    except OSError as e:
        raise MonitoringError(f"{path}: cannot read reference ({e.strerror})") from e
    return Reference.from_json(text, source=str(path))


def kinds_from_registry(registry: Any) -> dict[str, FeatureKind]:
    """Pinned kinds from the indicator registry's units (``count`` -> count, ``flag`` -> boolean...)."""
    return {ind.column: _KIND_BY_UNIT[ind.unit] for ind in registry.indicators
            if ind.unit in _KIND_BY_UNIT}


def infer_kind(values: pd.Series, config: MonitorConfig) -> FeatureKind:
    """The kind of a column when it is not pinned: booleans, codes, counts or continuous values."""
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if not pd.api.types.is_numeric_dtype(dtype):
        return "categorical"
    v = pd.to_numeric(values, errors="coerce").dropna().to_numpy(dtype=float)
    if len(v) and np.all(v == np.round(v)) and v.min() >= 0 and v.max() <= 100 \
            and len(np.unique(v)) <= config.count_max_distinct:
        return "count"
    return "continuous"


def _as_float(values: pd.Series) -> np.ndarray:
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def codes_of(values: pd.Series) -> pd.Series:
    """Recorded codes as text (blank removed); yes/no fields become ``True`` / ``False``."""
    v = values[values.notna()]
    return v.astype(str).str.strip()


def count_bins(values: np.ndarray, cap: int) -> np.ndarray:
    """Rows with 0, 1, ..., cap-1 and >= cap (values already whole and non-negative)."""
    idx = np.clip(np.floor(values), 0, cap).astype(int)
    return np.bincount(idx, minlength=cap + 1)


def summarise(name: str, values: pd.Series, kind: FeatureKind, config: MonitorConfig) -> FeatureReference:
    """Aggregate one column of the reference."""
    n_rows = len(values)
    if kind in ("continuous", "count"):
        x = _as_float(values)
        rec = x[~np.isnan(x)]
        edges = quantile_edges(rec, config.psi_bins)
        extra: dict[str, Any] = {"edges": edges.tolist(), "bin_counts": bin_counts(rec, edges).tolist()}
        if kind == "continuous":
            extra["quantiles"] = (np.percentile(rec, SKETCH_PERCENTILES).tolist() if len(rec) else [])
            if name in config.group_level:
                extra["n_groups"] = int(len(np.unique(rec)))
        else:
            extra["count_values"] = count_bins(rec, config.count_cap).tolist()
        if len(rec) and rec.min() >= 0:
            extra["n_zero"] = int((rec == 0).sum())
        n_missing = int(n_rows - len(rec))
    else:
        codes = codes_of(values)
        counts = codes.value_counts(sort=False)
        extra = {"categories": {str(k): int(v) for k, v in sorted(counts.items())}}
        n_missing = int(n_rows - len(codes))
    return FeatureReference(name=name, kind=kind, test=TEST_BY_KIND[kind], n_rows=n_rows,
                            n_missing=n_missing, **extra)


def precision_of(audits: pd.DataFrame) -> tuple[int, int]:
    """(drift found, audited) among flagged cases: ``audits`` has ``flagged`` and ``drift_found``."""
    missing = {"flagged", "drift_found"} - set(audits.columns)
    if missing:
        raise MonitoringError(f"audits need columns flagged and drift_found; missing {sorted(missing)}")
    flagged = audits["flagged"].fillna(False).astype(bool).to_numpy()
    found = audits["drift_found"].astype("boolean").to_numpy(dtype=bool, na_value=False)
    graded = audits["drift_found"].notna().to_numpy()
    sel = flagged & graded
    return int(found[sel].sum()), int(sel.sum())


def build_reference(
    frame: pd.DataFrame,
    features: Sequence[str],
    score_col: str | None = "score",
    *,
    config: MonitorConfig | None = None,
    kinds: Mapping[str, FeatureKind] | None = None,
    label: str = "",
    audits: pd.DataFrame | None = None,
) -> Reference:
    """Summarise the training rows (one row per open case per month, stacked) as a :class:`Reference`.

    ``kinds`` (or ``config.kinds``) pins a column's kind; other columns are inferred here, once,
    and the choice is stored, so a later month is never tested differently. ``audits`` (columns
    ``flagged``, ``drift_found``) gives the precision baseline the monitor compares against.
    """
    config = config or MonitorConfig()
    pinned = {**config.kinds, **(kinds or {})}
    absent = [f for f in features if f not in frame.columns]
    if absent:
        raise MonitoringError(f"reference frame lacks feature column(s): {', '.join(absent)}")
    if len(frame) == 0:
        raise MonitoringError("reference frame has no rows")
    feats: dict[str, FeatureReference] = {}
    for f in features:
        kind = pinned.get(f) or infer_kind(frame[f], config)
        feats[f] = summarise(f, frame[f], kind, config)
    score = None
    if score_col is not None:
        if score_col not in frame.columns:
            raise MonitoringError(f"reference frame has no score column {score_col!r}")
        score = summarise(score_col, frame[score_col], "continuous", config)
    precision = None
    if audits is not None:
        found, n = precision_of(audits)
        if n:
            precision = PrecisionBaseline(precision=found / n, n=n)
    return Reference(label=label, n_rows=len(frame), psi_bins=config.psi_bins,
                     count_cap=config.count_cap, features=feats, score=score, precision=precision)
