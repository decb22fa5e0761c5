"""One ingest of given returns per test session, shared by the modules that judge it.

The messy LA's returns are ingested by the fault-ledger tests (``test_ingest_messy.py``) and by
the read-ahead test as its in-process reference (``test_read_ahead.py``): the same returns, the
same settings, the same store. Ingesting them once for both is one ingest fewer. Under
pytest-xdist the two modules may run on different workers, so the first to ask ingests under a
file lock, in the session folder the synthetic-LA cache uses (``synthetic_la_cache.py``, its
``pickled_once``), and pickles the :class:`~driftflag.ingest.run.IngestResult` beside its store; the
other reads it.

Read-only, like the cached LAs: a test that changes the store copies it first.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import date, datetime
from pathlib import Path

import pytest

_results: dict[str, object] = {}


def ingested_once(paths: list[Path], *, extract_date: date, created_at: datetime):
    """``ingest(paths, <store>, extract_date=..., created_at=..., run_gx=False)`` read in this
    process (``DRIFTFLAG_READ_AHEAD=0``), once per session for those arguments."""
    import synthetic_la_cache
    from driftflag.ingest import _read_ahead
    from driftflag.ingest.run import ingest

    key = hashlib.sha256(json.dumps([[str(p) for p in paths], extract_date.isoformat(),
                                     created_at.isoformat()]).encode()).hexdigest()[:16]
    if key in _results:
        return _results[key]
    root = synthetic_la_cache.session_folder() / f"ingested-{key}"

    def build():
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        with pytest.MonkeyPatch.context() as env:
            env.setenv(_read_ahead.ENV_READ_AHEAD, "0")
            return ingest(paths, root / "store", extract_date=extract_date, created_at=created_at, run_gx=False)

    _results[key] = synthetic_la_cache.pickled_once(root.with_suffix(".pickle"), build)[0]
    return _results[key]
