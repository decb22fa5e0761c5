"""The sampling policy of a monthly audit worklist: a validated pydantic model read from YAML.

A QA lead's worklist mixes certainty picks (re-audits that are due, the highest-risk cases, cases
breaching the drift rules, thematic pulls) with a uniform **random control sample** so audit
findings stay an unbiased picture of practice, as councils' random monthly audits are today
(``domain-requirements.md`` §2.1). The policy says how many of each, per-team and per-worker caps
(so no practice manager audits one worker all month), and which recent audits exclude a case.

Only :meth:`WorklistPolicy.from_yaml` reads YAML; library functions take the model. Every error
names the file and the key (``style-guide.md`` §6.2).

Example (``pipelines/monthly_audit.yaml``)::

    name: monthly_audit
    size: 40
    shares: {highest_risk: 0.35, rule_flagged: 0.25, random: 0.40}
    strata: [service, team]
    caps: {per_team: 8, per_worker: 2}
    exclude_audited_within_months: 3
    reaudit_actions_after_months: 3
    thematic:
      - {theme: missing, size: 2}
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from driftflag.errors import ConfigError

__all__ = [
    "DEFAULT_RULE_FLAGS",
    "GRADING_SCALES",
    "PROTECTED_IDS",
    "SERVICE_LABELS",
    "THEMES",
    "Caps",
    "PreviouslyAudited",
    "Shares",
    "ThematicPull",
    "WorklistPolicy",
]

#: Services a case can be open to, as the snapshot names them, with the words a QA lead uses.
#: ``CL`` (care leavers) appears only when the caseload carries care leavers.
SERVICE_LABELS: dict[str, str] = {
    "CIN": "Child in need",
    "CP": "Child protection",
    "LAC": "Looked after",
    "CL": "Care leaver",
}

#: Thematic pulls a policy may ask for (``domain-requirements.md`` §2.6 item 1) and what each
#: means; the predicates are in :mod:`driftflag.worklist.sampling`.
THEMES: dict[str, str] = {
    "missing": "missing episodes in the last 90 days or missing now",
    "plo": "in PLO pre-proceedings or care proceedings",
    "neglect": "child protection plan under the category of neglect",
    "disability": "disabled children (0-25 / disability service thematic audit)",
    "connected_carers": "placed with relatives or friends (connected-person foster care, U1-U3)",
}

#: Drift rules whose breach makes a case "rule-flagged": registry flag indicators that are
#: breaches of a timescale or a pattern of drift (``domain-requirements.md`` §1).
DEFAULT_RULE_FLAGS: tuple[str, ...] = (
    "cp_long_plan_without_progress",
    "cp_review_overdue",
    "cp_repeat_within_2y",
    "visit_overdue",
    "assessment_over_45wd",
    "s47_to_icpc_over_15wd",
    "plo_over_16w",
    "care_proceedings_over_26w",
    "lac_review_overdue",
    "placements_3plus_12m",
    "missing_open_now",
)

#: Protected characteristics: never a rule, never a reason (``docs/data-model.md``).
PROTECTED_IDS: frozenset[str] = frozenset(
    {"sex", "ethnicity", "ethnic_group", "disability", "uasc", "age_band", "age", "date_of_birth"}
)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Shares(_Frozen):
    """How the places left after re-audits and thematic pulls are split; they must sum to 1."""

    highest_risk: float = Field(ge=0, le=1)
    rule_flagged: float = Field(ge=0, le=1)
    random: float = Field(ge=0, le=1)

    @model_validator(mode="after")
    def _sum_to_one(self) -> Shares:
        total = self.highest_risk + self.rule_flagged + self.random
        if abs(total - 1.0) > 1e-9:
            raise ValueError(f"shares must sum to 1 (they sum to {total:g})")
        return self


class Caps(_Frozen):
    """At most this many cases per team and per allocated worker on one month's worklist."""

    per_team: int | None = Field(default=None, ge=1)
    per_worker: int | None = Field(default=None, ge=1)


class ThematicPull(_Frozen):
    """A fixed number of cases matching a theme, the highest-risk ones or a random sample."""

    theme: Literal["missing", "plo", "neglect", "disability", "connected_carers"]
    size: int = Field(ge=1)
    method: Literal["highest_risk", "random"] = "highest_risk"


class PreviouslyAudited(_Frozen):
    """Ofsted monitoring visits: up to six cases the council audited in the previous three months
    (``domain-requirements.md`` §2.2), drawn at random from those still open."""

    within_months: int = Field(default=3, ge=1, le=24)
    size: int = Field(default=6, ge=1)


