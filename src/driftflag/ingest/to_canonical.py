"""Map each return's rows onto the canonical tables ("staging"), values still as text.

Every source row becomes one or more *parts*: rows of canonical tables named with canonical
column names, holding the text from the file (after format-specific translation: 903 ``SEX``
1/2 -> M/F, CIN ``GenderCurrent``, Annex A labels ``a) WBRI`` / ``White British`` -> ``WBRI``).
Parsing, code checks and quarantine are done by :mod:`driftflag.validate.rules` on these parts,
so every return is checked by the same rules.

Each part carries its provenance: ``_src`` (one id per source row: file, table or sheet or XML
record, row number or XPath), ``_source_file``, ``_source_table``, ``_source_row``, ``_format``,
``_year`` (collection year, for "newer replaces older"), ``_seq`` (order in the file) and link
columns ``_ref_date`` (the referral date of the CIN episode an event belongs to) and
``_cp_start`` (the start of the plan a CP review belongs to). ``_date_<FIELD>`` columns hold
dates the return repeats but the canonical model takes from elsewhere (903 ``DOB`` on the
missing and reviews tables, CIN ``CINdetails/DateOfInitialCPC``): they are checked like any
date so that a broken one is still reported.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from driftflag.casemodel import codes
from driftflag.ingest._common import STR_DTYPE, constant_text, large_text
from driftflag.ingest._tabular import READ_PROBLEM_COLUMNS, text_array
from driftflag.ingest.annex_a import RHI_ACCEPTED, RHI_OFFERED

_PREFIX = re.compile(r"^\s*[a-z]{1,2}\d?\)\s*", re.IGNORECASE)
_LEAD_CODE = re.compile(r"^([A-Za-z]*\d+[A-Za-z]*|[A-Z]{2,5})\s*(?::|-|–|$)")
_WS = re.compile(r"\s+")

SEX_WORDS: dict[str, str] = {
    "m": "M", "male": "M", "1": "M", "f": "F", "female": "F", "2": "F", "u": "U",
    "not stated/recorded": "U", "not stated": "U", "not recorded": "U", "neither": "U",
    "unknown": "U", "indeterminate": "U", "0": "U", "9": "U",
}
#: 903 ``SEX``: 1/2 before 2024-25, M/F/U after (GenderCurrent's 0 and 9 are not 903 codes).
SEX_903_WORDS: dict[str, str] = {"m": "M", "1": "M", "f": "F", "2": "F", "u": "U"}
YES_NO_WORDS: dict[str, str] = {
    "yes": "true", "y": "true", "true": "true", "1": "true", "no": "false", "n": "false",
    "false": "false", "0": "false", "unknown": "", "not known": "",
}


def _norm_label(v: str) -> str:
    return _WS.sub(" ", v).strip().lower()


def label_to_code(s: pd.Series, valid: tuple[str, ...] | frozenset[str],
                  labels: Mapping[str, str] | None = None, words: Mapping[str, str] | None = None) -> pd.Series:
    """Annex A label -> code, tolerant of the forms councils use.

    ``a) WBRI``, ``WBRI``, `` wbri `` and ``White British`` all give ``WBRI``; ``a) 1A:
    Individual`` gives ``1A``; ``N1 - Abuse or neglect`` gives ``N1``. ``labels`` maps codes to
    labels (``codes.ETHNICITY_LABELS``), used in reverse; ``words`` maps lower-case words to
    codes directly. A value that cannot be translated is returned unchanged (the rule engine
    then reports it as an unknown code). Works on the distinct values only, so it is cheap.
    """
    valid_upper = {str(c).upper(): str(c) for c in valid}
    reverse: dict[str, str] = {}
    for code, label in (labels or {}).items():
        reverse[_norm_label(label)] = code
        reverse[_norm_label(_PREFIX.sub("", label))] = code
    words = {k.lower(): v for k, v in (words or {}).items()}

    def one(v: str) -> str:
        raw = _norm_label(v)
        if raw in words:
            return words[raw]
        if raw in reverse:
            return reverse[raw]
        body = _PREFIX.sub("", raw)
        if body in words:
            return words[body]
        if body in reverse:
            return reverse[body]
        if body.upper() in valid_upper:
            return valid_upper[body.upper()]
        m = _LEAD_CODE.match(body.upper())
        if m and m.group(1) in valid_upper:
            return valid_upper[m.group(1)]
        return v

    return per_distinct_text(s, one)


def per_distinct_text(s: pd.Series, one) -> pd.Series:
    """``s.map({u: one(str(u)) for u in distinct values}).astype(STR_DTYPE)``: ``one`` applied to
    each distinct value once, missing values kept missing. Why not ``Series.map``: over pyarrow
    strings it goes through a Python object per row (most of the staging's label translation);
    here the distinct texts are translated and spread back by one ``take``
    (tests/ingest/test_staging_fast.py compares with ``Series.map``)."""
    if not isinstance(s.array, pd.arrays.ArrowStringArray):
        uniq = pd.unique(s.dropna())
        return s.map({u: one(str(u)) for u in uniq}).astype(STR_DTYPE)
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    done = text_array([one(str(u)) for u in uniques])
    return pd.Series(done.take(codes, allow_fill=True), index=s.index, name=s.name, dtype=STR_DTYPE)


def yes_no(s: pd.Series) -> pd.Series:
    """Annex A / audit log yes-no (``a) Yes``, ``Yes``, ``Y``, ``c) Unknown``) -> true/false/blank."""
    out = label_to_code(s, ("true", "false"), words=YES_NO_WORDS)
    return out.where(out != "")


def _empty_like(n: int) -> pd.Series:
    return constant_text(None, n)


def source_key(files: pd.Series, tables: pd.Series, rows: pd.Series) -> pd.Series:
    """``(files + "\x1f" + tables + "\x1f" + rows).astype(object)``, joined by one pyarrow
    kernel (three times faster: every part of every row of every extract has one); a blank
    anywhere gives a blank, as ``+`` does."""
    import pyarrow.compute as pc

    joined = _joined_source_key(files, tables, rows)
    out = joined.to_numpy(zero_copy_only=False)
    out[pc.is_null(joined).to_numpy(zero_copy_only=False)] = np.nan
    return pd.Series(out, dtype=object, index=files.index)


def _joined_source_key(files: pd.Series, tables: pd.Series, rows: pd.Series) -> Any:
    """:func:`source_key` as an Arrow text array (blank where any part is blank)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    cols = [large_text(s) for s in (files, tables, rows)]
    return pc.binary_join_element_wise(*cols, pa.scalar("\x1f", pa.large_string()))


