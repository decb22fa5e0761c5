"""One adapter that explains any driftflag model's scores as log-odds contributions.

Every explanation has the same shape whatever the model: a DataFrame aligned with the model
matrix, one column per model feature holding that feature's contribution to the case's
**log-odds** (the model margin), plus a ``base_value`` column, such that for every row
``contributions.sum(axis=1) + base_value == margin`` (to 1e-6; tests check it).

* **LightGBM**: TreeSHAP as LightGBM computes it itself (``Booster.predict(X, pred_contrib=True)``,
  raw output; the last column is the expected value). It agrees with ``shap.TreeExplainer``
  (``feature_perturbation="tree_path_dependent"``) to 1e-6, which the tests check on fitted
  models, and costs neither shap's import nor its copy of the trees (the worklist spent about
  2 s on shap at the benchmark LA). :func:`_normalise_shap` is kept for shap's outputs, which
  have flipped between a list of two arrays, a ``(n, features, 2)`` array and a ``(n, features)``
  array across releases (``ml-anchors-and-tooling.md`` §4.2).
* **Logistic regression** (``impute -> StandardScaler -> LogisticRegression`` as
  ``driftflag.models.build()`` makes it): exact. Contribution = coefficient x standardised value,
  base value = intercept (the scaler's means are inside the standardised values). Without a
  scaler the contribution is coefficient x value and the base value the intercept.

* **Rule baseline** (:class:`~driftflag.models.baseline.RuleBaseline`, the first champion):
  exact. Its margin is the weighted count of breached indicators less half the maximum; each
  breached indicator contributes its weight (a log odds ratio), the base value is minus half the
  total weight. So the worklist's reasons for a baseline score are the breaches themselves.

A calibrated model (``CalibratedClassifierCV`` over a ``FrozenEstimator``) is explained through
the model it calibrates: the contributions explain the uncalibrated margin, which the
calibration maps monotonically to the probability, so the ranking of reasons is the same.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from driftflag.errors import DriftflagError

logger = logging.getLogger(__name__)

__all__ = ["CaseExplanations", "ExplainError", "explain", "model_margin", "unwrap_model"]


class ExplainError(DriftflagError):
    """The model cannot be explained (unknown kind, or inputs that do not fit it)."""


def unwrap_model(model: Any) -> tuple[list[Any], Any]:
    """(pre-processing steps, final estimator) of a fitted model, through calibration wrappers."""
    seen = 0
    while hasattr(model, "calibrated_classifiers_") or type(model).__name__ == "FrozenEstimator":
        model = model.estimator
        seen += 1
        if seen > 5:  # pragma: no cover - defensive
            raise ExplainError("model wrappers nest too deeply to explain")
    steps = list(getattr(model, "steps", []))
    if steps:
        return [s for _, s in steps[:-1] if s is not None and s != "passthrough"], steps[-1][1]
    return [], model


def _transform(pre: list[Any], X: pd.DataFrame) -> pd.DataFrame:
    """Run the pipeline's pre-processing as the pipeline does (the first step sees the frame,
    later steps the previous step's array), returning a frame with the original columns."""
    out: Any = X
    for step in pre:
        out = step.transform(out)
    if out is X:
        return X
    return pd.DataFrame(np.asarray(out, dtype=float), index=X.index, columns=X.columns)


def _normalise_shap(values: Any, expected: Any, n: int, f: int) -> tuple[np.ndarray, float]:
    """Any shap binary-classification output -> ``(n, f)`` positive-class log-odds and a scalar."""
    if isinstance(values, list):
        values = values[-1]
    arr = np.asarray(values, dtype=float)
    if arr.ndim == 3:
        arr = arr[:, :, -1]
    if arr.shape != (n, f):
        raise ExplainError(f"unexpected shap output shape {arr.shape} for {n} cases x {f} features")
    exp = np.asarray(expected, dtype=float).ravel()
    return arr, float(exp[-1])


