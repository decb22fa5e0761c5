"""Row-level rules: parse staged text into canonical types and say exactly what is wrong.

This is what makes row accounting exact: every check is a vectorised pandas mask over a staged
table (see :mod:`driftflag.ingest.to_canonical`), and every failing cell becomes one *issue* row
(source file, source row or XML path, column, value, rule, level, plain-English message).
*Error* rules send the whole source row to ``STORE/quarantine/<table>.parquet``; *warning*
rules keep the row (the offending optional value is blanked) and record the warning.
Great Expectations (:mod:`driftflag.validate._gx`) then re-checks the accepted tables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from driftflag.casemodel import codes
from driftflag.casemodel.schema import TABLES, Table

ISSUE_COLUMNS: tuple[str, ...] = (
    "table", "source_file", "source_table", "source_row", "column", "value", "rule", "level", "message",
)


@dataclass(frozen=True)
class Rule:
    """A row-level rule: its id (the ``rule`` column), level, what it checks and what to fix."""

    id: str
    level: str  # "error" or "warning"
    description: str
    fix: str


RULES: dict[str, Rule] = {r.id: r for r in (
    Rule("blank_id", "error", "The child identifier is blank.",
         "Every record must carry the child's ID (903 CHILD, CIN LAchildID, Annex A Child Unique ID)."),
    Rule("missing_required", "error", "A required value is blank.",
         "Fill the field in the case management system; the return requires it."),
    Rule("unparseable_date", "error", "A date cannot be read (not a real calendar date).",
         "Correct the date: 903 and Annex A use dd/mm/yyyy, the CIN census yyyy-mm-dd."),
    Rule("unknown_code", "error", "A required code is not in the code list for the field.",
         "Use a code from the DfE / Ofsted list for this field (data-standards.md §1-3)."),
    Rule("unknown_optional_code", "warning", "An optional code is not in its code list; it was blanked.",
         "Use a code from the list or leave the field blank."),
    Rule("not_a_number", "warning", "A count or number cannot be read; it was blanked.",
         "Enter a whole number (counts) or a decimal (probabilities)."),
    Rule("date_out_of_range", "error", "A date is outside the years a date can hold (1678-2261), often a "
         "placeholder such as 31/12/9999 for 'no end date'.",
         "Leave an unknown or open-ended date blank instead of a placeholder, or correct the year."),
    Rule("unbalanced_quote", "error", "A line of a CSV file opens a quoted value that it does not close; "
         "the line was read on its own so the lines after it are kept.",
         "Remove the stray double quote (or close it) on that line of the file and send it again."),
    Rule("short_row", "error", "A CSV line has fewer values than the header (the file may be truncated, "
         "or a delimiter was lost); its missing values were not invented.",
         "Check the end of the file and the line's delimiters; resend the complete file."),
    Rule("long_row", "error", "A CSV line has values beyond the header's columns (a stray delimiter); "
         "which value belongs to which column cannot be known.",
         "Remove the extra delimiter or quote the value that contains it."),
    Rule("repeated_element", "error", "An XML block holds the same field twice with different values; "
         "which one is meant cannot be known.",
         "Remove the repeated element from the export (each field once per block) and send it again."),
    Rule("date_order", "error", "An end date is before its start date.",
         "Check the two dates: they are probably swapped or mistyped."),
    Rule("after_extract_date", "error", "A date is after the extract date (a scheduled date, "
         "such as an ICPC target, more than a year after it).",
         "Future dates cannot have happened yet: correct the date or the extract date."),
    Rule("implausible_dob", "error", "The date of birth is implausible (over 30 years before the "
         "extract or more than 10 months after it).", "Correct the date of birth."),
    Rule("duplicate_key", "error", "Another row of the same file has the same key with different values.",
         "Remove or correct the conflicting row so each record appears once."),
    Rule("orphan_event", "error", "The event's child (or CP plan) is not in the store.",
         "Make sure the child's own record (903 header, CIN ChildIdentifiers, Annex A row) is "
         "present and valid; its rejection is listed under the child."),
    Rule("missing_child_detail", "warning", "An Annex A row has no date of birth or gender "
         "(Annex A leaves them blank for an unborn child); the other returns supply them.",
         "Nothing, if the child is in the CIN census or 903; otherwise record the date of birth."),
    Rule("place_code_year", "warning", "PLACE is valid in some collection year but not in this one.",
         "Use the placement codes of the collection year (2025-26 split Z1 into Z11-Z14)."),
)}

#: (start, end) pairs checked with ``date_order``.
DATE_PAIRS: dict[str, tuple[tuple[str, str], ...]] = {
    "referrals": (("referral_date", "closure_date"),),
    "assessments": (("start_date", "authorisation_date"),),
    "section47": (("start_date", "icpc_date"),),
    "cin_plans": (("start_date", "end_date"),),
    "cp_plans": (("start_date", "end_date"),),
    "lac_episodes": (("decom", "dec"),),
    "missing_episodes": (("start_date", "end_date"),),
    "pre_proceedings": (("start_date", "decision_date"),),
    "care_proceedings": (("application_date", "final_order_date"),),
    "allocations": (("start_date", "end_date"),),
    "workers": (("start_date", "end_date"),),
    "sw_episodes": (("start_date", "end_date"),),
    "adoptions": (("decision_date", "match_date"),),
    "placed_for_adoption": (("placed_date", "ceased_date"),),
    "children": (("date_of_birth", "date_of_death"),),
}
#: Dates allowed after the extract date: an unborn child's expected date of birth, and the
#: dates the schema marks ``scheduled`` (an ICPC target: every recent enquiry has one ahead).
FUTURE_OK = {("children", "date_of_birth")} | {
    (t.name, c.name) for t in TABLES.values() for c in t.columns if c.scheduled}
#: A scheduled date further ahead than this is a typing error (``31/12/9999``), not a plan.
MAX_SCHEDULED_DAYS = 366
MAX_AGE_YEARS = 30
MAX_UNBORN_DAYS = 300

_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}
_WS = re.compile(r"\s+")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}")


def code_list(name: str) -> frozenset[str]:
    return frozenset(str(c).upper() for c in getattr(codes, name))


def code_spelling(name: str) -> dict[str, str]:
    """Upper-cased code -> its spelling in the list (``GOOD`` -> ``Good``)."""
    return {str(c).upper(): str(c) for c in getattr(codes, name)}


def clean_text(s: pd.Series) -> pd.Series:
    """Strip, collapse inner whitespace (including non-breaking spaces); blank -> missing.

    Each distinct text is cleaned once (a column of codes or names repeats a few values)."""
    s = s.astype("str") if s.dtype == object else s
    if _clean_already(s):
        return s.copy(deep=False)
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    if len(uniques) == 0 or len(uniques) * 2 > len(s):
        return _clean_text_each(s)
    done = _clean_text_each(pd.Series(uniques, dtype=s.dtype))
    return pd.Series(done.array.take(codes, allow_fill=True), index=s.index, name=s.name)


def _clean_already(s: pd.Series) -> bool:
    """Whether :func:`clean_text` would give ``s`` back unchanged, decided from the bytes of
    its pyarrow buffers: ASCII texts, none empty, no whitespace but single inner spaces. Why:
    most columns (ids, dates, codes: the readers trim and blank them already) are clean, and
    cleaning a column, even its distinct texts, was a tenth of checking an Annex A extract.
    False whenever unsure (another storage, a non-ASCII text): the cleaning then runs."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not isinstance(s.array, pd.arrays.ArrowStringArray):
        return False
    whole = pa.array(s.array)
    for chunk in whole.chunks if isinstance(whole, pa.ChunkedArray) else [whole]:
        if not (pa.types.is_large_string(chunk.type) or pa.types.is_string(chunk.type)):
            return False
        if not len(chunk) or chunk.null_count == len(chunk):
            continue
        if pc.any(pc.equal(pc.binary_length(chunk), 0)).as_py():
            return False  # an empty text becomes a blank
        offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int64 if pa.types.is_large_string(chunk.type)
                                else np.int32)[chunk.offset:chunk.offset + len(chunk) + 1]
        if offsets[-1] == offsets[0]:
            continue  # blanks only
        data = np.frombuffer(chunk.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[-1]]
        if data.max() >= 128 or data.min() < 32:
            return False  # not ASCII, or a tab, a line end or another control character
        spaces = data == 32  # the only whitespace left
        # a space first or last in a text, or two in a row (across two texts too: then one of
        # them starts or ends with it anyway)
        full = np.diff(offsets) > 0
        firsts = offsets[:-1][full] - offsets[0]
        lasts = offsets[1:][full] - offsets[0] - 1
        if spaces[firsts].any() or spaces[lasts].any() or (spaces[1:] & spaces[:-1]).any():
            return False
    return True


