"""Values derived from the canonical tables where the case model records none.

One rule, used by everything that needs it (the indicators and the Annex A writer), so the
permanence plan a QA lead sees on a worklist is the one Annex A would report.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Keys of :data:`driftflag.casemodel.codes.ANNEX_A_PERMANENCE_PLAN`, in code order.
PERMANENCE_PLANS: tuple[str, ...] = (
    "ADOPTION", "RETURN", "FOSTERING", "SUPPORTED", "RESIDENTIAL", "OTHER",
)


def permanence_plan_codes(place, ls, aged_16_plus) -> np.ndarray:
    """Derived permanence plan of each episode, as codes into :data:`PERMANENCE_PLANS`.

    ADOPTION: placed for adoption (A3-A6) or a placement or freeing order (E1, D1); RETURN: placed
    with parents (P1) or accommodated under s20 (V2); FOSTERING: foster placements (U*);
    SUPPORTED: 16 or over in supported or other accommodation (K3, H5, P2, Z*); RESIDENTIAL:
    children's homes and residential schools (K1, K2, R1, S1); otherwise OTHER.
    ``aged_16_plus`` is one bool for all rows or one per row.
    """
    place, ls = _codes(place), _codes(ls)
    first = place.astype("<U1")  # the first letter: U foster, Z other
    older = np.asarray(aged_16_plus, dtype=bool)
    conditions = [
        np.isin(place, ["A3", "A4", "A5", "A6"]) | np.isin(ls, ["E1", "D1"]),
        (place == "P1") | (ls == "V2"),
        first == "U",
        older & (np.isin(place, ["K3", "H5", "P2"]) | (first == "Z")),
        np.isin(place, ["K1", "K2", "R1", "S1"]),
    ]
    return np.select(conditions, [0, 1, 2, 3, 4], 5).astype(np.int64)


def _codes(values) -> np.ndarray:
    """Code strings with missing values (None, NaN) as ""."""
    return pd.Series(np.asarray(values, dtype=object)).fillna("").astype(str).to_numpy()
