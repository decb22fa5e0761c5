"""The model card says, in plain words, which label the model learnt, and its figures against a
synthetic LA's truth when there is one."""

from __future__ import annotations

import dataclasses

from test_tracking_card_workspace import _card

from driftflag.targets import describe_target
from driftflag.tracking import render_model_card


def test_card_names_the_label_learnt_and_the_fall_back():
    card = dataclasses.replace(_card(), target="future_drift", predicts="drift_milestones",
                               predicts_note="only 12 usable audits: fell back to drift milestones")
    md, html = render_model_card(card)
    for text in (md, html):
        assert f"This model ranks open cases by {describe_target('drift_milestones')}." in text
        assert "fell back to drift milestones" in text
        assert "true drift probability" not in text  # no truth on a real council's data


def test_card_shows_the_truth_figures_when_given():
    card = dataclasses.replace(_card(), predicts="audit_finding",
                               truth_metrics={"truth_expected_auc": 0.64, "truth_top40_capture": 0.8})
    md, html = render_model_card(card)
    assert "would find drift" in md
    assert "| truth_expected_auc | 0.640 |" in md and "<td>truth_top40_capture</td><td>0.800</td>" in html


def test_card_says_the_label_window_its_folds_were_cut_for():
    from datetime import date

    from driftflag.models import TemporalConfig, describe_splits, temporal_splits

    for months in (3, 6):
        splits = describe_splits(temporal_splits(TemporalConfig(
            feature_start=date(2023, 4, 1), feature_end=date(2026, 3, 31), label_timespan_months=months)))
        card = dataclasses.replace(_card(), predicts="drift_milestone_count", splits=splits)
        md, _ = render_model_card(card)
        assert f"in the next {months} months" in md
        assert describe_target("drift_milestone_count", months) in md
