"""Say, in plain words, what the model behind a worklist predicts.

A QA lead reading the list must know what "highest risk" means: the registered champion was
trained on one label (``targets.TARGETS``; its run carries the tag ``driftflag.predicts``), and the
worklist's "Model" line says which, in the words of the model card.
"""

from __future__ import annotations

import logging
from pathlib import Path

logger = logging.getLogger(__name__)

__all__ = ["model_with_target_words"]


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
    tags = client.get_run(mv.run_id).data.tags
    predicts = tags.get("driftflag.predicts") or tags.get("driftflag.target")
    months = tags.get("driftflag.label_months", "")
    return f"{predicts}@{months}" if predicts and months.isdigit() else predicts


def model_with_target_words(label: str, *, workspace: Path | None = None) -> str:
    """``label`` followed by what the model ranks by, when it is a registered model (a model from a
    file records no label: it keeps its name)."""
    from driftflag.targets import describe_target

    if not label.startswith("models:/"):
        return label
    try:
        predicts = _predicts_tag(label, workspace)
    except Exception as e:  # noqa: BLE001 - a description must never stop a worklist
        logger.warning("cannot read what %s predicts: %s", label, e.__class__.__name__)
        return label
    if not predicts:
        return label
    target, _, months = predicts.partition("@")  # the label window the run was trained on
    words = describe_target(target, int(months)) if months else describe_target(target)
    return f"{label}: ranks open cases by {words}"
