"""``driftflag ingest``: returns in, one validated case store out, every row accounted for.

Steps (each a pure function of DataFrames except the first and last):

1. detect each file's format by content (:mod:`driftflag.ingest.detect`) and read it with its
   reader (903 CSV, CIN census XML streamed, Annex A, audit log, canonical Parquet/CSV);
2. stage every source row onto canonical tables (:mod:`driftflag.ingest.to_canonical`);
3. apply the row-level rules (:mod:`driftflag.validate.rules`): a source row breaking an error
   rule is quarantined whole; warnings are recorded;
4. reconcile rows describing the same record (:mod:`driftflag.ingest.reconcile`), quarantining
   events whose child is not in the store;
5. count, for every source file, rows read = accepted + quarantined + duplicates, and refuse to
   write if the identity fails;
6. run the Great Expectations suites on the accepted tables (optional) and write the store, its
   quarantine, the validation summary and the GX Data Docs atomically.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from driftflag.casemodel import codes
from driftflag.casemodel.schema import SCHEMA_VERSION, TABLE_ORDER, TABLES
from driftflag.casemodel.store import (
    MANIFEST,
    CaseStore,
    _write_parquet,
    check_store_destination,
    file_sha256,
    staged_store,
)
from driftflag.errors import DriftflagError, SourceFileError
from driftflag.ingest import _read_ahead
from driftflag.ingest import reconcile as rc
from driftflag.ingest import to_canonical as tc
from driftflag.ingest._common import STR_DTYPE, cyclic_gc_paused, large_text
from driftflag.ingest._duplicates import (
    ENTRY_COLUMNS,
    REPORT_COLUMNS,
    TableByTable,
    write_duplicates,
)
from driftflag.ingest._tabular import READ_PROBLEM_COLUMNS
from driftflag.ingest._waiting import compacted, restored
from driftflag.ingest.detect import SourceFile, detect_sources
from driftflag.validate.rules import ISSUE_COLUMNS, check_table

logger = logging.getLogger(__name__)

QUARANTINE_DIR = "quarantine"
VALIDATION_DIR = "validation"
DUPLICATE_COLUMNS = REPORT_COLUMNS
Progress = Callable[[str, int, int], None]


@dataclass
class IngestResult:
    """What an ingest produced: the store, the per-file accounting and every issue."""

    store_path: Path
    store: CaseStore
    accounting: pd.DataFrame
    issues: pd.DataFrame
    duplicates: pd.DataFrame
    gx: dict[str, Any] | None = None
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def errors(self) -> pd.DataFrame:
        return self.issues.loc[self.issues["level"] == "error"]

    @property
    def warnings(self) -> pd.DataFrame:
        return self.issues.loc[self.issues["level"] == "warning"]


# --- reading ------------------------------------------------------------------------------------

def _year_of_cin(tables: dict[str, pd.DataFrame], fallback: int) -> int:
    h = tables.get("Header")
    if h is not None and len(h) and pd.notna(h["ReferenceDate"].iloc[0]):
        d = pd.to_datetime(h["ReferenceDate"].iloc[0], errors="coerce")
        if pd.notna(d):
            return codes.collection_year_of(d.date())
    return fallback


def annex_extract_date(path: Path, extract: date) -> date:
    """An Annex A workbook's extract date: the ISO date in its file name
    (``annex_a_2025-04-30.xlsx``), else the ingest's ``extract`` date. Each Annex A is a snapshot
    as at this date, and everything in it is known from it."""
    import re

    m = re.search(r"(\d{4})-(\d{2})-(\d{2})", path.name)
    if m:
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            pass
    return extract


def read_source(src: SourceFile, extract: date) -> tuple[dict[str, pd.DataFrame], int]:
    """Read one file and stage it; returns (parts per canonical table, rows read)."""
    from driftflag.ingest.annex_a import read_annex_a
    from driftflag.ingest.audit_log import read_audit_log
    from driftflag.ingest.cin_census import read_cin_census
    from driftflag.ingest.ssda903 import read_903_csv

    year = src.year or 0
    if src.format == "ssda903" and src.table == "xml":
        from driftflag.ingest.ssda903_xml import read_903_xml

        parts: dict[str, list[pd.DataFrame]] = {}
        n = 0
        for table, df in read_903_xml(src.path).items():
            n += len(df)
            for t, p in tc.stage_903(table, df, year).items():
                parts.setdefault(t, []).append(p)
        return {t: pd.concat(ps, ignore_index=True) for t, ps in parts.items()}, n
    if src.format == "ssda903":
        df = read_903_csv(src.path, src.table or "")
        return tc.stage_903(src.table or "", df, year), len(df)
    if src.format == "cin":
        tables = read_cin_census(src.path)
        year = src.year or _year_of_cin(tables, 0)
        n = sum(len(tables[t]) for t in ("ChildIdentifiers", "CINdetails", "CINplanDates", "Section47",
                                          "ChildProtectionPlans", "Reviews", "PreProceedings"))
        n += tc.assessment_path(tables["Assessments"]["_source_path"]).nunique()
        return tc.stage_cin(tables, year), n
    if src.format == "annex-a":
        lists = read_annex_a(src.path)
        when = annex_extract_date(src.path, extract)
        if when > extract:
            raise SourceFileError(str(src.path), f"extract date {when} in the file name is after the "
                                                 f"ingest's extract date {extract}")
        return (tc.stage_annex_a(lists, codes.collection_year_of(when), pd.Timestamp(when)),
                sum(len(v) for v in lists.values()))
    if src.format == "audits":
        df = read_audit_log(src.path)
        return tc.stage_audits(df, codes.collection_year_of(extract)), len(df)
    if src.format == "canonical":
        try:
            if src.path.suffix.lower() == ".parquet":
                df = pd.read_parquet(src.path)
            else:
                df = pd.read_csv(src.path, dtype=str, keep_default_na=False, na_values=[""])
        except Exception as e:  # pyarrow and the CSV parser raise many types on damaged files
            raise SourceFileError(str(src.path), f"not a readable canonical table ({type(e).__name__})") from e
        missing = [c for c in TABLES[src.table].key if c not in df.columns]  # type: ignore[index]
        if missing:
            raise SourceFileError(str(src.path), f"missing required column(s) {', '.join(missing)}")
        return tc.stage_canonical(src.table or "", df, str(src.path), year), len(df)
    raise SourceFileError(str(src.path), f"unsupported format {src.format}")


def _is_annex_a_export(src: SourceFile) -> bool:
    return src.format == "annex-a" and src.path.suffix.lower() == ".csv"


def annex_a_extracts(sources: list[SourceFile], extract: date) -> list[list[SourceFile]]:
    """``sources`` in reading units, in order: the CSV exports of Annex A lists in one folder
    with the same extract date (``annex_a_2025-04-30_list_3.csv``, ``..._list_6.csv``) form one
    unit, read together like the sheets of one workbook; every other file is a unit of its own.

    The allocation as at an extract is chosen across the lists (an open looked-after or plan
    row before the latest referral), so the lists of one extract must be staged together: read
    one by one, list 3 alone would date a referral's worker at the extract date."""
    units: list[list[SourceFile]] = []
    by_extract: dict[tuple[Path, date], list[SourceFile]] = {}
    for src in sources:
        if not _is_annex_a_export(src):
            units.append([src])
            continue
        key = (src.path.parent.resolve(), annex_extract_date(src.path, extract))
        if key not in by_extract:
            by_extract[key] = []
            units.append(by_extract[key])
        by_extract[key].append(src)
    return units


