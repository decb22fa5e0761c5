"""Annex A extracts de-duplicated as they are read, with every repeat still accounted for.

A council's monthly Annex A extracts repeat most rows of the month before (three in four rows at
15,000 children). Staging every extract in full and dropping the repeats only after the row
rules and :func:`driftflag.ingest.reconcile.reconcile` made the ingest's memory grow with the
number of extracts. Here each extract's rows, once checked (row rules, within-file duplicates),
are compared with the rows already held for the same table:

* a row with the same values as a held row (same key, same values: a *twin*) is not held again;
  only its provenance is kept (file, list, row number, collection year, extract date) as a
  *ghost* of the held row, so it can still be reported, counted and quarantined on its own;
* a new row, or a changed version of a row (any value differs), is held in full.

A twin is found by a 64-bit signature of its values and always confirmed value by value on
integer codes (:class:`ValueCodes`: equal codes mean equal values, even when hashes collide), so
two different rows are never taken for one.

The twins of one held row form a *class*. Whatever :func:`~driftflag.ingest.reconcile.reconcile`
would do with the class's rows is done with one row: the class's first row in reconcile's order
(newest collection year, then file, list and position), carrying the earliest extract date of
the class (a row's knowledge date is the first extract showing it; a changed version is its own
class, so it keeps its own first-seen date). The class's other rows become the duplicates they
would have been (``repeated`` or ``resubmitted`` against the key's winning row). Rows are
quarantined after reconciling only by their values (a child or plan not in the store), so a
ghost is quarantined exactly when its held twin's values are, unless its own source row already
was; each quarantined ghost gets its own issue naming its own file and row.

Annex A allocations are observations (one per child and extract): an observation continuing the
child's previous one (same team and worker, or the same extract date) is a ``repeated``
duplicate at once, as :func:`~driftflag.ingest.reconcile.allocation_runs` decides, provided the
extracts are read in date order (checked before reading; otherwise every observation is held).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from driftflag.ingest import reconcile as rc
from driftflag.ingest._common import STR_DTYPE, lexsort_order, row_numbers, row_texts
from driftflag.ingest._duplicates import ENTRY_COLUMNS
from driftflag.ingest._tabular import READ_PROBLEM_COLUMNS
from driftflag.ingest._waiting import compacted, restored
from driftflag.ingest.to_canonical import row_source_key

#: What a ghost keeps of its row: where it came from and when it was known.
PROVENANCE = ("_src", "_source_file", "_source_table", "_source_row", "_year", "_seq", "_known", "_srcid")
#: Carried by an Annex A children row but read from the extracts one by one (see
#: :func:`driftflag.ingest.reconcile.missing_rhi_from_extracts`): not part of a row's identity.
RHI_COLUMNS = ("_rhi_offered", "_rhi_accepted")
_BOOKKEEPING = ("_cls",)
#: What a class's other rows keep once settled (:meth:`ExtractHistory.settle_rows`): their
#: duplicate entries need no more (at 150,000 children the children's five million repeats
#: were held with their extract date, sequence and row id too, 16 bytes each for nothing)
_OTHERS_COLUMNS = ("_cls", "_year", "_source_file", "_source_table", "_source_row")


def _signature_columns(table: str, df: pd.DataFrame) -> list[str]:
    skip = set(PROVENANCE) | set(_BOOKKEEPING) | (set(RHI_COLUMNS) if table == "children" else set())
    return [c for c in df.columns if c not in skip]


class ValueCodes:
    """Each signature column's values as integer codes for the whole ingest: equal values get
    equal codes in every extract, different values different codes, every blank the code -1
    (blanks equal to blanks, as a row's identity wants).

    Why: comparing each twin with its held row column by column took the held rows out of the
    frames they are kept in (a take of every column of millions of rows, per extract and table)
    and compared them as pandas columns; as codes, a twin is checked by comparing two rows of
    integers. A value's code is its 64-bit hash (:func:`pandas.util.hash_array`, vectorised)
    made safe: the first value seen with a hash is kept beside it, every later value with that
    hash is compared with it, and a different value (a hash collision) gets a code of its own,
    never given to another value. A column's values of another dtype than first seen are coded
    apart (another hash key), so values of different types are never taken as equal.
    """

    #: a code is a value's hash cut to 55 bits with the dtype's number (0-255) above them:
    #: non-negative, and never the same for values of two dtypes of a column
    _BITS = 55

    def __init__(self) -> None:
        self.tags: dict[tuple[str, str], int] = {}  # (column, dtype) -> its number in the column
        self.codes: dict[tuple[str, str], np.ndarray] = {}  # sorted codes given so far
        self.where: dict[tuple[str, str], np.ndarray] = {}  # for each, its value's place in firsts
        self.firsts: dict[tuple[str, str], _Grown] = {}  # the values first given a code, in order
        self.collided = 0  # codes below -1 given to colliding values (each used once)

    def encode(self, df: pd.DataFrame, columns: list[str]) -> np.ndarray:
        """``df[columns]`` as an (rows, columns) array of codes, column by column in memory
        (Fortran order): each column is written, and hashed by :func:`_row_hash`, in one
        contiguous pass (row by row, each column's write strode over every row's codes: three
        times the time at 150,000 children)."""
        out = np.empty((len(df), len(columns)), dtype=np.int64, order="F")
        for j, c in enumerate(columns):
            col = df[c]
            found, distinct = pd.factorize(col, use_na_sentinel=True)
            table = np.r_[self._codes(c, col.dtype, pd.Index(distinct)), np.int64(-1)]
            out[:, j] = table[found]  # a blank (-1) takes the last entry, -1
        return out

    def _unique(self, n: int) -> np.ndarray:
        """``n`` codes below -1 never given before (nor after)."""
        out = -2 - self.collided - np.arange(n, dtype=np.int64)
        self.collided += n
        return out

    def _codes(self, column: str, dtype: object, distinct: pd.Index) -> np.ndarray:
        key = (column, str(dtype))
        values = _comparable(distinct)
        if key not in self.tags:
            self.tags[key] = sum(1 for k in self.tags if k[0] == column)
            self.codes[key] = np.zeros(0, dtype=np.int64)
            self.where[key] = np.zeros(0, dtype=np.int64)
            self.firsts[key] = _Grown(values.dtype)
        tag = self.tags[key]
        if tag > 255 or values.dtype != self.firsts[key].data.dtype:
            # more dtypes of one column than numbers, or values of another kind under the
            # same dtype's name: they match nothing
            return self._unique(len(distinct))
        h = pd.util.hash_array(values, categorize=False)
        codes = ((h & np.uint64((1 << self._BITS) - 1)) | (np.uint64(tag) << np.uint64(self._BITS))).astype(np.int64)
        given, where, firsts = self.codes[key], self.where[key], self.firsts[key]
        pos = np.minimum(_positions(given, codes), max(len(given) - 1, 0))
        seen = (given[pos] == codes) if len(given) else np.zeros(len(codes), dtype=bool)
        same = np.zeros(len(codes), dtype=bool)
        if seen.any():
            same[seen] = firsts.take(where[pos[seen]]) == values[seen]
        fresh = ~seen
        if fresh.any():  # the first value of each new code (distinct values may share one)
            fc = codes[fresh]
            first = ~pd.Series(fc).duplicated(keep="first").to_numpy()
            self.codes[key], self.where[key] = _register(given, where, fc[first],
                                                         firsts.n + np.arange(int(first.sum()), dtype=np.int64))
            firsts.extend(values[fresh][first])
            same[np.flatnonzero(fresh)[first]] = True
        if not same.all():  # a code another value was given first: a code of its own
            codes[~same] = self._unique(int((~same).sum()))
        return codes


def _comparable(distinct: pd.Index) -> np.ndarray:
    """Distinct values as an array that ``==`` compares as the column's dtype does: date-times
    as their integer nanoseconds (no time-zone or unit surprises), integers and booleans as
    64-bit integers, floats as floats, anything else (texts) as Python objects. Why numbers
    as numbers: the values first given each code are kept for the whole reading, and millions
    of Python objects for dates would take hundreds of megabytes."""
    if isinstance(distinct.dtype, pd.CategoricalDtype):
        return distinct.astype(object).to_numpy(dtype=object)
    kind = distinct.dtype.kind
    if kind in "mM":
        return np.asarray(distinct.asi8, dtype=np.int64)
    if kind in "bi":
        return distinct.to_numpy(dtype=np.int64)
    if kind == "f":
        return distinct.to_numpy(dtype=np.float64)
    return distinct.to_numpy(dtype=object)


class _Grown:
    """A growing array (by half again when full: one copy per growth, not one per extract), of
    ``width`` columns or, without, one value per entry."""

    def __init__(self, dtype: object, width: int | None = None) -> None:
        self.data = np.empty((0,) if width is None else (0, width), dtype=dtype)
        self.n = 0

    def extend(self, rows: np.ndarray) -> None:
        if self.n + len(rows) > len(self.data):
            grown = np.empty((max(len(self.data) * 3 // 2, self.n + len(rows), 1024), *self.data.shape[1:]),
                             dtype=self.data.dtype)
            grown[:self.n] = self.data[:self.n]
            self.data = grown
        self.data[self.n:self.n + len(rows)] = rows
        self.n += len(rows)

    def take(self, ids: np.ndarray) -> np.ndarray:
        return self.data[:self.n][ids]


def _row_hash(codes: np.ndarray) -> np.ndarray:
    """One 64-bit number per row of codes (a signature for the sorted registry; equal rows
    give equal numbers, and a match is always checked on the codes themselves)."""
    h = np.full(len(codes), 0xCBF29CE484222325, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(codes.shape[1]):
            h ^= codes[:, j].astype(np.uint64)
            h *= np.uint64(0x100000001B3)
            h ^= h >> np.uint64(29)
    return h


def _one_text(text: str, n: int) -> pd.Categorical:
    """``pd.Categorical([text] * n)`` without a list of ``n`` texts (millions of entries)."""
    if not n:
        return pd.Categorical([], categories=pd.Index([], dtype=object))
    return pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=[text])


def _dup_entries(table: str, prov: pd.DataFrame, reason: pd.Categorical | str) -> pd.DataFrame:
    return pd.DataFrame({
        "table": _one_text(table, len(prov)),
        "_source_file": prov["_source_file"].array,
        "_source_table": prov["_source_table"].array,
        "_source_row": prov["_source_row"].array,
        "reason": _one_text(reason, len(prov)) if isinstance(reason, str) else reason,
    })


def _category(s: pd.Series) -> pd.Series:
    """``s.astype(object).astype("category")`` (its distinct texts, sorted, as categories) made
    from the Arrow strings at once when ``s`` has them. Why: through objects it made a Python
    string per row, for every ghost and held row of every extract (six times slower)."""
    out = None if isinstance(s.dtype, pd.CategoricalDtype) or s.dtype == object else s.astype("category")
    if out is None or not len(out.cat.categories):  # no text at all: object categories, as before
        return s.astype(object).astype("category")
    return out


def _compact(g: pd.DataFrame) -> pd.DataFrame:
    """A ghost's provenance in few bytes: file and list as categories, small integers (row and
    class ids too, in 32 bits while they fit: the Annex A children's millions of repeats are
    held from their extract to their settling, and sorted with the held rows there), and its
    row number as a number when each text is one written plainly (:func:`row_numbers`)."""
    ids = {c: _small_ids(g[c].to_numpy()) for c in ("_srcid", "_cls") if c in g.columns}
    return g.assign(_source_file=_category(g["_source_file"]), _source_table=_category(g["_source_table"]),
                    _source_row=row_numbers(g["_source_row"]),
                    _year=g["_year"].astype(np.int16), _seq=g["_seq"].astype(np.int32), **ids)


def _small_ids(ids: np.ndarray) -> np.ndarray:
    """Ids (never negative) as 32-bit integers when they fit, else as they are."""
    if len(ids) and ids.dtype == np.int64 and int(ids.max()) < 2**31 and int(ids.min()) >= 0:
        return ids.astype(np.int32)
    return ids


#: A held row's texts of few distinct values, held as categories until settled (see
#: :func:`_held_compact`; not its row number: thousands of distinct texts per extract, which
#: categories of every extract merged cost seconds)
HELD_TEXTS = ("_source_file", "_source_table", "_format", *READ_PROBLEM_COLUMNS)


def _held_compact(held: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A held row in fewer bytes, and what :func:`driftflag.ingest._waiting.restored` needs to
    put it back: no ``_src`` (a long text per row, rebuilt from file, list and row by
    :func:`_held_restore`) when it is the one ``part`` made, its file, list, format and reading
    problems as categories and its year and sequence as small integers (at 150,000 children
    these were 0.2 GB of the 0.33 GB of held rows waiting to be settled)."""
    if not len(held) or "_source_file" not in held.columns:
        return held, {}
    if "_src" in held.columns:  # (the reading processes send rows without it: see check_unit)
        if not (row_source_key(held).to_numpy() == held["_src"].to_numpy(dtype=object)).all():
            return held, {}
        held = held.drop(columns="_src")
    return compacted(held, texts=HELD_TEXTS)


