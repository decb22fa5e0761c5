"""The duplicates report (``validation/duplicates.parquet``), sorted table by table as the ingest
settles, and written.

Every duplicate entry names its table (its file, list, row and reason follow), and the report is
sorted by those five texts, table first. A table's entries are all known once the ingest has
settled that table, and sorting one table's entries by their other four texts puts them in the
very order the whole sort puts them in. So each table's entries are ranked and sorted in a thread
as soon as the table is settled, beside the settling of the next table (Arrow's hashing and
numpy's sort let go of the interpreter while they work), and only the tables' sorted entries are
put together at the end.

Why: at 150,000 children the report holds 5.9 million entries, and sorting them all after the
settling was the last five seconds or so of the ingest while the other core stood idle through
the settling (benchmarks/README.md). :func:`sorted_report` sorts a list of entries at once (the
reference the table-by-table report is tested against, and the way :func:`driftflag.ingest.run.build`
makes it).
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from driftflag.casemodel.store import PARQUET_OPTIONS, _write_parquet
from driftflag.ingest._common import coded_texts, constant_text, lexsort_order, row_texts

#: an entry's columns, as staged (renamed to the report's columns in the report)
ENTRY_COLUMNS = ["table", "_source_file", "_source_table", "_source_row", "reason"]
#: the report's columns
REPORT_COLUMNS = ("table", "source_file", "source_table", "source_row", "reason")


def sorted_report(entries: list[pd.DataFrame]) -> pd.DataFrame:
    """The duplicate ``entries`` as ``validation/duplicates.parquet`` lists them, sorted by their
    five columns, each column a categorical of its sorted distinct texts. Why: at 150,000
    children there are about six million entries, mostly the same few file and list names; as
    five text columns they were the ingest's peak memory (a gigabyte and more), as integer
    codes they are a few bytes an entry. :func:`write_duplicates` writes them as text.

    An entry with a blank anywhere (never made by the ingest) makes the report text columns."""
    frames = [f[ENTRY_COLUMNS] for f in entries if len(f)]
    if not frames or any(f[c].isna().any() for f in frames for c in ENTRY_COLUMNS):
        return _text_report(frames)
    ranked = []
    for c in ENTRY_COLUMNS:
        ranked.append(ranked_texts([f[c] for f in frames]))
        for k, f in enumerate(frames):  # each column's texts are let go once coded
            frames[k] = f.drop(columns=c)
    del frames
    order = lexsort_order([codes for codes, _ in ranked])
    return _report_frame([(ranks[order], names) for ranks, names in ranked])


def _text_report(frames: list[pd.DataFrame]) -> pd.DataFrame:
    dups = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=ENTRY_COLUMNS)
    dups = dups.rename(columns=dict(zip(ENTRY_COLUMNS, REPORT_COLUMNS, strict=True)))
    return dups[list(REPORT_COLUMNS)].astype("str").sort_values(list(REPORT_COLUMNS),
                                                                kind="mergesort").reset_index(drop=True)


def _report_frame(columns: list[tuple[np.ndarray, np.ndarray]]) -> pd.DataFrame:
    """The report from each column's (ranks in the report's order, sorted distinct texts)."""
    out = {}
    for (ranks, names), new in zip(columns, REPORT_COLUMNS, strict=True):
        small = ranks.astype(_smallest(len(names)))
        out[new] = pd.Categorical.from_codes(small, dtype=pd.CategoricalDtype(pd.array(names, dtype="str"),
                                                                              ordered=False))
    return pd.DataFrame(out)


def ranked_texts(parts: list[pd.Series]) -> tuple[np.ndarray, np.ndarray]:
    """The texts of ``parts`` end to end as (rank of each among the distinct texts in sorted
    order, those texts sorted, as Python strings): integer codes instead of millions of strings."""
    codes, uniques = [], []
    for s in parts:
        # factorised as Arrow texts, each part's and then all parts' distinct texts (not one
        # Python string per entry: six million entries at 150,000 children)
        if isinstance(s.dtype, pd.CategoricalDtype):
            codes.append(s.cat.codes.to_numpy().astype(np.int32))
            uniques.append(pd.Series(np.asarray(s.cat.categories.astype(str), dtype=object), dtype="str"))
        elif s.dtype.kind in "iu":  # row numbers held as numbers (see row_numbers)
            c, u = _number_codes(s.to_numpy())
            codes.append(c)
            uniques.append(row_texts(pd.Series(u)))
        else:
            c, u = pd.factorize(s.astype("str"))
            codes.append(c.astype(np.int32))
            uniques.append(pd.Series(u, dtype="str"))
    every = pd.concat(uniques, ignore_index=True)
    ids, distinct = pd.factorize(every)
    order = _text_order(distinct)
    rank = np.empty(len(order), dtype=np.int32)
    rank[order] = np.arange(len(order))
    offsets = np.r_[0, np.cumsum([len(u) for u in uniques])[:-1]]
    out = np.concatenate([rank[ids[o + c]] for o, c in zip(offsets, codes, strict=True)])
    return out, np.asarray(distinct, dtype=object)[order]


def _number_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize(values)`` for row numbers, in any order of the distinct values: through a
    table of every number up to the largest when that table is no longer than the values
    (row numbers of a few files: no hash table of millions of entries), else by factorising."""
    if len(values) and int(values.min()) >= 0 and int(values.max()) < 4 * len(values) + 1024:
        present = np.zeros(int(values.max()) + 1, dtype=bool)
        present[values] = True
        distinct = np.flatnonzero(present)
        at = np.zeros(len(present), dtype=np.int32)
        at[distinct] = np.arange(len(distinct), dtype=np.int32)
        return at[values], distinct
    codes, distinct = pd.factorize(values)
    return codes.astype(np.int32), np.asarray(distinct)


