"""Each calibration measure on a tiny LA written as return files, against hand-computed values.

Collection year checked: 2026 (1 April 2025 - 31 March 2026).
"""

from __future__ import annotations

import pytest
from tiny_la import Episode, Plan, Referral

from driftflag.calibration import calibration_report

Y = 2026


def test_rereferral_within_12_months(tiny_la):
    la = tiny_la()
    la.referrals = [
        # A: previous referral exactly 365 days before -> re-referral
        Referral("A", "2024-06-01", closed="2024-07-01"), Referral("A", "2025-06-01", closed="2025-07-01"),
        # B: 366 days before -> not
        Referral("B", "2024-05-31", closed="2024-06-30"), Referral("B", "2025-06-01", closed="2025-07-01"),
        # C: first referral in the year is not, the second (92 days later) is
        Referral("C", "2025-05-01", closed="2025-05-10"), Referral("C", "2025-08-01"),
        Referral("D", "2025-10-01", closed="2025-11-01"),
        # G: earlier referral still open (resubmitted in both censuses, counted once)
        Referral("G", "2025-02-01"), Referral("G", "2025-04-15"),
    ]
    report = calibration_report(la.write(), year=Y)
    item = report["rereferral_12m"]
    # in-year referrals: A, B, C1, C2, D, G2 = 6; re-referrals: A, C2, G2 = 3
    assert (item.numerator, item.denominator) == (3, 6)
    assert item.value == pytest.approx(50.0)


def _plans_la(tiny_la):
    la = tiny_la()
    plans = [
        ("p1", Plan("2023-06-01", "2025-05-31")),  # 730 days: 2+ years
        ("p2", Plan("2023-06-02", "2025-05-31")),  # 729 days: 1-2 years
        ("p3", Plan("2024-06-01", "2025-06-01")),  # 365 days: 1-2 years
        ("p4", Plan("2024-06-02", "2025-06-01")),  # 364 days: under 1 year
        ("p5", Plan("2025-05-01", "2025-09-01", "NEG")),
        ("p6", Plan("2025-10-01", None, "EMO")),  # still open: not ending
        ("p7", Plan("2024-01-01", "2025-03-31")),  # ended the year before
        ("p8", Plan("2025-07-01", "2025-12-01", "PHY")),
        ("p9", Plan("2026-01-01", None, "emo")),  # lower case still EMO
    ]
    la.referrals = [Referral(c, "2023-01-01", plans=[p]) for c, p in plans]
    return la.write()


def test_cp_plans_ending_by_duration(tiny_la):
    report = calibration_report(_plans_la(tiny_la), year=Y)
    # ending in the year: p1, p2, p3, p4, p5, p8 = 6
    two_plus, one_two = report["cp_ending_2y_plus"], report["cp_ending_1_2y"]
    assert (two_plus.numerator, two_plus.denominator) == (1, 6)
    assert (one_two.numerator, one_two.denominator) == (2, 6)
    assert one_two.value == pytest.approx(100 * 2 / 6)


def test_cp_initial_category(tiny_la):
    report = calibration_report(_plans_la(tiny_la), year=Y)
    # starting in the year: p5 NEG, p6 EMO, p8 PHY, p9 emo
    assert report["cp_initial_neglect"].value == pytest.approx(25.0)
    assert report["cp_initial_emotional"].value == pytest.approx(50.0)
    assert report["cp_initial_emotional"].denominator == 4


def test_cla_ethnicity_at_31_march(tiny_la):
    la = tiny_la()
    la.ethnic = {"c1": "WBRI", "c2": "MWBC", "c3": "BAFR", "c4": "CHNE", "c5": "NOBT",
                 "c6": "AIND", "c7": "WOTH", "c8": "WIRI"}
    la.episodes = [
        Episode("c1", "2024-01-01", "S"), Episode("c2", "2025-05-01", "S"),
        Episode("c3", "2024-01-01", "S"), Episode("c4", "2024-01-01", "S"),
        Episode("c5", "2024-01-01", "S"),
        Episode("c6", "2024-01-01", "S", dec="2026-03-31", rec="E11"),  # ceased on 31 March
        Episode("c7", "2024-01-01", "S", dec="2025-12-01", rec="E11"),
        Episode("c8", "2024-01-01", "S", dec="2025-06-01", rec="X1"), Episode("c8", "2025-06-01", "P"),
    ]
    report = calibration_report(la.write(), year=Y)
    # looked after at 31 March: c1 c2 c3 c4 c5 c8 = 6 (Chinese is Other; NOBT is Not known)
    expected = {"white": 2, "mixed": 1, "black": 1, "asian": 0, "other": 1}
    for group, n in expected.items():
        item = report[f"cla_ethnicity_{group}"]
        assert (item.numerator, item.denominator) == (n, 6), group


