"""Model cards in markdown and HTML, from driftflag's own Jinja templates.

Sections follow Mitchell et al. (2019), with the six explanation types of the ICO and Alan
Turing Institute guidance and the fields of the UK Algorithmic Transparency Recording Standard
(``ml-anchors-and-tooling.md`` §3.5, §4.6). The fairness section prints real disaggregated
figures only when the fairness audit (stage 6) has produced them; otherwise it says the audit has
not been run. No card ever contains a child-level row.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from driftflag import HUMAN_DECISION_NOTICE, __version__

__all__ = ["ModelCard", "render_model_card", "TEMPLATE_DIR"]

TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "templates"

def label_window_months(splits: Sequence[Mapping[str, Any]]) -> int | None:
    """The label window the folds were cut for (months from a fold's last test as-of date to its
    label window's end), so a card says "in the next 3 months" when the label looked 3 ahead."""
    if not splits:
        return None
    s = splits[0]
    try:
        last, end = (date.fromisoformat(str(s[k])) for k in ("test_last_as_of", "label_window_end"))
    except (KeyError, ValueError):
        return None
    return (end.year - last.year) * 12 + end.month - last.month


def _target_description(target: str, horizon_months: int | None = None) -> str:
    from driftflag.targets import describe_target

    return describe_target(target, horizon_months) if horizon_months else describe_target(target)

_DEFAULT_LIMITATIONS = (
    "Trained on one council's records; recording practice differs between councils and over time.",
    "The label is a proxy for drift: milestones recorded in the case system, or audit findings, "
    "which are themselves shaped by who was audited and how auditors grade.",
    "History-based indicators are lower for children with less prior involvement; DfE evidence "
    "is that Black and Asian children more often enter care without prior help, so they may be "
    "under-flagged (domain-requirements.md §3.2). The fairness audit must check this.",
    "Scores rank cases within a month; they are not the probability that anything will happen "
    "to a particular child.",
    "No static 'ever' features and no household-level aggregation are used without panel sign-off.",
)


def _fmt(v: Any, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    return f"{v:.{digits}f}" if isinstance(v, float) else str(v)


def _cell(by_model: Mapping[str, Any], name: str | None, metric: str) -> str:
    r = by_model.get(name)
    if r is None:
        return "–"
    text = f"{_fmt(r.estimate)} ({_fmt(r.low)}–{_fmt(r.high)})"
    if metric in ("precision_at_k", "recall_at_k") and r.worst != r.best:
        text += f" [worst {_fmt(r.worst)}, best {_fmt(r.best)}]"
    return text


@dataclass
class ModelCard:
    """Everything a card shows; aggregate figures only."""

    registered_name: str
    spec_name: str
    kind: str
    target: str
    run_id: str
    features: Sequence[str]
    hyperparameters: Mapping[str, Any]
    metric_frame: Any  # MetricTable.to_frame() output
    model_label: str
    baseline_label: str | None
    k: Any
    splits: Sequence[Mapping[str, Any]]
    data_summary: str
    data_manifest_sha256: str
    description: str = ""
    calibration: str = "none"
    random_state: int = 0
    protected_features_allowed: Mapping[str, str] = field(default_factory=dict)
    fairness: Sequence[Mapping[str, Any]] | None = None
    limitations: Sequence[str] = _DEFAULT_LIMITATIONS
    #: the label the model learnt, when it differs from the registered target (an audit fall-back)
    predicts: str | None = None
    predicts_note: str = ""
    #: figures against a synthetic LA's true drift probability (TruthReport.metrics()), if any
    truth_metrics: Mapping[str, float] | None = None

    def _metric_rows(self) -> list[dict[str, str]]:
        df = self.metric_frame
        rows = []
        for (fold, metric), grp in df.groupby(["fold", "metric"], sort=False):
            by_model = {r.model: r for r in grp.itertuples(index=False)}

            m = by_model.get(self.model_label)
            diff = "–" if m is None or math.isnan(m.diff_vs_baseline) else \
                f"{_fmt(m.diff_vs_baseline)} ({_fmt(m.diff_low)}–{_fmt(m.diff_high)})"
            rows.append({"fold": str(fold), "metric": metric, "model": _cell(by_model, self.model_label, metric),
                         "baseline": _cell(by_model, self.baseline_label, metric)
                         if self.baseline_label else "–",
                         "diff": diff})
        return rows

    def summary(self) -> str:
        """A few lines of the card for the registry's version description (plain text)."""
        from driftflag.evaluation import POOLED

        df = self.metric_frame
        pooled = df[(df["fold"] == POOLED) & (df["model"] == self.model_label)]
        by_metric = {r.metric: r for r in pooled.itertuples(index=False)}

        def fig(metric: str, label: str) -> str:
            r = by_metric.get(metric)
            if r is None:
                return f"{label} not available"
            text = f"{label} {_fmt(r.estimate)} ({_fmt(r.low)} to {_fmt(r.high)})"
            if self.baseline_label and self.model_label != self.baseline_label and metric != "ece":
                text += f", {_fmt(r.diff_vs_baseline)} against the rule baseline"
            return text

        return "\n".join([
            f"Model card summary: {self.spec_name} ({self.kind}) ranks open cases by "
            f"{_target_description(self.predicts or self.target, label_window_months(self.splits))}.",
            f"Pooled over {len(self.splits)} held-out folds, top {self.k} per month: "
            f"{fig('precision_at_k', 'precision@k')}; {fig('roc_auc', 'ROC AUC')}; "
            f"{fig('ece', 'calibration error')}.",
            f"Training data: {self.data_summary}; manifest {self.data_manifest_sha256[:12]}; "
            f"{len(self.features)} model columns.",
            HUMAN_DECISION_NOTICE,
        ])

    def context(self) -> dict[str, Any]:
        predicts = self.predicts or self.target
        target_desc = _target_description(predicts, label_window_months(self.splits))
        ico = {
            "rationale": "Each flag lists the indicators that raised the case's score (rule "
                         "breaches, odds ratios or TreeSHAP contributions) in plain language.",
            "responsibility": "The council's quality-assurance lead owns the worklist; a "
                              "practice manager decides whether and how to audit; nobody acts "
                              "on a family because of a flag. Contact the QA lead to query a "
                              "flag.",
            "data": f"Case records of the council's children's social care ({self.data_summary}); "
                    "protected characteristics are used only to audit fairness.",
            "fairness": "Ethnicity, disability, sex and age are excluded from the inputs and "
                        "used to compare flag rates, false negative and false discovery rates "
                        "between groups at the list threshold.",
            "safety_and_performance": "Temporal validation on later months than the training "
                                      "data, with precision@k and recall@k against a simple "
                                      "rule baseline, bootstrap intervals and calibration error; "
                                      "a model is promoted only when it beats the baseline and "
                                      "the current champion beyond the interval.",
            "impact": "A flag prompts an audit by a person and never decides anything about a "
                      "child or family. Missed drift is the main harm, so recall is reported "
                      "beside precision; intrusive scrutiny of flagged families is guarded "
                      "against by the audit being of the council's practice, not of the family.",
        }
        atrs = [
            ("Tier 1: name", f"driftflag {self.registered_name}"),
            ("Tier 1: description", "Ranks open children's social care cases so that quality-"
                                    "assurance case audits look first at those most likely to be "
                                    "drifting."),
            ("Tier 1: how the tool is used", HUMAN_DECISION_NOTICE),
            ("Tier 1: why the tool is used", "Audit capacity is limited; drift is easy to miss "
                                             "in large caseloads."),
            ("Tier 2: owner and responsibility", ico["responsibility"]),
            ("Tier 2: description and rationale", f"{self.kind} model predicting {target_desc}."),
            ("Tier 2: decision-making process", "The worklist informs which cases are audited; "
                                                "auditors may add or skip cases and record why."),
            ("Tier 2: data", ico["data"]),
            ("Tier 2: risks, mitigations and impact assessments",
             "Fairness audit at the list threshold; model card limitations; DPIA and equality "
             "impact assessment held by the council [to be completed by the council]."),
            ("Tier 2: technical specification", f"{self.kind}; {len(self.features)} features; "
                                                f"temporal validation over {len(self.splits)} folds."),
        ]
        return {
            "registered_name": self.registered_name, "spec_name": self.spec_name, "kind": self.kind,
            "description": self.description, "target": self.target,
            "target_description": target_desc, "predicts": predicts,
            "predicts_sentence": f"This model ranks open cases by {target_desc}.",
            "predicts_note": self.predicts_note,
            "truth_rows": [{"metric": k, "value": _fmt(float(v))}
                           for k, v in (self.truth_metrics or {}).items()],
            "run_id": self.run_id,
            "driftflag_version": __version__, "random_state": self.random_state,
            "hyperparameters": dict(self.hyperparameters), "calibration": self.calibration,
            "notice": HUMAN_DECISION_NOTICE, "data_summary": self.data_summary,
            "data_manifest_sha256": self.data_manifest_sha256, "features": list(self.features),
            "feature_words": _feature_words(self.features),
            "protected_features_allowed": dict(self.protected_features_allowed),
            "splits": list(self.splits), "k": self.k, "model_label": self.model_label,
            "baseline_label": self.baseline_label or "baseline",
            "metric_rows": self._metric_rows(), "fairness": list(self.fairness or []),
            "limitations": list(self.limitations), "ico": ico,
            "atrs": [{"field": f, "value": v} for f, v in atrs],
        }


def render_model_card(card: ModelCard) -> tuple[str, str]:
    """``(markdown, html)`` of the card."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(loader=FileSystemLoader(str(TEMPLATE_DIR)), undefined=StrictUndefined,
                      autoescape=select_autoescape(enabled_extensions=("html.j2",),
                                                   default_for_string=False, default=False),
                      keep_trailing_newline=True)
    ctx = card.context()
    return (env.get_template("model_card.md.j2").render(card=ctx),
            env.get_template("model_card.html.j2").render(card=ctx))


def _feature_words(features: Sequence[str]) -> list[str]:
    """The model's columns as people read them (no bare code-list values on the card)."""
    from driftflag.indicators.registry import load_registry
    from driftflag.indicators.words import feature_words

    reg = load_registry()
    return [feature_words(f, reg) for f in features]
