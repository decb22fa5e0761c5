"""A larger case store made of copies of an ingested one, for memory figures at sizes the ingest
cannot reach yet (issue 17: every stage after ingest at 400,000 children).

    PYTHONPATH=src nice -n 10 .venv/bin/python benchmarks/scale_store.py SOURCE OUT --children 400000

Every table is copied whole as many times as needed, then the first children (in ``children``
order) of one more copy to reach ``--children``. Copy ``r`` (from 1; copy 0 is the source as it
is) gives every identifier column (``child_id``, ``referral_id``, ``visit_id``... every column
ending in ``_id`` but ``worker_id``) the suffix ``.r<r>``, so keys stay unique and each child's
records stay together and in the same order; workers, teams, dates and codes are unchanged (a
larger LA with the same staff: team caseloads grow with the copies). Each copy's children have
the same histories as the source's, so the panel, labels and models see the same patterns
repeated: the figures are memory and time at that size, not the model's skill.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path

import pandas as pd

from driftflag.casemodel.store import CaseStore, read_store, write_store

#: identifiers shared across copies (staff, not children or their records)
SHARED_IDS = frozenset({"worker_id"})


def _id_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c.endswith("_id") and c not in SHARED_IDS]


def _copy(frame: pd.DataFrame, r: int, children: pd.Series | None) -> pd.DataFrame:
    """Copy ``r`` of one table: its rows (only those of ``children`` if given), ids suffixed."""
    if children is not None:
        frame = frame[frame["child_id"].isin(children)]
    out = frame.copy()
    for col in _id_columns(out):
        s = out[col]
        out[col] = s.where(s.isna(), s.astype("str") + f".r{r}")
    return out


def scale(source: CaseStore, n_children: int) -> CaseStore:
    """``source`` copied until it holds ``n_children`` children (see the module docstring)."""
    n_source = len(source["children"])
    if n_source == 0:
        raise SystemExit("the source store has no children")
    full, part = divmod(n_children, n_source)
    tables: dict[str, pd.DataFrame] = {}
    for name, frame in source.tables.items():
        parts = [frame]
        for r in range(1, full):
            parts.append(_copy(frame, r, None))
        if part:
            first = source["children"]["child_id"].iloc[:part]
            if "child_id" in frame.columns:
                parts.append(_copy(frame, full, first))
        tables[name] = pd.concat(parts, ignore_index=True) if len(parts) > 1 else frame
    if full == 0:  # fewer children than the source: its first ones
        first = source["children"]["child_id"].iloc[:n_children]
        tables = {name: (f[f["child_id"].isin(first)].reset_index(drop=True) if "child_id" in f.columns else f)
                  for name, f in source.tables.items()}
    return CaseStore(tables=tables)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("source", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--children", type=int, required=True)
    a = ap.parse_args()
    src = read_store(a.source)
    big = scale(src, a.children)
    manifest = json.loads((a.source / "manifest.json").read_text())
    extra = {k: v for k, v in manifest.items()
             if k not in {"schema_version", "created_at", "row_counts", "sources"}}
    extra["scaled_from"] = {"store": str(a.source), "children": len(src["children"])}
    write_store(big, a.out, created_at=datetime.fromisoformat(manifest["created_at"]), extra=extra)
    counts = big.row_counts()
    print(f"{a.out}: {counts['children']:,} children, {sum(counts.values()):,} rows "
          f"(from {len(src['children']):,} children)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
