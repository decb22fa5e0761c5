"""Train every model spec on the feature panel over the temporal folds, and refit for use.

``train_models`` is pure (no MLflow, no files): it takes the stage-3 panel (one row per open
child per month), labels keyed by ``(child_id, as_of)``, the specs and the temporal config, and
returns the test-fold predictions, a :class:`~driftflag.evaluation.MetricTable` (every model next
to the rule baseline) and each spec refitted on every as-of date whose label window has closed.

Only features that cover the training window are used (``meta["dropped_features"]`` names the
others and why; threshold :data:`driftflag.indicators.coverage.COVERAGE_MIN_RATIO`).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from driftflag._memory import release_free_memory
from driftflag.errors import ConfigError
from driftflag.models._build import build, calibrate, fit_in_place, fits_in_place
from driftflag.models._errors import TrainingError
from driftflag.models._matrix import EncodedRows
from driftflag.models.encoding import (
    CATEGORY,
    FeatureEncoder,
    _kind,
    encode_features,
    scoring_pipeline,
)
from driftflag.models.spec import ModelSpec
from driftflag.models.splits import (
    Split,
    TemporalConfig,
    add_months,
    describe_splits,
    temporal_splits,
)

__all__ = ["TrainConfig", "TrainingResult", "prepare_features", "train_models"]

logger = logging.getLogger(__name__)
#: the labelled rows' position in the panel (a column of the key frame only)
_ROW = "_panel_row"


def prepare_features(
    panel: pd.DataFrame, features: Sequence[str], categories: Mapping[str, Sequence[str]] | None = None
) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """Numeric model matrix: booleans as 0/1 (missing stays NaN), text columns one-hot encoded.

    One-hot columns are ``<feature>=<value>`` over a fixed vocabulary (``categories``, or the
    sorted values seen in ``panel``), so every fold and the final model share the same columns.
    """
    return encode_features(panel, features, categories)


@dataclass
class TrainingResult:
    """Everything training produced, before anything is logged."""

    predictions: pd.DataFrame
    metric_table: Any
    final_models: dict[str, Any]
    feature_names: list[str]
    categories: dict[str, list[str]]
    splits: list[Split]
    baseline: str | None
    meta: dict[str, Any] = field(default_factory=dict)
    #: every open case of every test month scored by each model (child-level: never logged)
    open_case_scores: pd.DataFrame | None = None

    def split_plan(self, calibration_months: int = 0) -> list[dict[str, Any]]:
        """The folds, with the fitting and calibration months of a spec calibrated on the last
        ``calibration_months`` training months."""
        return describe_splits(self.splits, calibration_months)


def _coverage_decision(panel: pd.DataFrame, specs: Sequence[ModelSpec], registry: Any, months):
    """Features whose source does not cover the training months are left out of every model
    (:func:`driftflag.indicators.coverage.covered_features`: a feature missing in the training
    months but present in the month scored teaches the model nothing true)."""
    from driftflag.indicators.coverage import covered_features

    wanted: list[str] = []
    for spec in specs:
        for f in spec.resolve_features(registry.model_features()):
            if f not in wanted and f in panel.columns:
                wanted.append(f)
    decision = covered_features(panel, wanted, months)
    for f, why in decision.dropped.items():
        logger.info("feature %s left out: %s", f, why)
    return decision


def _labelled_keys(panel: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame:
    """The labelled panel rows in training order (``as_of``, then ``child_id``): their keys, the
    ``labels`` columns and each row's position in ``panel`` (``_ROW``). The features stay in
    ``panel`` and are encoded once: a merged copy of every panel column was 0.3 GB at 150,000
    children, and the rows are those of ``panel.merge(labels)`` sorted the same way."""
    keys = panel[["child_id", "as_of"]].assign(**{_ROW: np.arange(len(panel))})
    df = keys.merge(labels, on=["child_id", "as_of"], how="inner", validate="one_to_one")
    df = df.sort_values(["as_of", "child_id"], kind="stable").reset_index(drop=True)
    df.attrs = {}  # (the labels' attrs, if any: pandas copies them into every slice)
    return df


class _Labelled:
    """The model matrix of the labelled rows (``df``'s order) without holding it: ``X[mask]`` is
    the encoded panel's rows behind ``mask``, made when a fit or a score asks for them."""

    def __init__(self, encoded: EncodedRows, panel_rows: np.ndarray):
        self.encoded = encoded
        self.panel_rows = panel_rows
        self.columns = encoded.columns

    def __getitem__(self, mask: np.ndarray) -> pd.DataFrame:
        return self.encoded.take(self.panel_rows[mask])

    def array(self, mask: np.ndarray, order: str = "F") -> np.ndarray:
        """``np.asarray(self[mask])``, but writeable and the caller's own (``order="C"``: the
        same numbers row-major)."""
        return self.encoded.take_array(self.panel_rows[mask], order)


def _labelled_encoder(panel: pd.DataFrame, rows: np.ndarray, feats: list[str],
                      categories: Mapping[str, Sequence[str]]) -> tuple[FeatureEncoder, dict[str, list[str]]]:
    """The encoder ``encode_features`` would fit on the labelled rows (``panel``'s rows ``rows``):
    text features without a given vocabulary learn it from those rows only, every other choice
    reads the column's type. Returns it fitted and the vocabularies (given ones first)."""
    learn = [f for f in feats if f not in categories and f in panel.columns and _kind(panel[f]) == CATEGORY]
    learnt = FeatureEncoder(learn).fit(panel[learn].iloc[rows]).categories_ if learn else {}
    enc = FeatureEncoder(feats, {**categories, **learnt}).fit(panel)
    return enc, {**{k: list(v) for k, v in categories.items()}, **enc.categories_}


def _graded_rows(X: _Labelled, y: np.ndarray, w: np.ndarray | None, g: np.ndarray | None, mask):
    """The rows a model learns from: as they are, or, for a graded label ``g`` in [0, 1], each row
    twice (a positive weighted ``g`` and a negative weighted ``1 - g``: the log-loss of the
    fractional label), rows of zero weight left out. Why: a 0/1 "any milestone" label saturates
    among the most drifting cases; a grade keeps ordering them."""
    Xm, ym = X[mask], y[mask]
    wm = w[mask] if w is not None else None
    if g is None:
        return Xm, ym, wm
    gm = g[mask]
    base = wm if wm is not None else np.ones(len(gm))
    ww = np.concatenate([gm * base, (1.0 - gm) * base])
    keep = ww > 0
    Xd = pd.concat([Xm, Xm], ignore_index=True)[keep]
    yd = np.concatenate([np.ones(len(gm), int), np.zeros(len(gm), int)])[keep]
    return Xd, yd, ww[keep]


def _fit_one(spec: ModelSpec, X: _Labelled, y: np.ndarray, w: np.ndarray | None,
             as_of: pd.Series, fit_dates, cal_dates, feature_names, polarity,
             g: np.ndarray | None = None):
    fit_mask = as_of.isin(pd.to_datetime(list(fit_dates))).to_numpy()
    if g is None:  # (the rows themselves are made once the pipeline says how it takes them)
        Xf, yf, wf = None, y[fit_mask], (w[fit_mask] if w is not None else None)
    else:
        Xf, yf, wf = _graded_rows(X, y, w, g, fit_mask)
    if len(np.unique(yf)) < 2:
        raise TrainingError(f"{spec.name}: training months hold only one outcome class")
    pipe = build(spec, feature_names, polarity)
    kw = {"model__sample_weight": wf} if wf is not None else {}
    if Xf is None and fits_in_place(pipe):  # imputer and scaler work in the rows' own array
        # (the rows made by fit_in_place itself, so that it can let them go: _build.fit_in_place)
        fit_in_place(pipe, lambda order: X.array(fit_mask, order), X.columns, yf, **kw)
    else:
        pipe.fit(X[fit_mask] if Xf is None else Xf, yf, **kw)
    del Xf
    release_free_memory()  # a fit's temporaries (LightGBM's in its threads' heaps): driftflag._memory
    if cal_dates:
        cal_mask = as_of.isin(pd.to_datetime(list(cal_dates))).to_numpy()
        # the ranking is learnt from the grade, the probability is calibrated to the 0/1 label the
        # metrics, the gate's calibration check and the model card speak of
        return calibrate(pipe, X[cal_mask], y[cal_mask], spec.calibration.method,
                         sample_weight=w[cal_mask] if w is not None else None)
    return pipe


def train_models(
    panel: pd.DataFrame,
    labels: pd.DataFrame,
    specs: Sequence[ModelSpec],
    temporal_cfg: TemporalConfig,
    *,
    registry: Any = None,
    k: int | float = 25,
    n_boot: int = 200,
    random_state: int = 0,
    weight_column: str | None = None,
    grade_column: str | None = None,
    refit: bool = True,
) -> TrainingResult:
    """Cross-validate each spec over the temporal folds, then refit it on all closed labels.

    ``labels`` has ``child_id``, ``as_of``, ``label`` (and ``weight_column`` if given, e.g.
    ``ipw``) and ``grade_column`` if given (a graded label in [0, 1] the models learn instead of
    ``label``, which calibration and the label metrics still use); panel rows without a label are dropped. ``registry`` (stage 3's
    ``load_registry()``) gives the default features and their polarity. ``refit=False`` skips the
    final fits (``final_models`` is empty): for callers that judge only the folds (a back-test,
    the tests of skill), a fifth of the fitting saved.
    """
    from driftflag.evaluation import MetricTable

    if registry is None:
        from driftflag.indicators import load_registry

        registry = load_registry()
    polarity = {ind.column: ind.polarity for ind in registry.indicators}
    # a view without ``attrs`` (the panel's coverage table, 1,400 numbers): pandas deep-copies a
    # frame's attrs into every column, slice and mask taken from it (3.4 million deepcopy calls
    # in one training at 50,000 children); nothing here reads them
    panel = panel.copy(deep=False)
    panel.attrs = {}
    keep = ["child_id", "as_of", "label"] + [c for c in (weight_column, grade_column) if c]
    df = _labelled_keys(panel, labels[keep])
    if df.empty:
        raise TrainingError("no panel row has a label: check the as-of dates of panel and labels")
    rows = df[_ROW].to_numpy()
    splits = temporal_splits(temporal_cfg)
    baseline = next((s.name for s in specs if s.kind == "rule_baseline"), None)
    preds, open_scores, finals, names_by_spec = [], [], {}, {}
    everyone = panel[["child_id", "as_of"]].assign(as_of=lambda d: pd.to_datetime(d["as_of"]))
    categories: dict[str, list[str]] = {}
    y = df["label"].to_numpy(int)
    w = df[weight_column].to_numpy(float) if weight_column else None
    g = np.clip(df[grade_column].to_numpy(float), 0.0, 1.0) if grade_column else None
    H = temporal_cfg.label_timespan_months
    closed = [d for d in pd.to_datetime(df["as_of"].unique())
              if add_months(d.date(), H) <= temporal_cfg.feature_end]
    coverage = _coverage_decision(panel, specs, registry, closed)
    # specs with the same features (the three shipped ones: the registry's default) share one
    # encoding of the labelled rows and of the whole panel, made once
    # (the whole panel encoded once, held narrow: the labelled rows' matrix is its rows ``rows``,
    # the same numbers an encoding of the labelled rows gives, as the vocabularies are theirs)
    encoded: dict[tuple[str, ...], tuple[_Labelled, EncodedRows, FeatureEncoder]] = {}
    for spec in specs:
        feats = [f for f in spec.resolve_features(registry.model_features()) if f not in coverage.dropped]
        if tuple(feats) in encoded:
            X, X_all, encoder = encoded[tuple(feats)]
        else:
            encoder, categories = _labelled_encoder(panel, rows, feats, categories)
            X_all = EncodedRows(encoder.transform(panel))
            release_free_memory()  # the float64 encoding just dropped (see driftflag._memory)
            X = _Labelled(X_all, rows)
            encoded[tuple(feats)] = (X, X_all, encoder)
        feature_names = list(X.columns)
        pol = {**polarity}
        names_by_spec[spec.name] = feature_names
        for split in splits:
            months = spec.calibration.months if spec.calibration.method != "none" else 0
            fit_dates, cal_dates = split.calibration_slice(months)
            model = _fit_one(spec, X, y, w, df["as_of"], fit_dates, cal_dates, feature_names, pol, g)
            test = df["as_of"].isin(pd.to_datetime(list(split.test_as_of))).to_numpy()
            scores = model.predict_proba(X[test])[:, 1]
            preds.append(pd.DataFrame({
                "model": spec.name, "fold": split.name, "as_of": df.loc[test, "as_of"].to_numpy(),
                "child_id": df.loc[test, "child_id"].to_numpy(), "y_true": y[test], "score": scores,
                "weight": w[test] if w is not None else 1.0,
            }))
            # every open case of the test months, labelled or not (an audit target labels few):
            # what the worklist would have ranked, for judging against a known truth
            on = everyone["as_of"].isin(pd.to_datetime(list(split.test_as_of))).to_numpy()
            open_scores.append(everyone.loc[on].assign(
                model=spec.name, fold=split.name, score=model.predict_proba(X_all.take(np.flatnonzero(on)))[:, 1]))
            logger.info("%s fold %s: %d test rows", spec.name, split.name, int(test.sum()))
        if not refit:
            continue
        months = spec.calibration.months if spec.calibration.method != "none" else 0
        all_dates = sorted(closed)
        fit_dates, cal_dates = (all_dates[:-months], all_dates[-months:]) if months else (all_dates, [])
        fitted = _fit_one(spec, X, y, w, df["as_of"], fit_dates, cal_dates, feature_names, pol, g)
        # the artefact carries its encoding: it scores a raw snapshot on its own
        # (a copy of the encoding the rows were made with: each artefact owns its encoder)
        finals[spec.name] = scoring_pipeline(copy.deepcopy(encoder), fitted)
    predictions = pd.concat(preds, ignore_index=True)
    table = MetricTable.from_predictions(predictions, k=k, baseline=baseline, n_boot=n_boot,
                                         random_state=random_state)
    return TrainingResult(predictions=predictions, metric_table=table, final_models=finals,
                          feature_names=names_by_spec.get(specs[-1].name, []), categories=categories,
                          splits=splits, baseline=baseline,
                          open_case_scores=pd.concat(open_scores, ignore_index=True),
                          meta={"features_by_spec": names_by_spec, "n_rows": len(df),
                                "base_rate": float(y.mean()),
                                "dropped_features": dict(coverage.dropped),
                                "coverage_reference_month": coverage.reference_month,
                                "coverage_min_ratio": coverage.min_ratio})


class TrainConfig(BaseModel):
    """``pipelines/train.yaml``: what ``driftflag train`` does. Read only by :meth:`from_yaml`.

    ``target`` names the registered model the promote, worklist and monitor steps use; ``label``
    is what the models learn (``targets.TARGETS``; default: the same as ``target``):
    ``audit_finding`` (would an audit this month find drift, from recorded findings weighted by
    inverse inclusion probability; falls back to ``drift_milestones`` below ``min_audits`` audits
    or ``min_audit_findings`` findings), ``drift_milestones``, ``revolving_door`` or the combined
    ``future_drift``. ``horizon_months`` is the milestone labels' window (an audit finding's is
    one month; the folds follow the label actually learnt). ``truth_dir``: a synthetic LA's
    ``truth/`` folder; when it holds ``drift_monthly.parquet``, every model is also judged
    against the true drift probability.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    target: Literal["future_drift", "audit_finding", "drift_milestones", "drift_milestone_count",
                    "revolving_door"] = "future_drift"
    label: Literal["future_drift", "audit_finding", "drift_milestones", "drift_milestone_count",
                   "revolving_door"] | None = None
    min_audits: int = Field(200, ge=1)
    min_audit_findings: int = Field(30, ge=1)
    truth_dir: Path | None = None
    horizon_months: int = Field(6, ge=1, le=36)
    temporal: TemporalConfig
    models: tuple[str, ...] = ("rule_baseline", "logistic_scorecard", "lightgbm")
    k: int | float = 25
    n_boot: int = Field(200, ge=10)
    random_state: int = 0

    @model_validator(mode="after")
    def _horizon_matches(self) -> TrainConfig:
        if self.temporal.label_timespan_months != self.horizon_months:
            raise ValueError(
                f"temporal.label_timespan_months ({self.temporal.label_timespan_months}) must equal "
                f"horizon_months ({self.horizon_months}): the folds must leave room for the label window"
            )
        return self

    @property
    def learns(self) -> str:
        """The label the models are asked to learn (before any audit fall-back)."""
        return self.label or self.target

    @classmethod
    def from_yaml(cls, path: Path) -> TrainConfig:
        import yaml

        try:
            with Path(path).open(encoding="utf-8") as fh:
                data = yaml.safe_load(fh) or {}
            return cls.model_validate(data)
        except OSError as e:
            raise ConfigError(f"{path}: cannot read training config: {e}") from e
        except ValidationError as e:
            first = e.errors()[0]
            loc = ".".join(str(x) for x in first["loc"]) or "config"
            raise ConfigError(f"{path}: {loc}: {first['msg'].removeprefix('Value error, ')}") from e