def model_margin(model: Any, X: pd.DataFrame) -> np.ndarray:
    """The model's log-odds (raw margin) for each row, before any calibration."""
    pre, est = unwrap_model(model)
    Z = _transform(pre, X)
    if hasattr(est, "booster_"):
        return np.asarray(est.booster_.predict(Z, raw_score=True), dtype=float)
    if hasattr(est, "decision_function"):
        # after a pre-processing step the estimator was fitted on arrays, as in the pipeline
        return np.asarray(est.decision_function(Z.to_numpy() if pre else Z), dtype=float).ravel()
    raise ExplainError(f"cannot compute a margin for a {type(est).__name__}")


def explain(model: Any, X: pd.DataFrame) -> pd.DataFrame:
    """Log-odds contributions of every feature for every row, plus ``base_value``.

    Parameters
    ----------
    model
        A fitted LightGBM, logistic-regression or rule baseline model, bare or in a ``Pipeline``
        (optionally inside ``CalibratedClassifierCV``).
    X
        The model matrix (columns as the model was fitted), index aligned with the caseload.

    Returns
    -------
    DataFrame with the columns of ``X`` and ``base_value``; ``attrs["model_kind"]`` is
    ``"lightgbm"``, ``"logistic"`` or ``"rule_baseline"``.
    """
    pre, est = unwrap_model(model)
    Z = _transform(pre, X)
    n, f = Z.shape
    if hasattr(est, "booster_"):
        own = np.asarray(est.booster_.predict(Z, pred_contrib=True), dtype=float)
        if own.shape != (n, f + 1):
            raise ExplainError(f"unexpected LightGBM contributions shape {own.shape} for {n} cases x {f} features")
        values, base = own[:, :-1], own[:, -1]
        kind = "lightgbm"
    elif hasattr(est, "coef_") and hasattr(est, "intercept_"):
        coef = np.asarray(est.coef_, dtype=float).reshape(-1)
        if coef.shape[0] != f:
            raise ExplainError(f"the logistic model has {coef.shape[0]} coefficients for {f} features")
        values = Z.to_numpy(dtype=float) * coef
        base = float(np.asarray(est.intercept_, dtype=float).ravel()[-1])
        kind = "logistic"
    elif hasattr(est, "breaches") and hasattr(est, "weights_"):
        weights = np.asarray(est.weights_, dtype=float)
        if weights.shape[0] != f:
            raise ExplainError(f"the rule baseline has {weights.shape[0]} weights for {f} features")
        values = est.breaches(Z.to_numpy(dtype=float) if pre else Z) * weights
        base = -float(weights.sum()) / 2
        kind = "rule_baseline"
    else:
        raise ExplainError(f"cannot explain a {type(est).__name__}: only LightGBM, logistic and rule "
                           "baseline models")
    out = pd.DataFrame(values, index=X.index, columns=X.columns)
    out["base_value"] = base  # a number, or LightGBM's expected value repeated on every row
    out.attrs["model_kind"] = kind
    return out


class CaseExplanations:
    """Every case's contributions, made only for the cases asked for.

    Why: the worklist shows the reasons of the few dozen cases it selects, yet explaining the
    whole open caseload took 4.7 CPU s of LightGBM's TreeSHAP at the benchmark LA (22,790 cases,
    200 trees), most of the worklist's time. Each row's contributions depend on that row alone
    (TreeSHAP per row; coefficient x value; weighted breaches), so :meth:`rows` gives the numbers
    ``explain(model, X)`` gives for those rows, bit for bit
    (``tests/worklist/test_worklist_explain.py``).
    """

    def __init__(self, model: Any, X: pd.DataFrame):
        self.model = model
        self.X = X

    def __len__(self) -> int:
        return len(self.X)

    def rows(self, positions: Any) -> pd.DataFrame:
        """``explain(model, X).reset_index(drop=True).iloc[positions]``: the contributions of the
        cases at ``positions`` (row positions in ``X``), indexed by those positions."""
        pos = np.asarray(positions, dtype=np.intp).reshape(-1)
        if len(pos) == 0 and len(self.X):  # (no row to explain: the shape and kind of one row's)
            out = explain(self.model, self.X.iloc[:1]).iloc[:0]
        else:
            out = explain(self.model, self.X.iloc[pos])
        out.index = pd.Index(pos, dtype=np.int64)
        return out

    def frame(self) -> pd.DataFrame:
        """Every case's contributions: ``explain(model, X)``."""
        return explain(self.model, self.X)
