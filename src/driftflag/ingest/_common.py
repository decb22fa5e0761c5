"""Helpers shared by the return readers: collection-year labels and the cross-year dedupe.

A collection year is named by the year it ends (2026 = 1 April 2025 - 31 March 2026) and its
folder or file carries the label ``2025-26``. Records that continue across years are resubmitted
in every year's return, so combining years keeps, for each record key, only the rows from the
latest year that holds that key (:func:`keep_latest_year`).
"""

from __future__ import annotations

import gc
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

#: dtype of every value read from a return: pandas' string dtype, missing values as NaN.
STR_DTYPE = pd.StringDtype(na_value=np.nan)


def constant_text(text: str | None, n: int) -> pd.Series:
    """``pd.Series([text] * n, dtype=STR_DTYPE)`` built by pyarrow without a Python list: the
    staging gives every part of every row of 48 monthly extracts its constant columns (the
    visit type, blanks for the columns a return lacks), tens of millions of cells."""
    import pyarrow as pa

    return pd.Series(pd.array(pa.repeat(pa.scalar(text, pa.large_string()), n), dtype=STR_DTYPE))


def coded_texts(s: pd.Series) -> pd.Categorical:
    """``s``'s texts as a categorical of its distinct texts in order of first appearance (no
    sort of the distinct texts: a file's row numbers are hundreds of thousands; nothing looks
    at the order of categories of a column held this way). Why: provenance waiting to be
    settled or sorted (a file path, a list name per row) in a few bytes a row."""
    codes, distinct = pd.factorize(s.astype(STR_DTYPE), use_na_sentinel=True)
    return pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(pd.Index(distinct, dtype=STR_DTYPE)))


def row_numbers(rows: pd.Series) -> pd.Series:
    """Row numbers (``_source_row``) as 32-bit integers when every text is one written plainly
    (``"12"``, not ``"012"`` nor ``"12 "``: each made again by :func:`row_texts` exactly), else
    as they are. Why: the Annex A repeats wait, millions of them, from their extract to their
    table's settling, and a short text costs 13 bytes where a number costs 4."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if rows.dtype != STR_DTYPE or not len(rows) or rows.isna().any():
        return rows
    texts = large_text(rows)
    try:
        numbers = pc.cast(texts, pa.int32())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return rows
    if not pc.all(pc.equal(pc.cast(numbers, pa.large_string()), texts)).as_py():
        return rows
    return pd.Series(numbers.to_numpy(zero_copy_only=False), index=rows.index, name=rows.name)


def row_texts(rows: pd.Series) -> pd.Series:
    """Row numbers as staged (texts), whether held as numbers (:func:`row_numbers`) or not."""
    import pyarrow as pa

    if rows.dtype.kind not in "iu":
        return rows.astype(STR_DTYPE)
    return pd.Series(pd.array(pa.array(rows.to_numpy()).cast(pa.large_string()), dtype=STR_DTYPE),
                     index=rows.index, name=rows.name)


def lexsort_order(keys: list[np.ndarray]) -> np.ndarray:
    """``np.lexsort(keys[::-1])`` for integer keys (first key first): the stable order of the
    rows by the keys. Why: each key shifted to start at 0, the few keys fit in one 64-bit
    number at any realistic size, and one stable sort of it is a third of the time of
    lexsort's passes, one per key, over millions of rows (the duplicates report, the Annex A
    repeats as they settle, reconcile's precedence order); when they do not fit, lexsort."""
    if not len(keys[0]):
        return np.zeros(0, dtype=np.intp)
    bounds = [(int(np.min(k)), int(np.max(k))) for k in keys]
    sizes = [hi - lo + 1 for lo, hi in bounds]
    span = np.prod([float(n) for n in sizes])
    if span >= 2.0**62:  # (ranges no 64-bit number holds)
        return np.lexsort(keys[::-1])
    # packed key by key in place (no shifted copy of any key: at 150,000 children the Annex A
    # children's members and their duplicate entries are millions of rows), in 32 bits when
    # the ranges fit (half the bytes to sort)
    whole = np.zeros(len(keys[0]), dtype=np.int32 if span < 2.0**31 else np.int64)
    info = np.iinfo(whole.dtype)
    for k, (lo, hi), n in zip(keys, bounds, sizes, strict=True):
        whole *= n
        if np.asarray(k).dtype.kind == "i" and info.min <= lo and hi <= info.max:
            # the shift and the key added in the order that keeps every step within the packed
            # bound (a narrower key widens as it is added): no copy of the key
            if lo > 0:
                whole -= lo
            whole += k
            if lo < 0:
                whole -= lo
        else:
            whole += (np.asarray(k, dtype=np.int64) - lo).astype(whole.dtype)
    return np.argsort(whole, kind="stable")