def row_source_text(df: pd.DataFrame) -> Any:
    """:func:`row_source_key` as an Arrow text array: for comparing texts without making a
    Python string of each."""
    return _joined_source_key(df["_source_file"], df["_source_table"], df["_source_row"])


def row_source_key(df: pd.DataFrame) -> pd.Series:
    """Staged rows' ``_src`` made again from their provenance (file, list and row): what
    :func:`part` gave them. The ingest keeps and sends rows without it and makes it only where
    a text is needed (an issue, a held row restored)."""
    return source_key(df["_source_file"], df["_source_table"], df["_source_row"])


def part(df: pd.DataFrame, columns: Mapping[str, str | pd.Series], *, fmt: str, year: int,
         extra: Mapping[str, pd.Series | str] | None = None) -> pd.DataFrame:
    """A staged part: canonical ``columns`` (``{canonical: source column or Series}``) plus
    provenance taken from ``df`` (which has ``_source_file``/``_source_table``/``_source_row``).

    Every column is put together first and the frame made once: adding the provenance columns
    one by one to a made frame was a fifth of the staging of an Annex A extract (same frame,
    tests/ingest/test_staging_fast.py)."""
    n = len(df)
    out: dict[str, pd.Series] = {}
    for name, src in {**columns, **(extra or {})}.items():
        if isinstance(src, pd.Series):
            out[name] = _text_column(src)
        elif src in df.columns:
            out[name] = _text_column(df[src])
        elif isinstance(src, str) and src.startswith("="):
            out[name] = constant_text(src[1:], n)
        else:
            out[name] = _empty_like(n)
    sf = _text_column(df["_source_file"])
    st = _text_column(df["_source_table"])
    sr = _text_column(df["_source_row"].reset_index(drop=True).astype(str))
    out["_source_file"] = sf
    out["_source_table"] = st
    out["_source_row"] = sr
    for c in READ_PROBLEM_COLUMNS:  # why the reader could not read the row as written
        if c in df.columns:
            out[c] = _text_column(df[c])
    # Arrow texts, not Python strings: a staged row's ``_src`` is read only where an issue
    # names it (and compared once with its provenance, run.check_unit, then dropped); a
    # Python string for every part of every row of every return was a fifth of the staging
    out["_src"] = pd.Series(pd.array(_joined_source_key(sf, st, sr), dtype=STR_DTYPE))
    out["_format"] = constant_text(fmt, n)
    out["_year"] = pd.Series(np.full(n, year, dtype=np.int64))
    out["_seq"] = pd.Series(np.arange(n, dtype=np.int64))
    return pd.DataFrame(out, index=pd.RangeIndex(n), copy=False)


def _text_column(s: pd.Series) -> pd.Series:
    """``s.reset_index(drop=True).astype(STR_DTYPE)``."""
    return pd.Series(s.array, name=s.name, copy=False).astype(STR_DTYPE)


# --- SSDA903 ------------------------------------------------------------------------------------

