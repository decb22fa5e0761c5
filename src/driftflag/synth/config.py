"""Configuration of the synthetic local authority: the command-line arguments and the profile.

The profile holds every rate the simulator uses, each with the national figure it is calibrated
to (``shared/reference/data-standards.md`` §6-7, ``domain-requirements.md`` §5). Parameters
without a published figure say so ("judgement").
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from driftflag.casemodel.codes import ETHNIC_MAJOR_GROUPS

_BIAS_RE = re.compile(r"^(label|recording):([A-Za-z ]+):([0-9]*\.?[0-9]+)$")


class BiasSpec(BaseModel):
    """A deliberate, documented bias against one ethnic major group, for testing fairness checks.

    ``label``: QA audits of the group record drift that is not there (a share ``strength`` of the
    group's no-drift audits are marked "drift found" and graded one level lower).
    ``recording``: the group's protective activity is under-recorded (a share ``strength`` of
    its statutory visits and return home interviews are missing from the records), so drift
    indicators built on them look worse than the true practice. The truth tables are not biased.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    kind: str
    group: str
    strength: float = Field(ge=0.0, le=1.0)

    @classmethod
    def parse(cls, spec: str) -> BiasSpec:
        m = _BIAS_RE.match(spec.strip())
        if not m:
            raise ValueError(
                f"--bias {spec!r} is not KIND:GROUP:STRENGTH with KIND label or recording, "
                f"e.g. 'label:Black:0.5'"
            )
        kind, group, strength = m.group(1), m.group(2).strip(), float(m.group(3))
        groups = {g.lower(): g for g in ETHNIC_MAJOR_GROUPS}
        if group.lower() not in groups:
            raise ValueError(
                f"--bias group {group!r} is not one of {', '.join(ETHNIC_MAJOR_GROUPS)}"
            )
        return cls(kind=kind, group=groups[group.lower()], strength=strength)