def _held_full(chunks: list[pd.DataFrame], staged: list[dict[str, Any]]) -> pd.DataFrame:
    """Held chunks (:func:`_held_compact`) end to end, put back as staged: stacked compact and
    put back once when every chunk was made compact alike (always, for chunks staged alike),
    else each put back first."""
    if all(s == staged[0] for s in staged):
        return restored(_stack(chunks), staged[0])
    return _stack([restored(c, s) for c, s in zip(chunks, staged, strict=True)])


def _held_restore(full: pd.DataFrame, layout: pd.Series) -> pd.DataFrame:
    """The held rows with the columns and dtypes they were staged with (see :func:`_held_compact`)."""
    if "_source_file" in layout.index and full["_source_file"].dtype != layout["_source_file"]:
        full["_source_file"] = full["_source_file"].astype(object).astype(layout["_source_file"])
    if "_src" in layout.index:
        src = row_source_key(full)
        full["_src"] = src if "_src" not in full.columns else full["_src"].where(full["_src"].notna(), src)
    cols = [*layout.index, *[c for c in full.columns if c not in layout.index]]
    return full[cols]


def _stack(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate frames of the same columns, categories merged (not turned into objects)."""
    frames = [f for f in frames if len(f)] or frames[:1]
    if len(frames) == 1:
        return frames[0].reset_index(drop=True)
    out = {}
    columns = list(dict.fromkeys(c for f in frames for c in f.columns))
    # a column some frames lack (``_src`` of rows kept whole, see _held_compact) is blank there
    frames = [f.assign(**{c: pd.Series([None] * len(f), dtype=object, index=f.index)
                          for c in columns if c not in f.columns}) for f in frames]
    if "_source_row" in columns and len({f["_source_row"].dtype.kind in "iu" for f in frames}) > 1:
        # row numbers held as numbers in some frames only (see row_numbers): all as texts
        frames = [f.assign(_source_row=row_texts(f["_source_row"])) for f in frames]
    for c in columns:
        if any(isinstance(f[c].dtype, pd.CategoricalDtype) for f in frames):
            cats = [f[c] if isinstance(f[c].dtype, pd.CategoricalDtype) else _category(f[c]) for f in frames]
            out[c] = pd.Series(union_categoricals(cats))
        else:
            out[c] = pd.concat([f[c] for f in frames], ignore_index=True)
    # the columns as they are (no copy into one block per dtype: the held and repeated Annex A
    # rows of a table are millions of rows, copied once more only to be taken apart again)
    return pd.DataFrame(out, copy=False)


def _ranks(s: pd.Series) -> np.ndarray:
    """Each value's rank among the sorted distinct texts (a categorical's codes in text order)."""
    cat = s if isinstance(s.dtype, pd.CategoricalDtype) else _category(s)
    names = np.asarray(cat.cat.categories.astype(str), dtype=object)
    rank = np.empty(len(names), dtype=np.int32)  # (one per row of millions: few files and lists)
    rank[np.argsort(names, kind="stable")] = np.arange(len(names))
    return rank[cat.cat.codes.to_numpy()]


def _positions(keys: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """``np.searchsorted(keys, queries)`` (``keys`` sorted), the queries looked up in their
    own sorted order. Why: the queries are hashes in no order and ``keys`` has millions of
    entries at 150,000 children, so each lookup in the given order misses the cache on every
    step of its binary search; in sorted order numpy starts each search where the last ended,
    and the sort and the scatter back cost a third of the lookups they save (5.5 s of the
    main process's time at 150,000 children before, about 1.5 s after)."""
    if len(queries) < 2:
        return np.searchsorted(keys, queries)
    o = np.argsort(queries)  # any order of equal queries: equal queries have equal positions
    out = np.empty(len(queries), dtype=np.intp)
    out[o] = np.searchsorted(keys, queries[o])
    return out


def _register(keys: np.ndarray | None, ids: np.ndarray | None, new_keys: np.ndarray,
              new_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sorted signature hashes (and their held ids) with ``new_keys`` added: only the
    first id of each hash not yet registered. Why not sort the whole again: the registry holds
    every distinct row of the extracts read so far (millions at 150,000 children), so each
    extract would cost a sort and a set test of all of it; here only the new hashes are sorted
    and looked up, and put in place in one pass."""
    keys = np.zeros(0, np.uint64) if keys is None else keys
    ids = np.zeros(0, np.int64) if ids is None else ids
    first = ~pd.Series(new_keys).duplicated(keep="first").to_numpy()
    new_keys, new_ids = new_keys[first], new_ids[first]
    # sorted first: one lookup, in sorted order (see _positions), finds both the hashes already
    # registered and where the others go
    o = np.argsort(new_keys, kind="stable")
    new_keys, new_ids = new_keys[o], new_ids[o]
    at = np.searchsorted(keys, new_keys)
    if len(keys):
        fresh = keys[np.minimum(at, len(keys) - 1)] != new_keys
        new_keys, new_ids, at = new_keys[fresh], new_ids[fresh], at[fresh]
    return np.insert(keys, at, new_keys), np.insert(ids, at, new_ids)


def _earliest(known: pd.Series, first: np.ndarray) -> np.ndarray:
    """Per run of rows (``first`` marks each run's first row), the earliest date, blanks
    skipped (a run of blanks gives a blank): ``groupby(run)[...].min()`` as one reduction over
    the runs (the Annex A children's classes at 150,000 children are millions of groups)."""
    runs = np.cumsum(first) - 1
    if known.dtype.kind != "M":
        return known.groupby(runs, sort=True).min().to_numpy()
    v = known.to_numpy()
    blank = np.isnat(v)
    n = v.view(np.int64).copy()
    n[blank] = np.iinfo(np.int64).max
    starts = np.flatnonzero(first)
    out = np.minimum.reduceat(n, starts).view(v.dtype)
    out[np.logical_and.reduceat(blank, starts)] = np.datetime64("NaT")
    return out


class ExtractHistory:
    """The Annex A rows held so far, per table, and the provenance of their repeats."""

    def __init__(self, *, stream_allocations: bool) -> None:
        self.stream_allocations = stream_allocations
        self.chunks: dict[str, list[pd.DataFrame]] = {}
        self.columns: dict[str, list[str]] = {}
        self.n_held: dict[str, int] = {}
        # each signature column's value codes, one dictionary per column name for every table
        # (a child's id is in every table of an extract: coded and kept once, not per table)
        self.values = ValueCodes()
        self.held_codes: dict[str, _Grown] = {}  # per table: the held rows' value codes (row = id)
        self.hkeys: dict[str, np.ndarray] = {}
        self.hids: dict[str, np.ndarray] = {}
        self.ghosts: dict[str, list[pd.DataFrame]] = {}
        self.duplicates: list[pd.DataFrame] = []  # decided while reading (allocation runs)
        # per child observed so far (position in ``_alloc_children``): who and when last observed
        self._alloc_children = pd.Index([], dtype=object)
        self._alloc_who = np.zeros(0, dtype=object)
        self._alloc_start = np.zeros(0, dtype="datetime64[ns]")
        self._full: dict[str, pd.DataFrame] = {}
        self.layout: dict[str, pd.Series] = {}  # each table's held columns and dtypes as staged
        self.chunk_staged: dict[str, list[dict[str, Any]]] = {}  # per held chunk: _held_compact's

    # --- while reading --------------------------------------------------------------------

    def add(self, table: str, df: pd.DataFrame) -> pd.DataFrame:
        """Take one extract's checked rows of ``table``; returns the rows to keep in the frame
        (every row of another format; for Annex A, allocation observations that start a run)."""
        if df.empty or "_format" not in df.columns:
            return df
        snap = (df["_format"] == "annex-a").to_numpy()
        if not snap.any():
            return df
        if table == "allocations":
            if not self.stream_allocations:
                return df
            return pd.concat([df.loc[~snap], self._allocations(df.loc[snap])], ignore_index=True)
        # an Annex A extract whole, not copied to pick all its rows
        self._twins(table, (df if snap.all() else df.loc[snap]).reset_index(drop=True))
        # (an empty selection has empty arrays of its own; a slice of ``df``, even of no rows,
        # would keep all its rows alive, being kept with the frames until the settling)
        return df.loc[~snap].reset_index(drop=True)

    def _allocations(self, a: pd.DataFrame) -> pd.DataFrame:
        a = a.sort_values(["child_id", "start_date", "_source_file", "_seq"], kind="mergesort")
        child = a["child_id"].astype(object).to_numpy()
        start = a["start_date"].to_numpy()
        who = (a["team"].astype(object).astype(str) + "\x1f" + a["worker_id"].astype(object).astype(str)).to_numpy()
        same_child = np.r_[False, child[1:] == child[:-1]]
        prev_who = np.r_[[None], who[:-1]].astype(object)
        prev_start = np.r_[start[:1], start[:-1]]
        first = ~same_child
        if len(self._alloc_children) and first.any():
            # the first observation of each child in this extract continues its last one before
            idx = np.flatnonzero(first)
            at = self._alloc_children.get_indexer(pd.Index(child[idx], dtype=object))
            known = at >= 0
            same_child[idx[known]] = True
            prev_who[idx[known]] = self._alloc_who[at[known]]
            prev_start[idx[known]] = self._alloc_start[at[known]]
        same_day = same_child & (start == prev_start)
        cont = same_child & ((who == prev_who) | same_day)
        ends = ~np.r_[child[1:] == child[:-1], False]
        self._observed(child[ends], who[ends], start[ends])
        if cont.any():
            self.duplicates.append(_dup_entries("allocations", a.loc[cont], "repeated"))
        return a.loc[~cont]

    def _observed(self, children: np.ndarray, who: np.ndarray, start: np.ndarray) -> None:
        """Record each child's latest observation (children distinct): updated in place, new
        children appended. Why not a frame indexed by child, rebuilt each extract: a set test
        of every child seen so far against each extract's children took two thirds of the
        allocation runs' time (Arrow strings compared through Python lists)."""
        at = self._alloc_children.get_indexer(pd.Index(children, dtype=object))
        seen = at >= 0
        self._alloc_who[at[seen]] = who[seen]
        self._alloc_start[at[seen]] = start[seen]
        fresh = ~seen
        if fresh.any():
            self._alloc_children = self._alloc_children.append(pd.Index(children[fresh], dtype=object))
            self._alloc_who = np.concatenate([self._alloc_who, who[fresh].astype(object)])
            self._alloc_start = np.concatenate([self._alloc_start, start[fresh].astype("datetime64[ns]")])

    def _twins(self, table: str, df: pd.DataFrame) -> None:
        sig = _signature_columns(table, df)
        self.columns.setdefault(table, sig)
        layout = self.columns[table] == sig  # else nothing held is compared (other columns)
        codes = self.values.encode(df, sig)
        h = _row_hash(codes)
        n = len(df)
        keys, ids = self.hkeys.get(table), self.hids.get(table)
        target = np.full(n, -1, dtype=np.int64)  # a held id, or -2 - position of the in-extract first
        if keys is not None and len(keys) and layout:
            pos = _positions(keys, h)
            pos_c = np.minimum(pos, len(keys) - 1)
            found = keys[pos_c] == h
            target[found] = ids[pos_c[found]]
        free = target == -1
        firsts = pd.Series(h[free]).drop_duplicates(keep="first")
        first_pos = np.flatnonzero(free)[firsts.index.to_numpy()]
        owner = pd.Series(first_pos, index=h[first_pos])
        later = free.copy()
        later[first_pos] = False
        target[later] = -2 - owner.loc[h[later]].to_numpy()
        # check every twin's values against its held row (a hash match is never trusted): the
        # codes of equal values are equal, of different values different
        cand = np.flatnonzero(target != -1)
        if len(cand):
            t = target[cand]
            old = t >= 0
            other = np.empty((len(cand), codes.shape[1]), dtype=np.int64)
            if old.any():
                other[old] = self.held_codes[table].take(t[old])
            other[~old] = codes[-2 - t[~old]]
            ok = (codes[cand] == other).all(axis=1)
            target[cand[~ok]] = -1
        new = target == -1
        base = self.n_held.get(table, 0)
        new_ids = base + np.arange(int(new.sum()), dtype=np.int64)
        held = df.loc[new]  # (a copy of its own: a boolean selection is one)
        held["_cls"] = new_ids
        self.n_held[table] = base + len(held)
        self.layout.setdefault(table, held.dtypes)
        chunk, staged = _held_compact(held.reset_index(drop=True))
        self.chunks.setdefault(table, []).append(chunk)
        self.chunk_staged.setdefault(table, []).append(staged)
        # the held rows' codes, row = held id (rows of another layout are never looked up)
        kept = codes[new] if layout else np.full((len(held), len(self.columns[table])), -2, dtype=np.int64)
        self.held_codes.setdefault(table, _Grown(np.int64, len(self.columns[table]))).extend(kept)
        # ids of in-extract firsts, for their later twins
        id_at = np.full(n, -1, dtype=np.int64)
        id_at[new] = new_ids
        ghost = ~new
        cls = target[ghost]
        inner = cls < 0
        cls[inner] = id_at[-2 - cls[inner]]
        if ghost.any():
            g = df.loc[ghost, ["_source_file", "_source_table", "_source_row", "_year", "_seq", "_known",
                               "_srcid"]].reset_index(drop=True)
            g["_cls"] = cls
            self.ghosts.setdefault(table, []).append(_compact(g))
        # register the new rows' signatures (the first row of each signature only)
        if layout and new.any():
            self.hkeys[table], self.hids[table] = _register(keys, ids, h[new], new_ids)

    # --- after reading --------------------------------------------------------------------

    def reading_done(self) -> None:
        """Let go of what only recognising twins needed (the value codes and the registry of
        held signatures: a few hundred megabytes at 150,000 children) before settling."""
        self.values = ValueCodes()
        self.held_codes.clear()
        self.hkeys.clear()
        self.hids.clear()

    def take_duplicates(self) -> list[pd.DataFrame]:
        """The duplicate entries decided while reading (allocation runs), handed over once."""
        out, self.duplicates = self.duplicates, []
        return out

    def tables(self) -> Iterable[str]:
        return self.chunks.keys()

    def full(self, table: str) -> pd.DataFrame:
        """Every held Annex A row of ``table`` (position = class id)."""
        if table not in self._full:
            pairs = [(c, s) for c, s in zip(self.chunks.pop(table, []), self.chunk_staged.pop(table, []), strict=True)
                     if len(c)]
            self._full[table] = (_held_restore(_held_full([c for c, _ in pairs], [s for _, s in pairs]),
                                               self.layout[table]) if pairs else pd.DataFrame())
            self.held_codes.pop(table, None)
            self.hkeys.pop(table, None)
            self.hids.pop(table, None)
        return self._full[table]

    def column(self, table: str, col: str) -> pd.Series | None:
        """``full(table)[col]`` (None when no held row has ``col``) without making the held rows
        whole: the orphan checks look at one column of every table at once."""
        if table in self._full:
            full = self._full[table]
            return full[col] if len(full) and col in full.columns else None
        chunks = [c for c in self.chunks.get(table, []) if len(c)]
        if not any(col in c.columns for c in chunks):
            return None
        return pd.concat([c[col].astype(object) if col in c.columns else pd.Series([None] * len(c), dtype=object)
                          for c in chunks], ignore_index=True)

    def release(self, table: str) -> None:
        """Let go of ``table``'s held rows and ghosts once it is settled."""
        self._full.pop(table, None)
        self.ghosts.pop(table, None)
        self.chunks.pop(table, None)
        self.chunk_staged.pop(table, None)

    def members(self, table: str, bad_ids: np.ndarray, classes: np.ndarray | None = None, *,
                take: bool = False) -> pd.DataFrame:
        """Every Annex A row of ``table`` whose source row is not quarantined, held or ghost
        (of ``classes`` only, a mask over class ids, if given): class and provenance. With
        ``take`` the ghosts are handed over, each extract's let go of once its members are
        picked (the table's settling: at 150,000 children the children's repeats were held
        stacked, then picked, then stacked with the held rows, three copies at once)."""
        full = self.full(table)
        cols = ["_cls", "_source_file", "_source_table", "_source_row", "_year", "_seq", "_known", "_srcid"]
        # ``_src`` only where a held row kept it (see _held_compact): else it is rebuilt from
        # file, list and row wherever a text is needed (an issue), never one per row
        src = ["_src"] if len(full) and "_src" in full.columns else []
        if not len(full):
            return pd.DataFrame(columns=cols)
        keep = ~np.isin(full["_srcid"].to_numpy(), bad_ids)
        if classes is not None:
            keep &= classes[full["_cls"].to_numpy()]
        parts = [_compact(full.loc[keep, cols + src])]
        if take:
            chunks = self.ghosts.pop(table, [])
        else:
            stacked = self.ghost_frame(table)
            chunks = [stacked] if len(stacked) else []
            del stacked
        while chunks:
            g = chunks.pop(0)
            keep = ~np.isin(g["_srcid"].to_numpy(), bad_ids)
            if classes is not None:
                keep &= classes[g["_cls"].to_numpy()]
            if not keep.all():  # (no copy of millions of repeats when none is left out)
                g = g.loc[keep]
            parts.append((g.assign(_src=None) if src else g)[cols + src])
            del g
        return _stack(parts)

    def ghost_frame(self, table: str) -> pd.DataFrame:
        gs = self.ghosts.get(table, [])
        if len(gs) > 1:
            self.ghosts[table] = gs = [_stack(gs)]
        return gs[0] if gs else pd.DataFrame()

    def expand(self, table: str, members: pd.DataFrame) -> pd.DataFrame:
        """``members`` as whole rows: the held row's values with each member's provenance."""
        full = self.full(table)
        rows = full.iloc[members["_cls"].to_numpy()].reset_index(drop=True)
        for c in ("_source_file", "_source_table"):
            # as texts at once (a Python string of each, made only for pandas to make them
            # texts again, was a third of expanding millions of rows)
            rows[c] = members[c].astype(STR_DTYPE).array
        rows["_source_row"] = row_texts(members["_source_row"]).array
        rows["_known"] = members["_known"].to_numpy()
        rows["_srcid"] = members["_srcid"].to_numpy().astype(np.int64)  # (held in 32 bits: _compact)
        for c in ("_year", "_seq"):
            rows[c] = members[c].to_numpy().astype(np.int64)
        if "_src" not in members.columns:
            return rows.drop(columns="_src", errors="ignore")
        src = members["_src"].to_numpy(dtype=object).copy()
        miss = pd.isna(src)
        if miss.any():
            src[miss] = row_source_key(members.loc[miss]).to_numpy()
        rows["_src"] = src
        return rows

    def settle_rows(self, table: str, bad_ids: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The rows reconcile chooses between, one per class with a row not quarantined (its
        first in reconcile's order, known from the class's earliest extract), and the class's
        other rows as class, year and where they were read (:data:`_OTHERS_COLUMNS`: what
        :meth:`duplicate_reasons` needs)."""
        # the repeats are handed over to ``m``: nothing asks for them again (a table settles once)
        m = self.members(table, bad_ids, take=True)
        if m.empty:
            return self.full(table).iloc[0:0], m
        fcode, lcode = _ranks(m["_source_file"]), _ranks(m["_source_table"])
        # one stable sort of the five keys packed in one number (lexsort's five passes over the
        # millions of Annex A children's rows were half of their settling)
        o = lexsort_order([m["_cls"].to_numpy(), -m["_year"].to_numpy(), fcode, lcode,
                           m["_seq"].to_numpy()])
        cls = m["_cls"].to_numpy()[o]
        first = np.r_[True, cls[1:] != cls[:-1]]
        # the first rows and the others taken apart (not the whole of ``m`` sorted, then split)
        reps = self.expand(table, m.iloc[o[first]].reset_index(drop=True))
        reps["_known"] = _earliest(m["_known"].iloc[o].reset_index(drop=True), first)
        # the others column by column, each of ``m``'s let go once taken: ``m`` and a copy of
        # nearly all of it were held together; only what their duplicate entries need
        at, others = o[~first], {}
        for c in list(m.columns):
            if c in _OTHERS_COLUMNS:
                others[c] = m[c].take(at).reset_index(drop=True)
            del m[c]
        return reps, pd.DataFrame(others, copy=False)

    @staticmethod
    def duplicate_reasons(table: str, reps: pd.DataFrame, others: pd.DataFrame) -> pd.DataFrame:
        """Duplicate entries for a class's other rows: ``resubmitted`` when from another
        collection year than the key's winning Annex A row, else ``repeated`` (as reconcile)."""
        if others.empty:
            return pd.DataFrame(columns=ENTRY_COLUMNS)
        key = list(rc.NATURAL_KEYS[table])
        o = rc.order(reps)
        first_year = o.groupby([o[k] for k in key], sort=False, dropna=False)["_year"].transform("first")
        by_cls = pd.Series(first_year.to_numpy(), index=o["_cls"].to_numpy())
        fy = by_cls.loc[others["_cls"].to_numpy()].to_numpy()
        resubmitted = others["_year"].to_numpy().astype(np.int64) != fy
        # the categorical of the texts "repeated" / "resubmitted", made from the flags
        reason = pd.Categorical.from_codes(resubmitted.astype(np.int8), categories=["repeated", "resubmitted"])
        return _dup_entries(table, others, reason.remove_unused_categories())