def stage_903(table: str, df: pd.DataFrame, year: int) -> dict[str, pd.DataFrame]:
    """Parts of one 903 table (as read by :func:`driftflag.ingest.read_903_csv`)."""
    df = df.copy()
    df["_source_table"] = table
    fmt = "ssda903"
    if table == "header":
        sex = label_to_code(df["SEX"], codes.SEX_CODES, words=SEX_903_WORDS)
        return {"children": part(df, {"child_id": "CHILD", "sex": sex, "date_of_birth": "DOB",
                                      "ethnicity": "ETHNIC", "upn": "UPN"}, fmt=fmt, year=year)}
    if table == "uasc":
        sex = label_to_code(df["SEX"], codes.SEX_CODES, words=SEX_903_WORDS)
        # Its own format label so that reconciliation merges it into the header's child record
        # (rows of one format replace each other; rows of different formats are merged).
        return {"children": part(df, {"child_id": "CHILD", "sex": sex, "date_of_birth": "DOB",
                                      "uasc": "=true", "uasc_ceased_date": "DUC"}, fmt="ssda903-uasc",
                                 year=year)}
    if table == "episodes":
        cols = {c: c.upper() for c in ("decom", "rne", "ls", "cin", "place", "place_provider", "dec",
                                        "rec", "reason_place_change", "home_post", "pl_post", "urn")}
        return {"lac_episodes": part(df, {"child_id": "CHILD", **cols}, fmt=fmt, year=year)}
    if table == "missing":
        return {"missing_episodes": part(df, {"child_id": "CHILD", "missing_type": "MISSING",
                                              "start_date": "MIS_START", "end_date": "MIS_END"},
                                         fmt=fmt, year=year, extra={"_date_DOB": "DOB"})}
    if table == "reviews":
        return {"lac_reviews": part(df, {"child_id": "CHILD", "review_date": "REVIEW",
                                         "review_code": "REVIEW_CODE"}, fmt=fmt, year=year,
                                    extra={"_date_DOB": "DOB"})}
    return _stage_903_more(table, df, year)


def care_leaver_birthday(dob: pd.Series, year: int) -> tuple[pd.Series, pd.Series]:
    """The 17th-21st birthday falling in collection year ``year`` (1 April ``year-1`` to 31
    March ``year``) for each 903 ``DOB`` text, as ISO text, and the age then; blank where the DOB
    cannot be read or no such birthday falls in the year (the row is then quarantined, its DOB
    named). OC3 describes the care leaver at that birthday (data-standards.md §2.1)."""
    from driftflag.validate.rules import parse_dates

    born = parse_dates(dob.reset_index(drop=True).astype("str"))
    if year <= 0:  # a file without a collection-year label: no birthday can be placed
        blank = pd.Series([None] * len(born), dtype=STR_DTYPE)
        return blank, blank.copy()
    start = pd.Timestamp(year - 1, 4, 1)
    first = pd.Series(pd.NaT, index=born.index, dtype="datetime64[ns]")
    age = pd.Series([None] * len(born), dtype=STR_DTYPE)
    ok = born.notna() & (year > 0)
    for a in range(17, 22):
        m = ok & first.isna()
        if not m.any():
            break
        years = born[m].dt.year + a
        # 29 February births have their birthday on 28 February in other years
        day = np.where((born[m].dt.month == 2) & (born[m].dt.day == 29), 28, born[m].dt.day)
        bday = pd.to_datetime(pd.DataFrame({"year": years, "month": born[m].dt.month, "day": day}))
        hit = (bday >= start) & (bday <= pd.Timestamp(year, 3, 31))
        first.loc[hit[hit].index] = bday[hit]
        age.loc[hit[hit].index] = str(a)
    text = first.dt.strftime("%Y-%m-%d").astype(STR_DTYPE)
    return text, age


def _suitable(accom: pd.Series) -> pd.Series:
    """OC3 ``ACCOM`` -> suitable true/false (second character 1 / 2), blank for ``0`` or unknown."""
    code = accom.astype("str").str.strip().str.upper()
    out = pd.Series([None] * len(code), dtype=STR_DTYPE, index=code.index)
    out[code.str.fullmatch(r"[A-Z]1").fillna(False).to_numpy()] = "true"
    out[code.str.fullmatch(r"[A-Z]2").fillna(False).to_numpy()] = "false"
    return out.reset_index(drop=True)


