"""The feature encoding carried inside every fitted model, against a slow row-by-row reference."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from driftflag.models._errors import TrainingError
from driftflag.models.encoding import (
    FeatureEncoder,
    as_scoring_pipeline,
    scoring_pipeline,
    split_scoring_pipeline,
)

CODES = ["NEG", "EMO", "PHY", "SAB", "MUL"]


def _reference(frame: pd.DataFrame, features: list[str], vocab: dict[str, list[str]]) -> pd.DataFrame:
    """Obviously correct: one cell at a time. Text features one-hot over ``vocab`` (missing and
    unseen values are all zeros), everything else a float with missing as NaN."""
    rows = []
    for _, row in frame.iterrows():
        out = {}
        for f in features:
            v = row[f]
            missing = v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))
            if f in vocab:
                for code in vocab[f]:
                    out[f"{f}={code}"] = 1.0 if (not missing and str(v) == code) else 0.0
            else:
                out[f] = math.nan if missing else float(v)
        rows.append(out)
    cols = [c for f in features for c in ([f"{f}={code}" for code in vocab[f]] if f in vocab else [f])]
    return pd.DataFrame(rows, index=frame.index, columns=cols, dtype="float64")


cells = st.tuples(st.one_of(st.none(), st.floats(-50, 50, allow_nan=False)),
                  st.one_of(st.none(), st.booleans()),
                  st.one_of(st.none(), st.sampled_from(CODES)),
                  st.integers(0, 400))


def _frame(rows) -> pd.DataFrame:
    return pd.DataFrame({
        "days_since_visit": pd.array([r[0] for r in rows], dtype="Float64").astype("float64"),
        "visit_overdue": pd.array([r[1] for r in rows], dtype="boolean"),
        "cp_category": pd.Series([r[2] for r in rows], dtype="object"),
        "n_workers": np.array([r[3] for r in rows], dtype="int64"),
    })


FEATURES = ["days_since_visit", "visit_overdue", "cp_category", "n_workers"]


@settings(max_examples=60, deadline=None)
@given(st.lists(cells, min_size=1, max_size=30), st.lists(cells, min_size=1, max_size=30))
def test_encoding_matches_the_cell_by_cell_reference(fit_rows, score_rows):
    fit, score = _frame(fit_rows), _frame(score_rows)
    enc = FeatureEncoder(FEATURES).fit(fit)
    vocab = {"cp_category": sorted({r[2] for r in fit_rows if r[2] is not None})}
    expected = _reference(score, FEATURES, vocab)
    pd.testing.assert_frame_equal(enc.transform(score), expected)
    # the vocabulary the column names spell out gives the same encoding (older models)
    again = FeatureEncoder.from_model_columns(enc.columns_)
    pd.testing.assert_frame_equal(again.transform(score), expected)


def test_a_fixed_vocabulary_is_kept_and_prepare_features_uses_the_same_encoding():
    from driftflag.models.training import prepare_features

    frame = _frame([(1.0, True, "EMO", 3), (None, None, None, 0), (2.5, False, "XYZ", 1)])
    X, cats = prepare_features(frame, FEATURES, {"cp_category": ["NEG", "EMO"]})
    assert cats == {"cp_category": ["NEG", "EMO"]}
    assert list(X.columns) == ["days_since_visit", "visit_overdue", "cp_category=NEG", "cp_category=EMO",
                               "n_workers"]
    assert X["cp_category=EMO"].tolist() == [1.0, 0.0, 0.0]  # unseen "XYZ" and missing: zeros
    pd.testing.assert_frame_equal(X, FeatureEncoder(FEATURES, cats).fit(frame).transform(frame))


def test_numbers_arriving_as_text_are_read_and_a_bad_value_is_named():
    enc = FeatureEncoder(FEATURES).fit(_frame([(1.0, True, "EMO", 3)]))
    frame = _frame([(1.0, True, "EMO", 3), (2.0, False, "NEG", 1)])
    frame["n_workers"] = ["3", None]
    assert enc.transform(frame)["n_workers"].tolist()[0] == 3.0
    frame["n_workers"] = ["3", "lots"]
    with pytest.raises(TrainingError, match=r"column n_workers: value 'lots' is not a number"):
        enc.transform(frame)
    with pytest.raises(TrainingError, match="lacks the model's feature column"):
        enc.transform(frame.drop(columns="cp_category"))


def test_the_scoring_pipeline_scores_raw_frames_and_splits_back():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    rows = [(float(rng.normal()), bool(rng.random() < 0.5), CODES[int(rng.integers(0, 5))], int(rng.integers(0, 9)))
            for _ in range(200)]
    raw = _frame(rows)
    enc = FeatureEncoder(FEATURES).fit(raw)
    X = enc.transform(raw).fillna(0.0)
    y = (X["days_since_visit"] + rng.normal(size=len(X)) > 0).astype(int)
    bare = LogisticRegression().fit(X, y)
    raw_filled = raw.assign(days_since_visit=raw["days_since_visit"].fillna(0.0),
                            visit_overdue=raw["visit_overdue"].fillna(False))
    full = scoring_pipeline(enc, bare)
    np.testing.assert_array_equal(full.predict_proba(raw_filled), bare.predict_proba(X))
    assert list(full.feature_names_in_) == FEATURES
    # a model fitted on the matrix alone gets the encoder its column names describe
    legacy = as_scoring_pipeline(bare)
    np.testing.assert_array_equal(legacy.predict_proba(raw_filled), bare.predict_proba(X))
    encoder, fitted = split_scoring_pipeline(full)
    assert encoder is enc and fitted is bare
    with pytest.raises(TrainingError, match="columns differ"):
        scoring_pipeline(FeatureEncoder(["n_workers"]).fit(raw), bare)


def test_a_model_without_feature_names_is_refused_in_one_line():
    from sklearn.linear_model import LogisticRegression

    bare = LogisticRegression().fit(np.eye(4), [0, 1, 0, 1])
    with pytest.raises(TrainingError) as e:
        as_scoring_pipeline(bare)
    assert "\n" not in str(e.value) and "retrain" in str(e.value)


def test_the_input_example_describes_no_child_and_has_raw_types():
    enc = FeatureEncoder(FEATURES).fit(_frame([(1.0, True, "EMO", 3), (2.0, False, "NEG", 1)]))
    ex = enc.example({"days_since_visit": (0.0, 90.0)}, n_rows=6)
    assert list(ex.columns) == FEATURES
    assert set(ex["cp_category"]) <= {"EMO", "NEG"} and ex["visit_overdue"].dtype == bool
    assert ex["days_since_visit"].between(0, 90).all()
    assert enc.transform(ex).shape == (6, len(enc.columns_))
