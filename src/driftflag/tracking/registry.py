"""The model registry: versions, the ``challenger`` / ``champion`` aliases, promotion, rollback.

MLflow registry stages are deprecated; driftflag uses aliases (``ml-anchors-and-tooling.md``
§4.4). Every training run registers a version aliased ``challenger``. :func:`promote` moves
``champion`` to it only when the gate passes:

1. **beats the baseline beyond the interval**: the paired bootstrap interval of
   (model - rule baseline) pooled precision@k lies above 0 (``precision_at_k.pooled.diff_low > 0``);
2. **beats the current champion beyond its interval**: the challenger's pooled precision@k is
   above the upper end of the champion's interval (skipped when there is no champion). The two
   were tested on their own folds, so this compares records, not a paired difference;
3. **calibrated**: pooled expected calibration error below ``ece_max``;
4. **fairness** (stage 6 hook): ``fairness_ok=False`` blocks; ``None`` means the audit has not
   been run, which blocks only when ``require_fairness=True``.

The previous champion is written on the new champion's version (tag
``driftflag.previous_champion``), which is what :func:`rollback` restores.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from driftflag.tracking._errors import TrackingError
from driftflag.tracking.runs import CHALLENGER, model_name, use_workspace

__all__ = ["CHAMPION", "CHALLENGER", "GateResult", "list_versions", "promote", "rollback", "show"]

CHAMPION = "champion"
_PREVIOUS = "driftflag.previous_champion"
_GATE_METRIC = "precision_at_k.pooled"


@dataclass(frozen=True)
class GateResult:
    """Outcome of a promotion attempt: each check (True / False / None = not run) and why."""

    version: str
    promoted: bool
    previous_champion: str | None
    checks: dict[str, bool | None] = field(default_factory=dict)
    reasons: tuple[str, ...] = ()


def _alias_version(client, name: str, alias: str) -> str | None:
    from mlflow.exceptions import MlflowException

    try:
        return str(client.get_model_version_by_alias(name, alias).version)
    except MlflowException:
        return None


def _metrics(client, name: str, version: str) -> dict[str, float]:
    mv = client.get_model_version(name, version)
    return dict(client.get_run(mv.run_id).data.metrics)


def _require_model(client, name: str) -> None:
    from mlflow.exceptions import MlflowException

    try:
        client.get_registered_model(name)
    except MlflowException as e:
        raise TrackingError(f"no registered model {name!r}: train one first") from e


def promote(
    workspace: Path,
    target: str,
    version: str | None = None,
    *,
    ece_max: float = 0.1,
    fairness_ok: bool | None = None,
    require_fairness: bool = False,
) -> GateResult:
    """Make ``version`` (default: the ``challenger``) the champion if the gate passes."""
    client = use_workspace(Path(workspace))
    name = model_name(target)
    _require_model(client, name)
    version = version or _alias_version(client, name, CHALLENGER)
    if version is None:
        raise TrackingError(f"{name} has no challenger version to promote")
    m = _metrics(client, name, version)
    checks: dict[str, bool | None] = {}
    reasons: list[str] = []

    diff_low = m.get(f"{_GATE_METRIC}.diff_low", math.nan)
    checks["beats_baseline"] = bool(diff_low > 0)
    if not checks["beats_baseline"]:
        reasons.append(f"precision@k does not beat the rule baseline beyond the interval "
                       f"(lower end of the difference {diff_low:.3f} <= 0)")
    champion = _alias_version(client, name, CHAMPION)
    if champion is None or champion == version:
        checks["beats_champion"] = None
    else:
        champ_high = _metrics(client, name, champion).get(f"{_GATE_METRIC}.high", math.nan)
        mine = m.get(_GATE_METRIC, math.nan)
        checks["beats_champion"] = bool(mine > champ_high)
        if not checks["beats_champion"]:
            reasons.append(f"precision@k {mine:.3f} is not above champion v{champion}'s interval "
                           f"(upper end {champ_high:.3f})")
    ece = m.get("ece.pooled", math.nan)
    checks["calibrated"] = bool(ece < ece_max)
    if not checks["calibrated"]:
        reasons.append(f"expected calibration error {ece:.3f} is not below {ece_max}")
    checks["fairness"] = fairness_ok
    if fairness_ok is False:
        reasons.append("the fairness audit did not pass")
    elif fairness_ok is None and require_fairness:
        reasons.append("the fairness audit has not been run")

    promoted = not reasons
    if promoted and champion != version:
        client.set_registered_model_alias(name, CHAMPION, version)
        if champion is not None:
            client.set_model_version_tag(name, version, _PREVIOUS, champion)
    return GateResult(version=version, promoted=promoted, previous_champion=champion,
                      checks=checks, reasons=tuple(reasons))


def rollback(workspace: Path, target: str) -> str:
    """Point ``champion`` back at the version it replaced; returns that version."""
    client = use_workspace(Path(workspace))
    name = model_name(target)
    _require_model(client, name)
    current = _alias_version(client, name, CHAMPION)
    if current is None:
        raise TrackingError(f"{name} has no champion to roll back")
    previous = client.get_model_version(name, current).tags.get(_PREVIOUS)
    if not previous:
        raise TrackingError(f"{name} champion v{current} replaced no earlier champion; nothing to roll back to")
    client.set_registered_model_alias(name, CHAMPION, previous)
    client.set_model_version_tag(name, current, "driftflag.rolled_back", "true")
    return previous


def list_versions(workspace: Path, target: str) -> pd.DataFrame:
    """One row per registered version: version, aliases, spec, run, headline metrics."""
    client = use_workspace(Path(workspace))
    name = model_name(target)
    _require_model(client, name)
    # search results do not carry aliases on every backend; the registered model does
    alias_map = client.get_registered_model(name).aliases or {}
    rows = []
    for mv in client.search_model_versions(f"name='{name}'"):
        metrics = dict(client.get_run(mv.run_id).data.metrics)
        aliases = sorted(a for a, v in alias_map.items() if str(v) == str(mv.version))
        rows.append({
            "version": int(mv.version), "aliases": ",".join(aliases),
            "spec": (mv.tags or {}).get("driftflag.spec", ""), "run_id": mv.run_id,
            "precision_at_k": metrics.get(_GATE_METRIC), "precision_at_k_low":
            metrics.get(f"{_GATE_METRIC}.low"), "ece": metrics.get("ece.pooled"),
        })
    return pd.DataFrame(rows).sort_values("version").reset_index(drop=True)


def show(workspace: Path, target: str, version: str | None = None) -> dict[str, Any]:
    """A version's details: aliases, tags, params, metrics and its model card (markdown)."""
    client = use_workspace(Path(workspace))
    name = model_name(target)
    _require_model(client, name)
    version = version or _alias_version(client, name, CHAMPION) or _alias_version(client, name, CHALLENGER)
    if version is None:
        raise TrackingError(f"{name} has no champion or challenger; give a version")
    mv = client.get_model_version(name, str(version))
    run = client.get_run(mv.run_id)
    import mlflow.artifacts

    card = mlflow.artifacts.load_text(f"{run.info.artifact_uri}/model_card.md")
    return {"name": name, "version": str(mv.version), "aliases": list(mv.aliases or []),
            "run_id": mv.run_id, "tags": dict(mv.tags or {}), "params": dict(run.data.params),
            "metrics": dict(run.data.metrics), "model_card": card}