def _stage_903_more(table: str, df: pd.DataFrame, year: int) -> dict[str, pd.DataFrame]:
    """Parts of the 903 tables beyond the five the synthetic LA always writes."""
    fmt = "ssda903"
    if table == "sw_episodes":
        return {"sw_episodes": part(df, {"child_id": "CHILD", "worker_id": "SW_ID", "start_date": "SW_DECOM",
                                         "end_date": "SW_DEC", "end_reason": "SW_REASON"}, fmt=fmt, year=year,
                                    extra={"_date_DOB": "DOB"})}
    if table == "oc3":
        birthday, age = care_leaver_birthday(df["DOB"], year)
        return {"care_leavers": part(df, {"child_id": "CHILD", "birthday_date": birthday, "age": age,
                                          "in_touch": "IN_TOUCH", "activity": "ACTIV", "accommodation": "ACCOM",
                                          "accommodation_suitable": _suitable(df["ACCOM"])},
                                     fmt=fmt, year=year, extra={"_date_DOB": "DOB"})}
    if table == "oc2":
        cols = {c.lower(): c for c in ("SDQ_SCORE", "SDQ_REASON", "CONVICTED", "HEALTH_CHECK", "IMMUNISATIONS",
                                       "TEETH_CHECK", "HEALTH_ASSESSMENT", "SUBSTANCE_MISUSE",
                                       "INTERVENTION_RECEIVED", "INTERVENTION_OFFERED")}
        return {"health_outcomes": part(df, {"child_id": "CHILD", "year_ending": f"={year}-03-31", **cols},
                                        fmt=fmt, year=year, extra={"_date_DOB": "DOB"})}
    if table == "ad1":
        return {"adoptions": part(df, {"child_id": "CHILD", "decision_date": "DATE_INT", "match_date": "DATE_MATCH",
                                       "foster_care": "FOSTER_CARE", "number_of_adopters": "NB_ADOPTR",
                                       "sex_of_adopters": "SEX_ADOPTR", "legal_status_of_adopters": "LS_ADOPTR"},
                                  fmt=fmt, year=year, extra={"_date_DOB": "DOB"})}
    if table == "placed_adoption":
        return {"placed_for_adoption": part(df, {"child_id": "CHILD", "placed_date": "DATE_PLACED",
                                                 "ceased_date": "DATE_PLACED_CEASED",
                                                 "ceased_reason": "REASON_PLACED_CEASED"},
                                            fmt=fmt, year=year, extra={"_date_DOB": "DOB"})}
    if table == "prev_perm":
        return {"previous_permanence": part(df, {"child_id": "CHILD", "prev_perm": "PREV_PERM", "la_perm": "LA_PERM",
                                                 "date_perm": "DATE_PERM"}, fmt=fmt, year=year,
                                            extra={"_date_DOB": "DOB"})}
    return {}


# --- CIN census ---------------------------------------------------------------------------------

#: First collection year whose census carries the PreProceedingsandFGDM block (2025-26).
PLO_FIRST_YEAR = 2026
#: Pre-proceedings are known no earlier than the start of that collection year.
PLO_KNOWN_FROM = pd.Timestamp(PLO_FIRST_YEAR - 1, 4, 1)

_RECORD = {
    "CINdetails": "CINdetails", "Assessments": "Assessments", "CINplanDates": "CINPlanDates",
    "Section47": "Section47", "ChildProtectionPlans": "ChildProtectionPlans",
    "Reviews": "CPPreviewDate", "PreProceedings": "PreProceedingsandFGDM",
}


def join_within(values: pd.Series, groups: pd.Series) -> pd.Series:
    """Space-joined non-missing ``values`` per group (index: group), vectorised.

    Used for the assessment factors and disability codes a child's record lists one element
    at a time; a Python-level groupby over hundreds of thousands of groups is much slower.
    """
    df = pd.DataFrame({"g": groups.to_numpy(dtype=object), "v": values.to_numpy(dtype=object)})
    df = df.loc[df["v"].notna()]
    if df.empty:
        return pd.Series([], dtype=STR_DTYPE)
    df["v"] = df["v"].astype(str).str.strip().astype(object)
    df["k"] = df.groupby("g", sort=False).cumcount()
    wide = df.pivot(index="g", columns="k", values="v")
    out = wide[0].astype(object)
    for k in wide.columns[1:]:
        nxt = wide[k]
        out = out.where(nxt.isna(), out + " " + nxt.astype(object))
    order = pd.unique(df["g"])
    return out.reindex(order).astype(STR_DTYPE)


def _cin_frame(df: pd.DataFrame, record: str) -> pd.DataFrame:
    df = df.copy()
    df["_source_table"] = record
    df["_source_row"] = df["_source_path"]
    return df


def _link(df: pd.DataFrame, parent: pd.DataFrame, keys: list[str], col: str) -> pd.Series:
    """Value of ``parent[col]`` for each row of ``df`` joined on ``keys`` (first parent row)."""
    if df.empty:
        return _empty_like(0)
    p = parent.drop_duplicates(keys)[[*keys, col]]
    return df[keys].merge(p, on=keys, how="left")[col].astype(STR_DTYPE).reset_index(drop=True)


def assessment_path(paths: pd.Series) -> pd.Series:
    """The reader gives one row per assessment factor (``.../Assessments[1]/...Factors[2]``);
    the record is the ``Assessments`` element."""
    return paths.str.replace(r"/(?:FactorsIdentifiedAtAssessment(?:\[\d+\])?/)?AssessmentFactors\[\d+\]$", "",
                             regex=True)


