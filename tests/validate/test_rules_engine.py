"""Row-level rules: each rule fires on the value it is about, with file, row and a message."""

from __future__ import annotations

import pandas as pd

from driftflag.casemodel.schema import TABLES
from driftflag.ingest.to_canonical import part
from driftflag.validate.rules import RULES, check_table, parse_dates

EXTRACT = pd.Timestamp("2026-03-31")


def _staged(rows: list[dict], fmt: str = "ssda903", year: int = 2026) -> pd.DataFrame:
    df = pd.DataFrame(rows).astype("str")
    df["_source_file"] = "f.csv"
    df["_source_table"] = "episodes"
    df["_source_row"] = [str(i + 1) for i in range(len(df))]
    return part(df, {c: c for c in rows[0]}, fmt=fmt, year=year)


def test_dates_in_every_format_and_impossible_dates():
    s = pd.Series(["01/02/2024", "2024-02-01", "2024-02-01 00:00:00", "45323", "31/02/2024", "2024-13-01",
                   "n/a", None], dtype="str")
    got = parse_dates(s)
    assert got[:4].tolist() == [pd.Timestamp("2024-02-01")] * 4
    assert got[4:].isna().all()


def test_episode_rules():
    rows = [
        {"child_id": "1", "decom": "01/05/2025", "rne": "S", "ls": "C2", "place": "U1", "dec": "", "rec": ""},
        {"child_id": "", "decom": "01/05/2025", "rne": "S", "ls": "C2", "place": "U1", "dec": "", "rec": ""},
        {"child_id": "3", "decom": "31/02/2025", "rne": "S", "ls": "C2", "place": "U1", "dec": "", "rec": ""},
        {"child_id": "4", "decom": "01/05/2025", "rne": "S", "ls": "C9", "place": "U1", "dec": "", "rec": ""},
        {"child_id": "5", "decom": "01/05/2025", "rne": "S", "ls": "C2", "place": "U1", "dec": "01/04/2025", "rec": "E2"},
        {"child_id": "6", "decom": "01/05/2026", "rne": "S", "ls": "C2", "place": "U1", "dec": "", "rec": ""},
        {"child_id": "7", "decom": "01/05/2025", "rne": "s", "ls": " c2 ", "place": "Z1", "dec": "", "rec": "XX"},
    ]
    typed, issues = check_table(TABLES["lac_episodes"], _staged(rows), extract_date=EXTRACT)
    got = pd.concat(issues)[["source_row", "column", "rule"]].values.tolist()
    assert sorted(got) == sorted([
        ["2", "child_id", "blank_id"], ["3", "decom", "unparseable_date"], ["4", "ls", "unknown_code"],
        ["5", "dec", "date_order"], ["6", "decom", "after_extract_date"], ["7", "rec", "unknown_optional_code"],
        ["7", "place", "place_code_year"],
    ])
    assert typed.loc[6, ["rne", "ls"]].tolist() == ["S", "C2"]  # whitespace and case tolerated
    assert pd.isna(typed.loc[6, "rec"])  # a warning blanks the optional value
    msg = pd.concat(issues).set_index("rule").loc["unknown_code", "message"]
    assert msg == "ls 'C9' is not in the LEGAL_STATUS_CODES code list"


def test_every_rule_has_a_level_and_a_fix():
    for r in RULES.values():
        assert r.level in ("error", "warning") and r.fix and r.description
