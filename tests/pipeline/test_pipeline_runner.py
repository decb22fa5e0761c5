"""`driftflag run`: validation before work, overrides, reuse by content hash, clean failure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from driftflag.cli import app
from driftflag.errors import ConfigError
from driftflag.pipeline import PipelineConfig, PipelineStepError, run_pipeline

runner = CliRunner()

GOOD = """
name: tiny
vars: {la: LA_DIR, children: 300}
steps:
  - id: synth
    kind: synth
    with: {out: "${la}", children: "${children}", years: 2, seed: 3, annex_a_months: 1}
  - id: calibration
    kind: calibration
    with: {la: "${la}", fail_out_of_tolerance: false}
"""


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "p.yaml"
    p.write_text(text.replace("LA_DIR", str(tmp_path / "la")))
    return p


@pytest.mark.parametrize("text, message", [
    ("name: x\nsteps:\n  - id: a\n    kind: synth\n    with: {out: o, childern: 5}\n",
     "steps[0] (a).with.childern: unknown key (not allowed here)"),
    ("name: x\nsteps:\n  - id: a\n    kind: snyth\n    with: {}\n",
     "steps[0] (a).kind: unknown step kind 'snyth'"),
    ("name: x\nsteps:\n  - id: a\n    kind: synth\n    with: {out: o, years: 99}\n",
     "steps[0] (a).with.years: Input should be less than or equal to 20"),
    ("name: x\nstep: []\n", "step: unknown key (not allowed here)"),
    ("name: x\nsteps: []\n", "steps: List should have at least 1 item"),
    ("name: x\nsteps:\n  - id: a\n    kind: synth\n    with: {out: '${nowhere}'}\n",
     "${nowhere} is not defined under vars"),
    ("name: [unclosed\n", "is not valid YAML"),
])
def test_malformed_pipeline_is_refused_naming_the_key(tmp_path, text, message):
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as e:
        PipelineConfig.from_yaml(path)
    assert message in str(e.value)
    assert "\n" not in str(e.value)
    res = runner.invoke(app, ["run", str(path), "--no-tracking", "--workspace", str(tmp_path / "ws")])
    assert res.exit_code == 2
    assert res.output.strip().startswith("driftflag: error:")
    assert message in res.output
    assert not (tmp_path / "la").exists(), "no work may start before validation passes"


def test_overrides_and_variables(tmp_path):
    path = _write(tmp_path, GOOD)
    cfg = PipelineConfig.from_yaml(path, ["children=450", "steps.synth.with.seed=9"])
    assert cfg.steps[0].params["children"] == 450
    assert cfg.steps[0].params["seed"] == 9
    with pytest.raises(ConfigError, match="no step with id 'nope'"):
        PipelineConfig.from_yaml(path, ["steps.nope.with.seed=9"])


def test_unchanged_steps_are_reused_and_changed_ones_rerun(tmp_path):
    path = _write(tmp_path, GOOD)
    ws = tmp_path / "ws"
    first = run_pipeline(PipelineConfig.from_yaml(path), workspace=ws, tracking_uri=None)
    assert [o.status for o in first] == ["ran", "ran"]
    stamp = (tmp_path / "la" / "synth_manifest.json").stat().st_mtime_ns
    second = run_pipeline(PipelineConfig.from_yaml(path), workspace=ws, tracking_uri=None)
    assert [o.status for o in second] == ["reused", "reused"]
    assert (tmp_path / "la" / "synth_manifest.json").stat().st_mtime_ns == stamp
    third = run_pipeline(PipelineConfig.from_yaml(path, ["steps.synth.with.seed=4"]),
                         workspace=ws, tracking_uri=None)
    assert [o.status for o in third] == ["ran", "ran"], "a changed input re-runs its consumers"
    # an output edited by hand is not trusted
    (tmp_path / "la" / "synth_manifest.json").write_text("{}")
    fourth = run_pipeline(PipelineConfig.from_yaml(path, ["steps.synth.with.seed=4"]),
                          workspace=ws, tracking_uri=None)
    assert fourth[0].status == "ran"


def test_step_times_are_printed_and_never_recorded(tmp_path):
    """Each step's time is shown beside it (where a run's time goes), but the step's record,
    which decides whether the step is reused, holds nothing that changes from run to run."""
    path = _write(tmp_path, GOOD)
    ws = tmp_path / "ws"
    outcomes = run_pipeline(PipelineConfig.from_yaml(path), workspace=ws, tracking_uri=None)
    assert all(o.seconds > 0 for o in outcomes)
    records = sorted((ws / "pipeline-cache" / "tiny").glob("*.json"))
    assert len(records) == 2
    assert not any("second" in r.read_text() for r in records)
    res = runner.invoke(app, ["run", str(path), "--workspace", str(ws), "--no-tracking"],
                        terminal_width=200)
    assert res.exit_code == 0, res.output
    assert "time" in res.output and " s " in res.output


@pytest.mark.parametrize("seconds, shown", [(0.04, "0.0 s"), (3.26, "3.3 s"), (12.4, "12 s"),
                                            (59.6, "1 min 00 s"), (185.2, "3 min 05 s")])
def test_step_time_is_said_as_people_say_it(seconds, shown):
    from driftflag.cli import step_time

    assert step_time(seconds) == shown


def test_failed_step_stops_and_leaves_earlier_outputs(tmp_path):
    text = GOOD.replace("fail_out_of_tolerance: false", "fail_out_of_tolerance: true")
    text += """
  - id: never
    kind: synth
    with: {out: NEVER, children: 300, years: 2}
