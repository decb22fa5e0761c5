"""Issue 12 acceptance for the champion: on a fresh store, train then worklist works without
naming a version (the rule baseline serves), and with shuffled labels no skill is claimed and
the gate refuses. A small synthetic LA, two model specs, few bootstrap replicates."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def store(tmp_path_factory, synthetic_la_dir):
    from driftflag.ingest.run import ingest

    root = tmp_path_factory.mktemp("e2e")
    # six monthly Annex A extracts, not 48: still a series for the ingest to reconcile (the
    # tests judge training, the gate and the worklist, not the Annex A history's length)
    la = synthetic_la_dir(children=1500, years=4, seed=5, annex_a_months=6)
    ingest([la / f for f in ("ssda903", "cin_census", "annex_a", "audits")], root / "store",
           extract_date=date(2026, 3, 31), created_at=datetime(2026, 3, 31), run_gx=False)
    return root / "store"


def _train_yaml_horizon() -> int:
    """The label window pipelines/train.yaml trains with (so the refusal is tested on it)."""
    import yaml

    steps = yaml.safe_load((ROOT / "pipelines" / "train.yaml").read_text(encoding="utf-8"))["steps"]
    return int(next(s for s in steps if s["id"] == "train")["with"]["config"]["horizon_months"])


def _config(label: str | None = None):
    from driftflag.models.training import TrainConfig

    h = _train_yaml_horizon()
    return TrainConfig.model_validate({
        "target": "future_drift", "label": label, "horizon_months": h,
        "temporal": {"feature_start": "2023-10-01", "feature_end": "2026-03-31", "label_timespan_months": h},
        "models": ["rule_baseline", "logistic_scorecard"], "k": 25, "n_boot": 30, "random_state": 0})


def test_fresh_store_train_then_worklist_without_a_version(store, tmp_path):
    from driftflag.stages import worklist
    from driftflag.stages._train import run_training
    from driftflag.tracking import aliases
    from driftflag.workspace import Workspace

    ws = tmp_path / "ws"
    run = run_training(store, _config(), models_dir=ROOT / "models", workspace=ws)
    named = aliases(ws, "future_drift")
    assert named["champion"] == run.registered["rule_baseline"] == run.champion
    assert named.get("challenger") == run.registered["logistic_scorecard"] != named["champion"]
    wl = worklist(store, "2026-03", tmp_path / "wl", policy=ROOT / "pipelines" / "monthly_audit.yaml",
                  workspace=Workspace.resolve(ws)).worklist
    assert len(wl.frame) > 0
    assert wl.model_label.startswith(f"driftflag-future-drift v{run.champion} (rule_baseline), champion: ")


def test_shuffled_labels_claim_no_skill_and_the_gate_refuses(store, tmp_path, monkeypatch):
    import driftflag.targets as targets
    from driftflag.stages._train import run_training
    from driftflag.tracking import aliases, in_use, promote

    real = targets.build_labels

    def shuffled(*args, **kw):
        """Whatever label the config asks for, with its values (the 0/1 label and, for a graded
        label, the grade the models learn; an audit label's weight) permuted together across
        case-months."""
        ls = real(*args, **kw)
        rng = np.random.default_rng(0)
        values = [c for c in ("label", "grade", "weight") if c in ls.labels.columns]
        order = rng.permutation(len(ls.labels))
        moved = {c: ls.labels[c].to_numpy()[order] for c in values}
        return dataclasses.replace(ls, labels=ls.labels.assign(**moved))

    monkeypatch.setattr(targets, "build_labels", shuffled)
    ws = tmp_path / "ws"
    # the label pipelines/train.yaml learns (a graded label, so the grade is shuffled too),
    # over its label window
    run = run_training(store, _config("drift_milestone_count"), models_dir=ROOT / "models", workspace=ws)
    gate = promote(ws, "future_drift")
    assert not gate.promoted
    assert gate.checks["skill"] is False, gate.figures
    assert aliases(ws, "future_drift")["champion"] == run.registered["rule_baseline"]
    assert in_use(ws, "future_drift").skill.startswith("no skill shown")
