"""Evidence with power: the lists a model version would have made over a year of past months.

One month's list of 40 cannot judge a group of 300 children, and a model's own training and
calibration months cannot judge it at all (it has seen their outcomes). The champion is refitted
on every month whose outcome has closed, so *no* month after its training and calibration
windows has a known outcome yet. The back-test therefore does what the model's own temporal
validation does (Timechop's rolling origin, :mod:`driftflag.models.splits`): the model version's
recipe (its spec: features, hyperparameters, calibration) is refitted as of each test block on
months whose outcomes had closed before that block, and scores the block's open caseloads.
Pooled over (at least) 12 test months, each month's list is the top-k of that month, and every
open case with a known outcome counts for the whole-caseload metrics (AUC, calibration).

Training, calibration and test months never overlap inside a fold (checked, and named in the
report); the months judged are the newest ``months`` whose outcome windows closed by the data's
end, because they are the nearest to how the model will be used.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from driftflag.errors import ConfigError

__all__ = ["BacktestEvidence", "backtest_caseload", "backtest_plan", "common_calibration",
           "pooled_caseload"]

logger = logging.getLogger(__name__)


@dataclass
class BacktestEvidence:
    """A pooled scored caseload (one row per open case and month) and where it comes from.

    ``frame`` is what :func:`~driftflag.fairness.build_fairness_report` takes (with ``as_of``:
    the lists are made per month); ``evidence`` is shown at the top of the pack.
    """

    frame: pd.DataFrame
    feature_columns: list[str]
    months: list[str]
    evidence: dict[str, Any]
    model_label: str
    version: str | None = None
    run_id: str | None = None
    model_card: str | None = None
    folds: list[dict[str, Any]] = field(default_factory=list)


def backtest_plan(temporal: Any, months: int = 12, calibration_months: int = 0):
    """The back-test's :class:`~driftflag.models.splits.TemporalConfig` and a description.

    Test blocks of three months (four refits for 12 months) when the data allow, else fewer
    test months (never under 3); each fold's training as-of dates close their outcome windows by
    its first test month, and its calibration months are the last ``calibration_months`` of
    them. Raises :class:`ConfigError` when not even 3 test months fit.
    """
    from pydantic import ValidationError

    from driftflag.models.splits import TemporalConfig, temporal_splits

    base = {"feature_start": temporal.feature_start, "feature_end": temporal.feature_end,
            "label_timespan_months": temporal.label_timespan_months,
            "min_training_as_of": max(temporal.min_training_as_of, calibration_months + 2),
            "max_training_history_months": temporal.max_training_history_months}
    tries = []
    for total in range(months, 2, -1):
        if total % 3 == 0 and total // 3 >= 3:
            tries.append((3, total // 3))
        tries.append((1, total))
    for span, folds in tries:
        try:
            cfg = TemporalConfig(**base, test_span_months=span, n_folds=folds)
        except ValidationError:
            continue
        splits = temporal_splits(cfg)
        table = []
        for s in splits:
            fit, cal = s.calibration_slice(calibration_months)
            if set(fit) & set(cal) or set(s.train_as_of) & set(s.test_as_of) \
                    or s.train_label_end > s.test_as_of[0]:
                raise AssertionError(f"back-test fold {s.name} overlaps its training months")
            table.append({
                "test_months": [d.strftime("%Y-%m") for d in s.test_as_of],
                "fit_months": f"{fit[0]:%Y-%m} to {fit[-1]:%Y-%m}",
                "calibration_months": (f"{cal[0]:%Y-%m} to {cal[-1]:%Y-%m}" if cal else "none"),
                "outcomes_known_by": f"{s.train_label_end:%Y-%m-%d}",
            })
        return cfg, table
    raise ConfigError(
        f"the data from {temporal.feature_start} to {temporal.feature_end} leave fewer than 3 "
        f"test months after a model's training and calibration windows: the fairness back-test "
        f"needs a longer history")


def pooled_caseload(predictions: pd.DataFrame, panel: pd.DataFrame,
                    feature_columns: list[str]) -> pd.DataFrame:
    """Back-test predictions (``child_id``, ``as_of``, ``y_true``, ``score``) joined to the
    panel's audit columns and raw features: the pooled scored caseload."""
    audit = [c for c in panel.columns if c.startswith("audit_")]
    keep = ["child_id", "as_of", *audit, *[f for f in feature_columns if f in panel.columns]]
    p = panel[keep].copy()
    pred = predictions[["child_id", "as_of", "y_true", "score"]].rename(columns={"y_true": "label"})
    pred["as_of"] = pd.to_datetime(pred["as_of"])
    p["as_of"] = pd.to_datetime(p["as_of"])
    frame = pred.merge(p, on=["child_id", "as_of"], how="left", validate="one_to_one")
    return frame.sort_values(["as_of", "child_id"], kind="stable").reset_index(drop=True)


