"""England's bank holidays, for working-day timescales (45-day assessments, 15-day ICPCs).

From the ``holidays`` library rather than a hand-kept list, so one-off bank holidays (19
September 2022, 8 May 2023) are included. Shared by the simulator and the indicators.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np


@lru_cache(maxsize=16)
def england_bank_holidays(first_year: int, last_year: int) -> np.ndarray:
    """England and Wales bank holidays in ``[first_year, last_year]`` as ``datetime64[D]``."""
    import holidays

    hol = holidays.country_holidays("GB", subdiv="ENG", years=range(first_year, last_year + 1))
    return np.array(sorted(hol.keys()), dtype="datetime64[D]")
