"""Fixtures of the Spark tests: one local SparkSession for the session and a pool of three small
synthetic councils written as case stores.

The Spark tests form one xdist group (``tests/conftest.py``: the ``spark`` package runs on one
worker), so the JVM starts once. pyspark is an optional extra: without it the tests are skipped,
unless ``DRIFTFLAG_REQUIRE_SPARK`` is set (CI sets it), when its absence fails them.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest

#: (LA code, children, seed): three small councils, each with its own child ids C0000001...
POOL = (("201", 300, 11), ("202", 400, 12), ("203", 250, 13))


def _require_pyspark() -> None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        if os.environ.get("DRIFTFLAG_REQUIRE_SPARK"):
            pytest.fail("pyspark is not installed but DRIFTFLAG_REQUIRE_SPARK is set "
                        "(pip install -e '.[test]' installs it)")
        pytest.skip("pyspark (the spark extra) is not installed")


#: The driver JVM of the tests: the client compiler only and the serial collector. The tests'
#: Spark jobs are small and short, so the JVM's time goes on warming up (class loading, JIT
#: compiling); the server compiler's and G1's background threads took the core the other xdist
#: worker needs. tests/spark alone, one process, load 4-5: JVM 98 -> 57 CPU s, 171 -> 101 s wall
#: (benchmarks/README.md, "Test suite", suite7). Also no bytecode verification of the classes
#: the JVM loads (pyspark's own jars, thousands of classes, verified again at every start):
#: tests/spark alone, whole process tree (cpuacct), two back-to-back pairs, 2026-12-02:
#: 83.0 -> 74.0 and 99.8 -> 74.4 CPU s, 70 -> 61 s wall. Results do not depend on them.
JVM_OPTIONS = ("-XX:TieredStopAtLevel=1 -XX:+UseSerialGC "
               "-XX:+UnlockDiagnosticVMOptions -XX:-BytecodeVerificationRemote")
#: The Python workers' daemon: pyspark's own, with the workers' imports made once before it forks
#: them and kept out of the collector's walks (warm_worker_daemon.py). tests/spark alone, one
#: process, the Python workers and their daemon: 21 -> 9-10 CPU s in two paired runs (/proc,
#: 2026-12-01, suite8c); the JVM's own CPU is unchanged (51-57 s).
#: Results do not depend on it.
DAEMON = "warm_worker_daemon"


@pytest.fixture(scope="session")
def spark():
    """The one local Spark session of the test session (local[2], no UI, 2 shuffle partitions)."""
    _require_pyspark()
    from driftflag.spark import local_session

    # read when the driver JVM starts, which keeps them (a value already set wins): JVM_OPTIONS,
    # and the Python workers' daemon (warm_worker_daemon.py, found on the JVM's PYTHONPATH)
    here = str(Path(__file__).resolve().parent)
    path = os.pathsep.join(filter(None, [here, os.environ.get("PYTHONPATH")]))
    wanted = {"JAVA_TOOL_OPTIONS": JVM_OPTIONS, "PYTHONPATH": path,
              "PYSPARK_SUBMIT_ARGS": f"--conf spark.python.daemon.module={DAEMON} pyspark-shell"}
    if "PYSPARK_SUBMIT_ARGS" in os.environ:  # the caller's own submit arguments: no daemon of ours
        wanted = {"JAVA_TOOL_OPTIONS": JVM_OPTIONS}
    with pytest.MonkeyPatch.context() as env:  # restored once the JVM has read them
        for key, value in wanted.items():
            if key == "PYTHONPATH" or key not in os.environ:
                env.setenv(key, value)
        session = local_session("local[2]", shuffle_partitions=2)
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def pool(tmp_path_factory, synthetic_la):
    """The three councils' stores, tagged with their LA codes (the second by its manifest)."""
    from driftflag.casemodel import write_store
    from driftflag.spark import pool_stores

    root = tmp_path_factory.mktemp("pool")
    paths = []
    for code, children, seed in POOL:
        la = synthetic_la(children=children, years=3, seed=seed)
        extra = {"la_code": code} if code == "202" else None
        paths.append(write_store(la.store, root / f"la-{code}", created_at=datetime(2026, 3, 31), extra=extra))
    return pool_stores(paths, la_codes=["201", "202", "203"])



@pytest.fixture(scope="session")
def pool_panel(spark, pool):
    """The pool's Spark panel 2025-01 to 2025-12 (about 100 children per partition, so each
    council is split into several), persisted, and collected with the pandas engine's types."""
    from driftflag.spark.panel import build_panel, panel_to_pandas

    panel, cached = build_panel(spark, pool, "2025-01", "2025-12", children_per_partition=100)
    yield panel, panel_to_pandas(panel)
    if cached is not None:
        cached.unpersist()
