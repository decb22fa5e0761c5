"""Code lists of the three statutory returns, versioned by collection year.

Every list here is transcribed from ``shared/reference/data-standards.md`` (section numbers in the
comments). Code lists changed recently (903 ``SEX`` 1/2 -> M/F/U in 2024-25; ``PLACE`` lost H5 and
P2 and split Z1 into Z11-Z14 in 2025-26; the CIN census replaced ``GenderCurrent`` with ``Sex``),
so anything that depends on the year takes a collection year and asks :func:`place_codes` or
:func:`uses_letter_sex` rather than hard-coding one list.

A *collection year* is named by the year in which it ends: collection year 2025 is
1 April 2024 - 31 March 2025 (the "2024-25" return).
"""

from __future__ import annotations

from datetime import date

# --- Ethnicity (data-standards.md §2.2, the 20 DfE codes; Annex A uses the same, §1.1) ---------
ETHNICITY_CODES: tuple[str, ...] = (
    "WBRI", "WIRI", "WOTH", "WIRT", "WROM",
    "MWBC", "MWBA", "MWAS", "MOTH",
    "AIND", "APKN", "ABAN", "AOTH",
    "BCRB", "BAFR", "BOTH",
    "CHNE", "OOTH",
    "REFU", "NOBT",
)

ETHNICITY_LABELS: dict[str, str] = {
    "WBRI": "White British",
    "WIRI": "White Irish",
    "WOTH": "Any other White background",
    "WIRT": "Traveller of Irish heritage",
    "WROM": "Gypsy/Roma",
    "MWBC": "White and Black Caribbean",
    "MWBA": "White and Black African",
    "MWAS": "White and Asian",
    "MOTH": "Any other mixed background",
    "AIND": "Indian",
    "APKN": "Pakistani",
    "ABAN": "Bangladeshi",
    "AOTH": "Any other Asian background",
    "BCRB": "Black Caribbean",
    "BAFR": "Black African",
    "BOTH": "Any other Black background",
    "CHNE": "Chinese",
    "OOTH": "Any other ethnic group",
    "REFU": "Refused",
    "NOBT": "Information not yet obtained",
}

#: Major groups used in every fairness table. **Chinese is put under "Other"**, as the DfE
#: children-in-need and children-looked-after tables do (data-standards.md §5.1, footnote of
#: EES "A4 Children in need by ethnicity"). We follow DfE rather than the school census (which
#: puts Chinese under Asian) because the national figures driftflag is calibrated and compared
#: against are DfE CIN/CLA statistics; mixing conventions would shift the Asian and Other shares.
#: REFU, NOBT and a blank code are shown as "Not known", never dropped.
ETHNIC_MAJOR_GROUP: dict[str, str] = {
    **{c: "White" for c in ("WBRI", "WIRI", "WOTH", "WIRT", "WROM")},
    **{c: "Mixed" for c in ("MWBC", "MWBA", "MWAS", "MOTH")},
    **{c: "Asian" for c in ("AIND", "APKN", "ABAN", "AOTH")},
    **{c: "Black" for c in ("BCRB", "BAFR", "BOTH")},
    "CHNE": "Other",
    "OOTH": "Other",
    "REFU": "Not known",
    "NOBT": "Not known",
    "": "Not known",
}
ETHNIC_MAJOR_GROUPS: tuple[str, ...] = ("White", "Mixed", "Asian", "Black", "Other", "Not known")

# Ofsted Annex A labels are "letter) CODE" (data-standards.md §1.1): a) WBRI ... r) OOTH, s) REFU,
# s) NOBT (both last two share the letter s in the liia-tools template).
#: The Annex A letters follow the Ofsted template as encoded by liia-tools, where Traveller of
#: Irish heritage comes before Any other White background (c) WIRT, d) WOTH), unlike the DfE
#: code order above; the public sample Annex_A.xlsx shows "d) WOTH".
_ANNEX_A_ETHNICITY_ORDER: tuple[str, ...] = (
    "WBRI", "WIRI", "WIRT", "WOTH", "WROM", "MWBC", "MWBA", "MWAS", "MOTH",
    "AIND", "APKN", "ABAN", "AOTH", "BCRB", "BAFR", "BOTH", "CHNE", "OOTH",
)
ANNEX_A_ETHNICITY_LABEL: dict[str, str] = {
    code: f"{letter}) {code}"
    for letter, code in zip("abcdefghijklmnopqr", _ANNEX_A_ETHNICITY_ORDER, strict=True)
}
ANNEX_A_ETHNICITY_LABEL.update({"REFU": "s) REFU", "NOBT": "s) NOBT"})


def ethnic_major_group(code: str | None) -> str:
    """Major group of a DfE ethnicity code; unknown, blank or refused codes give "Not known"."""
    return ETHNIC_MAJOR_GROUP.get((code or "").strip().upper(), "Not known")


