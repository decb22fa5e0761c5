"""A calendar month, parsed once where a person types it (``--month``, a pipeline file).

**One meaning everywhere.** ``2026-03`` is the calendar month March 2026, parsed by
:meth:`Month.parse` and by nothing else. A stage that works *as of* a month takes its first day,
:attr:`Month.as_of` = 1 March 2026, and reads only what was recorded and known before that day:
the worklist, the feature snapshot and data drift monitoring of ``2026-03`` all describe the
caseload the QA lead has on the morning of 1 March. The scorecard of ``2026-03`` reports on the
whole of March, so it is measured as at :attr:`Month.last_day` (31 March) and says so on the page.

Bad input gets one line naming the option and the value, e.g.
``--month 'nov' is not a month (YYYY-MM)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from driftflag.errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Month"]

_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")
BAD_MONTH = "{option} {value!r} is not a month (YYYY-MM)"


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month (a value object: two equal months are the same month).

    >>> m = Month.parse("2026-03")
    >>> str(m), m.as_of, m.last_day
    ('2026-03', datetime.date(2026, 3, 1), datetime.date(2026, 3, 31))
    >>> m.next(), m.next(-3)
    (Month(year=2026, month=4), Month(year=2025, month=12))
    """

    year: int
    month: int

    def __post_init__(self) -> None:
        if not (1 <= self.month <= 12 and 1 <= self.year <= 9999):
            raise ConfigError(BAD_MONTH.format(option="month", value=f"{self.year}-{self.month:02d}"))

    @classmethod
    def parse(cls, value: str | Month | date, option: str = "--month") -> Month:
        """``YYYY-MM`` (or a Month, or a date: its month) as a Month; anything else is a
        :class:`~driftflag.errors.ConfigError` naming ``option`` and the value."""
        if isinstance(value, Month):
            return value
        if isinstance(value, date):
            return cls(value.year, value.month)
        m = _PATTERN.match(value.strip()) if isinstance(value, str) else None
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise ConfigError(BAD_MONTH.format(option=option, value=value))
        return cls(int(m.group(1)), int(m.group(2)))

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def as_of(self) -> date:
        """The as-of date of every stage run for this month: its first day."""
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        """The month's last day (for labels such as "March 2026"; never an as-of date)."""
        return date.fromordinal(self.next().as_of.toordinal() - 1)

    def timestamp(self) -> pd.Timestamp:
        """:attr:`as_of` as a pandas Timestamp (what the indicator and worklist code take)."""
        import pandas as pd

        return pd.Timestamp(self.as_of)

    def next(self, months: int = 1) -> Month:
        """The month ``months`` later (earlier when negative)."""
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)