#: Python's ``\s`` (every character ``re`` counts as whitespace in a text pattern), spelled out
#: for RE2. Why: pandas runs a pattern holding ``\s`` through Python's ``re`` row by row (RE2's
#: own ``\s`` is narrower), which was a tenth of the checking of an Annex A extract; this class
#: is the same set (tests/validate/test_whitespace_class.py tries every code point).
PY_WHITESPACE_RE2 = (r"[\t\n\x0b\x0c\r\x1c-\x1f \x{85}\x{a0}\x{1680}\x{2000}-\x{200a}"
                     r"\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]")


def _has_whitespace_run(s: pd.Series) -> bool:
    """Whether some text of ``s`` holds two whitespace characters in a row (Python's ``\\s``)."""
    if isinstance(s.array, pd.arrays.ArrowStringArray):
        import pyarrow as pa
        import pyarrow.compute as pc

        found = pc.any(pc.match_substring_regex(pa.array(s.array), PY_WHITESPACE_RE2 + "{2,}"))
        return bool(found.as_py())
    return bool(s.str.contains(r"\s{2,}", regex=True, na=False).any())


def _clean_text_each(s: pd.Series) -> pd.Series:
    out = s.str.replace("\xa0", " ", regex=False).str.strip()
    if _has_whitespace_run(out):
        out = out.str.replace(r"\s+", " ", regex=True)
    return out.where(out.notna() & (out != ""))


