"""Give the C allocator's free memory back to the system after a step that made many temporaries.

Why: building the 36-month panel allocates and frees thousands of column-sized arrays (17 MB
each at 400,000 children). glibc keeps such freed blocks in its heap for reuse, and the large
matrices training makes next are taken with ``mmap`` elsewhere, so the freed heap (0.45 GB at
150,000 children, about 1.2 GB at 400,000) stayed resident through every fit and added to the
stage's peak. ``malloc_trim(0)`` returns the free pages of every heap; nothing live moves, so no
number changes. Elsewhere (not glibc) it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

__all__ = ["release_free_memory"]

_trim = None
if sys.platform.startswith("linux"):
    try:
        _trim = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
        _trim.argtypes, _trim.restype = [ctypes.c_size_t], ctypes.c_int
    except (OSError, AttributeError):  # not glibc (musl has no malloc_trim)
        _trim = None


def release_free_memory() -> bool:
    """Return the allocators' free pages to the system; whether glibc's could be.

    Arrow's memory pool (mimalloc or jemalloc) holds the case store's columns as read from
    Parquet; once a caller drops the store, its pool is asked to hand the freed pages back too
    (``release_unused``), if pyarrow is loaded at all (it is not imported here for that)."""
    arrow = sys.modules.get("pyarrow")
    if arrow is not None and hasattr(arrow, "default_memory_pool"):
        arrow.default_memory_pool().release_unused()
    if _trim is None:
        return False
    _trim(0)
    return True
