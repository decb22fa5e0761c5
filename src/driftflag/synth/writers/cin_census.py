"""CIN census (children in need) return: one XML file per collection year.

Layout: ``DIR/cin_census/cin_census_<label>.xml`` (``cin_census_2025-26.xml`` for collection
year 2026). Element names, order and nesting follow the DfE schema as used by the sample
``CIN_Census_2024.xml`` (data-standards.md §3.1)::

    Message/Header/CollectionDetails{Collection, Year, ReferenceDate}
    Message/Header/Source{SourceLevel, LEA, SoftwareCode, Release, SerialNo, DateTime}
    Message/Children/Child
        ChildIdentifiers{LAchildID, UPN, UPNunknown, PersonBirthDate | ExpectedPersonBirthDate,
                         GenderCurrent (before 2025) | Sex (from 2025), PersonDeathDate}
        ChildCharacteristics{Ethnicity, Disabilities/Disability*}
        CINdetails*{CINreferralDate, ReferralSource, PrimaryNeedCode, CINclosureDate,
                    ReasonForClosure, DateOfInitialCPC,
                    Assessments*{AssessmentActualStartDate, AssessmentAuthorisationDate,
                                 FactorsIdentifiedAtAssessment/AssessmentFactors*},
                    CINPlanDates*{CINPlanStartDate, CINPlanEndDate},
                    Section47*{S47ActualStartDate, InitialCPCtarget, DateOfInitialCPC,
                               ICPCnotRequired},
                    ReferralNFA,
                    ChildProtectionPlans*{CPPstartDate, CPPendDate, InitialCategoryOfAbuse,
                                          LatestCategoryOfAbuse, NumberOfPreviousCPP,
                                          Reviews/CPPreviewDate*},
                    PreProceedingsandFGDM*{...}   (collection year >= 2026 only)}

Rules for collection year ``Y`` (reference date 31 March ``Y``):

* Children: those with a CIN episode (a canonical ``referrals`` row) open at any time in the
  year (referral on or before the reference date, closure blank or on/after 1 April ``Y-1``),
  ordered by ``LAchildID``; their CINdetails are those episodes, by referral date.
* Nested blocks of an episode are included when they started on or before the reference date.
* Every date after the reference date is omitted (a closure after it means no
  ``CINclosureDate``/``ReasonForClosure``; a step decision after it means no ``PPOutcome``).
  The one exception is ``ExpectedPersonBirthDate`` of a child not yet born at the reference
  date, which is a plan known at that date; such a child is written with ``Sex`` ``U``
  (``GenderCurrent`` ``0``), as the census requires for unborn children.
* Yes/no fields (``ReferralNFA``, ``ICPCnotRequired``, ``FGDMMeetingOffer``,
  ``FGDMMeetingFac``) are ``1``/``0`` (the schema's ``yesnotype`` allows true/false/1/0; the
  samples use ``0`` and ``1``).
* ``DateOfInitialCPC`` in CINdetails is the earliest initial conference of the episode that
  resulted in a plan. ``UPNunknown`` is ``UN1`` (under 6) or ``UN2`` when there is no UPN.
* ``LetterInitCPDate`` is never written (its meaning is unconfirmed, data-standards.md §9).
* ``DateTime`` in the header is the reference date at 00:00:00, so the bytes are reproducible.

The XML is built as string fragments per table (vectorised), joined per CIN episode and per
child, and streamed to disk; see :func:`build_cin_census` for the intermediate form the messy
injector works on.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from driftflag import __version__
from driftflag.casemodel import codes
from driftflag.synth.writers._common import (
    ages_in_years,
    bool_values,
    collection_label,
    fmt_dates,
    group_join,
    int_values,
    object_frame,
    str_values,
    year_window,
)

if TYPE_CHECKING:
    from driftflag.casemodel import CaseStore
    from driftflag.synth.messy import MessyInjector

#: Position columns: 1-based index of the Child, of the CINdetails within the child, and of the
#: item (Assessments, CPP, ...) within the CINdetails; ``_sub`` indexes a CPPreviewDate within
#: its plan. They give document order and the XPath of any value.
POS = ("_child", "_cin", "_item", "_sub")

#: Value columns of each flat table, in element order. ``Disability`` and ``AssessmentFactors``
#: hold space-separated lists.
COLUMNS: dict[str, tuple[str, ...]] = {
    "Child": ("LAchildID", "UPN", "UPNunknown", "PersonBirthDate", "ExpectedPersonBirthDate",
              "GenderCurrent", "Sex", "PersonDeathDate", "Ethnicity", "Disability"),
    "CINdetails": ("CINreferralDate", "ReferralSource", "PrimaryNeedCode", "CINclosureDate",
                   "ReasonForClosure", "DateOfInitialCPC", "ReferralNFA"),
    "Assessments": ("AssessmentActualStartDate", "AssessmentAuthorisationDate",
                    "AssessmentFactors"),
    "CINPlanDates": ("CINPlanStartDate", "CINPlanEndDate"),
    "Section47": ("S47ActualStartDate", "InitialCPCtarget", "DateOfInitialCPC",
                  "ICPCnotRequired"),
    "ChildProtectionPlans": ("CPPstartDate", "CPPendDate", "InitialCategoryOfAbuse",
                             "LatestCategoryOfAbuse", "NumberOfPreviousCPP"),
    "CPPreviewDate": ("CPPreviewDate",),
    "PreProceedingsandFGDM": ("PPStartDate", "LBPSentDate", "FGDMMeetingOffer", "FGDMMeetingFac",
                              "InitialPPMeetingDate", "ReviewMeetingsCount", "StepDecisionDate",
                              "PPOutcome", "CourtAppDate", "LetterInitCPDate"),
}
#: Which position columns each table carries.
TABLE_POS: dict[str, tuple[str, ...]] = {
    "Child": ("_child",),
    "CINdetails": ("_child", "_cin"),
    "Assessments": ("_child", "_cin", "_item"),
    "CINPlanDates": ("_child", "_cin", "_item"),
    "Section47": ("_child", "_cin", "_item"),
    "ChildProtectionPlans": ("_child", "_cin", "_item"),
    "CPPreviewDate": ("_child", "_cin", "_item", "_sub"),
    "PreProceedingsandFGDM": ("_child", "_cin", "_item"),
}
TABLES: tuple[str, ...] = tuple(COLUMNS)
_IDENTIFIER_COLUMNS = ("LAchildID", "UPN", "UPNunknown", "PersonBirthDate",
                       "ExpectedPersonBirthDate", "GenderCurrent", "Sex", "PersonDeathDate")


def xml_path(table: str, pos: dict[str, int], column: str | None) -> str:
    """XPath of a value (or of a whole element when ``column`` is None) in the census file."""
    p = f"/Message/Children/Child[{pos['_child']}]"
    if table == "Child":
        if column is None:
            return p
        part = "ChildIdentifiers" if column in _IDENTIFIER_COLUMNS else "ChildCharacteristics"
        if column == "Disability":
            return f"{p}/{part}/Disabilities/Disability"
        return f"{p}/{part}/{column}"
    p += f"/CINdetails[{pos['_cin']}]"
    if table == "CINdetails":
        return p if column is None else f"{p}/{column}"
    if table == "CPPreviewDate":
        return f"{p}/ChildProtectionPlans[{pos['_item']}]/Reviews/CPPreviewDate[{pos['_sub']}]"
    p += f"/{table}[{pos['_item']}]"
    if column is None:
        return p
    if column == "AssessmentFactors":
        return f"{p}/FactorsIdentifiedAtAssessment/AssessmentFactors"
    return f"{p}/{column}"


@dataclass
class CinCensus:
    """One census file before serialisation: header values plus flat all-string tables.

    Each table (keys of :data:`COLUMNS`) has its position columns (:data:`TABLE_POS`) and value
    columns; ``""`` means the element is omitted. ``collection_year`` decides ``GenderCurrent``
    vs ``Sex`` and whether the pre-proceedings block exists.
    """

    collection_year: int
    header: dict[str, str]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)


def _empty_table(name: str) -> pd.DataFrame:
    cols = {c: pd.Series([], dtype="int64") for c in TABLE_POS[name]}
    cols.update({c: pd.Series([], dtype=object) for c in COLUMNS[name]})
    return pd.DataFrame(cols)


def _table(name: str, pos: dict[str, np.ndarray], values: dict[str, np.ndarray], n: int):
    cols: dict[str, np.ndarray] = {c: np.asarray(pos[c], dtype="int64") for c in TABLE_POS[name]}
    for c in COLUMNS[name]:
        v = values.get(c)
        cols[c] = np.full(n, "", dtype=object) if v is None else np.asarray(v, dtype=object)
    return object_frame(cols)


def _run_position(groups: np.ndarray) -> np.ndarray:
    """1-based running number within runs of equal consecutive values of ``groups``."""
    n = len(groups)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    start = np.ones(n, dtype=bool)
    start[1:] = groups[1:] != groups[:-1]
    idx = np.arange(n)
    return idx - np.maximum.accumulate(np.where(start, idx, 0)) + 1


_NESTED = {  # canonical table -> (start date column, id column)
    "assessments": ("start_date", "assessment_id"),
    "cin_plans": ("start_date", "cin_plan_id"),
    "section47": ("start_date", "s47_id"),
    "cp_plans": ("start_date", "cp_plan_id"),
    "pre_proceedings": ("start_date", "pp_id"),
}


class CinPrep:
    """Work done once per store and shared by every collection year's census.

    Referrals are sorted by (child, referral date, id) and every nested record is linked to its
    referral's row by integer position, so each year is a matter of numpy masks and takes.
    """

    def __init__(self, store: CaseStore):
        ref = store["referrals"].sort_values(["child_id", "referral_date", "referral_id"],
                                             kind="mergesort").reset_index(drop=True)
        self.ref = ref
        children = store["children"]
        child_codes, _ = pd.factorize(ref["child_id"])
        self.ref_child = child_codes.astype(np.int64)
        self.ref_child_row = pd.Index(children["child_id"].astype(object)).get_indexer(
            ref["child_id"].astype(object))
        self.children = children
        ref_index = pd.Index(ref["referral_id"].astype(object))
        self.nested: dict[str, tuple[pd.DataFrame, np.ndarray]] = {}
        for name, (date_col, id_col) in _NESTED.items():
            df = store[name].sort_values([date_col, id_col], kind="mergesort")
            df = df.reset_index(drop=True)
            self.nested[name] = (df, ref_index.get_indexer(df["referral_id"].astype(object)))
        plans = self.nested["cp_plans"][0]
        rv = store["cp_reviews"].sort_values(["review_date"], kind="mergesort")
        rv = rv.reset_index(drop=True)
        self.reviews = rv
        self.review_plan = pd.Index(plans["cp_plan_id"].astype(object)).get_indexer(
            rv["cp_plan_id"].astype(object))


def build_cin_census(store: CaseStore, collection_year: int, *, la_code: str = "999",
                     prep: CinPrep | None = None) -> CinCensus:
    """Build one collection year's census as a :class:`CinCensus` (no file written).

    ``prep`` (a :class:`CinPrep` of the same store) saves the per-store work when several years
    are built.
    """
    prep = prep or CinPrep(store)
    start, end = year_window(collection_year)
    header = {
        "Collection": "CIN",
        "Year": str(collection_year),
        "ReferenceDate": end.strftime("%Y-%m-%d"),
        "SourceLevel": "L",
        "LEA": str(la_code),
        "SoftwareCode": "driftflag",
        "Release": __version__,
        "SerialNo": "001",
        "DateTime": end.strftime("%Y-%m-%dT00:00:00"),
    }
    doc = CinCensus(collection_year=collection_year, header=header)
    end64 = np.datetime64(end)

    allref = prep.ref
    rdate = allref["referral_date"].to_numpy(dtype="datetime64[ns]")
    cdate = allref["closure_date"].to_numpy(dtype="datetime64[ns]")
    sel = np.flatnonzero((rdate <= end64) & (np.isnat(cdate) | (cdate >= np.datetime64(start)))
                         & (prep.ref_child_row >= 0))  # a referral of an unknown child is skipped
    ref = allref.iloc[sel].reset_index(drop=True)  # already in (child, date, id) order
    kid = prep.ref_child[sel]
    new_child = np.ones(len(sel), dtype=bool)
    new_child[1:] = kid[1:] != kid[:-1]
    ref_child = np.cumsum(new_child)
    ref_cin = _run_position(kid)
    year_pos = np.full(len(allref), -1, dtype=np.int64)
    year_pos[sel] = np.arange(len(sel))

    # --- Child -------------------------------------------------------------------------------
    ch = prep.children.iloc[prep.ref_child_row[sel][new_child]].reset_index(drop=True)
    n = len(ch)
    dob = ch["date_of_birth"]
    unborn = (dob > end).fillna(False).to_numpy(dtype=bool)
    sex = str_values(ch["sex"])
    sex[unborn] = "U"
    if codes.uses_letter_sex(collection_year):
        gender_current, sex_col = np.full(n, "", dtype=object), sex
    else:
        gc = pd.Series(sex, dtype=object).map(codes.CIN_GENDER_CURRENT).fillna("0")
        gender_current, sex_col = gc.to_numpy(dtype=object), np.full(n, "", dtype=object)
    upn = str_values(ch["upn"])
    age = ages_in_years(dob, end)
    upn_unknown = np.where(upn != "", "", np.where(np.nan_to_num(age, nan=0.0) < 6, "UN1", "UN2"))
    disab = str_values(ch["disability_codes"])
    disab[disab == ""] = "NONE"
    dob_txt = fmt_dates(dob, style="iso")
    child = _table("Child", {"_child": np.arange(1, n + 1)}, {
        "LAchildID": str_values(ch["child_id"]),
        "UPN": upn,
        "UPNunknown": upn_unknown.astype(object),
        "PersonBirthDate": np.where(unborn, "", dob_txt).astype(object),
        "ExpectedPersonBirthDate": np.where(unborn, dob_txt, "").astype(object),
        "GenderCurrent": gender_current,
        "Sex": sex_col,
        "PersonDeathDate": fmt_dates(ch["date_of_death"], style="iso", after=end),
        "Ethnicity": str_values(ch["ethnicity"]),
        "Disability": disab,
    }, n)

    # --- nested tables ------------------------------------------------------------------------
    def nested(table: str) -> tuple[pd.DataFrame, dict, np.ndarray, np.ndarray]:
        """This year's records of a nested table in document order, their positions, their
        rows in the prepared table and the index of their CINdetails in ``ref``."""
        df, ref_row = prep.nested[table]
        date_col = _NESTED[table][0]
        at = np.where(ref_row >= 0, year_pos[ref_row], -1)
        keep = (at >= 0) & (df[date_col].to_numpy(dtype="datetime64[ns]") <= end64)
        rows = np.flatnonzero(keep)
        at = at[rows]
        # (date, id) order is preserved by the stable sort on the episode position
        order = np.lexsort((np.arange(len(rows)), ref_cin[at], ref_child[at]))
        rows, at = rows[order], at[order]
        out = df.iloc[rows].reset_index(drop=True)
        pos = {"_child": ref_child[at], "_cin": ref_cin[at], "_item": _run_position(at)}
        return out, pos, rows, at

    s47, s47_pos, _, s47_ep = nested("section47")
    # DateOfInitialCPC of the episode: first ICPC (by the reference date) that started a plan.
    icpc_date = s47["icpc_date"].to_numpy(dtype="datetime64[ns]")
    started_plan = s47["icpc_resulted_in_plan"].fillna(False).to_numpy(dtype=bool)
    ok = started_plan & (icpc_date <= end64)
    first_icpc = np.full(len(ref), np.datetime64("NaT"), dtype="datetime64[ns]")
    if ok.any():
        first = pd.Series(icpc_date[ok]).groupby(s47_ep[ok]).min()
        first_icpc[first.index.to_numpy()] = first.to_numpy()

    closed = (ref["closure_date"] <= end).fillna(False).to_numpy(dtype=bool)
    reason = str_values(ref["closure_reason"])
    reason[~closed] = ""
    cindetails = _table("CINdetails", {"_child": ref_child, "_cin": ref_cin}, {
        "CINreferralDate": fmt_dates(ref["referral_date"], style="iso"),
        "ReferralSource": str_values(ref["referral_source"]),
        "PrimaryNeedCode": str_values(ref["primary_need"]),
        "CINclosureDate": fmt_dates(ref["closure_date"], style="iso", after=end),
        "ReasonForClosure": reason,
        "DateOfInitialCPC": fmt_dates(pd.Series(first_icpc), style="iso"),
        "ReferralNFA": bool_values(ref["referral_nfa"], "1", "0", "0"),
    }, len(ref))

    ass, ass_pos, _, _ = nested("assessments")
    assessments = _table("Assessments", ass_pos, {
        "AssessmentActualStartDate": fmt_dates(ass["start_date"], style="iso"),
        "AssessmentAuthorisationDate": fmt_dates(ass["authorisation_date"], style="iso", after=end),
        "AssessmentFactors": str_values(ass["factors"]),
    }, len(ass))

    cp, cp_pos, _, _ = nested("cin_plans")
    plans = _table("CINPlanDates", cp_pos, {
        "CINPlanStartDate": fmt_dates(cp["start_date"], style="iso"),
        "CINPlanEndDate": fmt_dates(cp["end_date"], style="iso", after=end),
    }, len(cp))

    section47 = _table("Section47", s47_pos, {
        "S47ActualStartDate": fmt_dates(s47["start_date"], style="iso"),
        "InitialCPCtarget": fmt_dates(s47["icpc_target_date"], style="iso", after=end),
        "DateOfInitialCPC": fmt_dates(s47["icpc_date"], style="iso", after=end),
        "ICPCnotRequired": bool_values(s47["icpc_not_required"], "1", "0", "0"),
    }, len(s47))

    cpp, cpp_pos, cpp_rows, _ = nested("cp_plans")
    latest = str_values(cpp["latest_category"])
    initial = str_values(cpp["initial_category"])
    latest[latest == ""] = initial[latest == ""]
    cpps = _table("ChildProtectionPlans", cpp_pos, {
        "CPPstartDate": fmt_dates(cpp["start_date"], style="iso"),
        "CPPendDate": fmt_dates(cpp["end_date"], style="iso", after=end),
        "InitialCategoryOfAbuse": initial,
        "LatestCategoryOfAbuse": latest,
        "NumberOfPreviousCPP": int_values(cpp["number_of_previous_cpp"]),
    }, len(cpp))

    # reviews: link to this year's plans (row in the prepared cp_plans -> position here)
    plan_here = np.full(len(prep.nested["cp_plans"][0]), -1, dtype=np.int64)
    plan_here[cpp_rows] = np.arange(len(cpp_rows))
    rv_all = prep.reviews
    at = np.where(prep.review_plan >= 0, plan_here[prep.review_plan], -1)
    keep = np.flatnonzero((at >= 0)
                          & (rv_all["review_date"].to_numpy(dtype="datetime64[ns]") <= end64))
    at = at[keep]
    order = np.lexsort((np.arange(len(at)), at))  # by plan, then review date
    keep, at = keep[order], at[order]
    rv = rv_all.iloc[keep].reset_index(drop=True)
    reviews = _table("CPPreviewDate", {
        "_child": cpp_pos["_child"][at], "_cin": cpp_pos["_cin"][at],
        "_item": cpp_pos["_item"][at], "_sub": _run_position(at),
    }, {"CPPreviewDate": fmt_dates(rv["review_date"], style="iso")}, len(rv))

    tables = {"Child": child, "CINdetails": cindetails, "Assessments": assessments,
              "CINPlanDates": plans, "Section47": section47, "ChildProtectionPlans": cpps,
              "CPPreviewDate": reviews}
    if collection_year >= 2026:
        pp, pp_pos, _, _ = nested("pre_proceedings")
        decided = (pp["decision_date"] <= end).fillna(False).to_numpy(dtype=bool)
        outcome = str_values(pp["outcome"])
        outcome[~decided] = ""
        tables["PreProceedingsandFGDM"] = _table("PreProceedingsandFGDM", pp_pos, {
            "PPStartDate": fmt_dates(pp["start_date"], style="iso"),
            "LBPSentDate": fmt_dates(pp["letter_before_proceedings_date"], style="iso", after=end),
            "FGDMMeetingOffer": bool_values(pp["fgdm_offered"], "1", "0"),
            "FGDMMeetingFac": bool_values(pp["fgdm_facilitated"], "1", "0"),
            "InitialPPMeetingDate": fmt_dates(pp["initial_meeting_date"], style="iso", after=end),
            "ReviewMeetingsCount": int_values(pp["review_meetings_count"]),
            "StepDecisionDate": fmt_dates(pp["decision_date"], style="iso", after=end),
            "PPOutcome": outcome,
            "CourtAppDate": fmt_dates(pp["court_application_date"], style="iso", after=end),
        }, len(pp))
    else:
        tables["PreProceedingsandFGDM"] = _empty_table("PreProceedingsandFGDM")
    doc.tables = tables
    return doc


# --- serialisation ------------------------------------------------------------------------------

def _esc(values: np.ndarray) -> np.ndarray:
    """Escape XML text (``&``, ``<``, ``>``) in an object array of strings."""
    if len(values) == 0:
        return values
    joined = "".join(values.tolist())  # one C-level pass instead of a regex per value
    if "&" not in joined and "<" not in joined and ">" not in joined:
        return values
    s = pd.Series(values, dtype=object)
    s = s.str.replace("&", "&amp;", regex=False).str.replace("<", "&lt;", regex=False)
    return s.str.replace(">", "&gt;", regex=False).to_numpy(dtype=object)


def _leaf(tag: str, values: np.ndarray, *, keep_empty: bool = False) -> np.ndarray:
    """``<tag>value</tag>`` per row; rows with ``""`` give ``""`` (element omitted).

    Dates and codes repeat a lot, so each distinct value is rendered once (factorize, take).
    """
    values = np.asarray(values, dtype=object)
    if len(values) == 0:
        return values
    codes_, uniques = pd.factorize(values)
    uniq = np.asarray(uniques, dtype=object)
    rendered = np.empty(len(uniq) + 1, dtype=object)
    rendered[:-1] = [f"<{tag}>{u}</{tag}>" if (u or keep_empty) else "" for u in _esc(uniq)]
    rendered[-1] = ""
    return rendered[codes_]


def _list_leaf(outer: str, tag: str, values: np.ndarray) -> np.ndarray:
    """``<outer><tag>a</tag><tag>b</tag></outer>`` from space-separated ``"a b"`` values."""
    values = np.asarray(values, dtype=object)
    if len(values) == 0:
        return values
    codes_, uniques = pd.factorize(values)
    rendered = np.array(
        [f"<{outer}>" + "".join(f"<{tag}>{x}</{tag}>" for x in _esc(np.array(u.split(), dtype=object)))
         + f"</{outer}>" if u else "" for u in uniques] + [""], dtype=object)
    return rendered[codes_]


def _concat(*parts: np.ndarray | str, n: int) -> np.ndarray:
    """Row-wise concatenation of string columns (``str`` parts are repeated on every row)."""
    cols = [itertools.repeat(p, n) if isinstance(p, str) else p for p in parts]
    out = np.empty(n, dtype=object)
    out[:] = ["".join(row) for row in zip(*cols, strict=False)]
    return out


def _attach(parent: pd.DataFrame, keys: list[str], child: pd.DataFrame) -> np.ndarray:
    """Joined fragments of ``child`` (output of group_join) aligned to the rows of ``parent``."""
    if len(child) == 0:
        return np.full(len(parent), "", dtype=object)
    m = parent[keys].merge(child, on=keys, how="left", sort=False)
    return m["frag"].fillna("").to_numpy(dtype=object)


def _block(df: pd.DataFrame, keys: list[str], tag: str, inner: np.ndarray) -> pd.DataFrame:
    """Wrap each row in ``<tag>...</tag>`` and join per ``keys`` (df in document order)."""
    order = df.sort_values([*keys, "_item"], kind="mergesort").index.to_numpy()
    frags = (f"<{tag}>" + inner + f"</{tag}>")[order]
    return group_join(df.loc[order, keys].reset_index(drop=True), frags)


def serialise_cin_census(doc: CinCensus) -> list[str]:
    """The census XML as a list of string chunks (one per Child after the header)."""
    t = doc.tables
    year = doc.collection_year
    letter_sex = codes.uses_letter_sex(year)

    # Reviews -> per plan
    rv = t["CPPreviewDate"].sort_values(["_child", "_cin", "_item", "_sub"], kind="mergesort")
    rv_frag = _leaf("CPPreviewDate", rv["CPPreviewDate"].to_numpy(dtype=object), keep_empty=True)
    rv_join = group_join(rv[["_child", "_cin", "_item"]].reset_index(drop=True), rv_frag)
    rv_join["frag"] = "<Reviews>" + rv_join["frag"] + "</Reviews>"

    cpp = t["ChildProtectionPlans"]
    n = len(cpp)
    cpp_inner = _concat(*(_leaf(c, cpp[c].to_numpy(dtype=object))
                          for c in COLUMNS["ChildProtectionPlans"]),
                        _attach(cpp, ["_child", "_cin", "_item"], rv_join), n=n)
    blocks = {"ChildProtectionPlans": _block(cpp, ["_child", "_cin"], "ChildProtectionPlans",
                                             cpp_inner)}

    ass = t["Assessments"]
    ass_inner = _concat(
        _leaf("AssessmentActualStartDate", ass["AssessmentActualStartDate"].to_numpy(dtype=object)),
        _leaf("AssessmentAuthorisationDate",
              ass["AssessmentAuthorisationDate"].to_numpy(dtype=object)),
        _list_leaf("FactorsIdentifiedAtAssessment", "AssessmentFactors",
                   ass["AssessmentFactors"].to_numpy(dtype=object)),
        n=len(ass))
    blocks["Assessments"] = _block(ass, ["_child", "_cin"], "Assessments", ass_inner)
    for name in ("CINPlanDates", "Section47", "PreProceedingsandFGDM"):
        df = t[name]
        cols = [c for c in COLUMNS[name] if c != "LetterInitCPDate"]
        inner = _concat(*(_leaf(c, df[c].to_numpy(dtype=object)) for c in cols), n=len(df))
        blocks[name] = _block(df, ["_child", "_cin"], name, inner)
    if year < 2026:
        blocks["PreProceedingsandFGDM"] = blocks["PreProceedingsandFGDM"].iloc[:0]

    cin = t["CINdetails"].sort_values(["_child", "_cin"], kind="mergesort").reset_index(drop=True)
    head = [_leaf(c, cin[c].to_numpy(dtype=object)) for c in COLUMNS["CINdetails"][:6]]
    keys = ["_child", "_cin"]
    cin_frag = _concat(
        "<CINdetails>", *head,
        _attach(cin, keys, blocks["Assessments"]),
        _attach(cin, keys, blocks["CINPlanDates"]),
        _attach(cin, keys, blocks["Section47"]),
        _leaf("ReferralNFA", cin["ReferralNFA"].to_numpy(dtype=object)),
        _attach(cin, keys, blocks["ChildProtectionPlans"]),
        _attach(cin, keys, blocks["PreProceedingsandFGDM"]),
        "</CINdetails>", n=len(cin))
    cin_join = group_join(cin[["_child"]], cin_frag)

    ch = t["Child"].sort_values("_child", kind="mergesort").reset_index(drop=True)
    v = {c: ch[c].to_numpy(dtype=object) for c in COLUMNS["Child"]}
    sex_leaf = _leaf("Sex", v["Sex"]) if letter_sex else _leaf("GenderCurrent", v["GenderCurrent"])
    child_frag = _concat(
        "<Child><ChildIdentifiers>",
        _leaf("LAchildID", v["LAchildID"], keep_empty=True),
        _leaf("UPN", v["UPN"]), _leaf("UPNunknown", v["UPNunknown"]),
        _leaf("PersonBirthDate", v["PersonBirthDate"]),
        _leaf("ExpectedPersonBirthDate", v["ExpectedPersonBirthDate"]),
        sex_leaf, _leaf("PersonDeathDate", v["PersonDeathDate"]),
        "</ChildIdentifiers><ChildCharacteristics>",
        _leaf("Ethnicity", v["Ethnicity"], keep_empty=True),
        _list_leaf("Disabilities", "Disability", v["Disability"]),
        "</ChildCharacteristics>",
        _attach(ch, ["_child"], cin_join),
        "</Child>\n", n=len(ch))

    h = doc.header
    head_xml = (
        '<?xml version="1.0" encoding="utf-8"?>\n<Message>\n<Header>\n<CollectionDetails>'
        + "".join(f"<{k}>{h[k]}</{k}>" for k in ("Collection", "Year", "ReferenceDate"))
        + "</CollectionDetails>\n<Source>"
        + "".join(f"<{k}>{h[k]}</{k}>" for k in ("SourceLevel", "LEA", "SoftwareCode", "Release",
                                                 "SerialNo", "DateTime"))
        + "</Source>\n</Header>\n<Children>\n"
    )
    return [head_xml, *child_frag.tolist(), "</Children>\n</Message>\n"]


def write_cin_census_file(doc: CinCensus, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    chunks = serialise_cin_census(doc)
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        step = 4096
        for i in range(0, len(chunks), step):
            fh.write("".join(chunks[i:i + step]))


def write_cin_census(
    store: CaseStore,
    out_dir: Path,
    collection_years: Iterable[int],
    *,
    la_code: str = "999",
    faults: MessyInjector | None = None,
) -> list[Path]:
    """Write ``out_dir/cin_census/cin_census_<label>.xml`` per collection year; return paths."""
    out_dir = Path(out_dir)
    written = []
    prep = CinPrep(store)
    for year in sorted(set(collection_years)):
        rel = f"cin_census/cin_census_{collection_label(year)}.xml"
        doc = build_cin_census(store, year, la_code=la_code, prep=prep)
        if faults is not None:
            doc = faults.cin_census(doc, file=rel)
        path = out_dir / rel
        write_cin_census_file(doc, path)
        written.append(path)
    return written
