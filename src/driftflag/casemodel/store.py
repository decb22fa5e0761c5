"""The case store: a folder of Parquet tables plus ``manifest.json``.

Layout::

    STORE/
      manifest.json        schema version, row counts, source file hashes, creation time
      children.parquet     one file per canonical table (see driftflag.casemodel.schema)
      referrals.parquet
      ...

Stores are written atomically (built in a temporary sibling folder, then renamed), so a failed
run leaves the previous store exactly as it was.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from driftflag._atomic import replace_dir, staged_dir
from driftflag.casemodel.schema import SCHEMA_VERSION, TABLE_ORDER, TABLES, conform
from driftflag.errors import StoreError

MANIFEST = "manifest.json"


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


def _write_parquet(df: pd.DataFrame, path: Path) -> None:
    """Write one table. Same data and same pandas/pyarrow versions give the same bytes (the
    file metadata names the library versions, so bytes differ across library upgrades)."""
    table = pa.Table.from_pandas(df, preserve_index=False)
    pq.write_table(table, path, compression="zstd", write_statistics=True)


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
    with staged_dir(path) as tmp:
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


def read_store(path: Path, tables: list[str] | None = None) -> CaseStore:
    """Read a case store; raises :class:`StoreError` with the problem if it is not one."""
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
    frames = {}
    for name in tables or TABLE_ORDER:
        f = path / f"{name}.parquet"
        if not f.is_file():
            raise StoreError(f"{path}: table {name} is missing ({f.name})")
        frames[name] = conform(pd.read_parquet(f), TABLES[name])
    return CaseStore(tables=frames, manifest=manifest)


__all__ = ["CaseStore", "read_store", "write_store", "file_sha256", "replace_dir"]