def large_text(s: pd.Series):
    """The texts of ``s`` as one pyarrow ``large_string`` array (blanks null): what pyarrow's
    string kernels (joins) take, made from the Arrow strings without a Python object per row."""
    import pyarrow as pa

    return pa.array(s.astype(STR_DTYPE).array).cast(pa.large_string())


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for the block (back on after it, if it was on).

    Why: reading a return makes millions of small Python objects that all stay alive until the
    table is built (a CIN census file's rows are lists of texts, one per element), and the
    collector walked them again and again to find no garbage: two fifths of reading a census
    file, a tenth of reading an Annex A workbook (2026-12-01, benchmarks/README.md). Memory is
    freed as before (reference counting); only cycles wait until the block ends."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


_LABEL_RE = re.compile(r"(?<!\d)(\d{4})-(\d{2})(?!\d)")


def year_from_label(text: str) -> int | None:
    """Collection year of a ``YYYY-YY`` label found in ``text`` (``"2025-26"`` -> 2026).

    Returns None when ``text`` holds no label or the two halves are not consecutive years.

    Examples
    --------
    >>> year_from_label("2025-26"), year_from_label("cin_census_2019-20.xml"), year_from_label("x")
    (2026, 2020, None)
    """
    m = _LABEL_RE.search(text)
    if m is None:
        return None
    first, second = int(m.group(1)), int(m.group(2))
    if (first + 1) % 100 != second:
        return None
    return first + 1


def year_label(collection_year: int) -> str:
    """``2026`` -> ``"2025-26"``."""
    return f"{collection_year - 1}-{collection_year % 100:02d}"


def keep_latest_year(df: pd.DataFrame, keys: list[str], year_col: str = "collection_year") -> pd.DataFrame:
    """Drop rows whose key also appears in a later collection year.

    For each value of ``keys`` only the rows of the latest year holding it are kept. Rows of that
    year are all kept, even when the key repeats inside it (a within-return duplicate is a data
    quality issue for validation, not a resubmission). Rows with any key value missing cannot be
    matched across years and are always kept. The number of rows dropped is stored in
    ``result.attrs["dropped_resubmitted"]``.
    """
    if df.empty:
        out = df.copy()
        out.attrs["dropped_resubmitted"] = 0
        return out
    complete = df[keys].notna().all(axis=1).to_numpy()
    latest = df[year_col].where(complete).groupby([df[k] for k in keys], dropna=True).transform("max")
    keep = ~complete | (df[year_col] == latest).fillna(False).to_numpy()
    out = df.loc[keep].reset_index(drop=True)
    out.attrs["dropped_resubmitted"] = int((~keep).sum())
    return out


def one_line(text: object, limit: int = 200) -> str:
    """``text`` on one line (runs of whitespace, newlines included, become one space), cut to
    ``limit`` characters: error messages quote values from the file and must stay one line."""
    s = " ".join(str(text).split())
    return s if len(s) <= limit else s[: limit - 3] + "..."


def nul_reason(raw: bytes) -> str | None:
    """Why ``raw`` is not a text file, naming the first NUL byte's offset and line, or None.

    A return is text (CSV or XML); a NUL byte means a binary or damaged file, and saying where it
    is lets the council find the damage.
    """
    at = raw.find(b"\x00")
    if at < 0:
        return None
    line = raw.count(b"\n", 0, at) + 1
    return f"not a text file (NUL byte at byte offset {at}, line {line})"


def file_nul_reason(path) -> str | None:
    """:func:`nul_reason` for a whole file, streamed (a census file can be hundreds of MB)."""
    offset = lines = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            at = chunk.find(b"\x00")
            if at >= 0:
                line = lines + chunk.count(b"\n", 0, at) + 1
                return f"not a text file (NUL byte at byte offset {offset + at}, line {line})"
            offset += len(chunk)
            lines += chunk.count(b"\n")
    return None
