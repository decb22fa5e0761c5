"""The pack on a trained workspace: back-test months, the panel's page, and the promotion gate.

One module fixture runs the demo's training pipeline on the suite's cached 2,000-child LA (the
training pipeline's fairness step writes the pack of version 2 from its back-test).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from driftflag.cli import app

from .test_fairness_judgement import pooled

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def trained(tmp_path_factory, synthetic_la_dir):
    d = tmp_path_factory.mktemp("gate")
    # the suite's cached 2,000-child LA (what demo_la.yaml's synth step writes for these
    # settings), shared with the demo pipelines' tests; read-only: the ingest only reads it
    # (with 6 Annex A extracts: tests/pipeline/test_demo_pipelines.py's TRAIN_LA)
    la = synthetic_la_dir(children=2000, years=5, seed=1, annex_a_months=6)
    ws = d / "workspace"
    runner = CliRunner()

    def run(pipeline: str, *sets: str):
        args = ["run", str(ROOT / "pipelines" / pipeline), "--workspace", str(ws)]
        for s in sets:
            args += ["--set", s]
        res = runner.invoke(app, args)
        assert res.exit_code == 0, res.output
        return res.output

    run("train.yaml", f"la={la}", f"store={d / 'store'}", f"fairness_out={d / 'fairness'}",
        "feature_start=2023-04-01", "steps.train.with.config.n_boot=20",
        "steps.train.with.config.models=[rule_baseline,logistic_scorecard]",
        "steps.fairness.with.model='2'", "steps.fairness.with.n_bootstrap=100")
    return d, ws


def _back_test_months() -> tuple[str, str]:
    """The twelve months whose outcomes are known by the extract (March 2026): the last is the
    extract month less train.yaml's label window (6 months -> 2025-09, 3 months -> 2025-12)."""
    import pandas as pd
    import yaml

    steps = yaml.safe_load((ROOT / "pipelines" / "train.yaml").read_text(encoding="utf-8"))["steps"]
    horizon = int(next(s for s in steps if s["id"] == "train")["with"]["config"]["horizon_months"])
    last = pd.Period("2026-03", "M") - horizon
    return str(last - 11), str(last)


def test_pack_judges_twelve_back_test_months_outside_training(trained):
    d, _ = trained
    pack = json.loads((d / "fairness" / "fairness.json").read_text())
    ev = pack["config"]["evidence"]
    first_month, last_month = _back_test_months()
    assert ev["source"] == "back-test" and ev["n_months"] == 12
    assert ev["months"][0] == first_month and ev["months"][-1] == last_month
    for fold in ev["folds"]:
        first = min(fold["test_months"])
        assert fold["fit_months"].split(" to ")[1] < first
        if fold["calibration_months"] != "none":
            assert fold["calibration_months"].split(" to ")[1] < first
        assert fold["outcomes_known_by"][:7] <= first
    assert last_month in ev["champion_window"]  # why the current months cannot judge it
    assert pack["verdict"]["status"] in ("pass", "attention", "insufficient evidence", "fail")
    if pack["verdict"]["status"] != "fail":
        # never "pass" while a main group or metric could not be judged
        assert pack["verdict"]["status"] != "pass" or not pack["verdict"]["missing_evidence"]


def test_panel_page_reads_first_and_has_no_codes(trained):
    d, _ = trained
    html = (d / "fairness" / "fairness.html").read_text()
    assert html.index("Decision summary") < html.index("Glossary") < html.index(
        "Ethnicity (DfE major groups)</h2>")
    assert "What the evidence is" in html and _back_test_months()[0] in html
    assert not re.search(r"\bS\d+:\d+", html) and not re.search(r"\w\.md\b", html)
    assert "not yet run" not in html
    card = html[html.index("<h2>Model card</h2>"):]
    assert '<div class="card">' in card and "Fairness audit (this pack): verdict" in card
    assert not re.search(r"^#{1,3} ", card, flags=re.M)  # rendered, not raw Markdown


