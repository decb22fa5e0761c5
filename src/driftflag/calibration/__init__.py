"""Calibration: a synthetic LA's return files against England's national statistics.

``driftflag calibration DIR`` calls :func:`calibration_report` and :func:`render_report`. Every
figure is computed from the written 903 and CIN census files (via :mod:`driftflag.ingest`), not
from the simulator's internal tables. Definitions are in :mod:`driftflag.calibration._metrics`,
targets in :data:`TARGETS` (``shared/reference/data-standards.md`` §6).
"""

from driftflag.calibration._metrics import TARGETS, Measure, Target
from driftflag.calibration._report import (
    CalibrationItem,
    CalibrationReport,
    calibration_report,
    compute_items,
    render_report,
)

__all__ = [
    "TARGETS",
    "CalibrationItem",
    "CalibrationReport",
    "Measure",
    "Target",
    "calibration_report",
    "compute_items",
    "render_report",
]
