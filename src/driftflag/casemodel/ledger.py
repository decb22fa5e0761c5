"""The records people made: the audit ledger and the stored worklists, kept across re-ingests.

An ingest replaces a store's tables as a whole; what practice managers recorded must not go with
them (design notes, section 4). It lives under ``STORE/records/``, which the store swap carries
into every new store (``driftflag._atomic.staged_dir(keep=...)``)::

    STORE/records/
      audits/000001.parquet      the audit ledger: append-only segments, never rewritten
      audits/000002.parquet
      worklists/2025-11/         each month's issued worklist (see driftflag.worklist.feedback)

The ledger is append-only: a corrected grade is a new record naming the record it supersedes,
who recorded it and when; nothing is overwritten or deleted. The current view is the latest
record per ``audit_id``. Notes and a moderator's grade are kept with each record
(:data:`EXTRA_COLUMNS`). This module is the one reader and writer of the ledger, so the workbook
import, a web app and training all see the same audits. Audits that come from an ingested audit
log stay in the store's ``audits`` table; :func:`with_ledger` overlays the ledger on them (a
ledger record wins over an ingested row with the same ``audit_id``).
"""

from __future__ import annotations

import getpass
import io
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from driftflag._atomic import folder_lock, write_new_file
from driftflag.casemodel.schema import TABLES, conform
from driftflag.errors import StoreError

__all__ = [
    "AUDIT_COLUMNS",
    "EXTRA_COLUMNS",
    "LEDGER_COLUMNS",
    "RECORDS_DIR",
    "append_audits",
    "audit_history",
    "current_audits",
    "current_records",
    "ledger_dir",
    "with_ledger",
    "worklist_dir",
]

RECORDS_DIR = "records"
AUDITS_DIR = "audits"
WORKLISTS_DIR = "worklists"
#: The canonical audit columns every ledger record carries.
AUDIT_COLUMNS: tuple[str, ...] = tuple(c.name for c in TABLES["audits"].columns)
#: What the ledger adds to each record: its id, when and by whom it was recorded, where it came
#: from and the record it corrects (blank for a first record).
LEDGER_COLUMNS: tuple[str, ...] = ("record_id", "recorded_at", "recorded_by", "source", "supersedes")
#: What a practice manager writes beside the grade and the ledger keeps with it (blank in
#: segments written before they were kept): free-text notes and a moderator's grade.
EXTRA_COLUMNS: tuple[str, ...] = ("notes", "moderator_grade")


def ledger_dir(store_path: Path | str) -> Path:
    return Path(store_path) / RECORDS_DIR / AUDITS_DIR


def worklist_dir(store_path: Path | str, month: str) -> Path:
    """Where the worklist issued for ``month`` is kept (``STORE/records/worklists/<month>/``)."""
    return Path(store_path) / RECORDS_DIR / WORKLISTS_DIR / month


def _segments(store_path: Path | str) -> list[Path]:
    d = ledger_dir(store_path)
    if not d.is_dir():
        return []
    return sorted(p for p in d.iterdir() if p.suffix == ".parquet" and p.stem.isdigit())


def _empty_history() -> pd.DataFrame:
    frame = TABLES["audits"].empty()
    for c in (*LEDGER_COLUMNS, *EXTRA_COLUMNS):
        frame[c] = pd.Series(dtype="string")
    return frame[[*LEDGER_COLUMNS, *AUDIT_COLUMNS, *EXTRA_COLUMNS]]


def audit_history(store_path: Path | str) -> pd.DataFrame:
    """Every ledger record, oldest first (record ids sort in the order they were appended)."""
    frames = []
    for seg in _segments(store_path):
        try:
            df = pd.read_parquet(seg)
        except Exception as e:  # pyarrow raises several types for a damaged file
            raise StoreError(f"{seg}: audit ledger segment cannot be read ({e.__class__.__name__}); "
                             "restore it from a backup") from e
        missing = set(LEDGER_COLUMNS) - set(df.columns)
        if missing:
            raise StoreError(f"{seg}: not an audit ledger segment (no {', '.join(sorted(missing))})")
        audits = conform(df, TABLES["audits"])
        for c in LEDGER_COLUMNS:
            audits[c] = df[c].astype("string").to_numpy()
        for c in EXTRA_COLUMNS:
            audits[c] = (df[c].astype("string") if c in df.columns
                         else pd.Series(pd.NA, index=df.index, dtype="string")).to_numpy()
        frames.append(audits[[*LEDGER_COLUMNS, *AUDIT_COLUMNS, *EXTRA_COLUMNS]])
    if not frames:
        return _empty_history()
    return pd.concat(frames, ignore_index=True).sort_values("record_id", kind="stable").reset_index(drop=True)