#: Years a date can hold as a pandas nanosecond timestamp (1677-09-21 to 2262-04-11), whole years.
MIN_YEAR, MAX_YEAR = 1678, 2261
_DMY = re.compile(r"^\s*\d{1,2}[/.-]\d{1,2}[/.-](\d{4,})\s*$")
_YMD = re.compile(r"^\s*(\d{4,})-\d{1,2}-\d{1,2}")


#: Per element-wise function: text -> result, kept across calls. Why: the ingest checks each
#: file (each monthly Annex A extract) on its own, and the same few thousand dates recur in every
#: extract; parsed once, they are looked up afterwards. Bounded: cleared when it grows past
#: :data:`_MEMO_MAX` texts.
_MEMO: dict[object, dict[str, object]] = {}
_MEMO_DTYPE: dict[object, np.dtype] = {}
_MEMO_MAX = 500_000


def _per_distinct(s: pd.Series, each, missing):
    """``each`` (an element-wise function of a text Series) applied to the distinct texts of
    ``s`` only, spread back over the rows; missing texts give ``missing``. Why: a date column
    of a million rows holds a few thousand distinct dates, and the regular expressions and
    format parsing run in Python per text. Texts seen by an earlier call are not parsed again."""
    return _per_distinct_all(s, ((each, missing),))[0]


