"""The month's score of every open case, written beside the worklist so it can be checked.

``scores.parquet`` holds one row per open case on the worklist's as-of date: ``child_id``,
``as_of``, ``score``, ``rank`` (1 = highest score, ties share the lowest rank) and ``model``. It is
child-level and **not for sharing**: the file's metadata and the folder's ``scores_README.txt``
say so. It exists so that a QA lead (or, on a synthetic LA, the truth benchmark) can check a
list against every case it was chosen from, not only the cases it shows.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

__all__ = ["NOT_FOR_SHARING", "SCORES_FILE", "month_scores", "write_month_scores"]

SCORES_FILE = "scores.parquet"
NOT_FOR_SHARING = ("NOT FOR SHARING: child-level scores of every open case, for checking the "
                   "worklist inside the council only. Never attach to emails or share outside the "
                   "QA team; the shared/ folder holds the pseudonymised worklist.")


def month_scores(scored: pd.DataFrame, model_label: str) -> pd.DataFrame:
    """``child_id``, ``as_of``, ``score``, ``rank``, ``model`` from the scored caseload."""
    out = pd.DataFrame({
        "child_id": scored["child_id"].astype(str).to_numpy(),
        "as_of": pd.to_datetime(scored["as_of"]).to_numpy(),
        "score": scored["score"].astype(float).to_numpy(),
    })
    out["rank"] = out["score"].rank(method="min", ascending=False).astype("int64")
    out["model"] = model_label
    return out.sort_values(["rank", "child_id"], kind="stable").reset_index(drop=True)


def write_month_scores(scored: pd.DataFrame, out: Path, model_label: str) -> Path:
    """Write ``<out>/scores.parquet`` (with the not-for-sharing notice) and return its path."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from driftflag._atomic import write_bytes_atomic

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(month_scores(scored, model_label), preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                           b"driftflag.notice": NOT_FOR_SHARING.encode()})
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    path = out / SCORES_FILE
    write_bytes_atomic(path, sink.getvalue().to_pybytes())
    write_bytes_atomic(out / "scores_README.txt", (NOT_FOR_SHARING + "\n").encode())
    return path