def current_audits(store_path: Path | str) -> pd.DataFrame:
    """The latest ledger record of each audit, as rows of the canonical ``audits`` table."""
    h = audit_history(store_path)
    latest = h.drop_duplicates("audit_id", keep="last")
    return conform(latest[list(AUDIT_COLUMNS)].reset_index(drop=True), TABLES["audits"])


def current_records(store_path: Path | str) -> pd.DataFrame:
    """The latest ledger record of each audit with its ledger columns, notes and moderator grade."""
    return audit_history(store_path).drop_duplicates("audit_id", keep="last").reset_index(drop=True)


def with_ledger(ingested: pd.DataFrame, store_path: Path | str) -> pd.DataFrame:
    """Ingested audits plus the ledger's current view (the ledger wins on a shared ``audit_id``)."""
    ledger = current_audits(store_path)
    if not len(ledger):
        return ingested
    kept = ingested[~ingested["audit_id"].astype("str").isin(set(ledger["audit_id"].astype("str")))]
    both = pd.concat([kept, ledger], ignore_index=True) if len(kept) else ledger
    return conform(both, TABLES["audits"])


def append_audits(store_path: Path | str, audits: pd.DataFrame, *, source: str,
                  recorded_by: str | None = None, recorded_at: datetime | None = None) -> pd.DataFrame:
    """Append ``audits`` (canonical columns) to the ledger as one new segment; return the records.

    A row whose ``audit_id`` already has a record supersedes it (a correction). ``recorded_by``
    defaults to the user running driftflag, ``recorded_at`` to now (UTC). Nothing existing is
    rewritten: the segment gets the next free number, created exclusively.
    """
    if not len(audits):
        return _empty_history()
    given = audits.reset_index(drop=True)
    rows = conform(given, TABLES["audits"])
    for c in EXTRA_COLUMNS:
        rows[c] = (given[c].astype("string") if c in given.columns
                   else pd.Series(pd.NA, index=given.index, dtype="string")).to_numpy()
    if rows["audit_id"].duplicated().any():
        dup = rows.loc[rows["audit_id"].duplicated(), "audit_id"].iloc[0]
        raise StoreError(f"audit {dup} appears twice in one ledger append")
    who = recorded_by or _user()
    when = (recorded_at or datetime.now(UTC)).isoformat(timespec="seconds")
    with folder_lock(Path(store_path)):  # never while the store is being swapped
        return _append(Path(store_path), rows, who, when, source)


def _append(store_path: Path, rows: pd.DataFrame, who: str, when: str, source: str) -> pd.DataFrame:
    current = audit_history(store_path).drop_duplicates("audit_id", keep="last").set_index("audit_id")["record_id"]
    d = ledger_dir(store_path)
    n = int(_segments(store_path)[-1].stem) + 1 if _segments(store_path) else 1
    while True:
        records = rows.copy()
        records["record_id"] = [f"{n:06d}-{i:05d}" for i in range(len(rows))]
        records["recorded_at"] = when
        records["recorded_by"] = who
        records["source"] = source
        records["supersedes"] = rows["audit_id"].astype("str").map(current).astype("string").to_numpy()
        records = records[[*LEDGER_COLUMNS, *AUDIT_COLUMNS, *EXTRA_COLUMNS]]
        buf = io.BytesIO()
        pq.write_table(pa.Table.from_pandas(records, preserve_index=False), buf, compression="zstd")
        if write_new_file(d / f"{n:06d}.parquet", buf.getvalue()):
            return records
        n += 1  # another run appended meanwhile: take the next number


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name (containers): still record something
        return "unknown user"
