"""The 903 social worker episodes table and the care leavers table (OC3) as CSV: recognised by
their columns (data-standards.md §2.1: ``CHILD, DOB, SW_ID, SW_DECOM, SW_DEC, SW_REASON`` and
``CHILD, DOB, IN_TOUCH, ACTIV, ACCOM``), every row accounted for, bad rows quarantined with one
line naming file, row, column and value."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pandas as pd

from driftflag.ingest.detect import detect_file
from driftflag.ingest.run import ingest

EXTRACT = date(2026, 3, 31)
CREATED = datetime(2026, 4, 1, 9, 0)

HEADER = """CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB
C1,M,14/02/2012,WBRI,,,
C2,F,30/06/2006,BAFR,,,
C3,F,02/01/2005,WBRI,,,
"""
EPISODES = """CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN
C1,02/05/2025,S,C2,N1,U4,PR1,,,,,,
"""
SW = """CHILD,DOB,SW_ID,SW_DECOM,SW_DEC,SW_REASON
C1,14/02/2012,SW1,02/05/2025,01/08/2025,LEFTRL
C1,14/02/2012,SW2,01/08/2025,31/13/2025,CHCHAN
C1,14/02/2012,SW3,01/12/2025,,
"""
OC3 = """CHILD,DOB,IN_TOUCH,ACTIV,ACCOM
C2,30/06/2006,NO,G4,Z1
C3,02/01/2005,YES,F2,U1
C3,02/01/2005,MAYBE,F2,U1
"""


def _la(tmp_path: Path) -> Path:
    folder = tmp_path / "ssda903" / "2025-26"
    folder.mkdir(parents=True)
    for name, text in (("header", HEADER), ("episodes", EPISODES), ("SWEpisodes", SW), ("care leavers", OC3)):
        (folder / f"{name}.csv").write_text(text)
    return folder


def test_tables_recognised_by_their_columns(tmp_path):
    folder = _la(tmp_path)
    assert detect_file(folder / "SWEpisodes.csv").table == "sw_episodes"
    assert detect_file(folder / "care leavers.csv").table == "oc3"
    renamed = folder / "export_17.csv"
    renamed.write_text(SW)
    assert (detect_file(renamed).format, detect_file(renamed).table) == ("ssda903", "sw_episodes")


def test_every_row_accounted_and_bad_rows_named(tmp_path):
    folder = _la(tmp_path)
    r = ingest([folder], tmp_path / "store", extract_date=EXTRACT, created_at=CREATED, run_gx=True)
    acc = r.accounting.set_index(r.accounting["file"].map(lambda f: Path(f).name))
    assert (acc["rows_read"] == acc["accepted"] + acc["quarantined"] + acc["duplicates"]).all()
    assert acc.loc["SWEpisodes.csv", ["rows_read", "accepted", "quarantined"]].tolist() == [3, 2, 1]
    assert acc.loc["care leavers.csv", ["rows_read", "accepted", "quarantined"]].tolist() == [3, 2, 1]
    e = r.errors.set_index("table")
    sw = e.loc["sw_episodes"]
    assert (Path(sw["source_file"]).name, sw["source_row"], sw["column"], sw["value"], sw["rule"]) == \
        ("SWEpisodes.csv", "2", "end_date", "31/13/2025", "unparseable_date")
    cl = e.loc["care_leavers"]
    assert (cl["source_row"], cl["column"], cl["value"], cl["rule"]) == ("3", "in_touch", "MAYBE", "unknown_code")
    assert all("\n" not in m for m in r.errors["message"])
    s = r.store
    assert list(s["sw_episodes"]["worker_id"]) == ["SW1", "SW3"]
    assert (s["sw_episodes"]["known_from"] == s["sw_episodes"]["start_date"]).all()  # a full history
    got = s["care_leavers"].set_index("child_id")
    # C2 born 30/06/2006 is 19 on 30/06/2025; C3 born 02/01/2005 is 21 on 02/01/2026
    assert got.loc["C2", ["birthday_date", "age", "in_touch"]].tolist() == [pd.Timestamp("2025-06-30"), 19, "NO"]
    assert got.loc["C3", ["birthday_date", "age"]].tolist() == [pd.Timestamp("2026-01-02"), 21]
    assert got.loc["C2", "accommodation"] == "Z1" and bool(got.loc["C2", "accommodation_suitable"])
    assert bool(got.loc["C3", "accommodation_suitable"])
    assert r.gx["success"], r.gx
