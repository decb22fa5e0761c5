"""Small-number suppression for every table and chart of the fairness pack.

Rules (DfE / ONS practice, configurable in :class:`~driftflag.fairness.FairnessConfig`):

* **primary**: a count from 1 to ``limit - 1`` is shown as ``"<limit"`` (0 is shown: it discloses
  no child);
* **secondary**: a set of cells whose total is published elsewhere (a column of one dimension
  sums to the caseload; the detailed codes of a major group sum to the major group; a row or a
  column of ethnicity by age sums to a margin) must not hold exactly one suppressed cell, or it
  could be recovered by subtraction; the smallest other non-zero cell is suppressed too, repeated
  until no set has a single suppressed cell. A part whose complement in its row is small (e.g. 95
  of 100 cases listed leaves 5 unlisted) is suppressed as well;
* **rates**: a rate is shown only when its denominator is at least ``min_group`` cases and neither
  its numerator nor its complement is a small count (a rate and its base would otherwise give
  the count back). Disparities follow the rates they divide.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["SECONDARY_LABEL", "hidden_label", "is_small", "secondary_suppress",
           "suppressed_label"]

#: How a count hidden only to protect a small one (secondary suppression) is written: it is 10
#: or more, and "<10" would tell the reader something false.
SECONDARY_LABEL = "hidden"


def is_small(values: np.ndarray, limit: int) -> np.ndarray:
    """Counts that must not be shown: 1 <= v < limit (rounded, so weighted sums are covered)."""
    v = np.rint(np.asarray(values, dtype=float))
    return (v >= 1) & (v < limit)


def suppressed_label(limit: int) -> str:
    """How a suppressed count is written: ``"<10"`` for the default limit."""
    return f"<{limit}"


def hidden_label(value: float, limit: int) -> str:
    """``"<10"`` for a small count, :data:`SECONDARY_LABEL` for a larger one hidden with it."""
    return suppressed_label(limit) if is_small(np.array([value]), limit)[0] else SECONDARY_LABEL


def secondary_suppress(values: np.ndarray, primary: np.ndarray,
                       lines: Sequence[np.ndarray]) -> np.ndarray:
    """Extend a primary suppression mask so no line (cells with a known total) has one hidden cell.

    ``values`` and ``primary`` are flat arrays of cells; each line is an array of cell indices.
    The cell added is the smallest non-zero visible cell of the line (ties: the first), which
    loses least information. Deterministic; terminates because the mask only grows.
    """
    v = np.asarray(values, dtype=float)
    mask = np.asarray(primary, dtype=bool).copy()
    changed = True
    while changed:
        changed = False
        for line in lines:
            line = np.asarray(line, dtype=np.int64)
            if len(line) < 2:
                continue
            hidden = mask[line] & (v[line] > 0)
            if hidden.sum() != 1:
                continue
            candidates = line[~mask[line] & (v[line] > 0)]
            if len(candidates) == 0:
                continue
            pick = candidates[np.argmin(v[candidates])]  # first of equal minima
            mask[pick] = True
            changed = True
    return mask
