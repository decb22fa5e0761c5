"""The ingest's duplicates report at the benchmark LA's size: ``sorted_report`` (sort the
entries by their five texts) and ``write_duplicates`` (write them as text columns), against the
expressions they replaced, on the same entries (results compared, then CPU seconds printed).

    PYTHONPATH=src .venv/bin/python benchmarks/bench_duplicates_report.py [--entries 5640000]

Why a benchmark of its own: at 150,000 children the report holds about six million entries
(the repeated rows of 47 monthly Annex A extracts) and it was the largest step of the ingest's
single-process tail after the reading (13.7 of 68 CPU s, 2026-12-01).
"""

from __future__ import annotations

import argparse
import filecmp
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from driftflag.casemodel.store import PARQUET_OPTIONS
from driftflag.ingest import _duplicates


def entries(n: int, seed: int = 0) -> list[pd.DataFrame]:
    """Duplicate entries as the ingest makes them: one frame per Annex A list and extract,
    file names categorical in half of them, row numbers as text."""
    rng = np.random.default_rng(seed)
    frames, per = [], max(n // (47 * 6), 1)
    for k in range(max(n // per, 1)):
        f = f"/data/la/annex_a/annex_a_20{k // 72:02d}-{k // 6 % 12 + 1:02d}-28_list_{k % 6 + 3}.csv"
        files = pd.Series([f] * per, dtype="str")
        frames.append(pd.DataFrame({
            "table": pd.Categorical(["children"] * per),
            "_source_file": files.astype(object).astype("category") if k % 2 else files,
            "_source_table": pd.Series([f"List {k % 6 + 3}"] * per, dtype="str"),
            "_source_row": pd.Series(rng.integers(0, 170000, per).astype(str), dtype="str"),
            "reason": pd.Categorical(rng.choice(["repeated", "resubmitted"], per)),
        }))
    return frames


def old_ranked_texts(parts: list[pd.Series]) -> tuple[np.ndarray, object]:
    codes, uniques = [], []
    for s in parts:
        if isinstance(s.dtype, pd.CategoricalDtype):
            codes.append(s.cat.codes.to_numpy().astype(np.int32))
            uniques.append(np.asarray(s.cat.categories.astype(str), dtype=object))
        else:
            c, u = pd.factorize(s.astype("str").astype(object))
            codes.append(c.astype(np.int32))
            uniques.append(np.asarray(u, dtype=object))
    ids, distinct = pd.factorize(np.concatenate(uniques))
    names = np.asarray(distinct, dtype=object)
    rank = np.empty(len(names), dtype=np.int32)
    rank[np.argsort(names, kind="stable")] = np.arange(len(names))
    offsets = np.r_[0, np.cumsum([len(u) for u in uniques])[:-1]]
    out = np.concatenate([rank[ids[o + c]] for o, c in zip(offsets, codes, strict=True)])
    return out, pd.array(np.sort(names), dtype="str")


def old_report(frames: list[pd.DataFrame]) -> pd.DataFrame:
    cols = ["table", "_source_file", "_source_table", "_source_row", "reason"]
    ranked = [old_ranked_texts([f[c] for f in frames]) for c in cols]
    order = np.lexsort([codes for codes, _ in reversed(ranked)])
    return pd.DataFrame({new: pd.Categorical.from_codes(ranks[order], dtype=pd.CategoricalDtype(names))
                         for (ranks, names), new in zip(ranked, _duplicates.REPORT_COLUMNS, strict=True)})


def old_write(dups: pd.DataFrame, path: Path) -> None:
    schema = pa.Table.from_pandas(dups.iloc[0:0].astype("str"), preserve_index=False).schema
    with pq.ParquetWriter(path, schema, **PARQUET_OPTIONS) as writer:
        for i in range(0, max(len(dups), 1), _duplicates.PARQUET_ROW_GROUP):
            chunk = dups.iloc[i:i + _duplicates.PARQUET_ROW_GROUP].astype("str").reset_index(drop=True)
            writer.write_table(pa.Table.from_pandas(chunk, preserve_index=False, schema=schema))


def cpu(f, *a):
    t = time.process_time()
    out = f(*a)
    return out, time.process_time() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entries", type=int, default=5_640_000)
    n = ap.parse_args().entries
    frames = entries(n)
    new, t_new = cpu(_duplicates.sorted_report, frames)
    old, t_old = cpu(old_report, frames)
    pd.testing.assert_frame_equal(new.astype("str"), old.astype("str"))
    with tempfile.TemporaryDirectory() as d:
        _, w_new = cpu(_duplicates.write_duplicates, new, Path(d) / "new.parquet")
        _, w_old = cpu(old_write, new, Path(d) / "old.parquet")
        same = filecmp.cmp(Path(d) / "new.parquet", Path(d) / "old.parquet", shallow=False)
    print(f"{len(new):,} entries: sorted_report {t_old:.2f} -> {t_new:.2f} CPU s (same entries); "
          f"write_duplicates {w_old:.2f} -> {w_new:.2f} CPU s (same bytes: {same})")


if __name__ == "__main__":
    main()
