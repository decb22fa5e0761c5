"""The model registry: versions, the ``champion`` / ``challenger`` aliases, the gate, rollback.

MLflow registry stages are deprecated; driftflag uses aliases (``ml-anchors-and-tooling.md``
§4.4). There is always a champion a council can defend:

* after a training run, :func:`settle_after_training` makes the run's **rule baseline** the
  champion when there is none yet (or when the champion is itself an older rule baseline): it
  is interpretable and needs no promotion to be honest. The run's best other model becomes the
  ``challenger``; champion and challenger never point at the same version.
* :func:`promote` moves ``champion`` to the challenger only when the gate passes:

  1. **skill**: the challenger's pooled ROC AUC interval lies above 0.5 (shuffled labels fail);
  2. **beats the baseline beyond the interval**: the paired bootstrap interval of
     (model - rule baseline) pooled precision@k lies above 0
     (run metric ``precision_at_k_vs_baseline_lo > 0``); when precision@k is level (lower end
     exactly 0, as when nearly every listed case meets the label), the paired interval of pooled average
     precision must lie above 0 instead, so a better ranking of the whole top of the list counts
     but a worse list never does;
  3. **beats the current champion**: when the champion is the rule baseline of the same training
     data this is check 2 (paired, same test folds); otherwise the challenger's pooled
     precision@k must be above the upper end of the champion's interval (a comparison of
     records tested on their own folds);
  4. **calibrated**: pooled expected calibration error below ``ece_max``;
  5. **fairness** (stage 6 hook): ``fairness_ok=False`` blocks; ``None`` means the audit has not
     been run, which blocks only when ``require_fairness=True``.

Every decision (first champion, promoted, refused, rolled back) is recorded with its figures:
an MLflow run named ``gate v<N>`` in the model's experiment (the version decided on as its
``version`` parameter, tags, metrics, ``decision.json``), tags and the description of the
version concerned (the decision, then the model card's summary), and ``driftflag models show``.
Aliases are moved, never doubled: :func:`move_alias` keeps ``champion`` and ``challenger`` off
the same version. The previous
champion is written on the new champion's version (tag ``driftflag.previous_champion``), which
is what :func:`rollback` restores.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from driftflag.tracking._errors import TrackingError
from driftflag.tracking._workspace import Workspace
from driftflag.tracking.run_metrics import summary_figures
from driftflag.tracking.runs import CARD_SUMMARY_TAG, CHALLENGER, model_name, use_workspace

__all__ = ["CHAMPION", "CHALLENGER", "GateResult", "InUse", "aliases", "decisions", "describe_version",
           "in_use", "list_versions", "move_alias", "promote", "resolve_version", "rollback",
           "settle_after_training", "show"]

CHAMPION = "champion"
BASELINE_KIND = "rule_baseline"
_PREVIOUS = "driftflag.previous_champion"
_REASON = "driftflag.champion_reason"
# summary metric names of a training run (run_metrics.py); older runs' names are read too
_GATE_METRIC = "precision_at_k"
#: decides "beats the baseline" when precision@k is level (saturated at the top of the list)
_RANKING_METRIC = "average_precision"
_SKILL_METRIC = "roc_auc"
_RECORD_TAG = "driftflag.record"
_VERSION_REF = re.compile(r"^v?(\d+)$", re.IGNORECASE)


@dataclass(frozen=True)
class GateResult:
    """Outcome of a promotion attempt: each check (True / False / None = not run) and why."""

    version: str
    promoted: bool
    previous_champion: str | None
    checks: dict[str, bool | None] = field(default_factory=dict)
    reasons: tuple[str, ...] = ()
    figures: dict[str, float] = field(default_factory=dict)
    summary: str = ""


@dataclass(frozen=True)
class InUse:
    """Which registered version a worklist or report uses, and why (one line for people)."""

    name: str
    version: str
    spec: str
    kind: str
    aliases: tuple[str, ...]
    reason: str
    skill: str
    run_id: str = ""

    @property
    def label(self) -> str:
        role = " and ".join(self.aliases) if self.aliases else "named version"
        return f"{self.name} v{self.version} ({self.spec}), {role}: {self.reason}"


# --- small helpers -------------------------------------------------------------------------

def _mlflow_error():
    from mlflow.exceptions import MlflowException

    return MlflowException


def _alias_version(client, name: str, alias: str) -> str | None:
    try:
        return str(client.get_model_version_by_alias(name, alias).version)
    except _mlflow_error():
        return None


def move_alias(client, name: str, alias: str, version: str) -> bool:
    """Point ``alias`` at ``version`` (moving it off any other version), never leaving
    ``champion`` and ``challenger`` on the same version: the champion keeps it, so a challenger
    equal to the champion is removed. Returns whether ``alias`` now points at ``version``."""
    version = str(version)
    other = CHALLENGER if alias == CHAMPION else CHAMPION if alias == CHALLENGER else None
    if alias == CHALLENGER and _alias_version(client, name, CHAMPION) == version:
        if _alias_version(client, name, CHALLENGER) == version:  # pragma: no cover - defensive
            client.delete_registered_model_alias(name, CHALLENGER)
        return False
    client.set_registered_model_alias(name, alias, version)
    if other is not None and _alias_version(client, name, other) == version:
        client.delete_registered_model_alias(name, other)
    return True


def describe_version(client, name: str, version: str) -> str:
    """Write the version's description from its tags: the last gate decision, then the model
    card's summary (what the registry page shows first). Returns the description."""
    tags = dict(_version(client, name, version).tags or {})
    decision = tags.get("driftflag.gate.decision")
    head = (f"Gate decision: {decision} ({tags.get('driftflag.gate.at', 'time not recorded')}). "
            f"{tags.get('driftflag.gate.summary', '')}" if decision
            else "Gate decision: none yet (registered as challenger; `driftflag models promote` "
                 "applies the gate)")
    text = f"{head}\n\n{tags.get(CARD_SUMMARY_TAG, 'Model card summary: not recorded for this version.')}"
    client.update_model_version(name, str(version), description=text[:4900])
    return text