def stage_cin(tables: dict[str, pd.DataFrame], year: int) -> dict[str, pd.DataFrame]:
    """Parts of one CIN census file (tables as read by :func:`read_cin_census`)."""
    fmt = "cin"
    out: dict[str, pd.DataFrame] = {}
    ids = tables["ChildIdentifiers"].copy()
    ids["_source_row"] = ids["_source_path"].str.replace(r"/ChildIdentifiers$", "", regex=True)
    ids["_source_table"] = "Child"
    chars = tables["ChildCharacteristics"].reset_index(drop=True)
    eth = chars["Ethnicity"] if len(chars) == len(ids) else _empty_like(len(ids))
    dis = tables["Disabilities"].copy()
    dis["_child"] = dis["_source_path"].str.replace(r"/ChildCharacteristics/.*$", "", regex=True)
    dis_codes = join_within(dis["Disability"].str.upper(), dis["_child"])
    codes_s = ids["_source_row"].map(dis_codes).astype(STR_DTYPE)
    has = pd.Series(np.where(codes_s.isna(), None, np.where(codes_s.str.fullmatch(r"(NONE ?)+").fillna(False),
                                                             "false", "true")), dtype=STR_DTYPE)
    sex_src = ids["Sex"].fillna(ids["GenderCurrent"])
    sex = label_to_code(sex_src, codes.SEX_CODES, words=SEX_WORDS)
    dob = ids["PersonBirthDate"].fillna(ids["ExpectedPersonBirthDate"])
    out["children"] = part(ids, {"child_id": "LAchildID", "sex": sex, "date_of_birth": dob,
                                 "ethnicity": eth, "upn": "UPN", "date_of_death": "PersonDeathDate",
                                 "disability": has.astype(STR_DTYPE), "disability_codes": codes_s},
                           fmt=fmt, year=year)
    cin = _cin_frame(tables["CINdetails"], "CINdetails")
    out["referrals"] = part(cin, {"child_id": "LAchildID", "referral_date": "CINreferralDate",
                                  "referral_source": "ReferralSource", "referral_nfa": "ReferralNFA",
                                  "primary_need": "PrimaryNeedCode", "closure_date": "CINclosureDate",
                                  "closure_reason": "ReasonForClosure"}, fmt=fmt, year=year,
                            extra={"_date_DateOfInitialCPC": "DateOfInitialCPC"})
    keys = ["LAchildID", "CINdetailsID"]
    ass = tables["Assessments"].copy()
    ass["_source_path"] = assessment_path(ass["_source_path"])
    if len(ass):
        firsts = ass.drop_duplicates("_source_path").reset_index(drop=True)
        fac = join_within(ass["AssessmentFactors"], ass["_source_path"])
        firsts["factors"] = firsts["_source_path"].map(fac).astype(STR_DTYPE)
    else:
        firsts = ass.assign(factors=pd.Series([], dtype=STR_DTYPE))
    ass = _cin_frame(firsts, "Assessments")
    out["assessments"] = part(ass, {"child_id": "LAchildID", "start_date": "AssessmentActualStartDate",
                                    "authorisation_date": "AssessmentAuthorisationDate",
                                    "factors": "factors"}, fmt=fmt, year=year,
                              extra={"_ref_date": _link(ass, cin, keys, "CINreferralDate")})
    plans = _cin_frame(tables["CINplanDates"], "CINPlanDates")
    out["cin_plans"] = part(plans, {"child_id": "LAchildID", "start_date": "CINPlanStartDate",
                                    "end_date": "CINPlanEndDate"}, fmt=fmt, year=year,
                            extra={"_ref_date": _link(plans, cin, keys, "CINreferralDate")})
    s47 = _cin_frame(tables["Section47"], "Section47")
    out["section47"] = part(s47, {"child_id": "LAchildID", "start_date": "S47ActualStartDate",
                                  "icpc_target_date": "InitialCPCtarget", "icpc_date": "DateOfInitialCPC",
                                  "icpc_not_required": "ICPCnotRequired"}, fmt=fmt, year=year,
                            extra={"_ref_date": _link(s47, cin, keys, "CINreferralDate")})
    cpp = _cin_frame(tables["ChildProtectionPlans"], "ChildProtectionPlans")
    out["cp_plans"] = part(cpp, {"child_id": "LAchildID", "start_date": "CPPstartDate",
                                 "end_date": "CPPendDate", "initial_category": "InitialCategoryOfAbuse",
                                 "latest_category": "LatestCategoryOfAbuse",
                                 "number_of_previous_cpp": "NumberOfPreviousCPP"}, fmt=fmt, year=year,
                           extra={"_ref_date": _link(cpp, cin, keys, "CINreferralDate")})
    rev = _cin_frame(tables["Reviews"], "CPPreviewDate")
    out["cp_reviews"] = part(rev, {"child_id": "LAchildID", "review_date": "CPPreviewDate"}, fmt=fmt,
                             year=year, extra={"_cp_start": _link(rev, cpp, ["LAchildID", "CPPID"], "CPPstartDate")})
    pp = _cin_frame(tables["PreProceedings"], "PreProceedingsandFGDM")
    out["pre_proceedings"] = part(pp, {
        "child_id": "LAchildID", "start_date": "PPStartDate", "letter_before_proceedings_date": "LBPSentDate",
        "fgdm_offered": "FGDMMeetingOffer", "fgdm_facilitated": "FGDMMeetingFac",
        "initial_meeting_date": "InitialPPMeetingDate", "review_meetings_count": "ReviewMeetingsCount",
        "decision_date": "StepDecisionDate", "outcome": "PPOutcome", "court_application_date": "CourtAppDate",
    }, fmt=fmt, year=year, extra={"_ref_date": _link(pp, cin, keys, "CINreferralDate")})
    out["pre_proceedings"]["_floor"] = PLO_KNOWN_FROM
    return out


