"""The Month value object: parsed once, one message for bad input, one meaning (first day)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from driftflag.errors import ConfigError
from driftflag.month import Month

months = st.builds(Month, st.integers(1900, 2200), st.integers(1, 12))


def test_a_month_means_its_first_day_as_of():
    m = Month.parse("2026-03")
    assert (m.year, m.month, str(m)) == (2026, 3, "2026-03")
    assert m.as_of == date(2026, 3, 1) and m.last_day == date(2026, 3, 31)
    assert Month.parse("2024-02").last_day == date(2024, 2, 29)
    assert str(Month.parse(" 2025-12 ").next()) == "2026-01"


@pytest.mark.parametrize(("value", "message"), [
    ("nov", "--month 'nov' is not a month (YYYY-MM)"),
    ("2026-13", "--month '2026-13' is not a month (YYYY-MM)"),
    ("2026-00", "--month '2026-00' is not a month (YYYY-MM)"),
    ("2026-3", "--month '2026-3' is not a month (YYYY-MM)"),
    ("", "--month '' is not a month (YYYY-MM)"),
    (None, "--month None is not a month (YYYY-MM)"),
])
def test_bad_months_get_one_line_naming_the_option(value, message):
    with pytest.raises(ConfigError) as e:
        Month.parse(value)
    assert str(e.value) == message


def test_the_option_name_is_the_callers():
    with pytest.raises(ConfigError, match=r"^--from '2026/01' is not a month"):
        Month.parse("2026/01", "--from")


@given(months)
def test_text_round_trips(m):
    assert Month.parse(str(m)) == m and Month.parse(m) is m and Month.parse(m.as_of) == m


@given(months, st.integers(-500, 500))
def test_next_agrees_with_counting_month_by_month(m, n):
    step = m
    for _ in range(abs(n)):  # the slow, obvious way: one month at a time
        y, mo = step.year, step.month + (1 if n > 0 else -1)
        step = Month(y + (mo > 12) - (mo < 1), (mo - 1) % 12 + 1)
    assert m.next(n) == step
    assert (m.next(n) > m) == (n > 0) and m.next(n).next(-n) == m


@given(months)
def test_last_day_is_the_day_before_the_next_month(m):
    assert m.last_day + timedelta(days=1) == m.next().as_of
    assert m.as_of <= m.last_day and m.last_day.month == m.month