#: Grading scales a council may audit on, best grade first (``grading_scale`` in the policy).
GRADING_SCALES: dict[str, tuple[str, ...]] = {
    "ofsted4": ("Outstanding", "Good", "Requires improvement", "Inadequate"),
    "ofsted3": ("Good", "Requires improvement", "Inadequate"),
}


class WorklistPolicy(_Frozen):
    """A sampling policy. Build it with :meth:`from_yaml`; sampling never reads files."""

    name: str = Field(min_length=1)
    size: int = Field(ge=1, le=100_000)
    services: tuple[Literal["CIN", "CP", "LAC", "CL"], ...] = ("CIN", "CP", "LAC", "CL")
    strata: tuple[Literal["service", "team"], ...] = ("service", "team")
    shares: Shares
    thematic: tuple[ThematicPull, ...] = ()
    caps: Caps = Caps()
    exclude_audited_within_months: int = Field(default=3, ge=0, le=36)
    reaudit_actions_after_months: int | None = Field(default=3, ge=1, le=36)
    previously_audited: PreviouslyAudited | None = None
    rule_flags: tuple[str, ...] = DEFAULT_RULE_FLAGS
    seed: int = Field(default=0, ge=0)
    simulations: int = Field(default=2000, ge=100, le=1_000_000)
    #: The grades on the workbook's drop-downs: a scale name (``ofsted4``, the default, or
    #: ``ofsted3``) or the council's own list, best grade first.
    grading_scale: str | tuple[str, ...] = "ofsted4"

    @property
    def grades(self) -> tuple[str, ...]:
        """The grading scale's grades, best first."""
        if isinstance(self.grading_scale, str):
            return GRADING_SCALES[self.grading_scale]
        return tuple(self.grading_scale)

    @model_validator(mode="after")
    def _consistent(self) -> WorklistPolicy:
        fixed = sum(t.size for t in self.thematic)
        if self.previously_audited is not None:
            fixed += self.previously_audited.size
            if self.exclude_audited_within_months > 0:
                raise ValueError(
                    "previously_audited pulls cases audited recently, so "
                    "exclude_audited_within_months must be 0 with it")
        if fixed > self.size:
            raise ValueError(f"thematic and previously-audited pulls ({fixed}) exceed size ({self.size})")
        bad = sorted(set(self.rule_flags) & PROTECTED_IDS)
        if bad:
            raise ValueError(f"rule_flags may not use protected characteristics: {', '.join(bad)}")
        if len(set(self.services)) != len(self.services):
            raise ValueError("services are listed more than once")
        if isinstance(self.grading_scale, str) and self.grading_scale not in GRADING_SCALES:
            raise ValueError(f"grading_scale must be one of {', '.join(GRADING_SCALES)} or a list of grades")
        if not isinstance(self.grading_scale, str) and (
                len(self.grading_scale) < 2 or len({g.lower() for g in self.grading_scale}) != len(self.grading_scale)):
            raise ValueError("grading_scale needs at least two different grades")
        if len({t.theme for t in self.thematic}) != len(self.thematic):
            raise ValueError("a theme is listed more than once")
        return self

    @classmethod
    def from_yaml(cls, path: Path | str) -> WorklistPolicy:
        """Read and validate a policy file; :class:`ConfigError` names the file and the key."""
        path = Path(path)
        where = str(path)
        try:
            text = path.read_text()
        except OSError as e:
            raise ConfigError(f"{where}: cannot read the worklist policy ({e.strerror})") from e
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as e:
            raise ConfigError(f"{where}: not valid YAML ({e.__class__.__name__})") from e
        if not isinstance(data, dict):
            raise ConfigError(f"{where}: a worklist policy is a mapping (name, size, shares, ...)")
        if "steps" in data:  # a pipeline file: the policy is its worklist step's `with.policy`
            steps = [st for st in data.get("steps") or [] if isinstance(st, dict)
                     and st.get("kind") == "worklist"]
            inline = ((steps[0].get("with") or {}).get("policy") if steps else None)
            if not isinstance(inline, dict):
                raise ConfigError(f"{where}: this pipeline has no worklist step with an inline "
                                  "`policy:` mapping")
            data, where = inline, f"{where} (steps.worklist.with.policy)"
        try:
            return cls.model_validate(data)
        except ValidationError as e:
            err = e.errors()[0]
            loc = ".".join(str(x) for x in err.get("loc", ()))
            msg = str(err.get("msg", e)).removeprefix("Value error, ")
            if err.get("type") == "extra_forbidden":
                msg = f"unknown key {str(err['loc'][-1])!r}"
            raise ConfigError(f"{where}: {loc}: {msg}" if loc else f"{where}: {msg}") from e