# --- Sex ----------------------------------------------------------------------------------------
#: Canonical sex codes (the 2024-25 onward 903 and CIN census codes, data-standards.md §2.2, §3.2).
SEX_CODES: tuple[str, ...] = ("M", "F", "U")
#: 903 before 2024-25 used 1 = male, 2 = female.
SEX_903_NUMERIC: dict[str, str] = {"M": "1", "F": "2"}
#: CIN census 2024 xsd ``GenderCurrent``: 1 male, 2 female, 0 not recorded/unborn, 9 indeterminate.
CIN_GENDER_CURRENT: dict[str, str] = {"M": "1", "F": "2", "U": "0"}
ANNEX_A_GENDER_LABEL: dict[str, str] = {
    "M": "a) Male",
    "F": "b) Female",
    "U": "c) Not stated/recorded",
}


def uses_letter_sex(collection_year: int) -> bool:
    """903 ``SEX`` and CIN ``Sex`` use M/F/U from the 2024-25 collection (year ending 2025)."""
    return collection_year >= 2025


# --- Referral source (CIN census, data-standards.md §3.2; Annex A labels §1.1) -----------------
REFERRAL_SOURCE_CODES: tuple[str, ...] = (
    "1A", "1B", "1C", "1D", "2A", "2B", "3A", "3B", "3C", "3D", "3E", "3F",
    "4", "5A", "5B", "5C", "5D", "6", "7", "8", "9", "10",
)
REFERRAL_SOURCE_LABELS: dict[str, str] = {
    "1A": "Individual", "1B": "Individual: family member/relative/carer",
    "1C": "Individual: acquaintance", "1D": "Individual: self",
    "2A": "Schools", "2B": "Education services", "3A": "Health: GP",
    "3B": "Health: health visitor", "3C": "Health: school nurse", "3D": "Health: other primary",
    "3E": "Health: A&E", "3F": "Health: other", "4": "Housing", "5A": "LA services: social care",
    "5B": "LA services: other internal", "5C": "LA services: external", "5D": "LA services: early help",
    "6": "Police", "7": "Other legal agency", "8": "Other", "9": "Anonymous", "10": "Unknown",
}

# --- Need, closure, abuse category --------------------------------------------------------------
PRIMARY_NEED_CODES: tuple[str, ...] = ("N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8", "N9", "N0")
PRIMARY_NEED_LABELS: dict[str, str] = {
    "N1": "Abuse or neglect", "N2": "Child's disability", "N3": "Parental illness/disability",
    "N4": "Family in acute stress", "N5": "Family dysfunction",
    "N6": "Socially unacceptable behaviour", "N7": "Low income", "N8": "Absent parenting",
    "N9": "Cases other than children in need", "N0": "Not stated",
}
#: 903 ``CIN`` (category of need): N0 and N9 are not valid there (rule_145).
CATEGORY_OF_NEED_903: tuple[str, ...] = ("N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8")

CLOSURE_REASON_CODES: tuple[str, ...] = (
    "RC1", "RC2", "RC3", "RC4", "RC5", "RC6", "RC7", "RC8", "RC9",
)
CLOSURE_REASON_LABELS: dict[str, str] = {
    "RC1": "Adopted", "RC2": "Died", "RC3": "Child arrangements order",
    "RC4": "Special guardianship order", "RC5": "Transferred to another LA",
    "RC6": "Transferred to adult social care", "RC7": "Case closed: no longer in need",
    "RC8": "Case closed after assessment, no further action",
    "RC9": "Case closed after assessment, referred to early help",
}

CATEGORY_OF_ABUSE_CODES: tuple[str, ...] = ("NEG", "PHY", "SAB", "EMO", "MUL")
ANNEX_A_ABUSE_LABEL: dict[str, str] = {
    "NEG": "a) Neglect", "PHY": "b) Physical abuse", "SAB": "c) Sexual abuse",
    "EMO": "d) Emotional abuse", "MUL": "e) Multiple/not recommended",
}

DISABILITY_CODES: tuple[str, ...] = (
    "NONE", "MOB", "HAND", "PC", "INC", "COMM", "LD", "HEAR", "VIS", "BEH", "CON", "AUT", "DDA",
)

#: Assessment factors (CIN census, data-standards.md §3.2).
ASSESSMENT_FACTOR_CODES: tuple[str, ...] = (
    "1A", "1B", "1C", "2A", "2B", "2C", "3A", "3B", "3C", "4A", "4B", "4C", "5A", "5B", "5C",
    "6A", "6B", "6C", "7A", "8B", "8C", "8D", "8E", "8F", "9A", "10A", "11A", "12A", "13A",
    "14A", "15A", "16A", "17A", "18B", "18C", "19B", "19C", "20", "21", "22A", "23A", "24A",
)

