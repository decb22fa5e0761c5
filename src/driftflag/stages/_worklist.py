"""The worklist stage: score, explain, sample and write one month's audit worklist.

(Moved here from ``driftflag.worklist.commands.run_worklist``; the command is now a caller.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from driftflag.month import Month
from driftflag.stages._uris import honours_workspace
from driftflag.workspace import Workspace

if TYPE_CHECKING:
    from driftflag.worklist import Worklist, WorklistPolicy

DEFAULT_POLICY = Path("pipelines/monthly_audit.yaml")


@dataclass(frozen=True)
class WorklistResult:
    """What the worklist stage made: the worklist, where it is, and whether a shared
    (pseudonymised) copy was written."""

    worklist: Worklist
    out: Path
    shared: bool

    def summary(self) -> dict[str, Any]:
        return self.worklist.summary()


@honours_workspace
def worklist(
    store: Path,
    month: Month | str,
    out: Path,
    *,
    workspace: Workspace,
    policy: Path | WorklistPolicy = DEFAULT_POLICY,
    model: str | None = None,
    version: str | None = None,
    target: str = "future_drift",
    pseudonym_key_file: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> WorklistResult:
    """Score every open case on ``month``'s first day with the registered model (default: the
    champion), explain each score, sample the month's worklist and write it to ``out``.

    ``policy`` is a policy file (or a pipeline file holding one) or a ``WorklistPolicy``.
    The worklist is also saved in the store (for the audit feedback loop). Prints nothing;
    ``progress`` is told each step in words.
    """
    from driftflag.casemodel import read_store
    from driftflag.indicators import load_registry
    from driftflag.worklist.caseload import load_model, score_caseload
    from driftflag.worklist.feedback import save_worklist
    from driftflag.worklist.month_scores import write_month_scores
    from driftflag.worklist.policy import WorklistPolicy
    from driftflag.worklist.predicts import model_with_target_words, model_words
    from driftflag.worklist.pseudonymise import load_pseudonym_key
    from driftflag.worklist.sampling import sample_worklist

    step = progress or (lambda _m: None)
    month = str(Month.parse(month))
    pol = policy if isinstance(policy, WorklistPolicy) else WorklistPolicy.from_yaml(policy)
    key = load_pseudonym_key(pseudonym_key_file)
    step("worklist: reading the case store")
    cs = read_store(store)  # a missing store is reported before the registry is opened
    step("worklist: loading the model")
    fitted, label = load_model(model, workspace=workspace.path, target=target, version=version)
    label = model_with_target_words(label, workspace=workspace.path)  # what "highest risk" means
    step(f"worklist: scoring and explaining the open cases of {month}")
    scored, contrib = score_caseload(cs, month, fitted, rule_flags=pol.rule_flags, explain_all=False)
    step(f"worklist: sampling {pol.size} of {len(scored):,} open cases")
    wl = sample_worklist(scored, pol, month, cs["audits"], contributions=contrib,
                         registry=load_registry(), model_label=label)
    words = model_words(workspace.path, target, model or version)
    if words is not None:  # the "Model" line in words; the registry reference on the methods sheet
        wl.design["model_words"] = words.plain
        wl.design["model_reference"] = words.reference
    step("worklist: writing the worklist and the audit workbook")
    wl.write(out, pseudonym_key=key)
    write_month_scores(scored, out, label)  # child-level, not for sharing: for checking the list
    save_worklist(wl, store)
    return WorklistResult(worklist=wl, out=Path(out), shared=key is not None)
