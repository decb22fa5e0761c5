"""Suite-wide fixtures and guards.

- The one synthetic-LA cache (``synthetic_la_cache.py``): every package asks for its seeded LA by
  its settings and gets the one built for the session, shared between xdist workers.
- No test may create MLflow's ``./mlruns`` file store in the working folder (driftflag always gives
  MLflow an explicit SQLite store and artifact location).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import synthetic_la_cache

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


#: Packages whose session fixtures (a scored caseload, a monitoring reference, fitted models) are
#: shared by several modules: under xdist each runs on one worker, so they are built once.
_ONE_WORKER_PACKAGES = frozenset({"fairness", "monitoring", "worklist"})
_GROUP = pytest.StashKey[str]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under ``pytest -n N --dist loadgroup`` (``make test``): one group per module (its module
    fixtures are built once), one per package for :data:`_ONE_WORKER_PACKAGES`, and the groups that
    hold slow tests first, so the longest work starts first and no worker waits at the end."""
    if getattr(config.option, "dist", "no") != "loadgroup":
        return
    tests = Path(__file__).parent
    slow_groups: set[str] = set()
    for item in items:
        rel = item.path.relative_to(tests)
        group = rel.parts[0] if rel.parts[0] in _ONE_WORKER_PACKAGES else rel.as_posix()
        item.add_marker(pytest.mark.xdist_group(group))
        item.stash[_GROUP] = group
        if item.get_closest_marker("slow"):
            slow_groups.add(group)
    items.sort(key=lambda item: item.stash[_GROUP] not in slow_groups)  # stable: order kept within


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not _EXISTED and _MLRUNS.exists():
        session.exitstatus = 1
        print(f"\nFAILED: a test created {_MLRUNS} (MLflow's default file store); "
              "every MLflow use must get an explicit SQLite tracking URI and artifact location")
