"""Ofsted ILACS Annex A: one workbook of child-level lists for an inspection window.

A synthetic LA keeps one Annex A per month end (:func:`write_annex_a_series`), as a council
that saves its Annex A monthly would: each is a snapshot of who held the case and the latest
visit as at its date, and the series is the only history of those snapshots. The latest is the
full workbook; earlier months are the CSV exports of each list (:func:`write_annex_a_csv`), which
hold the same rows and are read about 4 times faster at ingest.

``DIR/annex_a/annex_a_<extract date ISO>.xlsx`` covers the 12 months up to and including the
extract date (e.g. 1 April 2025 - 31 March 2026 for an extract on 2026-03-31). Sheets ``List 3``
to ``List 9`` carry exactly the columns of data-standards.md §1 (header in row 1), values as
Ofsted "letter) label" strings (``a) WBRI``, ``b) Female``, ``a) Yes``, ``a) Neglect``...) and
dates as real Excel date cells formatted ``dd/mm/yyyy``. Nothing after the extract date is
shown (an end date after it is blank: the case was open at the extract date).

What each list holds (one row per event unless stated):

* **List 3** referrals dated in the window. ``Number of Referrals in Last 12 Months`` counts the
  child's *previous* referrals in the 12 months before this one (0 for a first referral; the
  re-referral measure), like the sample file's zeros.
* **List 4** assessments open at any time in the window (``requiring ... support`` only once
  authorised).
* **List 5** section 47 enquiries started in the window; the two counts are the child's previous
  enquiries / initial conferences in the 12 months before this enquiry started.
* **List 6** CIN episodes (not referral NFA) open at any time in the window; ``Case Status`` as at
  the extract date (looked after > CP plan > CIN plan > open assessment; closed episodes
  ``e) Closed episode``). ``Date Child Was Last Seen`` is the latest visit in the episode.
* **List 7** CP plans open at any time in the window; last statutory visit and seen-alone from the
  latest CP visit in the plan; EPO/police protection = an L1/L2 legal status in the six months to
  the extract date.
* **List 8** one row per child looked after at any time in the window, describing the latest
  episode by the extract date. ``Number of Placements in the Last 12 months`` counts the
  placement held at the window start plus placement starts (RNE S/P/T/B/U) in the window.
  The canonical model has no permanence plan, IRO contact, health or dental dates: the
  permanence plan is *derived* from the placement and legal status (see
  :func:`_permanence_plan`), the IRO contact is the latest review, health and dental dates
  and ``LA of Placement`` are blank.
* **List 9** care leavers, minimal: young people aged 16-21 at the extract date whose care ended
  (not by adoption, SGO or residence order) on or after their 16th birthday; eligibility
  ``a) Relevant child`` under 18 else ``b) Former relevant child``; accommodation and activity
  are not modelled and left blank.

``Allocated Team`` / ``Allocated Worker`` (worker name) are the allocation current at the event
(lists 3-5) or at the extract date / end of the episode (lists 6-9); when none is current the
next allocation starting by the extract date is used. Placement codes use the code list of the
extract date's collection year (:func:`ssda903.place_for_year`).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from driftflag.casemodel import codes
from driftflag.casemodel.derived import PERMANENCE_PLANS, permanence_plan_codes
from driftflag.synth.writers._common import (
    _EXCEL_EPOCH,
    ages_in_years,
    as_timestamp,
    bool_values,
    excel_serials,
    map_values,
    object_frame,
    str_values,
)
from driftflag.synth.writers._xlsx import XlsxSheet, _number_text, write_workbook
from driftflag.synth.writers.ssda903 import place_for_year

if TYPE_CHECKING:
    from driftflag.casemodel import CaseStore
    from driftflag.synth.messy import MessyInjector

COMMON: tuple[str, ...] = (
    "Child Unique ID", "Gender", "Ethnicity", "Date of Birth", "Age of Child (Years)",
)
TEAM_WORKER = ("Allocated Team", "Allocated Worker")
DISABILITY = "Does the Child have a Disability"
MISSING_COUNT = ("Number of Episodes the Child has been 'Missing' from their Placement in the "
                 "last 12 months")
ABSENT_COUNT = ("Number of Episodes the Child has been 'Absent' from their Placement in the "
                "last 12 months")

#: Exact column lists (data-standards.md §1), in sheet order.
COLUMNS: dict[str, tuple[str, ...]] = {
    "List 3": (*COMMON, "Date of referral", "Referral Source", "Referral NFA?",
               "Number of Referrals in Last 12 Months", *TEAM_WORKER),
    "List 4": (*COMMON, DISABILITY, "Continuous Assessment Start Date",
               "Child Seen During Continuous Assessment",
               "Continuous Assessment Date of Authorisation",
               "Was the child assessed as requiring LA children's social care support?",
               *TEAM_WORKER),
    "List 5": (*COMMON, DISABILITY, "Strategy discussion initiating Section 47 Enquiry Start Date",
               "Was an Initial Child Protection Conference deemed unnecessary?",
               "Date of Initial Child Protection Conference",
               "Did the Initial Child Protection Conference Result in a Child Protection Plan",
               "Number of Section 47 Enquiries in the last 12 months",
               "Number of ICPCs in the last 12 months", *TEAM_WORKER),
    "List 6": (*COMMON, DISABILITY, "CIN Start Date", "Primary Need Code",
               "Date Child Was Last Seen", "CIN Closure Date", "Reason for Closure", "Case Status",
               *TEAM_WORKER),
    "List 7": (*COMMON, DISABILITY, "Child Protection Plan Start Date",
               "Initial Category of Abuse", "Latest Category of Abuse",
               "Date of the Last Statutory Visit", "Was the Child Seen Alone?",
               "Date of latest review conference", "Child Protection Plan End Date",
               "Subject to Emergency Protection Order or Protected Under Police Powers in Last "
               "Six Months (Y/N)",
               "Number of Previous Child Protection Plans", *TEAM_WORKER),
    "List 8": (*COMMON, DISABILITY, "Date Started to be Looked After", "Child's Category of Need",
               "Is this a second or subsequent period of being a Looked After Child within the "
               "last 12 months (Y/N)",
               "Start date of current legal status", "Child's Legal Status",
               "Date of Latest Statutory Review", "Date of Last Social Work Visit",
               "What is the permanence plan for this child?",
               "Date of Last IRO Visit / Contact to the Child", "Date of Last Health Assessment",
               "Date of Last Dental Check", "Number of Placements in the Last 12 months",
               "Date Ceased to be Looked After", "Reason Ceased to be Looked After",
               "Start Date of Most Recent Placement", "Placement Type", "Placement Provider",
               "Placement postcode", "URN of Placement", "Placement Location", "LA of Placement",
               MISSING_COUNT, ABSENT_COUNT,
               "Was the child offered a Return Interview after their last missing episode (Y/N)?",
               "Did the child accept a Return Interview after their last missing episode (Y/N)?",
               *TEAM_WORKER),
    "List 9": (*COMMON, DISABILITY, *TEAM_WORKER, "Eligibility Category", "LA in Touch",
               "Type of Accommodation", "Suitability of Accommodation", "Activity Status"),
}
SHEETS: tuple[str, ...] = tuple(COLUMNS)

#: Date columns of each list (written as Excel dates).
DATE_COLUMNS: dict[str, tuple[str, ...]] = {
    name: tuple(c for c in cols if "date" in c.lower()) for name, cols in COLUMNS.items()
}

# --- Ofsted labels not in codes.py (liia-tools annex_a_pipeline/spec/Annex_A_schema.yml) -------
REFERRAL_SOURCE_LABEL: dict[str, str] = {
    "1A": "a) 1A: Individual", "1B": "b) 1B: Individual", "1C": "c) 1C: Individual",
    "1D": "d) 1D: Individual", "2A": "e) 2A: Schools", "2B": "f) 2B: Education services",
    "3A": "g) 3A: Health services", "3B": "h) 3B: Health services",
    "3C": "i) 3C: Health services", "3D": "j) 3D: Health services",
    "3E": "k) 3E: Health services", "3F": "l) 3F: Health services", "4": "m) 4: Housing",
    "5A": "n) 5A: LA services", "5B": "o) 5B: LA services", "5C": "p) 5C: LA services",
    "5D": "p1) 5D: LA services", "6": "q) 6: Police", "7": "r) 7: Other legal agency",
    "8": "s) 8: Other", "9": "t) 9: Anonymous", "10": "u) 10: Unknown",
}
PRIMARY_NEED_LABEL: dict[str, str] = {
    "N1": "N1 - Abuse or neglect", "N2": "N2 - Child's disability",
    "N3": "N3 - Parental disability or illness", "N4": "N4 - Family in acute stress",
    "N5": "N5 - Family dysfunction", "N6": "N6 - Socially unacceptable behaviour",
    "N7": "N7 - Low income", "N8": "N8 - Absent parenting",
    "N9": "N9 - Cases other than children in need", "N0": "N0 - Not stated",
}
CLOSURE_REASON_LABEL: dict[str, str] = {
    "RC1": "RC1 - Adopted", "RC2": "RC2 - Died", "RC3": "RC3 - Child arrangements order",
    "RC4": "RC4 - Special guardianship order",
    "RC5": "RC5 - Transferred to services of another local authority",
    "RC6": "RC6 - Transferred to adult social care services",
    "RC7": "RC7 - Services ceased for any other reason, including child no longer in need",
    "RC8": "RC8 - Case closed after assessment, no further action",
    "RC9": "RC9 - Case closed after assessment, referred to early help",
}
LEGAL_STATUS_LABEL: dict[str, str] = {
    "C1": "C1: ICO", "C2": "C2: FCO", "D1": "D1: Freeing order", "E1": "E1: Placement order",
    "V2": "V2: Single period under S20", "V3": "V3: Short term breaks, episodes recorded",
    "V4": "V4: Short term breaks, agreements recorded",
    "L1": "L1: Police protection LA accommodation", "L2": "L2: EPO",
    "L3": "L3: Child assessment order LA accommodation",
    "J1": "J1: Remanded to LA or youth detention", "J2": "J2: LA accommodation under PACE",
    "J3": "J3: Youth rehabilitation order",
}
REASON_CEASED_LABEL: dict[str, str] = {
    "E11": "a) E11: Adopted - application unopposed", "E12": "b) E12: Adopted - consent dispensed",
    "E2": "c) E2: Died", "E3": "d) E3: Care taken by another LA",
    "E4A": "e) E4A: Returned home to live with parents or relatives - part of planning",
    "E4B": "f) E4B: Returned home to live with parents or relatives - not part of planning",
    "E13": "g) E13: Parents, relatives or other with no parental responsibility",
    "E41": "h) E41: Residence order granted",
    "E45": "i) E45: Special Guardianship Orders - former carer relative/friend",
    "E46": "j) E46: Special Guardianship Orders - former carer other",
    "E47": "k) E47: Special Guardianship Orders - relative/friend",
    "E48": "l) E48: Special Guardianship Orders - other",
    "E5": "m) E5: Moved into independent living - supported",
    "E6": "n) E6: Moved into independent living - no support",
    "E7": "o) E7: Transferred to residential care funded by adult social services",
    "E9": "p) E9: Sentenced to custody", "E14": "q) E14: Accommodation on remand ended",
    "E15": "r) E15: Age assessment determined child was 18 or over",
    "E16": "s) E16: Child moved abroad", "E8": "t) E8: Care ceased for any other reason",
    "E17": "v) E17: Aged 18+ and remained with current carers",
}
#: Placement types. K3 and Z11-Z14 (2024-25 / 2025-26 codes) are not in the published template;
#: driftflag labels them ``p1) K3: ...`` and ``v1) Z11: ...`` so the code is still recognisable.
PLACEMENT_TYPE_LABEL: dict[str, str] = {
    "U1": "a) U1: Foster placement - relatives - long term",
    "U2": "b) U2: Foster placement - relative - FFA",
    "U3": "c) U3: Foster placement - relative - not FFA",
    "U4": "d) U4: Foster placement - long term", "U5": "e) U5: Foster placement - FFA",
    "U6": "f) U6: Foster placement - not FFA",
    "A3": "g) A3: Placed for adoption - consent - current foster",
    "A4": "h) A4: Placed for adoption - consent - not foster",
    "A5": "i) A5: Placed for adoption - order - foster",
    "A6": "j) A6: Placed for adoption - order - not foster",
    "P1": "k) P1: Placed with parents", "P2": "l) P2: Independent living",
    "P3": "m) P3: Residential employment", "H5": "n) H5: Residential accommodation",
    "K1": "o) K1: Secure Children's Homes", "K2": "p) K2: Children's Homes",
    "K3": "p1) K3: Registered supported accommodation",
    "R1": "q) R1: Residential Care Home", "R2": "r) R2: NHS/Health Trust",
    "R3": "s) R3: Family Centre or Mother and Baby Unit", "R5": "t) R5: Young Offender Institution",
    "S1": "u) S1: Residential school", "Z1": "v) Z1: Other placements",
    "Z11": "v1) Z11: Other placements", "Z12": "v2) Z12: Other placements",
    "Z13": "v3) Z13: Other placements", "Z14": "v4) Z14: Other placements",
    "T0": "w) T0: Temporary placement", "T1": "x) T1: Temporary placement - hospital",
    "T2": "y) T2: Temporary placement - holiday",
    "T3": "z) T3: Temporary placement - carer holiday",
    "T4": "zz) T4: Temporary placement - seven days or less",
}
PLACEMENT_PROVIDER_LABEL: dict[str, str] = {
    "PR0": "a) PR0: Parents/Parental responsibility", "PR1": "b) PR1: Own provision",
    "PR2": "c) PR2: Other LA provision", "PR3": "d) PR3: Other public provision",
    "PR4": "e) PR4: Private provision", "PR5": "f) PR5: Voluntary/third sector",
}
_YES, _NO, _UNKNOWN = codes.ANNEX_A_YES_NO[True], codes.ANNEX_A_YES_NO[False], codes.ANNEX_A_YES_NO[None]
_PLACEMENT_START = ["S", "P", "T", "B", "U"]
_NOT_CARE_LEAVER = {"E11", "E12", "E41", "E45", "E46", "E47", "E48"}


# --- helpers -------------------------------------------------------------------------------------

def _obj(s) -> pd.Series:
    return pd.Series(s).astype(object)


def _yes_no(s: pd.Series, *, unknown: bool = True) -> np.ndarray:
    return bool_values(s, _YES, _NO, _UNKNOWN if unknown else "")


def _minus_year(s: pd.Series) -> pd.Series:
    """Same calendar date one year earlier (29 Feb -> 28 Feb)."""
    return pd.Series(s, copy=False) - pd.DateOffset(years=1)


def _count_previous(child: pd.Series, when: pd.Series, ev_child: pd.Series,
                    ev_when: pd.Series) -> np.ndarray:
    """For each (child, when): how many of that child's events are dated in
    [when - 1 year, when) - the previous events in the 12 months before (same day excluded)."""
    cats = pd.Index(pd.unique(pd.concat([_obj(child), _obj(ev_child)], ignore_index=True)))
    big = np.int64(1 << 20)  # more days than any date range here

    def key(ids: pd.Series, days: pd.Series) -> np.ndarray:
        d = pd.Series(days).to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
        return cats.get_indexer(_obj(ids)).astype(np.int64) * big + d.astype(np.int64)

    ev_sorted = np.sort(key(ev_child, ev_when), kind="mergesort")
    hi = np.searchsorted(ev_sorted, key(child, when), side="left")
    lo = np.searchsorted(ev_sorted, key(child, _minus_year(when)), side="left")
    return hi - lo


class _Base:
    """What every extract of one store shares, built once for a whole monthly series: the
    children index, allocations with worker names and all visits, joined through integer child
    codes and sorted by date. Each extract then only slices these (48 extracts used to rebuild
    them 48 times)."""

    def __init__(self, store: CaseStore):
        self.children = store["children"].set_index("child_id")
        self._ids = pd.Index(self.children.index.astype(object))

        workers = store["workers"].set_index("worker_id")["worker_name"]
        al = store["allocations"]
        al = al.loc[al["start_date"].notna()]
        names = workers.reindex(al["worker_id"]).to_numpy(dtype=object)
        ids = al["worker_id"].astype(object).to_numpy()
        self.alloc = pd.DataFrame({
            "_c": self.code(al["child_id"]),
            "_start": al["start_date"].to_numpy(dtype="datetime64[ns]"),
            "_end": al["end_date"].to_numpy(dtype="datetime64[ns]"),
            "team": str_values(al["team"]),
            "worker": np.where(pd.isna(names), ids, names).astype(object),
        }).sort_values("_start", kind="mergesort")

        v = store["visits"]
        when = v["visit_date"].to_numpy(dtype="datetime64[ns]")
        keep = np.flatnonzero(~np.isnat(when))
        order = keep[np.argsort(when[keep], kind="stable")]
        kinds, uniq = pd.factorize(v["visit_type"])
        self.kinds = [str(u).upper() for u in uniq]
        self.visits = pd.DataFrame({
            "_c": self.code(v["child_id"])[order],
            "_ev": when[order],
            "seen_alone": v["seen_alone"].astype("Float64").to_numpy(
                dtype=float, na_value=np.nan)[order],
            "_kind": kinds[order],
        })

    def code(self, child) -> np.ndarray:
        """Integer code of each child id (-1 when not in the children table)."""
        codes_, uniq = pd.factorize(pd.Series(child))  # each distinct id looked up once
        lookup = np.append(self._ids.get_indexer(pd.Index(uniq).astype(object)), -1)
        return lookup[codes_].astype(np.int64)


class _Context:
    """Per-workbook lookups shared by the lists.

    Children are joined through integer codes (position in the children table) rather than the
    string ids: as-of merges over 1-2 million visits are an order of magnitude faster that way.
    Only what was recorded by the extract date is kept (allocations started and visits made by
    then), sliced from the :class:`_Base` of the store.
    """

    def __init__(self, store: CaseStore, extract: pd.Timestamp, base: _Base | None = None):
        base = base or _Base(store)
        self.store = store
        self.extract = extract
        self.wstart = extract - pd.DateOffset(years=1) + pd.Timedelta(days=1)
        self.children = base.children
        self._ids = base._ids
        self.year = extract.year + 1 if extract.month >= 4 else extract.year
        self.alloc = base.alloc.loc[base.alloc["_start"].to_numpy() <= np.datetime64(extract)]
        by = np.searchsorted(base.visits["_ev"].to_numpy(), np.datetime64(extract), side="right")
        self.visits = base.visits.iloc[:by]
        self._kinds = base.kinds

    def code(self, child) -> np.ndarray:
        """Integer code of each child id (-1 when not in the children table)."""
        codes_, uniq = pd.factorize(pd.Series(child))  # each distinct id looked up once
        lookup = np.append(self._ids.get_indexer(pd.Index(uniq).astype(object)), -1)
        return lookup[codes_].astype(np.int64)

    def visits_of(self, kind: str) -> pd.DataFrame:
        """Visits whose type starts with ``kind`` (CIN / CP / LAC); all visits if none has it."""
        wanted = [i for i, k in enumerate(self._kinds) if k.startswith(kind)]
        if not wanted:
            return self.visits
        return self.visits.loc[np.isin(self.visits["_kind"].to_numpy(), wanted)]

    def asof(self, events: pd.DataFrame, child, at, cols: list[str], *,
             not_before=None) -> pd.DataFrame:
        """Latest event (``_c``, ``_ev`` sorted by ``_ev``) of each child on or before ``at``
        and, when given, on or after ``not_before``. Aligned with ``child``; ``_ev`` NaT and
        ``cols`` NaN when there is none."""
        n = len(child)
        q = pd.DataFrame({"_c": self.code(child),
                          "_at": pd.Series(at).to_numpy(dtype="datetime64[ns]"),
                          "_q": np.arange(n)})
        q = q.loc[q["_at"].notna()].sort_values("_at", kind="mergesort")
        if len(q) == 0 or len(events) == 0:
            m = pd.DataFrame({"_ev": pd.Series([], dtype="datetime64[ns]"),
                              **{c: pd.Series([], dtype=object) for c in cols}})
        else:
            m = pd.merge_asof(q, events[["_c", "_ev", *cols]], left_on="_at", right_on="_ev",
                              by="_c", direction="backward").set_index("_q")
        m = m.reindex(np.arange(n))
        valid = m["_ev"].notna().to_numpy().copy()
        if not_before is not None:
            nb = pd.Series(not_before).to_numpy(dtype="datetime64[ns]")
            valid &= ~(m["_ev"].to_numpy(dtype="datetime64[ns]") < nb)
        out = pd.DataFrame({"_ev": m["_ev"].where(valid).astype("datetime64[ns]").to_numpy()})
        for c in cols:
            out[c] = m[c].astype(object).where(valid).to_numpy()
        return out

    def common(self, child: pd.Series) -> dict[str, np.ndarray]:
        ch = self.children.reindex(pd.Index(child, dtype="string"))
        # An unborn child (expected date of birth after the extract date) has no date of birth
        # or age yet: nothing after the extract date is shown.
        dob = ch["date_of_birth"].where(~(ch["date_of_birth"] > self.extract))
        return {
            "Child Unique ID": _obj(child).to_numpy(),
            "Gender": map_values(str_values(ch["sex"]), codes.ANNEX_A_GENDER_LABEL),
            "Ethnicity": map_values(str_values(ch["ethnicity"]), codes.ANNEX_A_ETHNICITY_LABEL),
            "Date of Birth": excel_serials(dob),
            "Age of Child (Years)": ages_in_years(dob, self.extract),
            DISABILITY: _yes_no(ch["disability"]),
        }

    def allocated(self, child, at) -> dict[str, np.ndarray]:
        """Team and worker name of the allocation current at ``at`` (else the next one that
        starts by the extract date)."""
        n = len(child)
        team = np.full(n, "", dtype=object)
        worker = np.full(n, "", dtype=object)
        q = pd.DataFrame({"_c": self.code(child),
                          "_at": pd.Series(at).to_numpy(dtype="datetime64[ns]"),
                          "_q": np.arange(n)})
        q = q.loc[q["_at"].notna()].sort_values("_at", kind="mergesort")
        if len(q) and len(self.alloc):
            right = self.alloc
            b = pd.merge_asof(q, right, left_on="_at", right_on="_start", by="_c",
                              direction="backward").set_index("_q")
            f = pd.merge_asof(q, right, left_on="_at", right_on="_start", by="_c",
                              direction="forward").set_index("_q").reindex(b.index)
            ok = (b["team"].notna() & (b["_end"].isna() | (b["_end"] >= b["_at"]))).to_numpy()
            idx = b.index.to_numpy()
            team[idx] = np.where(ok, b["team"].to_numpy(dtype=object), f["team"].to_numpy(dtype=object))
            worker[idx] = np.where(ok, b["worker"].to_numpy(dtype=object),
                                   f["worker"].to_numpy(dtype=object))
            team[pd.isna(team)] = ""
            worker[pd.isna(worker)] = ""
        return {"Allocated Team": team, "Allocated Worker": worker}

    def at_end(self, end: pd.Series) -> pd.Series:
        """min(end, extract) with open ends at the extract date."""
        end = pd.Series(end).reset_index(drop=True)
        return end.where(end.notna() & (end <= self.extract), self.extract)


def _sheet(name: str, data: dict[str, np.ndarray], n: int) -> XlsxSheet:
    cols = {}
    for c in COLUMNS[name]:
        v = data.get(c)
        if v is None:
            v = np.full(n, "", dtype=object)
        cols[c] = np.asarray(v, dtype=object)
    frame = object_frame(cols, list(COLUMNS[name]))
    return XlsxSheet(name=name, frame=frame, date_columns=DATE_COLUMNS[name])


def _sorted(df: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    return df.sort_values(by, kind="mergesort").reset_index(drop=True)


# --- lists ----------------------------------------------------------------------------------------

def _list3(cx: _Context) -> XlsxSheet:
    allr = cx.store["referrals"]
    r = allr.loc[(allr["referral_date"] >= cx.wstart) & (allr["referral_date"] <= cx.extract)]
    r = _sorted(r, ["child_id", "referral_date", "referral_id"])
    allr = allr.loc[allr["referral_date"] <= cx.extract]
    prev = _count_previous(r["child_id"], r["referral_date"], allr["child_id"],
                           allr["referral_date"])
    data = cx.common(r["child_id"])
    data.update({
        "Date of referral": excel_serials(r["referral_date"]),
        "Referral Source": map_values(str_values(r["referral_source"]), REFERRAL_SOURCE_LABEL),
        "Referral NFA?": bool_values(r["referral_nfa"], _YES, _NO, _NO),
        "Number of Referrals in Last 12 Months": prev,
        **cx.allocated(r["child_id"], r["referral_date"]),
    })
    return _sheet("List 3", data, len(r))


def _list4(cx: _Context) -> XlsxSheet:
    a = cx.store["assessments"]
    a = a.loc[(a["start_date"] <= cx.extract)
              & (a["authorisation_date"].isna() | (a["authorisation_date"] >= cx.wstart))]
    a = _sorted(a, ["child_id", "start_date", "assessment_id"])
    authorised = (a["authorisation_date"] <= cx.extract).fillna(False).to_numpy(dtype=bool)
    support = _yes_no(a["requires_support"])
    support[~authorised] = ""
    data = cx.common(a["child_id"])
    data.update({
        "Continuous Assessment Start Date": excel_serials(a["start_date"]),
        "Child Seen During Continuous Assessment": _yes_no(a["child_seen"]),
        "Continuous Assessment Date of Authorisation": excel_serials(a["authorisation_date"],
                                                                     after=cx.extract),
        "Was the child assessed as requiring LA children's social care support?": support,
        **cx.allocated(a["child_id"], a["start_date"]),
    })
    return _sheet("List 4", data, len(a))


def _list5(cx: _Context) -> XlsxSheet:
    alls = cx.store["section47"]
    s = alls.loc[(alls["start_date"] >= cx.wstart) & (alls["start_date"] <= cx.extract)]
    s = _sorted(s, ["child_id", "start_date", "s47_id"])
    known = alls.loc[alls["start_date"] <= cx.extract]
    icpcs = alls.loc[alls["icpc_date"].notna() & (alls["icpc_date"] <= cx.extract)]
    held = (s["icpc_date"] <= cx.extract).fillna(False).to_numpy(dtype=bool)
    result = _yes_no(s["icpc_resulted_in_plan"], unknown=False)
    result[~held] = ""
    data = cx.common(s["child_id"])
    data.update({
        "Strategy discussion initiating Section 47 Enquiry Start Date": excel_serials(s["start_date"]),
        "Was an Initial Child Protection Conference deemed unnecessary?":
            bool_values(s["icpc_not_required"], _YES, _NO, ""),
        "Date of Initial Child Protection Conference": excel_serials(s["icpc_date"],
                                                                     after=cx.extract),
        "Did the Initial Child Protection Conference Result in a Child Protection Plan": result,
        "Number of Section 47 Enquiries in the last 12 months": _count_previous(
            s["child_id"], s["start_date"], known["child_id"], known["start_date"]),
        "Number of ICPCs in the last 12 months": _count_previous(
            s["child_id"], s["start_date"], icpcs["child_id"], icpcs["icpc_date"]),
        **cx.allocated(s["child_id"], s["start_date"]),
    })
    return _sheet("List 5", data, len(s))


def _open_at(df: pd.DataFrame, start: str, end: str, at: pd.Timestamp) -> pd.Series:
    return (df[start] <= at) & (df[end].isna() | (df[end] > at))


def _list6(cx: _Context) -> XlsxSheet:
    st = cx.store
    r = st["referrals"]
    r = r.loc[(r["referral_date"] <= cx.extract)
              & (r["closure_date"].isna() | (r["closure_date"] >= cx.wstart))
              & ~r["referral_nfa"].fillna(False).astype(bool)]
    r = _sorted(r, ["child_id", "referral_date", "referral_id"])
    x = cx.extract
    closed = (r["closure_date"] <= x).fillna(False).to_numpy(dtype=bool)
    kids = r["child_id"].astype(object)
    lac = set(st["lac_episodes"].loc[_open_at(st["lac_episodes"], "decom", "dec", x),
                                     "child_id"].astype(object))
    cp = set(st["cp_plans"].loc[_open_at(st["cp_plans"], "start_date", "end_date", x),
                                "child_id"].astype(object))
    cinp = set(st["cin_plans"].loc[_open_at(st["cin_plans"], "start_date", "end_date", x),
                                   "child_id"].astype(object))
    ass = st["assessments"]
    open_ass = set(ass.loc[_open_at(ass, "start_date", "authorisation_date", x),
                           "child_id"].astype(object))
    done = set(ass.loc[ass["authorisation_date"] <= x, "referral_id"].dropna().astype(object))
    status = np.select(
        [closed, kids.isin(lac).to_numpy(), kids.isin(cp).to_numpy(), kids.isin(cinp).to_numpy(),
         kids.isin(open_ass).to_numpy() | ~r["referral_id"].astype(object).isin(done).to_numpy()],
        [codes.ANNEX_A_CASE_STATUS[k] for k in ("CLOSED", "LAC", "CP", "CIN", "ASSESSMENT")],
        default=codes.ANNEX_A_CASE_STATUS["CIN"],
    ).astype(object)
    reason = map_values(str_values(r["closure_reason"]), CLOSURE_REASON_LABEL)
    reason[~closed] = ""
    until = cx.at_end(r["closure_date"])
    seen = cx.asof(cx.visits, r["child_id"], until, [], not_before=r["referral_date"])
    data = cx.common(r["child_id"])
    data.update({
        "CIN Start Date": excel_serials(r["referral_date"]),
        "Primary Need Code": map_values(str_values(r["primary_need"]), PRIMARY_NEED_LABEL),
        "Date Child Was Last Seen": excel_serials(seen["_ev"]),
        "CIN Closure Date": excel_serials(r["closure_date"], after=x),
        "Reason for Closure": reason,
        "Case Status": status,
        **cx.allocated(r["child_id"], until),
    })
    return _sheet("List 6", data, len(r))


def _list7(cx: _Context) -> XlsxSheet:
    st = cx.store
    x = cx.extract
    p = st["cp_plans"]
    p = p.loc[(p["start_date"] <= x) & (p["end_date"].isna() | (p["end_date"] >= cx.wstart))]
    p = _sorted(p, ["child_id", "start_date", "cp_plan_id"])
    until = cx.at_end(p["end_date"])
    v = cx.asof(cx.visits_of("CP"), p["child_id"], until, ["seen_alone"],
                not_before=p["start_date"])
    seen_alone = _yes_no(v["seen_alone"].astype("boolean"))
    seen_alone[v["_ev"].isna().to_numpy()] = ""
    rv = st["cp_reviews"]
    last_review = rv.loc[rv["review_date"] <= x].groupby("cp_plan_id")["review_date"].max()
    last_review.index = last_review.index.astype(object)
    ep = st["lac_episodes"]
    six = x - pd.DateOffset(months=6)
    epo = ep.loc[ep["ls"].isin(["L1", "L2"]) & (ep["decom"] <= x)
                 & (ep["dec"].isna() | (ep["dec"] > six))]
    epo_kids = set(epo["child_id"].astype(object))
    initial = str_values(p["initial_category"])
    latest = str_values(p["latest_category"])
    latest[latest == ""] = initial[latest == ""]
    data = cx.common(p["child_id"])
    data.update({
        "Child Protection Plan Start Date": excel_serials(p["start_date"]),
        "Initial Category of Abuse": map_values(initial, codes.ANNEX_A_ABUSE_LABEL),
        "Latest Category of Abuse": map_values(latest, codes.ANNEX_A_ABUSE_LABEL),
        "Date of the Last Statutory Visit": excel_serials(v["_ev"]),
        "Was the Child Seen Alone?": seen_alone,
        "Date of latest review conference": excel_serials(
            last_review.reindex(p["cp_plan_id"].astype(object))),
        "Child Protection Plan End Date": excel_serials(p["end_date"], after=x),
        "Subject to Emergency Protection Order or Protected Under Police Powers in Last Six "
        "Months (Y/N)": np.where(p["child_id"].astype(object).isin(epo_kids), _YES, _NO),
        "Number of Previous Child Protection Plans": pd.Series(
            p["number_of_previous_cpp"]).astype("Float64").fillna(0).to_numpy(dtype=float),
        **cx.allocated(p["child_id"], until),
    })
    return _sheet("List 7", data, len(p))


def _permanence_plan(place: np.ndarray, ls: np.ndarray, age: np.ndarray) -> np.ndarray:
    """Annex A label of the derived permanence plan (rule in driftflag.casemodel.derived)."""
    labels = np.array([codes.ANNEX_A_PERMANENCE_PLAN[k] for k in PERMANENCE_PLANS], dtype=object)
    older = np.nan_to_num(np.asarray(age, dtype=float), nan=0.0) >= 16
    return labels[permanence_plan_codes(place, ls, older)]


def _list8(cx: _Context) -> XlsxSheet:
    st = cx.store
    x = cx.extract
    ep = st["lac_episodes"]
    ep = ep.loc[ep["decom"] <= x]
    in_window = set(ep.loc[ep["dec"].isna() | (ep["dec"] >= cx.wstart), "child_id"].astype(object))
    ep = ep.loc[ep["child_id"].astype(object).isin(in_window)]
    ep = _sorted(ep, ["child_id", "decom", "episode_id"])
    ep["child_id"] = ep["child_id"].astype(object)
    by_child = ep["child_id"]
    rne = ep["rne"].astype(object).fillna("").to_numpy()
    ls_all = ep["ls"].astype(object).fillna("")
    ep["_period"] = pd.Series(rne == "S", index=ep.index).astype(int).groupby(by_child).cumsum()
    first_row = (by_child != by_child.shift()).to_numpy()
    new_run = (ls_all != ls_all.shift()).to_numpy() | (rne == "S") | first_row
    ep["_run"] = pd.Series(new_run, index=ep.index).astype(int).groupby(by_child).cumsum()
    ep["_place_start"] = np.isin(rne, _PLACEMENT_START)

    last = ep.groupby("child_id", sort=False).tail(1).set_index("child_id")
    kids = pd.Series(last.index, dtype=object)
    cur_period = last["_period"].reindex(ep["child_id"]).to_numpy()
    cur_run = last["_run"].reindex(ep["child_id"]).to_numpy()
    in_period = ep["_period"].to_numpy() == cur_period
    period_start = ep.loc[in_period].groupby("child_id")["decom"].min().reindex(kids)
    run_start = ep.loc[ep["_run"].to_numpy() == cur_run].groupby("child_id")["decom"].min()
    prev_end = ep.loc[ep["_period"].to_numpy() < cur_period].groupby("child_id")["dec"].max()
    prev_end = prev_end.reindex(kids)
    second = ((prev_end.notna()) & (prev_end >= _minus_year(period_start).to_numpy())).to_numpy()
    place_starts = ep.loc[ep["_place_start"]]
    last_place = place_starts.groupby("child_id")["decom"].max().reindex(kids)
    overlapping = ep.loc[ep["dec"].isna() | (ep["dec"] >= cx.wstart)]
    n_starts = overlapping.loc[overlapping["_place_start"] & (overlapping["decom"] >= cx.wstart)]
    n_starts = n_starts.groupby("child_id").size().reindex(kids).fillna(0).to_numpy()
    held = overlapping.groupby("child_id")["decom"].min().reindex(kids) < cx.wstart
    placements = n_starts + held.to_numpy().astype(int)

    dec = last["dec"].reindex(kids)
    rec = str_values(last["rec"].reindex(kids))
    ceased = ((dec <= x).fillna(False).to_numpy(dtype=bool)) & (rec != "X1") & (rec != "")
    ceased_date = dec.where(ceased)
    reason = map_values(rec, REASON_CEASED_LABEL)
    reason[~ceased] = ""
    until = cx.at_end(ceased_date)

    canon_place = str_values(last["place"].reindex(kids))
    place = place_for_year(canon_place, cx.year)
    provider = str_values(last["place_provider"].reindex(kids))
    provider[np.isin(canon_place, list(codes.PLACE_WITHOUT_PROVIDER)) | (place == "Z1")] = ""
    ls = str_values(last["ls"].reindex(kids))
    age = ages_in_years(cx.children["date_of_birth"].reindex(pd.Index(kids, dtype="string")), x)

    reviews = st["lac_reviews"]
    last_review = reviews.loc[reviews["review_date"] <= x].astype({"child_id": object})
    last_review = last_review.groupby("child_id")["review_date"].max().reindex(kids)
    visit = cx.asof(cx.visits_of("LAC"), kids, until, [], not_before=period_start)

    mi = st["missing_episodes"]
    mi = mi.loc[(mi["start_date"] >= cx.wstart) & (mi["start_date"] <= x)]
    mi = _sorted(mi, ["child_id", "start_date", "missing_id"]).astype({"child_id": object})
    counts = mi.groupby(["child_id", "missing_type"]).size().unstack(fill_value=0)
    n_missing = counts.get("M", pd.Series(dtype=float)).reindex(kids).fillna(0).to_numpy()
    n_absent = counts.get("A", pd.Series(dtype=float)).reindex(kids).fillna(0).to_numpy()
    last_mi = mi.loc[mi["missing_type"].astype(object) == "M"].groupby("child_id").tail(1)
    last_mi = last_mi.set_index("child_id").reindex(kids)
    has_mi = last_mi["missing_id"].notna().to_numpy()
    offered = _yes_no(last_mi["rhi_offered"].astype("boolean"))
    accepted = _yes_no(last_mi["rhi_accepted"].astype("boolean"))
    offered[~has_mi] = ""
    accepted[~has_mi] = ""

    in_la = last["placement_in_la"].reindex(kids).astype("boolean")
    data = cx.common(kids)
    data.update({
        "Date Started to be Looked After": excel_serials(period_start),
        "Child's Category of Need": map_values(str_values(last["cin"].reindex(kids)),
                                               PRIMARY_NEED_LABEL),
        "Is this a second or subsequent period of being a Looked After Child within the last "
        "12 months (Y/N)": np.where(second, _YES, _NO).astype(object),
        "Start date of current legal status": excel_serials(run_start.reindex(kids)),
        "Child's Legal Status": map_values(ls, LEGAL_STATUS_LABEL),
        "Date of Latest Statutory Review": excel_serials(last_review),
        "Date of Last Social Work Visit": excel_serials(visit["_ev"]),
        "What is the permanence plan for this child?": _permanence_plan(place, ls, age),
        "Date of Last IRO Visit / Contact to the Child": excel_serials(last_review),
        "Number of Placements in the Last 12 months": placements.astype(float),
        "Date Ceased to be Looked After": excel_serials(ceased_date),
        "Reason Ceased to be Looked After": reason,
        "Start Date of Most Recent Placement": excel_serials(last_place),
        "Placement Type": map_values(place, PLACEMENT_TYPE_LABEL),
        "Placement Provider": map_values(provider, PLACEMENT_PROVIDER_LABEL),
        "Placement postcode": str_values(last["pl_post"].reindex(kids)),
        "URN of Placement": str_values(last["urn"].reindex(kids)),
        "Placement Location": bool_values(in_la, "a) In", "b) Out", ""),
        MISSING_COUNT: n_missing.astype(float),
        ABSENT_COUNT: n_absent.astype(float),
        "Was the child offered a Return Interview after their last missing episode (Y/N)?": offered,
        "Did the child accept a Return Interview after their last missing episode (Y/N)?": accepted,
        **cx.allocated(kids, until),
    })
    return _sheet("List 8", data, len(kids))


def _list9(cx: _Context) -> XlsxSheet:
    x = cx.extract
    ep = cx.store["lac_episodes"]
    ep = ep.loc[ep["decom"] <= x]
    last = _sorted(ep, ["child_id", "decom", "episode_id"]).groupby("child_id").tail(1)
    last = last.astype({"child_id": object})
    dob = cx.children["date_of_birth"].reindex(pd.Index(last["child_id"], dtype="string"))
    dob = dob.reset_index(drop=True)
    last = last.reset_index(drop=True)
    age = ages_in_years(dob, x)
    rec = str_values(last["rec"])
    ok = ((last["dec"] <= x).fillna(False).to_numpy(dtype=bool)
          & (rec != "X1") & (rec != "") & ~np.isin(rec, list(_NOT_CARE_LEAVER))
          & (age >= 16) & (age <= 21)
          & (last["dec"] >= dob + pd.DateOffset(years=16)).fillna(False).to_numpy(dtype=bool))
    leavers = last.loc[ok].reset_index(drop=True)
    kids = leavers["child_id"]
    eligibility = np.where(age[ok] >= 18, "b) Former relevant child", "a) Relevant child")
    data = cx.common(kids)
    data.update({
        "Eligibility Category": eligibility.astype(object),
        **cx.allocated(kids, pd.Series(x, index=kids.index)),
    })
    return _sheet("List 9", data, len(leavers))


def build_annex_a(store: CaseStore, extract_date: date | str | pd.Timestamp,
                  base: _Base | None = None) -> list[XlsxSheet]:
    """Build the seven lists (List 3 - List 9) for the 12 months up to ``extract_date``
    (``base``: the store's shared lookups, when several extracts are built)."""
    cx = _Context(store, as_timestamp(extract_date), base)
    return [_list3(cx), _list4(cx), _list5(cx), _list6(cx), _list7(cx), _list8(cx), _list9(cx)]


def month_ends(first: date | pd.Timestamp, last: date | pd.Timestamp) -> list[pd.Timestamp]:
    """Every month end from ``first``'s month to ``last`` (inclusive)."""
    return list(pd.date_range(as_timestamp(first), as_timestamp(last), freq="ME"))


def annex_a_extract_dates(start: date, end: date, months: int) -> list[pd.Timestamp]:
    """The month ends an LA keeps an Annex A for: the last ``months`` month ends up to ``end``
    (0: every month end from ``start``). Each workbook is a snapshot as at its extract date, so
    a panel of past months needs one per month to know who held each case then."""
    ends = month_ends(start, end)
    return ends if months <= 0 else ends[-months:]


def write_annex_a_series(
    store: CaseStore,
    out_dir: Path,
    extract_dates: list[pd.Timestamp],
    *,
    faults: MessyInjector | None = None,
    history: str = "csv",
) -> list[Path]:
    """Write one Annex A per extract date, oldest first: the latest as the full workbook
    (``annex_a/annex_a_<date>.xlsx``), the earlier ones as the CSV exports of each list
    (``annex_a/annex_a_<date>_list_<n>.csv``) unless ``history="xlsx"``.

    The history only has to carry each month's snapshot (who held the case, the latest visit)
    for ingest, which reads CSV exports of the lists like workbooks; CSV makes the 48 monthly
    extracts of the demo LA several times quicker to write and to read (benchmarks/README.md).
    Messy faults go into the latest workbook only (the one a council sends with its returns),
    so the fault ledger stays the size it was with a single extract."""
    if history not in ("csv", "xlsx"):
        raise ValueError(f"history must be 'csv' or 'xlsx', not {history!r}")
    dates = sorted(extract_dates)
    base = _Base(store)
    out: list[Path] = []
    for k, d in enumerate(dates):
        latest = k == len(dates) - 1
        if latest or history == "xlsx":
            out.append(write_annex_a(store, out_dir, d, faults=faults if latest else None, base=base))
        else:
            out.extend(write_annex_a_csv(store, out_dir, d, base=base))
    return out


def write_annex_a(
    store: CaseStore,
    out_dir: Path,
    extract_date: date | str | pd.Timestamp,
    *,
    faults: MessyInjector | None = None,
    base: _Base | None = None,
) -> Path:
    """Write ``out_dir/annex_a/annex_a_<extract date ISO>.xlsx`` and return its path."""
    extract = as_timestamp(extract_date)
    rel = f"annex_a/annex_a_{extract.strftime('%Y-%m-%d')}.xlsx"
    sheets = build_annex_a(store, extract, base)
    if faults is not None:
        sheets = faults.annex_a(sheets, file=rel)
    return write_workbook(Path(out_dir) / rel, sheets)


def write_annex_a_csv(
    store: CaseStore,
    out_dir: Path,
    extract_date: date | str | pd.Timestamp,
    *,
    base: _Base | None = None,
) -> list[Path]:
    """Write each list as a council's CSV export, ``out_dir/annex_a/annex_a_<extract date
    ISO>_list_<n>.csv`` (header row, dates ``dd/mm/yyyy``, numbers without ``.0``), and return
    the paths. The extract date in the name is what ingest dates the snapshot by."""
    extract = as_timestamp(extract_date)
    folder = Path(out_dir) / "annex_a"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for sheet in build_annex_a(store, extract, base):
        number = sheet.name.split()[-1]
        path = folder / f"annex_a_{extract.strftime('%Y-%m-%d')}_list_{number}.csv"
        export_frame(sheet).to_csv(path, index=False, lineterminator="\n", encoding="utf-8")
        paths.append(path)
    return paths


def export_frame(sheet: XlsxSheet) -> pd.DataFrame:
    """The sheet as the text a CSV export shows: Excel serials in date columns as ``dd/mm/yyyy``
    (text there, e.g. an injected bad date, kept), numbers without a trailing ``.0``, blanks
    empty."""
    cols: dict[str, np.ndarray] = {}
    for name, col in zip(sheet.header, sheet.frame.columns, strict=True):
        values = sheet.frame[col].to_numpy(dtype=object)
        text = np.full(len(values), "", dtype=object)
        if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
            is_str = ~pd.isna(values)
        else:
            is_str = np.fromiter((type(v) is str for v in values), dtype=bool, count=len(values))
        text[is_str] = values[is_str]
        num = ~is_str & ~pd.isna(values)
        if num.any():
            if col in sheet.date_columns:
                # each distinct day formatted once (a few thousand, not one per row)
                days, at = np.unique(values[num].astype(float).astype(np.int64), return_inverse=True)
                shown = pd.DatetimeIndex(_EXCEL_EPOCH + days.astype("timedelta64[D]")).strftime("%d/%m/%Y")
                text[num] = shown.to_numpy(dtype=object)[at]
            else:
                text[num] = _number_text(values[num])
        cols[name] = text
    return pd.DataFrame(cols, columns=list(sheet.header))
