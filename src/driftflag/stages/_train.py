"""The train stage: panel, labels, temporal folds, MLflow logging, champion and challenger.

:func:`train` is shared by ``driftflag train``, the ``train`` step of ``pipelines/train.yaml``
and ``docs/api.md``, so all three do exactly the same thing. (Moved here from
``driftflag.models.run``: it logs to MLflow and logs the monitoring reference, so it sits above
``models``, ``tracking`` and ``monitoring``.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from driftflag.models.training import TrainConfig, TrainingResult
from driftflag.stages._uris import honours_workspace
from driftflag.workspace import Workspace


@dataclass
class TrainingRun:
    """What a training run produced: the fold results and the registered versions."""

    result: TrainingResult
    registered: dict[str, str] = field(default_factory=dict)  # spec name -> version
    run_ids: dict[str, str] = field(default_factory=dict)
    model_name: str = ""
    champion: str | None = None  # version aliased champion after the run
    challenger: str | None = None  # version aliased challenger (never the champion)
    champion_reason: str = ""

    def aliases_line(self) -> str:
        """One line for people: which version serves and which one the gate will judge."""
        spec_of = {v: s for s, v in self.registered.items()}
        champ = (f"champion v{self.champion} ({spec_of.get(self.champion, 'an earlier run')}): "
                 f"{self.champion_reason}") if self.champion else "no champion"
        chall = (f"; challenger v{self.challenger} ({spec_of.get(self.challenger, '')}) waits for "
                 "the promotion gate (`driftflag models promote`)") if self.challenger else ""
        return champ + chall
    #: spec name -> figures against a synthetic LA's truth (empty for a real council)
    truth: dict[str, Any] = field(default_factory=dict)

    def summary_frame(self) -> pd.DataFrame:
        """Pooled headline metrics, model by model (the side-by-side table)."""
        mt = self.result.metric_table
        rows = []
        for name in self.registered:
            row = {"model": name, "version": self.registered[name]}
            for metric in ("roc_auc", "average_precision", "precision_at_k", "recall_at_k",
                           "brier", "ece"):
                try:
                    row[metric] = mt.value(name, metric)
                except (KeyError, ValueError):
                    row[metric] = float("nan")
            if name in self.truth:  # a synthetic LA: the figures against its true drift
                t = self.truth[name]
                row.update({"truth_expected_auc": t.expected_auc, "truth_best_auc": t.best_auc,
                            f"truth_top{t.k}_capture": t.capture})
            rows.append(row)
        return pd.DataFrame(rows)


def run_training(
    store_path: Path,
    cfg: TrainConfig,
    *,
    models_dir: Path,
    workspace: Path,
    progress: Callable[[str], None] | None = None,
) -> TrainingRun:
    """Train every model spec named in ``cfg`` on the store, log each, and settle the aliases.

    The run's rule baseline becomes the champion when there is none yet (or the champion is an
    older rule baseline); its best other model becomes the challenger, which only the gate
    (:func:`driftflag.tracking.promote`) can make champion. So a worklist can always be drawn.
    """
    from driftflag._memory import release_free_memory
    from driftflag.casemodel.store import read_store
    from driftflag.indicators import load_registry, panel
    from driftflag.models.spec import load_specs
    from driftflag.models.training import train_models
    from driftflag.targets import build_labels
    from driftflag.tracking import log_training_run, settle_after_training

    step = progress or (lambda _m: None)
    specs = load_specs(models_dir, cfg.models)
    cs = read_store(store_path)
    reg = load_registry()
    t = cfg.temporal
    step("feature panel")
    p = panel(cs, t.feature_start, t.feature_end)
    step("labels")
    ls = build_labels(cs, p[["child_id", "as_of"]], cfg.learns, horizon_months=cfg.horizon_months,
                      min_audits=cfg.min_audits, min_findings=cfg.min_audit_findings)
    step(f"labels: {ls.target} ({ls.note})")
    # the store is not read again: let it go before the fits (0.9 GB at 400,000 children,
    # resident through every fit otherwise); its manifest is all the run logs of it
    store_manifest = dict(cs.manifest)
    del cs
    release_free_memory()
    t = t.model_copy(update={"label_timespan_months": ls.horizon_months})
    step("temporal folds")
    result = train_models(p, ls.labels, specs, t, registry=reg, k=cfg.k, n_boot=cfg.n_boot,
                          random_state=cfg.random_state,
                          weight_column="weight" if ls.weighted else None,
                          grade_column="grade" if ls.graded else None)
    result.meta["labels"] = ls
    truth = judge_against_truth(result, cfg.truth_dir)
    manifest = {"store": store_manifest, "registry": reg.label, "rows": result.meta["n_rows"]}
    run = TrainingRun(result=result, truth=truth)
    for spec in specs:
        step(f"logging {spec.name}")
        feats = result.meta["features_by_spec"][spec.name]
        rows = result.predictions[result.predictions["model"] == spec.name]
        res = log_training_run(
            workspace=workspace, target=cfg.target, spec=spec, model=result.final_models[spec.name],
            feature_names=feats, metric_table=result.metric_table, model_label=spec.name,
            split_plan=result.split_plan(spec.calibration.months if spec.calibration.method != "none" else 0),
            data_manifest=manifest,
            config=cfg.model_dump(mode="json"), test_y=rows["y_true"].to_numpy(),
            test_scores=rows["score"].to_numpy(),
            data_summary=f"{result.meta['n_rows']} monthly case snapshots, base rate "
                         f"{result.meta['base_rate']:.3f}",
            predicts=ls.target, predicts_note=ls.note,
            truth_metrics=truth[spec.name].metrics() if spec.name in truth else None,
        )
        _log_coverage(workspace, res.run_id, result)
        run.registered[spec.name] = str(res.version)
        run.run_ids[spec.name] = res.run_id
        run.model_name = res.registered_name
        _log_monitoring_reference(workspace, res.run_id, spec, reg, p, result, feats)
    step("champion and challenger")
    settled = settle_after_training(workspace, cfg.target, run.registered, result.baseline)
    run.champion, run.challenger = settled["champion"], settled["challenger"]
    run.champion_reason = settled["reason"] or ""
    return run


def _log_coverage(workspace, run_id, result) -> None:
    """MLflow params: the features left out because their source does not cover the training
    months (knowledge dates), the threshold and the month compared against."""
    from driftflag.tracking import use_workspace

    client = use_workspace(workspace)
    dropped = result.meta.get("dropped_features", {})
    client.log_param(run_id, "features_dropped_for_coverage", (", ".join(sorted(dropped)) or "none")[:500])
    client.log_param(run_id, "feature_coverage_min_ratio", str(result.meta.get("coverage_min_ratio")))
    client.log_param(run_id, "feature_coverage_reference_month",
                     str(result.meta.get("coverage_reference_month")))
    if dropped:
        client.log_dict(run_id, dropped, "features_dropped_for_coverage.json")

def judge_against_truth(result: TrainingResult, truth_dir: Path | None) -> dict[str, Any]:
    """Each model's test-month scores of every open case against a synthetic LA's true drift
    probability (``evaluation.truth_report``); empty when there is no truth to judge against."""
    from driftflag.evaluation import read_truth, truth_report

    truth = read_truth(truth_dir) if truth_dir is not None else None
    if truth is None or result.open_case_scores is None:
        return {}
    return {name: truth_report(g, truth)
            for name, g in result.open_case_scores.groupby("model", sort=False)}


def _log_monitoring_reference(workspace, run_id, spec, reg, panel_frame, result, feats) -> None:
    """Log what ``driftflag monitor`` compares later months against: the training inputs'
    distributions and scores (aggregates only, no child-level rows). The model scores the raw
    panel itself: its feature encoding is part of it."""
    from driftflag.monitoring import build_reference
    from driftflag.tracking import use_workspace

    model = result.final_models[spec.name]
    raw = [str(f) for f in model.named_steps["encode"].features_]
    score = model.predict_proba(panel_frame)[:, 1]
    ref = build_reference(panel_frame.assign(score=score), raw, "score",
                          label=f"{spec.name} training panel")
    client = use_workspace(workspace)
    client.log_text(run_id, ref.to_json(), "monitoring/reference.json")


@honours_workspace
def train(
    store: Path,
    config: TrainConfig,
    *,
    workspace: Workspace,
    models_dir: Path = Path("models"),
    progress: Callable[[str], None] | None = None,
) -> TrainingRun:
    """Train every model spec ``config`` names on the case store at ``store`` and register each
    version in ``workspace`` (see :func:`run_training`). Prints nothing."""
    return run_training(Path(store), config, models_dir=Path(models_dir), workspace=workspace.path,
                        progress=progress)