def _text_order(texts: Any) -> np.ndarray:
    """The order that sorts distinct ``texts`` as Python sorts them, found by Arrow (bytes of
    UTF-8 sort as their characters do; three to six times faster than numpy sorting Python
    strings, and the row numbers of a large table are a few hundred thousand texts); by numpy
    when Arrow cannot hold them (a lone surrogate)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    values = np.asarray(texts, dtype=object)
    try:
        return pc.sort_indices(pa.array(values, type=pa.large_string())).to_numpy()
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeEncodeError):
        return np.argsort(values, kind="stable")


def _union(names: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
    """The sorted union of sorted distinct texts, and where each list's texts are in it."""
    every = np.concatenate(names) if names else np.zeros(0, dtype=object)
    distinct = pd.unique(every)
    union = distinct[_text_order(distinct)]
    at = pd.Index(union)
    return union, [at.get_indexer(n).astype(np.int32) for n in names]


class TableByTable:
    """The duplicates report gathered entry frame by entry frame and sorted table by table:
    :meth:`settled` once a table can get no more entries, :meth:`report` at the end (the same
    frame as :func:`sorted_report` of every entry in the order added; tested on random entries,
    ``tests/ingest/test_duplicates_by_table.py``)."""

    def __init__(self, *, background: bool = True) -> None:
        self._entries: dict[Any, list[pd.DataFrame]] = {}  # per table (None: a blank table)
        self._sorted: dict[Any, Future] = {}
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="duplicates") if background else None

    def add(self, entries: pd.DataFrame) -> None:
        """Take a frame of duplicate entries (of one table or several)."""
        if not len(entries):
            return
        entries = _files_coded(entries[ENTRY_COLUMNS])
        table = entries["table"]
        if isinstance(table.dtype, pd.CategoricalDtype) and len(table.cat.categories) == 1 and not table.isna().any():
            self._entries.setdefault(str(table.cat.categories[0]), []).append(entries)
            return
        text = table.astype("str")
        names = pd.unique(text.dropna())
        if len(names) == 1 and not text.isna().any():
            self._entries.setdefault(str(names[0]), []).append(entries)
            return
        for name in names:
            self._entries.setdefault(str(name), []).append(entries.loc[(text == name).to_numpy()])
        if text.isna().any():
            self._entries.setdefault(None, []).append(entries.loc[text.isna().to_numpy()])

    def extend(self, frames: list[pd.DataFrame]) -> None:
        for f in frames:
            self.add(f)

    def settled(self, table: str) -> None:
        """``table`` gets no more entries: sort its entries (in the thread, when there is one)."""
        parts = self._entries.pop(table, None)
        if parts is None:
            return
        if table in self._sorted:
            raise ValueError(f"duplicate entries of {table} after it was settled")
        if self._pool is None:
            done: Future = Future()
            done.set_result(_sorted_table(parts))
            self._sorted[table] = done
        else:
            self._sorted[table] = self._pool.submit(_sorted_table, parts)

    def report(self) -> pd.DataFrame:
        """The whole report (:func:`sorted_report` of every entry taken)."""
        for table in list(self._entries):
            if table is not None:
                self.settled(table)
        try:
            pieces = {t: f.result() for t, f in self._sorted.items()}
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
        blank = self._entries.pop(None, [])
        if blank or any(isinstance(p, pd.DataFrame) for p in pieces.values()):
            # a blank somewhere: the report of texts (as sorted_report makes it then)
            frames = [p if isinstance(p, pd.DataFrame) else _piece_text(t, p) for t, p in pieces.items()]
            return sorted_report([*frames, *blank])
        if not pieces:
            return sorted_report([])
        tables = sorted(pieces)
        columns: list[tuple[np.ndarray, np.ndarray]] = [(
            np.concatenate([np.full(len(pieces[t][0][0]), k, dtype=np.int32) for k, t in enumerate(tables)]),
            np.asarray(tables, dtype=object))]
        for j in range(len(ENTRY_COLUMNS) - 1):
            names, where = _union([pieces[t][j][1] for t in tables])
            ranks = np.concatenate([w[pieces[t][j][0]] for w, t in zip(where, tables, strict=True)])
            columns.append((ranks, names))
        return _report_frame(columns)