def _run_artifacts(workspace: Path, target: str, version: str | None):
    """(version, run_id, label, config dict, spec dict, split plan, card html) from MLflow."""
    import mlflow.artifacts

    from driftflag.tracking import CHAMPION, model_name, resolve_workspace, use_workspace

    ws = resolve_workspace(workspace, create=False)
    client = use_workspace(ws)
    name = model_name(target)
    try:
        mv = (client.get_model_version(name, str(version)) if version
              else client.get_model_version_by_alias(name, CHAMPION))
    except Exception as e:  # noqa: BLE001 - MLflow raises its own types for a missing version
        which = f"version {version}" if version else "champion"
        raise ConfigError(f"{name} has no {which} in {ws}") from e
    run = client.get_run(mv.run_id)
    uri = run.info.artifact_uri

    def load(path: str, kind: str = "dict"):
        try:
            return (mlflow.artifacts.load_dict(f"{uri}/{path}") if kind == "dict"
                    else mlflow.artifacts.load_text(f"{uri}/{path}"))
        except Exception:  # noqa: BLE001 - an older run may lack the artifact; say so later
            return None

    cfg, spec = load("config.json"), load("model_spec.json")
    if cfg is None or spec is None:
        raise ConfigError(f"{name} version {mv.version}: its run has no config.json or "
                          f"model_spec.json, so its training window cannot be read")
    return (str(mv.version), mv.run_id, f"{name} version {mv.version}", cfg, spec,
            load("split_plan.json"), load("model_card.html", "text") or
            load("model_card.md", "text"), ws)


#: The last back-test computed in this process, by (store state, run id, target, months). The
#: training pipeline judges the challenger's back-test in its promote step and then writes the
#: pack of the same version, now champion, in its fairness step: the second is this one, not a
#: second set of refits. Held in memory only (child-level rows are never written for it), one
#: entry at a time.
_LAST: dict[tuple, BacktestEvidence] = {}


def _store_state(store: Path) -> tuple:
    """What identifies a store's contents cheaply: every file's name, size and modification time
    (an ingest rewrites the store's files; a hand edit changes them)."""
    root = Path(store)
    return tuple(sorted((str(p.relative_to(root)), st.st_size, st.st_mtime_ns)
                        for p in root.rglob("*") if p.is_file() and (st := p.stat())))


def _copy(bt: BacktestEvidence) -> BacktestEvidence:
    """A copy its caller may change without changing the remembered one."""
    import copy

    return BacktestEvidence(frame=bt.frame.copy(), feature_columns=list(bt.feature_columns),
                            months=list(bt.months), evidence=copy.deepcopy(bt.evidence),
                            model_label=bt.model_label, version=bt.version, run_id=bt.run_id,
                            model_card=bt.model_card, folds=copy.deepcopy(bt.folds))


def backtest_caseload(store: Path, *, workspace: Path | None = None, version: str | None = None,
                      target: str = "future_drift", months: int = 12) -> BacktestEvidence:
    """The pooled back-test caseload of a model version (default: the champion).

    Reads the version's training config (feature window, label window) and spec from its MLflow
    run, refits the spec per back-test fold, scores each test month's open cases and labels them.
    The same version's back-test on an unchanged store, asked again in this process, is the one
    already computed (it is a pure function of the store and the version's run).
    """
    artifacts = _run_artifacts(workspace, target, version)
    key = (_store_state(store), artifacts[1], target, months)
    if key in _LAST:
        return _copy(_LAST[key])
    bt = _backtest(store, artifacts, months)
    _LAST.clear()
    _LAST[key] = bt
    return _copy(bt)


