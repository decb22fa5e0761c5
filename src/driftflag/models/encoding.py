"""The feature encoding, kept inside the fitted model: raw snapshot columns in, model matrix out.

A registered model must score a raw snapshot (one row per open case, the indicator columns as
:func:`driftflag.indicators.snapshot` gives them) on its own. Why: when the encoding sat outside
the model it was rebuilt three ways (from the training vocabulary, from the model's column
names, from a logged ``encoding.json`` with a silent fall-back) and the three could disagree.
So every fitted artefact is ``Pipeline([("encode", FeatureEncoder), ("model", <fitted>)])``
(:func:`scoring_pipeline`); :func:`split_scoring_pipeline` gives the two halves back for
explanations, which read the model matrix.

The encoding itself: flags and numbers become floats (missing stays NaN), text columns are
one-hot encoded as ``<feature>=<value>`` over a vocabulary fixed when the encoder is fitted, so
every fold, the final model and every later month share the same columns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.pipeline import Pipeline

from driftflag.models._errors import TrainingError

__all__ = ["ENCODE_STEP", "MODEL_STEP", "FeatureEncoder", "as_scoring_pipeline", "encode_features",
           "scoring_pipeline", "split_scoring_pipeline"]

ENCODE_STEP = "encode"
MODEL_STEP = "model"
#: kinds of raw feature: a flag (boolean), a number, or a category (text, one-hot encoded)
FLAG, NUMBER, CATEGORY = "flag", "number", "category"


def _kind(s: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(s) or str(s.dtype) == "boolean":
        return FLAG
    if pd.api.types.is_numeric_dtype(s):
        return NUMBER
    return CATEGORY


class FeatureEncoder(TransformerMixin, BaseEstimator):
    """Raw feature columns -> numeric model matrix (see the module docstring).

    ``features``: the raw columns in order (default: every column seen by :meth:`fit`);
    ``categories``: a fixed vocabulary per text feature (others learnt in :meth:`fit`, sorted).
    """

    def __init__(self, features: Sequence[str] | None = None,
                 categories: Mapping[str, Sequence[str]] | None = None):
        self.features = features
        self.categories = categories

    def fit(self, X: pd.DataFrame, y: Any = None) -> FeatureEncoder:
        feats = [str(f) for f in (self.features if self.features is not None else X.columns)]
        missing = [f for f in feats if f not in X.columns]
        if missing:
            raise TrainingError(f"the frame lacks feature column(s): {', '.join(missing)}")
        given = {str(k): [str(v) for v in vals] for k, vals in (self.categories or {}).items()}
        kinds: dict[str, str] = {}
        cats: dict[str, list[str]] = {}
        for f in feats:
            kinds[f] = CATEGORY if f in given else _kind(X[f])
            if kinds[f] == CATEGORY:
                cats[f] = given.get(f, sorted(str(v) for v in X[f].dropna().unique()))
        return self._set(feats, kinds, cats)

    def _set(self, feats: list[str], kinds: dict[str, str], cats: dict[str, list[str]]) -> FeatureEncoder:
        self.features_ = feats
        self.kinds_ = kinds
        self.categories_ = cats
        self.columns_ = [c for f in feats for c in
                         ([f"{f}={v}" for v in cats[f]] if kinds[f] == CATEGORY else [f])]
        self.feature_names_in_ = np.asarray(feats, dtype=object)
        self.n_features_in_ = len(feats)
        return self

    @classmethod
    def from_model_columns(cls, columns: Sequence[str]) -> FeatureEncoder:
        """The encoder that produced ``columns`` (``feature=value`` for one-hot columns).

        For a model fitted on a model matrix without its encoder (registered before the
        encoding was kept in the model, or fitted by hand): the column names hold the whole
        vocabulary, so the encoding is exact.
        """
        feats: list[str] = []
        kinds: dict[str, str] = {}
        cats: dict[str, list[str]] = {}
        for c in (str(c) for c in columns):
            base, sep, value = c.partition("=")
            if base not in kinds:
                feats.append(base)
                kinds[base] = CATEGORY if sep else NUMBER
            if sep:
                cats.setdefault(base, []).append(value)
        enc = cls(features=feats, categories=cats)._set(feats, kinds, cats)
        if enc.columns_ != [str(c) for c in columns]:  # one-hot columns not grouped by feature
            raise TrainingError("the model's columns are not grouped by feature; cannot rebuild its encoding")
        return enc

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        if not hasattr(self, "columns_"):
            raise TrainingError("the feature encoder is not fitted")
        missing = [f for f in self.features_ if f not in X.columns]
        if missing:
            raise TrainingError(f"the frame lacks the model's feature column(s): {', '.join(missing)}")
        cols: dict[str, pd.Series] = {}
        for f in self.features_:
            s = X[f]
            if self.kinds_[f] == CATEGORY:
                text = s.astype("str")
                for v in self.categories_[f]:
                    cols[f"{f}={v}"] = (text == v).astype("float64")
            elif _kind(s) == FLAG:
                cols[f] = s.astype("Float64").astype("float64")
            elif _kind(s) == NUMBER:
                cols[f] = s.astype("float64")
            else:
                try:
                    cols[f] = pd.to_numeric(s, errors="raise").astype("float64")
                except (TypeError, ValueError):
                    bad = next((v for v in s.dropna() if pd.isna(pd.to_numeric(v, errors="coerce"))), "")
                    raise TrainingError(f"column {f}: value {str(bad)[:40]!r} is not a number") from None
        return pd.DataFrame(cols, index=X.index, columns=self.columns_)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.asarray(self.columns_, dtype=object)

    def example(self, ranges: Mapping[str, tuple[float, float]] | None = None, *, n_rows: int = 5,
                random_state: int = 0) -> pd.DataFrame:
        """Made-up raw rows (uniform draws in each number's range, random flags, categories from
        the vocabulary): MLflow's input example, describing no child."""
        rng = np.random.default_rng(random_state)
        ranges = ranges or {}
        data: dict[str, Any] = {}
        for f in self.features_:
            kind = self.kinds_[f]
            if kind == CATEGORY:
                vocab = self.categories_[f] or [""]
                data[f] = [vocab[i] for i in rng.integers(0, len(vocab), n_rows)]
            elif kind == FLAG:
                data[f] = rng.random(n_rows) < 0.5
            else:
                lo, hi = ranges.get(f, (0.0, 1.0))
                data[f] = np.round(rng.uniform(float(lo), float(hi), n_rows), 3)
        return pd.DataFrame(data)


