"""The worklist's "Model" line says what the champion predicts, in the model card's words."""

from __future__ import annotations

from driftflag.targets import describe_target
from driftflag.worklist import predicts


def test_registered_model_label_says_what_it_ranks_by(monkeypatch):
    monkeypatch.setattr(predicts, "_predicts_tag", lambda uri, ws: "drift_milestones")
    got = predicts.model_with_target_words("models:/driftflag-future-drift@champion")
    assert got == ("models:/driftflag-future-drift@champion: ranks open cases by "
                   + describe_target("drift_milestones"))


def test_a_model_file_keeps_its_name_and_a_registry_failure_never_stops_the_list(monkeypatch):
    assert predicts.model_with_target_words("file model.joblib") == "file model.joblib"

    def broken(uri, ws):
        raise RuntimeError("no registry")

    monkeypatch.setattr(predicts, "_predicts_tag", broken)
    assert predicts.model_with_target_words("models:/x@champion") == "models:/x@champion"


def test_the_label_window_the_run_was_trained_on_is_in_the_words(monkeypatch):
    monkeypatch.setattr(predicts, "_predicts_tag", lambda uri, ws: "drift_milestone_count@3")
    got = predicts.model_with_target_words("models:/driftflag-future-drift@champion")
    assert got.endswith(describe_target("drift_milestone_count", 3)) and "next 3 months" in got
