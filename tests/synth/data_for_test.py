"""A small hand-written canonical store shared by the writer and messy-fault tests.

Children (collection year 2026 = 1 Apr 2025 - 31 Mar 2026):

* ``C001`` CP plan 25/11/2024 - 20/08/2025, spanning the 31/03/2025 reference date.
* ``C002`` looked after since 01/06/2023 with placement moves (U6 -> K3 -> K2 -> Z11 -> K3) and
  an open episode; K3 in 2023-24 must be written H5, Z11 in 2024-25 Z1.
* ``C003`` UASC, looked after, several missing/away episodes (one open across 31/03/2025).
* ``C004`` CP plan and pre-proceedings in 2025-26 (court application 01/02/2026).
* ``C005`` unborn at the 2025-26 reference date, with events after it (assessment authorised,
  CIN plan end, ICPC, CP plan, closure all after 31/03/2026).
* ``C006`` sex ``U``; an NFA referral and a short period of care in 2023-24 / 2024-25.
* ``C007`` care leaver: ceased care at 17 in June 2024.
"""

from __future__ import annotations

import pandas as pd

from driftflag.casemodel import CaseStore

NaT = None


def _d(s: str | None):
    return pd.Timestamp(s) if s else pd.NaT


def _frame(cols: str, rows: list[tuple]) -> pd.DataFrame:
    names = cols.split()
    df = pd.DataFrame(rows, columns=names)
    for c in names:
        if c.endswith("date") or c in {"decom", "dec", "date_of_birth", "date_of_death",
                                       "uasc_ceased_date"}:
            df[c] = pd.to_datetime(df[c])
    return df