def _per_distinct_all(s: pd.Series, funcs) -> list:
    """:func:`_per_distinct` of ``s`` for each ``(each, missing)`` of ``funcs``, the column
    factorised once (a date column is both parsed and checked for a placeholder year)."""
    s = s.reset_index(drop=True).astype("str")
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    if len(uniques) == 0:
        return [each(s) for each, _missing in funcs]
    # the distinct texts as Python strings in one go (iterating the Index converts each)
    keys = [u if type(u) is str else str(u) for u in np.asarray(uniques, dtype=object).tolist()]
    at = np.maximum(codes, 0)
    blank = codes < 0
    results = []
    for each, missing in funcs:
        memo = _MEMO.setdefault(each, {})
        todo = [k for k in keys if k not in memo]
        if todo:
            if len(memo) + len(todo) > _MEMO_MAX:
                memo.clear()
            done_new = each(pd.Series(todo, dtype="str")).to_numpy()
            memo.update(zip(todo, done_new, strict=True))
            _MEMO_DTYPE[each] = done_new.dtype
        done = np.array([memo[k] for k in keys], dtype=_MEMO_DTYPE[each])
        out = done[at]
        if blank.any():
            out[blank] = missing
        results.append(pd.Series(out, dtype=done.dtype))
    return results


def dates_and_out_of_range(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """``(parse_dates(s), date_out_of_range(s))`` with the column factorised once."""
    dates, far = _per_distinct_all(s, ((_parse_dates_each, np.datetime64("NaT", "ns")),
                                       (_date_out_of_range_each, False)))
    return dates.astype("datetime64[ns]"), far


def date_out_of_range(s: pd.Series) -> pd.Series:
    """Whether each text is written as a date (dd/mm/yyyy or yyyy-mm-dd) whose year is outside
    :data:`MIN_YEAR`-:data:`MAX_YEAR`: ``31/12/9999`` is a placeholder, not an unreadable date,
    and it must be quarantined with that reason rather than end the run."""
    return _per_distinct(s, _date_out_of_range_each, False)


def _date_out_of_range_each(s: pd.Series) -> pd.Series:
    s = s.reset_index(drop=True).astype("str")
    year = s.str.extract(_DMY, expand=False).fillna(s.str.extract(_YMD, expand=False))
    y = pd.to_numeric(year, errors="coerce")
    return ((y < MIN_YEAR) | (y > MAX_YEAR)).fillna(False).astype(bool)


def _as_ns(values: pd.Series) -> pd.Series:
    """Parsed dates as nanosecond datetimes; anything not representable becomes NaT."""
    if not pd.api.types.is_datetime64_any_dtype(values):
        values = pd.to_datetime(values, errors="coerce")
    lo, hi = pd.Timestamp(f"{MIN_YEAR}-01-01"), pd.Timestamp(f"{MAX_YEAR}-12-31")
    ok = ((values >= lo) & (values <= hi)).fillna(False)
    return values.where(ok).astype("datetime64[ns]")


def parse_dates(s: pd.Series) -> pd.Series:
    """dd/mm/yyyy, yyyy-mm-dd (with an optional time), or an Excel serial day number -> dates.

    Anything else, impossible dates such as 31/02/2024 and dates outside
    :data:`MIN_YEAR`-:data:`MAX_YEAR` (see :func:`date_out_of_range`) give NaT; never raises.
    """
    return _per_distinct(s, _parse_dates_each, np.datetime64("NaT", "ns")).astype("datetime64[ns]")


def _parse_dates_each(s: pd.Series) -> pd.Series:
    s = s.reset_index(drop=True).astype("str")
    s = s.where(~_date_out_of_range_each(s))
    out = _as_ns(pd.to_datetime(s, format="%d/%m/%Y", errors="coerce"))
    todo = out.isna() & s.notna()
    if todo.any():
        sub = s[todo]
        iso = sub.str.match(_ISO, na=False)
        if iso.any():
            out.loc[iso[iso].index] = _as_ns(pd.to_datetime(sub[iso].str.slice(0, 10), format="%Y-%m-%d",
                                                            errors="coerce"))
        ser = sub.str.fullmatch(r"\d{4,5}(\.0+)?", na=False) & ~iso
        if ser.any():
            days = pd.to_numeric(sub[ser], errors="coerce")
            out.loc[ser[ser].index] = _as_ns(pd.Timestamp("1899-12-30") + pd.to_timedelta(days, unit="D"))
        dash = sub.str.fullmatch(r"\d{1,2}[-.]\d{1,2}[-.]\d{4}", na=False)
        if dash.any():
            norm = sub[dash].str.replace(r"[-.]", "/", regex=True)
            out.loc[dash[dash].index] = _as_ns(pd.to_datetime(norm, format="%d/%m/%Y", errors="coerce"))
    return out.astype("datetime64[ns]")


def parse_bools(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Text -> nullable booleans; second value marks text that is not a yes/no.

    Read from the distinct texts (a yes/no column holds a handful) and spread back over the
    rows (tests/validate/test_rules_fast.py compares with reading every row)."""
    if not isinstance(s.array, pd.arrays.ArrowStringArray):
        return _parse_bools_each(s)
    code = _per_distinct(s, _bool_code_each, np.int8(-2)).to_numpy()
    val = pd.Series(pd.arrays.BooleanArray(code == 1, code < 0), index=s.index)
    return val, pd.Series(code == -1, index=s.index)


def _bool_code_each(s: pd.Series) -> pd.Series:
    """:func:`_parse_bools_each` as one small integer per text: 1 yes, 0 no, -1 not a yes/no,
    -2 missing (what :func:`_per_distinct` can keep per text)."""
    val, bad = _parse_bools_each(s)
    code = np.where(val.isna().to_numpy(), -2, val.fillna(False).to_numpy(dtype=bool).astype(np.int8))
    return pd.Series(np.where(bad.to_numpy(dtype=bool), -1, code).astype(np.int8))


def _parse_bools_each(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    low = s.str.lower().str.strip()
    val = pd.Series(pd.NA, index=s.index, dtype="boolean")
    val[low.isin(_TRUE).fillna(False).to_numpy()] = True
    val[low.isin(_FALSE).fillna(False).to_numpy()] = False
    bad = s.notna() & val.isna()
    return val, bad


_NO_ISSUES = pd.DataFrame(columns=[*ISSUE_COLUMNS, "_src"])


def _no_issues() -> pd.DataFrame:
    """``pd.DataFrame(columns=[*ISSUE_COLUMNS, "_src"])``, copied from one made once. Why: most
    rules find nothing, and making an empty frame of ten columns from nothing took as long as
    checking a column (a tenth of checking an Annex A extract)."""
    return _NO_ISSUES.copy()


def _issues(table: str, df: pd.DataFrame, mask: pd.Series | np.ndarray, column: str, values: pd.Series,
            rule: str, message: pd.Series | _Message | str) -> pd.DataFrame:
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return _no_issues()
    sub = df.loc[mask]
    vals = values[mask].astype("str").fillna("")
    msg = (message[mask] if isinstance(message, pd.Series | _Message)
           else pd.Series(message, index=sub.index))
    return pd.DataFrame({
        "table": table, "source_file": sub["_source_file"].to_numpy(),
        "source_table": sub["_source_table"].to_numpy(), "source_row": sub["_source_row"].to_numpy(),
        "column": column, "value": vals.to_numpy(), "rule": rule, "level": RULES[rule].level,
        "message": np.asarray(msg, dtype=object), "_src": sub["_src"].to_numpy(),
    })


class _Message:
    """A message per row, put together only for the rows an issue names. Why: the rules
    describe the message of every row they check, but very few rows are ever reported;
    quoting every value of every checked column of 48 monthly extracts was a sixth of the row
    rules' time. ``"col " + _q(raw) + " is not a date"`` reads as before; indexing with the
    issue's mask gives what indexing the whole column of messages gave."""

    def __init__(self, parts: tuple) -> None:
        self.parts = parts

    def __add__(self, other: object) -> _Message:
        return _Message(self.parts + (other.parts if isinstance(other, _Message) else (other,)))

    def __radd__(self, other: object) -> _Message:
        return _Message((other,) + self.parts)

    def __getitem__(self, mask: np.ndarray) -> pd.Series:
        out: pd.Series | str = ""
        for p in self.parts:
            out = out + (p(mask) if callable(p) else p[mask] if isinstance(p, pd.Series) else p)
        return out


def _q(v: pd.Series) -> _Message:
    """``'value'`` in a message (a blank value as ``''``)."""
    return _Message(("'", lambda mask: v[mask].astype("str").fillna(""), "'"))


def check_table(table: Table, staged: pd.DataFrame, *, extract_date: pd.Timestamp,
                ) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Parse a staged table into canonical dtypes and collect its row-level issues.

    Returns the typed frame (canonical columns present in ``staged`` plus the provenance
    columns; values failing a warning rule blanked) and a list of issue frames (columns
    :data:`ISSUE_COLUMNS` plus ``_src``). Rows with an error issue are not removed here.
    """
    df = staged.reset_index(drop=True)
    name = table.name
    out = df[[c for c in df.columns if c.startswith("_")]].copy()
    issues: list[pd.DataFrame] = []
    oldest = extract_date - pd.DateOffset(years=MAX_AGE_YEARS)
    for col in table.columns:
        if col.name not in df.columns:
            continue
        raw = clean_text(df[col.name].astype("str"))
        blank = raw.isna()
        if col.required:
            rule = "blank_id" if col.name == "child_id" else "missing_required"
            soft = np.zeros(len(df), dtype=bool)
            if name == "children" and rule == "missing_required":
                # Annex A repeats the child on every list and blanks an unborn child's details:
                # the child's record is checked again once all returns are combined.
                soft = (df["_format"] == "annex-a").to_numpy()
                issues.append(_issues(name, df, blank & soft, col.name, raw, "missing_child_detail",
                                      f"{col.name} is blank on this Annex A row"))
            issues.append(_issues(name, df, blank & ~soft, col.name, raw, rule,
                                  f"{col.name} is blank but required in {name}"))
        if col.kind == "date":
            val, far = dates_and_out_of_range(raw)
            far = far.to_numpy()
            bad = (val.isna() & ~blank).to_numpy() & ~far
            issues.append(_issues(name, df, far, col.name, raw, "date_out_of_range",
                                  col.name + " " + _q(raw) + f" is outside the years {MIN_YEAR}-{MAX_YEAR}"))
            issues.append(_issues(name, df, bad, col.name, raw, "unparseable_date",
                                  col.name + " " + _q(raw) + " is not a date"))
            if (name, col.name) not in FUTURE_OK:
                late = (val > extract_date).fillna(False)
                issues.append(_issues(name, df, late, col.name, raw, "after_extract_date",
                                      col.name + " " + _q(raw) + f" is after the extract date {extract_date.date()}"))
            elif col.scheduled:
                late = (val > extract_date + pd.Timedelta(days=MAX_SCHEDULED_DAYS)).fillna(False)
                issues.append(_issues(name, df, late, col.name, raw, "after_extract_date",
                                      col.name + " " + _q(raw) + " is more than a year after the extract "
                                      f"date {extract_date.date()}"))
            if col.name == "date_of_birth":
                odd = ((val < oldest) | (val > extract_date + pd.Timedelta(days=MAX_UNBORN_DAYS))).fillna(False)
                issues.append(_issues(name, df, odd, col.name, raw, "implausible_dob",
                                      "date of birth " + _q(raw) + " is implausible"))
            out[col.name] = val
        elif col.kind == "bool":
            val, bad = parse_bools(raw)
            rule = "unknown_code" if col.required else "unknown_optional_code"
            issues.append(_issues(name, df, bad, col.name, raw, rule,
                                  col.name + " " + _q(raw) + " is not yes/no"))
            out[col.name] = val
        elif col.kind in ("int", "float"):
            num = pd.to_numeric(raw, errors="coerce")
            bad = (num.isna() & ~blank) | ~np.isfinite(num.fillna(0)) | (num.abs() > 1e9).fillna(False)
            if col.kind == "int":
                bad = bad | ((num % 1) != 0).fillna(False) | (num < 0).fillna(False)
            issues.append(_issues(name, df, bad, col.name, raw, "not_a_number",
                                  col.name + " " + _q(raw) + " is not a valid number"))
            num = num.where(~bad)
            out[col.name] = num.round().astype("Int64") if col.kind == "int" else num.astype("float64")
        else:
            val = raw
            if col.codes:
                valid = code_list(col.codes)
                if col.name in ("factors", "disability_codes"):
                    toks = val.str.upper().str.split()
                    ex = toks.explode()
                    badtok = ex.notna() & ~ex.isin(valid)
                    bad = badtok.groupby(level=0).any().reindex(val.index, fill_value=False)
                    val = toks.map(lambda t: " ".join(t) if isinstance(t, list) else None).astype("str")
                else:
                    val = val.str.upper()
                    bad = val.notna() & ~val.isin(valid)
                    spelling = code_spelling(col.codes)
                    if any(k != v for k, v in spelling.items()):
                        val = val.map(spelling).where(~bad, val).astype("str")
                rule = "unknown_code" if col.required else "unknown_optional_code"
                issues.append(_issues(name, df, bad, col.name, raw, rule,
                                      col.name + " " + _q(raw) + f" is not in the {col.codes} code list"))
                if not col.required:
                    val = val.where(~bad)
                if col.name == "place" and "_year" in df.columns:
                    issues.append(_place_year(name, df, val))
            out[col.name] = val.astype("str")
    for start, end in DATE_PAIRS.get(name, ()):
        if start in out.columns and end in out.columns:
            bad = (out[end] < out[start]).fillna(False)
            issues.append(_issues(name, df, bad, end, df[end].astype("str"), "date_order",
                                  end + " " + _q(df[end]) + " is before " + start + " " + _q(df[start])))
    for extra in [c for c in df.columns if c.startswith("_date_")]:
        raw = clean_text(df[extra].astype("str"))
        dates, far = dates_and_out_of_range(raw)
        far = far.to_numpy()
        bad = (dates.isna() & raw.notna()).to_numpy() & ~far
        field = extra.removeprefix("_date_")
        issues.append(_issues(name, df, far, field, raw, "date_out_of_range",
                              field + " " + _q(raw) + f" is outside the years {MIN_YEAR}-{MAX_YEAR}"))
        issues.append(_issues(name, df, bad, field, raw, "unparseable_date",
                              field + " " + _q(raw) + " is not a date"))
    issues.append(read_problems(name, df))
    for link in ("_ref_date", "_cp_start"):
        if link in df.columns:
            out[link] = parse_dates(clean_text(df[link].astype("str")))
    # warnings blank the value; an error anywhere removes the row later
    return out, [i for i in issues if len(i)]


def read_problems(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """Issues for rows the reader could not read as written (``_read_*`` columns set by the
    readers: an unbalanced quote, a short or long CSV line), each naming its column and value."""
    if "_read_rule" not in df.columns:
        return _no_issues()
    mask = df["_read_rule"].notna().to_numpy()
    if not mask.any():
        return _no_issues()
    sub = df.loc[mask]
    rules = sub["_read_rule"].astype(str).to_numpy()
    return pd.DataFrame({
        "table": name, "source_file": sub["_source_file"].to_numpy(),
        "source_table": sub["_source_table"].to_numpy(), "source_row": sub["_source_row"].to_numpy(),
        "column": sub["_read_column"].astype("str").fillna("").to_numpy(),
        "value": sub["_read_value"].astype("str").fillna("").to_numpy(), "rule": rules,
        "level": [RULES[r].level for r in rules],
        "message": sub["_read_message"].astype("str").fillna("").to_numpy(dtype=object),
        "_src": sub["_src"].to_numpy(),
    })


def _place_year(name: str, df: pd.DataFrame, place: pd.Series) -> pd.DataFrame:
    years = df["_year"].to_numpy()
    bad = np.zeros(len(df), dtype=bool)
    if not (df["_format"] == "ssda903").any():
        return _no_issues()
    for y in np.unique(years):
        if y <= 0:
            continue
        ok = set(codes.place_codes(int(y)))
        m = (years == y) & place.notna().to_numpy() & place.isin(codes.ALL_PLACE_CODES).to_numpy() & \
            ~place.isin(ok).to_numpy() & (df["_format"] == "ssda903").to_numpy()
        bad |= m
    return _issues(name, df, bad, "place", place, "place_code_year",
                   "PLACE " + _q(place) + " is not a code of collection year " + df["_year"].astype(str))