# --- SSDA903 (data-standards.md §2.1 tables, §2.2 codes) ---------------------------------------
#: Exact columns of the 903 CSV tables driftflag reads and writes, in file order (§2.1).
SSDA903_COLUMNS: dict[str, tuple[str, ...]] = {
    "header": ("CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"),
    "episodes": (
        "CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC",
        "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN",
    ),
    "uasc": ("CHILD", "SEX", "DOB", "DUC"),
    "missing": ("CHILD", "DOB", "MISSING", "MIS_START", "MIS_END"),
    "reviews": ("CHILD", "DOB", "REVIEW", "REVIEW_CODE"),
}

#: The other 903 tables driftflag reads (§2.1; csc-validator-be-903 ``lac_validator/config.py``):
#: the social worker episodes, care leavers (OC3), health outcomes (OC2), adoption (AD1, placed
#: for adoption) and previous permanence. The synthetic LA writes ``sw_episodes`` and ``oc3``.
SSDA903_MORE_COLUMNS: dict[str, tuple[str, ...]] = {
    "sw_episodes": ("CHILD", "DOB", "SW_ID", "SW_DECOM", "SW_DEC", "SW_REASON"),
    "oc3": ("CHILD", "DOB", "IN_TOUCH", "ACTIV", "ACCOM"),
    "oc2": (
        "CHILD", "DOB", "SDQ_SCORE", "SDQ_REASON", "CONVICTED", "HEALTH_CHECK", "IMMUNISATIONS",
        "TEETH_CHECK", "HEALTH_ASSESSMENT", "SUBSTANCE_MISUSE", "INTERVENTION_RECEIVED",
        "INTERVENTION_OFFERED",
    ),
    "ad1": ("CHILD", "DOB", "DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR",
            "LS_ADOPTR"),
    "placed_adoption": ("CHILD", "DOB", "DATE_PLACED", "DATE_PLACED_CEASED", "REASON_PLACED_CEASED"),
    "prev_perm": ("CHILD", "DOB", "PREV_PERM", "LA_PERM", "DATE_PERM"),
}

# --- Care leavers (903 OC3; csc-validator-be-903 lac2022_23 rules 131, 132, 133) ---------------
#: Whether the council was in touch at the 17th-21st birthday (rule 131). ``NREQ``: no longer
#: requires services; ``RHOM``: returned home for 6+ months; ``REFU``: refuses contact.
IN_TOUCH_CODES: tuple[str, ...] = ("YES", "NO", "DIED", "REFU", "NREQ", "RHOM")
#: Activity (rule 132): F/P full or part time in education, training or employment (the digit
#: says which); G4-G6 not in education, employment or training; 0 no information.
ACTIVITY_CODES: tuple[str, ...] = (
    "F1", "P1", "F2", "P2", "F4", "P4", "F5", "P5", "G4", "G5", "G6", "0",
)
#: Accommodation (rule 133): a type letter and 1 suitable / 2 unsuitable; 0 no information.
ACCOMMODATION_CODES: tuple[str, ...] = (
    "B1", "B2", "C1", "C2", "D1", "D2", "E1", "E2", "G1", "G2", "H1", "H2", "K1", "K2", "R1",
    "R2", "S2", "T1", "T2", "U1", "U2", "V1", "V2", "W1", "W2", "X2", "Y1", "Y2", "Z1", "Z2", "0",
)
#: Previous permanence option before this period of care (rule 631; meanings unverified, §9).
PREV_PERM_CODES: tuple[str, ...] = ("P1", "P2", "P3", "P4", "Z1")

RNE_CODES: tuple[str, ...] = ("S", "L", "P", "T", "B", "U")
#: Reasons for a new episode that are placement changes (§2.3, the csc-data-synthesizer logic).
RNE_PLACEMENT_CHANGE: frozenset[str] = frozenset({"P", "T", "B", "U"})
LEGAL_STATUS_CODES: tuple[str, ...] = (
    "C1", "C2", "D1", "E1", "V2", "V3", "V4", "L1", "L2", "L3", "J1", "J2", "J3",
)
LEGAL_STATUS_LABELS: dict[str, str] = {
    "C1": "Interim care order", "C2": "Full care order", "D1": "Freeing order",
    "E1": "Placement order", "V2": "Single period of accommodation under s20",
    "V3": "Short breaks (episodes)", "V4": "Short breaks (agreement)", "L1": "Police protection",
    "L2": "Emergency protection order", "L3": "Child assessment order", "J1": "Remand",
    "J2": "PACE", "J3": "Youth rehabilitation order",
}
_PLACE_2023: tuple[str, ...] = (
    "A3", "A4", "A5", "A6", "H5", "K1", "K2", "P1", "P2", "P3", "R1", "R2", "R3", "R5", "S1",
    "T0", "T1", "T2", "T3", "T4", "U1", "U2", "U3", "U4", "U5", "U6", "Z1",
)
_PLACE_2025 = _PLACE_2023 + ("K3",)
_PLACE_2026: tuple[str, ...] = tuple(
    c for c in _PLACE_2025 if c not in {"H5", "P2", "Z1"}
) + ("Z11", "Z12", "Z13", "Z14")