def read_annex_a_exports(srcs: list[SourceFile], extract: date) -> tuple[dict[str, pd.DataFrame], dict[str, int]]:
    """Read the list exports of one Annex A extract and stage them as one workbook; returns
    (parts per canonical table, rows read per file)."""
    from driftflag.ingest.annex_a import read_annex_a

    when = annex_extract_date(srcs[0].path, extract)
    if when > extract:
        raise SourceFileError(str(srcs[0].path), f"extract date {when} in the file name is after the "
                                                 f"ingest's extract date {extract}")
    lists: dict[str, pd.DataFrame] = {}
    counts: dict[str, int] = {}
    where: dict[str, str] = {}
    for src in srcs:
        read = read_annex_a(src.path)
        for name, df in read.items():
            if name in lists:
                raise SourceFileError(str(src.path), f"{name} of the Annex A extract of {when} is also in "
                                                     f"{Path(where[name]).name}")
            lists[name], where[name] = df, str(src.path)
        counts[str(src.path)] = sum(len(df) for df in read.values())
    return tc.stage_annex_a(lists, codes.collection_year_of(when), pd.Timestamp(when)), counts


def read_unit(unit: list[SourceFile], extract: date) -> tuple[dict[str, pd.DataFrame], dict[str, int]]:
    """Read and stage one reading unit (see :func:`annex_a_extracts`); returns (parts per
    canonical table, rows read per file)."""
    if len(unit) == 1 and not _is_annex_a_export(unit[0]):
        staged, n = read_source(unit[0], extract)
        return staged, {str(unit[0].path): n}
    return read_annex_a_exports(unit, extract)


@dataclass
class CheckedUnit:
    """One reading unit read, staged and checked (:func:`check_unit`)."""

    frames: dict[str, pd.DataFrame]  # checked rows per table; ``_srcid`` numbered from 0
    issues: list[pd.DataFrame]
    duplicates: list[pd.DataFrame]  # within-file duplicate entries
    read: dict[str, int]  # rows read per file
    staged: dict[str, int]  # source rows staged per file
    n_rows: int  # source rows staged (``_srcid`` 0 .. n_rows - 1)


