"""docs/data-model.md is generated from the schema and must not go stale."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from driftflag.casemodel._docs import PARTIAL_COVERAGE_NOTES, render_data_model_markdown
from driftflag.casemodel.schema import TABLE_ORDER, TABLES

DOC = Path(__file__).resolve().parents[2] / "docs" / "data-model.md"
REGENERATE = "run `.venv/bin/python scripts/gen_docs.py` and commit docs/data-model.md"


@pytest.fixture(scope="module")
def rendered() -> str:
    return render_data_model_markdown()


def test_committed_doc_is_up_to_date(rendered):
    assert DOC.is_file(), f"{DOC} is missing: {REGENERATE}"
    committed = DOC.read_text(encoding="utf-8")
    assert committed == rendered, f"docs/data-model.md is out of date with the schema: {REGENERATE}"


def test_render_is_deterministic(rendered):
    assert render_data_model_markdown() == rendered
    assert rendered.endswith("\n") and not rendered.endswith("\n\n")


@pytest.mark.parametrize("name", TABLE_ORDER)
def test_every_table_and_column_is_documented(rendered, name):
    section = rendered.split(f"### `{name}`\n", 1)
    assert len(section) == 2, f"no section for table {name}"
    body = section[1].split("\n### ", 1)[0]
    for col in TABLES[name].columns:
        assert f"| `{col.name}` |" in body, f"{name}.{col.name} missing from its section"


@pytest.mark.parametrize("name", TABLE_ORDER)
def test_return_mappings_are_in_the_doc(rendered, name):
    for col in TABLES[name].columns:
        for field in col.returns.values():
            assert f"`{field}`" in rendered, f"{name}.{col.name}: {field}"


def test_required_sections(rendered):
    for heading in (
        "## The case store",
        "## Conventions",
        "## Ethnicity: codes and major groups",
        "## Collection years",
        "## Code lists by collection year",
        "## Tables",
        "## What the returns cannot carry",
    ):
        assert f"\n{heading}\n" in rendered, heading
    for word in ("manifest.json", "schema_version", "row_counts", "sources", "created_at", "NaT"):
        assert word in rendered
    assert "| `CHNE` | Chinese | `q) CHNE` | Other |" in rendered


def test_unmapped_columns_are_listed(rendered):
    section = rendered.split("## What the returns cannot carry", 1)[1]
    for name in TABLE_ORDER:
        unmapped = [c.name for c in TABLES[name].columns if not c.returns]
        if unmapped:
            row = f"| `{name}` | " + ", ".join(f"`{c}`" for c in unmapped) + " |"
            assert row in section, name
        else:
            assert f"| `{name}` |" not in section.split("### Carried only in part")[0]


def test_partial_coverage_notes_name_real_tables_and_columns():
    for refs, text in PARTIAL_COVERAGE_NOTES:
        assert text.strip()
        for ref in refs:
            table, _, column = ref.partition(".")
            assert table in TABLES, ref
            if column:
                assert column in TABLES[table].column_names, ref


def test_section_references_look_like_sections(rendered):
    # Every "data-standards §N" reference names a numbered section of that document (0-9).
    for ref in re.findall(r"data-standards §(\d+)", rendered):
        assert 0 <= int(ref) <= 9