def place_codes(collection_year: int) -> tuple[str, ...]:
    """Valid 903 ``PLACE`` codes for a collection year (year ending 31 March).

    2022-23 to 2023-24 the original list; 2024-25 adds K3; 2025-26 drops H5 and P2 and splits Z1
    into Z11-Z14 (data-standards.md §2.2).
    """
    if collection_year >= 2026:
        return _PLACE_2026
    if collection_year >= 2025:
        return _PLACE_2025
    return _PLACE_2023


ALL_PLACE_CODES: frozenset[str] = frozenset(_PLACE_2023) | frozenset(_PLACE_2026)
PLACE_PROVIDER_CODES: tuple[str, ...] = ("PR0", "PR1", "PR2", "PR3", "PR4", "PR5")
#: PLACE_PROVIDER must be blank for these placements (lac2025_26/rule_178).
PLACE_WITHOUT_PROVIDER: frozenset[str] = frozenset(
    {"T0", "T1", "T2", "T3", "Z11", "Z12", "Z13", "Z14"}
)
REC_CODES: tuple[str, ...] = (
    "X1", "E11", "E12", "E2", "E3", "E4A", "E4B", "E13", "E41", "E45", "E46", "E47", "E48",
    "E5", "E6", "E7", "E8", "E9", "E14", "E15", "E16", "E17",
)
REASON_PLACE_CHANGE_CODES: tuple[str, ...] = (
    "CARPL", "CLOSE", "ALLEG", "STAND", "APPRR", "CREQB", "CREQO", "CHILD", "LAREQ", "PLACE",
    "CUSTOD", "OTHER",
)
MISSING_TYPE_CODES: tuple[str, ...] = ("M", "A")
REVIEW_CODE_CODES: tuple[str, ...] = ("PN0", "PN1", "PN2", "PN3", "PN4", "PN5", "PN6", "PN7")
SW_REASON_CODES: tuple[str, ...] = (
    "MANAGE", "FCONTA", "LEFTRL", "ORGRST", "TSPROC", "ABSENC", "CHCHAN", "PCCHAN", "SWDIED",
    "OTHERS",
)

# --- Pre-proceedings (CIN census 2025-26 block, data-standards.md §3.3) ------------------------
#: The DfE code list for ``PPOutcome`` is unverified (data-standards.md §9). driftflag writes and
#: reads these letters, modelled on the SSD ``prep_legal_gateway_outcome`` list (A continue /
#: B step down / C issue care proceedings / D unknown); a council can map its own.
PP_OUTCOME_CODES: tuple[str, ...] = ("A", "B", "C", "D")
PP_OUTCOME_LABELS: dict[str, str] = {
    "A": "Pre-proceedings continuing",
    "B": "Stepped down (no proceedings issued)",
    "C": "Care proceedings issued",
    "D": "Unknown",
}

# --- Annex A yes/no, legal status, case status (§1.1) ------------------------------------------
ANNEX_A_YES_NO: dict[bool | None, str] = {True: "a) Yes", False: "b) No", None: "c) Unknown"}
ANNEX_A_CASE_STATUS: dict[str, str] = {
    "LAC": "a) Looked after child",
    "CP": "b) Child Protection plan",
    "CIN": "c) Child in need plan",
    "ASSESSMENT": "d) Open assessment",
    "CLOSED": "e) Closed episode",
}
ANNEX_A_PERMANENCE_PLAN: dict[str, str] = {
    "RETURN": "a) Return to family", "ADOPTION": "b) Adoption", "SGO": "c) SGO/CAO",
    "SUPPORTED": "d) Supported living in the community",
    "RESIDENTIAL": "e) Long-term residential placement", "FOSTERING": "f) Long-term fostering",
    "OTHER": "g) other",
}

# --- QA audits (domain-requirements.md §2.1; Ofsted's four-point scale, best first) -------------
AUDIT_GRADES: tuple[str, ...] = ("Outstanding", "Good", "Requires improvement", "Inadequate")
AUDIT_SELECTION_REASONS: tuple[str, ...] = ("random", "targeted", "thematic", "re-audit")


def collection_year_of(d: date) -> int:
    """Collection year (year ending 31 March) that a date falls in."""
    return d.year + 1 if d.month >= 4 else d.year


def collection_year_bounds(collection_year: int) -> tuple[date, date]:
    """First and last day (inclusive) of a collection year."""
    return date(collection_year - 1, 4, 1), date(collection_year, 3, 31)
