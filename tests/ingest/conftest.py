"""Shared fixtures for the ingest tests: small synthetic LAs written in the real formats."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
EXTERNAL = REPO_ROOT / ".." / "shared" / "fixtures" / "external"
EXTRACT = "2026-03-31"


def _make_la(root: Path, **kw) -> Path:
    from driftflag.synth import SynthConfig
    from driftflag.synth.run import run_synth

    # a year of monthly Annex A extracts is enough for the ingest tests (and keeps them fast)
    run_synth(SynthConfig(**{"annex_a_months": 12, **kw}), root)
    return root


@pytest.fixture(scope="session")
def clean_la(tmp_path_factory) -> Path:
    """A small clean synthetic LA (returns + its canonical store)."""
    return _make_la(tmp_path_factory.mktemp("la") / "la", children=500, years=3, seed=3)


@pytest.fixture(scope="session")
def messy_la(tmp_path_factory) -> Path:
    """A small synthetic LA with injected faults and their ledger."""
    return _make_la(tmp_path_factory.mktemp("messy") / "la", children=400, years=3, seed=4, messy=0.04)


@pytest.fixture(scope="session")
def tiny_la(tmp_path_factory) -> Path:
    """A tiny clean synthetic LA (200 children, 2 years): the seed files of the hostile-input
    and fuzz tests, small so every mutated ingest takes a fraction of a second."""
    return _make_la(tmp_path_factory.mktemp("tiny") / "la", children=200, years=2, seed=3)
