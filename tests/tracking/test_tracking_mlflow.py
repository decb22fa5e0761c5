"""MLflow runs, registry aliases and the promotion gate, in a temporary SQLite workspace.

MLflow is slow, so one module fixture logs three runs and the tests read the result:
v1 a weakly informative model, v2 noise, v3 a strongly informative model.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from driftflag.evaluation import MetricTable
from driftflag.models import ModelSpec, TemporalConfig, describe_splits, temporal_splits

pytestmark = pytest.mark.slow

ID_PATTERN = re.compile(rb"CHILD-\d{5}")


def _frame(seed, n=1500):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"strong": rng.normal(size=n), "weak": rng.normal(size=n), "noise": rng.normal(size=n)})
    logit = -1.5 + 1.8 * X.strong + 1.0 * X.weak
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    ids = [f"CHILD-{i:05d}" for i in range(n)]
    return X, y, ids


@pytest.fixture(scope="module")
def logged(tmp_path_factory):
    from sklearn.linear_model import LogisticRegression

    from driftflag.tracking import log_training_run, promote

    root = tmp_path_factory.mktemp("mlflow")
    cwd, ws = root / "cwd", root / "ws"
    cwd.mkdir()
    X, y, ids = _frame(0)
    Xt, yt, ids_t = _frame(1)
    splits = describe_splits(temporal_splits(TemporalConfig(feature_start=date(2021, 4, 1),
                                                            feature_end=date(2026, 3, 31))),
                             calibration_months=6)
    spec = ModelSpec(name="logistic_scorecard", kind="logistic_scorecard", features=list(X.columns))
    results, gates = [], []
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(cwd)
        for cols in (["weak"], ["noise"], ["strong", "weak"]):
            Xc = X.copy()
            Xc[[c for c in X.columns if c not in cols]] = 0.0  # same columns, unused ones blank
            model = LogisticRegression().fit(Xc, y)
            scores = model.predict_proba(Xt)[:, 1]
            rng = np.random.default_rng(5)
            preds = pd.concat([
                pd.DataFrame({"model": "candidate", "fold": "2025-07", "child_id": ids_t, "y_true": yt,
                              "score": scores}),
                pd.DataFrame({"model": "rule_baseline", "fold": "2025-07", "child_id": ids_t,
                              "y_true": yt, "score": rng.random(len(yt))}),
            ])
            table = MetricTable.from_predictions(preds, k=150, baseline="rule_baseline", n_boot=60)
            res = log_training_run(
                workspace=ws, target="future_drift", spec=spec, model=model,
                feature_names=list(X.columns), metric_table=table, model_label="candidate",
                split_plan=splits, data_manifest={"store": "synthetic", "rows": len(X)},
                config={"k": 150}, test_y=yt, test_scores=scores, data_summary="synthetic test frame",
                feature_ranges={c: (-3.0, 3.0) for c in X.columns})
            results.append(res)
            gates.append(promote(ws, "future_drift", ece_max=0.1))
    return {"ws": ws, "cwd": cwd, "results": results, "gates": gates, "ids": set(ids) | set(ids_t)}


def test_runs_go_to_the_workspace_sqlite_store_and_never_mlruns(logged):
    ws, cwd = logged["ws"], logged["cwd"]
    assert (ws / "mlflow.db").is_file()
    assert (ws / "artifacts").is_dir()
    assert not (cwd / "mlruns").exists() and not (cwd / "mlflow.db").exists()
    assert not list(cwd.iterdir())
    assert [r.version for r in logged["results"]] == ["1", "2", "3"]
    assert logged["results"][0].registered_name == "driftflag-future-drift"


def test_aliases_move_as_the_gate_says(logged):
    from driftflag.tracking import list_versions, rollback, show

    g1, g2, g3 = logged["gates"]
    assert g1.promoted and g1.checks["beats_baseline"] and g1.checks["beats_champion"] is None
    assert g1.checks["fairness"] is None
    assert not g2.promoted and g2.checks["beats_baseline"] is False and g2.checks["skill"] is False
    assert any("does not beat the rule baseline" in r for r in g2.reasons)
    assert g3.promoted and g3.checks["beats_champion"] and g3.previous_champion == "1"
    versions = list_versions(logged["ws"], "future_drift").set_index("version")
    assert versions.loc[3, "aliases"] == "champion"  # never champion and challenger at once
    assert versions.loc[1, "aliases"] == ""
    assert versions.loc[2, "gate"] == "refused"
    card = show(logged["ws"], "future_drift")
    assert card["version"] == "3" and "Fairness audit not yet run" in card["model_card"]
    # the oldest fold (test 2025-07) is fitted up to 2024-07 and calibrated on the 6 months after
    assert "2024-08-01 … 2025-01-01 (6)" in card["model_card"]
    assert "… 2024-07-01" in card["model_card"] and "calibrated on" in card["model_card"]
    assert rollback(logged["ws"], "future_drift") == "1"
    assert show(logged["ws"], "future_drift")["version"] == "1"


def test_fairness_hook_blocks_promotion(logged):
    from driftflag.tracking import promote

    gate = promote(logged["ws"], "future_drift", version="3", fairness_ok=False)
    assert not gate.promoted and "fairness audit did not pass" in gate.reasons[-1]
    gate = promote(logged["ws"], "future_drift", version="3", require_fairness=True)
    assert not gate.promoted and "has not been run" in gate.reasons[-1]


def test_no_artifact_contains_a_child_id(logged):
    files = [p for p in Path(logged["ws"], "artifacts").rglob("*") if p.is_file()]
    names = {p.name for p in files}
    assert {"model_card.md", "model_card.html", "input_example.json", "calibration.png"} <= names
    for p in files:
        found = ID_PATTERN.findall(p.read_bytes())
        assert not found, f"{p} contains child ids {found[:3]}"


def test_every_gate_decision_is_recorded_with_its_figures(logged):
    from driftflag.tracking import decisions, show, use_workspace

    ws = logged["ws"]
    d = decisions(ws, "future_drift")
    assert list(d["decision"][:3]) == ["promoted", "refused", "promoted"]
    assert list(d["version"][:3]) == ["1", "2", "3"]
    assert "ROC AUC" in d.loc[1, "summary"] and "v1 stays champion" in d.loc[1, "summary"]
    client = use_workspace(ws)
    mv = client.get_model_version("driftflag-future-drift", "2")
    # the description carries the gate's decision, then the model card's summary
    head, card = mv.description.split("\n\n", 1)
    assert head.startswith("Gate decision: refused (") and "v1 stays champion" in head
    assert card.startswith("Model card summary: logistic_scorecard (logistic_scorecard)")
    assert "precision@k" in card and "against the rule baseline" in card and "nan" not in mv.description
    gate_run = next(r for r in client.search_runs(
        [client.get_experiment_by_name("driftflag-future-drift").experiment_id],
        "tags.`driftflag.record` = 'gate_decision' and params.version = '2'"))
    assert gate_run.data.params["decision"] == "refused"  # the version it decided on, not None
    exp = client.get_experiment_by_name("driftflag-future-drift")
    gate_runs = client.search_runs([exp.experiment_id], "tags.`driftflag.record` = 'gate_decision'")
    assert any("precision_at_k.diff_low" in r.data.metrics for r in gate_runs)
    info = show(ws, "future_drift", "2")
    assert "Gate decisions:" in info["status"] and "refused" in info["status"]


def test_unknown_version_or_alias_is_one_line(logged):
    from driftflag.tracking import TrackingError, show

    for ref in ("champoin", "99", "v42"):
        with pytest.raises(TrackingError) as e:
            show(logged["ws"], "future_drift", ref)
        assert "\n" not in str(e.value) and "driftflag-future-drift has no version" in str(e.value)
