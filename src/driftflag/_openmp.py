"""How LightGBM's OpenMP threads wait for each other: spin briefly, then sleep.

Why: by default a waiting libgomp thread spins long enough to take the core its partner needs on
a busy machine (a council's shared server, two test workers on two cores): one fit used 43.6 CPU
s by default, 15.5 with ``OMP_WAIT_POLICY=PASSIVE`` and 17.9 with ``GOMP_SPINCOUNT=10000``
beside four busy processes, while passive waits make fits on an idle machine 15-20% slower
(benchmarks/README.md, "OpenMP waits"). The wait changes no result, only how idle threads wait.
It must be set before anything loads OpenMP: the ``driftflag`` command and the test suite call
:func:`bound_spinning` first.
"""

from __future__ import annotations

import os

__all__ = ["SPINCOUNT", "bound_spinning"]

#: Spins before a waiting thread sleeps (libgomp's default is 300,000).
SPINCOUNT = "10000"


def bound_spinning(environ: dict[str, str] | None = None) -> None:
    """Set ``GOMP_SPINCOUNT`` unless the user chose a wait (``OMP_WAIT_POLICY`` or the count)."""
    env = os.environ if environ is None else environ
    if "OMP_WAIT_POLICY" not in env:
        env.setdefault("GOMP_SPINCOUNT", SPINCOUNT)
