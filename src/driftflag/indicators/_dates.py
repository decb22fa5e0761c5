"""Date arithmetic for indicators: integer day numbers, calendar months and England working days.

Indicators work on integer day numbers (days since 1970-01-01, ``int64``) so that every window
test is one comparison on a numpy array. Conventions, used by every indicator and stated in
``docs/indicators.md``:

- **"In the last N days"** means a date ``d`` with ``as_of - N < d <= as_of``: the as-of day
  counts, the day N days earlier does not (N days in all).
- **"In the last N months"** is the same with a calendar-month cut-off:
  ``months_before(as_of, N) < d <= as_of``. Month arithmetic clips to the end of the month, as
  ``dateutil.relativedelta`` does: 31 August minus 6 months is 28 (or 29) February, and 29
  February 2024 minus 12 months is 28 February 2023.
- **Working days** are Monday to Friday except England and Wales bank holidays, taken from the
  ``holidays`` library (``country_holidays("GB", subdiv="ENG")``, which includes one-off bank
  holidays such as 19 September 2022 and 8 May 2023) rather than a hand-kept list. The working
  days *elapsed* from ``a`` to ``b`` are the working days ``d`` with ``a < d <= b``: an
  assessment that starts on a Monday has been open 1 working day on the Tuesday, and is beyond
  45 working days once 46 have elapsed.
"""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd

from driftflag.casemodel.calendar import england_bank_holidays

#: Day number standing for "no date" on an end (an open episode): later than any real date.
OPEN = np.int64(2**40)
#: Day number standing for "no date" on a start-like field: earlier than any real date.
NONE = np.int64(-(2**40))
_EPOCH = np.datetime64("1970-01-01", "D")


def to_day(value) -> int:
    """One date-like value (``date``, ``datetime``, ``Timestamp``, ISO string) as a day number."""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime | pd.Timestamp):
        value = value.date()
    if not isinstance(value, date):
        raise TypeError(f"not a date: {value!r}")
    return int((np.datetime64(value, "D") - _EPOCH).astype(np.int64))


def day_to_timestamp(day: int) -> pd.Timestamp:
    return pd.Timestamp(_EPOCH + np.timedelta64(int(day), "D"))


def days_of(values: pd.Series | np.ndarray, missing: np.int64) -> np.ndarray:
    """A datetime column as day numbers; missing dates (NaT) become ``missing``."""
    arr = np.asarray(values, dtype="datetime64[ns]")
    nat = np.isnat(arr)
    out = arr.astype("datetime64[D]").astype(np.int64)
    out[nat] = missing
    return out


def _as_D(days: np.ndarray) -> np.ndarray:
    return np.asarray(days, dtype=np.int64).astype("datetime64[D]")


def add_months(days: np.ndarray | int, n: int) -> np.ndarray:
    """Day numbers shifted by ``n`` calendar months (negative to go back), clipped to month end.

    Missing days (:data:`OPEN`, :data:`NONE`) are returned unchanged.
    """
    d = np.atleast_1d(np.asarray(days, dtype=np.int64))
    real = (d != OPEN) & (d != NONE)
    dd = _as_D(np.where(real, d, 0))
    month = dd.astype("datetime64[M]")
    day_in_month = (dd - month.astype("datetime64[D]")).astype(np.int64)
    target = month + np.timedelta64(n, "M")
    last = ((target + np.timedelta64(1, "M")).astype("datetime64[D]") - np.timedelta64(1, "D"))
    out = np.minimum(target.astype("datetime64[D]") + day_in_month, last)
    return np.where(real, out.astype(np.int64), d)


def months_before(day: int, n: int) -> int:
    """The day ``n`` calendar months before ``day`` (clipped to month end)."""
    return int(add_months(np.array([day]), -n)[0])


class WorkingDays:
    """Working-day counts over a fixed range of years (England bank holidays)."""

    def __init__(self, first_year: int, last_year: int):
        self.first_year = int(first_year)
        self.last_year = int(last_year)
        self.holidays = england_bank_holidays(self.first_year, self.last_year)
        self._cal = np.busdaycalendar(weekmask="1111100", holidays=self.holidays)

    def elapsed(self, start: np.ndarray, end: np.ndarray | int) -> np.ndarray:
        """Working days ``d`` with ``start < d <= end``, element-wise (0 when end <= start)."""
        s = np.asarray(start, dtype=np.int64)
        e = np.broadcast_to(np.asarray(end, dtype=np.int64), s.shape)
        n = np.busday_count(_as_D(s + 1), _as_D(e + 1), busdaycal=self._cal)
        return np.maximum(n, 0).astype(np.int64)

    def add(self, start: np.ndarray, n: int) -> np.ndarray:
        """The ``n``-th working day after ``start`` (so ``elapsed(start, add(start, n)) == n``)."""
        s = _as_D(np.asarray(start, dtype=np.int64))
        # roll forward from the day after start: the 1st working day after start is that day if
        # it is a working day.
        first = np.busday_offset(s + np.timedelta64(1, "D"), 0, roll="forward", busdaycal=self._cal)
        return np.busday_offset(first, n - 1, roll="forward", busdaycal=self._cal).astype(np.int64)


def year_of(day: int) -> int:
    return int(str(_EPOCH + np.timedelta64(int(day), "D"))[:4])


def normalise_as_of(as_of) -> pd.Timestamp:
    """An as-of date (``date``, ``datetime``, ``Timestamp`` or ISO string) as a midnight Timestamp."""
    try:
        return day_to_timestamp(to_day(as_of))
    except (TypeError, ValueError) as e:
        from driftflag.errors import ConfigError

        raise ConfigError(f"as_of {as_of!r} is not a date (YYYY-MM-DD)") from e


__all__ = [
    "OPEN",
    "NONE",
    "WorkingDays",
    "add_months",
    "months_before",
    "days_of",
    "to_day",
    "day_to_timestamp",
    "england_bank_holidays",
    "normalise_as_of",
    "year_of",
]