def small_frames() -> dict[str, pd.DataFrame]:
    children = _frame(
        "child_id sex date_of_birth ethnicity disability disability_codes uasc uasc_ceased_date "
        "upn date_of_death",
        [
            ("C001", "F", "2015-06-10", "WBRI", False, "NONE", False, NaT, "A123456789012", NaT),
            ("C002", "M", "2009-03-03", "BCRB", True, "LD AUT", False, NaT, "B123456789012", NaT),
            ("C003", "M", "2008-09-01", "OOTH", False, NaT, True, "2026-09-01", NaT, NaT),
            ("C004", "F", "2020-01-01", "MWBC", False, "NONE", False, NaT, NaT, NaT),
            ("C005", "F", "2026-05-01", "WBRI", False, NaT, False, NaT, NaT, NaT),
            ("C006", "U", "2012-02-29", "REFU", NaT, NaT, False, NaT, NaT, NaT),
            ("C007", "M", "2007-05-01", "WIRT", False, "NONE", False, NaT, NaT, NaT),
        ],
    )
    referrals = _frame(
        "referral_id child_id referral_date referral_source referral_nfa primary_need "
        "closure_date closure_reason",
        [
            ("R001", "C001", "2024-11-01", "2A", False, "N1", "2025-10-01", "RC7"),
            ("R002", "C002", "2023-05-01", "6", False, "N1", NaT, NaT),
            ("R003", "C003", "2024-07-15", "7", False, "N4", NaT, NaT),
            ("R004", "C004", "2025-04-10", "3E", False, "N1", NaT, NaT),
            ("R005", "C005", "2026-02-01", "3B", False, "N1", "2026-07-01", "RC7"),
            ("R006", "C006", "2023-10-20", "1A", True, "N9", "2023-10-20", "RC8"),
            ("R007", "C006", "2023-10-30", "2A", False, "N2", "2024-06-01", "RC7"),
            ("R008", "C001", "2025-12-01", "6", False, "N5", NaT, NaT),
        ],
    )
    assessments = _frame(
        "assessment_id child_id referral_id start_date authorisation_date factors child_seen "
        "requires_support",
        [
            ("A001", "C001", "R001", "2024-11-02", "2024-12-10", "3A 4B", True, True),
            ("A004", "C004", "R004", "2025-04-11", "2025-05-20", "16A", True, True),
            ("A005", "C005", "R005", "2026-02-02", "2026-04-15", NaT, True, NaT),
            ("A007", "C006", "R007", "2023-10-31", "2023-12-01", "21", False, False),
        ],
    )
    section47 = _frame(
        "s47_id child_id referral_id start_date icpc_target_date icpc_date icpc_not_required "
        "icpc_resulted_in_plan",
        [
            ("S001", "C001", "R001", "2024-11-05", "2024-11-26", "2024-11-25", False, True),
            ("S004", "C004", "R004", "2025-04-12", "2025-05-02", "2025-05-01", False, True),
            ("S005", "C005", "R005", "2026-03-20", "2026-04-09", "2026-04-10", False, True),
        ],
    )
    cin_plans = _frame(
        "cin_plan_id child_id referral_id start_date end_date",
        [
            ("P005", "C005", "R005", "2026-03-01", "2026-06-01"),
            ("P007", "C006", "R007", "2023-12-05", "2024-06-01"),
        ],
    )
    cp_plans = _frame(
        "cp_plan_id child_id referral_id start_date end_date initial_category latest_category "
        "number_of_previous_cpp",
        [
            ("CP001", "C001", "R001", "2024-11-25", "2025-08-20", "NEG", "EMO", 0),
            ("CP004", "C004", "R004", "2025-05-01", NaT, "PHY", NaT, 1),
            ("CP005", "C005", "R005", "2026-04-10", NaT, "NEG", "NEG", 0),
        ],
    )
    cp_reviews = _frame(
        "cp_plan_id child_id review_date",
        [
            ("CP001", "C001", "2025-02-20"),
            ("CP001", "C001", "2025-07-20"),
            ("CP004", "C004", "2025-07-30"),
            ("CP004", "C004", "2026-01-20"),
            ("CP004", "C004", "2026-07-20"),
        ],
    )
    lac_episodes = _frame(
        "episode_id child_id decom rne ls cin place place_provider dec rec reason_place_change "
        "home_post pl_post urn pl_distance placement_in_la",
        [
            ("E0021", "C002", "2023-06-01", "S", "C1", "N1", "U6", "PR1", "2023-09-15", "X1", NaT,
             "AB1 2", "AB1 3", "SC111111", 1.0, True),
            ("E0022", "C002", "2023-09-15", "P", "C1", "N1", "K3", "PR4", "2024-02-01", "X1",
             "CREQB", "AB1 2", "ZZ9 9", "SC222222", 80.0, False),
            ("E0023", "C002", "2024-02-01", "P", "C2", "N1", "K2", "PR4", "2025-01-10", "X1",
             "CARPL", "AB1 2", "ZZ9 9", "SC333333", 80.0, False),
            ("E0024", "C002", "2025-01-10", "P", "C2", "N1", "Z11", "PR4", "2025-07-01", "X1",
             "CHILD", "AB1 2", "AB2 1", "XXXXXXX", 3.0, True),
            ("E0025", "C002", "2025-07-01", "P", "C2", "N1", "K3", "PR4", NaT, NaT,
             "CARPL", "AB1 2", "AB2 2", "SC444444", 4.0, True),
            ("E0031", "C003", "2024-08-01", "S", "V2", "N4", "U4", "PR1", NaT, NaT, NaT,
             "AB3 1", "AB3 2", "SC555555", 2.0, True),
            ("E0061", "C006", "2023-11-01", "S", "V2", "N2", "R1", "PR3", "2024-05-01", "E4A",
             NaT, "AB4 1", "AB4 2", "SC666666", 5.0, True),
            ("E0071", "C007", "2022-01-01", "S", "C2", "N1", "U6", "PR1", "2024-06-01", "E5",
             NaT, "AB5 1", "AB5 2", "SC777777", 6.0, True),
        ],
    )
    lac_reviews = _frame(
        "child_id review_date review_code",
        [
            ("C002", "2023-06-20", "PN1"), ("C002", "2023-12-01", "PN2"),
            ("C002", "2024-06-01", "PN3"), ("C002", "2025-05-01", "PN1"),
            ("C002", "2025-11-01", "PN4"), ("C003", "2024-08-20", "PN1"),
            ("C003", "2025-02-01", "PN0"), ("C003", "2026-05-01", "PN1"),
        ],
    )
    missing = _frame(
        "missing_id child_id missing_type start_date end_date rhi_offered rhi_accepted",
        [
            ("M1", "C003", "M", "2024-10-01", "2024-10-02", True, False),
            ("M2", "C003", "A", "2025-01-05", "2025-01-05", NaT, NaT),
            ("M3", "C003", "M", "2025-03-30", "2025-04-02", True, True),
            ("M4", "C003", "M", "2025-12-01", "2025-12-03", True, True),
            ("M5", "C003", "A", "2026-03-30", "2026-04-03", NaT, NaT),
        ],
    )
    pre_proceedings = _frame(
        "pp_id child_id referral_id start_date letter_before_proceedings_date fgdm_offered "
        "fgdm_facilitated initial_meeting_date review_meetings_count decision_date outcome "
        "court_application_date",
        [
            ("PP4", "C004", "R004", "2025-09-01", "2025-09-05", True, False, "2025-09-20", 2,
             "2026-01-15", "C", "2026-02-01"),
        ],
    )
    visits = _frame(
        "visit_id child_id visit_date visit_type seen_alone",
        [
            ("V1", "C001", "2025-01-10", "CP", True),
            ("V2", "C001", "2025-06-10", "CP", False),
            ("V3", "C002", "2025-10-01", "LAC", True),
            ("V4", "C004", "2026-03-01", "CP", True),
            ("V5", "C003", "2026-02-01", "LAC", NaT),
            ("V6", "C004", "2026-04-20", "CP", True),
        ],
    )
    workers = _frame(
        "worker_id worker_name team service start_date end_date",
        [
            ("W1", "Alex Smith", "Front Door", "front door", "2015-01-01", NaT),
            ("W2", "Sam Jones", "CP Team 1", "CIN/CP", "2015-01-01", NaT),
            ("W3", "Jo Brown", "Children in Care 1", "children in care", "2015-01-01", NaT),
        ],
    )
    allocations = _frame(
        "allocation_id child_id team worker_id start_date end_date end_reason",
        [
            ("AL1", "C001", "Front Door", "W1", "2024-11-01", "2024-11-24", "TSPROC"),
            ("AL2", "C001", "CP Team 1", "W2", "2024-11-25", NaT, NaT),
            ("AL3", "C002", "Children in Care 1", "W3", "2023-05-01", NaT, NaT),
            ("AL4", "C003", "Children in Care 1", "W3", "2024-07-15", NaT, NaT),
            ("AL5", "C004", "CP Team 1", "W2", "2025-04-10", NaT, NaT),
            ("AL6", "C005", "Front Door", "W1", "2026-02-01", NaT, NaT),
            ("AL7", "C006", "Front Door", "W1", "2023-10-20", "2024-06-01", "CHCHAN"),
            ("AL8", "C007", "Children in Care 1", "W3", "2022-01-01", NaT, NaT),
        ],
    )
    audits = _frame(
        "audit_id child_id audit_date auditor team service grade drift_found selection_reason "
        "inclusion_probability actions_set",
        [
            ("AU1", "C001", "2025-06-01", "PM1", "CP Team 1", "CP", "Requires improvement", True,
             "random", 0.05, True),
            ("AU2", "C002", "2025-09-01", "PM2", "Children in Care 1", "LAC", "Good", False,
             "targeted", NaT, False),
            ("AU3", "C001", "2025-09-01", "PM1", "CP Team 1", "CP", "Good", False, "re-audit",
             1.0, False),
        ],
    )
    return {
        "children": children, "referrals": referrals, "assessments": assessments,
        "section47": section47, "cin_plans": cin_plans, "cp_plans": cp_plans,
        "cp_reviews": cp_reviews, "lac_episodes": lac_episodes, "lac_reviews": lac_reviews,
        "missing_episodes": missing, "pre_proceedings": pre_proceedings, "visits": visits,
        "workers": workers, "allocations": allocations, "audits": audits,
    }