def check_unit(unit: list[SourceFile], extract: date) -> CheckedUnit:
    """Read, stage and check one reading unit: its row rules and within-file duplicates. Needs
    nothing from the other units (every rule looks at one row or one file at a time), so it
    may run in another process (:mod:`driftflag.ingest._read_ahead`); the caller numbers the
    unit's source rows after those of the units before it."""
    with cyclic_gc_paused():  # see there: the readers' objects all live until staged
        staged, counts = read_unit(unit, extract)
    staged = {t: df for t, df in staged.items() if len(df)}
    if not staged:
        return CheckedUnit({}, [], [], counts, {}, 0)
    # one id per source row of this unit (a row gives parts to several tables)
    codes_, files = source_row_ids(list(staged.values()))
    firsts = files.iloc[pd.Series(codes_).drop_duplicates().index]
    n_staged = {str(f): int(n) for f, n in firsts.astype(object).value_counts().items()}
    # the ids, row for row in the frames' order
    at = 0
    for df in staged.values():
        df["_srcid"] = codes_[at:at + len(df)]
        at += len(df)
    frames, issues, dups = _check_unit(staged, pd.Timestamp(extract))
    # the checked rows go without ``_src``: a long text per row, the same as its file, list and
    # row joined (to_canonical.part makes it so), rebuilt only for the rows an issue names
    # (:func:`_with_src`). At 150,000 children the texts of the census and 903 rows held until
    # settled were 0.36 GB, and every row's was sent between processes.
    frames = {t: df.drop(columns="_src") if _src_rebuilt(df) else df for t, df in frames.items()}
    # what only the checks needed goes too, but from an Annex A extract's rows: a row's columns
    # are its identity among the extracts' repeats (see _dedup), let go of when it is settled
    frames = {t: df if _is_annex_a(df) else df.drop(columns=checked_only(df)) for t, df in frames.items()}
    return CheckedUnit(frames, issues, dups, counts, n_staged, int(codes_.max(initial=-1)) + 1)


def checked_only(df: pd.DataFrame) -> list[str]:
    """The columns of ``df`` only the row checks look at: the reading's problems
    (:data:`~driftflag.ingest._tabular.READ_PROBLEM_COLUMNS`), dates as read for the date rules
    (``_date_*``) and the parent's date an id is made from (``_ref_date``, ``_cp_start``). Why
    let go of them: rows wait from the reading to their table's settling, and reconcile copies
    every column of a table's rows several times (its precedence order, the kept rows, the
    winners), columns no later step and no written file looks at (the store keeps no column
    starting with ``_``)."""
    return [c for c in df.columns
            if c in READ_PROBLEM_COLUMNS or c in ("_ref_date", "_cp_start") or c.startswith("_date_")]


def _is_annex_a(df: pd.DataFrame) -> bool:
    return "_format" in df.columns and bool((df["_format"] == "annex-a").any())


def _src_rebuilt(df: pd.DataFrame) -> bool:
    """Whether ``df``'s ``_src`` is what :func:`_with_src` rebuilds from its provenance."""
    import pyarrow.compute as pc

    if "_src" not in df.columns or not all(c in df.columns for c in _PROVENANCE):
        return False
    if not len(df):
        return True
    # compared as Arrow texts: the rebuilt texts are never made Python strings (half the time
    # of comparing two object arrays, for every staged row of every return)
    again, had = tc.row_source_text(df), large_text(df["_src"])
    same = pc.or_kleene(pc.equal(again, had), pc.and_(pc.is_null(again), pc.is_null(had)))
    return bool(pc.all(pc.fill_null(same, False)).as_py())


def _with_src(df: pd.DataFrame, mask: np.ndarray | None = None) -> pd.DataFrame:
    """``df`` with its ``_src`` (rebuilt from file, list and row when it was sent without, see
    :func:`check_unit`): for the rows of ``mask`` only (blank elsewhere) when given."""
    if "_src" in df.columns:
        return df
    if mask is None:
        return df.assign(_src=tc.row_source_key(df).to_numpy())
    src = np.full(len(df), None, dtype=object)
    if mask.any():
        src[mask] = tc.row_source_key(df.loc[mask]).to_numpy()
    return df.assign(_src=src)


_PROVENANCE = ("_source_file", "_source_table", "_source_row")


def source_row_ids(frames: list[pd.DataFrame]) -> tuple[np.ndarray, pd.Series]:
    """The staged parts of ``frames`` (end to end) numbered by source row: what
    ``pd.factorize(_src)`` gives (ids in order of first appearance, -1 for a blank), and the
    parts' source files. Why not factorise ``_src``: it is a text per part, file, list and row
    joined (:func:`driftflag.ingest.to_canonical.source_key`); the three are numbered as
    integers instead (each has few distinct values but the row), the same ids when no file,
    list or row holds the separator (else ``_src`` is factorised, as it always was)."""
    cols = [pd.concat([df[c] for df in frames], ignore_index=True) for c in _PROVENANCE]
    n = len(cols[0])
    key = np.zeros(n, dtype=np.int64)
    blank = np.zeros(n, dtype=bool)
    for col in cols:
        codes, distinct = pd.factorize(col.astype(STR_DTYPE), use_na_sentinel=True)
        if len(distinct) and pd.Series(distinct, dtype=STR_DTYPE).str.contains("\x1f", regex=False).any():
            src = pd.concat([df["_src"] for df in frames], ignore_index=True).astype(object)
            return pd.factorize(src)[0].astype(np.int64), cols[0]
        blank |= codes < 0
        key = key * (len(distinct) + 1) + codes + 1
    ids = np.full(n, -1, dtype=np.int64)
    ids[~blank] = pd.factorize(key[~blank])[0]
    return ids, cols[0]


# --- the run ------------------------------------------------------------------------------------

def _drop(frames: dict[str, pd.DataFrame], bad: set[str]) -> None:
    if not bad:
        return
    idx = pd.Index(list(bad), dtype=object)
    for t, df in frames.items():
        if len(df):
            frames[t] = df.loc[~df["_src"].isin(idx)]


