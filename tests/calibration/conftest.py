"""Fixtures for the calibration tests (the LA builder itself is in ``tiny_la.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tiny_la import TinyLA


@pytest.fixture
def tiny_la(tmp_path: Path):
    """Factory: ``tiny_la(years=(2025, 2026))`` -> an empty :class:`TinyLA` under tmp_path."""

    def make(years: tuple[int, ...] = (2025, 2026)) -> TinyLA:
        return TinyLA(root=tmp_path / "la", years=years)

    return make
