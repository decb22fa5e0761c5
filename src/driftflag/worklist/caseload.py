"""The scored caseload: every open case on the first day of the month, scored and explained.

This is the seam between the models (stage 4) and the worklist. :func:`build_caseload` takes
the as-of snapshot (:func:`driftflag.indicators.snapshot`) and adds what a QA lead needs to see
but a model never uses (the worker's name, the current placement type for the
connected-carers theme). :func:`score_caseload` scores it with a registered model (a pipeline
whose first step encodes the snapshot columns, :mod:`driftflag.models.encoding`), or any fitted
sklearn-style model whose ``feature_names_in_`` are model-matrix columns (one-hot columns named
``feature=value``), and explains every score.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from driftflag.errors import ConfigError, SchemaError
from driftflag.worklist.explain import CaseExplanations, explain
from driftflag.worklist.policy import DEFAULT_RULE_FLAGS
from driftflag.worklist.reasons import is_protected_feature
from driftflag.worklist.sampling import month_start

logger = logging.getLogger(__name__)

__all__ = ["blank_uncovered", "build_caseload", "load_model", "model_matrix", "score_caseload"]


def build_caseload(store, month) -> pd.DataFrame:
    """Snapshot on the first day of ``month`` plus ``worker_name`` and current ``placement``."""
    from driftflag.indicators import snapshot

    as_of = month_start(month)
    snap = snapshot(store, as_of.date())
    workers = store["workers"][["worker_id", "worker_name"]].drop_duplicates("worker_id")
    snap = snap.merge(workers, on="worker_id", how="left")
    eps = store["lac_episodes"]
    if len(eps) and {"child_id", "decom", "place"} <= set(eps.columns):
        end = eps["dec"] if "dec" in eps.columns else pd.Series(pd.NaT, index=eps.index)
        cur = eps[(eps["decom"] <= as_of) & (end.isna() | (end > as_of))]
        cur = cur.sort_values(["child_id", "decom"]).drop_duplicates("child_id", keep="last")
        snap = snap.merge(cur[["child_id", "place"]].rename(columns={"place": "placement"}),
                          on="child_id", how="left")
    else:
        snap["placement"] = pd.Series(pd.NA, index=snap.index, dtype="str")
    return snap.sort_values("child_id", kind="stable").reset_index(drop=True)


def model_matrix(caseload: pd.DataFrame, feature_names: list[str]) -> pd.DataFrame:
    """The model's input columns built from snapshot columns (one-hot ``feature=value``)."""
    from driftflag.models.encoding import FeatureEncoder

    protected = [f for f in feature_names if is_protected_feature(f)]
    if protected:
        logger.warning("the model uses protected characteristics (allowed by its spec): %s",
                       ", ".join(protected))
    encoder = FeatureEncoder.from_model_columns(feature_names)
    absent = [b for b in encoder.features_ if b not in caseload.columns]
    if absent:
        raise SchemaError(f"the snapshot lacks the model's feature column(s): {', '.join(absent)}")
    return encoder.transform(caseload)


def score_caseload(store, month, model: Any, *, caseload: pd.DataFrame | None = None,
                   rule_flags: tuple[str, ...] = DEFAULT_RULE_FLAGS,
                   explain_all: bool = True) -> tuple[pd.DataFrame, pd.DataFrame | CaseExplanations]:
    """Score and explain every open case: (caseload with ``score`` and ``rule_score``,
    contributions aligned with it).

    ``explain_all=False`` gives the contributions as a :class:`CaseExplanations`, made only for
    the cases :func:`~driftflag.worklist.sampling.sample_worklist` selects (the same numbers;
    most of the worklist's time at the benchmark LA was explaining cases it does not show)."""
    from driftflag.errors import DriftflagError
    from driftflag.models.encoding import split_scoring_pipeline

    cl = build_caseload(store, month) if caseload is None else caseload.reset_index(drop=True)
    cl = blank_uncovered(cl, store, month)
    try:
        encoder, fitted = split_scoring_pipeline(model)  # the encoding the model carries
    except DriftflagError as e:
        raise SchemaError(str(e)) from e
    absent = [b for b in encoder.features_ if b not in cl.columns]
    if absent:
        raise SchemaError(f"the snapshot lacks the model's feature column(s): {', '.join(absent)}")
    protected = [f for f in encoder.columns_ if is_protected_feature(f)]
    if protected:
        logger.warning("the model uses protected characteristics (allowed by its spec): %s",
                       ", ".join(protected))
    X = encoder.transform(cl)
    cl = cl.copy()
    cl["score"] = np.asarray(fitted.predict_proba(X))[:, 1]
    present = [f for f in rule_flags if f in cl.columns]
    cl["rule_score"] = cl[present].astype("boolean").fillna(False).to_numpy(dtype=bool).sum(axis=1) \
        if present else 0
    scores, contrib = cl, (explain(fitted, X) if explain_all else CaseExplanations(fitted, X))
    scores.attrs["not_available"] = dict(cl.attrs.get("not_available", {}))
    return scores, contrib


def blank_uncovered(caseload: pd.DataFrame, store, month) -> pd.DataFrame:
    """The caseload with every indicator its sources do not cover on the month's first day
    blanked (:func:`driftflag.indicators.sources.uncovered_indicators`): not a model input, not
    a rule breach, not a reason; ``attrs["not_available"]`` maps each to why, for the outputs."""
    from driftflag.indicators.sources import uncovered_indicators

    as_of = month_start(month)
    gaps = uncovered_indicators(store, as_of, [c for c in caseload.columns])
    out = caseload.copy()
    for ind in gaps:
        col = out[ind]
        if str(col.dtype) == "boolean" or pd.api.types.is_bool_dtype(col):
            out[ind] = pd.Series(pd.NA, index=out.index, dtype="boolean")
        elif pd.api.types.is_numeric_dtype(col):
            out[ind] = np.nan
        else:
            out[ind] = pd.Series(pd.NA, index=out.index, dtype=col.dtype)
    if gaps:
        logger.info("not available on %s (their sources do not cover it): %s", as_of.date(),
                    ", ".join(sorted(gaps)))
    out.attrs["not_available"] = gaps
    return out


def load_model(model: str | None, *, workspace: Path | None, target: str, version: str | None) -> tuple[Any, str]:
    """The model to score with and a line saying which model it is and why it is in use.

    Models load only from the workspace's registry (:func:`driftflag.tracking.load_model`):
    ``model`` or ``version`` names a registered version or alias; without either, the champion
    (the rule baseline until a model passes the promotion gate). A model file is refused: opening
    one can run any code in it.
    """
    from driftflag.tracking import load_model as load_registered

    if model and version and model != version:
        raise ConfigError("give --model or --version, not both")
    loaded = load_registered(workspace, target, model or version)
    return loaded.pipeline, loaded.label