def test_cla_missing(tiny_la):
    la = tiny_la()
    la.episodes = [
        Episode("m1", "2024-01-01", "S"),
        Episode("m2", "2025-09-01", "S"),
        Episode("m3", "2024-01-01", "S", dec="2025-04-01", rec="E11"),  # looked after on 1 April
        Episode("m4", "2024-01-01", "S", dec="2025-03-31", rec="E11"),  # left the year before
        Episode("m5", "2024-01-01", "S"),
    ]
    la.missing = [
        ("m1", "M", "2025-05-01"), ("m1", "M", "2025-06-01"), ("m1", "A", "2025-07-01"),
        ("m1", "M", "2025-03-01"),  # previous year
        ("m2", "M", "2025-10-01"),
        ("m4", "M", "2025-03-15"), ("m4", "M", "2025-05-01"),  # m4 not looked after in the year
    ]
    report = calibration_report(la.write(), year=Y)
    share, mean = report["cla_missing_share"], report["cla_missing_mean_incidents"]
    assert (share.numerator, share.denominator) == (2, 4)  # m1, m2 of m1 m2 m3 m5
    assert (mean.numerator, mean.denominator, mean.value) == (3, 2, 1.5)


def test_cla_3plus_placements_in_2_years(tiny_la):
    la = tiny_la(years=(2024, 2025, 2026))
    la.episodes = [
        # s1: 1 + 2 moves = 3 placements
        Episode("s1", "2023-01-01", "S", dec="2024-06-01", rec="X1"),
        Episode("s1", "2024-06-01", "P", dec="2025-06-01", rec="X1"), Episode("s1", "2025-06-01", "P"),
        # s2: a move on the window start day is the placement held then; L is not a move -> 2
        Episode("s2", "2023-01-01", "S", dec="2024-03-31", rec="X1"),
        Episode("s2", "2024-03-31", "P", dec="2025-01-01", rec="X1"),
        Episode("s2", "2025-01-01", "T", dec="2025-02-01", rec="X1"), Episode("s2", "2025-02-01", "L"),
        # s3: care started exactly on 31 March 2024 (eligible) -> 1 + 2 = 3
        Episode("s3", "2024-03-31", "S", dec="2024-04-01", rec="X1"),
        Episode("s3", "2024-04-01", "P", dec="2025-04-01", rec="X1"), Episode("s3", "2025-04-01", "B"),
        # s4: care started 1 April 2024: not looked after for 2 years
        Episode("s4", "2024-04-01", "S", dec="2024-05-01", rec="X1"), Episode("s4", "2024-05-01", "P"),
        # s6: period broken by a non-X1 REC restarts (even without RNE S): not eligible
        Episode("s6", "2022-01-01", "S", dec="2024-10-01", rec="E4A"),
        Episode("s6", "2024-10-01", "P", dec="2025-01-01", rec="X1"), Episode("s6", "2025-01-01", "P"),
        # s7: left care in the year: not looked after at 31 March
        Episode("s7", "2023-05-01", "S", dec="2025-12-01", rec="E11"),
    ]
    report = calibration_report(la.write(), year=Y)
    item = report["cla_3plus_placements_2y"]
    assert (item.numerator, item.denominator) == (2, 3)  # s1, s3 of s1 s2 s3


def test_cla_3plus_placements_needs_previous_year(tiny_la):
    la = tiny_la(years=(2026,))
    la.episodes = [Episode("s1", "2023-01-01", "S")]
    item = calibration_report(la.write(), year=Y)["cla_3plus_placements_2y"]
    assert item.value is None and "2025" in item.note and not item.within


def test_care_proceedings_proxy(tiny_la):
    la = tiny_la(years=(2024, 2025, 2026))
    la.episodes = [
        # k1: ICO 182 days then full care order
        Episode("k1", "2025-01-01", "S", ls="C1", dec="2025-07-02", rec="X1"),
        Episode("k1", "2025-07-02", "L", ls="C2"),
        # k2: two C1 episodes form one run of 365 days, ended by a placement order
        Episode("k2", "2024-10-01", "S", ls="C1", dec="2025-01-15", rec="X1"),
        Episode("k2", "2025-01-15", "P", ls="C1", dec="2025-10-01", rec="X1"),
        Episode("k2", "2025-10-01", "L", ls="E1"),
        # k3: ICO continuing past 31 March 2026: not ended, excluded
        Episode("k3", "2025-11-01", "S", ls="C1"),
        # k4: care ends during the ICO: run ends at DEC, 70 days
        Episode("k4", "2025-06-01", "S", ls="C1", dec="2025-08-10", rec="E11"),
        # k5: ended in the previous year: excluded
        Episode("k5", "2024-06-01", "S", ls="C1", dec="2025-03-01", rec="X1"),
        Episode("k5", "2025-03-01", "L", ls="C2"),
        # k6: care breaks (non-X1 REC) between two C1 episodes: two runs, 21 and 121 days
        Episode("k6", "2025-04-10", "S", ls="C1", dec="2025-05-01", rec="E13"),
        Episode("k6", "2025-05-03", "S", ls="C1", dec="2025-09-01", rec="X1"),
        Episode("k6", "2025-09-01", "L", ls="C2"),
    ]
    report = calibration_report(la.write(), year=Y)
    mean, within = report["care_proceedings_mean_weeks"], report["care_proceedings_within_26w"]
    assert mean.denominator == 5
    assert mean.value == pytest.approx((182 + 365 + 70 + 21 + 121) / 5 / 7)
    assert (within.numerator, within.denominator) == (4, 5)  # 182 days is within 26 weeks
