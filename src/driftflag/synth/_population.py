"""The children of the synthetic LA: demographics, arrival, and the latent drivers of drift.

Each child carries two latent values that never appear in a return:

* ``stuckness`` (standard normal): how prone the case is to drift. It lengthens child protection
  plans, PLO pre-proceedings and care proceedings, spaces out visits, and raises missing
  episodes; QA audits observe it (through the true drift probability in ``truth/``).
* ``severity`` (standard normal): how serious the concerns are. It drives how far a referral
  escalates (assessment, s47, child protection plan, care).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from driftflag.casemodel.codes import ETHNIC_MAJOR_GROUP, ETHNIC_MAJOR_GROUPS
from driftflag.synth._util import choice, day
from driftflag.synth.config import Profile, SynthConfig

#: Detailed codes within each major group, with shares from the 2024/25 pupil figures
#: (data-standards.md §6.4) rounded; Chinese sits in Other (codes.py).
DETAILED_ETHNICITY: dict[str, tuple[tuple[str, ...], tuple[float, ...]]] = {
    "White": (("WBRI", "WIRI", "WOTH", "WIRT", "WROM"), (0.86, 0.01, 0.11, 0.005, 0.015)),
    "Mixed": (("MWBC", "MWBA", "MWAS", "MOTH"), (0.30, 0.14, 0.20, 0.36)),
    "Asian": (("AIND", "APKN", "ABAN", "AOTH"), (0.26, 0.38, 0.16, 0.20)),
    "Black": (("BCRB", "BAFR", "BOTH"), (0.16, 0.66, 0.18)),
    "Other": (("CHNE", "OOTH"), (0.10, 0.90)),
    "Not known": (("REFU", "NOBT", ""), (0.35, 0.45, 0.20)),
}
#: UASC mostly arrive from Afghanistan, Sudan, Eritrea, Iran, Iraq, Vietnam and Albania
#: (judgement); coded AOTH, BAFR, OOTH, WOTH as councils record them.
UASC_ETHNICITY: tuple[tuple[str, ...], tuple[float, ...]] = (
    ("AOTH", "BAFR", "OOTH", "WOTH", "BOTH"),
    (0.30, 0.30, 0.28, 0.07, 0.05),
)

_AGE_BANDS_DAYS = ((-120, -1), (0, 364), (365, 1825), (1826, 3651), (3652, 5843), (5844, 6551))


@dataclass
class Population:
    """Column arrays, one entry per child (index = child number)."""

    child_no: np.ndarray
    dob: np.ndarray
    sex: np.ndarray
    ethnicity: np.ndarray
    ethnic_group: np.ndarray
    disabled: np.ndarray
    disability_codes: np.ndarray
    uasc: np.ndarray
    first_referral: np.ndarray
    stuckness: np.ndarray
    severity: np.ndarray
    district: np.ndarray  # home postcode district 1..n, decides the allocated team patch
    home_post: np.ndarray

    @property
    def n(self) -> int:
        return len(self.child_no)

    @property
    def age18(self) -> np.ndarray:
        """Day of the 18th birthday (365.25 * 18 days, close enough for a simulation)."""
        return self.dob + 6574


def simulate_population(cfg: SynthConfig, prof: Profile, rng: np.random.Generator) -> Population:
    n = cfg.children
    start, end = day(cfg.start), day(cfg.end)
    first_ref = rng.integers(start, end + 1, size=n)
    uasc = rng.random(n) < prof.uasc_share

    band = rng.choice(len(_AGE_BANDS_DAYS), size=n, p=np.asarray(prof.first_referral_age_shares))
    lo = np.array([b[0] for b in _AGE_BANDS_DAYS])[band]
    hi = np.array([b[1] for b in _AGE_BANDS_DAYS])[band]
    age_days = lo + np.floor(rng.random(n) * (hi - lo + 1)).astype(np.int64)
    # UASC arrive aged 14-17 (DR §3.5: only 13% under 16).
    uasc_age = rng.integers(14 * 365 + 4, 17 * 365 + 300, size=n)
    age_days = np.where(uasc, uasc_age, age_days)
    dob = first_ref - age_days

    male = rng.random(n) < np.where(uasc, 0.92, prof.male_share)
    sex = np.where(male, "M", "F").astype(object)
    sex[rng.random(n) < 0.004] = "U"

    groups = np.array(ETHNIC_MAJOR_GROUPS, dtype=object)
    shares = np.array([prof.ethnic_group_shares[g] for g in groups])
    group = choice(rng, groups, shares, n)
    ethnicity = np.empty(n, dtype=object)
    for g, (codes, p) in DETAILED_ETHNICITY.items():
        m = group == g
        ethnicity[m] = choice(rng, codes, p, int(m.sum()))
    ue = choice(rng, UASC_ETHNICITY[0], UASC_ETHNICITY[1], n)
    ethnicity = np.where(uasc, ue, ethnicity)
    group = pd.Series(ethnicity).map(ETHNIC_MAJOR_GROUP).fillna("Not known").to_numpy(dtype=object)

    disabled = rng.random(n) < prof.disability_share * np.where(male, 1.3, 0.7)
    dis_codes = np.where(
        disabled,
        choice(rng, ("AUT", "LD", "COMM", "BEH", "MOB", "CON", "AUT LD", "HEAR", "VIS"),
               (0.28, 0.2, 0.14, 0.12, 0.07, 0.07, 0.08, 0.02, 0.02), n),
        "NONE",
    ).astype(object)

    stuckness = rng.standard_normal(n)
    severity = rng.standard_normal(n)
    n_districts = max(4, min(40, n // 2500))
    district = rng.integers(1, n_districts + 1, size=n)
    sector = rng.integers(1, 10, size=n)
    home_post = np.char.add(np.char.add("FL", district.astype(str)), np.char.add(" ", sector.astype(str)))
    return Population(
        child_no=np.arange(n), dob=dob, sex=sex, ethnicity=ethnicity, ethnic_group=group,
        disabled=disabled, disability_codes=dis_codes, uasc=uasc, first_referral=first_ref,
        stuckness=stuckness, severity=severity, district=district, home_post=home_post.astype(object),
    )
