"""Compare a fast snapshot with the reference one, indicator by indicator."""

from __future__ import annotations

import numpy as np
import pandas as pd

from driftflag.indicators import Registry


def _norm(v):
    if v is None:
        return None
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(v, bool | np.bool_):
        return bool(v)
    if isinstance(v, int | float | np.integer | np.floating):
        return round(float(v), 9)
    return v


def mismatches(fast: pd.DataFrame, ref: pd.DataFrame, registry: Registry) -> dict[str, list]:
    """Column -> list of (child_id, fast value, reference value) where they differ."""
    out: dict[str, list] = {}
    fast_ids = list(fast["child_id"].astype(object))
    ref_ids = list(ref["child_id"]) if len(ref) else []
    if fast_ids != ref_ids:
        out["child_id"] = [("rows", sorted(set(fast_ids) ^ set(ref_ids))[:10], len(fast), len(ref))]
        return out
    columns = ["service", "team", "worker_id"] + [ind.column for ind in registry]
    for col in columns:
        f = [_norm(v) for v in fast[col].astype(object)] if len(fast) else []
        r = [_norm(v) for v in ref[col]] if len(ref) else []
        bad = [(cid, a, b) for cid, a, b in zip(fast_ids, f, r, strict=True) if a != b]
        if bad:
            out[col] = bad[:5]
    return out
