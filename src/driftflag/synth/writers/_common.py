"""Small vectorised helpers shared by the return writers.

Everything here works on whole columns: the benchmark LA has ~150,000 children, so a Python loop
per row is too slow for a writer that must finish in a couple of seconds.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

#: Excel's day zero for the 1900 date system (serial 1 = 1900-01-01, with the 1900 leap-year bug
#: folded in for every date after February 1900).
_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")


def collection_label(collection_year: int) -> str:
    """Folder/file label of a collection year: 2026 -> ``2025-26``."""
    return f"{collection_year - 1}-{collection_year % 100:02d}"


def year_window(collection_year: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day (inclusive) of a collection year as Timestamps (1 Apr - 31 Mar)."""
    return pd.Timestamp(collection_year - 1, 4, 1), pd.Timestamp(collection_year, 3, 31)


def as_timestamp(d: date | str | pd.Timestamp) -> pd.Timestamp:
    return pd.Timestamp(d).normalize()


def fmt_dates(s: pd.Series, style: str = "dmy", *, after: pd.Timestamp | None = None) -> np.ndarray:
    """Format a datetime column as strings; NaT (and dates after ``after``) become ``""``.

    ``style`` is ``"dmy"`` (``%d/%m/%Y``, the 903 and Annex A text form) or ``"iso"``
    (``%Y-%m-%d``, the CIN census ``xs:date``). Dates repeat a lot, so each distinct date is
    formatted once (factorize, then take).
    """
    s = pd.Series(s, copy=False)
    if after is not None:
        s = s.where(~(s > after))
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    fmt = "%d/%m/%Y" if style == "dmy" else "%Y-%m-%d"
    table = np.empty(len(uniques) + 1, dtype=object)
    table[: len(uniques)] = pd.DatetimeIndex(uniques).strftime(fmt).to_numpy(dtype=object)
    table[-1] = ""
    return table[codes]  # code -1 (NaT) picks the trailing ""


def excel_serials(s: pd.Series, *, after: pd.Timestamp | None = None) -> np.ndarray:
    """Excel 1900-system serial day numbers (float; NaN for NaT / dates after ``after``)."""
    s = pd.Series(s, copy=False)
    if after is not None:
        s = s.where(~(s > after))
    days = s.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    out = (days - _EXCEL_EPOCH).astype("timedelta64[D]").astype("int64").astype(float)
    out[np.isnat(days)] = np.nan
    return out


def serial_to_dmy(serial: float) -> str:
    """Inverse of :func:`excel_serials` for one value, as ``dd/mm/yyyy``."""
    d = pd.Timestamp(_EXCEL_EPOCH + np.timedelta64(int(serial), "D"))
    return d.strftime("%d/%m/%Y")


def str_values(s: pd.Series) -> np.ndarray:
    """A string column as an object array with ``""`` for missing values."""
    s = pd.Series(s, copy=False)
    out = s.astype(object).to_numpy(dtype=object, copy=True)
    out[pd.isna(out)] = ""
    return out


def bool_values(s: pd.Series, true: str, false: str, na: str = "") -> np.ndarray:
    """Map a nullable boolean column to three strings (true / false / missing)."""
    s = pd.Series(s, copy=False).astype("boolean")
    out = np.full(len(s), na, dtype=object)
    vals = s.to_numpy(dtype=object, na_value=None)
    out[vals == True] = true  # noqa: E712 - object array of True/False/None
    out[vals == False] = false  # noqa: E712
    return out


def int_values(s: pd.Series) -> np.ndarray:
    """A nullable integer column as strings (``""`` when missing)."""
    s = pd.Series(s, copy=False)
    out = np.full(len(s), "", dtype=object)
    ok = s.notna().to_numpy()
    out[ok] = s[ok].astype("int64").astype(str).to_numpy(dtype=object)
    return out


def map_values(values: np.ndarray, mapping: dict[str, str], *, default: str | None = None) -> np.ndarray:
    """Map an object array of codes through ``mapping``; unmapped codes keep their value
    (or take ``default`` when given); ``""`` stays ``""``."""
    ser = pd.Series(values, dtype=object)
    mapped = ser.map(mapping)
    fallback = ser if default is None else pd.Series(default, index=ser.index, dtype=object)
    out = mapped.where(mapped.notna(), fallback).to_numpy(dtype=object)
    out[values == ""] = ""
    return out


def ages_in_years(dob: pd.Series, at: pd.Timestamp) -> np.ndarray:
    """Whole years of age at ``at`` (float array, NaN when the date of birth is missing)."""
    dob = pd.Series(dob, copy=False)
    years = at.year - dob.dt.year
    before_birthday = (dob.dt.month > at.month) | ((dob.dt.month == at.month) & (dob.dt.day > at.day))
    return (years - before_birthday.astype("Int64")).astype("Float64").to_numpy(
        dtype=float, na_value=np.nan
    )


def object_frame(columns: dict[str, np.ndarray], order: list[str] | None = None) -> pd.DataFrame:
    """A DataFrame keeping object arrays as ``object`` columns (pandas 3 would otherwise infer
    its Arrow-backed ``str`` dtype and convert every value, twice, on the way to the file)."""
    data = {k: pd.Series(v, dtype=object) if np.asarray(v).dtype == object else pd.Series(v)
            for k, v in columns.items()}
    return pd.DataFrame(data, columns=order or list(columns))


def group_join(keys: pd.DataFrame, frags: np.ndarray) -> pd.DataFrame:
    """Concatenate ``frags`` per distinct row of ``keys`` (rows already sorted by ``keys``).

    Returns the distinct keys with a ``frag`` column; keeps the given order inside each group.
    """
    n = len(keys)
    if n == 0:
        out = keys.iloc[:0].copy()
        out["frag"] = pd.Series([], dtype=object)
        return out
    k = keys.to_numpy()
    change = np.ones(n, dtype=bool)
    change[1:] = (k[1:] != k[:-1]).any(axis=1)
    starts = np.flatnonzero(change)
    ends = np.append(starts[1:], n)
    joined = ["".join(frags[a:b]) for a, b in zip(starts, ends, strict=True)]
    out = keys.iloc[starts].reset_index(drop=True).copy()
    out["frag"] = pd.Series(joined, dtype=object)
    return out
