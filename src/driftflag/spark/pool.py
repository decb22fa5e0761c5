"""A pool of case stores, each tagged with the code of the local authority it came from.

Child ids are unique only within a council: in a pool a child is ``(la_code, child_id)``, and
the LA code is a column of everything the Spark engine reads and writes. The code comes from the
store's manifest (``la_code``) or is given per store (``--la-code``); a store with neither, two
stores with one code, or a code that disagrees with the manifest stop the run in one line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from driftflag.casemodel import read_manifest
from driftflag.errors import ConfigError

__all__ = ["PoolStore", "pool_stores"]

_CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


@dataclass(frozen=True)
class PoolStore:
    """One council's case store in a pool: its LA code, folder and number of children."""

    la_code: str
    path: Path
    children: int

    def table(self, name: str) -> Path:
        return self.path / f"{name}.parquet"


def pool_stores(paths: Sequence[Path | str], la_codes: Sequence[str] | None = None) -> list[PoolStore]:
    """The stores of a pool with their LA codes (``la_codes`` aligned with ``paths``, or each
    store's manifest ``la_code``)."""
    if not paths:
        raise ConfigError("give at least one --store")
    if la_codes and len(la_codes) != len(paths):
        raise ConfigError(f"{len(paths)} --store but {len(la_codes)} --la-code: give one LA code per "
                          "store, in the same order (or none, to read each store's manifest la_code)")
    out: list[PoolStore] = []
    for i, raw in enumerate(paths):
        path = Path(raw)
        manifest = read_manifest(path)
        recorded = manifest.get("la_code")
        given = la_codes[i] if la_codes else None
        code = str(given if given is not None else recorded or "").strip()
        if not code:
            raise ConfigError(f"{path}: no LA code (the manifest has no la_code): give --la-code for it")
        if not _CODE.match(code):
            raise ConfigError(f"{path}: LA code {code!r} is not a code (letters, digits, - or _)")
        if given is not None and recorded and str(recorded) != code:
            raise ConfigError(f"{path}: --la-code {code} but the store's manifest says {recorded}")
        counts = manifest.get("row_counts") or {}
        out.append(PoolStore(la_code=code, path=path, children=int(counts.get("children", 0) or 0)))
    seen: dict[str, Path] = {}
    for s in out:
        if s.la_code in seen:
            raise ConfigError(f"LA code {s.la_code} names two stores ({seen[s.la_code]} and {s.path}); "
                              "child ids are unique only within a council")
        seen[s.la_code] = s.path
    return out