def small_store() -> CaseStore:
    return CaseStore.from_frames(small_frames())


#: Identifier columns renamed when the small store is replicated.
_ID_COLUMNS = ("child_id", "referral_id", "assessment_id", "s47_id", "cin_plan_id", "cp_plan_id",
               "episode_id", "missing_id", "pp_id", "visit_id", "allocation_id", "audit_id")


def replicate_frames(copies: int, frames: dict[str, pd.DataFrame] | None = None
                     ) -> dict[str, pd.DataFrame]:
    """``copies`` copies of the small frames with distinct ids (``K<copy>-`` prefix), for
    benchmark-scale runs; dates are shifted by up to 4 years so the data spreads over years."""
    frames = frames or small_frames()
    out = {}
    for name, df in frames.items():
        if name == "workers":
            out[name] = df
            continue
        parts = []
        for k in range(copies):
            part = df.copy()
            for c in _ID_COLUMNS:
                if c in part.columns:
                    part[c] = f"K{k:06d}-" + part[c].astype(str)
            shift = pd.Timedelta(days=int((k * 37) % 1460) - 730)
            for c in part.columns:
                if pd.api.types.is_datetime64_any_dtype(part[c]):
                    part[c] = part[c] + shift
            parts.append(part)
        out[name] = pd.concat(parts, ignore_index=True)
    return out
