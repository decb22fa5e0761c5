"""Suite-wide fixtures and guards.

- The one synthetic-LA cache (``synthetic_la_cache.py``): every package asks for its seeded LA by
  its settings and gets the one built for the session, shared between xdist workers.
- No test may create MLflow's ``./mlruns`` file store in the working folder (driftflag always gives
  MLflow an explicit SQLite store and artifact location).
- OpenMP threads that wait spin only briefly before sleeping (``GOMP_SPINCOUNT=10000``), see below.
- One OpenMP thread per xdist worker when the workers have a core each (``OMP_THREAD_LIMIT=1``).
- The test processes' cyclic garbage collector looks for cycles less often (see below).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

#: LightGBM fits with two OpenMP threads (``n_jobs=2``); with two xdist workers on two cores a
#: thread spinning while it waits takes the core its partner needs (a fit used 5x the CPU,
#: benchmarks/README.md, "Test suite"). The same bounded spin as the ``driftflag`` command
#: (driftflag._openmp), set before any library loads OpenMP (the workers import this file first
#: and inherit the variable); a wait setting already made wins.
from driftflag._openmp import bound_spinning  # noqa: E402

bound_spinning()

#: One OpenMP thread per test worker when the workers have a core each (``make test``: two
#: workers on two cores). LightGBM fits with ``n_jobs=2``; with the other worker busy on the
#: other core, its two threads took turns on one core and waited for each other at every
#: parallel step: the skill module beside a busy core took 37.4 CPU s (15.8 s per test) with two
#: threads and 19.2 (6-7 s) with ``OMP_THREAD_LIMIT=1`` (2026-12-02, tests/models/test_model_skill.py
#: under one busy core). The trees do not depend on the thread count (``deterministic=True``,
#: ``force_row_wise=True``; tests/models/test_lightgbm_threads.py). Read by libgomp when it
#: loads, so set here, before any library loads OpenMP; a limit already set wins; a run without
#: xdist (or with fewer workers than cores) keeps LightGBM's two threads.
_WORKERS = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "0") or 0)
if _WORKERS and (os.cpu_count() or 1) <= _WORKERS:
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")

#: The test processes' cyclic garbage collector runs less often: a young collection after 50,000
#: new container objects, not 700. Why: a test worker holds the session's synthetic LAs, stores
#: and fitted models (millions of live objects), and the collector walked them again and again to
#: find little garbage: the snapshot-reference and worklist modules took 57.2 CPU s with Python's
#: default thresholds and 51.1 with these (2026-12-01, benchmarks/README.md, "Test suite"). Every
#: object is still freed: only how often cycles are looked for changes, not what the tests run.
import gc  # noqa: E402

gc.set_threshold(50_000, 20, 20)

import suite_timeline  # noqa: E402
import synthetic_la_cache  # noqa: E402

_MLRUNS = Path.cwd() / "mlruns"
_EXISTED = _MLRUNS.exists()


@pytest.fixture(scope="session", autouse=True)
def _synthetic_la_folder(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Point the cache at this session's folder (the workers' common parent under xdist)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    base = tmp_path_factory.getbasetemp()
    synthetic_la_cache.configure((base.parent if worker else base) / "synthetic-la",
                                 between_processes=bool(worker))


@pytest.fixture(scope="session")
def synthetic_la():
    """Factory: ``synthetic_la(children=3000, years=6, seed=1)`` -> the session's SynthResult
    for those settings (shared: do not change it)."""
    return synthetic_la_cache.synthetic_la


@pytest.fixture(scope="session")
def synthetic_la_dir():
    """Factory: ``synthetic_la_dir(children=500, years=3, seed=3)`` -> the folder ``driftflag
    synth`` wrote for those settings (shared: copy it before changing a file)."""
    return synthetic_la_cache.synthetic_la_dir


#: Packages whose session fixtures (a scored caseload, a monitoring reference, fitted models, the
#: Spark session, the web app's month) are shared by several modules: under xdist each runs on one
#: worker, so they are built once.
_ONE_WORKER_PACKAGES = frozenset({"fairness", "monitoring", "spark", "web", "worklist"})
#: The longest groups measured, started first so that no worker is left running one of them
#: alone at the end; then every other group holding a slow test; then the rest.
#: A scheduling hint only: a name that no longer exists changes nothing.
#: Order: each group's wall in the whole suite's timeline of 2026-12-01 (``DRIFTFLAG_SUITE_TIMELINE``,
#: benchmarks/README.md, "Test suite", suite7), longest first, as cut by suite7 (fewer Annex A
#: extracts, fewer hypothesis examples). xdist gives each worker two groups ahead, so the first
#: four start on the two workers together: the demo pipelines (with the fairness gate's and the
#: champion's tests on the workspace and store they make) and Spark (one JVM that takes both cores
#: at times: never alone at the end), then fairness and the skill module.
_LONGEST_FIRST = ("pipeline/test_demo_pipelines.py", "spark", "fairness",
                  "models/test_model_skill.py", "web", "tracking/test_tracking_training_run.py",
                  "ingest/test_ingest_streaming_dedup.py",
                  "indicators/test_snapshot_leakage.py", "indicators/test_snapshot_reference.py",
                  "worklist", "ingest/test_ingest_synthetic.py", "tracking/test_champion_baseline.py",
                  "indicators/test_snapshot_knowledge_dates.py", "ingest/test_ingest_fuzz.py",
                  "test_stage_api.py", "synth/test_synth_end_to_end.py", "reports/test_scorecard.py",
                  "ingest/test_ingest_messy.py", "test_messages.py", "ingest/test_annex_a_exports.py",
                  "models/test_model_training.py", "pipeline/test_pipeline_runner.py",
                  "tracking/test_tracking_workspace_uris.py", "ingest/test_ingest_proceedings.py",
                  "monitoring")


def _xdist_group(nodeid: str) -> str:
    """The unit of work one xdist worker runs whole: a module, or a package of
    :data:`_ONE_WORKER_PACKAGES` (``tests/fairness/test_x.py::test_y`` -> ``fairness``)."""
    path = nodeid.split("::", 1)[0].removeprefix("tests/")
    package = path.split("/", 1)[0]
    return package if package in _ONE_WORKER_PACKAGES else path


def _under_xdist_groups(config: pytest.Config) -> bool:
    # the controller sees --dist; each worker gets it as the "loadgroup" option instead
    return getattr(config.option, "dist", "no") == "loadgroup" or bool(
        getattr(config.option, "loadgroup", False))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under ``pytest -n N --dist loadgroup`` (``make test``): the groups that hold slow tests
    first, so the longest work starts first and no worker waits alone at the end."""
    if not _under_xdist_groups(config):
        return
    slow_groups = {_xdist_group(item.nodeid) for item in items if item.get_closest_marker("slow")}

    def rank(item: pytest.Item) -> tuple[int, int]:
        group = _xdist_group(item.nodeid)
        if group in _LONGEST_FIRST:
            return 0, _LONGEST_FIRST.index(group)
        return (1 if group in slow_groups else 2), 0

    items.sort(key=rank)  # stable: the order within a group is kept


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist: fine without it
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """``--dist loadgroup`` with :func:`_xdist_group` as the groups, in the order collected.

    Why not ``xdist_group`` marks: with pytest 9.2 and pytest-xdist 3.8 a mark's group never
    reaches the scheduler (xdist renames ``item._nodeid``, which pytest 9 no longer reads)."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ModuleOrPackageScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _xdist_group(nodeid)

    config.option.loadscopereorder = False  # keep the longest-first order of the collection
    return ModuleOrPackageScheduling(config, log)


def pytest_configure(config: pytest.Config) -> None:
    """``DRIFTFLAG_SUITE_TIMELINE=<folder>``: record where each worker's time goes
    (``suite_timeline.py``; off by default)."""
    if os.environ.get(suite_timeline.ENV):
        config.pluginmanager.register(suite_timeline.TimelineRecorder(_xdist_group),
                                      "driftflag-suite-timeline")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not _EXISTED and _MLRUNS.exists():
        session.exitstatus = 1
        print(f"\nFAILED: a test created {_MLRUNS} (MLflow's default file store); "
              "every MLflow use must get an explicit SQLite tracking URI and artifact location")
