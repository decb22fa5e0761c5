"""Reading the next return while the last one is checked: the ingest on two cores.

The ingest reads, stages and checks each file (or the lists of one Annex A extract), then sets
aside its repeats. Reading, staging and checking a unit needs nothing from the units before it,
so other processes (one per core, at most two) do the next units while this one sets aside the
repeats of unit ``i``: on a machine with two cores the work overlaps instead of taking turns (the
ingest was one busy core: CPU seconds equal to wall seconds at every size, benchmarks/README.md;
the reading is most of the work, so two read while this process mostly waits).

Each reading process is ``python -m driftflag.ingest._read_ahead``, given units through a pipe
and answering through another (pickles, in the order asked). It is not a ``multiprocessing`` worker on
purpose: those start by importing the caller's main script again, and a council's own script
calling :func:`driftflag.stages.ingest` without an ``if __name__ == "__main__"`` guard would
then fail. Each unit comes back exactly as reading it here gives it (the same function, run in
another interpreter); a file that cannot be read raises its
:class:`~driftflag.errors.SourceFileError` here, when its turn comes. Small ingests (a few
megabytes of returns: the tests, a first look at a council's files) are read in this process,
because starting an interpreter costs more than it saves.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

from driftflag.errors import DriftflagError

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
    """``read(unit, extract)`` for every unit, in order; with ``ahead``, computed in other
    processes (:func:`read_ahead_processes`, unit ``i`` by process ``i % n``), each up to
    :data:`READ_AHEAD_UNITS` units before they are asked for. ``read`` must be a module-level
    function (it is pickled by name). Readers that cannot start leave the reading here."""
    procs = _start_readers(min(read_ahead_processes(), len(units))) if ahead and len(units) > 1 else []
    try:
        yield from _from_readers(read, units, extract, procs)
    except _NotStarted:
        for unit in units:
            yield read(unit, extract)


class _NotStarted(Exception):
    """No reader process could be started, or one ended before its first answer."""


def _start_readers(n: int) -> list[subprocess.Popen]:
    # the readers import driftflag from where this process did (a notebook may have put the
    # package's folder on sys.path itself)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    procs: list[subprocess.Popen] = []
    try:
        for _ in range(n):
            procs.append(subprocess.Popen([sys.executable, "-m", __name__], stdin=subprocess.PIPE,
                                          stdout=subprocess.PIPE, env=env))
    except (OSError, ValueError):  # no interpreter to start (an embedded Python)
        _stop(procs, kill=True)
        return []
    return procs


def _from_readers(read: Callable[[Any, date], Any], units: list[Any], extract: date,
                  procs: list[subprocess.Popen]) -> Iterator[Any]:
    if not procs:
        raise _NotStarted
    n = len(procs)
    finished = False
    try:
        sent = 0
        for i in range(len(units)):
            while sent < len(units) and sent <= i + n * READ_AHEAD_UNITS:
                request = pickle.dumps((read, units[sent], extract), protocol=pickle.HIGHEST_PROTOCOL)
                stdin = procs[sent % n].stdin
                assert stdin is not None
                stdin.write(len(request).to_bytes(8, "little") + request)  # framed: see serve()
                stdin.flush()
                sent += 1
            proc = procs[i % n]  # unit i went to process i % n, which answers in the order asked
            try:
                status, value = pickle.load(proc.stdout)  # type: ignore[arg-type]
            except EOFError:
                if i == 0:  # nothing handed over yet: the caller reads everything itself
                    raise _NotStarted from None
                raise DriftflagError(f"the ingest's reading process stopped (exit code {proc.wait()}; "
                                     f"{ENV_READ_AHEAD}=0 reads in one process)") from None
            if status == "error":
                raise value
            yield value
        finished = True
    finally:
        _stop(procs, kill=not finished)


def read_ahead_processes() -> int:
    """Processes reading ahead: one per core, at most two (the ingest's own process sets the
    repeats aside meanwhile; more would hold more staged rows for little gain)."""
    return max(1, min(2, os.cpu_count() or 1))


def _stop(procs: list[subprocess.Popen], *, kill: bool) -> None:
    for proc in procs:
        if proc.stdin is not None:
            with contextlib.suppress(OSError):
                proc.stdin.close()
        if kill:
            proc.kill()
    for proc in procs:
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def serve() -> None:
    """The second process: read ``(function, unit, extract)`` requests from stdin (each an
    8-byte length, then its pickle) until it closes, answer each with ``("ok", result)`` or
    ``("error", exception)`` pickled on stdout."""
    import signal

    # Ctrl-C reaches the whole process group: the ingest stops, then closes or kills this
    # process; it must not print a traceback of its own
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    requests, answers = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but answers may reach the answers' pipe
    while True:
        size = requests.read(8)
        if len(size) < 8:
            return
        request = requests.read(int.from_bytes(size, "little"))
        try:
            # unpickled whole from its frame, so a request that cannot be (a function this
            # process cannot import) is answered with its error and the next one still read
            read, unit, extract = pickle.loads(request)
            answer: tuple[str, Any] = ("ok", read(unit, extract))
        except Exception as e:  # handed to the caller, which raises it in its own process
            answer = ("error", e)
        try:
            data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as e:  # an exception that cannot cross processes: its text does
            data = pickle.dumps(("error", RuntimeError(f"{type(answer[1]).__name__}: {answer[1]} ({e})")))
        try:
            answers.write(data)
            answers.flush()
        except BrokenPipeError:
            return


if __name__ == "__main__":
    serve()