# --- Annex A ------------------------------------------------------------------------------------

_ABUSE_WORDS = {"neglect": "NEG", "physical abuse": "PHY", "physical": "PHY", "sexual abuse": "SAB",
                "sexual": "SAB", "emotional abuse": "EMO", "emotional": "EMO",
                "multiple/not recommended": "MUL", "multiple": "MUL"}


def _common(df: pd.DataFrame) -> dict[str, pd.Series | str]:
    return {
        "child_id": "Child Unique ID",
        "sex": label_to_code(df["Gender"], codes.SEX_CODES, words=SEX_WORDS),
        "ethnicity": label_to_code(df["Ethnicity"], codes.ETHNICITY_CODES, codes.ETHNICITY_LABELS),
        "date_of_birth": "Date of Birth",
        "disability": yes_no(df["Does the Child have a Disability"]) if "Does the Child have a Disability" in df else "",
    }


def _present(df: pd.DataFrame, col: str, *used: str) -> pd.DataFrame:
    """The rows of ``df`` with ``col`` filled: ``col``, the ``used`` columns and the provenance
    (what :func:`part` reads), not every column of the list (filtering texts is not free)."""
    keep = [c for c in dict.fromkeys((col, *used, "_source_file", "_source_table", "_source_row",
                                      *READ_PROBLEM_COLUMNS)) if c in df.columns]
    return df.loc[df[col].notna(), keep].reset_index(drop=True)


#: Per list: (date of the row's event, end column: blank while the episode is open).
_ALLOCATION_ROWS: dict[str, tuple[str, str | None]] = {
    "List 3": ("Date of referral", None),
    "List 4": ("Continuous Assessment Start Date", None),
    "List 5": ("Strategy discussion initiating Section 47 Enquiry Start Date", None),
    "List 6": ("CIN Start Date", "CIN Closure Date"),
    "List 7": ("Child Protection Plan Start Date", "Child Protection Plan End Date"),
    "List 8": ("Date Started to be Looked After", "Date Ceased to be Looked After"),
}


#: What an allocation observation is made of (see :func:`part`).
_ALLOCATION_COLUMNS = ("Child Unique ID", "Allocated Team", "Allocated Worker", "_source_file", "_source_table",
                       "_source_row", *READ_PROBLEM_COLUMNS)