def _version(client, name: str, version: str):
    try:
        return client.get_model_version(name, str(version))
    except _mlflow_error() as e:
        raise TrackingError(f"{name} has no version {version}") from e


def _metrics(client, name: str, version: str) -> dict[str, float]:
    mv = _version(client, name, version)
    return summary_figures(client.get_run(mv.run_id).data.metrics)


def _kind(client, name: str, version: str) -> str:
    mv = _version(client, name, version)
    kind = (mv.tags or {}).get("driftflag.kind")
    if not kind:
        kind = client.get_run(mv.run_id).data.tags.get("driftflag.kind", "")
    return kind


def _data_digest(client, name: str, version: str) -> str:
    mv = _version(client, name, version)
    return client.get_run(mv.run_id).data.tags.get("driftflag.data_manifest_sha256", "")


def _require_model(client, name: str) -> None:
    try:
        client.get_registered_model(name)
    except _mlflow_error() as e:
        raise TrackingError(f"no registered model {name!r}: run `driftflag train` first") from e


def _fmt(v: float | None) -> str:
    return "not available" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.3f}"


def resolve_version(client, name: str, ref: str | None) -> str:
    """The version ``ref`` names: a number (``3`` or ``v3``), an alias, or by default the champion.

    Raises :class:`TrackingError` with one line when there is no such version or alias.
    """
    _require_model(client, name)
    if ref is None or str(ref).strip() == "":
        v = _alias_version(client, name, CHAMPION)
        if v is None:
            raise TrackingError(f"{name} has no champion: run `driftflag train` (the rule baseline "
                                "becomes the first champion)")
        return v
    ref = str(ref).strip()
    m = _VERSION_REF.match(ref)
    if m:
        return str(_version(client, name, m.group(1)).version)
    v = _alias_version(client, name, ref)
    if v is None:
        raise TrackingError(f"{name} has no version or alias {ref!r}; give a version number, "
                            f"{CHAMPION!r} or {CHALLENGER!r}")
    return v


# --- recording decisions -----------------------------------------------------------------