class SynthConfig(BaseModel):
    """Arguments of ``driftflag synth``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    children: int = Field(30000, ge=50, description="Children known to social care over the years.")
    years: int = Field(8, ge=2, le=20, description="Collection years simulated.")
    seed: int = Field(1, description="Random seed.")
    profile: str = Field("england", description="Calibration profile.")
    messy: float = Field(0.0, ge=0.0, le=0.5, description="Share of rows given faults.")
    bias: BiasSpec | None = None
    end: date = Field(date(2026, 3, 31), description="Extract date: the last day simulated.")
    la_code: str = Field("999", description="LA code written in the CIN census header.")
    annex_a_months: int = Field(
        48, ge=0, description="Monthly Annex A extracts written (the last N month ends; 0: every "
        "month simulated). The default covers the demo's 36 training months and 12 months before.")
    ssda903_form: Literal["csv", "xml"] = Field(
        "csv", description="How the 903 return is written: CSV tables (one file per table) or one "
        "XML file per collection year (root <EXPSSDA903>, as some case management systems export).")

    @field_validator("bias", mode="before")
    @classmethod
    def _parse_bias(cls, v):
        if isinstance(v, str):
            return BiasSpec.parse(v)
        return v

    @field_validator("profile")
    @classmethod
    def _known_profile(cls, v: str) -> str:
        if v not in PROFILES:
            raise ValueError(f"--profile {v!r} is not one of {', '.join(sorted(PROFILES))}")
        return v

    @model_validator(mode="after")
    def _end_is_31_march(self) -> SynthConfig:
        if (self.end.month, self.end.day) != (3, 31):
            raise ValueError(
                f"--end {self.end.isoformat()} must be a 31 March, the end of a collection year"
            )
        return self

    @model_validator(mode="after")
    def _messy_needs_csv(self) -> SynthConfig:
        if self.messy > 0 and self.ssda903_form != "csv":
            raise ValueError("--messy faults are written into the CSV form of the 903; use --903-form csv")
        return self

    @property
    def start(self) -> date:
        """First day simulated: 1 April, ``years`` collection years before ``end``."""
        return date(self.end.year - self.years, 4, 1)

    @property
    def collection_years(self) -> list[int]:
        return list(range(self.end.year - self.years + 1, self.end.year + 1))


class Profile(BaseModel):
    """Rates of the simulated LA. Figures cite data-standards.md (DS) or domain-requirements.md (DR)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Population (DS §6.1 CIN ethnicity 2020: White 71.7 / Mixed 8.8 / Black 8.6 / Asian 7.4 /
    # Other 3.4; DR §5.3 "Not recorded" 3-8% suggested, we use 2% so CLA not known stays ~1%).
    ethnic_group_shares: dict[str, float] = {
        "White": 0.735, "Mixed": 0.115, "Black": 0.066, "Asian": 0.047, "Other": 0.022,
        "Not known": 0.015,
    }
    male_share: float = 0.52
    disability_share: float = 0.10  # DR §3.3, primary need N2 ~9.6% of CIN
    uasc_share: float = 0.007  # of children known; UASC are ~8% of CLA (DS §6.2: 6,540 / 81,770)

    # Age at first referral (judgement from DfE CIN age profile): unborn, <1, 1-4, 5-9, 10-15, 16-17
    first_referral_age_shares: tuple[float, ...] = (0.04, 0.09, 0.18, 0.24, 0.33, 0.12)

    # Referral outcome levels (DS §6.1 C1 2025: NFA 6.5%, assessed not in need 30.8%; CP starts
    # 61,840 / 632,830 referrals = 9.8%; s47 ~ 195k children a year with ~4 in 10 not to a plan).
    level_shares: tuple[float, ...] = (0.065, 0.30, 0.37, 0.135, 0.095, 0.035)

    # CP plan duration of plans ending (DS §6.1 D7 2025): <=3m, 3-6m, 6-12m, 1-2y, 2y+
    cp_duration_shares: tuple[float, ...] = (0.159, 0.110, 0.435, 0.252, 0.044)
    #: Shares the plan-length draw uses: some long plans are cut short when care proceedings are
    #: issued (the plan ends when the child becomes looked after), so the draw over-weights the
    #: tail to make the plans *ending* in a year match ``cp_duration_shares``. Tuned.
    cp_duration_draw_shares: tuple[float, ...] = (0.150, 0.105, 0.430, 0.265, 0.050)
    # Initial category (DS §6.1): neglect ~50%, emotional ~35%, physical ~7%, sexual ~3-4%, multiple
    cp_category_shares: dict[str, float] = {
        "NEG": 0.50, "EMO": 0.35, "PHY": 0.075, "SAB": 0.035, "MUL": 0.04,
    }

    # Care proceedings (DS §6.3 MoJ 2025): mean 38-40 weeks, 35-36% within 26 weeks. A lognormal
    # with median 32.7 weeks and sigma 0.595 gives mean 39 and P(<=26 weeks) = 0.35.
    proceedings_log_median_weeks: float = 3.40
    proceedings_log_sigma: float = 0.595

    # Missing (DS §6.2, 2025): ~11% of CLA go missing in a year, 6.8 incidents each.
    missing_prone_base: float = -1.4  # logit intercept, teenagers; tuned
    missing_rate_per_year: float = 7.2  # mean incidents a year among the missing-prone; tuned
    missing_rate_shape: float = 0.75
    # Placement moves (DS §6.2: 23% of children looked after 2 years had 3+ placements in 2 years)
    placement_moves_per_year: float = 0.41
    placement_moves_shape: float = 1.1

    # Re-referral (DS §6.1: 22.6% of referrals within 12 months of a previous one)
    rereferral_prob: float = 0.53
    rereferral_fast_share: float = 0.70
    rereferral_fast_mean_days: float = 110.0
    # Premature closure under poor practice (judgement): logit intercept of closing a CIN plan or
    # assessment early (+0.8 stuckness, +0.3 team pressure), and the extra logit of re-referral.
    premature_closure_base: float = -2.4
    premature_rereferral_logit: float = 1.2

    # Prior CIN/CP plan before entering care (DR §3.2, S1:545): Black 39%, Asian 36%, White 65%,
    # Mixed 62%. Black and Asian children's routes into care are made more abrupt by this factor.
    abrupt_care_entry: dict[str, float] = {"Black": 0.45, "Asian": 0.5, "Other": 0.3}

    # Audits (DR §2.1 monthly random audits; §2.4 40% of RI/Inadequate graded one level too high).
    # 9 per 1,000 open cases is about 40 a month in the demo LA, the worklist's default length.
    audits_random_per_1000_open: float = 5.0
    audits_targeted_per_1000_open: float = 4.0
    auditor_optimism: float = 0.40
    audit_drift_detection: float = 0.75

    # Workforce (DR §1.6: caseloads 12 recommended, 8-40 seen; turnover 13-39%)
    cases_per_worker: float = 16.0
    workers_per_team: int = 7
    worker_changes_per_year: float = 0.8

    # Care leavers at their 17th-21st birthdays (903 OC3; synth/_care_leavers.py). In touch:
    # YES, NO, REFU, NREQ, RHOM; no England figure in the reference documents (Barnet 98%, S4:802),
    # 90% in touch is a judgement. Of all care leavers: suitable accommodation 81% (England
    # 2014/15, S4:3849), unsuitable 7% (S2:191); in education, employment or training 48%
    # (S4:3848), not 40% (S1:1337); the rest "no information".
    care_leaver_in_touch_shares: tuple[float, ...] = (0.90, 0.05, 0.02, 0.02, 0.01)
    care_leaver_suitable_share: float = 0.81
    care_leaver_unsuitable_share: float = 0.07
    care_leaver_eet_share: float = 0.48
    care_leaver_neet_share: float = 0.40


PROFILES: dict[str, Profile] = {"england": Profile()}
