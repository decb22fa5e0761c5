"""Plain helpers shared by the worklist tests (a module with a unique name: every test folder
has a conftest.py, so importing from "conftest" depends on which one pytest loaded first)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from driftflag.worklist.policy import WorklistPolicy


def make_caseload(n: int = 400, seed: int = 0, teams: int = 5, workers_per_team: int = 8) -> pd.DataFrame:
    """A scored caseload with the interface's columns; scores and flags are random."""
    rng = np.random.default_rng(seed)
    team = rng.integers(0, teams, n)
    worker = team * workers_per_team + rng.integers(0, workers_per_team, n)
    service = rng.choice(["CIN", "CP", "LAC"], n, p=[0.6, 0.2, 0.2])
    df = pd.DataFrame({
        "child_id": [f"C{i:05d}" for i in range(n)],
        "as_of": pd.Timestamp("2025-11-01"),
        "service": service,
        "team": [f"Team {t}" for t in team],
        "worker_id": [f"SW{w:03d}" for w in worker],
        "worker_name": [f"Worker {w}" for w in worker],
        "score": np.round(rng.beta(1, 6, n), 6),
        "visit_overdue": pd.array(rng.random(n) < 0.15, dtype="boolean"),
        "cp_review_overdue": pd.array((service == "CP") & (rng.random(n) < 0.2), dtype="boolean"),
        "missing_episodes_90d": np.where(rng.random(n) < 0.08, rng.integers(1, 6, n), 0).astype(float),
        "missing_open_now": pd.array(rng.random(n) < 0.01, dtype="boolean"),
        "plo_weeks": np.where(rng.random(n) < 0.05, rng.integers(1, 40, n), np.nan),
        "care_proceedings_weeks": np.nan,
        "cp_category": np.where(service == "CP", rng.choice(["NEG", "EMO", "PHY"], n), None),
        "audit_disability": pd.array(rng.random(n) < 0.1, dtype="boolean"),
        "placement": np.where(service == "LAC", rng.choice(["U1", "U4", "K2"], n), None),
    })
    return df


def policy(**kw) -> WorklistPolicy:
    base = dict(name="test", size=40, shares={"highest_risk": 0.3, "rule_flagged": 0.2, "random": 0.5},
                strata=["service", "team"], exclude_audited_within_months=3, reaudit_actions_after_months=3,
                seed=7, simulations=400)
    base.update(kw)
    return WorklistPolicy.model_validate(base)