def _empty_issues() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype="str") for c in (*ISSUE_COLUMNS, "_src")})


def _orphans(table: str, df: pd.DataFrame, col: str, known: pd.Index, what: str,
             bad: np.ndarray | None = None) -> pd.DataFrame:
    """Issues for the rows of ``df`` whose ``col`` is not ``known`` (``bad``, if already found)."""
    from driftflag.validate.rules import _issues

    if bad is None:
        bad = _orphan_rows(df, col, known)
    df = _with_src(df, bad)
    # the message of the orphans only (one text per row of every table was the settling's peak
    # memory at 150,000 children); _issues selects by position, so no copy of ``df`` either
    msg = pd.Series(None, index=df.index, dtype=object)
    if bad.any():
        msg[bad] = (what + " " + df.loc[bad, col].astype("str").fillna("") + " of this " + table
                    + " row is not in the store").to_numpy(dtype=object)
    return _issues(table, df, bad, col, df[col], "orphan_event", msg)


def _orphan_rows(df: pd.DataFrame, col: str, known: pd.Index) -> np.ndarray:
    """Which rows of ``df`` point at a ``col`` value that is not ``known`` (their parent record)."""
    return ~df[col].astype(object).isin(known.astype(object)).to_numpy()


def _incomplete_children(accepted: dict[str, pd.DataFrame]) -> list[pd.DataFrame]:
    """Children still lacking a required value after every return was combined."""
    from driftflag.validate.rules import _issues

    kids = accepted["children"].reset_index(drop=True)
    required = [c.name for c in TABLES["children"].columns if c.required and c.name != "child_id"]
    blank = {c: kids[c].isna().to_numpy() for c in required}
    gone = np.zeros(len(kids), dtype=bool)
    for m in blank.values():
        gone |= m
    accepted["children"] = kids.loc[~gone]
    kids = _with_src(kids, gone)  # the texts of the issues' rows only (see check_unit)
    return [_issues("children", kids, blank[c], c, kids[c].astype("str"), "missing_required",
                    f"{c} of child " + kids["child_id"].astype("str") + " is blank in every return")
            for c in required]


def _check_unit(staged: dict[str, pd.DataFrame], extract: pd.Timestamp,
                ) -> tuple[dict[str, pd.DataFrame], list[pd.DataFrame], list[pd.DataFrame]]:
    """One reading unit's row rules and within-file duplicates: returns (checked rows per
    table, issues, duplicate entries). Every rule here looks at one row or one file at a time,
    so checking a unit alone gives what checking every unit together gave."""
    from driftflag.validate.rules import _issues

    frames: dict[str, pd.DataFrame] = {}
    issue_list: list[pd.DataFrame] = []
    for t in TABLE_ORDER:
        if t not in staged or not len(staged[t]):
            continue
        typed, issues = check_table(TABLES[t], staged[t], extract_date=extract)
        frames[t] = typed
        issue_list.extend(issues)
    bad = {s for i in issue_list for s in i.loc[i["level"] == "error", "_src"]}
    _drop(frames, bad)
    dup_list: list[pd.DataFrame] = []
    more: list[pd.DataFrame] = []
    for t, df in frames.items():
        df = rc.add_ids(t, df.reset_index(drop=True))
        exact, clash = rc.within_file(t, df)
        if exact.any():
            dup_list.append(_duplicate_rows(df.loc[exact].assign(reason="duplicate_row", table=t)))
        if clash.any():
            key = [k for k in rc.NATURAL_KEYS[t] if k in df.columns]
            keytxt = df[key].astype("str").agg(" ".join, axis=1)
            more.append(_issues(t, df, clash, ",".join(key), keytxt, "duplicate_key",
                                "another row of this file has the same " + ", ".join(key) + " (" + keytxt
                                + ") with different values"))
        frames[t] = df.loc[~exact]
    if more:
        issue_list.extend(more)
        _drop(frames, {s for i in more for s in i["_src"]})
    return frames, issue_list, dup_list


def _extracts_in_order(units: list[list[SourceFile]], extract: date) -> bool:
    """Whether the Annex A units come in the order of their extract dates (then file names),
    the order :func:`driftflag.ingest.reconcile.allocation_runs` reads observations in."""
    seen: tuple[date, str] | None = None
    for unit in units:
        if unit[0].format != "annex-a":
            continue
        when = annex_extract_date(unit[0].path, extract)
        names = sorted(str(s.path) for s in unit)
        if seen is not None and (when, names[0]) <= seen:
            return False
        seen = (when, names[-1])
    return True


