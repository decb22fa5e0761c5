"""Great Expectations prepared in another process while the ingest is still settling its tables.

Why: at 150,000 children the suites took 13-23 s at the very end of the ingest, on one core,
and about 6 s of that (importing GX, writing its project and the 22 suites) needs no table at
all. The ingest reads on both cores, but settles the tables on one: the other core is idle
then. So once reading is done the ingest starts ``python -m driftflag.validate._beside``, which
imports GX and prepares a :class:`~driftflag.validate._gx.SuiteSession` under the staged
store's ``gx/`` while the tables are settled; the finished tables are handed over (pickled
through a pipe, dtypes and all) and validated there while the ingest writes the store.

The result is what :func:`~driftflag.validate._gx.run_suites` gives in this process (the same
session code, run in another interpreter). It is a plain subprocess, not a ``multiprocessing``
worker, for the reason given in :mod:`driftflag.ingest._read_ahead` (a council's own script
without an ``if __name__ == "__main__"`` guard). If no interpreter can be started, the suites
run here, as before. A failure in the other process is raised here, as it would have been.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

from driftflag.casemodel.schema import TABLE_ORDER
from driftflag.casemodel.store import CaseStore
from driftflag.errors import DriftflagError


class Suites:
    """The suites of one ingest, run here when :meth:`run` is called (no other process)."""

    beside = False

    def __init__(self, root: Path, extract_date: date) -> None:
        self.root, self.extract_date = Path(root), extract_date

    def run(self, store: CaseStore) -> dict[str, Any]:
        from driftflag.validate._gx import run_suites

        return run_suites(store, self.root, extract_date=self.extract_date)

    def close(self) -> None:
        """Nothing to stop."""

    def __enter__(self) -> Suites:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SuitesBeside(Suites):
    """The suites prepared in another process from the moment this object is made."""

    beside = True

    def __init__(self, root: Path, extract_date: date, proc: subprocess.Popen) -> None:
        super().__init__(root, extract_date)
        self.proc = proc
        self.finished = False
        _send(proc, (str(self.root), extract_date, _warning_filters()))

    def run(self, store: CaseStore) -> dict[str, Any]:
        """Hand ``store``'s tables over and wait for the result (safe to call from a thread: the
        tables are only read)."""
        # one table at a time: the whole store pickled at once was a second copy of it (and a
        # third while framed) in this process, beside the store being written. Children first,
        # then in the order the suites run: the other process validates each table as it
        # arrives (see _Arriving), while the next is still being sent
        names = sorted(store.tables, key=lambda n: (n != "children", _run_order(n)))
        _send(self.proc, names)
        for name in names:
            _send(self.proc, store.tables[name])
        try:
            status, value = pickle.load(self.proc.stdout)  # type: ignore[arg-type]
        except EOFError:
            raise DriftflagError(f"the process running the Great Expectations suites stopped (exit code "
                                 f"{self.proc.wait()})") from None
        self.finished = True
        if status == "error":
            raise value
        return value

    def close(self) -> None:
        """Stop the other process (killed if its result was never taken: the ingest failed)."""
        proc = self.proc
        if proc.stdin is not None:
            with contextlib.suppress(OSError):
                proc.stdin.close()
        if not self.finished:
            proc.kill()
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def start_suites(root: Path, extract_date: date, *, beside: bool) -> Suites:
    """The suites of an ingest writing its GX project under ``root``: with ``beside``, prepared
    in another process from now on (:class:`SuitesBeside`), else run here when asked."""
    if beside:
        # the other process imports driftflag from where this one did (see _read_ahead)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        try:
            proc = subprocess.Popen([sys.executable, "-m", __name__], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, env=env)
        except (OSError, ValueError):  # no interpreter to start (an embedded Python)
            return Suites(root, extract_date)
        return SuitesBeside(root, extract_date, proc)
    return Suites(root, extract_date)


def _warning_filters() -> list[tuple[str, str, type[Warning], str, int]]:
    """This process's warning filters as (action, message, category, module, line), most
    important first, for the other process to apply. Why: a caller that silenced a library's
    warnings (the command line ignores those of GX, pyspark and the like) must not see them
    printed by the process it started, which begins with Python's default filters. Only
    filters of Python's own warning classes are sent (another class would have to be imported
    there before anything else)."""
    import builtins
    import warnings

    return [(action, _pattern(message), category, _pattern(module), lineno)
            for action, message, category, module, lineno in warnings.filters
            if getattr(builtins, category.__name__, None) is category]


def _pattern(match: Any) -> str:
    """A filter's message or module as the pattern ``filterwarnings`` takes: none matches all,
    a text (Python's own default filters) only itself, a compiled pattern its pattern."""
    import re

    if match is None:
        return ""
    if isinstance(match, str):
        return re.escape(match) + r"\Z"
    return match.pattern


def _run_order(name: str) -> int:
    """Where the suites validate table ``name`` (TABLE_ORDER; unknown names last)."""
    return TABLE_ORDER.index(name) if name in TABLE_ORDER else len(TABLE_ORDER)


class _Arriving:
    """The store's tables as they arrive through the pipe, in the order sent: asking for a
    table reads the tables before it (kept until asked for) and then it. Why: the suites run
    table by table, so each can be validated while the next is still pickled and sent (the
    hand-over was a second or two at the very end of the ingest at 150,000 children)."""

    def __init__(self, stream: Any, names: list[str]) -> None:
        self.stream, self.waiting, self.tables = stream, list(names), {}

    def __contains__(self, name: str) -> bool:
        return name in self.tables or name in self.waiting

    def __getitem__(self, name: str) -> Any:
        while name not in self.tables:
            if not self.waiting:
                raise KeyError(name)
            self.tables[self.waiting.pop(0)] = _receive(self.stream)
        return self.tables[name]


def _apply_warning_filters(filters: list[tuple[str, str, type[Warning], str, int]]) -> None:
    """Make ``filters`` (from :func:`_warning_filters`) this process's only warning filters."""
    import warnings

    warnings.resetwarnings()
    for action, message, category, module, lineno in filters:
        warnings.filterwarnings(action, message, category, module, lineno, append=True)


def _send(proc: subprocess.Popen, obj: object) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    assert proc.stdin is not None
    try:
        proc.stdin.write(len(data).to_bytes(8, "little"))  # framed: see serve()
        proc.stdin.write(data)
        proc.stdin.flush()
    except BrokenPipeError:
        raise DriftflagError(f"the process running the Great Expectations suites stopped (exit code "
                             f"{proc.wait()})") from None


def _receive(stream: Any) -> Any:
    size = stream.read(8)
    if len(size) < 8:
        raise EOFError
    return pickle.loads(stream.read(int.from_bytes(size, "little")))


def serve() -> None:
    """The other process: read (root, extract date) and prepare the session; then read the
    tables, validate them and answer ``("ok", result)`` or ``("error", exception)``."""
    import signal

    # Ctrl-C reaches the whole process group: the ingest stops and kills this process
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    requests, answers = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but the answer may reach the answer's pipe
    try:
        root, extract_date, filters = _receive(requests)
    except EOFError:
        return
    _apply_warning_filters(filters)  # the ingest's own, before GX is imported
    answer: tuple[str, Any]
    session = failure = None
    try:
        from driftflag.validate._gx import SuiteSession

        session = SuiteSession(Path(root), extract_date)
    except Exception as e:  # raised in the ingest's process when it asks for the result
        failure = e
    try:
        names = _receive(requests)
    except EOFError:  # the ingest failed or stopped: nothing to validate
        return
    try:
        if session is None:
            raise failure  # type: ignore[misc]
        answer = ("ok", session.run(_Arriving(requests, names)))  # type: ignore[arg-type]
    except EOFError:  # the ingest failed or stopped while sending: nothing to answer
        return
    except Exception as e:
        answer = ("error", e)
    try:
        data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as e:  # an exception that cannot cross processes: its text does
        data = pickle.dumps(("error", RuntimeError(f"{type(answer[1]).__name__}: {answer[1]} ({e})")))
    with contextlib.suppress(BrokenPipeError):
        answers.write(data)
        answers.flush()


if __name__ == "__main__":
    serve()