def _allocation_as_at_extract(lists: dict[str, pd.DataFrame], extract: pd.Timestamp,
                              fmt: str, year: int) -> pd.DataFrame | None:
    """One allocation observation per child, valid from the extract date: the team and worker
    on the child's row describing the extract date best. Rows of episodes open at the extract
    (lists 6-8 with no end date; looked after first, then CP, then CIN) show who holds the case
    then; otherwise the row of the latest event (lists 3-5) or episode end.

    Annex A is a snapshot: it says who held the case on the extract date and nothing about
    earlier months, so the allocation starts on the extract date (successive extracts build
    the history, see :func:`driftflag.ingest.reconcile.allocation_runs`)."""
    from driftflag.validate.rules import parse_dates

    # Why this shape: the observation is found from a few key arrays per list, and each column
    # the part reads is taken once, from all the lists at once, in the final order; filtering,
    # concatenating and sorting every row's texts was half the staging of an extract. Same
    # frame as sorting the whole rows (tests/ingest/test_staging_fast.py keeps that version).
    frames: list[pd.DataFrame] = []
    at_parts, open_parts, when_parts, rank_parts = [], [], [], []
    start = 0  # the lists' rows numbered one after another
    for list_rank, (name, (event, end)) in enumerate(reversed(list(_ALLOCATION_ROWS.items()))):
        df = lists.get(name)
        if df is None or "Allocated Team" not in df or not len(df):
            continue
        df = df.reset_index(drop=True)
        ok = (df["Allocated Team"].notna() & df["Allocated Worker"].notna()
              & df["Child Unique ID"].notna()).to_numpy(dtype=bool)
        pos = np.flatnonzero(ok)
        nat = np.full(len(pos), np.datetime64("NaT", "ns"))
        ev = parse_dates(df[event].astype("str")).to_numpy()[pos] if event in df else nat
        ended = parse_dates(df[end].astype("str")).to_numpy()[pos] if end and end in df else nat
        at_parts.append(start + pos)
        open_parts.append(np.full(len(pos), end is not None) & np.isnat(ended))
        when_parts.append(np.where(np.isnat(ended), ev, ended))
        rank_parts.append(np.full(len(pos), list_rank, dtype=np.int64))  # list 8 first among open rows
        frames.append(df)
        start += len(df)
    if not frames:
        return None
    at = np.concatenate(at_parts)
    is_open = np.concatenate(open_parts)
    when = np.concatenate(when_parts).astype("datetime64[ns]")
    rank = np.concatenate(rank_parts)

    def column(name: str) -> pd.Series:
        parts = [df[name] if name in df.columns else constant_text(None, len(df)) for df in frames]
        return pd.concat(parts, ignore_index=True)

    # open first, then by rank, then latest first with no date last; ties in row order
    latest_first = np.where(np.isnat(when), np.iinfo(np.int64).max, -when.view(np.int64))
    best = np.lexsort((np.arange(len(at)), latest_first, rank, ~is_open))
    best = best[~column("Child Unique ID").take(at[best]).duplicated().to_numpy()]
    where = pd.DataFrame({c: column(c).take(at[best]).reset_index(drop=True) for c in ("_source_table", "_source_row")})
    rows = at[best][where.sort_values(["_source_table", "_source_row"], kind="mergesort").index.to_numpy()]
    a = pd.DataFrame({c: column(c).take(rows).reset_index(drop=True) for c in _ALLOCATION_COLUMNS
                      if any(c in df.columns for df in frames)})
    return part(a,
                {"child_id": "Child Unique ID", "team": "Allocated Team", "worker_id": "Allocated Worker",
                 "start_date": "=" + extract.strftime("%Y-%m-%d")}, fmt=fmt, year=year)


