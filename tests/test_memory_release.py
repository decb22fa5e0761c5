"""``release_free_memory`` returns glibc's free heap pages to the system (Linux) and moves nothing."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from driftflag._memory import release_free_memory


def _rss() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_freed_heap_blocks_leave_the_process_and_live_arrays_keep_their_values():
    # 64 KB arrays (below glibc's mmap threshold: on the heap); the freed ones lie between live
    # ones, so free() cannot shrink the heap from its top and only malloc_trim gives them back
    keep, junk = [], []
    for i in range(4_000):
        junk.append(np.ones(8_000))
        if i % 100 == 99:
            keep.append(np.full(8_000, float(len(keep))))
    del junk
    before = _rss()
    assert release_free_memory() is True
    assert _rss() < before
    assert all((a == float(i)).all() for i, a in enumerate(keep))


def test_arrows_pool_is_asked_to_hand_back_its_free_pages_when_pyarrow_is_loaded(monkeypatch):
    import types

    released = []

    class Pool:
        def release_unused(self):
            released.append(True)

    monkeypatch.setitem(sys.modules, "pyarrow", types.SimpleNamespace(default_memory_pool=Pool))
    release_free_memory()
    assert released == [True]
    monkeypatch.delitem(sys.modules, "pyarrow")
    release_free_memory()  # not loaded: nothing to ask, and no import of it
    assert released == [True] and "pyarrow" not in sys.modules

