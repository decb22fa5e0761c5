"""Care leavers (903 OC3): where the young people who left care at 16 or over are at their 17th to
21st birthdays.

A child whose last period of care ended on or after their 16th birthday (not by adoption or
death) is a care leaver; the council records, at each of the 17th-21st birthdays after leaving,
whether it is in touch (``IN_TOUCH``), their main activity (``ACTIV``) and their accommodation
with its suitability (``ACCOM``; codes in :mod:`driftflag.casemodel.codes`). Each birthday is
drawn from its own random stream, so adding care leavers leaves every other output of the
synthetic LA unchanged for the same seed.

Calibration (the profile's ``care_leaver_*`` shares): data-standards.md has no care leaver
figures; domain-requirements.md §5.1 gives England's suitable accommodation 81% and unsuitable 7%
(S4:3849, S2:191; the rest is "no information"), NEET about 40% of 19-21 year olds (S1:1337) and
in education, employment or training 48% (S4:3848). No England "in touch" figure is in the
reference documents (Barnet: 98%, S4:802): 90% in touch is a judgement.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Reasons a period of care ends that leave no care leaver (adopted, died).
_NOT_LEAVERS = {"E11", "E12", "E2"}
_EET = ("F1", "P1", "F2", "P2", "F4", "P4", "F5", "P5")
_NEET = ("G4", "G5", "G6")
_SUITABLE = ("B1", "C1", "D1", "E1", "K1", "R1", "T1", "U1", "V1", "Y1")
_UNSUITABLE = ("B2", "C2", "D2", "E2", "K2", "S2", "T2", "U2", "V2", "W2", "X2", "Y2")


def _add_years(born: pd.Series, years: int) -> pd.Series:
    day = np.where((born.dt.month == 2) & (born.dt.day == 29), 28, born.dt.day)
    return pd.to_datetime(pd.DataFrame({"year": born.dt.year + years, "month": born.dt.month, "day": day}))


def simulate_care_leavers(children: pd.DataFrame, lac_episodes: pd.DataFrame, end: pd.Timestamp,
                          rng: np.random.Generator, profile) -> pd.DataFrame:
    """Canonical ``care_leavers`` rows: one per care leaver and 17th-21st birthday after leaving
    care and on or before ``end``."""
    cols = ["child_id", "birthday_date", "age", "in_touch", "activity", "accommodation",
            "accommodation_suitable", "known_from"]
    ep = lac_episodes.sort_values(["child_id", "decom"], kind="mergesort")
    last = ep.groupby("child_id", sort=True).tail(1)
    last = last.loc[last["dec"].notna() & ~last["rec"].isin(list(_NOT_LEAVERS))]
    dob = children.set_index("child_id")["date_of_birth"]
    last = last.assign(dob=dob.reindex(last["child_id"]).to_numpy()).dropna(subset=["dob"])
    last = last.loc[last["dec"] >= _add_years(last["dob"], 16).to_numpy()]
    rows = []
    for age in range(17, 22):
        bday = _add_years(last["dob"], age)
        ok = ((bday > last["dec"].to_numpy()) & (bday <= end)).to_numpy()
        rows.append(pd.DataFrame({"child_id": last["child_id"].to_numpy()[ok], "birthday_date": bday[ok].to_numpy(),
                                  "age": age}))
    cl = pd.concat(rows, ignore_index=True).sort_values(["child_id", "birthday_date"], kind="mergesort")
    cl = cl.reset_index(drop=True)
    n = len(cl)
    if n == 0:
        return pd.DataFrame({c: [] for c in cols})
    touch_codes = ("YES", "NO", "REFU", "NREQ", "RHOM")
    touch = rng.choice(len(touch_codes), size=n, p=profile.care_leaver_in_touch_shares)
    in_touch = np.asarray(touch_codes, dtype=object)[touch]
    reached = np.isin(in_touch, ["YES", "NREQ", "RHOM"])
    # accommodation and activity: known only for those the council is in touch with
    acc_u = rng.random(n)
    act_u = rng.random(n)
    pick_suit = rng.integers(0, len(_SUITABLE), n)
    pick_unsuit = rng.integers(0, len(_UNSUITABLE), n)
    pick_eet = rng.integers(0, len(_EET), n)
    pick_neet = rng.integers(0, len(_NEET), n)
    p_reached = float(sum(profile.care_leaver_in_touch_shares[i] for i in (0, 3, 4)))
    suit, unsuit = profile.care_leaver_suitable_share / p_reached, profile.care_leaver_unsuitable_share / p_reached
    eet, neet = profile.care_leaver_eet_share / p_reached, profile.care_leaver_neet_share / p_reached
    accom = np.where(acc_u < suit, np.asarray(_SUITABLE, dtype=object)[pick_suit],
                     np.where(acc_u < suit + unsuit, np.asarray(_UNSUITABLE, dtype=object)[pick_unsuit], "0"))
    activ = np.where(act_u < eet, np.asarray(_EET, dtype=object)[pick_eet],
                     np.where(act_u < eet + neet, np.asarray(_NEET, dtype=object)[pick_neet], "0"))
    accom = np.where(reached, accom, "0")
    activ = np.where(reached, activ, "0")
    suitable = pd.array(np.where(accom == "0", None, np.char.endswith(accom.astype(str), "1")), dtype="boolean")
    cl["in_touch"] = in_touch
    cl["activity"] = activ
    cl["accommodation"] = accom
    cl["accommodation_suitable"] = suitable
    cl["known_from"] = cl["birthday_date"]
    return cl[cols]