def stage_annex_a(lists: dict[str, pd.DataFrame], year: int,
                  extract: pd.Timestamp | None = None) -> dict[str, pd.DataFrame]:
    """Parts of an Annex A workbook: every row gives a ``children`` part; lists 3-8 give their
    events, latest visits and latest reviews, and each child one allocation as at the extract
    (see docs/ingest.md). Every part is known from the ``extract`` date (``_known``)."""
    fmt = "annex-a"
    parts: dict[str, list[pd.DataFrame]] = {}

    def add(table: str, frame: pd.DataFrame) -> None:
        parts.setdefault(table, []).append(frame)

    for name, df in lists.items():
        df = df.reset_index(drop=True)
        rhi = {}
        if name == "List 8":
            # the return home interview after the child's last missing episode: attached to
            # that 903 episode once every table is settled (reconcile.missing_rhi_from_extracts)
            rhi = {"_rhi_offered": yes_no(df[RHI_OFFERED]) if RHI_OFFERED in df else "",
                   "_rhi_accepted": yes_no(df[RHI_ACCEPTED]) if RHI_ACCEPTED in df else ""}
        add("children", part(df, _common(df), fmt=fmt, year=year, extra=rhi))
        event_date = None
        if name == "List 3":
            event_date = "Date of referral"
            add("referrals", part(df, {
                "child_id": "Child Unique ID", "referral_date": event_date,
                "referral_source": label_to_code(df["Referral Source"], codes.REFERRAL_SOURCE_CODES,
                                                 codes.REFERRAL_SOURCE_LABELS),
                "referral_nfa": yes_no(df["Referral NFA?"])}, fmt=fmt, year=year))
        elif name == "List 4":
            event_date = "Continuous Assessment Start Date"
            add("assessments", part(df, {
                "child_id": "Child Unique ID", "start_date": event_date,
                "authorisation_date": "Continuous Assessment Date of Authorisation",
                "child_seen": yes_no(df["Child Seen During Continuous Assessment"]),
                "requires_support": yes_no(df["Was the child assessed as requiring LA children's social care support?"]),
            }, fmt=fmt, year=year))
        elif name == "List 5":
            event_date = "Strategy discussion initiating Section 47 Enquiry Start Date"
            add("section47", part(df, {
                "child_id": "Child Unique ID", "start_date": event_date,
                "icpc_not_required": yes_no(df["Was an Initial Child Protection Conference deemed unnecessary?"]),
                "icpc_date": "Date of Initial Child Protection Conference",
                "icpc_resulted_in_plan": yes_no(df["Did the Initial Child Protection Conference Result in a Child Protection Plan"]),
            }, fmt=fmt, year=year))
        elif name == "List 6":
            event_date = "CIN Start Date"
            add("referrals", part(df, {
                "child_id": "Child Unique ID", "referral_date": event_date,
                "primary_need": label_to_code(df["Primary Need Code"], codes.PRIMARY_NEED_CODES,
                                              codes.PRIMARY_NEED_LABELS),
                "closure_date": "CIN Closure Date",
                "closure_reason": label_to_code(df["Reason for Closure"], codes.CLOSURE_REASON_CODES,
                                                codes.CLOSURE_REASON_LABELS),
            }, fmt=fmt, year=year))
            v = _present(df, "Date Child Was Last Seen", "Child Unique ID")
            add("visits", part(v, {"child_id": "Child Unique ID", "visit_date": "Date Child Was Last Seen",
                                   "visit_type": "=CIN"}, fmt=fmt, year=year))
        elif name == "List 7":
            event_date = "Child Protection Plan Start Date"
            add("cp_plans", part(df, {
                "child_id": "Child Unique ID", "start_date": event_date,
                "end_date": "Child Protection Plan End Date",
                "initial_category": label_to_code(df["Initial Category of Abuse"], codes.CATEGORY_OF_ABUSE_CODES,
                                                  codes.ANNEX_A_ABUSE_LABEL, _ABUSE_WORDS),
                "latest_category": label_to_code(df["Latest Category of Abuse"], codes.CATEGORY_OF_ABUSE_CODES,
                                                 codes.ANNEX_A_ABUSE_LABEL, _ABUSE_WORDS),
                "number_of_previous_cpp": "Number of Previous Child Protection Plans",
            }, fmt=fmt, year=year))
            r = _present(df, "Date of latest review conference", "Child Unique ID", event_date)
            add("cp_reviews", part(r, {"child_id": "Child Unique ID", "review_date": "Date of latest review conference"},
                                   fmt=fmt, year=year, extra={"_cp_start": r[event_date]}))
            v = _present(df, "Date of the Last Statutory Visit", "Child Unique ID", "Was the Child Seen Alone?")
            add("visits", part(v, {"child_id": "Child Unique ID", "visit_date": "Date of the Last Statutory Visit",
                                   "visit_type": "=CP", "seen_alone": yes_no(v["Was the Child Seen Alone?"])},
                               fmt=fmt, year=year))
        elif name == "List 8":
            event_date = "Date Started to be Looked After"
            r = _present(df, "Date of Latest Statutory Review", "Child Unique ID")
            add("lac_reviews", part(r, {"child_id": "Child Unique ID", "review_date": "Date of Latest Statutory Review"},
                                    fmt=fmt, year=year))
            v = _present(df, "Date of Last Social Work Visit", "Child Unique ID")
            add("visits", part(v, {"child_id": "Child Unique ID", "visit_date": "Date of Last Social Work Visit",
                                   "visit_type": "=LAC"}, fmt=fmt, year=year))
    if extract is not None:
        alloc = _allocation_as_at_extract(lists, extract, fmt, year)
        if alloc is not None:
            add("allocations", alloc)
    out = {t: pd.concat(f, ignore_index=True) for t, f in parts.items()}
    for df in out.values():
        df["_known"] = pd.NaT if extract is None else extract
    return out


# --- audit log, canonical -----------------------------------------------------------------------

def stage_audits(df: pd.DataFrame, year: int) -> dict[str, pd.DataFrame]:
    """Parts of the QA audit log (one ``audits`` part per row)."""
    from driftflag.ingest.audit_log import AUDIT_COLUMNS

    cols: dict[str, str | pd.Series] = {v: k for k, v in AUDIT_COLUMNS.items()}
    cols["drift_found"] = yes_no(df["Drift Found"])
    cols["actions_set"] = yes_no(df["Actions Set"])
    return {"audits": part(df, cols, fmt="audits", year=year)}


def stage_canonical(table: str, df: pd.DataFrame, source: str, year: int) -> dict[str, pd.DataFrame]:
    """Parts of a council's own canonical table (Parquet or CSV): values turned back into text
    so they pass through the same rules as the returns."""
    from driftflag.casemodel.schema import TABLES

    t = TABLES[table]
    n = len(df)
    data: dict[str, pd.Series] = {}
    for c in t.columns:
        if c.name not in df.columns:
            continue
        s = df[c.name].reset_index(drop=True)
        if pd.api.types.is_datetime64_any_dtype(s):
            s = s.dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_bool_dtype(s):
            s = s.map({True: "true", False: "false"})
        data[c.name] = s.astype(object).where(s.notna(), None).astype(STR_DTYPE)
    frame = pd.DataFrame(data, index=range(n))
    frame["_source_file"] = source
    frame["_source_table"] = table
    frame["_source_row"] = [str(i) for i in range(1, n + 1)]
    staged = part(frame, {c: c for c in data}, fmt="canonical", year=year)
    if table == "cp_reviews" and "cp_plan_id" in data:
        staged["cp_plan_id"] = data["cp_plan_id"]
    return {table: staged}
