"""The pandas engine's reference for the Spark tests."""

from __future__ import annotations


def pandas_pool_panel(pool, first: str, last: str):
    """The pandas engine's panels of each council, stacked with their LA codes: the reference."""
    import pandas as pd

    from driftflag.casemodel import read_store
    from driftflag.indicators import panel

    frames = []
    for s in pool:
        frame = panel(read_store(s.path), first, last)
        frame.insert(0, "la_code", s.la_code)
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    out.attrs = {}
    return out.sort_values(["la_code", "as_of", "child_id"], kind="stable").reset_index(drop=True)
