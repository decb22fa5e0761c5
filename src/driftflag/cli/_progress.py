"""Progress of a long command as lines that stay: one per step, each with the time elapsed.

A pipeline, a training run or an ingest can take minutes. A transient spinner shows nothing
when the output goes to a file or a CI log, and a step that says nothing for a minute looks
hung. :class:`StepLines` prints every progress message as a line of its own,
``[0:01:05] train (train)``, with the time since the command started; when no message has come
for :data:`HEARTBEAT_SECONDS` it prints ``[0:01:35] ... still on: train (train)`` so a long step
is never silent for a minute. On a terminal a spinner also shows the current step live.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from driftflag._text import single_line

__all__ = ["HEARTBEAT_SECONDS", "StepLines", "clock"]

#: Seconds without a progress message after which a "still on" line is printed.
HEARTBEAT_SECONDS = 30.0


def clock(seconds: float) -> str:
    """``H:MM:SS`` for a number of seconds (rounded down)."""
    s = max(0, int(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


class StepLines:
    """A context manager whose :meth:`step` prints a progress line with the elapsed time.

    ``timer`` is the clock (a test passes a fake one); ``heartbeat`` the seconds of silence
    before a "still on" line (None: never).
    """

    def __init__(self, console: Console, title: str, *, heartbeat: float | None = HEARTBEAT_SECONDS,
                 timer: Callable[[], float] = time.monotonic):
        self.console = console
        self.title = single_line(title, 60)
        self.heartbeat = heartbeat
        self.timer = timer
        self.start = timer()
        self.last_line = self.start
        self.current = self.title
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._bar: Progress | None = None
        self._task = None

    def __enter__(self) -> StepLines:
        self.start = self.last_line = self.timer()
        if self.console.is_terminal:
            self._bar = Progress(SpinnerColumn(), TextColumn("{task.description}", style="bold", markup=False),
                                 TimeElapsedColumn(), console=self.console, transient=True)
            self._bar.__enter__()
            self._task = self._bar.add_task(self.title, total=None)
        if self.heartbeat:
            self._thread = threading.Thread(target=self._beat, name="driftflag-progress", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._bar is not None:
            self._bar.__exit__(*exc)

    def _line(self, text: str) -> None:
        now = self.timer()
        self.console.print(f"[{clock(now - self.start)}] {text}", markup=False, highlight=False,
                           emoji=False, soft_wrap=True)
        self.last_line = now

    def step(self, message: str) -> None:
        """Print ``message`` as a step line (and show it on the live spinner)."""
        message = single_line(message, 120)
        with self._lock:
            self.current = message
            self._line(message)
            if self._bar is not None:
                self._bar.update(self._task, description=single_line(message, 80))

    def beat(self) -> bool:
        """Print a "still on" line when nothing was printed for ``heartbeat`` seconds."""
        with self._lock:
            if self.heartbeat is None or self.timer() - self.last_line < self.heartbeat:
                return False
            self._line(f"... still on: {self.current}")
            return True

    def _beat(self) -> None:
        while not self._stop.wait(1.0):
            self.beat()
