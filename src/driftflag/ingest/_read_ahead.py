"""Reading the next return while the last one is checked: the ingest on two cores.

The ingest reads and stages each file (or the lists of one Annex A extract), then checks its
rows and sets aside its repeats. Reading and staging a unit needs nothing from the units
before it, so a second process can read unit ``i + 1`` while this one checks unit ``i``: on
a machine with two cores the two halves overlap instead of taking turns (the ingest was one
busy core: CPU seconds equal to wall seconds at every size, benchmarks/README.md).

The units come back in their order, whatever finishes first, and each is exactly what reading
it here gives (it is the same function, run in another interpreter); a file that cannot be
read raises its :class:`~driftflag.errors.SourceFileError` here, when its turn comes. Small
ingests (a few megabytes of returns: the tests, a first look at a council's files) are read
in this process, because starting an interpreter costs more than it saves.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

#: Returns smaller than this (all files together) are read in this process.
READ_AHEAD_MIN_BYTES = 64 * 1024 * 1024
#: Units read before their turn: one is enough to keep the second core busy; more would hold
#: more staged rows in memory for nothing.
READ_AHEAD_UNITS = 1
#: ``DRIFTFLAG_READ_AHEAD=0`` reads every unit in this process, ``1`` reads ahead whatever the
#: size (unset: by size and the number of cores).
ENV_READ_AHEAD = "DRIFTFLAG_READ_AHEAD"


def wanted(paths: list[Path]) -> bool:
    """Whether to read ahead in a second process: two cores or more, and returns large enough
    (or the environment says so)."""
    setting = os.environ.get(ENV_READ_AHEAD, "").strip()
    if setting in ("0", "1"):
        return setting == "1"
    if (os.cpu_count() or 1) < 2:
        return False
    total = 0
    for p in paths:
        try:
            total += p.stat().st_size
        except OSError:
            continue
        if total >= READ_AHEAD_MIN_BYTES:
            return True
    return False


def units_in_order(read: Callable[[Any, date], Any], units: list[Any], extract: date, *,
                   ahead: bool) -> Iterator[Any]:
    """``read(unit, extract)`` for every unit, in order; with ``ahead``, computed in a second
    process up to :data:`READ_AHEAD_UNITS` units before they are asked for. ``read`` must be a
    module-level function (it is pickled by name)."""
    if not ahead or len(units) < 2:
        for unit in units:
            yield read(unit, extract)
        return
    import multiprocessing

    # spawn, not fork: pyarrow's and OpenMP's threads do not survive a fork
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        queued: list[Future] = []
        nxt = 0
        try:
            for _ in range(len(units)):
                while nxt < len(units) and len(queued) <= READ_AHEAD_UNITS:
                    queued.append(pool.submit(read, units[nxt], extract))
                    nxt += 1
                yield queued.pop(0).result()
        finally:
            for f in queued:
                f.cancel()
