"""The case store: a folder of Parquet tables plus ``manifest.json``.

Layout::

    STORE/
      .driftflag-store     marker: this folder is a driftflag store (kind, version, contents)
      manifest.json        schema version, row counts, source file hashes, creation time
      children.parquet     one file per canonical table (see driftflag.casemodel.schema)
      referrals.parquet
      ...
      records/             what people recorded (audit ledger, issued worklists): kept across
                           every re-ingest (driftflag.casemodel.ledger)

Stores are written atomically (built in a temporary sibling folder, then swapped in, carrying
``records/`` over), so a failed run leaves the previous store exactly as it was; driftflag
writes a store only where there is nothing, an empty folder or a store (see driftflag._atomic).
A store written before markers existed (a ``manifest.json`` with ``schema_version``) is
recognised and migrated when next written: marked, its ``worklists/`` moved under ``records/``
and the audits it had imported from workbooks copied into the ledger.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from driftflag._atomic import (
    STORE_MARKER,
    check_destination,
    folder_lock,
    marker_of,
    recover,
    replace_dir,
    staged_dir,
    write_marker,
)
from driftflag.casemodel import ledger
from driftflag.casemodel.schema import SCHEMA_VERSION, TABLE_ORDER, TABLES, conform
from driftflag.errors import StoreError

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
#: Audit ids given by ``driftflag audits import`` (``WL<month>-<child>``): in a store written
#: before the ledger existed, these rows of ``audits.parquet`` came from workbooks.
_IMPORTED_AUDIT_ID = re.compile(r"^WL\d{4}-\d{2}-")
_LEGACY_WORKLISTS = "worklists"
#: What a store written before markers holds at its top level (``manifest.json`` first).
#: Tables added in schema 1.2 (the 903 social worker episodes, OC3, OC2, AD1, placed for
#: adoption, previous permanence): a 1.1 store is read with them empty.
TABLES_ADDED_1_2: frozenset[str] = frozenset({
    "sw_episodes", "care_leavers", "health_outcomes", "adoptions", "placed_for_adoption",
    "previous_permanence"})

LEGACY_STORE_NAMES: tuple[str, ...] = (MANIFEST, *(f"{t}.parquet" for t in TABLE_ORDER), "quarantine",
                                       "validation", "gx", _LEGACY_WORKLISTS, ledger.RECORDS_DIR)


@dataclass
class CaseStore:
    """In-memory canonical tables plus the manifest that describes them."""

    tables: dict[str, pd.DataFrame]
    manifest: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    @classmethod
    def from_frames(cls, frames: dict[str, pd.DataFrame]) -> CaseStore:
        """Conform each frame to its canonical schema; absent tables are empty."""
        unknown = set(frames) - set(TABLES)
        if unknown:
            raise StoreError(f"unknown canonical table(s): {', '.join(sorted(unknown))}")
        tables = {
            name: conform(frames[name], TABLES[name]) if name in frames else TABLES[name].empty()
            for name in TABLE_ORDER
        }
        return cls(tables=tables)

    def row_counts(self) -> dict[str, int]:
        return {name: int(len(df)) for name, df in self.tables.items()}


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


#: How every Parquet file driftflag writes is written (a writer in row groups uses the same, so
#: its file is the same bytes as one written at once).
PARQUET_OPTIONS = {"compression": "zstd", "write_statistics": True}


def _write_parquet(df: pd.DataFrame, path: Path) -> None:
    """Write one table. Same data and same pandas/pyarrow versions give the same bytes (the
    file metadata names the library versions, so bytes differ across library upgrades)."""
    table = pa.Table.from_pandas(df, preserve_index=False)
    pq.write_table(table, path, **PARQUET_OPTIONS)


def write_store(
    store: CaseStore,
    path: Path,
    *,
    created_at: datetime,
    sources: list[dict[str, Any]] | None = None,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write ``store`` to ``path`` atomically and return the path.

    ``created_at`` is explicit (never ``now()`` inside the library) so that the same inputs give
    a byte-identical store; the CLI passes the wall-clock time for real ingests and the
    simulation's extract date for synthetic data.
    """
    path = Path(path)
    with staged_store(path, created=created_at) as tmp:
        for name in TABLE_ORDER:
            _write_parquet(store.tables[name], tmp / f"{name}.parquet")
        reserved = {"schema_version", "created_at", "row_counts", "sources"}
        clash = reserved & set(extra or {})
        if clash:
            raise StoreError(f"manifest keys {sorted(clash)} are reserved")
        manifest = {
            **(extra or {}),
            "schema_version": SCHEMA_VERSION,
            "created_at": created_at.isoformat(),
            "row_counts": store.row_counts(),
            "sources": sources or [],
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        store.manifest = manifest
    return path


def is_legacy_store(path: Path) -> bool:
    """A store written before markers: ``manifest.json`` with a ``schema_version``, no marker."""
    path = Path(path)
    if marker_of(path) is not None or not (path / MANIFEST).is_file():
        return False
    if any(p.name not in LEGACY_STORE_NAMES for p in path.iterdir()):
        return False
    try:
        return "schema_version" in json.loads((path / MANIFEST).read_text())
    except (OSError, ValueError, TypeError):
        return False


def ensure_store(path: Path | str) -> list[str]:
    """Check ``path`` is a store before records are written to it; migrate an older store.

    Returns one line per migration step done (empty for a current store). Raises
    :class:`StoreError` for a folder that is not a store.
    """
    path = Path(path)
    if not path.is_dir() and not path.exists():
        for message in recover(path):
            logger.warning("%s", message)
    m = marker_of(path) if path.is_dir() else None
    if m is not None:
        if m.get("kind") != "store":
            raise StoreError(f"{path}: is a driftflag {m.get('kind')}, not a case store")
        return []
    if not is_legacy_store(path):
        extra = sorted(p.name for p in path.iterdir() if p.name not in LEGACY_STORE_NAMES) \
            if (path / MANIFEST).is_file() else []
        if extra:
            raise StoreError(f"{path}: looks like a store of an older driftflag but also holds "
                             f"{', '.join(extra[:5])}; move those away first")
        raise StoreError(f"{path}: not a driftflag case store (no {MANIFEST})")
    with folder_lock(path):
        return _migrate(path) if is_legacy_store(path) else []


def _migrate(path: Path) -> list[str]:
    done = []
    audits_file = path / "audits.parquet"
    if audits_file.is_file():
        a = pd.read_parquet(audits_file)
        imported = a[a["audit_id"].astype("str").str.match(_IMPORTED_AUDIT_ID)]
        known = set(ledger.audit_history(path)["audit_id"].astype("str"))
        imported = imported[~imported["audit_id"].astype("str").isin(known)]
        if len(imported):
            ledger.append_audits(path, imported, source="audits imported before the ledger (migrated)",
                                 recorded_by="driftflag migration")
            done.append(f"{path}: {len(imported)} imported audits copied into the audit ledger")
    legacy = path / _LEGACY_WORKLISTS
    if legacy.is_dir():
        for month in sorted(legacy.iterdir()):
            target = ledger.worklist_dir(path, month.name)
            if month.is_dir() and not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                os.rename(month, target)
                done.append(f"{path}: worklist {month.name} moved to {target.relative_to(path)}")
        with contextlib.suppress(OSError):
            legacy.rmdir()
    names = [p.name for p in path.iterdir() if p.name != STORE_MARKER]
    write_marker(path, "store", contents=[*names, ledger.RECORDS_DIR], keep=[ledger.RECORDS_DIR])
    done.append(f"{path}: marked as a driftflag store ({STORE_MARKER})")
    for line in done:
        logger.warning("%s", line)
    return done


def check_store_destination(path: Path | str, inputs: Iterable[Path] = ()) -> None:
    """Raise ``DestinationError`` now (before any reading) if a store may not be written at ``path``."""
    check_destination(Path(path), "store", inputs=inputs, legacy=LEGACY_STORE_NAMES)


@contextlib.contextmanager
def staged_store(path: Path | str, *, inputs: Iterable[Path] = (),
                 created: datetime | None = None) -> Iterator[Path]:
    """A folder to build a store in; on success it replaces ``path``, keeping ``records/``.

    Refuses (``DestinationError``, before any work) a ``path`` that is a file, an unmarked
    non-empty folder, another kind of output or one of ``inputs``; migrates an older store.
    """
    path = Path(path)
    for message in recover(path):
        logger.warning("%s", message)
    if is_legacy_store(path):
        ensure_store(path)
    with staged_dir(path, kind="store", inputs=inputs, legacy=LEGACY_STORE_NAMES, keep=(ledger.RECORDS_DIR,),
                    created=created) as tmp:
        yield tmp


def read_manifest(path: Path) -> dict:
    """A store's manifest, checked: a folder without one, unreadable JSON or another major schema
    version raises :class:`StoreError` in one line (the pool engine reads many stores this way
    without loading their tables)."""
    path = Path(path)
    mpath = path / MANIFEST
    if not mpath.is_file():
        raise StoreError(f"{path}: not a driftflag case store (no {MANIFEST})")
    try:
        manifest = json.loads(mpath.read_text())
    except json.JSONDecodeError as e:
        raise StoreError(f"{mpath}: manifest is not valid JSON ({e.msg})") from e
    if not isinstance(manifest, dict):
        raise StoreError(f"{mpath}: manifest is not a JSON object")
    major = str(manifest.get("schema_version", "0")).split(".")[0]
    if major != SCHEMA_VERSION.split(".")[0]:
        raise StoreError(
            f"{path}: store schema version {manifest.get('schema_version')} is not compatible "
            f"with this driftflag ({SCHEMA_VERSION}); re-run the ingest"
        )
    return manifest


def read_store(path: Path, tables: list[str] | None = None) -> CaseStore:
    """Read a case store; raises :class:`StoreError` with the problem if it is not one.

    The ``audits`` table is the ingested audits with the audit ledger's current view over them
    (:func:`driftflag.casemodel.ledger.with_ledger`), so every reader sees imported audits.
    """
    path = Path(path)
    for message in recover(path):  # an interrupted swap may have left parts under another name
        logger.warning("%s", message)
    manifest = read_manifest(path)
    frames = {}
    for name in tables or TABLE_ORDER:
        f = path / f"{name}.parquet"
        if not f.is_file() and name in TABLES_ADDED_1_2:
            frames[name] = TABLES[name].empty()  # a store written before schema 1.2 has none
            continue
        if not f.is_file():
            raise StoreError(f"{path}: table {name} is missing ({f.name})")
        frames[name] = conform(pd.read_parquet(f), TABLES[name])
    if "audits" in frames:
        frames["audits"] = ledger.with_ledger(frames["audits"], path)
    return CaseStore(tables=frames, manifest=manifest)


__all__ = ["CaseStore", "check_store_destination", "ensure_store", "file_sha256", "is_legacy_store", "read_store", "replace_dir",
           "staged_store", "write_store"]
