"""Read an LA folder's return files into the tidy frames the calibration measures use.

Only the written returns are read (``DIR/ssda903/<label>/*.csv``, ``DIR/cin_census/*.xml``),
never the simulator's own tables, so calibration checks what a real LA would submit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from driftflag.errors import CalibrationError
from driftflag.ingest import (
    STR_DTYPE,
    find_903_year_folders,
    find_cin_files,
    read_903_years,
    read_cin_years,
    year_label,
)

logger = logging.getLogger(__name__)

DATE_FORMAT_903 = "%d/%m/%Y"  # data-standards.md §2.1
DATE_FORMAT_CIN = "%Y-%m-%d"  # ISO xs:date, data-standards.md §3.1

_MSG_NO_LA = "{path}: LA folder not found"
_MSG_NO_RETURN = "{path}: no {what} found (expected {expected})"
_MSG_NO_COMMON = "{path}: no collection year has both a 903 return ({y903}) and a CIN census ({ycin})"
_MSG_YEAR_ABSENT = "{path}: collection year {year} ({label}) needs both returns; 903 years: {y903}; CIN census years: {ycin}"


@dataclass(frozen=True)
class CalibrationInputs:
    """Tidy frames read from the returns (columns listed in :mod:`._metrics`)."""

    referrals: pd.DataFrame
    cp_plans: pd.DataFrame
    episodes: pd.DataFrame
    header: pd.DataFrame
    missing: pd.DataFrame
    years_903: tuple[int, ...] = ()
    years_cin: tuple[int, ...] = ()
    unreadable_dates: dict[str, int] = field(default_factory=dict)


def _years_text(years: list[int] | tuple[int, ...]) -> str:
    return ", ".join(year_label(y) for y in years) or "none"


def available_years(la_dir: Path) -> tuple[list[int], list[int]]:
    """Collection years present in the LA folder: (903 year folders, CIN census files)."""
    la_dir = Path(la_dir)
    if not la_dir.is_dir():
        raise CalibrationError(_MSG_NO_LA.format(path=la_dir))
    if not (la_dir / "ssda903").is_dir():
        raise CalibrationError(
            _MSG_NO_RETURN.format(path=la_dir, what="903 returns", expected="ssda903/<2025-26>/")
        )
    if not (la_dir / "cin_census").is_dir():
        raise CalibrationError(
            _MSG_NO_RETURN.format(
                path=la_dir, what="CIN census", expected="cin_census/cin_census_<2025-26>.xml"
            )
        )
    return list(find_903_year_folders(la_dir / "ssda903")), list(find_cin_files(la_dir / "cin_census"))


def choose_year(la_dir: Path, year: int | None) -> tuple[int, list[int], list[int]]:
    """The collection year to check (default: the latest with both returns) and the years present.

    Raises
    ------
    CalibrationError
        If the folder lacks a return, or ``year`` is not present in both.
    """
    y903, ycin = available_years(la_dir)
    common = sorted(set(y903) & set(ycin))
    if year is None:
        if not common:
            raise CalibrationError(
                _MSG_NO_COMMON.format(path=la_dir, y903=_years_text(y903), ycin=_years_text(ycin))
            )
        return common[-1], y903, ycin
    if year not in common:
        raise CalibrationError(
            _MSG_YEAR_ABSENT.format(
                path=la_dir, year=year, label=year_label(year), y903=_years_text(y903),
                ycin=_years_text(ycin),
            )
        )
    return year, y903, ycin


def _dates(values: pd.Series, fmt: str, what: str, bad: dict[str, int]) -> pd.Series:
    parsed = pd.to_datetime(values, format=fmt, errors="coerce")
    n_bad = int((values.notna() & parsed.isna()).sum())
    if n_bad:
        bad[what] = n_bad
        logger.warning("%d unreadable %s value(s) left out of calibration", n_bad, what)
    return parsed


def _code(values: pd.Series) -> pd.Series:
    """Codes compared case-insensitively: stripped, upper-case; missing stays NaN."""
    return values.astype(STR_DTYPE).str.strip().str.upper()


def load_inputs(la_dir: Path, year: int, years_903: list[int], years_cin: list[int]) -> CalibrationInputs:
    """Read the returns needed to calibrate collection year ``year``.

    903: every year folder (small; periods of care and ICO runs need history). CIN census:
    the files of ``year-1`` onward. The 12-month re-referral look-back from a referral in
    ``year`` reaches back at most to 1 April of ``year-2``, the first day of collection year
    ``year-1``; a referral can only appear in the census of its own year or later ones (dates
    after a census' reference date never appear), so those files hold the whole history the
    measures need, and reading older ones would change nothing. Later files are read so that
    their resubmitted versions win, as when all years are combined.
    """
    la_dir = Path(la_dir)
    bad: dict[str, int] = {}
    cin_years = [y for y in years_cin if y >= year - 1]
    cin = read_cin_years(
        la_dir / "cin_census", tables=["CINdetails", "ChildProtectionPlans"], years=cin_years
    )
    d = cin["CINdetails"]
    referrals = pd.DataFrame({
        "child_id": d["LAchildID"],
        "referral_date": _dates(d["CINreferralDate"], DATE_FORMAT_CIN, "CINreferralDate", bad),
    })
    p = cin["ChildProtectionPlans"]
    cp_plans = pd.DataFrame({
        "child_id": p["LAchildID"],
        "start": _dates(p["CPPstartDate"], DATE_FORMAT_CIN, "CPPstartDate", bad),
        "end": _dates(p["CPPendDate"], DATE_FORMAT_CIN, "CPPendDate", bad),
        "initial_category": _code(p["InitialCategoryOfAbuse"]),
    })

    t = read_903_years(la_dir / "ssda903", years=years_903)
    e = t["episodes"]
    episodes = pd.DataFrame({
        "child_id": e["CHILD"],
        "decom": _dates(e["DECOM"], DATE_FORMAT_903, "DECOM", bad),
        "dec": _dates(e["DEC"], DATE_FORMAT_903, "DEC", bad),
        "rne": _code(e["RNE"]),
        "ls": _code(e["LS"]),
        "rec": _code(e["REC"]),
        "collection_year": e["collection_year"].astype("int64"),
    })
    h = t["header"]
    header = pd.DataFrame({"child_id": h["CHILD"], "ethnic": _code(h["ETHNIC"])})
    if "missing" in t:
        m = t["missing"]
        missing = pd.DataFrame({
            "child_id": m["CHILD"],
            "missing": _code(m["MISSING"]),
            "mis_start": _dates(m["MIS_START"], DATE_FORMAT_903, "MIS_START", bad),
        })
    else:
        missing = pd.DataFrame({
            "child_id": pd.Series([], dtype=STR_DTYPE), "missing": pd.Series([], dtype=STR_DTYPE),
            "mis_start": pd.Series([], dtype="datetime64[ns]"),
        })
    return CalibrationInputs(
        referrals=referrals, cp_plans=cp_plans, episodes=episodes, header=header,
        missing=missing, years_903=tuple(years_903), years_cin=tuple(cin_years),
        unreadable_dates=bad,
    )
