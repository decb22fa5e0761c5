"""docs/indicators.md is generated from the registry and must not go stale."""

from __future__ import annotations

from pathlib import Path

from driftflag.indicators import load_registry
from driftflag.indicators._docs import render_indicator_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "indicators.md"
REGENERATE = "run `.venv/bin/python scripts/gen_docs.py` and commit docs/indicators.md"


def test_committed_doc_is_up_to_date():
    assert DOC.is_file(), f"{DOC} is missing: {REGENERATE}"
    assert DOC.read_text(encoding="utf-8") == render_indicator_markdown(), REGENERATE


def test_every_indicator_and_threshold_is_documented():
    text = render_indicator_markdown()
    for ind in load_registry():
        assert f"### `{ind.id}`: {ind.label}" in text
        for name in ind.thresholds:
            assert f"- `{name}` = " in text
    assert "an episode ending on the as-of date is closed that day" in " ".join(text.split())
    assert "[council to confirm]" in text
