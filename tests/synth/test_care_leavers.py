"""Synthetic care leavers (903 OC3): who is one, at which birthdays, and the shares in touch and
in suitable accommodation against the figures the profile cites (synth/_care_leavers.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from driftflag.synth._care_leavers import simulate_care_leavers
from driftflag.synth.config import PROFILES

END = pd.Timestamp("2026-03-31")


def _population(n: int = 6000):
    ids = [f"C{i:05d}" for i in range(n)]
    rng = np.random.default_rng(0)
    dob = pd.Timestamp("2003-01-01") + pd.to_timedelta(rng.integers(0, 3 * 365, n), unit="D")
    kind = np.arange(n) % 4  # 0, 1: left at 17 (E8); 2: adopted (E11); 3: left at 15
    left = dob + pd.DateOffset(years=17)
    left = np.where(kind == 3, dob + pd.DateOffset(years=15), left)
    children = pd.DataFrame({"child_id": ids, "date_of_birth": dob})
    episodes = pd.DataFrame({"child_id": ids, "decom": dob + pd.DateOffset(years=12), "dec": pd.to_datetime(left),
                             "rec": np.where(kind == 2, "E11", "E8")})
    return children, episodes, kind


def test_only_those_leaving_care_at_16_or_over_and_not_adopted_are_care_leavers():
    children, episodes, kind = _population(400)
    cl = simulate_care_leavers(children, episodes, END, np.random.default_rng(1), PROFILES["england"])
    leavers = set(np.asarray(children["child_id"])[kind <= 1])
    assert set(cl["child_id"]) <= leavers and len(set(cl["child_id"])) > 0.9 * len(leavers)
    dob = children.set_index("child_id")["date_of_birth"]
    dec = episodes.set_index("child_id")["dec"]
    born = dob.reindex(cl["child_id"]).to_numpy()
    assert (cl["birthday_date"].dt.month.to_numpy() == pd.DatetimeIndex(born).month).all()
    assert cl["age"].between(18, 21).all()  # left at 17: the 18th-21st birthdays follow
    assert (cl["birthday_date"].to_numpy() > dec.reindex(cl["child_id"]).to_numpy()).all()
    assert (cl["birthday_date"] <= END).all() and (cl["known_from"] == cl["birthday_date"]).all()


def test_shares_match_the_cited_figures():
    children, episodes, _ = _population()
    prof = PROFILES["england"]
    cl = simulate_care_leavers(children, episodes, END, np.random.default_rng(2), prof)
    assert len(cl) > 5000
    in_touch = (cl["in_touch"] == "YES").mean()
    assert abs(in_touch - prof.care_leaver_in_touch_shares[0]) < 0.015
    suitable = cl["accommodation_suitable"].fillna(False).astype(bool).mean()
    unsuitable = (cl["accommodation_suitable"] == False).mean()  # noqa: E712 - nullable boolean
    assert abs(suitable - prof.care_leaver_suitable_share) < 0.02  # England 81% (S4:3849)
    assert abs(unsuitable - prof.care_leaver_unsuitable_share) < 0.015  # England 7% (S2:191)
    neet = cl["activity"].isin(["G4", "G5", "G6"]).mean()
    assert abs(neet - prof.care_leaver_neet_share) < 0.02  # ~40% (S1:1337)
    # the council knows nothing of where those it is not in touch with live
    lost = cl["in_touch"].isin(["NO", "REFU"])
    assert (cl.loc[lost, "accommodation"] == "0").all() and cl.loc[lost, "accommodation_suitable"].isna().all()


def test_same_stream_same_rows():
    children, episodes, _ = _population(300)
    a = simulate_care_leavers(children, episodes, END, np.random.default_rng(5), PROFILES["england"])
    b = simulate_care_leavers(children, episodes, END, np.random.default_rng(5), PROFILES["england"])
    pd.testing.assert_frame_equal(a, b)
