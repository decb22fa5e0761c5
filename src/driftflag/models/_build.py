"""Turn a :class:`~driftflag.models.spec.ModelSpec` into an unfitted scikit-learn ``Pipeline``.

Every kind is a ``Pipeline`` (``style-guide.md`` §6.5) whose last step is named ``model``:

* ``rule_baseline``: median imputation, then :class:`~driftflag.models.baseline.RuleBaseline`;
* ``logistic_scorecard``: median imputation, ``StandardScaler``, L2 ``LogisticRegression``
  (``l1_ratio=0``), read through :func:`odds_ratio_table`;
* ``lightgbm``: ``LGBMClassifier`` with monotone constraints from polarity, ``deterministic=True``
  and ``force_row_wise=True`` (same data and seed, same trees), ``n_jobs=2``, ``verbose=-1``.
  LightGBM handles missing values itself, so it gets no imputer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from driftflag.models._errors import ModelSpecError
from driftflag.models.spec import ModelSpec, _polarity_of, monotone_constraints

__all__ = ["build", "calibrate", "fit_in_place", "fits_in_place", "odds_ratio_table"]


def build(spec: ModelSpec, feature_names: Sequence[str], polarity: Mapping[str, Any]) -> Pipeline:
    """An unfitted pipeline for ``spec`` on ``feature_names`` (already resolved and checked)."""
    from driftflag.models._impute import MedianImputer as SimpleImputer  # same medians, faster fit

    spec.check_protected(feature_names)
    hp = dict(spec.hyperparameters)
    if spec.kind == "rule_baseline":
        from driftflag.models.baseline import RuleBaseline

        pol = {f: p for f in feature_names if (p := _polarity_of(polarity.get(f))) in
               ("higher_is_worse", "higher_is_better")}
        model = RuleBaseline(polarity=pol, **hp)
        steps = [("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
                 ("model", model)]
    elif spec.kind == "logistic_scorecard":
        from sklearn.linear_model import LogisticRegression
        from sklearn.preprocessing import StandardScaler

        model = LogisticRegression(l1_ratio=0.0, random_state=spec.random_state,
                                   **{"max_iter": 1000, **hp})
        steps = [("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
                 ("scale", StandardScaler()), ("model", model)]
    elif spec.kind == "lightgbm":
        from lightgbm import LGBMClassifier

        constraints = monotone_constraints(feature_names, polarity) if spec.monotone else None
        model = LGBMClassifier(
            random_state=spec.random_state, deterministic=True, force_row_wise=True, n_jobs=2,
            verbose=-1, monotone_constraints=constraints, **hp,
        )
        steps = [("model", model)]
    else:  # pragma: no cover - the spec's Literal already refuses it
        raise ModelSpecError(f"unknown model kind {spec.kind!r}")
    return Pipeline(steps)


def fits_in_place(pipe: Pipeline) -> bool:
    """Whether :func:`fit_in_place` applies: every step before the model is an imputer or a
    scaler that copies its input (the rule baseline's and the logistic scorecard's)."""
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import StandardScaler

    before = [step for _, step in pipe.steps[:-1]]
    return bool(before) and all(isinstance(s, (SimpleImputer, StandardScaler)) and s.copy is True
                                for s in before)


def fit_in_place(pipe: Pipeline, rows: np.ndarray | Callable[[str], np.ndarray], columns: Sequence[str], y,
                 **fit_params) -> Pipeline:
    """``pipe.fit`` on the frame ``X`` with ``columns`` would make, with the imputer and scaler
    working in ``X`` itself (which the caller gives up: it is overwritten).

    ``rows`` is that array (float64, column-major as ``numpy.asarray`` gives a one-block frame),
    or a function making a new one in the order asked (``"F"`` or ``"C"``). Given a function and a
    model that copies its input into row-major order (the logistic scorecard: lbfgs), the
    imputer and scaler are fitted on the column-major rows as before, which are then let go; the
    rows are made again row-major, imputed and scaled in place (the same element-wise operations,
    so the same numbers) and given to the model, which then takes them without a copy.

    Why: fitted on a frame, each step copies the matrix (the imputer's output, the scaler's)
    while the frame is still held, three float64 copies of every training row at the peak of
    the logistic scorecard's final fit (2 GB at 400,000 children); in place, two remained (the
    rows and lbfgs's row-major copy, 1.5 GB); made again row-major, one. The steps do the same
    arithmetic on the same column-major layout, so the fitted pipeline is the same; the first
    step gets the frame's feature names as sklearn would have set them, and ``copy`` is back to
    ``True`` afterwards (``tests/models/test_model_training_memory.py`` compares every fitted
    attribute).
    """
    if not fits_in_place(pipe):
        raise ModelSpecError("fit_in_place: the pipeline's steps before the model must be copying imputers or scalers")
    names = [name for name, _ in pipe.steps[:-1]]
    again = callable(rows)
    pipe.set_params(**{f"{n}__copy": False for n in names})
    try:
        if again and _copies_to_row_major(pipe.steps[-1][1]):
            _fit_row_major(pipe, rows, y, **fit_params)
        else:
            pipe.fit(rows("F") if again else rows, y, **fit_params)
    finally:
        pipe.set_params(**{f"{n}__copy": True for n in names})
    pipe.steps[0][1].feature_names_in_ = np.asarray([str(c) for c in columns], dtype=object)
    return pipe


def _copies_to_row_major(model: Any) -> bool:
    """Whether the model copies column-major rows into row-major ones to fit (lbfgs's logistic
    regression, whose ``fit`` validates ``X`` with ``order="C"``)."""
    from sklearn.linear_model import LogisticRegression

    return isinstance(model, LogisticRegression)


def _fit_row_major(pipe: Pipeline, rows: Callable[[str], np.ndarray], y, **fit_params) -> None:
    """:func:`fit_in_place`'s row-major path: the steps before the model fitted by the pipeline
    on column-major rows (the model stood aside), then the model on the same rows made again
    row-major and transformed by the fitted steps in place (``copy`` is off)."""
    name, model = pipe.steps[-1]
    own = {k.split("__", 1)[1]: v for k, v in fit_params.items() if k.startswith(f"{name}__")}
    if len(own) != len(fit_params):
        raise ModelSpecError("fit_in_place: only the model's own fit parameters are supported")
    pipe.steps[-1] = (name, "passthrough")
    try:
        pipe.fit(rows("F"), y)  # (the column-major rows are let go when this returns)
    finally:
        pipe.steps[-1] = (name, model)
    Xt = rows("C")
    for _, step in pipe.steps[:-1]:
        Xt = step.transform(Xt)
    model.fit(Xt, y, **own)


def calibrate(fitted: Pipeline, X_cal: pd.DataFrame, y_cal, method: str, sample_weight=None):
    """Calibrate an already-fitted pipeline on a later slice, without refitting it.

    ``FrozenEstimator`` keeps the fitted model fixed (``ml-anchors-and-tooling.md`` §4.7); the
    calibrator learns only the map from score to probability on ``X_cal``, with the same sample
    weights as the fit (audit findings stand for the caseload only when weighted).
    """
    if method == "none":
        return fitted
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.frozen import FrozenEstimator

    if len(np.unique(np.asarray(y_cal))) < 2:
        raise ModelSpecError("the calibration slice has only one outcome class; cannot calibrate")
    return CalibratedClassifierCV(FrozenEstimator(fitted), method=method).fit(
        X_cal, y_cal, sample_weight=sample_weight)


def odds_ratio_table(
    fitted: Pipeline,
    feature_names: Sequence[str] | None = None,
    *,
    units: Mapping[str, str] | None = None,
    steps: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """The logistic scorecard read as odds ratios a QA lead can use.

    The model is fitted on standardised inputs, so its coefficients are per standard deviation.
    This table converts them back to the indicator's own unit: ``odds_ratio_per_step`` is how
    the odds of the outcome multiply when the indicator rises by ``step`` of its ``unit`` (one
    unit by default; e.g. ``steps={"days_since_last_visit": 30}`` gives "per 30 days"), holding
    the others fixed. ``odds_ratio_per_sd`` is the same per typical (one SD) difference between
    cases. Rows are sorted by the size of the per-SD effect.
    """
    model = fitted.named_steps.get("model")
    scaler = fitted.named_steps.get("scale")
    if model is None or not hasattr(model, "coef_") or scaler is None:
        raise ModelSpecError("odds_ratio_table needs a fitted logistic_scorecard pipeline")
    names = list(feature_names) if feature_names is not None else \
        [str(n) for n in getattr(fitted, "feature_names_in_", range(len(model.coef_[0])))]
    coef_sd = model.coef_[0]
    sd = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
    units = units or {}
    steps = steps or {}
    step = np.array([float(steps.get(n, 1.0)) for n in names])
    coef_unit = coef_sd / sd
    table = pd.DataFrame({
        "feature": names,
        "unit": [units.get(n, "unit") for n in names],
        "step": step,
        "odds_ratio_per_step": np.exp(coef_unit * step),
        "odds_ratio_per_sd": np.exp(coef_sd),
        "sd": sd,
        "direction": np.where(coef_sd > 0, "raises", np.where(coef_sd < 0, "lowers", "none")),
    })
    return table.reindex(table["odds_ratio_per_sd"].map(lambda v: -abs(np.log(v))).sort_values(
        kind="stable").index).reset_index(drop=True)
