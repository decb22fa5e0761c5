"""Drift-and-delay indicators as they stood on a date: the registry, snapshots and panels.

>>> from driftflag.indicators import load_registry, snapshot, panel   # doctest: +SKIP
>>> reg = load_registry()                       # or load_registry("council.yaml")
>>> snap = snapshot(store, "2025-11-30")        # one row per open child
>>> months = panel(store, "2023-01-01", "2025-12-01")   # monthly snapshots, stacked
>>> coverage_of(months)                          # feature x month: share of open cases available
>>> X = snap[reg.model_features()]              # protected characteristics excluded

What each indicator means, its thresholds and their sources: ``driftflag/data/indicators.yaml``
and ``docs/indicators.md``.
"""

from driftflag.indicators._dates import day_to_timestamp, to_day
from driftflag.indicators._snapshot import (
    ID_COLUMNS,
    SERVICES,
    Prepared,
    as_of_dates,
    last_record_day,
    panel,
    snapshot,
    write_panel,
)
from driftflag.indicators.coverage import coverage_of, covered_features, feature_coverage
from driftflag.indicators.definitions import DEFINITIONS, FEATURE_GROUPS
from driftflag.indicators.registry import (
    CONFIRM_MARK,
    Benchmark,
    Indicator,
    Registry,
    Target,
    Threshold,
    load_registry,
)

__all__ = [
    "CONFIRM_MARK",
    "DEFINITIONS",
    "FEATURE_GROUPS",
    "ID_COLUMNS",
    "SERVICES",
    "Benchmark",
    "Indicator",
    "Prepared",
    "Registry",
    "Target",
    "Threshold",
    "as_of_dates",
    "coverage_of",
    "covered_features",
    "day_to_timestamp",
    "feature_coverage",
    "last_record_day",
    "load_registry",
    "panel",
    "snapshot",
    "to_day",
    "write_panel",
]
