"""Annex A list 8's return interview answers join the right 903 missing episode, known from the
first extract giving them (``reconcile.missing_rhi_from_extracts``)."""

from __future__ import annotations

import pandas as pd

from driftflag.ingest.reconcile import missing_rhi_from_extracts


def _missing(rows):
    df = pd.DataFrame(rows, columns=["missing_id", "child_id", "missing_type", "start_date", "rhi_offered"])
    return df.assign(start_date=pd.to_datetime(df["start_date"]),
                     rhi_offered=df["rhi_offered"].astype("boolean"),
                     rhi_accepted=pd.Series(pd.NA, index=df.index, dtype="boolean"))


def _answers(rows):
    df = pd.DataFrame(rows, columns=["child_id", "_known", "_rhi_offered", "_rhi_accepted"])
    return df.assign(_known=pd.to_datetime(df["_known"]))


def test_each_answer_joins_the_last_missing_episode_known_from_its_first_extract():
    ms = _missing([
        ("m1", "A", "M", "2024-01-10", None),
        ("m2", "A", "M", "2024-02-05", None),   # A's last by 29 Feb
        ("a1", "A", "A", "2024-02-20", None),   # away, not missing: list 8 does not ask
        ("m3", "B", "M", "2022-01-10", None),   # over 12 months before any extract
        ("m4", "C", "M", "2024-02-01", True),   # a council's own record: kept
        ("m5", "D", "M", "2024-03-15", None),   # after every extract: unanswered
    ])
    answers = _answers([
        ("A", "2024-01-31", "true", "false"),    # m1
        ("A", "2024-02-29", "false", "false"),   # m2, first answer
        ("A", "2024-03-31", "true", "true"),     # m2 again, later: the first stands
        ("B", "2024-01-31", "false", "false"),
        ("C", "2024-02-29", "false", "false"),
        ("D", "2024-02-29", None, None),         # no missing episode to answer for
    ])
    got = missing_rhi_from_extracts(ms, answers).set_index("missing_id")
    offered = {k: (None if pd.isna(v) else bool(v)) for k, v in got["rhi_offered"].items()}
    assert offered == {"m1": True, "m2": False, "a1": None, "m3": None, "m4": True, "m5": None}
    known = {k: (None if pd.isna(v) else str(v.date())) for k, v in got["rhi_known_from"].items()}
    assert known == {"m1": "2024-01-31", "m2": "2024-02-29", "a1": None, "m3": None, "m4": None,
                     "m5": None}


def test_no_annex_a_answers_leave_the_episodes_as_they_are():
    ms = _missing([("m1", "A", "M", "2024-01-10", None)])
    assert missing_rhi_from_extracts(ms, pd.DataFrame({"child_id": ["A"]})).equals(ms)
