"""Shared fixtures: the seeded 20,000-child synthetic LA and its monthly input frames (built once)."""

from __future__ import annotations

import pytest

from driftflag.indicators import load_registry
from driftflag.monitoring import MonitorConfig, build_reference, kinds_from_registry

from . import synth_months as sm

#: 20,000 children: ~3,800 open cases a month, of whom ~1.5% had a missing episode in 90 days.
#: A 3,000-child LA has about 15 such children a month: too few to see any missing-episode change.
CHILDREN = 20_000


@pytest.fixture(scope="session")
def store():
    return sm.la(CHILDREN)


@pytest.fixture(scope="session")
def config():
    return MonitorConfig(kinds=kinds_from_registry(load_registry()))


@pytest.fixture(scope="session")
def reference(store, config):
    return build_reference(sm.reference_frame(store), sm.features(), "score", config=config,
                           label="12 monthly snapshots 2024-10 to 2025-09")


@pytest.fixture(scope="session")
def current(store):
    return sm.current_frame(store)
