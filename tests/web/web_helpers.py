"""Plain helpers for the web tests (a module with a unique name, see tests/worklist)."""

from __future__ import annotations

import re
import shutil
from datetime import date, datetime
from pathlib import Path

MONTH = "2026-03"
PASSWORD = "a-long-test-password-7"
USERS = {"lead": "qa_lead", "pm1": "auditor", "pm2": "auditor", "panel": "ethics_panel", "ds": "data_scientist"}
#: Words that must never reach a page people read.
RAW = re.compile(r"\b(nan|None|NaT|<NA>|NaN|True|False)\b")


def build_month(root: Path, synth_la) -> dict[str, Path]:
    """A small LA's store, a workspace with the rule baseline registered (the champion), and the
    month's worklist issued by the worklist stage, as ``driftflag worklist`` issues it."""
    from driftflag import stages
    from driftflag.casemodel import write_store
    from driftflag.models.splits import TemporalConfig
    from driftflag.models.training import TrainConfig
    from driftflag.worklist import WorklistPolicy

    store, ws = root / "store", root / "workspace"
    write_store(synth_la.store, store, created_at=datetime(2026, 3, 31))
    workspace = stages.Workspace.resolve(ws)
    cfg = TrainConfig(temporal=TemporalConfig(feature_start=date(2025, 1, 1), feature_end=date(2026, 3, 31),
                                              label_timespan_months=3, n_folds=3),
                      horizon_months=3, models=("rule_baseline",), k=10, n_boot=10)
    stages.train(store, cfg, workspace=workspace, models_dir=Path(__file__).resolve().parents[2] / "models")
    policy = WorklistPolicy.model_validate(dict(
        name="web test", size=12, shares={"highest_risk": 0.4, "rule_flagged": 0.2, "random": 0.4},
        strata=["service"], seed=7, simulations=200))
    stages.worklist(store, MONTH, root / "out", workspace=workspace, policy=policy)
    return {"store": store, "workspace": ws}


def copy_store(template: Path, dest: Path) -> Path:
    shutil.copytree(template, dest)
    return dest
