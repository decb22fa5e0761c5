"""Say, in plain words, what the model behind a worklist predicts.

A QA lead reading the list must know what "highest risk" means: the registered champion was
trained on one label (``targets.TARGETS``; its run carries the tag ``driftflag.predicts``), and the
worklist's "Model" line says which, in the words of the model card.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

logger = logging.getLogger(__name__)

__all__ = ["KIND_WORDS", "ModelWords", "describe_model", "model_with_target_words", "model_words",
           "training_months"]


def _predicts_tag(uri: str, workspace: Path | None) -> str | None:
    """The ``driftflag.predicts`` tag of the run behind a ``models:/`` URI (None if not found)."""
    from mlflow.tracking import MlflowClient

    from driftflag.tracking import resolve_workspace, use_workspace

    use_workspace(resolve_workspace(workspace, create=False))
    client = MlflowClient()
    ref = uri.removeprefix("models:/")
    if "@" in ref:
        name, alias = ref.split("@", 1)
        mv = client.get_model_version_by_alias(name, alias)
    else:
        name, version = ref.rsplit("/", 1)
        mv = client.get_model_version(name, version)
    return _predicts_of(client.get_run(mv.run_id).data.tags)


def _predicts_of(tags: dict[str, str]) -> str | None:
    """A run's target with the label window it was trained on (``"drift_milestone_count@3"``),
    from its ``driftflag.predicts`` (or older ``driftflag.target``) and ``driftflag.label_months`` tags."""
    predicts = tags.get("driftflag.predicts") or tags.get("driftflag.target")
    months = tags.get("driftflag.label_months", "")
    return f"{predicts}@{months}" if predicts and months.isdigit() else predicts


def model_with_target_words(label: str, *, workspace: Path | None = None) -> str:
    """``label`` followed by what the model ranks by, when it is a registered model (a model from a
    file records no label: it keeps its name)."""

    if not label.startswith("models:/"):
        return label
    try:
        predicts = _predicts_tag(label, workspace)
    except Exception as e:  # noqa: BLE001 - a description must never stop a worklist
        logger.warning("cannot read what %s predicts: %s", label, e.__class__.__name__)
        return label
    return f"{label}: ranks open cases by {target_words(predicts)}" if predicts else label


def target_words(predicts: str) -> str:
    """What a run predicts in words, with the label window it was trained on when the run says
    (``"drift_milestone_count@3"``: the tag and the run's ``driftflag.label_months``)."""
    from driftflag.targets import describe_target

    target, _, months = predicts.partition("@")
    return describe_target(target, int(months)) if months else describe_target(target)


#: Model kinds in words (the spec's ``kind``).
KIND_WORDS: dict[str, str] = {
    "rule_baseline": "the drift rules (a fixed count of rule breaches, not learnt from data)",
    "logistic_scorecard": "a points scorecard learnt from this council's records (logistic regression)",
    "lightgbm": "a decision-tree model learnt from this council's records (LightGBM)",
}


@dataclass(frozen=True)
class ModelWords:
    """The worklist's "Model" line in plain words, and the registry reference for the data
    scientist (kept on the methods sheet, not in the line people read)."""

    plain: str
    reference: str


def _month_name(d: date) -> str:
    return d.strftime("%B %Y")


def training_months(config: dict) -> tuple[date, date] | None:
    """First and last as-of month the final model was fitted on: every monthly snapshot from the
    training config's ``feature_start`` whose label window (``label_timespan_months``) closed by
    ``feature_end`` (the months training refits the model on)."""
    t = config.get("temporal") or {}
    try:
        first = date.fromisoformat(str(t["feature_start"]))
        end = date.fromisoformat(str(t["feature_end"]))
        months = int(t.get("label_timespan_months") or config.get("horizon_months") or 0)
    except (KeyError, TypeError, ValueError):
        return None
    # the last month start d with d + months <= feature_end
    last_index = end.year * 12 + end.month - 1 - months
    last = date(last_index // 12, last_index % 12 + 1, 1)
    if first.day != 1:  # snapshots are taken on month starts: the first on or after feature_start
        first = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return (first, last) if last >= first else None


def describe_model(in_use, *, trained_on: date | None, config: dict | None, predicts: str | None) -> ModelWords:
    """Say which model ranks the list, what it predicts, when and on which months it was trained."""

    kind = KIND_WORDS.get(in_use.kind, (in_use.spec or in_use.kind or "a registered model").replace("_", " "))
    role = "the model in use (champion)" if "champion" in in_use.aliases else "a model named for this list"
    parts = [f"Ranked by {kind}, {role}"]
    if predicts:
        parts.append(f"it ranks open cases by {target_words(predicts)}")
    when = []
    if trained_on is not None:
        when.append(f"trained on {trained_on.day} {_month_name(trained_on)}")
    window = training_months(config or {}) if in_use.kind != "rule_baseline" else None
    if window:
        when.append(f"from the monthly records of {_month_name(window[0])} to {_month_name(window[1])}")
    text = "; ".join(parts) + ("; " + " ".join(when) if when else "") + "."
    return ModelWords(plain=text, reference=f"{in_use.label} (run {in_use.run_id})" if in_use.run_id
                      else in_use.label)


def _run_config(mlflow, artifact_uri: str) -> dict | None:
    """The training config logged with the run (``config.json``), read without a progress bar;
    None for an old run without one."""
    import json
    import os
    from urllib.parse import unquote, urlparse

    try:
        parsed = urlparse(artifact_uri)
        if parsed.scheme in ("", "file"):
            return json.loads((Path(unquote(parsed.path)) / "config.json").read_text(encoding="utf-8"))
        os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
        return mlflow.artifacts.load_dict(f"{artifact_uri}/config.json")
    except Exception:  # noqa: BLE001 - no config: the line says no months
        return None


def model_words(workspace: Path, target: str, ref: str | None) -> ModelWords | None:
    """:func:`describe_model` for the registered version ``ref`` (default the champion) of
    ``target``'s model; None when the registry cannot say (a description never stops a list)."""
    try:
        import mlflow
        from mlflow.tracking import MlflowClient

        from driftflag.tracking import in_use as registry_in_use

        used = registry_in_use(workspace, target, ref)
        run = MlflowClient().get_run(used.run_id)
        config = _run_config(mlflow, run.info.artifact_uri)
        tags = run.data.tags
        started = datetime.fromtimestamp(run.info.start_time / 1000, tz=UTC).date()
        return describe_model(used, trained_on=started, config=config, predicts=_predicts_of(tags))
    except Exception as e:  # noqa: BLE001 - a description must never stop a worklist
        logger.warning("cannot describe the model in words: %s", e.__class__.__name__)
        return None
