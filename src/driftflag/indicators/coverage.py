"""Feature coverage: for each feature and month, the share of open cases where it is available.

A feature is *available* for a case when it has a value; it is missing either because it does
not apply (``cp_plan_days`` off a plan) or because its source did not cover that month (no
Annex A extract known yet, the CIN census PLO block before 2025-26): a snapshot never fills in
a value it could not have known. The coverage table makes the second kind visible: a feature
that covers 0% of open cases in 2023 and 80% in 2026 was not recorded in 2023, and a model
trained on 2023 cannot learn from it (see :func:`covered_features`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

#: A feature covers the training window when its mean availability over the training months is
#: at least this share of its availability in the month scored (the panel's last month)...
COVERAGE_MIN_RATIO = 0.5
#: ...and it is available in every training month in which at least this many open cases would
#: have it at the scored month's rate (so that rare features are not dropped for an empty month
#: of a small council).
COVERAGE_MIN_EXPECTED = 10.0


def feature_coverage(frame: pd.DataFrame, features: Sequence[str]) -> pd.DataFrame:
    """Feature x month: share of the month's open cases (panel rows) where the feature has a
    value. Index ``feature``; one column per as-of date (ISO ``YYYY-MM-DD``); a last row
    ``open_cases`` holds the number of open cases each month."""
    feats = [f for f in features if f in frame.columns]
    if frame.empty:
        return pd.DataFrame(index=pd.Index([*feats, "open_cases"], name="feature"))
    month = pd.to_datetime(frame["as_of"]).dt.strftime("%Y-%m-%d")
    share = frame[feats].notna().groupby(month.to_numpy()).mean().T
    share.loc["open_cases"] = month.value_counts().reindex(share.columns).to_numpy(dtype=float)
    share.index.name = "feature"
    share.columns.name = None
    return share


@dataclass(frozen=True)
class CoverageDecision:
    """Which features cover the training months, and why the others were dropped."""

    kept: list[str]
    dropped: dict[str, str]
    reference_month: str | None
    min_ratio: float = COVERAGE_MIN_RATIO


def covered_features(frame: pd.DataFrame, features: Sequence[str], training_months: Sequence,
                     *, min_ratio: float = COVERAGE_MIN_RATIO,
                     min_expected: float = COVERAGE_MIN_EXPECTED) -> CoverageDecision:
    """Keep the features whose coverage over ``training_months`` matches the month scored.

    The reference is the panel's last month (what a worklist scores). A feature is dropped when
    its mean availability over the training months is below ``min_ratio`` times the reference,
    or when it is available in none of the open cases of a training month where at least
    ``min_expected`` would have it at the reference rate (its source did not cover that month).
    A feature never available anywhere is kept (it carries no signal either way).
    """
    cov = feature_coverage(frame, features)
    months = [str(pd.Timestamp(m).date()) for m in training_months]
    months = [m for m in months if m in cov.columns]
    if cov.shape[1] == 0 or not months:
        return CoverageDecision(list(features), {}, None, min_ratio)
    ref_month = max(cov.columns)
    open_cases = cov.loc["open_cases", months]
    kept, dropped = [], {}
    for f in features:
        if f not in cov.index:
            kept.append(f)
            continue
        ref = float(cov.at[f, ref_month])
        train = cov.loc[f, months].astype(float)
        empty = (train == 0) & (open_cases * ref >= min_expected)
        if ref > 0 and (train.mean() < min_ratio * ref or empty.any()):
            first = train.index[empty][0] if empty.any() else None
            why = (f"available for {train.mean():.0%} of open cases over the training months "
                   f"({months[0]} to {months[-1]}) against {ref:.0%} on {ref_month}")
            if first is not None:
                why += f"; none on {first}"
            dropped[f] = why
        else:
            kept.append(f)
    return CoverageDecision(kept, dropped, ref_month, min_ratio)


def coverage_of(frame: pd.DataFrame) -> pd.DataFrame | None:
    """The coverage table :func:`~driftflag.indicators.panel` returned with ``frame`` (None when
    the frame did not come from it)."""
    cov = frame.attrs.get("coverage")
    if cov is None:
        return None
    out = pd.DataFrame.from_dict(cov, orient="index")
    out.index.name = "feature"
    return out


def write_coverage(coverage: pd.DataFrame, path) -> None:
    """Write the coverage table as CSV (aggregates only: shares and counts, no child rows)."""
    from driftflag._atomic import write_bytes_atomic

    write_bytes_atomic(path, coverage.round(4).to_csv().encode())


__all__ = ["COVERAGE_MIN_EXPECTED", "COVERAGE_MIN_RATIO", "CoverageDecision", "coverage_of",
           "covered_features", "feature_coverage", "write_coverage"]