def _backtest(store: Path, artifacts: tuple, months: int) -> BacktestEvidence:
    """The back-test itself (see :func:`backtest_caseload`)."""
    from driftflag.casemodel import read_store
    from driftflag.indicators import load_registry, panel
    from driftflag.models.spec import ModelSpec
    from driftflag.models.training import TrainConfig, train_models
    from driftflag.targets import TargetConfig, future_drift

    version, run_id, label, cfg_d, spec_d, split_plan, card, _ws = artifacts
    train_cfg = TrainConfig.model_validate(cfg_d)
    spec = ModelSpec.model_validate(spec_d)
    t = train_cfg.temporal
    cal = spec.calibration.months if spec.calibration.method != "none" else 0
    bt_cfg, folds = backtest_plan(t, months, cal)
    cs = read_store(store)
    reg = load_registry()
    pnl = panel(cs, t.feature_start, t.feature_end)
    labels = future_drift(cs, cohort=pnl[["child_id", "as_of"]],
                          config=TargetConfig(horizon_months=train_cfg.horizon_months))
    # only the folds' predictions are judged: no final refit
    res = train_models(pnl, labels, [spec], bt_cfg, registry=reg, k=train_cfg.k, n_boot=10,
                       random_state=train_cfg.random_state, refit=False)
    raw = spec.resolve_features(reg.model_features())
    frame = pooled_caseload(res.predictions, pnl, list(raw))
    calibration_note = ""
    if spec.calibration.method == "none":
        frame["predicted"] = common_calibration(frame["score"].to_numpy(),
                                                frame["label"].to_numpy())
        calibration_note = (
            f" {spec.name}'s scores rank cases but are not probabilities (it has no "
            f"calibration), so for observed / predicted they are turned into the outcome rate "
            f"by one map fitted on every group together (isotonic, on the months judged): "
            f"the comparison asks whether the same score means the same risk for every group. "
            f"The lists are made from the scores as the model makes them.")
    test_months = sorted({m for f in folds for m in f["test_months"]})
    champ = _champion_window(t, split_plan, cal)
    evidence = {
        "source": "back-test",
        "months": test_months,
        "n_months": len(test_months),
        "why": (f"The newest {len(test_months)} months whose outcomes (drift within "
                f"{train_cfg.horizon_months} months) are known by the end of the data "
                f"({t.feature_end:%Y-%m-%d}). {champ} So the model's own recipe "
                f"({spec.name}: same features, settings and calibration) was refitted "
                f"{len(folds)} times, each time only on months whose outcomes were known before "
                f"the months it then listed, as the model's own validation does. Each month's "
                f"list is the top cases of that month; the figures pool every month."
                + calibration_note),
        "folds": folds,
        "champion_window": champ,
        "rows": int(len(frame)),
    }
    return BacktestEvidence(frame=frame, feature_columns=[f for f in raw if f in frame.columns],
                            months=test_months, evidence=evidence, model_label=label,
                            version=version, run_id=run_id, model_card=card, folds=folds)


def common_calibration(score, label):
    """One non-decreasing map of scores to outcome rates, fitted on every labelled row of every
    group together (isotonic regression), for scores that are not probabilities.

    Rows without a label get the map too. Observed / predicted by group then compares each
    group with what the same scores mean for everyone: a ratio off 1 says a group's cases with
    a given score drift more (or less) often than others' with that score.
    """
    import numpy as np
    from sklearn.isotonic import IsotonicRegression

    score = np.asarray(score, dtype=float)
    label = np.asarray(label, dtype=float)
    known = np.isfinite(label)
    if known.sum() < 2 or len(np.unique(label[known])) < 2:
        return np.clip(score, 0.0, 1.0)
    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
    iso.fit(score[known], label[known])
    return np.clip(iso.predict(score), 0.0, 1.0)


def _champion_window(temporal: Any, split_plan: Any, calibration_months: int) -> str:
    """One sentence on the version's own training and calibration windows."""
    from driftflag.models.splits import add_months, month_starts

    last = None
    for d in month_starts(temporal.feature_start, temporal.feature_end):
        if add_months(d, temporal.label_timespan_months) <= temporal.feature_end:
            last = d
    if last is None:
        return "The model has no closed training month."
    cal = (f", its calibration window the last {calibration_months} of them (to {last:%Y-%m})"
           if calibration_months else "")
    return (f"The model itself was trained on every month from {temporal.feature_start:%Y-%m} "
            f"to {last:%Y-%m}{cal}: every month with a known outcome is inside its training or "
            f"calibration window, and none can judge it.")

