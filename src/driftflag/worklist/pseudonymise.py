"""A pseudonymised copy of the worklist for sharing outside the QA team.

Child ids become a keyed hash (HMAC-SHA256, first 16 hex digits, prefixed ``P``): stable from
month to month under the same key, so a shared copy can still be cross-referenced, but not
reversible without the key. The key comes from the environment variable
``DRIFTFLAG_PSEUDONYM_KEY`` or from a file; it is never written to any output. Worker names and
worker ids are removed.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

import pandas as pd

from driftflag.errors import ConfigError

__all__ = ["ENV_PSEUDONYM_KEY", "load_pseudonym_key", "pseudonymise_frame", "pseudonymise_ids"]

ENV_PSEUDONYM_KEY = "DRIFTFLAG_PSEUDONYM_KEY"
_MIN_KEY_BYTES = 16
_DROP = ("worker_name", "worker_id")


def load_pseudonym_key(key_file: Path | str | None = None) -> bytes | None:
    """The key from ``key_file`` if given, else from ``$DRIFTFLAG_PSEUDONYM_KEY``; None if neither.

    A key shorter than 16 bytes is refused: a short key makes the hash guessable.
    """
    if key_file is not None:
        path = Path(key_file)
        try:
            key = path.read_bytes().strip()
        except OSError as e:
            raise ConfigError(f"{path}: cannot read the pseudonymisation key ({e.strerror})") from e
        where = str(path)
    else:
        raw = os.environ.get(ENV_PSEUDONYM_KEY)
        if raw is None:
            return None
        key, where = raw.encode("utf-8").strip(), f"${ENV_PSEUDONYM_KEY}"
    if len(key) < _MIN_KEY_BYTES:
        raise ConfigError(f"{where}: the pseudonymisation key must be at least {_MIN_KEY_BYTES} bytes")
    return key


def pseudonymise_ids(ids: pd.Series, key: bytes) -> pd.Series:
    """``P`` + the first 16 hex digits of HMAC-SHA256(key, child_id)."""
    uniq = pd.unique(ids.astype("str"))
    mapping = {c: "P" + hmac.new(key, c.encode("utf-8"), hashlib.sha256).hexdigest()[:16] for c in uniq}
    return ids.astype("str").map(mapping)


def pseudonymise_frame(frame: pd.DataFrame, key: bytes) -> pd.DataFrame:
    """Copy of ``frame`` with ``child_id`` hashed and worker names and ids removed."""
    out = frame.drop(columns=[c for c in _DROP if c in frame.columns]).copy()
    out["child_id"] = pseudonymise_ids(out["child_id"], key)
    return out