def _record(client, name: str, version: str, decision: str, summary: str, *,
            figures: Mapping[str, float] | None = None, checks: Mapping[str, Any] | None = None,
            reasons: tuple[str, ...] = (), champion_before: str | None = None,
            champion_after: str | None = None) -> None:
    """Write one gate decision: a ``gate v<N>`` run, and tags + description on the version."""
    at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    exp = client.get_experiment_by_name(name)
    figs = {k: float(v) for k, v in (figures or {}).items() if v is not None and not math.isnan(float(v))}
    if exp is not None:
        run = client.create_run(exp.experiment_id, run_name=f"gate v{version}", tags={
            _RECORD_TAG: "gate_decision", "driftflag.decision": decision,
            "driftflag.version": str(version), "driftflag.champion_before": champion_before or "none",
            "driftflag.champion_after": champion_after or "none", "mlflow.note.content": summary})
        rid = run.info.run_id
        # the version decided on, as a parameter: what the run is about, searchable and shown
        for k, v in {"version": str(version), "decision": decision,
                     "champion_before": champion_before or "none",
                     "champion_after": champion_after or "none"}.items():
            client.log_param(rid, k, v)
        for k, v in figs.items():
            client.log_metric(rid, k, v)
        client.log_dict(rid, {"at": at, "registered_model": name, "version": str(version),
                              "decision": decision, "summary": summary, "figures": figs,
                              "checks": dict(checks or {}), "reasons": list(reasons),
                              "champion_before": champion_before, "champion_after": champion_after},
                        "decision.json")
        client.set_terminated(rid)
    client.set_model_version_tag(name, version, "driftflag.gate.decision", decision)
    client.set_model_version_tag(name, version, "driftflag.gate.at", at)
    client.set_model_version_tag(name, version, "driftflag.gate.summary", summary[:4000])
    describe_version(client, name, version)


