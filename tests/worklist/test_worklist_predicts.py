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


# ---- the "Model" line in plain words ------------------------------------------------------------
def _in_use(kind="lightgbm", aliases=("champion",)):
    from driftflag.tracking import InUse

    return InUse(name="driftflag-future-drift", version="3", spec=kind, kind=kind, aliases=aliases,
                 reason="passed the promotion gate", skill="", run_id="abc123")


CONFIG = {"horizon_months": 6, "temporal": {"feature_start": "2023-04-01", "feature_end": "2026-03-31",
                                             "label_timespan_months": 6}}


def test_training_months_are_those_whose_labels_closed():
    from datetime import date

    assert predicts.training_months(CONFIG) == (date(2023, 4, 1), date(2025, 9, 1))
    mid = {"temporal": {"feature_start": "2023-04-15", "feature_end": "2026-03-15", "label_timespan_months": 6}}
    assert predicts.training_months(mid) == (date(2023, 5, 1), date(2025, 9, 1))
    assert predicts.training_months({}) is None


def test_model_line_says_what_when_and_on_which_months_without_version_numbers():
    from datetime import date

    words = predicts.describe_model(_in_use(), trained_on=date(2026, 11, 30), config=CONFIG,
                                    predicts="drift_milestones")
    text = words.plain
    assert "decision-tree model" in text and "champion" in text
    assert describe_target("drift_milestones") in text
    assert "trained on 30 November 2026 from the monthly records of April 2023 to September 2025" in text
    for technical in ("v3", "driftflag-future-drift", "models:/", "abc123", "lightgbm", "_"):
        assert technical not in text, technical
    assert "v3" in words.reference and "abc123" in words.reference  # for the data scientist
    rules = predicts.describe_model(_in_use("rule_baseline", ()), trained_on=None, config=CONFIG, predicts=None)
    assert rules.plain == ("Ranked by the drift rules (a fixed count of rule breaches, not learnt from data), "
                           "a model named for this list.")


def test_model_words_from_the_registry(registered_workspace):
    words = predicts.model_words(registered_workspace, "future_drift", None)
    assert words is not None
    assert words.plain.startswith("Ranked by a points scorecard learnt from this council's records")
    assert "trained on" in words.plain and "v1" not in words.plain
    assert "v1" in words.reference
    assert predicts.model_words(registered_workspace, "no_such_target", None) is None


def test_the_label_window_the_run_was_trained_on_is_in_the_words(monkeypatch):
    monkeypatch.setattr(predicts, "_predicts_tag", lambda uri, ws: "drift_milestone_count@3")
    got = predicts.model_with_target_words("models:/driftflag-future-drift@champion")
    assert got.endswith(describe_target("drift_milestone_count", 3)) and "next 3 months" in got
