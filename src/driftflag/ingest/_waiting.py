"""Staged rows waiting to be settled, their provenance held in few bytes.

The rows of the CIN census, the SSDA903 and the audit log (and the Annex A rows kept whole)
wait from the end of the reading until their table's turn in the settling, so they are under
every earlier table's settling peak. At 150,000 children their provenance (file path, list, row
number and format as a text per row; collection year and sequence as 8-byte integers) was 0.36
GB of their 0.61 GB. Held here as categoricals (a few files and lists, row numbers repeated in
every file) and the smallest integers their range allows, and put back exactly as staged
(:func:`restored`) before a table is settled or its rows are reported.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from driftflag.ingest._common import STR_DTYPE, coded_texts

#: provenance texts held as categories (codes into each column's distinct texts)
TEXTS = ("_source_file", "_source_table", "_source_row", "_format")
#: provenance numbers held in the smallest integer type of their range
NUMBERS = ("_year", "_seq")


def compacted(df: pd.DataFrame, texts: tuple[str, ...] = TEXTS,
              numbers: tuple[str, ...] = NUMBERS) -> tuple[pd.DataFrame, dict[str, Any]]:
    """``df`` with its provenance (``texts`` and ``numbers`` of it) in few bytes, and the dtype
    each changed column was staged with (what :func:`restored` needs). Only texts of the
    staged text dtype and 64-bit integers are changed: any other column is left as it is, and
    put back as it is."""
    if not len(df):
        return df, {}
    staged: dict[str, Any] = {}
    out: dict[str, Any] = {}
    for c in texts:
        if c in df.columns and df[c].dtype == STR_DTYPE:
            out[c] = coded_texts(df[c])
            staged[c] = df[c].dtype
    for c in numbers:
        if c in df.columns and df[c].dtype == np.int64:
            v = df[c].to_numpy()
            small = _smallest(int(v.min()), int(v.max()))
            if small is not None:
                out[c] = v.astype(small)
                staged[c] = df[c].dtype
    return (df.assign(**out) if out else df), staged


def _smallest(lo: int, hi: int) -> type | None:
    for t in (np.int8, np.int16, np.int32):
        if np.iinfo(t).min <= lo and hi <= np.iinfo(t).max:
            return t
    return None


def restored(df: pd.DataFrame, staged: dict[str, Any]) -> pd.DataFrame:
    """``df`` (made by :func:`compacted`, rows selected since) with its provenance as staged."""
    out: dict[str, Any] = {}
    for c, dtype in staged.items():
        if c not in df.columns:
            continue
        s = df[c]
        if isinstance(s.dtype, pd.CategoricalDtype) and s.cat.categories.dtype == dtype:
            # the texts taken by their codes in Arrow (a blank, code -1, taken as a blank)
            texts = s.cat.categories.array.take(s.cat.codes.to_numpy(), allow_fill=True)
            out[c] = pd.Series(texts, index=df.index, dtype=dtype)
        else:
            out[c] = s.astype(dtype)
    return df.assign(**out) if out else df