def build(
    sources: list[SourceFile],
    *,
    extract_date: date,
    progress: Progress | None = None,
) -> tuple[CaseStore, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Read, check and reconcile ``sources``; returns (store, accounting, issues, duplicates).

    Pure apart from reading the source files; nothing is written (see :func:`build_entries`,
    which leaves the duplicates report to be made)."""
    store, accounting, issues, entries = build_entries(sources, extract_date=extract_date, progress=progress)
    return store, accounting, issues, entries.report()


def build_entries(
    sources: list[SourceFile],
    *,
    extract_date: date,
    progress: Progress | None = None,
    after_reading: Callable[[], None] | None = None,
) -> tuple[CaseStore, pd.DataFrame, pd.DataFrame, TableByTable]:
    """Read, check and reconcile ``sources``; returns (store, accounting, issues, duplicate
    entries): :func:`build` with the duplicate entries as gathered, each table's already sorted
    (in a thread) once it was settled; their ``report()`` is the duplicates report (the ingest
    makes and writes it beside its writing).

    Pure apart from reading the source files; nothing is written. Each file (or the lists of
    one Annex A extract) is checked as it is read, and an Annex A extract's unchanged repeats
    of rows already held are set aside as provenance only (:mod:`driftflag.ingest._dedup`), so
    memory follows the distinct rows, not the number of monthly extracts. ``after_reading`` is
    called once every file is read, when the reading processes have ended and the tables are
    settled on one core (the ingest starts the Great Expectations suites' process and the
    hashing of the returns there, on the other).

    Raises
    ------
    SourceFileError
        If a file cannot be read at all.
    DriftflagError
        If the row accounting does not balance (a bug, never silently ignored).
    """
    from driftflag._memory import release_free_memory
    from driftflag.ingest._dedup import ExtractHistory

    step = progress or (lambda _m, _i, _n: None)
    parts: dict[str, list[pd.DataFrame]] = {}
    read_counts: dict[str, int] = {}
    staged_counts: dict[str, int] = {}
    issue_list: list[pd.DataFrame] = []
    # each table's duplicate entries are sorted once it is settled, in a thread beside the rest
    duplicates = TableByTable()
    rhi_obs: list[pd.DataFrame] = []
    units = annex_a_extracts(sources, extract_date)
    hist = ExtractHistory(stream_allocations=_extracts_in_order(units, extract_date))
    next_id = 0
    ahead = _read_ahead.wanted([s.path for s in sources])
    i = 0
    for unit, got in zip(units, _read_ahead.units_in_order(check_unit, units, extract_date, ahead=ahead),
                         strict=True):
        step(f"reading {unit[0].path.name}", i, len(sources))
        i += len(unit)
        for f, n in got.read.items():
            read_counts[f] = read_counts.get(f, 0) + n
        for f, n in got.staged.items():
            staged_counts[f] = staged_counts.get(f, 0) + n
        issue_list.extend(got.issues)
        duplicates.extend(got.duplicates)
        for t, df in got.frames.items():
            df["_srcid"] += next_id  # the unit's own row ids, after those of the units before
            if t == "children" and "_rhi_offered" in df.columns:
                has = df["_rhi_offered"].notna() | df["_rhi_accepted"].notna()
                rhi_obs.append(df.loc[has, ["child_id", "_known", "_rhi_offered", "_rhi_accepted", "_srcid"]])
            parts.setdefault(t, []).append(hist.add(t, df))
        next_id += got.n_rows
        del got
    step("checking rows", len(sources), len(sources))
    hist.reading_done()
    duplicates.extend(hist.take_duplicates())

    frames: dict[str, pd.DataFrame] = {}
    staged_as: dict[str, dict[str, Any]] = {}  # what _waiting.restored needs, per table
    for t in TABLE_ORDER:
        if t in parts:
            ps = [p for p in parts[t] if len(p)]
            # held compact until settled (see _waiting): under every earlier table's peak
            frames[t], staged_as[t] = compacted(pd.concat(ps, ignore_index=True) if ps else parts[t][0].iloc[0:0])
            parts[t] = []
            del ps
    dedup = set(hist.tables())
    # the reading's temporaries (every unit's frames, sent and concatenated): glibc keeps them
    # in its heap, 0.6 GB of the settling's peak at 150,000 children (see driftflag._memory)
    release_free_memory()
    if after_reading is not None:
        after_reading()
    issues = pd.concat(issue_list, ignore_index=True) if issue_list else _empty_issues()
    issue_list.clear()
    bad = set(issues.loc[issues["level"] == "error", "_src"])
    bad_ids = np.zeros(0, dtype=np.int64)

    accepted: dict[str, pd.DataFrame] = {}

    def settle(t: str) -> None:
        if t not in frames:
            return
        # settled: its staged rows and held Annex A rows are not looked at again (the frame
        # stays, empty, because later steps ask which tables some source described). Let go
        # of as it goes: the staged rows once joined to the Annex A ones, the repeats once
        # reported (the duplicates report is sorted, so the order of its entries is free):
        # else each was held beside reconcile's sorted copy of them all
        df = restored(frames[t], staged_as[t])
        # no rows, taken (a slice of no rows, ``iloc[0:0]``, is a view keeping every row of the
        # table's staged rows alive to the end of the ingest: 0.3 GB at 150,000 children)
        frames[t] = df.iloc[np.zeros(0, dtype=np.intp)]
        if t in dedup:
            reps, others = hist.settle_rows(t, bad_ids)
            if len(others):
                duplicates.add(hist.duplicate_reasons(t, reps, others))
            del others
            reps = reps.drop(columns=checked_only(reps))  # (see checked_only)
            df = pd.concat([d for d in (df, reps) if len(d)] or [df], ignore_index=True)
            del reps
        rows = [df]
        del df
        # handed over: the rows are held by reconcile alone (a call's argument made by an
        # expression is the callee's), which lets go of them once its kept rows and
        # duplicates are taken, before the winners are filled
        kept, dups = rc.reconcile(t, rows.pop(), duplicate_columns=[*_PROVENANCE])  # all the report needs
        accepted[t] = kept
        if len(dups):
            duplicates.add(_duplicate_rows(dups.assign(table=t)))
        duplicates.settled(t)  # its entries are all known now
        if t in dedup:
            hist.release(t)
            release_free_memory()  # its held rows and repeats, sorted and expanded copies

    def quarantine_orphans(found: list[tuple[pd.DataFrame, np.ndarray]]) -> None:
        nonlocal issues, bad, bad_ids
        found = [(f, ids) for f, ids in found if len(f)]
        if found:
            new = pd.concat([f for f, _ in found], ignore_index=True)
            issues = pd.concat([issues, new], ignore_index=True)
            bad |= set(new["_src"])
            bad_ids = np.union1d(bad_ids, np.concatenate([ids for _, ids in found]))
            # by source row number: the staged rows have no ``_src`` text (see check_unit);
            # a row shares its number with every row of its ``_src``
            for t, df in frames.items():
                if len(df):
                    frames[t] = df.loc[~np.isin(df["_srcid"].to_numpy(), bad_ids)]

    def orphans_of(t: str, col: str, known: pd.Index, what: str) -> tuple[pd.DataFrame, np.ndarray]:
        """Orphan issues for every live row of ``t``, held Annex A rows and their repeats too."""
        rows = [restored(frames[t], staged_as[t])] if t in frames and len(frames[t]) else []
        if t in dedup:
            held = hist.column(t, col)  # not the whole rows: every table is checked at once here
            if held is not None:
                lost = ~held.astype(object).isin(known.astype(object)).to_numpy()
                if lost.any():
                    m = hist.members(t, bad_ids, lost)
                    if len(m):
                        rows.append(hist.expand(t, m))
        rows = [r for r in rows if col in r.columns]
        if not rows:
            return _empty_issues(), np.zeros(0, dtype=np.int64)
        df = pd.concat(rows, ignore_index=True) if len(rows) > 1 else rows[0]
        lost = _orphan_rows(df, col, known)
        return _orphans(t, df, col, known, what, lost), np.unique(df["_srcid"].to_numpy()[lost])

    if "allocations" in frames:
        runs, runs_dups = rc.allocation_runs(restored(frames["allocations"], staged_as["allocations"]),
                                             decided=hist.stream_allocations)
        frames["allocations"], staged_as["allocations"] = compacted(runs)
        del runs
        if len(runs_dups):
            duplicates.add(_duplicate_rows(runs_dups.assign(table="allocations")))
    settle("children")
    if "children" in accepted:
        settled = accepted["children"]  # before: _incomplete_children drops the incomplete ones
        found = _incomplete_children(accepted)
        gone = np.ones(len(settled), dtype=bool)
        gone[accepted["children"].index.to_numpy()] = False  # (kept rows, by position in ``settled``)
        gone_ids = np.unique(settled["_srcid"].to_numpy()[gone])
        quarantine_orphans([(f, gone_ids) for f in found])
    if "children" in parts:
        # Only when some source describes children: the audit log alone cannot be checked.
        kids = pd.Index(accepted["children"]["child_id"]) if "children" in accepted else pd.Index([])
        quarantine_orphans([orphans_of(t, "child_id", kids, "child")
                            for t in list(frames) if t not in ("children", "workers")])
    settle("cp_plans")
    if "cp_reviews" in frames:
        plans = pd.Index(accepted["cp_plans"]["cp_plan_id"]) if "cp_plans" in accepted else pd.Index([])
        quarantine_orphans([orphans_of("cp_reviews", "cp_plan_id", plans, "child protection plan")])
    for t in TABLE_ORDER:
        if t not in ("children", "cp_plans"):
            settle(t)
    if "missing_episodes" in accepted and "children" in frames and rhi_obs:
        # Annex A's answers about the return home interview after the last missing episode
        obs = pd.concat(rhi_obs, ignore_index=True)
        obs = obs.loc[~np.isin(obs["_srcid"].to_numpy(), bad_ids)]
        accepted["missing_episodes"] = rc.missing_rhi_from_extracts(accepted["missing_episodes"], obs)
    # Events keep their CIN episode link only if that referral is in the store.
    if "referrals" in accepted:
        refs = pd.Index(accepted["referrals"]["referral_id"])
        for t in ("assessments", "section47", "cin_plans", "cp_plans", "pre_proceedings"):
            if t in accepted and "referral_id" in accepted[t]:
                accepted[t]["referral_id"] = accepted[t]["referral_id"].where(
                    accepted[t]["referral_id"].astype(object).isin(refs.astype(object)))

    accounting = _account(issues, accepted, read_counts, staged_counts, sources)
    issues = issues.loc[(issues["level"] == "error")
                        | ~issues["_src"].astype(object).isin(pd.Index(list(bad), dtype=object))].reset_index(drop=True)
    issues = issues.sort_values(["table", "source_file", "source_table", "_src", "column", "rule"], kind="mergesort")
    if "lac_episodes" in accepted:
        # derived after the accounting: these rows come from no source row of their own
        from driftflag.casemodel.proceedings import with_derived_proceedings

        accepted["care_proceedings"] = with_derived_proceedings(accepted.get("care_proceedings"),
                                                                accepted["lac_episodes"])
    rc.children_known_from(accepted)
    if "children" in accepted and any(s.format == "ssda903" for s in sources):
        # The 903 UASC table lists every UASC child looked after; absence means not UASC.
        accepted["children"]["uasc"] = accepted["children"]["uasc"].fillna(False) \
            if "uasc" in accepted["children"] else False
    store = CaseStore.from_frames({t: _sorted(t, df) for t, df in accepted.items()})
    return store, accounting, issues.reset_index(drop=True), duplicates


def _sort_and_write_duplicates(entries: TableByTable, path: Path) -> pd.DataFrame:
    """The duplicates report of ``entries`` written to ``path``."""
    dups = entries.report()
    write_duplicates(dups, path)
    return dups


def _duplicate_rows(df: pd.DataFrame) -> pd.DataFrame:
    """Only the columns the duplicates report uses. Why: the whole rows of every table's
    duplicates, concatenated over the union of the tables' columns, were the ingest's peak
    memory (a million repeated Annex A rows at 15,000 children: about a gigabyte)."""
    return df.reindex(columns=ENTRY_COLUMNS)


def _sorted(t: str, df: pd.DataFrame) -> pd.DataFrame:
    key = list(rc.NATURAL_KEYS[t])
    return df.sort_values(key, kind="mergesort").drop(columns=[c for c in df.columns if c.startswith("_")])


def _account(issues: pd.DataFrame, accepted: dict[str, pd.DataFrame], read_counts: dict[str, int],
             staged_counts: dict[str, int], sources: list[SourceFile]) -> pd.DataFrame:
    """Per file: rows read, accepted, quarantined, duplicates (the identity is checked).

    Every staged source row is quarantined (an error names it), else accepted (a part of it is
    in the store), else a duplicate; the identity checks that every row read was staged."""
    err = issues.loc[issues["level"] == "error", ["source_file", "_src"]].drop_duplicates("_src")
    bad = pd.Index(err["_src"].astype(object))
    quarantined = err["source_file"].astype(object).value_counts()
    kept = _accepted_per_file(accepted, bad)
    rows = []
    for src in sources:
        f = str(src.path)
        row = {"file": f, "format": src.format, "rows_read": int(read_counts.get(f, 0))}
        row["accepted"] = int(kept.get(f, 0))
        row["quarantined"] = int(quarantined.get(f, 0))
        row["duplicates"] = int(staged_counts.get(f, 0)) - row["accepted"] - row["quarantined"]
        if row["rows_read"] != row["accepted"] + row["quarantined"] + row["duplicates"]:
            raise DriftflagError(
                f"{f}: row accounting does not balance: read {row['rows_read']} != accepted "
                f"{row['accepted']} + quarantined {row['quarantined']} + duplicates {row['duplicates']}")
        rows.append(row)
    return pd.DataFrame(rows)


def _accepted_per_file(accepted: dict[str, pd.DataFrame], bad: pd.Index) -> pd.Series:
    """Accepted source rows per file: each source row once (its first row in the tables'
    order), unless an error names its ``_src``.

    Why not one frame of every accepted row's provenance and text: at 150,000 children that
    was 2.2 million rows and as many Python texts, the ingest's peak while accounting. A
    source row's number (``_srcid``) stands for its ``_src``; texts are made only for the rows
    whose own row text could end one an error names (:func:`_named`)."""
    tables = list(accepted.values())  # every row numbered by check_unit (``_srcid``)
    if not tables:
        return pd.Series(dtype=np.int64)
    ids = np.concatenate([df["_srcid"].to_numpy(dtype=np.int64) for df in tables])
    first = np.zeros(len(ids), dtype=bool)
    first[np.unique(ids, return_index=True)[1]] = True  # drop_duplicates' first occurrence
    counts, at = [], 0
    for df in tables:
        mine = first[at:at + len(df)]
        at += len(df)
        rows = df[[c for c in ("_src", *_PROVENANCE) if c in df.columns]].loc[mine]
        rows = rows.loc[~_named(rows, bad)]
        counts.append(rows["_source_file"].astype(object).value_counts())
    return pd.concat(counts).groupby(level=0, sort=False).sum()


def _named(rows: pd.DataFrame, bad: pd.Index) -> np.ndarray:
    """Which of ``rows`` have a ``_src`` (given, else rebuilt as :func:`_with_src` does) in
    ``bad``: the texts rebuilt only where the row's own part could end one of ``bad``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    out = np.zeros(len(rows), dtype=bool)
    if not len(bad) or not len(rows):
        return out
    given = rows["_src"].notna().to_numpy() if "_src" in rows.columns else out.copy()
    if given.any():
        out[given] = rows["_src"].astype(object).loc[given].isin(bad).to_numpy()
    # a rebuilt text is file, list and row joined by \x1f: it can equal one of ``bad`` only
    # if the row's text is what follows that text's last \x1f (or has a \x1f of its own)
    ends = pa.array(sorted({b.rsplit("\x1f", 1)[-1] for b in bad if isinstance(b, str)}), pa.large_string())
    row = large_text(rows["_source_row"])
    could = (pc.fill_null(pc.is_in(row, value_set=ends), False).to_numpy(zero_copy_only=False)
             | pc.fill_null(pc.match_substring(row, "\x1f"), False).to_numpy(zero_copy_only=False))
    could &= ~given
    if could.any():
        out[could] = _with_src(rows.drop(columns="_src", errors="ignore").loc[could])["_src"].isin(bad).to_numpy()
    return out


# --- writing ------------------------------------------------------------------------------------

def ingest(
    paths: list[Path],
    store: Path,
    *,
    extract_date: date,
    created_at: datetime,
    format: str = "auto",
    run_gx: bool = True,
    progress: Progress | None = None,
) -> IngestResult:
    """Ingest ``paths`` into the case store ``store`` (replaced atomically).

    ``extract_date`` is the date the data were extracted (no event may be after it);
    ``created_at`` is recorded in the manifest (explicit, so the same inputs and time give a
    byte-identical store). Writes ``STORE/*.parquet``, ``manifest.json``,
    ``quarantine/<table>.parquet``, ``validation/`` (warnings, duplicates, summary HTML and
    JSON) and, with ``run_gx``, ``gx/`` (Great Expectations context and Data Docs).

    Raises
    ------
    SourceFileError
        If a file cannot be read at all; the store is left exactly as it was.
    """
    from driftflag.validate.summary import build_summary, render_html

    check_store_destination(store, paths)  # refuse before reading anything
    sources = detect_sources([Path(p) for p in paths], format)
    store = Path(store)
    gx_result = None
    step = progress or (lambda _m, _i, _n: None)
    # The staged store exists before reading (any failure removes it, and the store is left as
    # it was) so that Great Expectations can be prepared under its gx/ folder in another process
    # while the tables are settled on one core (driftflag.validate._beside): from the end of
    # the reading, when the reading processes have ended (its own memory is a few hundred
    # megabytes, beside the settling's peak; the reading's was higher). Only large returns are
    # worth another interpreter, as for the reading (_read_ahead.wanted).
    # Hashing the returns (from the end of the reading too), sorting each table's duplicate
    # entries (as it is settled, :mod:`driftflag.ingest._duplicates`) and writing the report
    # run in threads beside the settling, the writing and the suites (hashlib, numpy and Arrow
    # let go of the interpreter while they work). Each thread writes its own file; all are
    # joined before the staged store is kept or thrown away.
    with (staged_store(store, inputs=paths, created=created_at) as tmp, contextlib.ExitStack() as stack,
          ThreadPoolExecutor(max_workers=3) as pool):
        suites = []
        hashing = []

        def after_reading() -> None:
            from driftflag.validate import start_suites

            hashing.append(pool.submit(lambda: {str(s.path): file_sha256(s.path) for s in sources}))
            if run_gx:
                suites.append(stack.enter_context(start_suites(tmp / "gx", extract_date,
                                                               beside=_read_ahead.wanted([s.path for s in sources]))))

        case, accounting, issues, entries = build_entries(sources, extract_date=extract_date, progress=progress,
                                                          after_reading=after_reading)
        checked = pool.submit(suites[0].run, case) if run_gx and suites[0].beside else None
        hashed = hashing[0]
        vdir = tmp / VALIDATION_DIR
        vdir.mkdir()
        written = pool.submit(_sort_and_write_duplicates, entries, vdir / "duplicates.parquet")
        del entries  # the thread's now: each column's entries are let go once coded
        for name in TABLE_ORDER:
            _write_parquet(case.tables[name], tmp / f"{name}.parquet")
        qdir = tmp / QUARANTINE_DIR
        qdir.mkdir()
        errors = issues.loc[issues["level"] == "error"].drop(columns="_src")
        for t, q in errors.groupby("table", sort=True):
            _write_parquet(q.reset_index(drop=True).astype("str"), qdir / f"{t}.parquet")
        warns = issues.loc[issues["level"] == "warning"].drop(columns="_src").reset_index(drop=True)
        _write_parquet(warns.astype("str"), vdir / "warnings.parquet")
        if run_gx:
            step("Great Expectations", 0, 1)
            gx_result = checked.result() if checked is not None else suites[0].run(case)
        accounting.insert(2, "sha256", accounting["file"].map(hashed.result()))
        warn_counts = issues.loc[issues["level"] == "warning"].groupby("source_file")["_src"].nunique()
        accounting["rows_with_warnings"] = accounting["file"].map(warn_counts).fillna(0).astype(int)
        dups = written.result()
        summary = build_summary(case, accounting, issues, dups, extract_date=extract_date)
        if gx_result is not None:
            summary["gx"] = gx_result
        (vdir / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True, default=str) + "\n")
        (vdir / "summary.html").write_text(render_html(summary))
        manifest = {
            "schema_version": SCHEMA_VERSION,
            "created_at": created_at.isoformat(),
            "extract_date": extract_date.isoformat(),
            "row_counts": case.row_counts(),
            "sources": accounting.to_dict(orient="records"),
            "row_accounting": "rows_read = accepted + quarantined + duplicates (checked per file)",
            "validation": {"errors": summary["totals"]["errors"], "warnings": summary["totals"]["warnings"],
                           "quarantined_rows": summary["totals"]["quarantined_rows"],
                           "gx_success": None if gx_result is None else gx_result["success"]},
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        case.manifest = manifest
    return IngestResult(store, case, accounting, issues, dups, gx_result, manifest)