def encode_features(frame: pd.DataFrame, features: Sequence[str],
                    categories: Mapping[str, Sequence[str]] | None = None
                    ) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """``(model matrix, categories)``: the encoding of ``features`` in ``frame``, with the
    vocabulary of every text feature (given ones kept, others learnt)."""
    enc = FeatureEncoder(list(features), categories).fit(frame)
    return enc.transform(frame), {**{k: list(v) for k, v in (categories or {}).items()},
                                  **enc.categories_}


def scoring_pipeline(encoder: FeatureEncoder, fitted: Any) -> Pipeline:
    """The complete artefact: ``encode`` then the fitted ``model`` (a pipeline or calibrated
    model fitted on the encoder's columns)."""
    names = [str(c) for c in getattr(fitted, "feature_names_in_", encoder.columns_)]
    if names != list(encoder.columns_):
        raise TrainingError("the encoder's columns differ from those the model was fitted on")
    return Pipeline([(ENCODE_STEP, encoder), (MODEL_STEP, fitted)])


def split_scoring_pipeline(model: Any) -> tuple[FeatureEncoder, Any]:
    """``(encoder, fitted model)`` of a complete artefact (see :func:`as_scoring_pipeline`)."""
    full = as_scoring_pipeline(model)
    return full.named_steps[ENCODE_STEP], full.named_steps[MODEL_STEP]


def as_scoring_pipeline(model: Any) -> Pipeline:
    """``model`` if it is a complete artefact; a model fitted on a model matrix alone is given
    the encoder its column names describe (:meth:`FeatureEncoder.from_model_columns`)."""
    steps = getattr(model, "steps", None)
    if steps and len(steps) == 2 and steps[0][0] == ENCODE_STEP and isinstance(steps[0][1], FeatureEncoder):
        return model
    names = getattr(model, "feature_names_in_", None)
    if names is None or len(names) == 0:
        raise TrainingError("the model records neither its feature encoding nor its feature names "
                            "(feature_names_in_); retrain it with `driftflag train`")
    return scoring_pipeline(FeatureEncoder.from_model_columns([str(n) for n in names]), model)
