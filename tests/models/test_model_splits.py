"""Temporal splits: whole expected date lists, and refusal of impossible configs."""

from __future__ import annotations

from datetime import date

import pytest

from driftflag.errors import ConfigError
from driftflag.models.splits import (
    TemporalConfig,
    add_months,
    describe_splits,
    month_starts,
    splits_table,
    temporal_splits,
)


def _cfg(**kw):
    base = dict(feature_start=date(2021, 4, 1), feature_end=date(2026, 3, 31),
                label_timespan_months=6, test_span_months=1, n_folds=3)
    base.update(kw)
    return TemporalConfig(**base)


def test_worked_example_from_the_module_docstring():
    # last test as-of: t + 6m <= 2026-03-31 -> 2025-09-01; training as-of t + 6m <= first test.
    splits = temporal_splits(_cfg())
    assert [s.test_as_of for s in splits] == [
        (date(2025, 7, 1),), (date(2025, 8, 1),), (date(2025, 9, 1),)]
    assert [s.train_as_of[-1] for s in splits] == [
        date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)]
    assert splits[0].train_as_of == tuple(month_starts(date(2021, 4, 1), date(2025, 1, 1)))
    assert len(splits[0].train_as_of) == 46
    assert [s.fold for s in splits] == [0, 1, 2]
    assert splits[2].label_window_end == date(2026, 3, 1)


def test_quarterly_test_spans_with_capped_history():
    # test_span 3, step 3, history 12 months; last test as-of 2025-09-01
    # newest: test Jul-Sep 2025, train Feb 2024 .. Jan 2025 (Jan 2025 + 6m = Jul 2025)
    splits = temporal_splits(_cfg(test_span_months=3, max_training_history_months=12))
    assert [s.test_as_of for s in splits] == [
        (date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)),
        (date(2025, 4, 1), date(2025, 5, 1), date(2025, 6, 1)),
        (date(2025, 7, 1), date(2025, 8, 1), date(2025, 9, 1)),
    ]
    assert [(s.train_as_of[0], s.train_as_of[-1]) for s in splits] == [
        (date(2023, 8, 1), date(2024, 7, 1)),
        (date(2023, 11, 1), date(2024, 10, 1)),
        (date(2024, 2, 1), date(2025, 1, 1)),
    ]
    assert all(len(s.train_as_of) == 12 for s in splits)


def test_no_training_label_window_reaches_past_the_first_test_month():
    for cfg in (_cfg(), _cfg(label_timespan_months=12, n_folds=5),
                _cfg(test_span_months=2, update_every_months=1, n_folds=4)):
        for s in temporal_splits(cfg):
            assert s.train_label_end <= s.test_as_of[0]
            assert s.label_window_end <= cfg.feature_end
            assert add_months(s.train_as_of[-1], 1) > add_months(s.test_as_of[0], -cfg.label_timespan_months)


def test_mid_month_feature_start_begins_at_the_next_month():
    splits = temporal_splits(_cfg(feature_start=date(2021, 4, 15)))
    assert splits[0].train_as_of[0] == date(2021, 5, 1)


@pytest.mark.parametrize("kw, message", [
    (dict(n_folds=2), "greater than or equal to 3"),
    (dict(feature_start=date(2026, 4, 1)), "must be before feature_end"),
    (dict(feature_start=date(2025, 1, 1)), "fewer than min_training_as_of=6"),
    (dict(label_timespan_months=60), "less than or equal to 36"),
    (dict(feature_start=date(2025, 6, 1), min_training_as_of=1), "has no training"),
    (dict(training_as_of_freq="W"), "Input should be 'MS'"),
    (dict(surprise=1), "Extra inputs are not permitted"),
])
def test_impossible_configs_are_refused(kw, message):
    base = dict(feature_start=date(2021, 4, 1), feature_end=date(2026, 3, 31))
    base.update(kw)
    with pytest.raises(ConfigError, match=message):
        TemporalConfig.from_mapping(base)


def test_from_yaml_reads_a_section(tmp_path):
    p = tmp_path / "train.yaml"
    p.write_text("temporal:\n  feature_start: 2021-04-01\n  feature_end: 2026-03-31\n  n_folds: 4\n")
    cfg = TemporalConfig.from_yaml(p, section="temporal")
    assert cfg.n_folds == 4 and cfg.label_timespan_months == 6


def test_describe_and_table():
    splits = temporal_splits(_cfg())
    rows = describe_splits(splits)
    assert rows[0]["test_first_as_of"] == "2025-07-01"
    assert rows[2]["train_label_end"] == "2025-09-01"
    assert splits_table(splits).row_count == 3


def test_calibration_slice_is_the_latest_training_months():
    s = temporal_splits(_cfg())[0]
    fit, cal = s.calibration_slice(6)
    assert cal == tuple(month_starts(date(2024, 8, 1), date(2025, 1, 1)))
    assert fit[-1] == date(2024, 7, 1)
    with pytest.raises(ConfigError):
        s.calibration_slice(len(s.train_as_of))


def test_describe_splits_names_fit_and_calibration_months_apart_from_the_test_month():
    splits = temporal_splits(_cfg())
    for s, row in zip(splits, describe_splits(splits, calibration_months=6), strict=True):
        fit = month_starts(date.fromisoformat(row["fit_first_as_of"]), date.fromisoformat(row["fit_last_as_of"]))
        cal = month_starts(date.fromisoformat(row["calibration_first_as_of"]),
                           date.fromisoformat(row["calibration_last_as_of"]))
        assert len(fit) == row["n_fit_as_of"] and len(cal) == row["n_calibration_as_of"] == 6
        assert tuple(fit) + tuple(cal) == s.train_as_of  # every training month, once, in order
        assert cal[-1] < s.test_as_of[0]
    plain = describe_splits(splits)[0]
    assert plain["calibration_first_as_of"] == "" and plain["n_fit_as_of"] == plain["n_train_as_of"]
