"""The scored caseload: every open case on the first day of the month, scored and explained.

This is the seam between the models (stage 4) and the worklist. :func:`build_caseload` takes
the as-of snapshot (:func:`driftflag.indicators.snapshot`) and adds what a QA lead needs to see
but a model never uses (the worker's name, the current placement type for the
connected-carers theme). :func:`score_caseload` scores it with any fitted sklearn-style model
whose ``feature_names_in_`` are snapshot columns (one-hot columns named ``feature=value``, as
``driftflag.models.training.prepare_features`` makes them) and explains every score.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from driftflag.errors import ConfigError, SchemaError
from driftflag.worklist.explain import explain
from driftflag.worklist.policy import DEFAULT_RULE_FLAGS
from driftflag.worklist.reasons import is_protected_feature
from driftflag.worklist.sampling import month_start

logger = logging.getLogger(__name__)

__all__ = ["build_caseload", "load_model", "model_matrix", "score_caseload"]


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
    from driftflag.models.training import prepare_features

    protected = [f for f in feature_names if is_protected_feature(f)]
    if protected:
        logger.warning("the model uses protected characteristics (allowed by its spec): %s",
                       ", ".join(protected))
    bases = list(dict.fromkeys(f.split("=")[0] for f in feature_names))
    absent = [b for b in bases if b not in caseload.columns]
    if absent:
        raise SchemaError(f"the snapshot lacks the model's feature column(s): {', '.join(absent)}")
    cats: dict[str, list[str]] = {}
    for f in feature_names:
        if "=" in f:
            b, v = f.split("=", 1)
            cats.setdefault(b, []).append(v)
    X, _ = prepare_features(caseload, bases, cats)
    return X.reindex(columns=feature_names, fill_value=0.0)


def score_caseload(store, month, model: Any, *, caseload: pd.DataFrame | None = None,
                   rule_flags: tuple[str, ...] = DEFAULT_RULE_FLAGS) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Score and explain every open case: (caseload with ``score`` and ``rule_score``,
    contributions aligned with it)."""
    cl = build_caseload(store, month) if caseload is None else caseload.reset_index(drop=True)
    names = [str(c) for c in getattr(model, "feature_names_in_", [])]
    if not names:
        raise SchemaError("the model does not record its feature names (feature_names_in_)")
    X = model_matrix(cl, names)
    cl = cl.copy()
    cl["score"] = np.asarray(model.predict_proba(X))[:, 1]
    present = [f for f in rule_flags if f in cl.columns]
    cl["rule_score"] = cl[present].astype("boolean").fillna(False).to_numpy(dtype=bool).sum(axis=1) \
        if present else 0
    return cl, explain(model, X)


def load_model(model: str | None, *, workspace: Path | None, target: str, version: str | None) -> tuple[Any, str]:
    """The model to score with and a line saying which model it is and why it is in use.

    Models load only from the workspace's registry (:func:`driftflag.tracking.load_registered_model`):
    ``model`` or ``version`` names a registered version or alias; without either, the champion
    (the rule baseline until a model passes the promotion gate). A model file is refused: opening
    one can run any code in it.
    """
    from driftflag.tracking import load_registered_model, resolve_workspace

    if model and version and model != version:
        raise ConfigError("give --model or --version, not both")
    ws = resolve_workspace(workspace, create=False)
    fitted, use = load_registered_model(ws, target, model or version)
    return fitted, use.label