def test_gate_refuses_a_challenger_whose_fairness_fails(trained, monkeypatch):
    from driftflag import stages
    from driftflag.fairness.backtest import BacktestEvidence
    from driftflag.tracking import model_name, promote, use_workspace

    d, ws = trained
    biased = pooled(label_bias=0.5)  # a recording bias against Black children

    def fake_backtest(store, *, workspace=None, version=None, target="future_drift",
                      months=12):
        return BacktestEvidence(frame=biased, feature_columns=[], months=["2025-01", "2025-03"],
                                evidence={"source": "test", "why": "planted bias",
                                          "months": [], "n_months": 0, "folds": []},
                                model_label=f"version {version}", version=version)

    monkeypatch.setattr("driftflag.fairness.backtest.backtest_caseload", fake_backtest)
    verdict = stages.fairness_verdict(d / "store", "2", workspace=ws, n_bootstrap=100)
    assert verdict.status == "fail" and verdict.gate_ok is False
    client = use_workspace(ws)
    run_id = client.get_model_version(model_name("future_drift"), "2").run_id
    assert client.get_run(run_id).data.tags["fairness_verdict"] == "fail"
    gate = promote(ws, "future_drift", "2", fairness_ok=verdict.gate_ok)
    assert gate.promoted is False and gate.checks["fairness"] is False
    assert "the fairness audit did not pass" in gate.reasons


def _fake_backtest(frame):
    from driftflag.fairness.backtest import BacktestEvidence

    def fake(store, *, workspace=None, version=None, target="future_drift", months=12):
        return BacktestEvidence(frame=frame, feature_columns=[], months=["2025-01", "2025-03"],
                                evidence={"source": "test", "why": "planted", "months": [],
                                          "n_months": 0, "folds": []},
                                model_label=f"version {version}", version=version)
    return fake


def test_the_promote_step_reads_the_fairness_verdict(trained, monkeypatch, tmp_path):
    """Through the pipeline's promote step: the same challenger is refused for fairness when its
    back-test carries a planted bias, and not for fairness when it does not."""
    d, ws = trained
    pipe = tmp_path / "gate.yaml"
    pipe.write_text(
        "name: gate\ndescription: promotion gate with the fairness back-test\nsteps:\n"
        "  - id: promote\n    kind: promote\n    with:\n      target: future_drift\n"
        f"      store: {d / 'store'}\n      version: '2'\n      require: true\n"
        "      fairness_bootstrap: 100\n", encoding="utf-8")
    runner = CliRunner()
    outputs = {}
    for name, frame in (("biased", pooled(label_bias=0.5)), ("unbiased", pooled())):
        monkeypatch.setattr("driftflag.fairness.backtest.backtest_caseload",
                            _fake_backtest(frame))
        res = runner.invoke(app, ["run", str(pipe), "--workspace", str(ws), "--force",
                                  "--no-tracking"])
        outputs[name] = (res.exit_code, res.output)
    code, out = outputs["biased"]
    assert code != 0 and "the fairness audit did not pass" in out, out
    assert "the fairness audit did not pass" not in outputs["unbiased"][1], outputs["unbiased"]


def test_a_versions_back_test_is_computed_once_per_store_state(trained, monkeypatch):
    """The promote step's back-test of a challenger and the fairness step's back-test of the same
    version (then champion) are one computation: asked again on the same store, the remembered
    evidence comes back (equal, and a copy the caller may change); once the store's files change,
    it is computed again."""
    import os

    import pandas as pd

    from driftflag.fairness import backtest as bt_mod
    from driftflag.models import training

    d, ws = trained
    fits = []
    real = training.train_models

    def counting(*args, **kwargs):
        fits.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(training, "train_models", counting)
    bt_mod._LAST.clear()
    first = bt_mod.backtest_caseload(d / "store", workspace=ws, version="2")
    assert len(fits) == 1
    first.frame["score"] = 0.0  # the caller's copy only
    second = bt_mod.backtest_caseload(d / "store", workspace=ws, version="2")
    assert len(fits) == 1, "the same version on the same store was refitted"
    assert not (second.frame["score"] == 0.0).all()
    assert second.run_id == first.run_id and second.evidence == first.evidence
    children = d / "store" / "children.parquet"
    st = children.stat()
    try:
        os.utime(children, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
        third = bt_mod.backtest_caseload(d / "store", workspace=ws, version="2")
        assert len(fits) == 2, "a changed store must be back-tested again"
        pd.testing.assert_frame_equal(third.frame, second.frame, check_exact=True)
    finally:
        os.utime(children, ns=(st.st_atime_ns, st.st_mtime_ns))
