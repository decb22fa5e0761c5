"""Models that rank open cases for audit: temporal splits, specs, baseline, pipelines.

Flags prompt an audit by a person; they never decide anything about a family. This package is
pure: it never imports MLflow (``driftflag.tracking`` alone talks to MLflow) and imports
LightGBM only inside the functions that build a LightGBM model.

Names are imported lazily (PEP 562) because scikit-learn takes seconds to import and the CLI
imports ``driftflag.cli.models`` just to register ``driftflag train``.
"""

from __future__ import annotations

import importlib

_WHERE: dict[str, str] = {
    "ModelSpecError": "driftflag.models._errors",
    "ProtectedFeatureError": "driftflag.models._errors",
    "TrainingError": "driftflag.models._errors",
    "RuleBaseline": "driftflag.models.baseline",
    "build": "driftflag.models._build",
    "calibrate": "driftflag.models._build",
    "odds_ratio_table": "driftflag.models._build",
    "PROTECTED_CHARACTERISTICS": "driftflag.models.spec",
    "REGISTRY_DEFAULT": "driftflag.models.spec",
    "CalibrationSpec": "driftflag.models.spec",
    "ModelSpec": "driftflag.models.spec",
    "is_protected": "driftflag.models.spec",
    "load_specs": "driftflag.models.spec",
    "monotone_constraints": "driftflag.models.spec",
    "Split": "driftflag.models.splits",
    "TemporalConfig": "driftflag.models.splits",
    "describe_splits": "driftflag.models.splits",
    "temporal_splits": "driftflag.models.splits",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'driftflag.models' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
