"""The rule baseline is the first champion; the gate alone replaces it; models load safely.

One module fixture logs a rule baseline (v1) and a logistic model (v2) trained on the same
frame, as ``driftflag train`` does, then settles the aliases; a third model trained on shuffled
labels (v3) must be refused by the gate.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from driftflag.evaluation import MetricTable
from driftflag.models import ModelSpec, TemporalConfig, describe_splits, temporal_splits

pytestmark = pytest.mark.slow
TARGET = "future_drift"


class NotAModel:
    """A type no model spec builds (stands for whatever a hostile file might hold)."""

    def __init__(self):
        self.payload = [1, 2, 3]


def _frame(seed, n=1200):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"visits_overdue": rng.normal(size=n), "plan_weeks": rng.normal(size=n),
                      "noise": rng.normal(size=n)})
    logit = -1.5 + 1.6 * X.visits_overdue + 0.9 * X.plan_weeks
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y, [f"CHILD-{i:05d}" for i in range(n)]


def _fit(kind, X, y):
    from driftflag.models._build import build

    spec = ModelSpec(name=kind, kind=kind, features=list(X.columns))
    return spec, build(spec, list(X.columns), {c: "higher_is_worse" for c in X.columns}).fit(X, y)


def _log(ws, spec, model, label, preds, X, yt, scores):
    from driftflag.tracking import log_training_run

    table = MetricTable.from_predictions(preds, k=120, baseline="rule_baseline", n_boot=60)
    splits = describe_splits(temporal_splits(TemporalConfig(feature_start=date(2021, 4, 1),
                                                            feature_end=date(2026, 3, 31))))
    return log_training_run(
        workspace=ws, target=TARGET, spec=spec, model=model, feature_names=list(X.columns),
        metric_table=table, model_label=label, split_plan=splits,
        data_manifest={"store": "synthetic", "rows": len(X)}, config={"k": 120}, test_y=yt,
        test_scores=scores, data_summary="synthetic", feature_ranges={c: (-3.0, 3.0) for c in X.columns})


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    from driftflag.tracking import promote, settle_after_training

    ws = tmp_path_factory.mktemp("champion") / "ws"
    X, y, _ = _frame(0)
    Xt, yt, ids = _frame(1)
    fitted = {k: _fit(k, X, y) for k in ("rule_baseline", "logistic_scorecard")}
    scores = {k: m.predict_proba(Xt)[:, 1] for k, (_, m) in fitted.items()}
    preds = pd.concat([pd.DataFrame({"model": k, "fold": "2025-07", "child_id": ids, "y_true": yt,
                                     "score": s}) for k, s in scores.items()])
    versions = {}
    for k, (spec, model) in fitted.items():
        versions[k] = _log(ws, spec, model, k, preds, Xt, yt, scores[k]).version
    settled = settle_after_training(ws, TARGET, versions, "rule_baseline")
    # shuffled labels: the whole label column permuted, in training and test months alike
    rng = np.random.default_rng(9)
    y_s, yt_s = rng.permutation(y), rng.permutation(yt)
    shuffled = _fit("logistic_scorecard", X, y_s)[1]
    s3 = shuffled.predict_proba(Xt)[:, 1]
    preds3 = pd.concat([pd.DataFrame({"model": "shuffled", "fold": "2025-07", "child_id": ids,
                                      "y_true": yt_s, "score": s3}),
                        pd.DataFrame({"model": "rule_baseline", "fold": "2025-07", "child_id": ids,
                                      "y_true": yt_s, "score": scores["rule_baseline"]})])
    spec3 = ModelSpec(name="shuffled", kind="logistic_scorecard", features=list(X.columns))
    v3 = _log(ws, spec3, shuffled, "shuffled", preds3, Xt, yt_s, s3).version
    shuffled_gate = promote(ws, TARGET, v3)
    return {"ws": ws, "versions": versions, "settled": settled, "v3": v3, "shuffled_gate": shuffled_gate,
            "Xt": Xt}


def test_baseline_is_first_champion_and_the_best_model_challenges(registry):
    from driftflag.tracking import aliases, decisions

    v = registry["versions"]
    s = registry["settled"]
    assert s["champion"] == v["rule_baseline"] and s["challenger"] == v["logistic_scorecard"]
    assert "first champion" in s["reason"]
    named = aliases(registry["ws"], TARGET)
    assert named["champion"] == v["rule_baseline"] and named["challenger"] != named["champion"]
    d = decisions(registry["ws"], TARGET)
    assert d.loc[0, "decision"] == "baseline champion" and d.loc[0, "champion_after"] == v["rule_baseline"]


def test_shuffled_labels_claim_no_skill_and_the_gate_refuses(registry):
    gate = registry["shuffled_gate"]
    assert not gate.promoted
    assert gate.checks["skill"] is False and gate.checks["beats_baseline"] is False, gate.figures
    assert gate.figures["roc_auc.low"] <= 0.5
    assert "stays champion" in gate.summary


def test_worklist_model_is_the_champion_with_why(registry):
    from driftflag.models.baseline import RuleBaseline
    from driftflag.models.encoding import FeatureEncoder
    from driftflag.tracking import load_model

    loaded = load_model(registry["ws"], TARGET)
    model, use = loaded.pipeline, loaded.in_use
    assert isinstance(model.named_steps["encode"], FeatureEncoder)
    assert isinstance(model.named_steps["model"].named_steps["model"], RuleBaseline)
    assert use.version == registry["versions"]["rule_baseline"] and use.run_id
    assert "rule baseline is the first champion" in use.label and "champion" in use.aliases
    assert model.predict_proba(registry["Xt"]).shape == (len(registry["Xt"]), 2)


def test_gate_promotes_a_model_that_beats_the_baseline(registry):
    from driftflag.tracking import aliases, load_model, promote, rollback

    ws, v = registry["ws"], registry["versions"]
    gate = promote(ws, TARGET, v["logistic_scorecard"])  # trained on the real labels
    assert gate.promoted, gate.reasons
    assert gate.checks["beats_champion"] == gate.checks["beats_baseline"]  # paired, same data
    named = aliases(ws, TARGET)
    assert named["champion"] == v["logistic_scorecard"] and named.get("challenger") != named["champion"]
    assert "passed the gate" in load_model(ws, TARGET).in_use.reason
    assert rollback(ws, TARGET) == v["rule_baseline"]


def test_model_files_and_uris_are_refused_in_one_line(registry, tmp_path):
    from driftflag.tracking import TrackingError, load_model

    f = tmp_path / "x.joblib"
    f.write_bytes(b"not a model")
    for ref in (str(f), "x.joblib", "models:/driftflag-future-drift/1", "runs:/abc/model", "../v1"):
        with pytest.raises(TrackingError) as e:
            load_model(registry["ws"], TARGET, ref)
        assert "only from the workspace's registry" in str(e.value) and "\n" not in str(e.value)


def test_types_are_trusted_from_the_code_not_the_model_file(registry):
    """Replace a registered model's file by one holding a foreign type, and list that type as
    trusted in its MLmodel file: driftflag still refuses to open it."""
    import shutil
    from urllib.parse import urlparse

    import skops.io as sio
    import yaml

    from driftflag.tracking import TrackingError, load_model, use_workspace

    ws, v1 = registry["ws"], registry["versions"]["rule_baseline"]
    client = use_workspace(ws)
    folder = urlparse(client.get_model_version_download_uri("driftflag-future-drift", v1)).path
    mlmodel_path = Path(folder) / "MLmodel"
    meta = yaml.safe_load(mlmodel_path.read_text())
    name = meta["flavors"]["sklearn"]["pickled_model"]
    shutil.copy(f"{folder}/{name}", f"{folder}/{name}.bak")
    try:
        sio.dump(NotAModel(), f"{folder}/{name}")
        meta["flavors"]["sklearn"]["skops_trusted_types"] = [f"{__name__}.NotAModel"]
        mlmodel_path.write_text(yaml.safe_dump(meta))
        with pytest.raises(TrackingError, match="does not trust"):
            load_model(ws, TARGET, v1)
    finally:
        shutil.move(f"{folder}/{name}.bak", f"{folder}/{name}")


@pytest.mark.parametrize("kind,calibration", [("rule_baseline", "none"), ("logistic_scorecard", "sigmoid"),
                                              ("logistic_scorecard", "isotonic"), ("lightgbm", "sigmoid"),
                                              ("lightgbm", "isotonic")])
def test_fixed_trusted_types_cover_every_model_spec(kind, calibration):
    from driftflag.models._build import build, calibrate
    from driftflag.models.encoding import FeatureEncoder, scoring_pipeline
    from driftflag.tracking import TRUSTED_MODEL_TYPES
    from driftflag.tracking.loading import untrusted_types

    X, y, _ = _frame(3, n=400)
    X.iloc[::7, 0] = np.nan
    hp = {"n_estimators": 5} if kind == "lightgbm" else {}
    spec = ModelSpec(name=kind, kind=kind, features=list(X.columns), hyperparameters=hp)
    model = calibrate(build(spec, list(X.columns), {"visits_overdue": "higher_is_worse"}).fit(X[:200], y[:200]),
                      X[200:], y[200:], calibration)
    artefact = scoring_pipeline(FeatureEncoder(list(X.columns)).fit(X), model)  # as registered
    assert set(untrusted_types(artefact)) <= set(TRUSTED_MODEL_TYPES)
    assert "driftflag.models.encoding.FeatureEncoder" in untrusted_types(artefact)


def test_models_show_names_the_model_in_use_and_refuses_a_typo_in_one_line(registry):
    from typer.testing import CliRunner

    from driftflag.cli import app

    runner = CliRunner()
    ws = str(registry["ws"])
    r = runner.invoke(app, ["models", "show", "champoin", "--workspace", ws])
    assert r.exit_code == 2
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and "no version or alias 'champoin'" in lines[0] and "internal" not in lines[0]
    r = runner.invoke(app, ["models", "show", "--workspace", ws])
    assert r.exit_code == 0, r.output
    assert "Model in use: driftflag-future-drift v" in r.output and "Gate decisions:" in r.output


def _saturated_registry(ws, better: bool):
    """Both models list only positives in their top k (precision@k level at 1.0); below the top
    the challenger orders cases perfectly (``better``) or in reverse."""
    from driftflag.tracking import settle_after_training

    X, y, _ = _frame(0)
    Xt, _, ids = _frame(1)
    n = len(Xt)
    rng = np.random.default_rng(3)
    yt = np.r_[np.ones(n // 2, dtype=int), np.zeros(n - n // 2, dtype=int)]
    top = np.r_[np.linspace(1.0, 0.9, 200), np.zeros(n - 200)]  # first 200 cases: positives
    base = top + np.where(top == 0, rng.random(n) * 0.5, 0)  # rest in random order
    rest = np.linspace(0.5, 0.0, n) if better else np.linspace(0.0, 0.5, n)
    chall = np.where(top > 0, top, rest)
    preds = pd.concat([pd.DataFrame({"model": m, "fold": "2025-07", "child_id": ids, "y_true": yt,
                                     "score": s}) for m, s in (("rule_baseline", base), ("ranker", chall))])
    versions = {}
    for label, kind in (("rule_baseline", "rule_baseline"), ("ranker", "logistic_scorecard")):
        spec, model = _fit(kind, X, y)
        spec = ModelSpec(name=label, kind=kind, features=list(X.columns))
        versions[label] = _log(ws, spec, model, label, preds, Xt, yt,
                               base if label == "rule_baseline" else chall).version
    settle_after_training(ws, TARGET, versions, "rule_baseline")
    return versions


@pytest.mark.parametrize("better", [True, False])
def test_a_level_precision_at_k_is_decided_by_average_precision(tmp_path, better):
    from driftflag.tracking import promote

    versions = _saturated_registry(tmp_path / "ws", better)
    gate = promote(tmp_path / "ws", TARGET, versions["ranker"], ece_max=1.0)
    assert gate.figures["precision_at_k.diff_low"] == 0.0
    assert gate.checks["beats_baseline"] is better, gate.figures
    if not better:
        assert any("average precision" in r for r in gate.reasons)


def test_the_challenger_is_the_model_the_gate_could_promote(tmp_path):
    """Two models level with the baseline at precision@k (both list only positives): the one
    whose whole ranking beats the baseline (average precision) is the challenger, whatever its
    version number, so the gate judges the model that can earn the place."""
    from driftflag.tracking import aliases, settle_after_training

    X, y, _ = _frame(0)
    Xt, _, ids = _frame(1)
    n = len(Xt)
    rng = np.random.default_rng(3)
    yt = np.r_[np.ones(n // 2, dtype=int), np.zeros(n - n // 2, dtype=int)]
    top = np.r_[np.linspace(1.0, 0.9, 200), np.zeros(n - 200)]
    base = top + np.where(top == 0, rng.random(n) * 0.5, 0)
    good = np.where(top > 0, top, np.linspace(0.5, 0.0, n))
    bad = np.where(top > 0, top, np.linspace(0.0, 0.5, n))
    scores = {"rule_baseline": base, "good_ranker": good, "bad_ranker": bad}
    preds = pd.concat([pd.DataFrame({"model": m, "fold": "2025-07", "child_id": ids, "y_true": yt,
                                     "score": s}) for m, s in scores.items()])
    versions = {}
    for label, kind in (("rule_baseline", "rule_baseline"), ("good_ranker", "logistic_scorecard"),
                        ("bad_ranker", "logistic_scorecard")):  # the worse model registered last
        _, model = _fit(kind, X, y)
        spec = ModelSpec(name=label, kind=kind, features=list(X.columns))
        versions[label] = _log(tmp_path / "ws", spec, model, label, preds, Xt, yt,
                               scores[label]).version
    settled = settle_after_training(tmp_path / "ws", TARGET, versions, "rule_baseline")
    assert settled["challenger"] == str(versions["good_ranker"])
    assert aliases(tmp_path / "ws", TARGET)["challenger"] == str(versions["good_ranker"])
