"""An opt-in timeline of the suite: where each xdist worker's time and CPU go.

Switched on by ``DRIFTFLAG_SUITE_TIMELINE=<folder>`` (``tests/conftest.py`` registers
:class:`TimelineRecorder`); off, nothing here runs. Each process (each xdist worker, or the one
process without xdist) appends JSON lines to ``<folder>/timeline-<worker>.jsonl``:

- ``{"kind": "test", ...}`` per test: its group (the unit xdist gives one worker), start and end
  (epoch seconds, setup to teardown), the process's CPU over it (all threads) and its waited-for
  children's CPU (subprocess tests), and the setup / call / teardown wall;
- ``{"kind": "lock", ...}`` per use of the shared synthetic-LA cache: how long the worker waited for
  the file lock and how long it then built (or read) the LA;
- ``{"kind": "session", ...}`` at the worker's start and end.

Why: with two workers on two cores the suite's wall is the longer worker's busy time plus its
waits. ``benchmarks/suite_timeline.py`` turns the files into the per-worker busy / idle summary,
the critical path and the groups with the most CPU (benchmarks/README.md, "Test suite").
Nothing here asserts on time.
"""

from __future__ import annotations

import json
import os
import resource
import time
from pathlib import Path

import pytest

ENV = "DRIFTFLAG_SUITE_TIMELINE"


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def record(kind: str, **fields: object) -> None:
    """Append one line to this process's timeline (nothing when the timeline is off)."""
    folder = os.environ.get(ENV)
    if not folder:
        return
    path = Path(folder) / f"timeline-{_worker()}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    line = {"kind": kind, "worker": _worker(), **fields}
    with path.open("a", encoding="utf-8") as f:
        f.write(json.dumps(line) + "\n")


class TimelineRecorder:
    """The pytest plugin: one ``test`` line per test, ``session`` lines at start and end."""

    def __init__(self, group_of) -> None:
        self._group_of = group_of
        self._phases: dict[str, float] = {}

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        record("session", event="start", t=time.time(), cpu=time.process_time(),
               children_cpu=_children_cpu())

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        record("session", event="end", t=time.time(), cpu=time.process_time(),
               children_cpu=_children_cpu(), load=os.getloadavg()[0])

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem):
        self._phases = {}
        t0, cpu0, child0 = time.time(), time.process_time(), _children_cpu()
        yield
        record("test", nodeid=item.nodeid, group=self._group_of(item.nodeid), t0=t0,
               t1=time.time(), cpu=time.process_time() - cpu0,
               children_cpu=_children_cpu() - child0, load=os.getloadavg()[0], **self._phases)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self._phases[report.when] = report.duration