def _files_coded(entries: pd.DataFrame) -> pd.DataFrame:
    """``entries`` with their file and list as categoricals (codes into the few distinct
    texts). Why: entries wait to be sorted until their table is settled, and a file's path
    as a text per entry was 0.15 GB of the 0.25 GB the reading's entries held (1.6 million
    repeated Annex A allocations, 0.7 million duplicate children at 150,000 children)."""
    out = {c: coded_texts(entries[c]) for c in ("_source_file", "_source_table")
           if not isinstance(entries[c].dtype, pd.CategoricalDtype)}
    return entries.assign(**out) if out else entries


def _sorted_table(parts: list[pd.DataFrame]) -> list[tuple[np.ndarray, np.ndarray]] | pd.DataFrame:
    """One table's entries sorted by file, list, row and reason: per column, (ranks in that
    order, sorted distinct texts); the entries themselves when one has a blank."""
    cols = ENTRY_COLUMNS[1:]
    if any(p[c].isna().any() for p in parts for c in cols):
        return pd.concat(parts, ignore_index=True)
    ranked = []
    for c in cols:
        ranked.append(ranked_texts([p[c] for p in parts]))
        parts = [p.drop(columns=c) for p in parts]  # each column's texts let go once coded
    order = lexsort_order([r for r, _ in ranked])
    # each column's ranks in as few bytes as its texts allow (kept until the report is put
    # together: a few files, lists and reasons among millions of entries)
    return [(r.astype(_smallest(len(n)))[order], n) for r, n in ranked]


def _smallest(n: int) -> type:
    """The smallest integer type that numbers ``n`` things."""
    return np.int8 if n < 2**7 else np.int16 if n < 2**15 else np.int32


def _piece_text(table: str, piece: list[tuple[np.ndarray, np.ndarray]]) -> pd.DataFrame:
    """A sorted table's entries as text columns again (for the report of texts)."""
    n = len(piece[0][0])
    out = {"table": constant_text(table, n)}
    for (ranks, names), c in zip(piece, ENTRY_COLUMNS[1:], strict=True):
        out[c] = pd.Series(names[ranks], dtype="str")
    return pd.DataFrame(out)


#: Rows per row group of a Parquet file: pyarrow's default (``pq.write_table``), so a file
#: written in row groups is the same bytes as the whole table written at once.
PARQUET_ROW_GROUP = 1024 * 1024


def write_duplicates(dups: pd.DataFrame, path: Path) -> None:
    """Write the duplicates report as text columns, one row group at a time: the text of only
    one row group is ever held (the same bytes as ``_write_parquet(dups.astype("str"))``)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not all(isinstance(dups[c].dtype, pd.CategoricalDtype) for c in dups.columns):
        _write_parquet(dups.astype("str"), path)  # the report as texts (see sorted_report)
        return
    schema = pa.Table.from_pandas(dups.iloc[0:0].astype("str"), preserve_index=False).schema
    with pq.ParquetWriter(path, schema, **PARQUET_OPTIONS) as writer:
        for i in range(0, max(len(dups), 1), PARQUET_ROW_GROUP):
            chunk = dups.iloc[i:i + PARQUET_ROW_GROUP]
            # each column's texts made by Arrow from the category codes (no Python string per
            # row: at 150,000 children the report has about six million entries)
            writer.write_table(pa.Table.from_arrays(
                [_decoded(chunk[c], schema.field(c).type) for c in schema.names], schema=schema))


def _decoded(s: pd.Series, text: Any) -> Any:
    """A categorical column of the duplicates report as an Arrow text array: its texts taken by
    its codes in Arrow (what ``astype("str")`` gives, without a Python string per row)."""
    import pyarrow as pa

    cats = pa.array(s.cat.categories.astype(str).to_numpy(dtype=object), type=text)
    return pa.DictionaryArray.from_arrays(pa.array(s.cat.codes.to_numpy()), cats).dictionary_decode()