""".replace("NEVER", str(tmp_path / "never"))
    path = _write(tmp_path, text)
    with pytest.raises(PipelineStepError) as e:
        run_pipeline(PipelineConfig.from_yaml(path), workspace=tmp_path / "ws", tracking_uri=None)
    assert e.value.step_id == "calibration"
    assert (tmp_path / "la" / "synth_manifest.json").is_file()
    assert not (tmp_path / "never").exists()


def test_each_run_is_a_parent_mlflow_run_with_nested_steps(tmp_path, monkeypatch):
    import mlflow

    monkeypatch.chdir(tmp_path)
    path = _write(tmp_path, GOOD)
    uri = f"sqlite:///{tmp_path / 'ws' / 'mlflow.db'}"
    (tmp_path / "ws").mkdir()
    run_pipeline(PipelineConfig.from_yaml(path), workspace=tmp_path / "ws", tracking_uri=uri)
    mlflow.set_tracking_uri(uri)
    runs = mlflow.search_runs(experiment_names=["driftflag-pipelines"], output_format="list")
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parents[0].info.run_id]
    assert len(parents) == 1 and len(children) == 2
    assert {r.info.run_name for r in children} == {"synth", "calibration"}
    assert not (tmp_path / "mlruns").exists(), "never the ./mlruns file store"
    calib = [r for r in children if r.info.run_name == "calibration"][0]
    assert any(k.startswith("calibration.") for k in calib.data.metrics)
    json.dumps(calib.data.params)  # params are plain settings, no child-level data


ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["demo_la", "train", "monthly_audit", "monitor"])
def test_shipped_pipelines_validate(name):
    cfg = PipelineConfig.from_yaml(ROOT / "pipelines" / f"{name}.yaml")
    assert cfg.base_dir == ROOT
    assert cfg.steps


def test_worklist_command_reads_the_policy_inside_the_monthly_pipeline():
    from driftflag.worklist.policy import WorklistPolicy

    pol = WorklistPolicy.from_yaml(ROOT / "pipelines" / "monthly_audit.yaml")
    assert pol.size == 40


def test_train_command_reads_its_config_from_the_train_pipeline(tmp_path):
    from driftflag.pipeline.steps import train_params_from_pipeline

    p = train_params_from_pipeline(ROOT / "pipelines" / "train.yaml", ["steps.train.with.config.k=30"],
                                   store=tmp_path)
    assert p.store == tmp_path.resolve()
    assert p.training_config().k == 30
    assert p.models_dir == ROOT / "models"
