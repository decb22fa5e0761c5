"""Small numeric helpers shared by the simulator: integer day arithmetic and working days.

The simulator works in integer days since 1970-01-01 (``int64``) for speed; :data:`NA` marks a
missing date (an open event). Conversion to ``datetime64[ns]`` happens once, at the end.
"""

from __future__ import annotations

from datetime import date

import numpy as np

NA = np.int64(-(2**40))
_EPOCH = date(1970, 1, 1)


def day(d: date) -> int:
    """Integer day number of a date."""
    return (d - _EPOCH).days


def to_datetime(days: np.ndarray) -> np.ndarray:
    """Integer days (with :data:`NA`) to ``datetime64[ns]`` (with NaT)."""
    days = np.asarray(days, dtype=np.int64)
    out = days.astype("datetime64[D]").astype("datetime64[ns]")
    out[days == NA] = np.datetime64("NaT")
    return out


def add_working_days(start: np.ndarray, n: np.ndarray, holidays: np.ndarray) -> np.ndarray:
    """``start`` plus ``n`` working days (England), rolling a weekend/holiday start forward."""
    s = np.asarray(start, dtype=np.int64).astype("datetime64[D]")
    res = np.busday_offset(s, np.asarray(n, dtype=np.int64), roll="forward", holidays=holidays)
    return res.astype(np.int64)


def segment_cumsum(values: np.ndarray, group_starts: np.ndarray) -> np.ndarray:
    """Cumulative sum that restarts at each index in ``group_starts`` (sorted, includes 0)."""
    cs = np.cumsum(values)
    offsets = np.zeros_like(cs)
    if len(group_starts) > 1:
        prev = cs[group_starts[1:] - 1]
        lengths = np.diff(np.append(group_starts, len(values)))
        offsets = np.repeat(np.concatenate([[0], prev]), lengths)
    return cs - offsets


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def choice(rng: np.random.Generator, options, probs, size: int) -> np.ndarray:
    """Vectorised categorical draw with probabilities normalised to 1."""
    p = np.asarray(probs, dtype=float)
    return np.asarray(options)[rng.choice(len(p), size=size, p=p / p.sum())]


def choice_rows(rng: np.random.Generator, options, prob_matrix: np.ndarray) -> np.ndarray:
    """Categorical draw with a different probability row per item (rows need not sum to 1)."""
    p = np.asarray(prob_matrix, dtype=float)
    cdf = np.cumsum(p, axis=1)
    cdf /= cdf[:, -1:]
    u = rng.random(len(p))[:, None]
    idx = (u > cdf).sum(axis=1)
    return np.asarray(options)[np.minimum(idx, p.shape[1] - 1)]


def ordinal_cuts(latent: np.ndarray, shares) -> np.ndarray:
    """Cut points on ``latent`` so the ordinal categories have the given shares."""
    q = np.cumsum(shares)[:-1]
    return np.quantile(latent, q)


def poisson_times(
    rng: np.random.Generator, starts: np.ndarray, ends: np.ndarray, rates_per_day: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Event times of independent Poisson processes on ``[start, end)`` for each interval.

    Returns (interval index, event day), sorted by interval then day.
    """
    dur = np.maximum(ends - starts, 0)
    n = rng.poisson(rates_per_day * dur)
    idx = np.repeat(np.arange(len(starts)), n)
    t = starts[idx] + np.floor(rng.random(len(idx)) * dur[idx]).astype(np.int64)
    order = np.lexsort((t, idx))
    return idx[order], t[order]