def decisions(workspace: Workspace | Path, target: str, version: str | None = None) -> pd.DataFrame:
    """Every recorded gate decision (oldest first), optionally only those about ``version``."""
    client = use_workspace(workspace)
    name = model_name(target)
    exp = client.get_experiment_by_name(name)
    cols = ["at", "version", "decision", "champion_before", "champion_after", "summary"]
    if exp is None:
        return pd.DataFrame(columns=cols)
    runs = client.search_runs([exp.experiment_id], filter_string=f"tags.`{_RECORD_TAG}` = 'gate_decision'",
                              max_results=1000)
    rows = []
    for r in runs:
        t = r.data.tags
        if version is not None and str(version) not in (t.get("driftflag.version"),
                                                         t.get("driftflag.champion_after")):
            continue
        rows.append({"at": datetime.fromtimestamp(r.info.start_time / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S"),
                     "_t": r.info.start_time, "version": t.get("driftflag.version", ""),
                     "decision": t.get("driftflag.decision", ""),
                     "champion_before": t.get("driftflag.champion_before", ""),
                     "champion_after": t.get("driftflag.champion_after", ""),
                     "summary": t.get("mlflow.note.content", "")})
    df = pd.DataFrame(rows, columns=[*cols, "_t"])
    return df.sort_values("_t", kind="stable").drop(columns="_t").reset_index(drop=True)


# --- after training: the baseline serves, the best model challenges -------------------------

def _skill_note(metrics: Mapping[str, float]) -> str:
    auc, low = metrics.get(_SKILL_METRIC), metrics.get(f"{_SKILL_METRIC}_lo")
    if auc is None:
        return "out-of-sample skill not recorded"
    if low is not None and low <= 0.5:
        return (f"no skill shown on held-out months (ROC AUC {_fmt(auc)}, interval from {_fmt(low)}, "
                "includes 0.5)")
    return f"out-of-sample ROC AUC {_fmt(auc)} (interval from {_fmt(low)})"


def settle_after_training(workspace: Workspace | Path, target: str, versions: Mapping[str, str],
                          baseline: str | None) -> dict[str, str | None]:
    """Set the aliases after a training run registered ``versions`` (spec name -> version).

    The run's rule baseline (spec ``baseline``) becomes champion when there is no champion or
    the champion is an older rule baseline; the best other version of the run becomes the challenger: one
    that passes the gate's ranking check against the baseline first, then the highest lower end
    of its paired average precision difference, then of its precision@k difference. Returns
    ``{"champion": v, "challenger": v or None, "reason": why the champion is champion}``.
    """
    client = use_workspace(workspace)
    name = model_name(target)
    _require_model(client, name)
    champion = _alias_version(client, name, CHAMPION)
    base_v = versions.get(baseline) if baseline else None
    reason = None
    if base_v is not None and (champion is None or _kind(client, name, champion) == BASELINE_KIND):
        m = _metrics(client, name, base_v)
        if champion is None:
            reason = "the rule baseline is the first champion (interpretable; needs no promotion)"
        else:
            reason = f"the rule baseline refitted on the latest data replaces rule baseline v{champion}"
        summary = (f"v{base_v} ({baseline}) is champion: {reason}; precision@k "
                   f"{_fmt(m.get(_GATE_METRIC))}; {_skill_note(m)}")
        move_alias(client, name, CHAMPION, base_v)
        client.set_model_version_tag(name, base_v, _REASON, reason)
        if champion is not None:
            client.set_model_version_tag(name, base_v, _PREVIOUS, champion)
        _record(client, name, base_v, "baseline champion", summary,
                figures={"precision_at_k": m.get(_GATE_METRIC, math.nan),
                         "roc_auc": m.get(_SKILL_METRIC, math.nan)},
                champion_before=champion, champion_after=base_v)
        champion = base_v
    others = {s: v for s, v in versions.items() if s != baseline and v != champion}
    challenger = None
    if others:
        def merit(v: str) -> tuple[bool, float, float]:
            # the gate's own ranking rule first (precision@k beats the baseline, or is level and
            # average precision does), then the whole top of the list (average precision, which
            # does not saturate when nearly every listed case meets the label), then precision@k
            m = _metrics(client, name, v)
            pk = m.get(f"{_GATE_METRIC}_vs_baseline_lo", math.nan)
            ap = m.get(f"{_RANKING_METRIC}_vs_baseline_lo", math.nan)
            pk, ap = (-math.inf if math.isnan(x) else x for x in (pk, ap))
            return (pk > 0 or (pk >= 0 and ap > 0)), ap, pk

        challenger = max(others.values(), key=lambda v: (merit(v), int(v)))
        move_alias(client, name, CHALLENGER, challenger)
    elif _alias_version(client, name, CHALLENGER) in (champion, *versions.values()):
        client.delete_registered_model_alias(name, CHALLENGER)
    if reason is None and champion is not None:
        reason = _version(client, name, champion).tags.get(_REASON, "kept: no model has beaten it")
    return {"champion": champion, "challenger": challenger, "reason": reason}


# --- the gate --------------------------------------------------------------------------------

def promote(
    workspace: Workspace | Path,
    target: str,
    version: str | None = None,
    *,
    ece_max: float = 0.1,
    fairness_ok: bool | None = None,
    require_fairness: bool = False,
) -> GateResult:
    """Make ``version`` (default: the ``challenger``) the champion if the gate passes.

    The decision and its figures are recorded whatever it is (see the module docstring).
    """
    client = use_workspace(workspace)
    name = model_name(target)
    _require_model(client, name)
    if version is None:
        version = _alias_version(client, name, CHALLENGER)
        if version is None:
            raise TrackingError(f"{name} has no challenger to promote: train a model first "
                                "(the champion stays as it is)")
    else:
        version = resolve_version(client, name, version)
    champion = _alias_version(client, name, CHAMPION)
    if champion == version:
        return GateResult(version=version, promoted=False, previous_champion=champion,
                          checks={}, reasons=(f"v{version} is already the champion",),
                          summary=f"v{version} is already the champion")
    m = _metrics(client, name, version)
    checks: dict[str, bool | None] = {}
    reasons: list[str] = []
    figures: dict[str, float] = {
        "precision_at_k": m.get(_GATE_METRIC, math.nan),
        "precision_at_k.low": m.get(f"{_GATE_METRIC}_lo", math.nan),
        "precision_at_k.diff_vs_baseline": m.get(f"{_GATE_METRIC}_vs_baseline", math.nan),
        "precision_at_k.diff_low": m.get(f"{_GATE_METRIC}_vs_baseline_lo", math.nan),
        "average_precision.diff_vs_baseline": m.get(f"{_RANKING_METRIC}_vs_baseline", math.nan),
        "average_precision.diff_low": m.get(f"{_RANKING_METRIC}_vs_baseline_lo", math.nan),
        "roc_auc": m.get(_SKILL_METRIC, math.nan), "roc_auc.low": m.get(f"{_SKILL_METRIC}_lo", math.nan),
        "ece": m.get("ece", math.nan), "ece_max": ece_max,
    }

    auc_low = figures["roc_auc.low"]
    checks["skill"] = bool(auc_low > 0.5)
    if not checks["skill"]:
        reasons.append(f"no skill shown: the ROC AUC interval starts at {_fmt(auc_low)}, not above 0.5")
    diff_low = figures["precision_at_k.diff_low"]
    ap_low = figures["average_precision.diff_low"]
    # precision@k saturates when nearly every listed case meets the label (both near 1): then the
    # ranking of the whole top of the list (average precision) decides, never a worse list
    checks["beats_baseline"] = bool(diff_low > 0 or (diff_low >= 0 and ap_low > 0))
    if not checks["beats_baseline"]:
        reasons.append(f"precision@k does not beat the rule baseline beyond the interval "
                       f"(lower end of the difference {_fmt(diff_low)} <= 0"
                       + (f"; average precision's {_fmt(ap_low)} <= 0)" if diff_low >= 0 else ")"))
    if champion is None:
        checks["beats_champion"] = None
    elif _kind(client, name, champion) == BASELINE_KIND and \
            _data_digest(client, name, champion) == _data_digest(client, name, version):
        checks["beats_champion"] = checks["beats_baseline"]  # the same comparison, paired
    else:
        cm = _metrics(client, name, champion)
        champ_high = cm.get(f"{_GATE_METRIC}_hi", math.nan)
        figures["champion.precision_at_k"] = cm.get(_GATE_METRIC, math.nan)
        figures["champion.precision_at_k.high"] = champ_high
        mine = figures["precision_at_k"]
        checks["beats_champion"] = bool(mine > champ_high)
        if not checks["beats_champion"]:
            reasons.append(f"precision@k {_fmt(mine)} is not above champion v{champion}'s interval "
                           f"(upper end {_fmt(champ_high)})")
    ece = figures["ece"]
    checks["calibrated"] = bool(ece < ece_max)
    if not checks["calibrated"]:
        reasons.append(f"expected calibration error {_fmt(ece)} is not below {ece_max}")
    checks["fairness"] = fairness_ok
    if fairness_ok is False:
        reasons.append("the fairness audit did not pass")
    elif fairness_ok is None and require_fairness:
        reasons.append("the fairness audit has not been run")

    promoted = not reasons
    spec = _version(client, name, version).tags.get("driftflag.spec", "")
    head = (f"v{version} ({spec}): precision@k {_fmt(figures['precision_at_k'])}, difference from the "
            f"rule baseline {_fmt(figures['precision_at_k.diff_vs_baseline'])} (lower end "
            f"{_fmt(diff_low)}), ROC AUC {_fmt(figures['roc_auc'])} (lower end {_fmt(auc_low)}), "
            f"ECE {_fmt(ece)}")
    if promoted:
        summary = f"promoted over {'v' + champion if champion else 'no champion'}: {head}"
        move_alias(client, name, CHAMPION, version)  # the challenger alias leaves it
        client.set_model_version_tag(name, version, _REASON,
                                     f"passed the gate over v{champion}: {head}" if champion
                                     else f"passed the gate: {head}")
        if champion is not None:
            client.set_model_version_tag(name, version, _PREVIOUS, champion)
    else:
        summary = f"refused; v{champion} stays champion: {head}; " + "; ".join(reasons) if champion \
            else f"refused: {head}; " + "; ".join(reasons)
    _record(client, name, version, "promoted" if promoted else "refused", summary, figures=figures,
            checks=checks, reasons=tuple(reasons), champion_before=champion,
            champion_after=version if promoted else champion)
    return GateResult(version=version, promoted=promoted, previous_champion=champion,
                      checks=checks, reasons=tuple(reasons), figures=figures, summary=summary)


def rollback(workspace: Workspace | Path, target: str) -> str:
    """Point ``champion`` back at the version it replaced; returns that version."""
    client = use_workspace(workspace)
    name = model_name(target)
    _require_model(client, name)
    current = _alias_version(client, name, CHAMPION)
    if current is None:
        raise TrackingError(f"{name} has no champion to roll back")
    previous = _version(client, name, current).tags.get(_PREVIOUS)
    if not previous:
        raise TrackingError(f"{name} champion v{current} replaced no earlier champion; nothing to roll back to")
    move_alias(client, name, CHAMPION, previous)
    client.set_model_version_tag(name, current, "driftflag.rolled_back", "true")
    _record(client, name, current, "rolled back", f"v{current} rolled back; v{previous} is champion again",
            champion_before=current, champion_after=previous)
    return previous


# --- reading the registry ----------------------------------------------------------------------

def list_versions(workspace: Workspace | Path, target: str) -> pd.DataFrame:
    """One row per registered version: version, aliases, spec, run, headline metrics, last decision."""
    client = use_workspace(workspace)
    name = model_name(target)
    _require_model(client, name)
    # search results do not carry aliases on every backend; the registered model does
    alias_map = client.get_registered_model(name).aliases or {}
    rows = []
    for mv in client.search_model_versions(f"name='{name}'"):
        metrics = summary_figures(client.get_run(mv.run_id).data.metrics)
        aliases = sorted(a for a, v in alias_map.items() if str(v) == str(mv.version))
        rows.append({
            "version": int(mv.version), "aliases": ",".join(aliases),
            "spec": (mv.tags or {}).get("driftflag.spec", ""), "run_id": mv.run_id,
            "precision_at_k": metrics.get(_GATE_METRIC), "precision_at_k_low":
            metrics.get(f"{_GATE_METRIC}_lo"), "ece": metrics.get("ece"),
            "gate": (mv.tags or {}).get("driftflag.gate.decision", ""),
        })
    return pd.DataFrame(rows).sort_values("version").reset_index(drop=True)


def aliases(workspace: Workspace | Path, target: str) -> dict[str, str]:
    """``{alias: version}`` of the target's registered model (empty when nothing is registered)."""
    client = use_workspace(workspace)
    try:
        return {a: str(v) for a, v in (client.get_registered_model(model_name(target)).aliases or {}).items()}
    except _mlflow_error():
        return {}


def in_use(workspace: Workspace | Path, target: str, ref: str | None = None) -> InUse:
    """The version ``ref`` names (default: the champion), with its aliases and why it is used."""
    client = use_workspace(workspace)
    name = model_name(target)
    version = resolve_version(client, name, ref)
    mv = _version(client, name, version)
    alias_map = client.get_registered_model(name).aliases or {}
    aliases = tuple(sorted(a for a, v in alias_map.items() if str(v) == str(version)))
    tags = dict(mv.tags or {})
    if CHAMPION in aliases:
        reason = tags.get(_REASON, "made champion outside the gate (no decision recorded)")
    elif tags.get("driftflag.gate.summary"):
        reason = f"named explicitly; last gate decision: {tags.get('driftflag.gate.decision')}"
    else:
        reason = "named explicitly; not promoted by the gate"
    metrics = summary_figures(client.get_run(mv.run_id).data.metrics)
    return InUse(name=name, version=str(version), spec=tags.get("driftflag.spec", ""),
                 kind=tags.get("driftflag.kind", "") or _kind(client, name, version),
                 aliases=aliases, reason=reason, skill=_skill_note(metrics), run_id=mv.run_id)


def show(workspace: Workspace | Path, target: str, version: str | None = None) -> dict[str, Any]:
    """A version's details: aliases, why it is in use, its gate decisions, tags, params,
    metrics and its model card (markdown, headed by the status lines)."""
    client = use_workspace(workspace)
    name = model_name(target)
    _require_model(client, name)
    if version is None and _alias_version(client, name, CHAMPION) is None \
            and _alias_version(client, name, CHALLENGER) is not None:
        version = CHALLENGER
    use = in_use(workspace, target, version)
    mv = _version(client, name, use.version)
    run = client.get_run(mv.run_id)
    import mlflow.artifacts

    try:
        card = mlflow.artifacts.load_text(f"{run.info.artifact_uri}/model_card.md")
    except (_mlflow_error(), OSError):
        card = "(this version has no model card)"
    history = decisions(workspace, target, use.version)
    lines = [f"Model in use: {use.label}", f"Skill: {use.skill}"]
    if len(history):
        lines.append("Gate decisions:")
        lines += [f"- {r.at} UTC {r.decision}: {r.summary}" for r in history.itertuples(index=False)]
    status = "\n".join(lines)
    return {"name": name, "version": use.version, "aliases": list(use.aliases), "in_use": use,
            "status": status, "decisions": history, "run_id": mv.run_id, "tags": dict(mv.tags or {}),
            "params": dict(run.data.params), "metrics": dict(run.data.metrics),
            "model_card": f"{status}\n\n{card}", "model_card_only": card}
