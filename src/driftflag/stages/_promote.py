"""The promote stage: the challenger's fairness verdict (with a store), then the promotion gate.

(Moved here from the pipeline's ``promote`` step so the command and the step do the same thing.)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from driftflag.stages._uris import honours_workspace
from driftflag.workspace import Workspace

if TYPE_CHECKING:
    from driftflag.tracking import GateResult


@dataclass(frozen=True)
class PromoteResult:
    """The gate's decision, or ``gate=None`` when there was no challenger to judge."""

    gate: GateResult | None
    summary: str

    @property
    def promoted(self) -> bool:
        return bool(self.gate is not None and self.gate.promoted)


@honours_workspace
def promote(
    workspace: Workspace,
    *,
    target: str = "future_drift",
    version: str | None = None,
    ece_max: float = 0.1,
    store: Path | None = None,
    fairness_months: int = 12,
    fairness_bootstrap: int = 200,
    require_fairness: bool = False,
    skip_without_challenger: bool = False,
) -> PromoteResult:
    """Judge ``version`` (default: the challenger) with the promotion gate; make it the champion
    if it passes.

    With ``store``, the version's fairness back-test runs first and the gate reads its verdict
    (a "fail" is refused; ``require_fairness`` refuses "attention" and "insufficient evidence"
    too; see docs/fairness.md). With ``skip_without_challenger``, no challenger is not an error
    (a pipeline after a run that beat nothing). Prints nothing.
    """
    from driftflag.stages._fairness import fairness_verdict
    from driftflag.tracking import CHALLENGER, CHAMPION, aliases
    from driftflag.tracking import promote as gate_promote

    if version is None and skip_without_challenger:
        named = aliases(workspace.path, target)
        if CHALLENGER not in named:
            champ = named.get(CHAMPION)
            return PromoteResult(gate=None, summary="no challenger to judge; "
                                 + (f"v{champ} stays champion" if champ else "no champion yet"))
    fairness_ok = None
    if store is not None:
        judged = version or aliases(workspace.path, target).get(CHALLENGER)
        if judged is not None:
            verdict = fairness_verdict(store, judged, workspace=workspace.path, target=target,
                                       months=fairness_months, n_bootstrap=fairness_bootstrap)
            fairness_ok = verdict.gate_ok
    gate = gate_promote(workspace.path, target, version, ece_max=ece_max, fairness_ok=fairness_ok,
                        require_fairness=require_fairness)
    return PromoteResult(gate=gate, summary=gate.summary or f"v{gate.version}: " + "; ".join(gate.reasons))
